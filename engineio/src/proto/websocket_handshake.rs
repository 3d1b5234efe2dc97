//! The server side of the WebSocket opening handshake (RFC 6455 section 4.2), without I/O.

use super::websocket_frame::{self, Opcode};
use super::{base64, sha1::sha1};
use std::fmt;

const GUID: &str = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// Why a request is not a valid WebSocket upgrade. The client's fault.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[non_exhaustive]
pub enum UpgradeError {
    /// Not a `GET`.
    Method,
    /// No `Connection: upgrade`.
    ConnectionHeader,
    /// No `Upgrade: websocket`.
    UpgradeHeader,
    /// `Sec-WebSocket-Version` is not 13.
    Version,
    /// `Sec-WebSocket-Key` is missing or not 16 bytes of base64.
    Key,
}

impl fmt::Display for UpgradeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            UpgradeError::Method => "WebSocket upgrade must be a GET",
            UpgradeError::ConnectionHeader => "missing Connection: upgrade",
            UpgradeError::UpgradeHeader => "missing Upgrade: websocket",
            UpgradeError::Version => "unsupported Sec-WebSocket-Version (13 required)",
            UpgradeError::Key => "missing or invalid Sec-WebSocket-Key",
        })
    }
}

impl std::error::Error for UpgradeError {}

/// Whether a comma-separated header value contains `token` (case-insensitively).
pub fn has_token(value: &str, token: &str) -> bool {
    value
        .split(',')
        .any(|t| t.trim().eq_ignore_ascii_case(token))
}

/// Whether the request asks for a WebSocket (`Upgrade: websocket`), valid or not.
pub fn wants_websocket(header: impl Fn(&str) -> Option<String>) -> bool {
    header("upgrade").is_some_and(|v| has_token(&v, "websocket"))
}

/// Validates an upgrade request and returns the `Sec-WebSocket-Accept` value.
///
/// `header` looks a header up by lower-case name (several occurrences joined with `,`).
pub fn accept(
    method: &str,
    header: impl Fn(&str) -> Option<String>,
) -> Result<String, UpgradeError> {
    if method != "GET" {
        return Err(UpgradeError::Method);
    }
    if !header("connection").is_some_and(|v| has_token(&v, "upgrade")) {
        return Err(UpgradeError::ConnectionHeader);
    }
    if !wants_websocket(&header) {
        return Err(UpgradeError::UpgradeHeader);
    }
    if header("sec-websocket-version").as_deref().map(str::trim) != Some("13") {
        return Err(UpgradeError::Version);
    }
    let key = header("sec-websocket-key").ok_or(UpgradeError::Key)?;
    let key = key.trim();
    if base64::decode(key.as_bytes()).map(|k| k.len()) != Some(16) {
        return Err(UpgradeError::Key);
    }
    Ok(accept_key(key))
}

/// The `101 Switching Protocols` response for `accept` (see [`accept`]), followed by
/// `first_text` as the connection's first server frame if given (an unmasked, unfragmented text
/// frame, RFC 6455 section 5.2): one write carries the handshake and the Engine.IO open packet.
pub fn switching_protocols(accept: &str, first_text: Option<&[u8]>) -> Vec<u8> {
    switching_protocols_with(accept, &[], first_text)
}

/// The headers of the `101 Switching Protocols` response for `accept`, in the order they are sent.
pub fn switching_protocols_headers(accept: &str) -> [(&'static str, &str); 3] {
    [
        ("Upgrade", "websocket"),
        ("Connection", "Upgrade"),
        ("Sec-WebSocket-Accept", accept),
    ]
}

/// [`switching_protocols`] with more headers after `Sec-WebSocket-Accept` (the application's;
/// a header whose name or value holds CR or LF is left out rather than split the response).
pub fn switching_protocols_with(
    accept: &str,
    headers: &[(String, String)],
    first_text: Option<&[u8]>,
) -> Vec<u8> {
    let payload = first_text.unwrap_or_default();
    let mut out = Vec::with_capacity(128 + accept.len() + payload.len());
    out.extend_from_slice(b"HTTP/1.1 101 Switching Protocols");
    let own = switching_protocols_headers(accept);
    let theirs = (headers.iter())
        .filter(|(name, value)| header_is_safe(name, value))
        .map(|(n, v)| (n.as_str(), v.as_str()));
    for (name, value) in own.into_iter().chain(theirs) {
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value.as_bytes());
    }
    out.extend_from_slice(b"\r\n\r\n");
    if let Some(payload) = first_text {
        websocket_frame::write_frame(&mut out, Opcode::Text, None, payload);
    }
    out
}

