//! [`SocketIo`]: the Socket.IO server on an Engine.IO endpoint.

use super::cluster::Cluster;
use super::connection::ConnectionApp;
use super::namespace::Namespace;
use super::node::join_cluster;
use crate::proto::{AuthPolicies, Config as ConnConfig, Namespace as Nsp};
use engineio::runtime::{Engine, EngineConfig, SidGenerator};
use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, OnceLock, RwLock};
use std::time::Duration;

/// Decides whether a namespace name that was not registered may be created on demand.
pub type NamespacePredicate = Arc<dyn Fn(&str) -> bool + Send + Sync>;
/// Sets up a namespace created on demand (its connection handler, its checks).
pub type NamespaceSetup = Arc<dyn Fn(&Arc<Namespace>) + Send + Sync>;

/// Settings of a Socket.IO server.
#[derive(Clone, Debug)]
pub struct SocketIoConfig {
    /// The Engine.IO endpoint (path `/socket.io/` by default).
    pub engine: EngineConfig,
    /// The Socket.IO connection: connect timeout (45 s by default) and decoding limits.
    pub connection: ConnConfig,
    /// Commands (emits, acks) a connection may have queued before emits say `Full`.
    pub send_buffer: usize,
    /// Authentication of each namespace (none by default).
    pub auth: Arc<AuthPolicies>,
    /// The cookie a token may come in (when the `cookie` source is enabled). Default `token`.
    pub token_cookie: String,
}

impl Default for SocketIoConfig {
    fn default() -> Self {
        Self {
            engine: EngineConfig::default().path("/socket.io/"),
            connection: ConnConfig::default(),
            send_buffer: 1024,
            auth: Arc::default(),
            token_cookie: "token".to_owned(),
        }
    }
}

impl SocketIoConfig {
    /// Sets the authentication of every namespace (overrides by name in `policies.namespaces`).
    pub fn auth(mut self, policies: AuthPolicies) -> Self {
        self.auth = Arc::new(policies);
        self
    }

    /// Sets the connect timeout.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connection.connect_timeout = timeout;
        self
    }
}

pub(crate) struct IoInner {
    pub(crate) config: SocketIoConfig,
    namespaces: RwLock<HashMap<String, Arc<Namespace>>>,
    dynamic: RwLock<Vec<(NamespacePredicate, NamespaceSetup)>>,
    pub(crate) sids: SidGenerator,
    /// The cluster every namespace joins (none unless attached).
    cluster: OnceLock<Arc<dyn Cluster>>,
}

impl IoInner {
    /// The namespace `name`, creating it if a dynamic rule allows.
    pub(crate) fn namespace(&self, name: &str) -> Option<Arc<Namespace>> {
        if let Some(ns) = self.namespaces.read().ok()?.get(name) {
            return Some(ns.clone());
        }
        let setup = {
            let dynamic = self.dynamic.read().ok()?;
            dynamic
                .iter()
                .find(|(allow, _)| allow(name))
                .map(|(_, setup)| setup.clone())?
        };
        let nsp = Nsp::new(name).ok()?;
        let mut namespaces = self.namespaces.write().ok()?;
        if let Some(ns) = namespaces.get(name) {
            return Some(ns.clone());
        }
        let ns = Namespace::new(nsp);
        self.join_cluster(&ns);
        setup(&ns);
        namespaces.insert(name.to_owned(), ns.clone());
        Some(ns)
    }

    fn join_cluster(&self, ns: &Arc<Namespace>) {
        if let Some(cluster) = self.cluster.get() {
            join_cluster(ns, cluster);
        }
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
        // Emits and acks go straight to the session's queue.
        engine_config.command_buffer = config.send_buffer;
        let engine = Engine::new(engine_config);
        let io = Self {
            inner: Arc::new(IoInner {
                config,
                namespaces: RwLock::new(HashMap::new()),
                dynamic: RwLock::new(Vec::new()),
                sids: SidGenerator::new(),
                cluster: OnceLock::new(),
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
        let nsp = Nsp::new(&name).unwrap_or_else(|_| Nsp::main());
        let ns = Namespace::new(nsp);
        self.inner.join_cluster(&ns);
        namespaces.insert(name, ns.clone());
        ns
    }

    /// Makes this server one node of a cluster (e.g. the `socketio-redis` adapter): from now on
    /// broadcasts, room operations and fetches of every namespace also reach the other nodes.
    /// A server joins one cluster, once; returns false if it already had one.
    pub fn attach_cluster(&self, cluster: Arc<dyn Cluster>) -> bool {
        if self.inner.cluster.set(cluster.clone()).is_err() {
            return false;
        }
        let namespaces: Vec<Arc<Namespace>> = self
            .inner
            .namespaces
            .read()
            .map(|n| n.values().cloned().collect())
            .unwrap_or_default();
        for ns in &namespaces {
            join_cluster(ns, &cluster);
        }
        true
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
