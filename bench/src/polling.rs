//! An Engine.IO HTTP long-polling client: one keep-alive connection for the parked GETs and one
//! for the POSTs, as browsers do.

use std::io;
use std::net::SocketAddr;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const RS: u8 = 0x1e;

/// One HTTP/1.1 keep-alive connection.
#[derive(Debug)]
pub struct HttpConn {
    stream: TcpStream,
    host: String,
    buf: Vec<u8>,
    out: Vec<u8>,
}

impl HttpConn {
    /// Connects.
    pub async fn connect(addr: SocketAddr) -> io::Result<Self> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        Ok(Self {
            stream,
            host: addr.to_string(),
            buf: Vec::with_capacity(4096),
            out: Vec::with_capacity(512),
        })
    }

    /// Sends a GET.
    pub async fn get(&mut self, path: &str) -> io::Result<()> {
        self.out.clear();
        self.out.extend_from_slice(b"GET ");
        self.out.extend_from_slice(path.as_bytes());
        self.out.extend_from_slice(b" HTTP/1.1\r\nHost: ");
        self.out.extend_from_slice(self.host.as_bytes());
        self.out.extend_from_slice(b"\r\n\r\n");
        self.stream.write_all(&self.out).await
    }

    /// Sends a POST with a text body.
    pub async fn post(&mut self, path: &str, body: &[u8]) -> io::Result<()> {
        self.out.clear();
        self.out.extend_from_slice(b"POST ");
        self.out.extend_from_slice(path.as_bytes());
        self.out.extend_from_slice(b" HTTP/1.1\r\nHost: ");
        self.out.extend_from_slice(self.host.as_bytes());
        self.out
            .extend_from_slice(b"\r\nContent-Type: text/plain;charset=UTF-8\r\nContent-Length: ");
        crate::sio::push_u64(&mut self.out, body.len() as u64);
        self.out.extend_from_slice(b"\r\n\r\n");
        self.out.extend_from_slice(body);
        self.stream.write_all(&self.out).await
    }

    /// Reads one response: its status and body (`Content-Length` or chunked).
    pub async fn response(&mut self) -> io::Result<(u16, Vec<u8>)> {
        let head_end = loop {
            if let Some(end) = crate::ws::find(&self.buf, b"\r\n\r\n") {
                break end;
            }
            self.read_more().await?;
        };
        let head = String::from_utf8_lossy(&self.buf[..head_end]).into_owned();
        let status: u16 = head
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| io::Error::other("bad status line"))?;
        let mut length = None;
        let mut chunked = false;
        for line in head.split("\r\n").skip(1) {
            let Some((name, value)) = line.split_once(':') else {
                continue;
            };
            let value = value.trim();
            if name.eq_ignore_ascii_case("content-length") {
                length = value.parse::<usize>().ok();
            } else if name.eq_ignore_ascii_case("transfer-encoding") {
                chunked = value.eq_ignore_ascii_case("chunked");
            }
        }
        self.buf.drain(..head_end + 4);
        let body = if chunked {
            self.chunked_body().await?
        } else {
            let length = length.unwrap_or(0);
            while self.buf.len() < length {
                self.read_more().await?;
            }
            self.buf.drain(..length).collect()
        };
        Ok((status, body))
    }

    async fn chunked_body(&mut self) -> io::Result<Vec<u8>> {
        let mut body = Vec::new();
        loop {
            let line_end = loop {
                if let Some(end) = crate::ws::find(&self.buf, b"\r\n") {
                    break end;
                }
                self.read_more().await?;
            };
            let size_text = String::from_utf8_lossy(&self.buf[..line_end]).into_owned();
            let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
                .map_err(|_| io::Error::other("bad chunk size"))?;
            while self.buf.len() < line_end + 2 + size + 2 {
                self.read_more().await?;
            }
            body.extend_from_slice(&self.buf[line_end + 2..line_end + 2 + size]);
            self.buf.drain(..line_end + 2 + size + 2);
            if size == 0 {
                return Ok(body);
            }
        }
    }

    async fn read_more(&mut self) -> io::Result<()> {
        self.buf.reserve(8192);
        if self.stream.read_buf(&mut self.buf).await? == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "server closed the connection",
            ));
        }
        Ok(())
    }
}

/// A Socket.IO client on long-polling, connected to `/`.
#[derive(Debug)]
pub struct PollingClient {
    /// The connection of the parked GETs.
    pub get: HttpConn,
    /// The connection of the POSTs.
    pub post: HttpConn,
    /// The request path with the session id.
    pub path: String,
}

impl PollingClient {
    /// Opens a polling session and joins `/`.
    pub async fn connect(addr: SocketAddr) -> io::Result<Self> {
        let mut get = HttpConn::connect(addr).await?;
        let post = HttpConn::connect(addr).await?;
        get.get("/socket.io/?EIO=4&transport=polling").await?;
        let (status, body) = get.response().await?;
        let text = String::from_utf8_lossy(&body);
        let sid = text
            .split("\"sid\":\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .filter(|_| status == 200)
            .ok_or_else(|| io::Error::other(format!("bad handshake: {status} {text}")))?;
        let path = format!("/socket.io/?EIO=4&transport=polling&sid={sid}");
        let mut client = Self { get, post, path };
        client.send(b"40").await?;
        loop {
            client.get.get(&client.path).await?;
            let (status, body) = client.get.response().await?;
            if status != 200 {
                return Err(io::Error::other(format!("GET answered {status}")));
            }
            for packet in packets(&body) {
                if packet.starts_with(b"40") {
                    return Ok(client);
                }
                if packet.starts_with(b"44") {
                    return Err(io::Error::other("connect refused"));
                }
            }
        }
    }

    /// POSTs one payload and reads the `ok`.
    pub async fn send(&mut self, body: &[u8]) -> io::Result<()> {
        self.post.post(&self.path, body).await?;
        let (status, answer) = self.post.response().await?;
        if status != 200 {
            return Err(io::Error::other(format!(
                "POST answered {status}: {}",
                String::from_utf8_lossy(&answer)
            )));
        }
        Ok(())
    }
}

/// The packets of a polling payload.
pub fn packets(body: &[u8]) -> impl Iterator<Item = &[u8]> {
    body.split(|b| *b == RS).filter(|p| !p.is_empty())
}
