//! Socket.IO protocol revision 4 (socket.io-client 2.x over Engine.IO v3) on a virtual clock: the
//! implicit join of `/`, the namespace query as auth payload, CONNECT replies without payload,
//! socket ids made of the Engine.IO sid, and refusals as ERROR packets with a string or an object.
#![allow(clippy::unwrap_used, missing_docs)]
// `Instant` has no constructor but the clock: one reading is the origin the test advances by hand.
#![allow(clippy::disallowed_methods)]

use jwt_auth::{Algorithm, Claims, Header, Key, SigningKey, SystemRandom, Validation, Verifier};
use socketio::proto::{
    connect_error, AuthMode, AuthPolicies, AuthPolicy, Config, Connection, HandshakeCredentials,
    Identity, JwtPolicy, Output, Protocol, RawJson, TokenSource,
};
use std::sync::Arc;
use std::time::{Duration, Instant};

const SECRET: &[u8] = b"a shared secret of at least 32 bytes!";
const T0: u64 = 1_800_000_000;

fn token(sub: &str) -> String {
    let claims = Claims::new()
        .with("sub", sub)
        .with("exp", T0 + 60)
        .with("iss", "tests");
    jwt_auth::sign(
        &Header::new(Algorithm::HS256),
        &claims,
        &SigningKey::hmac(SECRET).unwrap(),
        &SystemRandom::new(),
    )
    .unwrap()
}

fn jwt(mode: AuthMode, sources: &[TokenSource]) -> AuthPolicies {
    let verifier = Verifier::new(
        Key::hmac(SECRET).unwrap(),
        Validation::new().issuer("tests"),
    );
    AuthPolicies {
        default: AuthPolicy::Jwt(Arc::new(JwtPolicy {
            verifier,
            sources: sources.to_vec(),
            mode,
            refresh: false,
            timeout: Duration::from_secs(5),
        })),
        namespaces: vec![],
    }
}

struct H {
    t0: Instant,
    c: Connection,
}

