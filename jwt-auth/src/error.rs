//! The one error type of the crate, with a stable code, a Node-compatible message and a fault.

use std::fmt;
use std::sync::Arc;

/// Whose fault an [`Error`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Fault {
    /// The presented token is bad (the client's fault): reject it, tell the client, keep serving.
    Client,
    /// A key or the configuration is unusable (the server operator's fault): log it loudly.
    Server,
}

/// Why a token could not be parsed. [`Error::Malformed`] carries one; its `Display` is for logs,
/// while the error itself displays as Node's `jwt malformed`.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Malformed {
    /// Longer than the configured limit.
    TooLong,
    /// Not exactly three `.`-separated segments (a JWE has five; detached payloads have an empty one).
    SegmentCount,
    /// A segment is not canonical unpadded base64url.
    Base64,
    /// The header is not a JSON object of the expected shape (or not UTF-8).
    Header,
    /// The header names no `alg`, or `alg` is not a string.
    MissingAlgorithm,
    /// The claims are not a JSON object.
    Claims,
    /// A JSON object (header, claims, key) repeats a member name.
    DuplicateKey,
    /// JSON nested deeper than the limit.
    TooDeep,
    /// The header has `crit`: this crate understands no extension, so RFC 7515 §4.1.11 says reject.
    Critical,
    /// The header has `"b64": false` (RFC 7797 unencoded payload), which this crate does not support.
    UnencodedPayload,
    /// The header says `cty: JWT` (a nested token), which this crate does not unwrap.
    NestedToken,
}

impl fmt::Display for Malformed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Malformed::TooLong => "token longer than the limit",
            Malformed::SegmentCount => "not three segments",
            Malformed::Base64 => "segment is not canonical base64url",
            Malformed::Header => "header is not a valid JSON object",
            Malformed::MissingAlgorithm => "header has no string alg",
            Malformed::Claims => "claims are not a valid JSON object",
            Malformed::DuplicateKey => "duplicate JSON member name",
            Malformed::TooDeep => "JSON nested too deeply",
            Malformed::Critical => "crit header parameter present (no extension is understood)",
            Malformed::UnencodedPayload => "b64=false (unencoded payload) is not supported",
            Malformed::NestedToken => "cty JWT (nested token) is not supported",
        })
    }
}

