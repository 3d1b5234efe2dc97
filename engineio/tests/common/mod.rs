//! An HTTP/1.1 client for the tests over real sockets: requests on one kept-alive connection,
//! each response read whole (`Content-Length`).
#![allow(clippy::unwrap_used, dead_code)]

use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A kept-alive HTTP/1.1 connection.
pub struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl Conn {
    pub async fn open(addr: SocketAddr) -> Self {
        Self {
            stream: TcpStream::connect(addr).await.unwrap(),
            buf: Vec::new(),
        }
    }

    /// Writes a request with `body` (and its `Content-Length` when there is one).
    pub async fn send(&mut self, method: &str, target: &str, body: &str) {
        let length = if body.is_empty() {
            String::new()
        } else {
            format!("Content-Length: {}\r\n", body.len())
        };
        let request = format!("{method} {target} HTTP/1.1\r\nHost: x\r\n{length}\r\n{body}");
        self.stream.write_all(request.as_bytes()).await.unwrap();
    }

    /// Writes `bytes` as they are.
    pub async fn send_raw(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).await.unwrap();
    }

    /// The next response's status and body (at most 5 s).
    pub async fn response(&mut self) -> (u16, String) {
        loop {
            let text = String::from_utf8_lossy(&self.buf).into_owned();
            if let Some((head, rest)) = text.split_once("\r\n\r\n") {
                let length: usize = head
                    .lines()
                    .find_map(|l| l.strip_prefix("Content-Length: "))
                    .unwrap()
                    .parse()
                    .unwrap();
                if rest.len() >= length {
                    let status = head[9..12].parse().unwrap();
                    let body = rest[..length].to_owned();
                    self.buf.drain(..head.len() + 4 + length);
                    return (status, body);
                }
            }
            let mut chunk = [0u8; 4096];
            let n = tokio::time::timeout(Duration::from_secs(5), self.stream.read(&mut chunk))
                .await
                .unwrap()
                .unwrap();
            assert!(n > 0, "the server closed the connection");
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }

    /// A polling handshake; returns the sid.
    pub async fn handshake(&mut self) -> String {
        self.send("GET", "/engine.io/?EIO=4&transport=polling", "")
            .await;
        let (status, open) = self.response().await;
        assert_eq!(status, 200, "{open}");
        let sid = open.split("\"sid\":\"").nth(1).unwrap().split('"');
        sid.into_iter().next().unwrap().to_owned()
    }

    /// Reads until the server closes the connection (at most 5 s); returns what it sent.
    pub async fn until_closed(&mut self) -> String {
        let mut out = std::mem::take(&mut self.buf);
        tokio::time::timeout(Duration::from_secs(5), self.stream.read_to_end(&mut out))
            .await
            .expect("the server did not close the connection")
            .unwrap();
        String::from_utf8_lossy(&out).into_owned()
    }
}
