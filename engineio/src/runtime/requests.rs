//! The requests on an endpoint's path: routing, handshakes, long-polling, WebSocket upgrades.
//! Each runs in its HTTP connection's task and hands the session's part to the session's driver.

use super::driver::Ws;
use super::engine::{After, Engine};
use super::http::{self, RequestHead};
use super::inputs::{DriverInput, WsStream};
use super::ServerConfig;
use crate::proto::http::{encode, HttpError, HttpRequest, HttpResponse};
use crate::proto::websocket_handshake;
use crate::proto::{route, Input, PollReply, RequestError, Route, Session, Transport};
use crate::runtime::cors::CorsHeaders;
use bytes::{Bytes, BytesMut};
use std::sync::atomic::Ordering;
use std::time::Instant;
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio_tungstenite::tungstenite::protocol::Role;

impl Engine {
    /// Handles one request on this endpoint's path.
    pub(crate) async fn handle(
        &self,
        head: RequestHead,
        mut stream: TcpStream,
        mut buf: BytesMut,
        server: &ServerConfig,
    ) -> After {
        let config = &self.inner.config;
        let parts = head.head();
        let keep_alive = parts.keep_alive();
        let origin = parts.origin();
        let cors = config.cors.response_headers(origin.as_deref());
        let wants_ws = parts.wants_websocket();
        let method = parts.method();
        // The session's mailbox, taken with the same lookup that routes the request.
        let mut mailbox = None;
        let routed = route(method, parts.query(), wants_ws, &config.protocol, |sid| {
            let (inputs, transport) = (self.inner.sessions)
                .with(sid, |entry| (entry.inputs.clone(), entry.transport.get()))?;
            mailbox = Some(inputs);
            transport
        });
        // A request whose body we do not read cannot keep the connection.
        let unread_body = !matches!(routed, Ok(Route::PollPost { .. }))
            && parts.content_length().map_or(true, |n| n > 0);
        let head_only = method == "HEAD";
        let handshake = matches!(routed, Ok(Route::Handshake(_)));
        // The request with every header, for the routes and hooks that read them: built once
        // (it copies every header), and never for a poll without hooks.
        let needs_request = handshake
            || matches!(routed, Ok(Route::Preflight | Route::WebSocket { .. }))
            || self.has_header_hooks(handshake);
        let mut req = needs_request.then(|| head.request());
        let extra = self.extra_headers(req.as_ref(), handshake);
        let mut take_request = || req.take().unwrap_or_else(|| head.request());
        let respond = |stream: TcpStream, buf: BytesMut, reply: Reply, keep: bool| {
            let keep = keep && keep_alive;
            let headers = reply.headers(&cors);
            let bytes = if extra.is_empty() {
                encode(
                    reply.status,
                    headers.as_slice(),
                    &reply.body,
                    keep,
                    head_only,
                )
            } else {
                let all: Vec<(&str, &str)> = (headers.as_slice().iter().copied())
                    .chain(extra.iter().map(|(n, v)| (n.as_str(), v.as_str())))
                    .collect();
                encode(reply.status, &all, &reply.body, keep, head_only)
            };
            finish(stream, buf, bytes, keep)
        };
        let route = match routed {
            Ok(route) => route,
            Err(e) => return respond(stream, buf, error_response(e), !unread_body).await,
        };
        if self.inner.closing.load(Ordering::SeqCst) {
            return respond(stream, buf, Reply::text(503, "shutting down"), false).await;
        }
        match route {
            Route::Preflight => {
                let mut response = HttpResponse::new(204);
                response.headers = config.cors.preflight_headers(&take_request());
                response.headers.extend(extra.iter().cloned());
                let keep = !unread_body && keep_alive;
                let bytes = encode(
                    response.status,
                    &response.headers,
                    &response.body,
                    keep,
                    head_only,
                );
                finish(stream, buf, bytes, keep).await
            }
            Route::Handshake(Transport::Polling) => {
                let req = take_request();
                if !self.allowed(&req).await {
                    return respond(
                        stream,
                        buf,
                        error_response(RequestError::Forbidden),
                        !unread_body,
                    )
                    .await;
                }
                let id = self.next_id();
                let sid = self.inner.sids.next_sid();
                let mut session =
                    Session::new_polling(Instant::now(), sid, config.protocol.clone(), id);
                let first = match session.poll_output() {
                    Some(crate::proto::Output::Reply { reply, .. }) => reply,
                    _ => PollReply::Error(RequestError::BadRequest),
                };
                if !self.open(session, req, Transport::Polling, None).await {
                    return respond(stream, buf, Reply::text(503, "shutting down"), false).await;
                }
                respond(stream, buf, reply_response(first), !unread_body).await
            }
            Route::Handshake(Transport::WebSocket) => {
                let req = take_request();
                if !self.allowed(&req).await {
                    return respond(stream, buf, error_response(RequestError::Forbidden), false)
                        .await;
                }
                let id = self.next_id();
                let sid = self.inner.sids.next_sid();
                let mut session =
                    Session::new_websocket(Instant::now(), sid, config.protocol.clone(), id);
                // The open packet goes out with the 101: one write, not two, made by the
                // session's driver once the session is in the table (a request that the client
                // sends on reading the open packet always finds it).
                let open = session.take_open_frame();
                let Some(response) = self
                    .upgrade_response(&req, &mut stream, &extra, open.as_deref())
                    .await
                else {
                    return After::Done;
                };
                let ws_stream = self.websocket(stream, buf).await;
                let ws = Ws::with_output(id, Box::new(ws_stream), response);
                self.open(session, req, Transport::WebSocket, Some(ws))
                    .await;
                After::Done
            }
            Route::WebSocket { sid } => {
                let req = take_request();
                let Some(inputs) = self.entry(&sid) else {
                    return respond(stream, buf, error_response(RequestError::UnknownSid), false)
                        .await;
                };
                let Some(response) = self.upgrade_response(&req, &mut stream, &extra, None).await
                else {
                    return After::Done;
                };
                if http::write_all(&mut stream, &response).await.is_err() {
                    return After::Done;
                }
                let ws_stream = self.websocket(stream, buf).await;
                let id = self.next_id();
                let _ = inputs
                    .send(DriverInput::WebSocket {
                        id,
                        stream: Box::new(ws_stream),
                    })
                    .await;
                After::Done
            }
            Route::PollGet { .. } => {
                // Always there: routing to a poll found the session. A session that ended since
                // refuses the send below.
                let Some(inputs) = mailbox else {
                    return respond(
                        stream,
                        buf,
                        error_response(RequestError::UnknownSid),
                        !unread_body,
                    )
                    .await;
                };
                let id = self.next_id();
                let (tx, rx) = oneshot::channel();
                if inputs
                    .send(DriverInput::Poll {
                        input: Input::PollGet(id),
                        reply: Some(tx),
                    })
                    .await
                    .is_err()
                {
                    return respond(
                        stream,
                        buf,
                        error_response(RequestError::UnknownSid),
                        !unread_body,
                    )
                    .await;
                }
                match wait_parked(&mut stream, &mut buf, rx, server.max_head_bytes).await {
                    Some(reply) => respond(stream, buf, reply_response(reply), !unread_body).await,
                    None => {
                        let _ = inputs
                            .send(DriverInput::Poll {
                                input: Input::RequestAborted(id),
                                reply: None,
                            })
                            .await;
                        After::Done
                    }
                }
            }
            Route::PollPost { .. } => {
                let length = match parts.content_length() {
                    Ok(n) => n,
                    Err(e) => return respond(stream, buf, http_error_response(&e), false).await,
                };
                let Some(inputs) = mailbox else {
                    return respond(stream, buf, error_response(RequestError::UnknownSid), false)
                        .await;
                };
                let id = self.next_id();
                let (tx, rx) = oneshot::channel();
                let poll = |input| DriverInput::Poll { input, reply: None };
                if inputs
                    .send(DriverInput::Poll {
                        input: Input::PostStarted(id),
                        reply: Some(tx),
                    })
                    .await
                    .is_err()
                {
                    return respond(stream, buf, error_response(RequestError::UnknownSid), false)
                        .await;
                }
                if length > config.protocol.max_payload {
                    let _ = inputs.send(poll(Input::PostTooLarge(id))).await;
                    let reply = rx.await.unwrap_or(PollReply::TooLarge);
                    return respond(stream, buf, reply_response(reply), false).await;
                }
                let body = tokio::time::timeout(
                    server.body_timeout,
                    http::read_body(&mut stream, &mut buf, length),
                )
                .await;
                let body = match body {
                    Ok(Ok(body)) => body,
                    Ok(Err(_)) | Err(_) => {
                        let _ = inputs.send(poll(Input::RequestAborted(id))).await;
                        return respond(
                            stream,
                            buf,
                            http_error_response(&HttpError::Timeout),
                            false,
                        )
                        .await;
                    }
                };
                let _ = inputs.send(poll(Input::PostBody(id, body))).await;
                let reply = rx
                    .await
                    .unwrap_or(PollReply::Error(RequestError::UnknownSid));
                respond(stream, buf, reply_response(reply), true).await
            }
        }
    }

