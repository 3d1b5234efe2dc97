//! The table of an endpoint's sessions: where requests for a sid find its driver.

use super::inputs::{DriverInput, SessionCell};
use super::mailbox;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

/// A session's entry: its driver's input queue, and what the router reads of it (its transport,
/// its open POSTs).
pub(crate) struct Entry {
    pub(crate) inputs: mailbox::Sender<DriverInput>,
    pub(crate) cell: Arc<SessionCell>,
}

/// The sessions of one endpoint, by sid.
pub(crate) struct Sessions(Mutex<HashMap<Arc<str>, Entry, SidHash>>);

impl Sessions {
    pub(crate) fn new() -> Self {
        Self(Mutex::new(HashMap::with_hasher(SidHash::new())))
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<Arc<str>, Entry, SidHash>> {
        // Nothing panics while holding the lock; a poisoned table is still a consistent table.
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Looks `sid` up and reads its entry with `f`.
    pub(crate) fn with<R>(&self, sid: &str, f: impl FnOnce(&Entry) -> R) -> Option<R> {
        self.lock().get(sid).map(f)
    }

    /// Adds a session; its [`Registration`] removes it when dropped.
    pub(crate) fn register(self: &Arc<Self>, sid: Arc<str>, entry: Entry) -> Registration {
        self.lock().insert(sid.clone(), entry);
        Registration {
            sessions: self.clone(),
            sid,
        }
    }

    /// Empties the table (the endpoint closes), giving back the entries.
    pub(crate) fn drain(&self) -> Vec<Entry> {
        self.lock().drain().map(|(_, entry)| entry).collect()
    }
}

/// The hasher of the sessions table: a seeded multiply-xor over 8-byte words (FxHash's step) with
/// a final mix, a fraction of SipHash's cost per request. SipHash's protection is not needed
/// here: the table's keys are sids this server drew at random (15 bytes of /dev/urandom), so a
/// peer cannot choose keys that collide; a lookup with a sid of its choosing walks one probe
/// sequence and inserts nothing.
#[derive(Clone, Debug)]
struct SidHash {
    seed: u64,
}

impl SidHash {
    fn new() -> Self {
        use std::hash::BuildHasher;
        Self {
            seed: std::collections::hash_map::RandomState::new().hash_one(0x5eed_u64),
        }
    }
}

impl std::hash::BuildHasher for SidHash {
    type Hasher = SidHasher;

    fn build_hasher(&self) -> SidHasher {
        SidHasher(self.seed)
    }
}

/// The hasher of [`SidHash`].
struct SidHasher(u64);

impl SidHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
}

impl std::hash::Hasher for SidHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut words = bytes.chunks_exact(8);
        for word in &mut words {
            self.add(u64::from_le_bytes(word.try_into().unwrap_or_default()));
        }
        let rest = words.remainder();
        if !rest.is_empty() {
            let mut last = [0u8; 8];
            last.iter_mut().zip(rest).for_each(|(b, r)| *b = *r);
            // The length in the top byte: "a" and "a\0" differ.
            self.add(u64::from_le_bytes(last) ^ ((rest.len() as u64) << 56));
        }
    }

    fn write_u8(&mut self, byte: u8) {
        self.add(u64::from(byte));
    }

    fn finish(&self) -> u64 {
        // splitmix64's finaliser: hashbrown takes its bucket from the low bits and its tag from
        // the top 7, both must depend on every input bit.
        let mut h = self.0;
        h = (h ^ (h >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        h = (h ^ (h >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        h ^ (h >> 31)
    }
}

/// A session's entry in its endpoint's table, removed when the session's driver ends.
pub(crate) struct Registration {
    sessions: Arc<Sessions>,
    sid: Arc<str>,
}

impl Drop for Registration {
    fn drop(&mut self) {
        self.sessions.lock().remove(&self.sid);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::SidGenerator;
    use std::hash::BuildHasher;

    #[test]
    fn sid_hash_spreads_sids_and_finds_them() {
        let hash = SidHash::new();
        let sids = SidGenerator::new();
        let keys: Vec<Arc<str>> = (0..2000).map(|_| Arc::from(sids.next_sid())).collect();
        let hashes: std::collections::HashSet<u64> =
            keys.iter().map(|k| hash.hash_one(&**k)).collect();
        assert_eq!(hashes.len(), keys.len());
        // Both ends of the hash vary (hashbrown's bucket and tag bits).
        let low: std::collections::HashSet<u64> = hashes.iter().map(|h| h & 0x7f).collect();
        let top: std::collections::HashSet<u64> = hashes.iter().map(|h| h >> 57).collect();
        assert_eq!((low.len(), top.len()), (128, 128));
        // Near-identical strings of every length up to 24 differ.
        let mut seen = std::collections::HashSet::new();
        for len in 0..24 {
            for last in [b'a', b'b', 0] {
                let mut s = vec![b'x'; len];
                s.push(last);
                assert!(seen.insert(hash.hash_one(&s[..])), "{s:?}");
            }
        }
        let mut table = HashMap::with_hasher(hash);
        for (i, key) in keys.iter().enumerate() {
            table.insert(key.clone(), i);
        }
        for (i, key) in keys.iter().enumerate() {
            assert_eq!(table.get(&**key), Some(&i));
        }
        assert_eq!(table.get("not a sid"), None);
    }
}