impl H {
    fn new(policies: AuthPolicies, query: &str) -> Self {
        let t0 = Instant::now();
        let credentials = HandshakeCredentials::from_request(|_| None, query, "token");
        let c = Connection::with_auth(
            t0,
            Config::default(),
            Arc::new(policies),
            credentials,
            Duration::from_secs(T0),
        )
        .with_protocol(Protocol::V4 {
            engine_sid: "ENGINE".into(),
        });
        Self { t0, c }
    }
    fn at(&self, ms: u64) -> Instant {
        self.t0 + Duration::from_millis(ms)
    }
    fn text(&mut self, ms: u64, text: &str) -> Vec<Output> {
        let now = self.at(ms);
        self.c.handle_text(now, text);
        self.drain()
    }
    fn tick(&mut self, ms: u64) -> Vec<Output> {
        let now = self.at(ms);
        self.c.handle_timeout(now);
        self.drain()
    }
    fn drain(&mut self) -> Vec<Output> {
        std::iter::from_fn(|| self.c.poll_output()).collect()
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

fn connect_request(out: &[Output]) -> (String, Option<String>) {
    out.iter()
        .find_map(|o| match o {
            Output::ConnectRequest { nsp, auth, .. } => Some((
                nsp.as_str().to_owned(),
                auth.as_ref().map(|a| a.as_str().to_owned()),
            )),
            _ => None,
        })
        .expect("a ConnectRequest")
}

#[test]
fn root_is_joined_at_the_open_without_a_connect() {
    let mut h = H::new(AuthPolicies::default(), "EIO=3");
    // Due at once: a runtime that only drains after a timeout still sends it first.
    assert_eq!(h.c.poll_timeout(), Some(h.at(0)));
    let out = h.tick(0);
    assert_eq!(connect_request(&out), ("/".to_owned(), None));
    h.c.accept("/", "random-id").unwrap();
    let out = h.drain();
    assert_eq!(transmitted(&out), vec!["0"], "a CONNECT without payload");
    assert!(matches!(
        &out[1],
        Output::Connected { sid, identity: Identity::Anonymous, .. } if sid == "ENGINE"
    ));
    // Events and acks as in revision 5.
    let out = h.text(10, r#"21["chat","hi"]"#);
    assert!(matches!(&out[0], Output::Event(e) if e.name == "chat" && e.ack_id == Some(1)));
    // No connect timeout any more; nothing else is due.
    assert_eq!(h.c.poll_timeout(), None);
}

#[test]
fn input_before_the_timeout_runs_the_implicit_connect_first() {
    let mut h = H::new(AuthPolicies::default(), "EIO=3");
    let out = h.text(0, "0/admin?x=1,");
    assert_eq!(connect_request(&out), ("/".to_owned(), None));
    assert_eq!(
        connect_request(&out[1..]),
        ("/admin".to_owned(), Some(r#"{"x":"1"}"#.to_owned()))
    );
    assert_eq!(h.tick(0), vec![], "the implicit connect runs once");
}

#[test]
fn namespace_query_is_its_auth_payload_and_the_socket_id_has_the_engine_sid() {
    let mut h = H::new(jwt(AuthMode::Handshake, &[TokenSource::AuthPayload]), "");
    // `/` has no token: refused with the error data as an object.
    let out = h.tick(0);
    assert_eq!(
        transmitted(&out),
        vec![
            r#"4{"message":"no token provided","code":"credentials_required","type":"UnauthorizedError"}"#
        ]
    );
    let out = h.text(10, &format!("0/admin?token={},", token("7")));
    let (nsp, _) = connect_request(&out);
    assert_eq!(nsp, "/admin");
    assert!(matches!(
        &out[0],
        Output::ConnectRequest { identity: Some(id), .. } if id.subject() == Some("7")
    ));
    h.c.accept("/admin", "random-id").unwrap();
    let out = h.drain();
    assert_eq!(transmitted(&out), vec!["0/admin,"]);
    assert!(matches!(&out[1], Output::Connected { sid, .. } if sid == "/admin#ENGINE"));
    let out = h.text(20, r#"2/admin,["x"]"#);
    assert!(matches!(&out[0], Output::Event(e) if e.nsp.as_str() == "/admin"));
    // A bad token in the query.
    let out = h.text(30, "0/other?token=nope,");
    assert!(
        transmitted(&out)[0].starts_with(r#"4/other,{"message":"jwt malformed""#),
        "{out:?}"
    );
}

#[test]
fn handshake_query_token_authenticates_root() {
    let query = format!("EIO=3&transport=polling&token={}", token("9"));
    let mut h = H::new(jwt(AuthMode::Handshake, &[TokenSource::Query]), &query);
    let out = h.tick(0);
    assert!(matches!(
        &out[0],
        Output::ConnectRequest { identity: Some(id), .. } if id.subject() == Some("9")
    ));
}

#[test]
fn application_refusals_are_strings_or_their_data() {
    let mut h = H::new(AuthPolicies::default(), "");
    h.tick(0);
    h.c.reject("/", connect_error("Not authorized", None))
        .unwrap();
    assert_eq!(transmitted(&h.drain()), vec![r#"4"Not authorized""#]);
    let out = h.text(10, "0/x,");
    connect_request(&out);
    let data = RawJson::parse(r#"{"code":42}"#).unwrap();
    h.c.reject("/x", connect_error("m", Some(&data))).unwrap();
    assert_eq!(transmitted(&h.drain()), vec![r#"4/x,{"code":42}"#]);
}

#[test]
fn event_mode_over_revision_4() {
    let mut h = H::new(jwt(AuthMode::Event, &[]), "");
    h.tick(0);
    h.c.accept("/", "s").unwrap();
    assert_eq!(transmitted(&h.drain()), vec!["0"]);
    let out = h.text(10, r#"2["authenticate",{"token":"bad"}]"#);
    let sent = transmitted(&out);
    assert!(
        sent[0].starts_with(r#"2["unauthorized",{"message":"jwt malformed""#),
        "{sent:?}"
    );
    assert_eq!(sent[1], "1");
}

#[test]
fn malformed_input_closes_without_panic() {
    for bad in ["0/admin?%zz,{\"a\":1}", "0/a?b,[1]", "9", "2[]", "0/?,"] {
        let mut h = H::new(AuthPolicies::default(), "");
        h.tick(0);
        h.c.accept("/", "s").unwrap();
        h.drain();
        let _ = h.text(10, bad);
    }
}
