//! The owned request: every header copied, for the code that wants them all (the application's
//! hooks and fallback, handshakes, upgrades). Built once from a [`super::Head`].

use super::HttpError;
use bytes::Bytes;
use std::net::SocketAddr;

/// A request head with owned parts (and, for the application's fallback, its body).
#[derive(Clone, Debug)]
pub struct HttpRequest {
    /// `GET`, `POST`, ...
    pub method: String,
    /// The path, without the query.
    pub path: String,
    /// The query string, without the `?` (empty when there is none).
    pub query: String,
    /// Headers with lower-case names and trimmed values, in arrival order.
    pub headers: Vec<(String, String)>,
    /// Whether the request is HTTP/1.1 (else 1.0).
    pub http11: bool,
    /// The body (only filled for requests handed to the fallback).
    pub body: Bytes,
    /// The client's address.
    pub remote: SocketAddr,
    /// What the application's HTTP stack attached to the request (when it came through
    /// another server's tower `Service`: its middleware's findings, such as a logged-in user).
    /// Empty on our own listener's requests.
    pub extensions: http::Extensions,
}

impl HttpRequest {
    /// The request another HTTP server parsed (its body left out): headers with lower-case
    /// names and trimmed values (a value that is not text is left out), and a copy of its
    /// extensions.
    pub fn from_http(parts: &http::request::Parts, remote: SocketAddr) -> Self {
        let headers = (parts.headers.iter())
            .filter_map(|(name, value)| {
                let value = value.to_str().ok()?.trim();
                Some((name.as_str().to_owned(), value.to_owned()))
            })
            .collect();
        HttpRequest {
            method: parts.method.as_str().to_owned(),
            path: parts.uri.path().to_owned(),
            query: parts.uri.query().unwrap_or_default().to_owned(),
            headers,
            http11: parts.version >= http::Version::HTTP_11,
            body: Bytes::new(),
            remote,
            extensions: parts.extensions.clone(),
        }
    }

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
        let values = self.headers.iter().filter(|(n, _)| n == "content-length");
        content_length(
            self.header("transfer-encoding").is_some(),
            values.map(|(_, v)| v.as_str()),
        )
    }
}

/// A request body's length: from its `Content-Length` values (0 when there is none), refused
/// when it has a `Transfer-Encoding` (chunked bodies are not taken) or the values are not one
/// number.
pub fn content_length<'a>(
    transfer_encoding: bool,
    mut values: impl Iterator<Item = &'a str>,
) -> Result<usize, HttpError> {
    if transfer_encoding {
        return Err(HttpError::ChunkedBody);
    }
    match (values.next(), values.next()) {
        (None, _) => Ok(0),
        (Some(v), None) if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) => {
            v.parse().map_err(|_| HttpError::BadContentLength)
        }
        _ => Err(HttpError::BadContentLength),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::super::{parse_head, Status};
    use super::*;

    fn request(wire: &[u8]) -> HttpRequest {
        match parse_head(wire, 1024).unwrap() {
            Status::Complete(head, _) => head.request(([127, 0, 0, 1], 1).into()),
            Status::Partial => panic!("partial: {wire:?}"),
        }
    }

    #[test]
    fn builds_requests() {
        let req = request(
            b"GET /engine.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\nrest",
        );
        assert_eq!(req.method, "GET");
        assert_eq!(req.path, "/engine.io/");
        assert_eq!(req.query, "EIO=4&transport=polling");
        assert_eq!(req.header("host").as_deref(), Some("x"));
        assert!(!req.keep_alive());
        assert!(req.http11);
    }

    #[test]
    fn content_length_rules() {
        let req = |h: &str| request(format!("POST / HTTP/1.1\r\n{h}\r\n").as_bytes());
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
}
