//! Scaling past one node: the [`Cluster`] interface an adapter crate implements, and the
//! [`LocalNode`] handle through which that adapter hands the other nodes' work to this one.
//!
//! With no cluster attached nothing here runs: a namespace's slot stays empty and every
//! broadcast stays in memory. Attached ([`SocketIo::attach_cluster`]), each broadcast that is not
//! [`local`](super::BroadcastOperator::local) is delivered here *and* handed to
//! [`Cluster::broadcast`]; the adapter carries it to the other nodes, which deliver it to their
//! own sockets through their [`LocalNode`]. Requests (fetch sockets, join, leave, disconnect,
//! server-side emits, broadcasts with acknowledgements) go the same way and come back as typed
//! answers.
//!
//! ```text
//!  node A: ns.to("room").emit(..) ──> local sockets
//!                     │
//!                     └─> Cluster::broadcast ──(Redis)──> node B's adapter ──> LocalNode::broadcast ──> B's sockets
//! ```
//!
//! This file is the interface and its data only; `node.rs` carries the work out on this node.
//!
//! [`SocketIo::attach_cluster`]: super::SocketIo::attach_cluster

use super::room::{Room, Selector};
use crate::proto::Payload;
use std::any::Any;
use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, OnceLock, RwLock, Weak};
use std::time::Duration;

/// A boxed future of a cluster request.
pub type ClusterFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// Handles a server-side emit from another node: the arguments after the event name, and the
/// acknowledgement to send when the emitting node asked for one.
pub type ServerSideHandler = Arc<dyn Fn(Vec<serde_json::Value>, Option<ServerAck>) + Send + Sync>;

/// Carries one node's cluster work to the other nodes (a Redis adapter, for instance).
///
/// Calls that return nothing must not block: queue the message and send it from a task.
/// Namespace names are the full names (`/`, `/chat`).
pub trait Cluster: Send + Sync {
    /// A namespace exists on this node: start taking the other nodes' work for it and hand it
    /// to `node`.
    fn add_namespace(&self, node: LocalNode);

    /// A broadcast made on this node (already delivered to this node's sockets).
    fn broadcast(&self, nsp: &str, broadcast: &ClusterBroadcast);

    /// A broadcast asking every reached client for an acknowledgement: resolves with the other
    /// nodes' acknowledgements once all arrived, or at `timeout` with what came.
    fn broadcast_with_ack(
        &self,
        nsp: &str,
        broadcast: &ClusterBroadcast,
        timeout: Duration,
    ) -> ClusterFuture<Result<RemoteAcks, ClusterError>>;

    /// The sockets of the other nodes that `selector` reaches.
    fn fetch_sockets(
        &self,
        nsp: &str,
        selector: &Selector,
        timeout: Duration,
    ) -> ClusterFuture<Result<Vec<SocketInfo>, ClusterError>>;

    /// Makes the other nodes apply `op` to their sockets that `selector` reaches.
    fn apply(&self, nsp: &str, selector: &Selector, op: &ClusterOp);

    /// Emits `data` (`[event name, args...]`) to the other nodes' server-side handlers.
    fn server_side_emit(&self, nsp: &str, data: &[serde_json::Value]);

    /// Emits `data` to the other nodes' server-side handlers and collects one answer per node.
    fn server_side_emit_with_ack(
        &self,
        nsp: &str,
        data: &[serde_json::Value],
        timeout: Duration,
    ) -> ClusterFuture<Result<Vec<serde_json::Value>, ClusterError>>;

    /// Connection state recovery across nodes: a client came back to this node with the
    /// private session id `pid` of a session this node does not keep, and the last `offset` it
    /// got. Ask the other nodes ([`LocalNode::take_session`] on each) and resolve with the one
    /// that kept it, within `timeout`. The default says no at once: recovery stays on the node
    /// where the session was kept (as with Node's pub/sub adapters).
    fn restore_session(
        &self,
        nsp: &str,
        pid: &str,
        offset: &str,
        timeout: Duration,
    ) -> ClusterFuture<Option<ClusterSession>> {
        let _ = (nsp, pid, offset, timeout);
        Box::pin(async { None })
    }
}

/// A kept session handed from the node that kept it to the node its client came back to
/// ([`Cluster::restore_session`], [`LocalNode::take_session`]).
#[derive(Clone, Debug, PartialEq)]
pub struct ClusterSession {
    /// The socket id, which the restored socket keeps.
    pub sid: String,
    /// The private session id.
    pub pid: String,
    /// Its rooms (its own id included).
    pub rooms: Vec<Room>,
    /// The claims its node verified (a JWT's, or the application's check's); `None` for a
    /// namespace without authentication. A JWT the client sends again is verified again here.
    pub claims: Option<serde_json::Map<String, serde_json::Value>>,
    /// When those claims expire, seconds since the epoch.
    pub expires_at: Option<u64>,
    /// The packets it missed, oldest first: each Socket.IO text and its binary attachments, as
    /// they go on the wire (offsets included). A packet of the MessagePack parser is an empty
    /// text and its one binary message (see [`Encoded::into_parts`](crate::proto::Encoded::into_parts)).
    pub missed: Vec<(String, Vec<bytes::Bytes>)>,
}

