//! The built-in server's HTTP/1.1 connections between requests, over real sockets: the head
//! timer (the keep-alive idle time) and the shutdown close a connection that waits for its next
//! request, after requests as before the first; a head that stops midway gets `408`.
#![allow(clippy::unwrap_used, missing_docs)]
// A test of the tokio runtime, not the core: it reads the clock and spawns tasks.
#![allow(clippy::disallowed_methods)]

use engineio::runtime::{Engine, EngineConfig, RunningServer, Server, ServerConfig};
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

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

/// A polling handshake on a kept-alive connection; returns once its whole response is read.
async fn handshake(stream: &mut TcpStream) {
    request(stream, "/engine.io/?EIO=4&transport=polling", "200").await;
}

/// A GET of `target` on a kept-alive connection, answered with `status`; returns once the whole
/// response is read.
async fn request(stream: &mut TcpStream, target: &str, status: &str) {
    stream
        .write_all(format!("GET {target} HTTP/1.1\r\nHost: x\r\n\r\n").as_bytes())
        .await
        .unwrap();
    let mut out = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut chunk))
            .await
            .unwrap()
            .unwrap();
        assert!(n > 0, "closed before the handshake's response");
        out.extend_from_slice(&chunk[..n]);
        let text = String::from_utf8_lossy(&out);
        let Some((head, body)) = text.split_once("\r\n\r\n") else {
            continue;
        };
        assert!(head.starts_with(&format!("HTTP/1.1 {status}")), "{head}");
        let length: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("Content-Length: "))
            .unwrap()
            .parse()
            .unwrap();
        if body.len() >= length {
            return;
        }
    }
}

/// Reads until the server closes the connection (at most 5 s); returns what it sent.
async fn until_closed(stream: &mut TcpStream) -> String {
    let mut out = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut out))
        .await
        .expect("the server did not close the connection")
        .unwrap();
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test]
async fn an_idle_connection_closes_after_the_head_timeout_after_each_request() {
    let (addr, _server) = start().await;
    for requests in [0, 1, 3] {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        for _ in 0..requests {
            // Spaced out: each request moves the timer later than the first one set it.
            tokio::time::sleep(HEAD_TIMEOUT / 2).await;
            handshake(&mut stream).await;
        }
        let idle = Instant::now();
        let sent = until_closed(&mut stream).await;
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
    let mut stream = TcpStream::connect(addr).await.unwrap();
    handshake(&mut stream).await;
    stream
        .write_all(b"GET /engine.io/?EIO=4&transport=polling HTTP/1.1\r\nHo")
        .await
        .unwrap();
    let sent = until_closed(&mut stream).await;
    assert!(sent.starts_with("HTTP/1.1 408"), "{sent}");
}

#[tokio::test]
async fn shutdown_closes_a_connection_waiting_for_its_next_request() {
    let server = Server::new(([127, 0, 0, 1], 0).into())
        .engine(Engine::new(EngineConfig::default()))
        .start()
        .await
        .unwrap();
    let mut stream = TcpStream::connect(server.local_addr()).await.unwrap();
    // Outside the Engine.IO path: no session for the shutdown to wait for.
    request(&mut stream, "/elsewhere", "404").await;
    let shutdown = tokio::spawn(server.shutdown());
    // The default head timeout is 10 s: only the shutdown closes it this soon.
    assert_eq!(until_closed(&mut stream).await, "");
    tokio::time::timeout(Duration::from_secs(5), shutdown)
        .await
        .unwrap()
        .unwrap();
}