/// Whether an application's response header can be written as is: a non-empty token for a name
/// and a value without control characters but tab (CR or LF could split the response in two; the
/// others are refused by HTTP libraries, so both front doors leave out the same headers).
pub fn header_is_safe(name: &str, value: &str) -> bool {
    let token = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b);
    !name.is_empty()
        && name.bytes().all(token)
        && !value.bytes().any(|b| (b < 0x20 && b != b'\t') || b == 0x7f)
}

/// `base64(sha1(key + GUID))`.
pub fn accept_key(key: &str) -> String {
    let mut input = String::with_capacity(key.len() + GUID.len());
    input.push_str(key);
    input.push_str(GUID);
    base64::encode(&sha1(input.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn application_headers_without_control_characters_only() {
        assert!(header_is_safe("X-Trace", "a\tb c"));
        for value in ["a\rb", "a\nb", "a\0b", "a\x01b", "a\x7fb"] {
            assert!(!header_is_safe("X-Trace", value), "{value:?}");
        }
        assert!(!header_is_safe("X Trace", "v"));
        assert!(!header_is_safe("", "v"));
    }

    #[test]
    fn switching_protocols_with_a_first_frame() {
        let head = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: k=\r\n\r\n";
        assert_eq!(switching_protocols("k=", None), head.as_bytes());
        let extra = [
            ("Set-Cookie".to_owned(), "lb=1".to_owned()),
            ("X-Bad".to_owned(), "a\r\nInjected: 1".to_owned()),
        ];
        assert_eq!(
            switching_protocols_with("k=", &extra, None),
            head.replace("k=\r\n", "k=\r\nSet-Cookie: lb=1\r\n")
                .as_bytes()
        );
        let with = switching_protocols("k=", Some(b"0{}"));
        assert_eq!(&with[..head.len()], head.as_bytes());
        assert_eq!(&with[head.len()..], b"\x81\x030{}");
        // 16-bit and 64-bit lengths.
        let mid = vec![b'x'; 300];
        let frame = &switching_protocols("k=", Some(&mid))[head.len()..];
        assert_eq!(&frame[..4], &[0x81, 126, 0x01, 0x2c]);
        assert_eq!(frame.len(), 4 + 300);
        let big = vec![b'x'; 70_000];
        let frame = &switching_protocols("k=", Some(&big))[head.len()..];
        assert_eq!(&frame[..10], &[0x81, 127, 0, 0, 0, 0, 0, 0x01, 0x11, 0x70]);
        assert_eq!(frame.len(), 10 + 70_000);
    }

    #[test]
    fn rfc6455_example() {
        assert_eq!(
            accept_key("dGhlIHNhbXBsZSBub25jZQ=="),
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
    }

    #[test]
    fn validates_headers() {
        let good = |name: &str| -> Option<String> {
            match name {
                "connection" => Some("keep-alive, Upgrade".into()),
                "upgrade" => Some("websocket".into()),
                "sec-websocket-version" => Some("13".into()),
                "sec-websocket-key" => Some("dGhlIHNhbXBsZSBub25jZQ==".into()),
                _ => None,
            }
        };
        assert_eq!(
            accept("GET", good).as_deref(),
            Ok("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
        );
        assert_eq!(accept("POST", good), Err(UpgradeError::Method));
        let without = |skip: &'static str| move |n: &str| if n == skip { None } else { good(n) };
        assert_eq!(
            accept("GET", without("connection")),
            Err(UpgradeError::ConnectionHeader)
        );
        assert_eq!(
            accept("GET", without("upgrade")),
            Err(UpgradeError::UpgradeHeader)
        );
        assert_eq!(
            accept("GET", without("sec-websocket-version")),
            Err(UpgradeError::Version)
        );
        assert_eq!(
            accept("GET", without("sec-websocket-key")),
            Err(UpgradeError::Key)
        );
        let short_key = |n: &str| {
            if n == "sec-websocket-key" {
                Some("AAAA".into())
            } else {
                good(n)
            }
        };
        assert_eq!(accept("GET", short_key), Err(UpgradeError::Key));
    }
}
