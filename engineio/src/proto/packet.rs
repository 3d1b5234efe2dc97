//! Engine.IO packets: the seven types, their text form, and the message payloads they carry.
//!
//! A text packet is one type digit followed by its data (`4hello`, `2probe`). A binary packet only
//! exists for messages: over WebSocket it is the frame's bytes, in a polling payload it is `b` + base64.

use bytes::{BufMut, Bytes, BytesMut};
use std::fmt;

/// A string held in shared [`Bytes`], guaranteed to be valid UTF-8.
///
/// Text messages are kept in `Bytes` so that one encoded broadcast can be handed to many sessions
/// without copying.
#[derive(Clone, PartialEq, Eq, Hash, Default)]
pub struct Text(Bytes);

impl Text {
    /// Checks that `bytes` are UTF-8 and wraps them.
    pub fn from_utf8(bytes: Bytes) -> Result<Self, std::str::Utf8Error> {
        // Nearly every message is ASCII, and the ASCII test reads a word a step where the UTF-8
        // check (needed only past the first byte above 0x7f) reads them one by one at first.
        if !bytes.is_ascii() {
            std::str::from_utf8(&bytes)?;
        }
        Ok(Self(bytes))
    }

    /// Splits off the first byte when it is ASCII (a packet's type): the rest is still UTF-8.
    /// Gives the text back otherwise. The rest keeps the same bytes, moved past the type (no
    /// count taken and dropped, as a slice of a borrowed text would).
    pub(crate) fn into_split_type(mut self) -> Result<(u8, Text), Text> {
        match self.0.first() {
            Some(&kind) if kind.is_ascii() => {
                bytes::Buf::advance(&mut self.0, 1);
                Ok((kind, self))
            }
            _ => Err(self),
        }
    }

    /// Bytes a [`TextBuf`](super::text_buf::TextBuf) wrote, from `&str`s and `char`s only:
    /// UTF-8 by construction, taken without a check.
    pub(crate) fn from_written(bytes: Bytes) -> Self {
        Self(bytes)
    }

    /// A text from a static string, without copying.
    pub const fn from_static(s: &'static str) -> Self {
        Self(Bytes::from_static(s.as_bytes()))
    }

    /// The text as a string slice.
    pub fn as_str(&self) -> &str {
        // Every constructor validates UTF-8, so this never takes the fallback.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }

    /// The UTF-8 bytes.
    pub fn as_bytes(&self) -> &Bytes {
        &self.0
    }

    /// Consumes the text, giving its UTF-8 bytes.
    pub fn into_bytes(self) -> Bytes {
        self.0
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the text is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<String> for Text {
    fn from(s: String) -> Self {
        Self(Bytes::from(s))
    }
}

impl From<&str> for Text {
    fn from(s: &str) -> Self {
        Self(Bytes::copy_from_slice(s.as_bytes()))
    }
}

impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The payload of a message packet: text or binary.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Data {
    /// A text message (`4...`).
    Text(Text),
    /// A binary message (a binary WebSocket frame, or `b<base64>` when polling).
    Binary(Bytes),
}

impl Data {
    /// Size of the payload in bytes (before any base64 encoding).
    pub fn len(&self) -> usize {
        match self {
            Data::Text(t) => t.len(),
            Data::Binary(b) => b.len(),
        }
    }

    /// Whether the payload is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The type character of a message packet (`4`).
pub(crate) const MESSAGE: u8 = b'4';

/// One Engine.IO packet.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Packet {
    /// `0`: the handshake, sent by the server once; carries the JSON handshake data.
    Open(Text),
    /// `1`: the transport is to be closed.
    Close,
    /// `2`: heartbeat from the server, or `2probe` from a client probing a WebSocket.
    Ping(Text),
    /// `3`: the answer to a ping (`3probe` answers a probe).
    Pong(Text),
    /// `4`: an application message.
    Message(Data),
    /// `5`: the client switches to the probed WebSocket.
    Upgrade,
    /// `6`: does nothing; releases a parked poll during an upgrade.
    Noop,
}

/// Why bytes could not be decoded as a packet. Always the peer's fault.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[non_exhaustive]
pub enum DecodeError {
    /// An empty packet.
    Empty,
    /// The first character is not a packet type `0`-`6`.
    UnknownType(u8),
    /// A text packet that is not valid UTF-8.
    InvalidUtf8,
    /// `b` + base64 that does not decode.
    InvalidBase64,
    /// A payload longer than `maxPayload`.
    TooLarge,
    /// An Engine.IO v3 payload whose length prefix is malformed or does not match what follows.
    InvalidLength,
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::Empty => f.write_str("empty packet"),
            DecodeError::UnknownType(b) => write!(f, "unknown packet type {:?}", char::from(*b)),
            DecodeError::InvalidUtf8 => f.write_str("text packet is not valid UTF-8"),
            DecodeError::InvalidBase64 => f.write_str("binary packet is not valid base64"),
            DecodeError::TooLarge => f.write_str("payload exceeds maxPayload"),
            DecodeError::InvalidLength => f.write_str("malformed length in a v3 payload"),
        }
    }
}

impl std::error::Error for DecodeError {}

impl Packet {
    /// The packet's type digit.
    pub fn type_char(&self) -> u8 {
        match self {
            Packet::Open(_) => b'0',
            Packet::Close => b'1',
            Packet::Ping(_) => b'2',
            Packet::Pong(_) => b'3',
            Packet::Message(_) => b'4',
            Packet::Upgrade => b'5',
            Packet::Noop => b'6',
        }
    }

