//! Protocol conformance checks that run against ANY server URL.
//!
//! The crate is a raw-protocol client (HTTP/1.1 requests written byte for byte, WebSocket frames
//! encoded by hand) and a table of named checks, one per protocol behaviour. A check reads as a
//! conversation on the wire:
//!
//! ```text
//! C> POST /engine.io/?EIO=4&transport=polling&sid=AbC  "4hello"
//! S< 200 "ok"
//! C> GET  /engine.io/?EIO=4&transport=polling&sid=AbC
//! S< 200 "4hello"
//! ```
//!
//! Layout:
//! - [`target`], [`transcript`], [`http`], [`ws`]: the raw client, protocol-agnostic.
//! - [`check`]: a check table, the concurrent runner and its one-line-per-check report.
//! - [`junit`]: the same report as JUnit XML, for CI.
//! - [`eio`]: the Engine.IO v4 checks (handshake, errors, polling, heartbeat, close, WebSocket,
//!   upgrade, CORS, bad input).
//! - [`sio`]: the Socket.IO v5 checks (connect, events and acks, binary, namespaces, polling,
//!   bad input), over the same client.
//!
//! The `conformance` binary runs them: `cargo run -p conformance -- --eio-url
//! http://127.0.0.1:3000/engine.io/ --sio-url http://127.0.0.1:3000/socket.io/`.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod check;
pub mod eio;
pub mod eio3;
pub mod http;
pub mod junit;
pub mod sio;
pub mod target;
pub mod transcript;
pub mod ws;
