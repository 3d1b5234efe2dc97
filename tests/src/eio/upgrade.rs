//! Upgrading a polling session to WebSocket: `2probe` -> `3probe`, the parked GET released with
//! `6`, then `5`; afterwards polling is refused and a second WebSocket closed, and nothing the server
//! queued during the upgrade is lost, duplicated or reordered.

use tokio::time::Instant;

use super::client::{websocket_for, Ctx};
use super::expect::{expect_error, expect_packets};
use super::packet::split_payload;
use super::ACT_WITHIN;
use crate::check::CheckResult;
use crate::http::{WireError, DEFAULT_RESPONSE_TIMEOUT};
use crate::ws::{Event, Opening, WebSocket};
use crate::{ensure, fail};

/// The test suite's flow: probe over the new WebSocket, then a GET is answered `6`, then `5`, and
/// messages flow over the WebSocket.
pub async fn polling_to_websocket(c: Ctx) -> CheckResult {
    let sid = c.handshake().await?.sid;
    let mut ws = c.websocket_open(&websocket_for(&sid)).await?;
    ws.send_text("2probe").await?;
    c.expect_text(&mut ws, "3probe").await?;
    expect_packets(&c.receive(&sid).await?, &["6"])?;
    ws.send_text("5").await?;
    ws.send_text("4hello").await?;
    c.expect_text(&mut ws, "4hello").await?;
    ws.close().await?;
    Ok(())
}

/// A GET parked before the probe is released with `6` once the probe is answered.
pub async fn parked_get_released(c: Ctx) -> CheckResult {
    let sid = c.handshake().await?.sid;
    let parked = c.start_poll(&sid, DEFAULT_RESPONSE_TIMEOUT).await?;
    // Nothing tells when the server has parked the GET, so wait long enough for a loaded machine,
    // yet short of the ping. If the GET comes after the probe anyway, servers answer it `6` at
    // once, and if a ping answers it, the next GET gets the `6`: a late GET weakens this check
    // on that run but cannot make it fail.
    c.sleep(c.config().ping_interval / 2).await;
    let mut ws = c.websocket_open(&websocket_for(&sid)).await?;
    ws.send_text("2probe").await?;
    c.expect_text(&mut ws, "3probe").await?;
    let released = parked.response().await?;
    expect_packets(&c.receive_after(&sid, released).await?, &["6"])?;
    ws.send_text("5").await?;
    ws.send_text("4hello").await?;
    c.expect_text(&mut ws, "4hello").await?;
    ws.close().await?;
    Ok(())
}

/// After the upgrade, polling requests for the session get 400 code 3 (the transport no longer
/// matches), and the WebSocket keeps working.
pub async fn polling_refused_after_upgrade(c: Ctx) -> CheckResult {
    let (mut ws, sid) = c.upgraded_session().await?;
    expect_error(&c.poll(&sid).await?, 400, 3)?;
    expect_error(&c.send(&sid, "4hello").await?, 400, 3)?;
    ws.send_text("4still-here").await?;
    c.expect_text(&mut ws, "4still-here").await?;
    ws.close().await?;
    Ok(())
}

/// A second WebSocket is refused: the upgrade is answered 4xx, or the socket is closed without
/// answering its probe.
async fn expect_second_websocket_refused(c: &Ctx, sid: &str) -> CheckResult {
    match c.websocket(&websocket_for(sid)).await? {
        Opening::Refused(r) => {
            ensure!(
                (400..500).contains(&r.status()),
                "second WebSocket refused with {}, expected a 4xx",
                r.status()
            );
        }
        Opening::Open(mut second) => {
            let _ = second.send_text("2probe").await;
            match second.recv(ACT_WITHIN).await {
                Ok(Event::Close(_) | Event::Ended) => {}
                Err(WireError::Malformed(_) | WireError::ClosedEarly { .. }) => {}
                Ok(other) => fail!("a second WebSocket for the session was served: got {other:?}"),
                Err(e) => fail!("a second WebSocket for the session stayed open: {e}"),
            }
        }
    }
    Ok(())
}

