//! `sio_connection`: a Socket.IO [`Connection`] with JWT authentication, driven through arbitrary
//! sequences of client messages, application commands and clock ticks, checked after every step.
//!
//! The application of this harness answers each CONNECT the way an authenticating server does:
//! `/` and `/chat` are public; `/admin` is joined only with `{"token": <JWT>}` whose HS256
//! signature and claims [`fixtures::hmac_verifier`](crate::fixtures::hmac_verifier) accepts;
//! anything else is refused with a CONNECT_ERROR.
//!
//! Input: a setup byte pair (connect timeout, limits), then [`Op`]s until the bytes run out.
//!
//! Invariants, checked against a model fed only by the outputs and the command results:
//!
//! - an [`Event`](Output::Event), ACK or timeout is only ever delivered for a connected namespace,
//!   and a command succeeds exactly when its namespace is in the required state;
//! - the namespaces the connection reports as connected are the model's, and `/admin` is only
//!   connected after a verified token;
//! - every namespace that leaves gets a `Disconnected` with a reason (the given one when the
//!   transport closes); `Close` carries a reason and comes once, after every namespace has left,
//!   and nothing at all is output after it;
//! - ACKs are delivered at most once and only for ids the application is waiting for;
//! - everything transmitted decodes (with its attachments) and re-encodes to the same bytes;
//! - `poll_timeout()` is `None` when closed, and after `handle_timeout(now)` it lies after `now`;
//! - nothing panics.

use crate::fixtures;
use crate::reader::{Reader, Writer};
use bytes::Bytes;
use jwt_auth::Verifier;
use socketio::proto::{
    connect_error, decode_text, encode, encode_event, Config, Connection, Decoded,
    DisconnectReason, Encoded, Limits, Namespace, NamespaceState, Output, Payload, RawJson,
    MAX_DEPTH_CAP,
};
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

/// Namespaces every run knows; more are learned from the client's CONNECT packets.
const NAMESPACES: [&str; 3] = ["/", "/admin", "/chat"];
/// The namespace that needs a token.
const PRIVATE: &str = "/admin";
/// Most namespaces the harness keeps track of.
const MAX_NAMESPACES: usize = 8;

/// One step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Op {
    /// A text message from the client (invalid UTF-8 replaced).
    Text(Vec<u8>),
    /// A binary message from the client.
    Binary(Vec<u8>),
    /// The Engine.IO session ended.
    TransportClosed {
        /// Selects the reason.
        reason: u8,
    },
    /// Time passes, then `handle_timeout`.
    Advance {
        /// Milliseconds.
        ms: u16,
    },
    /// The clock jumps to `poll_timeout()`, then `handle_timeout`.
    Fire,
    /// The application answers the CONNECT of a namespace (by the harness's auth policy).
    Answer {
        /// Which namespace.
        nsp: u8,
    },
    /// The application emits an event (binary when `binary` is set).
    Emit {
        /// Which namespace.
        nsp: u8,
        /// The event name (invalid UTF-8 replaced).
        name: Vec<u8>,
        /// Whether the argument is an attachment.
        binary: bool,
    },
    /// The application emits an event that waits for an ACK.
    EmitWithAck {
        /// Which namespace.
        nsp: u8,
        /// Timeout in ms; 0 for none.
        timeout: u16,
    },
    /// The application acknowledges a client event.
    Ack {
        /// Which namespace.
        nsp: u8,
        /// The ack id.
        id: u8,
    },
    /// The application sends a broadcast encoded beforehand, with an ACK id of its choosing.
    SendWithAck {
        /// Which namespace.
        nsp: u8,
        /// The ack id.
        id: u8,
        /// Timeout in ms; 0 for none.
        timeout: u16,
    },
    /// The application disconnects a namespace.
    Disconnect {
        /// Which namespace.
        nsp: u8,
    },
    /// The application disconnects every namespace and closes.
    DisconnectAll,
    /// The application closes the connection.
    Close {
        /// Selects the reason.
        reason: u8,
    },
}

const OPS: u8 = 13;

const REASONS: [DisconnectReason; 9] = [
    DisconnectReason::ClientNamespaceDisconnect,
    DisconnectReason::ServerNamespaceDisconnect,
    DisconnectReason::TransportClose,
    DisconnectReason::TransportError,
    DisconnectReason::PingTimeout,
    DisconnectReason::ParseError,
    DisconnectReason::ForcedClose,
    DisconnectReason::ForcedServerClose,
    DisconnectReason::ServerShuttingDown,
];

