//! One task per session: feeds the [`Session`] core with requests, frames, commands and time, and
//! carries out what it outputs. No protocol rule lives here.

use super::app::{self, AppContext, SessionApp};
use super::mailbox;
use super::socket::Command;
use crate::proto::websocket_frame::{write_frame, Opcode};
use crate::proto::{
    Event, Input, Output, PollReply, RequestId, Session, Text, Transport, WsFrame, WsId,
};
use bytes::Bytes;
use futures_util::{FutureExt, SinkExt, StreamExt};
use std::future::poll_fn;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;
use std::task::Poll;
use std::time::Instant;
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

/// Most inputs taken in one burst before the outputs are carried out.
const MAX_BATCH: usize = 64;

/// A WebSocket connection of a session.
pub(crate) type WsStream = WebSocketStream<TcpStream>;

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

/// Where the session's events go.
pub(crate) enum EventSink {
    /// To a [`super::Socket`] in another task.
    Channel(mpsc::Sender<Event>),
    /// To an application running in this task.
    App(Box<dyn SessionApp>),
}

pub(crate) struct Driver {
    pub(crate) session: Session,
    pub(crate) inputs: mailbox::Receiver<DriverInput>,
    pub(crate) commands: mailbox::Receiver<Command>,
    pub(crate) events: EventSink,
    pub(crate) transport: Arc<TransportCell>,
    pub(crate) websockets: Vec<Ws>,
    pub(crate) replies: Vec<(RequestId, oneshot::Sender<PollReply>)>,
    pub(crate) max_buffered: usize,
    /// The application asked to give back queue memory at the end of this drain.
    pub(crate) release_memory: bool,
    /// Keeps the session in its engine's table while the driver lives.
    pub(crate) _registration: super::engine::Registration,
}

enum Wake {
    Input(Option<DriverInput>),
    Command(Option<Command>),
    Frame(WsId, Option<Result<Message, tungstenite::Error>>),
    Timeout,
}

impl Driver {
    /// Runs the session to its end.
    pub(crate) async fn run(mut self) {
        // One timer for the session's life, moved only when the deadline changes.
        let mut armed: Option<Instant> = None;
        let sleep = tokio::time::sleep_until(tokio::time::Instant::now());
        tokio::pin!(sleep);
        let mut now = Instant::now();
        // Whether the last wake left the WebSockets unread (a command wake does not look at
        // them, so the next wait looks at them first and they cannot starve).
        let mut frames_first = false;
        // A queue whose senders are all gone answers `None` at once, every time: stop asking it
        // (asking again would spin; the session is already closing by then).
        let (mut inputs_open, mut commands_open) = (true, true);
        loop {
            self.drain(now).await;
            self.transport.set(self.session.transport());
            if self.session.is_closed() {
                break;
            }
            let deadline = self.deadline();
            if deadline != armed {
                if let Some(d) = deadline {
                    sleep.as_mut().reset(tokio::time::Instant::from_std(d));
                }
                armed = deadline;
            }
            // The mailboxes are not tokio resources: take part in tokio's co-operative budget
            // here, so a session whose queues never run dry still yields to the others.
            tokio::task::coop::consume_budget().await;
            let accepting_commands = commands_open && self.session.buffered() < self.max_buffered;
            // Inputs, commands and time before frames, so a busy client cannot starve the rest;
            // after a wake that did not read the WebSockets, frames first, so they cannot starve.
            let wake = if frames_first {
                tokio::select! {
                    biased;
                    input = self.inputs.recv(), if inputs_open => Wake::Input(input),
                    (id, frame) = next_frame(&mut self.websockets) => Wake::Frame(id, frame),
                    command = self.commands.recv(), if accepting_commands => Wake::Command(command),
                    () = &mut sleep, if armed.is_some() => Wake::Timeout,
                }
            } else {
                tokio::select! {
                    biased;
                    input = self.inputs.recv(), if inputs_open => Wake::Input(input),
                    command = self.commands.recv(), if accepting_commands => Wake::Command(command),
                    () = &mut sleep, if armed.is_some() => Wake::Timeout,
                    (id, frame) = next_frame(&mut self.websockets) => Wake::Frame(id, frame),
                }
            };
            // A burst of frames is read in one go; other wakes leave the sockets to the next wait
            // (reading them here too would be a second read attempt per wake, mostly in vain).
            let read_frames = matches!(wake, Wake::Frame(..));
            inputs_open &= !matches!(wake, Wake::Input(None));
            commands_open &= !matches!(wake, Wake::Command(None));
            frames_first = !read_frames;
            now = Instant::now();
            self.on_wake(now, wake);
            self.take_ready(now, read_frames);
        }
        // Anyone still waiting for an answer gets "unknown session" from the dropped sender.
        self.replies.clear();
        for ws in self.websockets.drain(..) {
            close_later(ws.stream);
        }
    }

