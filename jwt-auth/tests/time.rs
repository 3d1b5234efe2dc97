//! Time as Node's `jsonwebtoken` judges it: the leeway is its `clockTolerance` on `exp`, `nbf`
//! and the maximum age; any number is a NumericDate (out of range, it saturates); and
//! `Verified::valid_until` is `exp + leeway`, the deadline a connection should keep.
#![allow(clippy::unwrap_used)]

mod common;

use jwt_auth::{Algorithm, Claims, Header, Key, SigningKey, SystemRandom, Validation, Verifier};
use serde_json::{json, Value};

use common::NOW;

const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";

fn token(claims: Value) -> String {
    let claims: Claims = serde_json::from_value(claims).unwrap();
    jwt_auth::sign(
        &Header::new(Algorithm::HS256),
        &claims,
        &SigningKey::hmac(SECRET).unwrap(),
        &SystemRandom::new(),
    )
    .unwrap()
}

fn verifier(validation: Validation) -> Verifier {
    Verifier::new(Key::hmac(SECRET).unwrap(), validation)
}

fn message(result: Result<jwt_auth::Verified<Claims>, jwt_auth::Error>) -> Result<(), String> {
    result.map(|_| ()).map_err(|e| e.to_string())
}

#[test]
fn leeway_is_clock_tolerance() {
    let v = verifier(Validation::new().leeway(60));
    // 10 s past `exp`: accepted, as jsonwebtoken with clockTolerance 60 accepts it; refused from
    // exp + 60 on (`now >= exp + clockTolerance`).
    let t = token(json!({"sub": "a", "exp": NOW - 10}));
    let verified = v.verify(&t, NOW).unwrap();
    assert_eq!(verified.expires_at(), Some(NOW - 10));
    assert_eq!(verified.valid_until(), Some(NOW + 50));
    assert!(v.verify(&t, NOW + 49).is_ok());
    assert_eq!(message(v.verify(&t, NOW + 50)), Err("jwt expired".into()));
    // `nbf` up to 60 s ahead is active (`nbf > now + clockTolerance` is not).
    let early = token(json!({"exp": NOW + 600, "nbf": NOW + 60}));
    assert!(v.verify(&early, NOW).is_ok());
    assert_eq!(
        message(v.verify(&early, NOW - 1)),
        Err("jwt not active".into())
    );
    // `iat` in the future is not checked (jsonwebtoken neither); with a maximum age, the leeway
    // extends it (`now >= iat + maxAge + clockTolerance` is exceeded).
    let v = verifier(Validation::new().leeway(60).max_age(100));
    let issued = token(json!({"exp": NOW + 600, "iat": NOW - 159}));
    assert!(v.verify(&issued, NOW).is_ok());
    assert_eq!(
        message(v.verify(&issued, NOW + 1)),
        Err("maxAge exceeded".into())
    );
    let ahead = token(json!({"exp": NOW + 600, "iat": NOW + 3600}));
    assert!(v.verify(&ahead, NOW).is_ok());
}

#[test]
fn valid_until_follows_the_validation() {
    let t = token(json!({"exp": NOW + 10}));
    let default = verifier(Validation::new()).verify(&t, NOW).unwrap();
    assert_eq!(
        default.valid_until(),
        Some(NOW + 10 + jwt_auth::DEFAULT_LEEWAY)
    );
    // It survives turning the claims into the caller's type.
    #[derive(serde::Deserialize)]
    struct Mine {
        #[allow(dead_code)]
        exp: u64,
    }
    let mine = default.deserialize::<Mine>().unwrap();
    assert_eq!(mine.valid_until(), default.valid_until());
    // Expiry not checked, no `exp`, or a bare JWS: no deadline.
    let unchecked = verifier(Validation::new().check_exp(false));
    assert_eq!(unchecked.verify(&t, NOW).unwrap().valid_until(), None);
    let no_exp = token(json!({"sub": "a"}));
    let lax = verifier(Validation::new().required_claims::<&str>([]));
    assert_eq!(lax.verify(&no_exp, NOW).unwrap().valid_until(), None);
    assert_eq!(lax.verify_jws(&t, &()).unwrap().valid_until(), None);
}

#[test]
fn out_of_range_numeric_dates_saturate() {
    let v = verifier(Validation::new().leeway(60));
    // Far-future `exp` never expires, whichever way it is written; valid_until saturates.
    for exp in [
        json!(i64::MAX),
        json!(u64::MAX),
        json!(1.8446744073709552e19),
        json!(1e300),
    ] {
        let verified = v.verify(&token(json!({ "exp": exp })), NOW).unwrap();
        assert!(verified.valid_until() >= Some(i64::MAX as u64), "{exp}");
        assert!(
            v.verify(&token(json!({ "exp": exp })), 1 << 62).is_ok(),
            "{exp}"
        );
    }
    assert_eq!(
        v.verify(&token(json!({ "exp": u64::MAX })), NOW)
            .unwrap()
            .valid_until(),
        Some(u64::MAX)
    );
    // Negative and fractional dates are numbers too.
    for exp in [json!(-1), json!(-1e300), json!(0.5)] {
        assert_eq!(
            message(v.verify(&token(json!({ "exp": exp })), NOW)),
            Err("jwt expired".into()),
            "{exp}"
        );
    }
    for nbf in [json!(u64::MAX), json!(1e300)] {
        assert_eq!(
            message(v.verify(&token(json!({"exp": NOW + 10, "nbf": nbf})), NOW)),
            Err("jwt not active".into())
        );
    }
    for nbf in [json!(-1), json!(-1e300)] {
        assert!(v
            .verify(&token(json!({"exp": NOW + 10, "nbf": nbf})), NOW)
            .is_ok());
    }
    // The same rule for `iat` under a maximum age.
    let aged = verifier(Validation::new().max_age(60));
    assert!(aged
        .verify(&token(json!({"exp": NOW + 10, "iat": 1e300})), NOW)
        .is_ok());
    assert_eq!(
        message(aged.verify(&token(json!({"exp": NOW + 10, "iat": -1})), NOW)),
        Err("maxAge exceeded".into())
    );
    // Not numbers: refused by name.
    assert_eq!(
        message(v.verify(&token(json!({"exp": "1e300"})), NOW)),
        Err("invalid exp value".into())
    );
    assert_eq!(
        message(v.verify(&token(json!({"exp": NOW + 10, "iat": null})), NOW)),
        Err("invalid iat value".into())
    );
}
