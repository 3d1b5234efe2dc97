//! WebSocket closes at the frame level, over real sockets: the server that ends a session sends
//! the Engine.IO close packet, then a close frame (1000, or 1001 as it shuts down), and closes TCP
//! only once the client answered it (RFC 6455 5.5.1).
#![allow(clippy::unwrap_used, missing_docs)]
// A test of the tokio runtime, not the core: it may spawn tasks.
#![allow(clippy::disallowed_methods)]

use engineio::runtime::{Engine, EngineConfig, RunningServer, Server, Socket};
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

async fn start() -> (SocketAddr, RunningServer, Engine) {
    let engine = Engine::new(EngineConfig::default());
    let server = Server::new(([127, 0, 0, 1], 0).into())
        .engine(engine.clone())
        .start()
        .await
        .unwrap();
    (server.local_addr(), server, engine)
}

struct Client {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl Client {
    async fn connect(addr: SocketAddr) -> Self {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        stream
            .write_all(
                b"GET /engine.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: x\r\n\
                  Upgrade: websocket\r\nConnection: Upgrade\r\n\
                  Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
            )
            .await
            .unwrap();
        let mut client = Self {
            stream,
            buf: Vec::new(),
        };
        loop {
            if let Some(end) = client.buf.windows(4).position(|w| w == b"\r\n\r\n") {
                client.buf.drain(..end + 4);
                break;
            }
            assert!(client.fill().await > 0);
        }
        let (op, open) = client.frame().await.unwrap();
        assert_eq!((op, open.first()), (1, Some(&b'0')));
        client
    }

    async fn fill(&mut self) -> usize {
        let mut chunk = [0u8; 4096];
        let n = tokio::time::timeout(Duration::from_secs(5), self.stream.read(&mut chunk))
            .await
            .unwrap()
            .unwrap_or(0);
        self.buf.extend_from_slice(&chunk[..n]);
        n
    }

    /// The next frame (opcode, payload), or `None` at the end of the connection.
    async fn frame(&mut self) -> Option<(u8, Vec<u8>)> {
        loop {
            if self.buf.len() >= 2 {
                let len = usize::from(self.buf[1] & 0x7f);
                assert!(len < 126, "small frames only");
                if self.buf.len() >= 2 + len {
                    let op = self.buf[0] & 0x0f;
                    let payload = self.buf[2..2 + len].to_vec();
                    self.buf.drain(..2 + len);
                    return Some((op, payload));
                }
            }
            if self.fill().await == 0 {
                return None;
            }
        }
    }

    /// Expects the Engine.IO close packet, then a close frame; returns its code.
    async fn expect_close(&mut self) -> u16 {
        assert_eq!(self.frame().await, Some((1, b"1".to_vec())));
        let (op, payload) = self.frame().await.unwrap();
        assert_eq!(op, 8, "a close frame");
        u16::from_be_bytes([payload[0], payload[1]])
    }

    async fn answer_close(&mut self, code: u16) {
        let [a, b] = code.to_be_bytes();
        let mask = [9u8, 8, 7, 6];
        self.stream
            .write_all(&[0x88, 0x82, 9, 8, 7, 6, a ^ mask[0], b ^ mask[1]])
            .await
            .unwrap();
    }
}

async fn accepted(engine: &Engine) -> Socket {
    tokio::time::timeout(Duration::from_secs(5), engine.accept())
        .await
        .unwrap()
        .unwrap()
}

#[tokio::test]
async fn a_server_close_sends_1000_and_waits_for_the_answer() {
    let (addr, _server, engine) = start().await;
    let mut client = Client::connect(addr).await;
    let socket = accepted(&engine).await;
    socket.close();
    assert_eq!(client.expect_close().await, 1000);
    // The server waits for the client's answer before it closes TCP.
    let mut byte = [0u8; 1];
    let early =
        tokio::time::timeout(Duration::from_millis(200), client.stream.read(&mut byte)).await;
    assert!(
        early.is_err(),
        "TCP closed before the client answered: {early:?}"
    );
    client.answer_close(1000).await;
    assert_eq!(client.frame().await, None, "then the server closes TCP");
}

#[tokio::test]
async fn shutdown_sends_1001() {
    let (addr, server, engine) = start().await;
    let mut client = Client::connect(addr).await;
    let _socket = accepted(&engine).await;
    let shutdown = tokio::spawn(server.shutdown());
    assert_eq!(client.expect_close().await, 1001);
    client.answer_close(1001).await;
    assert_eq!(client.frame().await, None);
    shutdown.await.unwrap();
}

#[test]
fn shutdown_waits_for_the_close_handshakes_before_the_runtime_ends() {
    // The server runs in a runtime of its own that ends as soon as `shutdown` returns, as in an
    // application's `main`: the close frames must be out (and answered) by then.
    let (addr_tx, addr_rx) = std::sync::mpsc::channel();
    let (go_tx, go_rx) = std::sync::mpsc::channel::<()>();
    let server = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let (addr, server, _engine) = start().await;
            addr_tx.send(addr).unwrap();
            go_rx.recv().unwrap();
            server.shutdown().await;
        });
        drop(runtime);
    });
    let client = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    client.block_on(async {
        let addr = addr_rx.recv().unwrap();
        let mut client = Client::connect(addr).await;
        go_tx.send(()).unwrap();
        assert_eq!(client.expect_close().await, 1001);
        // The server's runtime is still there, waiting for the answer (not gone with `main`).
        let mut byte = [0u8; 1];
        let early =
            tokio::time::timeout(Duration::from_millis(300), client.stream.read(&mut byte)).await;
        assert!(
            early.is_err(),
            "TCP closed before the client answered: {early:?}"
        );
        client.answer_close(1001).await;
        assert_eq!(client.frame().await, None);
    });
    server.join().unwrap();
}
