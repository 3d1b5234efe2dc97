//! Encoding packets into the text message and binary attachments that go on the wire.
//!
//! The output is exact: compact JSON, arguments written as their [`RawJson`] text (so key order
//! is whatever the arguments had), the namespace left out when it is `/`, BINARY_* types chosen
//! when attachments are present, as Node's encoder does.
//!
//! These functions are socket.io-parser's (the default [`Parser::Json`](super::Parser::Json)).
//! Code that sends to a server's clients encodes with that server's [`Parser`](super::Parser),
//! whose methods of the same names choose between them and the MessagePack codec; [`Encoded`]
//! carries either form.

use bytes::Bytes;
use engineio::proto::{Text, TextBuf};

use super::error::ApiMisuse;
use super::json::{string_len, write_string};
use super::packet::{is_reserved_event, Namespace, Packet, PacketType};
use super::payload::Payload;
use super::raw_json::RawJson;

/// An encoded packet, in the form of the parser that encoded it (see [`Parser`](super::Parser)):
/// one text message followed by its binary attachments (socket.io-parser, the default), or one
/// binary message (socket.io-msgpack-parser). Every road a packet takes (emits, acks, broadcasts
/// encoded once, CONNECT replies, recovery's kept packets) carries this one type, so it works
/// the same for both.
///
/// Cheap to clone (reference-counted buffers), so a broadcast encodes once and hands a clone to
/// every receiver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Encoded {
    wire: Wire,
}

/// The Engine.IO messages of an [`Encoded`] packet, as they go on the wire.
#[derive(Debug, PartialEq, Eq)]
pub enum Wire {
    /// A text message (without the Engine.IO `4` prefix), then each attachment as one binary
    /// message: socket.io-parser.
    Text {
        /// The Socket.IO text. Built from a `String`, so the Engine.IO text needs no second
        /// UTF-8 check.
        text: Text,
        /// The binary attachments, each one binary message after the text.
        attachments: Vec<Bytes>,
    },
    /// One binary message holding the whole packet: socket.io-msgpack-parser.
    Binary(Bytes),
}

impl Encoded {
    /// A packet encoded as one binary message (the MessagePack wire).
    pub fn binary(message: Bytes) -> Self {
        Self {
            wire: Wire::Binary(message),
        }
    }

    /// The Engine.IO messages, borrowed.
    pub fn wire(&self) -> &Wire {
        &self.wire
    }

    /// The Engine.IO messages.
    pub fn into_wire(self) -> Wire {
        self.wire
    }

    /// The Socket.IO text (UTF-8), without the Engine.IO `4` (message) prefix; empty for a
    /// packet encoded as one binary message (see [`Encoded::wire`]).
    pub fn text(&self) -> &Bytes {
        static EMPTY: Bytes = Bytes::from_static(b"");
        match &self.wire {
            Wire::Text { text, .. } => text.as_bytes(),
            Wire::Binary(_) => &EMPTY,
        }
    }

    /// The text as `&str`; empty for a packet encoded as one binary message.
    pub fn as_str(&self) -> &str {
        match &self.wire {
            Wire::Text { text, .. } => text.as_str(),
            Wire::Binary(_) => "",
        }
    }

    /// The binary attachments, each sent as one Engine.IO binary message after the text; none
    /// for a packet encoded as one binary message.
    pub fn attachments(&self) -> &[Bytes] {
        match &self.wire {
            Wire::Text { attachments, .. } => attachments,
            Wire::Binary(_) => &[],
        }
    }

    /// How many Engine.IO messages the packet takes, and their weight as
    /// [`engineio::proto::budget`] counts it (for send budgets and recovery stores).
    pub fn messages_and_weight(&self) -> (usize, usize) {
        use engineio::proto::budget::weight_of_group;
        match &self.wire {
            Wire::Text { text, attachments } => (
                1 + attachments.len(),
                weight_of_group(text.as_bytes().len(), attachments),
            ),
            Wire::Binary(message) => (1, weight_of_group(message.len(), &[])),
        }
    }

    /// The bytes of all its messages together (text and attachments, or the binary message).
    pub fn byte_len(&self) -> usize {
        match &self.wire {
            Wire::Text { text, attachments } => {
                (attachments.iter()).fold(text.as_bytes().len(), |sum, a| sum + a.len())
            }
            Wire::Binary(message) => message.len(),
        }
    }

