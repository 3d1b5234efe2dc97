//! An Engine.IO endpoint: its settings, its sessions, and the handling of requests on its path.

use super::app::{AppFactory, NewSession, SessionApp};
use super::cors::{Cors, CorsHeaders};
use super::driver::{Driver, DriverInput, EventSink, TransportCell, Ws, WsStream};
use super::http::{self, RequestHead};
use super::mailbox::{self, mailbox};
use super::sid::SidGenerator;
use super::socket::{Handshake, Socket, SocketHandle};
use super::ServerConfig;
use crate::proto::http::{encode, HttpError, HttpRequest, HttpResponse};
use crate::proto::websocket_handshake;
use crate::proto::{route, Config, Input, PollReply, RequestError, Route, Session, Transport};
use bytes::{Bytes, BytesMut};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot};
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};

/// Decides whether a handshake request may open a session (else `403`, code 4 `Forbidden`); the
/// answer may take a while (Node's `allowRequest` callback), other requests go on meanwhile.
pub type AllowRequest = Arc<
    dyn Fn(&HttpRequest) -> std::pin::Pin<Box<dyn std::future::Future<Output = bool> + Send>>
        + Send
        + Sync,
>;

/// Adds response headers for a request (Node's `initial_headers` and `headers` events): called
/// with the request and the list to append `(name, value)` pairs to. A header whose name is not
/// a token or whose value holds CR or LF is left out.
pub type HeadersHook = Arc<dyn Fn(&HttpRequest, &mut Vec<(String, String)>) + Send + Sync>;

/// Settings of an Engine.IO endpoint.
#[derive(Clone)]
pub struct EngineConfig {
    /// The path it serves, e.g. `/engine.io/` (a request path equal to it, with or without the
    /// trailing slash, is routed here).
    pub path: String,
    /// Protocol settings: heartbeat, limits, transports.
    pub protocol: Config,
    /// CORS settings.
    pub cors: Cors,
    /// Events buffered for an application that does not read them (then the session waits).
    pub event_buffer: usize,
    /// Messages the application may queue per session before [`SocketHandle::send`] says `Full`.
    pub command_buffer: usize,
    /// Read buffer of each WebSocket, in bytes: the most read from the socket at once, kept for
    /// the connection's life. Default 1 KiB: most Socket.IO messages are small and most
    /// connections idle (tungstenite's default of 128 KiB is far too much for many of them); a
    /// larger frame still arrives whole (the buffer grows for it), in more reads. Raise it for
    /// large payloads.
    pub ws_read_buffer: usize,
    /// Handshakes accepted but not yet taken with [`Engine::accept`].
    pub accept_backlog: usize,
    /// An optional check of each handshake request.
    pub allow_request: Option<AllowRequest>,
    /// Headers added to the response of each handshake, polling or WebSocket (e.g. a
    /// `Set-Cookie` for a load balancer's sticky sessions).
    pub initial_headers: Option<HeadersHook>,
    /// Headers added to every response on the path, the handshake's included.
    pub headers: Option<HeadersHook>,
}

impl std::fmt::Debug for EngineConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EngineConfig")
            .field("path", &self.path)
            .field("protocol", &self.protocol)
            .field("cors", &self.cors)
            .finish_non_exhaustive()
    }
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            path: "/engine.io/".to_owned(),
            protocol: Config::default(),
            cors: Cors::default(),
            event_buffer: 64,
            command_buffer: 256,
            ws_read_buffer: 1024,
            accept_backlog: 1024,
            allow_request: None,
            initial_headers: None,
            headers: None,
        }
    }
}

impl EngineConfig {
    /// Sets the path.
    pub fn path(mut self, path: impl Into<String>) -> Self {
        self.path = path.into();
        self
    }

    /// Sets the ping interval.
    pub fn ping_interval(mut self, d: Duration) -> Self {
        self.protocol.ping_interval = d;
        self
    }

    /// Sets the ping timeout.
    pub fn ping_timeout(mut self, d: Duration) -> Self {
        self.protocol.ping_timeout = d;
        self
    }

    /// Sets the upgrade timeout.
    pub fn upgrade_timeout(mut self, d: Duration) -> Self {
        self.protocol.upgrade_timeout = d;
        self
    }

    /// Sets `maxPayload`.
    pub fn max_payload(mut self, bytes: usize) -> Self {
        self.protocol.max_payload = bytes;
        self
    }

