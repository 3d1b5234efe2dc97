//! [`Instrumentation`]: the observer an instrumented server reports to. It counts for the
//! dashboard ([`Stats`]) and, in development mode, tells the admin namespace about every
//! socket as it connects, moves to WebSocket, receives and sends events, joins and leaves rooms
//! and disconnects (Node admin-ui's `registerVerboseListeners`).
//!
//! Everything told goes to the admin namespace as a broadcast (so to the admin sockets of every
//! node of a cluster), from a task of its own ([`emitter`]): a hook may be called under a lock of
//! the runtime (a room change under the recovery store's lock, say), and the broadcast takes locks
//! of its own. Nothing is built while no admin socket listens; what a stalled emitter cannot take
//! ([`QUEUE`] events behind) is dropped, as a volatile emit would be.

use super::serialize::{serialize, socket_data, TransportState};
use super::stats::Stats;
use super::time::{iso8601, unix_ms};
use crate::proto::{Payload, RawJson};
use crate::runtime::{Namespace, Observer, RoomChange, Socket};
use engineio::proto::{CloseReason, Transport};
use serde_json::{json, Value};
use std::sync::{Arc, Weak};
use std::time::SystemTime;
use tokio::sync::mpsc;

/// Events waiting for the emitter task at most.
const QUEUE: usize = 4096;

/// An event for the admin namespace: its name and arguments.
pub(crate) type Told = (&'static str, Vec<RawJson>);

/// The observer of one instrumented server.
pub(crate) struct Instrumentation {
    me: Weak<Instrumentation>,
    pub(crate) stats: Stats,
    admin: Arc<Namespace>,
    development: bool,
    queue: mpsc::Sender<Told>,
}

impl Instrumentation {
    /// The observer that tells `admin`; sockets and events too when `development`. The receiver
    /// is for [`emitter`].
    pub(crate) fn new(
        admin: Arc<Namespace>,
        development: bool,
    ) -> (Arc<Self>, mpsc::Receiver<Told>) {
        let (queue, told) = mpsc::channel(QUEUE);
        let instrumentation = Arc::new_cyclic(|me| Self {
            me: me.clone(),
            stats: Stats::default(),
            admin,
            development,
            queue,
        });
        (instrumentation, told)
    }

    /// Whether anyone would hear: an admin socket here, or a cluster with maybe some there.
    fn heard(&self) -> bool {
        self.admin.adapter().cluster().get().is_some() || self.admin.socket_count() > 0
    }

    /// Has `event` emitted to the admin namespace with these arguments.
    pub(crate) fn tell(&self, event: &'static str, args: impl FnOnce() -> Vec<RawJson>) {
        if self.heard() {
            let _ = self.queue.try_send((event, args()));
        }
    }

    /// A room of namespace `nsp` changed (development mode only).
    pub(crate) fn room_changed(&self, nsp: &str, room: &str, id: &str, change: RoomChange) {
        let event = match change {
            RoomChange::Joined => "room_joined",
            RoomChange::Left => "room_left",
        };
        self.tell(event, || {
            vec![json_arg(nsp), json_arg(room), json_arg(id), now_arg()]
        });
    }

    /// Tells the admin about an event `name` with `args`, received from or sent to `socket`.
    fn tell_event(&self, kind: &'static str, socket: &Socket, name: &str, args: &Payload) {
        self.tell(kind, || {
            let mut list = String::from("[");
            list.push_str(&Value::String(name.to_owned()).to_string());
            for arg in args.args() {
                list.push(',');
                list.push_str(arg.as_str());
            }
            list.push(']');
            let list = RawJson::parse(&list).unwrap_or_else(|_| RawJson::from(&json!([name])));
            vec![
                json_arg(socket.nsp()),
                json_arg(socket.id()),
                list,
                now_arg(),
            ]
        });
    }
}

/// Emits what the instrumentation tells, in order, until it is gone.
pub(crate) async fn emitter(admin: Arc<Namespace>, mut told: mpsc::Receiver<Told>) {
    while let Some((event, args)) = told.recv().await {
        if let Ok(payload) = Payload::json(args) {
            let _ = admin.broadcast().emit(event, payload);
        }
    }
}

fn json_arg(text: &str) -> RawJson {
    RawJson::from(&Value::String(text.to_owned()))
}

fn now_arg() -> RawJson {
    json_arg(&iso8601(SystemTime::now()))
}

fn now_ms() -> u64 {
    unix_ms(SystemTime::now())
}

impl Observer for Instrumentation {
    fn connection_opened(&self, polling: bool) {
        self.stats.opened(polling, now_ms());
    }

    fn connection_upgraded(&self, sockets: &[Socket]) {
        self.stats.polling_ended();
        if !self.development {
            return;
        }
        for socket in sockets {
            if let Some(state) = socket.data::<TransportState>() {
                state.upgraded();
            }
            let update = json!({"id": socket.id(), "nsp": socket.nsp(), "transport": "websocket"});
            self.tell("socket_updated", || vec![RawJson::from(&update)]);
        }
    }

    fn connection_closed(&self, reason: CloseReason) {
        self.stats.closed(reason.as_str(), now_ms());
    }

    fn connection_dropped(&self, polling: bool) {
        self.stats.dropped(polling);
    }

    fn packets_in(&self, packets: usize, bytes: usize) {
        self.stats.packets_in(packets, bytes);
    }

    fn packets_out(&self, packets: usize, bytes: usize) {
        self.stats.packets_out(packets, bytes);
    }

    fn identity_changed(&self, socket: &Socket) {
        if self.development {
            let update =
                json!({"id": socket.id(), "nsp": socket.nsp(), "data": socket_data(socket)});
            self.tell("socket_updated", || vec![RawJson::from(&update)]);
        }
    }

    fn socket_connected(&self, socket: &Socket, websocket: bool) {
        if !self.development {
            return;
        }
        let transport = match websocket {
            true => Transport::WebSocket,
            false => Transport::Polling,
        };
        socket.set_data(TransportState::new(transport));
        self.tell("socket_connected", || {
            vec![RawJson::from(&serialize(socket)), now_arg()]
        });
        if socket.nsp() != self.admin.name() {
            let me = self.me.clone();
            socket.on_any(move |socket, name, args| {
                if let Some(me) = me.upgrade() {
                    me.tell_event("event_received", socket, name, args);
                }
            });
            let me = self.me.clone();
            socket.on_any_outgoing(move |socket, name, args| {
                if let Some(me) = me.upgrade() {
                    me.tell_event("event_sent", socket, name, args);
                }
            });
        }
        let me = self.me.clone();
        socket.on_disconnect(move |socket, reason| {
            if let Some(me) = me.upgrade() {
                me.tell("socket_disconnected", || {
                    let (nsp, id) = (json_arg(socket.nsp()), json_arg(socket.id()));
                    vec![nsp, id, json_arg(reason.as_str()), now_arg()]
                });
            }
        });
    }
}
