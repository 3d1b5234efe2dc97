//! Decoding one Socket.IO text packet, validated as strictly as Node's `socket.io-parser`.
//!
//! Wire format: `<type>[<attachments>-][<nsp>,][<ack id>][<json>]`. The namespace may also end at
//! the end of the text (`1/admin`), as Node accepts.

use super::binary::{check_placeholders, BinaryHeader, PartialPacket};
use super::error::DecodeError;
use super::json::{self, parse_u64, Elements, Kind, Scanned};
use super::packet::{is_reserved_event, Namespace, Packet, PacketType};
use super::payload::{ArgsBuilder, Payload};
use super::raw_json::RawJson;

/// Limits on what a peer may send, applied while decoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Attachments one BINARY packet may announce (Node's `maxAttachments`, default 10).
    pub max_attachments: usize,
    /// Total bytes of one packet's attachments (default 10 MB: ten attachments of Engine.IO's
    /// default 1 MB `maxPayload`).
    pub max_attachment_bytes: usize,
    /// How deep arrays and objects may nest in a payload (default 32; at most
    /// [`MAX_DEPTH_CAP`](super::json::MAX_DEPTH_CAP)).
    pub max_depth: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_attachments: 10,
            max_attachment_bytes: 10_000_000,
            max_depth: 32,
        }
    }
}

/// The result of decoding: a whole packet, or a binary packet waiting for its attachments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decoded {
    /// The packet is complete.
    Complete(Packet),
    /// A BINARY_EVENT / BINARY_ACK header; its attachments follow as binary messages.
    Partial(PartialPacket),
}

/// Decodes one Engine.IO text message as a Socket.IO packet.
pub fn decode_text(text: &str, limits: &Limits) -> Result<Decoded, DecodeError> {
    decode_text_reusing(text, limits, &mut None)
}

/// [`decode_text`], writing an event's name into `spare` (taken) when there is one: a
/// connection hands back each event's name once its handlers ran, so that reading a name takes
/// no allocation of its own.
pub(crate) fn decode_text_reusing(
    text: &str,
    limits: &Limits,
    spare: &mut Option<String>,
) -> Result<Decoded, DecodeError> {
    let mut cur = Cursor {
        text,
        bytes: text.as_bytes(),
        pos: 0,
    };
    let first = cur.next().ok_or(DecodeError::Empty)?;
    let ty = PacketType::from_digit(first)
        .ok_or_else(|| DecodeError::UnknownPacketType(text.chars().next().unwrap_or_default()))?;

    let attachments = if ty.is_binary() {
        let digits = cur.digits();
        if cur.next() != Some(b'-') {
            return Err(DecodeError::BadAttachmentCount);
        }
        let n = parse_u64(digits).ok_or(DecodeError::BadAttachmentCount)?;
        if n == 0 {
            return Err(DecodeError::BadAttachmentCount);
        }
        match usize::try_from(n) {
            Ok(n) if n <= limits.max_attachments => n,
            _ => {
                return Err(DecodeError::TooManyAttachments {
                    announced: n,
                    max: limits.max_attachments,
                })
            }
        }
    } else {
        0
    };

    let nsp = if cur.peek() == Some(b'/') {
        Namespace::from_wire(cur.namespace())
    } else {
        Namespace::main()
    };

    let id_digits = cur.digits();
    let id = if id_digits.is_empty() {
        None
    } else {
        Some(parse_u64(id_digits).ok_or(DecodeError::AckIdOverflow)?)
    };

    let payload = cur.rest().filter(|p| !p.is_empty());

    match ty {
        PacketType::Connect => {
            forbid_id(ty, id)?;
            let data = match payload {
                None => None,
                Some(p) => {
                    let scanned = json::scan(p, limits.max_depth)?;
                    expect_kind(ty, &scanned, &[Kind::Object], "an object")?;
                    Some(RawJson::from_trusted(scanned.text.into_owned()))
                }
            };
            Ok(Decoded::Complete(Packet::Connect { nsp, data }))
        }
        PacketType::Disconnect => {
            forbid_id(ty, id)?;
            if payload.is_some() {
                return Err(DecodeError::PayloadNotAllowed(ty));
            }
            Ok(Decoded::Complete(Packet::Disconnect { nsp }))
        }
        PacketType::ConnectError => {
            forbid_id(ty, id)?;
            let p = payload.ok_or(DecodeError::PayloadMissing(ty))?;
            let kinds = [Kind::Object, Kind::String];
            let scanned = json::scan(p, limits.max_depth)?;
            expect_kind(ty, &scanned, &kinds, "an object or a string")?;
            let data = RawJson::from_trusted(scanned.text.into_owned());
            Ok(Decoded::Complete(Packet::ConnectError { nsp, data }))
        }
        PacketType::Event | PacketType::BinaryEvent => {
            let p = payload.ok_or(DecodeError::PayloadMissing(ty))?;
            let mut parts = Parts::event(spare);
            let scanned = json::scan_elements(p, limits.max_depth, &mut parts)?;
            expect_kind(ty, &scanned, &[Kind::Array], "an array")?;
            check_placeholders(&scanned.placeholders, attachments)?;
            let name = parts.name.ok_or(DecodeError::EmptyEvent)??;
            if is_reserved_event(&name) {
                return Err(DecodeError::ReservedEventName(name));
            }
            let args = parts.args;
            if attachments == 0 {
                let args = Payload::from_checked_args(args);
                Ok(Decoded::Complete(Packet::Event {
                    nsp,
                    id,
                    name,
                    args,
                }))
            } else {
                let header = BinaryHeader::Event { nsp, id, name };
                Ok(Decoded::Partial(PartialPacket::new(
                    header,
                    args.into_vec(),
                    attachments,
                    limits.max_attachment_bytes,
                )))
            }
        }
        PacketType::Ack | PacketType::BinaryAck => {
            let id = id.ok_or(DecodeError::AckIdMissing(ty))?;
            let p = payload.ok_or(DecodeError::PayloadMissing(ty))?;
            let mut parts = Parts::ack();
            let scanned = json::scan_elements(p, limits.max_depth, &mut parts)?;
            expect_kind(ty, &scanned, &[Kind::Array], "an array")?;
            check_placeholders(&scanned.placeholders, attachments)?;
            let args = parts.args;
            if attachments == 0 {
                let args = Payload::from_checked_args(args);
                Ok(Decoded::Complete(Packet::Ack { nsp, id, args }))
            } else {
                let header = BinaryHeader::Ack { nsp, id };
                Ok(Decoded::Partial(PartialPacket::new(
                    header,
                    args.into_vec(),
                    attachments,
                    limits.max_attachment_bytes,
                )))
            }
        }
    }
}

