//! [`TextBuf`]: short texts written one after another into one shared allocation, so that
//! sending one (an acknowledgement, say) allocates nothing once the previous ones went out.
//!
//! Each finished text is split off as a [`Text`] that shares the buffer's chunk. When a new text
//! does not fit in what is left of the chunk, the chunk is taken back whole if every text split
//! from it is gone (written out and dropped), else a new chunk is started and the old one is freed
//! with its last text. A text is written only from `&str` and `char`, so every split is UTF-8
//! without a check.
//!
//! Memory: one chunk ([`TextBuf::CHUNK`] bytes) while in use, and the chunks still held by texts
//! not yet sent. Texts longer than [`TextBuf::MAX_TEXT`] are not taken ([`TextBuf::start`]
//! answers `false`): a chunk is never grown, and a long text is allocated on its own. A buffer
//! whose texts all go to one queue, in order, holds at most two chunks more than the texts it has
//! queued: those still queued are the latest ones, so only the first and the last of their
//! chunks can hold texts already sent.

use super::packet::Text;
use bytes::BytesMut;

/// A buffer that texts are written into and split off from (see the module docs).
#[derive(Debug, Default)]
pub struct TextBuf {
    buf: BytesMut,
}

impl TextBuf {
    /// The size of a chunk: room for a few short texts split off one after another, and what a
    /// connection that wrote texts keeps between its bursts (kept small: every idle
    /// connection that ever acknowledged an event holds one).
    pub const CHUNK: usize = 512;

    /// The longest text taken.
    pub const MAX_TEXT: usize = 256;

    /// An empty buffer (allocates nothing until its first text).
    pub fn new() -> Self {
        Self::default()
    }

    /// Starts a text of `len` bytes: makes room for it, taking the chunk back or starting a new
    /// one if needed. `false` (nothing done) when `len` is over [`TextBuf::MAX_TEXT`]. Anything
    /// left unsplit from an earlier text is dropped.
    pub fn start(&mut self, len: usize) -> bool {
        if len > Self::MAX_TEXT {
            return false;
        }
        self.buf.clear();
        // Free room, or the chunk taken back whole (every text split from it is gone); it never
        // allocates. Otherwise a new chunk: the old one lives on in its texts.
        if !self.buf.try_reclaim(len) {
            self.buf = BytesMut::with_capacity(Self::CHUNK);
        }
        true
    }

    /// Appends `s` to the text being written.
    pub fn push_str(&mut self, s: &str) {
        self.buf.extend_from_slice(s.as_bytes());
    }

    /// Appends `c` to the text being written.
    pub fn push(&mut self, c: char) {
        self.push_str(c.encode_utf8(&mut [0; 4]));
    }

    /// Length of the text being written.
    pub fn len(&self) -> usize {
        self.buf.len()
    }

    /// Whether nothing was written since the last split.
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// The text being written, as bytes (to copy it somewhere without splitting it off).
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf
    }

    /// Drops the text being written; its room stays for the next.
    pub fn clear(&mut self) {
        self.buf.clear();
    }

    /// The text written since the last split (or start), as a [`Text`] sharing the chunk.
    pub fn split(&mut self) -> Text {
        Text::from_written(self.buf.split().freeze())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// Where the text's bytes are: texts of one chunk share an allocation.
    fn addr(text: &Text) -> usize {
        text.as_bytes().as_ptr() as usize
    }

    fn write(buf: &mut TextBuf, s: &str) -> Text {
        assert!(buf.start(s.len()));
        let (head, tail) = s.split_at(s.len() / 2);
        buf.push_str(head);
        tail.chars().for_each(|c| buf.push(c));
        assert_eq!(buf.len(), s.len());
        buf.split()
    }

    #[test]
    fn texts_follow_each_other_in_one_chunk_and_the_chunk_comes_back() {
        let mut buf = TextBuf::new();
        let a = write(&mut buf, "431[\"é\"]");
        let b = write(&mut buf, "432[]");
        assert_eq!((a.as_str(), b.as_str()), ("431[\"é\"]", "432[]"));
        assert_eq!(addr(&b), addr(&a) + a.len(), "the second follows the first");
        let start = addr(&a);
        drop((a, b));
        // Fill the chunk: the next text does not fit and the chunk, unshared now, is reused from
        // its start.
        let mut texts = Vec::new();
        while buf.buf.capacity() >= 200 {
            texts.push(write(&mut buf, &"x".repeat(200)));
        }
        drop(texts);
        let again = write(&mut buf, &"y".repeat(200));
        assert_eq!(addr(&again), start, "the chunk was taken back");
    }

    #[test]
    fn a_chunk_still_held_by_a_text_is_left_to_it() {
        let mut buf = TextBuf::new();
        let held = write(&mut buf, &"a".repeat(TextBuf::MAX_TEXT));
        let mut others = Vec::new();
        while buf.buf.capacity() >= TextBuf::MAX_TEXT {
            others.push(write(&mut buf, &"b".repeat(TextBuf::MAX_TEXT)));
        }
        drop(others);
        let next = write(&mut buf, &"c".repeat(TextBuf::MAX_TEXT));
        let chunk = addr(&held)..addr(&held) + TextBuf::CHUNK;
        assert!(!chunk.contains(&addr(&next)), "a new chunk");
        assert_eq!(held.as_str(), "a".repeat(TextBuf::MAX_TEXT), "untouched");
        assert_eq!(next.as_str(), "c".repeat(TextBuf::MAX_TEXT));
    }

    #[test]
    fn long_texts_and_leftovers() {
        let mut buf = TextBuf::new();
        assert!(!buf.start(TextBuf::MAX_TEXT + 1));
        assert!(buf.start(3));
        buf.push_str("abc");
        // Not split: dropped by the next start.
        assert!(buf.start(2));
        assert!(buf.is_empty());
        buf.push_str("de");
        assert_eq!(buf.split().as_str(), "de");
        // Written past what was started for: still whole, still UTF-8.
        assert!(buf.start(1));
        buf.push_str(&"ü".repeat(TextBuf::CHUNK));
        assert_eq!(buf.split().as_str(), "ü".repeat(TextBuf::CHUNK));
    }
}
