//! The Engine.IO echo server that conformance suites drive: path `/engine.io/`, pingInterval 300 ms,
//! pingTimeout 200 ms, maxPayload 1000000; text comes back as text and binary as binary. A handshake
//! with `forbidden=1` in its query is refused (403, code 4), so suites can check that error.

use crate::front::{self, Running};
use crate::listen::Listen;
use engineio::proto::Event;
use engineio::runtime::{
    AppContext, Cors, Engine, EngineConfig, NoMessage, ServerConfig, SessionApp, SocketHandle,
};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

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
            engineio::proto::query::get(&req.query, "forbidden").as_deref() != Some("1")
        })
}

/// Answers every message of every session of `engine` with the same message, in the session's
/// own task: the echoes of a POST's messages are queued before the next request of the session is
/// read (as Node's synchronous `message` handler does), so a GET after the POST's answer carries
/// them all.
pub fn serve_echo(engine: &Engine) {
    engine.serve_with(|new| Echo {
        _handle: new.handle,
    });
}

/// The echo application of one session.
struct Echo {
    /// Kept: a session whose handles are all gone closes.
    _handle: SocketHandle,
}

impl SessionApp for Echo {
    type Message = NoMessage;

    fn on_event(&mut self, event: Event, cx: &mut AppContext<'_, NoMessage>) {
        if let Event::Message(data) = event {
            // Full: the client does not read; its session closes after the send budget's grace.
            let _ = cx.send(data);
        }
    }

    fn on_message(&mut self, message: NoMessage, _: &mut AppContext<'_, NoMessage>) {
        match message {}
    }

    fn poll_timeout(&self) -> Option<Instant> {
        None
    }

    fn on_timeout(&mut self, _: &mut AppContext<'_, NoMessage>) {}
}

/// A running echo server.
#[derive(Debug)]
pub struct EchoServer {
    server: Running,
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
    start_on(&Listen::at(addr)).await
}

/// [`start`] as `listen` says.
pub async fn start_on(listen: &Listen) -> std::io::Result<EchoServer> {
    let engine = Engine::new(config());
    serve_echo(&engine);
    let http = ServerConfig {
        header_timeout: Duration::from_secs(5),
        ..ServerConfig::default()
    };
    let server = front::start(listen, vec![engine], http).await?;
    Ok(EchoServer { server })
}
