//! Key formats (PEM SPKI/PKCS#1/PKCS#8/SEC1, JWK, JWKS), key sets and resolvers.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::{Arc, RwLock};

use jwt_auth::{
    Algorithm, Claims, Error, Fault, Header, Key, KeyRejected, KeySet, SigningKey, SystemRandom,
    Validation, Verifier,
};

use common::{key_file, public_key, signing_key, NOW};

fn claims() -> Claims {
    Claims::new().with("sub", "alice").with("exp", NOW + 60)
}

fn signed(key: &SigningKey, alg: Algorithm) -> String {
    let mut header = Header::new(alg);
    if let Some(kid) = key.kid() {
        header = header.with_kid(kid.to_owned());
    }
    jwt_auth::sign(&header, &claims(), key, &SystemRandom::new()).unwrap()
}

#[test]
fn pem_formats_pair_up() {
    for (private, public, alg) in [
        ("rsa2048.pkcs8.pem", "rsa2048.spki.pem", Algorithm::RS256),
        (
            "rsa2048.pkcs1.pem",
            "rsa2048.pkcs1.pub.pem",
            Algorithm::PS384,
        ),
        ("p256.pkcs8.pem", "p256.spki.pem", Algorithm::ES256),
        ("p256.sec1.pem", "p256.spki.pem", Algorithm::ES256),
        ("p384.pkcs8.pem", "p384.spki.pem", Algorithm::ES384),
        ("ed25519.pkcs8.pem", "ed25519.spki.pem", Algorithm::EdDSA),
    ] {
        let key = signing_key(private);
        let token = signed(&key, alg);
        // sec1 and its spki are different keys (generated separately): only check the pairs.
        if private != "p256.sec1.pem" {
            let verified = Verifier::new(public_key(public), Validation::new()).verify(&token, NOW);
            assert_eq!(
                verified.map(|v| v.algorithm()),
                Ok(alg),
                "{private} / {public}"
            );
        }
        assert!(
            Verifier::new(key.verifying_key(), Validation::new())
                .verify(&token, NOW)
                .is_ok(),
            "{private}"
        );
    }
}

#[test]
fn unsupported_and_broken_keys_say_why() {
    let p521 = Key::from_pem(&key_file("p521.spki.pem")).unwrap_err();
    assert_eq!(p521, Error::InvalidKey(KeyRejected::UnsupportedCurve));
    assert_eq!(p521.fault(), Fault::Server);
    assert_eq!(
        Key::from_pem("hello").unwrap_err(),
        Error::InvalidKey(KeyRejected::Pem)
    );
    // A private PEM is not a public key.
    assert_eq!(
        Key::from_pem(&key_file("p256.pkcs8.pem")).unwrap_err(),
        Error::InvalidKey(KeyRejected::Pem)
    );
    // Truncated DER.
    let pem = key_file("rsa2048.spki.pem");
    let truncated = pem.replace("AQAB", "");
    assert!(Key::from_pem(&truncated).is_err());
    // A key signs only its own algorithms.
    let ec = signing_key("p256.pkcs8.pem");
    assert_eq!(
        ec.sign_raw(Algorithm::ES384, b"x", &SystemRandom::new())
            .unwrap_err(),
        Error::InvalidKey(KeyRejected::AlgorithmMismatch)
    );
    assert!(jwt_auth::sign(
        &Header::new(Algorithm::HS256),
        &claims(),
        &ec,
        &SystemRandom::new()
    )
    .is_err());
}

const JWKS: &str = r#"{"keys":[
  {"kty":"EC","kid":"ec-1","use":"sig","alg":"ES256","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"},
  {"kty":"EC","kid":"enc-1","use":"enc","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"},
  {"kty":"EC","kid":"p521","crv":"P-521","x":"AHKZLLOsCOzz5cY97ewNUajB957y-C-U88c3v13nmGZx6sYl_oJXu9A5RkTKqjqvjyekWF-7ytDyRXYgCF5cj0Kt","y":"AdymlHvOiLxXkEhayXQnNCvDX4h9htZaCJN34kfmC6pV5OhQHiraVySsUdaQkAgDPrwQrJmbnX9cwlGfP-HqHZR1"},
  {"kty":"OKP","kid":"ed-1","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}
]}"#;

