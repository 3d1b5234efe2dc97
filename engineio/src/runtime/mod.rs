//! The tokio runtime: a TCP listener, HTTP/1.1 keep-alive on httparse, long-poll parking, WebSocket
//! frames read by the core's [`crate::proto::websocket_read`] and written by
//! [`crate::proto::websocket_frame`], and one driver task per session that runs the
//! [`crate::proto::Session`].

mod app;
mod closings;
mod command;
mod cors;
mod driver;
mod engine;
mod engine_config;
mod exchange;
mod held_wakes;
mod http;
mod inputs;
mod mailbox;
mod requests;
mod server;
#[cfg(feature = "tower")]
mod service;
mod sessions;
mod sid;
mod socket;
#[cfg(feature = "tls")]
mod tls;
#[cfg(test)]
mod wake_count;
mod wake_flag;
mod ws_io;
mod ws_stream;

pub use crate::proto::http::{HttpRequest, HttpResponse};
pub use app::{AppContext, NewSession, SendBudget, SessionApp};
pub use command::NoMessage;
pub use cors::{Cors, Origins};
pub use engine::Engine;
pub use engine_config::{AllowRequest, EngineConfig, HeadersHook};
pub use server::{Fallback, RunningServer, Server, ServerConfig};
#[cfg(feature = "tower")]
pub use service::{EngineBody, EngineService, RemoteAddr};
pub use sid::SidGenerator;
pub use socket::{Handshake, Socket, SocketHandle};
#[cfg(feature = "tls")]
pub use tls::TlsConfig;
