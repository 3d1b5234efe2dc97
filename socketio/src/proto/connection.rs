//! [`Connection`]: the Socket.IO state machine of one Engine.IO session, without I/O or clock.

use super::namespace_map::NamespaceMap;
use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;

use super::auth::{
    find_token, token_in_object, AppClaims, AuthError, AuthMode, AuthPolicies, AuthPolicy,
    HandshakeCredentials, Identity, JwtPolicy,
};
use super::decode::{decode_text_reusing, Decoded, Limits};
use super::encode::{Encoded, Wire};
use super::error::{ApiMisuse, DecodeError, MsgPackError, PeerMisbehaved};
use super::msgpack::decode_msgpack;
use super::namespace_state::{Authenticating, Connected, NamespaceState, Resumed, Resuming};
use super::packet::{Namespace, Packet};
use super::parser::Parser;
use super::payload::Payload;
use super::protocol::{split_connect_namespace, v4_error, v4_socket_id, Protocol};
use super::raw_json::RawJson;
use super::reason::{CloseReason, DisconnectReason};
use super::recovery::{Kept, RecoveryConfig};
use super::PartialPacket;

/// The farthest ahead an identity's expiry becomes a deadline (about 100 years): beyond it the
/// connection cannot outlive it, so it gets none (see `Connection::instant_of`).
const MAX_DEADLINE_AHEAD: Duration = Duration::from_secs(100 * 365 * 24 * 60 * 60);

/// What arrived from the Engine.IO session, for [`Connection::handle`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input<'a> {
    /// A text message: one Socket.IO packet ([`Parser::Json`]; a protocol error under
    /// [`Parser::MsgPack`]).
    Text(&'a str),
    /// A binary message: an attachment of the BINARY packet before it ([`Parser::Json`]), or one
    /// whole packet ([`Parser::MsgPack`]).
    Binary(Bytes),
    /// The Engine.IO session ended (`transport close`, `ping timeout`, ...): every connected
    /// namespace is disconnected with this reason, and no [`Output::Close`] follows.
    TransportClosed(DisconnectReason),
}

/// Settings of a [`Connection`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Config {
    /// How long after the connection starts a namespace must be joined (Node's
    /// `connectTimeout`, default 45 s).
    pub connect_timeout: Duration,
    /// Limits applied to everything the peer sends.
    pub limits: Limits,
    /// Connection state recovery (off by default). On, a connection given a private session id
    /// ([`Connection::with_private_id`]) sends it in its CONNECT replies, keeps the session of
    /// a namespace whose transport dropped ([`Output::SessionKept`]), and a CONNECT carrying
    /// `{pid, offset}` asks for it back ([`Output::ResumeRequest`]).
    pub recovery: Option<RecoveryConfig>,
    /// The wire format: how incoming messages are decoded and every outgoing packet encoded
    /// (socket.io-parser by default).
    pub parser: Parser,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(45),
            limits: Limits::default(),
            recovery: None,
            parser: Parser::Json,
        }
    }
}

/// An event from the client on a connected namespace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// The namespace.
    pub nsp: Namespace,
    /// The event name.
    pub name: String,
    /// The arguments after the name, with their attachments.
    pub args: Payload,
    /// Present when the client waits for an acknowledgement: answer with [`Connection::ack`].
    pub ack_id: Option<u64>,
}

/// What the connection asks of the runtime. Drain with [`Connection::poll_output`]. `W` is what
/// the runtime keeps with each acknowledgement it waits for (see [`Connection`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Output<W = ()> {
    /// Send the packet: with [`Parser::Json`] the text as one Engine.IO message, then each
    /// attachment as one binary message; with [`Parser::MsgPack`] one binary message (see
    /// [`Encoded::wire`]).
    Transmit(Encoded),
    /// The client asks to join `nsp` and the namespace's policy let it through so far. Answer with
    /// [`Connection::accept`] (or [`Connection::accept_with`] under [`AuthPolicy::App`]) or
    /// [`Connection::reject`]. `auth` is the CONNECT payload (Node passes `{}` when absent).
    ConnectRequest {
        /// The namespace.
        nsp: Namespace,
        /// The CONNECT payload, a JSON object.
        auth: Option<RawJson>,
        /// What the policy established: anonymous (no authentication) or a verified token
        /// (handshake mode). `None` when the token is still to come (event mode) or the
        /// application's own check is to decide.
        identity: Option<Identity>,
        /// The CONNECT restores a kept session (connection state recovery with
        /// `skip_middlewares` off): the checks run, then the socket gets its id back.
        recovered: bool,
    },
    /// Connection state recovery: a CONNECT carries a private session id and an offset. Look the
    /// session up and answer with [`Connection::resume`] (with `None` if there is none).
    ResumeRequest {
        /// The namespace.
        nsp: Namespace,
        /// The private session id the client was given.
        pid: String,
        /// The offset of the last event it got.
        offset: String,
        /// The CONNECT payload (pid and offset included, as Node's `socket.handshake.auth`).
        auth: Option<RawJson>,
    },
    /// A namespace is joined with this identity: create the application's socket now. Events for
    /// it may follow.
    Connected {
        /// The namespace.
        nsp: Namespace,
        /// The socket id sent to the client.
        sid: String,
        /// Who it is.
        identity: Identity,
        /// A kept session was restored: same socket id; give the socket its rooms and data
        /// back and send what it missed.
        recovered: bool,
    },
    /// Connection state recovery: the transport of a connected namespace dropped for a
    /// recoverable reason; keep its session (the [`Output::Disconnected`] follows).
    SessionKept(Kept),
    /// A connected client sent a fresh token (`authenticate` with refresh on): same subject, new
    /// claims and expiry.
    Reauthenticated {
        /// The namespace.
        nsp: Namespace,
        /// The new identity.
        identity: Identity,
    },
    /// Authentication of a namespace failed; the client got a CONNECT_ERROR or an `unauthorized`
    /// event (and a DISCONNECT). For logs and metrics: the namespace was never connected, or a
    /// [`Output::Disconnected`] follows.
    AuthFailed {
        /// The namespace.
        nsp: Namespace,
        /// Why.
        error: AuthError,
    },
    /// An event for the application.
    Event(Event),
    /// The client acknowledged an event sent with [`Connection::emit_with_ack`].
    AckReceived {
        /// The namespace.
        nsp: Namespace,
        /// The acknowledgement id.
        id: u64,
        /// The acknowledgement's arguments.
        args: Payload,
        /// The waiter given with the emit.
        waiter: W,
    },
    /// The deadline of an acknowledgement passed; a late ACK for it is ignored.
    AckTimedOut {
        /// The namespace.
        nsp: Namespace,
        /// The acknowledgement id.
        id: u64,
        /// The waiter given with the emit.
        waiter: W,
    },
    /// A connected namespace was left. Its pending acknowledgements are dropped with it.
    Disconnected {
        /// The namespace.
        nsp: Namespace,
        /// Why.
        reason: DisconnectReason,
    },
    /// Close the Engine.IO session (after sending the transmits queued before this output).
    /// The connection is closed; it produces nothing more.
    Close(CloseReason),
}