    /// Sets the send budget: the most bytes that may wait for one client (default 4 MiB), and how
    /// long a client may stay at it before it is disconnected with `send buffer full` (default
    /// 10 s). See [`crate::proto::budget`].
    pub fn send_budget(mut self, bytes: usize, grace: Duration) -> Self {
        self.protocol.max_buffered_bytes = bytes;
        self.protocol.send_buffer_grace = grace;
        self
    }

    /// Chooses the allowed transports.
    pub fn transports(mut self, polling: bool, websocket: bool) -> Self {
        self.protocol.allow_polling = polling;
        self.protocol.allow_websocket = websocket;
        self
    }

    /// Sets CORS.
    pub fn cors(mut self, cors: Cors) -> Self {
        self.cors = cors;
        self
    }

    /// Sets the handshake check.
    pub fn allow_request(
        mut self,
        f: impl Fn(&HttpRequest) -> bool + Send + Sync + 'static,
    ) -> Self {
        self.allow_request = Some(Arc::new(move |req| Box::pin(std::future::ready(f(req)))));
        self
    }

    /// Sets a handshake check that answers later: `f` takes what it needs from the request and
    /// returns a future (e.g. a database lookup); the handshake waits for it, other requests do
    /// not.
    pub fn allow_request_async<F, Fut>(mut self, f: F) -> Self
    where
        F: Fn(&HttpRequest) -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = bool> + Send + 'static,
    {
        self.allow_request = Some(Arc::new(move |req| Box::pin(f(req))));
        self
    }

    /// Adds headers to the response of each handshake (Node's `initial_headers` event).
    pub fn initial_headers(
        mut self,
        f: impl Fn(&HttpRequest, &mut Vec<(String, String)>) + Send + Sync + 'static,
    ) -> Self {
        self.initial_headers = Some(Arc::new(f));
        self
    }

    /// Adds headers to every response on the path (Node's `headers` event).
    pub fn headers(
        mut self,
        f: impl Fn(&HttpRequest, &mut Vec<(String, String)>) + Send + Sync + 'static,
    ) -> Self {
        self.headers = Some(Arc::new(f));
        self
    }

    /// The path without its trailing slashes, which [`Engine::matches`] compares with.
    fn base_path(&self) -> &str {
        self.path.trim_end_matches('/')
    }
}

/// Whether a request path is `base` (a path without trailing slashes), with or without one `/`.
fn path_matches(base: &str, path: &str) -> bool {
    path == base || path.strip_prefix(base) == Some("/")
}

struct Entry {
    inputs: mailbox::Sender<DriverInput>,
    transport: Arc<TransportCell>,
}

struct Inner {
    config: EngineConfig,
    /// [`EngineConfig::path`] without its trailing slashes, trimmed once.
    base_path: Box<str>,
    sessions: Mutex<HashMap<Arc<str>, Entry, SidHash>>,
    sids: SidGenerator,
    ids: AtomicU64,
    accept_tx: mpsc::Sender<Socket>,
    accept_rx: tokio::sync::Mutex<mpsc::Receiver<Socket>>,
    /// When set, each session runs its application in its own task instead of being accepted.
    app: OnceLock<AppFactory>,
    closing: AtomicBool,
}

/// An Engine.IO endpoint; cheap to clone. Add it to a [`super::Server`], then take its sessions
/// with [`Engine::accept`].
#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

/// How a request left the connection.
pub(crate) enum After {
    /// Ready for the next request.
    KeepAlive(TcpStream, BytesMut),
    /// The connection is closed or became a WebSocket.
    Done,
}

impl Engine {
    /// A new endpoint.
    pub fn new(config: EngineConfig) -> Self {
        let (accept_tx, accept_rx) = mpsc::channel(config.accept_backlog.max(1));
        Self {
            inner: Arc::new(Inner {
                base_path: config.base_path().into(),
                config,
                sessions: Mutex::new(HashMap::with_hasher(SidHash::new())),
                sids: SidGenerator::new(),
                ids: AtomicU64::new(1),
                accept_tx,
                accept_rx: tokio::sync::Mutex::new(accept_rx),
                app: OnceLock::new(),
                closing: AtomicBool::new(false),
            }),
        }
    }

    /// The endpoint's settings.
    pub fn config(&self) -> &EngineConfig {
        &self.inner.config
    }

    /// Runs an application in each new session's own task (one task per connection, no channel
    /// between the session and the application), instead of handing sessions to
    /// [`Engine::accept`]. Set once, before the first session; returns false if already set.
    pub fn serve_with<F>(&self, factory: F) -> bool
    where
        F: Fn(NewSession) -> Box<dyn SessionApp> + Send + Sync + 'static,
    {
        let factory: AppFactory = Arc::new(factory);
        self.inner.app.set(factory).is_ok()
    }