/// Why a key (or key set) was refused. Carried by [`Error::InvalidKey`].
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum KeyRejected {
    /// Not a PEM block with a supported label.
    Pem,
    /// The DER inside is not a well-formed structure of the expected kind.
    Der,
    /// The JWK or JWKS is not valid JSON of the expected shape; says what is wrong.
    Jwk(&'static str),
    /// A JWK member is missing, not a string, or not canonical base64url of the right length.
    JwkMember(&'static str),
    /// A key type (`kty`, algorithm OID) this crate does not handle.
    UnsupportedKeyType,
    /// A curve other than P-256, P-384 or Ed25519 (P-521 and X25519 are out of reach of ring).
    UnsupportedCurve,
    /// An `alg` this crate does not implement (named).
    UnsupportedAlgorithm(String),
    /// The key's `alg` does not fit its type or curve, or the key cannot do what was asked.
    AlgorithmMismatch,
    /// An RSA modulus smaller than 2048 bits.
    RsaTooSmall {
        /// The modulus size in bits.
        bits: usize,
    },
    /// An RSA modulus larger than 8192 bits.
    RsaTooLarge,
    /// An RSA public exponent that is even, below 3, or longer than 33 bits.
    RsaExponent,
    /// An RSA modulus with the ROCA (CVE-2017-15361) fingerprint: its factors can be recovered.
    RsaRoca,
    /// An empty HMAC secret.
    HmacEmpty,
    /// An HMAC secret shorter than the hash output (RFC 7518 §3.2).
    HmacTooShort {
        /// The secret's length in bytes.
        len: usize,
        /// The minimum for the weakest algorithm asked for.
        min: usize,
    },
    /// A JWK whose `use` is not `sig`.
    WrongUse,
    /// A JWK whose `key_ops` does not allow the operation.
    WrongKeyOps,
    /// Two keys in one set share a `kid`.
    DuplicateKid(String),
    /// A key set that mixes HMAC secrets with public keys (ambiguous, and a leaked secret).
    MixedKeySet,
    /// A key set with no usable key.
    NoUsableKeys,
    /// ring refused the key material.
    Rejected(&'static str),
}

impl fmt::Display for KeyRejected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyRejected::Pem => f.write_str("not a supported PEM block"),
            KeyRejected::Der => f.write_str("malformed DER"),
            KeyRejected::Jwk(what) => write!(f, "bad JWK: {what}"),
            KeyRejected::JwkMember(name) => write!(f, "bad JWK member {name:?}"),
            KeyRejected::UnsupportedKeyType => f.write_str("unsupported key type"),
            KeyRejected::UnsupportedCurve => f.write_str("unsupported curve"),
            KeyRejected::UnsupportedAlgorithm(alg) => write!(f, "unsupported algorithm {alg:?}"),
            KeyRejected::AlgorithmMismatch => f.write_str("algorithm does not fit the key"),
            KeyRejected::RsaTooSmall { bits } => {
                write!(f, "RSA key of {bits} bits (at least 2048 required)")
            }
            KeyRejected::RsaTooLarge => f.write_str("RSA key over 8192 bits"),
            KeyRejected::RsaExponent => f.write_str("bad RSA public exponent"),
            KeyRejected::RsaRoca => f.write_str("RSA key has the ROCA fingerprint"),
            KeyRejected::HmacEmpty => f.write_str("empty HMAC secret"),
            KeyRejected::HmacTooShort { len, min } => {
                write!(f, "HMAC secret of {len} bytes (at least {min} required)")
            }
            KeyRejected::WrongUse => f.write_str("JWK use is not sig"),
            KeyRejected::WrongKeyOps => f.write_str("JWK key_ops does not allow this operation"),
            KeyRejected::DuplicateKid(kid) => write!(f, "duplicate kid {kid:?}"),
            KeyRejected::MixedKeySet => f.write_str("key set mixes HMAC secrets and public keys"),
            KeyRejected::NoUsableKeys => f.write_str("key set has no usable key"),
            KeyRejected::Rejected(why) => write!(f, "key rejected by ring: {why}"),
        }
    }
}

