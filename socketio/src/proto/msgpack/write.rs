//! Writing MessagePack exactly as notepack.io does (the smallest format for each length and
//! integer; non-integer numbers as float 64), and the JSON text of [`RawJson`] arguments turned
//! into MessagePack with each attachment placeholder written as the binary it stands for.
//!
//! [`RawJson`]: super::super::RawJson

use bytes::Bytes;

use super::super::json::{plain_string, unescape};

/// Appends `len` with the one-byte form `fix | len` below `fix_max`, else the 16- or 32-bit form
/// whose marker is `m16` (and `m16 + 1`). Lengths past `u32::MAX` cannot occur: the text they come
/// from would not fit in memory first.
fn header(out: &mut Vec<u8>, len: usize, fix: u8, fix_max: usize, m16: u8) {
    if len < fix_max {
        out.push(fix | len as u8);
    } else if len <= 0xffff {
        out.push(m16);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.push(m16 + 1);
        out.extend_from_slice(&(len as u32).to_be_bytes());
    }
}

pub(super) fn map_header(out: &mut Vec<u8>, len: usize) {
    header(out, len, 0x80, 16, 0xde);
}

pub(super) fn array_header(out: &mut Vec<u8>, len: usize) {
    header(out, len, 0x90, 16, 0xdc);
}

pub(super) fn str(out: &mut Vec<u8>, s: &str) {
    let len = s.len();
    if len < 32 {
        out.push(0xa0 | len as u8);
    } else if len <= 0xff {
        out.extend_from_slice(&[0xd9, len as u8]);
    } else if len <= 0xffff {
        out.push(0xda);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.push(0xdb);
        out.extend_from_slice(&(len as u32).to_be_bytes());
    }
    out.extend_from_slice(s.as_bytes());
}

pub(super) fn bin(out: &mut Vec<u8>, b: &[u8]) {
    let len = b.len();
    if len <= 0xff {
        out.extend_from_slice(&[0xc4, len as u8]);
    } else if len <= 0xffff {
        out.push(0xc5);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.push(0xc6);
        out.extend_from_slice(&(len as u32).to_be_bytes());
    }
    out.extend_from_slice(b);
}

pub(super) fn uint(out: &mut Vec<u8>, n: u64) {
    if n < 0x80 {
        out.push(n as u8);
    } else if n <= 0xff {
        out.extend_from_slice(&[0xcc, n as u8]);
    } else if n <= 0xffff {
        out.push(0xcd);
        out.extend_from_slice(&(n as u16).to_be_bytes());
    } else if n <= 0xffff_ffff {
        out.push(0xce);
        out.extend_from_slice(&(n as u32).to_be_bytes());
    } else {
        out.push(0xcf);
        out.extend_from_slice(&n.to_be_bytes());
    }
}

fn int(out: &mut Vec<u8>, n: i64) {
    if n >= 0 {
        uint(out, n as u64);
    } else if n >= -0x20 {
        out.push(n as u8);
    } else if n >= -0x80 {
        out.extend_from_slice(&[0xd0, n as u8]);
    } else if n >= -0x8000 {
        out.push(0xd1);
        out.extend_from_slice(&(n as i16).to_be_bytes());
    } else if n >= -0x8000_0000 {
        out.push(0xd2);
        out.extend_from_slice(&(n as i32).to_be_bytes());
    } else {
        out.push(0xd3);
        out.extend_from_slice(&n.to_be_bytes());
    }
}

/// A JSON number as notepack writes the JavaScript number `JSON.parse` makes of it: an integer in
/// the smallest integer format, anything else as float 64.
///
/// Two deliberate differences, both where notepack's output is lossy or garbage: an integer
/// written out in the text is kept exact even past 2^53 (JavaScript would round it), and an
/// integral value outside the 64-bit ranges is written as float 64 (notepack writes wrapped bits).
fn number(out: &mut Vec<u8>, text: &str) {
    let integer = !text.contains(['.', 'e', 'E']);
    if integer {
        if let Ok(n) = text.parse::<u64>() {
            return uint(out, n);
        }
        if let Ok(n) = text.parse::<i64>() {
            return int(out, n);
        }
    }
    let value: f64 = text.parse().unwrap_or(f64::NAN);
    const TWO_POW_64: f64 = 18_446_744_073_709_551_616.0;
    const TWO_POW_63: f64 = 9_223_372_036_854_775_808.0;
    // An integer written out past the 64-bit ranges stays a float 64 even where its float rounds
    // back into them: `-9223372036854776000` (how a float 64 of -2^63 reads as JSON) is not
    // i64::MIN, and as one it would read back as `-9223372036854775808`.
    let integral = !integer && value.fract() == 0.0;
    if integral && (0.0..TWO_POW_64).contains(&value) {
        uint(out, value as u64);
    } else if integral && (-TWO_POW_63..0.0).contains(&value) {
        int(out, value as i64);
    } else {
        out.push(0xcb);
        out.extend_from_slice(&value.to_bits().to_be_bytes());
    }
}

