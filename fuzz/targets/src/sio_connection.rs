//! `sio_connection`: a Socket.IO [`Connection`] with its built-in authentication, driven through
//! arbitrary sequences of client messages, application decisions and commands and clock ticks,
//! checked after every step.
//!
//! The namespaces' policies are fixed: `/admin` needs a JWT at the handshake (CONNECT payload or
//! `Authorization` header), `/events` a JWT in an `authenticate` event (refresh allowed), `/app`
//! the application's own check; `/`, `/chat` and any other namespace are public. Tokens are
//! HS256 with [`fixtures::HMAC_SECRET`]; the wall clock starts at [`fixtures::NOW`].
//!
//! Input: a setup (connect timeout, limits, handshake `Authorization`), then [`Op`]s until the
//! bytes run out.
//!
//! Invariants, checked against a model fed only by the outputs and the command results:
//!
//! - an [`Event`](Output::Event), ACK or ACK timeout is only ever delivered for a connected
//!   namespace, and emitting, acknowledging and disconnecting succeed exactly on connected ones;
//! - the namespaces the connection reports as connected are the model's; a namespace joins only
//!   with the identity its policy demands (a verified JWT, the application's claims, or
//!   anonymous), and only after the client asked for it;
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
use socketio::proto::{
    connect_error, decode_text, encode, encode_event, is_reserved_event, AppClaims, AuthMode,
    AuthPolicies, AuthPolicy, Config, Connection, Data, Decoded, DisconnectReason, Encoded,
    HandshakeCredentials, Identity, JwtPolicy, Kept, Limits, Namespace, NamespaceState, Output,
    Payload, RawJson, RecoveryConfig, MAX_DEPTH_CAP,
};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

/// Namespaces every run knows; more are learned from the client's CONNECT packets.
pub const NAMESPACES: [&str; 5] = ["/", "/admin", "/events", "/app", "/chat"];
/// Most namespaces the harness keeps track of.
const MAX_NAMESPACES: usize = 10;
/// How long a JWT in event mode, or the application's check, may take.
const AUTH_TIMEOUT: Duration = Duration::from_millis(500);

/// What a namespace's policy demands of a connection's identity.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Demand {
    Jwt,
    App,
    Nothing,
}

fn demand(nsp: &str) -> Demand {
    match nsp {
        "/admin" | "/events" => Demand::Jwt,
        "/app" => Demand::App,
        _ => Demand::Nothing,
    }
}

fn identity_fits(nsp: &str, identity: &Identity) -> bool {
    match (demand(nsp), identity) {
        (Demand::Jwt, Identity::Jwt(verified)) => verified.algorithm().is_hmac(),
        (Demand::App, Identity::App(_)) => true,
        (Demand::Nothing, Identity::Anonymous) => true,
        _ => false,
    }
}

/// The fixed policies and tokens (built once: signing and key setup are not what is fuzzed).
struct Fixtures {
    policies: Arc<AuthPolicies>,
    /// Valid for an hour.
    token: String,
    /// Expires two seconds after the start.
    short_token: String,
}

fn fixtures() -> &'static Fixtures {
    static FIXTURES: OnceLock<Fixtures> = OnceLock::new();
    FIXTURES.get_or_init(|| {
        let jwt = |mode| {
            AuthPolicy::Jwt(Arc::new(JwtPolicy {
                mode,
                refresh: true,
                timeout: AUTH_TIMEOUT,
                ..JwtPolicy::new(fixtures::hmac_verifier())
            }))
        };
        let policies = AuthPolicies {
            default: AuthPolicy::None,
            namespaces: vec![
                ("/admin".into(), jwt(AuthMode::Handshake)),
                ("/events".into(), jwt(AuthMode::Event)),
                (
                    "/app".into(),
                    AuthPolicy::App {
                        timeout: AUTH_TIMEOUT,
                    },
                ),
            ],
        };
        Fixtures {
            policies: Arc::new(policies),
            token: fixtures::hs256_token("alice", fixtures::NOW + 3600),
            short_token: fixtures::hs256_token("alice", fixtures::NOW + 2),
        }
    })
}