/// The connection as a whole.
///
/// ```text
///   new(now) ──> AwaitingConnect { deadline } ── first accept() ──> Open
///                      │ deadline passed                             │
///                      │ (no namespace joined)                       │
///                      ▼                                             ▼
///                   Closed ◄──── protocol violation, close(), transport closed
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// No namespace joined yet; the connection closes at `deadline` (if any: a timeout too large
    /// to add to `now` never fires).
    AwaitingConnect { deadline: Option<Instant> },
    /// A namespace has been joined once; the connect timeout no longer applies (as in Node, the
    /// connection stays open even after every namespace has been left).
    Open,
    /// Closed: input is ignored and every command fails with [`ApiMisuse::ConnectionClosed`].
    Closed,
}

/// The most room an event name handed back to [`Connection::recycle_name`] may have to be kept.
const KEPT_NAME: usize = 64;

/// The Socket.IO side of one Engine.IO session: decodes what the client sends, tracks the state of
/// each namespace and the acknowledgements the server waits for, and encodes what the
/// application sends. See the [module documentation](super) for the loop that drives it.
///
/// The connection as a whole (each namespace has its own [`NamespaceState`] inside):
///
/// ```text
///   new(now) ──> awaiting a join (deadline = now + connect_timeout) ── first accept() ──> open
///                      │ deadline passed, nothing joined                                  │
///                      ▼                                                                  ▼
///                   closed ◄──── protocol violation, close(), disconnect_all(), transport closed
/// ```
///
/// Once open, the connection stays open even when every namespace has been left (as in Node);
/// the Engine.IO heartbeat decides its fate. Closed, it ignores input and refuses commands.
///
/// Its methods are of four kinds:
/// - **input from the peer**: [`handle`](Self::handle) with the time and an [`Input`];
/// - **time**: [`poll_timeout`](Self::poll_timeout) says when to call
///   [`handle_timeout`](Self::handle_timeout);
/// - **output**: [`poll_output`](Self::poll_output), drained after every call of the other
///   kinds;
/// - **commands of the application**: decisions on a CONNECT ([`accept`](Self::accept),
///   [`accept_with`](Self::accept_with), [`reject`](Self::reject)) and what it sends or ends
///   ([`emit`](Self::emit), [`emit_with_ack`](Self::emit_with_ack), [`ack`](Self::ack),
///   [`send`](Self::send), [`expect_ack`](Self::expect_ack), [`disconnect`](Self::disconnect),
///   [`disconnect_all`](Self::disconnect_all), [`close`](Self::close)). Each applies the
///   protocol's rules and queues what goes to the wire; one that makes no sense in the current
///   state returns [`ApiMisuse`] and changes nothing.
///
/// Besides, a few read-only views of the state ([`namespace`](Self::namespace),
/// [`identity`](Self::identity), [`is_closed`](Self::is_closed), ...).
///
/// `W` is what the runtime keeps with each acknowledgement it waits for (a channel's sender, say):
/// given with [`emit_with_ack`](Self::emit_with_ack), handed back in [`Output::AckReceived`] or
/// [`Output::AckTimedOut`], and dropped when the namespace is left first. The runtime keeps no
/// table of its own.
#[derive(Debug)]
pub struct Connection<W = ()> {
    config: Config,
    phase: Phase,
    namespaces: NamespaceMap<W>,
    /// A BINARY packet waiting for attachments.
    partial: Option<PartialPacket>,
    outputs: VecDeque<Output<W>>,
    auth: Arc<AuthPolicies>,
    credentials: HandshakeCredentials,
    /// The wall clock at one instant: turns token times (seconds since the epoch) into instants.
    wall_anchor: (Instant, Duration),
    /// The private session id of this connection's sockets (connection state recovery on).
    pid: Option<Box<str>>,
    /// The protocol revision the client speaks (see [`Protocol`]).
    protocol: Protocol,
    /// Revision 4: when the implicit CONNECT of `/` is due (the open; `None` once done).
    implicit_connect: Option<Instant>,
    /// An event name handed back ([`Connection::recycle_name`]), written over by the next one.
    spare_name: Option<String>,
}

impl Connection {
    /// A connection whose Engine.IO session opened at `now`.
    pub fn new(now: Instant, config: Config) -> Self {
        Self::with_auth(
            now,
            config,
            Arc::default(),
            HandshakeCredentials::default(),
            Duration::ZERO,
        )
    }
}

impl<W> Connection<W> {
    /// A connection with authentication: the namespaces' policies, the tokens the Engine.IO
    /// handshake request carried, and the wall-clock time at `now` (time since the Unix epoch, with
    /// its sub-second part, so that a token's `exp` becomes an exact deadline; the core reads no
    /// clock).
    pub fn with_auth(
        now: Instant,
        config: Config,
        auth: Arc<AuthPolicies>,
        credentials: HandshakeCredentials,
        unix_now: Duration,
    ) -> Self {
        Self {
            config,
            phase: Phase::AwaitingConnect {
                deadline: now.checked_add(config.connect_timeout),
            },
            namespaces: NamespaceMap::default(),
            partial: None,
            outputs: VecDeque::new(),
            auth,
            credentials,
            wall_anchor: (now, unix_now),
            pid: None,
            protocol: Protocol::V5,
            implicit_connect: None,
            spare_name: None,
        }
    }

    /// Makes the connection speak `protocol` (the runtime knows it from the Engine.IO handshake:
    /// `EIO=3` is [`Protocol::V4`]). Revision 4 joins the client to `/` at the open, as if it had
    /// sent a CONNECT without payload: [`Connection::poll_timeout`] says it is due at once, and
    /// any input from the client runs it first. Revision 4 has no connection state recovery.
    pub fn with_protocol(mut self, protocol: Protocol) -> Self {
        if protocol.is_v4() {
            self.implicit_connect = Some(self.wall_anchor.0);
            self.pid = None;
        }
        self.protocol = protocol;
        self
    }

    /// The protocol revision the client speaks.
    pub fn protocol(&self) -> &Protocol {
        &self.protocol
    }

    /// Revision 4: joins `/` if that is still to do.
    fn run_implicit_connect(&mut self, now: Instant) {
        if self.implicit_connect.take().is_some() && !self.is_closed() {
            self.connect_fresh(now, Namespace::main(), None);
        }
    }

    /// Gives the connection's sockets a private session id (random and secret: whoever knows it
    /// and an offset may take the session over), for connection state recovery. Without
    /// [`Config::recovery`] it is not used.
    pub fn with_private_id(mut self, pid: &str) -> Self {
        if self.config.recovery.is_some() {
            self.pid = Some(pid.into());
        }
        self
    }

    /// Seconds since the epoch at `now`.
    fn unix(&self, now: Instant) -> u64 {
        let (at, unix) = self.wall_anchor;
        unix.saturating_add(now.saturating_duration_since(at))
            .as_secs()
    }

