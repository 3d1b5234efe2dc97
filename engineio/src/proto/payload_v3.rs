//! The Engine.IO v3 polling payload and packet forms (engine.io-parser 2.x, socket.io-client 2.x).
//!
//! A text payload is each packet's text form preceded by its length and a colon:
//! `6:4hello2:4é` (the length counts UTF-16 code units, as a JavaScript string's `length` does). A
//! binary message in text form is `b4` + base64.
//!
//! A binary payload (sent to a client that did not ask for `b64=1`, when a binary message is among
//! the packets; sent by a client with XHR2) is, for each packet, a kind byte (`0` text, `1`
//! binary), the decimal digits of its length as bytes `0`-`9`, `0xff`, then the packet: a text
//! packet as UTF-8, a binary one as its type byte (`4`) and the bytes. Over WebSocket a binary
//! frame is the same type byte and the bytes.

use super::base64;
use super::packet::{Data, DecodeError, Packet};
use bytes::{BufMut, Bytes, BytesMut};

/// The most length digits accepted: a length never exceeds `maxPayload`, which fits in far fewer.
const MAX_LENGTH_DIGITS: usize = 10;

/// The type byte of a message in binary form.
const MESSAGE: u8 = 4;

/// An encoded polling response body.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Body {
    /// A text payload (`text/plain; charset=UTF-8`).
    Text(Bytes),
    /// A binary payload (`application/octet-stream`).
    Binary(Bytes),
}

/// Decodes a polling request body into its packets: a binary payload when its first byte is `0`
/// or `1`, a text payload otherwise. A body longer than `max_payload` is refused as a whole.
pub fn decode(body: Bytes, max_payload: usize) -> Result<Vec<Packet>, DecodeError> {
    if body.len() > max_payload {
        return Err(DecodeError::TooLarge);
    }
    match body.first() {
        None => Err(DecodeError::Empty),
        Some(0 | 1) => decode_binary_payload(&body),
        Some(_) => decode_text_payload(&body),
    }
}

fn decode_text_payload(body: &Bytes) -> Result<Vec<Packet>, DecodeError> {
    let text = std::str::from_utf8(body).map_err(|_| DecodeError::InvalidUtf8)?;
    let mut packets = Vec::new();
    let mut pos = 0;
    while pos < text.len() {
        let rest = text.get(pos..).unwrap_or_default();
        let colon = rest.find(':').ok_or(DecodeError::InvalidLength)?;
        let units = parse_length(rest.get(..colon).unwrap_or_default().bytes())?;
        let start = pos + colon + 1;
        // Take `units` UTF-16 code units: a character may not be cut in half.
        let (mut taken, mut end) = (0usize, start);
        for c in text.get(start..).unwrap_or_default().chars() {
            if taken >= units {
                break;
            }
            taken += c.len_utf16();
            end += c.len_utf8();
        }
        if taken != units {
            return Err(DecodeError::InvalidLength);
        }
        // An empty packet is skipped, as engine.io-parser 2.x does.
        if units > 0 {
            packets.push(decode_text(body.slice(start..end))?);
        }
        pos = end;
    }
    Ok(packets)
}

fn decode_binary_payload(body: &Bytes) -> Result<Vec<Packet>, DecodeError> {
    let mut packets = Vec::new();
    let mut i = 0;
    while let Some(&kind) = body.get(i) {
        if kind > 1 {
            return Err(DecodeError::InvalidLength);
        }
        let digits_start = i + 1;
        let digits_len = body
            .get(digits_start..)
            .unwrap_or_default()
            .iter()
            .take(MAX_LENGTH_DIGITS + 1)
            .position(|&b| b == 0xff)
            .ok_or(DecodeError::InvalidLength)?;
        let digits = body
            .get(digits_start..digits_start + digits_len)
            .unwrap_or_default();
        let len = parse_length(digits.iter().map(|d| d.wrapping_add(b'0')))?;
        let start = digits_start + digits_len + 1;
        let end = start
            .checked_add(len)
            .filter(|&end| end <= body.len())
            .ok_or(DecodeError::InvalidLength)?;
        let packet = body.slice(start..end);
        packets.push(if kind == 0 {
            decode_text(packet)?
        } else {
            decode_binary(packet)?
        });
        i = end;
    }
    Ok(packets)
}

