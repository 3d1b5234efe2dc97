//! [`RedisAdapter`]: one node's side of the Node Redis adapter protocol.

use crate::link::Link;
use crate::metrics::{Counters, Metrics};
use crate::pending::{acks_result, answers_result, sockets_result, Collecting, Pending};
use crate::uid::uid;
use crate::wire::{self, Channels, Request, Response};
use futures_util::StreamExt;
use redis::Msg;
use socketio::runtime::{
    Cluster, ClusterBroadcast, ClusterError, ClusterFuture, ClusterOp, LocalNode, RemoteAcks,
    Selector, ServerAck, SocketInfo,
};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, RwLock, Weak};
use std::time::Duration;
use tokio::sync::{mpsc, watch};

/// Settings of a [`RedisAdapter`]; the defaults are the Node adapter's.
#[derive(Clone, Debug)]
pub struct RedisAdapterConfig {
    /// The channel prefix (`key` in Node). Default `socket.io`.
    pub key: String,
    /// How long cross-node requests wait for answers when the caller set no timeout
    /// (`requestsTimeout`). Default 5 s.
    pub requests_timeout: Duration,
    /// Answer requests on the requester's own channel `key-response#nsp#uid#` rather than the
    /// shared one (`publishOnSpecificResponseChannel`). Default false, as in Node.
    pub publish_on_specific_response_channel: bool,
    /// Cluster messages that may wait to be published; beyond that they are dropped (and
    /// counted). Default 10 000.
    pub send_queue: usize,
}

impl Default for RedisAdapterConfig {
    fn default() -> Self {
        Self {
            key: "socket.io".to_owned(),
            requests_timeout: Duration::from_secs(5),
            publish_on_specific_response_channel: false,
            send_queue: 10_000,
        }
    }
}

/// The subscription connection's state, as [`RedisAdapter::wait_subscribed`] sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Subscription {
    /// Not connected (yet, or any more).
    Down,
    /// Connected, subscribed to the channels of this many namespaces.
    Up { namespaces: usize },
}

/// One namespace's channels and local handle.
struct Nsp {
    channels: Channels,
    node: LocalNode,
}

struct Inner {
    uid: String,
    config: RedisAdapterConfig,
    link: Arc<Link>,
    counters: Arc<Counters>,
    namespaces: RwLock<HashMap<String, Arc<Nsp>>>,
    pending: Pending,
    /// Tells the subscriber a namespace was added.
    added: mpsc::UnboundedSender<()>,
    /// Written with `send_replace`, never `send`: `send` drops the value when no receiver
    /// exists at that moment, and [`RedisAdapter::wait_subscribed`] subscribes only when
    /// called, often after the subscription was made.
    status: watch::Sender<Subscription>,
}

/// A [`Cluster`] over Redis pub/sub, wire-compatible with Node's `@socket.io/redis-adapter`
/// (and `@socket.io/redis-emitter`): Rust and Node servers on one Redis form one cluster.
///
/// ```no_run
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// use socketio::runtime::{SocketIo, SocketIoConfig};
/// use socketio_redis::{RedisAdapter, RedisAdapterConfig};
///
/// let io = SocketIo::new(SocketIoConfig::default());
/// let client = redis::Client::open("redis://127.0.0.1:6379/")?;
/// let adapter = RedisAdapter::new(client, RedisAdapterConfig::default());
/// io.attach_cluster(adapter.clone());
/// adapter.wait_subscribed(std::time::Duration::from_secs(5)).await;
/// io.of("/").to("room").emit("hello", "every node")?;
/// # Ok(()) }
/// ```
///
/// Two connections to Redis: one subscribes (made again whenever it is lost, with every
/// namespace's channels), one publishes (through a queue, so an emit never waits on Redis).
/// While Redis is unreachable the node keeps serving its own clients; what it could not send
/// is logged once per outage and counted in [`RedisAdapter::metrics`].
pub struct RedisAdapter {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for RedisAdapter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisAdapter")
            .field("uid", &self.inner.uid)
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

impl RedisAdapter {
    /// An adapter on `client` (e.g. `redis::Client::open("redis://127.0.0.1/")`). Starts its
    /// tasks at once (call it inside a tokio runtime); connecting happens in the background.
    pub fn new(client: redis::Client, config: RedisAdapterConfig) -> Arc<Self> {
        let counters = Arc::new(Counters::default());
        let link = Link::start(client, counters.clone(), config.send_queue);
        let (added, added_rx) = mpsc::unbounded_channel();
        let (status, _) = watch::channel(Subscription::Down);
        let inner = Arc::new(Inner {
            uid: uid(6),
            config,
            link,
            counters,
            namespaces: RwLock::new(HashMap::new()),
            pending: Pending::default(),
            added,
            status,
        });
        tokio::spawn(subscribe_loop(Arc::downgrade(&inner), added_rx));
        Arc::new(Self { inner })
    }

