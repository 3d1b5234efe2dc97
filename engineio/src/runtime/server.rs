//! The TCP listener and HTTP/1.1 connections: routes each request to an [`Engine`] or the fallback.

use super::engine::{After, Engine};
use super::http::{self, ReadError};
use super::wake_flag::{when_flagged, WakeFlag};
use super::ws_io::IntoWsIo;
use crate::proto::http::{HttpError, HttpRequest, HttpResponse};
use bytes::BytesMut;
use std::future::{poll_fn, Future};
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;
use tokio::net::{TcpListener, TcpSocket};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// Answers requests outside every Engine.IO path (a page, a login route...). The default answers 404.
pub type Fallback =
    Arc<dyn Fn(HttpRequest) -> Pin<Box<dyn Future<Output = HttpResponse> + Send>> + Send + Sync>;

/// HTTP settings of a server.
#[derive(Clone, Debug)]
pub struct ServerConfig {
    /// How long a client may take to send a request head (also the keep-alive idle time). Default 10 s.
    pub header_timeout: Duration,
    /// How long a client may take to send a request body. Default 30 s.
    pub body_timeout: Duration,
    /// Largest request head in bytes. Default 16 KiB.
    pub max_head_bytes: usize,
    /// Largest body handed to the fallback. Default 1 MiB.
    pub max_fallback_body: usize,
    /// Listen backlog. Default 1024.
    pub backlog: u32,
    /// How long a shutdown waits for sessions to close. Default 5 s.
    pub shutdown_grace: Duration,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            max_head_bytes: 16 * 1024,
            max_fallback_body: 1 << 20,
            backlog: 1024,
            shutdown_grace: Duration::from_secs(5),
        }
    }
}

struct Shared {
    engines: Vec<Engine>,
    fallback: Fallback,
    config: ServerConfig,
    #[cfg(feature = "tls")]
    tls: Option<super::TlsConfig>,
}

/// A server being configured: a bound listener, its engines and fallback.
pub struct Server {
    addr: SocketAddr,
    engines: Vec<Engine>,
    fallback: Fallback,
    config: ServerConfig,
    #[cfg(feature = "tls")]
    tls: Option<super::TlsConfig>,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("addr", &self.addr)
            .field("engines", &self.engines)
            .finish_non_exhaustive()
    }
}

impl Server {
    /// A server for `addr` (port 0 picks a free port when started).
    pub fn new(addr: SocketAddr) -> Self {
        Self {
            addr,
            engines: Vec::new(),
            fallback: Arc::new(|_| Box::pin(async { HttpResponse::not_found() })),
            config: ServerConfig::default(),
            #[cfg(feature = "tls")]
            tls: None,
        }
    }

    /// Serves an Engine.IO endpoint on its path.
    pub fn engine(mut self, engine: Engine) -> Self {
        self.engines.push(engine);
        self
    }

    /// Answers requests outside the Engine.IO paths.
    pub fn fallback<F, Fut>(mut self, f: F) -> Self
    where
        F: Fn(HttpRequest) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = HttpResponse> + Send + 'static,
    {
        self.fallback = Arc::new(move |req| Box::pin(f(req)));
        self
    }

    /// Sets the HTTP settings.
    pub fn config(mut self, config: ServerConfig) -> Self {
        self.config = config;
        self
    }

    /// Serves `https://` and `wss://` only (feature `tls`): every connection starts with a TLS
    /// handshake, which must end within [`ServerConfig::header_timeout`].
    #[cfg(feature = "tls")]
    pub fn tls(mut self, tls: super::TlsConfig) -> Self {
        self.tls = Some(tls);
        self
    }

    /// Binds the listener and starts accepting connections.
    pub async fn start(self) -> std::io::Result<RunningServer> {
        let socket = if self.addr.is_ipv4() {
            TcpSocket::new_v4()?
        } else {
            TcpSocket::new_v6()?
        };
        socket.set_reuseaddr(true)?;
        socket.bind(self.addr)?;
        let listener = socket.listen(self.config.backlog)?;
        let local_addr = listener.local_addr()?;
        let (shutdown, shutdown_rx) = watch::channel(false);
        let engines = self.engines.clone();
        let grace = self.config.shutdown_grace;
        let shared = Arc::new(Shared {
            engines: self.engines,
            fallback: self.fallback,
            config: self.config,
            #[cfg(feature = "tls")]
            tls: self.tls,
        });
        let task = tokio::spawn(accept_loop(listener, shared, shutdown_rx));
        Ok(RunningServer {
            local_addr,
            shutdown,
            task,
            engines,
            grace,
        })
    }
}

/// A started server.
#[derive(Debug)]
pub struct RunningServer {
    local_addr: SocketAddr,
    shutdown: watch::Sender<bool>,
    task: JoinHandle<()>,
    engines: Vec<Engine>,
    grace: Duration,
}

