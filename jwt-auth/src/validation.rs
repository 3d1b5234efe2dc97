//! What a verified token must also satisfy: algorithms, time (with leeway), issuer, audience,
//! subject, id, type, required claims and maximum age. Checks run in Node `jsonwebtoken`'s order
//! (after required claims): `nbf`, `exp`, `aud`, `iss`, `sub`, `jti`, `maxAge`.

use std::sync::Arc;

use crate::algorithm::{Algorithm, AlgorithmSet};
use crate::error::Error;
use crate::header::Header;
use crate::scan::{Audience, Date, Scanned, Text};

/// Seconds of clock skew forgiven on `exp`, `nbf` and the maximum age unless set otherwise.
pub const DEFAULT_LEEWAY: u64 = 30;

/// The longest token accepted unless set otherwise, in bytes.
pub const DEFAULT_MAX_TOKEN_LEN: usize = 8 * 1024;

/// The claim checks and limits a [`crate::Verifier`] applies.
///
/// Defaults: every algorithm of the crate (each key still narrows it to its own kind), a leeway
/// of [`DEFAULT_LEEWAY`] seconds, `exp` required, tokens up to [`DEFAULT_MAX_TOKEN_LEN`] bytes,
/// no issuer/audience/subject/id/type requirement.
#[derive(Debug, Clone)]
pub struct Validation {
    pub(crate) algorithms: AlgorithmSet,
    pub(crate) max_token_len: usize,
    leeway: u64,
    issuers: Vec<String>,
    issuers_text: Arc<str>,
    pub(crate) audiences: Vec<String>,
    audiences_text: Arc<str>,
    subject: Option<Arc<str>>,
    jwt_id: Option<Arc<str>>,
    typ: Option<Arc<str>>,
    pub(crate) required: Vec<Arc<str>>,
    max_age: Option<u64>,
    check_exp: bool,
    check_nbf: bool,
}

impl Default for Validation {
    fn default() -> Self {
        Validation {
            algorithms: AlgorithmSet::all(),
            max_token_len: DEFAULT_MAX_TOKEN_LEN,
            leeway: DEFAULT_LEEWAY,
            issuers: Vec::new(),
            issuers_text: Arc::from(""),
            audiences: Vec::new(),
            audiences_text: Arc::from(""),
            subject: None,
            jwt_id: None,
            typ: None,
            required: vec![Arc::from("exp")],
            max_age: None,
            check_exp: true,
            check_nbf: true,
        }
    }
}

impl Validation {
    /// The defaults (see the type's documentation).
    pub fn new() -> Self {
        Self::default()
    }

    /// Accept only these algorithms.
    #[must_use]
    pub fn algorithms(mut self, algorithms: impl Into<AlgorithmSet>) -> Self {
        self.algorithms = algorithms.into();
        self
    }

    /// Seconds of clock skew forgiven on `exp`, `nbf` and the maximum age.
    #[must_use]
    pub fn leeway(mut self, seconds: u64) -> Self {
        self.leeway = seconds;
        self
    }

    /// Require `iss` to be this issuer.
    #[must_use]
    pub fn issuer(self, issuer: impl Into<String>) -> Self {
        self.issuers([issuer])
    }

    /// Require `iss` to be one of these issuers.
    #[must_use]
    pub fn issuers<S: Into<String>>(mut self, issuers: impl IntoIterator<Item = S>) -> Self {
        self.issuers = issuers.into_iter().map(Into::into).collect();
        self.issuers_text = Arc::from(self.issuers.join(","));
        self
    }

    /// Require `aud` to contain this audience.
    #[must_use]
    pub fn audience(self, audience: impl Into<String>) -> Self {
        self.audiences([audience])
    }

    /// Require `aud` (a string or an array of strings) to contain at least one of these.
    #[must_use]
    pub fn audiences<S: Into<String>>(mut self, audiences: impl IntoIterator<Item = S>) -> Self {
        self.audiences = audiences.into_iter().map(Into::into).collect();
        self.audiences_text = Arc::from(self.audiences.join(" or "));
        self
    }

    /// Require `sub` to be exactly this.
    #[must_use]
    pub fn subject(mut self, subject: impl Into<String>) -> Self {
        self.subject = Some(Arc::from(subject.into()));
        self
    }

    /// Require `jti` to be exactly this.
    #[must_use]
    pub fn jwt_id(mut self, jwt_id: impl Into<String>) -> Self {
        self.jwt_id = Some(Arc::from(jwt_id.into()));
        self
    }

