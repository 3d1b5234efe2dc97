//! Bad input: every malformed packet class closes that connection (the spec: "the receiver MUST
//! close the connection"), and the server then serves a fresh one. Each check joins `/` first,
//! so the packet is judged by a connected socket, not refused as a handshake.

use super::client::{is_close, Ctx, Frame, Heard, CLOSE_WITHIN};
use super::packet::placeholder;
use crate::check::CheckResult;
use crate::fail;
use crate::ws::Event;

/// `4abc` (no packet type `a`) and `47[]` (no type 7) close the connection (test suite).
pub async fn unknown_packet_type(c: Ctx) -> CheckResult {
    c.closes_after(&[Frame::Text("4abc")], "\"4abc\"").await?;
    c.closes_after(&[Frame::Text("47[]")], "\"47[]\"").await
}

/// `42{}`: the EVENT payload is not an array (test suite); `42"x"` likewise.
pub async fn event_payload_not_array(c: Ctx) -> CheckResult {
    c.closes_after(&[Frame::Text("42{}")], "\"42{}\"").await?;
    c.closes_after(&[Frame::Text("42\"x\"")], "\"42\\\"x\\\"\"")
        .await
}

/// `42`: an EVENT without a payload ("The payload is mandatory").
pub async fn event_without_payload(c: Ctx) -> CheckResult {
    c.closes_after(&[Frame::Text("42")], "\"42\"").await
}

/// `42[]`: an EVENT needs a non-empty array (no event name).
pub async fn event_empty_array(c: Ctx) -> CheckResult {
    c.closes_after(&[Frame::Text("42[]")], "\"42[]\"").await
}

/// The first item is not an event name: `42[null]`, `42[{"a":1}]`, `42[["x"]]`.
pub async fn event_name_not_string(c: Ctx) -> CheckResult {
    for packet in ["42[null]", r#"42[{"a":1}]"#, r#"42[["x"]]"#] {
        c.closes_after(&[Frame::Text(packet)], &format!("{packet:?}"))
            .await?;
    }
    Ok(())
}

/// `42abc["message-with-ack",...]`: an ack id that is not a number (test suite).
pub async fn invalid_ack_id(c: Ctx) -> CheckResult {
    c.closes_after(
        &[Frame::Text(
            r#"42abc["message-with-ack",1,"2",{"3":[false]}]"#,
        )],
        "an ack id \"abc\"",
    )
    .await
}

/// An ack id of 2^64 (does not fit u64): the connection is closed, or the ack carries exactly the
/// id sent; an ack with any other id (rounded, wrapped) is wrong.
pub async fn ack_id_overflow(c: Ctx) -> CheckResult {
    let id = "18446744073709551616";
    let mut s = c.session().await?;
    s.ws.send_text(&format!("42{id}[\"message-with-ack\",1]"))
        .await?;
    match c.next_within(&mut s.ws, CLOSE_WITHIN).await? {
        Some(event) if is_close(&event) => {}
        Some(Event::Text(t)) if t == format!("43{id}[1]") => {
            c.note("the server kept the id exactly");
        }
        Some(other) => fail!(
            "after the ack id {id} (2^64), expected a close or the ack 43{id}[1], got {other:?}"
        ),
        None => fail!("after the ack id {id} (2^64), neither a close nor an ack came"),
    }
    c.still_serving().await
}

/// `431{}`: an ACK payload must be an array.
pub async fn ack_payload_not_array(c: Ctx) -> CheckResult {
    c.closes_after(&[Frame::Text("431{}")], "\"431{}\"").await
}

