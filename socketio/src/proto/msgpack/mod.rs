//! The MessagePack wire format of the npm package `socket.io-msgpack-parser` (which encodes with
//! `notepack.io`): every Socket.IO packet is one binary Engine.IO message holding a map
//!
//! ```text
//! { type: 0..=4, data?: <any>, id?: <integer>, nsp: <string> }
//! ```
//!
//! Binary values sit inline in `data` (MessagePack `bin`), so there are no attachments and no
//! BINARY_EVENT / BINARY_ACK types on this wire.
//!
//! The codec maps to and from the same [`Packet`] values as the text codec, so everything above
//! it works unchanged:
//!
//! - [`decode_msgpack`] turns the message into the text packet socket.io-parser would have sent
//!   for the same JavaScript packet (JSON as `JSON.stringify` writes it, each `bin` cut out as an
//!   attachment behind a `{"_placeholder":true,"num":k}` object) and hands that to
//!   [`decode_text`], so every packet rule (payload shapes, reserved event names, placeholder and
//!   attachment checks, limits) is the text decoder's, in one place. On top of it come the
//!   checks of the msgpack parser itself: `type` an integer 0..=4, `nsp` a string, `id` an
//!   integer.
//! - [`encode_msgpack`] writes the map the Node server builds for the packet, key order included
//!   (`{type, data, nsp}`, `{type, data, id, nsp}` for an event with an ack id, `{id, type, data,
//!   nsp}` for an ACK, as `socket.emit` / `socket.ack` build them), with notepack's choice of
//!   formats: the smallest integer and length forms, non-integer numbers as float 64, each
//!   attachment placeholder as `bin`.
//!
//! Unknown keys (socket.io-client sends `options`) are read and ignored, within the same limits.
//! `undefined` (notepack's fixext 1 of type 0) counts as absent, becomes `null` in an array and
//! drops its key in a map, as `JSON.stringify` does.

mod js_number;
mod read;
mod write;

use std::borrow::Cow;
use std::ops::Range;

use bytes::Bytes;

use super::decode::{decode_text, Decoded, Limits};
use super::encode::header;
use super::error::{DecodeError, MsgPackError};
use super::json::{plain_string, Kind};
use super::packet::{Namespace, Packet, PacketType};
use super::payload::Payload;
use read::{Read, Reader, ToJson};

/// Encodes a packet as the one binary message `socket.io-msgpack-parser` sends for it.
pub fn encode_msgpack(packet: &Packet) -> Bytes {
    let mut out = Vec::new();
    match packet {
        Packet::Connect { nsp, data } => {
            write::map_header(&mut out, if data.is_some() { 3 } else { 2 });
            packet_type(&mut out, PacketType::Connect);
            if let Some(data) = data {
                write::str(&mut out, "data");
                write::json(&mut out, data.as_str(), &[]);
            }
            namespace(&mut out, nsp);
        }
        Packet::Disconnect { nsp } => {
            write::map_header(&mut out, 2);
            packet_type(&mut out, PacketType::Disconnect);
            namespace(&mut out, nsp);
        }
        Packet::Event {
            nsp,
            id,
            name,
            args,
        } => return encode_event(nsp, *id, name, args, None),
        Packet::Ack { nsp, id, args } => return encode_ack(nsp, *id, args),
        Packet::ConnectError { nsp, data } => {
            write::map_header(&mut out, 3);
            packet_type(&mut out, PacketType::ConnectError);
            write::str(&mut out, "data");
            write::json(&mut out, data.as_str(), &[]);
            namespace(&mut out, nsp);
        }
    }
    Bytes::from(out)
}

/// Encodes an EVENT without building a [`Packet`] (the runtime encodes its emits from borrowed
/// parts): as [`encode_msgpack`] would, with `offset` (connection state recovery) appended as
/// the last argument, a string.
pub(crate) fn encode_event(
    nsp: &Namespace,
    id: Option<u64>,
    name: &str,
    args: &Payload,
    offset: Option<&str>,
) -> Bytes {
    let mut out =
        Vec::with_capacity(size_hint(nsp, args) + name.len() + offset.map_or(0, str::len));
    write::map_header(&mut out, if id.is_some() { 4 } else { 3 });
    packet_type(&mut out, PacketType::Event);
    write::str(&mut out, "data");
    let extra = usize::from(offset.is_some());
    write::array_header(&mut out, 1 + args.args().len() + extra);
    write::str(&mut out, name);
    arguments(&mut out, args);
    if let Some(offset) = offset {
        write::str(&mut out, offset);
    }
    if let Some(id) = id {
        ack_id(&mut out, id);
    }
    namespace(&mut out, nsp);
    Bytes::from(out)
}

