//! A request on an endpoint's path, whichever front door it came through (our own HTTP/1.1
//! connections, or the tower `Service` of another HTTP server): routing, CORS, the application's
//! hooks and the session's part are decided here, once. What is left for the front door is a
//! [`Step`]: bytes to move, and no rule.

use super::driver::Ws;
use super::engine::Engine;
use super::inputs::{DriverInput, PostSlot, WsStream};
use super::mailbox;
use crate::proto::http::{HttpError, HttpRequest};
use crate::proto::websocket_handshake;
use crate::proto::{route, Input, PollReply, RequestError, Route, Session, Transport, WsId};
use bytes::Bytes;
use std::borrow::Cow;
use std::sync::atomic::Ordering;
use std::time::Instant;
use tokio::sync::oneshot;

/// A request as a front door presents it.
pub(crate) trait RequestView {
    /// `GET`, `POST`, ...
    fn method(&self) -> &str;
    /// The query string, without `?`.
    fn query(&self) -> &str;
    /// Whether it asks for a WebSocket (`Upgrade: websocket`).
    fn wants_websocket(&self) -> bool;
    /// The `Origin` header (several joined with `, `).
    fn origin(&self) -> Option<Cow<'_, str>>;
    /// The declared body length.
    fn content_length(&self) -> Result<usize, HttpError>;
    /// Whether the client lets the connection live after the response.
    fn keep_alive(&self) -> bool;
    /// The whole request (built only for the routes and hooks that read it).
    fn request(&self) -> HttpRequest;
}

/// A response on the Engine.IO path, before its headers are written out.
pub(crate) struct Reply {
    pub(crate) status: u16,
    content_type: Option<&'static str>,
    pub(crate) body: Bytes,
    /// Headers of its own: a preflight's CORS headers, an upgrade error's reason.
    own: Vec<(String, String)>,
    /// Whether the ordinary CORS headers and the application's headers go with it.
    decorated: bool,
}

impl Reply {
    /// A plain-text answer.
    pub(crate) fn text(status: u16, body: impl Into<Bytes>) -> Self {
        Self {
            status,
            content_type: Some("text/plain; charset=UTF-8"),
            body: body.into(),
            own: Vec::new(),
            decorated: true,
        }
    }

    /// The answer to a refused request: its status and the protocol's JSON body.
    pub(crate) fn error(e: RequestError) -> Self {
        Self {
            status: e.status(),
            content_type: Some("application/json"),
            body: e.body().into(),
            own: Vec::new(),
            decorated: true,
        }
    }

    /// The answer to a request the HTTP layer refused.
    pub(crate) fn http_error(e: &HttpError) -> Self {
        Self::text(e.status(), e.to_string())
    }

    /// What a session answered a polling request.
    pub(crate) fn poll(reply: PollReply) -> Self {
        match reply {
            PollReply::Payload(body) => Self::text(200, body),
            PollReply::BinaryPayload(body) => Self {
                content_type: Some("application/octet-stream"),
                ..Self::text(200, body)
            },
            PollReply::Ok => Self {
                content_type: Some("text/html"),
                ..Self::text(200, Bytes::from_static(b"ok"))
            },
            PollReply::Error(e) => Self::error(e),
            // An empty body, as Node's engine.io sends (clients read it as is).
            PollReply::TooLarge => Self::text(413, Bytes::new()),
        }
    }

    /// A `400` for an invalid WebSocket upgrade, its reason in `X-Upgrade-Error`.
    fn bad_upgrade(e: websocket_handshake::UpgradeError) -> Self {
        Self::upgrade_refused(e.to_string())
    }

    /// A `400` for a WebSocket upgrade that cannot be carried out, its reason in
    /// `X-Upgrade-Error`.
    pub(crate) fn upgrade_refused(reason: String) -> Self {
        Self {
            own: vec![("X-Upgrade-Error".to_owned(), reason)],
            decorated: false,
            ..Self::error(RequestError::BadRequest)
        }
    }
}

