//! Every attack class of ../shared/docs/auth.md, each with its own test. Tokens are built by
//! hand (raw header and claims JSON) and correctly signed where that matters, so each is refused
//! for the reason under test and not by accident.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use jwt_auth::{
    Algorithm, Error, Fault, Header, Key, KeyRejected, KeySet, Malformed, SigningKey, SystemRandom,
    Validation, Verifier,
};

use common::{key_file, public_key, signing_key, NOW};

const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";
const CLAIMS: &str = r#"{"sub":"alice","exp":1700003600}"#;

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A token with exactly this header and claims JSON, signed with `key` for `alg`.
fn token(header: &str, claims: &str, key: &SigningKey, alg: Algorithm) -> String {
    let input = format!("{}.{}", b64(header.as_bytes()), b64(claims.as_bytes()));
    let signature = key
        .sign_raw(alg, input.as_bytes(), &SystemRandom::new())
        .unwrap();
    format!("{input}.{}", b64(&signature))
}

fn hs256(header: &str, claims: &str) -> String {
    token(
        header,
        claims,
        &SigningKey::hmac(SECRET).unwrap(),
        Algorithm::HS256,
    )
}

fn hmac_verifier() -> Verifier {
    Verifier::new(Key::hmac(SECRET).unwrap(), Validation::new())
}

