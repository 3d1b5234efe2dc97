//! What the application holds for one session: its handshake, its messages, and a handle to send.

use super::command::{Command, NoMessage};
use super::mailbox::{self, TrySendError};
use crate::proto::budget;
use crate::proto::{CloseReason, Data, Event, SendError, Session, Text, Transport};
use bytes::Bytes;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::sync::mpsc;

/// The request that opened the session: only this request's context is kept for the session's
/// life (later polling requests and the WebSocket upgrade leave it as it was).
#[derive(Clone, Debug)]
pub struct Handshake {
    /// Headers with lower-case names (e.g. `authorization`, `cookie`).
    pub headers: Vec<(String, String)>,
    /// The path, without the query.
    pub path: String,
    /// The raw query string, without `?`.
    pub query: String,
    /// The client's address.
    pub remote: SocketAddr,
    /// The transport the session started on.
    pub transport: Transport,
    /// What the application's HTTP stack attached to the request, when it came through
    /// `Engine::service` (feature `tower`): e.g. the user an axum login layer found
    /// (`handshake.extensions.get::<User>()`). Empty on the built-in server.
    pub extensions: http::Extensions,
}

impl Handshake {
    /// A header's value (lower-case `name`).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The request's path and query, as the client sent them (`/socket.io/?EIO=4&...`).
    pub fn uri(&self) -> String {
        if self.query.is_empty() {
            self.path.clone()
        } else {
            format!("{}?{}", self.path, self.query)
        }
    }

    /// What the application's HTTP stack attached to the request (see [`Self::extensions`]).
    pub fn extensions(&self) -> &http::Extensions {
        &self.extensions
    }

    /// A decoded query parameter.
    pub fn query_param(&self, name: &str) -> Option<String> {
        crate::proto::query::get(&self.query, name)
    }

    /// Whether the client speaks Engine.IO v3 (`EIO=3`, socket.io-client 2.x): the endpoint
    /// only opens such a session when it allows v3 (see [`crate::proto::route()`]).
    pub fn is_eio3(&self) -> bool {
        crate::proto::query::borrowed_pairs(&self.query)
            .find(|(key, _)| key == "EIO")
            .is_some_and(|(_, value)| value == "3")
    }
}

/// Refuses text the polling transport could not frame: the session's rule, applied as the
/// message is queued (the session takes queued messages as checked).
fn check_text(data: &Data) -> Result<(), SendError> {
    Session::check_message(data)
}

/// A cloneable handle that sends to, or closes, one session from any task; `M` is the message
/// type of the session's [`super::SessionApp`] ([`NoMessage`] when it runs none).
// `repr(C)`: the queue and the budget, what a send reads, come first (a broadcast reads them in
// each receiver's cold cache line; see the Socket.IO layer's socket).
#[repr(C)]
pub struct SocketHandle<M = NoMessage> {
    commands: mailbox::Sender<Command<M>>,
    /// The session's send budget in bytes (`max_buffered_bytes`).
    budget: usize,
    sid: Arc<str>,
}

impl<M> std::fmt::Debug for SocketHandle<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SocketHandle")
            .field("sid", &self.sid)
            .finish_non_exhaustive()
    }
}

impl<M> Clone for SocketHandle<M> {
    fn clone(&self) -> Self {
        Self {
            sid: self.sid.clone(),
            commands: self.commands.clone(),
            budget: self.budget,
        }
    }
}

impl<M> SocketHandle<M> {
    pub(crate) fn new(sid: Arc<str>, commands: mailbox::Sender<Command<M>>, budget: usize) -> Self {
        Self {
            sid,
            commands,
            budget,
        }
    }

    /// A handle to no session: every send fails with [`SendError::Closed`]. For tests of code
    /// that holds handles (rooms, broadcasts) without a server.
    pub fn detached(sid: &str) -> Self {
        let (commands, _) = mailbox::mailbox(1);
        Self::new(Arc::from(sid), commands, usize::MAX)
    }

    /// The session id.
    pub fn sid(&self) -> &str {
        &self.sid
    }

    /// Queues a message. Fails with [`SendError::Full`] when the client is not keeping up (the
    /// session's send buffer is bounded, in bytes by `max_buffered_bytes`) and
    /// [`SendError::Closed`] once the session ended.
    pub fn send(&self, data: Data) -> Result<(), SendError> {
        check_text(&data)?;
        let weight = budget::weight(&data);
        self.try_command(Command::Send(data), weight)
    }

    /// Queues messages that go out together and in order, with nothing from other tasks between
    /// them (a Socket.IO packet and its binary attachments). Fails as [`SocketHandle::send`].
    pub fn send_all(&self, all: Vec<Data>) -> Result<(), SendError> {
        all.iter().try_for_each(check_text)?;
        let weight = all
            .iter()
            .map(budget::weight)
            .fold(0, usize::saturating_add);
        self.try_command(Command::SendAll(all.into_boxed_slice()), weight)
    }

