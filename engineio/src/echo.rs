//! The Engine.IO echo server that conformance suites drive: path `/engine.io/`, pingInterval 300 ms,
//! pingTimeout 200 ms, maxPayload 1000000; text comes back as text and binary as binary. A handshake
//! with `forbidden=1` in its query is refused (403, code 4), so suites can check that error.

use crate::runtime::{Cors, Engine, EngineConfig, RunningServer, Server, ServerConfig};
use std::net::SocketAddr;
use std::time::Duration;

/// The echo endpoint's settings.
pub fn config() -> EngineConfig {
    EngineConfig::default()
        .path("/engine.io/")
        .ping_interval(Duration::from_millis(300))
        .ping_timeout(Duration::from_millis(200))
        .max_payload(1_000_000)
        .cors(Cors::any())
        // Lets conformance suites see error code 4: a handshake asking to be refused is.
        .allow_request(|req| {
            crate::proto::query::get(&req.query, "forbidden").as_deref() != Some("1")
        })
}

/// Answers every message of every session of `engine` with the same message.
pub fn spawn_echo(engine: Engine) {
    tokio::spawn(async move {
        while let Some(mut socket) = engine.accept().await {
            tokio::spawn(async move {
                while let Some(data) = socket.recv().await {
                    if socket.send(data).is_err() {
                        break;
                    }
                }
            });
        }
    });
}

/// A running echo server.
#[derive(Debug)]
pub struct EchoServer {
    server: RunningServer,
}

impl EchoServer {
    /// The address it listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.server.local_addr()
    }

    /// Stops it.
    pub async fn shutdown(self) {
        self.server.shutdown().await
    }

    /// Runs until the server stops.
    pub async fn wait(self) {
        self.server.wait().await
    }
}

/// Starts the echo server on `addr` (port 0 for any free port), with a 5 s header timeout.
pub async fn start(addr: SocketAddr) -> std::io::Result<EchoServer> {
    let engine = Engine::new(config());
    spawn_echo(engine.clone());
    let http = ServerConfig {
        header_timeout: Duration::from_secs(5),
        ..ServerConfig::default()
    };
    let server = Server::new(addr)
        .engine(engine)
        .config(http)
        .start()
        .await?;
    Ok(EchoServer { server })
}
