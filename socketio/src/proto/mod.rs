//! The sans-IO core of Socket.IO v5: the packet codec with binary attachments, and the
//! [`Connection`] state machine. No sockets, no clock, no tokio: time comes in as an [`Instant`]
//! parameter and everything to do comes out of [`Connection::poll_output`].
//!
//! [`Instant`]: std::time::Instant
//!
//! # The loop
//!
//! One [`Connection`] lives beside one Engine.IO session. The runtime drives it like this:
//!
//! 1. When the Engine.IO session opens, create it: `Connection::new(now, config)`.
//! 2. Feed it every Engine.IO message as it arrives, with the current time:
//!    [`handle`](Connection::handle) with an [`Input`]: [`Input::Text`] for a text message (one
//!    Socket.IO packet), [`Input::Binary`] for a binary one (an attachment of the BINARY packet
//!    before it, or, with [`Parser::MsgPack`], a whole packet), and [`Input::TransportClosed`] with the reason when the session ends (the same
//!    shape as the Engine.IO core's `Session::handle(now, Input)`). Or
//!    [`handle_now`](Connection::handle_now), which hands an event with nothing queued before it
//!    straight back instead of queueing it: hand it to the application before draining, as an
//!    [`Output::Event`].
//! 3. Feed it the application's decisions and commands: [`accept`](Connection::accept) or
//!    [`reject`](Connection::reject) a [`ConnectRequest`](Output::ConnectRequest);
//!    [`emit`](Connection::emit), [`emit_with_ack`](Connection::emit_with_ack),
//!    [`ack`](Connection::ack), [`send`](Connection::send) (a packet the runtime encoded itself,
//!    e.g. a broadcast encoded once for every receiver with [`Parser::encode_emit`] in the
//!    connection's parser),
//!    [`disconnect`](Connection::disconnect), [`close`](Connection::close). An emit with
//!    acknowledgement carries a waiter of the runtime's type `W` (`Connection<W>`), which comes
//!    back with the answer.
//! 4. Drain [`poll_output`](Connection::poll_output) until it returns `None`, in order:
//!    - [`Output::Transmit`]: send its [`Wire`] form: [`Wire::Text`], the text as an Engine.IO
//!      message (`4` + text), then each attachment as a binary message, together (a full buffer
//!      must not split them); [`Wire::Binary`] (the MessagePack parser), one binary message;
//!    - [`Output::ConnectRequest`] (run the application's checks, then accept or reject),
//!      [`Output::Connected`] (create the application's socket), [`Output::Event`], [`Output::AckReceived`],
//!      [`Output::AckTimedOut`], [`Output::Disconnected`]: hand to the application (an event's
//!      name may then go back with [`recycle_name`](Connection::recycle_name), so that the next
//!      name is written into its buffer instead of a new allocation);
//!    - [`Output::Close`]: flush what was transmitted, then close the Engine.IO session.
//! 5. Sleep until [`poll_timeout`](Connection::poll_timeout) (or the next message or command),
//!    then call [`handle_timeout`](Connection::handle_timeout) with the time, and go to 4.
//!
//! ```
//! use std::time::{Duration, Instant};
//! use socketio::proto::{Config, Connection, Input, Output};
//!
//! let start = Instant::now();
//! let mut conn = Connection::new(start, Config::default());
//! conn.handle(start, Input::Text(r#"0{"token":"abc"}"#));
//! while let Some(out) = conn.poll_output() {
//!     match out {
//!         Output::ConnectRequest { nsp, auth, .. } => {
//!             assert_eq!(auth.unwrap().as_str(), r#"{"token":"abc"}"#);
//!             conn.accept(nsp.as_str(), "sid-1").unwrap();
//!         }
//!         Output::Transmit(packet) => assert_eq!(packet.as_str(), r#"0{"sid":"sid-1"}"#),
//!         Output::Connected { sid, .. } => assert_eq!(sid, "sid-1"), // create the app's socket
//!         other => panic!("unexpected {other:?}"),
//!     }
//! }
//! conn.handle_timeout(start + Duration::from_secs(60)); // joined: no connect timeout
//! assert!(conn.poll_output().is_none());
//! ```
//!
//! # The codec alone
//!
//! [`decode_text`] turns one text message into a [`Packet`], or into a [`PartialPacket`] that
//! [`PartialPacket::push`] completes attachment by attachment; [`encode()`] goes back. Arguments
//! stay JSON text ([`RawJson`]), so key order and the exact bytes survive a round trip; a
//! [`Payload`] pairs them with their attachments, and [`Payload::to_data`] gives trees
//! ([`Data`]) with the binary in place.
//!
//! [`decode_msgpack`] and [`encode_msgpack`] are the same codec for the MessagePack wire format
//! of the npm `socket.io-msgpack-parser` (one binary message per packet, binary inline): they
//! give and take the same [`Packet`] values, attachments included. A [`Connection`] speaks the
//! one its [`Config::parser`] names: with [`Parser::MsgPack`], every [`Input::Binary`] is a whole
//! packet, a text message is a protocol error, and every [`Output::Transmit`] is one binary
//! message ([`Wire::Binary`]).
//!
//! # Who is at fault
//!
//! Anything invalid from the peer is a [`DecodeError`] / [`PeerMisbehaved`] and closes the
//! connection with [`Output::Close`]; nothing the peer sends can panic. Commands that make no
//! sense return [`ApiMisuse`] and leave the connection as it was.

mod ack;
pub mod auth;
mod binary;
mod connection;
mod data;
mod decode;
mod encode;
mod error;
mod json;
mod msgpack;
mod namespace_map;
mod namespace_state;
mod packet;
mod parser;
mod payload;
mod protocol;
mod raw_json;
mod reason;
mod recovery;

pub use ack::AckTable;
pub use auth::{
    AppClaims, AuthError, AuthMode, AuthPolicies, AuthPolicy, HandshakeCredentials, Identity,
    JwtPolicy, TokenSource,
};
pub use binary::PartialPacket;
pub use connection::{Config, Connection, Event, Input, Output};
pub use data::Data;
pub use decode::{decode_text, Decoded, Limits};
pub use encode::{
    ack_len_bound, encode, encode_ack, encode_ack_in, encode_emit, encode_emit_with_offset,
    encode_event, write_ack_in, Encoded, Wire,
};
pub use error::{ApiMisuse, DecodeError, JsonError, MsgPackError, PeerMisbehaved};
pub use json::MAX_DEPTH_CAP;
pub use msgpack::{decode_msgpack, encode_msgpack};
pub use namespace_state::{Authenticating, AwaitingToken, Connected, NamespaceState};
pub use packet::{
    connect_error, is_reserved_event, Namespace, Packet, PacketType, RESERVED_EVENTS,
};
pub use parser::Parser;
pub use payload::Payload;
pub use protocol::Protocol;
pub use raw_json::RawJson;
pub use reason::{CloseReason, DisconnectReason};
pub use recovery::{
    Audience, Kept, KeptSession, RecoveryConfig, RecoveryStore, Restored, PACKET_OVERHEAD,
    SESSION_OVERHEAD,
};
