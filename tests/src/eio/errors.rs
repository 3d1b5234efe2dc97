//! The error answers: HTTP status and `{"code":N,"message":".."}` for codes 0-5, and WebSocket
//! upgrades with a bad query.

use super::client::{polling, websocket_for, Ctx};
use super::expect::expect_error;
use super::ACT_WITHIN;
use crate::check::{CheckResult, Failure};
use crate::http::{Request, WireError};
use crate::ws::{Event, Opening};
use crate::{ensure, fail};

/// An unknown or missing `transport` -> 400 code 0 "Transport unknown".
pub async fn transport_unknown(c: Ctx) -> CheckResult {
    for query in ["?EIO=4&transport=abc", "?EIO=4"] {
        expect_error(&c.get(query).await?, 400, 0)?;
    }
    Ok(())
}

/// A `sid` the server never issued, on GET and POST -> 400 code 1 "Session ID unknown"; on a
/// WebSocket upgrade -> refused (the reference server answers 400 before switching protocols).
pub async fn session_id_unknown(c: Ctx) -> CheckResult {
    let long = "x".repeat(2000);
    for sid in ["unknown-sid", "%00%FF%2F..", long.as_str()] {
        let query = format!("?EIO=4&transport=polling&sid={sid}");
        expect_error(&c.get(&query).await?, 400, 1)?;
    }
    expect_error(&c.send("unknown-sid", "4hello").await?, 400, 1)?;
    match c.websocket(&websocket_for("unknown-sid")).await? {
        Opening::Refused(r) => ensure!(
            r.status() == 400,
            "WebSocket upgrade with an unknown sid refused with {}, expected 400",
            r.status()
        ),
        Opening::Open(mut ws) => match ws.recv(ACT_WITHIN).await {
            Ok(Event::Close(_) | Event::Ended) => {}
            Err(WireError::Malformed(_) | WireError::ClosedEarly { .. }) => {}
            other => fail!("WebSocket upgrade with an unknown sid was served: {other:?}"),
        },
    }
    Ok(())
}

/// A handshake (no `sid`) with a method other than GET -> 400 code 2 "Bad handshake method".
pub async fn bad_handshake_method(c: Ctx) -> CheckResult {
    let target = c.target("?EIO=4&transport=polling");
    expect_error(&c.post("?EIO=4&transport=polling", "4hello").await?, 400, 2)?;
    for method in ["PUT", "DELETE", "PATCH"] {
        let response = c
            .request(Request::new(method, target.clone()).body("4hello"))
            .await?;
        expect_error(&response, 400, 2)?;
    }
    Ok(())
}

/// A request that contradicts the session -> 400 code 3 "Bad request": a `transport=websocket`
/// GET without the upgrade headers, and polling with the sid of a WebSocket session.
pub async fn bad_request(c: Ctx) -> CheckResult {
    expect_error(&c.get("?EIO=4&transport=websocket").await?, 400, 3)?;
    let (mut ws, open) = c.websocket_session().await?;
    expect_error(&c.get(&polling(&open.sid)).await?, 400, 3)?;
    ws.close().await?;
    Ok(())
}

/// A handshake the server's policy refuses -> 403 code 4 "Forbidden" (needs `--forbidden-query`).
pub async fn forbidden(c: Ctx) -> CheckResult {
    let Some(query) = c.config().forbidden_query.clone() else {
        return Err(Failure::Skipped(
            "no --forbidden-query given for a handshake the server refuses".into(),
        ));
    };
    expect_error(
        &c.get(&format!("?EIO=4&transport=polling&{query}")).await?,
        403,
        4,
    )
}

/// `EIO` other than 4 -> 400 code 5 "Unsupported protocol version".
pub async fn unsupported_protocol_version(c: Ctx) -> CheckResult {
    for eio in ["3", "5", "abc"] {
        let query = format!("?EIO={eio}&transport=polling");
        expect_error(&c.get(&query).await?, 400, 5)?;
    }
    Ok(())
}

/// No `EIO` at all -> 400 code 5, as the reference server answers.
pub async fn missing_eio(c: Ctx) -> CheckResult {
    expect_error(&c.get("?transport=polling").await?, 400, 5)
}

/// WebSocket upgrades with a missing or bad `EIO` / `transport` never open a session: the
/// upgrade is refused, or the socket is closed without an open packet.
pub async fn websocket_bad_query(c: Ctx) -> CheckResult {
    for query in [
        "?transport=websocket",
        "?EIO=abc&transport=websocket",
        "?EIO=3&transport=websocket",
        "?EIO=4",
        "?EIO=4&transport=abc",
    ] {
        match c.websocket(query).await? {
            Opening::Refused(r) => ensure!(
                (400..500).contains(&r.status()),
                "upgrade {query} refused with {}, expected a 4xx",
                r.status()
            ),
            Opening::Open(mut ws) => match ws.recv(ACT_WITHIN).await {
                Ok(Event::Close(_) | Event::Ended) => {}
                // Bytes that are not frames (an HTTP error written after the 101) end it too.
                Err(WireError::Malformed(_) | WireError::ClosedEarly { .. }) => {}
                Ok(Event::Text(t)) if t.starts_with('0') => {
                    fail!("upgrade {query} opened a session: {t:?}")
                }
                Ok(other) => fail!("upgrade {query}: expected the socket closed, got {other:?}"),
                Err(e) => fail!("upgrade {query}: expected the socket closed, got {e}"),
            },
        }
    }
    Ok(())
}
