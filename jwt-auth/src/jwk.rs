//! JWK (RFC 7517, RFC 7518 §6, RFC 8037 §2) to typed keys: strict JSON, canonical base64url,
//! exact coordinate lengths, `use`/`key_ops` honoured, `alg` checked against the key and pinned.

use ring::rand::SecureRandom;
use ring::rsa::{KeyPairComponents, PublicKeyComponents};
use ring::signature::{self, EcdsaKeyPair, Ed25519KeyPair, RsaKeyPair};
use serde_json::{Map, Value};

use crate::algorithm::Algorithm;
use crate::error::KeyRejected;
use crate::json::{self, JsonError};
use crate::key::{Curve, EcPublic, HmacSecret, Key, Material, RsaPublic};
use crate::signing_key::{SigningKey, SigningMaterial};

pub(crate) type Object = Map<String, Value>;

/// Parses a JWK (or JWKS) document as a strict JSON object.
pub(crate) fn parse(bytes: &[u8]) -> Result<Object, KeyRejected> {
    json::parse_object(bytes).map_err(|e| {
        KeyRejected::Jwk(match e {
            JsonError::Duplicate => "duplicate member name",
            JsonError::TooDeep => "nested too deeply",
            JsonError::NotObject | JsonError::Syntax => "not a JSON object",
        })
    })
}

/// A verification key from a JWK object.
pub(crate) fn public_key(jwk: &Object) -> Result<Key, KeyRejected> {
    check_usage(jwk, "verify")?;
    let alg = algorithm(jwk)?;
    let material = match kty(jwk)? {
        "oct" => Material::Hmac(HmacSecret::new(&member(jwk, "k")?, false)?),
        "RSA" => Material::Rsa(RsaPublic::new(&member(jwk, "n")?, &member(jwk, "e")?)?),
        "EC" => {
            let curve = curve(jwk)?;
            Material::Ec(EcPublic::new(curve, &ec_point(jwk, curve)?)?)
        }
        "OKP" => {
            ed25519_curve(jwk)?;
            let x = sized_member(jwk, "x", 32)?;
            return finish(Key::ed25519(&x).map_err(reason)?, jwk, alg);
        }
        _ => return Err(KeyRejected::UnsupportedKeyType),
    };
    finish(Key::from_material(material), jwk, alg)
}

fn finish(mut key: Key, jwk: &Object, alg: Option<Algorithm>) -> Result<Key, KeyRejected> {
    if let Some(kid) = text(jwk, "kid")? {
        key = key.with_kid(kid);
    }
    match alg {
        Some(alg) => key.with_algorithm(alg).map_err(reason),
        None => Ok(key),
    }
}

/// A signing key from a private JWK object.
pub(crate) fn private_key(jwk: &Object, rng: &dyn SecureRandom) -> Result<SigningKey, KeyRejected> {
    check_usage(jwk, "sign")?;
    let alg = algorithm(jwk)?;
    let refused = |_| KeyRejected::Rejected("ring refused the private key");
    let material = match kty(jwk)? {
        "oct" => SigningMaterial::Hmac(HmacSecret::new(&member(jwk, "k")?, false)?),
        "RSA" => {
            let (n, e) = (member(jwk, "n")?, member(jwk, "e")?);
            RsaPublic::new(&n, &e)?;
            let components = KeyPairComponents {
                public_key: PublicKeyComponents { n, e },
                d: member(jwk, "d")?,
                p: member(jwk, "p")?,
                q: member(jwk, "q")?,
                dP: member(jwk, "dp")?,
                dQ: member(jwk, "dq")?,
                qInv: member(jwk, "qi")?,
            };
            SigningMaterial::Rsa(RsaKeyPair::from_components(&components).map_err(refused)?)
        }
        "EC" => {
            let curve = curve(jwk)?;
            let point = ec_point(jwk, curve)?;
            let d = sized_member(jwk, "d", curve.field_len())?;
            let pair = EcdsaKeyPair::from_private_key_and_public_key(
                signing_algorithm(curve),
                &d,
                &point,
                rng,
            )
            .map_err(refused)?;
            SigningMaterial::Ec(curve, pair)
        }
        "OKP" => {
            ed25519_curve(jwk)?;
            let x = sized_member(jwk, "x", 32)?;
            let d = sized_member(jwk, "d", 32)?;
            SigningMaterial::Ed25519(
                Ed25519KeyPair::from_seed_and_public_key(&d, &x).map_err(refused)?,
            )
        }
        _ => return Err(KeyRejected::UnsupportedKeyType),
    };
    let mut key = SigningKey::from_material(material)?;
    if let Some(kid) = text(jwk, "kid")? {
        key = key.with_kid(kid);
    }
    match alg {
        Some(alg) => key.with_algorithm(alg).map_err(reason),
        None => Ok(key),
    }
}

