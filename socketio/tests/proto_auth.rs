//! Authentication as a connection state, on a virtual clock: every transition of the handshake
//! mode, the event mode, expiry and refresh, and the application's own check.
#![allow(clippy::unwrap_used, missing_docs)]
// `Instant` has no constructor but the clock: one reading is the origin the test advances by hand.
#![allow(clippy::disallowed_methods)]

use jwt_auth::{Algorithm, Claims, Header, Key, SigningKey, SystemRandom, Validation, Verifier};
use socketio::proto::{
    AppClaims, AuthMode, AuthPolicies, AuthPolicy, Config, Connection, DisconnectReason,
    HandshakeCredentials, Identity, JwtPolicy, Output, TokenSource,
};
use std::sync::Arc;
use std::time::{Duration, Instant};

const SECRET: &[u8] = b"a shared secret of at least 32 bytes!";
const T0: u64 = 1_800_000_000;

fn token(sub: &str, exp: u64) -> String {
    token_with_exp(sub, serde_json::json!(exp))
}

/// A token whose `exp` is any JSON value.
fn token_with_exp(sub: &str, exp: serde_json::Value) -> String {
    let claims = Claims::new()
        .with("sub", sub)
        .with("exp", exp)
        .with("iss", "tests");
    jwt_auth::sign(
        &Header::new(Algorithm::HS256),
        &claims,
        &SigningKey::hmac(SECRET).unwrap(),
        &SystemRandom::new(),
    )
    .unwrap()
}

/// A JWT policy without leeway, so that deadlines are the tokens' `exp` exactly; see
/// [`policy_with_leeway`] for the leeway.
fn policy(mode: AuthMode, sources: &[TokenSource], refresh: bool) -> AuthPolicies {
    policy_with_leeway(mode, sources, refresh, 0)
}

fn policy_with_leeway(
    mode: AuthMode,
    sources: &[TokenSource],
    refresh: bool,
    leeway: u64,
) -> AuthPolicies {
    let verifier = Verifier::new(
        Key::hmac(SECRET).unwrap(),
        Validation::new().issuer("tests").leeway(leeway),
    );
    AuthPolicies {
        default: AuthPolicy::Jwt(Arc::new(JwtPolicy {
            verifier,
            sources: sources.to_vec(),
            mode,
            refresh,
            timeout: Duration::from_secs(5),
        })),
        namespaces: vec![("/public".into(), AuthPolicy::None)],
    }
}

struct H {
    t0: Instant,
    c: Connection,
}