#[test]
fn jwks_loads_usable_keys_and_lists_the_rest() {
    let set = KeySet::from_jwks(JWKS).unwrap();
    assert_eq!(set.keys().len(), 2);
    let skipped: Vec<_> = set
        .skipped()
        .iter()
        .map(|(kid, why)| (kid.as_deref(), why.clone()))
        .collect();
    assert_eq!(
        skipped,
        [
            (Some("enc-1"), KeyRejected::WrongUse),
            (Some("p521"), KeyRejected::UnsupportedCurve)
        ]
    );
    let private = SigningKey::from_jwk(
        r#"{"kty":"EC","kid":"ec-1","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0","d":"jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI"}"#,
        &SystemRandom::new(),
    )
    .unwrap();
    let verifier = Verifier::with_key_set(set, Validation::new());
    assert!(verifier
        .verify(&signed(&private, Algorithm::ES256), NOW)
        .is_ok());
    // A weak key refuses the whole document; so does a set with nothing usable.
    let weak = JWKS.replace(
        r#""x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo""#,
        r#""x":"11qY""#,
    );
    assert!(KeySet::from_jwks(&weak).is_err());
    assert_eq!(
        KeySet::from_jwks(r#"{"keys":[{"kty":"EC","use":"enc","crv":"P-256","x":"","y":""}]}"#)
            .unwrap_err(),
        Error::InvalidKey(KeyRejected::NoUsableKeys)
    );
    assert!(KeySet::from_jwks(r#"{"keys":{}}"#).is_err());
    assert!(KeySet::from_jwks(r#"{"keys":[],"keys":[]}"#).is_err());
}

#[test]
fn resolver_rotates_keys_and_sees_context() {
    struct Request {
        tenant: &'static str,
    }
    let old = SigningKey::hmac([1u8; 32]).unwrap().with_kid("2024");
    let new = SigningKey::hmac([2u8; 32]).unwrap().with_kid("2025");
    let store = Arc::new(RwLock::new(KeySet::new([old.verifying_key()]).unwrap()));
    let lookup = store.clone();
    let verifier = Verifier::with_resolver(
        move |header: &Header<'_>, request: &Request| {
            if request.tenant != "acme" {
                return Err(Error::KeyUnavailable {
                    detail: format!("no keys for tenant {}", request.tenant),
                });
            }
            lookup
                .read()
                .map_err(|_| Error::KeyUnavailable {
                    detail: "poisoned".into(),
                })?
                .find(header)
        },
        Validation::new(),
    );
    let acme = Request { tenant: "acme" };
    assert!(verifier
        .verify_with(&signed(&old, Algorithm::HS256), NOW, &acme)
        .is_ok());
    assert_eq!(
        verifier
            .verify_with(&signed(&new, Algorithm::HS256), NOW, &acme)
            .unwrap_err(),
        Error::KeyNotFound
    );
    // Rotate: publish both keys.
    *store.write().unwrap() = KeySet::new([old.verifying_key(), new.verifying_key()]).unwrap();
    assert!(verifier
        .verify_with(&signed(&new, Algorithm::HS256), NOW, &acme)
        .is_ok());
    let err = verifier
        .verify_with(
            &signed(&new, Algorithm::HS256),
            NOW,
            &Request { tenant: "other" },
        )
        .unwrap_err();
    assert_eq!(
        (err.code(), err.fault()),
        ("key_unavailable", Fault::Server)
    );
    // A resolver that returns a key of the wrong kind does not get the token through.
    let wrong = Verifier::with_resolver(
        |_: &Header<'_>, _: &()| Ok(Arc::new(public_key("p256.spki.pem"))),
        Validation::new(),
    );
    assert_eq!(
        wrong
            .verify_with(&signed(&new, Algorithm::HS256), NOW, &())
            .unwrap_err(),
        Error::InvalidAlgorithm
    );
    // Context-free verifiers can be used where a context is passed.
    let plain = Verifier::new(new.verifying_key(), Validation::new()).with_context::<Request>();
    assert!(plain
        .verify_with(&signed(&new, Algorithm::HS256), NOW, &acme)
        .is_ok());
}

#[test]
fn verified_claims_deserialize_into_the_callers_type() {
    #[derive(serde::Deserialize, Debug, PartialEq)]
    struct Session {
        sub: String,
        exp: u64,
    }
    let key = SigningKey::hmac([3u8; 32]).unwrap();
    let verified = Verifier::new(key.verifying_key(), Validation::new())
        .verify(&signed(&key, Algorithm::HS256), NOW)
        .unwrap();
    let session = verified.deserialize::<Session>().unwrap();
    assert_eq!(
        session.claims(),
        &Session {
            sub: "alice".into(),
            exp: NOW + 60
        }
    );
    assert_eq!(session.algorithm(), Algorithm::HS256);
    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct NeedsRole {
        role: String,
    }
    assert_eq!(
        verified.deserialize::<NeedsRole>().unwrap_err().code(),
        "invalid_claims"
    );
}

#[test]
fn key_set_without_a_key_for_the_alg_says_invalid_algorithm() {
    // An HS256 token (no kid) against a set of public keys: algorithm confusion, refused with
    // Node's `invalid algorithm` rather than a missing key.
    let set = KeySet::new([public_key("rsa2048.spki.pem"), public_key("p256.spki.pem")]).unwrap();
    let verifier = Verifier::with_key_set(set, Validation::new());
    let hmac = SigningKey::hmac([9u8; 32]).unwrap();
    let err = verifier
        .verify(&signed(&hmac, Algorithm::HS256), NOW)
        .unwrap_err();
    assert_eq!(err, Error::InvalidAlgorithm);
    assert_eq!(err.to_string(), "invalid algorithm");
    // A kid that is not in the set is still a missing key.
    let with_kid = SigningKey::hmac([9u8; 32]).unwrap().with_kid("nope");
    assert_eq!(
        verifier
            .verify(&signed(&with_kid, Algorithm::HS256), NOW)
            .unwrap_err(),
        Error::KeyNotFound
    );
}