/// After the upgrade, another WebSocket with the same sid completes its handshake (101) and is
/// then closed by the server, as the reference server does (the test suite waits for its `close`
/// event; a refusal before 101 is an `error` event instead); the first keeps working.
pub async fn second_websocket_closed(c: Ctx) -> CheckResult {
    let (mut ws, sid) = c.upgraded_session().await?;
    match c.websocket(&websocket_for(&sid)).await? {
        Opening::Refused(r) => fail!(
            "a second WebSocket for the upgraded session was answered {} {:?}, expected 101 \
             then a close",
            r.status(),
            r.text()
        ),
        Opening::Open(mut second) => match second.recv(ACT_WITHIN).await {
            Ok(Event::Close(_) | Event::Ended) => {}
            Ok(other) => fail!("a second WebSocket for the session was served: got {other:?}"),
            Err(e) => fail!("a second WebSocket for the session was not closed: {e}"),
        },
    }
    ws.send_text("4first").await?;
    c.expect_text(&mut ws, "4first").await?;
    ws.close().await?;
    Ok(())
}

/// While one upgrade is in progress (probe answered, no `5` yet), another WebSocket with the same
/// sid is refused; the first upgrade then completes.
pub async fn second_websocket_during_upgrade(c: Ctx) -> CheckResult {
    let sid = c.handshake().await?.sid;
    let mut ws = c.websocket_open(&websocket_for(&sid)).await?;
    ws.send_text("2probe").await?;
    c.expect_text(&mut ws, "3probe").await?;
    expect_second_websocket_refused(&c, &sid).await?;
    ws.send_text("5").await?;
    ws.send_text("4first").await?;
    loop {
        match c.next_packet(&mut ws, DEFAULT_RESPONSE_TIMEOUT).await? {
            Event::Text(t) if t == "4first" => break,
            Event::Text(t) if t == "6" => {}
            other => fail!("after the upgrade, expected the echo \"4first\", got {other:?}"),
        }
    }
    ws.close().await?;
    Ok(())
}

/// Messages the server queues while the upgrade is in progress arrive exactly once and in
/// order, whichever transport carries them: three echoes queued between `3probe` and `5`
/// (collected from polling until its noop, then from the WebSocket), then one sent after `5`.
pub async fn nothing_lost_or_reordered(c: Ctx) -> CheckResult {
    let sid = c.handshake().await?.sid;
    let mut ws = c.websocket_open(&websocket_for(&sid)).await?;
    ws.send_text("2probe").await?;
    c.expect_text(&mut ws, "3probe").await?;
    c.push(&sid, "4m1\x1e4m2\x1e4m3").await?;

    let mut received: Vec<String> = Vec::new();
    let deadline = Instant::now() + ACT_WITHIN;
    let mut noop = false;
    while !noop {
        ensure!(
            Instant::now() < deadline,
            "polling never got its noop `6` during the upgrade"
        );
        let response = c.poll(&sid).await?;
        ensure!(
            response.status() == 200,
            "GET during the upgrade answered {} {:?}, expected 200",
            response.status(),
            response.text()
        );
        let text = response.text();
        for packet in split_payload(&text) {
            match packet {
                "6" => noop = true,
                "2" => c.push(&sid, "3").await?,
                other => received.push(other.to_string()),
            }
        }
    }

    ws.send_text("5").await?;
    ws.send_text("4m4").await?;
    collect_until(&c, &mut ws, "4m4", &mut received).await?;
    ensure!(
        received == ["4m1", "4m2", "4m3", "4m4"],
        "messages across the upgrade arrived as {received:?}, expected [\"4m1\", \"4m2\", \"4m3\", \"4m4\"]"
    );
    ws.close().await?;
    Ok(())
}

/// Collects text packets from `ws` (answering pings, ignoring noops) until `last` arrives.
async fn collect_until(
    c: &Ctx,
    ws: &mut WebSocket,
    last: &str,
    into: &mut Vec<String>,
) -> CheckResult {
    loop {
        match c.next_packet(ws, DEFAULT_RESPONSE_TIMEOUT).await? {
            Event::Text(t) if t == "6" => {}
            Event::Text(t) => {
                let done = t == last;
                into.push(t);
                if done {
                    return Ok(());
                }
            }
            other => fail!("waiting for {last:?} got {other:?} (so far {into:?})"),
        }
    }
}