    /// This node's uid (messages carrying it are its own, and ignored when they come back).
    pub fn uid(&self) -> &str {
        &self.inner.uid
    }

    /// The adapter's counters.
    pub fn metrics(&self) -> Metrics {
        self.inner.counters.snapshot()
    }

    /// Waits until every namespace added so far is subscribed on a live connection, at most
    /// `timeout`. Returns whether it is.
    pub async fn wait_subscribed(&self, timeout: Duration) -> bool {
        let mut status = self.inner.status.subscribe();
        let wanted = || self.inner.namespace_count();
        tokio::time::timeout(timeout, async {
            loop {
                if matches!(*status.borrow_and_update(), Subscription::Up { namespaces } if namespaces >= wanted())
                {
                    return;
                }
                if status.changed().await.is_err() {
                    std::future::pending::<()>().await;
                }
            }
        })
        .await
        .is_ok()
    }
}

impl Inner {
    fn namespace_count(&self) -> usize {
        self.namespaces.read().map(|n| n.len()).unwrap_or(0)
    }

    fn nsp(&self, name: &str) -> Option<Arc<Nsp>> {
        self.namespaces.read().ok()?.get(name).cloned()
    }

    fn all(&self) -> Vec<Arc<Nsp>> {
        self.namespaces
            .read()
            .map(|n| n.values().cloned().collect())
            .unwrap_or_default()
    }

    fn channels(&self, nsp: &str) -> Channels {
        match self.nsp(nsp) {
            Some(n) => n.channels.clone(),
            None => Channels::new(&self.config.key, nsp, &self.uid),
        }
    }

    fn malformed(&self, what: &str, why: &str) {
        if Counters::bump(&self.counters.malformed) <= 10 {
            eprintln!("socketio-redis: ignored a malformed {what} from Redis: {why}");
        }
    }

    /// A message from a subscribed channel.
    fn on_message(&self, msg: &Msg) {
        Counters::bump(&self.counters.received);
        let channel = msg.get_channel_name();
        let payload = msg.get_payload_bytes();
        if msg.from_pattern() {
            let pattern: String = msg.get_pattern().unwrap_or_default();
            let nsp = self
                .all()
                .into_iter()
                .find(|n| n.channels.pattern == pattern);
            if let Some(nsp) = nsp {
                self.on_broadcast(&nsp, payload);
            }
            return;
        }
        for nsp in self.all() {
            if channel == nsp.channels.request {
                return self.on_request(&nsp, payload);
            }
            if channel == nsp.channels.response || channel == nsp.channels.own_response {
                return self.on_response(payload);
            }
        }
    }

    fn on_broadcast(&self, nsp: &Nsp, payload: &[u8]) {
        match wire::decode_broadcast(payload) {
            Ok(m) if m.uid == self.uid => {
                Counters::bump(&self.counters.own_ignored);
            }
            Ok(m) if m.nsp == nsp.node.nsp() => {
                nsp.node.broadcast(&m.broadcast);
            }
            Ok(_) => {}
            Err(e) => self.malformed("broadcast", &e.0),
        }
    }

    fn respond(&self, nsp: &Nsp, requester: Option<&str>, response: Vec<u8>) {
        let channel = nsp
            .channels
            .response_to(requester, self.config.publish_on_specific_response_channel);
        self.link.enqueue(channel, response);
    }

