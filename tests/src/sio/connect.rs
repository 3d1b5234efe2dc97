//! Connecting to a namespace: the CONNECT reply (`sid` only, not the engine's), the payload handed
//! to the application, unknown namespaces, and the connect timeout.

use tokio::time::Instant;

use super::client::{is_close, Ctx, Frame};
use crate::check::CheckResult;
use crate::eio::EARLY_TOLERANCE;
use crate::ws::WebSocket;
use crate::{ensure, fail};

/// `40` -> `40{"sid":<string>}` (nothing but `sid`), then `42["auth",{}]`.
pub async fn main_namespace(c: Ctx) -> CheckResult {
    let (mut ws, _) = c.engine_session().await?;
    c.join_with_auth(&mut ws, "40", "/", "{}").await?;
    let _ = ws.close().await;
    Ok(())
}

/// `40{"token":"123"}` -> `40{"sid":..}`, then `42["auth",{"token":"123"}]`.
pub async fn main_namespace_with_payload(c: Ctx) -> CheckResult {
    let (mut ws, _) = c.engine_session().await?;
    c.join_with_auth(&mut ws, r#"40{"token":"123"}"#, "/", r#"{"token":"123"}"#)
        .await?;
    let _ = ws.close().await;
    Ok(())
}

/// `40/custom,` -> `40/custom,{"sid":..}`, then `42/custom,["auth",{}]`.
pub async fn custom_namespace(c: Ctx) -> CheckResult {
    let (mut ws, _) = c.engine_session().await?;
    c.join_with_auth(&mut ws, "40/custom,", "/custom", "{}")
        .await?;
    let _ = ws.close().await;
    Ok(())
}

/// `40/custom,{"token":"abc"}` -> `40/custom,{"sid":..}`, then
/// `42/custom,["auth",{"token":"abc"}]`.
pub async fn custom_namespace_with_payload(c: Ctx) -> CheckResult {
    let (mut ws, _) = c.engine_session().await?;
    c.join_with_auth(
        &mut ws,
        r#"40/custom,{"token":"abc"}"#,
        "/custom",
        r#"{"token":"abc"}"#,
    )
    .await?;
    let _ = ws.close().await;
    Ok(())
}

/// A payload with nested values and several keys reaches the application as sent (key order,
/// UTF-8 and escapes included).
pub async fn payload_kept_exactly(c: Ctx) -> CheckResult {
    let payload = r#"{"z":[1,{"b":null,"a":false}],"token":"h\u00e9 \"q\"","n":-1.5}"#;
    let (mut ws, _) = c.engine_session().await?;
    c.join(&mut ws, &format!("40{payload}"), "/").await?;
    let auth = c.next_text(&mut ws).await?;
    let want = format!("42[\"auth\",{payload}]");
    if auth != want {
        // `\u00e9` may come back as the character itself: compare by meaning then.
        let got = auth.strip_prefix("42").unwrap_or_default();
        let parsed: Result<serde_json::Value, _> = serde_json::from_str(got);
        let expected: Result<serde_json::Value, _> =
            serde_json::from_str(&format!("[\"auth\",{payload}]"));
        match (parsed, expected) {
            (Ok(got), Ok(expected)) if got == expected && keys_in_order(&auth) => {}
            _ => fail!("expected {want:?} (or the same JSON differently escaped), got {auth:?}"),
        }
    }
    let _ = ws.close().await;
    Ok(())
}

/// The keys of the payload appear in the order sent: `z`, `b`, `a`, `token`, `n`.
fn keys_in_order(text: &str) -> bool {
    let at = |key: &str| text.find(&format!("\"{key}\":"));
    match (at("z"), at("b"), at("a"), at("token"), at("n")) {
        (Some(z), Some(b), Some(a), Some(t), Some(n)) => z < b && b < a && a < t && t < n,
        _ => false,
    }
}

/// `40/random` (as the test suite writes it) and `40/random,` both get exactly
/// `44/random,{"message":"Invalid namespace"}`; the connection stays usable: `40` then connects.
pub async fn unknown_namespace(c: Ctx) -> CheckResult {
    let want = r#"44/random,{"message":"Invalid namespace"}"#;
    for packet in ["40/random", "40/random,"] {
        let (mut ws, _) = c.engine_session().await?;
        ws.send_text(packet).await?;
        c.expect_text(&mut ws, want).await?;
        c.note("the refusal leaves the connection usable for another namespace");
        c.join_with_auth(&mut ws, "40", "/", "{}").await?;
        c.expect_echo(&mut ws, "\"after refusal\"").await?;
        let _ = ws.close().await;
    }
    Ok(())
}

/// The namespace socket id is not the Engine.IO session id; two namespaces on one connection get
/// two ids; two connections get two ids.
pub async fn sid_is_not_engine_sid(c: Ctx) -> CheckResult {
    let (mut ws, open) = c.engine_session().await?;
    let main = c.join_with_auth(&mut ws, "40", "/", "{}").await?;
    let custom = c
        .join_with_auth(&mut ws, "40/custom,", "/custom", "{}")
        .await?;
    ensure!(
        main != open.sid,
        "the socket id of / is the Engine.IO sid {main:?}: v5 requires a separate id"
    );
    ensure!(
        custom != open.sid,
        "the socket id of /custom is the Engine.IO sid {custom:?}: v5 requires a separate id"
    );
    ensure!(
        main != custom,
        "/ and /custom on one connection got the same socket id {main:?}"
    );
    let other = c.session().await?;
    ensure!(
        other.sid != main,
        "two connections got the same socket id {main:?}"
    );
    Ok(())
}

/// `4abc` as the first packet (an invalid handshake) closes the connection (test suite).
pub async fn invalid_handshake(c: Ctx) -> CheckResult {
    let (mut ws, _) = c.engine_session().await?;
    ws.send_text("4abc").await?;
    c.expect_closed(&mut ws, "\"4abc\" as the first packet")
        .await?;
    c.still_serving().await
}

/// An EVENT before any CONNECT closes the connection ("If the server does not receive a CONNECT
/// packet first, then it MUST close the connection immediately").
pub async fn first_packet_not_connect(c: Ctx) -> CheckResult {
    let (mut ws, _) = c.engine_session().await?;
    ws.send_text(r#"42["message","too early"]"#).await?;
    c.expect_closed(&mut ws, "an EVENT before any CONNECT")
        .await?;
    c.still_serving().await
}

/// No CONNECT within connectTimeout: the server closes the Engine.IO session, not before (pings
/// are answered all along, so the heartbeat cannot be what closes it).
pub async fn timeout(c: Ctx) -> CheckResult {
    // The server starts its clock when it opens the session: counting from before the request
    // means that delays on either side can only make the close look later, never earlier.
    let started = Instant::now();
    let (mut ws, _) = c.engine_session().await?;
    c.note("send no CONNECT; expect a close at connectTimeout");
    expect_close_at_connect_timeout(&c, &mut ws, started, "no CONNECT sent").await?;
    c.still_serving().await
}

/// A refused CONNECT (unknown namespace) does not count as joining: with nothing joined, the
/// session is still closed at connectTimeout.
pub async fn refused_keeps_timeout(c: Ctx) -> CheckResult {
    let started = Instant::now();
    let (mut ws, _) = c.engine_session().await?;
    ws.send_text("40/random,").await?;
    c.expect_text(&mut ws, r#"44/random,{"message":"Invalid namespace"}"#)
        .await?;
    expect_close_at_connect_timeout(&c, &mut ws, started, "only a refused CONNECT sent").await
}

/// Waits for the server to close `ws`, opened at `started`, at connectTimeout: not before (less a
/// timer's granularity), and at most the slack after, as a loaded machine may run it late.
async fn expect_close_at_connect_timeout(
    c: &Ctx,
    ws: &mut WebSocket,
    started: Instant,
    what: &str,
) -> CheckResult {
    let connect_timeout = c.config().connect_timeout;
    let slack = c.config().slack;
    let limit = (connect_timeout + slack).saturating_sub(started.elapsed());
    match c.next_within(ws, limit).await? {
        None => fail!(
            "{what}, yet the connection was still open {} ms after the handshake began \
             (connectTimeout {} ms, allowed up to {} ms late)",
            started.elapsed().as_millis(),
            connect_timeout.as_millis(),
            slack.as_millis()
        ),
        Some(event) if is_close(&event) => {
            let closed_at = started.elapsed();
            ensure!(
                closed_at + EARLY_TOLERANCE >= connect_timeout,
                "{what}: the connection was closed {} ms after the handshake began, before \
                 connectTimeout ({} ms)",
                closed_at.as_millis(),
                connect_timeout.as_millis()
            );
            c.note(format!("closed after {} ms", closed_at.as_millis()));
            Ok(())
        }
        Some(other) => fail!("{what}, expected nothing but a close, got {other:?}"),
    }
}

/// A CONNECT in time keeps the session past connectTimeout: still answered afterwards.
pub async fn in_time_stays_open(c: Ctx) -> CheckResult {
    let mut session = c.session().await?;
    let wait = c.config().connect_timeout + c.config().slack;
    match c.listen(&mut session.ws, wait, "a CONNECT in time").await? {
        super::client::Heard::Nothing => {}
        super::client::Heard::Closed => fail!(
            "the connection was closed within {} ms although it had joined / at once",
            wait.as_millis()
        ),
    }
    c.expect_echo(&mut session.ws, "\"still connected\"").await
}

/// A second CONNECT to a namespace already joined closes the connection (the reference server's
/// "invalid state"; the spec has a namespace joined once per connection).
pub async fn duplicate(c: Ctx) -> CheckResult {
    c.closes_after(&[Frame::Text("40")], "a second CONNECT to /")
        .await
}

/// Connect timeout over polling: no CONNECT, pings answered; the session is closed after
/// connectTimeout (a GET gets the close packet or 400), not before.
pub async fn polling_timeout(c: Ctx) -> CheckResult {
    let connect_timeout = c.config().connect_timeout;
    let slack = c.config().slack;
    // From before the handshake, as in [`timeout`]: delays only make the close look later.
    let opened = Instant::now();
    let sid = c.polling_session().await?;
    let limit = connect_timeout + slack;
    loop {
        ensure!(
            opened.elapsed() < limit,
            "no CONNECT sent, yet the polling session was still open {} ms after the handshake \
             began (connectTimeout {} ms, allowed up to {} ms late)",
            opened.elapsed().as_millis(),
            connect_timeout.as_millis(),
            slack.as_millis()
        );
        let response = c.eio().poll(&sid).await?;
        let text = response.text();
        let packets = crate::eio::packet::split_payload(&text);
        let closed = response.status() == 400 || packets.contains(&"1");
        if closed {
            let at = opened.elapsed();
            ensure!(
                at + EARLY_TOLERANCE >= connect_timeout,
                "the polling session was closed after {} ms, before connectTimeout ({} ms)",
                at.as_millis(),
                connect_timeout.as_millis()
            );
            c.note(format!("closed after {} ms", at.as_millis()));
            return Ok(());
        }
        ensure!(
            response.status() == 200,
            "long-poll GET answered {} {text:?}",
            response.status()
        );
        for packet in packets {
            match packet {
                "2" => c.eio().push(&sid, "3").await?,
                "6" => {}
                other => fail!("with no CONNECT sent, expected only pings, got {other:?}"),
            }
        }
    }
}
