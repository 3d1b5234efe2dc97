//! Broadcasts: one packet encoded once, its bytes shared by every receiver. With a cluster
//! attached, the same broadcast is also handed to it for the other nodes (unless `local`), and
//! a fetch finds the other nodes' sockets too ([`FetchedSocket`], [`RemoteSocket`]).

use super::args::IntoPayload;
use super::cluster::{Cluster, ClusterBroadcast, ClusterError, ClusterOp, SocketInfo};
use super::command::lane_owner;
use super::error::{AckError, EmitError};
use super::namespace::Namespace;
use super::room::{Room, Selector};
use super::socket::Socket;
use crate::proto::{is_reserved_event, Audience, Payload};
use std::sync::Arc;
use std::time::Duration;

/// Where broadcasts start: a namespace reaches its sockets.
impl Namespace {
    /// A broadcast to every socket of the namespace; narrow it with `to`, `except`...
    pub fn broadcast(self: &Arc<Self>) -> BroadcastOperator {
        BroadcastOperator::new(self.clone())
    }

    /// A broadcast to a room.
    pub fn to(self: &Arc<Self>, room: &str) -> BroadcastOperator {
        self.broadcast().to(room)
    }
}

/// Where broadcasts start: a socket reaches the others of its namespace.
impl Socket {
    /// A broadcast to every other socket of the namespace.
    pub fn broadcast(&self) -> BroadcastOperator {
        self.namespace().broadcast().except(self.id())
    }

    /// A broadcast to a room, without this socket (Node's `socket.to(room)`).
    pub fn to(&self, room: &str) -> BroadcastOperator {
        self.broadcast().to(room)
    }
}

/// Selects sockets of a namespace (`to`, `except`) and sends to them.
#[derive(Clone, Debug)]
pub struct BroadcastOperator {
    namespace: Arc<Namespace>,
    selector: Selector,
    volatile: bool,
    local: bool,
    timeout: Option<Duration>,
}

/// What a broadcast did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BroadcastReport {
    /// Sockets it was queued for.
    pub sent: usize,
    /// Sockets whose send buffer was full (dropped for a volatile broadcast).
    pub full: usize,
}

impl BroadcastOperator {
    pub(crate) fn new(namespace: Arc<Namespace>) -> Self {
        Self {
            namespace,
            selector: Selector::default(),
            volatile: false,
            local: false,
            timeout: None,
        }
    }

    /// Adds a room to reach (sockets in any of the rooms are reached).
    pub fn to(mut self, room: &str) -> Self {
        self.selector.rooms.push(Room::from(room));
        self
    }

    /// Same as [`BroadcastOperator::to`].
    pub fn within(self, room: &str) -> Self {
        self.to(room)
    }

    /// Excludes the sockets of a room (or one socket, by its id).
    pub fn except(mut self, room: &str) -> Self {
        self.selector.except.push(Room::from(room));
        self
    }

    /// Only this node: the cluster (if one is attached) is not told.
    pub fn local(mut self) -> Self {
        self.local = true;
        self
    }

    /// Drops the packet for sockets whose send buffer is full, instead of reporting them.
    pub fn volatile(mut self) -> Self {
        self.volatile = true;
        self
    }

    /// The deadline of [`BroadcastOperator::emit_with_ack`].
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// The cluster to tell, unless this broadcast is local or there is none.
    fn cluster(&self) -> Option<&Arc<dyn Cluster>> {
        match self.local {
            true => None,
            false => self.namespace.adapter().cluster().get(),
        }
    }

    /// The request timeout: the one set with [`BroadcastOperator::timeout`], else 5 s.
    fn timeout_or_default(&self) -> Duration {
        self.timeout.unwrap_or(Duration::from_secs(5))
    }

    /// The selected sockets on this node.
    pub fn fetch_sockets(&self) -> Vec<Socket> {
        self.namespace.adapter().select(&self.selector)
    }