    fn on_request(&self, nsp: &Nsp, payload: &[u8]) {
        let (uid, request) = match wire::decode_request(payload) {
            Ok(r) => r,
            Err(e) => return self.malformed("request", &e.0),
        };
        if uid.as_deref() == Some(self.uid.as_str()) {
            Counters::bump(&self.counters.own_ignored);
            return;
        }
        let node = &nsp.node;
        let requester = uid.as_deref();
        match request {
            Request::Sockets { request_id, rooms } => {
                let selector = Selector {
                    rooms,
                    except: Vec::new(),
                };
                let ids = node.sockets(&selector).into_iter().map(|s| s.id).collect();
                self.respond(nsp, requester, wire::sockets_response(&request_id, ids));
            }
            Request::AllRooms { request_id } => {
                self.respond(
                    nsp,
                    requester,
                    wire::rooms_response(&request_id, &node.rooms()),
                );
            }
            Request::Apply {
                selector,
                op,
                request_id,
            } => {
                let found = request_id.is_none() || !node.sockets(&selector).is_empty();
                node.apply(&selector, &op);
                if let (Some(id), true) = (request_id, found) {
                    self.respond(nsp, requester, wire::done_response(&id));
                }
            }
            Request::Fetch {
                request_id,
                selector,
            } => {
                let sockets = node.sockets(&selector);
                self.respond(nsp, requester, wire::fetch_response(&request_id, sockets));
            }
            Request::ServerSideEmit { request_id, data } => {
                let ack = request_id.map(|id| {
                    // Node answers server-side emits on the shared response channel.
                    let link = self.link.clone();
                    let channel = nsp.channels.response.clone();
                    ServerAck::new(move |answer| {
                        link.enqueue(channel, wire::server_side_emit_response(&id, answer))
                    })
                });
                node.server_side_emit(data, ack);
            }
            Request::Broadcast {
                request_id,
                nsp: packet_nsp,
                broadcast,
                timeout,
            } => {
                if packet_nsp != node.nsp() {
                    return;
                }
                let timeout = timeout.unwrap_or(self.config.requests_timeout);
                let (count, mut acks) = node.broadcast_with_ack(&broadcast, timeout);
                self.respond(
                    nsp,
                    requester,
                    wire::client_count_response(&request_id, count),
                );
                let link = self.link.clone();
                let channel = nsp
                    .channels
                    .response_to(requester, self.config.publish_on_specific_response_channel);
                tokio::spawn(async move {
                    while let Some(ack) = acks.recv().await {
                        link.enqueue(channel.clone(), wire::ack_response(&request_id, &ack));
                    }
                });
            }
        }
    }

    fn on_response(&self, payload: &[u8]) {
        let response = match wire::decode_response(payload) {
            Ok(r) => r,
            Err(e) => return self.malformed("response", &e.0),
        };
        match response {
            Response::Sockets {
                request_id,
                sockets,
            } => {
                self.pending.update(&request_id, |c| {
                    if let Collecting::Sockets {
                        answered,
                        sockets: all,
                        ..
                    } = c
                    {
                        *answered += 1;
                        all.extend(sockets.into_iter().filter_map(wire::read_socket));
                    }
                });
            }
            Response::ServerSideEmit { request_id, answer } => {
                self.pending.update(&request_id, |c| {
                    if let Collecting::ServerAnswers { answers, .. } = c {
                        answers.push(answer);
                    }
                });
            }
            Response::ClientCount { request_id, count } => {
                self.pending.update(&request_id, |c| {
                    if let Collecting::ClientAcks {
                        counted, clients, ..
                    } = c
                    {
                        *counted += 1;
                        *clients += usize::try_from(count).unwrap_or(usize::MAX);
                    }
                });
            }
            Response::Ack { request_id, arg } => {
                self.pending.update(&request_id, |c| {
                    if let Collecting::ClientAcks { acks, .. } = c {
                        acks.push(wire::ack_payload(arg));
                    }
                });
            }
            // Answers to requests this adapter never sends.
            Response::Rooms { .. } | Response::Done { .. } => {}
        }
    }

