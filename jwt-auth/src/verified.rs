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
}

impl<C> Verified<C> {
    pub(crate) fn new(content: C, algorithm: Algorithm) -> Self {
        Verified { content, algorithm }
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
        Ok(Verified::new(self.content.deserialize()?, self.algorithm))
    }

    /// `exp`, if the token has one: when a connection authenticated by it must end.
    pub fn expires_at(&self) -> Option<u64> {
        self.content.exp()
    }
}

impl<C> Deref for Verified<C> {
    type Target = C;

    fn deref(&self) -> &C {
        &self.content
    }
}
