//! An Engine.IO endpoint: its sessions, the application that serves them, and its shutdown.
//! Its requests are handled in `requests.rs`, its settings are in `engine_config.rs`.

use super::app::{NewSession, NoApp, SessionApp};
use super::closings::Closings;
use super::driver::{Driver, DriverParts, EventSink, Ws};
use super::engine_config::{path_matches, EngineConfig};
use super::inputs::{DriverInput, SessionCell};
use super::mailbox::{self, mailbox};
use super::sessions::{Entry, Sessions};
use super::sid::SidGenerator;
use super::socket::{Handshake, Socket, SocketHandle};
use crate::proto::http::HttpRequest;
use crate::proto::{Session, Transport};
use bytes::BytesMut;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

pub(super) struct Inner {
    pub(super) config: EngineConfig,
    /// [`EngineConfig::path`] without its trailing slashes, trimmed once.
    pub(super) base_path: Box<str>,
    pub(super) sessions: Arc<Sessions>,
    pub(super) sids: SidGenerator,
    pub(super) ids: AtomicU64,
    pub(super) accept_tx: mpsc::Sender<Socket>,
    pub(super) accept_rx: tokio::sync::Mutex<mpsc::Receiver<Socket>>,
    /// When set, each session runs its application in its own task instead of being accepted.
    pub(super) app: OnceLock<StartApp>,
    pub(super) closing: AtomicBool,
    /// The sessions' WebSocket closes under way.
    pub(super) closings: Arc<Closings>,
}

/// Starts the driver of a new session with its application (of a type known only inside it):
/// what [`Engine::serve_with`] sets up.
pub(super) type StartApp = Box<dyn Fn(DriverParts, NewSessionParts) + Send + Sync>;

/// What [`NewSession`] is made of, but its handle (whose type is the application's).
pub(super) struct NewSessionParts {
    sid: Arc<str>,
    handshake: Arc<Handshake>,
    command_buffer: usize,
    budget: usize,
}

/// An Engine.IO endpoint; cheap to clone. Add it to a [`super::Server`], then take its sessions
/// with [`Engine::accept`].
#[derive(Clone)]
pub struct Engine {
    pub(super) inner: Arc<Inner>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

/// How a request left the connection.
pub(crate) enum After<S> {
    /// Ready for the next request.
    KeepAlive(S, BytesMut),
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
                sessions: Arc::new(Sessions::new()),
                sids: SidGenerator::new(),
                ids: AtomicU64::new(1),
                accept_tx,
                accept_rx: tokio::sync::Mutex::new(accept_rx),
                app: OnceLock::new(),
                closing: AtomicBool::new(false),
                closings: Arc::default(),
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
    pub fn serve_with<A, F>(&self, factory: F) -> bool
    where
        A: SessionApp,
        F: Fn(NewSession<A::Message>) -> A + Send + Sync + 'static,
    {
        let start: StartApp = Box::new(move |parts, new| {
            let (commands_tx, commands) = mailbox(new.command_buffer);
            let app = factory(NewSession {
                handle: SocketHandle::new(new.sid, commands_tx, new.budget),
                handshake: new.handshake,
                now: Instant::now(),
            });
            // The driver's future is the whole task (a block around it would hold it twice).
            tokio::spawn(Driver::new(parts, commands, EventSink::App(Box::new(app))).run());
        });
        self.inner.app.set(start).is_ok()
    }

    /// The next new session; `None` after shutdown.
    pub async fn accept(&self) -> Option<Socket> {
        self.inner.accept_rx.lock().await.recv().await
    }

    /// Whether the request path belongs to this endpoint.
    pub(crate) fn matches(&self, path: &[u8]) -> bool {
        path_matches(&self.inner.base_path, path)
    }

    /// Closes every session and refuses new ones; returns once all sessions ended or `grace` passed.
    pub async fn close(&self, grace: Duration) {
        self.inner.closing.store(true, Ordering::SeqCst);
        let senders: Vec<mailbox::Sender<DriverInput>> = (self.inner.sessions.drain())
            .into_iter()
            .map(|e| e.inputs)
            .collect();
        for sender in &senders {
            let _ = sender.send(DriverInput::Close).await;
        }
        let deadline = tokio::time::Instant::now() + grace;
        for sender in senders {
            let _ = tokio::time::timeout_at(deadline, sender.closed()).await;
        }
        // The sessions' WebSockets are closing in tasks of their own (a close frame, then the
        // client's answer): wait for them too, or they end with the application's runtime.
        let _ = tokio::time::timeout_at(deadline, self.inner.closings.idle()).await;
    }

    pub(super) fn next_id(&self) -> u64 {
        self.inner.ids.fetch_add(1, Ordering::Relaxed)
    }

    pub(super) fn entry(&self, sid: &str) -> Option<mailbox::Sender<DriverInput>> {
        self.inner.sessions.with(sid, |e| e.inputs.clone())
    }

    /// Registers a new session, starts its driver, and hands its socket to the application.
    ///
    /// Boxed: its future (about 2 KiB) would otherwise be part of every request's future,
    /// which is built and moved (copied) for each request on a connection, though only a
    /// handshake awaits it.
    pub(super) fn open(
        &self,
        session: Session,
        req: HttpRequest,
        transport: Transport,
        ws: Option<Ws>,
    ) -> Pin<Box<impl Future<Output = bool> + Send + '_>> {
        Box::pin(self.open_unboxed(session, req, transport, ws))
    }

    async fn open_unboxed(
        &self,
        session: Session,
        req: HttpRequest,
        transport: Transport,
        ws: Option<Ws>,
    ) -> bool {
        let config = &self.inner.config;
        let sid: Arc<str> = Arc::from(session.sid());
        let (inputs_tx, inputs) = mailbox(16);
        let cell = Arc::new(SessionCell::default());
        cell.set(session.transport());
        // The request's own headers and query move into the handshake (no copies).
        let handshake = Arc::new(Handshake {
            headers: req.headers,
            path: req.path,
            query: req.query,
            remote: req.remote,
            transport,
            extensions: req.extensions,
        });
        let closer = inputs_tx.clone();
        let registration = self.inner.sessions.register(
            sid.clone(),
            Entry {
                inputs: inputs_tx,
                cell: cell.clone(),
            },
        );
        // A session registered after a shutdown drained the table (its WebSocket upgrade came
        // through another server's task meanwhile) is closed like the others.
        if self.inner.closing.load(Ordering::SeqCst) {
            let _ = closer.try_send(DriverInput::Close);
        }
        let parts = DriverParts {
            session,
            inputs,
            cell,
            websockets: ws.into_iter().collect(),
            max_buffered: config.protocol.max_buffered_packets,
            registration,
            closings: self.inner.closings.clone(),
        };
        let budget = config.protocol.max_buffered_bytes;
        if let Some(start) = self.inner.app.get() {
            let command_buffer = config.command_buffer;
            let new = NewSessionParts {
                sid,
                handshake,
                command_buffer,
                budget,
            };
            start(parts, new);
            return true;
        }
        let (commands_tx, commands) = mailbox(config.command_buffer);
        let handle = SocketHandle::new(sid, commands_tx, budget);
        let (events, events_rx) = mpsc::channel(config.event_buffer.max(1));
        let socket = Socket::new(handle, handshake, events_rx);
        if self.inner.accept_tx.send(socket).await.is_err() {
            return false;
        }
        let driver: Driver<NoApp> = Driver::new(parts, commands, EventSink::Channel(events));
        tokio::spawn(driver.run());
        true
    }
}