    /// Publishes request `message` after registering `collecting` for the other nodes'
    /// answers (`None` when no other node listens), then waits for them, at most `timeout`.
    async fn ask(
        &self,
        nsp: &str,
        make: impl FnOnce(&str) -> Result<Vec<u8>, ClusterError>,
        collecting: impl FnOnce(usize) -> Collecting,
        timeout: Duration,
    ) -> Result<Option<Collecting>, ClusterError> {
        let channels = self.channels(nsp);
        let others = self.link.numsub(&channels.request).await?.saturating_sub(1);
        if others == 0 {
            return Ok(None);
        }
        let id = uid(6);
        let message = make(&id)?;
        let done = self.pending.insert(&id, collecting(others));
        if let Err(e) = self.link.publish(&channels.request, &message).await {
            self.pending.take(&id);
            return Err(e);
        }
        let _ = tokio::time::timeout(timeout, done).await;
        Ok(self.pending.take(&id))
    }
}

impl Cluster for RedisAdapter {
    fn add_namespace(&self, node: LocalNode) {
        let name = node.nsp().to_owned();
        let channels = Channels::new(&self.inner.config.key, &name, &self.inner.uid);
        if let Ok(mut namespaces) = self.inner.namespaces.write() {
            namespaces.insert(name, Arc::new(Nsp { channels, node }));
        }
        let _ = self.inner.added.send(());
    }

    fn broadcast(&self, nsp: &str, broadcast: &ClusterBroadcast) {
        let channels = self.inner.channels(nsp);
        match wire::encode_broadcast(&self.inner.uid, nsp, broadcast) {
            Ok(message) => self
                .inner
                .link
                .enqueue(channels.broadcast_for(&broadcast.selector), message),
            Err(e) => self.inner.malformed("outgoing broadcast", &e.0),
        }
    }

    fn broadcast_with_ack(
        &self,
        nsp: &str,
        broadcast: &ClusterBroadcast,
        timeout: Duration,
    ) -> ClusterFuture<Result<RemoteAcks, ClusterError>> {
        let inner = self.inner.clone();
        let (nsp, broadcast) = (nsp.to_owned(), broadcast.clone());
        Box::pin(async move {
            let collected = inner
                .ask(
                    &nsp,
                    |id| {
                        wire::broadcast_request(&inner.uid, id, &nsp, &broadcast, timeout)
                            .map_err(|e| ClusterError::Unavailable(e.0))
                    },
                    |expected| Collecting::ClientAcks {
                        expected,
                        counted: 0,
                        clients: 0,
                        acks: Vec::new(),
                    },
                    timeout,
                )
                .await?;
            Ok(acks_result(collected))
        })
    }

    fn fetch_sockets(
        &self,
        nsp: &str,
        selector: &Selector,
        timeout: Duration,
    ) -> ClusterFuture<Result<Vec<SocketInfo>, ClusterError>> {
        let inner = self.inner.clone();
        let (nsp, selector) = (nsp.to_owned(), selector.clone());
        Box::pin(async move {
            let collected = inner
                .ask(
                    &nsp,
                    |id| Ok(wire::fetch_request(&inner.uid, id, &selector)),
                    |expected| Collecting::Sockets {
                        expected,
                        answered: 0,
                        sockets: Vec::new(),
                    },
                    timeout,
                )
                .await?;
            sockets_result(collected)
        })
    }

    fn apply(&self, nsp: &str, selector: &Selector, op: &ClusterOp) {
        let channels = self.inner.channels(nsp);
        self.inner.link.enqueue(
            channels.request,
            wire::apply_request(&self.inner.uid, selector, op),
        );
    }

    fn server_side_emit(&self, nsp: &str, data: &[serde_json::Value]) {
        let channels = self.inner.channels(nsp);
        self.inner.link.enqueue(
            channels.request,
            wire::server_side_emit_request(&self.inner.uid, None, data),
        );
    }