struct Cursor<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn next(&mut self) -> Option<u8> {
        let b = self.peek()?;
        self.pos += 1;
        Some(b)
    }

    fn digits(&mut self) -> &'a [u8] {
        let start = self.pos;
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.pos += 1;
        }
        self.bytes.get(start..self.pos).unwrap_or_default()
    }

    /// Reads a namespace starting at `/`, up to a `,` (consumed) or the end.
    fn namespace(&mut self) -> &'a str {
        let start = self.pos;
        let rest = self.bytes.get(start..).unwrap_or_default();
        let len = rest.iter().position(|&b| b == b',').unwrap_or(rest.len());
        self.pos = start + len;
        let name = self.text.get(start..self.pos).unwrap_or("/");
        if self.peek() == Some(b',') {
            self.pos += 1;
        }
        name
    }

    fn rest(&self) -> Option<&'a str> {
        self.text.get(self.pos..)
    }
}

fn forbid_id(ty: PacketType, id: Option<u64>) -> Result<(), DecodeError> {
    match id {
        Some(_) => Err(DecodeError::AckIdNotAllowed(ty)),
        None => Ok(()),
    }
}

/// Checks that a scanned payload's top-level kind is one of `kinds`. (The scan is not wrapped in
/// here: handing the scanned text on through a second `Result` copied it once more per packet.)
fn expect_kind(
    ty: PacketType,
    scanned: &Scanned<'_>,
    kinds: &[Kind],
    expected: &'static str,
) -> Result<(), DecodeError> {
    match kinds.contains(&scanned.kind) {
        true => Ok(()),
        false => Err(DecodeError::WrongPayloadType {
            packet: ty,
            expected,
        }),
    }
}

/// An event's or an acknowledgement's array, taken element by element as the scan finds them:
/// an event's name from the first, the arguments from the rest (all of an acknowledgement's).
struct Parts<'s> {
    /// For an event: where its name is written (see [`decode_text_reusing`]); `None` for an
    /// acknowledgement, which has no name.
    spare: Option<&'s mut Option<String>>,
    /// The event's name, once the first element was seen.
    name: Option<Result<String, DecodeError>>,
    args: ArgsBuilder,
}

impl<'s> Parts<'s> {
    fn event(spare: &'s mut Option<String>) -> Self {
        Self {
            spare: Some(spare),
            name: None,
            args: ArgsBuilder::new(),
        }
    }

    fn ack() -> Self {
        Self {
            spare: None,
            name: None,
            args: ArgsBuilder::new(),
        }
    }
}

impl Elements for Parts<'_> {
    fn element(&mut self, text: &str, kind: Kind, escaped: bool) {
        match &mut self.spare {
            Some(spare) if self.name.is_none() => {
                self.name = Some(event_name(text, kind, escaped, spare));
            }
            _ => self.args.push(RawJson::from_trusted(text.to_owned())),
        }
    }
}

/// An event's name from its array's first element, written into `spare` when it is a string
/// without escapes.
fn event_name(
    first: &str,
    kind: Kind,
    escaped: bool,
    spare: &mut Option<String>,
) -> Result<String, DecodeError> {
    match kind {
        // A string without escapes is its own text between the quotes (the scanner checked it).
        Kind::String if !escaped => {
            let text =
                (first.get(1..first.len().saturating_sub(1))).ok_or(DecodeError::BadEventName)?;
            Ok(match spare.take() {
                Some(mut name) => {
                    name.clear();
                    name.push_str(text);
                    name
                }
                None => text.to_owned(),
            })
        }
        Kind::String => serde_json::from_str(first).map_err(|_| DecodeError::BadEventName),
        // Node keys listeners by property name, so a numeric name acts as text; keep its JSON text.
        Kind::Number => Ok(first.to_owned()),
        _ => Err(DecodeError::BadEventName),
    }
}
