//! Connection state recovery in the core, on a virtual clock: the private session id in the
//! CONNECT reply, which disconnects keep a session, the restore with its stored packets
//! (through a `RecoveryStore`, as the runtime does), and the authentication rules of a restore:
//! an expired deadline, a refused token, a refreshed one, another subject, the event mode.
#![allow(clippy::unwrap_used, missing_docs)]
// `Instant` has no constructor but the clock: one reading is the origin the test advances by hand.
#![allow(clippy::disallowed_methods)]

use jwt_auth::{Algorithm, Claims, Header, Key, SigningKey, SystemRandom, Validation, Verifier};
use socketio::proto::{
    encode_emit_with_offset, AppClaims, Audience, AuthMode, AuthPolicies, AuthPolicy, Config,
    Connection, DisconnectReason, HandshakeCredentials, Input, JwtPolicy, Kept, KeptSession,
    Namespace, NamespaceState, Output, Payload, RawJson, RecoveryConfig, RecoveryStore,
    TokenSource,
};
use std::sync::Arc;
use std::time::{Duration, Instant};

const SECRET: &[u8] = b"a shared secret of at least 32 bytes!";
const T0: u64 = 1_800_000_000;
const WINDOW: Duration = Duration::from_secs(120);

fn token(sub: &str, exp: u64) -> String {
    let claims = Claims::new().with("sub", sub).with("exp", exp);
    let key = SigningKey::hmac(SECRET).unwrap();
    jwt_auth::sign(
        &Header::new(Algorithm::HS256),
        &claims,
        &key,
        &SystemRandom::new(),
    )
    .unwrap()
}

fn jwt(mode: AuthMode) -> AuthPolicies {
    let verifier = Verifier::new(Key::hmac(SECRET).unwrap(), Validation::new().leeway(0));
    AuthPolicies {
        default: AuthPolicy::Jwt(Arc::new(JwtPolicy {
            verifier,
            sources: vec![TokenSource::AuthPayload],
            mode,
            refresh: false,
            timeout: Duration::from_secs(5),
        })),
        namespaces: Vec::new(),
    }
}

fn recovery(skip_middlewares: bool) -> Config {
    Config {
        recovery: Some(RecoveryConfig {
            max_disconnection_duration: WINDOW,
            skip_middlewares,
            max_buffered_bytes: 1 << 20,
        }),
        ..Config::default()
    }
}

/// One connection on a virtual clock, `s` seconds after `t0`.
struct H {
    t0: Instant,
    c: Connection,
}

impl H {
    fn new(t0: Instant, config: Config, policies: AuthPolicies, pid: &str) -> Self {
        let creds = HandshakeCredentials::default();
        let c = Connection::with_auth(
            t0,
            config,
            Arc::new(policies),
            creds,
            Duration::from_secs(T0),
        )
        .with_private_id(pid);
        Self { t0, c }
    }
    fn at(&self, s: u64) -> Instant {
        self.t0 + Duration::from_secs(s)
    }
    fn text(&mut self, s: u64, text: &str) -> Vec<Output> {
        self.c.handle_text(self.at(s), text);
        self.drain()
    }
    fn drain(&mut self) -> Vec<Output> {
        std::iter::from_fn(|| self.c.poll_output()).collect()
    }
    /// CONNECT to `/` and accept it as `sid`.
    fn join(&mut self, s: u64, auth: &str, sid: &str) -> Vec<Output> {
        let out = self.text(s, &format!("0{auth}"));
        assert!(
            matches!(
                out[..],
                [Output::ConnectRequest {
                    recovered: false,
                    ..
                }]
            ),
            "{out:?}"
        );
        self.c.accept("/", sid).unwrap();
        self.drain()
    }
}

fn transmitted(out: &[Output]) -> Vec<String> {
    out.iter()
        .filter_map(|o| match o {
            Output::Transmit(p) => Some(p.as_str().to_owned()),
            _ => None,
        })
        .collect()
}

