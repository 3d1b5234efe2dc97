//! Bad input on raw TCP: every request here is one no well-behaved client sends. Each gets its
//! status or a clean close, and afterwards the server still answers a fresh handshake.

use std::time::Duration;

use tokio::time::Instant;

use super::client::{polling, Ctx};
use super::expect::{expect_body, expect_error, expect_packets};
use super::ACT_WITHIN;
use crate::check::{CheckResult, Failure};
use crate::http::{Ending, Request, DEFAULT_RESPONSE_TIMEOUT};
use crate::transcript::show;
use crate::{ensure, fail};

/// How long the server has to answer and hang up on a request it cannot parse.
const HANG_UP_WITHIN: Duration = ACT_WITHIN;

/// Writes `bytes` on a fresh connection (in the background: the server may stop reading) and
/// reads until the server hangs up or `limit` passes.
async fn raw_exchange(c: &Ctx, bytes: Vec<u8>, limit: Duration) -> Result<Ending, Failure> {
    let conn = c.connect().await?;
    let (mut reader, mut writer) = (conn.reader, conn.writer);
    writer
        .send_raw(bytes.get(..bytes.len().min(256)).unwrap_or_default())
        .await?;
    let rest = bytes.get(256..).unwrap_or_default().to_vec();
    if !rest.is_empty() {
        c.note(format!("C> ... {} more bytes", rest.len()));
    }
    let sending = tokio::spawn(async move {
        let _ = writer.send_quiet(&rest).await;
        writer
    });
    let ending = reader.ending(limit).await;
    sending.abort();
    Ok(ending)
}

/// The status code at the start of `received`, if it starts with a status line.
fn status_of(received: &[u8]) -> Option<u16> {
    let text = String::from_utf8_lossy(received.get(..received.len().min(32)).unwrap_or_default())
        .into_owned();
    let mut words = text.split(' ');
    let version = words.next()?;
    if !version.starts_with("HTTP/1.") {
        return None;
    }
    words.next()?.parse().ok()
}

/// Requires a status in `allowed` followed by the server closing the connection.
fn expect_status_then_close(ending: &Ending, allowed: &[u16], what: &str) -> CheckResult {
    match ending {
        Ending::Closed { received } | Ending::Reset { received } => match status_of(received) {
            Some(status) if allowed.contains(&status) => Ok(()),
            _ => fail!(
                "{what}: expected status {} then a close, got {}",
                describe(allowed),
                show(received)
            ),
        },
        Ending::StillOpen { received } => fail!(
            "{what}: the connection stayed open (received {}), expected status {} then a close",
            show(received),
            describe(allowed)
        ),
    }
}

/// `[400]`, `[431, 400]`, or `4xx` for the whole client-error range.
fn describe(allowed: &[u16]) -> String {
    if allowed.len() == 100 {
        "4xx".to_string()
    } else {
        format!("{allowed:?}")
    }
}

/// Malformed request lines (junk, no target, trailing garbage, a TLS hello) -> 400 and close.
pub async fn malformed_request_line(c: Ctx) -> CheckResult {
    let target = c.target("?EIO=4&transport=polling");
    let tls_client_hello =
        b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03\x00\x01\x02\x03\r\n\r\n".to_vec();
    for (what, bytes) in [
        ("junk", b"GARBAGE\r\n\r\n".to_vec()),
        ("no target", b"GET\r\n\r\n".to_vec()),
        (
            "trailing garbage",
            format!("GET {target} HTTP/1.1 extra\r\nHost: x\r\n\r\n").into_bytes(),
        ),
        ("TLS hello", tls_client_hello),
    ] {
        let ending = raw_exchange(&c, bytes, HANG_UP_WITHIN).await?;
        expect_status_then_close(&ending, &[400], what)?;
    }
    c.still_serving().await
}

/// A 64 KiB header -> 431 (or 400) and close.
pub async fn oversized_headers(c: Ctx) -> CheckResult {
    let request = format!(
        "GET {} HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
        c.target("?EIO=4&transport=polling"),
        "a".repeat(64 * 1024)
    );
    let ending = raw_exchange(&c, request.into_bytes(), HANG_UP_WITHIN).await?;
    expect_status_then_close(&ending, &[431, 400], "64 KiB header")?;
    c.still_serving().await
}

/// Garbage payloads in a POST (unknown packet type, invalid UTF-8, junk after a good packet)
/// close the session: the next GET gets 400 code 1.
pub async fn garbage_packets(c: Ctx) -> CheckResult {
    for payload in [&b"abc"[..], b"\xff\xfe4hello", b"4hello\x1e!!"] {
        let sid = c.handshake().await?.sid;
        match c.send(&sid, payload.to_vec()).await {
            Ok(r) => c.note(format!("the garbage POST answered {}", r.status())),
            Err(_) => c.note("the garbage POST was aborted"),
        }
        expect_error(&c.poll(&sid).await?, 400, 1)
            .map_err(|f| Failure::Failed(format!("after POST {}: {f}", show(payload))))?;
    }
    c.still_serving().await
}

/// PUT for an existing session is refused (the reference server answers 500; 400 or 405 are
/// better) and the server carries on.
pub async fn wrong_method_with_sid(c: Ctx) -> CheckResult {
    let sid = c.handshake().await?.sid;
    let response = c
        .request(Request::new("PUT", c.target(&polling(&sid))).body("4hello"))
        .await?;
    ensure!(
        matches!(response.status(), 400 | 405 | 500),
        "PUT for a session answered {} {:?}, expected 400 or 405 (the reference server says 500)",
        response.status(),
        response.text()
    );
    c.still_serving().await
}

