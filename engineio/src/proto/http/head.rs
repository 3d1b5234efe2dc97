//! The request head parser: one pass of httparse over borrowed bytes, which says
//! [`Status::Complete`] or [`Status::Partial`] and finds, in the same pass, every fact the
//! Engine.IO path asks of every request. No header is copied; the [`HttpRequest`] with all of
//! them is built only for the requests that need it.

use super::{HttpError, HttpRequest};
use bytes::Bytes;
use std::borrow::Cow;
use std::mem::MaybeUninit;
use std::net::SocketAddr;

/// Most headers a request may have; more is [`HttpError::HeadTooLarge`].
pub const MAX_HEADERS: usize = 64;

/// What a parse found: a value and how many bytes it took, or not enough bytes yet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status<T> {
    /// The whole value, and its length in bytes (what follows it is not looked at).
    Complete(T, usize),
    /// The bytes so far are the start of a valid value: read more, then parse again.
    Partial,
}

/// A parsed request head, borrowing the bytes it was parsed from.
#[derive(Clone, Copy, Debug)]
pub struct Head<'b> {
    bytes: &'b [u8],
    layout: Layout,
}

/// Where the parts of a head are in its bytes, and what its headers say: what a [`Head`] is
/// without the bytes, so that the bytes can be kept elsewhere (a runtime splits them off its
/// read buffer once the parse has ended its borrow) and the head found again with
/// [`Head::with_layout`], without a second parse.
#[derive(Clone, Copy, Debug)]
pub struct Layout {
    method: Span,
    /// The method when it is one the Engine.IO path checks for: read without a UTF-8 check.
    known_method: Option<&'static str>,
    path: Span,
    query: Span,
    http11: bool,
    keep_alive: bool,
    upgrade_websocket: bool,
    length: BodyLength,
    origin: OriginAt,
}

/// A range of bytes (`Range` is not `Copy`).
#[derive(Clone, Copy, Debug)]
struct Span {
    start: usize,
    end: usize,
}

const EMPTY: Span = Span { start: 0, end: 0 };

/// What [`HttpRequest::content_length`] says, found while parsing.
#[derive(Clone, Copy, Debug)]
enum BodyLength {
    Known(usize),
    Chunked,
    Bad,
}

/// Where the `Origin` header's (trimmed) value is in the head.
#[derive(Clone, Copy, Debug)]
enum OriginAt {
    Absent,
    One(Span),
    /// Several `Origin` headers: their values are joined like [`HttpRequest::header`] does.
    Many,
}

