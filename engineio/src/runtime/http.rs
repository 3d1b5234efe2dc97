//! HTTP/1.1 on httparse: reading request heads and bodies with limits and timeouts, writing responses.

use bytes::{Bytes, BytesMut};
use std::borrow::Cow;
use std::fmt;
use std::mem::MaybeUninit;
use std::net::SocketAddr;
use std::ops::Range;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// Most headers a request may have.
const MAX_HEADERS: usize = 64;

/// A parsed request head (and, for the application's fallback, its body).
#[derive(Clone, Debug)]
pub struct HttpRequest {
    /// `GET`, `POST`, ...
    pub method: String,
    /// The path, without the query.
    pub path: String,
    /// The query string, without the `?` (empty when there is none).
    pub query: String,
    /// Headers with lower-case names, in arrival order.
    pub headers: Vec<(String, String)>,
    /// Whether the request is HTTP/1.1 (else 1.0).
    pub http11: bool,
    /// The body (only filled for requests handed to the fallback).
    pub body: Bytes,
    /// The client's address.
    pub remote: SocketAddr,
}

impl HttpRequest {
    /// The value of a header (lower-case `name`); several occurrences are joined with `, `.
    pub fn header(&self, name: &str) -> Option<String> {
        let mut values = self
            .headers
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.as_str());
        let first = values.next()?;
        let mut joined = first.to_owned();
        for v in values {
            joined.push_str(", ");
            joined.push_str(v);
        }
        Some(joined)
    }

    /// Whether the connection stays open after the response.
    pub fn keep_alive(&self) -> bool {
        let connection = self.header("connection").unwrap_or_default();
        let has = |token: &str| {
            connection
                .split(',')
                .any(|t| t.trim().eq_ignore_ascii_case(token))
        };
        if self.http11 {
            !has("close")
        } else {
            has("keep-alive")
        }
    }

    /// The request body's length from `Content-Length` (0 when absent).
    pub fn content_length(&self) -> Result<usize, HttpError> {
        if self.header("transfer-encoding").is_some() {
            return Err(HttpError::ChunkedBody);
        }
        let values: Vec<&str> = self
            .headers
            .iter()
            .filter(|(n, _)| n == "content-length")
            .map(|(_, v)| v.as_str())
            .collect();
        match values.as_slice() {
            [] => Ok(0),
            [v] if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) => {
                v.parse().map_err(|_| HttpError::BadContentLength)
            }
            _ => Err(HttpError::BadContentLength),
        }
    }
}

/// A response.
#[derive(Clone, Debug)]
pub struct HttpResponse {
    /// The status code.
    pub status: u16,
    /// Headers (besides `Content-Length` and `Connection`, which are written for you).
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Bytes,
}

impl HttpResponse {
    /// A response with a status and no body.
    pub fn new(status: u16) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: Bytes::new(),
        }
    }

    /// `404 Not Found`.
    pub fn not_found() -> Self {
        Self::text(404, "Not Found")
    }

    /// A `text/plain` response.
    pub fn text(status: u16, body: impl Into<Bytes>) -> Self {
        Self::new(status)
            .header("Content-Type", "text/plain; charset=UTF-8")
            .body(body)
    }

    /// An `application/json` response.
    pub fn json(status: u16, body: impl Into<Bytes>) -> Self {
        Self::new(status)
            .header("Content-Type", "application/json")
            .body(body)
    }

    /// A `text/html` response.
    pub fn html(status: u16, body: impl Into<Bytes>) -> Self {
        Self::new(status)
            .header("Content-Type", "text/html; charset=UTF-8")
            .body(body)
    }

    /// Adds a header.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Sets the body.
    pub fn body(mut self, body: impl Into<Bytes>) -> Self {
        self.body = body.into();
        self
    }
}

/// What went wrong reading a request. The client's fault, except [`HttpError::Io`].
#[derive(Debug)]
#[non_exhaustive]
pub enum HttpError {
    /// The connection closed before a request began (not an error to report).
    Closed,
    /// The head is not valid HTTP/1.x.
    Malformed(httparse::Error),
    /// The head is larger than the limit, or has too many headers.
    HeadTooLarge,
    /// The head or body did not arrive in time.
    Timeout,
    /// `Transfer-Encoding` (chunked) bodies are not accepted.
    ChunkedBody,
    /// `Content-Length` is missing a value, repeated, or not a number.
    BadContentLength,
    /// The body is larger than allowed.
    BodyTooLarge,
    /// The connection failed or closed mid-request.
    Io(std::io::Error),
}

