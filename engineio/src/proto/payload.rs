//! The polling payload: packets joined by the record separator `\x1e`, binary messages as `b` + base64.

use super::base64;
use super::packet::{Data, DecodeError, Packet};
use bytes::{BufMut, Bytes, BytesMut};

/// The record separator between packets in a polling payload.
pub const SEPARATOR: u8 = 0x1e;

/// Decodes a polling request body into its packets.
///
/// A body longer than `max_payload` is refused as a whole before any packet is looked at.
pub fn decode(body: Bytes, max_payload: usize) -> Result<Vec<Packet>, DecodeError> {
    if body.len() > max_payload {
        return Err(DecodeError::TooLarge);
    }
    if body.is_empty() {
        return Err(DecodeError::Empty);
    }
    let mut packets = Vec::new();
    let mut start = 0;
    loop {
        let end = body[start..]
            .iter()
            .position(|&b| b == SEPARATOR)
            .map_or(body.len(), |i| start + i);
        packets.push(decode_segment(body.slice(start..end))?);
        if end == body.len() {
            return Ok(packets);
        }
        start = end + 1;
    }
}

/// Decodes one packet in text form: `b` + base64 is a binary message (a polling segment, or a
/// WebSocket text frame from a client with `forceBase64`), anything else a text packet.
pub fn decode_segment(segment: Bytes) -> Result<Packet, DecodeError> {
    match segment.first() {
        Some(b'b') => base64::decode(&segment[1..])
            .map(|bytes| Packet::Message(Data::Binary(Bytes::from(bytes))))
            .ok_or(DecodeError::InvalidBase64),
        _ => Packet::decode_text(segment),
    }
}

/// The length of a packet in a polling payload, without the separator.
pub fn encoded_len(packet: &Packet) -> usize {
    match packet {
        Packet::Message(Data::Binary(b)) => 1 + b.len().div_ceil(3) * 4,
        Packet::Message(Data::Text(t)) | Packet::Open(t) | Packet::Ping(t) | Packet::Pong(t) => {
            1 + t.len()
        }
        Packet::Close | Packet::Upgrade | Packet::Noop => 1,
    }
}

/// Encodes packets as one polling response body.
pub fn encode<'a>(packets: impl IntoIterator<Item = &'a Packet>) -> Bytes {
    let mut out = BytesMut::new();
    for (i, packet) in packets.into_iter().enumerate() {
        if i > 0 {
            out.put_u8(SEPARATOR);
        }
        packet.encode_text_into(&mut out);
    }
    out.freeze()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn splits_and_joins() {
        let wire = Bytes::from("4hello\x1ebAQID\x1e2\x1e4");
        let packets = decode(wire.clone(), 1000).unwrap();
        assert_eq!(
            packets,
            vec![
                Packet::text("hello"),
                Packet::binary(vec![1u8, 2, 3]),
                Packet::Ping(Default::default()),
                Packet::text(""),
            ]
        );
        assert_eq!(encode(&packets), wire);
    }

    #[test]
    fn base64_edge_cases() {
        for (wire, bytes) in [
            ("b", &[][..]),
            ("bAA==", &[0u8][..]),
            ("bAA", &[0u8][..]),
            ("bAAE=", &[0u8, 1][..]),
            ("b/+8=", &[0xff, 0xef][..]),
        ] {
            assert_eq!(
                decode(Bytes::from(wire), 100).unwrap(),
                vec![Packet::binary(bytes.to_vec())],
                "{wire}"
            );
        }
        for bad in ["b!!!!", "bA", "bAAAAA=", "b-_8="] {
            assert_eq!(
                decode(Bytes::from(bad), 100),
                Err(DecodeError::InvalidBase64),
                "{bad}"
            );
        }
        assert_eq!(encode([&Packet::binary(vec![0u8; 0])]), Bytes::from("b"));
    }

    #[test]
    fn rejects_empty_segments_and_size() {
        assert_eq!(decode(Bytes::from(""), 10), Err(DecodeError::Empty));
        assert_eq!(decode(Bytes::from("4a\x1e"), 10), Err(DecodeError::Empty));
        assert_eq!(decode(Bytes::from("\x1e4a"), 10), Err(DecodeError::Empty));
        assert_eq!(
            decode(Bytes::from("4abcdef"), 6),
            Err(DecodeError::TooLarge)
        );
        assert!(decode(Bytes::from("4abcde"), 6).is_ok());
        assert_eq!(
            decode(Bytes::from("9x"), 10),
            Err(DecodeError::UnknownType(b'9'))
        );
    }
}