    /// The instant of a wall-clock time (seconds since the epoch), as a deadline; `None` (no
    /// deadline) for one more than [`MAX_DEADLINE_AHEAD`] away. Token times may be anything up
    /// to `u64::MAX` (`exp: 1e300` saturates there): such a token never expires while the
    /// connection lives, and leaving it without a deadline keeps every later `Instant`
    /// computation (here, in timers) far from overflowing.
    fn instant_of(&self, unix_time: u64) -> Option<Instant> {
        let (at, unix) = self.wall_anchor;
        match Duration::from_secs(unix_time).checked_sub(unix) {
            Some(ahead) if ahead > MAX_DEADLINE_AHEAD => None,
            Some(ahead) => at.checked_add(ahead),
            None => Some(at),
        }
    }

    // ----- input from the peer -----

    /// Feeds what arrived from the Engine.IO session, with the time: the one entry point for the
    /// peer's input, in the shape of the Engine.IO core's `Session::handle` (`handle_text`,
    /// `handle_binary` and `handle_transport_closed` below are its cases; `handle_now` is the same
    /// with an event handed straight back).
    pub fn handle(&mut self, now: Instant, input: Input<'_>) {
        // Handed back only with nothing queued before it: queued, it keeps its place.
        if let Some(event) = self.handle_now(now, input) {
            self.outputs.push_back(Output::Event(event));
        }
    }

    /// [`handle`](Self::handle), but an event with nothing queued before it comes straight back,
    /// to be dispatched at once as an [`Output::Event`] would be (`Some`); behind other outputs it
    /// is queued as `handle` queues it, so the order holds (`None`). Whatever else the input
    /// gives is queued as `handle` queues it. Saves the output queue's round trip for each event
    /// read (a push and a pop of the whole event), as [`send_now`](Self::send_now) does for what
    /// is sent.
    pub fn handle_now(&mut self, now: Instant, input: Input<'_>) -> Option<Event> {
        match input {
            Input::Text(text) => self.text_now(now, text),
            Input::Binary(data) => self.binary_now(now, data),
            Input::TransportClosed(reason) => {
                self.handle_transport_closed(reason);
                None
            }
        }
    }

    /// Handles an Engine.IO text message (a Socket.IO packet).
    pub fn handle_text(&mut self, now: Instant, text: &str) {
        self.handle(now, Input::Text(text));
    }

    /// Handles an Engine.IO binary message: an attachment of the pending BINARY packet
    /// ([`Parser::Json`]), or one whole packet ([`Parser::MsgPack`]).
    pub fn handle_binary(&mut self, now: Instant, data: Bytes) {
        self.handle(now, Input::Binary(data));
    }

    /// [`Connection::handle_text`], an event handed back as [`handle_now`](Self::handle_now)
    /// hands it back.
    fn text_now(&mut self, now: Instant, text: &str) -> Option<Event> {
        if self.is_closed() {
            return None;
        }
        self.run_implicit_connect(now);
        if self.config.parser == Parser::MsgPack {
            self.violation(DecodeError::from(MsgPackError::TextMessage).into());
            return None;
        }
        if let Some(partial) = &self.partial {
            let missing = partial.missing();
            self.violation(DecodeError::UnexpectedText { missing }.into());
            return None;
        }
        match decode_text_reusing(text, &self.config.limits, &mut self.spare_name) {
            Ok(Decoded::Complete(packet)) => return self.on_packet(now, packet),
            Ok(Decoded::Partial(partial)) => self.partial = Some(partial),
            Err(e) => self.violation(e.into()),
        }
        None
    }

    /// [`Connection::handle_binary`], an event handed back as [`handle_now`](Self::handle_now)
    /// hands it back.
    fn binary_now(&mut self, now: Instant, data: Bytes) -> Option<Event> {
        if self.is_closed() {
            return None;
        }
        self.run_implicit_connect(now);
        if self.config.parser == Parser::MsgPack {
            match decode_msgpack(&data, &self.config.limits) {
                Ok(packet) => return self.on_packet(now, packet),
                Err(e) => self.violation(e.into()),
            }
            return None;
        }
        let Some(partial) = self.partial.take() else {
            self.violation(DecodeError::UnexpectedBinary.into());
            return None;
        };
        match partial.push(data) {
            Ok(Decoded::Complete(packet)) => return self.on_packet(now, packet),
            Ok(Decoded::Partial(partial)) => self.partial = Some(partial),
            Err(e) => self.violation(e.into()),
        }
        None
    }

    /// Handles the end of the Engine.IO session (`transport close`, `ping timeout`, ...): every
    /// connected namespace is disconnected with `reason`. No [`Output::Close`] follows, since the
    /// session is already gone.
    pub fn handle_transport_closed(&mut self, reason: DisconnectReason) {
        if self.is_closed() {
            return;
        }
        self.shut(reason);
    }