impl HttpError {
    /// The status to answer with, if the connection can still take an answer.
    pub fn status(&self) -> Option<u16> {
        match self {
            HttpError::Closed | HttpError::Io(_) => None,
            HttpError::Malformed(_) | HttpError::BadContentLength => Some(400),
            HttpError::HeadTooLarge => Some(431),
            HttpError::Timeout => Some(408),
            HttpError::ChunkedBody => Some(411),
            HttpError::BodyTooLarge => Some(413),
        }
    }
}

impl fmt::Display for HttpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HttpError::Closed => f.write_str("connection closed"),
            HttpError::Malformed(e) => write!(f, "malformed request: {e}"),
            HttpError::HeadTooLarge => f.write_str("request header fields too large"),
            HttpError::Timeout => f.write_str("request timeout"),
            HttpError::ChunkedBody => {
                f.write_str("chunked request bodies are not supported: send Content-Length")
            }
            HttpError::BadContentLength => f.write_str("invalid Content-Length"),
            HttpError::BodyTooLarge => f.write_str("payload too large"),
            HttpError::Io(e) => write!(f, "i/o error: {e}"),
        }
    }
}

impl std::error::Error for HttpError {}

/// Reads one request head from `stream`, using and refilling `buf` (which may hold pipelined bytes).
/// On success the head's bytes are removed from `buf`; what follows (a body, the next request) stays.
pub async fn read_head<S: AsyncRead + Unpin>(
    stream: &mut S,
    buf: &mut BytesMut,
    max_head: usize,
    remote: SocketAddr,
) -> Result<HttpRequest, HttpError> {
    Ok(read_request_head(stream, buf, max_head, remote)
        .await?
        .request())
}

/// Parses a request head at the start of `bytes`: `Ok(None)` while it is incomplete (and within
/// `max_head`), else the request and the head's length. Pure, so it can be fuzzed.
pub fn parse_head(
    bytes: &[u8],
    max_head: usize,
    remote: SocketAddr,
) -> Result<Option<(HttpRequest, usize)>, HttpError> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut req = httparse::Request::new(&mut headers);
    match parse_with(&mut req, bytes, max_head)? {
        Some(len) => Ok(Some((to_request(&req, remote)?, len))),
        None => Ok(None),
    }
}

/// The httparse step of [`parse_head`] and [`Head`], with the same limits and errors.
fn parse_with<'b>(
    req: &mut httparse::Request<'_, 'b>,
    bytes: &'b [u8],
    max_head: usize,
) -> Result<Option<usize>, HttpError> {
    check_parse(req.parse(bytes), bytes, max_head)
}

/// The limits and errors of [`parse_head`], applied to what httparse said.
fn check_parse(
    parsed: httparse::Result<usize>,
    bytes: &[u8],
    max_head: usize,
) -> Result<Option<usize>, HttpError> {
    match parsed {
        Ok(httparse::Status::Complete(len)) if len <= max_head => Ok(Some(len)),
        Ok(httparse::Status::Complete(_)) => Err(HttpError::HeadTooLarge),
        Ok(httparse::Status::Partial) if bytes.len() >= max_head => Err(HttpError::HeadTooLarge),
        Ok(httparse::Status::Partial) => Ok(None),
        Err(httparse::Error::TooManyHeaders) => Err(HttpError::HeadTooLarge),
        Err(e) => Err(HttpError::Malformed(e)),
    }
}

fn eof() -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::UnexpectedEof,
        "connection closed mid-request",
    )
}

fn to_request(
    req: &httparse::Request<'_, '_>,
    remote: SocketAddr,
) -> Result<HttpRequest, HttpError> {
    let method = req.method.unwrap_or_default().to_owned();
    let target = req.path.unwrap_or_default();
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let mut headers = Vec::with_capacity(req.headers.len());
    for h in req.headers.iter() {
        let value = std::str::from_utf8(h.value)
            .map_err(|_| HttpError::Malformed(httparse::Error::HeaderValue))?;
        headers.push((h.name.to_ascii_lowercase(), value.trim().to_owned()));
    }
    Ok(HttpRequest {
        method,
        path: path.to_owned(),
        query: query.to_owned(),
        headers,
        http11: req.version == Some(1),
        body: Bytes::new(),
        remote,
    })
}

