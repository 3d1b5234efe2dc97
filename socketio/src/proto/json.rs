//! A one-pass JSON scanner for packet payloads.
//!
//! Why not `serde_json::Value`: without the `preserve_order` feature it sorts object keys, and the
//! server must echo a client's arguments with their key order. So the core keeps each argument as
//! its original (compacted) text, and this scanner does in one pass what the codec needs:
//! validates the grammar of RFC 8259 (strings are checked, not decoded, so lone surrogate escapes
//! that `JSON.parse` accepts are accepted too; numbers too large for an `f64`, which it would make
//! infinities, are refused, as `serde_json` refuses them), drops insignificant whitespace so the
//! output is compact like `JSON.stringify`, enforces a nesting limit, hands each element of a
//! top-level array to the caller as it is found ([`Elements`]), and collects the `num` of every
//! `{"_placeholder":true,"num":n}` object.
//!
//! The recursion depth is bounded by `max_depth`, which is itself capped at [`MAX_DEPTH_CAP`], so
//! hostile input cannot overflow the stack.

use std::borrow::Cow;
use std::ops::Range;

use super::error::JsonError;

/// Numbers of up to this many digits (integer digits plus exponent) are below 10^308, so finite
/// as an `f64`.
const F64_MAX_DIGITS: usize = 308;

/// The deepest nesting any caller may configure; deeper limits are lowered to this.
pub const MAX_DEPTH_CAP: usize = 256;

/// Kind of a JSON value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Kind {
    Object,
    Array,
    String,
    Number,
    Bool,
    #[default]
    Null,
}

/// What scanning one JSON text found.
#[derive(Debug)]
pub(crate) struct Scanned<'a> {
    /// The text without insignificant whitespace (the input itself when it had none).
    pub text: Cow<'a, str>,
    /// Kind of the top-level value.
    pub kind: Kind,
    /// `num` of each placeholder object, in text order.
    pub placeholders: Vec<u64>,
}

/// What a scan hands each element of a top-level array to, as it finds it: the decoder builds an
/// event's name and arguments from them during the scan, with no list of the elements' spans in
/// between (that list, moved out with the scan's result and read back, cost about a tenth of an
/// event's decode: callgrind, echo).
pub(crate) trait Elements {
    /// Whether the elements are wanted at all (`false`: the scan does not look for their text).
    const WANTED: bool = true;

    /// One element of the top-level array, in order: its compact text, its kind, and whether it
    /// is a string with an escape (its text between the quotes is then not its value). Called
    /// before the scan has seen the rest of the input, which may still turn out to be invalid.
    fn element(&mut self, text: &str, kind: Kind, escaped: bool);
}

/// No interest in the elements.
impl Elements for () {
    const WANTED: bool = false;

    fn element(&mut self, _: &str, _: Kind, _: bool) {}
}

/// Scans `input` as one JSON value.
pub(crate) fn scan(input: &str, max_depth: usize) -> Result<Scanned<'_>, JsonError> {
    scan_elements(input, max_depth, &mut ())
}

/// Scans `input` as one JSON value, handing the elements of a top-level array to `elements`.
pub(crate) fn scan_elements<'a, E: Elements>(
    input: &'a str,
    max_depth: usize,
    elements: &mut E,
) -> Result<Scanned<'a>, JsonError> {
    let mut s = Scanner {
        input,
        src: input.as_bytes(),
        pos: 0,
        out: Vec::new(),
        compacted: false,
        max_depth: max_depth.min(MAX_DEPTH_CAP),
        placeholders: Vec::new(),
        elements,
    };
    s.skip_ws();
    let info = s.value(0, true)?;
    s.skip_ws();
    if s.pos != s.src.len() {
        return Err(s.syntax());
    }
    let text = if s.compacted {
        // Only whole tokens of a valid UTF-8 input were copied, so this cannot fail; map it anyway.
        Cow::Owned(String::from_utf8(s.out).map_err(|_| JsonError::Syntax { offset: 0 })?)
    } else {
        // No whitespace was removed: the compact text is the input.
        Cow::Borrowed(input)
    };
    Ok(Scanned {
        text,
        kind: info.kind,
        placeholders: s.placeholders,
    })
}

