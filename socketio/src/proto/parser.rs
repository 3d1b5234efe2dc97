//! [`Parser`]: which wire format a server speaks. Its methods are the one place the choice of
//! encoding is made; the choice of decoding is [`Connection::handle_text`] and
//! [`Connection::handle_binary`] (the text parser's attachments need the connection's state).
//!
//! [`Connection::handle_text`]: super::Connection::handle_text
//! [`Connection::handle_binary`]: super::Connection::handle_binary
//!
//! Socket.IO has two parsers a client may be built with, and a server speaks exactly one of
//! them with every client (as Node's `new Server({ parser })`):
//!
//! | | incoming | outgoing |
//! |---|---|---|
//! | [`Parser::Json`] (socket.io-parser) | a text message, then one binary message per attachment | [`Wire::Text`] |
//! | [`Parser::MsgPack`] (socket.io-msgpack-parser) | one binary message per packet; text is an error | [`Wire::Binary`] |
//!
//! [`Wire::Text`]: super::encode::Wire::Text
//! [`Wire::Binary`]: super::encode::Wire::Binary

use super::encode::{self, check_emit_name, Encoded};
use super::error::ApiMisuse;
use super::msgpack::{self, encode_msgpack};
use super::packet::{Namespace, Packet};
use super::payload::Payload;

/// The wire format of a server's Socket.IO packets. Set in [`Config::parser`](super::Config);
/// the runtime encodes what it sends once per packet with the same value.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Parser {
    /// socket.io-parser, the default of every client: JSON text with binary attachments.
    #[default]
    Json,
    /// npm `socket.io-msgpack-parser`: every packet is one binary message holding a MessagePack
    /// map, binary inline. The client must be built with the same parser.
    MsgPack,
}

impl Parser {
    /// Encodes any packet.
    pub fn encode(self, packet: &Packet) -> Encoded {
        match self {
            Self::Json => encode::encode(packet),
            Self::MsgPack => Encoded::binary(encode_msgpack(packet)),
        }
    }

    /// Encodes an event the application emits; a reserved name is refused (see
    /// [`encode::encode_emit`]).
    pub fn encode_emit(
        self,
        nsp: &Namespace,
        id: Option<u64>,
        name: &str,
        args: &Payload,
    ) -> Result<Encoded, ApiMisuse> {
        match self {
            Self::Json => encode::encode_emit(nsp, id, name, args),
            Self::MsgPack => {
                check_emit_name(name)?;
                Ok(self.encode_event(nsp, id, name, args))
            }
        }
    }

    /// Encodes an event the application emits with connection state recovery on: `offset` is
    /// appended as the last argument (a string), where socket.io clients look for it.
    pub fn encode_emit_with_offset(
        self,
        nsp: &Namespace,
        name: &str,
        args: &Payload,
        offset: &str,
    ) -> Result<Encoded, ApiMisuse> {
        match self {
            Self::Json => encode::encode_emit_with_offset(nsp, name, args, offset),
            Self::MsgPack => {
                check_emit_name(name)?;
                let message = msgpack::encode_event(nsp, None, name, args, Some(offset));
                Ok(Encoded::binary(message))
            }
        }
    }

    /// Encodes an event without the reserved-name check (the core's own `unauthorized`,
    /// `authenticated`).
    pub fn encode_event(
        self,
        nsp: &Namespace,
        id: Option<u64>,
        name: &str,
        args: &Payload,
    ) -> Encoded {
        match self {
            Self::Json => encode::encode_event(nsp, id, name, args),
            Self::MsgPack => Encoded::binary(msgpack::encode_event(nsp, id, name, args, None)),
        }
    }

    /// Encodes an ACK for the client's event `id`.
    pub fn encode_ack(self, nsp: &Namespace, id: u64, args: &Payload) -> Encoded {
        match self {
            Self::Json => encode::encode_ack(nsp, id, args),
            Self::MsgPack => Encoded::binary(msgpack::encode_ack(nsp, id, args)),
        }
    }
}
