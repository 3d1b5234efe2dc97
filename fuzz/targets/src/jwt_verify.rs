//! `jwt_verify`: tokens against a fixed key set: an HMAC secret, and Ed25519, P-256 and RSA
//! public keys looked up by `kid` (see [`fixtures`]).
//!
//! Input: one mode byte, then
//!
//! - even mode: the token text. Invariant: nothing panics, and a token is only ever accepted if
//!   its signature, checked here directly with `ring`, is one of the fixed keys' signature over
//!   its first two segments with the algorithm its header names.
//! - odd mode: key, algorithm, `kid` flag, payload, and a tampering position and mask. The
//!   payload is signed with that key and algorithm; the signed token must verify as a JWS and
//!   give back the payload; the token with one byte changed must never verify.

use crate::fixtures;
use crate::reader::Reader;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use jwt_auth::{Algorithm, Header, SigningKey, SystemRandom, Verifier};
use ring::signature::{self, KeyPair as _};
use std::sync::OnceLock;

/// The fixed keys, the verifiers built on them, and the raw public keys for the direct check.
struct Keys {
    signing: Vec<SigningKey>,
    hmac: Verifier,
    public: Verifier,
    ed25519: Vec<u8>,
    p256: Vec<u8>,
    rsa: Vec<u8>,
}

fn keys() -> &'static Keys {
    static KEYS: OnceLock<Keys> = OnceLock::new();
    KEYS.get_or_init(|| {
        let signing = fixtures::signing_keys();
        let rng = SystemRandom::new();
        let ed25519 = signature::Ed25519KeyPair::from_pkcs8_maybe_unchecked(&pem_der(
            fixtures::ED25519_PKCS8,
        ))
        .map(|k| k.public_key().as_ref().to_vec());
        let p256 = signature::EcdsaKeyPair::from_pkcs8(
            &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
            &pem_der(fixtures::P256_PKCS8),
            &rng,
        )
        .map(|k| k.public_key().as_ref().to_vec());
        let rsa = signature::RsaKeyPair::from_pkcs8(&pem_der(fixtures::RSA2048_PKCS8))
            .map(|k| k.public().as_ref().to_vec());
        let (Ok(ed25519), Ok(p256), Ok(rsa)) = (ed25519, p256, rsa) else {
            panic!("ring refuses a fixture key");
        };
        Keys {
            hmac: fixtures::hmac_verifier(),
            public: fixtures::public_verifier(&signing),
            signing,
            ed25519,
            p256,
            rsa,
        }
    })
}

/// The DER inside a PEM document.
fn pem_der(pem: &str) -> Vec<u8> {
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    STANDARD.decode(body).unwrap_or_default()
}

/// Runs one input.
pub fn run(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    if mode % 2 == 0 {
        if let Ok(token) = std::str::from_utf8(rest) {
            verify_any(token);
        }
    } else {
        sign_and_tamper(&mut Reader::new(rest));
    }
}

/// Verifies `token` every way; checks each acceptance directly. Returns whether one accepted.
fn verify_any(token: &str) -> bool {
    let keys = keys();
    let mut accepted = false;
    for verifier in [&keys.hmac, &keys.public] {
        if let Ok(verified) = verifier.verify(token, fixtures::NOW) {
            assert_signed(token, verified.algorithm());
            if let Some(exp) = verified.expires_at() {
                assert!(
                    exp.saturating_add(jwt_auth::DEFAULT_LEEWAY) >= fixtures::NOW,
                    "accepted a token that expired at {exp}"
                );
            }
            accepted = true;
        }
        if let Ok(verified) = verifier.verify_jws(token, &()) {
            assert_signed(token, verified.algorithm());
            accepted = true;
        }
    }
    accepted
}

/// Panics unless `token` carries a signature by one of the fixed keys with `alg`, which must be
/// the algorithm its header names.
fn assert_signed(token: &str, alg: Algorithm) {
    let mut parts = token.rsplitn(2, '.');
    let (Some(signature_b64), Some(signed)) = (parts.next(), parts.next()) else {
        panic!("accepted a token without three segments: {token:?}");
    };
    let header = signed
        .split('.')
        .next()
        .and_then(|h| URL_SAFE_NO_PAD.decode(h).ok())
        .and_then(|h| serde_json::from_slice::<serde_json::Value>(&h).ok());
    let named = header
        .as_ref()
        .and_then(|h| h.get("alg"))
        .and_then(serde_json::Value::as_str);
    assert_eq!(
        named,
        Some(alg.name()),
        "accepted with {alg:?}, header says {named:?}"
    );
    let Ok(sig) = URL_SAFE_NO_PAD.decode(signature_b64) else {
        panic!("accepted a signature that is not strict base64url: {signature_b64:?}");
    };
    assert!(
        signed_by_fixture(alg, signed.as_bytes(), &sig),
        "accepted a token that no fixed key signed: {token:?}"
    );
}