/// Facts about one scanned value that placeholder detection and the elements handed out
/// ([`Elements`]) need.
struct Info {
    kind: Kind,
    /// A string with escapes.
    escaped: bool,
    /// The literal `true`.
    is_true: bool,
    /// A non-negative integer literal (no fraction, no exponent) that fits a `u64`.
    uint: Option<u64>,
}

impl Info {
    fn of(kind: Kind) -> Self {
        Self {
            kind,
            escaped: false,
            is_true: false,
            uint: None,
        }
    }
}

struct Scanner<'a, 'e, E> {
    input: &'a str,
    /// `input`'s bytes.
    src: &'a [u8],
    pos: usize,
    /// The compact text, once whitespace made it differ from `src` (see `compacted`).
    out: Vec<u8>,
    /// Whether whitespace was skipped; until then the compact text is `src[..pos]` and `out` is
    /// not written (most clients send compact JSON).
    compacted: bool,
    max_depth: usize,
    placeholders: Vec<u64>,
    /// Where the elements of a top-level array go.
    elements: &'e mut E,
}

impl<E: Elements> Scanner<'_, '_, E> {
    fn peek(&self) -> Option<u8> {
        self.src.get(self.pos).copied()
    }

    fn syntax(&self) -> JsonError {
        JsonError::Syntax { offset: self.pos }
    }

