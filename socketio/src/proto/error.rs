//! Errors of the sans-IO core, sorted by whose fault they are.
//!
//! - [`DecodeError`]: bytes from the peer that are not a valid Socket.IO packet (or a binary
//!   attachment nobody announced). Always the peer's fault.
//! - [`PeerMisbehaved`]: a packet that decoded fine but is not allowed in the connection's current
//!   state (an EVENT for a namespace the client never joined, a second CONNECT, ...), or a
//!   [`DecodeError`]. The connection is closed with this as its reason.
//! - [`ApiMisuse`]: the application (or the runtime) asked for something that makes no sense, for
//!   example emitting on a namespace that is not connected. Returned to the caller; it never closes
//!   a connection.

use std::fmt;

use super::packet::PacketType;

/// A packet or attachment from the peer that cannot be decoded. The peer is at fault.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecodeError {
    /// The text message was empty.
    Empty,
    /// The first character is not a packet type digit `0`..`6`.
    UnknownPacketType(char),
    /// The attachment count of a BINARY packet is missing, not a number, zero, or not followed by `-`.
    BadAttachmentCount,
    /// The BINARY packet announces more attachments than the limit allows.
    TooManyAttachments {
        /// Attachments announced by the packet.
        announced: u64,
        /// The configured limit.
        max: usize,
    },
    /// The acknowledgement id does not fit in a `u64`.
    AckIdOverflow,
    /// A packet type that cannot carry an acknowledgement id carries one.
    AckIdNotAllowed(PacketType),
    /// An ACK packet without an acknowledgement id.
    AckIdMissing(PacketType),
    /// The payload is required for this packet type but absent.
    PayloadMissing(PacketType),
    /// The payload is forbidden for this packet type (DISCONNECT) but present.
    PayloadNotAllowed(PacketType),
    /// The payload is not valid JSON.
    InvalidJson(JsonError),
    /// The payload is valid JSON but of the wrong shape for the packet type.
    WrongPayloadType {
        /// The packet type.
        packet: PacketType,
        /// What the protocol requires, e.g. "an array".
        expected: &'static str,
    },
    /// An EVENT whose argument array is empty.
    EmptyEvent,
    /// An EVENT whose first element is neither a string nor a number.
    BadEventName,
    /// An EVENT named with one of the reserved names (`connect`, `disconnect`, ...).
    ReservedEventName(String),
    /// An object with `"_placeholder":true` in a packet that has no attachments.
    PlaceholderWithoutAttachments,
    /// A placeholder refers to an attachment that does not exist.
    PlaceholderOutOfRange {
        /// The placeholder's `num`.
        num: u64,
        /// Attachments announced by the packet.
        attachments: usize,
    },
    /// Two placeholders refer to the same attachment.
    DuplicatePlaceholder(u64),
    /// An announced attachment is not referenced by any placeholder.
    UnreferencedAttachment(usize),
    /// A binary message arrived while no BINARY packet was waiting for attachments.
    UnexpectedBinary,
    /// A text message arrived while a BINARY packet was still waiting for attachments.
    UnexpectedText {
        /// Attachments still missing.
        missing: usize,
    },
    /// The attachments of one packet add up to more bytes than the limit allows.
    AttachmentsTooLarge {
        /// The configured limit in bytes.
        max: usize,
    },
    /// A binary message that is not a valid `socket.io-msgpack-parser` packet.
    InvalidMsgPack(MsgPackError),
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("empty packet"),
            Self::UnknownPacketType(c) => write!(f, "unknown packet type {c:?}"),
            Self::BadAttachmentCount => f.write_str("illegal attachment count"),
            Self::TooManyAttachments { announced, max } => {
                write!(
                    f,
                    "{announced} attachments announced, at most {max} allowed"
                )
            }
            Self::AckIdOverflow => f.write_str("acknowledgement id out of range"),
            Self::AckIdNotAllowed(t) => write!(f, "{t} packets carry no acknowledgement id"),
            Self::AckIdMissing(t) => write!(f, "{t} packet without an acknowledgement id"),
            Self::PayloadMissing(t) => write!(f, "{t} packet without a payload"),
            Self::PayloadNotAllowed(t) => write!(f, "{t} packets carry no payload"),
            Self::InvalidJson(e) => write!(f, "invalid JSON payload: {e}"),
            Self::WrongPayloadType { packet, expected } => {
                write!(f, "{packet} payload must be {expected}")
            }
            Self::EmptyEvent => f.write_str("event payload is an empty array"),
            Self::BadEventName => f.write_str("event name is neither a string nor a number"),
            Self::ReservedEventName(n) => write!(f, "event name {n:?} is reserved"),
            Self::PlaceholderWithoutAttachments => {
                f.write_str("attachment placeholder in a packet without attachments")
            }
            Self::PlaceholderOutOfRange { num, attachments } => {
                write!(f, "placeholder refers to attachment {num} of {attachments}")
            }
            Self::DuplicatePlaceholder(n) => write!(f, "attachment {n} referenced twice"),
            Self::UnreferencedAttachment(n) => write!(f, "attachment {n} is never referenced"),
            Self::UnexpectedBinary => {
                f.write_str("binary message while no attachment was expected")
            }
            Self::UnexpectedText { missing } => write!(
                f,
                "text message while {missing} attachment(s) of a binary packet are missing"
            ),
            Self::AttachmentsTooLarge { max } => {
                write!(f, "attachments of one packet exceed {max} bytes")
            }
            Self::InvalidMsgPack(e) => write!(f, "invalid MessagePack packet: {e}"),
        }
    }
}