/// What is left for the front door once the endpoint decided.
pub(crate) enum Step {
    /// Send this answer; the connection may be kept if `keep`.
    Answer(Reply, bool),
    /// Answer `101` and start a new session on the WebSocket ([`NewWebSocket::start`]).
    NewWebSocket(Box<NewWebSocket>),
    /// Answer `101` and hand the WebSocket to an existing session ([`Upgrade::attach`]).
    Upgrade(Upgrade),
    /// Wait for the session's answer to a long-polling GET ([`ParkedGet`]).
    PollGet(ParkedGet),
    /// Read the body of a POST and hand it to the session ([`PendingPost`]).
    PollPost(PendingPost),
}

/// The part of a request every answer on it shares: its CORS origin and the application's
/// headers.
pub(crate) struct Exchange<'a> {
    engine: &'a Engine,
    origin: Option<Cow<'a, str>>,
    extra: Vec<(String, String)>,
    keep_alive: bool,
}

impl Exchange<'_> {
    /// Calls `f` with the headers of `reply`: `Content-Type`, the CORS headers, its own, the
    /// application's. Without headers of its own or the application's (most replies), the list is
    /// on the stack and nothing is copied.
    pub(crate) fn with_headers<R>(&self, reply: &Reply, f: impl FnOnce(&[(&str, &str)]) -> R) -> R {
        let cors = (self.engine.inner.config.cors).response_headers(self.origin.as_deref());
        let cors = cors.iter().filter(|_| reply.decorated);
        let extra = self.extra.iter().filter(|_| reply.decorated);
        let content_type = reply.content_type.map(|t| ("Content-Type", t));
        if reply.own.is_empty() && (self.extra.is_empty() || !reply.decorated) {
            let mut list = [("", ""); 4];
            let mut len = 0;
            for (slot, header) in list.iter_mut().zip(content_type.into_iter().chain(cors)) {
                *slot = header;
                len += 1;
            }
            return f(list.get(..len).unwrap_or_default());
        }
        let own = reply.own.iter().map(|(n, v)| (n.as_str(), v.as_str()));
        let extra = extra.map(|(n, v)| (n.as_str(), v.as_str()));
        let all: Vec<(&str, &str)> = (content_type.into_iter().chain(cors))
            .map(|(n, v)| -> (&str, &str) { (n, v) })
            .chain(own)
            .chain(extra)
            .collect();
        f(&all)
    }

    /// The application's headers for a `101`.
    pub(crate) fn upgrade_headers(&self) -> &[(String, String)] {
        &self.extra
    }

    /// Whether the client allows keeping the connection after the answer.
    pub(crate) fn keep_alive(&self) -> bool {
        self.keep_alive
    }
}

/// A new session on a WebSocket, waiting for its `101` to be sent.
pub(crate) struct NewWebSocket {
    engine: Engine,
    session: Session,
    req: HttpRequest,
    id: WsId,
    /// `Sec-WebSocket-Accept`.
    pub(crate) accept: String,
    /// The open packet, the connection's first frame.
    open: Option<Bytes>,
}

impl NewWebSocket {
    /// The `101` with the open packet as its first frame: one write (for a front door that
    /// writes the response itself).
    pub(crate) fn response_with_open(&self, headers: &[(String, String)]) -> Vec<u8> {
        websocket_handshake::switching_protocols_with(&self.accept, headers, self.open.as_deref())
    }

    /// The open packet as a frame (for a front door whose server wrote the `101`).
    #[cfg(feature = "tower")]
    pub(crate) fn open_frame(&self) -> Vec<u8> {
        use crate::proto::websocket_frame::{write_frame, Opcode};
        let mut out = Vec::new();
        if let Some(open) = &self.open {
            write_frame(&mut out, Opcode::Text, None, open);
        }
        out
    }

    /// Starts the session on `stream`, whose driver first writes `first` (what is left of the
    /// handshake: [`Self::response_with_open`] or `open_frame`, with the `tower` feature).
    pub(crate) async fn start(self, stream: WsStream, first: Vec<u8>) {
        let ws = Ws::with_output(self.id, stream, first);
        (self.engine)
            .open(self.session, self.req, Transport::WebSocket, Some(ws))
            .await;
    }
}

/// A WebSocket for an existing session, waiting for its `101` to be sent.
pub(crate) struct Upgrade {
    engine: Engine,
    inputs: mailbox::Sender<DriverInput>,
    /// `Sec-WebSocket-Accept`.
    pub(crate) accept: String,
}

