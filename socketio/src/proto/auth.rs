//! Authentication policy, token sources and the identity a connected namespace holds.
//!
//! A namespace connection is *authenticating* until its policy decides, then *connected* holding an
//! [`Identity`], or refused. Only the [`Connection`](super::Connection) makes identities: from a
//! [`jwt_auth::Verified`] token it verified itself, from the application's own check when the policy
//! says the application decides, or anonymous when the namespace has no authentication.
//!
//! # Where the token comes from
//!
//! The sources a policy enables are tried in this fixed order, and the first one that carries a
//! token is used (a bad token there is refused; the next source is not tried):
//!
//! 1. the CONNECT auth payload: `{"token": "<jwt>"}` (also `"Bearer <jwt>"`);
//! 2. the `Authorization: Bearer <jwt>` header of the Engine.IO handshake request (as in
//!    `socketio-jwt`: a value that is not two space-separated parts is `credentials_bad_format`;
//!    another scheme, such as `Basic ...`, carries no token and the next source is tried);
//! 3. the `token` query parameter of the handshake (off by default: URLs end up in logs);
//! 4. a cookie (named `token` by default).
//!
//! In [`AuthMode::Event`] (the two-round-trip flow of `socketio-jwt`) the token comes in an
//! `authenticate` event instead: `{"token": "<jwt>"}`.

use super::raw_json::RawJson;
use jwt_auth::{Claims, Verified, Verifier};
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// Where a token may come from; see the module docs for the precedence.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TokenSource {
    /// `{"token": ...}` in the CONNECT payload.
    AuthPayload,
    /// `Authorization: Bearer ...` on the Engine.IO handshake request.
    Header,
    /// `?token=...` on the Engine.IO handshake request.
    Query,
    /// A cookie on the Engine.IO handshake request.
    Cookie,
}

impl TokenSource {
    /// Parses `auth`, `header`, `query` or `cookie`.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "auth" => Some(Self::AuthPayload),
            "header" => Some(Self::Header),
            "query" => Some(Self::Query),
            "cookie" => Some(Self::Cookie),
            _ => None,
        }
    }
}

/// When the token is checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthMode {
    /// On CONNECT: success answers it, failure answers CONNECT_ERROR.
    Handshake,
    /// After CONNECT: the client emits `authenticate` with `{"token": ...}`; success emits
    /// `authenticated`, failure emits `unauthorized` and disconnects the namespace.
    Event,
}

/// JWT authentication of a namespace.
#[derive(Debug)]
pub struct JwtPolicy {
    /// Keys (or a key resolver) and claim rules.
    pub verifier: Verifier,
    /// Enabled sources (order does not matter: the precedence is fixed).
    pub sources: Vec<TokenSource>,
    /// Handshake or event mode.
    pub mode: AuthMode,
    /// Whether a connected client may send a fresh token (`authenticate` again) to extend its
    /// connection past the first token's expiry. The new token must have the same `sub`.
    pub refresh: bool,
    /// How long the event mode waits for `authenticate`.
    pub timeout: Duration,
}

impl JwtPolicy {
    /// A handshake-mode policy reading the CONNECT payload and the `Authorization` header.
    pub fn new(verifier: Verifier) -> Self {
        Self {
            verifier,
            sources: vec![TokenSource::AuthPayload, TokenSource::Header],
            mode: AuthMode::Handshake,
            refresh: false,
            timeout: Duration::from_secs(10),
        }
    }
}

/// How a namespace authenticates its connections.
#[derive(Clone, Debug, Default)]
pub enum AuthPolicy {
    /// No authentication: the application's connect checks alone decide.
    #[default]
    None,
    /// A JWT, verified by the connection.
    Jwt(Arc<JwtPolicy>),
    /// The application's own check decides and gives the claims (within `timeout`).
    App {
        /// How long the check may take before the CONNECT is refused.
        timeout: Duration,
    },
}

/// The policy of every namespace: one for all, with overrides by name.
#[derive(Clone, Debug, Default)]
pub struct AuthPolicies {
    /// The policy of namespaces without an override.
    pub default: AuthPolicy,
    /// Overrides by namespace name.
    pub namespaces: Vec<(String, AuthPolicy)>,
}

impl AuthPolicies {
    /// The policy of `nsp`.
    pub fn for_namespace(&self, nsp: &str) -> &AuthPolicy {
        self.namespaces
            .iter()
            .find(|(n, _)| n == nsp)
            .map_or(&self.default, |(_, p)| p)
    }
}