/// Parses decimal length digits (ASCII): at least one, at most [`MAX_LENGTH_DIGITS`].
fn parse_length(digits: impl ExactSizeIterator<Item = u8>) -> Result<usize, DecodeError> {
    if digits.len() == 0 || digits.len() > MAX_LENGTH_DIGITS {
        return Err(DecodeError::InvalidLength);
    }
    let mut n = 0usize;
    for d in digits {
        if !d.is_ascii_digit() {
            return Err(DecodeError::InvalidLength);
        }
        n = n
            .checked_mul(10)
            .and_then(|n| n.checked_add(usize::from(d - b'0')))
            .ok_or(DecodeError::InvalidLength)?;
    }
    Ok(n)
}

/// Decodes a packet in v3 text form: `b4` + base64 is a binary message, anything else a text
/// packet (type digit and data).
pub fn decode_text(bytes: Bytes) -> Result<Packet, DecodeError> {
    match bytes.first() {
        Some(b'b') => match bytes.get(1) {
            Some(b'4') => base64::decode(&bytes[2..])
                .map(|data| Packet::Message(Data::Binary(Bytes::from(data))))
                .ok_or(DecodeError::InvalidBase64),
            Some(&other) => Err(DecodeError::UnknownType(other)),
            None => Err(DecodeError::Empty),
        },
        _ => Packet::decode_text(bytes),
    }
}

/// Decodes a packet in v3 binary form (a binary WebSocket frame, or a binary entry of a binary
/// payload): the type byte `4`, then the message's bytes.
pub fn decode_binary(bytes: Bytes) -> Result<Packet, DecodeError> {
    match bytes.first() {
        Some(&MESSAGE) => Ok(Packet::Message(Data::Binary(bytes.slice(1..)))),
        Some(&other) => Err(DecodeError::UnknownType(other.wrapping_add(b'0'))),
        None => Err(DecodeError::Empty),
    }
}

/// The v3 binary form of a binary message: its type byte, then the bytes.
pub fn encode_binary(data: &[u8]) -> Bytes {
    let mut out = BytesMut::with_capacity(1 + data.len());
    out.put_u8(MESSAGE);
    out.put_slice(data);
    out.freeze()
}

/// Appends the v3 text form of a packet: a binary message is `b4` + base64.
pub fn encode_text_into(packet: &Packet, out: &mut BytesMut) {
    match packet {
        Packet::Message(Data::Binary(b)) => {
            out.put_slice(b"b4");
            base64::encode_into(b, out);
        }
        other => other.encode_text_into(out),
    }
}

/// The v3 text form of a packet as one buffer.
pub fn encode_text(packet: &Packet) -> Bytes {
    let mut out = BytesMut::new();
    encode_text_into(packet, &mut out);
    out.freeze()
}

/// The number of UTF-16 code units of UTF-8 text (a JavaScript string's `length`).
fn utf16_len(utf8: &[u8]) -> usize {
    utf8.iter()
        .map(|&b| match b {
            0x80..=0xbf => 0,
            0xf0..=0xff => 2,
            _ => 1,
        })
        .sum()
}

/// Encodes packets as one polling response body: a binary payload when `supports_binary` and a
/// binary message is among them, else a text payload.
pub fn encode(packets: &[&Packet], supports_binary: bool) -> Body {
    let has_binary = packets
        .iter()
        .any(|p| matches!(p, Packet::Message(Data::Binary(_))));
    let mut out = BytesMut::new();
    if supports_binary && has_binary {
        for packet in packets {
            let (kind, body) = match packet {
                Packet::Message(Data::Binary(b)) => (1u8, encode_binary(b)),
                other => (0u8, other.encode_text()),
            };
            out.put_u8(kind);
            out.extend(body.len().to_string().bytes().map(|d| d - b'0'));
            out.put_u8(0xff);
            out.put_slice(&body);
        }
        return Body::Binary(out.freeze());
    }
    if packets.is_empty() {
        return Body::Text(Bytes::from_static(b"0:"));
    }
    for packet in packets {
        let text = encode_text(packet);
        out.put_slice(utf16_len(&text).to_string().as_bytes());
        out.put_u8(b':');
        out.put_slice(&text);
    }
    Body::Text(out.freeze())
}

