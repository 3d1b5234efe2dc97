//! The Socket.IO conversation helpers checks are written with, on top of the Engine.IO client:
//! each one sends or expects packets, logged to the check's transcript.

use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use super::packet::{nsp_prefix, parse_connect_reply};
use super::Config;
use crate::check::{CheckResult, Failure};
use crate::eio;
use crate::eio::packet::Open;
use crate::http::{WireError, DEFAULT_RESPONSE_TIMEOUT};
use crate::transcript::Transcript;
use crate::ws::{Event, WebSocket};
use crate::{ensure, fail};

/// How long a server has to close a connection after a packet that must close it (see
/// [`eio::ACT_WITHIN`]).
pub const CLOSE_WITHIN: Duration = eio::ACT_WITHIN;

/// How long a check listens to be sure something is NOT answered.
pub const QUIET_FOR: Duration = Duration::from_millis(500);

/// One check's view of the server: the configuration, the Engine.IO client and the transcript.
#[derive(Debug, Clone)]
pub struct Ctx {
    config: Arc<Config>,
    eio: eio::Ctx,
}

/// A WebSocket connected to the main namespace: what `initSocketIOConnection` of the public test
/// suite returns (the CONNECT reply and the `auth` event already read).
#[derive(Debug)]
pub struct Session {
    /// The WebSocket.
    pub ws: WebSocket,
    /// The Engine.IO session id from the open packet.
    pub engine_sid: String,
    /// The main namespace's socket id from the CONNECT reply.
    pub sid: String,
}

/// How a connection behaved while a check listened to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Heard {
    /// The server closed it.
    Closed,
    /// Nothing but pings (and Engine.IO noops) arrived.
    Nothing,
}

impl Ctx {
    /// A context for one check.
    pub fn new(config: Arc<Config>, eio_config: Arc<eio::Config>, log: Transcript) -> Ctx {
        Ctx {
            config,
            eio: eio::Ctx::new(eio_config, log),
        }
    }

    /// The server's expected configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The Engine.IO client underneath (polling requests, raw WebSockets).
    pub fn eio(&self) -> &eio::Ctx {
        &self.eio
    }

    /// Adds a remark to the transcript.
    pub fn note(&self, what: impl AsRef<str>) {
        self.eio.note(what);
    }

    /// An Engine.IO session over WebSocket (the open packet read), no namespace joined yet.
    pub async fn engine_session(&self) -> Result<(WebSocket, Open), Failure> {
        self.eio.websocket_session().await
    }