/// The setup of a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Setup {
    /// Connect timeout in ms, minus 1.
    pub connect_timeout: u8,
    /// The limits selector (as in [`crate::sio_packet::limits`]).
    pub limits: u8,
    /// The handshake's `Authorization` header: 0 none, 1 a valid token, 2 garbage, 3 a token
    /// that expires two seconds in (modulo 4).
    pub authorization: u8,
}

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
    /// The application answers a CONNECT.
    Answer {
        /// Which namespace.
        nsp: u8,
        /// 0: `accept`, 1: `accept_with` the application's claims, 2: `reject` (modulo 3).
        how: u8,
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
            5 => Op::Answer {
                nsp: r.u8(),
                how: r.u8(),
            },
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
            Op::Answer { nsp, how } => w.u8(5).u8(*nsp).u8(*how),
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

/// Encodes a program (for seed corpora).
pub fn encode_program(setup: &Setup, ops: &[Op]) -> Vec<u8> {
    let w = Writer::new()
        .u8(setup.connect_timeout)
        .u8(setup.limits)
        .u8(setup.authorization);
    ops.iter().fold(w, |w, op| op.write(w)).finish()
}

/// What the harness knows independently of the connection.
struct Model {
    namespaces: Vec<String>,
    /// CONNECT requests not refused or left since.
    asked: BTreeSet<String>,
    connected: BTreeSet<String>,
    /// ACKs the application waits for: (namespace, id), each with the waiter token given to the
    /// core (it must come back with that ACK, and only with it).
    acks: BTreeMap<(String, u64), u64>,
    /// The next waiter token.
    next_waiter: u64,
    closed: bool,
}

impl Model {
    fn nsp(&self, pick: u8) -> String {
        let i = usize::from(pick) % self.namespaces.len().max(1);
        self.namespaces
            .get(i)
            .cloned()
            .unwrap_or_else(|| "/".into())
    }

    fn learn(&mut self, nsp: &Namespace) {
        let name = nsp.as_str();
        if self.namespaces.len() < MAX_NAMESPACES && !self.namespaces.iter().any(|n| n == name) {
            self.namespaces.push(name.to_owned());
        }
    }

    fn is_connected(&self, nsp: &str) -> bool {
        !self.closed && self.connected.contains(nsp)
    }
}

/// Runs one input.
pub fn run(data: &[u8]) {
    let fixtures = fixtures();
    let mut r = Reader::new(data);
    let config = Config {
        connect_timeout: Duration::from_millis(1 + u64::from(r.u8())),
        limits: crate::sio_packet::limits(r.u8()),
        recovery: None,
        // The model below speaks the text wire; MsgPack connections are not fuzzed here yet.
        parser: socketio::proto::Parser::Json,
    };
    let credentials_byte = r.u8();
    // Connection state recovery on when the byte's top bit is set (its low bits pick the token).
    let config = Config {
        recovery: (credentials_byte & 0x80 != 0).then(RecoveryConfig::default),
        ..config
    };
    let authorization = match credentials_byte % 4 {
        0 => None,
        1 => Some(format!("Bearer {}", fixtures.token)),
        2 => Some("Bearer not.a.token".to_owned()),
        _ => Some(format!("Bearer {}", fixtures.short_token)),
    };
    let credentials = HandshakeCredentials {
        authorization,
        ..HandshakeCredentials::default()
    };
    let mut now = Instant::now();
    let mut conn: Connection<u64> = Connection::with_auth(
        now,
        config,
        fixtures.policies.clone(),
        credentials,
        Duration::from_secs(fixtures::NOW),
    )
    .with_private_id("pid-1");
    let mut model = Model {
        namespaces: NAMESPACES.iter().map(|&n| n.to_owned()).collect(),
        asked: BTreeSet::new(),
        connected: BTreeSet::new(),
        acks: BTreeMap::new(),
        next_waiter: 0,
        closed: false,
    };
    while !r.is_empty() {
        let op = Op::read(&mut r);
        let was_closed = model.closed;
        let transport_reason = step(&mut conn, &mut model, &mut now, op);
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
    conn: &mut Connection<u64>,
    model: &mut Model,
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
        Op::Answer { nsp, how } => {
            let nsp = model.nsp(nsp);
            let asked = !model.closed && model.asked.contains(&nsp);
            if let Some(NamespaceState::Resuming(_)) = conn.namespace(&nsp) {
                // The session found, when the namespace's policy lets one be made here.
                let identity = match demand(&nsp) {
                    Demand::Nothing => Some(Identity::Anonymous),
                    Demand::App => Some(Identity::App(Arc::new(AppClaims {
                        claims: serde_json::Map::new(),
                        expires_at: Some(fixtures::NOW + 1),
                    }))),
                    Demand::Jwt => None,
                };
                let kept = identity.filter(|_| how % 2 == 0).map(|identity| Kept {
                    nsp: Namespace::new(&nsp).unwrap_or_else(|_| Namespace::main()),
                    sid: "kept-socket-id".into(),
                    pid: "pid-0".into(),
                    identity,
                    expires_at: Some(*now + Duration::from_millis(u64::from(how) * 10)),
                });
                let result = conn.resume(*now, &nsp, kept);
                assert!(result.is_ok() && asked, "resume of {nsp:?}: {result:?}");
                return None;
            }
            let result = match how % 3 {
                0 => conn.accept(&nsp, "socket-id"),
                1 => {
                    let claims = AppClaims {
                        claims: serde_json::Map::new(),
                        expires_at: Some(fixtures::NOW + 1),
                    };
                    conn.accept_with(&nsp, "socket-id", claims)
                }
                _ => {
                    let result = conn.reject(&nsp, connect_error("not allowed", None));
                    if result.is_ok() {
                        model.asked.remove(&nsp);
                    }
                    result
                }
            };
            assert!(
                result.is_err() || asked,
                "answered a CONNECT for {nsp:?} that nobody asked for"
            );
        }
        Op::Emit { nsp, name, binary } => {
            let nsp = model.nsp(nsp);
            let name = String::from_utf8_lossy(&name).into_owned();
            let args = if binary {
                Payload::from_data(&[Data::Binary(Bytes::from(name.clone()))])
            } else {
                Payload::json(vec![RawJson::string(&name)]).unwrap_or_default()
            };
            let result = conn.emit(&nsp, &name, &args);
            let allowed = !is_reserved_event(&name);
            expect(
                result.is_ok(),
                model.is_connected(&nsp) && allowed,
                "emit",
                &nsp,
            );
        }
        Op::EmitWithAck { nsp, timeout } => {
            let nsp = model.nsp(nsp);
            let timeout = (timeout > 0).then(|| Duration::from_millis(u64::from(timeout)));
            let waiter = model.next_waiter;
            model.next_waiter += 1;
            let result = conn.emit_with_ack(*now, &nsp, "ask", &Payload::empty(), timeout, waiter);
            expect(
                result.is_ok(),
                model.is_connected(&nsp),
                "emit_with_ack",
                &nsp,
            );
            match result {
                Ok(id) => assert!(
                    model.acks.insert((nsp, id), waiter).is_none(),
                    "ack id {id} allocated twice"
                ),
                Err((_, back)) => assert_eq!(back, waiter, "a refused emit gives its waiter back"),
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
            let waiter = model.next_waiter;
            model.next_waiter += 1;
            let expected = conn.expect_ack(*now, &nsp, id, timeout, waiter);
            let fresh = !model.acks.contains_key(&(nsp.clone(), id));
            expect(
                expected.is_ok(),
                model.is_connected(&nsp) && fresh,
                "expect_ack",
                &nsp,
            );
            match expected {
                Ok(()) => {
                    model.acks.insert((nsp, id), waiter);
                }
                Err((_, back)) => assert_eq!(back, waiter, "a refused wait gives its waiter back"),
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

fn expect(ok: bool, should: bool, command: &str, nsp: &str) {
    assert_eq!(
        ok, should,
        "{command} on {nsp:?}: succeeded = {ok}, expected {should}"
    );
}

fn tick(conn: &mut Connection<u64>, now: Instant) {
    conn.handle_timeout(now);
    if let Some(next) = conn.poll_timeout() {
        assert!(
            next > now,
            "after handle_timeout({now:?}) the next deadline {next:?} is due"
        );
    }
}

fn observe(model: &mut Model, output: Output<u64>, transport_reason: Option<DisconnectReason>) {
    assert!(!model.closed, "{output:?} after Close");
    match output {
        Output::Transmit(encoded) => check_transmit(&encoded),
        Output::ConnectRequest { nsp, .. } => {
            let name = nsp.as_str().to_owned();
            assert!(
                !model.connected.contains(&name),
                "CONNECT request for joined {name}"
            );
            model.learn(&nsp);
            model.asked.insert(name);
        }
        Output::ResumeRequest { nsp, .. } => {
            let name = nsp.as_str().to_owned();
            assert!(
                !model.connected.contains(&name),
                "resume request for joined {name}"
            );
            model.learn(&nsp);
            model.asked.insert(name);
        }
        Output::SessionKept(kept) => {
            let name = kept.nsp.as_str();
            assert!(model.connected.contains(name), "{name} kept, not connected");
            assert!(
                transport_reason.is_none_or(DisconnectReason::is_recoverable),
                "{name} kept after {transport_reason:?}"
            );
            assert!(identity_fits(name, &kept.identity), "{name} kept {kept:?}");
        }
        Output::Connected { nsp, identity, .. } => {
            let name = nsp.as_str().to_owned();
            assert!(
                model.asked.contains(&name),
                "{name} joined without a CONNECT"
            );
            assert!(model.connected.insert(name.clone()), "{name} joined twice");
            assert!(
                identity_fits(&name, &identity),
                "{name} joined with {identity:?}, its policy demands {:?}",
                demand(&name)
            );
        }
        Output::Reauthenticated { nsp, identity } => {
            let name = nsp.as_str();
            assert!(
                model.connected.contains(name),
                "{name} re-authenticated, not joined"
            );
            assert!(
                identity_fits(name, &identity),
                "{name} refreshed with {identity:?}"
            );
        }
        Output::AuthFailed { nsp, .. } => {
            // A joined namespace whose token expired also gets a Disconnected (checked below).
            model.asked.remove(nsp.as_str());
        }
        Output::Event(event) => {
            let nsp = event.nsp.as_str();
            assert!(
                model.connected.contains(nsp),
                "event {:?} for {nsp}, not connected",
                event.name
            );
        }
        Output::AckReceived {
            nsp, id, waiter, ..
        } => {
            let nsp = nsp.as_str().to_owned();
            assert!(
                model.connected.contains(&nsp),
                "ACK for {nsp}, not connected"
            );
            assert_eq!(
                model.acks.remove(&(nsp.clone(), id)),
                Some(waiter),
                "ACK {id} on {nsp}: nobody waits for it, or another waiter came back"
            );
        }
        Output::AckTimedOut { nsp, id, waiter } => {
            let nsp = nsp.as_str().to_owned();
            assert!(
                model.connected.contains(&nsp),
                "ACK timeout for {nsp}, not connected"
            );
            assert_eq!(
                model.acks.remove(&(nsp.clone(), id)),
                Some(waiter),
                "timeout of ACK {id} on {nsp}: not waited for, or another waiter came back"
            );
        }
        Output::Disconnected { nsp, reason } => {
            let nsp = nsp.as_str().to_owned();
            assert!(
                model.connected.remove(&nsp),
                "Disconnected for {nsp}, not connected"
            );
            model.asked.remove(&nsp);
            model.acks.retain(|(n, _), _| *n != nsp);
            if let Some(expected) = transport_reason {
                assert_eq!(reason, expected, "namespace {nsp} left with another reason");
            }
        }
        Output::Close(reason) => {
            assert!(
                transport_reason.is_none(),
                "Close after the transport closed"
            );
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
        Ok(Decoded::Complete(packet)) => assert_eq!(
            &encode(&packet),
            encoded,
            "transmitted packet re-encodes differently"
        ),
        other => panic!("transmitted {text:?} does not decode: {other:?}"),
    }
}

fn check(conn: &Connection<u64>, model: &Model) {
    assert_eq!(conn.is_closed(), model.closed, "closed state");
    for nsp in &model.namespaces {
        let connected = conn.namespace(nsp).is_some_and(|s| s.is_connected());
        assert_eq!(
            connected,
            model.connected.contains(nsp),
            "connected state of {nsp}"
        );
        if let Some(identity) = conn.identity(nsp) {
            assert!(identity_fits(nsp, identity), "{nsp} holds {identity:?}");
        }
    }
    if model.closed {
        assert_eq!(
            conn.poll_timeout(),
            None,
            "a closed connection has a deadline"
        );
        assert_eq!(
            conn.namespaces().count(),
            0,
            "a closed connection has namespaces"
        );
    }
}
