//! Strict base64url (RFC 7515 §2): URL-safe alphabet, no padding, no whitespace, and canonical
//! (the unused low bits of the last character must be zero), so one byte string has one encoding.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;

/// Decodes `input` into `stack` when it fits, else into `heap`; returns the decoded bytes.
/// Errors (`()`) on any non-canonical or invalid input.
pub(crate) fn decode_into<'b>(
    input: &[u8],
    stack: &'b mut [u8],
    heap: &'b mut Vec<u8>,
) -> Result<&'b [u8], ()> {
    // Every 4 characters give 3 bytes; a lone trailing character can never be valid.
    let max_len = input.len() / 4 * 3 + (input.len() % 4) * 3 / 4;
    if max_len <= stack.len() {
        let n = URL_SAFE_NO_PAD.decode_slice(input, stack).map_err(|_| ())?;
        stack.get(..n).ok_or(())
    } else {
        heap.clear();
        URL_SAFE_NO_PAD.decode_vec(input, heap).map_err(|_| ())?;
        Ok(heap.as_slice())
    }
}

/// Decodes to a fresh vector.
pub(crate) fn decode(input: &[u8]) -> Result<Vec<u8>, ()> {
    URL_SAFE_NO_PAD.decode(input).map_err(|_| ())
}

/// Encodes without padding, appending to `out`.
pub(crate) fn encode_to(input: &[u8], out: &mut String) {
    URL_SAFE_NO_PAD.encode_string(input, out);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strict(input: &str) -> Result<Vec<u8>, ()> {
        let mut stack = [0u8; 16];
        let mut heap = Vec::new();
        decode_into(input.as_bytes(), &mut stack, &mut heap).map(<[u8]>::to_vec)
    }

    #[test]
    fn accepts_canonical() {
        assert_eq!(strict("Zm9v").unwrap_or_default(), b"foo");
        assert_eq!(strict("Zm8").unwrap_or_default(), b"fo");
        assert_eq!(strict("Zg").unwrap_or_default(), b"f");
        assert_eq!(strict("").unwrap_or_default(), b"");
        assert_eq!(strict("-_8").unwrap_or_default(), [0xfb, 0xff]);
        let long = "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB";
        assert_eq!(strict(long).map(|v| v.len()), Ok(36));
    }

    #[test]
    fn rejects_non_canonical_and_foreign() {
        for bad in [
            "Zg==", "Zm8=", "Zh", "Zm9", "Z", "Zm9v\n", " Zm9v", "Zm+v", "Zm/v", "Zm9v=", "Zm.v",
            "Zm9v?", "AB",
        ] {
            assert!(strict(bad).is_err(), "{bad:?} accepted");
        }
    }
}