/// Tokens the Engine.IO handshake request carried ([`HandshakeCredentials::from_request`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HandshakeCredentials {
    /// The `Authorization` header's value, as sent.
    pub authorization: Option<String>,
    /// The `token` query parameter.
    pub query_token: Option<String>,
    /// The token cookie's value.
    pub cookie_token: Option<String>,
}

impl HandshakeCredentials {
    /// The tokens of a handshake request, from its headers and query alone, so the core needs no
    /// runtime's request type: `header` looks a header up by its lower-case name, `query` is the
    /// raw query string (without `?`), and `cookie_name` names the token cookie.
    ///
    /// The `cookie` header is read as browsers send it, `name=value` pairs split on `;`; the
    /// first pair named `cookie_name` gives the token, percent-decoded.
    pub fn from_request<'h>(
        header: impl Fn(&str) -> Option<&'h str>,
        query: &str,
        cookie_name: &str,
    ) -> Self {
        let cookie_token = header("cookie").and_then(|cookies| {
            cookies.split(';').find_map(|pair| {
                let (name, value) = pair.trim().split_once('=')?;
                (name == cookie_name).then(|| engineio::proto::query::decode(value))
            })
        });
        HandshakeCredentials {
            authorization: header("authorization").map(str::to_owned),
            query_token: engineio::proto::query::get(query, "token"),
            cookie_token,
        }
    }
}

/// Claims the application's own check vouched for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppClaims {
    /// The claims, a JSON object.
    pub claims: serde_json::Map<String, serde_json::Value>,
    /// When they stop being valid, seconds since the epoch.
    pub expires_at: Option<u64>,
}

/// Who a connected namespace belongs to. Made only by the [`Connection`](super::Connection).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Identity {
    /// The namespace has no authentication.
    Anonymous,
    /// A JWT the connection verified.
    Jwt(Arc<Verified<Claims>>),
    /// The application's check vouched for these claims.
    App(Arc<AppClaims>),
}

impl Identity {
    /// The claims as a JSON object, if authenticated.
    pub fn claims(&self) -> Option<&serde_json::Map<String, serde_json::Value>> {
        match self {
            Identity::Anonymous => None,
            Identity::Jwt(v) => Some(v.as_map()),
            Identity::App(a) => Some(&a.claims),
        }
    }

    /// The `sub` claim.
    pub fn subject(&self) -> Option<&str> {
        self.claims()?.get("sub")?.as_str()
    }

    /// When the identity expires, seconds since the epoch: the namespace is disconnected then.
    /// For a JWT that is its `exp` plus the verifier's leeway ([`Verified::valid_until`]): the
    /// verifier accepts the token until then, as Node's `jsonwebtoken` with that
    /// `clockTolerance` does, so the connection keeps it as long.
    pub fn expires_at(&self) -> Option<u64> {
        match self {
            Identity::Anonymous => None,
            Identity::Jwt(v) => v.valid_until(),
            Identity::App(a) => a.expires_at,
        }
    }

    /// The verified token, for a JWT identity.
    pub fn verified(&self) -> Option<&Verified<Claims>> {
        match self {
            Identity::Jwt(v) => Some(v),
            _ => None,
        }
    }
}

/// Why authentication failed, as `socketio-jwt` clients see it: a code and a message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthError {
    /// `credentials_required`, `credentials_bad_format`, `invalid_token`, `authentication_timeout`,
    /// or an application's code.
    pub code: String,
    /// The message (a verifier's is the one Node's `jsonwebtoken` gives, e.g. `jwt expired`).
    pub message: String,
    /// The verifier's own code (`token_expired`, `invalid_signature`, ...), when it failed.
    pub reason: Option<&'static str>,
}

