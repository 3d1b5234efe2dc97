//! A Redis adapter for the `socketio` crate that speaks the wire format of Node's
//! `@socket.io/redis-adapter`, so Rust and Node servers on one Redis form one cluster, and
//! `@socket.io/redis-emitter` reaches the Rust servers' clients.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use socketio::runtime::{SocketIo, SocketIoConfig};
//! use socketio_redis::{RedisAdapter, RedisAdapterConfig};
//!
//! let io = SocketIo::new(SocketIoConfig::default());
//! let adapter = RedisAdapter::new(
//!     redis::Client::open("redis://127.0.0.1:6379/")?,
//!     RedisAdapterConfig::default(),
//! );
//! io.attach_cluster(adapter.clone());
//! io.of("/").to("news").emit("headline", "reaches every node's members of `news`")?;
//! let everywhere = io.of("/").broadcast().fetch_all_sockets().await?;
//! # let _ = everywhere; Ok(()) }
//! ```
//!
//! What crosses nodes: broadcasts (`to`, `except`, `volatile`, binary included), broadcasts
//! with acknowledgements, `fetch_all_sockets`, `join`/`leave`/`disconnect_sockets` on a
//! selection, and server-side emits (with or without answers). See the crate's README for
//! the exact channels and messages, and what load balancers need (sticky sessions).
//!
//! Connection state recovery is per node with this adapter, as with Node's pub/sub adapter:
//! pub/sub keeps nothing, so a client that reconnects to another node than the one that kept
//! its session gets a fresh socket (`recovered() == false`). Broadcasts from other nodes are
//! stored with their offsets on each node that delivers them, so a client that comes back to
//! its node (sticky sessions) misses nothing.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod adapter;
mod link;
mod metrics;
mod msgpack;
mod pending;
mod uid;
mod wire;

pub use adapter::{RedisAdapter, RedisAdapterConfig};
pub use metrics::Metrics;
pub use redis;
