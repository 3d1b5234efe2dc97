//! A Socket.IO v5 server on top of the [`engineio`] crate: a sans-IO protocol core ([`proto`]) and a
//! thin tokio runtime ([`runtime`], cargo feature `tokio`, on by default).
//!
//! - [`proto`]: the packet codec with binary attachments, and the [`proto::Connection`] state
//!   machine of one client: namespaces, acks, the connect timeout, and authentication as a state of
//!   each namespace (tokens verified with [`jwt_auth`]). No sockets, no clock, no tokio.
//! - [`runtime`]: [`runtime::SocketIo`] with its namespaces, sockets, rooms, broadcasts and ack
//!   futures, served through an [`engineio::runtime::Engine`] that an
//!   [`engineio::runtime::Server`] (or any front door of `engineio`) carries.
//!
//! # The run loop
//!
//! A connection runs in the task of its Engine.IO session (one task per connection, no timer
//! tasks), as the session's [`engineio::runtime::SessionApp`]. For each thing that happens it:
//!
//! 1. feeds the [`proto::Connection`] with the current time: an Engine.IO message or the end of
//!    the session ([`proto::Connection::handle`] with a [`proto::Input`]), or a command of the
//!    application's sockets, sent through the session's handle so that it keeps its order (a
//!    packet encoded by the sender, an emit with ack, a disconnect, the outcome of the connect
//!    checks);
//! 2. drains [`proto::Connection::poll_output`]: packets to send on the session, CONNECTs to check,
//!    and events, acks and disconnects for the application's handlers;
//! 3. lets the session sleep until [`proto::Connection::poll_timeout`] (connect, authentication,
//!    ack and token-expiry deadlines) or its own next deadline, then calls
//!    [`proto::Connection::handle_timeout`].
//!
//! Every packet takes this road, emits and broadcasts included: a broadcast is encoded once
//! ([`proto::Parser::encode_emit`], in the server's parser) and each receiver's connection gets it
//! as a command, checks it in its core and queues it with its attachments (or, with the
//! MessagePack parser, as its one binary message). [`runtime::SocketIo`] shows a whole server.
//!
//! A server speaks one parser with every client ([`runtime::SocketIoConfig::parser`]):
//! socket.io-parser (JSON text and binary attachments, the default) or npm
//! `socket.io-msgpack-parser` ([`proto::Parser::MsgPack`]).
#![forbid(unsafe_code)]

pub use engineio;

pub mod proto;
// The tokio half is the one place that reads the clock and spawns tasks: it hands the time to
// the core. `clippy.toml` forbids both everywhere else in the crate.
#[cfg(feature = "admin")]
pub mod admin;
#[allow(clippy::disallowed_methods)]
#[cfg(feature = "tokio")]
pub mod runtime;
