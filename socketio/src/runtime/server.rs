//! [`SocketIo`]: the Socket.IO server on an Engine.IO endpoint.

use super::cluster::Cluster;
use super::connection::ConnectionApp;
use super::io::{IoInner, SocketIoConfig};
use super::namespace::Namespace;
use super::node::join_cluster;
use crate::proto;
use crate::proto::RecoveryConfig;
use engineio::runtime::{Engine, SidGenerator};
use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, OnceLock, RwLock};

impl SocketIoConfig {
    /// Turns connection state recovery on (Node's `connectionStateRecovery`), for every
    /// namespace: see [`RecoveryConfig`] and the crate's README.
    pub fn connection_state_recovery(mut self, recovery: RecoveryConfig) -> Self {
        self.connection.recovery = Some(recovery);
        self
    }
}

/// A Socket.IO server. Cheap to clone.
///
/// ```no_run
/// # async fn demo() -> std::io::Result<()> {
/// use socketio::runtime::{SocketIo, SocketIoConfig};
/// use engineio::runtime::Server;
///
/// let io = SocketIo::new(SocketIoConfig::default());
/// io.of("/").on_connection(|socket| {
///     socket.on("chat", |socket, args, ack| {
///         let _ = socket.broadcast().emit("chat", &args);
///         if let Some(ack) = ack {
///             let _ = ack.send("ok");
///         }
///     });
/// });
/// let server = Server::new(([127, 0, 0, 1], 3000).into()).engine(io.engine()).start().await?;
/// # server.shutdown().await; Ok(()) }
/// ```
#[derive(Clone)]
pub struct SocketIo {
    inner: Arc<IoInner>,
    engine: Engine,
}

impl fmt::Debug for SocketIo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SocketIo")
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

impl SocketIo {
    /// A server with the main namespace `/` registered. It serves the Engine.IO sessions of
    /// [`SocketIo::engine`] from the moment it is made, each connection in its session's own task.
    pub fn new(config: SocketIoConfig) -> Self {
        let mut engine_config = config.engine.clone();
        // Every packet for a client is a command on its session's queue, bounded by `send_buffer`.
        engine_config.command_buffer = config.send_buffer;
        let engine = Engine::new(engine_config);
        let io = Self {
            inner: Arc::new(IoInner {
                config,
                namespaces: RwLock::new(HashMap::new()),
                dynamic: RwLock::new(Vec::new()),
                sids: SidGenerator::new(),
                cluster: OnceLock::new(),
                observer: OnceLock::new(),
                room_watch: OnceLock::new(),
            }),
            engine,
        };
        io.of("/");
        let inner = io.inner.clone();
        io.engine
            .serve_with(move |session| ConnectionApp::new(inner.clone(), session));
        io
    }

    /// The Engine.IO endpoint to add to an [`engineio::runtime::Server`].
    pub fn engine(&self) -> Engine {
        self.engine.clone()
    }

    /// This server as a tower `Service` (feature `tower`), to mount in an axum or hyper
    /// application: `Router::new().route_service("/socket.io/", io.service())`. Everything
    /// behaves as on the built-in server; the handshake request's extensions (what the app's
    /// middleware attached, e.g. its logged-in user) are on every socket's
    /// [`Socket::handshake`](super::Socket::handshake) and in connect checks.
    #[cfg(feature = "tower")]
    pub fn service(&self) -> engineio::runtime::EngineService {
        self.engine.service()
    }

    /// Closes every connection (queued messages and a close packet go out first) and refuses new
    /// ones; returns once all ended or `grace` passed. [`engineio::runtime::RunningServer::shutdown`]
    /// does this for the built-in server; an application that mounted `SocketIo::service` (feature
    /// `tower`) calls it.
    pub async fn close(&self, grace: std::time::Duration) {
        self.engine.close(grace).await;
    }

    /// The namespace `name`, registered if new. Names without a leading `/` get one.
    pub fn of(&self, name: &str) -> Arc<Namespace> {
        let name = if name.starts_with('/') {
            name.to_owned()
        } else {
            format!("/{name}")
        };
        let mut namespaces = self
            .inner
            .namespaces
            .write()
            .unwrap_or_else(|e| e.into_inner());
        if let Some(ns) = namespaces.get(&name) {
            return ns.clone();
        }
        let nsp = proto::Namespace::new(&name).unwrap_or_else(|_| proto::Namespace::main());
        let ns = Namespace::new(nsp, self.inner.config.connection.parser);
        self.inner.join_cluster(&ns);
        self.inner.watch_rooms(&ns);
        namespaces.insert(name, ns.clone());
        ns
    }

    /// What the server's connections share (the Admin UI instrumentation builds on it).
    #[cfg_attr(not(feature = "admin"), allow(dead_code))]
    pub(crate) fn inner(&self) -> &Arc<IoInner> {
        &self.inner
    }

    /// Makes this server one node of a cluster (e.g. the `socketio-redis` adapter): from now on
    /// broadcasts, room operations and fetches of every namespace also reach the other nodes.
    /// A server joins one cluster, once; returns false if it already had one.
    pub fn attach_cluster(&self, cluster: Arc<dyn Cluster>) -> bool {
        if self.inner.cluster.set(cluster.clone()).is_err() {
            return false;
        }
        for ns in &self.namespaces() {
            join_cluster(ns, &cluster);
        }
        true
    }

    /// Every registered namespace (those created on demand included).
    pub fn namespaces(&self) -> Vec<Arc<Namespace>> {
        self.inner.all_namespaces()
    }

    /// Creates namespaces on demand: a CONNECT to an unknown name that `allow` accepts creates it
    /// and runs `setup` on it once.
    pub fn dynamic_namespaces<A, S>(&self, allow: A, setup: S)
    where
        A: Fn(&str) -> bool + Send + Sync + 'static,
        S: Fn(&Arc<Namespace>) + Send + Sync + 'static,
    {
        if let Ok(mut dynamic) = self.inner.dynamic.write() {
            dynamic.push((Arc::new(allow), Arc::new(setup)));
        }
    }
}
