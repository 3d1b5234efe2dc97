//! [`Reader`]: structured values cut from fuzz input bytes, never failing.
//!
//! Exhausted input reads as zeros and empty slices, so every byte string is a valid program for
//! the stateful targets and the fuzzer never wastes executions on rejected inputs.

/// A cursor over fuzz input.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    data: &'a [u8],
}

impl<'a> Reader<'a> {
    /// A reader over `data`.
    pub fn new(data: &'a [u8]) -> Self {
        Self { data }
    }

    /// Whether every byte has been read.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// The next byte (0 once exhausted).
    pub fn u8(&mut self) -> u8 {
        match self.data.split_first() {
            Some((&b, rest)) => {
                self.data = rest;
                b
            }
            None => 0,
        }
    }

    /// The next two bytes, little-endian.
    pub fn u16(&mut self) -> u16 {
        u16::from(self.u8()) | (u16::from(self.u8()) << 8)
    }

    /// The next byte as a boolean (its low bit).
    pub fn bool(&mut self) -> bool {
        self.u8() & 1 == 1
    }

    /// A number below `n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        match n {
            0 => 0,
            n => usize::from(self.u8()) % n,
        }
    }

    /// One of `items` (`None` when `items` is empty).
    pub fn choose<'t, T>(&mut self, items: &'t [T]) -> Option<&'t T> {
        let i = self.below(items.len());
        items.get(i)
    }

    /// A length byte, then that many bytes (fewer if the input ends).
    pub fn bytes(&mut self) -> &'a [u8] {
        let len = usize::from(self.u8());
        let len = len.min(self.data.len());
        let (taken, rest) = self.data.split_at(len);
        self.data = rest;
        taken
    }

    /// Everything not read yet.
    pub fn rest(&mut self) -> &'a [u8] {
        std::mem::take(&mut self.data)
    }
}

/// Builds inputs for the stateful targets (used to write seed corpora).
#[derive(Debug, Clone, Default)]
pub struct Writer {
    out: Vec<u8>,
}

impl Writer {
    /// An empty program.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends one byte.
    pub fn u8(mut self, b: u8) -> Self {
        self.out.push(b);
        self
    }

    /// Appends two bytes, little-endian.
    pub fn u16(self, v: u16) -> Self {
        let [lo, hi] = v.to_le_bytes();
        self.u8(lo).u8(hi)
    }

    /// Appends a length byte and the bytes (at most 255 of them).
    pub fn bytes(mut self, b: &[u8]) -> Self {
        let b = b.get(..255).unwrap_or(b);
        self.out.push(u8::try_from(b.len()).unwrap_or(u8::MAX));
        self.out.extend_from_slice(b);
        self
    }

    /// The program.
    pub fn finish(self) -> Vec<u8> {
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_the_writer_wrote() {
        let data = Writer::new().u8(7).u16(513).bytes(b"abc").finish();
        let mut r = Reader::new(&data);
        assert_eq!(r.u8(), 7);
        assert_eq!(r.u16(), 513);
        assert_eq!(r.bytes(), b"abc");
        assert!(r.is_empty());
        assert_eq!(r.u8(), 0);
        assert_eq!(r.bytes(), b"");
    }

    #[test]
    fn short_input_gives_what_is_left() {
        let mut r = Reader::new(&[10, 1, 2]);
        assert_eq!(r.bytes(), &[1, 2]);
        assert_eq!(r.below(0), 0);
        assert_eq!(r.choose::<u8>(&[]), None);
    }
}
