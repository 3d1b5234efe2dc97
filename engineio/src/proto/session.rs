//! The Engine.IO session: heartbeats, long-polling, WebSocket, and the upgrade between them.
//!
//! ```text
//!  handshake over polling                 WS opened        `5` on the probe
//!  ──────────────────────> Polling ─────────────> Upgrading ─────────────────> WebSocket
//!                           │   ^   probe closed,      │                          ^  │
//!                           │   └── bad packet, or ────┘                          │  │
//!                           │       upgrade timeout                               │  │
//!  handshake over WebSocket ─────────────────────────────────────────────────────-┘  │
//!                           │ app close, no GET parked                               │
//!                           v                                                        │
//!                        Closing ── next GET gets `1`, or timeout ──> Closed(reason) <┘
//!           any state ── close packet, ping timeout, transport error, parse error ──> Closed(reason)
//! ```
//!
//! The session never does I/O and never reads a clock. The runtime gives it each request, frame and
//! the time, then drains [`Output`]s until [`Session::poll_output`] returns `None`, and sleeps until
//! [`Session::poll_timeout`] to call [`Session::handle_timeout`].
//!
//! Packets for the client wait in one outbox whatever the transport, so nothing is lost or reordered
//! across the upgrade: while polling, a parked GET takes everything queued; after the upgrade the
//! rest goes out over the WebSocket, in order.
//!
//! A POST that is the session's only one is answered `ok` once its body is here, whatever the body
//! holds (as Node's engine.io answers it): a payload that does not decode closes the session, which
//! the next GET reports. A POST while another one is open is answered `400` and closes the session.
//! So a runtime that knows a POST is alone may answer it `ok` itself and let the session read the
//! body after (ours does: `runtime/exchange.rs`).

use super::budget;
use super::close::{CloseReason, TransportFault};
use super::config::{Config, Protocol, Transport};
use super::handshake::open_json;
use super::packet::{self, Data, Packet, Text};
use super::payload;
use super::payload_v3;
use super::route::RequestError;
use super::websocket_frame::{close_code, WsFault};
use bytes::Bytes;
use std::collections::VecDeque;
use std::fmt;
use std::time::Instant;

/// Identifies one polling HTTP request; chosen by the runtime, unique within a session.
pub type RequestId = u64;
/// Identifies one WebSocket connection; chosen by the runtime, unique within a session.
pub type WsId = u64;

/// A WebSocket data frame. The session reads and writes the Engine.IO framing; a runtime only
/// moves frames.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum WsFrame {
    /// A text frame: one Engine.IO packet in text form. UTF-8 (RFC 6455 requires it of a text
    /// frame: the frame reader, [`super::websocket_read`], checks it, and the session closes
    /// with 1007 otherwise).
    Text(Text),
    /// A text frame written in two parts: the packet's type character `kind`, then `data`. Kept
    /// apart so that a runtime writes them, and a message's (possibly shared) text, straight into
    /// its output without assembling them first.
    Packet {
        /// The type character (`4` for a message).
        kind: u8,
        /// The packet's data.
        data: Text,
    },
    /// A binary frame: one binary message.
    Binary(Bytes),
}

/// Something that happened on a transport of this session.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Input {
    /// A long-poll GET. It is answered now or parked until there is something to send.
    PollGet(RequestId),
    /// A POST's head arrived; its body is being read.
    PostStarted(RequestId),
    /// The whole body of a POST (at most `maxPayload` bytes).
    PostBody(RequestId, Bytes),
    /// A POST whose whole body came with its head: [`Input::PostStarted`] and
    /// [`Input::PostBody`] at once.
    Post(RequestId, Bytes),
    /// A POST whose body is larger than `maxPayload`.
    PostTooLarge(RequestId),
    /// The connection of a parked GET or of a POST closed before it was answered.
    RequestAborted(RequestId),
    /// A WebSocket for this session completed its handshake (an upgrade probe).
    WsOpened(WsId),
    /// A data frame from a WebSocket.
    WsFrame(WsId, WsFrame),
    /// A WebSocket closed or failed. `error` is true when it failed (an I/O error, or the
    /// connection dropped without a close frame); the runtime can no longer write to it.
    WsClosed {
        /// Which WebSocket.
        ws: WsId,
        /// Whether it failed rather than closed cleanly.
        error: bool,
    },
    /// The client broke the WebSocket protocol on a WebSocket that can still be written to: the
    /// session closes it with the fault's close code.
    WsFault {
        /// Which WebSocket.
        ws: WsId,
        /// What the client did.
        fault: WsFault,
    },
    /// Everything the session sent on this WebSocket so far has been written to the network:
    /// those bytes no longer count against the send budget.
    WsWritten(WsId),
}

/// The answer to a polling request.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum PollReply {
    /// `200` with a polling payload (`text/plain; charset=UTF-8`).
    Payload(Bytes),
    /// `200` with an Engine.IO v3 binary payload (`application/octet-stream`).
    BinaryPayload(Bytes),
    /// `200 ok`, the answer to a POST.
    Ok,
    /// An Engine.IO error (`400`/`403` with a JSON body).
    Error(RequestError),
    /// `413 Payload Too Large`.
    TooLarge,
}

/// What the session wants done or said.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Output {
    /// Answer a polling request.
    Reply {
        /// The request.
        request: RequestId,
        /// The answer.
        reply: PollReply,
    },
    /// Send a frame on a WebSocket. Frames of one drain may be written out with one flush.
    WsSend {
        /// The WebSocket.
        ws: WsId,
        /// The frame.
        frame: WsFrame,
    },
    /// Close a WebSocket (after the frames sent before): a close frame with `code`, then the
    /// connection once the client answered it (or a short while passed).
    WsClose {
        /// The WebSocket.
        ws: WsId,
        /// The close code ([`close_code`]).
        code: u16,
    },
    /// Something for the application.
    Event(Event),
}

