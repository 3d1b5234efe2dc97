//! Encoding packets into the text message and binary attachments that go on the wire.
//!
//! The output is exact: compact JSON, arguments written as their [`RawJson`] text (so key order
//! is whatever the arguments had), the namespace left out when it is `/`, BINARY_* types chosen
//! when attachments are present, as Node's encoder does.

use bytes::Bytes;

use super::json::write_string;
use super::packet::{Namespace, Packet, PacketType};
use super::payload::Payload;
use super::raw_json::RawJson;

/// An encoded packet: one text message followed by its binary attachments.
///
/// Cheap to clone (reference-counted buffers), so a broadcast encodes once and hands a clone to
/// every receiver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Encoded {
    text: Bytes,
    attachments: Vec<Bytes>,
}

impl Encoded {
    /// The Socket.IO text (UTF-8), without the Engine.IO `4` (message) prefix.
    pub fn text(&self) -> &Bytes {
        &self.text
    }

    /// The text as `&str`.
    pub fn as_str(&self) -> &str {
        // Built from a `String` in this module, so always UTF-8.
        std::str::from_utf8(&self.text).unwrap_or_default()
    }

    /// The binary attachments, each sent as one Engine.IO binary message after the text.
    pub fn attachments(&self) -> &[Bytes] {
        &self.attachments
    }

    /// Splits into the text and the attachments.
    pub fn into_parts(self) -> (Bytes, Vec<Bytes>) {
        (self.text, self.attachments)
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

/// Encodes an EVENT (or BINARY_EVENT) without building a [`Packet`].
pub fn encode_event(nsp: &Namespace, id: Option<u64>, name: &str, args: &Payload) -> Encoded {
    let ty = match args.has_binary() {
        true => PacketType::BinaryEvent,
        false => PacketType::Event,
    };
    let mut out = header(ty, args.attachments().len(), nsp, id);
    out.push('[');
    write_string(&mut out, name);
    for arg in args.args() {
        out.push(',');
        out.push_str(arg.as_str());
    }
    out.push(']');
    finish(out, args.attachments())
}

/// Encodes an ACK (or BINARY_ACK) without building a [`Packet`].
pub fn encode_ack(nsp: &Namespace, id: u64, args: &Payload) -> Encoded {
    let ty = match args.has_binary() {
        true => PacketType::BinaryAck,
        false => PacketType::Ack,
    };
    let mut out = header(ty, args.attachments().len(), nsp, Some(id));
    out.push('[');
    for (i, arg) in args.args().iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(arg.as_str());
    }
    out.push(']');
    finish(out, args.attachments())
}

fn plain(ty: PacketType, nsp: &Namespace, data: Option<&RawJson>) -> Encoded {
    let mut out = header(ty, 0, nsp, None);
    if let Some(data) = data {
        out.push_str(data.as_str());
    }
    finish(out, &[])
}

fn header(ty: PacketType, attachments: usize, nsp: &Namespace, id: Option<u64>) -> String {
    let mut out = String::with_capacity(16 + nsp.as_str().len());
    out.push(ty.digit());
    if ty.is_binary() {
        out.push_str(&attachments.to_string());
        out.push('-');
    }
    if !nsp.is_main() {
        out.push_str(nsp.as_str());
        out.push(',');
    }
    if let Some(id) = id {
        out.push_str(&id.to_string());
    }
    out
}

fn finish(text: String, attachments: &[Bytes]) -> Encoded {
    Encoded {
        text: Bytes::from(text),
        attachments: attachments.to_vec(),
    }
}
