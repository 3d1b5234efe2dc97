//! What reaches a session's driver from other tasks (polling requests, WebSockets that finished
//! their handshake, the shutdown), and the session's transport as the router reads it without
//! asking the driver.

use crate::proto::{Input, PollReply, Transport, WsId};
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::sync::Arc;
use tokio::sync::oneshot;

pub(crate) use super::ws_stream::WsStream;

/// What HTTP connection tasks hand to a session's driver.
pub(crate) enum DriverInput {
    /// A polling request input; `reply` receives the answer when the session gives one. The
    /// last input of a POST carries its [`PostSlot`], which the driver drops once the session
    /// handled the input.
    Poll {
        input: Input,
        reply: Option<oneshot::Sender<PollReply>>,
        slot: Option<PostSlot>,
    },
    /// A WebSocket that finished its handshake for this session.
    WebSocket { id: WsId, stream: Box<WsStream> },
    /// The server shuts down: close the session.
    Close,
}

/// What the router reads of a session without asking its driver: the session's current
/// transport, and how many POSTs are open on it.
#[derive(Debug, Default)]
pub(crate) struct SessionCell {
    transport: AtomicU8,
    open_posts: AtomicUsize,
}

impl SessionCell {
    pub(crate) fn set(&self, transport: Option<Transport>) {
        let v = match transport {
            Some(Transport::Polling) => 0,
            Some(Transport::WebSocket) => 1,
            None => 2,
        };
        self.transport.store(v, Ordering::Relaxed);
    }

    pub(crate) fn get(&self) -> Option<Transport> {
        match self.transport.load(Ordering::Relaxed) {
            0 => Some(Transport::Polling),
            1 => Some(Transport::WebSocket),
            _ => None,
        }
    }

    /// Counts a POST as open until its [`PostSlot`] is dropped (by the driver, once the session
    /// handled the POST's last input), and says whether it is alone: no other POST of the
    /// session is between its routing and the handling of its last input. A lone POST's body is
    /// then the only one the session has not read yet: a client that does not wait for its
    /// answers finds its next POST waiting for the session's.
    pub(crate) fn open_post(self: &Arc<Self>) -> (PostSlot, bool) {
        // AcqRel: a POST that finds the count at zero comes after every earlier POST's last
        // input was handled.
        let alone = self.open_posts.fetch_add(1, Ordering::AcqRel) == 0;
        (PostSlot(self.clone()), alone)
    }
}

/// An open POST, counted in its session's [`SessionCell`] until dropped.
#[derive(Debug)]
pub(crate) struct PostSlot(Arc<SessionCell>);

impl Drop for PostSlot {
    fn drop(&mut self) {
        self.0.open_posts.fetch_sub(1, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_post_is_alone_only_while_no_other_is_open() {
        let cell = Arc::new(SessionCell::default());
        let (first, alone) = cell.open_post();
        assert!(alone);
        let (second, alone) = cell.open_post();
        assert!(!alone, "the first POST is still open");
        drop(first);
        let (third, alone) = cell.open_post();
        assert!(!alone, "the second POST is still open");
        drop(second);
        drop(third);
        let (_fourth, alone) = cell.open_post();
        assert!(alone, "every earlier POST closed, once each");
    }
}
