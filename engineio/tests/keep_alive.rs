//! The built-in server's HTTP/1.1 connections between requests, over real sockets: the head
//! timer (the keep-alive idle time) and the shutdown close a connection that waits for its next
//! request, after requests as before the first; a head that stops midway gets `408`.
#![allow(clippy::unwrap_used, missing_docs)]
// A test of the tokio runtime, not the core: it reads the clock and spawns tasks.
#![allow(clippy::disallowed_methods)]

mod common;

use common::Conn;
use engineio::runtime::{Engine, EngineConfig, RunningServer, Server, ServerConfig};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

const HEAD_TIMEOUT: Duration = Duration::from_millis(400);

async fn start() -> (SocketAddr, RunningServer) {
    let server = Server::new(([127, 0, 0, 1], 0).into())
        .engine(Engine::new(EngineConfig::default()))
        .config(ServerConfig {
            header_timeout: HEAD_TIMEOUT,
            ..ServerConfig::default()
        })
        .start()
        .await
        .unwrap();
    (server.local_addr(), server)
}

#[tokio::test]
async fn an_idle_connection_closes_after_the_head_timeout_after_each_request() {
    let (addr, _server) = start().await;
    for requests in [0, 1, 3] {
        let mut conn = Conn::open(addr).await;
        for _ in 0..requests {
            // Spaced out: each request moves the timer later than the first one set it.
            tokio::time::sleep(HEAD_TIMEOUT / 2).await;
            conn.handshake().await;
        }
        let idle = Instant::now();
        let sent = conn.until_closed().await;
        let waited = idle.elapsed();
        assert_eq!(sent, "", "an idle connection is closed without an answer");
        assert!(
            waited >= HEAD_TIMEOUT - Duration::from_millis(50),
            "closed {waited:?} after {requests} request(s), before the head timeout"
        );
    }
}

#[tokio::test]
async fn a_head_that_stops_midway_gets_408() {
    let (addr, _server) = start().await;
    let mut conn = Conn::open(addr).await;
    conn.handshake().await;
    conn.send_raw(
        b"GET /engine.io/?EIO=4&transport=polling HTTP/1.1
Ho",
    )
    .await;
    let sent = conn.until_closed().await;
    assert!(sent.starts_with("HTTP/1.1 408"), "{sent}");
}

#[tokio::test]
async fn shutdown_closes_a_connection_waiting_for_its_next_request() {
    let server = Server::new(([127, 0, 0, 1], 0).into())
        .engine(Engine::new(EngineConfig::default()))
        .start()
        .await
        .unwrap();
    let mut conn = Conn::open(server.local_addr()).await;
    // Outside the Engine.IO path: no session for the shutdown to wait for.
    conn.send("GET", "/elsewhere", "").await;
    assert_eq!(conn.response().await.0, 404);
    let shutdown = tokio::spawn(server.shutdown());
    // The default head timeout is 10 s: only the shutdown closes it this soon.
    assert_eq!(conn.until_closed().await, "");
    tokio::time::timeout(Duration::from_secs(5), shutdown)
        .await
        .unwrap()
        .unwrap();
}
