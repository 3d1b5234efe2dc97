//! The response and its encoding: status line, headers, `Content-Length`, `Connection`, body.

use bytes::Bytes;

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
    /// The same response as another HTTP server's type (a header that is not valid HTTP is left
    /// out; a status that is not one is a `500`).
    pub fn into_http(self) -> http::Response<Bytes> {
        let mut response = http::Response::new(self.body);
        *response.status_mut() = http::StatusCode::from_u16(self.status)
            .unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
        for (name, value) in &self.headers {
            if let (Ok(name), Ok(value)) = (
                http::HeaderName::from_bytes(name.as_bytes()),
                http::HeaderValue::from_str(value),
            ) {
                response.headers_mut().append(name, value);
            }
        }
        response
    }

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

/// The bytes of a response: the status line, `headers` in order, then (except for a `101`)
/// `Content-Length` and `Connection`, the blank line, and the body unless `omit_body`.
/// One allocation of the right size; no formatting machinery.
pub fn encode<N: AsRef<str>, V: AsRef<str>>(
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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn head_responses_have_no_body() {
        let response = HttpResponse::text(200, "hello");
        let encode = |omit| encode(200, &response.headers, &response.body, true, omit);
        assert!(encode(false).ends_with(b"\r\n\r\nhello"));
        assert!(encode(true).ends_with(b"Content-Length: 5\r\nConnection: keep-alive\r\n\r\n"));
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
