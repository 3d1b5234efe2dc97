//! The second front door: an endpoint as a tower `Service` over `http::Request`, for an axum or
//! hyper application that serves its own routes. The endpoint decides as on our own listener
//! ([`Engine::exchange`]); this file only turns hyper's requests, bodies and upgrades into that
//! and back.

use super::engine::Engine;
use super::exchange::{ParkedGet, PendingPost, Reply, RequestView, Step};
use super::ws_io::WsIo;
use crate::proto::http::{content_length, HttpError, HttpRequest};
use crate::proto::websocket_handshake;
use crate::proto::PollReply;
use bytes::{Buf, Bytes, BytesMut};
use http_body::{Body, Frame, SizeHint};
use std::borrow::Cow;
use std::convert::Infallible;
use std::future::{poll_fn, Future};
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// Finds the client's address in a request's parts (e.g. axum's `ConnectInfo`).
pub type RemoteAddr = Arc<dyn Fn(&http::request::Parts) -> Option<SocketAddr> + Send + Sync>;

/// An Engine.IO endpoint as a tower `Service` (from [`Engine::service`]): mount it in an axum
/// `Router` with `route_service("/socket.io/", service)`, or call it from a hyper service.
/// Long-polling, the WebSocket upgrade (hyper's upgrade mechanism), CORS and every limit behave as
/// on the built-in [`super::Server`]. Cheap to clone.
#[derive(Clone)]
pub struct EngineService {
    engine: Engine,
    remote: RemoteAddr,
    body_timeout: Duration,
}

impl std::fmt::Debug for EngineService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EngineService")
            .field("engine", &self.engine)
            .field("body_timeout", &self.body_timeout)
            .finish_non_exhaustive()
    }
}

impl Engine {
    /// This endpoint as a tower `Service` for another HTTP server (feature `tower`). The
    /// handshake request's extensions (what the application's middleware attached) reach the
    /// session as [`super::Handshake::extensions`]. The client's address is read from a
    /// `SocketAddr` extension unless [`EngineService::remote_addr`] says where.
    pub fn service(&self) -> EngineService {
        EngineService {
            engine: self.clone(),
            remote: Arc::new(|parts| parts.extensions.get::<SocketAddr>().copied()),
            body_timeout: Duration::from_secs(30),
        }
    }
}

impl EngineService {
    /// Where the client's address is: with axum's
    /// `into_make_service_with_connect_info::<SocketAddr>()`,
    /// `|parts| parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0)`. Without one the
    /// address is `0.0.0.0:0`.
    pub fn remote_addr<F>(mut self, f: F) -> Self
    where
        F: Fn(&http::request::Parts) -> Option<SocketAddr> + Send + Sync + 'static,
    {
        self.remote = Arc::new(f);
        self
    }

    /// How long a client may take to send a POST body. Default 30 s.
    pub fn body_timeout(mut self, timeout: Duration) -> Self {
        self.body_timeout = timeout;
        self
    }

    /// Serves one request.
    async fn serve<B>(self, mut req: http::Request<B>) -> http::Response<EngineBody>
    where
        B: Body + Send + Unpin + 'static,
        B::Data: Send,
    {
        // Taken before the request is split: the upgrade travels in its extensions, where hyper
        // puts it only for a request it can upgrade (HTTP/1.1, a connection served with upgrades).
        let upgrade = (req.extensions().get::<hyper::upgrade::OnUpgrade>())
            .is_some()
            .then(|| hyper::upgrade::on(&mut req));
        let (parts, mut body) = req.into_parts();
        let remote = (self.remote)(&parts).unwrap_or_else(|| SocketAddr::from(([0, 0, 0, 0], 0)));
        let view = HyperRequest {
            parts: &parts,
            remote,
        };
        let engine = &self.engine;
        let (exchange, step) = engine.exchange(&view, false).await;
        let respond = |reply: Reply| {
            exchange.with_headers(&reply, |headers| {
                response(reply.status, headers, reply.body.clone())
            })
        };
        match step {
            Step::Answer(reply, _) => respond(reply),
            Step::NewWebSocket(new) => {
                let Some(upgrade) = upgrade else {
                    return respond(cannot_upgrade());
                };
                let response = switching_protocols(&new.accept, exchange.upgrade_headers());
                let engine = engine.clone();
                tokio::spawn(async move {
                    if let Ok(io) = upgrade.await {
                        let (io, read) = upgraded(io);
                        let ws = engine.websocket(io, read);
                        let first = new.open_frame();
                        new.start(ws, first).await;
                    }
                });
                response
            }
            Step::Upgrade(attach) => {
                let Some(upgrade) = upgrade else {
                    return respond(cannot_upgrade());
                };
                let response = switching_protocols(&attach.accept, exchange.upgrade_headers());
                let engine = engine.clone();
                tokio::spawn(async move {
                    if let Ok(io) = upgrade.await {
                        let (io, read) = upgraded(io);
                        let ws = engine.websocket(io, read);
                        attach.attach(ws).await;
                    }
                });
                response
            }
            Step::PollGet(get) => {
                // hyper drops this future when the client goes away: the guard then tells the
                // session, as our own listener does when it sees the connection close.
                let mut guard = AbortOnDrop(Some(get));
                let reply = match guard.0.as_mut() {
                    Some(get) => (&mut get.reply).await,
                    None => Ok(PollReply::Error(crate::proto::RequestError::UnknownSid)),
                };
                guard.0 = None;
                let reply =
                    reply.unwrap_or(PollReply::Error(crate::proto::RequestError::UnknownSid));
                respond(Reply::poll(reply))
            }
            Step::PollPost(post) => {
                let max = post.max;
                // hyper drops this future when the request goes away (an aborted stream, a
                // timeout layer): the guard then tells the session, which would otherwise wait
                // for this POST's body and refuse the client's next one.
                let mut guard = PostGuard(Some(post));
                let read = tokio::time::timeout(self.body_timeout, read_body(&mut body, max)).await;
                let Some(post) = guard.0.take() else {
                    return respond(Reply::http_error(&HttpError::Timeout));
                };
                let reply = match read {
                    Ok(Ok(body)) => post.body(body).await,
                    Ok(Err(BodyError::TooLarge)) => post.too_large().await,
                    Ok(Err(BodyError::Failed)) | Err(_) => post.failed().await,
                };
                respond(reply)
            }
        }
    }
}

