//! An application that runs inside a session's own task, instead of reading it through
//! [`super::Socket`]: one task per connection, and no channel between the session and the layer
//! above it (the Socket.IO server uses this).

use super::command::{AppMessage, Command};
use super::mailbox;
use super::socket::{Handshake, SocketHandle};
use crate::proto::{Data, Event, SendError, Session};
use std::sync::Arc;
use std::time::Instant;

/// Makes the application of each new session.
pub type AppFactory = Arc<dyn Fn(NewSession) -> Box<dyn SessionApp> + Send + Sync>;

/// What an application is made from when its session opens.
#[derive(Debug)]
pub struct NewSession {
    /// A handle other tasks use to send to the session (or to its application).
    pub handle: SocketHandle,
    /// The request that opened the session.
    pub handshake: Arc<Handshake>,
    /// When the session opened.
    pub now: Instant,
}

/// An application living in its session's task. Every method runs on that task, in order; none
/// may block. Sending to the session from here goes straight into it, ahead of anything other
/// tasks queued with the [`SocketHandle`] (take those first with [`AppContext::next_message`] when
/// order matters).
pub trait SessionApp: Send + 'static {
    /// A session event: a message, the upgrade, the close (the last call but [`Drop`]).
    fn on_event(&mut self, event: Event, cx: &mut AppContext<'_>);

    /// A message another task sent with [`SocketHandle::send_app`].
    fn on_message(&mut self, message: AppMessage, cx: &mut AppContext<'_>);

    /// The application's next deadline, if any.
    fn poll_timeout(&self) -> Option<Instant>;

    /// The deadline of [`SessionApp::poll_timeout`] passed.
    fn on_timeout(&mut self, cx: &mut AppContext<'_>);
}

/// How an application reaches its session, during one call.
pub struct AppContext<'a> {
    pub(crate) now: Instant,
    pub(crate) session: &'a mut Session,
    pub(crate) commands: &'a mut mailbox::Receiver<Command>,
    pub(crate) release_memory: &'a mut bool,
}

impl std::fmt::Debug for AppContext<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppContext")
            .field("now", &self.now)
            .field("sid", &self.session.sid())
            .finish_non_exhaustive()
    }
}

/// How far past the session's send buffer an application's own sends (answers to the client's
/// input) may go before they too are refused with [`SendError::Full`].
const APP_OVERDRAFT: usize = 2;

impl AppContext<'_> {
    /// The time of the wake this call belongs to.
    pub fn now(&self) -> Instant {
        self.now
    }

    /// Queues a message on the session at once. Answers to the client's own input may go past the
    /// session's send buffer (up to twice its size, in packets and in bytes) rather than be lost.
    pub fn send(&mut self, data: Data) -> Result<(), SendError> {
        let packets = self.session.max_buffered().saturating_mul(APP_OVERDRAFT);
        let bytes = self
            .session
            .max_buffered_bytes()
            .saturating_mul(APP_OVERDRAFT);
        self.session.send_within(data, packets, bytes)
    }

    /// Asks the session to give back the memory its queues grew to once what is pending went out
    /// (when the application goes quiet, e.g. after a connect; the session also does it on its
    /// own on each heartbeat).
    pub fn release_memory(&mut self) {
        *self.release_memory = true;
    }

    /// Closes the session: what is queued goes out first, then the close packet.
    pub fn close(&mut self) {
        self.session.close(self.now);
    }

    /// Carries out what other tasks queued with the [`SocketHandle`] so far, in order, and stops
    /// at the first application message, which it returns.
    pub fn next_message(&mut self) -> Option<AppMessage> {
        while let Some(command) = self.commands.try_recv() {
            match command {
                Command::App(message) => return Some(message),
                other => apply(self.session, self.now, other),
            }
        }
        None
    }
}

/// Carries out a command that is not for the application.
pub(crate) fn apply(session: &mut Session, now: Instant, command: Command) {
    match command {
        // Admitted under the send budget by the command queue, which reported refusals to the
        // sender.
        // The handle checked the text for the record separator when it queued it.
        Command::Send(data) => {
            let _ = session.send_admitted(data);
        }
        Command::SendAll(all) => {
            for data in all.into_vec() {
                let _ = session.send_admitted(data);
            }
        }
        Command::Close => session.close(now),
        // Without an application, nobody reads it.
        Command::App(_) => {}
    }
}