    /// Skips insignificant whitespace (most clients send none: one look then).
    #[inline]
    fn skip_ws(&mut self) {
        if let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.skip_ws_run();
        }
    }

    /// The run of whitespace at `pos` (out of line: rare).
    #[inline(never)]
    fn skip_ws_run(&mut self) {
        let start = self.pos;
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
        if self.pos > start && !self.compacted {
            self.compacted = true;
            self.out = Vec::with_capacity(self.src.len());
            self.out
                .extend_from_slice(self.src.get(..start).unwrap_or_default());
        }
    }

    /// The length of the compact text so far.
    fn out_len(&self) -> usize {
        if self.compacted {
            self.out.len()
        } else {
            self.pos
        }
    }

    /// Consumes `b` (copying it to the output) or fails.
    fn expect(&mut self, b: u8) -> Result<(), JsonError> {
        if self.peek() == Some(b) {
            self.pos += 1;
            if self.compacted {
                self.out.push(b);
            }
            Ok(())
        } else {
            Err(self.syntax())
        }
    }

    /// Consumes `b`, the byte just peeked (copying it to the output).
    #[inline]
    fn bump(&mut self, b: u8) {
        self.pos += 1;
        if self.compacted {
            self.out.push(b);
        }
    }

    /// Copies `src[start..self.pos]` to the output, once it is written (until then there is
    /// nothing to copy, nor to look up).
    fn copy_from(&mut self, start: usize) -> Result<(), JsonError> {
        if self.compacted {
            let bytes =
                (self.src.get(start..self.pos)).ok_or(JsonError::Syntax { offset: start })?;
            self.out.extend_from_slice(bytes);
        }
        Ok(())
    }

    fn value(&mut self, depth: usize, top: bool) -> Result<Info, JsonError> {
        match self.peek() {
            Some(b'{') => self.object(depth + 1),
            Some(b'[') => self.array(depth + 1, top),
            Some(b'"') => self.string_value(),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(b't') => {
                self.literal(b"true")?;
                Ok(Info {
                    is_true: true,
                    ..Info::of(Kind::Bool)
                })
            }
            Some(b'f') => {
                self.literal(b"false")?;
                Ok(Info::of(Kind::Bool))
            }
            Some(b'n') => {
                self.literal(b"null")?;
                Ok(Info::of(Kind::Null))
            }
            _ => Err(self.syntax()),
        }
    }

    /// A string as a value: what the elements handed out and the placeholder check need of it.
    #[inline]
    fn string_value(&mut self) -> Result<Info, JsonError> {
        let (_, escaped) = self.string()?;
        Ok(Info {
            escaped,
            ..Info::of(Kind::String)
        })
    }

    fn literal(&mut self, word: &[u8]) -> Result<(), JsonError> {
        let end = self.pos + word.len();
        if self.src.get(self.pos..end) == Some(word) {
            self.pos = end;
            if self.compacted {
                self.out.extend_from_slice(word);
            }
            Ok(())
        } else {
            Err(self.syntax())
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
        self.pos - start
    }

    /// Whether the number from `start` to here is finite as an `f64` (a number too large for one
    /// is refused, as `serde_json` refuses it: an argument no handler could deserialize).
    fn fits_f64(&self, start: usize) -> bool {
        (self.input.get(start..self.pos))
            .is_some_and(|number| number.parse::<f64>().is_ok_and(f64::is_finite))
    }

    fn number(&mut self) -> Result<Info, JsonError> {
        let start = self.pos;
        let negative = self.peek() == Some(b'-');
        if negative {
            self.pos += 1;
        }
        let int_start = self.pos;
        // Digits of the integer part; below 1 ("0"), its magnitude is taken as one digit.
        let int_digits = match self.peek() {
            Some(b'0') => {
                self.pos += 1;
                1
            }
            Some(b'1'..=b'9') => self.digits(),
            _ => return Err(self.syntax()),
        };
        let int_end = self.pos;
        let mut integer = true;
        if self.peek() == Some(b'.') {
            integer = false;
            self.pos += 1;
            if self.digits() == 0 {
                return Err(self.syntax());
            }
        }
        // The value is below 10^magnitude: 10^(integer digits + exponent).
        let mut magnitude = int_digits;
        if let Some(b'e' | b'E') = self.peek() {
            integer = false;
            self.pos += 1;
            let negative_exponent = self.peek() == Some(b'-');
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            let exp_start = self.pos;
            if self.digits() == 0 {
                return Err(self.syntax());
            }
            if !negative_exponent {
                // An exponent past a `u64` is as good as infinite here.
                let exponent = (self.src.get(exp_start..self.pos))
                    .and_then(parse_u64)
                    .and_then(|e| usize::try_from(e).ok());
                magnitude = magnitude.saturating_add(exponent.unwrap_or(usize::MAX));
            }
        }
        // Below 10^308 no number overflows an f64 (whose largest is about 1.8 * 10^308); at or
        // above it, the slow path asks the float parser, as rarely as such numbers come.
        if magnitude > F64_MAX_DIGITS && !self.fits_f64(start) {
            return Err(JsonError::NumberOutOfRange { offset: start });
        }
        let uint = if integer && !negative {
            self.src.get(int_start..int_end).and_then(parse_u64)
        } else {
            None
        };
        self.copy_from(start)?;
        Ok(Info {
            uint,
            ..Info::of(Kind::Number)
        })
    }

    /// Scans a string token; returns the span of its contents (without quotes) in the *input* and
    /// whether it contains escapes.
    fn string(&mut self) -> Result<(Range<usize>, bool), JsonError> {
        let start = self.pos;
        if self.peek() != Some(b'"') {
            return Err(self.syntax());
        }
        self.pos += 1;
        let mut escaped = false;
        loop {
            // Skip the plain run up to the next quote, backslash or control byte at once.
            self.pos += plain_run(self.src.get(self.pos..).unwrap_or_default());
            match self.peek() {
                None => return Err(self.syntax()),
                Some(b'"') => break,
                Some(b'\\') => {
                    escaped = true;
                    self.pos += 1;
                    match self.peek() {
                        Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => {
                            self.pos += 1
                        }
                        Some(b'u') => {
                            self.pos += 1;
                            for _ in 0..4 {
                                match self.peek() {
                                    Some(b) if b.is_ascii_hexdigit() => self.pos += 1,
                                    _ => return Err(self.syntax()),
                                }
                            }
                        }
                        _ => return Err(self.syntax()),
                    }
                }
                Some(0x00..=0x1f) => return Err(self.syntax()),
                Some(_) => self.pos += 1,
            }
        }
        let contents = start + 1..self.pos;
        self.pos += 1; // closing quote
        self.copy_from(start)?;
        Ok((contents, escaped))
    }

    /// Scans an array; its `[` is the byte at `pos` (the caller peeked it).
    fn array(&mut self, depth: usize, top: bool) -> Result<Info, JsonError> {
        if depth > self.max_depth {
            return Err(JsonError::TooDeep {
                max: self.max_depth,
            });
        }
        self.bump(b'[');
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.bump(b']');
            return Ok(Info::of(Kind::Array));
        }
        loop {
            self.skip_ws();
            let element_start = self.out_len();
            // A string, the most common element, is scanned without a call to `value`.
            let info = match self.peek() {
                Some(b'"') => self.string_value()?,
                _ => self.value(depth, false)?,
            };
            if top && E::WANTED {
                let span = element_start..self.out_len();
                let text = match self.compacted {
                    // Whole tokens of valid UTF-8 input: this cannot fail.
                    true => (self.out.get(span)).and_then(|b| std::str::from_utf8(b).ok()),
                    false => self.input.get(span),
                };
                let text = text.ok_or(JsonError::Syntax {
                    offset: element_start,
                })?;
                self.elements.element(text, info.kind, info.escaped);
            }
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.bump(b','),
                Some(b']') => {
                    self.bump(b']');
                    return Ok(Info::of(Kind::Array));
                }
                _ => return Err(self.syntax()),
            }
        }
    }

    /// Scans an object; its `{` is the byte at `pos` (the caller peeked it).
    fn object(&mut self, depth: usize) -> Result<Info, JsonError> {
        if depth > self.max_depth {
            return Err(JsonError::TooDeep {
                max: self.max_depth,
            });
        }
        self.bump(b'{');
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.bump(b'}');
            return Ok(Info::of(Kind::Object));
        }
        let mut keys = 0usize;
        let mut placeholder_true = false;
        let mut num: Option<Option<u64>> = None;
        loop {
            self.skip_ws();
            let (key, escaped) = self.string()?;
            let key = self.key_name(key, escaped);
            self.skip_ws();
            self.expect(b':')?;
            self.skip_ws();
            let info = self.value(depth, false)?;
            keys += 1;
            match key {
                Key::Placeholder if info.is_true => placeholder_true = true,
                Key::Num => num = Some(info.uint),
                _ => {}
            }
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.bump(b','),
                Some(b'}') => {
                    self.bump(b'}');
                    break;
                }
                _ => return Err(self.syntax()),
            }
        }
        if placeholder_true {
            match (keys, num) {
                (2, Some(Some(n))) => self.placeholders.push(n),
                _ => return Err(JsonError::MalformedPlaceholder { offset: self.pos }),
            }
        }
        Ok(Info::of(Kind::Object))
    }

    fn key_name(&self, span: Range<usize>, escaped: bool) -> Key {
        let raw = self.src.get(span).unwrap_or_default();
        let matches = |name: &str| {
            if escaped {
                unescape(raw).as_deref() == Some(name)
            } else {
                raw == name.as_bytes()
            }
        };
        if matches("_placeholder") {
            Key::Placeholder
        } else if matches("num") {
            Key::Num
        } else {
            Key::Other
        }
    }
}

