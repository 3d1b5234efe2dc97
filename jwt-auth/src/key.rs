//! Verification keys. Each is typed (HMAC secret, RSA, EC P-256/P-384, Ed25519) and can only
//! verify the algorithms of its type, optionally pinned to one: a token's `alg` picks among
//! those, never the kind of key.

use std::fmt;

use ring::hmac;
use ring::signature::{self, RsaPublicKeyComponents, UnparsedPublicKey};

use crate::algorithm::{Algorithm, AlgorithmSet};
use crate::der::{self, oid, Param, Reader};
use crate::error::{Error, KeyRejected};
use crate::{jwk, pem, roca};

/// The smallest RSA modulus accepted, in bits.
pub const MIN_RSA_BITS: usize = 2048;
const MAX_RSA_BITS: usize = 8192;

/// A key that verifies signatures.
#[derive(Clone)]
pub struct Key {
    pub(crate) material: Material,
    pub(crate) kid: Option<String>,
    pub(crate) pinned: Option<Algorithm>,
}

#[derive(Clone)]
pub(crate) enum Material {
    Hmac(Box<HmacSecret>),
    Rsa(RsaPublic),
    Ec(EcPublic),
    Ed25519([u8; 32]),
}

/// An HMAC secret, with ring's precomputed keys for the algorithms its length allows.
#[derive(Clone)]
pub(crate) struct HmacSecret {
    len: usize,
    hs256: Option<hmac::Key>,
    hs384: Option<hmac::Key>,
    hs512: Option<hmac::Key>,
}

impl HmacSecret {
    /// RFC 7518 §3.2: a key at least as long as the hash output. `legacy` lowers the bar to
    /// one byte for all three (for existing deployments with short shared secrets).
    pub(crate) fn new(secret: &[u8], legacy: bool) -> Result<Box<Self>, KeyRejected> {
        let len = secret.len();
        if len == 0 {
            return Err(KeyRejected::HmacEmpty);
        }
        if !legacy && len < 32 {
            return Err(KeyRejected::HmacTooShort { len, min: 32 });
        }
        let make = |alg, min| (legacy || len >= min).then(|| hmac::Key::new(alg, secret));
        Ok(Box::new(HmacSecret {
            len,
            hs256: make(hmac::HMAC_SHA256, 32),
            hs384: make(hmac::HMAC_SHA384, 48),
            hs512: make(hmac::HMAC_SHA512, 64),
        }))
    }

    pub(crate) fn key(&self, alg: Algorithm) -> Option<&hmac::Key> {
        match alg {
            Algorithm::HS256 => self.hs256.as_ref(),
            Algorithm::HS384 => self.hs384.as_ref(),
            Algorithm::HS512 => self.hs512.as_ref(),
            _ => None,
        }
    }

    fn algorithms(&self) -> AlgorithmSet {
        [Algorithm::HS256, Algorithm::HS384, Algorithm::HS512]
            .into_iter()
            .filter(|a| self.key(*a).is_some())
            .collect()
    }

    fn min_len(alg: Algorithm) -> usize {
        match alg {
            Algorithm::HS384 => 48,
            Algorithm::HS512 => 64,
            _ => 32,
        }
    }
}

#[derive(Clone)]
pub(crate) struct RsaPublic {
    n: Box<[u8]>,
    e: Box<[u8]>,
}

impl RsaPublic {
    /// Checks size, exponent and the ROCA fingerprint; ring checks the rest on use.
    pub(crate) fn new(n: &[u8], e: &[u8]) -> Result<Self, KeyRejected> {
        let n = strip_zeros(n);
        let e = strip_zeros(e);
        let bits = bit_len(n);
        if bits < MIN_RSA_BITS {
            return Err(KeyRejected::RsaTooSmall { bits });
        }
        if bits > MAX_RSA_BITS || n.last().is_some_and(|b| b & 1 == 0) {
            return Err(KeyRejected::RsaTooLarge);
        }
        let e_bits = bit_len(e);
        if !(2..=33).contains(&e_bits) || e.last().is_some_and(|b| b & 1 == 0) {
            return Err(KeyRejected::RsaExponent);
        }
        if roca::has_fingerprint(n) {
            return Err(KeyRejected::RsaRoca);
        }
        Ok(RsaPublic {
            n: n.into(),
            e: e.into(),
        })
    }
}

/// The curves ring verifies ECDSA on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Curve {
    P256,
    P384,
}

impl Curve {
    pub(crate) fn field_len(self) -> usize {
        match self {
            Curve::P256 => 32,
            Curve::P384 => 48,
        }
    }