    /// Sends a message to the session's [`super::SessionApp`]. Fails with [`SendError::Full`] or
    /// [`SendError::Closed`] as [`SocketHandle::send`].
    pub fn send_app(&self, message: M) -> Result<(), SendError> {
        self.try_command(Command::App(message), 0)
    }

    /// Sends a message to the session's [`super::SessionApp`] that stands for `bytes` bytes
    /// towards the client (a packet to send), admitted under the session's send budget as
    /// [`SocketHandle::send`] admits a message of that size (weigh it with
    /// [`crate::proto::budget`]).
    pub fn send_app_weighted(&self, message: M, bytes: usize) -> Result<(), SendError> {
        self.try_command(Command::App(message), bytes)
    }

    /// Sends a message to the session's [`super::SessionApp`], waiting while its queue is full.
    pub async fn send_app_wait(&self, message: M) -> Result<(), SendError> {
        self.commands
            .send(Command::App(message))
            .await
            .map_err(|_| SendError::Closed)
    }

    /// Reads what a send to this session touches first (this handle, the lines of the session's
    /// queue) into the calling core's cache, and gives back what it read, which means nothing;
    /// changes nothing. A sender to many sessions calls it for a group of them before sending
    /// to any, so the cache misses of the group overlap: a send takes a lock, and a locked
    /// instruction waits for every miss before it, one by one.
    pub fn touch(&self) -> usize {
        self.commands.touch() ^ self.budget
    }

    fn try_command(&self, command: Command<M>, weight: usize) -> Result<(), SendError> {
        let sent = self
            .commands
            .try_send_weighted(command, weight, self.budget);
        sent.map_err(|e| match e {
            TrySendError::Full(_) => SendError::Full,
            TrySendError::Closed(_) => SendError::Closed,
        })
    }

    /// Queues a text message.
    pub fn send_text(&self, text: impl Into<Text>) -> Result<(), SendError> {
        self.send(Data::Text(text.into()))
    }

    /// Queues a binary message.
    pub fn send_binary(&self, bytes: impl Into<Bytes>) -> Result<(), SendError> {
        self.send(Data::Binary(bytes.into()))
    }

    /// Closes the session: queued messages go out first, then the close packet.
    pub fn close(&self)
    where
        M: Send + 'static,
    {
        let commands = self.commands.clone();
        if commands.try_send(Command::Close).is_err() {
            tokio::spawn(async move {
                let _ = commands.send(Command::Close).await;
            });
        }
    }

    /// Whether the session has ended.
    pub fn is_closed(&self) -> bool {
        self.commands.is_closed()
    }

    /// An id of the session this handle sends to: the same for every handle of the session,
    /// different from every other live session's (it may be reused once the session is gone).
    /// Lets an application that runs in the session's task tell its own session's handles from
    /// others' (see [`AppContext::send_budget`](super::AppContext::send_budget)).
    pub fn session_key(&self) -> usize {
        self.commands.queue_id()
    }

    /// Bytes waiting for the client, as counted against its send budget: queued here, in the
    /// session's outbox and in its WebSocket's unwritten frames (as of the session's last wake).
    pub fn buffered_bytes(&self) -> usize {
        self.commands.queued_bytes()
    }
}

/// One Engine.IO session, as the application sees it.
#[derive(Debug)]
pub struct Socket {
    handle: SocketHandle,
    handshake: Arc<Handshake>,
    events: mpsc::Receiver<Event>,
    closed: Option<CloseReason>,
}

impl Socket {
    pub(crate) fn new(
        handle: SocketHandle,
        handshake: Arc<Handshake>,
        events: mpsc::Receiver<Event>,
    ) -> Self {
        Self {
            handle,
            handshake,
            events,
            closed: None,
        }
    }

    /// The session id.
    pub fn sid(&self) -> &str {
        self.handle.sid()
    }

    /// The handshake request.
    pub fn handshake(&self) -> &Arc<Handshake> {
        &self.handshake
    }

    /// A handle for sending from other tasks.
    pub fn handle(&self) -> SocketHandle {
        self.handle.clone()
    }

    /// The next message; `None` once the session closed (see [`Socket::close_reason`]).
    pub async fn recv(&mut self) -> Option<Data> {
        loop {
            match self.next_event().await? {
                Event::Message(data) => return Some(data),
                Event::Upgraded => {}
                Event::Closed(_) => return None,
            }
        }
    }

    /// The next event (messages, the upgrade, the close); `None` after the close.
    pub async fn next_event(&mut self) -> Option<Event> {
        if self.closed.is_some() {
            return None;
        }
        let event = self
            .events
            .recv()
            .await
            .unwrap_or(Event::Closed(CloseReason::ServerClose));
        if let Event::Closed(reason) = event {
            self.closed = Some(reason);
        }
        Some(event)
    }

    /// Why the session closed, once [`Socket::recv`] returned `None`.
    pub fn close_reason(&self) -> Option<CloseReason> {
        self.closed
    }

    /// See [`SocketHandle::send`].
    pub fn send(&self, data: Data) -> Result<(), SendError> {
        self.handle.send(data)
    }

    /// See [`SocketHandle::close`].
    pub fn close(&self) {
        self.handle.close()
    }
}