enum Key {
    Placeholder,
    Num,
    Other,
}

/// The value of a run of decimal digits: `None` if it is empty, holds a byte that is not a digit,
/// or does not fit a `u64`. (An ack id, an attachment count, a placeholder's `num`.)
pub(crate) fn parse_u64(digits: &[u8]) -> Option<u64> {
    let digit = |b: u8| match b.wrapping_sub(b'0') {
        d @ 0..=9 => Some(u64::from(d)),
        _ => None,
    };
    match digits.len() {
        0 => None,
        // Nineteen digits or fewer stay below 10^19 < 2^64: no overflow check per digit.
        1..=19 => (digits.iter()).try_fold(0u64, |acc, &b| Some(acc * 10 + digit(b)?)),
        _ => (digits.iter()).try_fold(0u64, |acc, &b| acc.checked_mul(10)?.checked_add(digit(b)?)),
    }
}

/// Decodes the escapes of a string's contents (already validated). Lone surrogates become
/// U+FFFD; this is only used to compare key names.
pub(crate) fn unescape(raw: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(raw).ok()?;
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    let mut pending_high: Option<u32> = None;
    while let Some(c) = chars.next() {
        if c != '\\' {
            flush_high(&mut out, &mut pending_high);
            out.push(c);
            continue;
        }
        let e = chars.next()?;
        if e != 'u' {
            flush_high(&mut out, &mut pending_high);
            out.push(match e {
                'b' => '\u{8}',
                'f' => '\u{c}',
                'n' => '\n',
                'r' => '\r',
                't' => '\t',
                other => other,
            });
            continue;
        }
        let hex: String = chars.by_ref().take(4).collect();
        let unit = u32::from_str_radix(&hex, 16).ok()?;
        match (pending_high.take(), unit) {
            (Some(high), 0xDC00..=0xDFFF) => {
                let c = 0x10000 + ((high - 0xD800) << 10) + (unit - 0xDC00);
                out.push(char::from_u32(c).unwrap_or('\u{FFFD}'));
            }
            (high, 0xD800..=0xDBFF) => {
                if high.is_some() {
                    out.push('\u{FFFD}');
                }
                pending_high = Some(unit);
            }
            (high, _) => {
                if high.is_some() {
                    out.push('\u{FFFD}');
                }
                out.push(char::from_u32(unit).unwrap_or('\u{FFFD}'));
            }
        }
    }
    flush_high(&mut out, &mut pending_high);
    Some(out)
}

