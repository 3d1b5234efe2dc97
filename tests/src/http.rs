//! A raw HTTP/1.1 client: requests are written byte for byte, responses parsed with httparse.
//!
//! Nothing is hidden: no redirects, no retries, no connection pool. A [`Connection`] is one TCP
//! connection whose every byte in and out is logged to the check's [`Transcript`]; it splits into a
//! [`Reader`] and a [`Writer`] when a check must write and read at the same time (a body the server
//! refuses halfway, a WebSocket).

use std::fmt;
use std::io;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::TcpStream;
use tokio::time::{timeout, Instant};

use crate::target::Target;
use crate::transcript::{show, Transcript};

/// The most bytes of response head this client accepts.
const MAX_HEAD: usize = 64 * 1024;
/// The most bytes of response body this client accepts.
const MAX_BODY: usize = 16 * 1024 * 1024;
/// How long a response may take unless the caller says otherwise.
pub const DEFAULT_RESPONSE_TIMEOUT: Duration = Duration::from_secs(5);

/// Why an exchange failed. The variants say whose side it was: the network, or the server's bytes.
#[derive(Debug)]
#[non_exhaustive]
pub enum WireError {
    /// Connecting, reading or writing failed (refused, reset, broken pipe).
    Io(io::Error),
    /// The server closed the connection before a complete response; `partial` is what came.
    ClosedEarly {
        /// The bytes received before the close.
        partial: Vec<u8>,
    },
    /// The server sent bytes that are not a valid HTTP/1.1 response.
    Malformed(String),
    /// Nothing complete arrived within the time allowed.
    Timeout(Duration),
}

impl fmt::Display for WireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WireError::Io(e) => write!(f, "connection error: {e}"),
            WireError::ClosedEarly { partial } if partial.is_empty() => {
                write!(f, "server closed the connection without a response")
            }
            WireError::ClosedEarly { partial } => write!(
                f,
                "server closed the connection mid-response after {}",
                show(partial)
            ),
            WireError::Malformed(why) => write!(f, "server sent a malformed response: {why}"),
            WireError::Timeout(d) => write!(f, "no response within {} ms", d.as_millis()),
        }
    }
}

impl std::error::Error for WireError {}

impl From<io::Error> for WireError {
    fn from(e: io::Error) -> Self {
        WireError::Io(e)
    }
}

