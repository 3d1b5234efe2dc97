//! What a Socket.IO server's connections share: its settings ([`SocketIoConfig`]), its
//! namespaces (with the rules that create them on demand) and its cluster.

use super::cluster::Cluster;
use super::namespace::Namespace;
use super::node::join_cluster;
use super::observer::Observer;
use crate::proto::{self, AuthPolicies, Parser};
use engineio::runtime::{EngineConfig, SidGenerator};
use std::collections::HashMap;
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
    /// The Socket.IO connection: connect timeout (45 s by default), decoding limits and the
    /// parser (socket.io-parser by default; see [`SocketIoConfig::parser`]).
    pub connection: proto::Config,
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
            connection: proto::Config::default(),
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

    /// Sets the wire format every client of this server speaks ([`Parser::Json`] by default):
    /// [`Parser::MsgPack`] for clients built with npm `socket.io-msgpack-parser`. Clients with
    /// the other parser cannot connect (their first packet is a protocol error).
    pub fn parser(mut self, parser: Parser) -> Self {
        self.connection.parser = parser;
        self
    }

    /// Lets socket.io-client 2.x connect (Engine.IO v3, Socket.IO protocol revision 4; Node's
    /// `allowEIO3`). Off by default. They are served side by side with the other clients.
    pub fn allow_eio3(mut self, allow: bool) -> Self {
        self.engine.protocol.allow_eio3 = allow;
        self
    }

    /// Sets the connect timeout.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connection.connect_timeout = timeout;
        self
    }
}

/// What a server's connections share: its settings, its namespaces and its cluster.
pub(crate) struct IoInner {
    pub(crate) config: SocketIoConfig,
    pub(super) namespaces: RwLock<HashMap<String, Arc<Namespace>>>,
    pub(super) dynamic: RwLock<Vec<(NamespacePredicate, NamespaceSetup)>>,
    pub(crate) sids: SidGenerator,
    /// The cluster every namespace joins (none unless attached).
    pub(super) cluster: OnceLock<Arc<dyn Cluster>>,
    /// What watches every connection and namespace (the Admin UI; none unless instrumented).
    pub(crate) observer: OnceLock<Arc<dyn Observer>>,
    /// Tells a namespace's rooms' joins and leaves to the observer (set with it).
    pub(crate) room_watch: OnceLock<RoomWatch>,
}

/// Makes the room hook of a namespace (its name in hand) for the observer.
pub(crate) type RoomWatch = Arc<dyn Fn(&Arc<Namespace>) + Send + Sync>;

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
        let nsp = proto::Namespace::new(name).ok()?;
        let mut namespaces = self.namespaces.write().ok()?;
        if let Some(ns) = namespaces.get(name) {
            return Some(ns.clone());
        }
        let ns = Namespace::new(nsp, self.config.connection.parser);
        self.join_cluster(&ns);
        self.watch_rooms(&ns);
        setup(&ns);
        namespaces.insert(name.to_owned(), ns.clone());
        Some(ns)
    }

    /// Puts the observer's room hook on a new namespace (if there is an observer).
    pub(super) fn watch_rooms(&self, ns: &Arc<Namespace>) {
        if let Some(watch) = self.room_watch.get() {
            watch(ns);
        }
    }

    /// The registered namespace `name`; never creates one.
    #[cfg_attr(not(feature = "admin"), allow(dead_code))]
    pub(crate) fn existing_namespace(&self, name: &str) -> Option<Arc<Namespace>> {
        self.namespaces.read().ok()?.get(name).cloned()
    }

    /// Every registered namespace.
    pub(crate) fn all_namespaces(&self) -> Vec<Arc<Namespace>> {
        (self.namespaces.read())
            .map(|n| n.values().cloned().collect())
            .unwrap_or_default()
    }

    pub(super) fn join_cluster(&self, ns: &Arc<Namespace>) {
        if let Some(cluster) = self.cluster.get() {
            join_cluster(ns, cluster);
        }
    }
}
