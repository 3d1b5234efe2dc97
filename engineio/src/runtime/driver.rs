//! One task per session: feeds the [`Session`] core with requests, frames, commands and time, and
//! carries out what it outputs. No protocol rule lives here.

use super::app::{self, AppContext, SessionApp, WsOutput};
use super::closings::{Closing, Closings};
use super::command::Command;
use super::held_wakes::Hold;
use super::inputs::{DriverInput, SessionCell, WsStream};
use super::mailbox;
use super::wake_flag::WakeFlag;
use crate::proto::websocket_frame::{write_frame, Opcode, WsFault};
use crate::proto::websocket_read::{Found, InPlace, Incoming};
use crate::proto::{Event, Input, Output, PollReply, RequestId, Session, WsFrame, WsId};
use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::io::AsyncWrite;
use tokio::sync::{mpsc, oneshot};

/// Most inputs taken in one burst before the outputs are carried out.
const MAX_BATCH: usize = 64;

/// Where the session's events go.
pub(crate) enum EventSink<A> {
    /// To a [`super::Socket`] in another task.
    Channel(mpsc::Sender<Event>),
    /// To an application running in this task. Boxed: the driver's future is the task, and the
    /// application is kept off it (a future may hold its driver in more than one of its states).
    App(Box<A>),
}

/// What a driver is made of besides its application and its command queue (whose type is the
/// application's).
pub(crate) struct DriverParts {
    pub(crate) session: Session,
    pub(crate) inputs: mailbox::Receiver<DriverInput>,
    pub(crate) cell: Arc<SessionCell>,
    pub(crate) websockets: Vec<Ws>,
    pub(crate) max_buffered: usize,
    /// Keeps the session in its engine's table while the driver lives.
    pub(crate) registration: super::sessions::Registration,
    /// The endpoint's closes under way, which its shutdown waits for.
    pub(crate) closings: Arc<Closings>,
}

pub(crate) struct Driver<A: SessionApp> {
    session: Session,
    inputs: mailbox::Receiver<DriverInput>,
    commands: mailbox::Receiver<Command<A::Message>>,
    events: EventSink<A>,
    cell: Arc<SessionCell>,
    websockets: Vec<Ws>,
    /// Whether the WebSockets may have something (they are polled only then).
    socket_wake: WakeFlag,
    /// Whether the session's timer may have expired (it is polled only then).
    timer_wake: WakeFlag,
    replies: Vec<(RequestId, oneshot::Sender<PollReply>)>,
    max_buffered: usize,
    /// Text messages are read where they lie in their WebSocket's read buffer and handed to the
    /// application from there (it runs in this task: `EventSink::App`).
    in_place: bool,
    /// The application asked to give back queue memory at the end of this drain.
    release_memory: bool,
    /// Keeps the session in its engine's table while the driver lives.
    _registration: super::sessions::Registration,
    /// The endpoint's closes under way, which its shutdown waits for.
    closings: Arc<Closings>,
}

enum Wake<M> {
    Input(Option<DriverInput>),
    Command(Option<Command<M>>),
    Ws(WsId, WsEvent),
    /// A send to the session was refused as over its budget (noted at the top of the loop).
    Refused,
    Timeout,
}

/// What a session's wait waits for this time, and in which order (see [`Driver::poll_wake`]).
#[derive(Clone, Copy)]
struct Wait {
    /// The inputs queue still has senders.
    inputs: bool,
    /// The command queue still has senders and the session's send buffer has room.
    commands: bool,
    /// The timer is armed.
    timer: bool,
    /// The last wake did not read the WebSockets: they come right after the inputs.
    frames_first: bool,
}

/// What happened on one of the session's WebSockets.
enum WsEvent {
    /// A message (or a text read in place), ping or close, a broken rule, or (`None`) the end
    /// of the stream.
    Frame(Option<Result<Found, WsFault>>),
    /// Everything queued for it has been written.
    Written,
    /// A write failed: the connection is gone.
    WriteFailed,
}