impl<B> tower_service::Service<http::Request<B>> for EngineService
where
    B: Body + Send + Unpin + 'static,
    B::Data: Send,
{
    type Response = http::Response<EngineBody>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: http::Request<B>) -> Self::Future {
        let this = self.clone();
        Box::pin(async move { Ok(this.serve(req).await) })
    }
}

/// Tells the session that a parked GET's client went away, if dropped before the answer came.
struct AbortOnDrop(Option<ParkedGet>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        if let Some(get) = self.0.take() {
            get.abort_now();
        }
    }
}

/// Tells the session that a POST's client went away, if dropped while its body came.
struct PostGuard(Option<PendingPost>);

impl Drop for PostGuard {
    fn drop(&mut self) {
        if let Some(post) = self.0.take() {
            post.abort_now();
        }
    }
}

/// The answer to a WebSocket request that hyper cannot upgrade (HTTP/1.0 or HTTP/2, or a
/// connection served without upgrades).
fn cannot_upgrade() -> Reply {
    Reply::upgrade_refused(
        "this connection cannot be upgraded (HTTP/1.1 with upgrades only)".into(),
    )
}

/// A request from hyper, as the endpoint reads it: its parts read in place (a poll copies no
/// header); the whole request is built only for the routes and hooks that need it.
struct HyperRequest<'p> {
    parts: &'p http::request::Parts,
    remote: SocketAddr,
}

impl HyperRequest<'_> {
    /// A header's values joined with `, ` (borrowed when there is one), as
    /// [`HttpRequest::header`] reads them.
    fn header(&self, name: &str) -> Option<Cow<'_, str>> {
        let mut values = (self.parts.headers.get_all(name).iter()).filter_map(|v| v.to_str().ok());
        let first = values.next()?.trim();
        match values.next() {
            None => Some(Cow::Borrowed(first)),
            Some(second) => {
                let mut joined = format!("{first}, {}", second.trim());
                for v in values {
                    joined.push_str(", ");
                    joined.push_str(v.trim());
                }
                Some(Cow::Owned(joined))
            }
        }
    }
}

impl RequestView for HyperRequest<'_> {
    fn method(&self) -> &str {
        self.parts.method.as_str()
    }

    fn query(&self) -> &str {
        self.parts.uri.query().unwrap_or_default()
    }

    fn wants_websocket(&self) -> bool {
        websocket_handshake::wants_websocket(|n| self.header(n).map(Cow::into_owned))
    }

    fn origin(&self) -> Option<Cow<'_, str>> {
        self.header("origin")
    }

    fn content_length(&self) -> Result<usize, HttpError> {
        let headers = &self.parts.headers;
        let values = (headers.get_all(http::header::CONTENT_LENGTH).iter())
            .map(|v| v.to_str().map(str::trim).unwrap_or("?"));
        content_length(
            headers.contains_key(http::header::TRANSFER_ENCODING),
            values,
        )
    }

    fn keep_alive(&self) -> bool {
        // hyper keeps or closes its connections itself.
        true
    }

    fn request(&self) -> HttpRequest {
        HttpRequest::from_http(self.parts, self.remote)
    }
}

fn response(status: u16, headers: &[(&str, &str)], body: Bytes) -> http::Response<EngineBody> {
    let length = body.len();
    let mut response = http::Response::new(EngineBody(Some(body)));
    *response.status_mut() =
        http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
    let map = response.headers_mut();
    for (name, value) in headers {
        if let (Some(name), Ok(value)) = (header_name(name), http::HeaderValue::from_str(value)) {
            map.append(name, value);
        }
    }
    map.insert(
        http::header::CONTENT_LENGTH,
        http::HeaderValue::from(length),
    );
    response
}

