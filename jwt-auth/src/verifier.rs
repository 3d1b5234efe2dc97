//! Verifying a compact JWS/JWT. The order is fixed and cheap checks come first:
//!
//! 1. empty? length limit? exactly three segments?
//! 2. header: canonical base64url, strict JSON object, no `crit`, no `b64: false`, no `cty: JWT`
//! 3. empty signature: `jwt signature is required` (this is where `alg: none` tokens end)
//! 4. `alg`: implemented (`none` in any case is not), allowed by the validation
//! 5. key: the one key, the key set entry for `kid`, or the resolver's answer; it must verify `alg`
//! 6. signature and payload: canonical base64url; the signature verified by ring (a signature of
//!    base64url characters that does not decode, e.g. a truncated one, is `invalid signature`,
//!    as in Node)
//! 7. only now is the payload parsed: one strict pass (an object, no repeated names, bounded
//!    depth) that also picks out the registered claims, then the claim checks
//!
//! Decoding uses stack buffers and the pass borrows the payload, so a typical token costs one
//! allocation: the verified JSON text kept in [`Claims`].

use std::sync::Arc;

use crate::base64url;
use crate::claims::Claims;
use crate::error::{Error, Malformed};
use crate::header::{Header, RawHeader};
use crate::json::JsonError;
use crate::key::Key;
use crate::key_set::KeySet;
use crate::resolver::KeyResolver;
use crate::scan::{scan, Date};
use crate::validation::Validation;
use crate::verified::Verified;

/// Verifies tokens with one key, a key set, or a resolver, and a [`Validation`].
///
/// `Ctx` is what a resolver gets to see besides the header (e.g. the HTTP request); it is `()`
/// for verifiers built from a key or key set.
pub struct Verifier<Ctx: ?Sized = ()> {
    keys: Keys<Ctx>,
    validation: Validation,
}

enum Keys<Ctx: ?Sized> {
    One(Arc<Key>),
    Set(KeySet),
    Resolver(Box<dyn KeyResolver<Ctx>>),
}

/// Lets a context-free resolver serve a verifier that has a context.
struct IgnoreContext(Box<dyn KeyResolver<()>>);

impl<Ctx: ?Sized> KeyResolver<Ctx> for IgnoreContext {
    fn resolve(&self, header: &Header<'_>, _ctx: &Ctx) -> Result<Arc<Key>, Error> {
        self.0.resolve(header, &())
    }
}

impl Verifier<()> {
    /// A verifier with a single key.
    pub fn new(key: Key, validation: Validation) -> Self {
        Verifier {
            keys: Keys::One(Arc::new(key)),
            validation,
        }
    }

    /// A verifier with a key set (tokens are matched by `kid`).
    pub fn with_key_set(keys: KeySet, validation: Validation) -> Self {
        Verifier {
            keys: Keys::Set(keys),
            validation,
        }
    }

    /// The same verifier, for callers that pass a context (ignored by its keys).
    pub fn with_context<C: ?Sized>(self) -> Verifier<C> {
        let keys = match self.keys {
            Keys::One(key) => Keys::One(key),
            Keys::Set(set) => Keys::Set(set),
            Keys::Resolver(resolver) => Keys::Resolver(Box::new(IgnoreContext(resolver))),
        };
        Verifier {
            keys,
            validation: self.validation,
        }
    }

    /// Verifies a JWT at time `now` (seconds since the epoch).
    pub fn verify(&self, token: &str, now: u64) -> Result<Verified<Claims>, Error> {
        self.verify_with(token, now, &())
    }
}

impl<Ctx: ?Sized> Verifier<Ctx> {
    /// A verifier that asks `resolver` for each token's key.
    pub fn with_resolver(
        resolver: impl KeyResolver<Ctx> + 'static,
        validation: Validation,
    ) -> Self {
        Verifier {
            keys: Keys::Resolver(Box::new(resolver)),
            validation,
        }
    }

    /// The validation in force.
    pub fn validation(&self) -> &Validation {
        &self.validation
    }

    /// Verifies a JWT at time `now` (seconds since the epoch); `ctx` goes to the resolver.
    pub fn verify_with(&self, token: &str, now: u64, ctx: &Ctx) -> Result<Verified<Claims>, Error> {
        self.verify_inner(token, ctx, |header, payload| {
            let validation = &self.validation;
            let scanned =
                scan(payload, &validation.audiences, &validation.required).map_err(|e| {
                    Error::malformed(match e {
                        JsonError::Duplicate => Malformed::DuplicateKey,
                        JsonError::TooDeep => Malformed::TooDeep,
                        JsonError::NotObject | JsonError::Syntax => Malformed::Claims,
                    })
                })?;
            validation.check(header, &scanned, now)?;
            let json =
                std::str::from_utf8(payload).map_err(|_| Error::malformed(Malformed::Claims))?;
            let exp = match scanned.exp {
                Date::At(exp) => Some(exp),
                Date::Absent | Date::Invalid => None,
            };
            Ok((
                Claims::from_verified_json(json.into()),
                validation.valid_until(exp),
            ))
        })
    }

