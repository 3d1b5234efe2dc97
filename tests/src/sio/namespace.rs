//! Several namespaces on one connection: each joined by its own CONNECT, left by its own
//! DISCONNECT, without touching the others.

use super::client::{Ctx, Heard, QUIET_FOR};
use crate::check::CheckResult;
use crate::ws::Event;
use crate::{ensure, fail};

/// `/` and `/custom` joined on one connection; `/`'s events are answered on `/` only, an event on
/// `/custom` (which has no handler there) is not answered and changes nothing.
pub async fn multiplex(c: Ctx) -> CheckResult {
    let mut s = c.session().await?;
    c.join_with_auth(&mut s.ws, "40/custom,", "/custom", "{}")
        .await?;
    s.ws.send_text(r#"42/custom,["message","to custom"]"#)
        .await?;
    c.expect_echo(&mut s.ws, "\"to main\"").await
}

/// `41/custom,` leaves `/custom`; `/` keeps working on the same connection.
pub async fn disconnect_keeps_others(c: Ctx) -> CheckResult {
    let mut s = c.session().await?;
    c.join_with_auth(&mut s.ws, "40/custom,", "/custom", "{}")
        .await?;
    s.ws.send_text("41/custom,").await?;
    c.expect_echo(&mut s.ws, "\"message to main namespace\"")
        .await
}

/// The test suite's exact bytes: namespaces written without the trailing comma (`40/custom`,
/// `41/custom`), then `42["message","message to main namespace"]` is still answered.
pub async fn without_trailing_comma(c: Ctx) -> CheckResult {
    let mut s = c.session().await?;
    s.ws.send_text("40/custom").await?;
    let reply = c.next_text(&mut s.ws).await?;
    super::packet::parse_connect_reply(&reply, "/custom").map_err(crate::check::Failure::Failed)?;
    c.expect_auth(&mut s.ws, "/custom", "{}").await?;
    s.ws.send_text("41/custom").await?;
    c.expect_echo(&mut s.ws, "\"message to main namespace\"")
        .await
}

/// A namespace left can be joined again on the same connection (a client reconnecting one
/// socket of a multiplexed manager), with a new socket id. (An echo on `/` between the leave and
/// the rejoin makes sure the leave was handled: the reference server handles a DISCONNECT one
/// tick late and refuses a CONNECT that overtakes it.)
pub async fn rejoin_after_disconnect(c: Ctx) -> CheckResult {
    let mut s = c.session().await?;
    let first = c
        .join_with_auth(&mut s.ws, "40/custom,", "/custom", "{}")
        .await?;
    s.ws.send_text("41/custom,").await?;
    c.expect_echo(&mut s.ws, "\"between\"").await?;
    let second = c
        .join_with_auth(&mut s.ws, "40/custom,", "/custom", "{}")
        .await?;
    ensure!(
        first != second,
        "joining /custom again gave the old socket id {first:?}"
    );
    c.expect_echo(&mut s.ws, "\"after rejoin\"").await
}

/// `41` leaves `/`: its events are no longer answered (the server closes the connection or
/// ignores them; it must not deliver them).
pub async fn disconnect_main(c: Ctx) -> CheckResult {
    let mut s = c.session().await?;
    s.ws.send_text("41").await?;
    s.ws.send_text(r#"42["message","after leaving"]"#).await?;
    match c
        .listen(&mut s.ws, QUIET_FOR, "leaving / and sending on it")
        .await?
    {
        Heard::Closed | Heard::Nothing => Ok(()),
    }
}

/// `41` leaves `/` but not the connection (test suite): the next Engine.IO packet is the server's
/// ping `2`, within `pingInterval` (+ slack); no close, no DISCONNECT.
pub async fn disconnect_main_keeps_engine(c: Ctx) -> CheckResult {
    let mut s = c.session().await?;
    s.ws.send_text("41").await?;
    let budget = c.config().ping_interval + c.config().slack;
    match s.ws.recv(budget).await {
        Ok(Event::Text(t)) if t == "2" => {}
        Ok(other) => fail!(
            "after \"41\", expected the Engine.IO session to stay (next packet a ping \"2\"), \
             got {other:?}"
        ),
        Err(e) => fail!(
            "after \"41\", expected a ping \"2\" within {} ms: {e}",
            budget.as_millis()
        ),
    }
    s.ws.send_text("3").await?;
    let _ = s.ws.close().await;
    Ok(())
}

/// Leaving `/` while `/custom` stays: the connection lives on and `/` can be joined again. (A
/// refused CONNECT to `/random` between the leave and the rejoin is a round trip that makes sure
/// the leave was handled first.)
pub async fn leave_main_keep_custom(c: Ctx) -> CheckResult {
    let mut s = c.session().await?;
    c.join_with_auth(&mut s.ws, "40/custom,", "/custom", "{}")
        .await?;
    s.ws.send_text("41").await?;
    s.ws.send_text("40/random,").await?;
    c.expect_text(&mut s.ws, r#"44/random,{"message":"Invalid namespace"}"#)
        .await?;
    let again = c.join_with_auth(&mut s.ws, "40", "/", "{}").await?;
    if again == s.sid {
        fail!("joining / again gave the old socket id {again:?}");
    }
    c.expect_echo(&mut s.ws, "\"back on main\"").await
}

/// v5 has no implicit main namespace: after joining only `/custom`, an event on `/` closes the
/// connection.
pub async fn no_implicit_main(c: Ctx) -> CheckResult {
    let (mut ws, _) = c.engine_session().await?;
    c.join_with_auth(&mut ws, "40/custom,", "/custom", "{}")
        .await?;
    ws.send_text(r#"42["message","main was never joined"]"#)
        .await?;
    c.expect_closed(&mut ws, "an event on / when only /custom was joined")
        .await?;
    c.still_serving().await
}