    /// A text message packet.
    pub fn text(s: impl Into<Text>) -> Self {
        Packet::Message(Data::Text(s.into()))
    }

    /// A binary message packet.
    pub fn binary(b: impl Into<Bytes>) -> Self {
        Packet::Message(Data::Binary(b.into()))
    }

    /// The packet's text form as [`Text`] (every text form is UTF-8: a binary message's is
    /// `b` + base64).
    pub fn to_text(&self) -> Text {
        Text(self.encode_text())
    }

    /// Decodes a text packet whose type character is `kind` and whose data is `data`.
    pub fn from_parts(kind: u8, data: Text) -> Result<Packet, DecodeError> {
        Ok(match kind {
            b'0' => Packet::Open(data),
            b'1' => Packet::Close,
            b'2' => Packet::Ping(data),
            b'3' => Packet::Pong(data),
            MESSAGE => Packet::Message(Data::Text(data)),
            b'5' => Packet::Upgrade,
            b'6' => Packet::Noop,
            other => return Err(DecodeError::UnknownType(other)),
        })
    }

    /// Decodes a text packet (a WebSocket text frame, or one segment of a polling payload).
    ///
    /// The data is sliced from `bytes` without copying.
    pub fn decode_text(bytes: Bytes) -> Result<Packet, DecodeError> {
        let Some(&kind) = bytes.first() else {
            return Err(DecodeError::Empty);
        };
        if !(b'0'..=b'6').contains(&kind) {
            return Err(DecodeError::UnknownType(kind));
        }
        let text = Text::from_utf8(bytes.slice(1..)).map_err(|_| DecodeError::InvalidUtf8)?;
        Self::from_parts(kind, text)
    }

    /// Appends the text form of the packet. A binary message is written as `b` + base64, as in a
    /// polling payload.
    pub fn encode_text_into(&self, out: &mut BytesMut) {
        match self {
            Packet::Message(Data::Binary(b)) => {
                out.put_u8(b'b');
                crate::proto::base64::encode_into(b, out);
            }
            Packet::Open(t)
            | Packet::Ping(t)
            | Packet::Pong(t)
            | Packet::Message(Data::Text(t)) => {
                out.reserve(1 + t.len());
                out.put_u8(self.type_char());
                out.put_slice(t.as_bytes());
            }
            Packet::Close | Packet::Upgrade | Packet::Noop => out.put_u8(self.type_char()),
        }
    }

