//! The Socket.IO conformance server that protocol test suites drive.
//!
//! Path `/socket.io/`, pingInterval 300 ms, pingTimeout 200 ms, connectTimeout 1000 ms, maxPayload
//! 1000000; namespaces `/` and `/custom` (any other is refused with `Invalid namespace`); on connect
//! each emits `auth` with the CONNECT payload; on `/`, `message` is answered with `message-back`
//! and the same arguments, `message-with-ack` is acknowledged with the same arguments,
//! `emit-with-ack` is emitted back with the same arguments and an ack request, then emitted once
//! more with the arguments of the client's ack, and `broadcast` is sent to every socket of `/`
//! (sender included) with the same arguments. The Engine.IO echo server is served on the same
//! port at `/engine.io/`.
//!
//! With [`AuthOptions`] that name a key, both namespaces require a JWT; after a successful
//! authentication the server emits `claims` with the verified claims, then behaves as above.

use crate::proto::{AuthMode, AuthPolicies, AuthPolicy, JwtPolicy, TokenSource};
use crate::runtime::{JwksFile, Socket, SocketIo, SocketIoConfig};
use engineio::runtime::{Cors, Engine, RunningServer, Server, ServerConfig};
use jwt_auth::{Algorithm, AlgorithmSet, Key, KeySet, Validation, Verifier};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

/// How long `emit-with-ack` waits for the client's ack: a client that never answers costs one
/// task for this long.
const EMIT_WITH_ACK_TIMEOUT: Duration = Duration::from_secs(10);

/// The conformance server's Socket.IO settings.
pub fn config() -> SocketIoConfig {
    let mut config = SocketIoConfig::default().connect_timeout(Duration::from_millis(1000));
    config.engine = config
        .engine
        .path("/socket.io/")
        .ping_interval(Duration::from_millis(300))
        .ping_timeout(Duration::from_millis(200))
        .max_payload(1_000_000)
        .cors(Cors::any());
    config
}

/// Registers the conformance behaviour on `io`.
pub fn setup(io: &SocketIo) {
    io.of("/").on_connection(|socket| {
        emit_claims(&socket);
        emit_auth(&socket);
        socket.on("message", |socket, args, _ack| {
            let _ = socket.emit("message-back", args);
        });
        // Every socket of `/` (the sender included) gets `broadcast` with the same arguments;
        // lets a client check that a socket still authenticating receives no broadcast.
        socket.on("broadcast", |socket, args, _ack| {
            let _ = socket.namespace().broadcast().emit("broadcast", args);
        });
        socket.on("message-with-ack", |_socket, args, ack| {
            if let Some(ack) = ack {
                let _ = ack.send(args);
            }
        });
        // The server side of an ack (socketioxide's port of the test suite): the client sees an
        // EVENT with an ack id, and its ack's arguments come back as a plain event.
        socket.on("emit-with-ack", |socket, args, _ack| {
            let socket = socket.clone();
            tokio::spawn(async move {
                if let Ok(reply) = socket
                    .emit_with_ack("emit-with-ack", args, EMIT_WITH_ACK_TIMEOUT)
                    .await
                {
                    let _ = socket.emit("emit-with-ack", reply);
                }
            });
        });
    });
    io.of("/custom").on_connection(|socket| {
        emit_claims(&socket);
        emit_auth(&socket);
    });
}

fn emit_claims(socket: &Socket) {
    if let Some(claims) = socket.claims() {
        let _ = socket.emit("claims", serde_json::Value::Object(claims));
    }
}

fn emit_auth(socket: &Socket) {
    let auth = socket.auth().clone();
    let payload = crate::proto::Payload::json(vec![auth]).unwrap_or_default();
    let _ = socket.emit("auth", payload);
}

/// A running conformance server.
#[derive(Debug)]
pub struct ConformanceServer {
    server: RunningServer,
    /// The Socket.IO server, for adding behaviour.
    pub io: SocketIo,
}

impl ConformanceServer {
    /// The address it listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.server.local_addr()
    }

    /// Stops it.
    pub async fn shutdown(self) {
        self.server.shutdown().await
    }
}

/// Starts the conformance server on `addr` (port 0 for any free port).
pub async fn start(addr: SocketAddr) -> std::io::Result<ConformanceServer> {
    start_with(addr, &AuthOptions::default()).await
}

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

/// Starts the conformance server with authentication options.
pub async fn start_with(
    addr: SocketAddr,
    auth: &AuthOptions,
) -> std::io::Result<ConformanceServer> {
    let policies = auth
        .policies()
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
    let io = SocketIo::new(config().auth(policies));
    setup(&io);
    io.start();
    let echo = Engine::new(engineio::echo::config());
    engineio::echo::serve_echo(&echo);
    let http = ServerConfig {
        header_timeout: Duration::from_secs(5),
        ..ServerConfig::default()
    };
    let server = Server::new(addr)
        .engine(io.engine())
        .engine(echo)
        .config(http)
        .start()
        .await?;
    Ok(ConformanceServer { server, io })
}