    /// A packet another node of a cluster encoded, as [`Encoded::into_parts`] gave it: taken as
    /// it is. An empty text with exactly one attachment is a packet encoded as one binary
    /// message (a text packet is never empty).
    pub fn from_wire(text: String, attachments: Vec<Bytes>) -> Self {
        match <[Bytes; 1]>::try_from(attachments) {
            Ok([message]) if text.is_empty() => Self::binary(message),
            Ok([attachment]) => Self::text_form(text, vec![attachment]),
            Err(attachments) => Self::text_form(text, attachments),
        }
    }

    fn text_form(text: String, attachments: Vec<Bytes>) -> Self {
        Self {
            wire: Wire::Text {
                text: Text::from(text),
                attachments,
            },
        }
    }

    /// A text packet without attachments.
    fn text_only(text: Text) -> Self {
        Self {
            wire: Wire::Text {
                text,
                attachments: Vec::new(),
            },
        }
    }

    /// Splits into the text and the attachments, for another node of a cluster
    /// ([`Encoded::from_wire`] goes back): a packet encoded as one binary message gives an empty
    /// text and that message as the only attachment.
    pub fn into_parts(self) -> (Bytes, Vec<Bytes>) {
        match self.wire {
            Wire::Text { text, attachments } => (text.into_bytes(), attachments),
            Wire::Binary(message) => (Bytes::new(), vec![message]),
        }
    }
}

// A broadcast clones its packet once per receiver, and most packets have no attachments: an
// empty list is made, not cloned (`Vec::clone` is an out-of-line call even for none).
impl Clone for Wire {
    fn clone(&self) -> Self {
        match self {
            Wire::Text { text, attachments } => Wire::Text {
                text: text.clone(),
                attachments: match attachments.is_empty() {
                    true => Vec::new(),
                    false => attachments.clone(),
                },
            },
            Wire::Binary(message) => Wire::Binary(message.clone()),
        }
    }
}

/// Encodes any packet.
pub fn encode(packet: &Packet) -> Encoded {
    match packet {
        Packet::Connect { nsp, data } => plain(PacketType::Connect, nsp, data.as_ref()),
        Packet::Disconnect { nsp } => plain(PacketType::Disconnect, nsp, None),
        Packet::ConnectError { nsp, data } => plain(PacketType::ConnectError, nsp, Some(data)),
        Packet::Event {
            nsp,
            id,
            name,
            args,
        } => encode_event(nsp, *id, name, args),
        Packet::Ack { nsp, id, args } => encode_ack(nsp, *id, args),
    }
}

/// Encodes an event the application emits: as [`encode_event`], but a name Socket.IO reserves
/// (`connect`, `disconnect`, ..., see [`is_reserved_event`]) is refused. The one place this rule
/// lives: [`Connection::emit`](super::Connection::emit) and a runtime that encodes its emits
/// itself (once for every receiver of a broadcast) both use it.
pub fn encode_emit(
    nsp: &Namespace,
    id: Option<u64>,
    name: &str,
    args: &Payload,
) -> Result<Encoded, ApiMisuse> {
    check_emit_name(name)?;
    Ok(encode_event(nsp, id, name, args))
}

/// The rule on the names of events the application emits, whatever the parser: one Socket.IO
/// reserves is refused.
pub(crate) fn check_emit_name(name: &str) -> Result<(), ApiMisuse> {
    match is_reserved_event(name) {
        true => Err(ApiMisuse::ReservedEventName(name.to_owned())),
        false => Ok(()),
    }
}

/// Encodes an event the application emits with connection state recovery on: as
/// [`encode_emit`] without an acknowledgement, with `offset` (a JSON string) appended as the last
/// argument, where socket.io clients look for it.
pub fn encode_emit_with_offset(
    nsp: &Namespace,
    name: &str,
    args: &Payload,
    offset: &str,
) -> Result<Encoded, ApiMisuse> {
    check_emit_name(name)?;
    Ok(encode_event_with(nsp, None, name, args, Some(offset)))
}

/// Encodes an EVENT (or BINARY_EVENT) without building a [`Packet`].
pub fn encode_event(nsp: &Namespace, id: Option<u64>, name: &str, args: &Payload) -> Encoded {
    encode_event_with(nsp, id, name, args, None)
}

