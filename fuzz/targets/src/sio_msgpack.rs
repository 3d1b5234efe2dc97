//! `sio_msgpack`: one binary message through `decode_msgpack` (the `socket.io-msgpack-parser`
//! wire format) and `encode_msgpack`.
//!
//! Input: one byte choosing the [`Limits`] (as in [`sio_packet`](crate::sio_packet)), then the
//! message.
//!
//! Invariants: decoding never panics and keeps the attachment limits; a decoded packet's
//! arguments are compact JSON; decode, encode, decode again gives the same packet, and encoding
//! that gives the same bytes; the same packet also survives the text codec (`encode`, then
//! `decode_text` and its attachments), so the two wire formats carry the same packets.

use socketio::proto::{decode_msgpack, encode, encode_msgpack, DecodeError, Limits, Packet};

use crate::sio_packet::{check_payload, decode_all, limits};

/// Runs one input.
pub fn run(data: &[u8]) {
    let Some((&selector, message)) = data.split_first() else {
        return;
    };
    let limits = limits(selector);
    let packet = match decode_msgpack(message, &limits) {
        Ok(packet) => packet,
        Err(DecodeError::TooManyAttachments { announced, max }) => {
            assert_eq!(max, limits.max_attachments);
            assert!(announced > max as u64, "{announced} refused, max {max}");
            return;
        }
        Err(_) => return,
    };
    check_payload(&packet);
    check_limits(&packet, &limits);

    let bytes = encode_msgpack(&packet);
    let again = decode_msgpack(&bytes, &limits);
    assert_eq!(
        again.as_ref(),
        Ok(&packet),
        "decode(encode(p)) != p for {bytes:02x?}"
    );
    assert_eq!(
        encode_msgpack(&packet),
        bytes,
        "encoding is not a fixed point"
    );

    let text = encode(&packet);
    assert_eq!(
        decode_all(text.as_str(), text.attachments(), &limits).as_ref(),
        Some(&packet),
        "the text codec does not carry {:?}",
        text.as_str()
    );
}

fn check_limits(packet: &Packet, limits: &Limits) {
    if let Packet::Event { args, .. } | Packet::Ack { args, .. } = packet {
        let attachments = args.attachments();
        assert!(attachments.len() <= limits.max_attachments);
        let bytes: usize = attachments.iter().map(|a| a.len()).sum();
        assert!(
            bytes <= limits.max_attachment_bytes,
            "{bytes} bytes accepted"
        );
    }
}
