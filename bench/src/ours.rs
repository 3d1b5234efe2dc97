//! Our bench server's behaviour on our `SocketIo` (the `bench-server` binary serves it; the smoke
//! test drives it in-process).
//!
//! Namespace `/`; `echo` is acknowledged with its argument (or emitted back as `echo` when no
//! acknowledgement is asked); `join` (acknowledged) joins the room named by its argument; `bcast`
//! broadcasts its argument as `bcast` to room `bench`. With a JWT secret (at least 32 bytes), the
//! CONNECT must carry `{"token": <HS256 JWT>}` signed with it and not expired, else a connect
//! error.

use engineio::runtime::ServerConfig;
use jwt_auth::{Algorithm, Key, Validation, Verifier};
use socketio::admin::{AdminAuth, AdminConfig, AdminMode};
use socketio::proto::{AuthMode, AuthPolicies, AuthPolicy, JwtPolicy, Parser, TokenSource};
use socketio::runtime::{SocketIo, SocketIoConfig};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use test_servers::front::{self, Front, Running};
use test_servers::listen::Listen;

fn config(jwt_secret: Option<&str>) -> Result<SocketIoConfig, String> {
    let config = SocketIoConfig::default();
    let Some(secret) = jwt_secret else {
        return Ok(config);
    };
    let key = Key::hmac(secret.as_bytes()).map_err(|e| format!("JWT secret: {e}"))?;
    let verifier = Verifier::new(key, Validation::new().algorithms(Algorithm::HS256));
    let policy = JwtPolicy {
        verifier,
        sources: vec![TokenSource::AuthPayload],
        mode: AuthMode::Handshake,
        refresh: false,
        timeout: Duration::from_secs(10),
    };
    Ok(config.auth(AuthPolicies {
        default: AuthPolicy::Jwt(Arc::new(policy)),
        namespaces: Vec::new(),
    }))
}

/// Starts the bench server on `addr` (port 0: any free port), through `front` (the built-in
/// server, or its tower service in an axum `Router`), speaking `parser`, instrumented for the
/// Admin UI in `admin` mode if given (no UI connects: the cost of the counters and hooks alone).
pub async fn start(
    addr: SocketAddr,
    jwt_secret: Option<&str>,
    front: Front,
    parser: Parser,
    admin: Option<AdminMode>,
) -> Result<Running, String> {
    let io = SocketIo::new(config(jwt_secret)?.parser(parser));
    if let Some(mode) = admin {
        let config = AdminConfig::new(AdminAuth::None).mode(mode);
        io.instrument(config)
            .map_err(|e| format!("instrument: {e}"))?;
    }
    io.of("/").on_connection(|socket| {
        socket.on("echo", |socket, args, ack| match ack {
            Some(ack) => {
                let _ = ack.send(args);
            }
            None => {
                let _ = socket.emit("echo", args);
            }
        });
        socket.on("join", |socket, args, ack| {
            if let Some(Ok(room)) = args.args().first().map(|a| a.deserialize::<String>()) {
                socket.join(&room);
            }
            if let Some(ack) = ack {
                let _ = ack.send(());
            }
        });
        socket.on("bcast", |socket, args, _ack| {
            let _ = socket.namespace().to("bench").emit("bcast", args);
        });
    });
    let mut listen = Listen::at(addr);
    listen.front = front;
    front::start(&listen, vec![io.engine()], ServerConfig::default())
        .await
        .map_err(|e| format!("listen on {addr}: {e}"))
}