/// Everything that can go wrong verifying or signing.
///
/// `Display` is exactly the `message` Node's `jsonwebtoken` gives for the same case, since clients
/// already match on it; [`Error::code`] is a stable machine-readable code; [`Error::fault`] says
/// whose fault it was.
///
/// | variant | `code()` | `Display` | fault |
/// |---|---|---|---|
/// | `MissingToken` | `credentials_required` | `jwt must be provided` | client |
/// | `Malformed` | `invalid_token` | `jwt malformed` | client |
/// | `SignatureRequired` | `signature_required` | `jwt signature is required` | client |
/// | `InvalidSignature` | `invalid_signature` | `invalid signature` | client |
/// | `InvalidAlgorithm` | `invalid_algorithm` | `invalid algorithm` | client |
/// | `UnsupportedAlgorithm` | `unsupported_algorithm` | `invalid algorithm` | client |
/// | `KeyNotFound` | `key_not_found` | `secret or public key must be provided` | client |
/// | `Expired` | `token_expired` | `jwt expired` | client |
/// | `NotActive` | `token_not_active` | `jwt not active` | client |
/// | `MaxAgeExceeded` | `max_age_exceeded` | `maxAge exceeded` | client |
/// | `InvalidAudience` | `invalid_audience` | `jwt audience invalid. expected: X` | client |
/// | `InvalidIssuer` | `invalid_issuer` | `jwt issuer invalid. expected: X` | client |
/// | `InvalidSubject` | `invalid_subject` | `jwt subject invalid. expected: X` | client |
/// | `InvalidJwtId` | `invalid_jwt_id` | `jwt jwtid invalid. expected: X` | client |
/// | `InvalidType` | `invalid_type` | `jwt typ invalid. expected: X` | client |
/// | `InvalidClaim` | `invalid_claim` | `invalid exp value` (etc.) | client |
/// | `MissingClaim` | `missing_claim` | `iat required when maxAge is specified` / `jwt X required` | client |
/// | `ClaimsShape` | `invalid_claims` | `jwt payload invalid: ...` | client |
/// | `KeyUnavailable` | `key_unavailable` | `error in secret or public key callback: ...` | server |
/// | `InvalidKey` | `invalid_key` | `invalid key: ...` | server |
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// The token is empty.
    MissingToken,
    /// The token could not be parsed; the reason is for logs.
    Malformed(Malformed),
    /// The signature segment is empty (this is also what an `alg: none` token gets).
    SignatureRequired,
    /// The signature does not verify with the key.
    InvalidSignature,
    /// The `alg` is not allowed by the validation or cannot be used with the selected key
    /// (algorithm confusion lands here), or is `none`.
    InvalidAlgorithm,
    /// The `alg` is not one this crate implements (`ES512`, `RS1`, `None`, ...).
    UnsupportedAlgorithm,
    /// No configured key matches the token (an unknown `kid`).
    KeyNotFound,
    /// `exp` has passed.
    Expired {
        /// The token's `exp`, seconds since the epoch.
        expired_at: u64,
    },
    /// `nbf` is still in the future.
    NotActive {
        /// The token's `nbf`, seconds since the epoch.
        not_before: u64,
    },
    /// `iat` is older than the configured maximum age.
    MaxAgeExceeded {
        /// When the token became too old (`iat + max_age`), seconds since the epoch.
        max_age_at: u64,
    },
    /// `aud` contains none of the accepted audiences.
    InvalidAudience {
        /// The accepted audiences, joined with ` or ` as Node does.
        expected: Arc<str>,
    },
    /// `iss` is not one of the accepted issuers.
    InvalidIssuer {
        /// The accepted issuers, joined with `,` as Node does.
        expected: Arc<str>,
    },
    /// `sub` is not the expected subject.
    InvalidSubject {
        /// The expected subject.
        expected: Arc<str>,
    },
    /// `jti` is not the expected token id.
    InvalidJwtId {
        /// The expected id.
        expected: Arc<str>,
    },
    /// The header `typ` is not the required one.
    InvalidType {
        /// The required `typ`.
        expected: Arc<str>,
    },
    /// A registered claim has the wrong JSON type (a string `exp`, a number `iss`, ...).
    InvalidClaim {
        /// The claim's name.
        claim: &'static str,
    },
    /// A required claim is absent.
    MissingClaim {
        /// The claim's name.
        claim: Arc<str>,
        /// True when `iat` is missing because `max_age` is configured.
        for_max_age: bool,
    },
    /// The verified claims do not fit the caller's type (from [`crate::Verified::deserialize`]).
    ClaimsShape {
        /// serde's explanation.
        detail: String,
    },
    /// A key resolver could not reach its keys (its store or fetch failed).
    KeyUnavailable {
        /// The resolver's explanation.
        detail: String,
    },
    /// A key or key set is unusable, or a key was asked to sign with an algorithm it cannot.
    InvalidKey(KeyRejected),
}

