//! A small command-line front end, used by the interop tests (`tests/interop/jwt/run.sh`).
//!
//! ```text
//! jwt_tool sign   ALG KEYFILE CLAIMS_JSON [--kid KID]
//! jwt_tool verify ALG KEYFILE TOKEN [--legacy] [--aud AUD] [--now SECONDS] [--leeway SECONDS]
//! ```
//!
//! For HS* the key file holds the raw secret; otherwise a PEM private key (sign) or public key
//! (verify). `verify` prints the claims as JSON and exits 0, or prints the error message (the
//! same text Node's `jsonwebtoken` uses) and exits 1. `--legacy` accepts HMAC secrets shorter
//! than 32 bytes. The leeway is 0 unless `--leeway` gives one (Node's `clockTolerance`).
#![allow(clippy::unwrap_used)]
// A command-line tool: its default `now` is the real clock.
#![allow(clippy::disallowed_methods)]

use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use jwt_auth::{Algorithm, Claims, Header, Key, SigningKey, SystemRandom, Validation, Verifier};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(out) => {
            println!("{out}");
            ExitCode::SUCCESS
        }
        Err(message) => {
            println!("{message}");
            ExitCode::FAILURE
        }
    }
}

fn flag<'a>(args: &'a [String], name: &str) -> Option<&'a str> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map(String::as_str)
}

fn run(args: &[String]) -> Result<String, String> {
    let [command, alg, key_file, input, ..] = args else {
        return Err("usage: jwt_tool sign|verify ALG KEYFILE CLAIMS_JSON|TOKEN [options]".into());
    };
    let alg = Algorithm::from_name(alg).ok_or_else(|| format!("unknown algorithm {alg}"))?;
    let key_bytes = std::fs::read(key_file).map_err(|e| format!("{key_file}: {e}"))?;
    let legacy = args.iter().any(|a| a == "--legacy");
    let rng = SystemRandom::new();
    match command.as_str() {
        "sign" => {
            let mut key = if alg.is_hmac() {
                if legacy {
                    SigningKey::hmac_legacy(&key_bytes)
                } else {
                    SigningKey::hmac(&key_bytes)
                }
            } else {
                SigningKey::from_pem(&String::from_utf8_lossy(&key_bytes), &rng)
            }
            .map_err(|e| e.to_string())?;
            let mut header = Header::new(alg);
            if let Some(kid) = flag(args, "--kid") {
                key = key.with_kid(kid);
                header = header.with_kid(kid.to_owned());
            }
            let claims: Claims = serde_json::from_str(input).map_err(|e| e.to_string())?;
            jwt_auth::sign(&header, &claims, &key, &rng).map_err(|e| e.to_string())
        }
        "verify" => {
            let key = if alg.is_hmac() {
                if legacy {
                    Key::hmac_legacy(&key_bytes)
                } else {
                    Key::hmac(&key_bytes)
                }
            } else {
                Key::from_pem(&String::from_utf8_lossy(&key_bytes))
            }
            .map_err(|e| e.to_string())?;
            let mut validation = Validation::new()
                .algorithms(alg)
                .leeway(0)
                .required_claims::<&str>([]);
            if let Some(aud) = flag(args, "--aud") {
                validation = validation.audience(aud);
            }
            if let Some(leeway) = flag(args, "--leeway") {
                validation = validation.leeway(leeway.parse().map_err(|_| "bad --leeway")?);
            }
            let now = match flag(args, "--now") {
                Some(n) => n.parse().map_err(|_| "bad --now".to_owned())?,
                None => SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map(|d| d.as_secs())
                    .unwrap_or(0),
            };
            let verified = Verifier::new(key, validation)
                .verify(input, now)
                .map_err(|e| e.to_string())?;
            serde_json::to_string(verified.claims()).map_err(|e| e.to_string())
        }
        other => Err(format!("unknown command {other}")),
    }
}
