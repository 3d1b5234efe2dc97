//! An application that runs inside a session's own task, instead of reading it through
//! [`super::Socket`]: one task per connection, and no channel between the session and the layer
//! above it (the Socket.IO server uses this).

use super::command::{Command, NoMessage};
use super::mailbox;
use super::socket::{Handshake, SocketHandle};
use crate::proto::{Data, Event, SendError, Session, Text, TextBuf, WsId};
use bytes::Bytes;
use std::sync::Arc;
use std::time::Instant;

/// What an application is made from when its session opens; `M` is its message type.
#[derive(Debug)]
pub struct NewSession<M> {
    /// A handle other tasks use to send to the session (or to its application).
    pub handle: SocketHandle<M>,
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
    /// What other tasks send it with [`SocketHandle::send_app`].
    type Message: Send + 'static;

    /// A session event: a message, the upgrade, the close (the last call but [`Drop`]).
    fn on_event(&mut self, event: Event, cx: &mut AppContext<'_, Self::Message>);

    /// A text message read where it lies in its WebSocket's read buffer (`text`: its data, after
    /// the packet type): the same as [`SessionApp::on_event`] with [`Event::Message`] of it, which
    /// this does unless the application reads it in place (no `Text` made of it).
    fn on_text(&mut self, text: &str, cx: &mut AppContext<'_, Self::Message>) {
        self.on_event(Event::Message(Data::Text(Text::from(text))), cx);
    }

    /// A message another task sent with [`SocketHandle::send_app`].
    fn on_message(&mut self, message: Self::Message, cx: &mut AppContext<'_, Self::Message>);

    /// The application's next deadline, if any.
    fn poll_timeout(&self) -> Option<Instant>;

    /// The deadline of [`SessionApp::poll_timeout`] passed.
    fn on_timeout(&mut self, cx: &mut AppContext<'_, Self::Message>);
}

/// How an application reaches its session, during one call; `M` is its message type.
pub struct AppContext<'a, M> {
    pub(crate) now: Instant,
    pub(crate) session: &'a mut Session,
    pub(crate) commands: &'a mut mailbox::Receiver<Command<M>>,
    pub(crate) release_memory: &'a mut bool,
    /// The session's WebSockets, for messages written in place
    /// ([`AppContext::send_text_buf`]).
    pub(crate) websockets: &'a mut dyn WsOutput,
}

/// Where a message written in place goes: the outputs of the session's WebSockets (the driver's,
/// which implements this, so that this module need not know the driver's types).
pub(crate) trait WsOutput {
    /// Queues a text message's frame (type `4` and `text`) on the WebSocket `ws`; `false` if the
    /// task has no such WebSocket.
    fn queue_message_text(&mut self, ws: WsId, text: &[u8]) -> bool;

    /// Queues a binary message's frame (protocol 4: the bytes alone) on the WebSocket `ws`;
    /// `false` if the task has no such WebSocket.
    fn queue_message_binary(&mut self, ws: WsId, data: &[u8]) -> bool;
}

impl<M> std::fmt::Debug for AppContext<'_, M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppContext")
            .field("now", &self.now)
            .field("sid", &self.session.sid())
            .finish_non_exhaustive()
    }
}

/// What a session holds for its client and may hold, in bytes as [`crate::proto::budget`] counts
/// them: see [`AppContext::send_budget`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SendBudget {
    /// Bytes held now: the session's outbox, its WebSocket frames not yet written and its
    /// command queue.
    pub held: usize,
    /// The send budget (`max_buffered_bytes`).
    pub max_bytes: usize,
    /// The bound on messages waiting in the session (`max_buffered_packets`).
    pub max_messages: usize,
}

/// How far past the session's send buffer an application's own sends (answers to the client's
/// input) may go before they too are refused with [`SendError::Full`].
const APP_OVERDRAFT: usize = 2;

