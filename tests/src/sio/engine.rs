//! The "Engine.IO protocol" part of the Socket.IO test suite: the same Engine.IO behaviours,
//! checked on the Socket.IO endpoint (`/socket.io/`), where the server is not an echo server and
//! closes a session that joins no namespace within connectTimeout.
//!
//! Where the Engine.IO check needs no echo and ends well within connectTimeout, it runs as is
//! against this endpoint. Otherwise the check is rewritten here: the heartbeat rounds join `/`
//! first (three ping rounds take about 900 ms of a 1000 ms connectTimeout: a loaded machine would
//! make them flaky), so does the WebSocket close (or connectTimeout could pass for the close), and
//! the upgrade checks prove the WebSocket works by joining `/` on it instead of by an echo.

use tokio::time::Instant;

use super::client::{websocket_for, Ctx};
use super::polling::joined;
use crate::check::{CheckResult, Failure};
use crate::eio;
use crate::http::WireError;
use crate::ws::{Event, Opening, WebSocket};
use crate::{ensure, fail};

/// `GET ?EIO=4&transport=polling` -> the open packet with the configured values.
pub async fn handshake_polling(c: Ctx) -> CheckResult {
    eio::handshake::polling(c.eio().clone()).await
}

/// The WebSocket handshake -> the open packet with `"upgrades":[]`.
pub async fn handshake_websocket(c: Ctx) -> CheckResult {
    eio::handshake::websocket(c.eio().clone()).await
}

/// A missing or invalid `EIO` -> 400 (code 5, as the reference server answers).
pub async fn invalid_eio(c: Ctx) -> CheckResult {
    eio::errors::missing_eio(c.eio().clone()).await?;
    eio::errors::unsupported_protocol_version(c.eio().clone()).await
}

/// A missing or unknown `transport` -> 400 code 0.
pub async fn invalid_transport(c: Ctx) -> CheckResult {
    eio::errors::transport_unknown(c.eio().clone()).await
}

/// A handshake with a method other than GET -> 400 code 2.
pub async fn invalid_method(c: Ctx) -> CheckResult {
    eio::errors::bad_handshake_method(c.eio().clone()).await
}

/// WebSocket upgrades with a missing or bad `EIO` / `transport` open no session.
pub async fn websocket_bad_query(c: Ctx) -> CheckResult {
    eio::errors::websocket_bad_query(c.eio().clone()).await
}

/// Over polling, joined to `/`: three rounds of a GET answered `2`, `pingInterval` after the
/// handshake or the previous pong, and a POST `3`.
pub async fn polling_ping_pong(c: Ctx) -> CheckResult {
    // From before what starts the server's interval (see [`eio::heartbeat::polling_ping_pong`]).
    let mut since = Instant::now();
    let sid = joined(&c).await?;
    for round in 1..=3 {
        let response = c.eio().poll(&sid).await?;
        ensure!(
            response.status() == 200 && response.text() == "2",
            "ping {round}: expected 200 \"2\", got {} {:?}",
            response.status(),
            response.text()
        );
        eio::heartbeat::expect_ping_time(c.eio(), round, since.elapsed())?;
        since = Instant::now();
        c.eio().push(&sid, "3").await?;
    }
    Ok(())
}

/// Over polling, no pong: the session is gone after `pingInterval + pingTimeout`.
pub async fn polling_ping_timeout(c: Ctx) -> CheckResult {
    eio::heartbeat::polling_ping_timeout(c.eio().clone()).await
}

/// Over WebSocket, joined to `/`: three pings, each `pingInterval` after the handshake or the
/// previous pong.
pub async fn websocket_ping_pong(c: Ctx) -> CheckResult {
    let mut since = Instant::now();
    let mut s = c.session().await?;
    let budget = c.config().ping_interval + c.config().slack;
    for round in 1..=3 {
        let left = (since + budget).saturating_duration_since(Instant::now());
        match s.ws.recv(left).await {
            Ok(Event::Text(t)) if t == "2" => {}
            Err(WireError::Timeout(_)) => fail!(
                "ping {round}: none within {} ms of the previous pong (or the handshake)",
                budget.as_millis()
            ),
            other => fail!("ping {round}: expected \"2\", got {other:?}"),
        }
        eio::heartbeat::expect_ping_time(c.eio(), round, since.elapsed())?;
        since = Instant::now();
        s.ws.send_text("3").await?;
    }
    let _ = s.ws.close().await;
    Ok(())
}

