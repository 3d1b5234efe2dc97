//! The official Socket.IO Admin UI (npm `@socket.io/admin-ui` 0.5, the dashboard Socket.IO
//! users know) against this server: [`SocketIo::instrument`](crate::runtime::SocketIo::instrument)
//! with an [`AdminConfig`]. Cargo feature `admin`.
//!
//! The UI speaks ordinary Socket.IO on an admin namespace (`/admin`); this module gives that
//! namespace what Node's admin-ui gives it:
//!
//! - the login: a username and a bcrypt password hash, a session id for reconnections, or no
//!   login ([`AdminAuth`]); attempts limited per address; the namespace may also sit behind the
//!   server's JWT policy like any other;
//! - `config` (the features the UI may use), `server_stats` every 2 s (clients, polling clients,
//!   sockets per namespace, per-second counts of connections, disconnections by reason, packets
//!   and bytes);
//! - in development mode, `all_sockets` and every socket's `socket_connected`,
//!   `socket_updated` (upgrade to WebSocket), `socket_disconnected`, `room_joined`,
//!   `room_left`, `event_received` and `event_sent`;
//! - the UI's actions (`emit`, `join`, `leave`, `_disconnect`), none in read-only mode.
//!
//! # Cost
//!
//! Not instrumented, a connection holds `None` for its probe and tests it per packet (a field
//! of the connection's own task: no atomic, no lock); an emit tests the socket's
//! outgoing-handler flag (one relaxed load), as for any `on_any_outgoing` user. Instrumented, a
//! packet adds to two relaxed atomic counters (in and out); connections and disconnections take
//! a lock. The per-packet hooks are in `runtime/connection.rs` (`ConnectionProbe::on_event`
//! and `on_transmit`); the per-socket and per-room ones in `runtime/socket.rs`,
//! `runtime/broadcast.rs` and `runtime/adapter.rs`.

mod actions;
mod config;
// The glue of the admin reads the clock and spawns tasks, as the runtime does.
#[allow(clippy::disallowed_methods)]
mod hooks;
#[allow(clippy::disallowed_methods)]
mod instrument;
#[allow(clippy::disallowed_methods)]
mod login;
mod password;
mod rate_limit;
mod serialize;
mod sessions;
mod stats;
mod time;

pub use config::{AdminAuth, AdminConfig, AdminConfigError, AdminMode};