/// Parses a request head at the start of `bytes`: [`Status::Partial`] while it is incomplete and
/// shorter than `max_head`; a head longer than `max_head`, with more than [`MAX_HEADERS`]
/// headers, not valid HTTP/1.x, or with a header value that is not UTF-8 is the peer's
/// [`HttpError`].
pub fn parse_head(bytes: &[u8], max_head: usize) -> Result<Status<Head<'_>>, HttpError> {
    // Left uninitialised (httparse fills what it uses): no 2 KiB of empty headers to write.
    let mut headers = [const { MaybeUninit::<httparse::Header<'_>>::uninit() }; MAX_HEADERS];
    let mut req = httparse::Request::new(&mut []);
    let len = match req.parse_with_uninit_headers(bytes, &mut headers) {
        Ok(httparse::Status::Complete(len)) if len <= max_head => len,
        Ok(httparse::Status::Complete(_)) => return Err(HttpError::HeadTooLarge),
        Ok(httparse::Status::Partial) if bytes.len() >= max_head => {
            return Err(HttpError::HeadTooLarge)
        }
        Ok(httparse::Status::Partial) => return Ok(Status::Partial),
        Err(httparse::Error::TooManyHeaders) => return Err(HttpError::HeadTooLarge),
        Err(e) => return Err(HttpError::Malformed(e)),
    };
    let at = |part: &[u8]| -> Span {
        let start = (part.as_ptr() as usize).wrapping_sub(bytes.as_ptr() as usize);
        match start.checked_add(part.len()) {
            Some(end) if end <= len => Span { start, end },
            _ => EMPTY,
        }
    };
    let method = req.method.map_or(EMPTY, |m| at(m.as_bytes()));
    let known_method = match req.method {
        Some("GET") => Some("GET"),
        Some("POST") => Some("POST"),
        Some("OPTIONS") => Some("OPTIONS"),
        Some("HEAD") => Some("HEAD"),
        _ => None,
    };
    // The target's `?` found with a plain loop: `str::split_once` searches with `memchr`, whose
    // setup costs more than the scan of a short target.
    let target = req.path.unwrap_or_default().as_bytes();
    let (path, query) = match target.iter().position(|&b| b == b'?') {
        Some(i) => (
            at(target.get(..i).unwrap_or_default()),
            at(target.get(i + 1..).unwrap_or_default()),
        ),
        None => (at(target), EMPTY),
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
    let layout = Layout {
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
    let bytes = bytes.get(..len).unwrap_or(bytes);
    Ok(Status::Complete(Head { bytes, layout }, len))
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

impl<'b> Head<'b> {
    /// The head again from `bytes`, the bytes [`parse_head`] took (kept elsewhere since), and
    /// the [`Layout`] it found in them. Other bytes give other text, never a panic.
    pub fn with_layout(bytes: &'b [u8], layout: Layout) -> Self {
        Self { bytes, layout }
    }

    /// Where the parts are, to find the head again with [`Head::with_layout`].
    pub fn layout(&self) -> Layout {
        self.layout
    }

    /// The head's bytes, up to and including the blank line.
    pub fn bytes(&self) -> &'b [u8] {
        self.bytes
    }

    fn text(&self, span: Span) -> &'b str {
        // Checked as UTF-8 by the parse already (see `with_layout` for other bytes).
        self.bytes
            .get(span.start..span.end)
            .and_then(|b| std::str::from_utf8(b).ok())
            .unwrap_or_default()
    }

    /// `GET`, `POST`, ...
    pub fn method(&self) -> &'b str {
        match self.layout.known_method {
            Some(method) => method,
            None => self.text(self.layout.method),
        }
    }

    /// The path, without the query.
    pub fn path(&self) -> &'b str {
        self.text(self.layout.path)
    }

    /// [`Self::path`] as bytes, without its UTF-8 check.
    pub fn path_bytes(&self) -> &'b [u8] {
        let Span { start, end } = self.layout.path;
        self.bytes.get(start..end).unwrap_or_default()
    }

    /// The query string, without the `?` (empty when there is none).
    pub fn query(&self) -> &'b str {
        self.text(self.layout.query)
    }

    /// Whether the request is HTTP/1.1 (else 1.0).
    pub fn http11(&self) -> bool {
        self.layout.http11
    }

    /// [`HttpRequest::keep_alive`].
    pub fn keep_alive(&self) -> bool {
        self.layout.keep_alive
    }

    /// Whether an `Upgrade` header has the token `websocket`, as
    /// [`crate::proto::websocket_handshake::wants_websocket`] decides.
    pub fn wants_websocket(&self) -> bool {
        self.layout.upgrade_websocket
    }

    /// [`HttpRequest::content_length`].
    pub fn content_length(&self) -> Result<usize, HttpError> {
        match self.layout.length {
            BodyLength::Known(n) => Ok(n),
            BodyLength::Chunked => Err(HttpError::ChunkedBody),
            BodyLength::Bad => Err(HttpError::BadContentLength),
        }
    }

    /// `HttpRequest::header("origin")`: borrowed, unless several `Origin` headers are joined.
    pub fn origin(&self) -> Option<Cow<'b, str>> {
        match self.layout.origin {
            OriginAt::Absent => None,
            OriginAt::One(span) => Some(Cow::Borrowed(self.text(span))),
            OriginAt::Many => {
                let mut joined: Option<String> = None;
                self.each_header(|name, value| {
                    if name.eq_ignore_ascii_case("origin") {
                        match &mut joined {
                            Some(j) => {
                                j.push_str(", ");
                                j.push_str(value);
                            }
                            None => joined = Some(value.to_owned()),
                        }
                    }
                });
                joined.map(Cow::Owned)
            }
        }
    }

    /// The whole request, every header copied (names in lower case, values trimmed). It costs
    /// an allocation per header: build it once, and only for the requests that need it.
    pub fn request(&self, remote: SocketAddr) -> HttpRequest {
        let mut headers = Vec::new();
        self.each_header(|name, value| headers.push((name.to_ascii_lowercase(), value.to_owned())));
        HttpRequest {
            method: self.method().to_owned(),
            path: self.path().to_owned(),
            query: self.query().to_owned(),
            headers,
            http11: self.layout.http11,
            body: Bytes::new(),
            remote,
            extensions: http::Extensions::new(),
        }
    }

    /// Calls `f` with each header's name and trimmed value, in order. The parse keeps no header
    /// list (so that the requests which need none copy none); this walks the head's bytes again
    /// for the few that do.
    fn each_header(&self, mut f: impl FnMut(&'b str, &'b str)) {
        let mut headers = [const { MaybeUninit::<httparse::Header<'_>>::uninit() }; MAX_HEADERS];
        let mut req = httparse::Request::new(&mut []);
        // Complete, for the bytes the parse took; other bytes (see `with_layout`) give no headers.
        if let Ok(httparse::Status::Complete(_)) =
            req.parse_with_uninit_headers(self.bytes, &mut headers)
        {
            for h in req.headers.iter() {
                // UTF-8, for the bytes the parse took.
                if let Ok(value) = std::str::from_utf8(h.value) {
                    f(h.name, value.trim());
                }
            }
        }
    }
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
        let Ok(Status::Complete(head, len)) = parse_head(raw, 1024) else {
            panic!("not complete");
        };
        assert_eq!(len, raw.len() - 4);
        assert_eq!(head.bytes(), &raw[..len]);
        assert_eq!(head.method(), "GET");
        assert_eq!(head.path(), "/engine.io/");
        assert_eq!(head.query(), "EIO=4&transport=polling");
        assert!(!head.keep_alive());
        assert!(matches!(
            parse_head(b"GET / HTTP/1.1\r\nHost", 1024),
            Ok(Status::Partial)
        ));
        assert!(matches!(
            parse_head(b"GET / HTTP/1.1\r\nHost", 10),
            Err(HttpError::HeadTooLarge)
        ));
        assert!(matches!(
            parse_head(b"\x01\x02 / HTTP/1.1\r\n\r\n", 1024),
            Err(HttpError::Malformed(_))
        ));
        let many: String = (0..70).map(|i| format!("h{i}: v\r\n")).collect();
        let raw = format!("GET / HTTP/1.1\r\n{many}\r\n");
        assert!(matches!(
            parse_head(raw.as_bytes(), 1 << 20),
            Err(HttpError::HeadTooLarge)
        ));
    }

    /// What the parse says of `wire`, checked against the request built from the head, against
    /// the head found again from its layout, and against every prefix of `wire` (the bytes as
    /// they trickle in): shorter than the head, Partial; before an error, Partial, the same error,
    /// or the limit.
    fn check(wire: &[u8], max_head: usize) {
        let parsed = parse_head(wire, max_head);
        let prefixes = |end: usize| (0..end).map(|e| (e, parse_head(&wire[..e], max_head)));
        let (head, len) = match parsed {
            Ok(Status::Complete(head, len)) => (head, len),
            Ok(Status::Partial) => {
                assert!(wire.len() < max_head, "{wire:?}");
                for (end, status) in prefixes(wire.len()) {
                    assert!(matches!(status, Ok(Status::Partial)), "{wire:?} at {end}");
                }
                return;
            }
            Err(e) => {
                assert!(matches!(e.status(), 400 | 431), "{wire:?}: {e:?}");
                for (end, status) in prefixes(wire.len()) {
                    match status {
                        Ok(Status::Partial) => {}
                        // The limit, met before the bytes that are wrong arrived.
                        Err(HttpError::HeadTooLarge) if end >= max_head => {}
                        Err(p) => {
                            assert_eq!(format!("{p:?}"), format!("{e:?}"), "{wire:?} at {end}")
                        }
                        Ok(Status::Complete(..)) => {
                            panic!("{wire:?}: complete at {end}, then {e:?}")
                        }
                    }
                }
                return;
            }
        };
        assert!(len <= wire.len() && len <= max_head, "{wire:?}");
        for (end, status) in prefixes(len) {
            assert!(matches!(status, Ok(Status::Partial)), "{wire:?} at {end}");
        }
        match parse_head(&wire[..len], max_head) {
            Ok(Status::Complete(again, again_len)) => {
                assert_eq!(again_len, len, "{wire:?}");
                assert_eq!(
                    format!("{:?}", again.layout()),
                    format!("{:?}", head.layout())
                );
            }
            other => panic!("{wire:?}: its own head gives {other:?}"),
        }
        let req = head.request(addr());
        assert_eq!(head.method(), req.method, "{wire:?}");
        assert_eq!(head.path(), req.path, "{wire:?}");
        assert_eq!(head.query(), req.query, "{wire:?}");
        assert_eq!(head.http11(), req.http11, "{wire:?}");
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
        assert_eq!(
            head.origin().map(Cow::into_owned),
            req.header("origin"),
            "{wire:?}"
        );
        let kept = Bytes::copy_from_slice(&wire[..len]);
        let again = Head::with_layout(&kept, head.layout());
        assert_eq!(again.method(), head.method());
        assert_eq!(again.path(), head.path());
        assert_eq!(again.query(), head.query());
        assert_eq!(again.origin(), head.origin());
        assert_eq!(again.request(addr()).headers, req.headers);
    }

    #[test]
    fn hard_heads_on_every_prefix() {
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
                check(wire, max_head);
            }
        }
        let many: String = (0..70).map(|i| format!("h{i}: v\r\n")).collect();
        check(format!("GET / HTTP/1.1\r\n{many}\r\n").as_bytes(), 1 << 20);
        let some: String = (0..MAX_HEADERS).map(|i| format!("h{i}: v\r\n")).collect();
        check(format!("GET / HTTP/1.1\r\n{some}\r\n").as_bytes(), 1 << 20);
    }

    #[test]
    fn other_bytes_never_panic() {
        let Ok(Status::Complete(head, _)) =
            parse_head(b"GET /a?b HTTP/1.1\r\nOrigin: x\r\nOrigin: y\r\n\r\n", 1024)
        else {
            panic!("not complete");
        };
        for other in [&b""[..], b"GET", b"\xff\xfe\xfd\xfc\xfb\xfa\xf9"] {
            let head = Head::with_layout(other, head.layout());
            let _ = (head.method(), head.path(), head.query(), head.origin());
            assert!(head.request(addr()).headers.is_empty());
        }
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
}
