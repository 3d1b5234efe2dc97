//! The checks of a server that takes Engine.IO v3 clients (socket.io-client 2.x): each one a
//! conversation over the Socket.IO endpoint.

use serde_json::Value;

use super::payload::{self, Record};
use crate::check::{CheckResult, Failure};
use crate::eio::Ctx;
use crate::http::Response;
use crate::ws::{Event, WebSocket};
use crate::{ensure, fail};

/// The query of a v3 polling request of session `sid` (`extra` appended, e.g. `&b64=1`).
fn polling(sid: &str, extra: &str) -> String {
    format!("?EIO=3&transport=polling&sid={sid}{extra}")
}

/// Checks the v3 open packet: `sid`, `upgrades`, `pingInterval` and `pingTimeout` as configured
/// (a `maxPayload` may come too: Node sends it to v3 clients); gives the sid.
fn open_packet(c: &Ctx, packet: &str, upgrades: &[&str]) -> Result<String, Failure> {
    let Some(json) = packet.strip_prefix('0') else {
        fail!("expected the open packet `0{{...}}`, got {packet:?}");
    };
    let value: Value = match serde_json::from_str(json) {
        Ok(v) => v,
        Err(e) => fail!("open packet JSON does not parse ({e}): {json:?}"),
    };
    let Some(sid) = value.get("sid").and_then(Value::as_str) else {
        fail!("open packet has no string sid: {json}");
    };
    let want_upgrades: Vec<Value> = upgrades.iter().map(|u| Value::from(*u)).collect();
    ensure!(
        value.get("upgrades") == Some(&Value::Array(want_upgrades)),
        "expected upgrades {upgrades:?} in {json}"
    );
    let ms = |d: std::time::Duration| Value::from(d.as_millis() as u64);
    ensure!(
        value.get("pingInterval") == Some(&ms(c.config().ping_interval))
            && value.get("pingTimeout") == Some(&ms(c.config().ping_timeout)),
        "expected pingInterval {:?} and pingTimeout {:?} in {json}",
        c.config().ping_interval,
        c.config().ping_timeout
    );
    Ok(sid.to_owned())
}

/// The records of a text payload response.
fn text_records(response: &Response) -> Result<Vec<String>, Failure> {
    ensure!(
        response.status() == 200,
        "expected 200, got {} {:?}",
        response.status(),
        response.text()
    );
    match payload::decode_text(&response.body) {
        Ok(records) => Ok(records),
        Err(why) => fail!("not a v3 text payload: {why}"),
    }
}

/// A polling handshake with `extra` in the query; gives the sid.
async fn handshake(c: &Ctx, extra: &str) -> Result<String, Failure> {
    let response = c.get(&format!("?EIO=3&transport=polling{extra}")).await?;
    let records = text_records(&response)?;
    ensure!(
        records.len() == 1,
        "expected the open packet alone, got {records:?}"
    );
    open_packet(c, &records[0], &["websocket"])
}

/// GETs until the records so far satisfy `done` (at most five polls); gives them all.
async fn poll_until(
    c: &Ctx,
    sid: &str,
    extra: &str,
    what: &str,
    done: impl Fn(&[String]) -> bool,
) -> Result<Vec<String>, Failure> {
    let mut all = Vec::new();
    for _ in 0..5 {
        all.extend(text_records(&c.get(&polling(sid, extra)).await?)?);
        if done(&all) {
            return Ok(all);
        }
    }
    fail!("expected {what}, got {all:?}")
}

