//! The hasher of a socket's event handler table.
//!
//! The table's keys are only ever the names the application registers (`Socket::on`); a client's
//! event name is only looked up, which walks one probe sequence and inserts nothing, so a client
//! cannot make the table slow by choosing names that collide. SipHash's protection is not needed
//! there, and it was the biggest part of finding a handler (callgrind, echo: ~160 instructions a
//! lookup, for a short name). FNV-1a over eight bytes a step instead, with no seed (zero-sized:
//! the table is 16 bytes smaller per socket).

use std::hash::{BuildHasher, Hasher};

/// Builds [`NameHasher`]s.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct NameHash;

impl BuildHasher for NameHash {
    type Hasher = NameHasher;

    fn build_hasher(&self) -> NameHasher {
        NameHasher(0xcbf2_9ce4_8422_2325)
    }
}

/// FNV-1a, a word at a time.
pub(crate) struct NameHasher(u64);

impl NameHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0 ^ word).wrapping_mul(0x0000_0100_0000_01b3);
    }
}

impl Hasher for NameHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut words = bytes.chunks_exact(8);
        for word in &mut words {
            let word: [u8; 8] = word.try_into().unwrap_or_default();
            self.add(u64::from_le_bytes(word));
        }
        // The last bytes, little-endian as a whole word would be, gathered in a register: copied
        // into a zeroed array, they were stored a byte at a time and read back as one word, which
        // the CPU cannot forward from the stores (a stall of about a dozen cycles a lookup).
        let rest = words.remainder();
        if !rest.is_empty() {
            self.add(rest.iter().rev().fold(0, |w, &b| (w << 8) | u64::from(b)));
        }
        // The length last: "a" and "a\0" differ.
        self.add(bytes.len() as u64);
    }

    fn write_u8(&mut self, byte: u8) {
        self.add(u64::from(byte));
    }

    fn finish(&self) -> u64 {
        // hashbrown takes its control bits from the top 7 bits: fold the low half in.
        self.0 ^ (self.0 >> 29)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hash(s: &str) -> u64 {
        NameHash.hash_one(s)
    }

    #[test]
    fn names_that_differ_hash_apart() {
        let names = [
            "",
            "a",
            "a\0",
            "echo",
            "echo ",
            "message",
            "messagf",
            "12345678",
            "123456789",
        ];
        for (i, a) in names.iter().enumerate() {
            for b in &names[i + 1..] {
                assert_ne!(hash(a), hash(b), "{a:?} and {b:?}");
            }
        }
        assert_eq!(hash("echo"), hash("echo"));
    }
}
