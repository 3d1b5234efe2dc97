//! The JWT flags of the conformance server (`--jwt-secret`, `--jwks`, `--auth-mode`, ...) and the
//! authentication policies they describe.

use jwt_auth::{Algorithm, AlgorithmSet, Key, KeySet, Validation, Verifier};
use socketio::proto::{AuthMode, AuthPolicies, AuthPolicy, JwtPolicy, TokenSource};
use socketio::runtime::JwksFile;
use std::sync::Arc;
use std::time::Duration;

/// The authentication flags of the conformance server.
#[derive(Clone, Debug, Default)]
pub struct AuthOptions {
    /// `--jwt-secret S`: an HMAC secret (at least 32 bytes).
    pub secret: Option<String>,
    /// `--jwt-public-key FILE`: a PEM public key.
    pub public_key: Option<std::path::PathBuf>,
    /// `--jwks FILE`: a JWKS file, read again when it changes.
    pub jwks: Option<std::path::PathBuf>,
    /// `--jwt-algorithms LIST`: the accepted algorithms (default: what the keys allow).
    pub algorithms: Vec<String>,
    /// `--jwt-issuer S`.
    pub issuer: Option<String>,
    /// `--jwt-audience S` (repeatable).
    pub audiences: Vec<String>,
    /// `--jwt-leeway-s N`.
    pub leeway_s: Option<u64>,
    /// `--token-sources LIST` from `auth,header,query,cookie` (default `auth,header`).
    pub sources: Vec<String>,
    /// `--auth-mode handshake|event` (default handshake).
    pub mode: Option<String>,
    /// `--auth-timeout-ms N` (event mode; default 10000).
    pub timeout_ms: Option<u64>,
    /// `--jwt-refresh`: a connected client may send `authenticate` with a fresh token.
    pub refresh: bool,
}

impl AuthOptions {
    /// Whether any key flag was given (then both namespaces require a token).
    pub fn enabled(&self) -> bool {
        self.secret.is_some() || self.public_key.is_some() || self.jwks.is_some()
    }

    /// Takes one flag (and its value) if it is an auth flag: `Ok(true)` when consumed.
    pub fn parse_flag(&mut self, flag: &str, value: Option<&str>) -> Result<bool, String> {
        let need = || {
            value
                .map(str::to_owned)
                .ok_or_else(|| format!("{flag} needs a value"))
        };
        match flag {
            "--jwt-secret" => self.secret = Some(need()?),
            "--jwt-public-key" => self.public_key = Some(need()?.into()),
            "--jwks" => self.jwks = Some(need()?.into()),
            "--jwt-algorithms" => {
                self.algorithms = need()?.split(',').map(|s| s.trim().to_owned()).collect()
            }
            "--jwt-issuer" => self.issuer = Some(need()?),
            "--jwt-audience" => self.audiences.push(need()?),
            "--jwt-leeway-s" => {
                self.leeway_s = Some(need()?.parse().map_err(|_| format!("invalid {flag}"))?)
            }
            "--token-sources" => {
                self.sources = need()?.split(',').map(|s| s.trim().to_owned()).collect()
            }
            "--auth-mode" => self.mode = Some(need()?),
            "--auth-timeout-ms" => {
                self.timeout_ms = Some(need()?.parse().map_err(|_| format!("invalid {flag}"))?)
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// The policies these options describe (no authentication without a key flag).
    pub fn policies(&self) -> Result<AuthPolicies, String> {
        if !self.enabled() {
            return Ok(AuthPolicies::default());
        }
        let mut keys = Vec::new();
        if let Some(secret) = &self.secret {
            keys.push(Key::hmac(secret.as_bytes()).map_err(|e| format!("--jwt-secret: {e}"))?);
        }
        if let Some(path) = &self.public_key {
            let pem =
                std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
            keys.push(Key::from_pem(&pem).map_err(|e| format!("{}: {e}", path.display()))?);
        }
        let mut validation = Validation::new();
        if !self.algorithms.is_empty() {
            let mut set = AlgorithmSet::empty();
            for name in &self.algorithms {
                set = set.with(
                    Algorithm::from_name(name)
                        .ok_or_else(|| format!("unknown algorithm {name}"))?,
                );
            }
            validation = validation.algorithms(set);
        }
        if let Some(issuer) = &self.issuer {
            validation = validation.issuer(issuer.clone());
        }
        if !self.audiences.is_empty() {
            validation = validation.audiences(self.audiences.clone());
        }
        if let Some(leeway) = self.leeway_s {
            validation = validation.leeway(leeway);
        }
        let static_keys = if keys.is_empty() {
            None
        } else {
            Some(KeySet::new(keys).map_err(|e| e.to_string())?)
        };
        let jwks = match &self.jwks {
            Some(path) => Some(JwksFile::open(path)?),
            None => None,
        };
        let verifier = Verifier::with_resolver(
            move |header: &jwt_auth::Header<'_>, _: &()| {
                if let Some(jwks) = &jwks {
                    match jwks.key_set().find(header) {
                        Err(jwt_auth::Error::KeyNotFound) if static_keys.is_some() => {}
                        found => return found,
                    }
                }
                static_keys
                    .as_ref()
                    .map_or(Err(jwt_auth::Error::KeyNotFound), |k| k.find(header))
            },
            validation,
        );
        let names: Vec<String> = if self.sources.is_empty() {
            vec!["auth".into(), "header".into()]
        } else {
            self.sources.clone()
        };
        let sources = names
            .iter()
            .map(|n| TokenSource::from_name(n).ok_or_else(|| format!("unknown token source {n}")))
            .collect::<Result<Vec<_>, _>>()?;
        let mode = match self.mode.as_deref() {
            None | Some("handshake") => AuthMode::Handshake,
            Some("event") => AuthMode::Event,
            Some(other) => return Err(format!("unknown --auth-mode {other}")),
        };
        let policy = JwtPolicy {
            verifier,
            sources,
            mode,
            refresh: self.refresh,
            timeout: Duration::from_millis(self.timeout_ms.unwrap_or(10_000)),
        };
        Ok(AuthPolicies {
            default: AuthPolicy::Jwt(Arc::new(policy)),
            namespaces: Vec::new(),
        })
    }
}
