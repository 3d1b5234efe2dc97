//! The Socket.IO conformance server that protocol test suites drive.
//!
//! Path `/socket.io/`, pingInterval 300 ms, pingTimeout 200 ms, connectTimeout 1000 ms, maxPayload
//! 1000000; namespaces `/` and `/custom` (any other is refused with `Invalid namespace`); on connect
//! each emits `auth` with the CONNECT payload; on `/`, `message` is answered with `message-back`
//! and the same arguments, and `message-with-ack` is acknowledged with the same arguments. The
//! Engine.IO echo server is served on the same port at `/engine.io/`.

use crate::runtime::{Socket, SocketIo, SocketIoConfig};
use engineio::runtime::{Cors, Engine, RunningServer, Server, ServerConfig};
use std::net::SocketAddr;
use std::time::Duration;

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
        emit_auth(&socket);
        socket.on("message", |socket, args, _ack| {
            let _ = socket.emit("message-back", args);
        });
        socket.on("message-with-ack", |_socket, args, ack| {
            if let Some(ack) = ack {
                let _ = ack.send(args);
            }
        });
    });
    io.of("/custom").on_connection(|socket| emit_auth(&socket));
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
    let io = SocketIo::new(config());
    setup(&io);
    io.start();
    let echo = Engine::new(engineio::echo::config());
    engineio::echo::spawn_echo(echo.clone());
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
