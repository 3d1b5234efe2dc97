//! Base64 as polling payloads use it: standard alphabet, padding written, padding optional on input.

use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine;
use bytes::BytesMut;

const ENGINE: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_encode_padding(true)
        .with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Appends the base64 form of `data` to `out`.
pub fn encode_into(data: &[u8], out: &mut BytesMut) {
    let start = out.len();
    let len = base64::encoded_len(data.len(), true).unwrap_or(0);
    out.resize(start + len, 0);
    let written = ENGINE.encode_slice(data, &mut out[start..]).unwrap_or(0);
    out.truncate(start + written);
}

/// Decodes base64 text; `None` when it is not valid base64.
pub fn decode(text: &[u8]) -> Option<Vec<u8>> {
    ENGINE.decode(text).ok()
}

/// Encodes to a `String` (for handshake keys and tests).
pub fn encode(data: &[u8]) -> String {
    ENGINE.encode(data)
}