/// Reads one request head like [`read_head`], without copying its headers: see [`Head`].
pub(crate) async fn read_request_head<S: AsyncRead + Unpin>(
    stream: &mut S,
    buf: &mut BytesMut,
    max_head: usize,
    remote: SocketAddr,
) -> Result<Head, HttpError> {
    loop {
        if !buf.is_empty() {
            if let Some((facts, len)) = HeadFacts::parse(buf, max_head)? {
                let raw = buf.split_to(len).freeze();
                return Ok(Head { raw, facts, remote });
            }
        }
        buf.reserve(1024);
        let n = stream.read_buf(buf).await.map_err(HttpError::Io)?;
        if n == 0 {
            return Err(if buf.is_empty() {
                HttpError::Closed
            } else {
                HttpError::Io(eof())
            });
        }
    }
}

/// A request head kept as its bytes, with what the Engine.IO path asks of every request found in
/// the one parse: no header is copied. The full [`HttpRequest`] (same errors, same contents) is
/// built from the bytes only for the requests that need it (handshakes, upgrades, the fallback).
pub(crate) struct Head {
    raw: Bytes,
    facts: HeadFacts,
    remote: SocketAddr,
}

/// What [`HttpRequest::content_length`] says, found while parsing.
#[derive(Clone, Copy, Debug)]
enum BodyLength {
    Known(usize),
    Chunked,
    Bad,
}

/// Where the `Origin` header's (trimmed) value is in the head.
#[derive(Clone, Debug)]
enum OriginAt {
    Absent,
    One(Range<usize>),
    /// Several `Origin` headers: their values are joined like [`HttpRequest::header`] does.
    Many,
}

#[derive(Clone, Debug)]
struct HeadFacts {
    method: Range<usize>,
    /// The method when it is one the Engine.IO path checks for: read without a UTF-8 check.
    known_method: Option<&'static str>,
    path: Range<usize>,
    query: Range<usize>,
    http11: bool,
    keep_alive: bool,
    upgrade_websocket: bool,
    length: BodyLength,
    origin: OriginAt,
}

