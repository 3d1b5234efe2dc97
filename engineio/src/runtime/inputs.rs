//! What reaches a session's driver from other tasks (polling requests, WebSockets that finished
//! their handshake, the shutdown), and the session's transport as the router reads it without
//! asking the driver.

use crate::proto::{Input, PollReply, Transport, WsId};
use std::sync::atomic::{AtomicU8, Ordering};
use tokio::sync::oneshot;
use tokio_tungstenite::WebSocketStream;

pub(crate) use super::ws_io::WsIo;

/// A WebSocket connection of a session.
pub(crate) type WsStream = WebSocketStream<WsIo>;

/// What HTTP connection tasks hand to a session's driver.
pub(crate) enum DriverInput {
    /// A polling request input; `reply` receives the answer when the session gives one.
    Poll {
        input: Input,
        reply: Option<oneshot::Sender<PollReply>>,
    },
    /// A WebSocket that finished its handshake for this session.
    WebSocket { id: WsId, stream: Box<WsStream> },
    /// The server shuts down: close the session.
    Close,
}

/// The session's current transport, readable by the router without asking the driver.
#[derive(Debug, Default)]
pub(crate) struct TransportCell(AtomicU8);

impl TransportCell {
    pub(crate) fn set(&self, transport: Option<Transport>) {
        let v = match transport {
            Some(Transport::Polling) => 0,
            Some(Transport::WebSocket) => 1,
            None => 2,
        };
        self.0.store(v, Ordering::Relaxed);
    }

    pub(crate) fn get(&self) -> Option<Transport> {
        match self.0.load(Ordering::Relaxed) {
            0 => Some(Transport::Polling),
            1 => Some(Transport::WebSocket),
            _ => None,
        }
    }
}