    pub(crate) fn algorithm(self) -> Algorithm {
        match self {
            Curve::P256 => Algorithm::ES256,
            Curve::P384 => Algorithm::ES384,
        }
    }

    pub(crate) fn from_oid(curve: &[u8]) -> Result<Curve, KeyRejected> {
        match curve {
            oid::P256 => Ok(Curve::P256),
            oid::P384 => Ok(Curve::P384),
            _ => Err(KeyRejected::UnsupportedCurve),
        }
    }
}

#[derive(Clone)]
pub(crate) struct EcPublic {
    curve: Curve,
    /// Uncompressed SEC1 point: `04 || x || y`.
    point: Box<[u8]>,
}

impl EcPublic {
    pub(crate) fn new(curve: Curve, point: &[u8]) -> Result<Self, KeyRejected> {
        // Compressed points and the point at infinity are refused; ring checks the point is on
        // the curve each time it verifies.
        if point.len() != 1 + 2 * curve.field_len() || point.first() != Some(&4) {
            return Err(KeyRejected::Rejected(
                "EC point is not an uncompressed point of the curve",
            ));
        }
        Ok(EcPublic {
            curve,
            point: point.into(),
        })
    }
}

impl Key {
    /// An HMAC secret of at least 32 bytes (RFC 7518 §3.2). HS384 needs 48 bytes and HS512 64:
    /// a shorter secret does not verify those.
    pub fn hmac(secret: impl AsRef<[u8]>) -> Result<Key, Error> {
        Ok(Key::from_material(Material::Hmac(HmacSecret::new(
            secret.as_ref(),
            false,
        )?)))
    }

    /// An HMAC secret given as base64 or base64url text (padding optional).
    pub fn hmac_base64(text: &str) -> Result<Key, Error> {
        Key::hmac(decode_config_base64(text)?)
    }

    /// An HMAC secret of any non-empty length, for HS256/384/512. Only for existing deployments
    /// whose shared secret predates you: short secrets can be brute-forced offline from a
    /// single token.
    pub fn hmac_legacy(secret: impl AsRef<[u8]>) -> Result<Key, Error> {
        Ok(Key::from_material(Material::Hmac(HmacSecret::new(
            secret.as_ref(),
            true,
        )?)))
    }

    /// An RSA public key from its modulus and exponent (big-endian). At least 2048 bits.
    pub fn rsa(n: &[u8], e: &[u8]) -> Result<Key, Error> {
        Ok(Key::from_material(Material::Rsa(RsaPublic::new(n, e)?)))
    }

    /// An Ed25519 public key (32 bytes).
    pub fn ed25519(public: &[u8]) -> Result<Key, Error> {
        let bytes: [u8; 32] = public
            .try_into()
            .map_err(|_| KeyRejected::Rejected("Ed25519 key is not 32 bytes"))?;
        Ok(Key::from_material(Material::Ed25519(bytes)))
    }

    /// A public key in PEM: `PUBLIC KEY` (SPKI: RSA, EC P-256/P-384, Ed25519) or
    /// `RSA PUBLIC KEY` (PKCS#1).
    pub fn from_pem(text: &str) -> Result<Key, Error> {
        match pem::parse(text)? {
            (pem::Label::Spki, der) => Key::from_spki_der(&der),
            (pem::Label::Pkcs1Public, der) => Key::from_pkcs1_der(&der),
            _ => Err(KeyRejected::Pem.into()),
        }
    }

    /// A DER SubjectPublicKeyInfo (RSA, EC P-256/P-384, Ed25519).
    pub fn from_spki_der(der: &[u8]) -> Result<Key, Error> {
        let mut outer = Reader::new(der);
        let mut spki = Reader::new(outer.read(der::SEQUENCE)?);
        outer.finish()?;
        let (algorithm, param) = spki.read_algorithm()?;
        let bits = spki.read_bits()?;
        spki.finish()?;
        let material = match (algorithm, param) {
            (oid::RSA, Some(Param::Null)) => return Key::from_pkcs1_der(bits),
            (oid::EC, Some(Param::Oid(curve))) => {
                Material::Ec(EcPublic::new(Curve::from_oid(curve)?, bits)?)
            }
            (oid::ED25519, None) => return Key::ed25519(bits),
            _ => return Err(KeyRejected::UnsupportedKeyType.into()),
        };
        Ok(Key::from_material(material))
    }

