//! Broadcasts: one packet encoded once, its bytes shared by every receiver.

use super::adapter::{Room, Selector};
use super::args::IntoPayload;
use super::error::{AckError, EmitError};
use super::namespace::Namespace;
use super::socket::Socket;
use crate::proto::{encode_event, is_reserved_event, Payload};
use std::sync::Arc;
use std::time::Duration;

/// Selects sockets of a namespace (`to`, `except`) and sends to them.
#[derive(Clone, Debug)]
pub struct BroadcastOperator {
    namespace: Arc<Namespace>,
    selector: Selector,
    volatile: bool,
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

    /// Only this node (the in-memory adapter is always local; kept for API parity).
    pub fn local(self) -> Self {
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

    /// The selected sockets on this node.
    pub fn fetch_sockets(&self) -> Vec<Socket> {
        self.namespace.adapter().select(&self.selector)
    }

    /// Emits to every selected socket; the packet is encoded once.
    pub fn emit(&self, name: &str, args: impl IntoPayload) -> Result<BroadcastReport, EmitError> {
        if is_reserved_event(name) {
            return Err(EmitError::ReservedEvent(name.to_owned()));
        }
        let packet = encode_event(self.namespace.nsp(), None, name, &args.into_payload());
        let mut report = BroadcastReport::default();
        for socket in self.fetch_sockets() {
            match socket.send_encoded(packet.clone(), self.volatile) {
                Ok(()) => report.sent += 1,
                Err(EmitError::Full) => report.full += 1,
                Err(_) => {}
            }
        }
        Ok(report)
    }

    /// Emits to every selected socket and collects their acknowledgements until the timeout
    /// (5 s unless set with [`BroadcastOperator::timeout`]): one result per socket.
    pub async fn emit_with_ack(
        &self,
        name: &str,
        args: impl IntoPayload,
    ) -> Vec<(String, Result<Payload, AckError>)> {
        let timeout = self.timeout.unwrap_or(Duration::from_secs(5));
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
        join_all(waits).await
    }

    /// Makes the selected sockets join a room.
    pub fn join(&self, room: &str) {
        for s in self.fetch_sockets() {
            s.join(room);
        }
    }

    /// Makes the selected sockets leave a room.
    pub fn leave(&self, room: &str) {
        for s in self.fetch_sockets() {
            s.leave(room);
        }
    }

    /// Disconnects the selected sockets (with `close`, their whole connections).
    pub fn disconnect_sockets(&self, close: bool) {
        for s in self.fetch_sockets() {
            s.disconnect(close);
        }
    }
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