/// A header name: ours without parsing, an application's parsed.
fn header_name(name: &str) -> Option<http::HeaderName> {
    use http::header;
    Some(match name {
        "Content-Type" => header::CONTENT_TYPE,
        "Access-Control-Allow-Origin" => header::ACCESS_CONTROL_ALLOW_ORIGIN,
        "Access-Control-Allow-Credentials" => header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
        "Vary" => header::VARY,
        other => http::HeaderName::from_bytes(other.as_bytes()).ok()?,
    })
}

/// The `101` with the application's headers; hyper writes it, then hands the connection over.
fn switching_protocols(accept: &str, extra: &[(String, String)]) -> http::Response<EngineBody> {
    let mut response = http::Response::new(EngineBody(None));
    *response.status_mut() = http::StatusCode::SWITCHING_PROTOCOLS;
    let own = websocket_handshake::switching_protocols_headers(accept);
    let theirs = (extra.iter())
        .filter(|(name, value)| websocket_handshake::header_is_safe(name, value))
        .map(|(n, v)| (n.as_str(), v.as_str()));
    let map = response.headers_mut();
    for (name, value) in own.into_iter().chain(theirs) {
        if let (Some(name), Ok(value)) = (header_name(name), http::HeaderValue::from_str(value)) {
            map.append(name, value);
        }
    }
    response
}

/// Why a POST body did not come whole.
enum BodyError {
    /// Longer than the session takes.
    TooLarge,
    /// The client went away, or its body failed.
    Failed,
}

/// Reads a whole body of at most `max` bytes, whatever its length said (HTTP/2 has none).
async fn read_body<B>(body: &mut B, max: usize) -> Result<Bytes, BodyError>
where
    B: Body + Unpin,
{
    let mut out = BytesMut::new();
    loop {
        let frame = poll_fn(|cx| Pin::new(&mut *body).poll_frame(cx)).await;
        match frame {
            None => return Ok(out.freeze()),
            Some(Err(_)) => return Err(BodyError::Failed),
            Some(Ok(frame)) => {
                let Ok(mut data) = frame.into_data() else {
                    continue; // trailers
                };
                if out.len() + data.remaining() > max {
                    return Err(BodyError::TooLarge);
                }
                while data.has_remaining() {
                    let chunk = data.chunk();
                    out.extend_from_slice(chunk);
                    let n = chunk.len();
                    data.advance(n);
                }
            }
        }
    }
}

/// The body of the service's responses: one chunk, or none.
#[derive(Debug, Default)]
pub struct EngineBody(Option<Bytes>);

impl Body for EngineBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        let data = self.get_mut().0.take().filter(|b| !b.is_empty());
        Poll::Ready(data.map(|d| Ok(Frame::data(d))))
    }

    fn is_end_stream(&self) -> bool {
        self.0.as_ref().is_none_or(|b| b.is_empty())
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.0.as_ref().map_or(0, |b| b.len() as u64))
    }
}

/// A connection hyper upgraded, as the WebSocket reads and writes it, with the bytes hyper read
/// past the request. A plain TCP connection served by hyper's own HTTP/1 connection (wrapped in
/// hyper-util's `TokioIo`) is taken out of hyper's wrapping and runs as on the built-in server;
/// any other (hyper-util's auto connection, which `axum::serve` uses, wraps it once more; TLS)
/// stays behind a box.
fn upgraded(io: hyper::upgrade::Upgraded) -> (WsIo, Vec<u8>) {
    type Plain = hyper_util::rt::TokioIo<tokio::net::TcpStream>;
    match io.downcast::<Plain>() {
        Ok(parts) => (WsIo::Tcp(parts.io.into_inner()), parts.read_buf.to_vec()),
        Err(io) => (WsIo::Other(Box::new(Upgraded(io))), Vec::new()),
    }
}

/// hyper's I/O traits on tokio's.
struct Upgraded(hyper::upgrade::Upgraded);

impl AsyncRead for Upgraded {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let unfilled = buf.initialize_unfilled();
        let mut theirs = hyper::rt::ReadBuf::new(unfilled);
        match hyper::rt::Read::poll_read(Pin::new(&mut self.get_mut().0), cx, theirs.unfilled()) {
            Poll::Ready(Ok(())) => {
                let n = theirs.filled().len();
                buf.advance(n);
                Poll::Ready(Ok(()))
            }
            other => other,
        }
    }
}

impl AsyncWrite for Upgraded {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        hyper::rt::Write::poll_write(Pin::new(&mut self.get_mut().0), cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        hyper::rt::Write::poll_flush(Pin::new(&mut self.get_mut().0), cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        hyper::rt::Write::poll_shutdown(Pin::new(&mut self.get_mut().0), cx)
    }
}
