//! HTTP long-polling: echo, batching with `\x1e`, binary as `b`+base64, parking, and the
//! misuses that close a session (invalid packets, overlapping requests, oversized bodies).

use std::time::Duration;

use super::client::{polling, Ctx};
use super::expect::{expect_error, expect_packets};
use super::packet::split_payload;
use super::RACE_ATTEMPTS;
use crate::check::CheckResult;
use crate::http::{Request, Response, DEFAULT_RESPONSE_TIMEOUT};
use crate::{ensure, fail};

/// POST `4hello` -> `ok`; GET -> `4hello`.
pub async fn echo_text(c: Ctx) -> CheckResult {
    let sid = c.handshake().await?.sid;
    c.push(&sid, "4hello").await?;
    expect_packets(&c.receive(&sid).await?, &["4hello"])
}

/// Three packets in one POST come back, in order. (The test suite expects them in one GET; the
/// protocol lets a server answer a GET with the echoes queued so far, so they may span GETs.)
pub async fn batch(c: Ctx) -> CheckResult {
    let sid = c.handshake().await?.sid;
    c.push(&sid, "4test1\x1e4test2\x1e4test3").await?;
    expect_packets(
        &c.receive_n(&sid, 3).await?,
        &["4test1", "4test2", "4test3"],
    )
}

/// Text and binary (`b` + base64 of 01 02 03 04) in one payload, echoed as sent (in one GET or
/// two, as in [`batch`]).
pub async fn text_and_binary(c: Ctx) -> CheckResult {
    let sid = c.handshake().await?.sid;
    c.push(&sid, "4hello\x1ebAQIDBA==").await?;
    expect_packets(&c.receive_n(&sid, 2).await?, &["4hello", "bAQIDBA=="])
}

/// Multi-byte UTF-8 survives the round trip byte for byte (v4 counts no characters).
pub async fn utf8(c: Ctx) -> CheckResult {
    let sid = c.handshake().await?.sid;
    let (first, second) = ("4h\u{e9}llo \u{20ac} \u{1f600}", "4\u{4e2d}\u{6587}");
    c.push(&sid, format!("{first}\x1e{second}")).await?;
    expect_packets(&c.receive_n(&sid, 2).await?, &[first, second])
}

/// A GET with nothing to send parks; a POST then releases it with the echo.
pub async fn parked_get_released(c: Ctx) -> CheckResult {
    let sid = c.handshake().await?.sid;
    // Long enough for a server that answers at once to have done so; short of the ping, which
    // would release the GET and prove nothing.
    let wait = c.config().ping_interval / 3;
    for _ in 0..RACE_ATTEMPTS {
        let parked = c.start_poll(&sid, DEFAULT_RESPONSE_TIMEOUT).await?;
        c.sleep(wait).await;
        if !parked.is_finished() {
            c.push(&sid, "4late").await?;
            let released = parked.response().await?;
            return expect_packets(&c.receive_after(&sid, released).await?, &["4late"]);
        }
        let answered = parked.response().await?;
        ensure!(
            only_pings(&answered),
            "a GET with nothing to send was answered at once ({} {:?}) instead of parking",
            answered.status(),
            answered.text()
        );
        // This client was too slow: the ping interval ran out while it waited.
        c.note("a ping answered the GET first: answer it and park another");
        c.push(&sid, "3").await?;
    }
    fail!(
        "{RACE_ATTEMPTS} GETs with nothing to send in a row were answered by a ping within {} ms, \
         never parked",
        wait.as_millis()
    )
}

/// A 200 carrying nothing but pings.
fn only_pings(response: &Response) -> bool {
    let text = response.text();
    response.status() == 200 && !text.is_empty() && split_payload(&text).iter().all(|p| *p == "2")
}

/// POST `abc` (no such packet type) closes the session: the next GET gets 400 code 1. (The POST
/// itself may be answered 400, `ok`, or aborted: the test suite and the reference server differ.)
pub async fn invalid_packet_closes(c: Ctx) -> CheckResult {
    let sid = c.handshake().await?.sid;
    match c.send(&sid, "abc").await {
        Ok(r) => c.note(format!("the invalid POST answered {}", r.status())),
        Err(_) => c.note("the invalid POST was aborted"),
    }
    expect_error(&c.poll(&sid).await?, 400, 1)
}

/// A second GET while one is parked -> 400; the parked one gets the close packet `1`; the
/// session is gone. (Two connections carry no order, so either GET may be the one parked.)
pub async fn duplicate_get(c: Ctx) -> CheckResult {
    let sid = c.handshake().await?.sid;
    let mut first = c.start_poll(&sid, DEFAULT_RESPONSE_TIMEOUT).await?;
    for _ in 0..RACE_ATTEMPTS {
        // Only so that the two GETs usually arrive one after the other; either order is fine.
        c.sleep(Duration::from_millis(50)).await;
        let second = c
            .start_poll_query(
                &format!("{}&t=burst", polling(&sid)),
                DEFAULT_RESPONSE_TIMEOUT,
            )
            .await?;
        let first_answer = first.response().await?;
        if only_pings(&first_answer) {
            // A ping released the first GET before the second arrived (a stall here): the
            // second is the parked one now; answer the ping and send another.
            c.note("a ping answered the first GET first: answer it and send another");
            c.push(&sid, "3").await?;
            first = second;
            continue;
        }
        let second_answer = second.response().await?;
        return judge_duplicate_get(&c, &sid, first_answer, second_answer).await;
    }
    fail!("{RACE_ATTEMPTS} times in a row a ping answered the first GET before the second arrived")
}