    /// The next new session; `None` after shutdown.
    pub async fn accept(&self) -> Option<Socket> {
        self.inner.accept_rx.lock().await.recv().await
    }

    /// Whether the request path belongs to this endpoint.
    pub(crate) fn matches(&self, path: &str) -> bool {
        path_matches(&self.inner.base_path, path)
    }

    /// Closes every session and refuses new ones; returns once all sessions ended or `grace` passed.
    pub async fn close(&self, grace: Duration) {
        self.inner.closing.store(true, Ordering::SeqCst);
        let senders: Vec<mailbox::Sender<DriverInput>> = match self.inner.sessions.lock() {
            Ok(mut sessions) => sessions.drain().map(|(_, e)| e.inputs).collect(),
            Err(_) => Vec::new(),
        };
        for sender in &senders {
            let _ = sender.send(DriverInput::Close).await;
        }
        let deadline = tokio::time::Instant::now() + grace;
        for sender in senders {
            let _ = tokio::time::timeout_at(deadline, sender.closed()).await;
        }
    }

    fn next_id(&self) -> u64 {
        self.inner.ids.fetch_add(1, Ordering::Relaxed)
    }

    fn entry(&self, sid: &str) -> Option<mailbox::Sender<DriverInput>> {
        self.inner
            .sessions
            .lock()
            .ok()?
            .get(sid)
            .map(|e| e.inputs.clone())
    }

    fn ws_config(&self) -> WebSocketConfig {
        let max = self.inner.config.protocol.max_payload;
        WebSocketConfig::default()
            .read_buffer_size(self.inner.config.ws_read_buffer)
            // The session's frames are written by the driver itself (one write per drain);
            // tungstenite writes only its pongs and the close frame.
            .write_buffer_size(0)
            .max_message_size(Some(max))
            .max_frame_size(Some(max))
    }

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
            let sessions = self.inner.sessions.lock().ok()?;
            let entry = sessions.get(sid)?;
            mailbox = Some(entry.inputs.clone());
            entry.transport.get()
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

    async fn websocket(&self, stream: TcpStream, buf: BytesMut) -> WsStream {
        tokio_tungstenite::WebSocketStream::from_partially_read(
            stream,
            buf.to_vec(),
            Role::Server,
            Some(self.ws_config()),
        )
        .await
    }

    /// Registers a new session, starts its driver, and hands its socket to the application.
    async fn open(
        &self,
        session: Session,
        req: HttpRequest,
        transport: Transport,
        ws: Option<Ws>,
    ) -> bool {
        let config = &self.inner.config;
        let sid: Arc<str> = Arc::from(session.sid());
        let (inputs_tx, inputs) = mailbox(16);
        let (commands_tx, commands) = mailbox(config.command_buffer);
        let cell = Arc::new(TransportCell::default());
        cell.set(session.transport());
        // The request's own headers and query move into the handshake (no copies).
        let handshake = Arc::new(Handshake {
            headers: req.headers,
            query: req.query,
            remote: req.remote,
            transport,
        });
        let handle =
            SocketHandle::new(sid.clone(), commands_tx, config.protocol.max_buffered_bytes);
        let events = if let Some(factory) = self.inner.app.get() {
            EventSink::App(factory(NewSession {
                handle,
                handshake,
                now: Instant::now(),
            }))
        } else {
            let (events, events_rx) = mpsc::channel(config.event_buffer.max(1));
            let socket = Socket::new(handle, handshake, events_rx);
            if self.inner.accept_tx.send(socket).await.is_err() {
                return false;
            }
            EventSink::Channel(events)
        };
        if let Ok(mut sessions) = self.inner.sessions.lock() {
            sessions.insert(
                sid.clone(),
                Entry {
                    inputs: inputs_tx,
                    transport: cell.clone(),
                },
            );
        }
        let driver = Driver {
            session,
            inputs,
            commands,
            events,
            transport: cell,
            websockets: ws.into_iter().collect(),
            replies: Vec::new(),
            max_buffered: config.protocol.max_buffered_packets,
            release_memory: false,
            _registration: Registration {
                engine: self.clone(),
                sid,
            },
        };
        // The driver's future is the whole task (a block around it would hold the driver twice).
        tokio::spawn(driver.run());
        true
    }
}

