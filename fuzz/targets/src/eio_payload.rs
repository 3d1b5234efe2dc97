//! `eio_payload`: an HTTP long-polling body through `payload::decode` and `payload::encode`.
//!
//! Input: one byte choosing `maxPayload`, then the body.
//!
//! Invariants: a body over `maxPayload` is always refused; a decoded body has one packet per
//! segment; encode, decode again gives the same packets; and the encoding is a fixed point
//! (encoding what it decodes to gives it back byte for byte).

use bytes::Bytes;
use engineio::proto::packet::DecodeError;
use engineio::proto::payload::{self, SEPARATOR};

/// Runs one input.
pub fn run(data: &[u8]) {
    let Some((&limit, body)) = data.split_first() else {
        return;
    };
    let max = usize::from(limit) * 2;
    let result = payload::decode(Bytes::copy_from_slice(body), max);
    if body.len() > max {
        assert_eq!(
            result,
            Err(DecodeError::TooLarge),
            "a body over max accepted"
        );
        return;
    }
    let Ok(packets) = result else {
        return;
    };
    let segments = body.iter().filter(|&&b| b == SEPARATOR).count() + 1;
    assert_eq!(
        packets.len(),
        segments,
        "packet count differs from segment count"
    );

    let encoded = payload::encode(&packets);
    // Re-encoding may grow a body (unpadded base64 gains its `=`), so no limit here.
    let again = payload::decode(encoded.clone(), usize::MAX);
    assert_eq!(
        again.as_ref(),
        Ok(&packets),
        "decode(encode(p)) != p for {encoded:?}"
    );
    assert_eq!(
        payload::encode(&packets),
        encoded,
        "encoding is not deterministic"
    );
    if let Ok(again) = again {
        assert_eq!(
            payload::encode(&again),
            encoded,
            "encoding is not a fixed point"
        );
    }
}
