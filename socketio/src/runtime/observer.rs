//! Hooks for one observer of the whole server (the Admin UI instrumentation, feature `admin`):
//! what each Engine.IO connection does (opens, moves to WebSocket, carries packets, closes) and
//! when sockets connect. Room changes are the adapter's ([`super::adapter::RoomHook`]).
//!
//! Without an observer nothing here runs: a connection holds an `Option<ConnectionProbe>`,
//! decided once when it opens, and every per-packet hook sits behind that `None` (a plain field
//! test, no atomic, no lock).

use super::socket::Socket;
use crate::proto::Encoded;
use engineio::proto::{CloseReason, Data as EngineData, Event as EngineEvent, Transport};
use engineio::runtime::Handshake;
use std::sync::Arc;

/// What an observer of the server is told. Every method is called on the connection's own task,
/// so it must be quick (count, or queue a broadcast).
pub(crate) trait Observer: Send + Sync {
    /// An Engine.IO connection opened; `polling` when it started on long-polling.
    fn connection_opened(&self, polling: bool);
    /// A connection that started on long-polling moved to WebSocket; `sockets` are its sockets.
    fn connection_upgraded(&self, sockets: &[Socket]);
    /// A connection closed, and why.
    fn connection_closed(&self, reason: CloseReason);
    /// A connection's task let go of it; `polling` when it was still on long-polling.
    fn connection_dropped(&self, polling: bool);
    /// Engine.IO messages received: how many, how many bytes.
    fn packets_in(&self, packets: usize, bytes: usize);
    /// Engine.IO messages queued for the client: how many, how many bytes.
    fn packets_out(&self, packets: usize, bytes: usize);
    /// A socket joined its namespace, before the application's connection handler sees it;
    /// `websocket` when its connection is on WebSocket now.
    fn socket_connected(&self, socket: &Socket, websocket: bool);
    /// A socket's identity changed (a fresh token, sent in-band).
    fn identity_changed(&self, socket: &Socket);
}

/// One connection's link to the observer: the observer and the connection's transport.
pub(crate) struct ConnectionProbe {
    observer: Arc<dyn Observer>,
    polling: bool,
}

impl ConnectionProbe {
    /// The probe of a connection that opens now, if the server has an observer.
    pub(crate) fn open(
        observer: Option<&Arc<dyn Observer>>,
        handshake: &Handshake,
    ) -> Option<Self> {
        let observer = observer?.clone();
        let polling = handshake.transport == Transport::Polling;
        observer.connection_opened(polling);
        Some(Self { observer, polling })
    }

    /// Reports an event of the Engine.IO session (`sockets`: the connection's sockets now).
    pub(crate) fn on_event<'a>(
        &mut self,
        event: &EngineEvent,
        sockets: impl Iterator<Item = &'a Socket>,
    ) {
        match event {
            EngineEvent::Message(EngineData::Text(text)) => self.text_in(text.len()),
            EngineEvent::Message(EngineData::Binary(bytes)) => {
                self.observer.packets_in(1, bytes.len())
            }
            EngineEvent::Upgraded => {
                let sockets: Vec<Socket> = sockets.cloned().collect();
                self.observer.connection_upgraded(&sockets);
                self.polling = false;
            }
            EngineEvent::Closed(reason) => self.observer.connection_closed(*reason),
        }
    }

    /// Reports a text message of `len` bytes from the client.
    pub(crate) fn text_in(&self, len: usize) {
        self.observer.packets_in(1, len);
    }

    /// Reports a packet handed to the session for the client.
    pub(crate) fn on_transmit(&self, packet: &Encoded) {
        let (messages, _) = packet.messages_and_weight();
        self.observer.packets_out(messages, packet.byte_len());
    }

    /// Reports a packet of one text message of `len` bytes sent (written in place, never an
    /// [`Encoded`]).
    pub(crate) fn on_transmit_text(&self, len: usize) {
        self.observer.packets_out(1, len);
    }

    /// Reports a socket whose identity just changed.
    pub(crate) fn identity_changed(&self, socket: &Socket) {
        self.observer.identity_changed(socket);
    }

    /// Reports a socket that just joined its namespace.
    pub(crate) fn socket_connected(&self, socket: &Socket) {
        self.observer.socket_connected(socket, !self.polling);
    }
}

impl Drop for ConnectionProbe {
    fn drop(&mut self) {
        self.observer.connection_dropped(self.polling);
    }
}