/// One JSON token, in document order; containers carry their element count once it is known.
#[derive(Debug, PartialEq)]
enum Token<'a> {
    Array(usize),
    Map(usize),
    /// A string's contents between the quotes, and whether it has escapes.
    Str(&'a str, bool),
    Number(&'a str),
    Bool(bool),
    Null,
    /// A placeholder object, standing for this attachment.
    Binary(usize),
}

/// An open array or map while tokenizing.
struct Open {
    /// Index of its token.
    token: usize,
    is_map: bool,
    /// In a map: whether the next string is a key.
    key_next: bool,
}

/// Appends the MessagePack form of the JSON text `json`, each placeholder object whose `num` is an
/// index into `attachments` written as that attachment's bytes.
///
/// The text is expected to be compact, valid JSON (what [`RawJson`](super::super::RawJson)
/// guarantees); anything else still never panics. No recursion: a first pass lists the tokens and
/// counts each container's elements, a second writes them, so depth costs no stack.
pub(super) fn json(out: &mut Vec<u8>, json: &str, attachments: &[Bytes]) {
    // The usual argument, a string without escapes: written without the token list.
    if let Some(inside) = plain_string(json) {
        return str(out, inside);
    }
    let tokens = tokenize(json, attachments.len());
    for token in tokens {
        match token {
            Token::Array(n) => array_header(out, n),
            Token::Map(n) => map_header(out, n),
            Token::Str(raw, false) => str(out, raw),
            Token::Str(raw, true) => str(out, &unescape(raw.as_bytes()).unwrap_or_default()),
            Token::Number(text) => number(out, text),
            Token::Bool(b) => out.push(if b { 0xc3 } else { 0xc2 }),
            Token::Null => out.push(0xc0),
            Token::Binary(k) => bin(out, attachments.get(k).map_or(&[][..], |b| &b[..])),
        }
    }
}

fn tokenize(json: &str, attachments: usize) -> Vec<Token<'_>> {
    let bytes = json.as_bytes();
    let mut tokens = Vec::new();
    let mut open: Vec<Open> = Vec::new();
    let mut pos = 0;
    while let Some(&b) = bytes.get(pos) {
        // A string in key position of a map is a key; every other token starting a value is an
        // element of the innermost container.
        let starts_value = matches!(
            b,
            b'[' | b'{' | b'"' | b'-' | b'0'..=b'9' | b't' | b'f' | b'n'
        );
        if starts_value {
            if let Some(top) = open.last_mut() {
                let counts = !top.is_map || (b == b'"' && top.key_next);
                if top.is_map && b == b'"' {
                    top.key_next = false;
                }
                if counts {
                    if let Some(Token::Array(n) | Token::Map(n)) = tokens.get_mut(top.token) {
                        *n += 1;
                    }
                }
            }
        }
        match b {
            b'[' | b'{' => {
                open.push(Open {
                    token: tokens.len(),
                    is_map: b == b'{',
                    key_next: true,
                });
                tokens.push(if b == b'[' {
                    Token::Array(0)
                } else {
                    Token::Map(0)
                });
                pos += 1;
            }
            b']' | b'}' => {
                if let Some(closed) = open.pop() {
                    if closed.is_map {
                        collapse_placeholder(&mut tokens, closed.token, attachments);
                    }
                }
                pos += 1;
            }
            b',' => {
                if let Some(top) = open.last_mut() {
                    top.key_next = true;
                }
                pos += 1;
            }
            b'"' => {
                let start = pos + 1;
                let mut end = start;
                let mut escaped = false;
                while let Some(&c) = bytes.get(end) {
                    match c {
                        b'"' => break,
                        b'\\' => {
                            escaped = true;
                            end += 2;
                        }
                        _ => end += 1,
                    }
                }
                let end = end.min(bytes.len());
                tokens.push(Token::Str(
                    json.get(start..end).unwrap_or_default(),
                    escaped,
                ));
                pos = end + 1;
            }
            b'-' | b'0'..=b'9' => {
                let start = pos;
                while let Some(b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9') = bytes.get(pos) {
                    pos += 1;
                }
                tokens.push(Token::Number(json.get(start..pos).unwrap_or_default()));
            }
            b't' => {
                tokens.push(Token::Bool(true));
                pos += 4;
            }
            b'f' => {
                tokens.push(Token::Bool(false));
                pos += 5;
            }
            b'n' => {
                tokens.push(Token::Null);
                pos += 4;
            }
            // `:` and whitespace (and, in text that is not JSON, anything else)
            _ => pos += 1,
        }
    }
    tokens
}

/// Replaces the map starting at token `at` with [`Token::Binary`] if it is exactly
/// `{"_placeholder":true,"num":k}` (either key order, the rule of the JSON scanner) with an
/// attachment `k`.
fn collapse_placeholder(tokens: &mut Vec<Token<'_>>, at: usize, attachments: usize) {
    let Some([Token::Map(2), Token::Str(k1, e1), v1, Token::Str(k2, e2), v2]) = tokens.get(at..)
    else {
        return;
    };
    let key = |raw: &str, escaped: bool| match escaped {
        false => Some(raw.to_owned()),
        true => unescape(raw.as_bytes()),
    };
    let (flag, num) = match (key(k1, *e1).as_deref(), key(k2, *e2).as_deref()) {
        (Some("_placeholder"), Some("num")) => (v1, v2),
        (Some("num"), Some("_placeholder")) => (v2, v1),
        _ => return,
    };
    let k = match (flag, num) {
        (Token::Bool(true), Token::Number(n)) => n.parse::<usize>().ok(),
        _ => None,
    };
    if let Some(k) = k.filter(|&k| k < attachments) {
        tokens.truncate(at);
        tokens.push(Token::Binary(k));
    }
}
