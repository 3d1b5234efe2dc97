//! How a WebSocket ends (RFC 6455 section 7): with a close handshake, never by dropping TCP.
//!
//! A client's close frame is answered with a close frame echoing its code, then the server closes
//! TCP. A session the server ends (ping timeout, an invalid packet) gets a close frame first. A
//! frame the server cannot accept gets the status code RFC 6455 7.4.1 assigns to it: 1009 for a
//! message over `maxPayload`, 1007 for a text frame that is not UTF-8, 1002 for a protocol error.
//! Real clients read these codes: browsers report them as `CloseEvent.code`, and a connection
//! dropped without a close frame shows up as 1006 (abnormal closure) whatever the cause.

use std::time::Duration;

use tokio::time::Instant;

use super::client::Ctx;
use super::ACT_WITHIN;
use crate::check::CheckResult;
use crate::http::{Ending, WireError};
use crate::ws::{opcode, Event, WebSocket};
use crate::{ensure, fail};

/// How long the server has to close TCP once the close handshake is done.
const TCP_CLOSE_WITHIN: Duration = ACT_WITHIN;

/// How long the server has to send its close frame after the frame that must close the socket.
const CLOSE_FRAME_WITHIN: Duration = ACT_WITHIN;

/// The next close frame on `ws` within `limit`: Engine.IO pings (`2`) may come first and are
/// not answered; anything else, or TCP ending without a close frame, fails the check.
async fn next_close(
    ws: &mut WebSocket,
    limit: Duration,
    after: &str,
) -> Result<Event, crate::check::Failure> {
    let deadline = Instant::now() + limit;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match ws.recv(left).await {
            Ok(Event::Text(t)) if t == "2" => {}
            Ok(event @ Event::Close(_)) => return Ok(event),
            Ok(Event::Ended) => fail!(
                "after {after}, the server closed TCP without sending a close frame first \
                 (clients see 1006, abnormal closure)"
            ),
            Ok(other) => fail!("after {after}, expected a close frame, got {other:?}"),
            Err(WireError::Timeout(_)) => fail!(
                "after {after}, no close frame within {} ms",
                limit.as_millis()
            ),
            Err(e) => fail!("after {after}, expected a close frame: {e}"),
        }
    }
}

/// The close frame carries `code` (when one is required).
fn expect_code(event: &Event, want: Option<u16>, after: &str) -> CheckResult {
    let Event::Close(got) = event else {
        fail!("after {after}, expected a close frame, got {event:?}");
    };
    if let Some(want) = want {
        ensure!(
            *got == Some(want),
            "after {after}, the close frame carried {got:?}, expected Some({want})"
        );
    }
    Ok(())
}

/// Once both close frames are sent, the server closes TCP.
async fn expect_tcp_closed(ws: &mut WebSocket, after: &str) -> CheckResult {
    match ws.ending(TCP_CLOSE_WITHIN).await {
        Ending::Closed { .. } | Ending::Reset { .. } => Ok(()),
        Ending::StillOpen { .. } => fail!(
            "after {after} and the close handshake, the server kept TCP open for {} ms \
             (RFC 6455 7.1.1: the server closes it first)",
            TCP_CLOSE_WITHIN.as_millis()
        ),
    }
}

/// The client sends a close frame (1000, then 4000 on a second session): the server answers with
/// a close frame echoing the code, then closes TCP.
pub async fn echoes_client_close(c: Ctx) -> CheckResult {
    for code in [1000u16, 4000] {
        let (mut ws, _) = c.websocket_session().await?;
        ws.close_with(code).await?;
        let after = format!("the client's close frame {code}");
        let event = next_close(&mut ws, CLOSE_FRAME_WITHIN, &after).await?;
        expect_code(&event, Some(code), &after)?;
        expect_tcp_closed(&mut ws, &after).await?;
    }
    Ok(())
}

/// A session that ends by ping timeout (the client never answers a ping) ends with a close frame
/// from the server, then TCP closed once the client answers it.
pub async fn frame_on_ping_timeout(c: Ctx) -> CheckResult {
    let (mut ws, _) = c.websocket_session().await?;
    let config = c.config();
    let limit = config.ping_interval + config.ping_timeout + c.slack() + CLOSE_FRAME_WITHIN;
    c.note("never answer a ping");
    let after = "a ping timeout";
    let event = next_close(&mut ws, limit, after).await?;
    expect_code(&event, None, after)?;
    expect_tcp_closed(&mut ws, after).await
}