#[test]
fn baseline_is_accepted() {
    let verified = hmac_verifier()
        .verify(&hs256(r#"{"alg":"HS256","typ":"JWT"}"#, CLAIMS), NOW)
        .unwrap();
    assert_eq!(verified.sub(), Some("alice"));
}

#[test]
fn alg_none_in_any_case() {
    let verifier = hmac_verifier();
    let hmac = SigningKey::hmac(SECRET).unwrap();
    for none in ["none", "None", "NONE", "nOnE", "none "] {
        let header = format!(r#"{{"alg":"{none}","typ":"JWT"}}"#);
        let unsigned = format!("{}.{}.", b64(header.as_bytes()), b64(CLAIMS.as_bytes()));
        assert_eq!(
            verifier.verify(&unsigned, NOW).unwrap_err(),
            Error::SignatureRequired,
            "{none}"
        );
        // Even carrying a signature made with the real secret it is refused.
        let signed = token(&header, CLAIMS, &hmac, Algorithm::HS256);
        let err = verifier.verify(&signed, NOW).unwrap_err();
        assert!(
            matches!(err, Error::InvalidAlgorithm | Error::UnsupportedAlgorithm),
            "{none}: {err:?}"
        );
        assert_eq!(err.to_string(), "invalid algorithm");
    }
    let no_dot = format!("{}.{}", b64(br#"{"alg":"none"}"#), b64(CLAIMS.as_bytes()));
    assert_eq!(
        verifier.verify(&no_dot, NOW).unwrap_err(),
        Error::Malformed(Malformed::SegmentCount)
    );
}

#[test]
fn algorithm_confusion_hmac_with_public_key() {
    // The classic: the attacker HMACs with the server's public key bytes and says HS256.
    let pem = key_file("rsa2048.spki.pem");
    let forged_key = SigningKey::hmac(pem.as_bytes()).unwrap();
    let forged = token(r#"{"alg":"HS256"}"#, CLAIMS, &forged_key, Algorithm::HS256);
    let verifier = Verifier::new(public_key("rsa2048.spki.pem"), Validation::new());
    assert_eq!(
        verifier.verify(&forged, NOW).unwrap_err(),
        Error::InvalidAlgorithm
    );
    // Same against an EC and an Ed25519 key, and with a validation that allows HS256.
    for name in ["p256.spki.pem", "ed25519.spki.pem"] {
        let forged_key = SigningKey::hmac(key_file(name).as_bytes()).unwrap();
        let forged = token(r#"{"alg":"HS256"}"#, CLAIMS, &forged_key, Algorithm::HS256);
        let verifier = Verifier::new(
            public_key(name),
            Validation::new().algorithms([Algorithm::HS256, Algorithm::ES256]),
        );
        assert_eq!(
            verifier.verify(&forged, NOW).unwrap_err(),
            Error::InvalidAlgorithm,
            "{name}"
        );
    }
    // RS256 token against PS256-only validation, ES256 token against an ES384 key.
    let rsa = signing_key("rsa2048.pkcs8.pem");
    let rs = token(r#"{"alg":"RS256"}"#, CLAIMS, &rsa, Algorithm::RS256);
    let ps_only = Verifier::new(
        rsa.verifying_key(),
        Validation::new().algorithms(Algorithm::PS256),
    );
    assert_eq!(
        ps_only.verify(&rs, NOW).unwrap_err(),
        Error::InvalidAlgorithm
    );
    let es = token(
        r#"{"alg":"ES256"}"#,
        CLAIMS,
        &signing_key("p256.pkcs8.pem"),
        Algorithm::ES256,
    );
    let p384 = Verifier::new(public_key("p384.spki.pem"), Validation::new());
    assert_eq!(p384.verify(&es, NOW).unwrap_err(), Error::InvalidAlgorithm);
    // A key pinned by its JWK `alg` refuses the other algorithms of its family.
    let pinned = Verifier::new(
        rsa.verifying_key()
            .with_algorithm(Algorithm::PS256)
            .unwrap(),
        Validation::new(),
    );
    assert_eq!(
        pinned.verify(&rs, NOW).unwrap_err(),
        Error::InvalidAlgorithm
    );
}

#[test]
fn crit_and_b64_false_are_refused() {
    let verifier = hmac_verifier();
    for (header, reason) in [
        (
            r#"{"alg":"HS256","crit":["exp"],"exp":1}"#,
            Malformed::Critical,
        ),
        (
            r#"{"alg":"HS256","crit":["b64"],"b64":false}"#,
            Malformed::Critical,
        ),
        (r#"{"alg":"HS256","crit":[]}"#, Malformed::Critical),
        (r#"{"alg":"HS256","crit":"x"}"#, Malformed::Critical),
        (
            r#"{"alg":"HS256","b64":false}"#,
            Malformed::UnencodedPayload,
        ),
        (r#"{"alg":"HS256","cty":"JWT"}"#, Malformed::NestedToken),
    ] {
        assert_eq!(
            verifier.verify(&hs256(header, CLAIMS), NOW).unwrap_err(),
            Error::Malformed(reason),
            "{header}"
        );
    }
    // b64:true is the default and harmless.
    assert!(verifier
        .verify(&hs256(r#"{"alg":"HS256","b64":true}"#, CLAIMS), NOW)
        .is_ok());
}

#[test]
fn embedded_keys_are_never_trusted() {
    // The attacker signs with their own key and ships it in every header slot there is.
    let attacker = signing_key("p256.pkcs8.pem");
    let server = Verifier::new(
        public_key("p384.spki.pem"),
        Validation::new().algorithms(Algorithm::ES256),
    );
    let header = r#"{"alg":"ES256","jwk":{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"},"jku":"https://attacker.example/jwks","x5u":"https://attacker.example/cert","x5c":["MIIB"]}"#;
    let forged = token(header, CLAIMS, &attacker, Algorithm::ES256);
    assert!(server.verify(&forged, NOW).is_err());
    // With the server's own P-256 key (not the attacker's) the signature simply does not verify.
    let other = SigningKey::from_pem(&key_file("p256.pkcs8.pem"), &SystemRandom::new()).unwrap();
    let server_p256 = Verifier::new(
        SigningKey::from_jwk(
            r#"{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0","d":"jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI"}"#,
            &SystemRandom::new(),
        )
        .unwrap()
        .verifying_key(),
        Validation::new(),
    );
    let forged = token(header, CLAIMS, &other, Algorithm::ES256);
    assert_eq!(
        server_p256.verify(&forged, NOW).unwrap_err(),
        Error::InvalidSignature
    );
    // A resolver is never shown those parameters: Header has alg, kid, typ and cty only.
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = seen.clone();
    let key = Arc::new(Key::hmac(SECRET).unwrap());
    let resolver = Verifier::with_resolver(
        move |h: &Header<'_>, _: &()| {
            log.lock().unwrap().push(format!("{:?}", h));
            Ok(key.clone())
        },
        Validation::new(),
    );
    let t = hs256(
        r#"{"alg":"HS256","kid":"k","jku":"https://attacker.example"}"#,
        CLAIMS,
    );
    assert!(resolver.verify_with(&t, NOW, &()).is_ok());
    assert!(!seen.lock().unwrap()[0].contains("attacker"));
}

#[test]
fn kid_tricks() {
    let a = SigningKey::hmac([1u8; 32]).unwrap().with_kid("a");
    let set = KeySet::new([
        a.verifying_key(),
        Key::hmac([2u8; 32]).unwrap().with_kid("b"),
    ])
    .unwrap();
    let verifier = Verifier::with_key_set(set, Validation::new());
    let good = token(r#"{"alg":"HS256","kid":"a"}"#, CLAIMS, &a, Algorithm::HS256);
    assert!(verifier.verify(&good, NOW).is_ok());
    for kid in [
        r#""../../../../dev/null""#,
        r#""' OR 1=1 --""#,
        r#""a\u0000""#,
        r#""A""#,
        r#""""#,
    ] {
        let t = token(
            &format!(r#"{{"alg":"HS256","kid":{kid}}}"#),
            CLAIMS,
            &a,
            Algorithm::HS256,
        );
        assert_eq!(
            verifier.verify(&t, NOW).unwrap_err(),
            Error::KeyNotFound,
            "{kid}"
        );
    }
    // The right kid with the wrong key's signature, kid of the wrong type, and two kids.
    let b_signed = token(r#"{"alg":"HS256","kid":"b"}"#, CLAIMS, &a, Algorithm::HS256);
    assert_eq!(
        verifier.verify(&b_signed, NOW).unwrap_err(),
        Error::InvalidSignature
    );
    let numeric = token(r#"{"alg":"HS256","kid":1}"#, CLAIMS, &a, Algorithm::HS256);
    assert_eq!(
        verifier.verify(&numeric, NOW).unwrap_err(),
        Error::Malformed(Malformed::Header)
    );
    let twice = token(
        r#"{"alg":"HS256","kid":"b","kid":"a"}"#,
        CLAIMS,
        &a,
        Algorithm::HS256,
    );
    assert_eq!(
        verifier.verify(&twice, NOW).unwrap_err(),
        Error::Malformed(Malformed::DuplicateKey)
    );
    // No kid and two candidate keys: ambiguous, refused.
    let no_kid = token(r#"{"alg":"HS256"}"#, CLAIMS, &a, Algorithm::HS256);
    assert_eq!(
        verifier.verify(&no_kid, NOW).unwrap_err(),
        Error::KeyNotFound
    );
    // Key sets refuse duplicate kids and mixed secret/public keys.
    let dup = KeySet::new([
        Key::hmac([1u8; 32]).unwrap().with_kid("x"),
        Key::hmac([2u8; 32]).unwrap().with_kid("x"),
    ]);
    assert_eq!(
        dup.unwrap_err(),
        Error::InvalidKey(KeyRejected::DuplicateKid("x".into()))
    );
    let mixed = KeySet::new([Key::hmac([1u8; 32]).unwrap(), public_key("p256.spki.pem")]);
    assert_eq!(
        mixed.unwrap_err(),
        Error::InvalidKey(KeyRejected::MixedKeySet)
    );
}

#[test]
fn duplicate_json_keys() {
    let verifier = hmac_verifier();
    for (header, claims) in [
        (r#"{"alg":"HS256","alg":"HS256"}"#, CLAIMS),
        (r#"{"alg":"HS256","typ":"JWT","typ":"JWT"}"#, CLAIMS),
        (
            r#"{"alg":"HS256"}"#,
            r#"{"sub":"alice","exp":1700003600,"exp":1}"#,
        ),
        (
            r#"{"alg":"HS256"}"#,
            r#"{"sub":"alice","exp":1700003600,"sub":"admin"}"#,
        ),
        (
            r#"{"alg":"HS256"}"#,
            r#"{"sub":"alice","exp":1700003600,"s\u0075b":"admin"}"#,
        ),
        (
            r#"{"alg":"HS256"}"#,
            r#"{"sub":"alice","exp":1700003600,"roles":{"admin":false,"admin":true}}"#,
        ),
    ] {
        let err = verifier.verify(&hs256(header, claims), NOW).unwrap_err();
        assert_eq!(
            err,
            Error::Malformed(Malformed::DuplicateKey),
            "{header} {claims}"
        );
    }
}

#[test]
fn wrong_claim_types() {
    let verifier = Verifier::new(
        Key::hmac(SECRET).unwrap(),
        Validation::new().audience("app"),
    );
    for (claims, expected) in [
        (r#"{"exp":"1700003600","aud":"app"}"#, "invalid exp value"),
        (
            r#"{"exp":1700003600,"nbf":"0","aud":"app"}"#,
            "invalid nbf value",
        ),
        (
            r#"{"exp":1700003600,"iat":{},"aud":"app"}"#,
            "invalid iat value",
        ),
        (r#"{"exp":null,"aud":"app"}"#, "invalid exp value"),
        (r#"{"exp":[1700003600],"aud":"app"}"#, "invalid exp value"),
        (r#"{"exp":1700003600,"aud":1}"#, "invalid aud value"),
        (r#"{"exp":1700003600,"aud":["app",1]}"#, "invalid aud value"),
        (
            r#"{"exp":1700003600,"aud":"app","iss":["x"]}"#,
            "invalid iss value",
        ),
        (
            r#"{"exp":1700003600,"aud":"app","sub":42}"#,
            "invalid sub value",
        ),
        (r#"{"exp":1e400,"aud":"app"}"#, "jwt malformed"),
        (r#"{"exp":NaN,"aud":"app"}"#, "jwt malformed"),
        (r#"["exp",1]"#, "jwt malformed"),
        (r#""just a string""#, "jwt malformed"),
    ] {
        let err = verifier
            .verify(&hs256(r#"{"alg":"HS256"}"#, claims), NOW)
            .unwrap_err();
        assert_eq!(err.to_string(), expected, "{claims}");
        assert_eq!(err.fault(), Fault::Client);
    }
    // Any number is a NumericDate (as in Node): out of range, it saturates; see `numeric_dates`.
    for (claims, expected) in [
        (r#"{"exp":-1,"aud":"app"}"#, Err("jwt expired")),
        (r#"{"exp":-1e300,"aud":"app"}"#, Err("jwt expired")),
        (r#"{"exp":18446744073709551616,"aud":"app"}"#, Ok(())),
        (
            r#"{"exp":123456789012345678901234567890,"aud":"app"}"#,
            Ok(()),
        ),
        (
            r#"{"exp":1e300,"nbf":1e300,"aud":"app"}"#,
            Err("jwt not active"),
        ),
    ] {
        let result = verifier.verify(&hs256(r#"{"alg":"HS256"}"#, claims), NOW);
        assert_eq!(
            result.map(|_| ()).map_err(|e| e.to_string()),
            expected.map_err(str::to_owned),
            "{claims}"
        );
    }
    // A fractional NumericDate is valid (RFC 7519 §2) and rounds up.
    let fractional = hs256(r#"{"alg":"HS256"}"#, r#"{"exp":1700000000.5,"aud":"app"}"#);
    assert!(verifier.verify(&fractional, NOW).is_ok());
    assert!(Verifier::new(
        Key::hmac(SECRET).unwrap(),
        Validation::new().audience("app").leeway(0)
    )
    .verify(&fractional, NOW + 1)
    .is_err());
}

#[test]
fn non_canonical_base64url() {
    let verifier = hmac_verifier();
    let good = hs256(r#"{"alg":"HS256"}"#, CLAIMS);
    let parts: Vec<&str> = good.split('.').collect();
    let (h, p, s) = (parts[0], parts[1], parts[2]);
    // The signature of HS256 is 32 bytes: 43 characters, the last carrying 2 unused bits.
    let last = s.chars().last().unwrap();
    let alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let index = alphabet.find(last).unwrap();
    let tweaked = alphabet.chars().nth(index ^ 1).unwrap();
    let unused_bits = format!("{}{tweaked}", &s[..s.len() - 1]);
    let std_alphabet = URL_SAFE_NO_PAD
        .encode([0xfb, 0xff, 0xfe])
        .replace('-', "+")
        .replace('_', "/");
    for token in [
        format!("{h}.{p}.{s}="),
        format!("{h}=.{p}.{s}"),
        format!("{h}.{p}==.{s}"),
        format!("{h}.{p}.{unused_bits}"),
        format!("{h}.{p}.{s} "),
        format!(" {h}.{p}.{s}"),
        format!("{h}.{p}\n.{s}"),
        format!("{h}.{p}.{}", &s[..s.len() - 1].replace('A', "+")),
        format!("{h}.{std_alphabet}.{s}"),
        format!("{h}.{p}.{}", s.replace(['-', '_'], "/")),
        format!("{h}.{p}x.{s}"),
    ] {
        if token == good {
            continue;
        }
        let err = verifier.verify(&token, NOW).unwrap_err();
        assert!(
            matches!(
                err,
                Error::Malformed(Malformed::Base64) | Error::InvalidSignature
            ),
            "{token}: {err:?}"
        );
    }
    // A signature of base64url characters that is not canonical is a wrong signature (Node
    // compares HMAC tags as text); outside the alphabet, the token is malformed.
    assert_eq!(
        verifier
            .verify(&format!("{h}.{p}.{unused_bits}"), NOW)
            .unwrap_err(),
        Error::InvalidSignature
    );
    for bad in [format!("{s}="), format!("{s} "), s.replace(['-', '_'], "/")] {
        if bad == s {
            continue;
        }
        assert_eq!(
            verifier.verify(&format!("{h}.{p}.{bad}"), NOW).unwrap_err(),
            Error::Malformed(Malformed::Base64),
            "{bad}"
        );
    }
}

#[test]
fn wrong_segment_counts() {
    let verifier = hmac_verifier();
    let good = hs256(r#"{"alg":"HS256"}"#, CLAIMS);
    assert_eq!(verifier.verify("", NOW).unwrap_err(), Error::MissingToken);
    assert_eq!(
        verifier.verify("", NOW).unwrap_err().to_string(),
        "jwt must be provided"
    );
    for token in [
        ".".to_owned(),
        "..".to_owned(),
        "...".to_owned(),
        "abc".to_owned(),
        format!("{good}."),
        format!("{good}.{good}"),
        good.replacen('.', "", 1),
        format!("{good}.AAAA.BBBB"), // JWE-shaped: five segments
        format!(".{good}"),
    ] {
        let err = verifier.verify(&token, NOW).unwrap_err();
        assert!(matches!(err, Error::Malformed(_)), "{token}: {err:?}");
        assert_eq!(err.to_string(), "jwt malformed");
    }
    let (h, rest) = good.split_once('.').unwrap();
    let (_, s) = rest.split_once('.').unwrap();
    // Empty header or payload segments are not JSON.
    assert!(matches!(
        verifier.verify(&format!(".{rest}"), NOW).unwrap_err(),
        Error::Malformed(_)
    ));
    assert!(verifier.verify(&format!("{h}..{s}"), NOW).is_err());
}

#[test]
fn empty_truncated_and_overlong_signatures() {
    let rsa = signing_key("rsa2048.pkcs8.pem");
    let cases: [(SigningKey, Algorithm, &str); 4] = [
        (
            SigningKey::hmac(SECRET).unwrap(),
            Algorithm::HS256,
            r#"{"alg":"HS256"}"#,
        ),
        (rsa, Algorithm::RS256, r#"{"alg":"RS256"}"#),
        (
            signing_key("p256.pkcs8.pem"),
            Algorithm::ES256,
            r#"{"alg":"ES256"}"#,
        ),
        (
            signing_key("ed25519.pkcs8.pem"),
            Algorithm::EdDSA,
            r#"{"alg":"EdDSA"}"#,
        ),
    ];
    for (key, alg, header) in cases {
        let verifier = Verifier::new(key.verifying_key(), Validation::new());
        let good = token(header, CLAIMS, &key, alg);
        assert!(verifier.verify(&good, NOW).is_ok(), "{alg}");
        let (input, s) = good.rsplit_once('.').unwrap();
        let signature = URL_SAFE_NO_PAD.decode(s).unwrap();
        assert_eq!(
            verifier.verify(&format!("{input}."), NOW).unwrap_err(),
            Error::SignatureRequired
        );
        for bad in [
            signature[..signature.len() - 1].to_vec(),
            signature[..1].to_vec(),
            [&signature[..], &[0]].concat(),
            [&[0], &signature[..]].concat(),
            [&signature[..], &signature[..]].concat(),
            vec![0; signature.len()],
            vec![0xff; signature.len()],
        ] {
            let err = verifier
                .verify(&format!("{input}.{}", b64(&bad)), NOW)
                .unwrap_err();
            assert_eq!(err, Error::InvalidSignature, "{alg} len {}", bad.len());
        }
        // Truncating the text, not the bytes: every shorter prefix is `invalid signature`
        // (as Node's jsonwebtoken says for HS*/RS*/PS*), whether its length is possible for
        // base64url, impossible (len % 4 == 1), or leaves non-zero unused bits.
        for len in 1..s.len() {
            let err = verifier
                .verify(&format!("{input}.{}", &s[..len]), NOW)
                .unwrap_err();
            assert_eq!(err, Error::InvalidSignature, "{alg} {len} characters");
        }
        // The signature check comes before the payload is looked at.
        let (header_b64, _) = input.split_once('.').unwrap();
        assert_eq!(
            verifier
                .verify(&format!("{header_b64}.e30.{}", &s[..5]), NOW)
                .unwrap_err(),
            Error::InvalidSignature,
            "{alg}"
        );
    }
}

#[test]
fn invalid_ecdsa_values() {
    // P-256 group order n, big-endian.
    let n = common::hex("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551");
    let n_minus_1 = {
        let mut v = n.clone();
        *v.last_mut().unwrap() -= 1;
        v
    };
    let one = {
        let mut v = vec![0u8; 32];
        v[31] = 1;
        v
    };
    let zero = [0u8; 32];
    let key = signing_key("p256.pkcs8.pem");
    let verifier = Verifier::new(key.verifying_key(), Validation::new());
    let good = token(r#"{"alg":"ES256"}"#, CLAIMS, &key, Algorithm::ES256);
    let (input, s) = good.rsplit_once('.').unwrap();
    let sig = URL_SAFE_NO_PAD.decode(s).unwrap();
    let (r, s) = sig.split_at(32);
    for (r, s) in [
        (&zero[..], s),
        (r, &zero[..]),
        (&zero[..], &zero[..]),
        (&n[..], s),
        (r, &n[..]),
        (&n[..], &n[..]),
        (&one[..], &one[..]),
        (&n_minus_1[..], &n_minus_1[..]),
        (&[0xff; 32][..], s),
    ] {
        let forged = format!("{input}.{}", b64(&[r, s].concat()));
        assert_eq!(
            verifier.verify(&forged, NOW).unwrap_err(),
            Error::InvalidSignature
        );
    }
    // r || (n - s) is the other valid signature of the same value (malleability); ring accepts it
    // as ECDSA defines, and it does not let anything else through. Only the exact DER-free form
    // with both halves in range is accepted.
    let asn1 = format!(
        "{input}.{}",
        b64(&[&[0x30, 0x44, 0x02, 0x20][..], r, &[0x02, 0x20], s].concat())
    );
    assert_eq!(
        verifier.verify(&asn1, NOW).unwrap_err(),
        Error::InvalidSignature
    );
}

#[test]
fn small_rsa_keys_are_refused() {
    let err = Key::from_pem(&key_file("rsa1024.spki.pem")).unwrap_err();
    assert!(
        matches!(
            err,
            Error::InvalidKey(KeyRejected::RsaTooSmall { bits: 1024 })
        ),
        "{err:?}"
    );
    assert_eq!(err.fault(), Fault::Server);
    assert_eq!(err.code(), "invalid_key");
}

#[test]
fn empty_and_short_hmac_keys_are_refused() {
    assert_eq!(
        Key::hmac(b"").unwrap_err(),
        Error::InvalidKey(KeyRejected::HmacEmpty)
    );
    assert_eq!(
        Key::hmac_legacy(b"").unwrap_err(),
        Error::InvalidKey(KeyRejected::HmacEmpty)
    );
    assert_eq!(
        SigningKey::hmac(b"secret").unwrap_err(),
        Error::InvalidKey(KeyRejected::HmacTooShort { len: 6, min: 32 })
    );
    assert!(Key::from_jwk(r#"{"kty":"oct","k":""}"#).is_err());
    // A 32-byte secret does not verify HS512 (RFC 7518 §3.2 wants 64 bytes).
    let hs512 = token(
        r#"{"alg":"HS512"}"#,
        CLAIMS,
        &SigningKey::hmac_legacy(SECRET).unwrap(),
        Algorithm::HS512,
    );
    assert_eq!(
        hmac_verifier().verify(&hs512, NOW).unwrap_err(),
        Error::InvalidAlgorithm
    );
}

#[test]
fn limits_length_depth_and_time() {
    let verifier = hmac_verifier();
    let long_claims = format!(r#"{{"exp":1700003600,"pad":"{}"}}"#, "x".repeat(9000));
    let long = hs256(r#"{"alg":"HS256"}"#, &long_claims);
    assert_eq!(
        verifier.verify(&long, NOW).unwrap_err(),
        Error::Malformed(Malformed::TooLong)
    );
    let roomy = Verifier::new(
        Key::hmac(SECRET).unwrap(),
        Validation::new().max_token_len(64 * 1024),
    );
    assert!(
        roomy.verify(&long, NOW).is_ok(),
        "large payloads decode through the heap path"
    );
    let deep = format!(
        r#"{{"exp":1700003600,"x":{}1{}}}"#,
        "[".repeat(40),
        "]".repeat(40)
    );
    assert_eq!(
        verifier
            .verify(&hs256(r#"{"alg":"HS256"}"#, &deep), NOW)
            .unwrap_err(),
        Error::Malformed(Malformed::TooDeep)
    );
    let deep_header = format!(
        r#"{{"alg":"HS256","x":{}1{}}}"#,
        "[".repeat(200),
        "]".repeat(200)
    );
    assert!(verifier.verify(&hs256(&deep_header, CLAIMS), NOW).is_err());
    // Time arithmetic saturates at the edges instead of wrapping.
    let far = hs256(
        r#"{"alg":"HS256"}"#,
        &format!(
            r#"{{"exp":{},"nbf":{},"iat":{}}}"#,
            u64::MAX,
            u64::MAX,
            u64::MAX
        ),
    );
    let lax = Verifier::new(
        Key::hmac(SECRET).unwrap(),
        Validation::new().leeway(u64::MAX).max_age(u64::MAX),
    );
    assert!(lax.verify(&far, u64::MAX - 1).is_ok());
    assert_eq!(
        lax.verify(&far, u64::MAX).unwrap_err(),
        Error::Expired {
            expired_at: u64::MAX
        }
    );
    assert!(lax.verify(&far, 0).is_ok());
    let strict = Verifier::new(Key::hmac(SECRET).unwrap(), Validation::new().leeway(0));
    assert_eq!(
        strict.verify(&far, 0).unwrap_err().to_string(),
        "jwt not active"
    );
}

#[test]
fn node_messages() {
    let verifier = Verifier::new(
        Key::hmac(SECRET).unwrap(),
        Validation::new()
            .audiences(["a", "b"])
            .issuer("me")
            .subject("alice")
            .leeway(0)
            .max_age(60),
    );
    let cases = [
        (
            r#"{"exp":1699999999,"aud":"a","iss":"me","sub":"alice","iat":1699999990}"#,
            "jwt expired",
            "TokenExpiredError",
        ),
        (
            r#"{"exp":1700003600,"nbf":1700000100,"aud":"a","iss":"me","sub":"alice","iat":1699999990}"#,
            "jwt not active",
            "NotBeforeError",
        ),
        (
            r#"{"exp":1700003600,"aud":"c","iss":"me","sub":"alice","iat":1699999990}"#,
            "jwt audience invalid. expected: a or b",
            "JsonWebTokenError",
        ),
        (
            r#"{"exp":1700003600,"aud":"a","iss":"you","sub":"alice","iat":1699999990}"#,
            "jwt issuer invalid. expected: me",
            "JsonWebTokenError",
        ),
        (
            r#"{"exp":1700003600,"aud":"a","iss":"me","sub":"bob","iat":1699999990}"#,
            "jwt subject invalid. expected: alice",
            "JsonWebTokenError",
        ),
        (
            r#"{"exp":1700003600,"aud":"a","iss":"me","sub":"alice","iat":1699990000}"#,
            "maxAge exceeded",
            "TokenExpiredError",
        ),
        (
            r#"{"exp":1700003600,"aud":"a","iss":"me","sub":"alice"}"#,
            "iat required when maxAge is specified",
            "JsonWebTokenError",
        ),
    ];
    for (claims, message, name) in cases {
        let err = verifier
            .verify(&hs256(r#"{"alg":"HS256"}"#, claims), NOW)
            .unwrap_err();
        assert_eq!(
            (err.to_string().as_str(), err.node_name()),
            (message, name),
            "{claims}"
        );
    }
    let bad_sig = hs256(r#"{"alg":"HS256"}"#, CLAIMS)
        .replace(".", ".x")
        .replacen(".x", ".", 1);
    assert!(verifier.verify(&bad_sig, NOW).is_err());
    let other = Verifier::new(Key::hmac([9u8; 32]).unwrap(), Validation::new());
    assert_eq!(
        other
            .verify(&hs256(r#"{"alg":"HS256"}"#, CLAIMS), NOW)
            .unwrap_err()
            .to_string(),
        "invalid signature"
    );
    assert_eq!(Error::Expired { expired_at: 5 }.code(), "token_expired");
}