impl H {
    fn new(policies: AuthPolicies, creds: HandshakeCredentials) -> Self {
        let t0 = Instant::now();
        let c = Connection::with_auth(
            t0,
            Config::default(),
            Arc::new(policies),
            creds,
            Duration::from_secs(T0),
        );
        Self { t0, c }
    }
    fn at(&self, s: u64) -> Instant {
        self.t0 + Duration::from_secs(s)
    }
    fn text(&mut self, s: u64, text: &str) -> Vec<Output> {
        let now = self.at(s);
        self.c.handle_text(now, text);
        self.drain()
    }
    fn tick(&mut self, s: u64) -> Vec<Output> {
        let now = self.at(s);
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

fn accept_request(h: &mut H, out: &[Output], sid: &str) -> Vec<Output> {
    let nsp = out
        .iter()
        .find_map(|o| match o {
            Output::ConnectRequest { nsp, .. } => Some(nsp.clone()),
            _ => None,
        })
        .expect("a ConnectRequest");
    h.c.accept(nsp.as_str(), sid).unwrap();
    h.drain()
}

#[test]
fn handshake_mode_token_in_auth_payload() {
    let mut h = H::new(
        policy(AuthMode::Handshake, &[TokenSource::AuthPayload], false),
        Default::default(),
    );
    let t = token("42", T0 + 60);
    let out = h.text(0, &format!(r#"0{{"token":"{t}"}}"#));
    let Some(Output::ConnectRequest {
        identity: Some(identity),
        ..
    }) = out.first()
    else {
        panic!("{out:?}")
    };
    assert_eq!(identity.subject(), Some("42"));
    let out = accept_request(&mut h, &out, "s1");
    assert_eq!(transmitted(&out), vec![r#"0{"sid":"s1"}"#]);
    assert!(
        matches!(&out[1], Output::Connected { sid, identity: Identity::Jwt(_), .. } if sid == "s1")
    );
    assert_eq!(h.c.identity("/").unwrap().subject(), Some("42"));
    // The namespace carries the token's expiry as a deadline.
    assert_eq!(h.c.poll_timeout(), Some(h.at(60)));
}

#[test]
fn handshake_mode_refusals_carry_unauthorized_error_data() {
    let mut h = H::new(
        policy(
            AuthMode::Handshake,
            &[TokenSource::AuthPayload, TokenSource::Header],
            false,
        ),
        Default::default(),
    );
    let out = h.text(0, "0");
    assert_eq!(
        transmitted(&out),
        vec![
            r#"4{"message":"no token provided","data":{"message":"no token provided","code":"credentials_required","type":"UnauthorizedError"}}"#
        ]
    );
    assert!(
        matches!(&out[1], Output::AuthFailed { error, .. } if error.code == "credentials_required")
    );
    assert!(
        h.c.namespace("/").is_none(),
        "a refused namespace has no state"
    );

    let expired = token("42", T0 - 100);
    let out = h.text(1, &format!(r#"0{{"token":"{expired}"}}"#));
    assert_eq!(
        transmitted(&out),
        vec![
            r#"4{"message":"jwt expired","data":{"message":"jwt expired","code":"invalid_token","type":"UnauthorizedError","reason":"token_expired"}}"#
        ]
    );
    // Expired 10 s ago, without leeway (see `leeway_accepts_and_extends_the_deadline`).
    let just_expired = token("42", T0 - 10);
    let out = h.text(1, &format!(r#"0{{"token":"{just_expired}"}}"#));
    assert!(
        transmitted(&out)[0].starts_with(r#"4{"message":"jwt expired""#),
        "{out:?}"
    );
    let tampered = token("42", T0 + 60).replace('.', ".x");
    let out = h.text(2, &format!(r#"0{{"token":"{tampered}"}}"#));
    assert!(
        transmitted(&out)[0].contains(r#""code":"invalid_token""#),
        "{out:?}"
    );
    let out = h.text(3, r#"0{"token":"Basic abc"}"#);
    assert!(transmitted(&out)[0].contains("credentials_bad_format"));
    // Unauthenticated namespaces stay open (their own policy).
    let out = h.text(4, "0/public,");
    assert!(matches!(
        &out[0],
        Output::ConnectRequest {
            identity: Some(Identity::Anonymous),
            ..
        }
    ));
}

#[test]
fn header_query_and_cookie_sources_with_precedence() {
    let t = token("h", T0 + 60);
    let creds = HandshakeCredentials {
        authorization: Some(format!("Bearer {t}")),
        query_token: Some(token("q", T0 + 60)),
        cookie_token: Some(token("c", T0 + 60)),
    };
    let sub_of = |sources: &[TokenSource], payload: &str| {
        let mut h = H::new(policy(AuthMode::Handshake, sources, false), creds.clone());
        let out = h.text(0, payload);
        match out.first() {
            Some(Output::ConnectRequest {
                identity: Some(i), ..
            }) => i.subject().map(str::to_owned),
            other => panic!("{other:?}"),
        }
    };
    use TokenSource::*;
    let p = format!(r#"0{{"token":"{}"}}"#, token("p", T0 + 60));
    assert_eq!(
        sub_of(&[AuthPayload, Header, Query, Cookie], &p).as_deref(),
        Some("p")
    );
    assert_eq!(
        sub_of(&[AuthPayload, Header, Query, Cookie], "0").as_deref(),
        Some("h")
    );
    assert_eq!(sub_of(&[Query, Cookie], "0").as_deref(), Some("q"));
    assert_eq!(sub_of(&[Cookie], &p).as_deref(), Some("c"));
}

#[test]
fn expiry_disconnects_the_namespace() {
    let mut h = H::new(
        policy(AuthMode::Handshake, &[TokenSource::AuthPayload], false),
        Default::default(),
    );
    let out = h.text(0, &format!(r#"0{{"token":"{}"}}"#, token("42", T0 + 30)));
    accept_request(&mut h, &out, "s1");
    assert!(h.tick(29).is_empty());
    let out = h.tick(30);
    assert_eq!(
        transmitted(&out),
        vec![
            r#"2["unauthorized",{"message":"jwt expired","code":"invalid_token","type":"UnauthorizedError","reason":"token_expired","data":{"message":"jwt expired","code":"invalid_token","type":"UnauthorizedError","reason":"token_expired"}}]"#.to_owned(),
            "1".to_owned()
        ]
    );
    assert!(out.iter().any(|o| matches!(
        o,
        Output::Disconnected {
            reason: DisconnectReason::TokenExpired,
            ..
        }
    )));
    assert!(h.c.namespace("/").is_none());
    assert!(
        !h.c.is_closed(),
        "the engine connection stays; only the namespace ends"
    );
}

#[test]
fn event_mode_authenticate_flow() {
    let mut h = H::new(policy(AuthMode::Event, &[], false), Default::default());
    let out = h.text(0, "0");
    assert!(matches!(
        &out[0],
        Output::ConnectRequest { identity: None, .. }
    ));
    let out = accept_request(&mut h, &out, "s1");
    assert_eq!(
        transmitted(&out),
        vec![r#"0{"sid":"s1"}"#],
        "the CONNECT is answered"
    );
    assert!(
        !out.iter().any(|o| matches!(o, Output::Connected { .. })),
        "no app socket yet"
    );
    // Events before authentication reach no handler and are not an error.
    assert!(h.text(1, r#"2["chat","hi"]"#).is_empty());
    assert!(!h.c.is_closed());
    let out = h.text(
        2,
        &format!(r#"2["authenticate",{{"token":"{}"}}]"#, token("7", T0 + 60)),
    );
    assert_eq!(transmitted(&out), vec![r#"2["authenticated"]"#]);
    assert!(
        matches!(&out[1], Output::Connected { identity, .. } if identity.subject() == Some("7"))
    );
    let out = h.text(3, r#"2["chat","hi"]"#);
    assert!(matches!(&out[0], Output::Event(e) if e.name == "chat"));
}

#[test]
fn event_mode_bad_token_and_timeout() {
    let mut h = H::new(policy(AuthMode::Event, &[], false), Default::default());
    let out = h.text(0, "0");
    accept_request(&mut h, &out, "s1");
    let out = h.text(1, r#"2["authenticate",{"token":"nope"}]"#);
    let sent = transmitted(&out);
    assert!(
        sent[0]
            .starts_with(r#"2["unauthorized",{"message":"jwt malformed","code":"invalid_token""#),
        "{sent:?}"
    );
    assert_eq!(sent[1], "1");
    assert!(h.c.namespace("/").is_none());

    let mut h = H::new(policy(AuthMode::Event, &[], false), Default::default());
    let out = h.text(0, "0");
    accept_request(&mut h, &out, "s1");
    assert_eq!(h.c.poll_timeout(), Some(h.at(5)));
    let out = h.tick(5);
    let sent = transmitted(&out);
    assert!(sent[0].contains("authentication_timeout"), "{sent:?}");
    assert_eq!(sent[1], "1");
}

#[test]
fn refresh_extends_the_deadline_for_the_same_subject_only() {
    let mut h = H::new(
        policy(AuthMode::Handshake, &[TokenSource::AuthPayload], true),
        Default::default(),
    );
    let out = h.text(0, &format!(r#"0{{"token":"{}"}}"#, token("42", T0 + 30)));
    accept_request(&mut h, &out, "s1");
    let out = h.text(
        20,
        &format!(
            r#"2["authenticate",{{"token":"{}"}}]"#,
            token("42", T0 + 90)
        ),
    );
    assert_eq!(transmitted(&out), vec![r#"2["authenticated"]"#]);
    assert!(matches!(&out[1], Output::Reauthenticated { .. }));
    assert!(h.tick(30).is_empty(), "the old expiry no longer applies");
    assert_eq!(h.c.poll_timeout(), Some(h.at(90)));
    let out = h.text(
        40,
        &format!(
            r#"2["authenticate",{{"token":"{}"}}]"#,
            token("someone-else", T0 + 900)
        ),
    );
    assert!(transmitted(&out)[0].contains("another subject"));
    assert!(out.iter().any(|o| matches!(
        o,
        Output::Disconnected {
            reason: DisconnectReason::Unauthorized,
            ..
        }
    )));

    // Without refresh, `authenticate` is an ordinary event and the expiry stands.
    let mut h = H::new(
        policy(AuthMode::Handshake, &[TokenSource::AuthPayload], false),
        Default::default(),
    );
    let out = h.text(0, &format!(r#"0{{"token":"{}"}}"#, token("42", T0 + 30)));
    accept_request(&mut h, &out, "s1");
    let out = h.text(
        20,
        &format!(
            r#"2["authenticate",{{"token":"{}"}}]"#,
            token("42", T0 + 90)
        ),
    );
    assert!(matches!(&out[0], Output::Event(e) if e.name == "authenticate"));
    assert!(h.tick(30).iter().any(|o| matches!(
        o,
        Output::Disconnected {
            reason: DisconnectReason::TokenExpired,
            ..
        }
    )));
}

#[test]
fn app_policy_needs_claims_and_a_timely_answer() {
    let policies = AuthPolicies {
        default: AuthPolicy::App {
            timeout: Duration::from_secs(3),
        },
        namespaces: vec![],
    };
    let mut h = H::new(policies.clone(), Default::default());
    let out = h.text(0, "0");
    assert!(matches!(
        &out[0],
        Output::ConnectRequest { identity: None, .. }
    ));
    assert!(
        h.c.accept("/", "s1").is_err(),
        "no anonymous join under an app policy"
    );
    let claims: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(r#"{"sub":"9"}"#).unwrap();
    h.c.accept_with(
        "/",
        "s1",
        AppClaims {
            claims,
            expires_at: Some(T0 + 10),
        },
    )
    .unwrap();
    let out = h.drain();
    assert!(matches!(
        &out[1],
        Output::Connected {
            identity: Identity::App(_),
            ..
        }
    ));
    assert!(h.tick(10).iter().any(|o| matches!(
        o,
        Output::Disconnected {
            reason: DisconnectReason::TokenExpired,
            ..
        }
    )));

    let mut h = H::new(policies, Default::default());
    h.text(0, "0");
    let out = h.tick(3);
    assert!(
        transmitted(&out)[0].starts_with(r#"4{"message":"authentication timeout""#),
        "{out:?}"
    );
}

#[test]
fn expiry_is_exact_when_the_connection_opens_late_in_a_second() {
    let t0 = Instant::now();
    let policies = Arc::new(policy(
        AuthMode::Handshake,
        &[TokenSource::AuthPayload],
        false,
    ));
    // The session opened 900 ms into second T0; the token expires at T0 + 2.
    let wall = Duration::from_millis(T0 * 1000 + 900);
    let mut c: Connection =
        Connection::with_auth(t0, Config::default(), policies, Default::default(), wall);
    c.handle_text(t0, &format!(r#"0{{"token":"{}"}}"#, token("42", T0 + 2)));
    while c.poll_output().is_some() {}
    c.accept("/", "s1").unwrap();
    while c.poll_output().is_some() {}
    assert_eq!(c.poll_timeout(), Some(t0 + Duration::from_millis(1100)));
}

#[test]
fn accept_with_is_refused_under_a_jwt_policy() {
    let mut h = H::new(policy(AuthMode::Event, &[], false), Default::default());
    h.text(0, "0");
    let claims = serde_json::Map::new();
    assert!(h
        .c
        .accept_with(
            "/",
            "s1",
            AppClaims {
                claims,
                expires_at: None
            }
        )
        .is_err());
}

/// The verifier's leeway is `jsonwebtoken`'s `clockTolerance` (`--jwt-leeway-s`): a token that
/// expired less than the leeway ago is accepted, and the namespace's deadline is `exp + leeway`,
/// in both modes and on refresh.
#[test]
fn leeway_accepts_and_extends_the_deadline() {
    let sources = [TokenSource::AuthPayload, TokenSource::Header];
    let mut h = H::new(
        policy_with_leeway(AuthMode::Handshake, &sources, true, 60),
        Default::default(),
    );
    // 10 s past `exp`, leeway 60 s: accepted; the deadline is exp + 60 = 50 s from now.
    let out = h.text(0, &format!(r#"0{{"token":"{}"}}"#, token("42", T0 - 10)));
    let out = accept_request(&mut h, &out, "s1");
    assert_eq!(transmitted(&out), vec![r#"0{"sid":"s1"}"#]);
    assert_eq!(h.c.identity("/").unwrap().expires_at(), Some(T0 + 50));
    assert_eq!(
        h.c.identity("/").unwrap().verified().unwrap().expires_at(),
        Some(T0 - 10),
        "the token's own exp is still there"
    );
    assert_eq!(h.c.poll_timeout(), Some(h.at(50)));
    assert!(h.tick(49).is_empty());
    // A refresh with a token also inside its leeway moves the deadline to its exp + 60.
    let out = h.text(
        49,
        &format!(
            r#"2["authenticate",{{"token":"{}"}}]"#,
            token("42", T0 + 40)
        ),
    );
    assert_eq!(transmitted(&out), vec![r#"2["authenticated"]"#]);
    assert_eq!(h.c.poll_timeout(), Some(h.at(100)));
    assert!(h.tick(99).is_empty());
    let out = h.tick(100);
    assert!(
        transmitted(&out)[0].starts_with(r#"2["unauthorized",{"message":"jwt expired""#),
        "{out:?}"
    );
    assert!(out.iter().any(|o| matches!(
        o,
        Output::Disconnected {
            reason: DisconnectReason::TokenExpired,
            ..
        }
    )));

    // At exp + leeway it is refused, as jsonwebtoken refuses `now >= exp + clockTolerance`.
    let mut h = H::new(
        policy_with_leeway(AuthMode::Handshake, &sources, false, 60),
        Default::default(),
    );
    let out = h.text(0, &format!(r#"0{{"token":"{}"}}"#, token("42", T0 - 60)));
    assert!(
        transmitted(&out)[0].starts_with(r#"4{"message":"jwt expired""#),
        "{out:?}"
    );

    // The event mode and the header source follow the same rule.
    let creds = HandshakeCredentials {
        authorization: Some(format!("Bearer {}", token("h", T0 - 30))),
        ..Default::default()
    };
    let mut h = H::new(
        policy_with_leeway(AuthMode::Handshake, &sources, false, 60),
        creds,
    );
    let out = h.text(0, "0");
    accept_request(&mut h, &out, "s1");
    assert_eq!(h.c.poll_timeout(), Some(h.at(30)));
    let mut h = H::new(
        policy_with_leeway(AuthMode::Event, &[], false, 60),
        Default::default(),
    );
    let out = h.text(0, "0");
    accept_request(&mut h, &out, "s1");
    let out = h.text(
        1,
        &format!(r#"2["authenticate",{{"token":"{}"}}]"#, token("7", T0 - 5)),
    );
    assert_eq!(transmitted(&out), vec![r#"2["authenticated"]"#]);
    assert_eq!(h.c.poll_timeout(), Some(h.at(55)));
}

/// `exp` far in the future (2^63-1, 2^64-1, 1e300: NumericDates saturate) never expires while
/// the connection lives: no deadline at all, so no `Instant` arithmetic can overflow.
#[test]
fn far_future_exp_has_no_deadline() {
    let far = |exp: serde_json::Value| token_with_exp("42", exp);
    for exp in [
        serde_json::json!(i64::MAX),
        serde_json::json!(u64::MAX),
        serde_json::json!(1e300),
        serde_json::json!(T0 + 200 * 365 * 24 * 3600),
    ] {
        for leeway in [0, 60, u64::MAX] {
            let mut h = H::new(
                policy_with_leeway(
                    AuthMode::Handshake,
                    &[TokenSource::AuthPayload],
                    true,
                    leeway,
                ),
                Default::default(),
            );
            let out = h.text(0, &format!(r#"0{{"token":"{}"}}"#, far(exp.clone())));
            accept_request(&mut h, &out, "s1");
            assert!(h.c.identity("/").is_some(), "{exp} {leeway}");
            assert_eq!(h.c.poll_timeout(), None, "{exp} {leeway}");
            assert!(h.tick(u64::from(u32::MAX)).is_empty());
            // A refresh to an ordinary token brings the deadline back.
            let out = h.text(
                1,
                &format!(
                    r#"2["authenticate",{{"token":"{}"}}]"#,
                    token("42", T0 + 90)
                ),
            );
            assert_eq!(transmitted(&out), vec![r#"2["authenticated"]"#]);
            if leeway < u64::MAX {
                assert_eq!(
                    h.c.poll_timeout(),
                    Some(h.at(90 + leeway)),
                    "{exp} {leeway}"
                );
            }
        }
    }
    // A negative `exp` is simply expired.
    let mut h = H::new(
        policy_with_leeway(AuthMode::Handshake, &[TokenSource::AuthPayload], false, 60),
        Default::default(),
    );
    let out = h.text(
        0,
        &format!(r#"0{{"token":"{}"}}"#, far(serde_json::json!(-1))),
    );
    assert!(transmitted(&out)[0].starts_with(r#"4{"message":"jwt expired""#));
}

/// The `Authorization` header as `socketio-jwt` reads it, seen by the client as `connect_error`.
#[test]
fn authorization_header_formats_like_socketio_jwt() {
    use TokenSource::*;
    let connect = |authorization: &str, sources: &[TokenSource]| {
        let creds = HandshakeCredentials {
            authorization: Some(authorization.to_owned()),
            query_token: Some(token("q", T0 + 60)),
            cookie_token: None,
        };
        let mut h = H::new(policy(AuthMode::Handshake, sources, false), creds);
        h.text(0, "0")
    };
    let bad_format = r#"4{"message":"Format is Authorization: Bearer [token]","data":{"message":"Format is Authorization: Bearer [token]","code":"credentials_bad_format","type":"UnauthorizedError"}}"#;
    let t = token("h", T0 + 60);
    for value in [
        format!("Bearer {t} {t}"),
        format!("Bearer  {t}"),
        "Bearer".to_owned(),
        "Bearer a b".to_owned(),
        t.clone(),
    ] {
        let out = connect(&value, &[Header, Query]);
        assert_eq!(transmitted(&out), vec![bad_format], "{value}");
    }
    // Another scheme is not a bearer token: the next source decides.
    let out = connect("Basic dXNlcjpwYXNz", &[Header, Query]);
    assert!(
        matches!(&out[0], Output::ConnectRequest { identity: Some(i), .. } if i.subject() == Some("q")),
        "{out:?}"
    );
    let out = connect("Basic dXNlcjpwYXNz", &[Header]);
    assert!(
        transmitted(&out)[0].starts_with(r#"4{"message":"no token provided""#),
        "{out:?}"
    );
    let out = connect(&format!("bearer {t}"), &[Header]);
    assert!(
        matches!(&out[0], Output::ConnectRequest { identity: Some(i), .. } if i.subject() == Some("h"))
    );
}
