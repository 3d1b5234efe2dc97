//! The servers that conformance and interop suites drive, kept out of the libraries they test.
//!
//! - [`echo`]: the Engine.IO echo server (binary `engineio-echo`);
//! - [`conformance`]: the Socket.IO conformance server, with the Engine.IO echo on the same port
//!   (binary `socketio-conformance`), and [`auth_options`], its JWT flags;
//! - [`interop`]: the server the real-client interop suites drive (binary `socketio-interop`);
//! - [`front`] and [`listen`]: the flags they share, and the front door each serves through (the
//!   built-in server, with TLS or without, or an axum `Router`);
//! - [`recovery`]: the connection state recovery test server (binary `socketio-recovery`).
//!
//! The `tests/` crate starts them in-process; the interop suites run the binaries
//! (`cargo run -p test-servers --bin socketio-conformance -- --port 3000`).
#![forbid(unsafe_code)]

pub mod auth_options;
pub mod conformance;
pub mod echo;
pub mod front;
pub mod interop;
pub mod listen;
pub mod recovery;