impl<M> AppContext<'_, M> {
    /// The time of the wake this call belongs to.
    pub fn now(&self) -> Instant {
        self.now
    }

    /// Queues a message on the session at once. Answers to the client's own input may go past the
    /// session's send buffer (up to twice its size, in packets and in bytes) rather than be lost.
    /// A message the session can take at once (on a WebSocket, nothing queued before it) is
    /// written straight into the socket's output, as by [`AppContext::send_text_buf`].
    pub fn send(&mut self, data: Data) -> Result<(), SendError> {
        let (packets, bytes) = self.overdraft();
        let written = match &data {
            Data::Text(text) => self.write_in_place(text.as_bytes(), packets, bytes)?,
            Data::Binary(binary) => self.write_binary_in_place(binary, packets, bytes)?,
        };
        if written {
            return Ok(());
        }
        self.session.send_within(data, packets, bytes)
    }

    /// Sends the text `buf` holds (written since its last split) as one text message, as
    /// [`AppContext::send`] would, within the same bounds. When the session can take it at once
    /// (on a WebSocket, nothing queued before it), its frame is written straight into the
    /// socket's output and `buf` is cleared for the next text: no `Text` is made of it (no
    /// allocation, no shared count). Otherwise it is split off `buf` and sent as usual.
    pub fn send_text_buf(&mut self, buf: &mut TextBuf) -> Result<(), SendError> {
        let (packets, bytes) = self.overdraft();
        if self.write_in_place(buf.as_bytes(), packets, bytes)? {
            buf.clear();
            return Ok(());
        }
        self.session
            .send_within(Data::Text(buf.split()), packets, bytes)
    }

    /// Writes `text` as a text message straight into the WebSocket's output if the session takes
    /// it there now ([`Session::send_text_in_place`], within these bounds); `false` if it did not:
    /// the caller sends it through the session.
    fn write_in_place(
        &mut self,
        text: &[u8],
        packets: usize,
        bytes: usize,
    ) -> Result<bool, SendError> {
        let in_place = self
            .session
            .send_text_in_place(text.len(), packets, bytes)?;
        // The session's WebSocket is always one of the task's (it is told of each one closed).
        Ok(in_place.is_some_and(|ws| self.websockets.queue_message_text(ws, text)))
    }

    /// [`AppContext::write_in_place`] for a binary message
    /// ([`Session::send_binary_in_place`]).
    fn write_binary_in_place(
        &mut self,
        data: &[u8],
        packets: usize,
        bytes: usize,
    ) -> Result<bool, SendError> {
        let in_place = (self.session).send_binary_in_place(data.len(), packets, bytes)?;
        Ok(in_place.is_some_and(|ws| self.websockets.queue_message_binary(ws, data)))
    }

    /// The bounds of the application's own sends: [`APP_OVERDRAFT`] times the session's.
    fn overdraft(&self) -> (usize, usize) {
        let packets = self.session.max_buffered().saturating_mul(APP_OVERDRAFT);
        let bytes = (self.session.max_buffered_bytes()).saturating_mul(APP_OVERDRAFT);
        (packets, bytes)
    }

    /// Whether `messages` more messages weighing `weight` bytes in all (as
    /// [`crate::proto::budget`] counts them) would all be taken by [`AppContext::send`] now.
    pub fn has_room_for(&self, messages: usize, weight: usize) -> bool {
        let (packets, bytes) = self.overdraft();
        self.session
            .has_room_within(messages, weight, packets, bytes)
    }

    /// What the session holds for the client now and the bounds a [`SocketHandle`] admits its
    /// sends under, for an application that keeps its own sends to this session apart while it
    /// runs (messages its code sends through a handle of this session, recognised by
    /// [`SocketHandle::session_key`]) and carries them out before this call returns: it admits
    /// each as the handle would, with [`crate::proto::budget::admits`] over [`SendBudget::held`]
    /// plus what it kept so far, and reports a refusal with [`AppContext::note_refused`].
    ///
    /// [`SocketHandle`]: super::SocketHandle
    /// [`SocketHandle::session_key`]: super::SocketHandle::session_key
    pub fn send_budget(&self) -> SendBudget {
        SendBudget {
            held: (self.session.buffered_bytes()).saturating_add(self.commands.bytes_here()),
            max_bytes: self.session.max_buffered_bytes(),
            max_messages: self.session.max_buffered(),
        }
    }

    /// Records a send the application refused under [`AppContext::send_budget`]: the session
    /// counts it as a refusal of its command queue (a client kept at its budget is closed
    /// after the grace).
    pub fn note_refused(&mut self) {
        self.commands.note_refused();
    }

    /// Queues a text message and the binary messages that belong to it (a Socket.IO packet and
    /// its attachments) at once, all or none, within the bounds of [`AppContext::send`]: a full
    /// buffer never splits them. A text alone that the session can take at once (as
    /// [`AppContext::send_text_buf`]) is written straight into the WebSocket's output, without
    /// the round trip of a frame through the session's outputs.
    pub fn send_with_attachments(
        &mut self,
        text: crate::proto::Text,
        attachments: Vec<Bytes>,
    ) -> Result<(), SendError> {
        let (packets, bytes) = self.overdraft();
        if attachments.is_empty() && self.write_in_place(text.as_bytes(), packets, bytes)? {
            return Ok(());
        }
        self.session
            .send_group_within(text, attachments, packets, bytes)
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
    pub fn next_message(&mut self) -> Option<M> {
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
pub(crate) fn apply<M>(session: &mut Session, now: Instant, command: Command<M>) {
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

/// The application of a session handed to [`super::Engine::accept`]: there is none (its events
/// go to the [`super::Socket`]'s channel), so no value of this type exists.
pub(crate) enum NoApp {}

impl SessionApp for NoApp {
    type Message = NoMessage;

    fn on_event(&mut self, _: Event, _: &mut AppContext<'_, NoMessage>) {
        match *self {}
    }

    fn on_message(&mut self, message: NoMessage, _: &mut AppContext<'_, NoMessage>) {
        match message {}
    }

    fn poll_timeout(&self) -> Option<Instant> {
        match *self {}
    }

    fn on_timeout(&mut self, _: &mut AppContext<'_, NoMessage>) {
        match *self {}
    }
}