    /// Whether the application's check lets a handshake open a session.
    async fn allowed(&self, req: &HttpRequest) -> bool {
        match &self.inner.config.allow_request {
            Some(allow) => allow(req).await,
            None => true,
        }
    }

    /// Whether the application set a hook that adds headers to this response.
    fn has_header_hooks(&self, handshake: bool) -> bool {
        let config = &self.inner.config;
        config.headers.is_some() || (handshake && config.initial_headers.is_some())
    }

    /// The application's headers for this request's response (none unless it set a hook, for
    /// which the caller built `req`).
    fn extra_headers(&self, req: Option<&HttpRequest>, handshake: bool) -> Vec<(String, String)> {
        let config = &self.inner.config;
        let initial = config.initial_headers.as_ref().filter(|_| handshake);
        let Some(req) = req.filter(|_| self.has_header_hooks(handshake)) else {
            return Vec::new();
        };
        let mut headers = Vec::new();
        if let Some(hook) = initial {
            hook(req, &mut headers);
        }
        if let Some(hook) = &config.headers {
            hook(req, &mut headers);
        }
        headers.retain(|(n, v)| websocket_handshake::header_is_safe(n, v));
        headers
    }

    /// Validates a WebSocket upgrade and makes the `101` with the application's `headers`, with
    /// `first_text` as the first frame if given (or writes a `400` and gives up).
    async fn upgrade_response(
        &self,
        req: &HttpRequest,
        stream: &mut TcpStream,
        headers: &[(String, String)],
        first_text: Option<&[u8]>,
    ) -> Option<Vec<u8>> {
        match websocket_handshake::accept(&req.method, |n| req.header(n)) {
            Ok(accept) => Some(websocket_handshake::switching_protocols_with(
                &accept, headers, first_text,
            )),
            Err(e) => {
                let response = HttpResponse::json(400, RequestError::BadRequest.body())
                    .header("X-Upgrade-Error", e.to_string());
                let _ = http::write_response(stream, &response, false).await;
                None
            }
        }
    }

