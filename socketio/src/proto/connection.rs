//! [`Connection`]: the Socket.IO state machine of one Engine.IO session, without I/O or clock.

use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, Instant};

use bytes::Bytes;

use super::decode::{decode_text, Decoded, Limits};
use super::encode::{encode, encode_ack, encode_event, Encoded};
use super::error::{ApiMisuse, DecodeError, PeerMisbehaved};
use super::namespace_state::{Connected, NamespaceState};
use super::packet::{is_reserved_event, Namespace, Packet};
use super::payload::Payload;
use super::raw_json::RawJson;
use super::reason::{CloseReason, DisconnectReason};
use super::PartialPacket;

/// Settings of a [`Connection`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Config {
    /// How long after the connection starts a namespace must be joined (Node's
    /// `connectTimeout`, default 45 s).
    pub connect_timeout: Duration,
    /// Limits applied to everything the peer sends.
    pub limits: Limits,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(45),
            limits: Limits::default(),
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

/// What the connection asks of the runtime. Drain with [`Connection::poll_output`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Output {
    /// Send the text as one Engine.IO message, then each attachment as one binary message.
    Transmit(Encoded),
    /// The client asks to join `nsp`. Answer with [`Connection::accept`] or
    /// [`Connection::reject`]. `auth` is the CONNECT payload (Node passes `{}` when absent).
    ConnectRequest {
        /// The namespace.
        nsp: Namespace,
        /// The CONNECT payload, a JSON object.
        auth: Option<RawJson>,
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
    },
    /// The deadline of an acknowledgement passed; a late ACK for it is ignored.
    AckTimedOut {
        /// The namespace.
        nsp: Namespace,
        /// The acknowledgement id.
        id: u64,
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
#[derive(Debug)]
pub struct Connection {
    config: Config,
    phase: Phase,
    namespaces: BTreeMap<Namespace, NamespaceState>,
    /// A BINARY packet waiting for attachments.
    partial: Option<PartialPacket>,
    outputs: VecDeque<Output>,
}

impl Connection {
    /// A connection whose Engine.IO session opened at `now`.
    pub fn new(now: Instant, config: Config) -> Self {
        Self {
            config,
            phase: Phase::AwaitingConnect {
                deadline: now.checked_add(config.connect_timeout),
            },
            namespaces: BTreeMap::new(),
            partial: None,
            outputs: VecDeque::new(),
        }
    }

    // ----- input from the peer -----

    /// Handles an Engine.IO text message (a Socket.IO packet).
    pub fn handle_text(&mut self, now: Instant, text: &str) {
        if self.is_closed() {
            return;
        }
        if let Some(partial) = &self.partial {
            let missing = partial.missing();
            return self.violation(DecodeError::UnexpectedText { missing }.into());
        }
        match decode_text(text, &self.config.limits) {
            Ok(Decoded::Complete(packet)) => self.on_packet(now, packet),
            Ok(Decoded::Partial(partial)) => self.partial = Some(partial),
            Err(e) => self.violation(e.into()),
        }
    }

    /// Handles an Engine.IO binary message (an attachment of the pending BINARY packet).
    pub fn handle_binary(&mut self, now: Instant, data: Bytes) {
        if self.is_closed() {
            return;
        }
        let Some(partial) = self.partial.take() else {
            return self.violation(DecodeError::UnexpectedBinary.into());
        };
        match partial.push(data) {
            Ok(Decoded::Complete(packet)) => self.on_packet(now, packet),
            Ok(Decoded::Partial(partial)) => self.partial = Some(partial),
            Err(e) => self.violation(e.into()),
        }
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
        if let Phase::AwaitingConnect {
            deadline: Some(deadline),
        } = self.phase
        {
            if now >= deadline {
                return self.close_with(CloseReason::ConnectTimeout);
            }
        }
        for (nsp, state) in &mut self.namespaces {
            if let NamespaceState::Connected(c) = state {
                for id in c.acks.expire(now) {
                    let nsp = nsp.clone();
                    self.outputs.push_back(Output::AckTimedOut { nsp, id });
                }
            }
        }
    }

    // ----- output -----

    /// The next output, in the order the connection produced them.
    pub fn poll_output(&mut self) -> Option<Output> {
        self.outputs.pop_front()
    }

    /// The earliest deadline at which [`handle_timeout`](Self::handle_timeout) must be called.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let connect = match self.phase {
            Phase::AwaitingConnect { deadline } => deadline,
            Phase::Open => None,
            Phase::Closed => return None,
        };
        let acks = self.namespaces.values().filter_map(|s| match s {
            NamespaceState::Connected(c) => c.acks.next_deadline(),
            NamespaceState::Connecting => None,
        });
        connect.into_iter().chain(acks).min()
    }

    // ----- state -----

    /// Whether the connection is closed.
    pub fn is_closed(&self) -> bool {
        self.phase == Phase::Closed
    }

    /// The state of `nsp`, or `None` if it is not joined.
    pub fn namespace(&self, nsp: &str) -> Option<&NamespaceState> {
        self.namespaces.get(nsp)
    }

    /// Every namespace with a state.
    pub fn namespaces(&self) -> impl Iterator<Item = (&Namespace, &NamespaceState)> {
        self.namespaces.iter()
    }

    // ----- decisions and commands from the application -----

    /// Accepts the pending CONNECT of `nsp`: replies `0[/nsp,]{"sid":"<sid>"}`. `sid` is the
    /// namespace-scoped socket id (the runtime makes it random; it is not the Engine.IO sid).
    pub fn accept(&mut self, nsp: &str, sid: &str) -> Result<(), ApiMisuse> {
        let key = self.connecting_key(nsp)?;
        let data = format!("{{\"sid\":{}}}", RawJson::string(sid));
        self.transmit(&Packet::Connect {
            nsp: key.clone(),
            data: Some(RawJson::from_trusted(data)),
        });
        self.namespaces
            .insert(key, NamespaceState::Connected(Connected::new(sid)));
        if let Phase::AwaitingConnect { .. } = self.phase {
            self.phase = Phase::Open;
        }
        Ok(())
    }

    /// Refuses the pending CONNECT of `nsp` with a CONNECT_ERROR carrying `data` (build it with
    /// [`connect_error`](super::connect_error)). The namespace is forgotten; the connection stays.
    pub fn reject(&mut self, nsp: &str, data: RawJson) -> Result<(), ApiMisuse> {
        let key = self.connecting_key(nsp)?;
        self.namespaces.remove(nsp);
        self.transmit(&Packet::ConnectError { nsp: key, data });
        Ok(())
    }

    /// Emits event `name` with `args` on a connected namespace.
    pub fn emit(&mut self, nsp: &str, name: &str, args: &Payload) -> Result<(), ApiMisuse> {
        check_event_name(name)?;
        let (key, _) = self.connected_mut(nsp)?;
        let encoded = encode_event(&key, None, name, args);
        self.outputs.push_back(Output::Transmit(encoded));
        Ok(())
    }

    /// Emits event `name` asking for an acknowledgement; returns its id. Without `timeout` it
    /// waits as long as the namespace stays connected; with one, [`Output::AckTimedOut`] follows
    /// when it passes.
    pub fn emit_with_ack(
        &mut self,
        now: Instant,
        nsp: &str,
        name: &str,
        args: &Payload,
        timeout: Option<Duration>,
    ) -> Result<u64, ApiMisuse> {
        check_event_name(name)?;
        let (key, connected) = self.connected_mut(nsp)?;
        let id = connected.acks.allocate(deadline(now, timeout));
        let encoded = encode_event(&key, Some(id), name, args);
        self.outputs.push_back(Output::Transmit(encoded));
        Ok(id)
    }

    /// Sends an ACK for the client's event `id`.
    pub fn ack(&mut self, nsp: &str, id: u64, args: &Payload) -> Result<(), ApiMisuse> {
        let (key, _) = self.connected_mut(nsp)?;
        let encoded = encode_ack(&key, id, args);
        self.outputs.push_back(Output::Transmit(encoded));
        Ok(())
    }

    /// Sends a packet encoded elsewhere (a broadcast, encoded once for every receiver) on a
    /// connected namespace. The caller makes sure `packet` was encoded for `nsp`.
    pub fn send(&mut self, nsp: &str, packet: Encoded) -> Result<(), ApiMisuse> {
        self.connected_mut(nsp)?;
        self.outputs.push_back(Output::Transmit(packet));
        Ok(())
    }

    /// Waits for an ACK with an id the caller chose (a broadcast with acknowledgements shares one
    /// encoded packet, hence one id, among its receivers). Fails if `id` is already pending.
    /// Mixing this with [`emit_with_ack`](Self::emit_with_ack) on one namespace is allowed; the
    /// allocator skips pending ids, but an id chosen here may then collide with a later one.
    pub fn expect_ack(
        &mut self,
        now: Instant,
        nsp: &str,
        id: u64,
        timeout: Option<Duration>,
    ) -> Result<(), ApiMisuse> {
        let (key, connected) = self.connected_mut(nsp)?;
        if connected.acks.register(id, deadline(now, timeout)) {
            Ok(())
        } else {
            Err(ApiMisuse::DuplicateAckId {
                nsp: key.to_string(),
                id,
            })
        }
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

    fn on_packet(&mut self, now: Instant, packet: Packet) {
        let _ = now; // the authentication states will need it
        let state = self.namespaces.get_mut(packet.nsp().as_str());
        match (packet, state) {
            (Packet::Connect { nsp, data }, None) => {
                self.namespaces
                    .insert(nsp.clone(), NamespaceState::Connecting);
                self.outputs
                    .push_back(Output::ConnectRequest { nsp, auth: data });
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
            (
                Packet::Event {
                    nsp,
                    id,
                    name,
                    args,
                },
                Some(NamespaceState::Connected(_)),
            ) => {
                self.outputs.push_back(Output::Event(Event {
                    nsp,
                    name,
                    args,
                    ack_id: id,
                }));
            }
            (Packet::Ack { nsp, id, args }, Some(NamespaceState::Connected(c))) => {
                if c.acks.resolve(id) {
                    self.outputs
                        .push_back(Output::AckReceived { nsp, id, args });
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
            if state.is_connected() {
                self.outputs.push_back(Output::Disconnected { nsp, reason });
            }
        }
        self.partial = None;
        self.phase = Phase::Closed;
    }

    fn transmit(&mut self, packet: &Packet) {
        self.outputs.push_back(Output::Transmit(encode(packet)));
    }

    fn connecting_key(&self, nsp: &str) -> Result<Namespace, ApiMisuse> {
        if self.is_closed() {
            return Err(ApiMisuse::ConnectionClosed);
        }
        match self.namespaces.get_key_value(nsp) {
            Some((key, NamespaceState::Connecting)) => Ok(key.clone()),
            _ => Err(ApiMisuse::NotConnecting {
                nsp: nsp.to_owned(),
            }),
        }
    }

    fn connected_mut(&mut self, nsp: &str) -> Result<(Namespace, &mut Connected), ApiMisuse> {
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

fn check_event_name(name: &str) -> Result<(), ApiMisuse> {
    if is_reserved_event(name) {
        Err(ApiMisuse::ReservedEventName(name.to_owned()))
    } else {
        Ok(())
    }
}

fn deadline(now: Instant, timeout: Option<Duration>) -> Option<Instant> {
    timeout.and_then(|t| now.checked_add(t))
}