impl Error {
    /// The stable machine-readable code (see the table on [`Error`]).
    pub fn code(&self) -> &'static str {
        match self {
            Error::MissingToken => "credentials_required",
            Error::Malformed(_) => "invalid_token",
            Error::SignatureRequired => "signature_required",
            Error::InvalidSignature => "invalid_signature",
            Error::InvalidAlgorithm => "invalid_algorithm",
            Error::UnsupportedAlgorithm => "unsupported_algorithm",
            Error::KeyNotFound => "key_not_found",
            Error::Expired { .. } => "token_expired",
            Error::NotActive { .. } => "token_not_active",
            Error::MaxAgeExceeded { .. } => "max_age_exceeded",
            Error::InvalidAudience { .. } => "invalid_audience",
            Error::InvalidIssuer { .. } => "invalid_issuer",
            Error::InvalidSubject { .. } => "invalid_subject",
            Error::InvalidJwtId { .. } => "invalid_jwt_id",
            Error::InvalidType { .. } => "invalid_type",
            Error::InvalidClaim { .. } => "invalid_claim",
            Error::MissingClaim { .. } => "missing_claim",
            Error::ClaimsShape { .. } => "invalid_claims",
            Error::KeyUnavailable { .. } => "key_unavailable",
            Error::InvalidKey(_) => "invalid_key",
        }
    }

    /// Whose fault this is: the token's (client) or the keys'/configuration's (server).
    pub fn fault(&self) -> Fault {
        match self {
            Error::KeyUnavailable { .. } | Error::InvalidKey(_) => Fault::Server,
            _ => Fault::Client,
        }
    }

    /// The Node `jsonwebtoken` error class name that carries this message
    /// (`TokenExpiredError`, `NotBeforeError` or `JsonWebTokenError`).
    pub fn node_name(&self) -> &'static str {
        match self {
            Error::Expired { .. } | Error::MaxAgeExceeded { .. } => "TokenExpiredError",
            Error::NotActive { .. } => "NotBeforeError",
            _ => "JsonWebTokenError",
        }
    }

    pub(crate) fn malformed(reason: Malformed) -> Self {
        Error::Malformed(reason)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::MissingToken => f.write_str("jwt must be provided"),
            Error::Malformed(_) => f.write_str("jwt malformed"),
            Error::SignatureRequired => f.write_str("jwt signature is required"),
            Error::InvalidSignature => f.write_str("invalid signature"),
            Error::InvalidAlgorithm | Error::UnsupportedAlgorithm => {
                f.write_str("invalid algorithm")
            }
            Error::KeyNotFound => f.write_str("secret or public key must be provided"),
            Error::Expired { .. } => f.write_str("jwt expired"),
            Error::NotActive { .. } => f.write_str("jwt not active"),
            Error::MaxAgeExceeded { .. } => f.write_str("maxAge exceeded"),
            Error::InvalidAudience { expected } => {
                write!(f, "jwt audience invalid. expected: {expected}")
            }
            Error::InvalidIssuer { expected } => {
                write!(f, "jwt issuer invalid. expected: {expected}")
            }
            Error::InvalidSubject { expected } => {
                write!(f, "jwt subject invalid. expected: {expected}")
            }
            Error::InvalidJwtId { expected } => {
                write!(f, "jwt jwtid invalid. expected: {expected}")
            }
            Error::InvalidType { expected } => write!(f, "jwt typ invalid. expected: {expected}"),
            Error::InvalidClaim { claim } => write!(f, "invalid {claim} value"),
            Error::MissingClaim {
                for_max_age: true, ..
            } => f.write_str("iat required when maxAge is specified"),
            Error::MissingClaim { claim, .. } => write!(f, "jwt {claim} required"),
            Error::ClaimsShape { detail } => write!(f, "jwt payload invalid: {detail}"),
            Error::KeyUnavailable { detail } => {
                write!(f, "error in secret or public key callback: {detail}")
            }
            Error::InvalidKey(reason) => write!(f, "invalid key: {reason}"),
        }
    }
}

impl std::error::Error for Error {}

impl From<KeyRejected> for Error {
    fn from(reason: KeyRejected) -> Self {
        Error::InvalidKey(reason)
    }
}
