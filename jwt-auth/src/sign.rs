//! Making compact JWS/JWT tokens.

use ring::rand::SecureRandom;
use serde::Serialize;

use crate::base64url;
use crate::error::Error;
use crate::header::Header;
use crate::signing_key::SigningKey;

/// Signs `claims` (any serialisable value, normally a JSON object such as [`crate::Claims`])
/// under `header` with `key`, which must be able to sign `header.alg`.
pub fn sign(
    header: &Header<'_>,
    claims: &impl Serialize,
    key: &SigningKey,
    rng: &dyn SecureRandom,
) -> Result<String, Error> {
    let payload = serde_json::to_vec(claims).map_err(|e| Error::ClaimsShape {
        detail: e.to_string(),
    })?;
    sign_bytes(header, &payload, key, rng)
}

/// Signs an arbitrary payload as a compact JWS.
pub fn sign_bytes(
    header: &Header<'_>,
    payload: &[u8],
    key: &SigningKey,
    rng: &dyn SecureRandom,
) -> Result<String, Error> {
    let header_json = header.to_json()?;
    let mut token = String::with_capacity((header_json.len() + payload.len()) * 4 / 3 + 700);
    base64url::encode_to(&header_json, &mut token);
    token.push('.');
    base64url::encode_to(payload, &mut token);
    let signature = key.sign_raw(header.alg, token.as_bytes(), rng)?;
    token.push('.');
    base64url::encode_to(&signature, &mut token);
    Ok(token)
}