fn encode_event_with(
    nsp: &Namespace,
    id: Option<u64>,
    name: &str,
    args: &Payload,
    offset: Option<&str>,
) -> Encoded {
    let ty = match args.has_binary() {
        true => PacketType::BinaryEvent,
        false => PacketType::Event,
    };
    let body = 2
        + string_len(name)
        + args
            .args()
            .iter()
            .map(|a| 1 + a.as_str().len())
            .sum::<usize>()
        + offset.map_or(0, |o| 1 + string_len(o));
    let mut out = header(ty, args.attachments().len(), nsp, id, body);
    out.push('[');
    write_string(&mut out, name);
    for arg in args.args() {
        out.push(',');
        out.push_str(arg.as_str());
    }
    if let Some(offset) = offset {
        out.push(',');
        write_string(&mut out, offset);
    }
    out.push(']');
    finish(out, args.attachments())
}

/// Encodes an ACK (or BINARY_ACK) without building a [`Packet`].
pub fn encode_ack(nsp: &Namespace, id: u64, args: &Payload) -> Encoded {
    let ty = ack_type(args);
    let mut out = header(
        ty,
        args.attachments().len(),
        nsp,
        Some(id),
        ack_body_len(args),
    );
    write_ack_body(&mut out, args);
    finish(out, args.attachments())
}

/// [`encode_ack`], written into `buf` when it takes the text (an ACK without attachments, short
/// enough: see [`TextBuf::start`]): a connection that answers many events keeps writing its
/// acknowledgements into the same memory, without an allocation each.
pub fn encode_ack_in(nsp: &Namespace, id: u64, args: &Payload, buf: &mut TextBuf) -> Encoded {
    match write_ack_in(nsp, id, args, buf) {
        true => Encoded::text_only(buf.split()),
        false => encode_ack(nsp, id, args),
    }
}

/// Writes [`encode_ack`]'s text into `buf`, not split off (see [`TextBuf::as_bytes`]), if `buf`
/// takes it (an ACK without attachments, short enough); `false` (nothing written) otherwise.
pub fn write_ack_in(nsp: &Namespace, id: u64, args: &Payload, buf: &mut TextBuf) -> bool {
    let ty = ack_type(args);
    let bound = ack_len_bound(nsp, args);
    if ty != PacketType::Ack || !buf.start(bound) {
        return false;
    }
    write_header(buf, ty, 0, nsp, Some(id));
    write_ack_body(buf, args);
    debug_assert_eq!(
        buf.len() + MAX_DIGITS - digits(id),
        bound,
        "encoded length mis-counted"
    );
    true
}

/// A bound on the length of [`encode_ack`]'s text: its length with the id counted as 20 digits (a
/// `u64`'s most), so at most 19 bytes over. What a send budget weighs an acknowledgement by before
/// its connection encodes it, and the room the encoding takes (counting the id's own digits cost
/// more than the rest of the count).
pub fn ack_len_bound(nsp: &Namespace, args: &Payload) -> usize {
    let ty = ack_type(args);
    header_len(ty, args.attachments().len(), nsp, None) + MAX_DIGITS + ack_body_len(args)
}

/// The most decimal digits of a `u64`.
const MAX_DIGITS: usize = 20;

fn ack_type(args: &Payload) -> PacketType {
    match args.has_binary() {
        true => PacketType::BinaryAck,
        false => PacketType::Ack,
    }
}

fn ack_body_len(args: &Payload) -> usize {
    let commas = args.args().len().saturating_sub(1);
    2 + commas + args.args().iter().map(|a| a.as_str().len()).sum::<usize>()
}

fn write_ack_body(out: &mut impl Sink, args: &Payload) {
    out.push('[');
    for (i, arg) in args.args().iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(arg.as_str());
    }
    out.push(']');
}

fn plain(ty: PacketType, nsp: &Namespace, data: Option<&RawJson>) -> Encoded {
    let body = data.map_or(0, |d| d.as_str().len());
    let mut out = header(ty, 0, nsp, None, body);
    if let Some(data) = data {
        out.push_str(data.as_str());
    }
    finish(out, &[])
}

/// Where a packet's text is written: a `String` of its own, or a connection's [`TextBuf`].
pub(crate) trait Sink {
    fn push(&mut self, c: char);
    fn push_str(&mut self, s: &str);
}

impl Sink for String {
    fn push(&mut self, c: char) {
        String::push(self, c);
    }

    fn push_str(&mut self, s: &str) {
        String::push_str(self, s);
    }
}