impl<A: SessionApp> Driver<A> {
    /// A driver for the session of `parts`, taking commands from `commands` and giving events
    /// to `events`.
    pub(crate) fn new(
        parts: DriverParts,
        commands: mailbox::Receiver<Command<A::Message>>,
        events: EventSink<A>,
    ) -> Self {
        let in_place = matches!(events, EventSink::App(_));
        Self {
            session: parts.session,
            inputs: parts.inputs,
            commands,
            events,
            cell: parts.cell,
            websockets: parts.websockets,
            socket_wake: WakeFlag::new(),
            timer_wake: WakeFlag::new(),
            replies: Vec::new(),
            max_buffered: parts.max_buffered,
            in_place,
            release_memory: false,
            _registration: parts.registration,
            closings: parts.closings,
        }
    }

    /// Runs the session to its end.
    ///
    /// Not an `async fn`: one moves its arguments into locals, and the future then holds the
    /// driver twice (the argument's space is not reused); an `async move` block uses the captured
    /// driver in place. This future is most of an idle connection's memory.
    #[allow(clippy::manual_async_fn)] // on purpose: see above
    pub(crate) fn run(mut self) -> impl Future<Output = ()> + Send {
        async move {
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
                // One exchange with the command queue a wake: what the session holds (for the
                // queue's admissions), what the queue holds and whether it refused (for the session).
                let (elsewhere, refused) = self.commands.sync(self.session.buffered_bytes());
                self.session.set_queued_elsewhere(now, elsewhere, refused);
                self.cell.set(self.session.transport());
                if self.session.is_finished() {
                    break;
                }
                let deadline = self.deadline();
                if deadline != armed {
                    if let Some(d) = deadline {
                        sleep.as_mut().reset(tokio::time::Instant::from_std(d));
                        self.timer_wake.raise();
                    }
                    armed = deadline;
                }
                // The mailboxes are not tokio resources: take part in tokio's co-operative budget
                // here, so a session whose queues never run dry still yields to the others.
                tokio::task::coop::consume_budget().await;
                let wait = Wait {
                    inputs: inputs_open,
                    commands: commands_open && self.session.buffered() < self.max_buffered,
                    timer: armed.is_some(),
                    frames_first,
                };
                let wake = poll_fn(|cx| self.poll_wake(cx, sleep.as_mut(), wait)).await;
                // A burst of frames is read in one go; other wakes leave the sockets to the next wait
                // (reading them here too would be a second read attempt per wake, mostly in vain).
                let read_frames = matches!(wake, Wake::Ws(..));
                inputs_open &= !matches!(wake, Wake::Input(None));
                commands_open &= !matches!(wake, Wake::Command(None));
                frames_first = !read_frames;
                now = Instant::now();
                // The sessions this burst sends to are woken when it ends (see `held_wakes`):
                // each then writes all the burst gave it at once.
                {
                    let _hold = Hold::start();
                    if matches!(wake, Wake::Timeout) {
                        // What already arrived goes first (a pong waiting in the socket after this
                        // task was held up must not lose to the pong deadline it meets).
                        self.take_ready(now, true);
                    }
                    self.on_wake(now, wake);
                    self.take_ready(now, read_frames);
                }
            }
            // Anyone still waiting for an answer gets "unknown session" from the dropped sender.
            self.replies.clear();
            for ws in self.websockets.drain(..) {
                close_later(ws, false, self.closings.start());
            }
        }
    }

    fn on_wake(&mut self, now: Instant, wake: Wake<A::Message>) {
        match wake {
            Wake::Input(Some(DriverInput::Poll { input, reply, slot })) => {
                if let (Some(reply), Some(id)) = (reply, request_id(&input)) {
                    self.replies.push((id, reply));
                }
                self.session.handle(now, input);
                // A POST's last input handled: the POST no longer counts as open.
                drop(slot);
            }
            Wake::Input(Some(DriverInput::WebSocket { id, stream })) => {
                self.websockets.push(Ws::new(id, *stream));
                self.socket_wake.raise();
                self.session.handle(now, Input::WsOpened(id));
            }
            // The engine shuts down: close like the application would, WebSockets with `1001`.
            Wake::Input(Some(DriverInput::Close) | None) => self.session.shutdown(now),
            Wake::Command(Some(Command::App(message))) => {
                if let Some((app, mut cx)) = self.app(now) {
                    app.on_message(message, &mut cx);
                }
            }
            Wake::Command(Some(command)) => app::apply(&mut self.session, now, command),
            Wake::Command(None) => self.session.close(now),
            Wake::Refused => {}
            Wake::Ws(ws, WsEvent::Frame(frame)) => self.on_frame(now, ws, frame),
            Wake::Ws(ws, WsEvent::Written) => self.session.handle(now, Input::WsWritten(ws)),
            Wake::Ws(ws, WsEvent::WriteFailed) => {
                self.remove_ws(ws);
                self.session
                    .handle(now, Input::WsClosed { ws, error: true });
            }
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
    fn app(&mut self, now: Instant) -> Option<(&mut A, AppContext<'_, A::Message>)> {
        match &mut self.events {
            EventSink::App(app) => Some((
                app,
                AppContext {
                    now,
                    session: &mut self.session,
                    commands: &mut self.commands,
                    release_memory: &mut self.release_memory,
                    websockets: &mut self.websockets,
                },
            )),
            EventSink::Channel(_) => None,
        }
    }

    /// One poll of the wait for the next wake, in `wait`'s order: inputs, commands and time
    /// before frames, so a busy client cannot starve the rest; after a wake that did not read the
    /// WebSockets, frames right after inputs, so they cannot starve. By hand rather than with
    /// `tokio::select!`, which builds, polls and drops a future per source on every wait: that
    /// was a third of the loop's own instructions per wake (callgrind, echo at 1 in flight: 868
    /// -> 600).
    fn poll_wake(
        &mut self,
        cx: &mut Context<'_>,
        mut sleep: Pin<&mut tokio::time::Sleep>,
        wait: Wait,
    ) -> Poll<Wake<A::Message>> {
        if wait.inputs {
            if let Poll::Ready(input) = self.inputs.poll_recv(cx, false) {
                // Without refusals the queue never answers `Err`.
                return Poll::Ready(Wake::Input(input.unwrap_or(None)));
            }
        }
        if wait.frames_first {
            if let Poll::Ready((id, event)) = self.poll_websockets(cx) {
                return Poll::Ready(Wake::Ws(id, event));
            }
        }
        if wait.commands {
            if let Poll::Ready(command) = self.commands.poll_recv(cx, true) {
                return Poll::Ready(command.map_or(Wake::Refused, Wake::Command));
            }
        }
        if wait.timer
            && (self.timer_wake)
                .poll_for(cx, |flagged| sleep.as_mut().poll(flagged))
                .is_ready()
        {
            return Poll::Ready(Wake::Timeout);
        }
        if !wait.frames_first {
            if let Poll::Ready((id, event)) = self.poll_websockets(cx) {
                return Poll::Ready(Wake::Ws(id, event));
            }
        }
        Poll::Pending
    }

    /// The next event of a WebSocket, polled while their flag says they may have one.
    fn poll_websockets(&mut self, cx: &mut Context<'_>) -> Poll<(WsId, WsEvent)> {
        let (websockets, in_place) = (&mut self.websockets, self.in_place);
        (self.socket_wake).poll_for(cx, |flagged| poll_ws_event(websockets, flagged, in_place))
    }

    /// The session's or the application's deadline, whichever comes first. Called for an open
    /// session, once per wake.
    fn deadline(&mut self) -> Option<Instant> {
        let session = match self.session.poll_timeout() {
            // Unreachable for an open session (a ping or pong deadline is always set), but keep
            // the invariant explicit rather than sleeping forever.
            None => {
                self.session.handle_timeout(Instant::now());
                self.session.poll_timeout()
            }
            deadline => deadline,
        };
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
            if self.session.is_finished() {
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
            } else if let Some((id, event)) = read_frames.then(|| self.try_ws_event()).flatten() {
                Wake::Ws(id, event)
            } else {
                return;
            };
            self.on_wake(now, wake);
        }
    }

    /// The next event of a WebSocket if one is ready now (polled with the sockets' own waker, so
    /// an answer of `Pending` lowers their flag until they wake the task).
    fn try_ws_event(&mut self) -> Option<(WsId, WsEvent)> {
        let (websockets, in_place) = (&mut self.websockets, self.in_place);
        match (self.socket_wake).poll_if_raised(|cx| poll_ws_event(websockets, cx, in_place)) {
            Poll::Ready(event) => Some(event),
            Poll::Pending => None,
        }
    }

    fn on_frame(&mut self, now: Instant, ws: WsId, frame: Option<Result<Found, WsFault>>) {
        let frame = match frame {
            Some(Ok(Found::InPlace(place))) => return self.on_text_in_place(now, ws, place),
            Some(Ok(Found::Incoming(incoming))) => Ok(incoming),
            Some(Err(fault)) => Err(fault),
            None => {
                self.remove_ws(ws);
                return self
                    .session
                    .handle(now, Input::WsClosed { ws, error: true });
            }
        };
        let input = match frame {
            // The reader checked the text's UTF-8; the session reads the packet in it.
            Ok(Incoming::Text(text)) => Input::WsFrame(ws, WsFrame::Text(text)),
            Ok(Incoming::Binary(bytes)) => Input::WsFrame(ws, WsFrame::Binary(bytes)),
            // Answered with the same bytes, in order with the session's frames.
            Ok(Incoming::Ping(data)) => {
                if let Some(w) = self.websockets.iter_mut().find(|w| w.id == ws) {
                    write_frame(&mut w.out, Opcode::Pong, None, &data);
                    self.socket_wake.raise();
                }
                return;
            }
            // The client closed: answered with a close frame of the same code, after what the
            // WebSocket still holds, and then the connection closes.
            Ok(Incoming::Close(code)) => {
                if let Some(mut w) = self.remove_ws(ws) {
                    w.queue_close(code);
                    close_later(w, false, self.closings.start());
                }
                Input::WsClosed { ws, error: false }
            }
            // The connection can still be written to: the session closes it with a code.
            Err(fault) => Input::WsFault { ws, fault },
        };
        self.session.handle(now, input);
    }

    /// A text message read where it lies in its WebSocket's read buffer: its UTF-8 checked, then
    /// handed to the session, and to the application from there if it is a message for it. The
    /// buffer is out of its stream meanwhile (the application may write to the same WebSocket),
    /// and goes back without the message.
    fn on_text_in_place(&mut self, now: Instant, ws: WsId, place: InPlace) {
        let Some(w) = self.websockets.iter_mut().find(|w| w.id == ws) else {
            return;
        };
        let buf = w.stream.take_read();
        let failed = match place.text(&buf) {
            Ok(frame) => {
                if let Some(message) = self.session.ws_message_in_place(now, ws, frame) {
                    if let Some((app, mut cx)) = self.app(now) {
                        app.on_text(message, &mut cx);
                    }
                }
                false
            }
            Err(fault) => {
                self.session.handle(now, Input::WsFault { ws, fault });
                true
            }
        };
        if let Some(w) = self.websockets.iter_mut().find(|w| w.id == ws) {
            w.stream.restore_read(buf, failed);
        }
    }

    fn remove_ws(&mut self, ws: WsId) -> Option<Ws> {
        let index = self.websockets.iter().position(|w| w.id == ws)?;
        Some(self.websockets.swap_remove(index))
    }

    /// Carries out every pending output, then writes out what each WebSocket got (one write per
    /// WebSocket per drain; what the socket does not take now is written as it becomes
    /// writable, while the session goes on).
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
                Output::WsClose { ws, code } => {
                    if let Some(mut w) = self.remove_ws(ws) {
                        w.queue_close(Some(code));
                        close_later(w, true, self.closings.start());
                    }
                }
                Output::Event(event) => {
                    if let Some((app, mut cx)) = self.app(now) {
                        app.on_event(event, &mut cx);
                    } else if let EventSink::Channel(events) = &self.events {
                        // The application may have dropped its socket; the session then still
                        // runs until the close that the dropped command channel asks for.
                        // Boxed: a channel's send future is a few hundred bytes, which the task of
                        // every session (an application running in it too) would otherwise hold.
                        let _ = Box::pin(events.send(event)).await;
                    }
                }
            }
        }
        // At most two WebSockets (the active one and a probe): their outcomes on the stack.
        // Written with the sockets' own waker: a socket that cannot take it all now wakes the
        // task (and raises the sockets' flag) when it can.
        let mut done: [Option<(WsId, WsEvent)>; 2] = [None, None];
        let mut cx = self.socket_wake.context();
        for (w, slot) in self.websockets.iter_mut().zip(done.iter_mut()) {
            *slot = match w.poll_write_out(&mut cx) {
                Poll::Ready(Ok(true)) => Some((w.id, WsEvent::Written)),
                Poll::Ready(Ok(false)) | Poll::Pending => None,
                Poll::Ready(Err(_)) => Some((w.id, WsEvent::WriteFailed)),
            };
        }
        for (ws, event) in done.into_iter().flatten() {
            // Nothing of the session's counted as unwritten: nothing to report.
            if matches!(event, WsEvent::Written) && self.session.buffered_bytes() == 0 {
                continue;
            }
            self.on_wake(now, Wake::Ws(ws, event));
        }
        if self.release_memory {
            self.release_memory();
        }
    }
}

