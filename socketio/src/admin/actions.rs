//! What the Admin UI can do (Node admin-ui's feature handlers), as events of an admin socket:
//!
//! - `emit` (nsp, room filter, event, ...args): emit to a namespace, or to one room of it;
//! - `join` / `leave` (nsp, room, filter): make the sockets of the filter (all, if none) join or
//!   leave a room;
//! - `_disconnect` (nsp, close, filter): disconnect them (with `close`, their connections).
//!
//! A filter is a room name, a socket's id being the room of that socket. Every action reaches
//! the other nodes of a cluster too. Only registered namespaces are acted on (an admin never
//! creates one). Not registered at all in read-only mode.

use crate::proto::{Payload, RawJson};
use crate::runtime::io::IoInner;
use crate::runtime::{BroadcastOperator, Socket};
use std::sync::{Arc, Weak};

/// The features the UI may use (`config.supportedFeatures`, less the two the mode adds).
pub(crate) const FEATURES: [&str; 7] = [
    "EMIT",
    "JOIN",
    "LEAVE",
    "DISCONNECT",
    "MJOIN",
    "MLEAVE",
    "MDISCONNECT",
];

/// Registers the actions on an admin socket.
pub(crate) fn register(io: &Arc<IoInner>, socket: &Socket) {
    let weak = Arc::downgrade(io);
    socket.on("emit", move |_, args, _| {
        let a = args.args();
        let (Some(op), Some(event)) = (target(&weak, a, 1), string(a.get(2))) else {
            return;
        };
        let rest = a.get(3..).map(<[RawJson]>::to_vec).unwrap_or_default();
        if let Ok(payload) = Payload::json(rest) {
            let _ = op.emit(&event, payload);
        }
    });
    let weak = Arc::downgrade(io);
    socket.on("join", move |_, args, _| {
        let a = args.args();
        if let (Some(op), Some(room)) = (target(&weak, a, 2), string(a.get(1))) {
            op.join(&room);
        }
    });
    let weak = Arc::downgrade(io);
    socket.on("leave", move |_, args, _| {
        let a = args.args();
        if let (Some(op), Some(room)) = (target(&weak, a, 2), string(a.get(1))) {
            op.leave(&room);
        }
    });
    let weak = Arc::downgrade(io);
    socket.on("_disconnect", move |_, args, _| {
        let a = args.args();
        let close = a.get(1).and_then(|c| c.deserialize::<bool>().ok());
        if let (Some(op), Some(close)) = (target(&weak, a, 2), close) {
            op.disconnect_sockets(close);
        }
    });
}

/// The sockets an action is for: the namespace named by the first argument, narrowed to the
/// room named by argument `filter_at` (when it is a non-empty string).
fn target(io: &Weak<IoInner>, args: &[RawJson], filter_at: usize) -> Option<BroadcastOperator> {
    let namespace = io.upgrade()?.existing_namespace(&string(args.first())?)?;
    let op = namespace.broadcast();
    Some(match string(args.get(filter_at)) {
        Some(room) if !room.is_empty() => op.to(&room),
        _ => op,
    })
}

fn string(arg: Option<&RawJson>) -> Option<String> {
    arg?.deserialize::<String>().ok()
}