impl Sink for TextBuf {
    fn push(&mut self, c: char) {
        TextBuf::push(self, c);
    }

    fn push_str(&mut self, s: &str) {
        TextBuf::push_str(self, s);
    }
}

/// The packet's header, in a string with room for exactly `body` more bytes (so the text is
/// allocated once, and handed to [`Bytes`] without another allocation).
pub(crate) fn header(
    ty: PacketType,
    attachments: usize,
    nsp: &Namespace,
    id: Option<u64>,
    body: usize,
) -> String {
    let mut out = String::with_capacity(header_len(ty, attachments, nsp, id) + body);
    write_header(&mut out, ty, attachments, nsp, id);
    out
}

/// The length of [`write_header`]'s text.
fn header_len(ty: PacketType, attachments: usize, nsp: &Namespace, id: Option<u64>) -> usize {
    let binary = if ty.is_binary() {
        digits(attachments as u64) + 1
    } else {
        0
    };
    let nsp = if nsp.is_main() {
        0
    } else {
        nsp.as_str().len() + 1
    };
    1 + binary + nsp + id.map_or(0, digits)
}

/// The packet's type, attachment count, namespace and id: `<type>[<n>-][<nsp>,][<id>]`.
fn write_header(
    out: &mut impl Sink,
    ty: PacketType,
    attachments: usize,
    nsp: &Namespace,
    id: Option<u64>,
) {
    out.push(ty.digit());
    if ty.is_binary() {
        push_u64(out, attachments as u64);
        out.push('-');
    }
    if !nsp.is_main() {
        out.push_str(nsp.as_str());
        out.push(',');
    }
    if let Some(id) = id {
        push_u64(out, id);
    }
}

/// Decimal digits of `n`.
fn digits(n: u64) -> usize {
    n.checked_ilog10().map_or(1, |d| d as usize + 1)
}

/// The decimal digits of 0 to 99, two each.
const DIGIT_PAIRS: [u8; 200] = {
    let mut pairs = [0u8; 200];
    let mut i = 0;
    while i < 100 {
        pairs[2 * i] = b'0' + (i / 10) as u8;
        pairs[2 * i + 1] = b'0' + (i % 10) as u8;
        i += 1;
    }
    pairs
};

/// Writes `n` in decimal without an intermediate `String`, two digits a step (an
/// acknowledgement's header carries its id; a division per digit cost more than the rest of the
/// header).
pub(crate) fn push_u64(out: &mut impl Sink, n: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    let mut n = n;
    while n >= 100 {
        let pair = (n % 100) as usize * 2;
        n /= 100;
        i -= 2;
        buf[i..i + 2].copy_from_slice(&DIGIT_PAIRS[pair..pair + 2]);
    }
    if n >= 10 {
        let pair = n as usize * 2;
        i -= 2;
        buf[i..i + 2].copy_from_slice(&DIGIT_PAIRS[pair..pair + 2]);
    } else {
        i -= 1;
        buf[i] = b'0' + n as u8;
    }
    // A push per digit: cheaper for a few digits than a UTF-8 check and one copy. The mask keeps
    // each digit visibly ASCII (it is already), so `push` takes its one-byte branch only.
    for &digit in &buf[i..] {
        out.push(char::from(digit & 0x7f));
    }
}

fn finish(text: String, attachments: &[Bytes]) -> Encoded {
    // Sized exactly by `header`: `Bytes` then takes the allocation as it is.
    debug_assert_eq!(text.len(), text.capacity(), "encoded length mis-counted");
    let attachments = match attachments {
        // Most packets: no call into the slice's copy for nothing.
        [] => Vec::new(),
        some => some.to_vec(),
    };
    Encoded::text_form(text, attachments)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_written_in_decimal_and_counted_exactly() {
        let mut numbers = vec![0, 7, 12_345, 4_294_967_295, u64::MAX, u64::MAX - 1];
        // Each power of ten and its neighbours: every length, odd and even.
        let mut power = 1u64;
        loop {
            numbers.extend([power - 1, power, power + 1, power.saturating_mul(2) - 1]);
            match power.checked_mul(10) {
                Some(next) => power = next,
                None => break,
            }
        }
        for n in numbers {
            let mut out = String::from("43");
            push_u64(&mut out, n);
            assert_eq!(out, format!("43{n}"));
            assert_eq!(digits(n), n.to_string().len());
        }
    }
}
