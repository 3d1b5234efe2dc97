//! Property tests: sign-then-verify round-trips for every algorithm, any single changed byte is
//! refused, and arbitrary input never panics.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::OnceLock;

use jwt_auth::{Algorithm, Claims, Header, SigningKey, SystemRandom, Validation, Verifier};
use proptest::prelude::*;

use common::{signing_key, NOW};

fn keys() -> &'static [(Algorithm, SigningKey)] {
    static KEYS: OnceLock<Vec<(Algorithm, SigningKey)>> = OnceLock::new();
    KEYS.get_or_init(|| {
        let hmac = || SigningKey::hmac([7u8; 64]).unwrap();
        vec![
            (Algorithm::HS256, hmac()),
            (Algorithm::HS384, hmac()),
            (Algorithm::HS512, hmac()),
            (Algorithm::RS256, signing_key("rsa2048.pkcs8.pem")),
            (Algorithm::RS384, signing_key("rsa2048.pkcs1.pem")),
            (Algorithm::RS512, signing_key("rsa2048.pkcs8.pem")),
            (Algorithm::PS256, signing_key("rsa2048.pkcs8.pem")),
            (Algorithm::PS384, signing_key("rsa2048.pkcs8.pem")),
            (Algorithm::PS512, signing_key("rsa2048.pkcs8.pem")),
            (Algorithm::ES256, signing_key("p256.pkcs8.pem")),
            (Algorithm::ES384, signing_key("p384.pkcs8.pem")),
            (Algorithm::EdDSA, signing_key("ed25519.pkcs8.pem")),
        ]
    })
}

fn claims_strategy() -> impl Strategy<Value = Claims> {
    (
        "[a-zA-Z0-9 _.@\u{e9}\u{4e2d}\"\\\\]{0,40}",
        proptest::collection::vec("[a-z]{1,8}", 0..4),
        any::<i64>(),
        proptest::option::of(any::<bool>()),
    )
        .prop_map(|(sub, roles, n, flag)| {
            let mut claims = Claims::new()
                .with("sub", sub)
                .with("exp", NOW + 3600)
                .with("roles", roles)
                .with("n", n);
            if let Some(flag) = flag {
                claims.insert("flag", flag);
            }
            claims
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn sign_then_verify_round_trips(which in 0usize..12, claims in claims_strategy(), kid in proptest::option::of("[a-z0-9-]{1,12}")) {
        let (alg, key) = &keys()[which];
        let mut header = Header::new(*alg);
        if let Some(kid) = &kid {
            header = header.with_kid(kid.clone());
        }
        let token = jwt_auth::sign(&header, &claims, key, &SystemRandom::new()).unwrap();
        let verified = Verifier::new(key.verifying_key(), Validation::new()).verify(&token, NOW).unwrap();
        prop_assert_eq!(verified.algorithm(), *alg);
        prop_assert_eq!(verified.claims(), &claims);
    }

    #[test]
    fn any_single_changed_byte_is_refused(which in 0usize..12, position in any::<prop::sample::Index>(), replacement in 0u8..128) {
        let (alg, key) = &keys()[which];
        let claims = Claims::new().with("sub", "alice").with("exp", NOW + 3600);
        let token = jwt_auth::sign(&Header::new(*alg), &claims, key, &SystemRandom::new()).unwrap();
        let mut bytes = token.into_bytes();
        let i = position.index(bytes.len());
        prop_assume!(bytes[i] != replacement);
        bytes[i] = replacement;
        let changed = String::from_utf8(bytes).unwrap();
        let verifier = Verifier::new(key.verifying_key(), Validation::new());
        prop_assert!(verifier.verify(&changed, NOW).is_err(), "{} accepted after changing byte {}", alg, i);
    }

    #[test]
    fn arbitrary_input_never_panics(text in "[A-Za-z0-9_\\-.=+/ ]{0,300}", bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let (_, key) = &keys()[0];
        let verifier = Verifier::new(key.verifying_key(), Validation::new());
        let _ = verifier.verify(&text, NOW);
        let lossy = String::from_utf8_lossy(&bytes);
        let _ = verifier.verify(&lossy, NOW);
        // Structured garbage: three segments of base64url of random bytes.
        use base64::Engine as _;
        let b64 = |b: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b);
        let third = bytes.len() / 3;
        let shaped = format!("{}.{}.{}", b64(&bytes[..third]), b64(&bytes[third..2 * third]), b64(&bytes[2 * third..]));
        prop_assert!(verifier.verify(&shaped, NOW).is_err());
        let _ = jwt_auth::Key::from_pem(&lossy);
        let _ = jwt_auth::Key::from_jwk(&lossy);
        let _ = jwt_auth::Key::from_spki_der(&bytes);
        let _ = jwt_auth::KeySet::from_jwks(&lossy);
        let _ = SigningKey::from_pkcs8_der(&bytes, &SystemRandom::new());
    }
}