fn flush_high(out: &mut String, pending: &mut Option<u32>) {
    if pending.take().is_some() {
        out.push('\u{FFFD}');
    }
}

/// Writes `s` as a JSON string literal (escaping as `JSON.stringify` does).
pub(crate) fn write_string(out: &mut String, s: &str) {
    out.push('"');
    if plain_run(s.as_bytes()) == s.len() {
        out.push_str(s);
        out.push('"');
        return;
    }
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// The length of the run of `s` that holds no quote, backslash or control byte, eight bytes a
/// step: each step tests one word, where a byte that is below 0x20, or equal to `"` or `\\` once
/// XORed with it, sets its high bit. A borrow can also set the bit of a byte above a true hit, never
/// below one, so the lowest bit set is the first hit. The whole words are read as exact chunks (no
/// bounds check per step); the last, shorter one is padded with zeros, which count as hits where
/// `s` ends: no byte-by-byte tail.
pub(crate) fn plain_run(s: &[u8]) -> usize {
    let mut chunks = s.chunks_exact(8);
    let mut at = 0;
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let hits = stops(u64::from_le_bytes(word));
        if hits != 0 {
            return at + hits.trailing_zeros() as usize / 8;
        }
        at += 8;
    }
    let rest = chunks.remainder();
    let mut word = [0u8; 8];
    for (w, &b) in word.iter_mut().zip(rest) {
        *w = b;
    }
    let hits = stops(u64::from_le_bytes(word));
    // A padding zero always hits: the run ends at the first hit or where `s` does.
    at + (hits.trailing_zeros() as usize / 8).min(rest.len())
}

/// The high bit of each byte of `x` that is a quote, a backslash or below 0x20 (and maybe of some
/// bytes above the first such one: see [`plain_run`]).
#[inline(always)]
fn stops(x: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    /// The high bit of each byte of `x` below `n` (`n` at most 0x80), and maybe of some above it.
    #[inline(always)]
    fn less(x: u64, n: u8) -> u64 {
        x.wrapping_sub(ONES * u64::from(n)) & !x & HIGH
    }
    less(x, 0x20) | less(x ^ (ONES * u64::from(b'"')), 1) | less(x ^ (ONES * u64::from(b'\\')), 1)
}

/// The string a JSON string literal stands for when it has no escape: its text between the
/// quotes. `None` for anything else (an escape, or not one string). Valid JSON holds no control
/// byte in a string, so [`plain_run`]'s scan stops only at a quote or a backslash there.
#[inline]
pub(crate) fn plain_string(json: &str) -> Option<&str> {
    let inside = json.strip_prefix('"')?.strip_suffix('"')?;
    (plain_run(inside.as_bytes()) == inside.len()).then_some(inside)
}