    fn on_wake(&mut self, now: Instant, wake: Wake) {
        match wake {
            Wake::Input(Some(DriverInput::Poll { input, reply })) => {
                if let (Some(reply), Some(id)) = (reply, request_id(&input)) {
                    self.replies.push((id, reply));
                }
                self.session.handle(now, input);
            }
            Wake::Input(Some(DriverInput::WebSocket { id, stream })) => {
                self.websockets.push(Ws::new(id, stream));
                self.session.handle(now, Input::WsOpened(id));
            }
            // The engine shuts down: close like the application would.
            Wake::Input(Some(DriverInput::Close) | None) => self.session.close(now),
            Wake::Command(Some(Command::App(message))) => {
                if let Some((app, mut cx)) = self.app(now) {
                    app.on_message(message, &mut cx);
                }
            }
            Wake::Command(Some(command)) => app::apply(&mut self.session, now, command),
            Wake::Command(None) => self.session.close(now),
            Wake::Frame(ws, frame) => self.on_frame(now, ws, frame),
            Wake::Timeout => {
                // Timeouts are rare (a ping every interval): a quiet session gives back what its
                // queues grew to in past bursts.
                self.release_memory();
                self.session.handle_timeout(now);
                if let Some((app, mut cx)) = self.app(now) {
                    if app.poll_timeout().is_some_and(|d| d <= now) {
                        app.on_timeout(&mut cx);
                    }
                }
            }
        }
    }

    fn release_memory(&mut self) {
        self.release_memory = false;
        for w in &mut self.websockets {
            w.release_memory();
        }
        self.commands.release_memory();
        self.inputs.release_memory();
        self.session.release_memory();
    }

    /// The application running in this task, with its view of the session for this wake.
    fn app(&mut self, now: Instant) -> Option<(&mut Box<dyn SessionApp>, AppContext<'_>)> {
        match &mut self.events {
            EventSink::App(app) => Some((
                app,
                AppContext {
                    now,
                    session: &mut self.session,
                    commands: &mut self.commands,
                    release_memory: &mut self.release_memory,
                },
            )),
            EventSink::Channel(_) => None,
        }
    }