impl Upgrade {
    /// The `101`.
    pub(crate) fn response(&self, headers: &[(String, String)]) -> Vec<u8> {
        websocket_handshake::switching_protocols_with(&self.accept, headers, None)
    }

    /// Hands the WebSocket to the session.
    pub(crate) async fn attach(self, stream: WsStream) {
        let id = self.engine.next_id();
        let _ = (self.inputs)
            .send(DriverInput::WebSocket {
                id,
                stream: Box::new(stream),
            })
            .await;
    }
}

/// A long-polling GET the session holds until it has something to send.
pub(crate) struct ParkedGet {
    inputs: mailbox::Sender<DriverInput>,
    id: u64,
    /// The session's answer.
    pub(crate) reply: oneshot::Receiver<PollReply>,
}

impl ParkedGet {
    /// The client went away: the session forgets the request.
    pub(crate) async fn abort(self) {
        let _ = self.inputs.send(abort(self.id, None)).await;
    }

    /// [`Self::abort`] from a place that cannot wait (a dropped request): queued if there is
    /// room, else sent from a task of its own.
    #[cfg(feature = "tower")]
    pub(crate) fn abort_now(self) {
        abort_now(self.inputs, self.id, None);
    }
}

/// Tells the session, from a place that cannot wait, that request `id` went away: queued if
/// there is room, else sent from a task of its own (none outside a runtime: the session then
/// finds out at its next request or heartbeat). A POST's `slot` goes with the abort.
#[cfg(feature = "tower")]
fn abort_now(inputs: mailbox::Sender<DriverInput>, id: u64, slot: Option<PostSlot>) {
    if let Err(super::mailbox::TrySendError::Full(input)) = inputs.try_send(abort(id, slot)) {
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                let _ = inputs.send(input).await;
            });
        }
    }
}

fn abort(id: u64, slot: Option<PostSlot>) -> DriverInput {
    DriverInput::Poll {
        input: Input::RequestAborted(id),
        reply: None,
        slot,
    }
}

/// A POST the session admitted, waiting for its body.
///
/// A POST alone in its session (no other POST between its routing and the session's handling of
/// its last input) does not wait for the session's answer: the session answers such a POST `ok`
/// once it has the body, whatever the body holds (see the session module's docs), so its
/// connection answers as soon as the body is queued, and the session reads it after. A POST
/// beside another one waits, for the session to say which of them overlaps; so does the next POST
/// of a client that did not wait for the session to read the last body (at most one body per
/// session is queued unanswered).
pub(crate) struct PendingPost {
    inputs: mailbox::Sender<DriverInput>,
    id: u64,
    /// The session's answer, for a POST that is not alone.
    reply: Option<oneshot::Receiver<PollReply>>,
    /// Counts the POST as open until the session handled its last input (which carries it).
    slot: Option<PostSlot>,
    /// Whether the session was told of its start (else its body goes with the start, in one
    /// input: a lone POST whose body came with its head).
    started: bool,
    /// The declared length.
    pub(crate) length: usize,
    /// The largest body the session takes (`maxPayload`).
    #[cfg(feature = "tower")]
    pub(crate) max: usize,
}

impl PendingPost {
    /// Hands the body to the session and returns its answer.
    pub(crate) async fn body(mut self, body: Bytes) -> Reply {
        let input = if self.started {
            Input::PostBody(self.id, body)
        } else {
            Input::Post(self.id, body)
        };
        let taken = self.last(input).await;
        Reply::poll(match (self.reply, taken) {
            (Some(reply), _) => reply
                .await
                .unwrap_or(PollReply::Error(RequestError::UnknownSid)),
            (None, true) => PollReply::Ok,
            (None, false) => PollReply::Error(RequestError::UnknownSid),
        })
    }

    /// The body turned out larger than the session takes.
    pub(crate) async fn too_large(mut self) -> Reply {
        self.last(Input::PostTooLarge(self.id)).await;
        let reply = match self.reply {
            Some(reply) => reply.await.ok(),
            None => None,
        };
        Reply::poll(reply.unwrap_or(PollReply::TooLarge))
    }

    /// The client went away while its body came (a dropped request): the session forgets the
    /// POST, as it does when [`Self::failed`] says so.
    #[cfg(feature = "tower")]
    pub(crate) fn abort_now(self) {
        if self.started {
            abort_now(self.inputs, self.id, self.slot);
        }
    }

