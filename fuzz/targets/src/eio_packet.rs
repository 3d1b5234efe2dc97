//! `eio_packet`: one Engine.IO packet, as a WebSocket text frame and as a binary message.
//!
//! Invariants: decode, encode, decode again gives the same packet; packets that carry text
//! encode back to exactly the input; any bytes sent as a binary message come back unchanged from
//! their polling form (`b` + base64).

use bytes::Bytes;
use engineio::proto::{payload, Packet};

/// Runs one input.
pub fn run(data: &[u8]) {
    let wire = Bytes::copy_from_slice(data);
    if let Ok(packet) = Packet::decode_text(wire.clone()) {
        let encoded = packet.encode_text();
        let again = Packet::decode_text(encoded.clone());
        assert_eq!(
            again.as_ref(),
            Ok(&packet),
            "decode(encode(p)) != p for {encoded:?}"
        );
        if matches!(
            packet,
            Packet::Open(_) | Packet::Ping(_) | Packet::Pong(_) | Packet::Message(_)
        ) {
            assert_eq!(
                encoded, wire,
                "a text-carrying packet did not encode to its input"
            );
        }
    }

    let binary = Packet::binary(wire);
    let polling = binary.encode_text();
    match payload::decode(polling.clone(), usize::MAX) {
        Ok(packets) => assert_eq!(packets, [binary], "binary round trip through {polling:?}"),
        Err(e) => panic!("the polling form {polling:?} of a binary message does not decode: {e}"),
    }
}
