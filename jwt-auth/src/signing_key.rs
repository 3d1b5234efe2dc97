//! Signing keys: HMAC secrets and private keys (PKCS#8 or PKCS#1 PEM/DER, JWK), each able to sign
//! only the algorithms of its type.

use std::fmt;

use ring::hmac;
use ring::rand::SecureRandom;
use ring::signature::{self, EcdsaKeyPair, Ed25519KeyPair, KeyPair as _, RsaKeyPair};

use crate::algorithm::{Algorithm, AlgorithmSet};
use crate::der::{self, oid, Param, Reader};
use crate::error::{Error, KeyRejected};
use crate::key::{Curve, HmacSecret, Key, Material};
use crate::{jwk, pem};

/// A key that signs. Randomness (for ECDSA and RSA-PSS, and ring's blinding) is a parameter.
pub struct SigningKey {
    material: SigningMaterial,
    /// The matching verification key, kept to answer [`SigningKey::verifying_key`] cheaply.
    public: Key,
}

pub(crate) enum SigningMaterial {
    Hmac(Box<HmacSecret>),
    Rsa(RsaKeyPair),
    Ec(Curve, EcdsaKeyPair),
    Ed25519(Ed25519KeyPair),
}

impl SigningKey {
    /// An HMAC secret of at least 32 bytes (see [`Key::hmac`]).
    pub fn hmac(secret: impl AsRef<[u8]>) -> Result<SigningKey, Error> {
        Ok(SigningKey::from_material(SigningMaterial::Hmac(
            HmacSecret::new(secret.as_ref(), false)?,
        ))?)
    }

    /// An HMAC secret of any non-empty length (see [`Key::hmac_legacy`]).
    pub fn hmac_legacy(secret: impl AsRef<[u8]>) -> Result<SigningKey, Error> {
        Ok(SigningKey::from_material(SigningMaterial::Hmac(
            HmacSecret::new(secret.as_ref(), true)?,
        ))?)
    }

    /// A private key in PEM: `PRIVATE KEY` (PKCS#8: RSA, EC P-256/P-384, Ed25519),
    /// `RSA PRIVATE KEY` (PKCS#1) or `EC PRIVATE KEY` (SEC1).
    pub fn from_pem(text: &str, rng: &dyn SecureRandom) -> Result<SigningKey, Error> {
        match pem::parse(text)? {
            (pem::Label::Pkcs8, der) => SigningKey::from_pkcs8_der(&der, rng),
            (pem::Label::Pkcs1Private, der) => {
                let pair = RsaKeyPair::from_der(&der).map_err(|_| KeyRejected::Der)?;
                Ok(SigningKey::from_material(SigningMaterial::Rsa(pair))?)
            }
            (pem::Label::Sec1, der) => {
                let (_, pkcs8) = der::sec1_to_pkcs8(&der)?;
                SigningKey::from_pkcs8_der(&pkcs8, rng)
            }
            _ => Err(KeyRejected::Pem.into()),
        }
    }

    /// A DER PKCS#8 private key (RSA, EC P-256/P-384, Ed25519).
    pub fn from_pkcs8_der(der: &[u8], rng: &dyn SecureRandom) -> Result<SigningKey, Error> {
        let mut outer = Reader::new(der);
        let mut info = Reader::new(outer.read(der::SEQUENCE)?);
        outer.finish()?;
        info.read_unsigned()?; // version 0 or 1; ring checks it
        let (algorithm, param) = info.read_algorithm()?;
        let refused = |_| KeyRejected::Rejected("ring refused the private key");
        let material = match (algorithm, param) {
            (oid::RSA, Some(Param::Null)) => {
                SigningMaterial::Rsa(RsaKeyPair::from_pkcs8(der).map_err(refused)?)
            }
            (oid::EC, Some(Param::Oid(curve))) => {
                let curve = Curve::from_oid(curve)?;
                let pair = EcdsaKeyPair::from_pkcs8(jwk::signing_algorithm(curve), der, rng)
                    .map_err(refused)?;
                SigningMaterial::Ec(curve, pair)
            }
            (oid::ED25519, None) => SigningMaterial::Ed25519(
                Ed25519KeyPair::from_pkcs8_maybe_unchecked(der).map_err(refused)?,
            ),
            _ => return Err(KeyRejected::UnsupportedKeyType.into()),
        };
        Ok(SigningKey::from_material(material)?)
    }