    /// Verifies only the header and signature of a compact JWS and returns its payload bytes.
    /// No claim is looked at: for JWS whose payload is not a JWT claims set.
    pub fn verify_jws(&self, token: &str, ctx: &Ctx) -> Result<Verified<Vec<u8>>, Error> {
        self.verify_inner(token, ctx, |_, payload| Ok((payload.to_vec(), None)))
    }

    fn verify_inner<R>(
        &self,
        token: &str,
        ctx: &Ctx,
        accept: impl FnOnce(&Header<'_>, &[u8]) -> Result<(R, Option<u64>), Error>,
    ) -> Result<Verified<R>, Error> {
        if token.is_empty() {
            return Err(Error::MissingToken);
        }
        if token.len() > self.validation.max_token_len {
            return Err(Error::malformed(Malformed::TooLong));
        }
        let mut segments = token.split('.');
        let (Some(header_b64), Some(payload_b64), Some(signature_b64), None) = (
            segments.next(),
            segments.next(),
            segments.next(),
            segments.next(),
        ) else {
            return Err(Error::malformed(Malformed::SegmentCount));
        };

        let mut header_stack = [0u8; 1024];
        let mut header_heap = Vec::new();
        let header_bytes = decode(header_b64, &mut header_stack, &mut header_heap)?;
        let raw = RawHeader::parse(header_bytes)?;
        if signature_b64.is_empty() {
            return Err(Error::SignatureRequired);
        }
        let header = raw.into_header()?;
        let alg = header.alg;
        if !self.validation.allows(alg) {
            return Err(Error::InvalidAlgorithm);
        }

        let key = self.key_for(&header, ctx)?;
        if !key.allows(alg) {
            return Err(Error::InvalidAlgorithm);
        }

        let mut signature_stack = [0u8; 512];
        let mut signature_heap = Vec::new();
        let signature = decode(signature_b64, &mut signature_stack, &mut signature_heap).map_err(
            |malformed| {
                // Node's jws compares HMAC tags as base64url text and decodes RSA signatures
                // leniently, so a signature that is only truncated (an impossible length) or
                // non-canonical is `invalid signature` there, as it is here; only a character
                // outside the alphabet makes the token unparseable.
                if signature_b64.bytes().all(is_base64url_char) {
                    Error::InvalidSignature
                } else {
                    malformed
                }
            },
        )?;
        let mut payload_stack = [0u8; 2048];
        let mut payload_heap = Vec::new();
        let payload = decode(payload_b64, &mut payload_stack, &mut payload_heap)?;

        let signed_len = header_b64.len() + 1 + payload_b64.len();
        let message = token
            .as_bytes()
            .get(..signed_len)
            .ok_or(Error::malformed(Malformed::SegmentCount))?;
        key.verify_raw(alg, message, signature)?;

        let (content, valid_until) = accept(&header, payload)?;
        Ok(Verified::new(content, alg, valid_until))
    }

    fn key_for(&self, header: &Header<'_>, ctx: &Ctx) -> Result<Arc<Key>, Error> {
        match &self.keys {
            Keys::One(key) => Ok(key.clone()),
            Keys::Set(set) => set.find(header),
            Keys::Resolver(resolver) => resolver.resolve(header, ctx),
        }
    }
}

fn decode<'b>(
    segment: &str,
    stack: &'b mut [u8],
    heap: &'b mut Vec<u8>,
) -> Result<&'b [u8], Error> {
    base64url::decode_into(segment.as_bytes(), stack, heap)
        .map_err(|()| Error::malformed(Malformed::Base64))
}

fn is_base64url_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'-' || c == b'_'
}

impl<Ctx: ?Sized> std::fmt::Debug for Verifier<Ctx> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let keys = match &self.keys {
            Keys::One(key) => format!("{key:?}"),
            Keys::Set(set) => format!("{} keys", set.keys().len()),
            Keys::Resolver(_) => "resolver".to_owned(),
        };
        f.debug_struct("Verifier")
            .field("keys", &keys)
            .field("validation", &self.validation)
            .finish()
    }
}
