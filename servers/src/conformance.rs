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
//! With an admin password ([`Extras::admin_password`], `--admin-password P`) the Socket.IO Admin UI is
//! served on `/admin` too (user `admin`, development mode).
//!
//! With [`AuthOptions`] that name a key, both namespaces require a JWT; after a successful
//! authentication the server emits `claims` with the verified claims, then behaves as above.

use crate::auth_options::AuthOptions;
use crate::echo;
use crate::front::{self, Running};
use crate::listen::Listen;
use engineio::runtime::{Cors, Engine, ServerConfig};
use socketio::admin::{AdminAuth, AdminConfig, AdminConfigError, AdminMode};
use socketio::proto::{Parser, Payload, RecoveryConfig};
use socketio::runtime::{Socket, SocketIo, SocketIoConfig};
use std::net::SocketAddr;
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
    let payload = Payload::json(vec![auth]).unwrap_or_default();
    let _ = socket.emit("auth", payload);
}

/// A running conformance server.
#[derive(Debug)]
pub struct ConformanceServer {
    server: Running,
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

/// Starts the conformance server with authentication options.
pub async fn start_with(
    addr: SocketAddr,
    auth: &AuthOptions,
) -> std::io::Result<ConformanceServer> {
    start_on(&Listen::at(addr), auth, &Extras::default()).await
}

/// What the conformance server's flags turn on besides authentication.
#[derive(Debug, Clone, Default)]
pub struct Extras {
    /// Connection state recovery (`--recovery-ms`: the `conformance` runner's `sio.recovery`
    /// checks).
    pub recovery: Option<RecoveryConfig>,
    /// The wire format (`--parser json|msgpack`: the runner's `--parser msgpack` checks).
    pub parser: Parser,
    /// `--admin-password P`: the Admin UI on `/admin`, user `admin`, development mode (the
    /// engine's CORS already allows any origin with credentials, so the UI may be served from
    /// anywhere).
    pub admin_password: Option<String>,
    /// `--ping-interval-ms N` and `--ping-timeout-ms N` instead of 300 and 200: a suite driving a
    /// browser on a loaded machine (the Admin UI's) cannot keep clients alive at 200 ms. The
    /// conformance checks expect the defaults.
    pub heartbeat: Option<(Duration, Duration)>,
}

/// Starts the conformance server as `listen` says, with authentication options and `extras`.
pub async fn start_on(
    listen: &Listen,
    auth: &AuthOptions,
    extras: &Extras,
) -> std::io::Result<ConformanceServer> {
    let policies = auth
        .policies()
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
    let mut config = (config().auth(policies).parser(extras.parser)).allow_eio3(listen.allow_eio3);
    config.connection.recovery = extras.recovery;
    if let Some((interval, timeout)) = extras.heartbeat {
        config.engine = config.engine.ping_interval(interval).ping_timeout(timeout);
    }
    let io = SocketIo::new(config);
    if let Some(password) = &extras.admin_password {
        instrument(&io, password)?;
    }
    setup(&io);
    let echo_engine = Engine::new(echo::config());
    echo::serve_echo(&echo_engine);
    let http = ServerConfig {
        header_timeout: Duration::from_secs(5),
        ..ServerConfig::default()
    };
    let server = front::start(listen, vec![io.engine(), echo_engine], http).await?;
    Ok(ConformanceServer { server, io })
}

/// Turns the Admin UI on (see [`start_with_admin`]). The hash is made here at bcrypt's lowest
/// cost: this is a test server, and its tests start it often.
fn instrument(io: &SocketIo, password: &str) -> std::io::Result<()> {
    let invalid = |e: AdminConfigError| std::io::Error::new(std::io::ErrorKind::InvalidInput, e);
    let auth = AdminAuth::basic_with_password("admin", password, 4).map_err(invalid)?;
    let config = AdminConfig::new(auth)
        .mode(AdminMode::Development)
        .server_id("conformance");
    io.instrument(config).map_err(invalid)?;
    Ok(())
}