/// What the application sees of a session.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Event {
    /// A message from the client.
    Message(Data),
    /// The session moved from polling to WebSocket.
    Upgraded,
    /// The session ended; no more events follow.
    Closed(CloseReason),
}

/// Why [`Session::send`] refused a message. The application's concern, never fatal to the session.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[non_exhaustive]
pub enum SendError {
    /// The session is closing or closed.
    Closed,
    /// The client does not keep up: `max_buffered_packets` or `max_buffered_bytes` are already
    /// waiting for it.
    Full,
    /// A text message containing the record separator `\x1e`, which cannot be framed in a
    /// polling payload (Engine.IO v4 has no escape for it; Node has the same limit). A session
    /// whose traffic is all on a WebSocket (for good: Engine.IO v4 never goes back to polling)
    /// takes it.
    RecordSeparator,
}

impl fmt::Display for SendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SendError::Closed => "session is closed",
            SendError::Full => "send buffer is full",
            SendError::RecordSeparator => "text message contains the record separator \\x1e",
        })
    }
}

impl std::error::Error for SendError {}

/// The polling requests a session holds: at most one parked GET and one POST being read.
#[derive(Clone, Copy, Default, Debug, PartialEq, Eq)]
struct Polls {
    parked: Option<RequestId>,
    post: Option<RequestId>,
}

/// The session's transport state; each state carries what only it needs.
#[derive(Clone, Debug, PartialEq, Eq)]
enum State {
    /// HTTP long-polling.
    Polling(Polls),
    /// Polling still carries traffic while a WebSocket probe runs.
    Upgrading {
        polls: Polls,
        probe: WsId,
        /// The probe answered `2probe` with `3probe`.
        probed: bool,
        deadline: Instant,
        /// The server closed meanwhile: the rest goes out on the WebSocket once the client sends
        /// `5` (its polling is paused), then the close; if the probe fails, polling closes.
        closing: bool,
    },
    /// All traffic on one WebSocket.
    WebSocket { ws: WsId },
    /// The server closed a polling session: queued messages go out first, then the close packet
    /// answers a later GET on its own (a client may act on the close before the messages that
    /// came in the same payload, as `engine.io-client` does).
    Closing { polls: Polls, deadline: Instant },
    /// The client closed a polling session with a POST while no GET was parked. It is closed
    /// for the application, but the GET a client sends along with that POST (on another
    /// connection, so it may be read second) still gets the noop it would have had, until
    /// `deadline`.
    Lingering {
        reason: CloseReason,
        deadline: Instant,
    },
    /// Ended.
    Closed(CloseReason),
}

/// Decodes the packet of a WebSocket text frame: its type character, then its data (a message's
/// text is sliced, not copied or checked again); `b` + base64 is a binary message from a client
/// that cannot send binary frames (engine.io-client's `forceBase64`).
///
/// Engine.IO v3 writes a binary message as `b4` + base64 instead.
fn decode_ws_text(
    frame: WsFrame,
    protocol: Protocol,
) -> Result<Packet, super::packet::DecodeError> {
    match frame {
        WsFrame::Text(text) if protocol.is_v3() && text.as_bytes().first() == Some(&b'b') => {
            payload_v3::decode_text(text.into_bytes())
        }
        WsFrame::Packet { kind, data } => Packet::from_parts(kind, data),
        WsFrame::Text(text) if text.as_bytes().first() == Some(&b'b') => {
            payload::decode_segment(text.into_bytes())
        }
        WsFrame::Text(text) => match text.into_split_type() {
            Ok((kind, data)) => Packet::from_parts(kind, data),
            Err(text) => payload::decode_segment(text.into_bytes()),
        },
        WsFrame::Binary(_) => Err(super::packet::DecodeError::Empty),
    }
}

/// The earlier of two optional deadlines.
fn earliest(a: Option<Instant>, b: Option<Instant>) -> Option<Instant> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// How long a polling session closed by the client's POST waits for the GET sent with it.
const LINGER: std::time::Duration = std::time::Duration::from_secs(1);

/// One Engine.IO session (see the module docs for the state diagram and the run loop).
#[derive(Debug)]
pub struct Session {
    sid: String,
    config: Config,
    /// The protocol revision: v3 frames payloads and binary messages its own way, and its client
    /// pings (`pong_deadline` is then the deadline for the next ping).
    protocol: Protocol,
    state: State,
    outbox: VecDeque<Packet>,
    outputs: VecDeque<Output>,
    next_ping: Option<Instant>,
    pong_deadline: Option<Instant>,
    /// What the client is sent and has not read yet, counted against the send budget.
    backlog: Backlog,
    /// The server is shutting down: WebSockets close with `1001`.
    going_away: bool,
}

/// The bytes waiting for the client, by where they wait (see [`budget`]).
#[derive(Clone, Copy, Debug, Default)]
struct Backlog {
    /// Bytes of the outbox.
    outbox: usize,
    /// Bytes handed to the WebSocket that the runtime has not reported written.
    unwritten: usize,
    /// Bytes the runtime holds for this session before they reach it (its command queue).
    elsewhere: usize,
    /// A send was refused since the last call that told the time.
    refused: bool,
    /// Since when the client has been at its budget.
    full_since: Option<Instant>,
}

impl Backlog {
    fn total(&self) -> usize {
        self.outbox
            .saturating_add(self.unwritten)
            .saturating_add(self.elsewhere)
    }
}

impl Session {
    /// A session opened by a polling handshake; the open packet answers request `handshake`.
    pub fn new_polling(now: Instant, sid: String, config: Config, handshake: RequestId) -> Self {
        Self::polling(now, sid, config, Protocol::V4, handshake)
    }