    /// The selected sockets on every node: this node's, then those the other nodes report
    /// before the timeout (5 s unless set with [`BroadcastOperator::timeout`]). Fails, as Node
    /// does, when a node did not answer in time or the cluster is unreachable.
    pub async fn fetch_all_sockets(&self) -> Result<Vec<FetchedSocket>, ClusterError> {
        let mut sockets: Vec<FetchedSocket> = self
            .fetch_sockets()
            .into_iter()
            .map(FetchedSocket::Local)
            .collect();
        if let Some(cluster) = self.cluster() {
            let remote = cluster
                .fetch_sockets(
                    self.namespace.name(),
                    &self.selector,
                    self.timeout_or_default(),
                )
                .await?;
            sockets.extend(
                remote
                    .into_iter()
                    .map(|info| remote_socket(&self.namespace, info)),
            );
        }
        Ok(sockets)
    }

    /// Emits to every selected socket; the packet is encoded once. The report counts this
    /// node's sockets.
    pub fn emit(&self, name: &str, args: impl IntoPayload) -> Result<BroadcastReport, EmitError> {
        let args = args.into_payload();
        let report = deliver(&self.namespace, &self.selector, self.volatile, name, &args)?;
        if let Some(cluster) = self.cluster() {
            cluster.broadcast(self.namespace.name(), &self.to_cluster(name, args));
        }
        Ok(report)
    }

    fn to_cluster(&self, name: &str, args: Payload) -> ClusterBroadcast {
        ClusterBroadcast {
            selector: self.selector.clone(),
            volatile: self.volatile,
            event: name.to_owned(),
            args,
        }
    }

    /// Emits to every selected socket and collects their acknowledgements until the timeout
    /// (5 s unless set with [`BroadcastOperator::timeout`]): one result per socket.
    ///
    /// With a cluster, the other nodes' clients are included; their ids are empty (the Node
    /// adapter's wire format does not carry them), each answer holds the first argument of the
    /// client's acknowledgement, and clients that did not answer in time count as
    /// [`AckError::Timeout`].
    pub async fn emit_with_ack(
        &self,
        name: &str,
        args: impl IntoPayload,
    ) -> Vec<(String, Result<Payload, AckError>)> {
        let timeout = self.timeout_or_default();
        let payload = args.into_payload();
        let sockets = self.fetch_sockets();
        let waits = sockets.iter().map(|s| {
            let payload = payload.clone();
            async move {
                (
                    s.id().to_owned(),
                    s.emit_with_ack(name, payload, timeout).await,
                )
            }
        });
        let cluster = match self.cluster() {
            Some(cluster) if !is_reserved_event(name) => cluster,
            _ => return join_all(waits).await,
        };
        let remote = cluster.broadcast_with_ack(
            self.namespace.name(),
            &self.to_cluster(name, payload.clone()),
            timeout,
        );
        let (mut results, remote) = tokio::join!(join_all(waits), remote);
        if let Ok(remote) = remote {
            results.extend(remote.acks.into_iter().map(|a| (String::new(), Ok(a))));
            results.extend((0..remote.missing).map(|_| (String::new(), Err(AckError::Timeout))));
        }
        results
    }

    /// Makes the selected sockets (of every node) join a room.
    pub fn join(&self, room: &str) {
        for s in self.fetch_sockets() {
            s.join(room);
        }
        self.tell_cluster(|| ClusterOp::Join(vec![Room::from(room)]));
    }

    /// Makes the selected sockets (of every node) leave a room.
    pub fn leave(&self, room: &str) {
        for s in self.fetch_sockets() {
            s.leave(room);
        }
        self.tell_cluster(|| ClusterOp::Leave(vec![Room::from(room)]));
    }

    /// Disconnects the selected sockets of every node (with `close`, their whole connections).
    pub fn disconnect_sockets(&self, close: bool) {
        for s in self.fetch_sockets() {
            s.disconnect(close);
        }
        self.tell_cluster(|| ClusterOp::Disconnect { close });
    }

    /// Has the other nodes apply an operation (built only when there is a cluster to tell).
    fn tell_cluster(&self, op: impl FnOnce() -> ClusterOp) {
        if let Some(cluster) = self.cluster() {
            cluster.apply(self.namespace.name(), &self.selector, &op());
        }
    }
}

