//! JWT (compact JWS) verification and signing on `ring`, hardened against the known attacks.
//!
//! Pure: no I/O, no clock. The time (`now`, seconds since the epoch) and randomness (for
//! signing) are parameters, so tests run on a fixed clock.
//!
//! # Verifying
//!
//! ```
//! use jwt_auth::{Claims, Header, Key, SigningKey, Validation, Verifier, Algorithm, SystemRandom};
//!
//! let secret = b"a shared secret of at least 32 bytes!";
//! let now = 1_700_000_000;
//!
//! // Somebody signs a token...
//! let claims = Claims::new().with("sub", "alice").with("exp", now + 3600).with("aud", "chat");
//! let token = jwt_auth::sign(&Header::new(Algorithm::HS256), &claims,
//!                            &SigningKey::hmac(secret)?, &SystemRandom::new())?;
//!
//! // ...and the server verifies it: key, rules, token, time.
//! let verifier = Verifier::new(Key::hmac(secret)?, Validation::new().audience("chat"));
//! let verified = verifier.verify(&token, now)?;
//! assert_eq!(verified.sub(), Some("alice"));
//! assert_eq!(verified.expires_at(), Some(now + 3600));
//! // Refused from `exp` plus the leeway (default 30 s) on: a session's deadline.
//! assert_eq!(verified.valid_until(), Some(now + 3600 + 30));
//!
//! // Errors carry Node jsonwebtoken's message, a stable code, and whose fault it was.
//! let err = verifier.verify(&token, now + 7200).unwrap_err();
//! assert_eq!(err.to_string(), "jwt expired");
//! assert_eq!(err.code(), "token_expired");
//! assert_eq!(err.fault(), jwt_auth::Fault::Client);
//! # Ok::<(), jwt_auth::Error>(())
//! ```
//!
//! The steps a token goes through are listed on [`Verifier`]'s module; in short: size and
//! shape, header (strict JSON; `crit`, `b64: false` and nested tokens refused; `jwk`, `jku`,
//! `x5u`, `x5c` never read), `alg` (implemented and allowed; `none` never), the key (typed and
//! pinned, chosen by configuration or by `kid`, never by the token's `alg`), the signature, then
//! the claims (strict JSON: no duplicate names, bounded depth; typed registered claims; time
//! checks with a leeway that saturates instead of overflowing).
//!
//! # Keys
//!
//! - [`Key`]: HMAC secrets (bytes, base64), RSA/EC/Ed25519 public keys from PEM (SPKI, PKCS#1),
//!   DER or JWK. RSA under 2048 bits, HMAC secrets under 32 bytes, and ROCA moduli are refused.
//! - [`KeySet`]: a JWKS, looked up by `kid`.
//! - [`KeyResolver`]: your own lookup, seeing the header and your context (rotation, tenants).
//! - [`SigningKey`]: secrets and private keys (PKCS#8/PKCS#1 PEM or DER, JWK) for [`sign`].
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod algorithm;
mod base64url;
mod claims;
mod der;
mod error;
mod header;
mod json;
mod jwk;
mod key;
mod key_set;
mod pem;
mod resolver;
mod roca;
mod scan;
mod sign;
mod signing_key;
mod validation;
mod verified;
mod verifier;

pub use algorithm::{Algorithm, AlgorithmSet};
pub use claims::Claims;
pub use error::{Error, Fault, KeyRejected, Malformed};
pub use header::Header;
pub use json::MAX_DEPTH;
pub use key::{Key, MIN_RSA_BITS};
pub use key_set::KeySet;
pub use resolver::KeyResolver;
pub use ring::rand::{SecureRandom, SystemRandom};
pub use sign::{sign, sign_bytes};
pub use signing_key::SigningKey;
pub use validation::{Validation, DEFAULT_LEEWAY, DEFAULT_MAX_TOKEN_LEN};
pub use verified::Verified;
pub use verifier::Verifier;
