//! The sans-IO protocol core: codecs, routing and the session state machine. No sockets, no clock,
//! no runtime: time and randomness are inputs.

pub mod base64;
pub mod budget;
pub mod close;
pub mod config;
pub mod handshake;
pub mod packet;
pub mod payload;
pub mod query;
pub mod route;
pub mod session;
mod sha1;
pub mod websocket_frame;
pub mod websocket_handshake;

pub use close::{CloseReason, TransportFault};
pub use config::{Config, Transport};
pub use packet::{Data, DecodeError, Packet, Text};
pub use route::{route, RequestError, Route};
pub use session::{Event, Input, Output, PollReply, RequestId, SendError, Session, WsFrame, WsId};
