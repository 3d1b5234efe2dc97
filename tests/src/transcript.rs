//! The wire conversation of one check, kept so a failure can be reported with its exact exchange.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// How many bytes of a body or frame a transcript line shows before eliding the rest.
const SHOWN_BYTES: usize = 160;

/// A shared, append-only log of what a check sent and received, with timestamps.
///
/// Lines look like `+  12ms C#2> POST /engine.io/?EIO=4&transport=polling&sid=x "4hello"`: the
/// time since the check started, the connection number, the direction (`>` client to server, `<`
/// server to client) and the bytes, quoted and escaped.
#[derive(Debug, Clone)]
pub struct Transcript {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    start: Instant,
    next_connection: AtomicUsize,
    lines: Mutex<Vec<String>>,
}

impl Default for Transcript {
    fn default() -> Self {
        Transcript::new()
    }
}

impl Transcript {
    /// An empty transcript whose clock starts now.
    pub fn new() -> Transcript {
        Transcript {
            inner: Arc::new(Inner {
                start: Instant::now(),
                next_connection: AtomicUsize::new(1),
                lines: Mutex::new(Vec::new()),
            }),
        }
    }

    /// A fresh connection number, to tell concurrent connections apart.
    pub fn next_connection(&self) -> usize {
        self.inner.next_connection.fetch_add(1, Ordering::Relaxed)
    }

    /// Records what the client sent on connection `conn`.
    pub fn sent(&self, conn: usize, what: impl AsRef<str>) {
        self.push(format!("C#{conn}> {}", what.as_ref()));
    }

    /// Records what the server sent on connection `conn`.
    pub fn received(&self, conn: usize, what: impl AsRef<str>) {
        self.push(format!("S#{conn}< {}", what.as_ref()));
    }

    /// Records a remark of the check itself (a wait, an expectation).
    pub fn note(&self, what: impl AsRef<str>) {
        self.push(format!("   -- {}", what.as_ref()));
    }

    /// Every line so far, oldest first.
    pub fn lines(&self) -> Vec<String> {
        match self.inner.lines.lock() {
            Ok(lines) => lines.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    fn push(&self, line: String) {
        let ms = self.inner.start.elapsed().as_millis();
        let line = format!("+{ms:>5}ms {line}");
        match self.inner.lines.lock() {
            Ok(mut lines) => lines.push(line),
            Err(poisoned) => poisoned.into_inner().push(line),
        }
    }
}

/// Bytes as a quoted, escaped string (`"4hello\x1e4a"`), elided after a few dozen bytes.
pub fn show(bytes: &[u8]) -> String {
    let (head, rest) = bytes.split_at(bytes.len().min(SHOWN_BYTES));
    let mut out = String::from("\"");
    for chunk in head.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '\r' => out.push_str("\\r"),
                '\n' => out.push_str("\\n"),
                c if (c as u32) < 0x20 || c == '\x7f' => {
                    out.push_str(&format!("\\x{:02x}", c as u32))
                }
                c => out.push(c),
            }
        }
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    out.push('"');
    if !rest.is_empty() {
        out.push_str(&format!("...(+{} bytes)", rest.len()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn show_escapes_separators_and_invalid_utf8() {
        assert_eq!(show(b"4a\x1e4b"), "\"4a\\x1e4b\"");
        assert_eq!(show(b"\xff\"x\""), "\"\\xff\\\"x\\\"\"");
        assert_eq!(show("€".as_bytes()), "\"€\"");
    }

    #[test]
    fn show_elides_long_bodies() {
        let long = vec![b'a'; SHOWN_BYTES + 5];
        assert!(show(&long).ends_with("...(+5 bytes)"));
    }

    #[test]
    fn lines_carry_direction_and_connection() {
        let t = Transcript::new();
        let c = t.next_connection();
        t.sent(c, "GET /");
        t.received(c, "200");
        let lines = t.lines();
        assert!(lines[0].ends_with("C#1> GET /"), "{lines:?}");
        assert!(lines[1].ends_with("S#1< 200"), "{lines:?}");
    }
}