/// A session the server ends for an invalid packet (`abc`) ends with a close frame, then TCP
/// closed once the client answers it.
pub async fn frame_on_invalid_packet(c: Ctx) -> CheckResult {
    let (mut ws, _) = c.websocket_session().await?;
    ws.send_text("abc").await?;
    let after = "the invalid packet \"abc\"";
    let event = next_close(&mut ws, CLOSE_FRAME_WITHIN, after).await?;
    expect_code(&event, None, after)?;
    expect_tcp_closed(&mut ws, after).await
}

/// A message one byte over `maxPayload` gets a close frame with 1009 (message too big) before
/// TCP is closed. (The frame is written while reading: the server may judge it by its header.)
pub async fn code_1009_over_max_payload(c: Ctx) -> CheckResult {
    let (mut ws, _) = c.websocket_session().await?;
    let big = format!("4{}", "a".repeat(c.config().max_payload as usize));
    c.note(format!(
        "next frame: text \"4\" then {} x \"a\"",
        big.len() - 1
    ));
    let after = "a message over maxPayload";
    let event = match ws
        .send_frame_racing(opcode::TEXT, big.as_bytes(), Duration::from_secs(5))
        .await
    {
        Ok(Event::Ended) => fail!(
            "after {after}, the server closed TCP without sending a close frame 1009 first \
             (clients see 1006, abnormal closure)"
        ),
        Ok(event) => event,
        Err(e) => fail!("after {after}, expected a close frame 1009: {e}"),
    };
    expect_code(&event, Some(1009), after)?;
    expect_tcp_closed(&mut ws, after).await
}

/// A text frame that is not UTF-8 gets a close frame with 1007 (invalid frame payload data).
pub async fn code_1007_invalid_utf8(c: Ctx) -> CheckResult {
    let (mut ws, _) = c.websocket_session().await?;
    ws.send_frame(true, opcode::TEXT, b"4h\xff\xfello", true)
        .await?;
    let after = "a text frame that is not UTF-8";
    let event = next_close(&mut ws, CLOSE_FRAME_WITHIN, after).await?;
    expect_code(&event, Some(1007), after)?;
    expect_tcp_closed(&mut ws, after).await?;
    c.still_serving().await
}

/// An unmasked client frame gets a close frame with 1002 (protocol error, RFC 6455 5.1).
pub async fn code_1002_unmasked_frame(c: Ctx) -> CheckResult {
    let (mut ws, _) = c.websocket_session().await?;
    ws.send_frame(true, opcode::TEXT, b"4hello", false).await?;
    let after = "an unmasked client frame";
    let event = next_close(&mut ws, CLOSE_FRAME_WITHIN, after).await?;
    expect_code(&event, Some(1002), after)?;
    expect_tcp_closed(&mut ws, after).await
}

/// A frame with a reserved opcode gets a close frame with 1002 (protocol error, RFC 6455 5.2).
pub async fn code_1002_reserved_opcode(c: Ctx) -> CheckResult {
    let (mut ws, _) = c.websocket_session().await?;
    ws.send_frame(true, 0x3, b"4hello", true).await?;
    let after = "a frame with reserved opcode 0x3";
    let event = next_close(&mut ws, CLOSE_FRAME_WITHIN, after).await?;
    expect_code(&event, Some(1002), after)?;
    expect_tcp_closed(&mut ws, after).await
}

/// A close frame with a code no endpoint may send (1005, RFC 6455 7.4.1: "MUST NOT be set as a
/// status code in a Close control frame") gets a close frame with 1002 (protocol error).
pub async fn code_1002_reserved_close_code(c: Ctx) -> CheckResult {
    let (mut ws, _) = c.websocket_session().await?;
    ws.send_frame(true, opcode::CLOSE, &1005u16.to_be_bytes(), true)
        .await?;
    let after = "a close frame with code 1005";
    let event = next_close(&mut ws, CLOSE_FRAME_WITHIN, after).await?;
    expect_code(&event, Some(1002), after)?;
    expect_tcp_closed(&mut ws, after).await
}
