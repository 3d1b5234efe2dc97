//! Heartbeat: the server pings every `pingInterval`; a client that answers stays; one that does
//! not is closed after `pingInterval + pingTimeout`.

use std::time::Duration;

use tokio::time::Instant;

use super::client::{polling, Ctx};
use super::expect::{expect_body, expect_error};
use super::packet::split_payload;
use super::EARLY_TOLERANCE;
use crate::check::CheckResult;
use crate::http::{Request, WireError};
use crate::ws::Event;
use crate::{ensure, fail};

/// Three rounds of: the parked GET gets `2`, `pingInterval` after the handshake or the previous
/// pong, and the client POSTs `3`.
pub async fn polling_ping_pong(c: Ctx) -> CheckResult {
    // Each wait is timed from before the request that starts the server's interval (the
    // handshake, then each pong), so delays on either side can only make a ping look later.
    let mut since = Instant::now();
    let sid = c.handshake().await?.sid;
    for round in 1..=3 {
        let response = c.poll(&sid).await?;
        expect_body(&response, "2")
            .map_err(|f| crate::check::Failure::Failed(format!("ping {round}: {f}")))?;
        expect_ping_time(&c, round, since.elapsed())?;
        since = Instant::now();
        c.push(&sid, "3").await?;
    }
    Ok(())
}

/// Ping `round` came `waited` after the handshake or pong that started the server's interval
/// began: not before `pingInterval`, and at most the slack after it.
pub(crate) fn expect_ping_time(c: &Ctx, round: u32, waited: Duration) -> CheckResult {
    let interval = c.config().ping_interval;
    ensure!(
        waited + EARLY_TOLERANCE >= interval,
        "ping {round} came {} ms after the previous pong (or the handshake) began, before \
         pingInterval ({} ms)",
        waited.as_millis(),
        interval.as_millis()
    );
    ensure!(
        waited <= interval + c.slack(),
        "ping {round} came {} ms after the previous pong (or the handshake) began, expected at \
         pingInterval ({} ms), at most {} ms late",
        waited.as_millis(),
        interval.as_millis(),
        c.slack().as_millis()
    );
    c.note(format!("ping {round} after {} ms", waited.as_millis()));
    Ok(())
}

/// How long before `pingInterval + pingTimeout` the polling ping-timeout check first looks: a
/// session found gone that early was closed before its time.
const PROBE_AHEAD: Duration = Duration::from_millis(100);

/// No pong for `pingInterval + pingTimeout`: the session is gone (a GET gets 400 code 1), and not
/// before. GETs from shortly before that time on get the unanswered ping, then park until the
/// session ends; the session must end within the slack.
pub async fn polling_ping_timeout(c: Ctx) -> CheckResult {
    let config = c.config();
    let due = config.ping_interval + config.ping_timeout;
    // The server starts its clock while answering the handshake: counting from before the
    // request means that a late answer here can only make the server look later, never early.
    let started = Instant::now();
    let sid = c.handshake().await?.sid;
    c.sleep(
        due.saturating_sub(PROBE_AHEAD)
            .saturating_sub(started.elapsed()),
    )
    .await;
    let deadline = started + due + c.slack();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let mut conn = c.connect().await?;
        let request = Request::new("GET", c.target(&polling(&sid)));
        conn.send(&request).await?;
        let response = match conn.reader.response(request.method(), left).await {
            Ok(response) => response,
            Err(WireError::Timeout(_)) => fail!(
                "no pong sent, yet the session was still open {} ms after the handshake began \
                 (pingInterval + pingTimeout = {} ms, allowed up to {} ms late)",
                started.elapsed().as_millis(),
                due.as_millis(),
                c.slack().as_millis()
            ),
            Err(e) => return Err(e.into()),
        };
        let text = response.text();
        let packets = split_payload(&text);
        let ended = response.status() == 400 || packets.contains(&"1");
        if ended {
            let at = started.elapsed();
            ensure!(
                at + EARLY_TOLERANCE >= due,
                "the session ended within {} ms of the handshake, before pingInterval + \
                 pingTimeout ({} ms)",
                at.as_millis(),
                due.as_millis()
            );
            c.note(format!("ended by {} ms", at.as_millis()));
        }
        if response.status() == 400 {
            return expect_error(&response, 400, 1);
        }
        ensure!(
            response.status() == 200,
            "long-poll GET answered {} {text:?}, expected 200 or 400",
            response.status()
        );
        // The unanswered ping, and the close packet or noop that may end the last poll.
        if let Some(other) = packets.iter().find(|p| !matches!(**p, "2" | "1" | "6")) {
            fail!("with no pong sent, expected only the ping and then the end, got {other:?}");
        }
    }
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

/// Over WebSocket: three pings, each `pingInterval` after the handshake or the previous pong.
pub async fn websocket_ping_pong(c: Ctx) -> CheckResult {
    // Timed as in [`polling_ping_pong`]: from before what starts the server's interval.
    let mut since = Instant::now();
    let (mut ws, _) = c.websocket_session().await?;
    let budget = c.config().ping_interval + c.slack();
    for round in 1..=3 {
        let left = (since + budget).saturating_duration_since(Instant::now());
        match ws.recv(left).await {
            Ok(Event::Text(t)) if t == "2" => {}
            Err(WireError::Timeout(_)) => fail!(
                "ping {round}: none within {} ms of the previous pong (or the handshake)",
                budget.as_millis()
            ),
            other => fail!("ping {round}: expected \"2\", got {other:?}"),
        }
        expect_ping_time(&c, round, since.elapsed())?;
        since = Instant::now();
        ws.send_text("3").await?;
    }
    ws.close().await?;
    Ok(())
}

/// Over WebSocket, a client that never answers is closed after `pingInterval + pingTimeout`, not
/// before, and at most the slack later.
pub async fn websocket_ping_timeout(c: Ctx) -> CheckResult {
    // The server's clock starts when it opens the session, a little before the open packet is
    // read here: counting from before the upgrade request means that delays on either side can
    // only make the close look later, so the lower bound below is safe on a loaded machine.
    let started = Instant::now();
    let (mut ws, _) = c.websocket_session().await?;
    let config = c.config();
    let due = config.ping_interval + config.ping_timeout;
    let deadline = started + due + c.slack();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let event = match ws.recv(left).await {
            Ok(event) => event,
            Err(WireError::Timeout(_)) => fail!(
                "still open {} ms after the handshake without any pong, expected a close at {} ms \
                 (allowed up to {} ms late)",
                started.elapsed().as_millis(),
                due.as_millis(),
                c.slack().as_millis()
            ),
            Err(e) => return Err(e.into()),
        };
        match event {
            Event::Text(t) if t == "2" => {}
            Event::Close(_) | Event::Ended => {
                let after = started.elapsed();
                ensure!(
                    after + EARLY_TOLERANCE >= due,
                    "closed {} ms after the handshake began, before pingInterval + pingTimeout \
                     ({} ms)",
                    after.as_millis(),
                    due.as_millis()
                );
                c.note(format!("closed after {} ms", after.as_millis()));
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