    pub(super) async fn websocket(&self, stream: TcpStream, buf: BytesMut) -> WsStream {
        tokio_tungstenite::WebSocketStream::from_partially_read(
            stream,
            buf.to_vec(),
            Role::Server,
            Some(self.ws_config()),
        )
        .await
    }
}

/// Waits for a parked GET's answer while watching its connection: `None` if the client went away.
async fn wait_parked(
    stream: &mut TcpStream,
    buf: &mut BytesMut,
    mut reply: oneshot::Receiver<PollReply>,
    max_pending: usize,
) -> Option<PollReply> {
    use tokio::io::AsyncReadExt;
    loop {
        tokio::select! {
            answer = &mut reply => return Some(answer.unwrap_or(PollReply::Error(RequestError::UnknownSid))),
            read = stream.read_buf(buf) => match read {
                Ok(n) if n > 0 && buf.len() <= max_pending => {}
                _ => return None,
            },
        }
    }
}

/// Writes a response's bytes; the connection goes on if `keep` and the write succeeded.
async fn finish(mut stream: TcpStream, buf: BytesMut, bytes: Vec<u8>, keep: bool) -> After {
    match http::write_all(&mut stream, &bytes).await {
        Ok(()) if keep => After::KeepAlive(stream, buf),
        _ => After::Done,
    }
}

/// A response on the Engine.IO path (besides the preflight's): status, type and body, sent with
/// the CORS headers. Built without a header list.
struct Reply {
    status: u16,
    content_type: &'static str,
    body: Bytes,
}

impl Reply {
    /// What [`HttpResponse::text`] would be.
    fn text(status: u16, body: impl Into<Bytes>) -> Self {
        Self {
            status,
            content_type: "text/plain; charset=UTF-8",
            body: body.into(),
        }
    }

    /// `Content-Type`, then the CORS headers: at most four, none copied.
    fn headers<'a>(&self, cors: &CorsHeaders<'a>) -> HeaderList<'a> {
        let mut list = HeaderList {
            headers: [("", ""); 4],
            len: 1,
        };
        list.headers[0] = ("Content-Type", self.content_type);
        for (slot, header) in list.headers[1..].iter_mut().zip(cors.iter()) {
            *slot = header;
            list.len += 1;
        }
        list
    }
}

/// The headers of a [`Reply`], on the stack.
struct HeaderList<'a> {
    headers: [(&'static str, &'a str); 4],
    len: usize,
}

impl<'a> HeaderList<'a> {
    fn as_slice(&self) -> &[(&'static str, &'a str)] {
        self.headers.get(..self.len).unwrap_or_default()
    }
}

fn error_response(e: RequestError) -> Reply {
    Reply {
        status: e.status(),
        content_type: "application/json",
        body: e.body().into(),
    }
}

fn http_error_response(e: &HttpError) -> Reply {
    Reply::text(e.status(), e.to_string())
}

fn reply_response(reply: PollReply) -> Reply {
    match reply {
        PollReply::Payload(body) => Reply::text(200, body),
        PollReply::Ok => Reply {
            status: 200,
            content_type: "text/html",
            body: Bytes::from_static(b"ok"),
        },
        PollReply::Error(e) => error_response(e),
        // An empty body, as Node's engine.io sends (clients read it as is).
        PollReply::TooLarge => Reply::text(413, Bytes::new()),
    }
}
