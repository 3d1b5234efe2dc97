//! The JWS algorithms this crate implements (RFC 7518, RFC 8037), and sets of them.

use std::fmt;

/// A JWS signature algorithm. Names are compared exactly, as RFC 7515 §4.1.1 requires:
/// `none`, `None`, `ES512`, `RS1` and anything else are not algorithms of this crate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Algorithm {
    /// HMAC with SHA-256.
    HS256,
    /// HMAC with SHA-384.
    HS384,
    /// HMAC with SHA-512.
    HS512,
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    RS256,
    /// RSASSA-PKCS1-v1_5 with SHA-384.
    RS384,
    /// RSASSA-PKCS1-v1_5 with SHA-512.
    RS512,
    /// RSASSA-PSS with SHA-256 (MGF1 SHA-256, 32-byte salt).
    PS256,
    /// RSASSA-PSS with SHA-384 (MGF1 SHA-384, 48-byte salt).
    PS384,
    /// RSASSA-PSS with SHA-512 (MGF1 SHA-512, 64-byte salt).
    PS512,
    /// ECDSA on P-256 with SHA-256, fixed-size `r || s` signature.
    ES256,
    /// ECDSA on P-384 with SHA-384, fixed-size `r || s` signature.
    ES384,
    /// Ed25519 (RFC 8037).
    EdDSA,
}

impl Algorithm {
    /// Every algorithm, in a fixed order.
    pub const ALL: [Algorithm; 12] = [
        Algorithm::HS256,
        Algorithm::HS384,
        Algorithm::HS512,
        Algorithm::RS256,
        Algorithm::RS384,
        Algorithm::RS512,
        Algorithm::PS256,
        Algorithm::PS384,
        Algorithm::PS512,
        Algorithm::ES256,
        Algorithm::ES384,
        Algorithm::EdDSA,
    ];

    /// The algorithm with this exact JWA name, if this crate implements it.
    pub fn from_name(name: &str) -> Option<Algorithm> {
        Some(match name {
            "HS256" => Algorithm::HS256,
            "HS384" => Algorithm::HS384,
            "HS512" => Algorithm::HS512,
            "RS256" => Algorithm::RS256,
            "RS384" => Algorithm::RS384,
            "RS512" => Algorithm::RS512,
            "PS256" => Algorithm::PS256,
            "PS384" => Algorithm::PS384,
            "PS512" => Algorithm::PS512,
            "ES256" => Algorithm::ES256,
            "ES384" => Algorithm::ES384,
            "EdDSA" => Algorithm::EdDSA,
            _ => return None,
        })
    }

    /// The JWA name (`"HS256"`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::HS256 => "HS256",
            Algorithm::HS384 => "HS384",
            Algorithm::HS512 => "HS512",
            Algorithm::RS256 => "RS256",
            Algorithm::RS384 => "RS384",
            Algorithm::RS512 => "RS512",
            Algorithm::PS256 => "PS256",
            Algorithm::PS384 => "PS384",
            Algorithm::PS512 => "PS512",
            Algorithm::ES256 => "ES256",
            Algorithm::ES384 => "ES384",
            Algorithm::EdDSA => "EdDSA",
        }
    }

    /// True for the HMAC algorithms.
    pub fn is_hmac(self) -> bool {
        matches!(self, Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512)
    }

    /// True for the RSA algorithms (PKCS#1 v1.5 and PSS).
    pub fn is_rsa(self) -> bool {
        matches!(
            self,
            Algorithm::RS256
                | Algorithm::RS384
                | Algorithm::RS512
                | Algorithm::PS256
                | Algorithm::PS384
                | Algorithm::PS512
        )
    }

    pub(crate) fn bit(self) -> u16 {
        1 << (self as u16)
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A set of algorithms (a bit set; copying it is free).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct AlgorithmSet(u16);

impl AlgorithmSet {
    /// No algorithm.
    pub const fn empty() -> Self {
        AlgorithmSet(0)
    }

    /// Every algorithm of this crate.
    pub fn all() -> Self {
        Algorithm::ALL.into_iter().collect()
    }

    /// Does the set contain `alg`?
    pub fn contains(self, alg: Algorithm) -> bool {
        self.0 & alg.bit() != 0
    }

    /// The set with `alg` added.
    #[must_use]
    pub fn with(self, alg: Algorithm) -> Self {
        AlgorithmSet(self.0 | alg.bit())
    }

    /// Algorithms in both sets.
    #[must_use]
    pub fn intersect(self, other: AlgorithmSet) -> Self {
        AlgorithmSet(self.0 & other.0)
    }

    /// True when no algorithm is in the set.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The algorithms in the set, in [`Algorithm::ALL`] order.
    pub fn iter(self) -> impl Iterator<Item = Algorithm> {
        Algorithm::ALL
            .into_iter()
            .filter(move |a| self.contains(*a))
    }
}

impl FromIterator<Algorithm> for AlgorithmSet {
    fn from_iter<I: IntoIterator<Item = Algorithm>>(iter: I) -> Self {
        iter.into_iter()
            .fold(AlgorithmSet::empty(), AlgorithmSet::with)
    }
}

impl From<Algorithm> for AlgorithmSet {
    fn from(alg: Algorithm) -> Self {
        AlgorithmSet::empty().with(alg)
    }
}

impl<const N: usize> From<[Algorithm; N]> for AlgorithmSet {
    fn from(algs: [Algorithm; N]) -> Self {
        algs.into_iter().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_case_sensitive() {
        for alg in Algorithm::ALL {
            assert_eq!(Algorithm::from_name(alg.name()), Some(alg));
            assert_eq!(Algorithm::from_name(&alg.name().to_lowercase()), None);
        }
        for bad in [
            "none", "None", "NONE", "ES512", "RS1", "HS1", "", "hs256", "EDDSA", "Ed25519",
        ] {
            assert_eq!(Algorithm::from_name(bad), None, "{bad}");
        }
    }

    #[test]
    fn set_operations() {
        let set = AlgorithmSet::from([Algorithm::HS256, Algorithm::ES256]);
        assert!(set.contains(Algorithm::HS256));
        assert!(!set.contains(Algorithm::RS256));
        assert_eq!(set.iter().count(), 2);
        assert_eq!(AlgorithmSet::all().iter().count(), 12);
        assert!(set.intersect(Algorithm::RS256.into()).is_empty());
    }
}