    /// A private JWK (`oct`, `RSA` with all CRT members, `EC` P-256/P-384, `OKP` Ed25519).
    /// `use` must be `sig` and `key_ops` must include `sign` when present; `alg` pins the key.
    pub fn from_jwk(json: &str, rng: &dyn SecureRandom) -> Result<SigningKey, Error> {
        Ok(jwk::private_key(&jwk::parse(json.as_bytes())?, rng)?)
    }

    pub(crate) fn from_material(material: SigningMaterial) -> Result<SigningKey, KeyRejected> {
        let public = match &material {
            SigningMaterial::Hmac(secret) => Key::from_material(Material::Hmac(secret.clone())),
            SigningMaterial::Rsa(pair) => {
                Key::from_pkcs1_der(pair.public_key().as_ref()).map_err(|e| match e {
                    Error::InvalidKey(reason) => reason,
                    _ => KeyRejected::Der,
                })?
            }
            SigningMaterial::Ec(curve, pair) => Key::from_material(Material::Ec(
                crate::key::EcPublic::new(*curve, pair.public_key().as_ref())?,
            )),
            SigningMaterial::Ed25519(pair) => Key::from_material(Material::Ed25519(
                pair.public_key()
                    .as_ref()
                    .try_into()
                    .map_err(|_| KeyRejected::Rejected("Ed25519 key is not 32 bytes"))?,
            )),
        };
        let key = SigningKey { material, public };
        if matches!(key.material, SigningMaterial::Rsa(_)) {
            // ring accepts some inconsistent RSA private keys (a corrupted CRT value) that then
            // fail every signature: find out at load time, not at the first token.
            let probe = b"jwt-auth signing key check";
            let works = key
                .sign_raw(Algorithm::RS256, probe, &ring::rand::SystemRandom::new())
                .and_then(|sig| key.public.verify_raw(Algorithm::RS256, probe, &sig))
                .is_ok();
            if !works {
                return Err(KeyRejected::Rejected(
                    "RSA private key cannot sign (inconsistent key values)",
                ));
            }
        }
        Ok(key)
    }

    /// Sets the key id (also on [`SigningKey::verifying_key`]).
    #[must_use]
    pub fn with_kid(mut self, kid: impl Into<String>) -> SigningKey {
        self.public = self.public.with_kid(kid);
        self
    }

    /// Pins the key to one algorithm, which must fit it.
    pub fn with_algorithm(mut self, alg: Algorithm) -> Result<SigningKey, Error> {
        self.public = self.public.with_algorithm(alg)?;
        Ok(self)
    }

    /// The key id, if any.
    pub fn kid(&self) -> Option<&str> {
        self.public.kid()
    }

    /// The algorithms this key signs.
    pub fn algorithms(&self) -> AlgorithmSet {
        self.public.algorithms()
    }

    /// The verification key that goes with this key (for HMAC, the same secret).
    pub fn verifying_key(&self) -> Key {
        self.public.clone()
    }

    /// Signs `message` with `alg`.
    pub fn sign_raw(
        &self,
        alg: Algorithm,
        message: &[u8],
        rng: &dyn SecureRandom,
    ) -> Result<Vec<u8>, Error> {
        if !self.algorithms().contains(alg) {
            return Err(KeyRejected::AlgorithmMismatch.into());
        }
        let failed = |_| Error::InvalidKey(KeyRejected::Rejected("signing failed"));
        match &self.material {
            SigningMaterial::Hmac(secret) => {
                let key = secret.key(alg).ok_or(KeyRejected::AlgorithmMismatch)?;
                Ok(hmac::sign(key, message).as_ref().to_vec())
            }
            SigningMaterial::Rsa(pair) => {
                let padding: &dyn signature::RsaEncoding = match alg {
                    Algorithm::RS256 => &signature::RSA_PKCS1_SHA256,
                    Algorithm::RS384 => &signature::RSA_PKCS1_SHA384,
                    Algorithm::RS512 => &signature::RSA_PKCS1_SHA512,
                    Algorithm::PS256 => &signature::RSA_PSS_SHA256,
                    Algorithm::PS384 => &signature::RSA_PSS_SHA384,
                    Algorithm::PS512 => &signature::RSA_PSS_SHA512,
                    _ => return Err(KeyRejected::AlgorithmMismatch.into()),
                };
                let mut out = vec![0; pair.public().modulus_len()];
                pair.sign(padding, rng, message, &mut out).map_err(failed)?;
                Ok(out)
            }
            SigningMaterial::Ec(_, pair) => {
                Ok(pair.sign(rng, message).map_err(failed)?.as_ref().to_vec())
            }
            SigningMaterial::Ed25519(pair) => Ok(pair.sign(message).as_ref().to_vec()),
        }
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("public", &self.public)
            .finish_non_exhaustive()
    }
}
