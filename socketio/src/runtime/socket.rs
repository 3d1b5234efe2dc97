//! [`Socket`]: one client's connection to one namespace, as the application sees it.

use super::adapter::Member;
use super::args::IntoPayload;
use super::command::{
    send_ack, send_emit_with_ack, send_packet, send_shared_queued, submit, ConnCommand, ConnHandle,
};
use super::connect::{ConnectContext, DataMap};
use super::error::{AckError, EmitError};
use super::name_hash::NameHash;
use super::namespace::Namespace;
use super::room::Room;
use crate::proto::{self, Audience, DisconnectReason, Encoded, Identity, Payload, RawJson};
use engineio::proto::SendError;
use engineio::runtime::Handshake;
use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};
use tokio::sync::oneshot;

/// Handles one event: the socket, the arguments, and the acknowledgement to send if the client
/// asked for one.
pub type EventHandler = Arc<dyn Fn(&Socket, Payload, Option<AckSender>) + Send + Sync>;
/// Handles every event (before its own handler): the socket, the event name, the arguments.
pub type AnyHandler = Arc<dyn Fn(&Socket, &str, &Payload) + Send + Sync>;
/// Handles `disconnecting` / `disconnect`: the socket and why.
pub type DisconnectHandler = Arc<dyn Fn(&Socket, DisconnectReason) + Send + Sync>;

/// A socket's handlers. Shared, and copied on a change while a connection holds a copy
/// ([`HandlerCache`]).
#[derive(Default, Clone)]
struct Handlers {
    events: HashMap<String, EventHandler, NameHash>,
    any: Vec<AnyHandler>,
    any_outgoing: Vec<AnyHandler>,
    disconnecting: Vec<DisconnectHandler>,
    disconnect: Vec<DisconnectHandler>,
}

/// A connection's copy of one socket's handlers, for its own task: an event is dispatched from
/// it without the handlers' lock and without counting the handler it calls (four atomic
/// read-modify-writes fewer per event). It is taken again when the socket's handlers changed
/// (their version moved), so a handler registered before an event always sees it.
#[derive(Default)]
pub(crate) struct HandlerCache {
    version: u64,
    handlers: Option<Arc<Handlers>>,
}

/// What a broadcast reads of each receiver (`observes_outgoing`, `nsp`, and the queue and budget
/// at the head of `engine`) comes first, in declaration order: 40 bytes, on one cache line or two
/// where the default layout spread them over three (the flag was last of 352 bytes). With a
/// thousand receivers, each one's lines have left the cache by the time the next broadcast comes.
#[repr(C)]
pub(crate) struct SocketInner {
    /// Whether `handlers.any_outgoing` has a handler: an emit looks at this flag only (one
    /// relaxed load, a plain read on common CPUs), not at the handlers' lock.
    observes_outgoing: AtomicBool,
    connected: AtomicBool,
    nsp: proto::Namespace,
    engine: ConnHandle,
    id: Arc<str>,
    namespace: Arc<Namespace>,
    handshake: Arc<Handshake>,
    auth: RawJson,
    identity: Mutex<Identity>,
    /// When the socket joined its namespace (Node's `handshake.issued`).
    issued: SystemTime,
    handlers: Mutex<Arc<Handlers>>,
    /// Moved by every change of `handlers` (under its lock): a [`HandlerCache`] older than this
    /// is taken again.
    handlers_version: AtomicU64,
    data: Mutex<DataMap>,
    origin: Origin,
}

/// How a socket came to be, for connection state recovery.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Origin {
    /// It restored a kept session.
    pub(crate) recovered: bool,
    /// The namespace's last offset when it first connected.
    pub(crate) since: u64,
}

/// One client's connection to one namespace. Cheap to clone; all clones are the same socket.
#[derive(Clone)]
pub struct Socket {
    inner: Arc<SocketInner>,
}