impl AuthError {
    /// An error with a code and a message.
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            code: code.into(),
            message: message.into(),
            reason: None,
        }
    }

    /// No token in any enabled source.
    pub fn credentials_required() -> Self {
        Self::new("credentials_required", "no token provided")
    }

    /// A token that is not `Bearer <jwt>` where that form is required.
    pub fn bad_format() -> Self {
        Self::new(
            "credentials_bad_format",
            "Format is Authorization: Bearer [token]",
        )
    }

    /// The client did not authenticate in time.
    pub fn timeout() -> Self {
        Self::new("authentication_timeout", "authentication timeout")
    }

    /// A token the verifier refused.
    pub fn from_jwt(e: &jwt_auth::Error) -> Self {
        Self {
            code: "invalid_token".to_owned(),
            message: e.to_string(),
            reason: Some(e.code()),
        }
    }

    /// `{"message":M,"code":C,"type":"UnauthorizedError"[,"reason":R]}`.
    pub fn data_json(&self) -> String {
        let mut out = format!(
            "{{\"message\":{},\"code\":{},\"type\":\"UnauthorizedError\"",
            RawJson::string(&self.message),
            RawJson::string(&self.code)
        );
        if let Some(reason) = self.reason {
            out.push_str(",\"reason\":");
            out.push_str(RawJson::string(reason).as_str());
        }
        out.push('}');
        out
    }

    /// The CONNECT_ERROR payload: `{"message":M,"data":{"message":M,"code":C,"type":"UnauthorizedError"}}`.
    pub fn connect_error(&self) -> RawJson {
        RawJson::from_trusted(format!(
            "{{\"message\":{},\"data\":{}}}",
            RawJson::string(&self.message),
            self.data_json()
        ))
    }

    /// The argument of the `unauthorized` event: the data fields, plus `data` repeating them (as
    /// `socketio-jwt`'s `UnauthorizedError` serialises).
    pub fn unauthorized_event_arg(&self) -> RawJson {
        let data = self.data_json();
        let inner = data.strip_suffix('}').unwrap_or(&data);
        RawJson::from_trusted(format!("{inner},\"data\":{data}}}"))
    }
}

impl fmt::Display for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.message, self.code)
    }
}

impl std::error::Error for AuthError {}

/// Strips an optional `Bearer ` prefix from a token taken from the CONNECT payload.
fn payload_token(value: &str) -> Result<&str, AuthError> {
    match value.split_once(' ') {
        None => Ok(value),
        Some((scheme, token))
            if scheme.eq_ignore_ascii_case("bearer")
                && !token.is_empty()
                && !token.contains(' ') =>
        {
            Ok(token)
        }
        Some(_) => Err(AuthError::bad_format()),
    }
}

/// Takes `<jwt>` out of an `Authorization: Bearer <jwt>` value, as `socketio-jwt` reads the
/// header: split on single spaces, the value must have exactly two parts, or it is
/// `credentials_bad_format` (`Bearer` alone, `Bearer a b`, `Bearer  a` with two spaces, a bare
/// token). Of two parts, a `Bearer` scheme (any case) gives the token; another scheme (`Basic
/// ...`) is some other credential and carries no token (`Ok(None)`: the next source is tried).
/// Leading and trailing spaces and tabs are not part of an HTTP field value (RFC 9110 §5.5; Node
/// strips them too), and an empty value carries no token.
fn bearer(value: &str) -> Result<Option<&str>, AuthError> {
    let value = value.trim_matches([' ', '\t']);
    if value.is_empty() {
        return Ok(None);
    }
    let mut parts = value.split(' ');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(scheme), Some(token), None) if scheme.eq_ignore_ascii_case("bearer") => {
            Ok(Some(token).filter(|t| !t.is_empty()))
        }
        (Some(_), Some(_), None) => Ok(None),
        _ => Err(AuthError::bad_format()),
    }
}

/// The `token` string of a `{"token": ...}` JSON object; `Ok(None)` when absent.
pub(crate) fn token_in_object(json: Option<&RawJson>) -> Result<Option<String>, AuthError> {
    /// Only the `token` member is read (borrowed when it has no escapes); the others are skipped
    /// without building them. A `token` that is not a string or null, or given twice, is refused.
    #[derive(serde::Deserialize)]
    struct TokenMember<'a> {
        #[serde(borrow, default)]
        token: Option<std::borrow::Cow<'a, str>>,
    }
    let Some(json) = json else { return Ok(None) };
    let member: TokenMember<'_> = json.deserialize().map_err(|_| AuthError::bad_format())?;
    match member.token {
        None => Ok(None),
        Some(token) => payload_token(&token).map(|t| Some(t.to_owned())),
    }
}