    /// [`Session::new_polling`] for a client of the given protocol revision (the handshake's
    /// `EIO`, see [`super::route()`]).
    pub fn polling(
        now: Instant,
        sid: String,
        config: Config,
        protocol: Protocol,
        handshake: RequestId,
    ) -> Self {
        let open = Packet::Open(open_json(&sid, Transport::Polling, &config, protocol));
        let state = State::Polling(Polls::default());
        let mut session = Self::new(now, sid, config, protocol, state);
        let reply = session.payload_reply(&[&open]);
        session.outputs.push_back(Output::Reply {
            request: handshake,
            reply,
        });
        session
    }

    /// A session opened by a WebSocket handshake; the open packet goes out on `ws`.
    pub fn new_websocket(now: Instant, sid: String, config: Config, ws: WsId) -> Self {
        Self::websocket(now, sid, config, Protocol::V4, ws)
    }

    /// [`Session::new_websocket`] for a client of the given protocol revision.
    pub fn websocket(
        now: Instant,
        sid: String,
        config: Config,
        protocol: Protocol,
        ws: WsId,
    ) -> Self {
        let open = Packet::Open(open_json(&sid, Transport::WebSocket, &config, protocol));
        let mut session = Self::new(now, sid, config, protocol, State::WebSocket { ws });
        session.outputs.push_back(Output::WsSend {
            ws,
            frame: WsFrame::Text(open.to_text()),
        });
        session
    }

    /// Takes the open packet of a session made by [`Session::new_websocket`], for a runtime that
    /// writes it in one go with the handshake response; `None` once taken (or for polling).
    pub fn take_open_frame(&mut self) -> Option<Bytes> {
        match self.outputs.front() {
            Some(Output::WsSend {
                frame: WsFrame::Text(_),
                ..
            }) if matches!(self.state, State::WebSocket { .. }) => {}
            _ => return None,
        }
        match self.outputs.pop_front() {
            Some(Output::WsSend {
                frame: WsFrame::Text(bytes),
                ..
            }) => Some(bytes.into_bytes()),
            _ => None,
        }
    }

    fn new(now: Instant, sid: String, config: Config, protocol: Protocol, state: State) -> Self {
        // v4: the server pings after `pingInterval`. v3: the client pings; it must within
        // `pingInterval + pingTimeout`.
        let (next_ping, pong_deadline) = match protocol {
            Protocol::V4 => (Some(now + config.ping_interval), None),
            Protocol::V3 { .. } => (None, Some(now + config.ping_interval + config.ping_timeout)),
        };
        Self {
            sid,
            next_ping,
            config,
            protocol,
            state,
            outbox: VecDeque::new(),
            outputs: VecDeque::new(),
            pong_deadline,
            backlog: Backlog::default(),
            going_away: false,
        }
    }

    /// The session id.
    pub fn sid(&self) -> &str {
        &self.sid
    }

    /// The protocol revision the client speaks.
    pub fn protocol(&self) -> Protocol {
        self.protocol
    }

    /// A polling response body with `packets`, framed as the session's protocol does.
    fn payload_reply(&self, packets: &[&Packet]) -> PollReply {
        match self.protocol {
            Protocol::V4 => PollReply::Payload(payload::encode(packets.iter().copied())),
            Protocol::V3 { supports_binary } => {
                match payload_v3::encode(packets, supports_binary) {
                    payload_v3::Body::Text(body) => PollReply::Payload(body),
                    payload_v3::Body::Binary(body) => PollReply::BinaryPayload(body),
                }
            }
        }
    }

    /// The transport requests for this session must use now; `None` once closed.
    pub fn transport(&self) -> Option<Transport> {
        match self.state {
            State::Polling(_) | State::Upgrading { .. } | State::Closing { .. } => {
                Some(Transport::Polling)
            }
            State::WebSocket { .. } => Some(Transport::WebSocket),
            State::Lingering { .. } => Some(Transport::Polling),
            State::Closed(_) => None,
        }
    }

    /// Why the session closed, once it has.
    pub fn close_reason(&self) -> Option<CloseReason> {
        match self.state {
            State::Closed(reason) | State::Lingering { reason, .. } => Some(reason),
            _ => None,
        }
    }

    /// Gives back the memory its queues grew to, if they are empty (for a runtime to call when
    /// the session goes quiet; calling it after every output would reallocate on every burst).
    pub fn release_memory(&mut self) {
        if self.outbox.is_empty() {
            self.outbox = VecDeque::new();
        }
        if self.outputs.is_empty() {
            self.outputs = VecDeque::new();
        }
    }

    /// Whether the session has ended (its `Closed` event is out; it may still linger, see
    /// [`Session::is_finished`]).
    pub fn is_closed(&self) -> bool {
        matches!(self.state, State::Closed(_) | State::Lingering { .. })
    }

    /// Whether the session has nothing left to do: ended, and no longer waiting for a GET the
    /// client sent along with its closing POST. A runtime keeps the session routable until then.
    pub fn is_finished(&self) -> bool {
        matches!(self.state, State::Closed(_))
    }

    /// Packets waiting for the client.
    pub fn buffered(&self) -> usize {
        self.outbox.len()
    }

    /// Bytes waiting for the client in the session (its outbox and the WebSocket frames not yet
    /// reported written), as counted by [`budget::weight`].
    pub fn buffered_bytes(&self) -> usize {
        self.backlog.outbox.saturating_add(self.backlog.unwritten)
    }

    /// The send budget in bytes (`max_buffered_bytes`).
    pub fn max_buffered_bytes(&self) -> usize {
        self.config.max_buffered_bytes
    }

    /// Tells the session what the runtime holds for it ahead of the session (bytes its command
    /// queue admitted under the same budget, see [`budget::admits`]) and whether that queue
    /// refused a send since the last call. A runtime calls it after each wake, with the time.
    pub fn set_queued_elsewhere(&mut self, now: Instant, bytes: usize, refused: bool) {
        self.backlog.elsewhere = bytes;
        self.backlog.refused |= refused;
        self.update_pressure(now);
    }