impl Op {
    fn read(r: &mut Reader<'_>) -> Self {
        match r.u8() % OPS {
            0 => Op::Text(r.bytes().to_vec()),
            1 => Op::Binary(r.bytes().to_vec()),
            2 => Op::TransportClosed { reason: r.u8() },
            3 => Op::Advance { ms: r.u16() },
            4 => Op::Fire,
            5 => Op::Answer { nsp: r.u8() },
            6 => Op::Emit {
                nsp: r.u8(),
                name: r.bytes().to_vec(),
                binary: r.bool(),
            },
            7 => Op::EmitWithAck {
                nsp: r.u8(),
                timeout: r.u16(),
            },
            8 => Op::Ack {
                nsp: r.u8(),
                id: r.u8(),
            },
            9 => Op::SendWithAck {
                nsp: r.u8(),
                id: r.u8(),
                timeout: r.u16(),
            },
            10 => Op::Disconnect { nsp: r.u8() },
            11 => Op::DisconnectAll,
            _ => Op::Close { reason: r.u8() },
        }
    }

    fn write(&self, w: Writer) -> Writer {
        match self {
            Op::Text(t) => w.u8(0).bytes(t),
            Op::Binary(b) => w.u8(1).bytes(b),
            Op::TransportClosed { reason } => w.u8(2).u8(*reason),
            Op::Advance { ms } => w.u8(3).u16(*ms),
            Op::Fire => w.u8(4),
            Op::Answer { nsp } => w.u8(5).u8(*nsp),
            Op::Emit { nsp, name, binary } => w.u8(6).u8(*nsp).bytes(name).u8(u8::from(*binary)),
            Op::EmitWithAck { nsp, timeout } => w.u8(7).u8(*nsp).u16(*timeout),
            Op::Ack { nsp, id } => w.u8(8).u8(*nsp).u8(*id),
            Op::SendWithAck { nsp, id, timeout } => w.u8(9).u8(*nsp).u8(*id).u16(*timeout),
            Op::Disconnect { nsp } => w.u8(10).u8(*nsp),
            Op::DisconnectAll => w.u8(11),
            Op::Close { reason } => w.u8(12).u8(*reason),
        }
    }
}

/// Encodes a program (for seed corpora): connect timeout in ms (minus 1), the limits selector
/// (as in [`crate::sio_packet::limits`]), then the ops.
pub fn encode_program(connect_timeout: u8, limits: u8, ops: &[Op]) -> Vec<u8> {
    let w = Writer::new().u8(connect_timeout).u8(limits);
    ops.iter().fold(w, |w, op| op.write(w)).finish()
}

/// What the harness knows independently of the connection.
struct Model {
    namespaces: Vec<String>,
    connected: BTreeSet<String>,
    connecting: BTreeSet<String>,
    /// ACKs the application waits for: (namespace, id).
    acks: BTreeSet<(String, u64)>,
    /// Auth payloads of pending CONNECTs.
    auth: Vec<(String, Option<RawJson>)>,
    closed: bool,
}

impl Model {
    fn nsp(&self, pick: u8) -> String {
        let i = usize::from(pick) % self.namespaces.len().max(1);
        self.namespaces.get(i).cloned().unwrap_or_else(|| "/".into())
    }

    fn learn(&mut self, nsp: &Namespace) {
        let name = nsp.as_str();
        if self.namespaces.len() < MAX_NAMESPACES && !self.namespaces.iter().any(|n| n == name) {
            self.namespaces.push(name.to_owned());
        }
    }
}

/// Runs one input.
pub fn run(data: &[u8]) {
    let mut r = Reader::new(data);
    let config = Config {
        connect_timeout: Duration::from_millis(1 + u64::from(r.u8())),
        limits: crate::sio_packet::limits(r.u8()),
    };
    let verifier = fixtures::hmac_verifier();
    let mut now = Instant::now();
    let mut conn = Connection::new(now, config);
    let mut model = Model {
        namespaces: NAMESPACES.iter().map(|&n| n.to_owned()).collect(),
        connected: BTreeSet::new(),
        connecting: BTreeSet::new(),
        acks: BTreeSet::new(),
        auth: Vec::new(),
        closed: false,
    };
    while !r.is_empty() {
        let op = Op::read(&mut r);
        let was_closed = model.closed;
        let transport_reason = step(&mut conn, &mut model, &verifier, &mut now, op);
        let outputs = std::iter::from_fn(|| conn.poll_output()).collect::<Vec<_>>();
        assert!(
            !was_closed || outputs.is_empty(),
            "outputs after the connection closed: {outputs:?}"
        );
        for output in outputs {
            observe(&mut model, output, transport_reason);
        }
        if transport_reason.is_some() {
            model.closed = true;
        }
        check(&conn, &model);
    }
}

