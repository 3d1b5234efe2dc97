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

/// Splits an input into its `maxPayload` byte and the body, decodes the body with `decode` under
/// that limit, and checks that a body over the limit is refused. Gives the body and what it
/// decoded to, if it decoded.
pub fn decode_within<T: std::fmt::Debug + PartialEq>(
    data: &[u8],
    decode: impl FnOnce(Bytes, usize) -> Result<T, DecodeError>,
) -> Option<(&[u8], T)> {
    let (&limit, body) = data.split_first()?;
    let max = usize::from(limit) * 2;
    let result = decode(Bytes::copy_from_slice(body), max);
    if body.len() > max {
        assert_eq!(
            result,
            Err(DecodeError::TooLarge),
            "a body over max accepted"
        );
        return None;
    }
    Some((body, result.ok()?))
}

/// Runs one input.
pub fn run(data: &[u8]) {
    let Some((body, packets)) = decode_within(data, payload::decode) else {
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