    /// The session's or the application's deadline, whichever comes first.
    fn deadline(&self) -> Option<Instant> {
        let session = self.session.poll_timeout();
        let app = match &self.events {
            EventSink::App(app) => app.poll_timeout(),
            EventSink::Channel(_) => None,
        };
        match (session, app) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Takes what is already waiting (commands, frames, requests) without sleeping, so that one
    /// drain and one flush per WebSocket carry a whole burst.
    fn take_ready(&mut self, now: Instant, read_frames: bool) {
        for _ in 0..MAX_BATCH {
            if self.session.is_closed() {
                return;
            }
            // Commands wait in their channel while the session's send buffer is full.
            let command = if self.session.buffered() < self.max_buffered {
                self.commands.try_recv()
            } else {
                None
            };
            let wake = if let Some(command) = command {
                Wake::Command(Some(command))
            } else if let Some(input) = self.inputs.try_recv() {
                Wake::Input(Some(input))
            } else if let Some((id, frame)) = read_frames
                .then(|| next_frame(&mut self.websockets).now_or_never())
                .flatten()
            {
                Wake::Frame(id, frame)
            } else {
                return;
            };
            self.on_wake(now, wake);
        }
    }

    fn on_frame(
        &mut self,
        now: Instant,
        ws: WsId,
        frame: Option<Result<Message, tungstenite::Error>>,
    ) {
        let input = match frame {
            Some(Ok(Message::Text(text))) => {
                let bytes = Bytes::from(text);
                match bytes.first() {
                    // A message packet: its text is the frame after the `4`, already checked.
                    Some(b'4') => Input::WsFrame(
                        ws,
                        WsFrame::Message(Text::from_checked_frame(bytes.slice(1..))),
                    ),
                    _ => Input::WsFrame(ws, WsFrame::Text(bytes)),
                }
            }
            Some(Ok(Message::Binary(bytes))) => Input::WsFrame(ws, WsFrame::Binary(bytes)),
            // tungstenite answers pings itself; the pong goes out with the next flush.
            Some(Ok(Message::Ping(_))) => {
                if let Some(w) = self.websockets.iter_mut().find(|w| w.id == ws) {
                    w.pong = true;
                }
                return;
            }
            Some(Ok(Message::Pong(_) | Message::Frame(_))) => return,
            Some(Ok(Message::Close(_))) | None => {
                self.remove_ws(ws);
                Input::WsClosed { ws, error: false }
            }
            Some(Err(_)) => {
                self.remove_ws(ws);
                Input::WsClosed { ws, error: true }
            }
        };
        self.session.handle(now, input);
    }

    fn remove_ws(&mut self, ws: WsId) -> Option<Ws> {
        let index = self.websockets.iter().position(|w| w.id == ws)?;
        Some(self.websockets.swap_remove(index))
    }

    /// Carries out every pending output, then writes out what each WebSocket got (one write per
    /// WebSocket per drain).
    async fn drain(&mut self, now: Instant) {
        while let Some(output) = self.session.poll_output() {
            match output {
                Output::Reply { request, reply } => {
                    if let Some(index) = self.replies.iter().position(|(id, _)| *id == request) {
                        let (_, sender) = self.replies.swap_remove(index);
                        let _ = sender.send(reply);
                    }
                }
                Output::WsSend { ws, frame } => {
                    if let Some(w) = self.websockets.iter_mut().find(|w| w.id == ws) {
                        w.queue(&frame);
                    }
                }
                Output::WsClose { ws } => {
                    if let Some(mut w) = self.remove_ws(ws) {
                        let _ = w.write_out().await;
                        close_later(w.stream);
                    }
                }
                Output::Event(event) => {
                    if let Some((app, mut cx)) = self.app(now) {
                        app.on_event(event, &mut cx);
                    } else if let EventSink::Channel(events) = &self.events {
                        // The application may have dropped its socket; the session then still
                        // runs until the close that the dropped command channel asks for.
                        let _ = events.send(event).await;
                    }
                }
            }
        }
        let mut failed = None;
        for w in &mut self.websockets {
            if w.write_out().await.is_err() {
                failed = Some(w.id);
            }
        }
        // At most one fails per drain in practice; another is found by the next drain.
        if let Some(ws) = failed {
            self.remove_ws(ws);
            self.session
                .handle(Instant::now(), Input::WsClosed { ws, error: true });
        }
        if self.release_memory {
            self.release_memory();
        }
        if !self.session.is_closed() && self.session.poll_timeout().is_none() {
            // Unreachable for an open session (a ping or pong deadline is always set), but keep
            // the invariant explicit rather than sleeping forever.
            self.session.handle_timeout(Instant::now());
        }
    }
}

fn request_id(input: &Input) -> Option<RequestId> {
    match input {
        Input::PollGet(id)
        | Input::PostStarted(id)
        | Input::PostBody(id, _)
        | Input::PostTooLarge(id) => Some(*id),
        _ => None,
    }
}

/// Closes a WebSocket in the background (close frame, then the TCP connection), bounded in time.
fn close_later(mut stream: Box<WsStream>) {
    tokio::spawn(async move {
        // Called by its path: with futures-sink's `alloc` feature (which the `redis` crate turns on)
        // `Box<WsStream>` is a Sink itself and `stream.close` would be `SinkExt::close`.
        let close = WsStream::close(&mut stream, None);
        let _ = tokio::time::timeout(std::time::Duration::from_secs(2), close).await;
    });
}

/// The next frame from any of the session's WebSockets (at most two: the active one and a probe).
async fn next_frame(websockets: &mut [Ws]) -> (WsId, Option<Result<Message, tungstenite::Error>>) {
    poll_fn(|cx| {
        for w in websockets.iter_mut() {
            if let Poll::Ready(item) = w.stream.poll_next_unpin(cx) {
                return Poll::Ready((w.id, item));
            }
        }
        Poll::Pending
    })
    .await
}

/// Most of a WebSocket's output buffer kept between drains; a bigger one (after a large message)
/// is given back.
const KEPT_OUTPUT: usize = 4096;

/// One WebSocket of the session. tungstenite reads its frames (and answers pings); the session's
/// frames are written here, by hand, into `out` and then to the socket in one write per drain:
/// a message is copied once, from its (possibly shared) text into `out`.
pub(crate) struct Ws {
    id: WsId,
    stream: Box<WsStream>,
    out: Vec<u8>,
    /// tungstenite queued a pong that its next flush writes.
    pong: bool,
}

impl Ws {
    pub(crate) fn new(id: WsId, stream: Box<WsStream>) -> Self {
        Self {
            id,
            stream,
            out: Vec::new(),
            pong: false,
        }
    }

    fn queue(&mut self, frame: &WsFrame) {
        match frame {
            WsFrame::Message(text) => {
                write_frame(&mut self.out, Opcode::Text, &[b"4", text.as_bytes()]);
            }
            WsFrame::Text(bytes) => write_frame(&mut self.out, Opcode::Text, &[bytes]),
            WsFrame::Binary(bytes) => write_frame(&mut self.out, Opcode::Binary, &[bytes]),
        }
    }

    /// Writes out the pending pong, then the queued frames.
    async fn write_out(&mut self) -> std::io::Result<()> {
        use tokio::io::AsyncWriteExt;
        if std::mem::take(&mut self.pong) {
            self.stream.flush().await.map_err(std::io::Error::other)?;
        }
        if self.out.is_empty() {
            return Ok(());
        }
        let result = self.stream.get_mut().write_all(&self.out).await;
        self.out.clear();
        if self.out.capacity() > KEPT_OUTPUT {
            self.out = Vec::new();
        }
        result
    }

    fn release_memory(&mut self) {
        if self.out.is_empty() {
            self.out = Vec::new();
        }
    }
}
