//! Heartbeat: the server pings every `pingInterval`; a client that answers stays; one that does
//! not is closed after `pingInterval + pingTimeout`.

use tokio::time::Instant;

use super::client::Ctx;
use super::expect::{expect_body, expect_error};
use crate::check::CheckResult;
use crate::ws::Event;
use crate::{ensure, fail};

/// Three rounds of: the parked GET gets `2` within `pingInterval` (+ slack), the client POSTs `3`.
pub async fn polling_ping_pong(c: Ctx) -> CheckResult {
    let sid = c.handshake().await?.sid;
    let budget = c.config().ping_interval + c.slack();
    let mut since = Instant::now();
    for round in 1..=3 {
        let response = c.poll(&sid).await?;
        expect_body(&response, "2")
            .map_err(|f| crate::check::Failure::Failed(format!("ping {round}: {f}")))?;
        let waited = since.elapsed();
        ensure!(
            waited <= budget,
            "ping {round} came {} ms after the previous pong, expected within {} ms",
            waited.as_millis(),
            budget.as_millis()
        );
        c.push(&sid, "3").await?;
        since = Instant::now();
    }
    Ok(())
}

/// No GET and no pong for `pingInterval + pingTimeout` (+ slack): the session is gone, the next
/// GET gets 400 code 1.
pub async fn polling_ping_timeout(c: Ctx) -> CheckResult {
    let sid = c.handshake().await?.sid;
    let config = c.config();
    c.sleep(config.ping_interval + config.ping_timeout + c.slack())
        .await;
    expect_error(&c.poll(&sid).await?, 400, 1)
}

/// A client that answers every ping stays open across several `pingInterval + pingTimeout`
/// periods, and its messages still echo.
pub async fn polling_stays_open(c: Ctx) -> CheckResult {
    let sid = c.handshake().await?.sid;
    let config = c.config();
    let end = Instant::now() + (config.ping_interval + config.ping_timeout) * 3;
    while Instant::now() < end {
        let packets = c.poll_packets(&sid).await?;
        ensure!(
            packets.is_empty(),
            "unexpected packets while idle: {packets:?}"
        );
    }
    c.push(&sid, "4alive").await?;
    let packets = c.poll_packets(&sid).await?;
    ensure!(
        packets == ["4alive"],
        "expected the echo [\"4alive\"], got {packets:?}"
    );
    Ok(())
}

/// Over WebSocket: three pings, each within `pingInterval` (+ slack) of the previous pong.
pub async fn websocket_ping_pong(c: Ctx) -> CheckResult {
    let (mut ws, _) = c.websocket_session().await?;
    let budget = c.config().ping_interval + c.slack();
    for round in 1..=3 {
        let started = Instant::now();
        match ws.recv(budget).await? {
            Event::Text(t) if t == "2" => {}
            other => fail!(
                "ping {round}: expected \"2\" within {} ms, got {other:?}",
                budget.as_millis()
            ),
        }
        c.note(format!(
            "ping {round} after {} ms",
            started.elapsed().as_millis()
        ));
        ws.send_text("3").await?;
    }
    ws.close().await?;
    Ok(())
}

/// Over WebSocket, a client that never answers is closed after `pingInterval + pingTimeout`
/// (+ slack), and not before the first ping.
pub async fn websocket_ping_timeout(c: Ctx) -> CheckResult {
    // The server's clock starts when it opens the session, a little before the open packet is
    // read here: start counting before the upgrade request.
    let started = Instant::now();
    let (mut ws, _) = c.websocket_session().await?;
    let config = c.config();
    let deadline = started + config.ping_interval + config.ping_timeout + c.slack();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let event = match ws.recv(left).await {
            Ok(event) => event,
            Err(crate::http::WireError::Timeout(_)) => fail!(
                "still open {} ms after the handshake without any pong, expected a close by {} ms",
                started.elapsed().as_millis(),
                (config.ping_interval + config.ping_timeout + c.slack()).as_millis()
            ),
            Err(e) => return Err(e.into()),
        };
        match event {
            Event::Text(t) if t == "2" => {}
            Event::Close(_) | Event::Ended => {
                let after = started.elapsed();
                ensure!(
                    after >= config.ping_interval,
                    "closed after {} ms, before the first ping was even due",
                    after.as_millis()
                );
                return Ok(());
            }
            other => fail!("expected pings then a close, got {other:?}"),
        }
    }
}

/// Over WebSocket, a client that answers stays open across several periods and still echoes.
pub async fn websocket_stays_open(c: Ctx) -> CheckResult {
    let (mut ws, _) = c.websocket_session().await?;
    let config = c.config();
    c.idle(&mut ws, (config.ping_interval + config.ping_timeout) * 3)
        .await?;
    ws.send_text("4alive").await?;
    c.expect_text(&mut ws, "4alive").await?;
    ws.close().await?;
    Ok(())
}