impl HeadFacts {
    /// [`parse_head`] without building the request: the same limits and errors (a header value
    /// that is not UTF-8 included), with ranges into `bytes` instead of copies.
    fn parse(bytes: &[u8], max_head: usize) -> Result<Option<(Self, usize)>, HttpError> {
        // Left uninitialised (httparse fills what it uses): no 2 KiB of empty headers to write.
        let mut headers = [const { MaybeUninit::<httparse::Header<'_>>::uninit() }; MAX_HEADERS];
        let mut req = httparse::Request::new(&mut []);
        let parsed = req.parse_with_uninit_headers(bytes, &mut headers);
        let Some(len) = check_parse(parsed, bytes, max_head)? else {
            return Ok(None);
        };
        let at = |part: &[u8]| -> Range<usize> {
            let start = (part.as_ptr() as usize).wrapping_sub(bytes.as_ptr() as usize);
            match start.checked_add(part.len()) {
                Some(end) if end <= bytes.len() => start..end,
                _ => 0..0,
            }
        };
        let method = req.method.map_or(0..0, |m| at(m.as_bytes()));
        let known_method = match req.method {
            Some("GET") => Some("GET"),
            Some("POST") => Some("POST"),
            Some("OPTIONS") => Some("OPTIONS"),
            Some("HEAD") => Some("HEAD"),
            _ => None,
        };
        let target = req.path.unwrap_or_default();
        let (path, query) = match target.split_once('?') {
            Some((path, query)) => (at(path.as_bytes()), at(query.as_bytes())),
            None => (at(target.as_bytes()), 0..0),
        };
        let http11 = req.version == Some(1);
        let (mut close, mut keep) = (false, false);
        let mut upgrade_websocket = false;
        let mut chunked = false;
        let mut lengths = 0usize;
        let mut length_value: &[u8] = b"";
        let mut origin = OriginAt::Absent;
        for h in req.headers.iter() {
            // Nearly every value is ASCII, which needs no UTF-8 check; only the few headers read
            // here are trimmed.
            let ascii = h.value.is_ascii();
            if !ascii && std::str::from_utf8(h.value).is_err() {
                return Err(HttpError::Malformed(httparse::Error::HeaderValue));
            }
            let name = h.name.as_bytes();
            let named = |wanted: &str| name.eq_ignore_ascii_case(wanted.as_bytes());
            match name.len() {
                10 if named("connection") => {
                    let value = trim(h.value, ascii);
                    close |= has_token(value, ascii, "close");
                    keep |= has_token(value, ascii, "keep-alive");
                }
                14 if named("content-length") => {
                    lengths += 1;
                    length_value = trim(h.value, ascii);
                }
                6 if named("origin") => {
                    origin = match origin {
                        OriginAt::Absent => OriginAt::One(at(trim(h.value, ascii))),
                        _ => OriginAt::Many,
                    };
                }
                7 if named("upgrade") => {
                    upgrade_websocket |= has_token(trim(h.value, ascii), ascii, "websocket");
                }
                17 if named("transfer-encoding") => chunked = true,
                _ => {}
            }
        }
        let length = if chunked {
            BodyLength::Chunked
        } else {
            match lengths {
                0 => BodyLength::Known(0),
                1 => decimal(length_value).map_or(BodyLength::Bad, BodyLength::Known),
                _ => BodyLength::Bad,
            }
        };
        let facts = HeadFacts {
            method,
            known_method,
            path,
            query,
            http11,
            keep_alive: if http11 { !close } else { keep },
            upgrade_websocket,
            length,
            origin,
        };
        Ok(Some((facts, len)))
    }
}

/// `value` without the whitespace `str::trim` removes (for ASCII: tab, LF, VT, FF, CR, space);
/// `ascii` says whether `value` is ASCII, else it is valid UTF-8.
fn trim(value: &[u8], ascii: bool) -> &[u8] {
    if ascii {
        let space = |b: &u8| matches!(b, b'\t'..=b'\r' | b' ');
        let start = value.iter().position(|b| !space(b)).unwrap_or(value.len());
        let end = value
            .iter()
            .rposition(|b| !space(b))
            .map_or(start, |i| i + 1);
        value.get(start..end).unwrap_or_default()
    } else {
        std::str::from_utf8(value).map_or(value, |v| v.trim().as_bytes())
    }
}

/// [`crate::proto::websocket_handshake::has_token`] on a value as [`trim`] gives it.
fn has_token(value: &[u8], ascii: bool, token: &str) -> bool {
    if ascii {
        value
            .split(|&b| b == b',')
            .any(|t| trim(t, true).eq_ignore_ascii_case(token.as_bytes()))
    } else {
        std::str::from_utf8(value)
            .is_ok_and(|v| crate::proto::websocket_handshake::has_token(v, token))
    }
}

/// A non-empty run of ASCII digits that fits a `usize`.
fn decimal(digits: &[u8]) -> Option<usize> {
    if digits.is_empty() {
        return None;
    }
    digits.iter().try_fold(0usize, |n, &b| {
        if b.is_ascii_digit() {
            n.checked_mul(10)?.checked_add(usize::from(b - b'0'))
        } else {
            None
        }
    })
}

impl Head {
    fn text(&self, range: &Range<usize>) -> &str {
        // Checked as UTF-8 by the parse already; an empty string cannot happen.
        self.raw
            .get(range.clone())
            .and_then(|b| std::str::from_utf8(b).ok())
            .unwrap_or_default()
    }

    /// `GET`, `POST`, ...
    pub(crate) fn method(&self) -> &str {
        match self.facts.known_method {
            Some(method) => method,
            None => self.text(&self.facts.method),
        }
    }

    /// The path, without the query.
    pub(crate) fn path(&self) -> &str {
        self.text(&self.facts.path)
    }

    /// The query string, without the `?`.
    pub(crate) fn query(&self) -> &str {
        self.text(&self.facts.query)
    }

    /// [`HttpRequest::keep_alive`].
    pub(crate) fn keep_alive(&self) -> bool {
        self.facts.keep_alive
    }

    /// Whether an `Upgrade` header has the token `websocket`, as
    /// [`crate::proto::websocket_handshake::wants_websocket`] decides.
    pub(crate) fn wants_websocket(&self) -> bool {
        self.facts.upgrade_websocket
    }

    /// [`HttpRequest::content_length`].
    pub(crate) fn content_length(&self) -> Result<usize, HttpError> {
        match self.facts.length {
            BodyLength::Known(n) => Ok(n),
            BodyLength::Chunked => Err(HttpError::ChunkedBody),
            BodyLength::Bad => Err(HttpError::BadContentLength),
        }
    }

    /// `HttpRequest::header("origin")`.
    pub(crate) fn origin(&self) -> Option<Cow<'_, str>> {
        match &self.facts.origin {
            OriginAt::Absent => None,
            OriginAt::One(range) => Some(Cow::Borrowed(self.text(range))),
            OriginAt::Many => self.request().header("origin").map(Cow::Owned),
        }
    }

    /// The whole request (headers copied), as [`parse_head`] gives it.
    pub(crate) fn request(&self) -> HttpRequest {
        match parse_head(&self.raw, usize::MAX, self.remote) {
            Ok(Some((request, _))) => request,
            // Cannot happen: these bytes parsed before. Still a request, without headers.
            _ => HttpRequest {
                method: self.method().to_owned(),
                path: self.path().to_owned(),
                query: self.query().to_owned(),
                headers: Vec::new(),
                http11: self.facts.http11,
                body: Bytes::new(),
                remote: self.remote,
            },
        }
    }
}

/// Reads a body of exactly `len` bytes (some may already be in `buf`).
pub async fn read_body<S: AsyncRead + Unpin>(
    stream: &mut S,
    buf: &mut BytesMut,
    len: usize,
) -> Result<Bytes, HttpError> {
    while buf.len() < len {
        buf.reserve(len - buf.len());
        let n = stream.read_buf(buf).await.map_err(HttpError::Io)?;
        if n == 0 {
            return Err(HttpError::Io(eof()));
        }
    }
    Ok(buf.split_to(len).freeze())
}

fn reason(status: u16) -> &'static str {
    match status {
        101 => "Switching Protocols",
        200 => "OK",
        204 => "No Content",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        411 => "Length Required",
        413 => "Payload Too Large",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "",
    }
}

