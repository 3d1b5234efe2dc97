//! The tokio runtime: a TCP listener, HTTP/1.1 keep-alive on httparse, long-poll parking, WebSocket
//! through tungstenite, and one driver task per session that runs the [`crate::proto::Session`].

mod app;
mod cors;
mod driver;
mod engine;
mod http;
mod mailbox;
mod server;
mod sid;
mod socket;

pub use crate::proto::http::{HttpRequest, HttpResponse};
pub use app::{AppContext, AppFactory, AppMessage, NewSession, SessionApp};
pub use cors::{Cors, Origins};
pub use engine::{AllowRequest, Engine, EngineConfig};
pub use server::{Fallback, RunningServer, Server, ServerConfig};
pub use sid::SidGenerator;
pub use socket::{Handshake, Socket, SocketHandle};