fn request_id(input: &Input) -> Option<RequestId> {
    match input {
        Input::PollGet(id)
        | Input::PostStarted(id)
        | Input::PostBody(id, _)
        | Input::Post(id, _)
        | Input::PostTooLarge(id) => Some(*id),
        _ => None,
    }
}

/// How long a closing WebSocket may take to write what it still holds, send its close frame and
/// hear the client's answer, before its connection is dropped.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(2);

/// Closes a WebSocket in the background, bounded in time: what it still holds goes out, its close
/// frame last (queued by the caller); then, when the server closed first (`await_answer`) and not
/// because the client broke the protocol, the client's answering close is read (anything before
/// it is dropped). Then the connection is
/// dropped: RFC 6455 section 5.5.1 has the server close TCP once the handshake is done.
/// `closing` counts it among the endpoint's closes under way until it ends.
fn close_later(mut ws: Ws, await_answer: bool, closing: Closing) {
    tokio::spawn(async move {
        let _closing = closing;
        let close = async move {
            poll_fn(|cx| ws.poll_write_out(cx)).await.ok()?;
            if await_answer && !ws.stream.failed() {
                loop {
                    match poll_fn(|cx| ws.stream.poll_next(cx, false)).await {
                        Some(Ok(Found::Incoming(Incoming::Close(_))) | Err(_)) | None => break,
                        Some(Ok(_)) => {}
                    }
                }
            }
            Some(())
        };
        let _ = tokio::time::timeout(CLOSE_TIMEOUT, close).await;
    });
}

