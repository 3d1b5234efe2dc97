//! The WebSocket transport: one packet per frame, binary frames as-is, and the frames a server
//! must refuse.

use std::time::Duration;

use super::client::Ctx;
use super::expect::expect_closed;
use super::ACT_WITHIN;
use crate::check::CheckResult;
use crate::fail;
use crate::ws::{opcode, Event};

/// `4hello` -> `4hello`.
pub async fn echo_text(c: Ctx) -> CheckResult {
    let (mut ws, _) = c.websocket_session().await?;
    ws.send_text("4hello").await?;
    c.expect_text(&mut ws, "4hello").await?;
    ws.close().await?;
    Ok(())
}

/// A binary frame 01 02 03 04 comes back as a binary frame 01 02 03 04 (no type byte, no base64).
pub async fn echo_binary(c: Ctx) -> CheckResult {
    let (mut ws, _) = c.websocket_session().await?;
    ws.send_binary(&[1, 2, 3, 4]).await?;
    match c.next_packet(&mut ws, Duration::from_secs(5)).await? {
        Event::Binary(b) if b == [1, 2, 3, 4] => {}
        other => fail!("expected binary frame [1, 2, 3, 4], got {other:?}"),
    }
    ws.close().await?;
    Ok(())
}

/// A client that cannot send binary frames (`forceBase64: true`) sends binary as the text frame
/// `b` + base64: `bAQIDBA==` is a binary message 01 02 03 04, echoed as a binary frame.
pub async fn base64_binary(c: Ctx) -> CheckResult {
    let (mut ws, _) = c.websocket_session().await?;
    ws.send_text("bAQIDBA==").await?;
    match c.next_packet(&mut ws, Duration::from_secs(5)).await? {
        Event::Binary(b) if b == [1, 2, 3, 4] => {}
        other => fail!(
            "expected the text frame \"bAQIDBA==\" to be taken as binary 01 02 03 04 and \
             echoed as a binary frame, got {other:?}"
        ),
    }
    ws.close().await?;
    Ok(())
}

/// A WebSocket ping is answered with a pong carrying its payload (RFC 6455 5.5.2), ahead of the
/// echo of a message sent after it.
pub async fn ping_answered(c: Ctx) -> CheckResult {
    let (mut ws, _) = c.websocket_session().await?;
    ws.send_frame(true, opcode::PING, b"are-you-there", true)
        .await?;
    ws.send_text("4after-ping").await?;
    c.expect_text(&mut ws, "4after-ping").await?;
    if !ws.pongs().iter().any(|p| p == b"are-you-there") {
        fail!(
            "no pong \"are-you-there\" before the echo; pongs: {:?}",
            ws.pongs()
        );
    }
    ws.close().await?;
    Ok(())
}

/// A message sent in three fragments (RFC 6455 5.4), the UTF-8 of `é` split between two of them
/// and a ping between the first two, is taken as one message: the ping is answered at once, and
/// `4hé llo` echoed whole, in one frame.
pub async fn fragmented_message(c: Ctx) -> CheckResult {
    let (mut ws, _) = c.websocket_session().await?;
    let text = "4h\u{e9} llo";
    let bytes = text.as_bytes();
    ws.send_frame(false, opcode::TEXT, &bytes[..3], true)
        .await?;
    ws.send_frame(true, opcode::PING, b"mid-message", true)
        .await?;
    ws.send_frame(false, opcode::CONTINUATION, &bytes[3..5], true)
        .await?;
    ws.send_frame(true, opcode::CONTINUATION, &bytes[5..], true)
        .await?;
    c.expect_text(&mut ws, text).await?;
    if !ws.pongs().iter().any(|p| p == b"mid-message") {
        fail!(
            "no pong \"mid-message\" for the ping sent between fragments; pongs: {:?}",
            ws.pongs()
        );
    }
    ws.close().await?;
    Ok(())
}

/// Five messages sent back to back are echoed in order, one per frame.
pub async fn in_order(c: Ctx) -> CheckResult {
    let (mut ws, _) = c.websocket_session().await?;
    let sent = ["4one", "4two", "4three", "4four", "4five"];
    for text in sent {
        ws.send_text(text).await?;
    }
    for text in sent {
        c.expect_text(&mut ws, text).await?;
    }
    ws.close().await?;
    Ok(())
}

/// `abc` (no such packet type) closes the socket.
pub async fn invalid_packet_closes(c: Ctx) -> CheckResult {
    let (mut ws, _) = c.websocket_session().await?;
    ws.send_text("abc").await?;
    let event = c.next_packet(&mut ws, ACT_WITHIN).await?;
    expect_closed(&event, "the invalid packet \"abc\"")
}

/// A message one byte over `maxPayload` closes the socket instead of being echoed.
pub async fn over_max_payload_closes(c: Ctx) -> CheckResult {
    let (mut ws, _) = c.websocket_session().await?;
    let big = format!("4{}", "a".repeat(c.config().max_payload as usize));
    c.note(format!("next frame: \"4\" then {} x \"a\"", big.len() - 1));
    if let Err(e) = ws.send_text(&big).await {
        // The server may hang up as soon as it reads the frame header.
        c.note(format!("the server stopped reading mid-frame: {e}"));
        return Ok(());
    }
    let event = c.next_packet(&mut ws, ACT_WITHIN).await?;
    expect_closed(&event, "a message over maxPayload")
}

/// A client frame without a mask must make the server fail the connection (RFC 6455 5.1).
pub async fn unmasked_frame_closes(c: Ctx) -> CheckResult {
    let (mut ws, _) = c.websocket_session().await?;
    ws.send_frame(true, opcode::TEXT, b"4hello", false).await?;
    let event = c.next_packet(&mut ws, ACT_WITHIN).await?;
    expect_closed(&event, "an unmasked client frame")?;
    c.still_serving().await
}

/// A frame with a reserved opcode must make the server fail the connection (RFC 6455 5.2).
pub async fn reserved_opcode_closes(c: Ctx) -> CheckResult {
    let (mut ws, _) = c.websocket_session().await?;
    ws.send_frame(true, 0x3, b"4hello", true).await?;
    let event = c.next_packet(&mut ws, ACT_WITHIN).await?;
    expect_closed(&event, "a frame with reserved opcode 0x3")?;
    c.still_serving().await
}
