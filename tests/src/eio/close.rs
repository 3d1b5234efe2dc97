//! The client's close packet (`1`) ends the session on either transport.

use std::time::Duration;

use super::client::Ctx;
use super::expect::{expect_closed, expect_error, expect_packets};
use super::packet::split_payload;
use crate::check::{CheckResult, Failure};
use crate::http::DEFAULT_RESPONSE_TIMEOUT;
use crate::{ensure, fail};

/// With a GET parked, POST `1`: the parked GET is released with a noop `6`, the session is gone.
pub async fn polling(c: Ctx) -> CheckResult {
    let sid = c.handshake().await?.sid;
    let parked = c.start_poll(&sid, DEFAULT_RESPONSE_TIMEOUT).await?;
    c.sleep(Duration::from_millis(50)).await;
    match c.send(&sid, "1").await {
        Ok(r) => c.note(format!("the close POST answered {}", r.status())),
        Err(_) => c.note("the close POST was aborted, which the test suite allows"),
    }
    let released = parked.response().await?;
    ensure!(
        released.status() == 200,
        "the parked GET answered {} {:?}, expected 200 \"6\"",
        released.status(),
        released.text()
    );
    let text = released.text();
    let packets: Vec<String> = split_payload(&text)
        .into_iter()
        .filter(|p| *p != "2")
        .map(str::to_string)
        .collect();
    if packets.is_empty() {
        // A ping released the GET before the close arrived: the noop cannot be observed.
        c.note("a ping released the parked GET before the close packet");
    } else {
        expect_packets(&packets, &["6"])?;
    }
    expect_error(&c.poll(&sid).await?, 400, 1)
}

/// Over WebSocket, `1` makes the server close the socket.
pub async fn websocket(c: Ctx) -> CheckResult {
    let (mut ws, _) = c.websocket_session().await?;
    ws.send_text("1").await?;
    // Pings are answered meanwhile, so only the close packet can explain a close.
    let limit = Duration::from_secs(1);
    match c.next_packet(&mut ws, limit).await {
        Err(Failure::Failed(_)) => fail!(
            "after the close packet \"1\" the WebSocket stayed open for {} ms",
            limit.as_millis()
        ),
        Err(other) => Err(other),
        Ok(event) => expect_closed(&event, "the close packet \"1\""),
    }
}
