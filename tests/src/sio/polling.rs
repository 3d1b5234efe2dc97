//! Socket.IO over HTTP long-polling: the same exchanges as on WebSocket, with packets batched by
//! `\x1e` and attachments as `b` + base64, and the upgrade to WebSocket of a joined session.

use base64::Engine as _;

use super::client::{websocket_for, Ctx};
use super::packet::{parse_connect_reply, placeholder};
use crate::check::{CheckResult, Failure};
use crate::ws::Event;
use crate::{ensure, fail};

/// A polling session joined to `/`: POST `40`, then the CONNECT reply and `42["auth",{}]`
/// (in one GET or two). Returns the Engine.IO session id.
pub(super) async fn joined(c: &Ctx) -> Result<String, Failure> {
    let sid = c.polling_session().await?;
    c.eio().push(&sid, "40").await?;
    let packets = c.receive_n(&sid, 2).await?;
    match packets.as_slice() {
        [reply, auth] => {
            let nsp_sid = parse_connect_reply(reply, "/").map_err(Failure::Failed)?;
            ensure!(
                nsp_sid != sid,
                "the socket id of / is the Engine.IO sid {sid:?}"
            );
            ensure!(
                auth == r#"42["auth",{}]"#,
                "expected 42[\"auth\",{{}}] after the CONNECT reply, got {auth:?}"
            );
            Ok(sid)
        }
        other => fail!("expected the CONNECT reply and the auth event, got {other:?}"),
    }
}

/// The next packets, exactly `want` (pings set aside; across GETs if the server splits them).
async fn expect_packets(c: &Ctx, sid: &str, want: &[&str]) -> CheckResult {
    let got = c.receive_n(sid, want.len()).await?;
    ensure!(got == want, "expected packets {want:?}, got {got:?}");
    Ok(())
}

/// POST `40` -> GET `40{"sid":..}` and `42["auth",{}]`.
pub async fn connect(c: Ctx) -> CheckResult {
    joined(&c).await.map(|_| ())
}