/// Applies one op; returns the reason when the op closed the transport.
fn step(
    conn: &mut Connection,
    model: &mut Model,
    verifier: &Verifier,
    now: &mut Instant,
    op: Op,
) -> Option<DisconnectReason> {
    match op {
        Op::Text(text) => conn.handle_text(*now, &String::from_utf8_lossy(&text)),
        Op::Binary(bytes) => conn.handle_binary(*now, Bytes::from(bytes)),
        Op::TransportClosed { reason } => {
            let reason = REASONS[usize::from(reason) % REASONS.len()];
            conn.handle_transport_closed(reason);
            return (!model.closed).then_some(reason);
        }
        Op::Advance { ms } => {
            *now += Duration::from_millis(u64::from(ms));
            tick(conn, *now);
        }
        Op::Fire => {
            if let Some(deadline) = conn.poll_timeout() {
                *now = (*now).max(deadline);
            }
            tick(conn, *now);
        }
        Op::Answer { nsp } => answer(conn, model, verifier, &model.nsp(nsp)),
        Op::Emit { nsp, name, binary } => {
            let nsp = model.nsp(nsp);
            let name = String::from_utf8_lossy(&name).into_owned();
            let args = if binary {
                Payload::from_data(&[socketio::proto::Data::Binary(Bytes::from(name.clone()))])
            } else {
                Payload::json(vec![RawJson::string(&name)]).unwrap_or_default()
            };
            let result = conn.emit(&nsp, &name, &args);
            let allowed = !socketio::proto::is_reserved_event(&name);
            expect(result.is_ok(), model.is_connected(&nsp) && allowed, "emit", &nsp);
        }
        Op::EmitWithAck { nsp, timeout } => {
            let nsp = model.nsp(nsp);
            let timeout = (timeout > 0).then(|| Duration::from_millis(u64::from(timeout)));
            let result = conn.emit_with_ack(*now, &nsp, "ask", &Payload::empty(), timeout);
            expect(result.is_ok(), model.is_connected(&nsp), "emit_with_ack", &nsp);
            if let Ok(id) = result {
                assert!(model.acks.insert((nsp, id)), "ack id {id} allocated twice");
            }
        }
        Op::Ack { nsp, id } => {
            let nsp = model.nsp(nsp);
            let result = conn.ack(&nsp, u64::from(id), &Payload::empty());
            expect(result.is_ok(), model.is_connected(&nsp), "ack", &nsp);
        }
        Op::SendWithAck { nsp, id, timeout } => {
            let nsp = model.nsp(nsp);
            let id = u64::from(id);
            let timeout = (timeout > 0).then(|| Duration::from_millis(u64::from(timeout)));
            let Ok(key) = Namespace::new(&nsp) else {
                return None;
            };
            let packet = encode_event(&key, Some(id), "broadcast", &Payload::empty());
            let sent = conn.send(&nsp, packet);
            expect(sent.is_ok(), model.is_connected(&nsp), "send", &nsp);
            let expected = conn.expect_ack(*now, &nsp, id, timeout);
            let fresh = !model.acks.contains(&(nsp.clone(), id));
            expect(expected.is_ok(), model.is_connected(&nsp) && fresh, "expect_ack", &nsp);
            if expected.is_ok() {
                model.acks.insert((nsp, id));
            }
        }
        Op::Disconnect { nsp } => {
            let nsp = model.nsp(nsp);
            let result = conn.disconnect(&nsp);
            expect(result.is_ok(), model.is_connected(&nsp), "disconnect", &nsp);
        }
        Op::DisconnectAll => {
            let result = conn.disconnect_all();
            expect(result.is_ok(), !model.closed, "disconnect_all", "*");
        }
        Op::Close { reason } => {
            let reason = REASONS[usize::from(reason) % REASONS.len()];
            let result = conn.close(reason);
            expect(result.is_ok(), !model.closed, "close", "*");
        }
    }
    None
}

impl Model {
    fn is_connected(&self, nsp: &str) -> bool {
        !self.closed && self.connected.contains(nsp)
    }
}

fn expect(ok: bool, should: bool, command: &str, nsp: &str) {
    assert_eq!(ok, should, "{command} on {nsp:?}: succeeded = {ok}, expected {should}");
}

/// The harness's auth policy: public namespaces join, `/admin` needs a verified token.
fn answer(conn: &mut Connection, model: &mut Model, verifier: &Verifier, nsp: &str) {
    let pending = !model.closed && model.connecting.contains(nsp);
    let auth = model
        .auth
        .iter()
        .find(|(n, _)| n == nsp)
        .and_then(|(_, auth)| auth.clone());
    let authorized = nsp != PRIVATE || token_verifies(verifier, auth.as_ref());
    let result = if authorized {
        conn.accept(nsp, "socket-id")
    } else {
        conn.reject(nsp, connect_error("not authorized", None))
    };
    expect(result.is_ok(), pending, "answering CONNECT", nsp);
    if result.is_ok() {
        model.connecting.remove(nsp);
        model.auth.retain(|(n, _)| n != nsp);
        if authorized {
            model.connected.insert(nsp.to_owned());
        }
    }
}