    /// Require the header `typ` to be this media type (compared as RFC 7515 §4.1.9 says: ignoring
    /// case, with `application/` optional), e.g. `"at+jwt"` for RFC 9068 access tokens.
    #[must_use]
    pub fn typ(mut self, typ: impl Into<String>) -> Self {
        self.typ = Some(Arc::from(typ.into()));
        self
    }

    /// The claims that must be present (replaces the default, which is `["exp"]`; at most 64).
    #[must_use]
    pub fn required_claims<S: Into<String>>(mut self, names: impl IntoIterator<Item = S>) -> Self {
        self.required = names.into_iter().map(|s| Arc::from(s.into())).collect();
        self
    }

    /// Refuse tokens whose `iat` is more than this many seconds ago (plus leeway); `iat` becomes
    /// required.
    #[must_use]
    pub fn max_age(mut self, seconds: u64) -> Self {
        self.max_age = Some(seconds);
        self
    }

    /// Whether to refuse expired tokens (default true). `exp` is type-checked either way.
    #[must_use]
    pub fn check_exp(mut self, check: bool) -> Self {
        self.check_exp = check;
        self
    }

    /// Whether to refuse tokens before their `nbf` (default true). `nbf` is type-checked either way.
    #[must_use]
    pub fn check_nbf(mut self, check: bool) -> Self {
        self.check_nbf = check;
        self
    }

    /// The longest token accepted, in bytes.
    #[must_use]
    pub fn max_token_len(mut self, bytes: usize) -> Self {
        self.max_token_len = bytes;
        self
    }

    /// The first second at which a token with this (already checked) `exp` is refused as
    /// expired; `None` when expiry is not checked.
    pub(crate) fn valid_until(&self, exp: Option<u64>) -> Option<u64> {
        exp.filter(|_| self.check_exp)
            .map(|exp| exp.saturating_add(self.leeway))
    }

    /// Is `alg` allowed?
    pub fn allows(&self, alg: Algorithm) -> bool {
        self.algorithms.contains(alg)
    }

    /// Checks the header and scanned claims of a token whose signature has been verified.
    pub(crate) fn check(
        &self,
        header: &Header<'_>,
        claims: &Scanned<'_>,
        now: u64,
    ) -> Result<(), Error> {
        if let Some(expected) = &self.typ {
            let ok = header
                .typ
                .as_deref()
                .is_some_and(|typ| media_type_eq(typ, expected));
            if !ok {
                return Err(Error::InvalidType {
                    expected: expected.clone(),
                });
            }
        }
        for (i, name) in self.required.iter().enumerate().take(64) {
            if claims.present & (1 << i) == 0 {
                return Err(Error::MissingClaim {
                    claim: name.clone(),
                    for_max_age: false,
                });
            }
        }
        let nbf = date(claims.nbf, "nbf")?;
        let exp = date(claims.exp, "exp")?;
        let iat = date(claims.iat, "iat")?;
        if let Some(nbf) = nbf {
            if self.check_nbf && nbf > now.saturating_add(self.leeway) {
                return Err(Error::NotActive { not_before: nbf });
            }
        }
        if let Some(exp) = exp {
            if self.check_exp && now >= exp.saturating_add(self.leeway) {
                return Err(Error::Expired { expired_at: exp });
            }
        }
        let audience_ok = match claims.aud {
            Audience::Invalid => return Err(Error::InvalidClaim { claim: "aud" }),
            Audience::Absent => self.audiences.is_empty(),
            Audience::Present { matched } => matched || self.audiences.is_empty(),
        };
        if !audience_ok {
            return Err(Error::InvalidAudience {
                expected: self.audiences_text.clone(),
            });
        }
        let iss = text(&claims.iss, "iss")?;
        if !self.issuers.is_empty() && !iss.is_some_and(|iss| self.issuers.iter().any(|i| i == iss))
        {
            return Err(Error::InvalidIssuer {
                expected: self.issuers_text.clone(),
            });
        }
        let sub = text(&claims.sub, "sub")?;
        if let Some(expected) = &self.subject {
            if sub != Some(&**expected) {
                return Err(Error::InvalidSubject {
                    expected: expected.clone(),
                });
            }
        }
        let jti = text(&claims.jti, "jti")?;
        if let Some(expected) = &self.jwt_id {
            if jti != Some(&**expected) {
                return Err(Error::InvalidJwtId {
                    expected: expected.clone(),
                });
            }
        }
        if let Some(max_age) = self.max_age {
            let iat = iat.ok_or_else(|| Error::MissingClaim {
                claim: Arc::from("iat"),
                for_max_age: true,
            })?;
            let max_age_at = iat.saturating_add(max_age);
            if now >= max_age_at.saturating_add(self.leeway) {
                return Err(Error::MaxAgeExceeded { max_age_at });
            }
        }
        Ok(())
    }
}

