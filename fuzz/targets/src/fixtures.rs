//! The fixed keys and clock of the JWT targets (test keys, never used for anything else).

use jwt_auth::{Key, KeySet, SigningKey, SystemRandom, Validation, Verifier};

/// The HMAC secret of the HS* key (kid `hs`).
pub const HMAC_SECRET: &[u8] = b"fuzz-targets: a shared secret of 32+ bytes";
/// The Ed25519 private key (kid `ed`).
pub const ED25519_PKCS8: &str = include_str!("../keys/ed25519.pkcs8.pem");
/// The P-256 private key (kid `ec`).
pub const P256_PKCS8: &str = include_str!("../keys/p256.pkcs8.pem");
/// The RSA 2048 private key (kid `rsa`).
pub const RSA2048_PKCS8: &str = include_str!("../keys/rsa2048.pkcs8.pem");
/// The time at which tokens are verified (seconds since the epoch).
pub const NOW: u64 = 1_700_000_000;

/// The signing keys: HMAC first, then Ed25519, P-256 and RSA.
pub fn signing_keys() -> Vec<SigningKey> {
    let rng = SystemRandom::new();
    let mut keys = Vec::new();
    if let Ok(k) = SigningKey::hmac(HMAC_SECRET) {
        keys.push(k.with_kid("hs"));
    }
    for (pem, kid) in [
        (ED25519_PKCS8, "ed"),
        (P256_PKCS8, "ec"),
        (RSA2048_PKCS8, "rsa"),
    ] {
        match SigningKey::from_pem(pem, &rng) {
            Ok(k) => keys.push(k.with_kid(kid)),
            Err(e) => panic!("fixture key {kid} does not load: {e}"),
        }
    }
    keys
}

/// A verifier with the HMAC key alone.
pub fn hmac_verifier() -> Verifier {
    match Key::hmac(HMAC_SECRET) {
        Ok(key) => Verifier::new(key.with_kid("hs"), Validation::new()),
        Err(e) => panic!("fixture HMAC key refused: {e}"),
    }
}

/// A verifier with the public keys (Ed25519, P-256, RSA) as a key set looked up by `kid`.
pub fn public_verifier(signing: &[SigningKey]) -> Verifier {
    let public = signing
        .iter()
        .filter(|k| k.kid() != Some("hs"))
        .map(SigningKey::verifying_key);
    match KeySet::new(public) {
        Ok(set) => Verifier::with_key_set(set, Validation::new()),
        Err(e) => panic!("fixture key set refused: {e}"),
    }
}

/// An HS256 token for `sub` that expires at `exp`, signed with [`HMAC_SECRET`].
pub fn hs256_token(sub: &str, exp: u64) -> String {
    let claims = jwt_auth::Claims::new().with("sub", sub).with("exp", exp);
    let header = jwt_auth::Header::new(jwt_auth::Algorithm::HS256);
    match SigningKey::hmac(HMAC_SECRET)
        .and_then(|key| jwt_auth::sign(&header, &claims, &key, &SystemRandom::new()))
    {
        Ok(token) => token,
        Err(e) => panic!("fixture token not signed: {e}"),
    }
}
