//! What a peer can get wrong in an HTTP request, and the status each is answered with.

use std::fmt;

/// A request the server will not serve: always the peer's fault, answered with [`HttpError::status`]
/// before the connection closes. (A connection that fails or closes is the runtime's business: it
/// has no one to answer.)
#[derive(Debug)]
#[non_exhaustive]
pub enum HttpError {
    /// The head is not valid HTTP/1.x.
    Malformed(httparse::Error),
    /// The head is larger than the limit, or has more than [`super::MAX_HEADERS`] headers.
    HeadTooLarge,
    /// The head or body did not arrive in time (the runtime's timer says when).
    Timeout,
    /// `Transfer-Encoding` (chunked) bodies are not accepted.
    ChunkedBody,
    /// `Content-Length` is missing a value, repeated, or not a number.
    BadContentLength,
    /// The body is larger than allowed.
    BodyTooLarge,
}

impl HttpError {
    /// The status to answer with.
    pub fn status(&self) -> u16 {
        match self {
            HttpError::Malformed(_) | HttpError::BadContentLength => 400,
            HttpError::HeadTooLarge => 431,
            HttpError::Timeout => 408,
            HttpError::ChunkedBody => 411,
            HttpError::BodyTooLarge => 413,
        }
    }
}

impl fmt::Display for HttpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HttpError::Malformed(e) => write!(f, "malformed request: {e}"),
            HttpError::HeadTooLarge => f.write_str("request header fields too large"),
            HttpError::Timeout => f.write_str("request timeout"),
            HttpError::ChunkedBody => {
                f.write_str("chunked request bodies are not supported: send Content-Length")
            }
            HttpError::BadContentLength => f.write_str("invalid Content-Length"),
            HttpError::BodyTooLarge => f.write_str("payload too large"),
        }
    }
}

impl std::error::Error for HttpError {}