/// Sends an event to the sockets of this node that `selector` reaches, encoded once (and, with
/// recovery on, stored once with its offset).
pub(crate) fn deliver(
    namespace: &Namespace,
    selector: &Selector,
    volatile: bool,
    name: &str,
    args: &Payload,
) -> Result<BroadcastReport, EmitError> {
    let audience = || Audience {
        rooms: selector.rooms.clone(),
        except: selector.except.clone(),
    };
    namespace.encode_and_deliver(audience, volatile, name, args, |packet| {
        let mut report = BroadcastReport::default();
        // Outgoing handlers run once the adapter's lock is released (they may use rooms).
        let mut observed = Vec::new();
        // One look at this thread's lane for all the receivers (one of them may be the sender's
        // own connection, whose handlers run now).
        let lane = lane_owner();
        namespace.adapter().for_each(selector, |socket| {
            if socket.observes_outgoing() {
                observed.push(socket.clone());
            }
            match socket.send_encoded(&packet, volatile, lane) {
                Ok(()) => report.sent += 1,
                Err(EmitError::Full) => report.full += 1,
                Err(_) => {}
            }
        });
        for socket in observed {
            socket.notify_outgoing(name, args);
        }
        report
    })
}

/// A socket found by [`BroadcastOperator::fetch_all_sockets`]:
/// on this node, or on another one.
#[derive(Clone, Debug)]
pub enum FetchedSocket {
    /// A socket of this node.
    Local(Socket),
    /// A socket of another node, reached through the cluster.
    Remote(RemoteSocket),
}

impl FetchedSocket {
    /// The socket id.
    pub fn id(&self) -> &str {
        match self {
            FetchedSocket::Local(s) => s.id(),
            FetchedSocket::Remote(r) => &r.info.id,
        }
    }

    /// Its rooms (its own id included).
    pub fn rooms(&self) -> Vec<Room> {
        match self {
            FetchedSocket::Local(s) => s.rooms(),
            FetchedSocket::Remote(r) => r.info.rooms.clone(),
        }
    }

    /// Whether it lives on this node.
    pub fn is_local(&self) -> bool {
        matches!(self, FetchedSocket::Local(_))
    }
}

/// A socket of another node: what it looked like when fetched, and ways to act on it through
/// the cluster.
#[derive(Clone, Debug)]
pub struct RemoteSocket {
    /// What the other node said about it.
    pub info: SocketInfo,
    namespace: Arc<Namespace>,
}

impl RemoteSocket {
    /// Emits an event to it (through the cluster; no acknowledgement).
    pub fn emit(&self, name: &str, args: impl IntoPayload) -> Result<BroadcastReport, EmitError> {
        self.namespace.to(&self.info.id).emit(name, args)
    }

    /// Makes it join a room.
    pub fn join(&self, room: &str) {
        self.namespace.to(&self.info.id).join(room)
    }

    /// Makes it leave a room.
    pub fn leave(&self, room: &str) {
        self.namespace.to(&self.info.id).leave(room)
    }

    /// Disconnects it (with `close`, its whole connection).
    pub fn disconnect(&self, close: bool) {
        self.namespace.to(&self.info.id).disconnect_sockets(close)
    }
}

pub(crate) fn remote_socket(namespace: &Arc<Namespace>, info: SocketInfo) -> FetchedSocket {
    FetchedSocket::Remote(RemoteSocket {
        info,
        namespace: namespace.clone(),
    })
}

/// Runs futures concurrently and collects their outputs in order (a small `join_all`).
async fn join_all<F: std::future::Future>(futures: impl IntoIterator<Item = F>) -> Vec<F::Output> {
    let mut futures: Vec<_> = futures.into_iter().map(Box::pin).collect();
    let mut outputs: Vec<Option<F::Output>> = futures.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (f, out) in futures.iter_mut().zip(outputs.iter_mut()) {
            if out.is_none() {
                match f.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => *out = Some(v),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    outputs.into_iter().flatten().collect()
}
