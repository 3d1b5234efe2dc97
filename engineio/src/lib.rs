//! An Engine.IO v4 server: a sans-IO protocol core ([`proto`]) and a thin tokio runtime
//! ([`runtime`], cargo feature `tokio`, on by default).
//!
//! # The run loop
//!
//! The core never reads a socket or a clock. For each session the runtime runs one task that:
//!
//! 1. feeds what arrived with the current time: [`proto::Session::handle`] with a
//!    [`proto::Input`] (a long-poll GET, a POST body, a WebSocket frame, a closed transport), or an
//!    application command ([`proto::Session::send`], [`proto::Session::close`]);
//! 2. drains [`proto::Session::poll_output`] until it returns `None`: answers to polling requests,
//!    frames to write (then one write per WebSocket), WebSockets to close, and [`proto::Event`]s for
//!    the application (a [`runtime::SessionApp`] running in the same task, or a channel to a
//!    [`runtime::Socket`]);
//! 3. sleeps until [`proto::Session::poll_timeout`] (the next ping, pong deadline, upgrade or close
//!    deadline) and then calls [`proto::Session::handle_timeout`].
//!
//! Requests are routed before they reach a session by [`proto::route()`], which answers the
//! Engine.IO error codes 0-5 itself.
//!
//! # Embedding
//!
//! ```no_run
//! # #[cfg(feature = "tokio")]
//! # async fn demo() -> std::io::Result<()> {
//! use engineio::runtime::{Engine, EngineConfig, Server};
//!
//! let engine = Engine::new(EngineConfig::default().path("/engine.io/"));
//! let server = Server::new(([127, 0, 0, 1], 3000).into()).engine(engine.clone()).start().await?;
//! while let Some(mut socket) = engine.accept().await {
//!     tokio::spawn(async move {
//!         while let Some(data) = socket.recv().await {
//!             let _ = socket.send(data); // echo
//!         }
//!     });
//! }
//! server.shutdown().await;
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]

pub mod proto;
// The tokio half is the one place that reads the clock and spawns tasks: it hands the time to
// the core. `clippy.toml` forbids both everywhere else in the crate.
#[allow(clippy::disallowed_methods)]
#[cfg(feature = "tokio")]
pub mod runtime;
