//! Reading MessagePack as notepack.io writes it, straight into the JSON text that
//! `JSON.stringify` would give for the decoded JavaScript value, with each binary value cut out as
//! an attachment and replaced by its `{"_placeholder":true,"num":k}` object (socket.io-parser's
//! text format).
//!
//! Bounds: nothing is allocated from a declared length before checking that the bytes are there
//! (an array or map needs at least one byte per element), nesting is limited by
//! [`Limits::max_depth`], and the attachment limits apply while reading.

use std::borrow::Cow;

use bytes::Bytes;

use super::super::decode::Limits;
use super::super::encode::push_u64;
use super::super::error::{DecodeError, MsgPackError};
use super::super::json::{write_string, Kind, MAX_DEPTH_CAP};
use super::js_number::write_js_number;

/// One MessagePack value header.
enum Head {
    Nil,
    Bool(bool),
    Uint(u64),
    Int(i64),
    Float(f64),
    Str(usize),
    Bin(usize),
    Array(usize),
    Map(usize),
    /// notepack's `undefined`: fixext 1 of type 0.
    Undefined,
    /// notepack's `ArrayBuffer`: ext 8/16/32 of type 0, read as binary.
    ArrayBuffer(usize),
}

/// A cursor over one binary message.
pub(super) struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub(super) fn new(bytes: &'a [u8]) -> Self {
        Self { bytes, pos: 0 }
    }

    /// Fails unless every byte was read.
    pub(super) fn finish(&self) -> Result<(), MsgPackError> {
        match self.pos < self.bytes.len() {
            true => Err(MsgPackError::TrailingBytes { offset: self.pos }),
            false => Ok(()),
        }
    }

    fn remaining(&self) -> usize {
        self.bytes.len().saturating_sub(self.pos)
    }

    /// The next `n` bytes; fails (before anything is allocated) when fewer remain.
    fn take(&mut self, n: usize, start: usize) -> Result<&'a [u8], MsgPackError> {
        let end = self.pos.checked_add(n);
        let slice = end
            .and_then(|end| self.bytes.get(self.pos..end))
            .ok_or(MsgPackError::Truncated { offset: start })?;
        self.pos += n;
        Ok(slice)
    }

    /// A big-endian unsigned integer of `n` (at most 8) bytes.
    fn uint(&mut self, n: usize, start: usize) -> Result<u64, MsgPackError> {
        let bytes = self.take(n, start)?;
        Ok(bytes.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b)))
    }

    fn len(&mut self, n: usize, start: usize) -> Result<usize, MsgPackError> {
        let len = self.uint(n, start)?;
        usize::try_from(len).map_err(|_| MsgPackError::Truncated { offset: start })
    }

    fn head(&mut self) -> Result<Head, MsgPackError> {
        let start = self.pos;
        let marker = self.take(1, start)?.first().copied().unwrap_or(0xc1);
        Ok(match marker {
            0x00..=0x7f => Head::Uint(u64::from(marker)),
            0x80..=0x8f => Head::Map(usize::from(marker & 0x0f)),
            0x90..=0x9f => Head::Array(usize::from(marker & 0x0f)),
            0xa0..=0xbf => Head::Str(usize::from(marker & 0x1f)),
            0xc0 => Head::Nil,
            0xc1 => return Err(MsgPackError::ReservedFormat { offset: start }),
            0xc2 => Head::Bool(false),
            0xc3 => Head::Bool(true),
            0xc4 => Head::Bin(self.len(1, start)?),
            0xc5 => Head::Bin(self.len(2, start)?),
            0xc6 => Head::Bin(self.len(4, start)?),
            0xc7..=0xc9 => {
                let len = self.len(1 << (marker - 0xc7), start)?;
                let ext_type = self.uint(1, start)? as u8 as i8;
                match ext_type {
                    0 => Head::ArrayBuffer(len),
                    _ => {
                        return Err(MsgPackError::UnsupportedExtension {
                            ext_type,
                            offset: start,
                        })
                    }
                }
            }
            0xca => Head::Float(f64::from(f32::from_bits(self.uint(4, start)? as u32))),
            0xcb => Head::Float(f64::from_bits(self.uint(8, start)?)),
            0xcc => Head::Uint(self.uint(1, start)?),
            0xcd => Head::Uint(self.uint(2, start)?),
            0xce => Head::Uint(self.uint(4, start)?),
            0xcf => Head::Uint(self.uint(8, start)?),
            0xd0 => Head::Int(i64::from(self.uint(1, start)? as u8 as i8)),
            0xd1 => Head::Int(i64::from(self.uint(2, start)? as u16 as i16)),
            0xd2 => Head::Int(i64::from(self.uint(4, start)? as u32 as i32)),
            0xd3 => Head::Int(self.uint(8, start)? as i64),
            0xd4..=0xd8 => {
                let ext_type = self.uint(1, start)? as u8 as i8;
                self.take(1 << (marker - 0xd4), start)?;
                match (marker, ext_type) {
                    (0xd4, 0) => Head::Undefined,
                    _ => {
                        return Err(MsgPackError::UnsupportedExtension {
                            ext_type,
                            offset: start,
                        })
                    }
                }
            }
            0xd9 => Head::Str(self.len(1, start)?),
            0xda => Head::Str(self.len(2, start)?),
            0xdb => Head::Str(self.len(4, start)?),
            0xdc => Head::Array(self.len(2, start)?),
            0xdd => Head::Array(self.len(4, start)?),
            0xde => Head::Map(self.len(2, start)?),
            0xdf => Head::Map(self.len(4, start)?),
            0xe0..=0xff => Head::Int(i64::from(marker as i8)),
        })
    }

    /// A string's bytes as text, borrowed when they are UTF-8; invalid UTF-8 becomes U+FFFD, as
    /// Node's `buffer.toString()`. (The strict check first: the lossy one walks valid text in
    /// chunks, several times slower.)
    fn string(&mut self, len: usize, start: usize) -> Result<Cow<'a, str>, MsgPackError> {
        let bytes = self.take(len, start)?;
        Ok(match std::str::from_utf8(bytes) {
            Ok(text) => Cow::Borrowed(text),
            Err(_) => String::from_utf8_lossy(bytes),
        })
    }

    /// The length of the map that every packet is; anything else is refused.
    pub(super) fn packet_map(&mut self) -> Result<usize, MsgPackError> {
        match self.head() {
            Ok(Head::Map(n)) => self.check_count(n, 2, 0).map(|()| n),
            Ok(_) => Err(MsgPackError::NotAMap),
            Err(e) => Err(e),
        }
    }

    /// A map key, which must be a string.
    pub(super) fn key(&mut self) -> Result<Cow<'a, str>, MsgPackError> {
        let start = self.pos;
        match self.head()? {
            Head::Str(len) => self.string(len, start),
            _ => Err(MsgPackError::NonStringKey { offset: start }),
        }
    }

    /// A map key's bytes, not read as text: the packet map's keys are only compared with
    /// `type`, `data`, `id` and `nsp` (a key of invalid UTF-8 would read as text holding U+FFFD,
    /// which matches none of them either).
    pub(super) fn key_bytes(&mut self) -> Result<&'a [u8], MsgPackError> {
        let start = self.pos;
        match self.head()? {
            Head::Str(len) => self.take(len, start),
            _ => Err(MsgPackError::NonStringKey { offset: start }),
        }
    }

    /// Fails fast when `count` elements of at least `bytes_each` bytes cannot fit in the rest.
    fn check_count(
        &self,
        count: usize,
        bytes_each: usize,
        start: usize,
    ) -> Result<(), MsgPackError> {
        match count.checked_mul(bytes_each) {
            Some(needed) if needed <= self.remaining() => Ok(()),
            _ => Err(MsgPackError::Truncated { offset: start }),
        }
    }
}