    /// A DER PKCS#1 RSAPublicKey.
    pub fn from_pkcs1_der(der: &[u8]) -> Result<Key, Error> {
        let mut outer = Reader::new(der);
        let mut seq = Reader::new(outer.read(der::SEQUENCE)?);
        outer.finish()?;
        let n = seq.read_unsigned()?;
        let e = seq.read_unsigned()?;
        seq.finish()?;
        Key::rsa(n, e)
    }

    /// A JWK (RFC 7517) public key: `RSA`, `EC` (P-256/P-384), `OKP` (Ed25519) or `oct`.
    /// `use` must be `sig` and `key_ops` must include `verify` when present; `alg`, when present,
    /// must fit the key and pins it.
    pub fn from_jwk(json: &str) -> Result<Key, Error> {
        Ok(jwk::public_key(&jwk::parse(json.as_bytes())?)?)
    }

    pub(crate) fn from_material(material: Material) -> Key {
        Key {
            material,
            kid: None,
            pinned: None,
        }
    }

    /// Sets the key id matched against a token's `kid`.
    #[must_use]
    pub fn with_kid(mut self, kid: impl Into<String>) -> Key {
        self.kid = Some(kid.into());
        self
    }

    /// Pins the key to one algorithm, which must fit its type (and, for HMAC, its length).
    pub fn with_algorithm(mut self, alg: Algorithm) -> Result<Key, Error> {
        if let Material::Hmac(secret) = &self.material {
            if alg.is_hmac() && secret.key(alg).is_none() {
                return Err(KeyRejected::HmacTooShort {
                    len: secret.len,
                    min: HmacSecret::min_len(alg),
                }
                .into());
            }
        }
        if !self.natural_algorithms().contains(alg) {
            return Err(KeyRejected::AlgorithmMismatch.into());
        }
        self.pinned = Some(alg);
        Ok(self)
    }

    /// The key id, if any.
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    /// The algorithms this key verifies.
    pub fn algorithms(&self) -> AlgorithmSet {
        match self.pinned {
            Some(alg) => self.natural_algorithms().intersect(alg.into()),
            None => self.natural_algorithms(),
        }
    }

    /// Can this key verify `alg`?
    pub fn allows(&self, alg: Algorithm) -> bool {
        self.algorithms().contains(alg)
    }

    /// True for HMAC secrets.
    pub fn is_symmetric(&self) -> bool {
        matches!(self.material, Material::Hmac(_))
    }

    fn natural_algorithms(&self) -> AlgorithmSet {
        match &self.material {
            Material::Hmac(secret) => secret.algorithms(),
            Material::Rsa(_) => Algorithm::ALL.into_iter().filter(|a| a.is_rsa()).collect(),
            Material::Ec(ec) => ec.curve.algorithm().into(),
            Material::Ed25519(_) => Algorithm::EdDSA.into(),
        }
    }

    /// Verifies `signature` over `message` with `alg`. HMAC tags are compared in constant time
    /// and must be full length; ECDSA signatures must be the fixed `r || s` form.
    pub fn verify_raw(
        &self,
        alg: Algorithm,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), Error> {
        if !self.allows(alg) {
            return Err(Error::InvalidAlgorithm);
        }
        let verified = match &self.material {
            Material::Hmac(secret) => match secret.key(alg) {
                Some(key) => hmac::verify(key, message, signature),
                None => return Err(Error::InvalidAlgorithm),
            },
            Material::Rsa(rsa) => {
                if signature.len() != rsa.n.len() {
                    return Err(Error::InvalidSignature);
                }
                let params: &signature::RsaParameters = match alg {
                    Algorithm::RS256 => &signature::RSA_PKCS1_2048_8192_SHA256,
                    Algorithm::RS384 => &signature::RSA_PKCS1_2048_8192_SHA384,
                    Algorithm::RS512 => &signature::RSA_PKCS1_2048_8192_SHA512,
                    Algorithm::PS256 => &signature::RSA_PSS_2048_8192_SHA256,
                    Algorithm::PS384 => &signature::RSA_PSS_2048_8192_SHA384,
                    Algorithm::PS512 => &signature::RSA_PSS_2048_8192_SHA512,
                    _ => return Err(Error::InvalidAlgorithm),
                };
                RsaPublicKeyComponents {
                    n: &rsa.n,
                    e: &rsa.e,
                }
                .verify(params, message, signature)
            }
            Material::Ec(ec) => {
                if signature.len() != 2 * ec.curve.field_len() {
                    return Err(Error::InvalidSignature);
                }
                let algorithm = match ec.curve {
                    Curve::P256 => &signature::ECDSA_P256_SHA256_FIXED,
                    Curve::P384 => &signature::ECDSA_P384_SHA384_FIXED,
                };
                UnparsedPublicKey::new(algorithm, &ec.point).verify(message, signature)
            }
            Material::Ed25519(public) => {
                if signature.len() != 64 {
                    return Err(Error::InvalidSignature);
                }
                UnparsedPublicKey::new(&signature::ED25519, public).verify(message, signature)
            }
        };
        verified.map_err(|_| Error::InvalidSignature)
    }
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match &self.material {
            Material::Hmac(_) => "HMAC secret (redacted)".to_owned(),
            Material::Rsa(rsa) => format!("RSA {} bits", bit_len(&rsa.n)),
            Material::Ec(ec) => format!("EC {:?}", ec.curve),
            Material::Ed25519(_) => "Ed25519".to_owned(),
        };
        f.debug_struct("Key")
            .field("kind", &kind)
            .field("kid", &self.kid)
            .field("pinned", &self.pinned)
            .finish()
    }
}