/// Joined to `/` without sending a CONNECT: polls until the server's `40` came, and the `auth`
/// event the conformance server emits on connect.
async fn joined(c: &Ctx, extra: &str) -> Result<String, Failure> {
    let sid = handshake(c, extra).await?;
    let records = poll_until(c, &sid, extra, "the implicit CONNECT `40`", |r| {
        r.iter().any(|p| p == "40") && r.iter().any(|p| p.starts_with(r#"42["auth""#))
    })
    .await?;
    ensure!(
        records[0] == "40",
        "the CONNECT `40` must come first, got {records:?}"
    );
    Ok(sid)
}

/// Posts a v3 text payload of `packets`; the server answers `ok`.
async fn post(c: &Ctx, sid: &str, extra: &str, packets: &[&str]) -> CheckResult {
    let response = c
        .post(&polling(sid, extra), payload::encode(packets))
        .await?;
    ensure!(
        response.status() == 200 && response.body == b"ok",
        "expected 200 ok to the POST, got {} {:?}",
        response.status(),
        response.text()
    );
    Ok(())
}

/// `GET ?EIO=3&transport=polling`: a v3 text payload `<len>:0{...}` with sid, upgrades
/// `["websocket"]`, pingInterval and pingTimeout.
pub async fn handshake_polling(c: Ctx) -> CheckResult {
    let response = c.get("?EIO=3&transport=polling").await?;
    let content_type = response.header("content-type").unwrap_or_default();
    ensure!(
        content_type.starts_with("text/plain"),
        "expected a text/plain payload, got {content_type:?}"
    );
    let records = text_records(&response)?;
    ensure!(records.len() == 1, "expected one record, got {records:?}");
    open_packet(&c, &records[0], &["websocket"])?;
    Ok(())
}

/// `GET ?EIO=3&transport=websocket`: the open packet (upgrades `[]`), then the implicit `40`.
pub async fn handshake_websocket(c: Ctx) -> CheckResult {
    let mut ws = c.websocket_open("?EIO=3&transport=websocket").await?;
    match ws.recv(crate::http::DEFAULT_RESPONSE_TIMEOUT).await? {
        Event::Text(open) => open_packet(&c, &open, &[])?,
        other => fail!("expected the open packet, got {other:?}"),
    };
    expect_frame(&mut ws, "40").await
}

async fn expect_frame(ws: &mut WebSocket, want: &str) -> CheckResult {
    match ws.recv(crate::http::DEFAULT_RESPONSE_TIMEOUT).await? {
        Event::Text(t) if t == want => Ok(()),
        other => fail!("expected text frame {want:?}, got {other:?}"),
    }
}

/// Socket.IO protocol 4: the server joins the client to `/` on its own: the first packet after
/// the open packet is `40`, without the client sending a CONNECT.
pub async fn sio_implicit_connect(c: Ctx) -> CheckResult {
    joined(&c, "").await.map(drop)
}

/// Socket.IO protocol 4: `0/custom?x=1,` joins `/custom`; the reply has no payload and the
/// query is the namespace's auth payload (the server emits it back as `auth`).
pub async fn sio_namespace_connect(c: Ctx) -> CheckResult {
    let sid = joined(&c, "").await?;
    post(&c, &sid, "", &["40/custom?x=1,"]).await?;
    let records = poll_until(&c, &sid, "", "`40/custom,` and its auth", |r| {
        r.iter().any(|p| p.starts_with("42/custom,"))
    })
    .await?;
    let custom: Vec<&String> = records.iter().filter(|p| p.contains("/custom")).collect();
    ensure!(
        custom.len() == 2
            && custom[0] == "40/custom,"
            && custom[1] == r#"42/custom,["auth",{"x":"1"}]"#,
        "expected `40/custom,` then `42/custom,[\"auth\",{{\"x\":\"1\"}}]`, got {records:?}"
    );
    Ok(())
}

/// The client pings (`1:2`), the server answers `3` in the next GET.
pub async fn polling_ping_pong(c: Ctx) -> CheckResult {
    let sid = joined(&c, "").await?;
    post(&c, &sid, "", &["2"]).await?;
    poll_until(&c, &sid, "", "the pong `3`", |r| r.iter().any(|p| p == "3")).await?;
    Ok(())
}

/// Over WebSocket the server never pings, answers each ping with `3`, and keeps a client that
/// pings every 200 ms open past pingInterval + pingTimeout.
pub async fn websocket_client_pings(c: Ctx) -> CheckResult {
    let mut ws = c.websocket_open("?EIO=3&transport=websocket").await?;
    let total = c.config().ping_interval + c.config().ping_timeout;
    let end = tokio::time::Instant::now() + total * 2;
    let mut pongs = 0;
    let mut next_ping = tokio::time::Instant::now();
    while tokio::time::Instant::now() < end {
        if tokio::time::Instant::now() >= next_ping {
            ws.send_text("2").await?;
            next_ping += std::time::Duration::from_millis(200);
        }
        let left = next_ping.min(end) - tokio::time::Instant::now().min(next_ping.min(end));
        match ws.recv(left.max(std::time::Duration::from_millis(1))).await {
            Err(crate::http::WireError::Timeout(_)) => {}
            Err(e) => return Err(e.into()),
            Ok(Event::Text(t)) if t == "3" => pongs += 1,
            Ok(Event::Text(t)) if t == "2" => fail!("a v3 server must not ping"),
            Ok(Event::Text(t)) if t.starts_with('0') || t.starts_with('4') => {}
            Ok(other) => fail!("expected pongs only, got {other:?} after {pongs} pongs"),
        }
    }
    ensure!(pongs >= 3, "expected a pong per ping, got {pongs}");
    Ok(())
}

/// A client that never pings is closed after pingInterval + pingTimeout (not before).
pub async fn ping_timeout(c: Ctx) -> CheckResult {
    let since = tokio::time::Instant::now();
    let mut ws = c.websocket_open("?EIO=3&transport=websocket").await?;
    let total = c.config().ping_interval + c.config().ping_timeout;
    let limit = total + c.slack();
    loop {
        let left = (since + limit).saturating_duration_since(tokio::time::Instant::now());
        match ws.recv(left).await {
            Ok(Event::Text(t)) if t == "2" => fail!("a v3 server must not ping"),
            Ok(Event::Text(_)) => {}
            Ok(Event::Close(_) | Event::Ended)
            | Err(crate::http::WireError::ClosedEarly { .. } | crate::http::WireError::Io(_)) => {
                let after = since.elapsed();
                ensure!(
                    after + crate::eio::EARLY_TOLERANCE >= total,
                    "closed after {after:?}, before pingInterval + pingTimeout ({total:?})"
                );
                return Ok(());
            }
            Ok(other) => fail!("expected the close, got {other:?}"),
            Err(e) => fail!("expected the close within {limit:?}: {e}"),
        }
    }
}

/// Text payloads both ways: two records in one POST (one with characters outside the BMP,
/// whose length counts two UTF-16 code units), answered in length-prefixed records.
pub async fn payload_framing(c: Ctx) -> CheckResult {
    let sid = joined(&c, "").await?;
    post(
        &c,
        &sid,
        "",
        &[r#"42["message","é😀"]"#, r#"42["message",1]"#],
    )
    .await?;
    let records = poll_until(&c, &sid, "", "both message-back", |r| {
        r.iter().filter(|p| p.contains("message-back")).count() == 2
    })
    .await?;
    let back: Vec<&String> = records
        .iter()
        .filter(|p| p.contains("message-back"))
        .collect();
    ensure!(
        back == [r#"42["message-back","é😀"]"#, r#"42["message-back",1]"#],
        "expected both message-back in order, got {records:?}"
    );
    Ok(())
}

const BINARY_EVENT: &str = r#"451-["message",{"_placeholder":true,"num":0}]"#;
const BINARY_BACK: &str = r#"451-["message-back",{"_placeholder":true,"num":0}]"#;

/// Without `b64`, a binary event comes back in a binary payload (`application/octet-stream`):
/// a text record `0 <digits> 0xff 451-[...]`, a binary record `1 <digits> 0xff 0x04 bytes`.
pub async fn binary_payload(c: Ctx) -> CheckResult {
    let sid = joined(&c, "").await?;
    post(&c, &sid, "", &[BINARY_EVENT, "b4AQID"]).await?;
    let response = c.get(&polling(&sid, "")).await?;
    let content_type = response.header("content-type").unwrap_or_default();
    ensure!(
        content_type.starts_with("application/octet-stream"),
        "expected a binary payload, got {content_type:?} {:?}",
        response.text()
    );
    let records = match payload::decode_binary(&response.body) {
        Ok(records) => records,
        Err(why) => fail!("not a v3 binary payload: {why}"),
    };
    ensure!(
        records
            == [
                Record::Text(BINARY_BACK.to_owned()),
                Record::Binary(vec![4, 1, 2, 3])
            ],
        "expected the BINARY_EVENT and its attachment, got {records:?}"
    );
    Ok(())
}

/// With `b64=1`, binary travels as `b4` + base64 records of a text payload, both ways.
pub async fn binary_b64(c: Ctx) -> CheckResult {
    let sid = joined(&c, "&b64=1").await?;
    post(&c, &sid, "&b64=1", &[BINARY_EVENT, "b4AQID"]).await?;
    let records = poll_until(&c, &sid, "&b64=1", "the binary event back", |r| {
        r.iter().any(|p| p.starts_with("b4"))
    })
    .await?;
    ensure!(
        records.ends_with(&[BINARY_BACK.to_owned(), "b4AQID".to_owned()]),
        "expected the BINARY_EVENT then `b4AQID`, got {records:?}"
    );
    Ok(())
}

/// Over WebSocket a binary attachment is a binary frame: the type byte 4, then the bytes.
pub async fn websocket_binary(c: Ctx) -> CheckResult {
    let mut ws = c.websocket_open("?EIO=3&transport=websocket").await?;
    let _open = ws.recv(crate::http::DEFAULT_RESPONSE_TIMEOUT).await?;
    expect_frame(&mut ws, "40").await?;
    ws.send_text(BINARY_EVENT).await?;
    ws.send_binary(&[4, 1, 2, 3]).await?;
    loop {
        match ws.recv(crate::http::DEFAULT_RESPONSE_TIMEOUT).await? {
            Event::Text(t) if t == BINARY_BACK => break,
            Event::Text(t) if t.starts_with("42") => {}
            other => fail!("expected {BINARY_BACK:?}, got {other:?}"),
        }
    }
    match ws.recv(crate::http::DEFAULT_RESPONSE_TIMEOUT).await? {
        Event::Binary(b) if b == [4, 1, 2, 3] => Ok(()),
        other => fail!("expected the binary frame [4, 1, 2, 3], got {other:?}"),
    }
}

/// A payload whose length prefix does not match what follows ends the session: the POST is
/// refused (ours) or taken (Node answers `ok` to any body), and the session is gone either way.
pub async fn malformed_payload(c: Ctx) -> CheckResult {
    let sid = joined(&c, "").await?;
    let response = c.post(&polling(&sid, ""), "5:4ab").await?;
    ensure!(
        matches!(response.status(), 200 | 400),
        "expected 400 (or 200 and a closed session), got {} {:?}",
        response.status(),
        response.text()
    );
    let after = c.get(&polling(&sid, "")).await?;
    let closed = after.status() == 400
        || payload::decode_text(&after.body).is_ok_and(|r| r.iter().any(|p| p == "1" || p == "6"));
    ensure!(
        closed,
        "expected the session closed after a malformed payload, got {} {:?}",
        after.status(),
        after.text()
    );
    Ok(())
}
