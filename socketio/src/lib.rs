//! Socket.IO v5 server on top of the [`engineio`] crate.
//!
//! This crate is filled by the Socket.IO issue; for now it only re-exports the transport layer.
#![forbid(unsafe_code)]

pub use engineio;

#[cfg(feature = "tokio")]
pub mod conformance;
pub mod proto;
#[cfg(feature = "tokio")]
pub mod runtime;