impl std::error::Error for DecodeError {}

impl From<JsonError> for DecodeError {
    fn from(e: JsonError) -> Self {
        Self::InvalidJson(e)
    }
}

impl From<MsgPackError> for DecodeError {
    fn from(e: MsgPackError) -> Self {
        Self::InvalidMsgPack(e)
    }
}

/// Why a MessagePack packet (the `socket.io-msgpack-parser` wire format) was refused. Offsets are
/// byte offsets into the binary message.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum MsgPackError {
    /// The message ends inside a value, or a length announces more bytes than remain.
    Truncated {
        /// Where the value that does not fit starts.
        offset: usize,
    },
    /// Bytes follow the packet's map.
    TrailingBytes {
        /// Where they start.
        offset: usize,
    },
    /// The format byte `0xc1`, which MessagePack never uses.
    ReservedFormat {
        /// Its offset.
        offset: usize,
    },
    /// An extension type notepack.io does not map to a JSON value (only `undefined` and
    /// `ArrayBuffer` are accepted; a `Date` or `BigInt` has no JSON form here).
    UnsupportedExtension {
        /// The extension type.
        ext_type: i8,
        /// Offset of the extension's format byte.
        offset: usize,
    },
    /// Arrays and maps (and binary, which the text format writes as a placeholder object) nest
    /// deeper than [`Limits::max_depth`](super::Limits::max_depth).
    TooDeep {
        /// The limit.
        max: usize,
    },
    /// A map key that is not a string.
    NonStringKey {
        /// Offset of the key.
        offset: usize,
    },
    /// The message is not a map (`{type, nsp, data?, id?}`).
    NotAMap,
    /// `type` is missing or not an integer from 0 (CONNECT) to 4 (CONNECT_ERROR).
    BadPacketType,
    /// `nsp` is missing, not a string, or not a namespace name (a leading `/`, no `,`).
    BadNamespace,
    /// `id` is not an integer.
    BadAckId,
    /// Binary data in the payload of a packet type that cannot carry attachments.
    BinaryNotAllowed(PacketType),
    /// A text message on a connection that speaks MessagePack
    /// ([`Parser::MsgPack`](super::Parser::MsgPack)): every packet of that wire is one binary
    /// message, so the client uses another parser than the server.
    TextMessage,
}

impl fmt::Display for MsgPackError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Truncated { offset } => write!(f, "value at byte {offset} runs past the end"),
            Self::TrailingBytes { offset } => write!(f, "trailing bytes from byte {offset}"),
            Self::ReservedFormat { offset } => write!(f, "reserved format byte at {offset}"),
            Self::UnsupportedExtension { ext_type, offset } => {
                write!(f, "unsupported extension type {ext_type} at byte {offset}")
            }
            Self::TooDeep { max } => write!(f, "nested deeper than {max} levels"),
            Self::NonStringKey { offset } => write!(f, "map key at byte {offset} is not a string"),
            Self::NotAMap => f.write_str("the packet is not a map"),
            Self::BadPacketType => f.write_str("type is missing or not an integer 0..=4"),
            Self::BadNamespace => f.write_str("nsp is missing or not a namespace name"),
            Self::BadAckId => f.write_str("id is not an integer"),
            Self::BinaryNotAllowed(t) => write!(f, "{t} packets carry no binary data"),
            Self::TextMessage => {
                f.write_str("text message where a MessagePack packet was expected")
            }
        }
    }
}

impl std::error::Error for MsgPackError {}