impl WsOutput for Vec<Ws> {
    fn queue_message_text(&mut self, ws: WsId, text: &[u8]) -> bool {
        queue_frame(self, ws, Opcode::Text, Some(b'4'), text)
    }

    fn queue_message_binary(&mut self, ws: WsId, data: &[u8]) -> bool {
        queue_frame(self, ws, Opcode::Binary, None, data)
    }
}

/// Writes a frame into the output of the WebSocket `ws`; `false` if the task has none such.
fn queue_frame(
    websockets: &mut [Ws],
    ws: WsId,
    opcode: Opcode,
    kind: Option<u8>,
    data: &[u8],
) -> bool {
    match websockets.iter_mut().find(|w| w.id == ws) {
        Some(w) => {
            write_frame(&mut w.out, opcode, kind, data);
            true
        }
        None => false,
    }
}

/// One poll of the session's WebSockets (at most two: the active one and a probe) for a finished
/// or failed write or a frame; `Pending` once each socket answered `Pending` to `cx`'s waker. A
/// WebSocket whose socket did not take all that a drain wrote is read only once it took the rest,
/// so a client that does not read is not read either (a ping read meanwhile would queue a pong
/// behind what it does not read). With `in_place`, text messages are read in place (see
/// [`WsStream::poll_next`]).
fn poll_ws_event(
    websockets: &mut [Ws],
    cx: &mut Context<'_>,
    in_place: bool,
) -> Poll<(WsId, WsEvent)> {
    for w in websockets.iter_mut() {
        // Output written since the last drain (answers to messages read in place in this burst)
        // waits for the drain: one write for the burst.
        if w.blocked {
            match w.poll_write_out(cx) {
                Poll::Ready(Ok(_)) => return Poll::Ready((w.id, WsEvent::Written)),
                Poll::Ready(Err(_)) => return Poll::Ready((w.id, WsEvent::WriteFailed)),
                Poll::Pending => continue,
            }
        }
        if let Poll::Ready(item) = w.stream.poll_next(cx, in_place) {
            return Poll::Ready((w.id, WsEvent::Frame(item)));
        }
    }
    Poll::Pending
}

