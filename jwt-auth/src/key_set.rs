//! A set of verification keys, usually from a JWKS document (RFC 7517 §5), looked up by `kid`.

use std::sync::Arc;

use serde_json::Value;

use crate::error::{Error, KeyRejected};
use crate::header::Header;
use crate::jwk;
use crate::key::Key;

/// Verification keys looked up by the token's `kid`.
///
/// Refused as a whole: two usable keys with one `kid`, HMAC secrets mixed with public keys, a
/// broken or weak key (malformed, small RSA, short secret, `alg` that does not fit), or no usable
/// key at all. Skipped (and listed by [`KeySet::skipped`]): keys for other uses (`use` not `sig`,
/// `key_ops` without `verify`) and key types, curves or algorithms this crate does not implement,
/// so a provider's JWKS that also carries encryption or P-521 keys still loads.
#[derive(Debug, Clone)]
pub struct KeySet {
    keys: Vec<Arc<Key>>,
    skipped: Vec<(Option<String>, KeyRejected)>,
}

impl KeySet {
    /// A set from keys you built.
    pub fn new(keys: impl IntoIterator<Item = Key>) -> Result<KeySet, Error> {
        KeySet::checked(keys.into_iter().map(Arc::new).collect(), Vec::new())
    }

    /// A set from a JWKS document: `{"keys": [JWK, ...]}`.
    pub fn from_jwks(json: &str) -> Result<KeySet, Error> {
        let doc = jwk::parse(json.as_bytes())?;
        let Some(Value::Array(entries)) = doc.get("keys") else {
            return Err(KeyRejected::Jwk("no keys array").into());
        };
        let mut keys = Vec::new();
        let mut skipped = Vec::new();
        for entry in entries {
            let Value::Object(jwk) = entry else {
                return Err(KeyRejected::Jwk("a key is not an object").into());
            };
            match jwk::public_key(jwk) {
                Ok(key) => keys.push(Arc::new(key)),
                Err(
                    reason @ (KeyRejected::WrongUse
                    | KeyRejected::WrongKeyOps
                    | KeyRejected::UnsupportedKeyType
                    | KeyRejected::UnsupportedCurve
                    | KeyRejected::UnsupportedAlgorithm(_)),
                ) => {
                    let kid = jwk::text(jwk, "kid").ok().flatten().map(str::to_owned);
                    skipped.push((kid, reason));
                }
                Err(reason) => return Err(reason.into()),
            }
        }
        KeySet::checked(keys, skipped)
    }

    fn checked(
        keys: Vec<Arc<Key>>,
        skipped: Vec<(Option<String>, KeyRejected)>,
    ) -> Result<KeySet, Error> {
        if keys.is_empty() {
            return Err(KeyRejected::NoUsableKeys.into());
        }
        let symmetric = keys.iter().filter(|k| k.is_symmetric()).count();
        if symmetric != 0 && symmetric != keys.len() {
            return Err(KeyRejected::MixedKeySet.into());
        }
        for (i, key) in keys.iter().enumerate() {
            if let Some(kid) = key.kid() {
                if keys
                    .iter()
                    .skip(i + 1)
                    .any(|other| other.kid() == Some(kid))
                {
                    return Err(KeyRejected::DuplicateKid(kid.to_owned()).into());
                }
            }
        }
        Ok(KeySet { keys, skipped })
    }

    /// The key for this header: the one with its `kid`; without a `kid`, the only key that
    /// verifies its `alg`. No key of the set can verify that `alg` at all (an HS256 token against
    /// RSA keys, say): [`Error::InvalidAlgorithm`], as Node's `jsonwebtoken` says. An unknown `kid`
    /// or several candidates: [`Error::KeyNotFound`].
    pub fn find(&self, header: &Header<'_>) -> Result<Arc<Key>, Error> {
        match header.kid() {
            Some(kid) => self.get(kid).cloned().ok_or(Error::KeyNotFound),
            None => {
                let mut candidates = self.keys.iter().filter(|k| k.allows(header.alg));
                match (candidates.next(), candidates.next()) {
                    (Some(only), None) => Ok(only.clone()),
                    (None, _) if !self.keys.is_empty() => Err(Error::InvalidAlgorithm),
                    _ => Err(Error::KeyNotFound),
                }
            }
        }
    }

    /// The key with this `kid`.
    pub fn get(&self, kid: &str) -> Option<&Arc<Key>> {
        self.keys.iter().find(|k| k.kid() == Some(kid))
    }

    /// The usable keys.
    pub fn keys(&self) -> &[Arc<Key>] {
        &self.keys
    }

    /// The keys left out (their `kid`, and why).
    pub fn skipped(&self) -> &[(Option<String>, KeyRejected)] {
        &self.skipped
    }
}