/// A broadcast to deliver on another node: which sockets, and the event.
#[derive(Clone, Debug, PartialEq)]
pub struct ClusterBroadcast {
    /// The rooms to reach and to skip.
    pub selector: Selector,
    /// Drop the packet for clients whose send buffer is full.
    pub volatile: bool,
    /// The event name.
    pub event: String,
    /// The event's arguments (binary included).
    pub args: Payload,
}

/// What the other nodes' clients answered to a broadcast with acknowledgement.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RemoteAcks {
    /// One payload per client that answered (the first argument of its acknowledgement, which
    /// is all the Node adapter carries).
    pub acks: Vec<Payload>,
    /// Clients that were sent the event but did not answer before the timeout.
    pub missing: usize,
}

/// A socket on some node, as the cluster describes it (Node's `RemoteSocket` fields).
#[derive(Clone, Debug, PartialEq)]
pub struct SocketInfo {
    /// The socket id.
    pub id: String,
    /// Its rooms (its own id included).
    pub rooms: Vec<Room>,
    /// The handshake: `headers`, `address`, `query`, `auth`, ... (credentials left out).
    pub handshake: serde_json::Value,
    /// The socket's data (`{"claims": {...}}` for an authenticated socket of ours).
    pub data: serde_json::Value,
}

/// Something to do to the selected sockets of every node.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClusterOp {
    /// Join these rooms.
    Join(Vec<Room>),
    /// Leave these rooms.
    Leave(Vec<Room>),
    /// Disconnect (with `close`, the whole connection).
    Disconnect {
        /// Close the underlying connection too.
        close: bool,
    },
}

/// Why a cluster request failed.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClusterError {
    /// The cluster's transport is unreachable (e.g. Redis is down): nothing was asked.
    Unavailable(String),
    /// Not every node answered before the timeout.
    Timeout {
        /// Nodes that answered.
        answered: usize,
        /// Nodes that were expected to.
        expected: usize,
    },
}

impl fmt::Display for ClusterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClusterError::Unavailable(why) => write!(f, "cluster unavailable: {why}"),
            ClusterError::Timeout { answered, expected } => write!(
                f,
                "timeout reached: only {answered} responses received out of {expected}"
            ),
        }
    }
}

impl std::error::Error for ClusterError {}

/// The acknowledgement of a server-side emit another node asked for. Send it at most once.
pub struct ServerAck {
    reply: Box<dyn FnOnce(serde_json::Value) + Send>,
}

impl fmt::Debug for ServerAck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerAck").finish_non_exhaustive()
    }
}

impl ServerAck {
    /// An acknowledgement that calls `reply` with the answer (for cluster implementations).
    pub fn new(reply: impl FnOnce(serde_json::Value) + Send + 'static) -> Self {
        Self {
            reply: Box::new(reply),
        }
    }

    /// Answers the emitting node.
    pub fn send(self, value: serde_json::Value) {
        (self.reply)(value)
    }
}

/// A namespace's link to the cluster: empty (and free) until a cluster is attached.
#[derive(Default)]
pub(crate) struct ClusterSlot {
    cluster: OnceLock<Arc<dyn Cluster>>,
    handlers: RwLock<HashMap<String, ServerSideHandler>>,
}

impl ClusterSlot {
    pub(crate) fn get(&self) -> Option<&Arc<dyn Cluster>> {
        self.cluster.get()
    }

    /// Sets the cluster; false if one was set already.
    pub(crate) fn set(&self, cluster: Arc<dyn Cluster>) -> bool {
        self.cluster.set(cluster).is_ok()
    }

    /// The handler of server-side emits named `name`.
    pub(crate) fn handler(&self, name: &str) -> Option<ServerSideHandler> {
        self.handlers.read().ok().and_then(|h| h.get(name).cloned())
    }

    /// Sets the handler of server-side emits named `name` (replacing an earlier one).
    pub(crate) fn set_handler(&self, name: &str, handler: ServerSideHandler) {
        if let Ok(mut handlers) = self.handlers.write() {
            handlers.insert(name.to_owned(), handler);
        }
    }
}

/// What a cluster implementation uses to carry out, on this node, work that came from another
/// node. Holds the namespace weakly: once the server is gone, every call does nothing.
#[derive(Clone)]
pub struct LocalNode {
    pub(super) name: Arc<str>,
    /// The runtime's `Namespace`, type-erased so that this interface imports none of the
    /// runtime's types (`node.rs` makes it and gets it back).
    pub(super) namespace: Weak<dyn Any + Send + Sync>,
}

impl fmt::Debug for LocalNode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalNode")
            .field("nsp", &self.name)
            .finish_non_exhaustive()
    }
}

impl LocalNode {
    /// The namespace name.
    pub fn nsp(&self) -> &str {
        &self.name
    }
}