/// About the length of a packet in a v3 payload (its form and a length prefix of a few digits),
/// to keep a response near `maxPayload`.
pub fn encoded_len(packet: &Packet) -> usize {
    let body = match packet {
        Packet::Message(Data::Binary(b)) => 2 + b.len().div_ceil(3) * 4,
        other => super::payload::encoded_len(other),
    };
    body + body.to_string().len() + 1
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn text(body: &Body) -> &[u8] {
        match body {
            Body::Text(b) => b,
            Body::Binary(_) => panic!("binary payload"),
        }
    }

    #[test]
    fn text_payload_round_trip() {
        let packets = [
            Packet::text("hello"),
            Packet::Ping(Default::default()),
            Packet::text("é€😀"),
            Packet::binary(vec![1u8, 2, 3]),
        ];
        let refs: Vec<&Packet> = packets.iter().collect();
        // `é€😀` is 4 UTF-16 code units (the emoji is two), 9 UTF-8 bytes.
        let wire = "6:4hello1:25:4é€😀6:b4AQID";
        assert_eq!(text(&encode(&refs, false)), wire.as_bytes());
        assert_eq!(decode(Bytes::from(wire), 1000).unwrap(), packets.to_vec());
        assert_eq!(text(&encode(&[], false)), b"0:");
    }

    #[test]
    fn binary_payload_round_trip() {
        let packets = [Packet::text("hé"), Packet::binary(vec![9u8, 8])];
        let refs: Vec<&Packet> = packets.iter().collect();
        let Body::Binary(wire) = encode(&refs, true) else {
            panic!("text payload")
        };
        let expected: &[u8] = &[0, 4, 0xff, b'4', b'h', 0xc3, 0xa9, 1, 3, 0xff, 4, 9, 8];
        assert_eq!(&wire[..], expected);
        assert_eq!(decode(wire, 1000).unwrap(), packets.to_vec());
        // Without a binary message, or with b64, the payload stays text.
        assert!(matches!(encode(&refs[..1], true), Body::Text(_)));
        assert!(matches!(encode(&refs, false), Body::Text(_)));
        // A length of ten and more: two digit bytes.
        let long = Packet::binary(vec![7u8; 12]);
        let Body::Binary(wire) = encode(&[&long], true) else {
            panic!()
        };
        assert_eq!(&wire[..4], &[1, 1, 3, 0xff]);
        assert_eq!(decode(wire, 1000).unwrap(), vec![long]);
    }

    #[test]
    fn empty_packets_are_skipped() {
        assert_eq!(decode(Bytes::from("0:"), 10).unwrap(), vec![]);
        assert_eq!(
            decode(Bytes::from("0:1:2"), 10).unwrap(),
            vec![Packet::Ping(Default::default())]
        );
    }

    #[test]
    fn malformed_payloads_are_errors() {
        let bad: &[&[u8]] = &[
            b"",
            b"5",
            b"5:4ab",
            b":4",
            b"x:4",
            b"1:41:",
            b"2:4",
            b"99999999999:4",
            b"1:7",
            b"6:b4!!!!",
            b"3:b5A",
            "2:😀".as_bytes(),
            "1:😀".as_bytes(),
            b"2:4\xff",
            &[0],
            &[0, 1],
            &[0, 1, 0xff],
            &[1, 0xff, 4],
            &[1, 2, 0xff, 5, 1],
            &[0, 10, 0xff, b'4'],
            &[2, 1, 0xff, b'4'],
            &[1, 0, 0xff],
            &[0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0xff],
        ];
        for body in bad {
            assert!(
                decode(Bytes::copy_from_slice(body), 100).is_err(),
                "{body:?}"
            );
        }
        assert_eq!(decode(Bytes::from("2:4a"), 3), Err(DecodeError::TooLarge));
    }

    #[test]
    fn every_prefix_of_a_payload_decodes_or_fails_cleanly() {
        let packets = [Packet::text("héllo"), Packet::binary(vec![0u8, 0xff, 7])];
        let refs: Vec<&Packet> = packets.iter().collect();
        for body in [encode(&refs, true), encode(&refs, false)] {
            let (Body::Text(wire) | Body::Binary(wire)) = body;
            for end in 0..wire.len() {
                let _ = decode(wire.slice(..end), 1000);
            }
            assert_eq!(decode(wire, 1000).unwrap(), packets.to_vec());
        }
    }

    #[test]
    fn binary_frames() {
        assert_eq!(&encode_binary(&[1, 2])[..], &[4, 1, 2]);
        assert_eq!(
            decode_binary(Bytes::from_static(&[4, 1, 2])).unwrap(),
            Packet::binary(vec![1u8, 2])
        );
        assert_eq!(decode_binary(Bytes::new()), Err(DecodeError::Empty));
        assert!(decode_binary(Bytes::from_static(&[2])).is_err());
        assert_eq!(
            decode_text(Bytes::from("b4AQI=")).unwrap(),
            Packet::binary(vec![1u8, 2])
        );
        assert_eq!(&encode_text(&Packet::binary(vec![1u8, 2]))[..], b"b4AQI=");
    }
}
