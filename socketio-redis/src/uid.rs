//! Random ids like the Node adapter's `uid2(6)`: the node uid and request ids.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};

const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// `len` characters of `[A-Za-z0-9]`. Not for secrets: ids only need to differ between nodes
/// and requests (each call hashes a fresh randomly keyed state, a counter and the time).
pub(crate) fn uid(len: usize) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut out = String::with_capacity(len);
    let mut bits = 0u64;
    let mut left = 0;
    while out.len() < len {
        if left == 0 {
            let mut h = RandomState::new().build_hasher();
            h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
            if let Ok(t) = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
                h.write_u128(t.as_nanos());
            }
            bits = h.finish();
            left = 10;
        }
        let i = (bits % ALPHABET.len() as u64) as usize;
        bits /= ALPHABET.len() as u64;
        left -= 1;
        if let Some(&c) = ALPHABET.get(i) {
            out.push(char::from(c));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::uid;

    #[test]
    fn ids_have_the_length_and_alphabet_and_differ() {
        let a = uid(6);
        assert_eq!(a.len(), 6);
        assert!(a.chars().all(|c| c.is_ascii_alphanumeric()));
        let many: std::collections::HashSet<String> = (0..1000).map(|_| uid(6)).collect();
        assert!(many.len() > 990);
    }
}