/// Over WebSocket, no pong: closed after `pingInterval + pingTimeout`, before connectTimeout.
pub async fn websocket_ping_timeout(c: Ctx) -> CheckResult {
    eio::heartbeat::websocket_ping_timeout(c.eio().clone()).await
}

/// Over polling, with a GET parked, POST `1`: the GET gets `6`, the session is gone.
pub async fn close_polling(c: Ctx) -> CheckResult {
    eio::close::polling(c.eio().clone()).await
}

/// Over WebSocket, joined to `/` (so connectTimeout cannot be what closes it), the close packet
/// `1` makes the server close the socket at once (within `ACT_WITHIN`); pings are answered
/// meanwhile.
pub async fn close_websocket(c: Ctx) -> CheckResult {
    let mut s = c.session().await?;
    s.ws.send_text("1").await?;
    let limit = eio::ACT_WITHIN;
    let deadline = Instant::now() + limit;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match s.ws.recv(left).await {
            Ok(Event::Text(t)) if t == "2" => {
                let _ = s.ws.send_text("3").await;
            }
            // The server may say goodbye first: a DISCONNECT, a noop.
            Ok(Event::Text(t)) if t.starts_with("41") || t == "6" => {}
            Ok(Event::Close(_) | Event::Ended) => return Ok(()),
            Ok(other) => fail!("after the close packet \"1\", expected a close, got {other:?}"),
            Err(WireError::Timeout(_)) => fail!(
                "after the close packet \"1\" the WebSocket stayed open for {} ms",
                limit.as_millis()
            ),
            Err(e) => return Err(e.into()),
        }
    }
}

/// `2probe` -> `3probe`, then `5`: the session now lives on the WebSocket, proven by joining `/`
/// there. Returns the WebSocket and the Engine.IO session id.
async fn upgraded(c: &Ctx) -> Result<(WebSocket, String), Failure> {
    let sid = c.polling_session().await?;
    let mut ws = c.eio().websocket_open(&websocket_for(&sid)).await?;
    ws.send_text("2probe").await?;
    c.expect_text(&mut ws, "3probe").await?;
    ws.send_text("5").await?;
    c.join_with_auth(&mut ws, "40", "/", "{}").await?;
    Ok((ws, sid))
}

/// Polling upgraded to WebSocket (test suite), then `/` joined over the WebSocket.
pub async fn upgrade(c: Ctx) -> CheckResult {
    let (mut ws, _) = upgraded(&c).await?;
    c.expect_echo(&mut ws, "\"upgraded\"").await?;
    let _ = ws.close().await;
    Ok(())
}

/// After the upgrade, a polling GET for the session gets 400 (code 3).
pub async fn polling_refused_after_upgrade(c: Ctx) -> CheckResult {
    let (mut ws, sid) = upgraded(&c).await?;
    let response = c.eio().poll(&sid).await?;
    ensure!(
        response.status() == 400,
        "a GET after the upgrade answered {} {:?}, expected 400",
        response.status(),
        response.text()
    );
    c.expect_echo(&mut ws, "\"still upgraded\"").await?;
    let _ = ws.close().await;
    Ok(())
}

/// After the upgrade, a second WebSocket with the same sid completes its handshake (101) and is
/// then closed (test suite: it waits for the `close` event); the first keeps working.
pub async fn second_websocket_closed(c: Ctx) -> CheckResult {
    let (mut ws, sid) = upgraded(&c).await?;
    match c.eio().websocket(&websocket_for(&sid)).await? {
        Opening::Refused(r) => fail!(
            "a second WebSocket for the upgraded session was answered {} {:?}, expected 101 \
             then a close",
            r.status(),
            r.text()
        ),
        Opening::Open(mut second) => match second.recv(eio::ACT_WITHIN).await {
            Ok(Event::Close(_) | Event::Ended) => {}
            Ok(other) => fail!("a second WebSocket for the session was served: got {other:?}"),
            Err(e) => fail!("a second WebSocket for the session was not closed: {e}"),
        },
    }
    c.expect_echo(&mut ws, "\"first still works\"").await?;
    let _ = ws.close().await;
    Ok(())
}