/// Encodes an ACK without building a [`Packet`], as [`encode_msgpack`] would.
pub(crate) fn encode_ack(nsp: &Namespace, id: u64, args: &Payload) -> Bytes {
    let mut out = Vec::with_capacity(size_hint(nsp, args));
    write::map_header(&mut out, 4);
    ack_id(&mut out, id);
    packet_type(&mut out, PacketType::Ack);
    write::str(&mut out, "data");
    write::array_header(&mut out, args.args().len());
    arguments(&mut out, args);
    namespace(&mut out, nsp);
    Bytes::from(out)
}

/// Room for a packet map with these arguments, to start its buffer with: the keys, the type, an
/// id and headers (48 bytes), the namespace, and the arguments' JSON text and binary values (in
/// MessagePack no longer than their JSON but for numbers written as float 64, which grow the
/// buffer as usual).
fn size_hint(nsp: &Namespace, args: &Payload) -> usize {
    let json: usize = args.args().iter().map(|a| a.as_str().len()).sum();
    let binary: usize = args.attachments().iter().map(Bytes::len).sum();
    48 + nsp.as_str().len() + json + binary
}

/// `type`: the number of the plain type (the BINARY_* types do not exist on this wire).
fn packet_type(out: &mut Vec<u8>, ty: PacketType) {
    write::str(out, "type");
    write::uint(out, u64::from(ty.digit() as u8 - b'0'));
}

fn namespace(out: &mut Vec<u8>, nsp: &Namespace) {
    write::str(out, "nsp");
    write::str(out, nsp.as_str());
}

fn ack_id(out: &mut Vec<u8>, id: u64) {
    write::str(out, "id");
    write::uint(out, id);
}

fn arguments(out: &mut Vec<u8>, args: &Payload) {
    for arg in args.args() {
        write::json(out, arg.as_str(), args.attachments());
    }
}

/// One value of the packet map, read as JSON: its span in the decode's text, its kind, and the
/// binary values cut out of it.
struct Field {
    span: Range<usize>,
    kind: Kind,
    attachments: Vec<Bytes>,
}

/// Decodes one binary Engine.IO message in the `socket.io-msgpack-parser` format.
///
/// Gives the [`Packet`] the text decoder gives for the same JavaScript packet, binary arguments
/// as attachments. Every error is the peer's fault; nothing is allocated from a declared length
/// the message does not hold.
pub fn decode_msgpack(bytes: &[u8], limits: &Limits) -> Result<Packet, DecodeError> {
    let mut r = Reader::new(bytes);
    let entries = r.packet_map()?;
    // Every field's JSON goes into one text, one after another (one allocation, sized for the
    // usual packet, where a string of its own for each field grew each from nothing).
    let mut json = String::with_capacity(bytes.len() + 16);
    let (mut ty, mut nsp, mut id, mut data) = (None, None, None, None);
    for _ in 0..entries {
        let key = r.key_bytes()?;
        let mut to_json = ToJson::new(limits);
        let start = json.len();
        // Every value is read (and bounded) even when its key is ignored; a repeated key keeps
        // its last value, as in JavaScript.
        let field = match to_json.value(&mut r, &mut json, 0)? {
            Read::Undefined => None,
            Read::Json(kind) => Some(Field {
                span: start..json.len(),
                kind,
                attachments: to_json.attachments,
            }),
        };
        match key {
            b"type" => ty = field,
            b"nsp" => nsp = field,
            b"id" => id = field,
            b"data" => data = field,
            _ => {}
        }
    }
    r.finish()?;
    let text = |f: &Field| json.get(f.span.clone()).unwrap_or_default();

    let ty = ty
        .filter(|f| f.kind == Kind::Number)
        .and_then(|f| text(&f).parse::<u8>().ok())
        .filter(|&n| n <= 4)
        .and_then(|n| PacketType::from_digit(b'0' + n))
        .ok_or(MsgPackError::BadPacketType)?;
    let nsp = nsp
        .filter(|f| f.kind == Kind::String)
        .and_then(|f| string_value(text(&f)))
        .and_then(|name| Namespace::new(&name).ok())
        .ok_or(MsgPackError::BadNamespace)?;
    let id = id.map(|f| ack_id_of(text(&f), f.kind)).transpose()?;
    let (data, attachments) = match data {
        // A CONNECT payload is JSON above this layer (the auth object): its binary values
        // become what `JSON.stringify` makes of a Node Buffer, as Node's handshake.auth would.
        Some(f) if ty == PacketType::Connect && !f.attachments.is_empty() => (
            Some(Cow::Owned(buffers_as_json(
                text(&f).to_owned(),
                &f.attachments,
            ))),
            Vec::new(),
        ),
        Some(f) => (Some(Cow::Borrowed(text(&f))), f.attachments),
        None => (None, Vec::new()),
    };

    let text = text_packet(ty, &nsp, id, data.as_deref(), attachments.len())?;
    let mut decoded = decode_text(&text, limits)?;
    for attachment in attachments {
        decoded = match decoded {
            Decoded::Partial(partial) => partial.push(attachment)?,
            Decoded::Complete(_) => return Err(DecodeError::UnexpectedBinary),
        };
    }
    match decoded {
        Decoded::Complete(packet) => Ok(packet),
        Decoded::Partial(partial) => Err(DecodeError::UnexpectedText {
            missing: partial.missing(),
        }),
    }
}