impl RunningServer {
    /// The address it listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Stops accepting, closes idle keep-alive connections, closes every session (queued messages
    /// and a close packet go out first), and waits for them up to the configured grace time.
    pub async fn shutdown(self) {
        let _ = self.shutdown.send(true);
        for engine in &self.engines {
            engine.close(self.grace).await;
        }
        let _ = self.task.await;
    }

    /// Runs until the accept loop ends (it ends only on shutdown or a listener error).
    pub async fn wait(self) {
        let _ = self.task.await;
    }
}

async fn accept_loop(
    listener: TcpListener,
    shared: Arc<Shared>,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, remote)) => {
                    let _ = stream.set_nodelay(true);
                    #[cfg(feature = "tls")]
                    if let Some(tls) = &shared.tls {
                        let acceptor = tls.acceptor.clone();
                        let (shared, shutdown) = (shared.clone(), shutdown.clone());
                        tokio::spawn(async move {
                            let timeout = shared.config.header_timeout;
                            // A failed or slow handshake has no one to answer: just close.
                            if let Ok(Ok(stream)) =
                                tokio::time::timeout(timeout, acceptor.accept(stream)).await
                            {
                                connection(stream, remote, shared, shutdown).await;
                            }
                        });
                        continue;
                    }
                    tokio::spawn(connection(stream, remote, shared.clone(), shutdown.clone()));
                }
                // Out of file descriptors and the like: back off briefly rather than spin.
                Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
            },
            _ = shutdown.changed() => return,
        }
    }
}

/// One HTTP/1.1 connection: requests one after the other (keep-alive), until it closes, times out,
/// misbehaves, or becomes a WebSocket.
async fn connection<S: IntoWsIo>(
    mut stream: S,
    remote: SocketAddr,
    shared: Arc<Shared>,
    mut shutdown: watch::Receiver<bool>,
) {
    let config = &shared.config;
    let mut buf = BytesMut::new();
    // One shutdown wait and one head timer for the connection's life, not one per request: moving
    // a registered timer to a later deadline is a compare-and-swap, registering a new one (and
    // removing it when dropped) takes the timer wheel's lock.
    let shutdown = shutdown.changed();
    tokio::pin!(shutdown);
    let head_timer = tokio::time::sleep(config.header_timeout);
    tokio::pin!(head_timer);
    // Both are polled with a waker of their own, and only after it fired: a request's wait for
    // its head does not poll them again in vain (the timer keeps its waker when moved later).
    let idle_wake = WakeFlag::new();
    loop {
        head_timer
            .as_mut()
            .reset(tokio::time::Instant::now() + config.header_timeout);
        let idle = poll_fn(|cx| {
            if head_timer.as_mut().poll(cx).is_ready() {
                return Poll::Ready(false);
            }
            shutdown.as_mut().poll(cx).map(|_| true)
        });
        let head = tokio::select! {
            biased;
            head = http::read_head(&mut stream, &mut buf, config.max_head_bytes, remote) => Some(head),
            shutdown = when_flagged(idle, &idle_wake) => if shutdown { return } else { None },
        };
        let head = match head {
            Some(Ok(head)) => head,
            Some(Err(ReadError::Peer(e))) => return refuse(stream, &e).await,
            Some(Err(ReadError::Gone)) => return close(stream).await,
            None if buf.is_empty() => return, // an idle keep-alive connection
            None => return refuse(stream, &HttpError::Timeout).await,
        };
        if let Some(engine) = shared
            .engines
            .iter()
            .find(|e| e.matches(head.head().path_bytes()))
        {
            match engine.handle(head, stream, buf, config).await {
                After::KeepAlive(s, b) => {
                    stream = s;
                    buf = b;
                    continue;
                }
                After::Done => return,
            }
        }
        let mut req = head.request();
        let keep_alive = req.keep_alive();
        let length = match req.content_length() {
            Ok(n) if n <= config.max_fallback_body => n,
            Ok(_) => return refuse(stream, &HttpError::BodyTooLarge).await,
            Err(e) => return refuse(stream, &e).await,
        };
        match tokio::time::timeout(
            config.body_timeout,
            http::read_body(&mut stream, &mut buf, length),
        )
        .await
        {
            Ok(Ok(body)) => req.body = body,
            Ok(Err(_)) => return close(stream).await,
            Err(_) => return refuse(stream, &HttpError::Timeout).await,
        }
        let method = req.method.clone();
        let response = (shared.fallback)(req).await;
        if http::write_response_to(&mut stream, &method, &response, keep_alive)
            .await
            .is_err()
            || !keep_alive
        {
            return;
        }
    }
}

/// Answers a request that cannot be served with its status and a reason, then closes.
async fn refuse<S: IntoWsIo>(mut stream: S, error: &HttpError) {
    let _ = http::write_response(
        &mut stream,
        &HttpResponse::text(error.status(), error.to_string()),
        false,
    )
    .await;
    close(stream).await;
}

/// Closes a connection that has no one left to answer.
async fn close<S: IntoWsIo>(mut stream: S) {
    let _ = tokio::io::AsyncWriteExt::shutdown(&mut stream).await;
}
