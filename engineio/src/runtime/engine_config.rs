//! The settings of an Engine.IO endpoint: its path, the protocol's settings, CORS, the buffers
//! and the application's hooks on the HTTP exchange.

use super::cors::Cors;
use crate::proto::http::HttpRequest;
use crate::proto::Config;
use std::sync::Arc;
use std::time::Duration;

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
    /// Messages the application may queue per session before [`super::SocketHandle::send`] says `Full`.
    pub command_buffer: usize,
    /// Read buffer of each WebSocket, in bytes: the most read from the socket at once, kept for
    /// the connection's life. Default 1 KiB: most Socket.IO messages are small and most
    /// connections idle (128 KiB, tungstenite's default, is far too much for many of them); a
    /// larger frame still arrives whole (the buffer grows for it), in more reads. Raise it for
    /// large payloads.
    pub ws_read_buffer: usize,
    /// Handshakes accepted but not yet taken with [`super::Engine::accept`].
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

    /// Lets Engine.IO v3 clients (`EIO=3`, socket.io-client 2.x) connect (Node's `allowEIO3`;
    /// off by default).
    pub fn allow_eio3(mut self, allow: bool) -> Self {
        self.protocol.allow_eio3 = allow;
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

    /// The path without its trailing slashes: the endpoint serves it with or without one `/`
    /// (an application that mounts [`super::Engine`]'s service routes both).
    pub fn base_path(&self) -> &str {
        self.path.trim_end_matches('/')
    }
}

/// Whether a request path is `base` (a path without trailing slashes), with or without one `/`.
pub(crate) fn path_matches(base: &str, path: &[u8]) -> bool {
    path == base.as_bytes() || path.strip_prefix(base.as_bytes()) == Some(b"/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_match_with_or_without_one_slash() {
        for path in ["/engine.io/", "/engine.io", "/engine.io//"] {
            let config = EngineConfig::default().path(path);
            let base = config.base_path();
            assert!(path_matches(base, b"/engine.io"), "{path}");
            assert!(path_matches(base, b"/engine.io/"), "{path}");
            assert!(!path_matches(base, b"/engine.io//"), "{path}");
            assert!(!path_matches(base, b"/engine.iox"), "{path}");
            assert!(!path_matches(base, b"/engine"), "{path}");
        }
        let root = EngineConfig::default().path("/");
        assert!(path_matches(root.base_path(), b"/"));
        assert!(path_matches(root.base_path(), b""));
        assert!(!path_matches(root.base_path(), b"/x"));
    }
}