fn token_verifies(verifier: &Verifier, auth: Option<&RawJson>) -> bool {
    let Some(Ok(serde_json::Value::Object(auth))) = auth.map(RawJson::deserialize) else {
        return false;
    };
    match auth.get("token") {
        Some(serde_json::Value::String(token)) => verifier.verify(token, fixtures::NOW).is_ok(),
        _ => false,
    }
}

fn tick(conn: &mut Connection, now: Instant) {
    conn.handle_timeout(now);
    if let Some(next) = conn.poll_timeout() {
        assert!(next > now, "after handle_timeout({now:?}) the next deadline {next:?} is due");
    }
}

fn observe(model: &mut Model, output: Output, transport_reason: Option<DisconnectReason>) {
    assert!(!model.closed, "{output:?} after Close");
    match output {
        Output::Transmit(encoded) => check_transmit(&encoded),
        Output::ConnectRequest { nsp, auth } => {
            let name = nsp.as_str().to_owned();
            assert!(!model.connected.contains(&name), "CONNECT request for joined {name}");
            assert!(model.connecting.insert(name.clone()), "two CONNECT requests for {name}");
            model.learn(&nsp);
            model.auth.push((name, auth));
        }
        Output::Event(event) => {
            let nsp = event.nsp.as_str();
            assert!(model.connected.contains(nsp), "event {:?} for {nsp}, not connected", event.name);
        }
        Output::AckReceived { nsp, id, .. } => {
            let nsp = nsp.as_str().to_owned();
            assert!(model.connected.contains(&nsp), "ACK for {nsp}, not connected");
            assert!(model.acks.remove(&(nsp.clone(), id)), "ACK {id} on {nsp} nobody waits for");
        }
        Output::AckTimedOut { nsp, id } => {
            let nsp = nsp.as_str().to_owned();
            assert!(model.connected.contains(&nsp), "ACK timeout for {nsp}, not connected");
            assert!(model.acks.remove(&(nsp.clone(), id)), "timeout of ACK {id} on {nsp}");
        }
        Output::Disconnected { nsp, reason } => {
            let nsp = nsp.as_str().to_owned();
            assert!(model.connected.remove(&nsp), "Disconnected for {nsp}, not connected");
            model.acks.retain(|(n, _)| *n != nsp);
            if let Some(expected) = transport_reason {
                assert_eq!(reason, expected, "namespace {nsp} left with another reason");
            }
        }
        Output::Close(reason) => {
            assert!(transport_reason.is_none(), "Close after the transport closed");
            assert!(
                model.connected.is_empty(),
                "Close({reason:?}) while {:?} never got Disconnected",
                model.connected
            );
            model.closed = true;
        }
        other => panic!("unknown output {other:?}"),
    }
}

fn check_transmit(encoded: &Encoded) {
    let limits = Limits {
        max_attachments: encoded.attachments().len().max(1),
        max_attachment_bytes: usize::MAX,
        max_depth: MAX_DEPTH_CAP,
    };
    let text = encoded.as_str();
    let mut decoded = decode_text(text, &limits);
    for attachment in encoded.attachments() {
        decoded = match decoded {
            Ok(Decoded::Partial(partial)) => partial.push(attachment.clone()),
            other => panic!("transmitted {text:?}: attachment left over after {other:?}"),
        };
    }
    match decoded {
        Ok(Decoded::Complete(packet)) => {
            assert_eq!(&encode(&packet), encoded, "transmitted packet re-encodes differently")
        }
        other => panic!("transmitted {text:?} does not decode: {other:?}"),
    }
}

fn check(conn: &Connection, model: &Model) {
    assert_eq!(conn.is_closed(), model.closed, "closed state");
    for nsp in &model.namespaces {
        let state = conn.namespace(nsp);
        assert_eq!(
            state.is_some_and(NamespaceState::is_connected),
            model.connected.contains(nsp),
            "connected state of {nsp}"
        );
        assert_eq!(
            matches!(state, Some(NamespaceState::Connecting)),
            model.connecting.contains(nsp) && !model.closed,
            "connecting state of {nsp}"
        );
    }
    if model.closed {
        assert_eq!(conn.poll_timeout(), None, "a closed connection has a deadline");
        assert_eq!(conn.namespaces().count(), 0, "a closed connection has namespaces");
    }
}