/// Most of a WebSocket's output buffer kept between drains; a bigger one (after a large message)
/// is given back.
const KEPT_OUTPUT: usize = 4096;

/// One WebSocket of the session. Its frames are read by its [`WsStream`]; the session's frames,
/// and the answers to pings and closes, are written here, by hand, into `out` and then to the
/// socket as it takes them: a message is copied once, from its (possibly shared) text into `out`.
pub(crate) struct Ws {
    id: WsId,
    stream: WsStream,
    out: Vec<u8>,
    /// How much of `out` is written.
    written: usize,
    /// The socket took less than `out` held at the last write (it is not read until it took
    /// the rest).
    blocked: bool,
}

impl Ws {
    pub(crate) fn new(id: WsId, stream: WsStream) -> Self {
        Self {
            id,
            stream,
            out: Vec::new(),
            written: 0,
            blocked: false,
        }
    }

    /// A WebSocket whose first bytes (the handshake's response and the open packet) are still to
    /// be written, by the driver, like its frames.
    pub(crate) fn with_output(id: WsId, stream: WsStream, first: Vec<u8>) -> Self {
        Self {
            out: first,
            ..Self::new(id, stream)
        }
    }

    fn queue(&mut self, frame: &WsFrame) {
        match frame {
            WsFrame::Packet { kind, data } => {
                write_frame(&mut self.out, Opcode::Text, Some(*kind), data.as_bytes());
            }
            WsFrame::Text(text) => write_frame(&mut self.out, Opcode::Text, None, text.as_bytes()),
            WsFrame::Binary(bytes) => write_frame(&mut self.out, Opcode::Binary, None, bytes),
        }
    }