pub(crate) fn strip_zeros(bytes: &[u8]) -> &[u8] {
    let first = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    bytes.get(first..).unwrap_or(&[])
}

pub(crate) fn bit_len(bytes: &[u8]) -> usize {
    let bytes = strip_zeros(bytes);
    match bytes.first() {
        None => 0,
        Some(&top) => bytes.len() * 8 - top.leading_zeros() as usize,
    }
}

/// Server configuration: accept base64 or base64url, padded or not, surrounding whitespace.
pub(crate) fn decode_config_base64(text: &str) -> Result<Vec<u8>, KeyRejected> {
    let cleaned: String = text
        .trim()
        .trim_end_matches('=')
        .chars()
        .map(|c| match c {
            '+' => '-',
            '/' => '_',
            c => c,
        })
        .collect();
    crate::base64url::decode(cleaned.as_bytes())
        .map_err(|()| KeyRejected::Jwk("secret is not base64"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_lengths() {
        assert_eq!(
            Key::hmac(b"").err(),
            Some(Error::InvalidKey(KeyRejected::HmacEmpty))
        );
        assert_eq!(
            Key::hmac([1u8; 31]).err(),
            Some(Error::InvalidKey(KeyRejected::HmacTooShort {
                len: 31,
                min: 32
            }))
        );
        let k32 = Key::hmac([1u8; 32]).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(k32.algorithms(), Algorithm::HS256.into());
        assert!(k32.clone().with_algorithm(Algorithm::HS384).is_err());
        assert!(k32.clone().with_algorithm(Algorithm::RS256).is_err());
        let k64 = Key::hmac([1u8; 64]).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(k64.algorithms().iter().count(), 3);
        let pinned = k64
            .with_algorithm(Algorithm::HS512)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(pinned.algorithms(), Algorithm::HS512.into());
        let legacy = Key::hmac_legacy("secret").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(legacy.algorithms().iter().count(), 3);
        assert!(Key::hmac_legacy("").is_err());
        assert!(!format!("{legacy:?}").contains("secret\""));
    }

    #[test]
    fn hmac_base64_forms() {
        let a = Key::hmac_base64("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=");
        let b = Key::hmac_base64("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8");
        assert!(a.is_ok() && b.is_ok());
        assert!(Key::hmac_base64("not base64!").is_err());
    }

    #[test]
    fn rsa_checks() {
        let mut n = vec![0xff; 256];
        n[0] = 0x80;
        assert!(Key::rsa(&n, &[1, 0, 1]).is_ok());
        assert!(Key::rsa(&[&[0u8, 0][..], &n].concat(), &[1, 0, 1]).is_ok());
        assert_eq!(
            Key::rsa(&n[1..], &[1, 0, 1]).err(),
            Some(Error::InvalidKey(KeyRejected::RsaTooSmall { bits: 2040 }))
        );
        assert!(Key::rsa(&n, &[1]).is_err());
        assert!(Key::rsa(&n, &[2]).is_err());
        assert!(Key::rsa(&n, &[1, 0, 0, 0, 0, 1]).is_err());
        let mut even = n.clone();
        even[255] = 0xfe;
        assert!(Key::rsa(&even, &[1, 0, 1]).is_err());
    }

    #[test]
    fn bit_lengths() {
        assert_eq!(bit_len(&[]), 0);
        assert_eq!(bit_len(&[0, 1]), 1);
        assert_eq!(bit_len(&[0x80, 0]), 16);
    }
}