    /// The text form of the packet as one buffer (see [`Packet::encode_text_into`]).
    pub fn encode_text(&self) -> Bytes {
        let mut out = BytesMut::new();
        self.encode_text_into(&mut out);
        out.freeze()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_text_split_after_its_type_reads_the_rest() {
        use std::hash::{BuildHasher, RandomState};
        let whole = Text::from_utf8(Bytes::from_static("42[\"é\",1]".as_bytes())).unwrap();
        let (kind, rest) = whole.clone().into_split_type().unwrap();
        assert_eq!(kind, b'4');
        assert_eq!(rest.as_str(), "2[\"é\",1]");
        assert_eq!(rest.as_bytes(), "2[\"é\",1]".as_bytes());
        assert_eq!(rest.len(), 9);
        let (_, inner) = rest.into_split_type().unwrap();
        assert_eq!(inner.as_str(), "[\"é\",1]");
        // Equal, and hashed alike, to the same text made whole.
        let same = Text::from("[\"é\",1]");
        assert_eq!(inner, same);
        let hasher = RandomState::new();
        assert_eq!(hasher.hash_one(&inner), hasher.hash_one(&same));
        assert_eq!(format!("{inner:?}"), format!("{same:?}"));
        assert_eq!(
            inner.clone().into_bytes(),
            Bytes::from_static("[\"é\",1]".as_bytes())
        );
        assert_eq!(whole.into_bytes().len(), 10);
        // A first byte that is not ASCII is not a type.
        assert_eq!(
            Text::from("é").into_split_type().unwrap_err(),
            Text::from("é")
        );
        assert!(Text::default().into_split_type().is_err());
        assert!(Text::from_utf8(Bytes::from_static(b"\xff")).is_err());
    }

    #[test]
    fn from_utf8_checks_past_an_ascii_start() {
        // ASCII takes the word-a-step test; anything else the full UTF-8 check, wherever it sits.
        assert!(Text::from_utf8(Bytes::from_static(b"42[\"echo\",\"plain text\"]")).is_ok());
        assert!(Text::from_utf8(Bytes::from_static("42[\"\u{e9}t\u{e9}\"]".as_bytes())).is_ok());
        assert!(Text::from_utf8(Bytes::from_static(b"42[\"0123456789abcdef\xff\"]")).is_err());
        assert!(Text::from_utf8(Bytes::from_static(b"42[\"0123456789abcdef\xc3\"]")).is_err());
        assert!(Text::from_utf8(Bytes::from_static(b"\xed\xa0\x80")).is_err()); // a surrogate
        assert!(Text::from_utf8(Bytes::new()).is_ok());
    }

    #[test]
    fn decodes_every_type() {
        let table: &[(&str, Packet)] = &[
            (
                "0{\"sid\":\"x\"}",
                Packet::Open(Text::from("{\"sid\":\"x\"}")),
            ),
            ("1", Packet::Close),
            ("2", Packet::Ping(Text::default())),
            ("2probe", Packet::Ping(Text::from("probe"))),
            ("3", Packet::Pong(Text::default())),
            ("3probe", Packet::Pong(Text::from("probe"))),
            ("4hello", Packet::text("hello")),
            ("4", Packet::text("")),
            ("4é€😀", Packet::text("é€😀")),
            ("5", Packet::Upgrade),
            ("6", Packet::Noop),
        ];
        for (wire, packet) in table {
            let decoded = Packet::decode_text(Bytes::from(*wire)).unwrap();
            assert_eq!(&decoded, packet, "{wire}");
            assert_eq!(decoded.encode_text(), Bytes::from(*wire), "{wire}");
        }
    }

    #[test]
    fn rejects_bad_packets() {
        assert_eq!(Packet::decode_text(Bytes::new()), Err(DecodeError::Empty));
        assert_eq!(
            Packet::decode_text(Bytes::from("7")),
            Err(DecodeError::UnknownType(b'7'))
        );
        assert_eq!(
            Packet::decode_text(Bytes::from("x1")),
            Err(DecodeError::UnknownType(b'x'))
        );
        assert_eq!(
            Packet::decode_text(Bytes::from_static(b"4\xff\xfe")),
            Err(DecodeError::InvalidUtf8)
        );
    }

    #[test]
    fn binary_message_text_form_is_base64() {
        let p = Packet::binary(vec![1u8, 2, 3, 4]);
        assert_eq!(p.encode_text(), Bytes::from("bAQIDBA=="));
    }
}
