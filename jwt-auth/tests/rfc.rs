//! The exact examples of RFC 7515 appendix A (A.1-A.3, A.5), RFC 7519 §3.1/§6.1 and RFC 8037
//! appendix A.
#![allow(clippy::unwrap_used)]

mod common;

use jwt_auth::{Algorithm, Error, Key, SigningKey, SystemRandom, Validation, Verifier};

/// The payload of RFC 7515 A.1-A.3 and RFC 7519 §3.1, with its CRLFs.
const PAYLOAD_B64: &str = "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ";
/// Before the example's `exp` of 1300819380.
const THEN: u64 = 1_300_819_000;

const A1_TOKEN: &str = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const A1_JWK: &str = r#"{"kty":"oct","k":"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow"}"#;

const A2_SIGNATURE: &str = "cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L07Qe7K0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqvhJ1phCnvWh6IeYI2w9QOYEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe77Rw";
const A2_N: &str = "ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ";
const A2_PRIVATE: &str = r#""e":"AQAB","d":"Eq5xpGnNCivDflJsRQBXHx1hdR1k6Ulwe2JZD50LpXyWPEAeP88vLNO97IjlA7_GQ5sLKMgvfTeXZx9SE-7YwVol2NXOoAJe46sui395IW_GO-pWJ1O0BkTGoVEn2bKVRUCgu-GjBVaYLU6f3l9kJfFNS3E0QbVdxzubSu3Mkqzjkn439X0M_V51gfpRLI9JYanrC4D4qAdGcopV_0ZHHzQlBjudU2QvXt4ehNYTCBr6XCLQUShb1juUO1ZdiYoFaFQT5Tw8bGUl_x_jTj3ccPDVZFD9pIuhLhBOneufuBiB4cS98l2SR_RQyGWSeWjnczT0QU91p1DhOVRuOopznQ","p":"4BzEEOtIpmVdVEZNCqS7baC4crd0pqnRH_5IB3jw3bcxGn6QLvnEtfdUdiYrqBdss1l58BQ3KhooKeQTa9AB0Hw_Py5PJdTJNPY8cQn7ouZ2KKDcmnPGBY5t7yLc1QlQ5xHdwW1VhvKn-nXqhJTBgIPgtldC-KDV5z-y2XDwGUc","q":"uQPEfgmVtjL0Uyyx88GZFF1fOunH3-7cepKmtH4pxhtCoHqpWmT8YAmZxaewHgHAjLYsp1ZSe7zFYHj7C6ul7TjeLQeZD_YwD66t62wDmpe_HlB-TnBA-njbglfIsRLtXlnDzQkv5dTltRJ11BKBBypeeF6689rjcJIDEz9RWdc","dp":"BwKfV3Akq5_MFZDFZCnW-wzl-CCo83WoZvnLQwCTeDv8uzluRSnm71I3QCLdhrqE2e9YkxvuxdBfpT_PI7Yz-FOKnu1R6HsJeDCjn12Sk3vmAktV2zb34MCdy7cpdTh_YVr7tss2u6vneTwrA86rZtu5Mbr1C1XsmvkxHQAdYo0","dq":"h_96-mK1R_7glhsum81dZxjTnYynPbZpHziZjeeHcXYsXaaMwkOlODsWa7I9xXDoRwbKgB719rrmI2oKr6N3Do9U0ajaHF-NKJnwgjMd2w9cjz3_-kyNlxAr2v4IKhGNpmM5iIgOS1VZnOZ68m6_pbLBSp3nssTdlqvd0tIiTHU","qi":"IYd7DHOhrWvxkwPQsRM2tOgrjbcrfvtQJipd-DlcxyVuuM9sQLdgjVk2oy26F0EmpScGLq2MowX7fhd_QJQ3ydy5cY7YIBi87w93IKLEdfnbJtoOPLUW0ITrJReOgo1cq9SbsxYawBgfp_gh6A5603k2-ZQwVK0JKSHuLFkuQ3U""#;

const A3_SIGNATURE: &str =
    "DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q";
const A3_PUBLIC: &str = r#""kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0""#;

fn verify(key: Key, token: &str, now: u64) -> Result<jwt_auth::Verified<jwt_auth::Claims>, Error> {
    Verifier::new(key, Validation::new().leeway(0)).verify(token, now)
}

