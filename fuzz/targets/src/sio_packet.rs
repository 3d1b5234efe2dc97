//! `sio_packet`: one Socket.IO packet with its binary attachments, through `decode_text`,
//! `PartialPacket::push` and `encode`.
//!
//! Input: one byte choosing the [`Limits`], then the text message, then the binary messages that
//! follow it, each part separated from the next by the byte `0xFF` (which never occurs in UTF-8).
//!
//! Invariants: a BINARY packet announces between 1 and `max_attachments` attachments and becomes
//! complete after exactly that many pushes, unless their bytes pass `max_attachment_bytes`, which
//! is always refused; a complete packet carries as many attachments as were announced; every
//! argument is compact JSON (compacting it again changes nothing); decode, encode, decode again
//! (same limits, same attachments) gives the same packet, and encoding that gives the same bytes.

use bytes::Bytes;
use socketio::proto::{decode_text, encode, DecodeError, Decoded, Limits, Packet, RawJson};

/// The separator between the text and the attachments in the input.
pub const PART_SEPARATOR: u8 = 0xFF;

/// The limits for a selector byte.
pub fn limits(selector: u8) -> Limits {
    Limits {
        max_attachments: 1 + usize::from(selector & 0x03),
        max_attachment_bytes: usize::from(selector >> 2) * 4,
        max_depth: 1 + usize::from(selector % 7),
    }
}

/// Runs one input.
pub fn run(data: &[u8]) {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let limits = limits(selector);
    let mut parts = rest.split(|&b| b == PART_SEPARATOR);
    let Some(Ok(text)) = parts.next().map(std::str::from_utf8) else {
        return;
    };
    let attachments: Vec<Bytes> = parts.map(Bytes::copy_from_slice).collect();
    let Some(packet) = decode_all(text, &attachments, &limits) else {
        return;
    };
    check_payload(&packet);

    let encoded = encode(&packet);
    let again = decode_all(encoded.as_str(), encoded.attachments(), &limits);
    assert_eq!(
        again.as_ref(),
        Some(&packet),
        "decode(encode(p)) != p for {:?} + {:?}",
        encoded.as_str(),
        encoded.attachments()
    );
    if let Some(again) = again {
        assert_eq!(encode(&again), encoded, "encoding is not a fixed point");
    }
}

/// Decodes `text` and pushes `attachments` until the packet is complete; `None` if it is refused
/// or still incomplete when the attachments run out. Checks the reassembly limits on the way.
pub fn decode_all(text: &str, attachments: &[Bytes], limits: &Limits) -> Option<Packet> {
    let mut partial = match decode_text(text, limits) {
        Ok(Decoded::Complete(packet)) => return Some(packet),
        Ok(Decoded::Partial(partial)) => partial,
        Err(DecodeError::TooManyAttachments { announced, max }) => {
            assert_eq!(max, limits.max_attachments);
            assert!(
                announced > max as u64,
                "{announced} attachments refused, max {max}"
            );
            return None;
        }
        Err(_) => return None,
    };
    let announced = partial.missing();
    assert!(
        (1..=limits.max_attachments).contains(&announced),
        "{announced} attachments announced, limit {}",
        limits.max_attachments
    );
    let mut total = 0usize;
    for (i, attachment) in attachments.iter().enumerate() {
        total += attachment.len();
        assert_eq!(
            partial.missing(),
            announced - i,
            "missing() after {i} pushes"
        );
        match partial.push(attachment.clone()) {
            Ok(Decoded::Partial(next)) => {
                assert!(
                    total <= limits.max_attachment_bytes,
                    "{total} bytes accepted"
                );
                partial = next;
            }
            Ok(Decoded::Complete(packet)) => {
                assert!(
                    total <= limits.max_attachment_bytes,
                    "{total} bytes accepted"
                );
                assert_eq!(i + 1, announced, "complete after {} of {announced}", i + 1);
                let carried = match &packet {
                    Packet::Event { args, .. } | Packet::Ack { args, .. } => {
                        args.attachments().len()
                    }
                    other => panic!("a BINARY header completed as {other:?}"),
                };
                assert_eq!(carried, announced, "attachments carried");
                return Some(packet);
            }
            Err(DecodeError::AttachmentsTooLarge { max }) => {
                assert_eq!(max, limits.max_attachment_bytes);
                assert!(total > max, "{total} bytes refused, max {max}");
                return None;
            }
            Err(e) => panic!("push failed with {e:?}"),
        }
    }
    None
}

/// Checks that every JSON value of the packet is compact.
pub fn check_payload(packet: &Packet) {
    let args = match packet {
        Packet::Event { args, .. } | Packet::Ack { args, .. } => args,
        Packet::Connect {
            data: Some(data), ..
        }
        | Packet::ConnectError { data, .. } => return check_compact(data),
        _ => return,
    };
    for arg in args.args() {
        check_compact(arg);
    }
}

fn check_compact(json: &RawJson) {
    match RawJson::parse(json.as_str()) {
        Ok(again) => assert_eq!(&again, json, "argument is not compact"),
        Err(e) => panic!("argument {json} does not parse again: {e}"),
    }
}