/// Serialises a response head and body into one buffer.
/// `omit_body` is for a `HEAD` request: the headers (`Content-Length` included) are those of the
/// `GET`, the body is not sent.
pub fn encode_response(response: &HttpResponse, keep_alive: bool, omit_body: bool) -> BytesMut {
    BytesMut::from(Bytes::from(encode(
        response.status,
        &response.headers,
        &response.body,
        keep_alive,
        omit_body,
    )))
}

/// The bytes of a response: the status line, `headers` in order, then (except for a `101`)
/// `Content-Length` and `Connection`, the blank line, and the body unless `omit_body`.
/// One allocation of the right size; no formatting machinery.
pub(crate) fn encode<N: AsRef<str>, V: AsRef<str>>(
    status: u16,
    headers: &[(N, V)],
    body: &[u8],
    keep_alive: bool,
    omit_body: bool,
) -> Vec<u8> {
    const CONNECTION: [&[u8]; 2] = [b"Connection: close\r\n", b"Connection: keep-alive\r\n"];
    let reason = reason(status);
    let header_bytes: usize = headers
        .iter()
        .map(|(n, v)| n.as_ref().len() + v.as_ref().len() + 4)
        .sum();
    // "HTTP/1.1 " + status + " " + reason + CRLF, headers, "Content-Length: " + 20 digits + CRLF,
    // the longest Connection line, CRLF, body.
    let capacity = 9 + 5 + 1 + reason.len() + 2 + header_bytes + 16 + 20 + 2 + 24 + 2;
    let body_len = if omit_body { 0 } else { body.len() };
    let mut out = Vec::with_capacity(capacity + body_len);
    out.extend_from_slice(b"HTTP/1.1 ");
    put_decimal(&mut out, usize::from(status));
    out.push(b' ');
    out.extend_from_slice(reason.as_bytes());
    out.extend_from_slice(b"\r\n");
    for (name, value) in headers {
        out.extend_from_slice(name.as_ref().as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value.as_ref().as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    if status != 101 {
        out.extend_from_slice(b"Content-Length: ");
        put_decimal(&mut out, body.len());
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(CONNECTION[usize::from(keep_alive)]);
    }
    out.extend_from_slice(b"\r\n");
    if !omit_body {
        out.extend_from_slice(body);
    }
    out
}

/// Appends `n` in decimal.
fn put_decimal(out: &mut Vec<u8>, mut n: usize) {
    let mut digits = [0u8; 20];
    let mut start = digits.len();
    for slot in digits.iter_mut().rev() {
        *slot = b'0' + (n % 10) as u8;
        n /= 10;
        start -= 1;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(digits.get(start..).unwrap_or_default());
}

/// Writes a response.
pub async fn write_response<S: AsyncWrite + Unpin>(
    stream: &mut S,
    response: &HttpResponse,
    keep_alive: bool,
) -> std::io::Result<()> {
    write_response_to(stream, "GET", response, keep_alive).await
}

/// Writes the response to a request with `method`: without the body for `HEAD`.
pub async fn write_response_to<S: AsyncWrite + Unpin>(
    stream: &mut S,
    method: &str,
    response: &HttpResponse,
    keep_alive: bool,
) -> std::io::Result<()> {
    let bytes = encode(
        response.status,
        &response.headers,
        &response.body,
        keep_alive,
        method == "HEAD",
    );
    write_all(stream, &bytes).await
}

/// Writes encoded bytes (from [`encode`]) and flushes.
pub(crate) async fn write_all<S: AsyncWrite + Unpin>(
    stream: &mut S,
    bytes: &[u8],
) -> std::io::Result<()> {
    stream.write_all(bytes).await?;
    stream.flush().await
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn addr() -> SocketAddr {
        ([127, 0, 0, 1], 1).into()
    }

    #[test]
    fn parses_heads() {
        let raw = b"GET /engine.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\nrest";
        let (req, len) = parse_head(raw, 1024, addr()).unwrap().unwrap();
        assert_eq!(len, raw.len() - 4);
        assert_eq!(req.method, "GET");
        assert_eq!(req.path, "/engine.io/");
        assert_eq!(req.query, "EIO=4&transport=polling");
        assert_eq!(req.header("host").as_deref(), Some("x"));
        assert!(!req.keep_alive());
        assert!(parse_head(b"GET / HTTP/1.1\r\nHost", 1024, addr())
            .unwrap()
            .is_none());
        assert!(matches!(
            parse_head(b"GET / HTTP/1.1\r\nHost", 10, addr()),
            Err(HttpError::HeadTooLarge)
        ));
        assert!(matches!(
            parse_head(b"\x01\x02 / HTTP/1.1\r\n\r\n", 1024, addr()),
            Err(HttpError::Malformed(_))
        ));
        let many: String = (0..70).map(|i| format!("h{i}: v\r\n")).collect();
        let raw = format!("GET / HTTP/1.1\r\n{many}\r\n");
        assert!(matches!(
            parse_head(raw.as_bytes(), 1 << 20, addr()),
            Err(HttpError::HeadTooLarge)
        ));
    }

    #[test]
    fn head_responses_have_no_body() {
        let response = HttpResponse::text(200, "hello");
        let get = encode_response(&response, true, false);
        let head = encode_response(&response, true, true);
        assert!(get.ends_with(b"\r\n\r\nhello"));
        assert!(head.ends_with(b"Content-Length: 5\r\nConnection: keep-alive\r\n\r\n"));
    }

    #[test]
    fn content_length_rules() {
        let req = |h: &str| {
            parse_head(
                format!("POST / HTTP/1.1\r\n{h}\r\n").as_bytes(),
                1024,
                addr(),
            )
            .unwrap()
            .unwrap()
            .0
        };
        assert_eq!(req("Content-Length: 12\r\n").content_length().unwrap(), 12);
        assert_eq!(req("").content_length().unwrap(), 0);
        assert!(matches!(
            req("Content-Length: -1\r\n").content_length(),
            Err(HttpError::BadContentLength)
        ));
        assert!(matches!(
            req("Content-Length: 1\r\nContent-Length: 2\r\n").content_length(),
            Err(HttpError::BadContentLength)
        ));
        assert!(matches!(
            req("Transfer-Encoding: chunked\r\n").content_length(),
            Err(HttpError::ChunkedBody)
        ));
        assert!(matches!(
            req("Content-Length: 99999999999999999999999\r\n").content_length(),
            Err(HttpError::BadContentLength)
        ));
    }

    /// What the fast head says, next to what the full request says, for one head.
    fn same_as_request(wire: &[u8], max_head: usize) {
        let full = parse_head(wire, max_head, addr());
        let fast = HeadFacts::parse(wire, max_head);
        let (req, len, facts, fast_len) = match (full, fast) {
            (Ok(Some((req, len))), Ok(Some((facts, fast_len)))) => (req, len, facts, fast_len),
            (Ok(None), Ok(None)) => return,
            (Err(a), Err(b)) => {
                assert_eq!(format!("{a:?}"), format!("{b:?}"), "{wire:?}");
                return;
            }
            (a, b) => panic!("{wire:?}: {a:?} vs {:?}", b.map(|o| o.map(|(_, l)| l))),
        };
        assert_eq!(len, fast_len);
        let head = Head {
            raw: Bytes::copy_from_slice(&wire[..len]),
            facts,
            remote: addr(),
        };
        assert_eq!(head.method(), req.method, "{wire:?}");
        assert_eq!(head.path(), req.path, "{wire:?}");
        assert_eq!(head.query(), req.query, "{wire:?}");
        assert_eq!(head.keep_alive(), req.keep_alive(), "{wire:?}");
        assert_eq!(
            head.wants_websocket(),
            crate::proto::websocket_handshake::wants_websocket(|n| req.header(n)),
            "{wire:?}"
        );
        assert_eq!(
            format!("{:?}", head.content_length()),
            format!("{:?}", req.content_length()),
            "{wire:?}"
        );
        assert_eq!(head.origin().map(|o| o.into_owned()), req.header("origin"));
        let again = head.request();
        assert_eq!(again.method, req.method);
        assert_eq!(again.path, req.path);
        assert_eq!(again.query, req.query);
        assert_eq!(again.headers, req.headers);
        assert_eq!(again.http11, req.http11);
    }

    #[test]
    fn fast_heads_agree_with_requests() {
        let heads: &[&[u8]] = &[
            b"GET /engine.io/?EIO=4&transport=polling&sid=abc HTTP/1.1\r\nHost: x\r\n\r\n",
            b"GET /engine.io/ HTTP/1.1\r\nHost: x\r\n\r\n",
            b"GET /engine.io/? HTTP/1.1\r\n\r\n",
            b"GET /a?b?c HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n",
            b"GET / HTTP/1.0\r\nconnection: foo\r\nCONNECTION:  keep-alive , x\r\n\r\n",
            b"GET / HTTP/1.0\r\n\r\n",
            b"GET / HTTP/1.1\r\nConnection: upgrade, close\r\n\r\n",
            b"GET / HTTP/1.1\r\nConnection:\r\nConnection: Close\r\n\r\n",
            b"GET / HTTP/1.1\r\nConnection: closed\r\n\r\n",
            b"GET / HTTP/1.1\r\nUpgrade: h2c, WebSocket\r\n\r\n",
            b"GET / HTTP/1.1\r\nUpgrade: h2c\r\nupgrade: websocket\r\n\r\n",
            b"GET / HTTP/1.1\r\nUpgrade: websockets\r\n\r\n",
            b"POST / HTTP/1.1\r\nContent-Length: 12\r\n\r\nbody",
            b"POST / HTTP/1.1\r\nContent-Length:  7 \r\n\r\n",
            b"POST / HTTP/1.1\r\nContent-Length: \r\n\r\n",
            b"POST / HTTP/1.1\r\nContent-Length: +1\r\n\r\n",
            b"POST / HTTP/1.1\r\nContent-Length: 1\r\ncontent-length: 1\r\n\r\n",
            b"POST / HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n",
            b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 1\r\n\r\n",
            b"POST / HTTP/1.1\r\nTransfer-Encoding:\r\n\r\n",
            b"GET / HTTP/1.1\r\nOrigin: https://a.example\r\n\r\n",
            b"GET / HTTP/1.1\r\nOrigin:\r\n\r\n",
            b"GET / HTTP/1.1\r\nOrigin: https://a\r\norigin: https://b\r\n\r\n",
            b"GET / HTTP/1.1\r\nX-Odd: \xc3\xa9t\xc3\xa9\r\n\r\n",
            b"GET / HTTP/1.1\r\nOrigin: \xc2\xa0https://a\xc2\xa0\r\n\r\n",
            b"GET / HTTP/1.1\r\nX-Bad: \xff\xfe\r\n\r\n",
            b"GET / HTTP/1.1\r\nX-Bad: \xc3\r\nConnection: close\r\n\r\n",
            b"OPTIONS /engine.io/ HTTP/1.1\r\nAccess-Control-Request-Headers: a, b\r\n\r\n",
            b"POST / HTTP/1.1\r\nContent-Length: \xc2\xa012\xe3\x80\x80\r\n\r\n",
            b"POST / HTTP/1.1\r\nContent-Length: \x0b12\t\r\n\r\n",
            b"POST / HTTP/1.1\r\nContent-Length: 1\xc2\xa02\r\n\r\n",
            b"GET / HTTP/1.1\r\nConnection: \xc2\xa0close\xc2\x85, x\r\n\r\n",
            b"GET / HTTP/1.1\r\nConnection: a,\x1cclose\r\n\r\n",
            b"GET / HTTP/1.1\r\nConnection: \tclose\t,\r\n\r\n",
            b"GET / HTTP/1.1\r\nUpgrade: \xe2\x80\x83websocket\r\n\r\n",
            b"GET / HTTP/1.1\r\nUPGRADE: x,,WEBSOCKET ,\r\n\r\n",
            b"GET / HTTP/1.1\r\nOrigin: \t\xc3\xa9x \r\n\r\n",
            b"GET / HTTP/1.1\r\nConnectio: close\r\nConnections: close\r\n\r\n",
            b"GET / HTTP/1.1\r\nHost",
            b"\x01\x02 / HTTP/1.1\r\n\r\n",
            b"GET / HTTP/2.0\r\n\r\n",
            b"GET  / HTTP/1.1\r\n\r\n",
            b"\r\nGET / HTTP/1.1\r\n\r\n",
            b"",
        ];
        for wire in heads {
            for max_head in [8, 16, 40, 1024] {
                same_as_request(wire, max_head);
            }
            // Every prefix, as the bytes trickle in.
            for end in 0..wire.len() {
                same_as_request(&wire[..end], 1024);
            }
        }
        let many: String = (0..70).map(|i| format!("h{i}: v\r\n")).collect();
        same_as_request(format!("GET / HTTP/1.1\r\n{many}\r\n").as_bytes(), 1 << 20);
    }

    #[test]
    fn trims_like_str() {
        for b in 0..=127u8 {
            let one = [b, b'x', b];
            let text = std::str::from_utf8(&one).unwrap();
            assert_eq!(trim(&one, true), text.trim().as_bytes(), "{b}");
        }
        assert_eq!(trim("\u{a0}x\u{3000}".as_bytes(), false), b"x");
        assert_eq!(decimal(b"0"), Some(0));
        let max = usize::MAX.to_string();
        assert_eq!(decimal(max.as_bytes()), Some(usize::MAX));
        assert_eq!(decimal(format!("{max}0").as_bytes()), None);
        assert_eq!(decimal(b""), None);
        assert_eq!(decimal(b"1 2"), None);
    }

    /// The encoder before it wrote bytes directly, kept to check the output byte for byte.
    fn encode_with_format(response: &HttpResponse, keep_alive: bool, omit_body: bool) -> Vec<u8> {
        use std::fmt::Write;
        let mut head = String::new();
        let _ = write!(
            head,
            "HTTP/1.1 {} {}\r\n",
            response.status,
            reason(response.status)
        );
        for (name, value) in &response.headers {
            let _ = write!(head, "{name}: {value}\r\n");
        }
        if response.status != 101 {
            let _ = write!(head, "Content-Length: {}\r\n", response.body.len());
            head.push_str(if keep_alive {
                "Connection: keep-alive\r\n"
            } else {
                "Connection: close\r\n"
            });
        }
        head.push_str("\r\n");
        let mut out = head.into_bytes();
        if !omit_body {
            out.extend_from_slice(&response.body);
        }
        out
    }

    #[test]
    fn encodes_like_format() {
        let responses = [
            HttpResponse::text(200, "4hello"),
            HttpResponse::new(200)
                .header("Content-Type", "text/html")
                .body("ok"),
            HttpResponse::json(400, r#"{"code":1,"message":"Session ID unknown"}"#),
            HttpResponse::new(204).header("Vary", "Origin"),
            HttpResponse::new(101).header("Upgrade", "websocket"),
            HttpResponse::new(0),
            HttpResponse::new(7).body(vec![b'x'; 10]),
            HttpResponse::new(599).body(vec![b'x'; 100_000]),
            HttpResponse::new(u16::MAX).header("A", "").header("", "b"),
        ];
        for response in &responses {
            for keep in [false, true] {
                for omit in [false, true] {
                    let expected = encode_with_format(response, keep, omit);
                    assert_eq!(
                        encode(
                            response.status,
                            &response.headers,
                            &response.body,
                            keep,
                            omit
                        ),
                        expected
                    );
                    assert_eq!(&encode_response(response, keep, omit)[..], &expected[..]);
                }
            }
        }
        for n in [0, 1, 9, 10, 99, 100, 12345, usize::MAX] {
            let mut out = Vec::new();
            put_decimal(&mut out, n);
            assert_eq!(out, n.to_string().into_bytes());
        }
    }
}