    /// Fires the deadlines that are due at `now`: the connect timeout and acknowledgement
    /// deadlines.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.implicit_connect.is_some_and(|due| now >= due) {
            self.run_implicit_connect(now);
        }
        if let Phase::AwaitingConnect {
            deadline: Some(deadline),
        } = self.phase
        {
            if now >= deadline {
                return self.close_with(CloseReason::ConnectTimeout);
            }
        }
        let due: Vec<Namespace> = self
            .namespaces
            .iter()
            .filter(|(_, s)| s.deadline().is_some_and(|d| now >= d))
            .map(|(n, _)| n.clone())
            .collect();
        for nsp in due {
            self.on_deadline(now, nsp);
        }
    }

    fn on_deadline(&mut self, now: Instant, nsp: Namespace) {
        let Some(state) = self.namespaces.get_mut(nsp.as_str()) else {
            return;
        };
        match state {
            NamespaceState::Resuming(_) => {}
            NamespaceState::Authenticating(_) => {
                self.refuse(nsp, AuthError::timeout());
            }
            NamespaceState::AwaitingToken(_) => {
                self.unauthorized(nsp, AuthError::timeout(), None);
            }
            NamespaceState::Connected(c) => {
                if c.expires_at().is_some_and(|e| now >= e) {
                    // The token's own `exp` where there is one (the deadline adds the leeway).
                    let identity = c.identity();
                    let expired_at = identity.verified().and_then(|v| v.expires_at());
                    let error = AuthError::from_jwt(&jwt_auth::Error::Expired {
                        expired_at: expired_at.or(identity.expires_at()).unwrap_or_default(),
                    });
                    return self.unauthorized(nsp, error, Some(DisconnectReason::TokenExpired));
                }
                for (id, waiter) in c.acks.expire(now) {
                    let nsp = nsp.clone();
                    self.outputs
                        .push_back(Output::AckTimedOut { nsp, id, waiter });
                }
            }
        }
    }

    /// Refuses a namespace that is authenticating: CONNECT_ERROR with the `UnauthorizedError` data.
    fn refuse(&mut self, nsp: Namespace, error: AuthError) {
        self.namespaces.remove(nsp.as_str());
        let data = match self.protocol {
            Protocol::V5 => error.connect_error(),
            Protocol::V4 { .. } => RawJson::from_trusted(error.data_json()),
        };
        self.transmit(&Packet::ConnectError {
            nsp: nsp.clone(),
            data,
        });
        self.outputs.push_back(Output::AuthFailed { nsp, error });
    }

    /// Tells the client `unauthorized` (with the error), then disconnects the namespace. `reason`
    /// is given when the application had a socket for it (a [`Output::Disconnected`] follows).
    fn unauthorized(&mut self, nsp: Namespace, error: AuthError, reason: Option<DisconnectReason>) {
        self.namespaces.remove(nsp.as_str());
        let args = Payload::from_checked(vec![error.unauthorized_event_arg()], Vec::new());
        let parser = self.config.parser;
        let event = parser.encode_event(&nsp, None, "unauthorized", &args);
        self.outputs.push_back(Output::Transmit(event));
        self.transmit(&Packet::Disconnect { nsp: nsp.clone() });
        self.outputs.push_back(Output::AuthFailed {
            nsp: nsp.clone(),
            error,
        });
        if let Some(reason) = reason {
            self.outputs.push_back(Output::Disconnected { nsp, reason });
        }
    }

    // ----- output -----

    /// The next output, in the order the connection produced them.
    pub fn poll_output(&mut self) -> Option<Output<W>> {
        self.outputs.pop_front()
    }

    /// The earliest deadline at which [`handle_timeout`](Self::handle_timeout) must be called.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let connect = match self.phase {
            Phase::AwaitingConnect { deadline } => deadline,
            Phase::Open => None,
            Phase::Closed => return None,
        };
        let namespaces = self
            .namespaces
            .values()
            .filter_map(NamespaceState::deadline);
        let implicit = self.implicit_connect;
        connect.into_iter().chain(implicit).chain(namespaces).min()
    }

    // ----- state -----

    /// Gives back the memory the output queue grew to, if it is empty (for a runtime to call when
    /// the connection goes quiet, e.g. once its namespaces are joined).
    pub fn release_memory(&mut self) {
        if self.outputs.is_empty() {
            self.outputs = VecDeque::new();
        }
    }

    /// Hands back the name of an [`Output::Event`] once its handlers ran: the next event's name
    /// is written into it instead of a new allocation. A name whose buffer holds more than 64
    /// bytes is dropped, so a connection keeps at most that much for it.
    pub fn recycle_name(&mut self, name: String) {
        if name.capacity() <= KEPT_NAME {
            self.spare_name = Some(name);
        }
    }

    /// The wire format it speaks ([`Config::parser`]): what the runtime encodes for it must be in
    /// this form.
    pub fn parser(&self) -> Parser {
        self.config.parser
    }

    /// Whether the connection is closed.
    pub fn is_closed(&self) -> bool {
        self.phase == Phase::Closed
    }

    /// The state of `nsp`, or `None` if it is not joined.
    pub fn namespace(&self, nsp: &str) -> Option<&NamespaceState<W>> {
        self.namespaces.get(nsp)
    }

    /// Every namespace with a state.
    pub fn namespaces(&self) -> impl Iterator<Item = (&Namespace, &NamespaceState<W>)> {
        self.namespaces.iter()
    }

    // ----- decisions and commands from the application -----

    /// Accepts the pending CONNECT of `nsp`: replies `0[/nsp,]{"sid":"<sid>"}`. `sid` is the
    /// namespace-scoped socket id (the runtime makes it random; it is not the Engine.IO sid).
    ///
    /// With a verified token or no authentication the namespace is joined ([`Output::Connected`]);
    /// in event mode it waits for the `authenticate` event. Under [`AuthPolicy::App`] use
    /// [`Connection::accept_with`].
    pub fn accept(&mut self, nsp: &str, sid: &str) -> Result<(), ApiMisuse> {
        let sid = &*self.socket_id(nsp, sid);
        let event_mode =
            matches!(self.auth.for_namespace(nsp), AuthPolicy::Jwt(p) if p.mode == AuthMode::Event);
        let (key, state) =
            self.take_connecting(nsp, |state| state.identity().is_some() || event_mode)?;
        match state.identity().cloned() {
            Some(identity) => self.join(key, sid, state, identity),
            None => {
                let pid = self.pid.clone();
                self.reply_connect(&key, sid, pid.as_deref());
                let waiting = state.await_token(sid, pid.as_deref());
                self.namespaces
                    .insert(key, NamespaceState::AwaitingToken(waiting));
            }
        }
        Ok(())
    }

    /// Accepts the pending CONNECT of a namespace under [`AuthPolicy::App`] with the claims the
    /// application's check vouched for. The namespace is disconnected when `expires_at` passes.
    pub fn accept_with(
        &mut self,
        nsp: &str,
        sid: &str,
        claims: AppClaims,
    ) -> Result<(), ApiMisuse> {
        let sid = &*self.socket_id(nsp, sid);
        let app = matches!(self.auth.for_namespace(nsp), AuthPolicy::App { .. });
        let (key, state) = self.take_connecting(nsp, |_| app)?;
        self.join(key, sid, state, Identity::App(Arc::new(claims)));
        Ok(())
    }

    /// Takes the state of a namespace whose CONNECT is being decided, if `allowed` says the
    /// decision may be taken from it ([`ApiMisuse::AuthenticationRequired`] if not).
    fn take_connecting(
        &mut self,
        nsp: &str,
        allowed: impl FnOnce(&Authenticating) -> bool,
    ) -> Result<(Namespace, Authenticating), ApiMisuse> {
        let key = self.connecting_key(nsp)?;
        match self.namespaces.get(nsp) {
            Some(NamespaceState::Authenticating(state)) if allowed(state) => {}
            Some(NamespaceState::Authenticating(_)) => {
                return Err(ApiMisuse::AuthenticationRequired {
                    nsp: nsp.to_owned(),
                })
            }
            _ => {
                return Err(ApiMisuse::NotConnecting {
                    nsp: nsp.to_owned(),
                })
            }
        }
        match self.namespaces.remove(nsp) {
            Some(NamespaceState::Authenticating(state)) => Ok((key, state)),
            _ => Err(ApiMisuse::NotConnecting {
                nsp: nsp.to_owned(),
            }),
        }
    }

    /// The socket id of a join: the runtime's `sid`, or under revision 4 the one made of the
    /// Engine.IO sid (which the client computes itself).
    fn socket_id<'s>(&self, nsp: &str, sid: &'s str) -> std::borrow::Cow<'s, str> {
        match &self.protocol {
            Protocol::V5 => sid.into(),
            Protocol::V4 { engine_sid } => v4_socket_id(nsp, engine_sid).into(),
        }
    }

    fn reply_connect(&mut self, key: &Namespace, sid: &str, pid: Option<&str>) {
        if self.protocol.is_v4() {
            // Revision 4: no payload; the client knows its id.
            self.transmit(&Packet::Connect {
                nsp: key.clone(),
                data: None,
            });
            if let Phase::AwaitingConnect { .. } = self.phase {
                self.phase = Phase::Open;
            }
            return;
        }
        let pid_len = pid.map_or(0, |p| super::json::string_len(p) + 7);
        let mut data = String::with_capacity(super::json::string_len(sid) + pid_len + 8);
        data.push_str("{\"sid\":");
        super::json::write_string(&mut data, sid);
        if let Some(pid) = pid {
            data.push_str(",\"pid\":");
            super::json::write_string(&mut data, pid);
        }
        data.push('}');
        self.transmit(&Packet::Connect {
            nsp: key.clone(),
            data: Some(RawJson::from_trusted(data)),
        });
        if let Phase::AwaitingConnect { .. } = self.phase {
            self.phase = Phase::Open;
        }
    }

    /// Answers the CONNECT and joins the namespace with `identity`; a restored session keeps
    /// its socket id (not `sid`) and private session id.
    fn join(&mut self, key: Namespace, sid: &str, mut state: Authenticating, identity: Identity) {
        let resumed = state.resumed.take().filter(|resumed| match &identity {
            // The application's check decided who this is: another subject gets a fresh socket,
            // never the kept session (as with a token of another `sub`).
            Identity::App(_) => identity.subject() == resumed.subject.as_deref(),
            _ => true,
        });
        if let Some(mut resumed) = resumed {
            // The application's claims (`accept_with`) bring their own deadline.
            if let Identity::App(claims) = &identity {
                resumed.expires_at = claims.expires_at.and_then(|e| self.instant_of(e));
            }
            return self.rejoin(key, *resumed, identity);
        }
        let pid = self.pid.clone();
        self.reply_connect(&key, sid, pid.as_deref());
        let expires_at = identity.expires_at().and_then(|e| self.instant_of(e));
        let connected = state.join(sid, pid.as_deref(), identity, expires_at);
        self.enter_connected(key, connected, false);
    }

    /// Stores the state of a namespace just joined and tells the runtime.
    fn enter_connected(&mut self, key: Namespace, connected: Connected<W>, recovered: bool) {
        let output = Output::Connected {
            nsp: key.clone(),
            sid: connected.sid().to_owned(),
            identity: connected.identity().clone(),
            recovered,
        };
        self.namespaces
            .insert(key, NamespaceState::Connected(connected));
        self.outputs.push_back(output);
    }

    /// The identity of a joined namespace.
    pub fn identity(&self, nsp: &str) -> Option<&Identity> {
        match self.namespaces.get(nsp)? {
            NamespaceState::Connected(c) => Some(c.identity()),
            _ => None,
        }
    }

    /// Refuses the pending CONNECT of `nsp` with a CONNECT_ERROR carrying `data` (build it with
    /// [`connect_error`](super::connect_error)). The namespace is forgotten; the connection stays.
    pub fn reject(&mut self, nsp: &str, data: RawJson) -> Result<(), ApiMisuse> {
        let key = self.connecting_key(nsp)?;
        self.namespaces.remove(nsp);
        let data = match self.protocol {
            Protocol::V5 => data,
            Protocol::V4 { .. } => v4_error(&data),
        };
        self.transmit(&Packet::ConnectError { nsp: key, data });
        Ok(())
    }

    /// Emits event `name` with `args` on a connected namespace (a reserved name is refused, see
    /// [`Parser::encode_emit`]).
    pub fn emit(&mut self, nsp: &str, name: &str, args: &Payload) -> Result<(), ApiMisuse> {
        let (key, _) = self.connected_mut(nsp)?;
        let encoded = self.config.parser.encode_emit(&key, None, name, args)?;
        self.outputs.push_back(Output::Transmit(encoded));
        Ok(())
    }

    /// Emits event `name` asking for an acknowledgement; returns its id. Without `timeout` it
    /// waits as long as the namespace stays connected; with one, [`Output::AckTimedOut`] follows
    /// when it passes. `waiter` comes back with the answer (or the timeout); a refused emit gives
    /// it back with the error.
    pub fn emit_with_ack(
        &mut self,
        now: Instant,
        nsp: &str,
        name: &str,
        args: &Payload,
        timeout: Option<Duration>,
        waiter: W,
    ) -> Result<u64, (ApiMisuse, W)> {
        let parser = self.config.parser;
        let (key, connected) = match self.connected_mut(nsp) {
            Ok(found) => found,
            Err(e) => return Err((e, waiter)),
        };
        let id = connected.acks.peek_id();
        let encoded = match parser.encode_emit(&key, Some(id), name, args) {
            Ok(encoded) => encoded,
            Err(e) => return Err((e, waiter)),
        };
        connected.acks.allocate(deadline(now, timeout), waiter);
        self.outputs.push_back(Output::Transmit(encoded));
        Ok(id)
    }

    /// Sends an ACK for the client's event `id`.
    pub fn ack(&mut self, nsp: &str, id: u64, args: &Payload) -> Result<(), ApiMisuse> {
        let (key, _) = self.connected_mut(nsp)?;
        let encoded = self.config.parser.encode_ack(&key, id, args);
        self.outputs.push_back(Output::Transmit(encoded));
        Ok(())
    }

    /// Sends a packet encoded elsewhere (a broadcast, encoded once for every receiver) on a
    /// connected namespace. The caller makes sure `packet` was encoded for `nsp`; one in the form
    /// of another parser than [`Config::parser`] is refused ([`ApiMisuse::WrongParser`]).
    pub fn send(&mut self, nsp: &str, packet: Encoded) -> Result<(), ApiMisuse> {
        self.check_send(nsp, &packet)?;
        self.outputs.push_back(Output::Transmit(packet));
        Ok(())
    }

    /// [`send`](Self::send), but a packet with nothing queued before it comes straight back, to
    /// be transmitted at once as an [`Output::Transmit`] would be (`Some`); behind other outputs
    /// it is queued as `send` queues it, so the order holds (`None`). Saves the output queue's
    /// round trip on the common path (each receiver of a broadcast, each acknowledgement).
    pub fn send_now(&mut self, nsp: &str, packet: Encoded) -> Result<Option<Encoded>, ApiMisuse> {
        self.check_send(nsp, &packet)?;
        if self.outputs.is_empty() {
            return Ok(Some(packet));
        }
        self.outputs.push_back(Output::Transmit(packet));
        Ok(None)
    }

    /// For a runtime that writes a packet's text in place (see
    /// [`AppContext::send_text_buf`](engineio::runtime::AppContext::send_text_buf)) rather than
    /// encode it as an [`Encoded`] first: whether a text packet (socket.io-parser's form) for
    /// `nsp` would come straight back from [`Connection::send_now`], to be transmitted at once
    /// (`Ok(true)`), or be queued behind other outputs (`Ok(false)`: send it with `send_now`).
    /// Refused as `send_now` refuses it.
    pub fn may_transmit_text_now(&self, nsp: &str) -> Result<bool, ApiMisuse> {
        self.check_send_form(nsp, false)?;
        Ok(self.outputs.is_empty())
    }

    /// Whether `packet` may go to `nsp` now: the connection open, the packet in its parser's
    /// form, the namespace joined.
    fn check_send(&self, nsp: &str, packet: &Encoded) -> Result<(), ApiMisuse> {
        self.check_send_form(nsp, matches!(packet.wire(), Wire::Binary(_)))
    }

    /// [`Connection::check_send`] of a packet encoded as one binary message (`binary`) or not.
    fn check_send_form(&self, nsp: &str, binary: bool) -> Result<(), ApiMisuse> {
        if self.is_closed() {
            return Err(ApiMisuse::ConnectionClosed);
        }
        if binary != (self.config.parser == Parser::MsgPack) {
            return Err(ApiMisuse::WrongParser);
        }
        if !self
            .namespaces
            .get(nsp)
            .is_some_and(NamespaceState::is_connected)
        {
            return Err(ApiMisuse::NotConnected {
                nsp: nsp.to_owned(),
            });
        }
        Ok(())
    }

    /// Waits for an ACK with an id the caller chose (a broadcast with acknowledgements shares one
    /// encoded packet, hence one id, among its receivers). Fails if `id` is already pending,
    /// giving `waiter` back with the error. Mixing this with
    /// [`emit_with_ack`](Self::emit_with_ack) on one namespace is allowed; the allocator skips
    /// pending ids, but an id chosen here may then collide with a later one.
    pub fn expect_ack(
        &mut self,
        now: Instant,
        nsp: &str,
        id: u64,
        timeout: Option<Duration>,
        waiter: W,
    ) -> Result<(), (ApiMisuse, W)> {
        let (key, connected) = match self.connected_mut(nsp) {
            Ok(found) => found,
            Err(e) => return Err((e, waiter)),
        };
        connected
            .acks
            .register(id, deadline(now, timeout), waiter)
            .map_err(|waiter| {
                let nsp = key.to_string();
                (ApiMisuse::DuplicateAckId { nsp, id }, waiter)
            })
    }

    /// Disconnects a connected namespace: sends DISCONNECT, then [`Output::Disconnected`] with
    /// `server namespace disconnect`. Other namespaces stay.
    pub fn disconnect(&mut self, nsp: &str) -> Result<(), ApiMisuse> {
        let (key, _) = self.connected_mut(nsp)?;
        self.namespaces.remove(nsp);
        self.transmit(&Packet::Disconnect { nsp: key.clone() });
        self.outputs.push_back(Output::Disconnected {
            nsp: key,
            reason: DisconnectReason::ServerNamespaceDisconnect,
        });
        Ok(())
    }

    /// Disconnects every namespace (each gets a DISCONNECT, so clients do not reconnect) and
    /// closes the connection: Node's `socket.disconnect(true)`.
    pub fn disconnect_all(&mut self) -> Result<(), ApiMisuse> {
        if self.is_closed() {
            return Err(ApiMisuse::ConnectionClosed);
        }
        let connected: Vec<Namespace> = self
            .namespaces
            .iter()
            .filter(|(_, s)| s.is_connected())
            .map(|(n, _)| n.clone())
            .collect();
        for nsp in connected {
            self.disconnect(nsp.as_str())?;
        }
        self.close_with(CloseReason::ByServer(
            DisconnectReason::ServerNamespaceDisconnect,
        ));
        Ok(())
    }

    /// Closes the connection without DISCONNECT packets (clients will try to reconnect):
    /// every connected namespace gets [`Output::Disconnected`] with `reason`, then
    /// [`Output::Close`].
    pub fn close(&mut self, reason: DisconnectReason) -> Result<(), ApiMisuse> {
        if self.is_closed() {
            return Err(ApiMisuse::ConnectionClosed);
        }
        self.close_with(CloseReason::ByServer(reason));
        Ok(())
    }

    // ----- internals -----

    /// Carries out a packet from the client; an event for the application comes back when
    /// nothing is queued before it (see [`Connection::handle_now`]), else it is queued.
    fn on_packet(&mut self, now: Instant, packet: Packet) -> Option<Event> {
        // The common packet first, and the only place an event on a connected namespace is
        // handed on: it goes out as it came, its fields moved once (the match below would move
        // the whole packet into a pair with the namespace's state first). A token refresh's
        // `authenticate` is left to the match.
        if let Packet::Event { nsp, name, .. } = &packet {
            let connected = matches!(
                self.namespaces.get(nsp.as_str()),
                Some(NamespaceState::Connected(_))
            );
            let refresh = || name == "authenticate" && self.refresh_policy(nsp.as_str()).is_some();
            if connected && !refresh() {
                if let Packet::Event {
                    nsp,
                    id,
                    name,
                    args,
                } = packet
                {
                    let event = Event {
                        nsp,
                        name,
                        args,
                        ack_id: id,
                    };
                    if self.outputs.is_empty() {
                        return Some(event);
                    }
                    self.outputs.push_back(Output::Event(event));
                }
                return None;
            }
        }
        let packet = match packet {
            // Revision 4: the query of the namespace is its auth payload.
            Packet::Connect { nsp, .. } if self.protocol.is_v4() => {
                let (nsp, data) = split_connect_namespace(&nsp);
                Packet::Connect { nsp, data }
            }
            packet => packet,
        };
        let state = self.namespaces.get_mut(packet.nsp().as_str());
        match (packet, state) {
            (Packet::Connect { nsp, data }, None) => self.on_connect(now, nsp, data),
            (
                Packet::Event {
                    nsp, name, args, ..
                },
                Some(NamespaceState::AwaitingToken(_)),
            ) => {
                // Until authenticated, only `authenticate` counts; other events are dropped.
                if name == "authenticate" {
                    self.on_authenticate(now, nsp, &args);
                }
            }
            (Packet::Ack { .. }, Some(NamespaceState::AwaitingToken(_))) => {}
            (Packet::Disconnect { nsp }, Some(NamespaceState::AwaitingToken(_))) => {
                self.namespaces.remove(nsp.as_str());
            }
            // On a connected namespace only a token refresh comes here (see above).
            (Packet::Event { nsp, args, .. }, Some(NamespaceState::Connected(_))) => {
                self.on_authenticate(now, nsp, &args);
            }
            (Packet::Connect { nsp, .. }, Some(_)) => {
                self.violation(PeerMisbehaved::DuplicateConnect {
                    nsp: nsp.to_string(),
                });
            }
            (Packet::ConnectError { nsp, .. }, _) => {
                self.violation(PeerMisbehaved::ConnectErrorFromClient {
                    nsp: nsp.to_string(),
                });
            }
            (Packet::Ack { nsp, id, args }, Some(NamespaceState::Connected(c))) => {
                if let Some(waiter) = c.acks.resolve(id) {
                    let received = Output::AckReceived {
                        nsp,
                        id,
                        args,
                        waiter,
                    };
                    self.outputs.push_back(received);
                }
            }
            (Packet::Disconnect { nsp }, Some(NamespaceState::Connected(_))) => {
                self.namespaces.remove(nsp.as_str());
                self.outputs.push_back(Output::Disconnected {
                    nsp,
                    reason: DisconnectReason::ClientNamespaceDisconnect,
                });
            }
            (packet, _) => {
                let packet_type = packet.packet_type();
                self.violation(PeerMisbehaved::NotConnected {
                    nsp: packet.nsp().to_string(),
                    packet: packet_type,
                });
            }
        }
        None
    }

    fn on_connect(&mut self, now: Instant, nsp: Namespace, data: Option<RawJson>) {
        if self.config.recovery.is_some() && !self.protocol.is_v4() {
            if let Some((pid, offset)) = resume_fields(data.as_ref()) {
                let auth = data.clone();
                let state = NamespaceState::Resuming(Resuming { data });
                self.namespaces.insert(nsp.clone(), state);
                let request = Output::ResumeRequest {
                    nsp,
                    pid,
                    offset,
                    auth,
                };
                return self.outputs.push_back(request);
            }
        }
        self.connect_fresh(now, nsp, data);
    }

    /// A CONNECT that restores nothing: the namespace's policy decides.
    fn connect_fresh(&mut self, now: Instant, nsp: Namespace, data: Option<RawJson>) {
        let policy = self.auth.for_namespace(nsp.as_str()).clone();
        let (identity, deadline) = match policy {
            AuthPolicy::None => (Some(Identity::Anonymous), None),
            AuthPolicy::App { timeout } => (None, now.checked_add(timeout)),
            AuthPolicy::Jwt(p) if p.mode == AuthMode::Event => (None, now.checked_add(p.timeout)),
            AuthPolicy::Jwt(p) => {
                let verified = find_token(&p.sources, data.as_ref(), &self.credentials)
                    .and_then(|token| self.verify(&p, &token, now));
                match verified {
                    Ok(identity) => (Some(identity), None),
                    Err(error) => return self.refuse(nsp, error),
                }
            }
        };
        let state = Authenticating::new(identity.clone(), deadline);
        self.namespaces
            .insert(nsp.clone(), NamespaceState::Authenticating(state));
        self.outputs.push_back(Output::ConnectRequest {
            nsp,
            auth: data,
            identity,
            recovered: false,
        });
    }

    /// Answers an [`Output::ResumeRequest`] with the session kept under its pid, if any (the
    /// runtime looked it up: same namespace, within the window, the offset still known).
    ///
    /// The session is restored (same socket id, [`Output::Connected`] with `recovered`) unless:
    /// its credentials expired while it was away, or the CONNECT brings a token of another
    /// subject: then the CONNECT is a fresh one, which the policy decides as usual. A token the
    /// CONNECT brings (in any of the policy's sources) is verified either way: refused, so is the
    /// CONNECT; valid, it refreshes the restored identity and its deadline. Nothing skips a
    /// token the client sent. With `skip_middlewares` off the application's checks run first
    /// ([`Output::ConnectRequest`] with `recovered`).
    pub fn resume(&mut self, now: Instant, nsp: &str, kept: Option<Kept>) -> Result<(), ApiMisuse> {
        if self.is_closed() {
            return Err(ApiMisuse::ConnectionClosed);
        }
        let Some((key, NamespaceState::Resuming(_))) = self.namespaces.get_key_value(nsp) else {
            return Err(ApiMisuse::NotConnecting {
                nsp: nsp.to_owned(),
            });
        };
        let key = key.clone();
        let Some(NamespaceState::Resuming(Resuming { data })) = self.namespaces.remove(nsp) else {
            return Ok(());
        };
        let Some(kept) = kept.filter(|k| k.nsp == key) else {
            self.connect_fresh(now, key, data);
            return Ok(());
        };
        let (identity, expires_at) = match self.resumed_identity(now, &key, data.as_ref(), &kept) {
            Err(error) => {
                self.refuse(key, error);
                return Ok(());
            }
            Ok(None) => {
                self.connect_fresh(now, key, data);
                return Ok(());
            }
            Ok(Some(found)) => found,
        };
        let resumed = Resumed {
            sid: kept.sid,
            pid: kept.pid,
            expires_at,
            subject: identity.subject().map(Box::from),
        };
        let skip = self.config.recovery.is_none_or(|r| r.skip_middlewares);
        if skip {
            self.rejoin(key, resumed, identity);
        } else {
            let deadline = match self.auth.for_namespace(key.as_str()) {
                AuthPolicy::App { timeout } => now.checked_add(*timeout),
                _ => None,
            };
            let mut state = Authenticating::new(Some(identity.clone()), deadline);
            state.resumed = Some(Box::new(resumed));
            let state = NamespaceState::Authenticating(state);
            self.namespaces.insert(key.clone(), state);
            self.outputs.push_back(Output::ConnectRequest {
                nsp: key,
                auth: data,
                identity: Some(identity),
                recovered: true,
            });
        }
        Ok(())
    }

    /// Who a restored namespace is, and until when: `Ok(None)` when it is not restored (the
    /// deadline passed, or a token of another subject came), an error when a token came and was
    /// refused.
    fn resumed_identity(
        &self,
        now: Instant,
        nsp: &Namespace,
        data: Option<&RawJson>,
        kept: &Kept,
    ) -> Result<Option<(Identity, Option<Instant>)>, AuthError> {
        if kept.expires_at.is_some_and(|deadline| now >= deadline) {
            return Ok(None);
        }
        let AuthPolicy::Jwt(policy) = self.auth.for_namespace(nsp.as_str()).clone() else {
            return Ok(Some((kept.identity.clone(), kept.expires_at)));
        };
        let token = match find_token(&policy.sources, data, &self.credentials) {
            Ok(token) => token,
            Err(e) if e.code == AuthError::credentials_required().code => {
                return Ok(Some((kept.identity.clone(), kept.expires_at)));
            }
            Err(e) => return Err(e),
        };
        let identity = self.verify(&policy, &token, now)?;
        if identity.subject() != kept.identity.subject() {
            return Ok(None);
        }
        let expires_at = identity.expires_at().and_then(|e| self.instant_of(e));
        Ok(Some((identity, expires_at)))
    }

    /// Joins a restored namespace: the CONNECT reply carries its old socket id and pid.
    fn rejoin(&mut self, key: Namespace, resumed: Resumed, identity: Identity) {
        self.reply_connect(&key, &resumed.sid, Some(&resumed.pid));
        let state = Authenticating::new(None, None);
        let connected = state.join(
            &resumed.sid,
            Some(&resumed.pid),
            identity,
            resumed.expires_at,
        );
        self.enter_connected(key, connected, true);
    }

    /// Verifies a token. A token the verifier accepts thanks to its leeway (`exp` passed less than
    /// the leeway ago) is accepted, as `jsonwebtoken`'s `clockTolerance` accepts it; the
    /// connection's deadline is then `exp + leeway` ([`Identity::expires_at`]), still ahead.
    fn verify(&self, policy: &JwtPolicy, token: &str, now: Instant) -> Result<Identity, AuthError> {
        let verified = policy
            .verifier
            .verify(token, self.unix(now))
            .map_err(|e| AuthError::from_jwt(&e))?;
        Ok(Identity::Jwt(Arc::new(verified)))
    }

    /// The JWT policy of `nsp` if it allows refreshing the token in-band.
    fn refresh_policy(&self, nsp: &str) -> Option<Arc<JwtPolicy>> {
        match self.auth.for_namespace(nsp) {
            AuthPolicy::Jwt(p) if p.refresh => Some(p.clone()),
            _ => None,
        }
    }

    /// An `authenticate` event: the token of the event mode, or a refresh.
    fn on_authenticate(&mut self, now: Instant, nsp: Namespace, args: &Payload) {
        let AuthPolicy::Jwt(policy) = self.auth.for_namespace(nsp.as_str()).clone() else {
            return;
        };
        let verified = match token_in_object(args.args().first()) {
            Ok(Some(token)) => self.verify(&policy, &token, now),
            Ok(None) => Err(AuthError::credentials_required()),
            Err(e) => Err(e),
        };
        let Some(state) = self.namespaces.remove(nsp.as_str()) else {
            return;
        };
        match (state, verified) {
            (NamespaceState::AwaitingToken(waiting), Ok(identity)) => {
                let expires_at = identity.expires_at().and_then(|e| self.instant_of(e));
                let connected = waiting.authenticate(identity, expires_at);
                self.transmit_authenticated(&nsp, &connected);
                self.enter_connected(nsp, connected, false);
            }
            (NamespaceState::AwaitingToken(_), Err(error)) => self.unauthorized(nsp, error, None),
            (NamespaceState::Connected(connected), Ok(identity)) => {
                let expires_at = identity.expires_at().and_then(|e| self.instant_of(e));
                match connected.reauthenticate(identity.clone(), expires_at) {
                    Ok(connected) => {
                        self.transmit_authenticated(&nsp, &connected);
                        let state = NamespaceState::Connected(connected);
                        self.namespaces.insert(nsp.clone(), state);
                        self.outputs
                            .push_back(Output::Reauthenticated { nsp, identity });
                    }
                    Err(error) => {
                        self.unauthorized(nsp, error, Some(DisconnectReason::Unauthorized))
                    }
                }
            }
            (NamespaceState::Connected(_), Err(error)) => {
                self.unauthorized(nsp, error, Some(DisconnectReason::Unauthorized))
            }
            // Still being decided: the `authenticate` event is not for this state.
            (state, _) => {
                self.namespaces.insert(nsp, state);
            }
        }
    }

    /// Tells the client its token was accepted: `authenticated`, bare as socketio-jwt sends it,
    /// unless connection state recovery keeps the namespace's session (it has a pid). Then the
    /// event carries `{"exp": <the token's exp>}`: socket.io-client takes the last element of any
    /// event that is a string, the event's name when it has no argument, for the offset it sends
    /// back to recover, and a bare `authenticated` would make its next recovery fail.
    fn transmit_authenticated(&mut self, nsp: &Namespace, connected: &Connected<W>) {
        let args = match connected.pid() {
            None => Payload::empty(),
            Some(_) => {
                let exp = connected.identity().claims().and_then(|c| c.get("exp"));
                let exp = exp
                    .filter(|e| e.is_number())
                    .map_or("null".into(), |e| e.to_string());
                Payload::from_checked(
                    vec![RawJson::from_trusted(format!("{{\"exp\":{exp}}}"))],
                    Vec::new(),
                )
            }
        };
        let parser = self.config.parser;
        let event = parser.encode_event(nsp, None, "authenticated", &args);
        self.outputs.push_back(Output::Transmit(event));
    }

    fn violation(&mut self, e: PeerMisbehaved) {
        self.close_with(CloseReason::PeerMisbehaved(e));
    }

    fn close_with(&mut self, reason: CloseReason) {
        self.shut(reason.disconnect_reason());
        self.outputs.push_back(Output::Close(reason));
    }

    /// Disconnects every connected namespace with `reason` and enters `Closed`.
    fn shut(&mut self, reason: DisconnectReason) {
        for (nsp, state) in std::mem::take(&mut self.namespaces) {
            let NamespaceState::Connected(connected) = state else {
                continue;
            };
            if let (Some(pid), true) = (connected.pid(), reason.is_recoverable()) {
                self.outputs.push_back(Output::SessionKept(Kept {
                    nsp: nsp.clone(),
                    sid: connected.sid().into(),
                    pid: pid.into(),
                    identity: connected.identity().clone(),
                    expires_at: connected.expires_at(),
                }));
            }
            self.outputs.push_back(Output::Disconnected { nsp, reason });
        }
        self.partial = None;
        self.phase = Phase::Closed;
    }

    fn transmit(&mut self, packet: &Packet) {
        let encoded = self.config.parser.encode(packet);
        self.outputs.push_back(Output::Transmit(encoded));
    }

    fn connecting_key(&self, nsp: &str) -> Result<Namespace, ApiMisuse> {
        if self.is_closed() {
            return Err(ApiMisuse::ConnectionClosed);
        }
        match self.namespaces.get_key_value(nsp) {
            Some((key, NamespaceState::Authenticating(_))) => Ok(key.clone()),
            _ => Err(ApiMisuse::NotConnecting {
                nsp: nsp.to_owned(),
            }),
        }
    }

    fn connected_mut(&mut self, nsp: &str) -> Result<(Namespace, &mut Connected<W>), ApiMisuse> {
        if self.is_closed() {
            return Err(ApiMisuse::ConnectionClosed);
        }
        let key = match self.namespaces.get_key_value(nsp) {
            Some((key, NamespaceState::Connected(_))) => key.clone(),
            _ => {
                return Err(ApiMisuse::NotConnected {
                    nsp: nsp.to_owned(),
                })
            }
        };
        match self.namespaces.get_mut(nsp) {
            Some(NamespaceState::Connected(c)) => Ok((key, c)),
            _ => Err(ApiMisuse::NotConnected {
                nsp: nsp.to_owned(),
            }),
        }
    }
}

/// The private session id and offset of a CONNECT payload (connection state recovery), when both
/// are strings; anything else (absent, another type, a duplicate key) restores nothing.
fn resume_fields(data: Option<&RawJson>) -> Option<(String, String)> {
    #[derive(serde::Deserialize)]
    struct Resume {
        #[serde(default)]
        pid: Option<serde_json::Value>,
        #[serde(default)]
        offset: Option<serde_json::Value>,
    }
    let resume: Resume = data?.deserialize().ok()?;
    match (resume.pid?, resume.offset?) {
        (serde_json::Value::String(pid), serde_json::Value::String(offset)) => Some((pid, offset)),
        _ => None,
    }
}

fn deadline(now: Instant, timeout: Option<Duration>) -> Option<Instant> {
    timeout.and_then(|t| now.checked_add(t))
}
