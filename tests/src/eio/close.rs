//! The client's close packet (`1`) ends the session on either transport.

use super::client::{self, Ctx};
use super::expect::{expect_closed, expect_error, expect_packets};
use super::packet::{split_payload, Open};
use super::{ACT_WITHIN, RACE_ATTEMPTS};
use crate::check::{CheckResult, Failure};
use crate::http::{Request, DEFAULT_RESPONSE_TIMEOUT};
use crate::{ensure, fail};

/// With a GET parked, POST `1`: the parked GET is released with a noop `6`, the session is gone.
pub async fn polling(c: Ctx) -> CheckResult {
    // Nothing tells when the server has parked the GET, so wait long enough for a loaded machine,
    // yet short of the ping that would release the GET first; start over (on a fresh session)
    // when the outcome shows that the wait was too short or too long.
    let wait = c.config().ping_interval / 2;
    for _ in 0..RACE_ATTEMPTS {
        let sid = c.handshake().await?.sid;
        let parked = c.start_poll(&sid, DEFAULT_RESPONSE_TIMEOUT).await?;
        c.sleep(wait).await;
        match c.send(&sid, "1").await {
            Ok(r) => c.note(format!("the close POST answered {}", r.status())),
            Err(_) => c.note("the close POST was aborted, which the test suite allows"),
        }
        let released = parked.response().await?;
        if released.status() == 400 {
            // The close was read before the GET, which then found no session.
            expect_error(&released, 400, 1)?;
            c.note("the GET arrived after the close: start over");
            continue;
        }
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
            c.note("a ping released the parked GET before the close packet: start over");
            continue;
        }
        expect_packets(&packets, &["6"])?;
        return expect_error(&c.poll(&sid).await?, 400, 1);
    }
    fail!(
        "{RACE_ATTEMPTS} times in a row the GET sent {} ms before the close packet was not \
         parked when the close came (answered by a ping, or 400 as if it came after the close)",
        wait.as_millis()
    )
}

/// Over WebSocket, `1` makes the server close the socket.
pub async fn websocket(c: Ctx) -> CheckResult {
    let (mut ws, _) = c.websocket_session().await?;
    ws.send_text("1").await?;
    // Pings are answered meanwhile, so only the close packet can explain a close.
    let limit = ACT_WITHIN;
    match c.next_packet(&mut ws, limit).await {
        Err(Failure::Failed(_)) => fail!(
            "after the close packet \"1\" the WebSocket stayed open for {} ms",
            limit.as_millis()
        ),
        Err(other) => Err(other),
        Ok(event) => expect_closed(&event, "the close packet \"1\""),
    }
}

/// How many fresh sessions a concurrent-close check tries: the outcome must not depend on which
/// request the server happens to read first.
const CONCURRENT_ROUNDS: usize = 10;

/// Which connection carries which request in a concurrent close.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Carrier {
    /// The GET reuses the handshake's kept-alive connection, the POST opens a new one: what
    /// Node's fetch does for the test suite's `Promise.all([GET, POST])`.
    GetOnKeptAlive,
    /// The POST reuses the handshake's connection, the GET opens a new one: the server most
    /// likely reads the POST first.
    PostOnKeptAlive,
}

/// Right after a polling handshake, GET and POST `1` sent at once on two connections, as the
/// test suite's `Promise.all([fetch(GET), fetch(POST "1")])` sends them: the request for the
/// handshake's kept-alive connection is written at once, the other as soon as its new connection
/// is up, and neither waits for the other's answer. The GET is answered 200 `6` (the noop that
/// ends a poll when the session closes), every time; a later GET gets 400 code 1.
async fn concurrent_close(c: Ctx, carrier: Carrier) -> CheckResult {
    for round in 1..=CONCURRENT_ROUNDS {
        c.note(format!("round {round} of {CONCURRENT_ROUNDS}"));
        let mut kept = c.connect().await?;
        let handshake = kept
            .exchange(&Request::new("GET", c.target("?EIO=4&transport=polling")))
            .await?;
        ensure!(
            handshake.status() == 200,
            "handshake answered {} {:?}, expected 200",
            handshake.status(),
            handshake.text()
        );
        let sid = Open::parse(&handshake.text()).map_err(Failure::Failed)?.sid;
        let get = Request::new("GET", c.target(&client::polling(&sid)));
        let post = Request::new("POST", c.target(&client::polling(&sid))).body("1");
        let (on_kept, on_fresh) = match carrier {
            Carrier::GetOnKeptAlive => (&get, &post),
            Carrier::PostOnKeptAlive => (&post, &get),
        };
        kept.send(on_kept).await?;
        let mut fresh = c.connect().await?;
        fresh.send(on_fresh).await?;
        let (kept_answer, fresh_answer) = tokio::join!(
            kept.response(on_kept.method()),
            fresh.response(on_fresh.method())
        );
        let (got, posted) = match carrier {
            Carrier::GetOnKeptAlive => (kept_answer, fresh_answer),
            Carrier::PostOnKeptAlive => (fresh_answer, kept_answer),
        };
        match posted {
            Ok(r) => c.note(format!("the close POST answered {}", r.status())),
            Err(_) => c.note("the close POST was aborted"),
        }
        let got = got.map_err(|e| {
            Failure::Failed(format!(
                "round {round}: the GET sent with the close POST got no response: {e}"
            ))
        })?;
        let text = got.text();
        let packets: Vec<&str> = split_payload(&text)
            .into_iter()
            .filter(|p| *p != "2")
            .collect();
        ensure!(
            got.status() == 200 && packets == ["6"],
            "round {round}: the GET sent together with the close POST answered {} {text:?}, \
             expected 200 \"6\" whichever request the server reads first",
            got.status()
        );
        expect_error(&c.poll(&sid).await?, 400, 1)?;
    }
    Ok(())
}

/// GET on the handshake's kept-alive connection, POST `1` on a new one, at once.
pub async fn polling_concurrent(c: Ctx) -> CheckResult {
    concurrent_close(c, Carrier::GetOnKeptAlive).await
}

/// POST `1` on the handshake's kept-alive connection, GET on a new one, at once.
pub async fn polling_concurrent_post_first(c: Ctx) -> CheckResult {
    concurrent_close(c, Carrier::PostOnKeptAlive).await
}