/// Whether [`write_string`] escapes this byte (the rule [`plain_run`] is tested against).
#[cfg(test)]
fn needs_escape(b: u8) -> bool {
    b < 0x20 || b == b'"' || b == b'\\'
}

/// The length of `s` written by [`write_string`].
pub(crate) fn string_len(s: &str) -> usize {
    let escaped: usize = s
        .bytes()
        .map(|b| match b {
            b'"' | b'\\' | b'\n' | b'\r' | b'\t' | 0x08 | 0x0c => 1,
            b if b < 0x20 => 5,
            _ => 0,
        })
        .sum();
    s.len() + escaped + 2
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn parse_u64_takes_digits_up_to_the_largest_u64() {
        assert_eq!(parse_u64(b""), None);
        assert_eq!(parse_u64(b"0"), Some(0));
        assert_eq!(parse_u64(b"12345"), Some(12345));
        assert_eq!(
            parse_u64(b"9999999999999999999"),
            Some(9_999_999_999_999_999_999)
        );
        assert_eq!(parse_u64(b"18446744073709551615"), Some(u64::MAX));
        assert_eq!(parse_u64(b"00000000000000000000001"), Some(1));
        assert_eq!(parse_u64(b"18446744073709551616"), None);
        assert_eq!(parse_u64(b"99999999999999999999"), None);
        assert_eq!(parse_u64(b"12a"), None);
        assert_eq!(parse_u64(b"-1"), None);
    }

    fn ok(s: &str) -> Scanned<'_> {
        scan(s, 32).unwrap()
    }

    /// The elements a scan hands out, as owned text.
    #[derive(Default)]
    struct Collected(Vec<(String, Kind, bool)>);

    impl Elements for Collected {
        fn element(&mut self, text: &str, kind: Kind, escaped: bool) {
            self.0.push((text.to_owned(), kind, escaped));
        }
    }

    /// The compact text and the elements of a valid text.
    fn elements(s: &str) -> (String, Vec<(String, Kind, bool)>) {
        let mut collected = Collected::default();
        let text = scan_elements(s, 32, &mut collected).unwrap().text;
        (text.into_owned(), collected.0)
    }

    fn texts(elements: &[(String, Kind, bool)]) -> Vec<&str> {
        elements.iter().map(|(text, ..)| text.as_str()).collect()
    }

    #[test]
    fn plain_run_stops_where_the_byte_by_byte_scan_does() {
        let stops = [b'"', b'\\', 0x00, 0x1f, b'\n'];
        let plain = [b'a', b' ', 0x21, 0x23, 0x5b, 0x5d, 0x7f, 0x80, 0xc3, 0xff];
        for len in 0..40 {
            for at in 0..=len {
                for &stop in &stops {
                    for &fill in &plain {
                        let mut s = vec![fill; len];
                        if at < len {
                            s[at] = stop;
                        }
                        let naive = s.iter().position(|&b| needs_escape(b)).unwrap_or(len);
                        assert_eq!(plain_run(&s), naive, "{s:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn plain_run_matches_the_byte_by_byte_scan_on_mixed_bytes() {
        // Bytes next to every threshold, stops after stops: where a borrow could flag a byte.
        let alphabet = [
            b'"', b'\\', 0x00, 0x01, 0x1f, 0x20, 0x21, 0x23, 0x5b, 0x5d, 0x7f, 0x80, 0xa2, 0xdc,
            0xff, b'a',
        ];
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..50_000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let len = (seed % 27) as usize;
            let s: Vec<u8> = (0..len)
                .map(|i| alphabet[((seed >> (i % 16 * 4)) & 0xf) as usize ^ (i % 3)])
                .collect();
            let naive = s.iter().position(|&b| needs_escape(b)).unwrap_or(len);
            assert_eq!(plain_run(&s), naive, "{s:?}");
        }
    }

    #[test]
    fn compacts_and_keeps_key_order() {
        let s = ok(" { \"b\" : 1 , \"a\" : [ true , null , \"x y\" ] } ");
        assert_eq!(s.text, r#"{"b":1,"a":[true,null,"x y"]}"#);
        assert_eq!(s.kind, Kind::Object);
    }

    #[test]
    fn whitespace_after_compact_elements_keeps_their_text() {
        // The first elements are handed out before any whitespace is met (their text is then the
        // input's); the later ones from the compacted text.
        let (text, parts) = elements(r#"["ev",{"a":1}, 2 ,"x y"]"#);
        assert_eq!(text, r#"["ev",{"a":1},2,"x y"]"#);
        assert_eq!(texts(&parts), [r#""ev""#, r#"{"a":1}"#, "2", r#""x y""#]);
        let (text, parts) = elements(r#"["ev",{"a":1},2]"#);
        assert_eq!(text, r#"["ev",{"a":1},2]"#);
        assert_eq!(texts(&parts), [r#""ev""#, r#"{"a":1}"#, "2"]);
        // The first whitespace inside an element: its text begins before the compaction did.
        let (text, parts) = elements(r#"["ev",{"a" : [1 ,2]},3]"#);
        assert_eq!(text, r#"["ev",{"a":[1,2]},3]"#);
        assert_eq!(texts(&parts), [r#""ev""#, r#"{"a":[1,2]}"#, "3"]);
        // Text past non-ASCII characters, before and after the first whitespace.
        let (_, parts) = elements("[\"\u{e9}t\u{e9}\", \"\u{1f600} x\" ,\t\"\\u00e9\"\n]");
        assert_eq!(
            texts(&parts),
            ["\"\u{e9}t\u{e9}\"", "\"\u{1f600} x\"", "\"\\u00e9\""]
        );
    }

    #[test]
    fn hands_out_top_level_elements() {
        let (text, parts) = elements(r#"[ "ev" , 1.5e3, {"a":[1]} ,[]]"#);
        assert_eq!(text, r#"["ev",1.5e3,{"a":[1]},[]]"#);
        let parts: Vec<_> = (parts.iter())
            .map(|(text, kind, escaped)| (text.as_str(), *kind, *escaped))
            .collect();
        assert_eq!(
            parts,
            vec![
                ("\"ev\"", Kind::String, false),
                ("1.5e3", Kind::Number, false),
                ("{\"a\":[1]}", Kind::Object, false),
                ("[]", Kind::Array, false)
            ]
        );
        let (_, parts) = elements(r#"["e\"v", "\u0065", "ev", {"\n":1}]"#);
        let escaped: Vec<bool> = parts.iter().map(|(_, _, escaped)| *escaped).collect();
        assert_eq!(escaped, [true, true, false, false]);
        // Only the top level's: not a nested array's, nor anything of a top-level object.
        let (_, parts) = elements(r#"[[1,2],{"a":[3]}]"#);
        assert_eq!(texts(&parts), ["[1,2]", r#"{"a":[3]}"#]);
        assert!(elements(r#"{"a":[1,2]}"#).1.is_empty());
        assert!(elements("[]").1.is_empty());
        assert!(elements(r#""[1]""#).1.is_empty());
    }

    #[test]
    fn finds_nested_placeholders() {
        let s = ok(r#"["a",{"x":[{"_placeholder":true,"num":1}]},{"num":0,"_placeholder":true}]"#);
        assert_eq!(s.placeholders, vec![1, 0]);
        let s = ok(r#"[{"\u005fplaceholder":true,"n\u0075m":3}]"#);
        assert_eq!(s.placeholders, vec![3]);
        // not placeholders: false flag, or no flag
        let s = ok(r#"[{"_placeholder":false,"num":1},{"num":2}]"#);
        assert!(s.placeholders.is_empty());
    }

    #[test]
    fn rejects_malformed_placeholders() {
        for bad in [
            r#"{"_placeholder":true}"#,
            r#"{"_placeholder":true,"num":-1}"#,
            r#"{"_placeholder":true,"num":1.0}"#,
            r#"{"_placeholder":true,"num":"1"}"#,
            r#"{"_placeholder":true,"num":1,"x":2}"#,
            r#"{"_placeholder":true,"num":99999999999999999999}"#,
        ] {
            assert!(
                matches!(scan(bad, 8), Err(JsonError::MalformedPlaceholder { .. })),
                "{bad}"
            );
        }
    }

    #[test]
    fn depth_limit() {
        assert!(scan("[[[1]]]", 3).is_ok());
        assert_eq!(
            scan("[[[1]]]", 2).unwrap_err(),
            JsonError::TooDeep { max: 2 }
        );
        assert_eq!(
            scan(r#"{"a":{"b":1}}"#, 1).unwrap_err(),
            JsonError::TooDeep { max: 1 }
        );
        let deep = "[".repeat(100_000);
        assert!(matches!(
            scan(&deep, usize::MAX),
            Err(JsonError::TooDeep { max: MAX_DEPTH_CAP })
        ));
    }

    #[test]
    fn rejects_invalid_json() {
        for bad in [
            "",
            " ",
            "[",
            "]",
            "[1,]",
            "[,1]",
            "{\"a\"}",
            "{\"a\":}",
            "{a:1}",
            "{\"a\":1,}",
            "01",
            "1.",
            ".5",
            "1e",
            "-",
            "+1",
            "tru",
            "nul",
            "\"abc",
            "\"\\x\"",
            "\"\\u12\"",
            "\"\t\"",
            "[1 2]",
            "{} {}",
            "1 1",
            "'a'",
            "NaN",
            "Infinity",
            "[\"a\"]x",
            // The same strings as elements of an array (which scans them without `value`).
            "[\"abc",
            "[\"abc]",
            "[1,\"\\x\"]",
            "[\"\\u12\"]",
            "[\"\t\"]",
            "[\"a\" \"b\"]",
        ] {
            assert!(
                matches!(scan(bad, 8), Err(JsonError::Syntax { .. })),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn numbers_too_large_for_an_f64_are_refused_as_serde_json_refuses_them() {
        let digits = |n: usize| format!("1{}", "0".repeat(n - 1));
        let (e308, e309) = (digits(309), digits(310));
        for (text, fits) in [
            ("1e308", true),
            ("1.7976931348623157e308", true),
            ("-1.7976931348623157E+308", true),
            ("0.00001e310", true),
            ("0e99999", true),
            ("1e-400", true),
            ("-0.5e-3011", true),
            (e308.as_str(), true),
            ("1e309", false),
            ("1.8e308", false),
            ("-0.5e3011", false),
            ("1e99999999999999999999999", false),
            (e309.as_str(), false),
        ] {
            let serde = serde_json::from_str::<serde_json::Value>(text).is_ok();
            assert_eq!(serde, fits, "serde_json on {text}");
            match scan(text, 8) {
                Ok(_) => assert!(fits, "{text} accepted"),
                Err(e) => {
                    assert!(!fits, "{text}: {e}");
                    assert_eq!(e, JsonError::NumberOutOfRange { offset: 0 });
                }
            }
            let in_array = format!("[1, {text}]");
            let refused = scan(&in_array, 8).err();
            assert_eq!(
                refused,
                (!fits).then_some(JsonError::NumberOutOfRange { offset: 4 })
            );
        }
    }

    #[test]
    fn accepts_what_json_parse_accepts() {
        for good in [
            "0",
            "-0",
            "-0.5e-7",
            "1E+2",
            "\"\\ud800\"",
            "\"é✓🎉\"",
            "\"\\/\\b\\f\\n\\r\\t\\\"\\\\\"",
            "[]",
            "{}",
            "null",
            "\"\"",
        ] {
            assert!(scan(good, 8).is_ok(), "{good:?}");
        }
    }

    #[test]
    fn write_string_matches_serde() {
        for s in ["plain", "quo\"te", "back\\slash", "nl\n\u{1}\u{1f}", "é🎉/"] {
            let mut out = String::new();
            write_string(&mut out, s);
            assert_eq!(out, serde_json::to_string(s).unwrap());
        }
    }
}