fn kept_of(out: &[Output]) -> Kept {
    out.iter()
        .find_map(|o| match o {
            Output::SessionKept(k) => Some(k.clone()),
            _ => None,
        })
        .expect("a kept session")
}

/// The runtime's part: record an event for everyone, with its offset.
fn record(store: &mut RecoveryStore<()>, now: Instant, msg: &str) -> String {
    let args = Payload::json(vec![RawJson::string(msg)]).unwrap();
    let packet = store
        .record(now, Audience::default(), |offset| {
            encode_emit_with_offset(&Namespace::main(), "m", &args, offset)
        })
        .unwrap();
    packet.as_str().to_owned()
}

fn keep(store: &mut RecoveryStore<()>, now: Instant, kept: Kept) {
    let rooms = vec![Arc::from(&*kept.sid)];
    let session = KeptSession {
        kept,
        rooms,
        data: (),
        since: 0,
    };
    store.keep(now, session);
}

#[test]
fn connect_reply_carries_the_pid_and_a_transport_drop_keeps_the_session() {
    let t0 = Instant::now();
    let mut h = H::new(t0, recovery(true), AuthPolicies::default(), "p1");
    let out = h.join(0, "", "s1");
    assert_eq!(transmitted(&out), [r#"0{"sid":"s1","pid":"p1"}"#]);
    h.c.handle(
        h.at(1),
        Input::TransportClosed(DisconnectReason::PingTimeout),
    );
    let out = h.drain();
    let kept = kept_of(&out);
    assert_eq!(
        (&*kept.sid, &*kept.pid, kept.nsp.as_str()),
        ("s1", "p1", "/")
    );
    assert!(matches!(
        out.last(),
        Some(Output::Disconnected {
            reason: DisconnectReason::PingTimeout,
            ..
        })
    ));
}

#[test]
fn namespace_disconnects_and_parse_errors_keep_nothing() {
    let t0 = Instant::now();
    let kept = |out: &[Output]| out.iter().any(|o| matches!(o, Output::SessionKept(_)));
    // The client leaves.
    let mut h = H::new(t0, recovery(true), AuthPolicies::default(), "p1");
    h.join(0, "", "s1");
    assert!(!kept(&h.text(1, "1")));
    // The server disconnects it.
    let mut h = H::new(t0, recovery(true), AuthPolicies::default(), "p1");
    h.join(0, "", "s1");
    h.c.disconnect_all().unwrap();
    assert!(!kept(&h.drain()));
    // The engine saw garbage.
    let mut h = H::new(t0, recovery(true), AuthPolicies::default(), "p1");
    h.join(0, "", "s1");
    h.c.handle_transport_closed(DisconnectReason::ParseError);
    assert!(!kept(&h.drain()));
    // Recovery off: no pid, nothing kept, a pid in the CONNECT is just auth data.
    let mut h = H::new(t0, Config::default(), AuthPolicies::default(), "p1");
    let out = h.join(0, r#"{"pid":"p1","offset":"1"}"#, "s1");
    assert_eq!(transmitted(&out), [r#"0{"sid":"s1"}"#]);
    h.c.handle_transport_closed(DisconnectReason::TransportClose);
    assert!(!kept(&h.drain()));
}

#[test]
fn restore_replays_the_missed_packets_after_the_reply_and_before_anything_new() {
    let t0 = Instant::now();
    let mut store = RecoveryStore::new(recovery(true).recovery.unwrap());
    let mut a = H::new(t0, recovery(true), AuthPolicies::default(), "p1");
    a.join(0, "", "s1");
    assert_eq!(record(&mut store, a.at(1), "got"), r#"2["m","got","1"]"#);
    a.c.handle_transport_closed(DisconnectReason::TransportClose);
    keep(&mut store, a.at(2), kept_of(&a.drain()));
    record(&mut store, a.at(3), "missed-1");
    record(&mut store, a.at(4), "missed-2");

    let mut b = H::new(t0, recovery(true), AuthPolicies::default(), "p2");
    let out = b.text(5, r#"0{"pid":"p1","offset":"1","x":true}"#);
    let [Output::ResumeRequest {
        nsp,
        pid,
        offset,
        auth,
    }] = &out[..]
    else {
        panic!("{out:?}")
    };
    assert_eq!(
        (nsp.as_str(), pid.as_str(), offset.as_str()),
        ("/", "p1", "1")
    );
    assert_eq!(
        auth.as_ref().unwrap().as_str(),
        r#"{"pid":"p1","offset":"1","x":true}"#
    );
    // Nothing flows while the session is looked up.
    assert!(matches!(
        b.c.namespace("/"),
        Some(NamespaceState::Resuming(_))
    ));
    let restored = store.restore(b.at(5), pid, offset).unwrap();
    b.c.resume(b.at(5), "/", Some(restored.session.kept))
        .unwrap();
    let out = b.drain();
    assert_eq!(transmitted(&out), [r#"0{"sid":"s1","pid":"p1"}"#]);
    assert!(matches!(&out[1], Output::Connected { sid, recovered: true, .. } if sid == "s1"));
    for packet in restored.missed {
        b.c.send("/", packet).unwrap();
    }
    b.c.emit("/", "new", &Payload::empty()).unwrap();
    assert_eq!(
        transmitted(&b.drain()),
        [
            r#"2["m","missed-1","2"]"#,
            r#"2["m","missed-2","3"]"#,
            r#"2["new"]"#
        ]
    );
    // Dropped again, it is kept under the same pid.
    b.c.handle_transport_closed(DisconnectReason::TransportError);
    let again = kept_of(&b.drain());
    assert_eq!((&*again.sid, &*again.pid), ("s1", "p1"));
}

#[test]
fn no_session_is_a_fresh_connection_with_the_new_pid() {
    // After the window, an unknown pid, an offset no longer stored: the store answers None.
    let t0 = Instant::now();
    let mut store: RecoveryStore<()> = RecoveryStore::new(recovery(true).recovery.unwrap());
    let mut a = H::new(t0, recovery(true), AuthPolicies::default(), "p1");
    a.join(0, "", "s1");
    a.c.handle_transport_closed(DisconnectReason::TransportClose);
    keep(&mut store, a.at(0), kept_of(&a.drain()));
    let late = t0 + WINDOW;
    assert!(store.restore(late, "p1", "0").is_none());

    let mut b = H::new(t0, recovery(true), AuthPolicies::default(), "p2");
    b.text(130, r#"0{"pid":"p1","offset":"0"}"#);
    b.c.resume(b.at(130), "/", None).unwrap();
    let out = b.drain();
    assert!(
        matches!(
            out[..],
            [Output::ConnectRequest {
                recovered: false,
                ..
            }]
        ),
        "{out:?}"
    );
    b.c.accept("/", "s2").unwrap();
    assert_eq!(transmitted(&b.drain()), [r#"0{"sid":"s2","pid":"p2"}"#]);
}

#[test]
fn resume_fields_of_the_wrong_type_restore_nothing_and_misuse_is_refused() {
    let t0 = Instant::now();
    for auth in [
        r#"{"pid":"p1"}"#,
        r#"{"offset":"1"}"#,
        r#"{"pid":1,"offset":"1"}"#,
        r#"{"pid":"p1","offset":1}"#,
        r#"{"pid":"p1","pid":"p2","offset":"1"}"#,
        r#"{"pid":null,"offset":null}"#,
    ] {
        let mut h = H::new(t0, recovery(true), AuthPolicies::default(), "p9");
        let out = h.text(0, &format!("0{auth}"));
        assert!(
            matches!(out[..], [Output::ConnectRequest { .. }]),
            "{auth}: {out:?}"
        );
    }
    let mut h = H::new(t0, recovery(true), AuthPolicies::default(), "p9");
    assert!(h.c.resume(h.at(0), "/", None).is_err());
    // An event on a namespace being resumed is a protocol violation, as on one authenticating.
    h.text(0, r#"0{"pid":"p1","offset":"1"}"#);
    let out = h.text(0, r#"2["x"]"#);
    assert!(matches!(out.last(), Some(Output::Close(_))), "{out:?}");
}

/// A JWT connection kept at second 1 with a token expiring at `exp` (seconds after T0).
fn kept_jwt(t0: Instant, mode: AuthMode, exp: u64) -> Kept {
    let mut a = H::new(t0, recovery(true), jwt(mode), "p1");
    let t = token("u1", T0 + exp);
    match mode {
        AuthMode::Handshake => {
            a.join(0, &format!(r#"{{"token":"{t}"}}"#), "s1");
        }
        _ => {
            a.join(0, "", "s1");
            a.text(0, &format!(r#"2["authenticate",{{"token":"{t}"}}]"#));
        }
    }
    assert!(a.c.namespace("/").unwrap().is_connected());
    a.c.handle_transport_closed(DisconnectReason::TransportClose);
    kept_of(&a.drain())
}

fn resume_with(h: &mut H, s: u64, auth: &str, kept: Kept) -> Vec<Output> {
    h.text(s, &format!("0{auth}"));
    h.c.resume(h.at(s), "/", Some(kept)).unwrap();
    h.drain()
}

#[test]
fn a_deadline_passed_while_away_is_not_restored_and_the_old_token_is_refused() {
    let t0 = Instant::now();
    let kept = kept_jwt(t0, AuthMode::Handshake, 10);
    let mut b = H::new(t0, recovery(true), jwt(AuthMode::Handshake), "p2");
    let old = token("u1", T0 + 10);
    let out = resume_with(
        &mut b,
        11,
        &format!(r#"{{"token":"{old}","pid":"p1","offset":"0"}}"#),
        kept.clone(),
    );
    assert_eq!(transmitted(&out).len(), 1);
    assert!(
        transmitted(&out)[0].starts_with(r#"4{"message":"jwt expired""#),
        "{out:?}"
    );
    assert!(b.c.namespace("/").is_none());
    // No token at all: refused as any CONNECT without one.
    let mut b = H::new(t0, recovery(true), jwt(AuthMode::Handshake), "p2");
    let out = resume_with(&mut b, 11, r#"{"pid":"p1","offset":"0"}"#, kept.clone());
    assert!(
        transmitted(&out)[0].contains("credentials_required"),
        "{out:?}"
    );
    // A fresh token: not a restore either, a fresh connection.
    let mut b = H::new(t0, recovery(true), jwt(AuthMode::Handshake), "p2");
    let fresh = token("u1", T0 + 100);
    let out = resume_with(
        &mut b,
        11,
        &format!(r#"{{"token":"{fresh}","pid":"p1","offset":"0"}}"#),
        kept,
    );
    assert!(
        matches!(
            out[..],
            [Output::ConnectRequest {
                recovered: false,
                identity: Some(_),
                ..
            }]
        ),
        "{out:?}"
    );
}

#[test]
fn within_the_deadline_the_kept_identity_keeps_its_deadline() {
    let t0 = Instant::now();
    let kept = kept_jwt(t0, AuthMode::Handshake, 10);
    let mut b = H::new(t0, recovery(true), jwt(AuthMode::Handshake), "p2");
    // The client sends no token: its kept, verified identity goes on until its `exp`.
    let out = resume_with(&mut b, 5, r#"{"pid":"p1","offset":"0"}"#, kept);
    assert!(
        matches!(&out[1], Output::Connected { recovered: true, identity, .. } if identity.subject() == Some("u1"))
    );
    b.c.handle_timeout(b.at(10));
    let out = b.drain();
    assert!(
        out.iter().any(|o| matches!(
            o,
            Output::Disconnected {
                reason: DisconnectReason::TokenExpired,
                ..
            }
        )),
        "{out:?}"
    );
}

#[test]
fn a_fresh_token_of_the_same_subject_refreshes_the_deadline() {
    let t0 = Instant::now();
    let kept = kept_jwt(t0, AuthMode::Handshake, 10);
    let mut b = H::new(t0, recovery(true), jwt(AuthMode::Handshake), "p2");
    let fresh = token("u1", T0 + 100);
    let out = resume_with(
        &mut b,
        5,
        &format!(r#"{{"token":"{fresh}","pid":"p1","offset":"0"}}"#),
        kept,
    );
    assert!(matches!(&out[1], Output::Connected { recovered: true, sid, .. } if sid == "s1"));
    b.c.handle_timeout(b.at(50));
    assert!(b.drain().is_empty());
    assert!(b.c.namespace("/").unwrap().is_connected());
    b.c.handle_timeout(b.at(100));
    assert!(b.drain().iter().any(|o| matches!(
        o,
        Output::Disconnected {
            reason: DisconnectReason::TokenExpired,
            ..
        }
    )));
}

#[test]
fn a_bad_token_is_refused_and_another_subject_is_a_fresh_connection() {
    let t0 = Instant::now();
    let kept = kept_jwt(t0, AuthMode::Handshake, 100);
    // A forged token is verified, and refused, even though the session is there.
    let mut b = H::new(t0, recovery(true), jwt(AuthMode::Handshake), "p2");
    let forged = format!("{}x", token("u1", T0 + 100));
    let out = resume_with(
        &mut b,
        5,
        &format!(r#"{{"token":"{forged}","pid":"p1","offset":"0"}}"#),
        kept.clone(),
    );
    assert!(
        transmitted(&out)[0].starts_with(r#"4{"message":"invalid signature""#),
        "{out:?}"
    );
    assert!(out.iter().any(|o| matches!(o, Output::AuthFailed { .. })));
    // Another subject's valid token does not take the session over.
    let mut b = H::new(t0, recovery(true), jwt(AuthMode::Handshake), "p2");
    let other = token("u2", T0 + 100);
    let out = resume_with(
        &mut b,
        5,
        &format!(r#"{{"token":"{other}","pid":"p1","offset":"0"}}"#),
        kept,
    );
    let [Output::ConnectRequest {
        recovered: false,
        identity: Some(identity),
        ..
    }] = &out[..]
    else {
        panic!("{out:?}")
    };
    assert_eq!(identity.subject(), Some("u2"));
}

#[test]
fn event_mode_restores_an_authenticated_socket_without_a_new_authenticate() {
    let t0 = Instant::now();
    let kept = kept_jwt(t0, AuthMode::Event, 100);
    let mut b = H::new(t0, recovery(true), jwt(AuthMode::Event), "p2");
    let out = resume_with(&mut b, 5, r#"{"pid":"p1","offset":"0"}"#, kept);
    assert_eq!(transmitted(&out), [r#"0{"sid":"s1","pid":"p1"}"#]);
    assert!(
        matches!(&out[1], Output::Connected { recovered: true, identity, .. } if identity.subject() == Some("u1"))
    );
    // A socket still waiting for its token when it dropped is not kept: nothing to restore.
    let mut a = H::new(t0, recovery(true), jwt(AuthMode::Event), "p1");
    a.join(0, "", "s1");
    a.c.handle_transport_closed(DisconnectReason::TransportClose);
    assert!(!a
        .drain()
        .iter()
        .any(|o| matches!(o, Output::SessionKept(_))));
}

/// socket.io-client takes the last string of every event for the offset it recovers from, the
/// event's name when it has no argument: with recovery on, `authenticated` carries the token's
/// `exp`, so a refresh does not spoil the next recovery. Without recovery it stays bare, as
/// socketio-jwt sends it.
#[test]
fn with_recovery_authenticated_carries_the_exp_and_is_never_taken_for_an_offset() {
    let t0 = Instant::now();
    let first = token("u1", T0 + 10);
    let authenticated = |exp: u64| vec![format!(r#"2["authenticated",{{"exp":{exp}}}]"#)];
    // Event mode: the first token.
    let mut a = H::new(t0, recovery(true), jwt(AuthMode::Event), "p1");
    a.join(0, "", "s1");
    let out = a.text(1, &format!(r#"2["authenticate",{{"token":"{first}"}}]"#));
    assert_eq!(transmitted(&out), authenticated(T0 + 10));
    // A refresh in handshake mode: the new token's exp, which the kept session keeps.
    let mut policies = jwt(AuthMode::Handshake);
    if let AuthPolicy::Jwt(policy) = &mut policies.default {
        Arc::get_mut(policy).unwrap().refresh = true;
    }
    let mut b = H::new(t0, recovery(true), policies, "p1");
    b.join(0, &format!(r#"{{"token":"{first}"}}"#), "s1");
    let fresh = token("u1", T0 + 100);
    let out = b.text(5, &format!(r#"2["authenticate",{{"token":"{fresh}"}}]"#));
    assert_eq!(transmitted(&out), authenticated(T0 + 100));
    b.c.handle_transport_closed(DisconnectReason::TransportClose);
    let kept = kept_of(&b.drain());
    assert_eq!(kept.expires_at, Some(b.at(100)));
    // Recovery off: no pid, the bare event.
    let mut c = H::new(t0, Config::default(), jwt(AuthMode::Event), "p1");
    c.join(0, "", "s1");
    let out = c.text(1, &format!(r#"2["authenticate",{{"token":"{first}"}}]"#));
    assert_eq!(transmitted(&out), [r#"2["authenticated"]"#]);
}

#[test]
fn with_middlewares_the_checks_run_then_the_socket_gets_its_id_back() {
    let t0 = Instant::now();
    let mut a = H::new(t0, recovery(false), AuthPolicies::default(), "p1");
    a.join(0, "", "s1");
    a.c.handle_transport_closed(DisconnectReason::TransportClose);
    let kept = kept_of(&a.drain());
    let mut b = H::new(t0, recovery(false), AuthPolicies::default(), "p2");
    let out = resume_with(&mut b, 1, r#"{"pid":"p1","offset":"0"}"#, kept);
    assert!(
        matches!(
            out[..],
            [Output::ConnectRequest {
                recovered: true,
                identity: Some(_),
                ..
            }]
        ),
        "{out:?}"
    );
    b.c.accept("/", "ignored").unwrap();
    let out = b.drain();
    assert_eq!(transmitted(&out), [r#"0{"sid":"s1","pid":"p1"}"#]);
    assert!(matches!(&out[1], Output::Connected { recovered: true, sid, .. } if sid == "s1"));
}

fn app_policy() -> AuthPolicies {
    AuthPolicies {
        default: AuthPolicy::App {
            timeout: Duration::from_secs(5),
        },
        namespaces: Vec::new(),
    }
}

fn app_claims(sub: &str) -> AppClaims {
    let mut claims = serde_json::Map::new();
    claims.insert("sub".into(), sub.into());
    AppClaims {
        claims,
        expires_at: None,
    }
}

#[test]
fn with_middlewares_the_application_check_must_find_the_same_subject() {
    let t0 = Instant::now();
    for (sub, restored) in [("ann", true), ("bob", false)] {
        let mut a = H::new(t0, recovery(false), app_policy(), "p1");
        a.text(0, "0");
        a.c.accept_with("/", "s1", app_claims("ann")).unwrap();
        a.drain();
        a.c.handle_transport_closed(DisconnectReason::TransportClose);
        let kept = kept_of(&a.drain());
        let mut b = H::new(t0, recovery(false), app_policy(), "p2");
        let out = resume_with(&mut b, 1, r#"{"pid":"p1","offset":"0"}"#, kept);
        assert!(
            matches!(
                out[..],
                [Output::ConnectRequest {
                    recovered: true,
                    ..
                }]
            ),
            "{out:?}"
        );
        b.c.accept_with("/", "s2", app_claims(sub)).unwrap();
        let out = b.drain();
        let want = if restored {
            r#"0{"sid":"s1","pid":"p1"}"#
        } else {
            r#"0{"sid":"s2","pid":"p2"}"#
        };
        assert_eq!(transmitted(&out), [want], "{sub}");
        assert!(
            matches!(&out[1], Output::Connected { recovered, .. } if *recovered == restored),
            "{sub}: {out:?}"
        );
    }
}
