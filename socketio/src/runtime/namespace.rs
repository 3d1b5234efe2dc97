//! [`Namespace`]: its connection handler, its connect checks, and its rooms.

use super::adapter::Adapter;
use super::broadcast::BroadcastOperator;
use super::socket::Socket;
use crate::proto::{AppClaims, AuthError, Identity, Namespace as Nsp, RawJson};
use engineio::runtime::Handshake;
use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, RwLock};

/// Called with each new socket of the namespace, before any of its events: register the
/// socket's handlers here.
pub type ConnectionHandler = Arc<dyn Fn(Socket) + Send + Sync>;

/// A boxed future of a connect check.
pub type CheckFuture = Pin<Box<dyn Future<Output = Result<(), ConnectError>> + Send>>;

/// Decides whether a CONNECT is accepted; runs before the socket exists and may store data on it.
pub type ConnectCheck = Arc<dyn Fn(ConnectContext) -> CheckFuture + Send + Sync>;

/// A boxed future of an application's authentication check.
pub type AuthFuture = Pin<Box<dyn Future<Output = Result<AppClaims, AuthError>> + Send>>;

/// The application's own authentication (the namespace policy [`crate::proto::AuthPolicy::App`]):
/// gives the claims of the connection, or a typed refusal.
pub type AuthCheck = Arc<dyn Fn(ConnectContext) -> AuthFuture + Send + Sync>;

/// What a connect check sees, and where it leaves data for the socket.
#[derive(Clone)]
pub struct ConnectContext {
    /// The namespace.
    pub nsp: String,
    /// The Engine.IO handshake request.
    pub handshake: Arc<Handshake>,
    /// The CONNECT payload (`{}` when none).
    pub auth: RawJson,
    /// What the namespace's policy established so far: a verified token, or anonymous (`None`
    /// while the token is still to come in event mode, or the application's check is to decide).
    pub identity: Option<Identity>,
    data: Arc<std::sync::Mutex<HashMap<TypeId, Arc<dyn Any + Send + Sync>>>>,
}

impl fmt::Debug for ConnectContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnectContext")
            .field("nsp", &self.nsp)
            .field("auth", &self.auth)
            .finish_non_exhaustive()
    }
}

impl ConnectContext {
    pub(crate) fn new(
        nsp: String,
        handshake: Arc<Handshake>,
        auth: RawJson,
        identity: Option<Identity>,
    ) -> Self {
        Self {
            nsp,
            handshake,
            auth,
            identity,
            data: Arc::default(),
        }
    }

    /// The verified claims, when the policy already verified a token.
    pub fn claims(&self) -> Option<&serde_json::Map<String, serde_json::Value>> {
        self.identity.as_ref()?.claims()
    }

    /// Stores a value on the socket-to-be (see [`Socket::data`]).
    pub fn set_data<T: Any + Send + Sync>(&self, value: T) {
        if let Ok(mut data) = self.data.lock() {
            data.insert(TypeId::of::<T>(), Arc::new(value));
        }
    }

    pub(crate) fn take_data(&self) -> HashMap<TypeId, Arc<dyn Any + Send + Sync>> {
        self.data
            .lock()
            .map(|mut d| std::mem::take(&mut *d))
            .unwrap_or_default()
    }
}

/// A refused CONNECT: the client's `connect_error` gets `message` and `data`.
#[derive(Clone, Debug, PartialEq)]
pub struct ConnectError {
    /// `err.message` on the client.
    pub message: String,
    /// `err.data` on the client.
    pub data: Option<serde_json::Value>,
}

impl ConnectError {
    /// A refusal with a message only.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            data: None,
        }
    }

    /// A refusal with a message and data.
    pub fn with_data(message: impl Into<String>, data: serde_json::Value) -> Self {
        Self {
            message: message.into(),
            data: Some(data),
        }
    }

    /// The CONNECT_ERROR payload `{"message":...,"data":...}`.
    pub fn to_json(&self) -> RawJson {
        let mut object = serde_json::Map::new();
        object.insert(
            "message".to_owned(),
            serde_json::Value::String(self.message.clone()),
        );
        if let Some(data) = &self.data {
            object.insert("data".to_owned(), data.clone());
        }
        RawJson::from(&serde_json::Value::Object(object))
    }
}

impl fmt::Display for ConnectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ConnectError {}

/// One namespace: sockets connect to it, join its rooms and receive its broadcasts.
pub struct Namespace {
    nsp: Nsp,
    on_connection: RwLock<Option<ConnectionHandler>>,
    checks: RwLock<Vec<ConnectCheck>>,
    auth_check: RwLock<Option<AuthCheck>>,
    user_room_prefix: RwLock<Option<String>>,
    adapter: Adapter,
}

impl fmt::Debug for Namespace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Namespace")
            .field("nsp", &self.nsp)
            .finish_non_exhaustive()
    }
}

impl Namespace {
    pub(crate) fn new(nsp: Nsp) -> Arc<Self> {
        Arc::new(Self {
            nsp,
            on_connection: RwLock::new(None),
            checks: RwLock::new(Vec::new()),
            auth_check: RwLock::new(None),
            user_room_prefix: RwLock::new(None),
            adapter: Adapter::default(),
        })
    }

    /// The name.
    pub fn name(&self) -> &str {
        self.nsp.as_str()
    }

    pub(crate) fn nsp(&self) -> &Nsp {
        &self.nsp
    }

    pub(crate) fn adapter(&self) -> &Adapter {
        &self.adapter
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

    /// A broadcast to every socket of the namespace; narrow it with `to`, `except`...
    pub fn broadcast(self: &Arc<Self>) -> BroadcastOperator {
        BroadcastOperator::new(self.clone())
    }

    /// A broadcast to a room.
    pub fn to(self: &Arc<Self>, room: &str) -> BroadcastOperator {
        self.broadcast().to(room)
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