#[test]
fn rfc7515_a1_hs256() {
    let verified = verify(Key::from_jwk(A1_JWK).unwrap(), A1_TOKEN, THEN).unwrap();
    assert_eq!(verified.algorithm(), Algorithm::HS256);
    assert_eq!(verified.iss(), Some("joe"));
    assert_eq!(verified.exp(), Some(1_300_819_380));
    assert_eq!(
        verified.get("http://example.com/is_root"),
        Some(&serde_json::Value::Bool(true))
    );
    // The same bytes signed again give the same MAC.
    let signing = SigningKey::from_jwk(A1_JWK, &SystemRandom::new()).unwrap();
    let (input, mac) = A1_TOKEN.rsplit_once('.').unwrap();
    let again = signing
        .sign_raw(Algorithm::HS256, input.as_bytes(), &SystemRandom::new())
        .unwrap();
    assert_eq!(jwt_auth_b64(&again), mac);
    // And it expires exactly at exp (leeway 0).
    assert_eq!(
        verify(Key::from_jwk(A1_JWK).unwrap(), A1_TOKEN, 1_300_819_380).unwrap_err(),
        Error::Expired {
            expired_at: 1_300_819_380
        }
    );
}

#[test]
fn rfc7515_a2_rs256() {
    let public = format!(r#"{{"kty":"RSA","n":"{A2_N}","e":"AQAB"}}"#);
    let token = format!("eyJhbGciOiJSUzI1NiJ9.{PAYLOAD_B64}.{A2_SIGNATURE}");
    let verified = verify(Key::from_jwk(&public).unwrap(), &token, THEN).unwrap();
    assert_eq!(verified.algorithm(), Algorithm::RS256);
    // PKCS#1 v1.5 is deterministic: our signer reproduces the RFC's signature.
    let private = format!(r#"{{"kty":"RSA","n":"{A2_N}",{A2_PRIVATE}}}"#);
    let signing = SigningKey::from_jwk(&private, &SystemRandom::new()).unwrap();
    let input = format!("eyJhbGciOiJSUzI1NiJ9.{PAYLOAD_B64}");
    let signature = signing
        .sign_raw(Algorithm::RS256, input.as_bytes(), &SystemRandom::new())
        .unwrap();
    assert_eq!(jwt_auth_b64(&signature), A2_SIGNATURE);
}

#[test]
fn rfc7515_a3_es256() {
    let token = format!("eyJhbGciOiJFUzI1NiJ9.{PAYLOAD_B64}.{A3_SIGNATURE}");
    let key = Key::from_jwk(&format!("{{{A3_PUBLIC}}}")).unwrap();
    assert_eq!(
        verify(key.clone(), &token, THEN).map(|v| v.algorithm()),
        Ok(Algorithm::ES256)
    );
    // A signature of ours with the private key verifies with the public one.
    let private = format!(r#"{{{A3_PUBLIC},"d":"jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI"}}"#);
    let signing = SigningKey::from_jwk(&private, &SystemRandom::new()).unwrap();
    let header = jwt_auth::Header::new(Algorithm::ES256);
    let claims = jwt_auth::Claims::new().with("exp", THEN + 10);
    let ours = jwt_auth::sign(&header, &claims, &signing, &SystemRandom::new()).unwrap();
    assert!(verify(key, &ours, THEN).is_ok());
}

#[test]
fn rfc7515_a5_and_rfc7519_6_1_unsecured_tokens_are_refused() {
    let unsecured = format!("eyJhbGciOiJub25lIn0.{PAYLOAD_B64}.");
    let key = Key::from_jwk(A1_JWK).unwrap();
    assert_eq!(
        verify(key, &unsecured, THEN).unwrap_err(),
        Error::SignatureRequired
    );
}

#[test]
fn rfc8037_a4_ed25519() {
    let jwk = r#"{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#;
    let private = r#"{"kty":"OKP","crv":"Ed25519","d":"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#;
    let token = "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc.hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg";
    let verifier = Verifier::new(Key::from_jwk(jwk).unwrap(), Validation::new());
    let payload = verifier.verify_jws(token, &()).unwrap();
    assert_eq!(payload.claims().as_slice(), b"Example of Ed25519 signing");
    // Ed25519 is deterministic: same signature again.
    let signing = SigningKey::from_jwk(private, &SystemRandom::new()).unwrap();
    let (input, signature) = token.rsplit_once('.').unwrap();
    let again = signing
        .sign_raw(Algorithm::EdDSA, input.as_bytes(), &SystemRandom::new())
        .unwrap();
    assert_eq!(jwt_auth_b64(&again), signature);
    // Its payload is not a claims set, so verifying it as a JWT fails after the signature.
    assert_eq!(
        verifier.verify(token, 0).unwrap_err().code(),
        "invalid_token"
    );
}

fn jwt_auth_b64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}