    /// Starts or ends a stretch at the send budget.
    fn update_pressure(&mut self, now: Instant) {
        // The common case, on every input: no refusal, no stretch under way.
        if !self.backlog.refused && self.backlog.full_since.is_none() {
            return;
        }
        if std::mem::take(&mut self.backlog.refused) && self.backlog.full_since.is_none() {
            self.backlog.full_since = Some(now);
        }
        if budget::relieved(self.backlog.total(), self.config.max_buffered_bytes) {
            self.backlog.full_since = None;
        }
    }

    /// The bound on [`Session::buffered`] that [`Session::send`] keeps (`max_buffered_packets`).
    pub fn max_buffered(&self) -> usize {
        self.config.max_buffered_packets
    }

    /// Whether a GET is parked (at most one ever is).
    pub fn has_parked_get(&self) -> bool {
        self.polls().is_some_and(|p| p.parked.is_some())
    }

    /// The next output to carry out, if any.
    pub fn poll_output(&mut self) -> Option<Output> {
        self.outputs.pop_front()
    }

    /// The earliest deadline: the next ping, a pong, the upgrade, the end of closing, or the end
    /// of the grace of a client at its send budget.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let state_deadline = match self.state {
            State::Upgrading { deadline, .. } | State::Closing { deadline, .. } => Some(deadline),
            State::Lingering { deadline, .. } => return Some(deadline),
            State::Closed(_) => return None,
            _ => None,
        };
        let full_deadline = self
            .backlog
            .full_since
            .map(|since| since + self.config.send_buffer_grace);
        earliest(
            earliest(self.next_ping, self.pong_deadline),
            earliest(state_deadline, full_deadline),
        )
    }

    /// Queues a message for the client, within `max_buffered_packets` and the send budget
    /// (`max_buffered_bytes`, see [`budget`]).
    pub fn send(&mut self, data: Data) -> Result<(), SendError> {
        self.send_within(
            data,
            self.config.max_buffered_packets,
            self.config.max_buffered_bytes,
        )
    }

    /// Whether `messages` more messages weighing `weight` bytes in all would be taken by
    /// [`Self::send_within`] with the same bounds, one after the other (e.g. a replay that must
    /// go out whole or not at all).
    pub fn has_room_within(
        &self,
        messages: usize,
        weight: usize,
        packets: usize,
        bytes: usize,
    ) -> bool {
        messages == 0
            || (self.outbox.len().saturating_add(messages) <= packets
                && budget::admits(self.backlog.total(), weight, bytes))
    }

    /// [`Session::send`] with other bounds: `packets` instead of `max_buffered_packets` and
    /// `bytes` instead of `max_buffered_bytes` (a runtime lets answers to the client's own input
    /// go a little past them rather than lose them). A refusal counts as being at the budget.
    pub fn send_within(
        &mut self,
        data: Data,
        packets: usize,
        bytes: usize,
    ) -> Result<(), SendError> {
        self.check_framing(&data)?;
        self.check_open()?;
        if self.outbox.len() >= packets
            || !budget::admits(self.backlog.total(), budget::weight(&data), bytes)
        {
            self.backlog.refused = true;
            return Err(SendError::Full);
        }
        self.push_message(data);
        Ok(())
    }

    /// For a runtime that writes a text message's frame itself, straight into the output of the
    /// session's WebSocket (a message written in place, never held as its own `Text`): admits a
    /// text of `len` bytes as [`Session::send_within`] would (the same checks, the same bounds,
    /// a refusal counted the same) and, if it may be written now, counts it among what that
    /// WebSocket holds unwritten (until [`Input::WsWritten`]) and returns the WebSocket: the
    /// caller then writes the frame (type `4` and the text) at once, after what it wrote there
    /// before. `Ok(None)`: it may not go ahead of what is queued (the
    /// session is not on one WebSocket, or messages or frames wait in it): send it with
    /// [`Session::send_within`].
    pub fn send_text_in_place(
        &mut self,
        len: usize,
        packets: usize,
        bytes: usize,
    ) -> Result<Option<WsId>, SendError> {
        self.send_in_place(len, packets, bytes)
    }

    /// [`Session::send_text_in_place`] for a binary message of `len` bytes, whose frame the
    /// caller writes as a binary frame of its bytes. Only on protocol 4: protocol 3 frames a
    /// binary message differently (a type byte first, or base64 in a text frame), and those go
    /// through [`Session::send_within`].
    pub fn send_binary_in_place(
        &mut self,
        len: usize,
        packets: usize,
        bytes: usize,
    ) -> Result<Option<WsId>, SendError> {
        match self.protocol {
            Protocol::V4 => self.send_in_place(len, packets, bytes),
            Protocol::V3 { .. } => Ok(None),
        }
    }

    fn send_in_place(
        &mut self,
        len: usize,
        packets: usize,
        bytes: usize,
    ) -> Result<Option<WsId>, SendError> {
        let State::WebSocket { ws } = self.state else {
            return Ok(None);
        };
        let frames_waiting = (self.outputs.iter())
            .any(|o| matches!(o, Output::WsSend { .. } | Output::WsClose { .. }));
        if !self.outbox.is_empty() || frames_waiting {
            return Ok(None);
        }
        let weight = budget::weight_of_group(len, &[]);
        if packets == 0 || !budget::admits(self.backlog.total(), weight, bytes) {
            self.backlog.refused = true;
            return Err(SendError::Full);
        }
        self.backlog.unwritten = self.backlog.unwritten.saturating_add(weight);
        Ok(Some(ws))
    }

    /// Queues a text message and the binary messages that belong to it (a Socket.IO packet and
    /// its attachments) within the bounds of [`Session::send_within`], all or none: a full buffer
    /// never splits them.
    pub fn send_group_within(
        &mut self,
        text: Text,
        attachments: Vec<Bytes>,
        packets: usize,
        bytes: usize,
    ) -> Result<(), SendError> {
        let text = Data::Text(text);
        if attachments.is_empty() {
            // Nothing to free: skips the out-of-line drop of an empty list (once per message).
            if attachments.capacity() == 0 {
                std::mem::forget(attachments);
            }
            return self.send_within(text, packets, bytes);
        }
        self.check_framing(&text)?;
        self.check_open()?;
        let weight = budget::weight_of_group(text.len(), &attachments);
        if self.outbox.len().saturating_add(attachments.len()) >= packets
            || !budget::admits(self.backlog.total(), weight, bytes)
        {
            self.backlog.refused = true;
            return Err(SendError::Full);
        }
        self.push_message(text);
        for attachment in attachments {
            self.push_message(Data::Binary(attachment));
        }
        Ok(())
    }

    /// [`Session::check_message`] while the message may still be framed in a polling payload:
    /// not once all traffic is on a WebSocket, where a text frame carries any text.
    fn check_framing(&self, data: &Data) -> Result<(), SendError> {
        match self.state {
            // v3 payloads are length-prefixed: any text fits.
            _ if self.protocol.is_v3() => Ok(()),
            State::WebSocket { .. } => Ok(()),
            _ => Self::check_message(data),
        }
    }

    /// Whether a message can be sent on any transport: text with the record separator `\x1e`
    /// cannot be framed in a polling payload ([`SendError::RecordSeparator`]). [`Session::send`]
    /// checks it while the session may still frame payloads; a runtime that queues messages before
    /// they reach the session, not knowing the transport they will meet, checks it when it queues.
    pub fn check_message(data: &Data) -> Result<(), SendError> {
        match data {
            Data::Text(text) if text.as_bytes().contains(&payload::SEPARATOR) => {
                Err(SendError::RecordSeparator)
            }
            _ => Ok(()),
        }
    }

    /// Queues a message that the runtime's command queue already checked
    /// ([`Session::check_message`]) and admitted under the send budget ([`budget::admits`]):
    /// it only moves from there to here, so neither is done twice.
    #[cfg_attr(not(feature = "tokio"), allow(dead_code))]
    pub(crate) fn send_admitted(&mut self, data: Data) -> Result<(), SendError> {
        self.check_open()?;
        self.push_message(data);
        Ok(())
    }

    fn check_open(&self) -> Result<(), SendError> {
        if matches!(
            self.state,
            State::Closing { .. }
                | State::Closed(_)
                | State::Lingering { .. }
                | State::Upgrading { closing: true, .. }
        ) {
            return Err(SendError::Closed);
        }
        Ok(())
    }

    fn push_message(&mut self, data: Data) {
        let weight = budget::weight(&data);
        if let State::WebSocket { ws } = self.state {
            if self.outbox.is_empty() {
                // What `flush_websocket` would do with it, without the outbox's round trip.
                self.backlog.unwritten = self.backlog.unwritten.saturating_add(weight);
                let frame = self.ws_frame(Packet::Message(data));
                self.outputs.push_back(Output::WsSend { ws, frame });
                return;
            }
        }
        self.backlog.outbox += weight;
        self.outbox.push_back(Packet::Message(data));
        self.flush();
    }

    /// Closes the session as the server shuts down: as [`Session::close`], but a WebSocket
    /// closes with `1001` (going away) instead of `1000`.
    pub fn shutdown(&mut self, now: Instant) {
        self.going_away = true;
        self.close(now);
    }

    /// Closes the session from the server side: what is queued goes out first, then a close packet.
    pub fn close(&mut self, now: Instant) {
        match &mut self.state {
            State::Closed(_) | State::Lingering { .. } | State::Closing { .. } => {}
            State::WebSocket { ws } => {
                let ws = *ws;
                self.close_websocket(ws);
            }
            State::Upgrading { closing, .. } => {
                *closing = true;
                self.flush();
            }
            State::Polling(polls) => {
                let polls = *polls;
                self.enter_closing(now, polls);
            }
        }
    }

    /// Polling, closing: no more pings (the close deadline bounds the wait for the next GET).
    fn enter_closing(&mut self, now: Instant, polls: Polls) {
        self.state = State::Closing {
            polls,
            deadline: now + self.config.ping_timeout,
        };
        self.next_ping = None;
        self.flush();
    }

    /// Sends what is queued and a close packet on the WebSocket, then closes it.
    fn close_websocket(&mut self, ws: WsId) {
        self.outbox.push_back(Packet::Close);
        self.flush_websocket(ws);
        let code = if self.going_away {
            close_code::GOING_AWAY
        } else {
            close_code::NORMAL
        };
        self.outputs.push_back(Output::WsClose { ws, code });
        self.finish(CloseReason::ServerClose);
    }

    /// Closes a WebSocket that is not (or no longer) the session's transport.
    fn close_other(&mut self, ws: WsId) {
        self.outputs.push_back(Output::WsClose {
            ws,
            code: close_code::NORMAL,
        });
    }

    /// The probe failed: polling goes on, or finishes closing if the server closed meanwhile.
    fn probe_failed(&mut self, now: Instant, polls: Polls, closing: bool) {
        if closing {
            self.enter_closing(now, polls);
        } else {
            self.state = State::Polling(polls);
            self.flush();
        }
    }

    /// Feeds one transport input.
    pub fn handle(&mut self, now: Instant, input: Input) {
        match input {
            Input::PollGet(request) => self.on_poll_get(request),
            Input::PostStarted(request) => {
                self.on_post_started(request);
            }
            Input::PostBody(request, body) => self.on_post_body(now, request, body),
            Input::Post(request, body) => {
                // A refused or overlapping POST was answered already: its body is not read.
                if self.on_post_started(request) {
                    self.on_post_body(now, request, body);
                }
            }
            Input::PostTooLarge(request) => {
                if let Some(polls) = self.polls_mut() {
                    if polls.post == Some(request) {
                        polls.post = None;
                    }
                }
                self.reply(request, PollReply::TooLarge);
                self.fail(CloseReason::TransportError(TransportFault::PayloadTooLarge));
            }
            Input::RequestAborted(request) => {
                let Some(polls) = self.polls_mut() else {
                    return;
                };
                let ours = polls.parked == Some(request) || polls.post == Some(request);
                if ours {
                    if polls.parked == Some(request) {
                        polls.parked = None;
                    } else {
                        polls.post = None;
                    }
                    self.fail(CloseReason::TransportError(TransportFault::RequestAborted));
                }
            }
            Input::WsOpened(ws) => self.on_ws_opened(now, ws),
            Input::WsFrame(ws, frame) => self.on_ws_frame(now, ws, frame),
            Input::WsClosed { ws, error } => self.on_ws_closed(now, ws, error),
            Input::WsFault { ws, fault } => self.on_ws_fault(now, ws, fault),
            Input::WsWritten(ws) => {
                if matches!(self.state, State::WebSocket { ws: active } if active == ws) {
                    self.backlog.unwritten = 0;
                }
            }
        }
        self.update_pressure(now);
    }

    /// For a runtime that reads a WebSocket's text frame where it lies (its UTF-8 checked,
    /// [`crate::proto::websocket_read::InPlace::text`]) and has the application in its own task:
    /// when the frame is a message on the session's WebSocket and no event waits before it, the
    /// message's text (after the packet type), which the caller hands the application at once,
    /// in place of the [`Event::Message`] that [`Input::WsFrame`] would queue (no `Text` is made
    /// of it). Otherwise the frame is handled as [`Input::WsFrame`] (a copy of it) and the answer
    /// is `None`.
    pub fn ws_message_in_place<'t>(
        &mut self,
        now: Instant,
        ws: WsId,
        frame: &'t str,
    ) -> Option<&'t str> {
        let on_active = matches!(self.state, State::WebSocket { ws: active } if active == ws);
        let message = frame.as_bytes().first() == Some(&packet::MESSAGE);
        if on_active && message && !(self.outputs.iter()).any(|o| matches!(o, Output::Event(_))) {
            self.update_pressure(now);
            // The type is one ASCII byte: the rest is still a `str`.
            return frame.get(1..);
        }
        self.handle(now, Input::WsFrame(ws, WsFrame::Text(Text::from(frame))));
        None
    }

    /// Acts on every deadline that has passed at `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        if let State::Lingering { reason, deadline } = self.state {
            if now >= deadline {
                self.state = State::Closed(reason);
            }
            return;
        }
        if self.is_closed() {
            return;
        }
        self.update_pressure(now);
        if self.pong_deadline.is_some_and(|d| now >= d) {
            self.fail(CloseReason::PingTimeout);
            return;
        }
        let grace = self.config.send_buffer_grace;
        if self
            .backlog
            .full_since
            .is_some_and(|since| now >= since + grace)
        {
            self.fail(CloseReason::SendBufferFull);
            return;
        }
        match self.state {
            State::Closing { deadline, .. } if now >= deadline => {
                self.finish(CloseReason::ServerClose);
                return;
            }
            State::Upgrading {
                polls,
                probe,
                deadline,
                closing,
                ..
            } if now >= deadline => {
                self.close_other(probe);
                self.probe_failed(now, polls, closing);
            }
            _ => {}
        }
        if self.next_ping.is_some_and(|p| now >= p) && !matches!(self.state, State::Closing { .. })
        {
            self.next_ping = None;
            self.pong_deadline = Some(now + self.config.ping_timeout);
            // A client that pongs without polling must not make pings pile up.
            if !self.outbox.iter().any(|p| matches!(p, Packet::Ping(_))) {
                self.outbox.push_back(Packet::Ping(Text::default()));
            }
            self.flush();
        }
    }

    fn polls(&self) -> Option<&Polls> {
        match &self.state {
            State::Polling(polls)
            | State::Upgrading { polls, .. }
            | State::Closing { polls, .. } => Some(polls),
            _ => None,
        }
    }

    fn polls_mut(&mut self) -> Option<&mut Polls> {
        match &mut self.state {
            State::Polling(polls)
            | State::Upgrading { polls, .. }
            | State::Closing { polls, .. } => Some(polls),
            _ => None,
        }
    }

    fn reply(&mut self, request: RequestId, reply: PollReply) {
        self.outputs.push_back(Output::Reply { request, reply });
    }

    /// Answers a polling request that the session cannot take in its state: an unknown session
    /// once closed, a bad request while on WebSocket.
    fn refuse_request(&mut self, request: RequestId) {
        let error = if self.is_closed() {
            RequestError::UnknownSid
        } else {
            RequestError::BadRequest
        };
        self.reply(request, PollReply::Error(error));
    }

    fn on_poll_get(&mut self, request: RequestId) {
        if let State::Lingering { reason, .. } = self.state {
            let noop = self.payload_reply(&[&Packet::Noop]);
            self.reply(request, noop);
            self.state = State::Closed(reason);
            return;
        }
        let Some(polls) = self.polls_mut() else {
            return self.refuse_request(request);
        };
        if polls.parked.is_some() {
            self.reply(request, PollReply::Error(RequestError::BadRequest));
            self.fail(CloseReason::TransportError(TransportFault::OverlappingGet));
            return;
        }
        polls.parked = Some(request);
        if let State::Upgrading { probed: true, .. } = self.state {
            // The client is pausing polling for the upgrade: never keep it waiting.
            if self.outbox.is_empty() {
                self.outbox.push_back(Packet::Noop);
            }
        }
        self.flush();
    }

    /// Registers a POST whose body comes next; `false` if it was refused (answered already).
    fn on_post_started(&mut self, request: RequestId) -> bool {
        let Some(polls) = self.polls_mut() else {
            self.refuse_request(request);
            return false;
        };
        if polls.post.is_some() {
            self.reply(request, PollReply::Error(RequestError::BadRequest));
            self.fail(CloseReason::TransportError(TransportFault::OverlappingPost));
            return false;
        }
        polls.post = Some(request);
        true
    }

    fn on_post_body(&mut self, now: Instant, request: RequestId, body: Bytes) {
        match self.polls_mut() {
            Some(polls) if polls.post == Some(request) => polls.post = None,
            _ => return self.refuse_request(request),
        }
        let decoded = match self.protocol {
            Protocol::V4 => payload::decode(body, self.config.max_payload),
            Protocol::V3 { .. } => payload_v3::decode(body, self.config.max_payload),
        };
        // A POST with its session's attention is answered `ok` whatever its body holds, as
        // Node's engine.io answers it: a payload that does not decode closes the session (the
        // next GET says so). A runtime relies on this to answer a POST alone in its session
        // without waiting for the session.
        self.reply(request, PollReply::Ok);
        let packets = match decoded {
            Ok(packets) => packets,
            Err(e) => return self.fail(CloseReason::ParseError(e)),
        };
        if matches!(self.state, State::Closing { .. }) {
            return;
        }
        for packet in packets {
            if self.is_closed() {
                break;
            }
            self.on_packet(now, packet);
        }
    }

    fn on_packet(&mut self, now: Instant, packet: Packet) {
        match packet {
            Packet::Message(data) => self.outputs.push_back(Output::Event(Event::Message(data))),
            // v3: the client pings; the server answers and waits for the next one.
            Packet::Ping(_) if self.protocol.is_v3() => {
                self.pong_deadline =
                    Some(now + self.config.ping_interval + self.config.ping_timeout);
                if !matches!(self.state, State::Closing { .. }) {
                    self.outbox.push_back(Packet::Pong(Text::default()));
                    self.flush();
                }
            }
            Packet::Pong(_) if self.protocol.is_v3() => self.fail(CloseReason::TransportError(
                TransportFault::UnexpectedPacket,
            )),
            Packet::Pong(_) => {
                self.pong_deadline = None;
                self.next_ping = Some(now + self.config.ping_interval);
            }
            Packet::Close => {
                let get_may_follow =
                    matches!(self.state, State::Polling(Polls { parked: None, .. }));
                self.fail(CloseReason::TransportClose);
                if get_may_follow {
                    self.state = State::Lingering {
                        reason: CloseReason::TransportClose,
                        deadline: now + LINGER,
                    };
                }
            }
            Packet::Noop => {}
            Packet::Open(_) | Packet::Ping(_) | Packet::Upgrade => self.fail(
                CloseReason::TransportError(TransportFault::UnexpectedPacket),
            ),
        }
    }

    fn on_ws_opened(&mut self, now: Instant, ws: WsId) {
        match self.state {
            State::Polling(polls) => {
                self.state = State::Upgrading {
                    polls,
                    probe: ws,
                    probed: false,
                    deadline: now + self.config.upgrade_timeout,
                    closing: false,
                }
            }
            // A second WebSocket, or one for a closing session.
            _ => self.close_other(ws),
        }
    }

    fn on_ws_frame(&mut self, now: Instant, ws: WsId, frame: WsFrame) {
        match self.state {
            State::WebSocket { ws: active } if active == ws => match frame {
                WsFrame::Binary(bytes) if self.protocol.is_v3() => {
                    match payload_v3::decode_binary(bytes) {
                        Ok(packet) => self.on_packet(now, packet),
                        Err(e) => self.fail(CloseReason::ParseError(e)),
                    }
                }
                WsFrame::Binary(bytes) => self
                    .outputs
                    .push_back(Output::Event(Event::Message(Data::Binary(bytes)))),
                WsFrame::Text(_) | WsFrame::Packet { .. } => {
                    match decode_ws_text(frame, self.protocol) {
                        Ok(packet) => self.on_packet(now, packet),
                        Err(e) => self.fail(CloseReason::ParseError(e)),
                    }
                }
            },
            State::Upgrading {
                polls,
                probe,
                closing,
                ..
            } if probe == ws => {
                let packet = match frame {
                    WsFrame::Binary(_) => None,
                    text => decode_ws_text(text, self.protocol).ok(),
                };
                match packet {
                    Some(Packet::Ping(data)) if data.as_str() == "probe" => {
                        let pong = Packet::Pong(Text::from_static("probe"));
                        self.outputs.push_back(Output::WsSend {
                            ws,
                            frame: WsFrame::Text(pong.to_text()),
                        });
                        if let State::Upgrading { probed, .. } = &mut self.state {
                            *probed = true;
                        }
                        if polls.parked.is_some() && self.outbox.is_empty() {
                            self.outbox.push_back(Packet::Noop);
                        }
                        self.flush();
                    }
                    Some(Packet::Upgrade) => {
                        if let Some(parked) = polls.parked {
                            let noop = self.payload_reply(&[&Packet::Noop]);
                            self.reply(parked, noop);
                        }
                        self.state = State::WebSocket { ws };
                        self.outputs.push_back(Output::Event(Event::Upgraded));
                        if closing {
                            self.close_websocket(ws);
                        } else {
                            self.flush();
                        }
                    }
                    // Anything else on a probe: the probe failed; polling goes on.
                    _ => {
                        self.close_other(ws);
                        self.probe_failed(now, polls, closing);
                    }
                }
            }
            _ => self.close_other(ws),
        }
    }

    fn on_ws_fault(&mut self, now: Instant, ws: WsId, fault: WsFault) {
        let reason = match fault {
            WsFault::MessageTooBig => CloseReason::TransportError(TransportFault::PayloadTooLarge),
            WsFault::Protocol | WsFault::InvalidUtf8 => {
                CloseReason::TransportError(TransportFault::WebSocket)
            }
        };
        let code = fault.close_code();
        match self.state {
            State::WebSocket { ws: active } if active == ws => self.fail_with(reason, code),
            State::Upgrading {
                polls,
                probe,
                closing,
                ..
            } if probe == ws => {
                self.outputs.push_back(Output::WsClose { ws, code });
                self.probe_failed(now, polls, closing);
            }
            _ => self.outputs.push_back(Output::WsClose { ws, code }),
        }
    }

    fn on_ws_closed(&mut self, now: Instant, ws: WsId, error: bool) {
        match self.state {
            State::WebSocket { ws: active } if active == ws => {
                let reason = if error {
                    CloseReason::TransportError(TransportFault::WebSocket)
                } else {
                    CloseReason::TransportClose
                };
                self.fail(reason);
            }
            State::Upgrading {
                polls,
                probe,
                closing,
                ..
            } if probe == ws => self.probe_failed(now, polls, closing),
            _ => {}
        }
    }

    /// Ends the session now: a parked GET gets a close packet, WebSockets are closed with the
    /// code that says why.
    fn fail(&mut self, reason: CloseReason) {
        let code = match reason {
            CloseReason::ParseError(_)
            | CloseReason::TransportError(TransportFault::UnexpectedPacket) => {
                close_code::PROTOCOL_ERROR
            }
            CloseReason::TransportError(TransportFault::PayloadTooLarge) => {
                close_code::MESSAGE_TOO_BIG
            }
            CloseReason::SendBufferFull => close_code::POLICY_VIOLATION,
            _ if self.going_away => close_code::GOING_AWAY,
            _ => close_code::NORMAL,
        };
        self.fail_with(reason, code);
    }

    /// [`Session::fail`] with a WebSocket's close code given.
    fn fail_with(&mut self, reason: CloseReason, code: u16) {
        match std::mem::replace(&mut self.state, State::Closed(reason)) {
            previous @ (State::Closed(_) | State::Lingering { .. }) => {
                self.state = previous;
                return;
            }
            State::WebSocket { ws } => self.outputs.push_back(Output::WsClose { ws, code }),
            State::Upgrading { polls, probe, .. } => {
                self.close_other(probe);
                self.release_parked(polls, reason);
            }
            State::Polling(polls) | State::Closing { polls, .. } => {
                self.release_parked(polls, reason)
            }
        }
        self.finish(reason);
    }

    /// Answers a parked GET as the session ends: a noop when the client itself closed (it knows),
    /// else a close packet.
    fn release_parked(&mut self, polls: Polls, reason: CloseReason) {
        if let Some(parked) = polls.parked {
            let packet = if reason == CloseReason::TransportClose {
                Packet::Noop
            } else {
                Packet::Close
            };
            let reply = self.payload_reply(&[&packet]);
            self.reply(parked, reply);
        }
    }

    fn finish(&mut self, reason: CloseReason) {
        self.state = State::Closed(reason);
        self.outbox.clear();
        self.backlog = Backlog::default();
        self.next_ping = None;
        self.pong_deadline = None;
        self.outputs.push_back(Output::Event(Event::Closed(reason)));
    }

    /// Moves queued packets to the transport that can take them now.
    fn flush(&mut self) {
        let parked = match self.state {
            State::WebSocket { ws } => return self.flush_websocket(ws),
            State::Polling(polls)
            | State::Upgrading { polls, .. }
            | State::Closing { polls, .. } => polls.parked,
            State::Closed(_) | State::Lingering { .. } => None,
        };
        let Some(request) = parked else { return };
        let closing = matches!(self.state, State::Closing { .. });
        if self.outbox.is_empty() && !closing {
            return;
        }
        if let Some(polls) = self.polls_mut() {
            polls.parked = None;
        }
        if self.outbox.is_empty() {
            // Closing, and everything queued has gone out: the close packet, on its own.
            let close = self.payload_reply(&[&Packet::Close]);
            self.reply(request, close);
            self.finish(CloseReason::ServerClose);
        } else {
            // At most `maxPayload` bytes a response (at least one packet): the rest waits for
            // the next GET.
            let mut size = 0usize;
            let mut count = 0;
            for packet in &self.outbox {
                let len = match self.protocol {
                    Protocol::V4 => payload::encoded_len(packet),
                    Protocol::V3 { .. } => payload_v3::encoded_len(packet),
                };
                size = size.saturating_add(len + 1);
                if count > 0 && size > self.config.max_payload + 1 {
                    break;
                }
                count += 1;
            }
            let packets: Vec<&Packet> = self.outbox.iter().take(count).collect();
            let body = self.payload_reply(&packets);
            for packet in self.outbox.drain(..count) {
                if let Packet::Message(data) = &packet {
                    self.backlog.outbox = self.backlog.outbox.saturating_sub(budget::weight(data));
                }
            }
            self.reply(request, body);
        }
    }

    fn flush_websocket(&mut self, ws: WsId) {
        while let Some(packet) = self.outbox.pop_front() {
            if let Packet::Message(data) = &packet {
                let weight = budget::weight(data);
                self.backlog.outbox = self.backlog.outbox.saturating_sub(weight);
                self.backlog.unwritten = self.backlog.unwritten.saturating_add(weight);
            }
            let frame = self.ws_frame(packet);
            self.outputs.push_back(Output::WsSend { ws, frame });
        }
    }

    /// A packet as the WebSocket frame it goes out in.
    fn ws_frame(&self, packet: Packet) -> WsFrame {
        match packet {
            Packet::Message(Data::Binary(bytes)) => match self.protocol {
                Protocol::V4 => WsFrame::Binary(bytes),
                Protocol::V3 {
                    supports_binary: true,
                } => WsFrame::Binary(payload_v3::encode_binary(&bytes)),
                Protocol::V3 {
                    supports_binary: false,
                } => {
                    let text = payload_v3::encode_text(&Packet::Message(Data::Binary(bytes)));
                    // The text form of a packet is ASCII here (`b4` + base64).
                    WsFrame::Text(Text::from_utf8(text).unwrap_or_default())
                }
            },
            Packet::Message(Data::Text(text)) => WsFrame::Packet {
                kind: b'4',
                data: text,
            },
            other => WsFrame::Text(other.to_text()),
        }
    }
}