fn signed_by_fixture(alg: Algorithm, message: &[u8], sig: &[u8]) -> bool {
    use ring::hmac;
    let keys = keys();
    let public = |algorithm: &'static dyn signature::VerificationAlgorithm, key: &[u8]| {
        signature::UnparsedPublicKey::new(algorithm, key)
            .verify(message, sig)
            .is_ok()
    };
    let mac = |algorithm: hmac::Algorithm| {
        hmac::verify(
            &hmac::Key::new(algorithm, fixtures::HMAC_SECRET),
            message,
            sig,
        )
        .is_ok()
    };
    match alg {
        Algorithm::HS256 => mac(hmac::HMAC_SHA256),
        Algorithm::HS384 => mac(hmac::HMAC_SHA384),
        Algorithm::HS512 => mac(hmac::HMAC_SHA512),
        Algorithm::RS256 => public(&signature::RSA_PKCS1_2048_8192_SHA256, &keys.rsa),
        Algorithm::RS384 => public(&signature::RSA_PKCS1_2048_8192_SHA384, &keys.rsa),
        Algorithm::RS512 => public(&signature::RSA_PKCS1_2048_8192_SHA512, &keys.rsa),
        Algorithm::PS256 => public(&signature::RSA_PSS_2048_8192_SHA256, &keys.rsa),
        Algorithm::PS384 => public(&signature::RSA_PSS_2048_8192_SHA384, &keys.rsa),
        Algorithm::PS512 => public(&signature::RSA_PSS_2048_8192_SHA512, &keys.rsa),
        Algorithm::ES256 => public(&signature::ECDSA_P256_SHA256_FIXED, &keys.p256),
        Algorithm::EdDSA => public(&signature::ED25519, &keys.ed25519),
        // No fixed key is a P-384 key.
        Algorithm::ES384 => false,
    }
}

fn sign_and_tamper(r: &mut Reader<'_>) {
    let keys = keys();
    let Some(key) = r.choose(&keys.signing) else {
        return;
    };
    let algorithms: Vec<Algorithm> = key.algorithms().iter().collect();
    let Some(&alg) = r.choose(&algorithms) else {
        panic!("fixture key {:?} signs nothing", key.kid());
    };
    let with_kid = r.bool();
    let payload = r.bytes();
    let position = usize::from(r.u16());
    let mask = r.u8();

    let header = match (with_kid, key.kid()) {
        (true, Some(kid)) => Header::new(alg).with_kid(kid),
        _ => Header::new(alg),
    };
    let token = match jwt_auth::sign_bytes(&header, payload, key, &SystemRandom::new()) {
        Ok(token) => token,
        Err(e) => panic!("signing with {alg:?} failed: {e}"),
    };
    let verifier = if alg.is_hmac() {
        &keys.hmac
    } else {
        &keys.public
    };
    // Without a kid, a key set still finds the one key for the algorithm (RSA has six, but
    // they all belong to one key).
    match verifier.verify_jws(&token, &()) {
        Ok(verified) => {
            assert_eq!(verified.algorithm(), alg);
            assert_eq!(verified.claims().as_slice(), payload, "payload changed");
        }
        Err(e) => panic!(
            "a token signed with {alg:?} by {:?} was refused: {e}",
            key.kid()
        ),
    }
    verify_any(&token);

    if mask == 0 || token.is_empty() {
        return;
    }
    let mut tampered = token.clone().into_bytes();
    if let Some(b) = tampered.get_mut(position % token.len()) {
        *b ^= mask;
    }
    if let Ok(tampered) = String::from_utf8(tampered) {
        assert!(
            !verify_any(&tampered),
            "a token with one byte changed still verifies: {tampered:?} (signed: {token:?})"
        );
    }
}