/// Why a JSON text was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum JsonError {
    /// Not JSON: unexpected input at this byte offset.
    Syntax {
        /// Byte offset into the JSON text.
        offset: usize,
    },
    /// Arrays and objects nest deeper than the limit.
    TooDeep {
        /// The configured limit.
        max: usize,
    },
    /// A number too large for an `f64` (`1e400`): `JSON.parse` would make it an infinity, which
    /// JSON cannot write back, and `serde_json` refuses it, so no handler could read it.
    NumberOutOfRange {
        /// Byte offset of the number.
        offset: usize,
    },
    /// An object with `"_placeholder":true` that is not exactly `{"_placeholder":true,"num":<n>}`.
    MalformedPlaceholder {
        /// Byte offset of the object's end.
        offset: usize,
    },
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Syntax { offset } => write!(f, "syntax error at byte {offset}"),
            Self::TooDeep { max } => write!(f, "nested deeper than {max} levels"),
            Self::NumberOutOfRange { offset } => {
                write!(f, "number at byte {offset} is too large for a 64-bit float")
            }
            Self::MalformedPlaceholder { offset } => {
                write!(
                    f,
                    "malformed attachment placeholder ending at byte {offset}"
                )
            }
        }
    }
}

impl std::error::Error for JsonError {}

/// The peer broke the protocol; the connection is closed with this reason.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PeerMisbehaved {
    /// A message that is not a valid packet (or attachment).
    Malformed(DecodeError),
    /// A CONNECT for a namespace that is already connected or connecting.
    DuplicateConnect {
        /// The namespace.
        nsp: String,
    },
    /// A packet other than CONNECT for a namespace that is not connected.
    NotConnected {
        /// The namespace.
        nsp: String,
        /// The packet's type.
        packet: PacketType,
    },
    /// A CONNECT_ERROR sent by the client (only servers send those).
    ConnectErrorFromClient {
        /// The namespace.
        nsp: String,
    },
}

impl fmt::Display for PeerMisbehaved {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("peer misbehaved: ")?;
        match self {
            Self::Malformed(e) => write!(f, "{e}"),
            Self::DuplicateConnect { nsp } => {
                write!(f, "CONNECT for namespace {nsp:?} which is already joined")
            }
            Self::NotConnected { nsp, packet } => {
                write!(f, "{packet} for namespace {nsp:?} which is not connected")
            }
            Self::ConnectErrorFromClient { nsp } => {
                write!(f, "CONNECT_ERROR from the client for namespace {nsp:?}")
            }
        }
    }
}

impl std::error::Error for PeerMisbehaved {}

impl From<DecodeError> for PeerMisbehaved {
    fn from(e: DecodeError) -> Self {
        Self::Malformed(e)
    }
}

/// The application or runtime asked for something the protocol does not allow. Returned to the
/// caller; the connection is unaffected.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ApiMisuse {
    /// The connection is already closed.
    ConnectionClosed,
    /// A packet encoded for another parser than the connection's
    /// ([`Connection::send`](super::Connection::send)): encode with the server's
    /// [`Parser`](super::Parser).
    WrongParser,
    /// `accept`/`reject` for a namespace that is not waiting for a decision.
    NotConnecting {
        /// The namespace.
        nsp: String,
    },
    /// The namespace's policy requires an identity this call does not give (use the JWT flow, or
    /// `accept_with` under the application's own check).
    AuthenticationRequired {
        /// The namespace.
        nsp: String,
    },
    /// An emit, ack or disconnect on a namespace that is not connected.
    NotConnected {
        /// The namespace.
        nsp: String,
    },
    /// A namespace name that does not start with `/` or contains a `,`.
    InvalidNamespace(String),
    /// An event name the protocol reserves (`connect`, `disconnect`, ...).
    ReservedEventName(String),
    /// An acknowledgement id that is already waiting for its ACK.
    DuplicateAckId {
        /// The namespace.
        nsp: String,
        /// The id.
        id: u64,
    },
    /// Text that is not JSON (or nests too deep).
    InvalidJson(JsonError),
    /// Arguments whose placeholders do not match the attachment list one to one.
    PlaceholderMismatch(DecodeError),
}

impl fmt::Display for ApiMisuse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("API misuse: ")?;
        match self {
            Self::ConnectionClosed => f.write_str("the connection is closed"),
            Self::WrongParser => f.write_str("packet encoded for another parser"),
            Self::NotConnecting { nsp } => {
                write!(f, "namespace {nsp:?} is not waiting for a connect decision")
            }
            Self::AuthenticationRequired { nsp } => {
                write!(f, "namespace {nsp:?} requires an authenticated identity")
            }
            Self::NotConnected { nsp } => write!(f, "namespace {nsp:?} is not connected"),
            Self::InvalidNamespace(n) => write!(
                f,
                "invalid namespace {n:?} (must start with '/' and contain no ',')"
            ),
            Self::ReservedEventName(n) => write!(f, "event name {n:?} is reserved"),
            Self::DuplicateAckId { nsp, id } => {
                write!(f, "ack id {id} is already pending on namespace {nsp:?}")
            }
            Self::InvalidJson(e) => write!(f, "invalid JSON: {e}"),
            Self::PlaceholderMismatch(e) => {
                write!(f, "placeholders do not match the attachments: {e}")
            }
        }
    }
}

impl std::error::Error for ApiMisuse {}