impl fmt::Debug for Socket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Socket")
            .field("id", &self.inner.id)
            .field("nsp", &self.inner.nsp)
            .finish_non_exhaustive()
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Socket {
    pub(crate) fn new(
        id: Arc<str>,
        namespace: Arc<Namespace>,
        engine: ConnHandle,
        ctx: &ConnectContext,
        identity: Identity,
        data: DataMap,
        origin: Origin,
    ) -> Self {
        Self {
            inner: Arc::new(SocketInner {
                id,
                nsp: namespace.nsp().clone(),
                namespace,
                engine,
                handshake: ctx.handshake.clone(),
                auth: ctx.auth.clone(),
                identity: Mutex::new(identity),
                connected: AtomicBool::new(true),
                observes_outgoing: AtomicBool::new(false),
                issued: SystemTime::now(),
                handlers: Mutex::default(),
                handlers_version: AtomicU64::new(0),
                data: Mutex::new(data),
                origin,
            }),
        }
    }

    /// The socket id (namespace-scoped, random; not the Engine.IO session id).
    pub fn id(&self) -> &str {
        &self.inner.id
    }

    /// The Engine.IO session id of the socket's connection, shared by its namespaces (Node's
    /// `socket.conn.id`).
    pub fn engine_sid(&self) -> &str {
        self.inner.engine.sid()
    }

    /// When the socket joined its namespace (Node's `socket.handshake.issued`).
    pub fn issued(&self) -> SystemTime {
        self.inner.issued
    }

    /// The namespace name.
    pub fn nsp(&self) -> &str {
        self.inner.nsp.as_str()
    }

    /// The namespace.
    pub fn namespace(&self) -> &Arc<Namespace> {
        &self.inner.namespace
    }

    /// The Engine.IO handshake request: headers, query, remote address.
    pub fn handshake(&self) -> &Arc<Handshake> {
        &self.inner.handshake
    }

    /// The CONNECT payload (`{}` when the client sent none).
    pub fn auth(&self) -> &RawJson {
        &self.inner.auth
    }

    /// Who the socket belongs to: anonymous, a verified token, or the application's claims.
    /// Changes when the client refreshes its token in-band.
    pub fn identity(&self) -> Identity {
        lock(&self.inner.identity).clone()
    }

    pub(crate) fn set_identity(&self, identity: Identity) {
        *lock(&self.inner.identity) = identity;
    }

    /// The verified claims (a JSON object), if the socket is authenticated.
    pub fn claims(&self) -> Option<serde_json::Map<String, serde_json::Value>> {
        self.identity().claims().cloned()
    }

    /// The verified claims as the application's own type.
    pub fn claims_as<T: serde::de::DeserializeOwned>(
        &self,
    ) -> Option<Result<T, serde_json::Error>> {
        let claims = self.claims()?;
        Some(serde_json::from_value(serde_json::Value::Object(claims)))
    }

    /// The `sub` claim, if authenticated.
    pub fn subject(&self) -> Option<String> {
        self.identity().subject().map(str::to_owned)
    }

    /// Whether the socket restored a kept session (connection state recovery): same id, its
    /// rooms and data back, and the events it missed sent first. Node's `socket.recovered`.
    pub fn recovered(&self) -> bool {
        self.inner.origin.recovered
    }

    pub(crate) fn origin(&self) -> Origin {
        self.inner.origin
    }

    /// A copy of the data stored on the socket (kept with its session).
    pub(crate) fn data_map(&self) -> DataMap {
        lock(&self.inner.data).clone()
    }

    /// Whether the socket is still connected.
    pub fn connected(&self) -> bool {
        self.inner.connected.load(Ordering::Acquire)
    }

    pub(crate) fn mark_disconnected(&self) {
        self.inner.connected.store(false, Ordering::Release);
    }

    /// Registers the handler of event `name` (replacing an earlier one).
    pub fn on<F>(&self, name: &str, handler: F)
    where
        F: Fn(&Socket, Payload, Option<AckSender>) + Send + Sync + 'static,
    {
        self.change_handlers(|h| {
            h.events.insert(name.to_owned(), Arc::new(handler));
        });
    }

    /// Registers a handler called for every event, before the event's own handler.
    pub fn on_any<F>(&self, handler: F)
    where
        F: Fn(&Socket, &str, &Payload) + Send + Sync + 'static,
    {
        self.change_handlers(|h| h.any.push(Arc::new(handler)));
    }

    /// Registers a handler called for every event sent to this client (Node's
    /// `socket.onAnyOutgoing`), with the event name and arguments: its own emits (just before
    /// they are queued) and the broadcasts that reach it (just after, once the namespace's rooms
    /// are unlocked). Acknowledgements are not events and do not call it.
    pub fn on_any_outgoing<F>(&self, handler: F)
    where
        F: Fn(&Socket, &str, &Payload) + Send + Sync + 'static,
    {
        self.change_handlers(|h| h.any_outgoing.push(Arc::new(handler)));
        self.inner.observes_outgoing.store(true, Ordering::Relaxed);
    }

    /// Whether an outgoing handler is registered ([`Socket::on_any_outgoing`]).
    pub(crate) fn observes_outgoing(&self) -> bool {
        self.inner.observes_outgoing.load(Ordering::Relaxed)
    }

    /// Calls the outgoing handlers with an event about to be sent to this client.
    pub(crate) fn notify_outgoing(&self, name: &str, args: &Payload) {
        if !self.observes_outgoing() {
            return;
        }
        let handlers = lock(&self.inner.handlers).any_outgoing.clone();
        for h in handlers {
            h(self, name, args);
        }
    }

    /// Registers a handler called when the socket is about to leave its rooms.
    pub fn on_disconnecting<F>(&self, handler: F)
    where
        F: Fn(&Socket, DisconnectReason) + Send + Sync + 'static,
    {
        self.change_handlers(|h| h.disconnecting.push(Arc::new(handler)));
    }

    /// Registers a handler called once the socket is disconnected.
    pub fn on_disconnect<F>(&self, handler: F)
    where
        F: Fn(&Socket, DisconnectReason) + Send + Sync + 'static,
    {
        self.change_handlers(|h| h.disconnect.push(Arc::new(handler)));
    }

    /// Changes or replaces the handlers under their lock, and moves their version.
    fn update_handlers(&self, update: impl FnOnce(&mut Arc<Handlers>)) {
        let mut handlers = lock(&self.inner.handlers);
        update(&mut handlers);
        self.inner.handlers_version.fetch_add(1, Ordering::Release);
    }

    /// Changes the handlers (copying them first if a connection holds a copy).
    fn change_handlers(&self, change: impl FnOnce(&mut Handlers)) {
        self.update_handlers(|handlers| change(Arc::make_mut(handlers)));
    }

    /// Calls the handlers of an event from `cache`, the connection's copy of them, taking it
    /// again first if they changed since.
    pub(crate) fn dispatch(
        &self,
        cache: &mut HandlerCache,
        name: &str,
        args: Payload,
        ack: Option<AckSender>,
    ) {
        let version = self.inner.handlers_version.load(Ordering::Acquire);
        let handlers = match &cache.handlers {
            Some(handlers) if cache.version == version => handlers,
            _ => {
                let handlers = lock(&self.inner.handlers);
                // Read under the lock: the copy is at least this new.
                cache.version = self.inner.handlers_version.load(Ordering::Relaxed);
                cache.handlers.insert(Arc::clone(&handlers))
            }
        };
        for h in &handlers.any {
            h(self, name, &args);
        }
        if let Some(h) = handlers.events.get(name) {
            h(self, args, ack);
        }
    }

    pub(crate) fn dispatch_disconnect(&self, reason: DisconnectReason) {
        let disconnecting = lock(&self.inner.handlers).disconnecting.clone();
        for h in disconnecting {
            h(self, reason);
        }
        self.inner.namespace.adapter().remove(self.id());
        self.mark_disconnected();
        let mut disconnect = Vec::new();
        self.change_handlers(|h| disconnect = std::mem::take(&mut h.disconnect));
        for h in disconnect {
            h(self, reason);
        }
        // Handlers hold clones of the socket; drop them so the socket can be freed (a
        // connection's copy goes with the socket's entry in its connection).
        self.update_handlers(|handlers| *handlers = Arc::default());
        self.inner.observes_outgoing.store(false, Ordering::Relaxed);
    }

    /// Bytes waiting for this client's connection (all its namespaces), as counted against the
    /// connection's send budget (`max_buffered_bytes`).
    pub fn buffered_bytes(&self) -> usize {
        self.inner.engine.buffered_bytes()
    }

    /// Emits an event to this client. Fails with [`EmitError::Full`] when the client does not keep
    /// up (the send buffer is bounded in bytes) and [`EmitError::Disconnected`] once the
    /// connection is gone. After this socket alone left its namespace, the connection drops the
    /// event, as Node does.
    pub fn emit(&self, name: &str, args: impl IntoPayload) -> Result<(), EmitError> {
        self.emit_inner(name, args.into_payload(), false)
    }

    /// Emits an event that is dropped, rather than refused, when the send buffer is full.
    pub fn emit_volatile(&self, name: &str, args: impl IntoPayload) -> Result<(), EmitError> {
        self.emit_inner(name, args.into_payload(), true)
    }

    fn emit_inner(&self, name: &str, args: Payload, volatile: bool) -> Result<(), EmitError> {
        self.notify_outgoing(name, &args);
        let nsp = &self.inner.nsp;
        let audience = || Audience::socket(self.id());
        self.inner
            .namespace
            .encode_and_deliver(audience, volatile, name, &args, |packet| {
                send_packet(&self.inner.engine, nsp.clone(), packet, volatile)
            })?
    }

    /// Sends a packet encoded once for many sockets (a broadcast); `lane` is
    /// [`super::command::lane_owner`], read once for all of them.
    pub(crate) fn send_encoded(
        &self,
        packet: &Encoded,
        volatile: bool,
        lane: Option<usize>,
    ) -> Result<(), EmitError> {
        let engine = &self.inner.engine;
        if lane.is_some_and(|owner| owner == engine.session_key()) {
            return self.send_encoded_own(packet, volatile);
        }
        send_shared_queued(engine, self.inner.nsp.clone(), packet, volatile)
    }

    /// [`Socket::send_encoded`] to the sender's own connection (one receiver of a broadcast at
    /// most): out of line, so the loop over the others stays small.
    #[cold]
    #[inline(never)]
    fn send_encoded_own(&self, packet: &Encoded, volatile: bool) -> Result<(), EmitError> {
        let nsp = self.inner.nsp.clone();
        send_packet(&self.inner.engine, nsp, packet.clone(), volatile)
    }

    /// Emits an event and waits for the client's acknowledgement, at most `timeout`.
    pub async fn emit_with_ack(
        &self,
        name: &str,
        args: impl IntoPayload,
        timeout: Duration,
    ) -> Result<Payload, AckError> {
        let (reply, answer) = oneshot::channel();
        let nsp = self.inner.nsp.clone();
        let engine = &self.inner.engine;
        let args = args.into_payload();
        self.notify_outgoing(name, &args);
        send_emit_with_ack(engine, nsp, name, args, timeout, reply).map_err(AckError::Emit)?;
        answer.await.unwrap_or(Err(AckError::Disconnected))
    }

    /// Joins a room.
    pub fn join(&self, room: &str) {
        if self.connected() {
            self.inner.namespace.adapter().join(self.id(), room);
        }
    }

    /// Leaves a room.
    pub fn leave(&self, room: &str) {
        self.inner.namespace.adapter().leave(self.id(), room);
    }

    /// The rooms the socket is in (its own id included).
    pub fn rooms(&self) -> Vec<Room> {
        self.inner.namespace.adapter().rooms_of(self.id())
    }

    /// Disconnects this namespace (the client gets a DISCONNECT and does not reconnect). With
    /// `close`, the whole connection (every namespace) is closed.
    pub fn disconnect(&self, close: bool) {
        let command = if close {
            ConnCommand::DisconnectAll
        } else {
            ConnCommand::Disconnect {
                nsp: self.inner.nsp.clone(),
            }
        };
        let engine = &self.inner.engine;
        if let Err(SendError::Full) = submit(engine, command, 0) {
            let command = if close {
                ConnCommand::DisconnectAll
            } else {
                ConnCommand::Disconnect {
                    nsp: self.inner.nsp.clone(),
                }
            };
            let engine = engine.clone();
            tokio::spawn(async move {
                let _ = engine.send_app_wait(command).await;
            });
        }
    }

    /// Stores a value of type `T` on the socket (replacing the previous one of that type).
    pub fn set_data<T: Any + Send + Sync>(&self, value: T) {
        lock(&self.inner.data).insert(TypeId::of::<T>(), Arc::new(value));
    }

    /// The value of type `T` stored on the socket.
    pub fn data<T: Any + Send + Sync>(&self) -> Option<Arc<T>> {
        let value = lock(&self.inner.data).get(&TypeId::of::<T>()).cloned()?;
        value.downcast::<T>().ok()
    }
}