/// `42["message"]xyz`: bytes after the JSON.
pub async fn trailing_garbage(c: Ctx) -> CheckResult {
    c.closes_after(
        &[Frame::Text(r#"42["message"]xyz"#)],
        "trailing bytes after the JSON",
    )
    .await
}

/// The reserved event names a client may not emit: `connect`, `connect_error`, `disconnect`,
/// `disconnecting`, `newListener`, `removeListener` (each on its own connection).
pub async fn reserved_event_names(c: Ctx) -> CheckResult {
    for name in [
        "connect",
        "connect_error",
        "disconnect",
        "disconnecting",
        "newListener",
        "removeListener",
    ] {
        let packet = format!("42[\"{name}\"]");
        c.closes_after(
            &[Frame::Text(&packet)],
            &format!("the reserved event name {name:?}"),
        )
        .await?;
    }
    Ok(())
}

/// An event for a namespace this connection has not joined (`/custom`).
pub async fn event_for_unjoined_namespace(c: Ctx) -> CheckResult {
    c.closes_after(
        &[Frame::Text(r#"42/custom,["message","not joined"]"#)],
        "an event on /custom, which was never joined",
    )
    .await
}

/// `44{"message":"x"}` from a client: CONNECT_ERROR is the server's to send.
pub async fn client_connect_error(c: Ctx) -> CheckResult {
    c.closes_after(
        &[Frame::Text(r#"44{"message":"from the client"}"#)],
        "a CONNECT_ERROR sent by the client",
    )
    .await
}

/// A CONNECT payload that is not an object: `40[]`, `40"x"`, `40{` (each on a fresh connection,
/// as the first packet).
pub async fn connect_payload_not_object(c: Ctx) -> CheckResult {
    for packet in ["40[]", "40\"x\"", "40{"] {
        let (mut ws, _) = c.engine_session().await?;
        ws.send_text(packet).await?;
        c.expect_closed(&mut ws, &format!("the CONNECT {packet:?}"))
            .await?;
    }
    c.still_serving().await
}

/// BINARY_EVENTs whose attachment count is bad: not a number (`45x-`), zero (`450-`), more than
/// any u64 (`4599999999999999999999-`), and a missing `-` (`452[...]`).
pub async fn bad_attachment_count(c: Ctx) -> CheckResult {
    let p0 = placeholder(0);
    for packet in [
        format!("45x-[\"message\",{p0}]"),
        "450-[\"message\"]".to_string(),
        format!("4599999999999999999999-[\"message\",{p0}]"),
        format!("452[\"message\",{p0}]"),
    ] {
        c.closes_after(
            &[Frame::Text(&packet), Frame::Binary(&[1])],
            &format!("the attachment count in {packet:?}"),
        )
        .await?;
    }
    Ok(())
}

/// A placeholder pointing past the attachments (`num` 1 of 1).
pub async fn placeholder_out_of_range(c: Ctx) -> CheckResult {
    let packet = format!("451-[\"message\",{}]", placeholder(1));
    c.closes_after(
        &[Frame::Text(&packet), Frame::Binary(&[1])],
        "a placeholder past the last attachment",
    )
    .await
}

/// A binary frame when no BINARY_EVENT announced one.
pub async fn binary_when_none_expected(c: Ctx) -> CheckResult {
    c.closes_after(&[Frame::Binary(&[1, 2, 3])], "an unannounced binary frame")
        .await
}

/// A text packet while attachments are still awaited.
pub async fn text_while_awaiting_attachments(c: Ctx) -> CheckResult {
    let packet = format!("451-[\"message\",{}]", placeholder(0));
    c.closes_after(
        &[
            Frame::Text(&packet),
            Frame::Text(r#"42["message","not an attachment"]"#),
        ],
        "a text packet where an attachment was due",
    )
    .await
}

/// JSON nested 1000 deep: the server closes the connection (a depth limit) or answers it exactly;
/// either way it does not crash.
pub async fn deep_json(c: Ctx) -> CheckResult {
    let deep = format!("{}{}", "[".repeat(1000), "]".repeat(1000));
    let mut s = c.session().await?;
    s.ws.send_text(&format!("42[\"message\",{deep}]")).await?;
    let want = format!("42[\"message-back\",{deep}]");
    match c.next_within(&mut s.ws, CLOSE_WITHIN).await? {
        Some(event) if is_close(&event) => c.note("closed (a depth limit)"),
        Some(Event::Text(t)) if t == want => c.note("answered exactly"),
        Some(other) => {
            fail!("after JSON nested 1000 deep, expected a close or the exact echo, got {other:?}")
        }
        None => fail!("after JSON nested 1000 deep, neither a close nor an answer came"),
    }
    c.still_serving().await
}

/// Nothing but a close or silence (never a crash of the whole server): one connection sending
/// every bad packet above in a row, while another stays connected and is still answered.
pub async fn others_unaffected(c: Ctx) -> CheckResult {
    let mut bystander = c.session().await?;
    let mut s = c.session().await?;
    for packet in ["4abc", "42{}", "42", r#"42["connect"]"#, "431{}"] {
        if s.ws.send_text(packet).await.is_err() {
            break;
        }
    }
    match c
        .listen(&mut s.ws, CLOSE_WITHIN, "a burst of bad packets")
        .await?
    {
        Heard::Closed => {}
        Heard::Nothing => fail!("a burst of bad packets did not close the connection"),
    }
    c.expect_echo(&mut bystander.ws, "\"bystander\"").await
}