/// The string a JSON string's text stands for: its inside when it has no escape (the usual
/// namespace), else as `serde_json` reads it.
fn string_value(json: &str) -> Option<Cow<'_, str>> {
    match plain_string(json) {
        Some(inside) => Some(Cow::Borrowed(inside)),
        None => serde_json::from_str::<String>(json).ok().map(Cow::Owned),
    }
}

/// `text` with each attachment placeholder `{"_placeholder":true,"num":k}` replaced by
/// `{"type":"Buffer","data":[<bytes>]}`. The placeholder objects are the ones [`ToJson`] wrote
/// (a string holding that text has its quotes escaped, so it cannot match).
fn buffers_as_json(text: String, attachments: &[Bytes]) -> String {
    use std::fmt::Write as _;
    let mut out = text;
    for (k, bytes) in attachments.iter().enumerate() {
        let placeholder = format!("{{\"_placeholder\":true,\"num\":{k}}}");
        let Some(at) = out.find(&placeholder) else {
            continue;
        };
        let mut buffer = String::with_capacity(28 + bytes.len() * 4);
        buffer.push_str("{\"type\":\"Buffer\",\"data\":[");
        for (i, b) in bytes.iter().enumerate() {
            let _ = write!(buffer, "{}{b}", if i == 0 { "" } else { "," });
        }
        buffer.push_str("]}");
        out.replace_range(at..at + placeholder.len(), &buffer);
    }
    out
}

/// The ack id: an integer (`Number.isInteger`) that fits a `u64`.
fn ack_id_of(text: &str, kind: Kind) -> Result<u64, DecodeError> {
    if kind != Kind::Number {
        return Err(MsgPackError::BadAckId.into());
    }
    match text.parse::<u64>() {
        Ok(id) => Ok(id),
        // a fraction, or a float written with a negative exponent: not an integer
        Err(_) if text.contains('.') || text.contains("e-") => Err(MsgPackError::BadAckId.into()),
        // negative, or past 2^64
        Err(_) => Err(DecodeError::AckIdOverflow),
    }
}

/// The socket.io-parser text packet for the same packet:
/// `<type>[<attachments>-][<nsp>,][<id>][<json>]`.
///
/// A payload that is a number would run into the id digits; every packet type refuses a number
/// payload anyway, so the text decoder's error differs (a missing payload, an id where none is
/// allowed) but it is still an error.
fn text_packet(
    ty: PacketType,
    nsp: &Namespace,
    id: Option<u64>,
    data: Option<&str>,
    attachments: usize,
) -> Result<String, DecodeError> {
    let ty = match (ty, attachments) {
        (ty, 0) => ty,
        (PacketType::Event, _) => PacketType::BinaryEvent,
        (PacketType::Ack, _) => PacketType::BinaryAck,
        (ty, _) => return Err(MsgPackError::BinaryNotAllowed(ty).into()),
    };
    // The text encoder's header: `<type>[<n>-][<nsp>,][<id>]`, with room for the payload.
    let mut text = header(ty, attachments, nsp, id, data.map_or(0, str::len));
    if let Some(data) = data {
        text.push_str(data);
    }
    Ok(text)
}

#[cfg(test)]
mod tests;