impl Member for Socket {
    fn id(&self) -> &str {
        &self.inner.id
    }

    fn warm(&self) -> usize {
        // The flag, the namespace and the handle share the socket's first lines (`repr(C)`).
        usize::from(self.inner.observes_outgoing.load(Ordering::Relaxed))
            ^ self.inner.engine.touch()
    }
}

/// Answers a client's event that asked for an acknowledgement. Sending it is optional; it can
/// be sent once.
#[derive(Debug)]
pub struct AckSender {
    /// The socket the event came to: its engine handle and namespace are what the answer needs
    /// (one count to hold, where a handle of its own held three: its queue's senders and `Arc`,
    /// and the session id).
    socket: Socket,
    parser: proto::Parser,
    id: u64,
}

impl AckSender {
    pub(crate) fn new(socket: Socket, parser: proto::Parser, id: u64) -> Self {
        Self { socket, parser, id }
    }

    /// The acknowledgement id.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// Sends the acknowledgement with `args`.
    pub fn send(self, args: impl IntoPayload) -> Result<(), EmitError> {
        let inner = &self.socket.inner;
        let args = args.into_payload();
        if self.parser == proto::Parser::Json && !args.has_binary() {
            // Encoded by the connection (see `ConnCommand::Ack`).
            return send_ack(&inner.engine, inner.nsp.clone(), self.id, args);
        }
        let packet = self.parser.encode_ack(&inner.nsp, self.id, &args);
        send_packet(&inner.engine, inner.nsp.clone(), packet, false)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::proto::{Identity, RawJson};
    use crate::runtime::connect::ConnectContext;
    use engineio::proto::Transport;
    use engineio::runtime::{Handshake, SocketHandle};

    /// A socket of `ns` on no session (its sends fail), in no adapter.
    pub(crate) fn detached(ns: &Arc<Namespace>, id: &str) -> Socket {
        let handshake = Arc::new(Handshake {
            headers: Vec::new(),
            path: "/socket.io/".to_owned(),
            query: String::new(),
            remote: ([127, 0, 0, 1], 1).into(),
            transport: Transport::WebSocket,
            extensions: Default::default(),
        });
        Socket::new(
            Arc::from(id),
            ns.clone(),
            SocketHandle::detached(id),
            &ConnectContext::new(String::new(), handshake, RawJson::empty_object(), None),
            Identity::Anonymous,
            Default::default(),
            Default::default(),
        )
    }

    #[test]
    fn a_connections_copy_of_the_handlers_follows_every_change() {
        let socket = detached(
            &Namespace::new(proto::Namespace::main(), proto::Parser::Json),
            "s",
        );
        let heard = Arc::new(Mutex::new(Vec::<String>::new()));
        let record = |tag: &'static str| {
            let heard = heard.clone();
            move |_: &Socket, _: Payload, _: Option<AckSender>| {
                heard.lock().unwrap().push(tag.to_owned())
            }
        };
        let mut cache = HandlerCache::default();
        let mut dispatch = |name: &str| socket.dispatch(&mut cache, name, Payload::empty(), None);
        socket.on("e", record("first"));
        dispatch("e");
        // Replaced after the copy was taken: the next event calls the new one.
        socket.on("e", record("second"));
        dispatch("e");
        dispatch("other");
        let any = heard.clone();
        socket.on_any(move |_, name, _| any.lock().unwrap().push(format!("any {name}")));
        dispatch("e");
        // The disconnect drops every handler, the copy's included at the next event.
        socket.dispatch_disconnect(DisconnectReason::ServerNamespaceDisconnect);
        dispatch("e");
        assert_eq!(
            *heard.lock().unwrap(),
            ["first", "second", "any e", "second"]
        );
    }
}