/// A client sending its headers one byte per second is disconnected within the configured limit.
pub async fn slow_headers(c: Ctx) -> CheckResult {
    let limit = c.config().slow_header_limit;
    let conn = c.connect().await?;
    let (mut reader, mut writer) = (conn.reader, conn.writer);
    let mut bytes = format!(
        "GET {} HTTP/1.1\r\nHost: {}\r\nX-Slow: ",
        c.target("?EIO=4&transport=polling"),
        writer.host()
    )
    .into_bytes();
    bytes.extend(std::iter::repeat_n(b'a', 1000));
    c.note(format!(
        "sending {} one byte per second; the server must hang up within {} s",
        show(bytes.get(..60).unwrap_or_default()),
        limit.as_secs()
    ));
    let dripping = tokio::spawn(async move {
        for byte in bytes {
            if writer.send_quiet(&[byte]).await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        writer
    });
    let started = Instant::now();
    let ending = reader.ending(limit).await;
    dripping.abort();
    match ending {
        Ending::Closed { .. } | Ending::Reset { .. } => {
            c.note(format!(
                "disconnected after {} ms",
                started.elapsed().as_millis()
            ));
        }
        Ending::StillOpen { .. } => fail!(
            "a client sending one header byte per second was still connected after {} s",
            limit.as_secs()
        ),
    }
    c.still_serving().await
}

/// A chunked POST body is either understood (200 `ok`, then echoed) or refused with a 4xx.
pub async fn chunked_post(c: Ctx) -> CheckResult {
    let sid = c.handshake().await?.sid;
    let mut conn = c.connect().await?;
    let request = format!(
        "POST {} HTTP/1.1\r\nHost: {}\r\nTransfer-Encoding: chunked\r\n\r\n3\r\n4he\r\n3\r\nllo\r\n0\r\n\r\n",
        c.target(&polling(&sid)),
        conn.writer.host()
    );
    conn.send_raw(request.as_bytes()).await?;
    let response = conn.response("POST").await?;
    match response.status() {
        200 => {
            expect_body(&response, "ok")?;
            expect_packets(&c.receive(&sid).await?, &["4hello"])?;
        }
        400..=499 => c.note("chunked bodies refused with a 4xx"),
        other => fail!(
            "chunked POST answered {other} {:?}, expected 200 ok or a 4xx",
            response.text()
        ),
    }
    c.still_serving().await
}

/// A Content-Length that is not a number, or two that disagree, or one next to
/// Transfer-Encoding -> a 4xx (the reference server says 400) and the connection closed: with
/// ambiguous framing, reading on is how requests get smuggled.
pub async fn invalid_content_length(c: Ctx) -> CheckResult {
    let sid = c.handshake().await?.sid;
    let target = c.target(&polling(&sid));
    let client_errors: Vec<u16> = (400..500).collect();
    for (what, headers) in [
        ("Content-Length: abc", "Content-Length: abc\r\n"),
        ("Content-Length: -1", "Content-Length: -1\r\n"),
        (
            "two Content-Lengths",
            "Content-Length: 3\r\nContent-Length: 4\r\n",
        ),
        (
            "Content-Length and chunked",
            "Content-Length: 3\r\nTransfer-Encoding: chunked\r\n",
        ),
    ] {
        let request = format!("POST {target} HTTP/1.1\r\nHost: x\r\n{headers}\r\n4hi");
        let ending = raw_exchange(&c, request.into_bytes(), HANG_UP_WITHIN).await?;
        expect_status_then_close(&ending, &client_errors, what)?;
    }
    c.still_serving().await
}

/// A body shorter than its Content-Length, then the client half-closes: the server does not
/// hang on to the connection or crash.
pub async fn truncated_body(c: Ctx) -> CheckResult {
    let sid = c.handshake().await?.sid;
    let mut conn = c.connect().await?;
    let request = format!(
        "POST {} HTTP/1.1\r\nHost: {}\r\nContent-Length: 100\r\n\r\n4hello",
        c.target(&polling(&sid)),
        conn.writer.host()
    );
    conn.send_raw(request.as_bytes()).await?;
    conn.writer.shutdown().await?;
    let ending = conn.reader.ending(DEFAULT_RESPONSE_TIMEOUT).await;
    if let Ending::StillOpen { .. } = ending {
        fail!("the server kept a connection whose client half-closed mid-body");
    }
    c.still_serving().await
}

/// 4 KiB of pseudo-random bytes: the server hangs up (with or without a 400).
pub async fn random_bytes(c: Ctx) -> CheckResult {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let bytes: Vec<u8> = (0..4096)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect();
    let ending = raw_exchange(&c, bytes, HANG_UP_WITHIN).await?;
    match ending {
        Ending::Closed { received } | Ending::Reset { received } => {
            if let Some(status) = status_of(&received) {
                ensure!(
                    status == 400,
                    "random bytes answered {status}, expected 400 or a bare close"
                );
            }
        }
        Ending::StillOpen { .. } => fail!("random bytes: the connection stayed open"),
    }
    c.still_serving().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_line_is_recognised() {
        assert_eq!(
            status_of(b"HTTP/1.1 431 Request Header Fields Too Large\r\n"),
            Some(431)
        );
        assert_eq!(status_of(b"HTTP/1.0 400 Bad\r\n"), Some(400));
        assert_eq!(status_of(b"garbage"), None);
        assert_eq!(status_of(b""), None);
    }
}