pub(crate) fn signing_algorithm(curve: Curve) -> &'static signature::EcdsaSigningAlgorithm {
    match curve {
        Curve::P256 => &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
        Curve::P384 => &signature::ECDSA_P384_SHA384_FIXED_SIGNING,
    }
}

fn reason(error: crate::Error) -> KeyRejected {
    match error {
        crate::Error::InvalidKey(reason) => reason,
        _ => KeyRejected::AlgorithmMismatch,
    }
}

fn kty(jwk: &Object) -> Result<&str, KeyRejected> {
    text(jwk, "kty")?.ok_or(KeyRejected::JwkMember("kty"))
}

fn curve(jwk: &Object) -> Result<Curve, KeyRejected> {
    match text(jwk, "crv")? {
        Some("P-256") => Ok(Curve::P256),
        Some("P-384") => Ok(Curve::P384),
        Some(_) => Err(KeyRejected::UnsupportedCurve),
        None => Err(KeyRejected::JwkMember("crv")),
    }
}

fn ed25519_curve(jwk: &Object) -> Result<(), KeyRejected> {
    match text(jwk, "crv")? {
        Some("Ed25519") => Ok(()),
        Some(_) => Err(KeyRejected::UnsupportedCurve),
        None => Err(KeyRejected::JwkMember("crv")),
    }
}

fn ec_point(jwk: &Object, curve: Curve) -> Result<Vec<u8>, KeyRejected> {
    let x = sized_member(jwk, "x", curve.field_len())?;
    let y = sized_member(jwk, "y", curve.field_len())?;
    let mut point = Vec::with_capacity(1 + x.len() + y.len());
    point.push(4);
    point.extend_from_slice(&x);
    point.extend_from_slice(&y);
    Ok(point)
}

/// `alg`, when present: a name this crate implements (anything else is refused).
fn algorithm(jwk: &Object) -> Result<Option<Algorithm>, KeyRejected> {
    match text(jwk, "alg")? {
        None => Ok(None),
        Some(name) => Algorithm::from_name(name)
            .map(Some)
            .ok_or_else(|| KeyRejected::UnsupportedAlgorithm(name.to_owned())),
    }
}

/// `use` must be `sig` and `key_ops` must contain `op`, when present (RFC 7517 §4.2, §4.3).
fn check_usage(jwk: &Object, op: &str) -> Result<(), KeyRejected> {
    match jwk.get("use") {
        None => {}
        Some(Value::String(u)) if u == "sig" => {}
        Some(_) => return Err(KeyRejected::WrongUse),
    }
    match jwk.get("key_ops") {
        None => Ok(()),
        Some(Value::Array(ops)) if ops.iter().any(|o| o.as_str() == Some(op)) => Ok(()),
        Some(_) => Err(KeyRejected::WrongKeyOps),
    }
}

pub(crate) fn text<'j>(
    jwk: &'j Object,
    name: &'static str,
) -> Result<Option<&'j str>, KeyRejected> {
    match jwk.get(name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(KeyRejected::JwkMember(name)),
    }
}

fn member(jwk: &Object, name: &'static str) -> Result<Vec<u8>, KeyRejected> {
    let text = text(jwk, name)?.ok_or(KeyRejected::JwkMember(name))?;
    crate::base64url::decode(text.as_bytes()).map_err(|()| KeyRejected::JwkMember(name))
}

