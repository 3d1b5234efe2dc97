//! Socket.IO v5 server on top of the [`engineio`] crate.
//!
//! This crate is filled by the Socket.IO issue; for now it only re-exports the transport layer.
#![forbid(unsafe_code)]

pub use engineio;

pub mod proto;
// The tokio half is the one place that reads the clock and spawns tasks: it hands the time to
// the core. `clippy.toml` forbids both everywhere else in the crate.
#[allow(clippy::disallowed_methods)]
#[cfg(feature = "tokio")]
pub mod runtime;
