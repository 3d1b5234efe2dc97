//! The Engine.IO conversation helpers checks are written with: each one is a request or a frame,
//! logged to the check's transcript.

use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinHandle;

use super::expect::{expect_body, expect_open_fields};
use super::packet::{split_payload, Open};
use super::Config;
use crate::check::{CheckResult, Failure};
use crate::http::{Connection, Request, Response, WireError, DEFAULT_RESPONSE_TIMEOUT};
use crate::transcript::Transcript;
use crate::ws::{Event, Opening, WebSocket};
use crate::{ensure, fail};

/// The query of a polling request for session `sid`.
pub fn polling(sid: &str) -> String {
    format!("?EIO=4&transport=polling&sid={}", encode_query_value(sid))
}

/// The query of a WebSocket upgrade request for session `sid`.
pub fn websocket_for(sid: &str) -> String {
    format!("?EIO=4&transport=websocket&sid={}", encode_query_value(sid))
}

/// Percent-encodes everything but the URL-unreserved characters.
fn encode_query_value(value: &str) -> String {
    let mut out = String::new();
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// One check's view of the server: the configuration and the transcript to log to.
#[derive(Debug, Clone)]
pub struct Ctx {
    config: Arc<Config>,
    log: Transcript,
}

/// A request sent whose response has not been read yet (a parked long-poll GET).
#[derive(Debug)]
pub struct Pending {
    handle: JoinHandle<Result<Response, WireError>>,
}

impl Pending {
    /// Whether the server has answered already.
    pub fn is_finished(&self) -> bool {
        self.handle.is_finished()
    }

    /// The response (the reading side enforces its own time limit).
    pub async fn response(self) -> Result<Response, Failure> {
        match self.handle.await {
            Ok(result) => Ok(result?),
            Err(e) => fail!("reading the response crashed: {e}"),
        }
    }
}

impl Ctx {
    /// A context for one check.
    pub fn new(config: Arc<Config>, log: Transcript) -> Ctx {
        Ctx { config, log }
    }

    /// The server's expected configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Tolerance for timing expectations.
    pub fn slack(&self) -> Duration {
        self.config.slack
    }

    /// Adds a remark to the transcript.
    pub fn note(&self, what: impl AsRef<str>) {
        self.log.note(what);
    }

    /// Waits, and says so in the transcript.
    pub async fn sleep(&self, d: Duration) {
        self.note(format!("wait {} ms", d.as_millis()));
        tokio::time::sleep(d).await;
    }

    /// A fresh connection to the server.
    pub async fn connect(&self) -> Result<Connection, Failure> {
        Ok(Connection::open(&self.config.target, &self.log).await?)
    }

    /// The request target (path and query) for `query`.
    pub fn target(&self, query: &str) -> String {
        self.config.target.request_target(query)
    }

    /// Sends `request` on a fresh connection and reads its response, waiting up to `limit`.
    pub async fn request_within(
        &self,
        request: Request,
        limit: Duration,
    ) -> Result<Response, Failure> {
        let mut conn = self.connect().await?;
        conn.send(&request).await?;
        Ok(conn.reader.response(request.method(), limit).await?)
    }

    /// Sends `request` on a fresh connection and reads its response.
    pub async fn request(&self, request: Request) -> Result<Response, Failure> {
        self.request_within(request, DEFAULT_RESPONSE_TIMEOUT).await
    }

    /// `GET {path}{query}`.
    pub async fn get(&self, query: &str) -> Result<Response, Failure> {
        self.request(Request::new("GET", self.target(query))).await
    }

    /// `POST {path}{query}` with `body`.
    pub async fn post(&self, query: &str, body: impl Into<Vec<u8>>) -> Result<Response, Failure> {
        self.request(Request::new("POST", self.target(query)).body(body))
            .await
    }

    /// A long-poll GET for session `sid`.
    pub async fn poll(&self, sid: &str) -> Result<Response, Failure> {
        self.get(&polling(sid)).await
    }

    /// A POST of `payload` for session `sid`, whatever the answer.
    pub async fn send(&self, sid: &str, payload: impl Into<Vec<u8>>) -> Result<Response, Failure> {
        self.post(&polling(sid), payload).await
    }

    /// A POST of `payload` for session `sid` that must be answered `200 ok`.
    pub async fn push(&self, sid: &str, payload: impl Into<Vec<u8>>) -> CheckResult {
        let response = self.send(sid, payload).await?;
        expect_body(&response, "ok")
    }

    /// Starts a long-poll GET for `sid` and returns without waiting for the answer; the answer
    /// may take up to `limit`.
    pub async fn start_poll(&self, sid: &str, limit: Duration) -> Result<Pending, Failure> {
        self.start_poll_query(&polling(sid), limit).await
    }

    /// Starts a GET for `query` and returns without waiting for the answer.
    pub async fn start_poll_query(&self, query: &str, limit: Duration) -> Result<Pending, Failure> {
        let mut conn = self.connect().await?;
        conn.send(&Request::new("GET", self.target(query))).await?;
        let handle = tokio::spawn(async move {
            let response = conn.reader.response("GET", limit).await;
            drop(conn.writer);
            response
        });
        Ok(Pending { handle })
    }

    /// A polling handshake: `GET ?EIO=4&transport=polling` answered 200 with one open packet.
    pub async fn handshake(&self) -> Result<Open, Failure> {
        let response = self.get("?EIO=4&transport=polling").await?;
        ensure!(
            response.status() == 200,
            "handshake answered {} {:?}, expected 200",
            response.status(),
            response.text()
        );
        Open::parse(&response.text()).map_err(Failure::Failed)
    }

    /// A fresh polling handshake still succeeds (the server survived what the check did).
    pub async fn still_serving(&self) -> CheckResult {
        self.note("the server must still answer a fresh handshake");
        let open = self
            .handshake()
            .await
            .map_err(|f| Failure::Failed(format!("after that, a fresh handshake failed: {f}")))?;
        expect_open_fields(self.config(), &open, &["websocket"])
    }

    /// Sends an upgrade request for `query`.
    pub async fn websocket(&self, query: &str) -> Result<Opening, Failure> {
        Ok(WebSocket::connect(&self.config.target, query, &self.log).await?)
    }

    /// Opens a WebSocket to `query` that must be accepted (101).
    pub async fn websocket_open(&self, query: &str) -> Result<WebSocket, Failure> {
        match self.websocket(query).await? {
            Opening::Open(ws) => Ok(ws),
            Opening::Refused(r) => fail!(
                "WebSocket upgrade refused with {} {:?}",
                r.status(),
                r.text()
            ),
        }
    }

    /// A WebSocket-only session: upgrade accepted, then the open packet as the first frame.
    pub async fn websocket_session(&self) -> Result<(WebSocket, Open), Failure> {
        let mut ws = self.websocket_open("?EIO=4&transport=websocket").await?;
        match ws.recv(DEFAULT_RESPONSE_TIMEOUT).await? {
            Event::Text(text) => {
                let open = Open::parse(&text).map_err(Failure::Failed)?;
                Ok((ws, open))
            }
            other => fail!("expected the open packet as the first frame, got {other:?}"),
        }
    }

    /// The next Engine.IO packet on `ws` within `limit`, answering server pings (`2`) with pongs
    /// (`3`) on the way.
    pub async fn next_packet(&self, ws: &mut WebSocket, limit: Duration) -> Result<Event, Failure> {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match ws.recv(left).await {
                Ok(Event::Text(t)) if t == "2" => ws.send_text("3").await?,
                Ok(event) => return Ok(event),
                Err(WireError::Timeout(_)) => return Err(WireError::Timeout(limit).into()),
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// Stays on `ws` for `d`, answering pings; anything else arriving fails the check.
    pub async fn idle(&self, ws: &mut WebSocket, d: Duration) -> CheckResult {
        self.note(format!("idle {} ms, answering pings", d.as_millis()));
        let deadline = tokio::time::Instant::now() + d;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            if left.is_zero() {
                return Ok(());
            }
            match ws.recv(left).await {
                Err(WireError::Timeout(_)) => return Ok(()),
                Err(e) => return Err(e.into()),
                Ok(Event::Text(t)) if t == "2" => ws.send_text("3").await?,
                Ok(other) => fail!("while idle, expected only pings, got {other:?}"),
            }
        }
    }

    /// Reads the next packet on `ws` (answering pings) and requires it to be the text `want`.
    pub async fn expect_text(&self, ws: &mut WebSocket, want: &str) -> CheckResult {
        match self.next_packet(ws, DEFAULT_RESPONSE_TIMEOUT).await? {
            Event::Text(t) if t == want => Ok(()),
            other => fail!("expected text frame {want:?}, got {other:?}"),
        }
    }

    /// One GET for `sid`; pings in it are answered with a POST `3`; the other packets are returned.
    pub async fn poll_packets(&self, sid: &str) -> Result<Vec<String>, Failure> {
        let response = self.poll(sid).await?;
        ensure!(
            response.status() == 200,
            "long-poll GET answered {} {:?}, expected 200",
            response.status(),
            response.text()
        );
        let text = response.text();
        let packets = split_payload(&text);
        if packets.contains(&"2") {
            self.push(sid, "3").await?;
        }
        Ok(packets
            .into_iter()
            .filter(|p| *p != "2")
            .map(str::to_string)
            .collect())
    }

    /// The next non-ping packets for `sid`: GETs until one carries something besides pings
    /// (which are answered with a POST `3` on the way; a busy server may ping at any time).
    pub async fn receive(&self, sid: &str) -> Result<Vec<String>, Failure> {
        let response = self.poll(sid).await?;
        self.receive_after(sid, response).await
    }

    /// At least `n` packets besides pings for `sid`, across GETs (at most five): an echo server
    /// may queue the echoes of one POST's packets one at a time, and a GET that comes in between
    /// carries only the first ones.
    pub async fn receive_n(&self, sid: &str, n: usize) -> Result<Vec<String>, Failure> {
        let mut packets = Vec::new();
        for _ in 0..5 {
            packets.extend(self.receive(sid).await?);
            if packets.len() >= n {
                return Ok(packets);
            }
            self.note(format!(
                "{} of {n} packets so far: GET again for the rest",
                packets.len()
            ));
        }
        fail!("expected {n} packets in five GETs, got {packets:?}")
    }

    /// Like [`Ctx::receive`], starting from the answer to a GET already made (a parked one).
    pub async fn receive_after(
        &self,
        sid: &str,
        mut response: Response,
    ) -> Result<Vec<String>, Failure> {
        for _ in 0..5 {
            ensure!(
                response.status() == 200,
                "long-poll GET answered {} {:?}, expected 200",
                response.status(),
                response.text()
            );
            let text = response.text();
            let packets = split_payload(&text);
            if packets.contains(&"2") {
                self.push(sid, "3").await?;
            }
            let data: Vec<String> = packets
                .into_iter()
                .filter(|p| *p != "2")
                .map(str::to_string)
                .collect();
            if !data.is_empty() {
                return Ok(data);
            }
            response = self.poll(sid).await?;
        }
        fail!("five GETs in a row carried nothing but pings")
    }

    /// A polling session upgraded to WebSocket: handshake, `2probe` -> `3probe`, the parked GET
    /// released, `5`, and one echo over the WebSocket to prove the upgrade is complete.
    pub async fn upgraded_session(&self) -> Result<(WebSocket, String), Failure> {
        let open = self.handshake().await?;
        let sid = open.sid;
        let mut ws = self.websocket_open(&websocket_for(&sid)).await?;
        ws.send_text("2probe").await?;
        self.expect_text(&mut ws, "3probe").await?;
        ws.send_text("5").await?;
        ws.send_text("4upgraded").await?;
        loop {
            match self.next_packet(&mut ws, DEFAULT_RESPONSE_TIMEOUT).await? {
                Event::Text(t) if t == "4upgraded" => break,
                Event::Text(t) if t == "6" => {}
                other => fail!("after the upgrade, expected the echo \"4upgraded\", got {other:?}"),
            }
        }
        Ok((ws, sid))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sids_are_percent_encoded() {
        assert_eq!(polling("a-b_c"), "?EIO=4&transport=polling&sid=a-b_c");
        assert_eq!(
            polling("a+b/c="),
            "?EIO=4&transport=polling&sid=a%2Bb%2Fc%3D"
        );
    }
}