/// Of two concurrent GETs, one was parked and must get the close packet, the other must get 400;
/// the session is gone afterwards.
async fn judge_duplicate_get(c: &Ctx, sid: &str, first: Response, second: Response) -> CheckResult {
    let (parked, duplicate) = if first.status() == 400 {
        (second, first)
    } else {
        (first, second)
    };
    ensure!(
        duplicate.status() == 400,
        "of two concurrent GETs neither was answered 400: got {} {:?} and {} {:?}",
        parked.status(),
        parked.text(),
        duplicate.status(),
        duplicate.text()
    );
    ensure!(
        parked.status() == 200,
        "the parked GET answered {} {:?}, expected 200 with the close packet \"1\"",
        parked.status(),
        parked.text()
    );
    let text = parked.text();
    let packets: Vec<String> = split_payload(&text)
        .into_iter()
        .filter(|p| *p != "2")
        .map(str::to_string)
        .collect();
    expect_packets(&packets, &["1"])?;
    expect_error(&c.poll(sid).await?, 400, 1)
}

/// A second POST while one is still sending its body -> 400, and the session is closed.
pub async fn concurrent_post(c: Ctx) -> CheckResult {
    let config = c.config();
    // Nothing tells when the server has read the first POST's head, so wait long enough for a
    // loaded machine. No pong can be sent while that POST is open, so the session times out at
    // `pingInterval + pingTimeout`: wait half of that, and start over if it timed out anyway.
    let wait = (config.ping_interval + config.ping_timeout) / 2;
    for _ in 0..RACE_ATTEMPTS {
        let sid = c.handshake().await?.sid;
        let mut first = c.connect().await?;
        let head = format!(
            "POST {} HTTP/1.1\r\nHost: {}\r\nContent-Length: 10\r\n\r\n4hel",
            c.target(&polling(&sid)),
            first.writer.host()
        );
        first.send_raw(head.as_bytes()).await?;
        c.sleep(wait).await;
        let second = c.send(&sid, "4hi").await?;
        drop(first);
        if expect_error(&second, 400, 1).is_ok() {
            c.note("the session timed out before the second POST was read: start over");
            continue;
        }
        ensure!(
            second.status() == 400,
            "a POST while another is in flight answered {} {:?}, expected 400",
            second.status(),
            second.text()
        );
        return expect_error(&c.poll(&sid).await?, 400, 1);
    }
    fail!(
        "{RACE_ATTEMPTS} times in a row the second POST was answered 400 code 1 (session unknown): \
         the session ended within {} ms, before pingInterval + pingTimeout, or the overlap was \
         refused as an unknown session",
        wait.as_millis()
    )
}

/// Sends a POST whose body is one byte over `maxPayload`, writing and reading at once (the
/// server may answer before the body is complete). Returns the session id and the response.
async fn post_over_max_payload_response(
    c: &Ctx,
) -> Result<(String, Response), crate::check::Failure> {
    let sid = c.handshake().await?.sid;
    let max = c.config().max_payload as usize;
    let body = format!("4{}", "a".repeat(max));
    let conn = c.connect().await?;
    let (mut reader, mut writer) = (conn.reader, conn.writer);
    let request = Request::new("POST", c.target(&polling(&sid)));
    let head = format!(
        "POST {} HTTP/1.1\r\nHost: {}\r\nContent-Length: {}\r\n\r\n",
        c.target(&polling(&sid)),
        writer.host(),
        body.len()
    );
    writer.send_raw(head.as_bytes()).await?;
    c.note(format!(
        "C> ... body: \"4\" then {max} x \"a\" ({} bytes)",
        body.len()
    ));
    let sending = tokio::spawn(async move {
        let _ = writer.send_quiet(body.as_bytes()).await;
        writer
    });
    let response = reader
        .response(request.method(), DEFAULT_RESPONSE_TIMEOUT)
        .await;
    let writer = sending.await;
    if let Ok(mut writer) = writer {
        let _ = writer.shutdown().await;
    }
    let response = match response {
        Ok(r) => r,
        Err(e) => fail!("POST over maxPayload got no response ({e}); expected 413"),
    };
    Ok((sid, response))
}

/// A POST body over `maxPayload` -> 413.
pub async fn post_over_max_payload(c: Ctx) -> CheckResult {
    let (_, response) = post_over_max_payload_response(&c).await?;
    let status = response.status();
    ensure!(
        status == 413,
        "POST over maxPayload answered {status}, expected 413"
    );
    Ok(())
}

/// After a POST body over `maxPayload` the session is closed: the next GET gets 400 code 1 (or
/// the close packet `1`).
pub async fn post_over_max_payload_closes(c: Ctx) -> CheckResult {
    let (sid, response) = post_over_max_payload_response(&c).await?;
    let status = response.status();
    ensure!(
        status == 413,
        "POST over maxPayload answered {status}, expected 413"
    );
    let next = c.poll(&sid).await?;
    if next.status() == 200 && next.text().split('\x1e').any(|p| p == "1") {
        return Ok(());
    }
    expect_error(&next, 400, 1).map_err(|_| {
        crate::check::Failure::Failed(format!(
            "after the 413 the session is still open: next GET answered {} {:?}, expected 400 code 1",
            next.status(),
            next.text()
        ))
    })
}

/// The 413 for a body over `maxPayload` has an empty body, as the reference server sends it (a
/// client reads the status; a body would be one more thing to parse on a connection in error).
pub async fn post_over_max_payload_empty_body(c: Ctx) -> CheckResult {
    let (_, response) = post_over_max_payload_response(&c).await?;
    ensure!(
        response.status() == 413 && response.body.is_empty(),
        "POST over maxPayload answered {} {:?}, expected 413 with an empty body",
        response.status(),
        response.text()
    );
    Ok(())
}