    fn server_side_emit_with_ack(
        &self,
        nsp: &str,
        data: &[serde_json::Value],
        timeout: Duration,
    ) -> ClusterFuture<Result<Vec<serde_json::Value>, ClusterError>> {
        let inner = self.inner.clone();
        let (nsp, data) = (nsp.to_owned(), data.to_vec());
        Box::pin(async move {
            let collected = inner
                .ask(
                    &nsp,
                    |id| Ok(wire::server_side_emit_request(&inner.uid, Some(id), &data)),
                    |expected| Collecting::ServerAnswers {
                        expected,
                        answers: Vec::new(),
                    },
                    timeout,
                )
                .await?;
            answers_result(collected)
        })
    }
}

/// How often the subscription connection is checked with a PING.
const PING_EVERY: Duration = Duration::from_secs(5);
/// The longest wait between two connection attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(2);

/// Keeps one subscription connection with every namespace's channels, forever: made again
/// (with all channels) whenever it is lost. Ends when the adapter is dropped.
async fn subscribe_loop(inner: Weak<Inner>, mut added: mpsc::UnboundedReceiver<()>) {
    let mut backoff = Duration::from_millis(50);
    // True during an outage that was already logged.
    let mut outage = false;
    loop {
        let Some(client) = inner.upgrade().map(|i| i.link.client().clone()) else {
            return;
        };
        let connected =
            tokio::time::timeout(Duration::from_secs(2), client.get_async_pubsub()).await;
        match connected {
            Ok(Ok(pubsub)) => {
                let (mut sink, mut stream) = pubsub.split();
                let mut subscribed: HashSet<String> = HashSet::new();
                let mut ping = tokio::time::interval(PING_EVERY);
                ping.tick().await;
                let mut healthy = true;
                // Drain the "added" signals already in: the namespaces map is read whole.
                while added.try_recv().is_ok() {}
                match subscribe_new(&inner, &mut sink, &mut subscribed).await {
                    Ok(()) => {
                        backoff = Duration::from_millis(50);
                        if outage {
                            eprintln!("socketio-redis: subscribed to Redis again");
                        }
                    }
                    Err(()) => healthy = false,
                }
                while healthy {
                    tokio::select! {
                        msg = stream.next() => match (msg, inner.upgrade()) {
                            (Some(msg), Some(inner)) => inner.on_message(&msg),
                            (None, Some(_)) => healthy = false,
                            (_, None) => return,
                        },
                        signal = added.recv() => match signal {
                            Some(()) => {
                                if subscribe_new(&inner, &mut sink, &mut subscribed).await.is_err() {
                                    healthy = false;
                                }
                            }
                            None => return,
                        },
                        _ = ping.tick() => {
                            let pong = tokio::time::timeout(
                                Duration::from_secs(2),
                                sink.ping::<redis::Value>(),
                            )
                            .await;
                            if !matches!(pong, Ok(Ok(_))) {
                                healthy = false;
                            }
                        }
                    }
                }
                let Some(i) = inner.upgrade() else {
                    return;
                };
                i.status.send_replace(Subscription::Down);
                Counters::bump(&i.counters.reconnects);
                eprintln!(
                    "socketio-redis: lost the Redis subscription; reconnecting (local delivery goes on, messages from other nodes are missed meanwhile)"
                );
                outage = true;
            }
            Ok(Err(e)) => {
                if !outage {
                    eprintln!("socketio-redis: cannot subscribe to Redis: {e}; retrying");
                    outage = true;
                }
            }
            Err(_) => {
                if !outage {
                    eprintln!(
                        "socketio-redis: cannot subscribe to Redis: connection timed out; retrying"
                    );
                    outage = true;
                }
            }
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

/// Subscribes the channels of namespaces not subscribed yet.
async fn subscribe_new(
    inner: &Weak<Inner>,
    sink: &mut redis::aio::PubSubSink,
    subscribed: &mut HashSet<String>,
) -> Result<(), ()> {
    let Some(i) = inner.upgrade() else {
        return Err(());
    };
    let todo: Vec<Arc<Nsp>> = i
        .all()
        .into_iter()
        .filter(|n| !subscribed.contains(n.node.nsp()))
        .collect();
    drop(i);
    for nsp in todo {
        let c = &nsp.channels;
        sink.psubscribe(c.pattern.as_str()).await.map_err(|_| ())?;
        sink.subscribe(&[
            c.request.as_str(),
            c.response.as_str(),
            c.own_response.as_str(),
        ])
        .await
        .map_err(|_| ())?;
        subscribed.insert(nsp.node.nsp().to_owned());
    }
    if let Some(i) = inner.upgrade() {
        i.status.send_replace(Subscription::Up {
            namespaces: subscribed.len(),
        });
    }
    Ok(())
}