    /// Queues a close frame with `code` (none: an empty one), the last frame it sends.
    fn queue_close(&mut self, code: Option<u16>) {
        let payload = code.map(u16::to_be_bytes);
        write_frame(
            &mut self.out,
            Opcode::Close,
            None,
            payload.as_ref().map_or(&[], |p| &p[..]),
        );
    }

    /// Writes the queued frames, as far as the socket takes them. Ready once all is written:
    /// `true` if there was anything to write.
    fn poll_write_out(&mut self, cx: &mut Context<'_>) -> Poll<std::io::Result<bool>> {
        if self.out.is_empty() {
            self.blocked = false;
            return Poll::Ready(Ok(false));
        }
        while self.written < self.out.len() {
            let rest = self.out.get(self.written..).unwrap_or_default();
            match Pin::new(self.stream.io()).poll_write(cx, rest) {
                Poll::Ready(Ok(0)) => {
                    return Poll::Ready(Err(std::io::ErrorKind::WriteZero.into()));
                }
                Poll::Ready(Ok(n)) => self.written += n,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => {
                    self.blocked = true;
                    return Poll::Pending;
                }
            }
        }
        // A TLS stream may keep part of what it took until flushed (a TCP stream keeps nothing:
        // its flush returns at once).
        match Pin::new(self.stream.io()).poll_flush(cx) {
            Poll::Ready(Ok(())) => {}
            Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
            Poll::Pending => {
                self.blocked = true;
                return Poll::Pending;
            }
        }
        self.blocked = false;
        self.out.clear();
        self.written = 0;
        if self.out.capacity() > KEPT_OUTPUT {
            self.out = Vec::new();
        }
        Poll::Ready(Ok(true))
    }

    fn release_memory(&mut self) {
        if self.out.is_empty() {
            self.out = Vec::new();
        }
        self.stream.release_memory();
    }
}
