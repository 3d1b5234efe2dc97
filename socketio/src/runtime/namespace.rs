//! [`Namespace`]: its connection handler, its connect checks, and its rooms.

use super::adapter::Adapter;
use super::connect::{AuthCheck, ConnectCheck, ConnectContext, ConnectError};
use super::error::EmitError;
use super::recovery::{encode_and_deliver, Recovery};
use super::socket::Socket;
use crate::proto::{
    self, AppClaims, Audience, AuthError, Encoded, Parser, Payload, RecoveryConfig,
};
use std::fmt;
use std::future::Future;
use std::sync::{Arc, OnceLock, RwLock};

/// Called with each new socket of the namespace, before any of its events: register the
/// socket's handlers here.
pub type ConnectionHandler = Arc<dyn Fn(Socket) + Send + Sync>;

/// One namespace: sockets connect to it, join its rooms and receive its broadcasts.
pub struct Namespace {
    nsp: proto::Namespace,
    /// The server's parser: what the namespace encodes once for many sockets is in its form.
    parser: Parser,
    on_connection: RwLock<Option<ConnectionHandler>>,
    checks: RwLock<Vec<ConnectCheck>>,
    auth_check: RwLock<Option<AuthCheck>>,
    user_room_prefix: RwLock<Option<String>>,
    adapter: Adapter<Socket>,
    /// Connection state recovery: made when the first socket joins, if the server has it on.
    recovery: OnceLock<Arc<Recovery>>,
}

impl fmt::Debug for Namespace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Namespace")
            .field("nsp", &self.nsp)
            .finish_non_exhaustive()
    }
}

impl Namespace {
    pub(crate) fn new(nsp: proto::Namespace, parser: Parser) -> Arc<Self> {
        Arc::new(Self {
            nsp,
            parser,
            on_connection: RwLock::new(None),
            checks: RwLock::new(Vec::new()),
            auth_check: RwLock::new(None),
            user_room_prefix: RwLock::new(None),
            adapter: Adapter::default(),
            recovery: OnceLock::new(),
        })
    }

    /// The name.
    pub fn name(&self) -> &str {
        self.nsp.as_str()
    }

    pub(crate) fn nsp(&self) -> &proto::Namespace {
        &self.nsp
    }

    pub(crate) fn adapter(&self) -> &Adapter<Socket> {
        &self.adapter
    }

    /// The recovery state, once a socket joined with recovery on.
    pub(crate) fn recovery(&self) -> Option<&Arc<Recovery>> {
        self.recovery.get()
    }

    /// Encodes an emit on this namespace once, in the server's parser, and hands it to
    /// `deliver`; with recovery on and the emit not volatile, it gets an offset and is stored
    /// for `audience` (see [`encode_and_deliver`]).
    pub(crate) fn encode_and_deliver<R>(
        &self,
        audience: impl FnOnce() -> Audience,
        volatile: bool,
        name: &str,
        args: &Payload,
        deliver: impl FnOnce(Encoded) -> R,
    ) -> Result<R, EmitError> {
        let recovery = self.recovery().filter(|_| !volatile);
        let on = (self.parser, &self.nsp);
        encode_and_deliver(recovery, on, audience, name, args, deliver)
    }

    /// The recovery state, made with `config` if there is none yet (`random` gives its offsets'
    /// tag).
    pub(crate) fn recovery_or_init(
        &self,
        config: RecoveryConfig,
        random: impl FnOnce() -> String,
    ) -> &Arc<Recovery> {
        self.recovery
            .get_or_init(|| Recovery::new(config, &random()))
    }

    /// Sets the connection handler.
    pub fn on_connection<F>(&self, handler: F)
    where
        F: Fn(Socket) + Send + Sync + 'static,
    {
        if let Ok(mut h) = self.on_connection.write() {
            *h = Some(Arc::new(handler));
        }
    }

    /// Adds a connect check (Node's `namespace.use`): every check must pass, in order.
    pub fn use_check<F, Fut>(&self, check: F)
    where
        F: Fn(ConnectContext) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), ConnectError>> + Send + 'static,
    {
        if let Ok(mut checks) = self.checks.write() {
            checks.push(Arc::new(move |ctx| Box::pin(check(ctx))));
        }
    }

    /// Sets the application's own authentication, used when the namespace's policy is
    /// [`crate::proto::AuthPolicy::App`]: it runs after the connect checks and gives the claims.
    pub fn set_auth_check<F, Fut>(&self, check: F)
    where
        F: Fn(ConnectContext) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<AppClaims, AuthError>> + Send + 'static,
    {
        if let Ok(mut slot) = self.auth_check.write() {
            *slot = Some(Arc::new(move |ctx| Box::pin(check(ctx))));
        }
    }

    pub(crate) fn auth_check(&self) -> Option<AuthCheck> {
        self.auth_check.read().ok().and_then(|c| c.clone())
    }

    /// Puts every authenticated socket in the room `<prefix><sub>` (e.g. `user:42`), so that
    /// `to("user:42")` and `fetch_sockets` reach all of a user's connections.
    pub fn join_user_rooms(&self, prefix: impl Into<String>) {
        if let Ok(mut slot) = self.user_room_prefix.write() {
            *slot = Some(prefix.into());
        }
    }

    pub(crate) fn user_room_prefix(&self) -> Option<String> {
        self.user_room_prefix.read().ok().and_then(|p| p.clone())
    }

    pub(crate) fn checks(&self) -> Vec<ConnectCheck> {
        self.checks.read().map(|c| c.clone()).unwrap_or_default()
    }

    pub(crate) fn connection_handler(&self) -> Option<ConnectionHandler> {
        self.on_connection.read().ok().and_then(|h| h.clone())
    }

    /// Connected sockets on this node.
    pub fn sockets(&self) -> Vec<Socket> {
        self.adapter.select(&Default::default())
    }

    /// Number of connected sockets on this node.
    pub fn socket_count(&self) -> usize {
        self.adapter.len()
    }
}
