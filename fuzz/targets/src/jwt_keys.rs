//! `jwt_keys`: key parsing: PEM, DER (SPKI, PKCS#1, PKCS#8), JWK, JWKS, base64 HMAC secrets.
//!
//! Input: one byte choosing the parser, then the key text or bytes.
//!
//! Invariants: nothing panics; a parsed key verifies at least one algorithm, `allows` agrees with
//! `algorithms`, a symmetric key allows only HMAC, and no empty or all-zero signature ever
//! verifies; a key set is non-empty, not mixed and has unique `kid`s; a signing key signs exactly
//! its algorithms, and its verifying key accepts those signatures and refuses them over another
//! message.

use jwt_auth::{Algorithm, Key, KeySet, SigningKey, SystemRandom};

const MESSAGE: &[u8] = b"eyJhbGciOiJub25lIn0.eyJzdWIiOiJmdXp6In0";

/// Runs one input.
pub fn run(data: &[u8]) {
    let Some((&selector, input)) = data.split_first() else {
        return;
    };
    let text = std::str::from_utf8(input);
    let rng = SystemRandom::new();
    match (selector % 9, text) {
        (0, Ok(text)) => check_key(Key::from_pem(text).ok()),
        (1, _) => check_key(Key::from_spki_der(input).ok()),
        (2, _) => check_key(Key::from_pkcs1_der(input).ok()),
        (3, Ok(text)) => check_key(Key::from_jwk(text).ok()),
        (4, Ok(text)) => {
            if let Ok(set) = KeySet::from_jwks(text) {
                check_set(&set);
            }
        }
        (5, Ok(text)) => check_signing(SigningKey::from_pem(text, &rng).ok()),
        (6, _) => check_signing(SigningKey::from_pkcs8_der(input, &rng).ok()),
        (7, Ok(text)) => check_signing(SigningKey::from_jwk(text, &rng).ok()),
        (8, Ok(text)) => check_key(Key::hmac_base64(text).ok()),
        _ => {}
    }
}

fn check_key(key: Option<Key>) {
    let Some(key) = key else {
        return;
    };
    let algorithms = key.algorithms();
    assert!(!algorithms.is_empty(), "a key that verifies nothing");
    for alg in Algorithm::ALL {
        assert_eq!(key.allows(alg), algorithms.contains(alg), "allows({alg:?})");
        if key.is_symmetric() {
            assert!(!key.allows(alg) || alg.is_hmac(), "a secret allows {alg:?}");
        }
        for sig in [&[][..], &[0u8; 64][..], &[0u8; 256][..]] {
            assert!(
                key.verify_raw(alg, MESSAGE, sig).is_err(),
                "a {}-byte zero signature verifies with {alg:?}",
                sig.len()
            );
        }
    }
}

fn check_set(set: &KeySet) {
    let keys = set.keys();
    assert!(!keys.is_empty(), "an empty key set loaded");
    let symmetric = keys.iter().filter(|k| k.is_symmetric()).count();
    assert!(
        symmetric == 0 || symmetric == keys.len(),
        "a mixed key set loaded"
    );
    for (i, key) in keys.iter().enumerate() {
        if let Some(kid) = key.kid() {
            assert!(
                keys.iter()
                    .skip(i + 1)
                    .all(|other| other.kid() != Some(kid)),
                "kid {kid:?} twice"
            );
            assert!(set.get(kid).is_some(), "kid {kid:?} not found");
        }
        check_key(Some(Key::clone(key.as_ref())));
    }
}

fn check_signing(key: Option<SigningKey>) {
    let Some(key) = key else {
        return;
    };
    let rng = SystemRandom::new();
    let public = key.verifying_key();
    assert_eq!(
        public.algorithms(),
        key.algorithms(),
        "the verifying key's algorithms"
    );
    for alg in Algorithm::ALL {
        match key.sign_raw(alg, MESSAGE, &rng) {
            Ok(sig) => {
                assert!(
                    key.algorithms().contains(alg),
                    "signed with {alg:?}, not its own"
                );
                assert!(
                    public.verify_raw(alg, MESSAGE, &sig).is_ok(),
                    "{alg:?} round trip"
                );
                assert!(
                    public.verify_raw(alg, b"another message", &sig).is_err(),
                    "{alg:?} signature verifies another message"
                );
            }
            Err(e) => assert!(!key.algorithms().contains(alg), "cannot sign {alg:?}: {e}"),
        }
    }
}