/// The hasher of the sessions table: a seeded multiply-xor over 8-byte words (FxHash's step) with
/// a final mix, a fraction of SipHash's cost per request. SipHash's protection is not needed
/// here: the table's keys are sids this server drew at random (15 bytes of /dev/urandom), so a
/// peer cannot choose keys that collide; a lookup with a sid of its choosing walks one probe
/// sequence and inserts nothing.
#[derive(Clone, Debug)]
struct SidHash {
    seed: u64,
}

impl SidHash {
    fn new() -> Self {
        use std::hash::BuildHasher;
        Self {
            seed: std::collections::hash_map::RandomState::new().hash_one(0x5eed_u64),
        }
    }
}

impl std::hash::BuildHasher for SidHash {
    type Hasher = SidHasher;

    fn build_hasher(&self) -> SidHasher {
        SidHasher(self.seed)
    }
}

/// The hasher of [`SidHash`].
struct SidHasher(u64);

impl SidHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
}

impl std::hash::Hasher for SidHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut words = bytes.chunks_exact(8);
        for word in &mut words {
            self.add(u64::from_le_bytes(word.try_into().unwrap_or_default()));
        }
        let rest = words.remainder();
        if !rest.is_empty() {
            let mut last = [0u8; 8];
            last.iter_mut().zip(rest).for_each(|(b, r)| *b = *r);
            // The length in the top byte: "a" and "a\0" differ.
            self.add(u64::from_le_bytes(last) ^ ((rest.len() as u64) << 56));
        }
    }

    fn write_u8(&mut self, byte: u8) {
        self.add(u64::from(byte));
    }

    fn finish(&self) -> u64 {
        // splitmix64's finaliser: hashbrown takes its bucket from the low bits and its tag from
        // the top 7, both must depend on every input bit.
        let mut h = self.0;
        h = (h ^ (h >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        h = (h ^ (h >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        h ^ (h >> 31)
    }
}

/// A session's entry in its engine's table, removed when the session's driver ends.
pub(crate) struct Registration {
    engine: Engine,
    sid: Arc<str>,
}

impl Drop for Registration {
    fn drop(&mut self) {
        if let Ok(mut sessions) = self.engine.inner.sessions.lock() {
            sessions.remove(&self.sid);
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::BuildHasher;

    #[test]
    fn paths_match_with_or_without_one_slash() {
        for path in ["/engine.io/", "/engine.io", "/engine.io//"] {
            let config = EngineConfig::default().path(path);
            let base = config.base_path();
            assert!(path_matches(base, "/engine.io"), "{path}");
            assert!(path_matches(base, "/engine.io/"), "{path}");
            assert!(!path_matches(base, "/engine.io//"), "{path}");
            assert!(!path_matches(base, "/engine.iox"), "{path}");
            assert!(!path_matches(base, "/engine"), "{path}");
        }
        let root = EngineConfig::default().path("/");
        assert!(path_matches(root.base_path(), "/"));
        assert!(path_matches(root.base_path(), ""));
        assert!(!path_matches(root.base_path(), "/x"));
    }

    #[test]
    fn sid_hash_spreads_sids_and_finds_them() {
        let hash = SidHash::new();
        let sids = SidGenerator::new();
        let keys: Vec<Arc<str>> = (0..2000).map(|_| Arc::from(sids.next_sid())).collect();
        let hashes: std::collections::HashSet<u64> =
            keys.iter().map(|k| hash.hash_one(&**k)).collect();
        assert_eq!(hashes.len(), keys.len());
        // Both ends of the hash vary (hashbrown's bucket and tag bits).
        let low: std::collections::HashSet<u64> = hashes.iter().map(|h| h & 0x7f).collect();
        let top: std::collections::HashSet<u64> = hashes.iter().map(|h| h >> 57).collect();
        assert_eq!((low.len(), top.len()), (128, 128));
        // Near-identical strings of every length up to 24 differ.
        let mut seen = std::collections::HashSet::new();
        for len in 0..24 {
            for last in [b'a', b'b', 0] {
                let mut s = vec![b'x'; len];
                s.push(last);
                assert!(seen.insert(hash.hash_one(&s[..])), "{s:?}");
            }
        }
        let mut table = HashMap::with_hasher(hash);
        for (i, key) in keys.iter().enumerate() {
            table.insert(key.clone(), i);
        }
        for (i, key) in keys.iter().enumerate() {
            assert_eq!(table.get(&**key), Some(&i));
        }
        assert_eq!(table.get("not a sid"), None);
    }
}