/// An HTTP request, written exactly as built.
#[derive(Debug, Clone)]
pub struct Request {
    method: String,
    target: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Request {
    /// `METHOD target HTTP/1.1` with no headers (the connection adds `Host`).
    pub fn new(method: &str, target: impl Into<String>) -> Request {
        Request {
            method: method.to_string(),
            target: target.into(),
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// Adds a header line.
    pub fn header(mut self, name: &str, value: impl Into<String>) -> Request {
        self.headers.push((name.to_string(), value.into()));
        self
    }

    /// Sets the body; `Content-Length` is added unless the request already frames its body.
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Request {
        self.body = body.into();
        self
    }

    /// The method.
    pub fn method(&self) -> &str {
        &self.method
    }

    /// The bytes of the request, with `Host` first and `Content-Length` when needed.
    pub fn encode(&self, host: &str) -> Vec<u8> {
        let has = |name: &str| {
            self.headers
                .iter()
                .any(|(n, _)| n.eq_ignore_ascii_case(name))
        };
        let mut out = format!("{} {} HTTP/1.1\r\n", self.method, self.target);
        if !has("host") {
            out.push_str(&format!("Host: {host}\r\n"));
        }
        for (name, value) in &self.headers {
            out.push_str(&format!("{name}: {value}\r\n"));
        }
        let frames_body = has("content-length") || has("transfer-encoding");
        let wants_length = !self.body.is_empty() || matches!(self.method.as_str(), "POST" | "PUT");
        if wants_length && !frames_body {
            out.push_str(&format!("Content-Length: {}\r\n", self.body.len()));
        }
        out.push_str("\r\n");
        let mut bytes = out.into_bytes();
        bytes.extend_from_slice(&self.body);
        bytes
    }

    /// One transcript line: `POST /path "body"`.
    fn describe(&self) -> String {
        let mut line = format!("{} {}", self.method, self.target);
        for (name, value) in &self.headers {
            line.push_str(&format!(" [{name}: {value}]"));
        }
        if !self.body.is_empty() {
            line.push(' ');
            line.push_str(&show(&self.body));
        }
        line
    }
}

/// A response head: status line and headers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    /// The status code.
    pub status: u16,
    /// The reason phrase.
    pub reason: String,
    /// Headers in arrival order.
    pub headers: Vec<(String, String)>,
}

impl Head {
    /// The first header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A complete response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// Status line and headers.
    pub head: Head,
    /// The body, de-chunked.
    pub body: Vec<u8>,
}

impl Response {
    /// The status code.
    pub fn status(&self) -> u16 {
        self.head.status
    }

    /// The first header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.head.header(name)
    }

    /// The body as text (invalid UTF-8 replaced).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// How a connection ended when a check waited for the server to hang up.
#[derive(Debug)]
pub enum Ending {
    /// The server closed the connection (FIN) after sending `received`.
    Closed {
        /// Everything received before the close.
        received: Vec<u8>,
    },
    /// The connection was reset (RST) after `received`.
    Reset {
        /// Everything received before the reset.
        received: Vec<u8>,
    },
    /// The connection was still open when the wait ended.
    StillOpen {
        /// Everything received during the wait.
        received: Vec<u8>,
    },
}

/// One TCP connection to the server under test.
#[derive(Debug)]
pub struct Connection {
    /// The receiving half.
    pub reader: Reader,
    /// The sending half.
    pub writer: Writer,
}

impl Connection {
    /// Dials `target`; the connection gets a fresh number in `log`.
    pub async fn open(target: &Target, log: &Transcript) -> Result<Connection, WireError> {
        let stream = timeout(
            DEFAULT_RESPONSE_TIMEOUT,
            TcpStream::connect((target.host.as_str(), target.port)),
        )
        .await
        .map_err(|_| WireError::Timeout(DEFAULT_RESPONSE_TIMEOUT))??;
        stream.set_nodelay(true)?;
        let id = log.next_connection();
        let (read, write) = stream.into_split();
        Ok(Connection {
            reader: Reader {
                half: read,
                buf: Vec::new(),
                id,
                log: log.clone(),
            },
            writer: Writer {
                half: write,
                id,
                log: log.clone(),
                host: target.host_header(),
            },
        })
    }

    /// Writes `request`.
    pub async fn send(&mut self, request: &Request) -> Result<(), WireError> {
        self.writer.send(request).await
    }

    /// Writes raw bytes (for requests no well-behaved client would send).
    pub async fn send_raw(&mut self, bytes: &[u8]) -> Result<(), WireError> {
        self.writer.send_raw(bytes).await
    }

    /// Reads one response (within [`DEFAULT_RESPONSE_TIMEOUT`]).
    pub async fn response(&mut self, request_method: &str) -> Result<Response, WireError> {
        self.reader
            .response(request_method, DEFAULT_RESPONSE_TIMEOUT)
            .await
    }

    /// Writes `request` and reads its response.
    pub async fn exchange(&mut self, request: &Request) -> Result<Response, WireError> {
        self.send(request).await?;
        self.response(request.method()).await
    }
}

/// The sending half of a [`Connection`].
#[derive(Debug)]
pub struct Writer {
    half: OwnedWriteHalf,
    id: usize,
    log: Transcript,
    host: String,
}

impl Writer {
    /// Writes `request`, logging one line.
    pub async fn send(&mut self, request: &Request) -> Result<(), WireError> {
        self.log.sent(self.id, request.describe());
        self.half.write_all(&request.encode(&self.host)).await?;
        Ok(())
    }

    /// Writes raw bytes, logging them.
    pub async fn send_raw(&mut self, bytes: &[u8]) -> Result<(), WireError> {
        self.log.sent(self.id, show(bytes));
        self.half.write_all(bytes).await?;
        Ok(())
    }

    /// Writes raw bytes without logging them (bulk bodies, frames already described).
    pub async fn send_quiet(&mut self, bytes: &[u8]) -> Result<(), WireError> {
        self.half.write_all(bytes).await?;
        Ok(())
    }

    /// Half-closes the connection (sends FIN).
    pub async fn shutdown(&mut self) -> Result<(), WireError> {
        self.log.sent(self.id, "<FIN>");
        self.half.shutdown().await?;
        Ok(())
    }

    /// The `Host` header value this writer sends.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// This connection's number in the transcript.
    pub fn id(&self) -> usize {
        self.id
    }

    /// The transcript this writer logs to.
    pub fn log(&self) -> &Transcript {
        &self.log
    }
}

/// The receiving half of a [`Connection`]: a buffer of bytes received but not yet consumed.
#[derive(Debug)]
pub struct Reader {
    half: OwnedReadHalf,
    buf: Vec<u8>,
    id: usize,
    log: Transcript,
}

impl Reader {
    /// This connection's number in the transcript.
    pub fn id(&self) -> usize {
        self.id
    }

    /// The transcript this reader logs to.
    pub fn log(&self) -> &Transcript {
        &self.log
    }

    /// Bytes received but not consumed yet.
    pub fn buffered(&self) -> &[u8] {
        &self.buf
    }

    /// Removes and returns the first `n` buffered bytes.
    pub fn take(&mut self, n: usize) -> Vec<u8> {
        let n = n.min(self.buf.len());
        self.buf.drain(..n).collect()
    }

    /// Reads more bytes into the buffer; `Ok(0)` at end of stream.
    pub async fn fill(&mut self) -> io::Result<usize> {
        let mut chunk = [0u8; 16 * 1024];
        let n = self.half.read(&mut chunk).await?;
        self.buf
            .extend_from_slice(chunk.get(..n).unwrap_or_default());
        Ok(n)
    }

    /// Reads one response to a request made with `request_method`, within `limit`.
    pub async fn response(
        &mut self,
        request_method: &str,
        limit: Duration,
    ) -> Result<Response, WireError> {
        let result = timeout(limit, self.response_inner(request_method)).await;
        let result = result.unwrap_or(Err(WireError::Timeout(limit)));
        match &result {
            Ok(r) => self.log.received(
                self.id,
                format!("{} {} {}", r.head.status, r.head.reason, show(&r.body)),
            ),
            Err(e) => self.log.received(self.id, format!("<{e}>")),
        }
        result
    }

    /// Reads a response head only (for a WebSocket handshake); later bytes stay buffered.
    pub async fn head(&mut self, limit: Duration) -> Result<Head, WireError> {
        let result = timeout(limit, self.head_inner()).await;
        let result = result.unwrap_or(Err(WireError::Timeout(limit)));
        match &result {
            Ok(h) => self
                .log
                .received(self.id, format!("{} {}", h.status, h.reason)),
            Err(e) => self.log.received(self.id, format!("<{e}>")),
        }
        result
    }

    /// Reads until the server closes the connection or `limit` passes, whichever is first.
    pub async fn ending(&mut self, limit: Duration) -> Ending {
        let deadline = Instant::now() + limit;
        let mut received = std::mem::take(&mut self.buf);
        let mut chunk = [0u8; 16 * 1024];
        let ending = loop {
            match tokio::time::timeout_at(deadline, self.half.read(&mut chunk)).await {
                Err(_) => break Ending::StillOpen { received },
                Ok(Ok(0)) => break Ending::Closed { received },
                Ok(Ok(n)) => received.extend_from_slice(chunk.get(..n).unwrap_or_default()),
                Ok(Err(_)) => break Ending::Reset { received },
            }
        };
        let line = match &ending {
            Ending::Closed { received } => format!("{} <FIN>", show(received)),
            Ending::Reset { received } => format!("{} <RST>", show(received)),
            Ending::StillOpen { received } => {
                format!(
                    "{} <still open after {} ms>",
                    show(received),
                    limit.as_millis()
                )
            }
        };
        self.log.received(self.id, line);
        ending
    }

    async fn head_inner(&mut self) -> Result<Head, WireError> {
        loop {
            if let Some(end) = find(&self.buf, b"\r\n\r\n") {
                let head = parse_head(self.buf.get(..end + 4).unwrap_or_default())?;
                self.buf.drain(..end + 4);
                return Ok(head);
            }
            if self.buf.len() > MAX_HEAD {
                return Err(WireError::Malformed(format!(
                    "response head longer than {MAX_HEAD} bytes"
                )));
            }
            if self.fill().await? == 0 {
                return Err(WireError::ClosedEarly {
                    partial: self.buf.clone(),
                });
            }
        }
    }

    async fn response_inner(&mut self, request_method: &str) -> Result<Response, WireError> {
        let head = self.head_inner().await?;
        let no_body = request_method.eq_ignore_ascii_case("HEAD")
            || head.status < 200
            || head.status == 204
            || head.status == 304;
        let body = if no_body {
            Vec::new()
        } else if head
            .header("transfer-encoding")
            .is_some_and(|te| te.to_ascii_lowercase().contains("chunked"))
        {
            self.chunked_body().await?
        } else if let Some(length) = head.header("content-length") {
            let length: usize = length
                .trim()
                .parse()
                .map_err(|_| WireError::Malformed(format!("bad Content-Length {length:?}")))?;
            if length > MAX_BODY {
                return Err(WireError::Malformed(format!("body of {length} bytes")));
            }
            self.exact(length).await?
        } else {
            while self.fill().await? > 0 {
                if self.buf.len() > MAX_BODY {
                    return Err(WireError::Malformed("endless body".to_string()));
                }
            }
            std::mem::take(&mut self.buf)
        };
        Ok(Response { head, body })
    }

    async fn exact(&mut self, n: usize) -> Result<Vec<u8>, WireError> {
        while self.buf.len() < n {
            if self.fill().await? == 0 {
                return Err(WireError::ClosedEarly {
                    partial: self.buf.clone(),
                });
            }
        }
        Ok(self.take(n))
    }

    async fn line(&mut self) -> Result<Vec<u8>, WireError> {
        loop {
            if let Some(end) = find(&self.buf, b"\r\n") {
                let line = self.take(end);
                self.take(2);
                return Ok(line);
            }
            if self.buf.len() > MAX_HEAD {
                return Err(WireError::Malformed("chunk line too long".to_string()));
            }
            if self.fill().await? == 0 {
                return Err(WireError::ClosedEarly {
                    partial: self.buf.clone(),
                });
            }
        }
    }

    async fn chunked_body(&mut self) -> Result<Vec<u8>, WireError> {
        let mut body = Vec::new();
        loop {
            let line = self.line().await?;
            let size = String::from_utf8_lossy(&line);
            let size = size.split(';').next().unwrap_or_default().trim();
            let size = usize::from_str_radix(size, 16)
                .map_err(|_| WireError::Malformed(format!("bad chunk size {size:?}")))?;
            if size == 0 {
                // Trailers, up to the empty line.
                while !self.line().await?.is_empty() {}
                return Ok(body);
            }
            if body.len() + size > MAX_BODY {
                return Err(WireError::Malformed("chunked body too large".to_string()));
            }
            body.extend(self.exact(size).await?);
            if !self.line().await?.is_empty() {
                return Err(WireError::Malformed(
                    "chunk not followed by CRLF".to_string(),
                ));
            }
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn parse_head(bytes: &[u8]) -> Result<Head, WireError> {
    let mut headers = [httparse::EMPTY_HEADER; 128];
    let mut parsed = httparse::Response::new(&mut headers);
    match parsed.parse(bytes) {
        Ok(httparse::Status::Complete(_)) => {}
        Ok(httparse::Status::Partial) => {
            return Err(WireError::Malformed("incomplete head".to_string()))
        }
        Err(e) => return Err(WireError::Malformed(format!("{e} in {}", show(bytes)))),
    }
    Ok(Head {
        status: parsed.code.unwrap_or_default(),
        reason: parsed.reason.unwrap_or_default().to_string(),
        headers: parsed
            .headers
            .iter()
            .map(|h| {
                (
                    h.name.to_string(),
                    String::from_utf8_lossy(h.value).into_owned(),
                )
            })
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn post_gets_content_length_and_host() {
        let req = Request::new("POST", "/e/?sid=1").body("4hi");
        let bytes = req.encode("h:1");
        assert_eq!(
            bytes,
            b"POST /e/?sid=1 HTTP/1.1\r\nHost: h:1\r\nContent-Length: 3\r\n\r\n4hi".to_vec()
        );
    }

    #[test]
    fn caller_framing_is_kept() {
        let req = Request::new("POST", "/")
            .header("Transfer-Encoding", "chunked")
            .body("0\r\n\r\n");
        let text = String::from_utf8(req.encode("h")).unwrap_or_default();
        assert!(!text.contains("Content-Length"), "{text}");
    }

    #[test]
    fn get_has_no_length() {
        let text = String::from_utf8(Request::new("GET", "/").encode("h")).unwrap_or_default();
        assert_eq!(text, "GET / HTTP/1.1\r\nHost: h\r\n\r\n");
    }

    #[test]
    fn head_parses() {
        let head =
            parse_head(b"HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\n\r\n");
        let head = head.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(head.status, 400);
        assert_eq!(head.header("content-type"), Some("application/json"));
    }

    async fn serve_once(reply: &'static [u8]) -> (Target, tokio::task::JoinHandle<()>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let port = listener.local_addr().map(|a| a.port()).unwrap_or_default();
        let task = tokio::spawn(async move {
            if let Ok((mut s, _)) = listener.accept().await {
                let mut buf = [0u8; 1024];
                let _ = s.read(&mut buf).await;
                let _ = s.write_all(reply).await;
            }
        });
        let target =
            Target::parse(&format!("http://127.0.0.1:{port}/")).unwrap_or_else(|e| panic!("{e}"));
        (target, task)
    }

    #[tokio::test]
    async fn reads_chunked_and_length_and_eof_bodies() {
        for (reply, body) in [
            (&b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n"[..], &b"abcde"[..]),
            (b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA", b"ok"),
            (b"HTTP/1.1 200 OK\r\n\r\nuntil close", b"until close"),
        ] {
            let (target, task) = serve_once(reply).await;
            let log = Transcript::new();
            let mut conn = Connection::open(&target, &log).await.unwrap_or_else(|e| panic!("{e}"));
            let resp = conn.exchange(&Request::new("GET", "/")).await.unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(resp.body, body);
            let _ = task.await;
        }
    }

    #[tokio::test]
    async fn early_close_is_reported() {
        let (target, task) = serve_once(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc").await;
        let log = Transcript::new();
        let mut conn = Connection::open(&target, &log)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let err = conn.exchange(&Request::new("GET", "/")).await;
        assert!(matches!(err, Err(WireError::ClosedEarly { .. })), "{err:?}");
        let _ = task.await;
    }
}