/// Finds the token by the fixed precedence among the enabled sources.
pub(crate) fn find_token(
    sources: &[TokenSource],
    payload: Option<&RawJson>,
    credentials: &HandshakeCredentials,
) -> Result<String, AuthError> {
    let enabled = |s| sources.contains(&s);
    if enabled(TokenSource::AuthPayload) {
        if let Some(token) = token_in_object(payload)? {
            return Ok(token);
        }
    }
    if enabled(TokenSource::Header) {
        if let Some(value) = &credentials.authorization {
            if let Some(token) = bearer(value)? {
                return Ok(token.to_owned());
            }
        }
    }
    if enabled(TokenSource::Query) {
        if let Some(token) = credentials.query_token.as_deref().filter(|t| !t.is_empty()) {
            return Ok(token.to_owned());
        }
    }
    if enabled(TokenSource::Cookie) {
        if let Some(token) = credentials
            .cookie_token
            .as_deref()
            .filter(|t| !t.is_empty())
        {
            return Ok(token.to_owned());
        }
    }
    Err(AuthError::credentials_required())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn token_member_of_the_auth_payload() {
        let token = |json: &str| token_in_object(Some(&RawJson::parse(json).unwrap()));
        assert_eq!(token("{}").unwrap(), None);
        assert_eq!(token(r#"{"token":null,"x":[1,{"y":2}]}"#).unwrap(), None);
        assert_eq!(
            token(r#"{"a":1,"token":"t.u.v"}"#).unwrap().as_deref(),
            Some("t.u.v")
        );
        assert_eq!(
            token(r#"{"token":"Bearer t.u.v"}"#).unwrap().as_deref(),
            Some("t.u.v")
        );
        // Escapes are decoded (the value is then owned, not borrowed).
        assert_eq!(
            token(r#"{"token":"t\u002eu"}"#).unwrap().as_deref(),
            Some("t.u")
        );
        assert!(token(r#"{"token":42}"#).is_err());
        assert!(token(r#"{"token":{"a":1}}"#).is_err());
        assert!(token(r#"{"token":"a","token":"b"}"#).is_err());
        assert_eq!(token_in_object(None).unwrap(), None);
    }

    fn creds(
        auth: Option<&str>,
        query: Option<&str>,
        cookie: Option<&str>,
    ) -> HandshakeCredentials {
        HandshakeCredentials {
            authorization: auth.map(str::to_owned),
            query_token: query.map(str::to_owned),
            cookie_token: cookie.map(str::to_owned),
        }
    }

    /// [`HandshakeCredentials::from_request`] over a fixed list of lower-case headers.
    fn from_request(
        headers: &[(&str, &str)],
        query: &str,
        cookie_name: &str,
    ) -> HandshakeCredentials {
        let header = |name: &str| headers.iter().find(|(n, _)| *n == name).map(|(_, v)| *v);
        HandshakeCredentials::from_request(header, query, cookie_name)
    }

    #[test]
    fn credentials_from_request() {
        // Nothing sent: no tokens.
        assert_eq!(
            from_request(&[], "", "token"),
            HandshakeCredentials::default()
        );
        // All three sources, read as sent; the query token is decoded.
        assert_eq!(
            from_request(
                &[("authorization", "Bearer H"), ("cookie", "token=C")],
                "EIO=4&transport=polling&token=Q%2E1",
                "token",
            ),
            creds(Some("Bearer H"), Some("Q.1"), Some("C"))
        );
        // The named cookie among several pairs, with browsers' `; ` separators and stray spaces.
        let several = [("cookie", "a=1; session=xyz ;token=t.u.v; b=2")];
        assert_eq!(
            from_request(&several, "", "token").cookie_token.as_deref(),
            Some("t.u.v")
        );
        assert_eq!(
            from_request(&several, "", "session")
                .cookie_token
                .as_deref(),
            Some("xyz")
        );
        // The first pair of that name wins.
        let twice = [("cookie", "token=first; token=second")];
        assert_eq!(
            from_request(&twice, "", "token").cookie_token.as_deref(),
            Some("first")
        );
        // Missing: another cookie's name, a name that only starts alike, a pair without `=`.
        for cookies in ["a=1; b=2", "tokens=x; my_token=y", "token; a=1", ""] {
            assert_eq!(
                from_request(&[("cookie", cookies)], "", "token").cookie_token,
                None,
                "{cookies:?}"
            );
        }
        // A percent-encoded value is decoded; `=` inside the value stays part of it.
        assert_eq!(
            from_request(&[("cookie", "jwt=a%2Eb%20c=d")], "", "jwt")
                .cookie_token
                .as_deref(),
            Some("a.b c=d")
        );
        // An empty value is a token of its own (the policy decides it carries none).
        assert_eq!(
            from_request(&[("cookie", "token=")], "", "token")
                .cookie_token
                .as_deref(),
            Some("")
        );
    }

    #[test]
    fn precedence_and_formats() {
        use TokenSource::*;
        let all = [AuthPayload, Header, Query, Cookie];
        let payload = RawJson::parse(r#"{"token":"P"}"#).unwrap();
        let c = creds(Some("Bearer H"), Some("Q"), Some("C"));
        assert_eq!(find_token(&all, Some(&payload), &c).unwrap(), "P");
        assert_eq!(find_token(&all, None, &c).unwrap(), "H");
        assert_eq!(find_token(&[Query, Cookie], None, &c).unwrap(), "Q");
        assert_eq!(find_token(&[Cookie], None, &c).unwrap(), "C");
        assert_eq!(
            find_token(&[Header], None, &creds(None, Some("Q"), None)),
            Err(AuthError::credentials_required())
        );
        // Disabled sources are never read.
        assert_eq!(
            find_token(&[AuthPayload], None, &c),
            Err(AuthError::credentials_required())
        );
        let bearer_payload = RawJson::parse(r#"{"token":"Bearer P2"}"#).unwrap();
        assert_eq!(find_token(&all, Some(&bearer_payload), &c).unwrap(), "P2");
        for bad in [
            r#"{"token":"Basic x"}"#,
            r#"{"token":"a b c"}"#,
            r#"{"token":5}"#,
        ] {
            let p = RawJson::parse(bad).unwrap();
            assert_eq!(
                find_token(&all, Some(&p), &c),
                Err(AuthError::bad_format()),
                "{bad}"
            );
        }
        // An empty payload object falls through to the next source.
        let empty = RawJson::parse("{}").unwrap();
        assert_eq!(find_token(&all, Some(&empty), &c).unwrap(), "H");
    }

    /// The `Authorization` header as `socketio-jwt` reads it: `value.split(' ')` must give two
    /// parts, else `credentials_bad_format`; a scheme other than `bearer` (any case) carries no
    /// token. HTTP's optional whitespace around the value is not part of it.
    #[test]
    fn authorization_header_like_socketio_jwt() {
        use TokenSource::*;
        let header = |value: &str| find_token(&[Header], None, &creds(Some(value), None, None));
        for (value, token) in [
            ("Bearer t.u.v", "t.u.v"),
            ("bearer t.u.v", "t.u.v"),
            ("BEARER t.u.v", "t.u.v"),
            (" \tBearer t.u.v \t", "t.u.v"),
        ] {
            assert_eq!(header(value).as_deref(), Ok(token), "{value:?}");
        }
        for value in [
            "Bearer",
            "Bearer ",
            "Bearer t.u.v extra",
            "Bearer a b",
            "Bearer  t.u.v",
            " Bearer t.u.v  x",
            "Bearer\tt.u.v",
            "t.u.v",
            "Basic a b",
            "Bearer t u v w",
        ] {
            assert_eq!(header(value), Err(AuthError::bad_format()), "{value:?}");
            assert_eq!(
                header(value).unwrap_err().message,
                "Format is Authorization: Bearer [token]"
            );
        }
        // Another scheme, or nothing at all: no token here; the next source is tried.
        for value in ["Basic dXNlcjpwYXNz", "Token t.u.v", "", "  "] {
            assert_eq!(
                header(value),
                Err(AuthError::credentials_required()),
                "{value:?}"
            );
            let c = creds(Some(value), Some("Q"), None);
            assert_eq!(find_token(&[Header, Query], None, &c).unwrap(), "Q");
        }
        // A bad format stops the search, as a bad token does.
        let c = creds(Some("Bearer a b"), Some("Q"), None);
        assert_eq!(
            find_token(&[Header, Query], None, &c),
            Err(AuthError::bad_format())
        );
    }

    #[test]
    fn error_payloads() {
        let e = AuthError {
            code: "invalid_token".into(),
            message: "jwt expired".into(),
            reason: Some("token_expired"),
        };
        assert_eq!(
            e.connect_error().as_str(),
            r#"{"message":"jwt expired","data":{"message":"jwt expired","code":"invalid_token","type":"UnauthorizedError","reason":"token_expired"}}"#
        );
        let e = AuthError::credentials_required();
        assert_eq!(
            e.unauthorized_event_arg().as_str(),
            r#"{"message":"no token provided","code":"credentials_required","type":"UnauthorizedError","data":{"message":"no token provided","code":"credentials_required","type":"UnauthorizedError"}}"#
        );
    }
}