/// POST `40/custom,{"token":"abc"}` -> `40/custom,{"sid":..}` and
/// `42/custom,["auth",{"token":"abc"}]`.
pub async fn connect_custom_with_payload(c: Ctx) -> CheckResult {
    let sid = c.polling_session().await?;
    c.eio().push(&sid, r#"40/custom,{"token":"abc"}"#).await?;
    let packets = c.receive_n(&sid, 2).await?;
    match packets.as_slice() {
        [reply, auth] => {
            parse_connect_reply(reply, "/custom").map_err(Failure::Failed)?;
            let want = r#"42/custom,["auth",{"token":"abc"}]"#;
            ensure!(auth == want, "expected {want:?}, got {auth:?}");
            Ok(())
        }
        other => fail!("expected the CONNECT reply and the auth event, got {other:?}"),
    }
}

/// POST `42["message",1,"2",{"3":[true]}]` -> GET `42["message-back",1,"2",{"3":[true]}]`.
pub async fn event(c: Ctx) -> CheckResult {
    let sid = joined(&c).await?;
    c.eio()
        .push(&sid, r#"42["message",1,"2",{"3":[true]}]"#)
        .await?;
    expect_packets(&c, &sid, &[r#"42["message-back",1,"2",{"3":[true]}]"#]).await
}

/// Three packets in one POST, separated by `\x1e` (an event, an event with an ack, an event):
/// answered in order.
pub async fn batch(c: Ctx) -> CheckResult {
    let sid = joined(&c).await?;
    c.eio()
        .push(
            &sid,
            "42[\"message\",\"a\"]\x1e4212[\"message-with-ack\",\"b\"]\x1e42[\"message\",\"c\"]",
        )
        .await?;
    expect_packets(
        &c,
        &sid,
        &[
            r#"42["message-back","a"]"#,
            r#"4312["b"]"#,
            r#"42["message-back","c"]"#,
        ],
    )
    .await
}

/// A BINARY_EVENT and its attachments as `b` + base64 in one POST -> the BINARY_EVENT back and
/// the same attachments as `b` + base64.
pub async fn binary(c: Ctx) -> CheckResult {
    let sid = joined(&c).await?;
    let (p0, p1) = (placeholder(0), placeholder(1));
    c.eio()
        .push(
            &sid,
            format!("452-[\"message\",{p0},{p1}]\x1ebAQID\x1ebBAUG"),
        )
        .await?;
    let got = c.receive_n(&sid, 3).await?;
    let want_head = format!("452-[\"message-back\",{p0},{p1}]");
    match got.as_slice() {
        [head, a, b] if *head == want_head => {
            expect_base64(a, &[1, 2, 3])?;
            expect_base64(b, &[4, 5, 6])
        }
        other => fail!("expected {want_head:?} then two `b` attachments, got {other:?}"),
    }
}

/// A binary ack over polling: `451-7["message-with-ack",<ph 0>]` + `bAQID` -> `461-7[<ph 0>]`
/// + `bAQID`.
pub async fn binary_ack(c: Ctx) -> CheckResult {
    let sid = joined(&c).await?;
    let p0 = placeholder(0);
    c.eio()
        .push(&sid, format!("451-7[\"message-with-ack\",{p0}]\x1ebAQID"))
        .await?;
    let got = c.receive_n(&sid, 2).await?;
    let want_head = format!("461-7[{p0}]");
    match got.as_slice() {
        [head, a] if *head == want_head => expect_base64(a, &[1, 2, 3]),
        other => fail!("expected {want_head:?} then a `b` attachment, got {other:?}"),
    }
}

/// `b` + base64 that decodes to `want`.
fn expect_base64(packet: &str, want: &[u8]) -> CheckResult {
    let decoded = packet
        .strip_prefix('b')
        .and_then(|b64| base64::engine::general_purpose::STANDARD.decode(b64).ok());
    ensure!(
        decoded.as_deref() == Some(want),
        "expected the attachment {want:?} as `b` + base64, got {packet:?}"
    );
    Ok(())
}

/// POST `4abc` closes the session: the next GET gets the close packet or 400.
pub async fn invalid_packet_closes(c: Ctx) -> CheckResult {
    let sid = joined(&c).await?;
    // The POST itself may be answered `ok`, 400, or cut: the session's end is what counts.
    let _ = c.eio().send(&sid, "4abc").await;
    c.expect_polling_closed(&sid, "POST \"4abc\"").await?;
    c.still_serving().await
}

/// POST `bAQID` (an attachment no BINARY_EVENT announced) closes the session.
pub async fn binary_when_none_expected_closes(c: Ctx) -> CheckResult {
    let sid = joined(&c).await?;
    let _ = c.eio().send(&sid, "bAQID").await;
    c.expect_polling_closed(&sid, "POST of an unannounced attachment \"bAQID\"")
        .await?;
    c.still_serving().await
}

/// A session joined over polling, upgraded (`2probe`/`3probe`/`5`), keeps its namespace: events
/// on the WebSocket are answered there.
pub async fn upgrade_keeps_namespace(c: Ctx) -> CheckResult {
    let sid = joined(&c).await?;
    let mut ws = c.eio().websocket_open(&websocket_for(&sid)).await?;
    ws.send_text("2probe").await?;
    c.expect_text(&mut ws, "3probe").await?;
    ws.send_text("5").await?;
    ws.send_text(r#"42["message","upgraded"]"#).await?;
    match c
        .next_event(&mut ws, crate::http::DEFAULT_RESPONSE_TIMEOUT)
        .await?
    {
        Event::Text(t) if t == r#"42["message-back","upgraded"]"# => Ok(()),
        other => {
            fail!("after the upgrade, expected 42[\"message-back\",\"upgraded\"], got {other:?}")
        }
    }
}