    /// The body did not come (the client went away, or was too slow).
    pub(crate) async fn failed(mut self) -> Reply {
        if self.started {
            self.last(Input::RequestAborted(self.id)).await;
        }
        Reply::http_error(&HttpError::Timeout)
    }

    /// Queues the POST's last input with its slot (whether the session took it): the POST counts
    /// as open until the session handled it.
    async fn last(&mut self, input: Input) -> bool {
        let last = DriverInput::Poll {
            input,
            reply: None,
            slot: self.slot.take(),
        };
        self.inputs.send(last).await.is_ok()
    }
}

impl Engine {
    /// Decides what to do with a request on this endpoint's path. `body_here` says whether the
    /// request's whole body was read with its head (a POST alone in its session then reaches the
    /// session in one input, with its body).
    pub(crate) async fn exchange<'a, V: RequestView>(
        &'a self,
        view: &'a V,
        body_here: bool,
    ) -> (Exchange<'a>, Step) {
        let config = &self.inner.config;
        let keep_alive = view.keep_alive();
        let wants_ws = view.wants_websocket();
        let method = view.method();
        // The session's mailbox, taken with the same lookup that routes the request (and for a
        // POST, the count of its open POSTs).
        let mut mailbox = None;
        let mut cell = None;
        let routed = route(method, view.query(), wants_ws, &config.protocol, |sid| {
            (self.inner.sessions).with(sid, |entry| {
                mailbox = Some(entry.inputs.clone());
                if method == "POST" {
                    cell = Some(entry.cell.clone());
                }
                entry.cell.get()
            })?
        });
        // A request whose body we do not read cannot keep the connection.
        let unread_body = !matches!(routed, Ok(Route::PollPost { .. }))
            && view.content_length().map_or(true, |n| n > 0);
        let handshake = matches!(routed, Ok(Route::Handshake(..)));
        // The request with every header, for the routes and hooks that read them: built once
        // (it copies every header), and never for a poll without hooks.
        let needs_request = handshake
            || matches!(routed, Ok(Route::Preflight | Route::WebSocket { .. }))
            || self.has_header_hooks(handshake);
        let mut req = needs_request.then(|| view.request());
        let exchange = Exchange {
            engine: self,
            origin: view.origin(),
            extra: self.extra_headers(req.as_ref(), handshake),
            keep_alive,
        };
        let mut take_request = || req.take().unwrap_or_else(|| view.request());
        let answer = |reply, keep: bool| Step::Answer(reply, keep && !unread_body);
        let route = match routed {
            Ok(route) => route,
            Err(e) => return (exchange, answer(Reply::error(e), true)),
        };
        if self.inner.closing.load(Ordering::SeqCst) {
            return (exchange, answer(Reply::text(503, "shutting down"), false));
        }
        let step = match route {
            Route::Preflight => {
                let own = config.cors.preflight_headers(&take_request());
                let reply = Reply {
                    status: 204,
                    content_type: None,
                    body: Bytes::new(),
                    own,
                    decorated: false,
                };
                // The application's headers go with a preflight too.
                let mut reply = reply;
                reply.own.extend(exchange.extra.iter().cloned());
                answer(reply, true)
            }
            Route::Handshake(Transport::Polling, protocol) => {
                let req = take_request();
                if !self.allowed(&req).await {
                    return (
                        exchange,
                        answer(Reply::error(RequestError::Forbidden), true),
                    );
                }
                let id = self.next_id();
                let sid = self.inner.sids.next_sid();
                let mut session =
                    Session::polling(Instant::now(), sid, config.protocol.clone(), protocol, id);
                let first = match session.poll_output() {
                    Some(crate::proto::Output::Reply { reply, .. }) => reply,
                    _ => PollReply::Error(RequestError::BadRequest),
                };
                if !self.open(session, req, Transport::Polling, None).await {
                    return (exchange, answer(Reply::text(503, "shutting down"), false));
                }
                answer(Reply::poll(first), true)
            }
            Route::Handshake(Transport::WebSocket, protocol) => {
                let req = take_request();
                if !self.allowed(&req).await {
                    return (
                        exchange,
                        answer(Reply::error(RequestError::Forbidden), false),
                    );
                }
                let accept = match websocket_handshake::accept(&req.method, |n| req.header(n)) {
                    Ok(accept) => accept,
                    Err(e) => return (exchange, answer(Reply::bad_upgrade(e), false)),
                };
                let id = self.next_id();
                let sid = self.inner.sids.next_sid();
                let mut session =
                    Session::websocket(Instant::now(), sid, config.protocol.clone(), protocol, id);
                // The open packet goes out with the 101 (one write where the front door writes
                // it), by the session's driver once the session is in the table: a request that
                // the client sends on reading the open packet always finds it.
                let open = session.take_open_frame();
                Step::NewWebSocket(Box::new(NewWebSocket {
                    engine: self.clone(),
                    session,
                    req,
                    id,
                    accept,
                    open,
                }))
            }
            Route::WebSocket { sid } => {
                let req = take_request();
                let Some(inputs) = self.entry(&sid) else {
                    return (
                        exchange,
                        answer(Reply::error(RequestError::UnknownSid), false),
                    );
                };
                match websocket_handshake::accept(&req.method, |n| req.header(n)) {
                    Ok(accept) => Step::Upgrade(Upgrade {
                        engine: self.clone(),
                        inputs,
                        accept,
                    }),
                    Err(e) => answer(Reply::bad_upgrade(e), false),
                }
            }
            Route::PollGet { .. } => {
                // Always there: routing to a poll found the session. A session that ended since
                // refuses the send below.
                let Some(inputs) = mailbox else {
                    return (
                        exchange,
                        answer(Reply::error(RequestError::UnknownSid), true),
                    );
                };
                let Some((id, rx)) = self.register(&inputs, Input::PollGet).await else {
                    return (
                        exchange,
                        answer(Reply::error(RequestError::UnknownSid), true),
                    );
                };
                Step::PollGet(ParkedGet {
                    inputs,
                    id,
                    reply: rx,
                })
            }
            Route::PollPost { .. } => {
                let length = match view.content_length() {
                    Ok(n) => n,
                    Err(e) => return (exchange, answer(Reply::http_error(&e), false)),
                };
                let (Some(inputs), Some(cell)) = (mailbox, cell) else {
                    return (
                        exchange,
                        answer(Reply::error(RequestError::UnknownSid), false),
                    );
                };
                let max = config.protocol.max_payload;
                let (slot, alone) = cell.open_post();
                let id = self.next_id();
                // A lone POST whose body is here tells the session of its start with its body.
                let started = !(alone && body_here && length <= max);
                let (tx, reply) = if alone {
                    (None, None)
                } else {
                    let (tx, rx) = oneshot::channel();
                    (Some(tx), Some(rx))
                };
                let start = DriverInput::Poll {
                    input: Input::PostStarted(id),
                    reply: tx,
                    slot: None,
                };
                if started && inputs.send(start).await.is_err() {
                    return (
                        exchange,
                        answer(Reply::error(RequestError::UnknownSid), false),
                    );
                }
                let post = PendingPost {
                    inputs,
                    id,
                    reply,
                    slot: Some(slot),
                    started,
                    length,
                    #[cfg(feature = "tower")]
                    max,
                };
                if length > max {
                    // The body stays unread: the connection cannot be kept.
                    return (exchange, answer(post.too_large().await, false));
                }
                Step::PollPost(post)
            }
        };
        (exchange, step)
    }

    /// Hands a new polling request (`input` of its id) to its session, which answers it on the
    /// returned channel; `None` if the session ended meanwhile.
    async fn register(
        &self,
        inputs: &mailbox::Sender<DriverInput>,
        input: impl FnOnce(u64) -> Input,
    ) -> Option<(u64, oneshot::Receiver<PollReply>)> {
        let id = self.next_id();
        let (tx, rx) = oneshot::channel();
        let poll = DriverInput::Poll {
            input: input(id),
            reply: Some(tx),
            slot: None,
        };
        inputs.send(poll).await.ok()?;
        Some((id, rx))
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

    /// The WebSocket on `io` (with `read`, the bytes already read after the request head).
    pub(crate) fn websocket(&self, io: super::ws_io::WsIo, read: Vec<u8>) -> WsStream {
        let config = &self.inner.config;
        WsStream::new(io, read, config.protocol.max_payload, config.ws_read_buffer)
    }
}