fn date(found: Date, name: &'static str) -> Result<Option<u64>, Error> {
    match found {
        Date::Absent => Ok(None),
        Date::At(at) => Ok(Some(at)),
        Date::Invalid => Err(Error::InvalidClaim { claim: name }),
    }
}

fn text<'s>(found: &'s Text<'_>, name: &'static str) -> Result<Option<&'s str>, Error> {
    match found {
        Text::Absent => Ok(None),
        Text::Is(s) => Ok(Some(s)),
        Text::Invalid => Err(Error::InvalidClaim { claim: name }),
    }
}

fn media_type_eq(a: &str, b: &str) -> bool {
    fn bare(s: &str) -> &str {
        match s.get(..12) {
            Some(prefix) if prefix.eq_ignore_ascii_case("application/") => {
                s.get(12..).unwrap_or("")
            }
            _ => s,
        }
    }
    bare(a).eq_ignore_ascii_case(bare(b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const NOW: u64 = 1_700_000_000;

    fn check(v: &Validation, claims: serde_json::Value) -> Result<(), Error> {
        check_with(v, &Header::new(Algorithm::HS256), claims)
    }

    fn check_with(
        v: &Validation,
        header: &Header<'_>,
        claims: serde_json::Value,
    ) -> Result<(), Error> {
        let json = claims.to_string();
        let scanned = crate::scan::scan(json.as_bytes(), &v.audiences, &v.required);
        v.check(header, &scanned.unwrap_or_else(|e| panic!("{e:?}")), NOW)
    }

    #[test]
    fn time_checks_with_leeway() {
        let v = Validation::new().leeway(10);
        assert_eq!(check(&v, json!({"exp": NOW + 1})), Ok(()));
        assert_eq!(check(&v, json!({"exp": NOW - 9})), Ok(()));
        assert_eq!(
            check(&v, json!({"exp": NOW - 10})),
            Err(Error::Expired {
                expired_at: NOW - 10
            })
        );
        assert_eq!(check(&v, json!({"exp": NOW + 1, "nbf": NOW + 10})), Ok(()));
        assert_eq!(
            check(&v, json!({"exp": NOW + 100, "nbf": NOW + 11})),
            Err(Error::NotActive {
                not_before: NOW + 11
            })
        );
        assert_eq!(check(&v, json!({"exp": u64::MAX})), Ok(()));
        let strict = Validation::new().leeway(0);
        assert!(check(&strict, json!({"exp": NOW})).is_err());
        assert_eq!(check(&strict, json!({"exp": NOW as f64 + 0.5})), Ok(()));
        let lax = Validation::new().leeway(u64::MAX);
        assert_eq!(check(&lax, json!({"exp": 1, "nbf": u64::MAX})), Ok(()));
    }

    /// One rule for every NumericDate (`exp`, `nbf`, `iat`): any number, saturated to `0..2^64`,
    /// compared as Node's `jsonwebtoken` compares it.
    #[test]
    fn out_of_range_dates_saturate() {
        let v = Validation::new().leeway(60).max_age(3600);
        let at = |exp: serde_json::Value, nbf: serde_json::Value, iat: serde_json::Value| {
            check(&v, json!({"exp": exp, "nbf": nbf, "iat": iat})).map_err(|e| e.to_string())
        };
        let ok = Ok(());
        // Far-future `exp` (2^63-1, 2^64-1, 2^64 and beyond) never expires.
        for exp in [
            json!(i64::MAX),
            json!(u64::MAX),
            json!(1.8446744073709552e19),
            json!(1e300),
        ] {
            assert_eq!(at(exp.clone(), json!(0), json!(NOW)), ok, "{exp}");
        }
        // Negative or tiny `exp` has expired, fractional or not.
        for exp in [
            json!(-1),
            json!(i64::MIN),
            json!(-0.5),
            json!(-1e300),
            json!(0.25),
        ] {
            assert_eq!(
                at(exp.clone(), json!(0), json!(NOW)),
                Err("jwt expired".into()),
                "{exp}"
            );
        }
        // Far-future `nbf` is never active; a negative one always is.
        for nbf in [json!(u64::MAX), json!(1e300)] {
            assert_eq!(
                at(json!(NOW + 10), nbf, json!(NOW)),
                Err("jwt not active".into())
            );
        }
        for nbf in [json!(-1), json!(-1e300), json!(i64::MIN)] {
            assert_eq!(at(json!(NOW + 10), nbf, json!(NOW)), ok);
        }
        // `iat` far ahead never reaches the maximum age; before the epoch it is long past it.
        assert_eq!(at(json!(NOW + 10), json!(0), json!(1e300)), ok);
        assert_eq!(at(json!(NOW + 10), json!(0), json!(u64::MAX)), ok);
        for iat in [json!(-1), json!(-1e300)] {
            assert_eq!(
                at(json!(NOW + 10), json!(0), iat),
                Err("maxAge exceeded".into())
            );
        }
        // The leeway applies to the saturated values as to any other.
        assert_eq!(
            at(json!(NOW as f64 - 59.5), json!(NOW + 60), json!(NOW - 3659)),
            ok
        );
        assert_eq!(
            at(json!(NOW - 60), json!(0), json!(NOW)),
            Err("jwt expired".into())
        );
        assert_eq!(
            at(json!(NOW + 10), json!(NOW as f64 + 60.5), json!(NOW)),
            Err("jwt not active".into())
        );
    }

    #[test]
    fn wrong_types_are_refused() {
        let v = Validation::new().required_claims::<&str>([]);
        for (claims, claim) in [
            (json!({"exp": "1700000100"}), "exp"),
            (json!({"exp": null}), "exp"),
            (json!({"nbf": "0"}), "nbf"),
            (json!({"nbf": true}), "nbf"),
            (json!({"iat": [1]}), "iat"),
            (json!({"aud": 5}), "aud"),
            (json!({"aud": ["a", null]}), "aud"),
            (json!({"aud": {"a": 1}}), "aud"),
            (json!({"iss": 1}), "iss"),
            (json!({"sub": null}), "sub"),
            (json!({"jti": false}), "jti"),
        ] {
            assert_eq!(
                check(&v, claims.clone()),
                Err(Error::InvalidClaim { claim }),
                "{claims}"
            );
        }
    }

    #[test]
    fn registered_claim_matches() {
        let v = Validation::new()
            .required_claims::<&str>([])
            .audiences(["a", "b"])
            .issuers(["i1", "i2"])
            .subject("s")
            .jwt_id("j");
        let ok = json!({"aud": ["x", "b"], "iss": "i2", "sub": "s", "jti": "j"});
        assert_eq!(check(&v, ok), Ok(()));
        let err = check(&v, json!({"aud": "c", "iss": "i1", "sub": "s", "jti": "j"}));
        assert_eq!(
            err.map_err(|e| e.to_string()),
            Err("jwt audience invalid. expected: a or b".into())
        );
        let err = check(&v, json!({"aud": "a", "sub": "s", "jti": "j"}));
        assert_eq!(
            err.map_err(|e| e.to_string()),
            Err("jwt issuer invalid. expected: i1,i2".into())
        );
        let err = check(&v, json!({"aud": "a", "iss": "i1", "sub": "S", "jti": "j"}));
        assert_eq!(
            err.map_err(|e| e.to_string()),
            Err("jwt subject invalid. expected: s".into())
        );
        let err = check(&v, json!({"aud": "a", "iss": "i1", "sub": "s"}));
        assert_eq!(
            err.map_err(|e| e.to_string()),
            Err("jwt jwtid invalid. expected: j".into())
        );
        let err = check(&v, json!({"aud": [], "iss": "i1", "sub": "s", "jti": "j"}));
        assert_eq!(err.map_err(|e| e.code()), Err("invalid_audience"));
    }

    #[test]
    fn required_and_max_age() {
        let v = Validation::new();
        assert_eq!(
            check(&v, json!({})).map_err(|e| e.to_string()),
            Err("jwt exp required".into())
        );
        let v = Validation::new()
            .required_claims(["sub"])
            .max_age(60)
            .leeway(0);
        assert_eq!(check(&v, json!({"sub": "x", "iat": NOW - 59})), Ok(()));
        assert_eq!(
            check(&v, json!({"sub": "x", "iat": NOW - 60})),
            Err(Error::MaxAgeExceeded { max_age_at: NOW })
        );
        assert_eq!(
            check(&v, json!({"sub": "x"})).map_err(|e| e.to_string()),
            Err("iat required when maxAge is specified".into())
        );
    }

    #[test]
    fn typ_compare() {
        assert!(media_type_eq("JWT", "jwt"));
        assert!(media_type_eq("application/at+jwt", "AT+JWT"));
        assert!(!media_type_eq("at+jwt", "jwt"));
        let v = Validation::new().required_claims::<&str>([]).typ("at+jwt");
        let header = Header::new(Algorithm::HS256).with_typ(Some("application/AT+JWT"));
        assert_eq!(check_with(&v, &header, json!({})), Ok(()));
        let header = Header::new(Algorithm::HS256);
        assert_eq!(
            check_with(&v, &header, json!({})).map_err(|e| e.code()),
            Err("invalid_type")
        );
    }
}