fn sized_member(jwk: &Object, name: &'static str, len: usize) -> Result<Vec<u8>, KeyRejected> {
    let bytes = member(jwk, name)?;
    if bytes.len() == len {
        Ok(bytes)
    } else {
        Err(KeyRejected::JwkMember(name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(json: &str) -> Result<Key, KeyRejected> {
        public_key(&parse(json.as_bytes())?)
    }

    const EC: &str = r#""kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0""#;

    #[test]
    fn ec_keys() {
        let k = key(&format!("{{{EC},\"kid\":\"a\"}}")).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(k.kid(), Some("a"));
        assert_eq!(k.algorithms(), Algorithm::ES256.into());
        assert!(key(&format!(
            "{{{EC},\"alg\":\"ES256\",\"use\":\"sig\",\"key_ops\":[\"verify\"]}}"
        ))
        .is_ok());
        assert_eq!(
            key(&format!("{{{EC},\"alg\":\"ES384\"}}")).err(),
            Some(KeyRejected::AlgorithmMismatch)
        );
        assert_eq!(
            key(&format!("{{{EC},\"alg\":\"HS256\"}}")).err(),
            Some(KeyRejected::AlgorithmMismatch)
        );
        assert_eq!(
            key(&format!("{{{EC},\"alg\":\"ES521\"}}")).err(),
            Some(KeyRejected::UnsupportedAlgorithm("ES521".into()))
        );
        assert_eq!(
            key(&format!("{{{EC},\"use\":\"enc\"}}")).err(),
            Some(KeyRejected::WrongUse)
        );
        assert_eq!(
            key(&format!("{{{EC},\"key_ops\":[\"sign\"]}}")).err(),
            Some(KeyRejected::WrongKeyOps)
        );
        assert_eq!(
            key(&format!("{{{EC},\"key_ops\":\"verify\"}}")).err(),
            Some(KeyRejected::WrongKeyOps)
        );
        assert!(
            key(&format!("{{{EC},\"kty\":\"EC\"}}")).is_err(),
            "duplicate kty"
        );
        let short_x = EC.replace(
            "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
            "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVA",
        );
        assert_eq!(
            key(&format!("{{{short_x}}}")).err(),
            Some(KeyRejected::JwkMember("x"))
        );
        let p521 = EC.replace("P-256", "P-521");
        assert_eq!(
            key(&format!("{{{p521}}}")).err(),
            Some(KeyRejected::UnsupportedCurve)
        );
        let padded = EC.replace("EU\"", "EU=\"");
        assert_eq!(
            key(&format!("{{{padded}}}")).err(),
            Some(KeyRejected::JwkMember("x"))
        );
    }

    #[test]
    fn other_kinds() {
        assert_eq!(
            key(r#"{"kty":"oct","k":""}"#).err(),
            Some(KeyRejected::HmacEmpty)
        );
        assert!(key(r#"{"kty":"oct","k":"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"}"#).is_ok());
        assert!(matches!(
            key(r#"{"kty":"oct","alg":"HS384","k":"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"}"#),
            Err(KeyRejected::HmacTooShort { len: 32, min: 48 })
        ));
        assert_eq!(
            key(
                r#"{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#
            )
            .map(|k| k.algorithms()),
            Ok(Algorithm::EdDSA.into())
        );
        assert_eq!(
            key(
                r#"{"kty":"OKP","crv":"X25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#
            )
            .err(),
            Some(KeyRejected::UnsupportedCurve)
        );
        assert_eq!(
            key(r#"{"kty":"RSA","n":"AQAB"}"#).err(),
            Some(KeyRejected::JwkMember("e"))
        );
        assert_eq!(
            key(r#"{"kty":"XYZ"}"#).err(),
            Some(KeyRejected::UnsupportedKeyType)
        );
        assert_eq!(
            key(r#"{"kty":7}"#).err(),
            Some(KeyRejected::JwkMember("kty"))
        );
        assert_eq!(
            key(r#"[]"#).err(),
            Some(KeyRejected::Jwk("not a JSON object"))
        );
    }
}
