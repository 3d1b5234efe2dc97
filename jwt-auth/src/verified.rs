//! The proof of verification: only the verifier can make one.

use std::ops::Deref;

use serde::de::DeserializeOwned;

use crate::algorithm::Algorithm;
use crate::claims::Claims;
use crate::error::Error;

/// Content whose signature and claims were verified. The fields are private, so holding a
/// `Verified` proves a [`crate::Verifier`] accepted the token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified<C> {
    content: C,
    algorithm: Algorithm,
    /// See [`Verified::valid_until`].
    valid_until: Option<u64>,
}

impl<C> Verified<C> {
    pub(crate) fn new(content: C, algorithm: Algorithm, valid_until: Option<u64>) -> Self {
        Verified {
            content,
            algorithm,
            valid_until,
        }
    }

    /// The verified content.
    pub fn claims(&self) -> &C {
        &self.content
    }

    /// The verified content, owned.
    pub fn into_claims(self) -> C {
        self.content
    }

    /// The algorithm the signature was made with.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }
}

impl Verified<Claims> {
    /// The claims as the caller's own type, still carrying the proof.
    pub fn deserialize<T: DeserializeOwned>(&self) -> Result<Verified<T>, Error> {
        Ok(Verified::new(
            self.content.deserialize()?,
            self.algorithm,
            self.valid_until,
        ))
    }

    /// The token's own `exp` (seconds since the epoch), if it has one.
    pub fn expires_at(&self) -> Option<u64> {
        self.content.exp()
    }
}

impl<C> Verified<C> {
    /// The first second (since the epoch) at which the verifier would refuse this token as
    /// expired: `exp` plus the leeway (saturating), as Node's `jsonwebtoken` refuses it once
    /// `now >= exp + clockTolerance`. This is when a connection authenticated by the token should
    /// end. `None` when there is no `exp`, when the validation does not check it, or for a bare
    /// JWS.
    pub fn valid_until(&self) -> Option<u64> {
        self.valid_until
    }
}

impl<C> Deref for Verified<C> {
    type Target = C;

    fn deref(&self) -> &C {
        &self.content
    }
}
