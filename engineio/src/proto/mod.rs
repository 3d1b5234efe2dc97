//! The sans-IO protocol core: codecs, routing and the session state machine. No sockets, no clock,
//! no runtime: time and randomness are inputs.
//!
//! # The loop
//!
//! A runtime feeds a [`Session`] what arrived, with the time ([`Session::handle`] with an
//! [`Input`]), and what the application asks ([`Session::send`], [`Session::close`]); drains
//! [`Session::poll_output`] (answers to polling requests, WebSocket frames to write or close,
//! [`Event`]s for the application); and sleeps until [`Session::poll_timeout`] to call
//! [`Session::handle_timeout`]:
//!
//! ```
//! use engineio::proto::{Config, Data, Input, Output, PollReply, Session};
//!
//! let start = std::time::Instant::now();
//! // A polling handshake: request 1 is answered with the open packet.
//! let mut session = Session::new_polling(start, "sid".into(), Config::default(), 1);
//! let reply = |session: &mut Session| match session.poll_output() {
//!     Some(Output::Reply { reply: PollReply::Payload(body), .. }) => body,
//!     other => panic!("unexpected {other:?}"),
//! };
//! assert!(reply(&mut session).starts_with(b"0{\"sid\":\"sid\""));
//! // The application sends; the next GET takes it.
//! session.send(Data::Text("hello".into())).unwrap();
//! session.handle(start, Input::PollGet(2));
//! assert_eq!(&reply(&mut session)[..], b"4hello");
//! // Nothing else happens: at the deadline the session pings, and a parked GET carries it.
//! session.handle(start, Input::PollGet(3));
//! let ping_at = session.poll_timeout().unwrap();
//! session.handle_timeout(ping_at);
//! assert_eq!(&reply(&mut session)[..], b"2");
//! ```

pub mod base64;
pub mod budget;
pub mod close;
pub mod config;
pub mod handshake;
pub mod http;
pub mod packet;
pub mod payload;
pub mod payload_v3;
pub mod query;
pub mod route;
pub mod session;
mod sha1;
pub mod text_buf;
pub mod websocket_frame;
pub mod websocket_handshake;
pub mod websocket_read;

pub use close::{CloseReason, TransportFault};
pub use config::{Config, Protocol, Transport};
pub use packet::{Data, DecodeError, Packet, Text};
pub use route::{route, RequestError, Route};
pub use session::{Event, Input, Output, PollReply, RequestId, SendError, Session, WsFrame, WsId};
pub use text_buf::TextBuf;
