//! `eio3_payload`: an Engine.IO v3 long-polling body (socket.io-client 2.x) through
//! `payload_v3::decode` and `payload_v3::encode`.
//!
//! Input: one byte choosing `maxPayload`, then the body (a text payload `<len>:<packet>...`, or a
//! binary one when it starts with `0x00` / `0x01`).
//!
//! Invariants: a body over `maxPayload` is always refused; what decodes, encoded as a text payload
//! and as a binary payload, decodes again to the same packets; encoding is deterministic.

use engineio::proto::packet::Packet;
use engineio::proto::payload_v3::{self, Body};

/// Runs one input.
pub fn run(data: &[u8]) {
    let Some((_, packets)) = crate::eio_payload::decode_within(data, payload_v3::decode) else {
        return;
    };
    let refs: Vec<&Packet> = packets.iter().collect();
    for supports_binary in [false, true] {
        let encoded = payload_v3::encode(&refs, supports_binary);
        assert_eq!(
            payload_v3::encode(&refs, supports_binary),
            encoded,
            "encoding is not deterministic"
        );
        let (Body::Text(wire) | Body::Binary(wire)) = encoded;
        let again = payload_v3::decode(wire.clone(), usize::MAX);
        assert_eq!(
            again.as_ref(),
            Ok(&packets),
            "decode(encode(p)) != p for {wire:?}"
        );
    }
}