    /// The next Engine.IO packet within `limit`, or `None` when none came. Server pings are
    /// answered (a failed pong is not an error: the server may be closing), Engine.IO noops (`6`)
    /// are set aside, and so is the close packet `1`: what counts is the close of the WebSocket
    /// that must follow it.
    pub async fn next_within(
        &self,
        ws: &mut WebSocket,
        limit: Duration,
    ) -> Result<Option<Event>, Failure> {
        let deadline = Instant::now() + limit;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match ws.recv(left).await {
                Ok(Event::Text(t)) if t == "2" => {
                    let _ = ws.send_text("3").await;
                }
                Ok(Event::Text(t)) if t == "6" || t == "1" => {}
                Ok(event) => return Ok(Some(event)),
                Err(WireError::Timeout(_)) => return Ok(None),
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// The next Engine.IO packet within `limit` (see [`Ctx::next_within`]); none is a failure.
    pub async fn next_event(&self, ws: &mut WebSocket, limit: Duration) -> Result<Event, Failure> {
        match self.next_within(ws, limit).await? {
            Some(event) => Ok(event),
            None => Err(WireError::Timeout(limit).into()),
        }
    }

    /// The next packet must be the text `want`, byte for byte.
    pub async fn expect_text(&self, ws: &mut WebSocket, want: &str) -> CheckResult {
        match self.next_event(ws, DEFAULT_RESPONSE_TIMEOUT).await? {
            Event::Text(t) if t == want => Ok(()),
            other => fail!("expected {want:?}, got {other:?}"),
        }
    }

    /// The next packet must be a text one; returns it.
    pub async fn next_text(&self, ws: &mut WebSocket) -> Result<String, Failure> {
        match self.next_event(ws, DEFAULT_RESPONSE_TIMEOUT).await? {
            Event::Text(t) => Ok(t),
            other => fail!("expected a text packet, got {other:?}"),
        }
    }

    /// The next packet must be a binary frame carrying exactly `want`.
    pub async fn expect_binary(&self, ws: &mut WebSocket, want: &[u8]) -> CheckResult {
        match self.next_event(ws, DEFAULT_RESPONSE_TIMEOUT).await? {
            Event::Binary(b) if b == want => Ok(()),
            other => fail!("expected the binary attachment {want:?}, got {other:?}"),
        }
    }

    /// The next packet must be a binary frame; returns its bytes.
    pub async fn next_binary(&self, ws: &mut WebSocket) -> Result<Vec<u8>, Failure> {
        match self.next_event(ws, DEFAULT_RESPONSE_TIMEOUT).await? {
            Event::Binary(b) => Ok(b),
            other => fail!("expected a binary attachment, got {other:?}"),
        }
    }

    /// Sends `packet` (a CONNECT for `nsp`, e.g. `40/custom,{"token":"abc"}`) and reads the
    /// CONNECT reply; returns the namespace socket id.
    pub async fn join(
        &self,
        ws: &mut WebSocket,
        packet: &str,
        nsp: &str,
    ) -> Result<String, Failure> {
        ws.send_text(packet).await?;
        let reply = self.next_text(ws).await?;
        parse_connect_reply(&reply, nsp).map_err(Failure::Failed)
    }

    /// The `auth` event a namespace of the conformance server emits on connect:
    /// `42<nsp,>["auth",<payload>]`.
    pub async fn expect_auth(&self, ws: &mut WebSocket, nsp: &str, payload: &str) -> CheckResult {
        let want = format!("42{}[\"auth\",{payload}]", nsp_prefix(nsp));
        self.expect_text(ws, &want).await
    }

    /// Joins `nsp` with `packet` and reads the CONNECT reply and the `auth` event.
    pub async fn join_with_auth(
        &self,
        ws: &mut WebSocket,
        packet: &str,
        nsp: &str,
        payload: &str,
    ) -> Result<String, Failure> {
        let sid = self.join(ws, packet, nsp).await?;
        self.expect_auth(ws, nsp, payload).await?;
        Ok(sid)
    }

    /// A WebSocket session connected to the main namespace (`40`, the reply, `42["auth",{}]`).
    pub async fn session(&self) -> Result<Session, Failure> {
        let (mut ws, open) = self.engine_session().await?;
        let sid = self.join_with_auth(&mut ws, "40", "/", "{}").await?;
        Ok(Session {
            ws,
            engine_sid: open.sid,
            sid,
        })
    }

    /// `42["message",<arg>]` on `/` is answered `42["message-back",<arg>]`.
    pub async fn expect_echo(&self, ws: &mut WebSocket, arg: &str) -> CheckResult {
        ws.send_text(&format!("42[\"message\",{arg}]")).await?;
        self.expect_text(ws, &format!("42[\"message-back\",{arg}]"))
            .await
    }

    /// Listens for up to `d`: the server may close the connection or stay quiet; any other
    /// packet fails the check (`after` says what it answered).
    pub async fn listen(
        &self,
        ws: &mut WebSocket,
        d: Duration,
        after: &str,
    ) -> Result<Heard, Failure> {
        self.note(format!(
            "listen {} ms: only a close or silence may follow",
            d.as_millis()
        ));
        match self.next_within(ws, d).await? {
            None => Ok(Heard::Nothing),
            Some(event) if is_close(&event) => Ok(Heard::Closed),
            Some(other) => fail!("after {after}, expected a close or silence, got {other:?}"),
        }
    }

    /// The server must close the connection within `CLOSE_WITHIN`; pings are answered
    /// meanwhile (so a ping timeout cannot pass for it). Socket.IO DISCONNECT packets and the
    /// Engine.IO close packet may come first; anything else fails the check.
    pub async fn expect_closed(&self, ws: &mut WebSocket, after: &str) -> CheckResult {
        let deadline = Instant::now() + CLOSE_WITHIN;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.next_within(ws, left).await? {
                None => fail!(
                    "after {after}, the connection was still open {} ms later",
                    CLOSE_WITHIN.as_millis()
                ),
                Some(event) if is_close(&event) => return Ok(()),
                Some(Event::Text(t)) if t.starts_with("41") => {}
                Some(other) => fail!(
                    "after {after}, expected the server to close the connection, got {other:?}"
                ),
            }
        }
    }

    /// A fresh connection is still served: WebSocket, `40`, the reply, `auth`, and an echo.
    pub async fn still_serving(&self) -> CheckResult {
        self.note("the server must still serve a fresh connection");
        let fresh = async {
            let mut session = self.session().await?;
            self.expect_echo(&mut session.ws, "\"still here\"").await?;
            let _ = session.ws.close().await;
            Ok::<(), Failure>(())
        };
        fresh
            .await
            .map_err(|f| Failure::Failed(format!("afterwards, a fresh connection failed: {f}")))
    }

    /// Opens a session joined to `/`, sends `frames` and requires the server to close the
    /// connection, then to serve a fresh one.
    pub async fn closes_after(&self, frames: &[Frame<'_>], what: &str) -> CheckResult {
        let mut session = self.session().await?;
        for frame in frames {
            let sent = match frame {
                Frame::Text(t) => session.ws.send_text(t).await,
                Frame::Binary(b) => session.ws.send_binary(b).await,
            };
            if let Err(e) = sent {
                // The server may close on the first bad frame, before the rest is written.
                self.note(format!("the server stopped reading: {e}"));
                break;
            }
        }
        self.expect_closed(&mut session.ws, what).await?;
        self.still_serving().await
    }

    /// A polling handshake; returns the Engine.IO session id.
    pub async fn polling_session(&self) -> Result<String, Failure> {
        Ok(self.eio.handshake().await?.sid)
    }

    /// GETs until `n` packets besides pings have arrived (at most five GETs).
    pub async fn receive_n(&self, sid: &str, n: usize) -> Result<Vec<String>, Failure> {
        self.eio.receive_n(sid, n).await
    }

    /// The polling session `sid` must be closed by now or on the next GETs: a GET answered 400,
    /// or a payload carrying the close packet `1`. Socket.IO packets other than DISCONNECT fail.
    pub async fn expect_polling_closed(&self, sid: &str, after: &str) -> CheckResult {
        for _ in 0..3 {
            let response = self
                .eio
                .request_within(
                    crate::http::Request::new("GET", self.eio.target(&polling(sid))),
                    CLOSE_WITHIN,
                )
                .await?;
            if response.status() == 400 {
                return Ok(());
            }
            ensure!(
                response.status() == 200,
                "after {after}, a GET answered {} {:?}, expected 400 or the close packet",
                response.status(),
                response.text()
            );
            let text = response.text();
            let packets = eio::packet::split_payload(&text);
            if packets.contains(&"1") {
                return Ok(());
            }
            for packet in packets {
                match packet {
                    "2" => {
                        // The session may be closing: a refused pong is no failure.
                        let _ = self.eio.push(sid, "3").await;
                    }
                    "6" => {}
                    p if p.starts_with("41") => {}
                    other => fail!(
                        "after {after}, expected the session to close, got the packet {other:?}"
                    ),
                }
            }
        }
        fail!("after {after}, the polling session was still open after three GETs")
    }
}

/// Whether `event` ends the connection: a close frame or the TCP end.
pub fn is_close(event: &Event) -> bool {
    matches!(event, Event::Close(_) | Event::Ended)
}

/// One frame a check sends.
#[derive(Debug, Clone, Copy)]
pub enum Frame<'a> {
    /// A text frame (an Engine.IO text packet).
    Text(&'a str),
    /// A binary frame (an Engine.IO binary message: a Socket.IO attachment).
    Binary(&'a [u8]),
}

/// The queries of a session's requests: the Engine.IO client's.
pub use crate::eio::{polling, websocket_for};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sids_are_percent_encoded() {
        assert_eq!(websocket_for("a+b"), "?EIO=4&transport=websocket&sid=a%2Bb");
    }
}