/// What one value became.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Read {
    /// `undefined`: nothing was written (an array writes `null` for it, a map drops the key,
    /// as `JSON.stringify` does).
    Undefined,
    /// A JSON value of this kind was written.
    Json(Kind),
}

/// Turns values into JSON text, collecting binary values as attachments.
pub(super) struct ToJson<'l> {
    limits: &'l Limits,
    max_depth: usize,
    /// The binary values met so far, in order: attachment `k` is placeholder `num` `k`.
    pub(super) attachments: Vec<Bytes>,
    attachment_bytes: usize,
}

impl<'l> ToJson<'l> {
    pub(super) fn new(limits: &'l Limits) -> Self {
        Self {
            limits,
            max_depth: limits.max_depth.min(MAX_DEPTH_CAP),
            attachments: Vec::new(),
            attachment_bytes: 0,
        }
    }

    /// Reads one value and appends its JSON text to `out`. `depth` counts the arrays and maps
    /// around it, as the JSON scanner does.
    pub(super) fn value(
        &mut self,
        r: &mut Reader<'_>,
        out: &mut String,
        depth: usize,
    ) -> Result<Read, DecodeError> {
        let start = r.pos;
        let kind = match r.head()? {
            Head::Undefined => return Ok(Read::Undefined),
            Head::Nil => {
                out.push_str("null");
                Kind::Null
            }
            Head::Bool(b) => {
                out.push_str(if b { "true" } else { "false" });
                Kind::Bool
            }
            Head::Uint(n) => {
                push_u64(out, n);
                Kind::Number
            }
            Head::Int(n) => {
                if n < 0 {
                    out.push('-');
                }
                push_u64(out, n.unsigned_abs());
                Kind::Number
            }
            Head::Float(f) => {
                write_js_number(out, f);
                match f.is_finite() {
                    true => Kind::Number,
                    false => Kind::Null,
                }
            }
            Head::Str(len) => {
                write_string(out, &r.string(len, start)?);
                Kind::String
            }
            Head::Bin(len) | Head::ArrayBuffer(len) => {
                let bytes = r.take(len, start)?;
                self.binary(bytes, out, depth + 1)?;
                Kind::Object
            }
            Head::Array(n) => {
                self.enter(depth + 1)?;
                r.check_count(n, 1, start)?;
                out.push('[');
                for i in 0..n {
                    if i > 0 {
                        out.push(',');
                    }
                    if self.value(r, out, depth + 1)? == Read::Undefined {
                        out.push_str("null");
                    }
                }
                out.push(']');
                Kind::Array
            }
            Head::Map(n) => {
                self.enter(depth + 1)?;
                r.check_count(n, 2, start)?;
                out.push('{');
                let mut empty = true;
                for _ in 0..n {
                    let key = r.key()?;
                    let mark = out.len();
                    if !empty {
                        out.push(',');
                    }
                    write_string(out, &key);
                    out.push(':');
                    match self.value(r, out, depth + 1)? {
                        Read::Undefined => out.truncate(mark),
                        Read::Json(_) => empty = false,
                    }
                }
                out.push('}');
                Kind::Object
            }
        };
        Ok(Read::Json(kind))
    }

    fn enter(&self, depth: usize) -> Result<(), MsgPackError> {
        match depth > self.max_depth {
            true => Err(MsgPackError::TooDeep {
                max: self.max_depth,
            }),
            false => Ok(()),
        }
    }

    /// Cuts out a binary value as the next attachment (its placeholder object is one level of
    /// nesting in the text format, so it counts as one here too).
    fn binary(&mut self, bytes: &[u8], out: &mut String, depth: usize) -> Result<(), DecodeError> {
        self.enter(depth)?;
        if self.attachments.len() >= self.limits.max_attachments {
            return Err(DecodeError::TooManyAttachments {
                announced: self.attachments.len() as u64 + 1,
                max: self.limits.max_attachments,
            });
        }
        self.attachment_bytes = self.attachment_bytes.saturating_add(bytes.len());
        if self.attachment_bytes > self.limits.max_attachment_bytes {
            return Err(DecodeError::AttachmentsTooLarge {
                max: self.limits.max_attachment_bytes,
            });
        }
        out.push_str("{\"_placeholder\":true,\"num\":");
        push_u64(out, self.attachments.len() as u64);
        out.push('}');
        self.attachments.push(Bytes::copy_from_slice(bytes));
        Ok(())
    }
}
