//! Our own front door: a request on an endpoint's path, read from one of our HTTP/1.1
//! connections, carried out as the endpoint decided ([`Engine::exchange`]). Each runs in its
//! connection's task and hands the session's part to the session's driver.

use super::engine::{After, Engine};
use super::exchange::{Reply, RequestView, Step};
use super::http::{self, RequestHead};
use super::ws_io::IntoWsIo;
use super::ServerConfig;
use crate::proto::http::{encode, HttpError, HttpRequest};
use crate::proto::{PollReply, RequestError};
use bytes::BytesMut;
use std::borrow::Cow;
use tokio::io::AsyncReadExt;
use tokio::sync::oneshot;

impl RequestView for RequestHead {
    fn method(&self) -> &str {
        self.head().method()
    }

    fn query(&self) -> &str {
        self.head().query()
    }

    fn wants_websocket(&self) -> bool {
        self.head().wants_websocket()
    }

    fn origin(&self) -> Option<Cow<'_, str>> {
        self.head().origin()
    }

    fn content_length(&self) -> Result<usize, HttpError> {
        self.head().content_length()
    }

    fn keep_alive(&self) -> bool {
        self.head().keep_alive()
    }

    fn request(&self) -> HttpRequest {
        RequestHead::request(self)
    }
}

impl Engine {
    /// Handles one request on this endpoint's path.
    pub(crate) async fn handle<S: IntoWsIo>(
        &self,
        head: RequestHead,
        mut stream: S,
        mut buf: BytesMut,
        server: &ServerConfig,
    ) -> After<S> {
        let body_here = (head.head().content_length()).is_ok_and(|n| buf.len() >= n);
        let (exchange, step) = self.exchange(&head, body_here).await;
        let head_only = head.head().method() == "HEAD";
        let respond = |stream: S, buf: BytesMut, reply: Reply, keep: bool| {
            let keep = keep && exchange.keep_alive();
            let bytes = exchange.with_headers(&reply, |headers| {
                encode(reply.status, headers, &reply.body, keep, head_only)
            });
            finish(stream, buf, bytes, keep)
        };
        match step {
            Step::Answer(reply, keep) => respond(stream, buf, reply, keep).await,
            Step::NewWebSocket(new) => {
                // The 101 and the open packet: written by the session's driver, in one write.
                let first = new.response_with_open(exchange.upgrade_headers());
                let ws = self.websocket(stream.into_ws_io(), buf.to_vec());
                new.start(ws, first).await;
                After::Done
            }
            Step::Upgrade(upgrade) => {
                let response = upgrade.response(exchange.upgrade_headers());
                if http::write_all(&mut stream, &response).await.is_err() {
                    return After::Done;
                }
                let ws = self.websocket(stream.into_ws_io(), buf.to_vec());
                upgrade.attach(ws).await;
                After::Done
            }
            Step::PollGet(mut get) => {
                let answer =
                    wait_parked(&mut stream, &mut buf, &mut get.reply, server.max_head_bytes).await;
                match answer {
                    Some(reply) => respond(stream, buf, Reply::poll(reply), true).await,
                    None => {
                        get.abort().await;
                        After::Done
                    }
                }
            }
            // The body came with the head (the usual POST): no read, so no timer to set.
            Step::PollPost(post) if buf.len() >= post.length => {
                let body = buf.split_to(post.length).freeze();
                let reply = post.body(body).await;
                respond(stream, buf, reply, true).await
            }
            Step::PollPost(post) => {
                let body = tokio::time::timeout(
                    server.body_timeout,
                    http::read_body(&mut stream, &mut buf, post.length),
                )
                .await;
                let reply = match body {
                    Ok(Ok(body)) => post.body(body).await,
                    Ok(Err(_)) | Err(_) => {
                        let reply = post.failed().await;
                        return respond(stream, buf, reply, false).await;
                    }
                };
                respond(stream, buf, reply, true).await
            }
        }
    }
}

/// Waits for a parked GET's answer while watching its connection: `None` if the client went away.
async fn wait_parked<S: IntoWsIo>(
    stream: &mut S,
    buf: &mut BytesMut,
    reply: &mut oneshot::Receiver<PollReply>,
    max_pending: usize,
) -> Option<PollReply> {
    loop {
        tokio::select! {
            answer = &mut *reply => return Some(answer.unwrap_or(PollReply::Error(RequestError::UnknownSid))),
            read = stream.read_buf(buf) => match read {
                Ok(n) if n > 0 && buf.len() <= max_pending => {}
                _ => return None,
            },
        }
    }
}

/// Writes a response's bytes; the connection goes on if `keep` and the write succeeded.
async fn finish<S: IntoWsIo>(mut stream: S, buf: BytesMut, bytes: Vec<u8>, keep: bool) -> After<S> {
    match http::write_all(&mut stream, &bytes).await {
        Ok(()) if keep => After::KeepAlive(stream, buf),
        _ => After::Done,
    }
}
