//! Connection state recovery (socket.io 4.6+), for a server started with it on (our conformance
//! server: `--recovery-ms N`; the runner: the same flag): the private session id in the CONNECT
//! reply, the offset every plain event carries, the restore of a dropped socket with what it
//! missed, and a fresh socket once the window passed or for an unknown pid.
//!
//! ```text
//! C> ws text "40"                       S< ws text "40{\"sid\":\"s1\",\"pid\":\"p1\"}"
//! S< ws text "42[\"auth\",{},\"7\"]"     (the offset: the last argument)
//!    ... the transport drops; another client has `broadcast` sent to every socket ...
//! C> ws text "40{\"pid\":\"p1\",\"offset\":\"7\"}"
//! S< ws text "40{\"sid\":\"s1\",\"pid\":\"p1\"}"   S< ws text "42[\"broadcast\",\"missed\",\"8\"]"
//! ```

use std::time::Duration;

use serde_json::Value;

use super::client::Ctx;
use crate::check::{CheckResult, Failure};
use crate::ws::WebSocket;
use crate::{ensure, fail};

/// How long the server may take to notice a dropped transport and keep its session.
const SETTLE: Duration = Duration::from_millis(300);

/// The `sid` and `pid` of a CONNECT reply on `/`.
fn connect_reply(packet: &str) -> Result<(String, String), Failure> {
    let Some(json) = packet.strip_prefix("40") else {
        fail!("expected the CONNECT reply 40{{\"sid\":..,\"pid\":..}}, got {packet:?}");
    };
    let value: Value = serde_json::from_str(json)
        .map_err(|e| Failure::Failed(format!("CONNECT reply does not parse ({e}): {packet:?}")))?;
    match (value.get("sid"), value.get("pid")) {
        (Some(Value::String(sid)), Some(Value::String(pid))) => Ok((sid.clone(), pid.clone())),
        _ => fail!("the CONNECT reply has no string `sid` and `pid`: {packet:?}"),
    }
}

/// The arguments of an EVENT on `/` named `name`, the offset (a string) last.
fn event(packet: &str, name: &str) -> Result<(Vec<Value>, String), Failure> {
    let Some(json) = packet.strip_prefix("42") else {
        fail!("expected an EVENT `{name}`, got {packet:?}");
    };
    let Ok(Value::Array(mut items)) = serde_json::from_str::<Value>(json) else {
        fail!("expected an EVENT `{name}`, got {packet:?}");
    };
    ensure!(
        items.first() == Some(&Value::String(name.to_owned())),
        "expected an EVENT `{name}`, got {packet:?}"
    );
    match items.pop() {
        Some(Value::String(offset)) if items.len() > 1 || name == "auth" => {
            Ok((items.split_off(1), offset))
        }
        _ => fail!("the EVENT carries no offset (a string) as its last argument: {packet:?}"),
    }
}

/// Connects to `/` with `packet`; returns the socket id, the pid and the offset of the `auth`
/// event the conformance server emits on connect.
async fn join(
    c: &Ctx,
    ws: &mut WebSocket,
    packet: &str,
) -> Result<(String, String, String), Failure> {
    ws.send_text(packet).await?;
    let (sid, pid) = connect_reply(&c.next_text(ws).await?)?;
    let (_, offset) = event(&c.next_text(ws).await?, "auth")?;
    Ok((sid, pid, offset))
}

/// `40` -> `40{"sid":..,"pid":..}`, then `42["auth",{},"<offset>"]`.
pub async fn pid_in_connect_reply(c: Ctx) -> CheckResult {
    let (mut ws, _) = c.engine_session().await?;
    join(&c, &mut ws, "40").await?;
    let _ = ws.close().await;
    Ok(())
}

/// Plain events carry a fresh offset each; an acknowledgement carries none.
pub async fn offsets(c: Ctx) -> CheckResult {
    let (mut ws, _) = c.engine_session().await?;
    let (_, _, first) = join(&c, &mut ws, "40").await?;
    ws.send_text(r#"42["message",1]"#).await?;
    let (args, second) = event(&c.next_text(&mut ws).await?, "message-back")?;
    ensure!(
        args == [Value::from(1)],
        "message-back carries {args:?}, expected [1]"
    );
    ensure!(
        second != first,
        "two events carry the same offset {first:?}"
    );
    ws.send_text(r#"421["message-with-ack",1]"#).await?;
    c.expect_text(&mut ws, "431[1]").await?;
    let _ = ws.close().await;
    Ok(())
}

/// A dropped socket that comes back with its pid and last offset gets its id back and, first,
/// the broadcast it missed.
pub async fn restore(c: Ctx) -> CheckResult {
    let (mut a, _) = c.engine_session().await?;
    let (sid, pid, offset) = join(&c, &mut a, "40").await?;
    let _ = a.close().await;
    drop(a);
    tokio::time::sleep(SETTLE).await;
    let (mut b, _) = c.engine_session().await?;
    join(&c, &mut b, "40").await?;
    b.send_text(r#"42["broadcast","missed"]"#).await?;
    event(&c.next_text(&mut b).await?, "broadcast")?;
    let (mut a2, _) = c.engine_session().await?;
    a2.send_text(&format!(r#"40{{"pid":"{pid}","offset":"{offset}"}}"#))
        .await?;
    let (sid2, pid2) = connect_reply(&c.next_text(&mut a2).await?)?;
    ensure!(
        sid2 == sid && pid2 == pid,
        "not restored: {sid2}/{pid2}, was {sid}/{pid}"
    );
    let (args, _) = event(&c.next_text(&mut a2).await?, "broadcast")?;
    ensure!(
        args == [Value::from("missed")],
        "the missed broadcast carries {args:?}"
    );
    let _ = (a2.close().await, b.close().await);
    Ok(())
}

/// Past the window (`--recovery-ms`), the same CONNECT is a fresh socket with a new id and pid.
pub async fn expiry(c: Ctx) -> CheckResult {
    let Some(window) = c.config().recovery else {
        fail!("the recovery window is not configured (--recovery-ms)");
    };
    let (mut a, _) = c.engine_session().await?;
    let (sid, pid, offset) = join(&c, &mut a, "40").await?;
    let _ = a.close().await;
    drop(a);
    tokio::time::sleep(window + SETTLE).await;
    let (mut a2, _) = c.engine_session().await?;
    let (sid2, pid2, _) = join(
        &c,
        &mut a2,
        &format!(r#"40{{"pid":"{pid}","offset":"{offset}"}}"#),
    )
    .await?;
    ensure!(
        sid2 != sid && pid2 != pid,
        "restored after the window: {sid2}/{pid2}"
    );
    let _ = a2.close().await;
    Ok(())
}

/// An unknown pid is a fresh socket (as in Node), not an error.
pub async fn unknown_pid(c: Ctx) -> CheckResult {
    let (mut ws, _) = c.engine_session().await?;
    let (_, pid, _) = join(&c, &mut ws, r#"40{"pid":"no-such-pid","offset":"1"}"#).await?;
    ensure!(pid != "no-such-pid", "the server took the client's pid");
    let _ = ws.close().await;
    Ok(())
}
