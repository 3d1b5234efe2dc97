//! Session ids: 15 random bytes from the operating system, in base64url (20 characters), like the
//! Node reference server's.

use base64::Engine as _;
use std::io::Read;
use std::sync::Mutex;

/// Makes unpredictable session ids.
#[derive(Debug)]
pub struct SidGenerator {
    urandom: Mutex<Option<std::io::BufReader<std::fs::File>>>,
    fallback: std::sync::atomic::AtomicU64,
}

impl Default for SidGenerator {
    fn default() -> Self {
        Self::new()
    }
}

impl SidGenerator {
    /// Opens the system's random source.
    pub fn new() -> Self {
        let file = std::fs::File::open("/dev/urandom")
            .ok()
            .map(|f| std::io::BufReader::with_capacity(1024, f));
        Self {
            urandom: Mutex::new(file),
            fallback: std::sync::atomic::AtomicU64::new(0),
        }
    }

    /// A new session id.
    pub fn next_sid(&self) -> String {
        let mut bytes = [0u8; 15];
        let filled = match self.urandom.lock() {
            Ok(mut guard) => guard
                .as_mut()
                .is_some_and(|r| r.read_exact(&mut bytes).is_ok()),
            Err(_) => false,
        };
        if !filled {
            self.fill_fallback(&mut bytes);
        }
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    }

    /// Without /dev/urandom: the standard library's randomly keyed hasher, plus a counter.
    fn fill_fallback(&self, bytes: &mut [u8; 15]) {
        use std::hash::{BuildHasher, Hasher};
        let n = self
            .fallback
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        for (i, chunk) in bytes.chunks_mut(8).enumerate() {
            let mut h = std::collections::hash_map::RandomState::new().build_hasher();
            h.write_u64(n);
            h.write_usize(i);
            let v = h.finish().to_le_bytes();
            chunk.copy_from_slice(&v[..chunk.len()]);
        }
    }
}
