//! The runner's own MessagePack codec, for the `--parser msgpack` checks: just enough of the
//! format to write and read the packets of npm `socket.io-msgpack-parser` (a map
//! `{type, nsp, data?, id?}` per packet, binary inline). Kept apart from the server crates, so the
//! checks do not test a server with its own code.

use std::fmt;

/// A MessagePack value. Integers read back as [`Mp::Int`] when they fit an `i64`.
#[derive(Debug, Clone)]
pub enum Mp {
    /// `nil`.
    Nil,
    /// `true` / `false`.
    Bool(bool),
    /// An integer that fits an `i64`.
    Int(i64),
    /// An integer above `i64::MAX`.
    UInt(u64),
    /// A float (32-bit ones are widened).
    Float(f64),
    /// A UTF-8 string.
    Str(String),
    /// Bytes (`bin 8/16/32`).
    Bin(Vec<u8>),
    /// An array.
    Array(Vec<Mp>),
    /// A map, in wire order.
    Map(Vec<(Mp, Mp)>),
}

impl PartialEq for Mp {
    fn eq(&self, other: &Mp) -> bool {
        use Mp::*;
        match (self, other) {
            (Nil, Nil) => true,
            (Bool(a), Bool(b)) => a == b,
            (Int(a), Int(b)) => a == b,
            (UInt(a), UInt(b)) => a == b,
            // Node writes a float that holds an integer as an integer: compare by value.
            (Int(a), Float(b)) | (Float(b), Int(a)) => *a as f64 == *b,
            (Float(a), Float(b)) => a == b,
            (Str(a), Str(b)) => a == b,
            (Bin(a), Bin(b)) => a == b,
            (Array(a), Array(b)) => a == b,
            // Maps compare as sets of entries (encoders may order keys differently).
            (Map(a), Map(b)) => a.len() == b.len() && a.iter().all(|entry| b.contains(entry)),
            _ => false,
        }
    }
}

impl fmt::Display for Mp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Mp::Nil => f.write_str("nil"),
            Mp::Bool(b) => write!(f, "{b}"),
            Mp::Int(i) => write!(f, "{i}"),
            Mp::UInt(u) => write!(f, "{u}"),
            Mp::Float(x) => write!(f, "{x:?}"),
            Mp::Str(s) => write!(f, "{s:?}"),
            Mp::Bin(b) => write!(f, "bin{b:02x?}"),
            Mp::Array(items) => {
                f.write_str("[")?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_str("]")
            }
            Mp::Map(entries) => {
                f.write_str("{")?;
                for (i, (k, v)) in entries.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{k}: {v}")?;
                }
                f.write_str("}")
            }
        }
    }
}

/// A string value.
pub fn s(text: &str) -> Mp {
    Mp::Str(text.to_owned())
}

/// A map from string keys.
pub fn map(entries: Vec<(&str, Mp)>) -> Mp {
    Mp::Map(entries.into_iter().map(|(k, v)| (s(k), v)).collect())
}

/// Encodes `value` the way notepack (socket.io-msgpack-parser's codec) does: the shortest form
/// of each integer, strings as `str`, floats as float 64.
pub fn encode(value: &Mp) -> Vec<u8> {
    let mut out = Vec::new();
    write(value, &mut out);
    out
}

fn write_len(out: &mut Vec<u8>, len: usize, fix: Option<(u8, usize)>, codes: [u8; 3]) {
    match fix {
        Some((base, max)) if len <= max => out.push(base | len as u8),
        _ if len <= 0xff && codes[0] != 0 => out.extend([codes[0], len as u8]),
        _ if len <= 0xffff => {
            out.push(codes[1]);
            out.extend((len as u16).to_be_bytes());
        }
        _ => {
            out.push(codes[2]);
            out.extend((len as u32).to_be_bytes());
        }
    }
}

fn write(value: &Mp, out: &mut Vec<u8>) {
    match value {
        Mp::Nil => out.push(0xc0),
        Mp::Bool(b) => out.push(if *b { 0xc3 } else { 0xc2 }),
        Mp::Int(i) if *i >= 0 => write_uint(*i as u64, out),
        Mp::Int(i) if *i >= -32 => out.push(*i as i8 as u8),
        Mp::Int(i) if *i >= i64::from(i8::MIN) => out.extend([0xd0, *i as i8 as u8]),
        Mp::Int(i) if *i >= i64::from(i16::MIN) => {
            out.push(0xd1);
            out.extend((*i as i16).to_be_bytes());
        }
        Mp::Int(i) if *i >= i64::from(i32::MIN) => {
            out.push(0xd2);
            out.extend((*i as i32).to_be_bytes());
        }
        Mp::Int(i) => {
            out.push(0xd3);
            out.extend(i.to_be_bytes());
        }
        Mp::UInt(u) => write_uint(*u, out),
        Mp::Float(x) => {
            out.push(0xcb);
            out.extend(x.to_be_bytes());
        }
        Mp::Str(text) => {
            write_len(out, text.len(), Some((0xa0, 31)), [0xd9, 0xda, 0xdb]);
            out.extend(text.as_bytes());
        }
        Mp::Bin(bytes) => {
            write_len(out, bytes.len(), None, [0xc4, 0xc5, 0xc6]);
            out.extend(bytes);
        }
        Mp::Array(items) => {
            write_len(out, items.len(), Some((0x90, 15)), [0, 0xdc, 0xdd]);
            items.iter().for_each(|item| write(item, out));
        }
        Mp::Map(entries) => {
            write_len(out, entries.len(), Some((0x80, 15)), [0, 0xde, 0xdf]);
            for (k, v) in entries {
                write(k, out);
                write(v, out);
            }
        }
    }
}

fn write_uint(u: u64, out: &mut Vec<u8>) {
    if u < 0x80 {
        out.push(u as u8);
    } else if u <= 0xff {
        out.extend([0xcc, u as u8]);
    } else if u <= 0xffff {
        out.push(0xcd);
        out.extend((u as u16).to_be_bytes());
    } else if u <= 0xffff_ffff {
        out.push(0xce);
        out.extend((u as u32).to_be_bytes());
    } else {
        out.push(0xcf);
        out.extend(u.to_be_bytes());
    }
}

/// Decodes one value that must fill `bytes` exactly.
pub fn decode(bytes: &[u8]) -> Result<Mp, String> {
    let mut reader = Reader { bytes, at: 0 };
    let value = reader.value(0)?;
    if reader.at != bytes.len() {
        return Err(format!("{} bytes after the value", bytes.len() - reader.at));
    }
    Ok(value)
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], String> {
        let end = self
            .at
            .checked_add(n)
            .filter(|&end| end <= self.bytes.len());
        let end = end.ok_or_else(|| format!("truncated at byte {}", self.at))?;
        let taken = &self.bytes[self.at..end];
        self.at = end;
        Ok(taken)
    }

    fn uint(&mut self, n: usize) -> Result<u64, String> {
        Ok(self
            .take(n)?
            .iter()
            .fold(0, |acc, b| acc << 8 | u64::from(*b)))
    }

    fn value(&mut self, depth: usize) -> Result<Mp, String> {
        if depth > 100 {
            return Err("nested deeper than 100".into());
        }
        let code = self.take(1)?[0];
        let int = |u: u64| i64::try_from(u).map_or(Mp::UInt(u), Mp::Int);
        Ok(match code {
            0x00..=0x7f => Mp::Int(i64::from(code)),
            0x80..=0x8f => self.map(usize::from(code & 0x0f), depth)?,
            0x90..=0x9f => self.array(usize::from(code & 0x0f), depth)?,
            0xa0..=0xbf => self.str(usize::from(code & 0x1f))?,
            0xc0 => Mp::Nil,
            0xc2 => Mp::Bool(false),
            0xc3 => Mp::Bool(true),
            0xc4..=0xc6 => {
                let len = self.uint(1 << (code - 0xc4))? as usize;
                Mp::Bin(self.take(len)?.to_vec())
            }
            0xca => Mp::Float(f64::from(f32::from_bits(self.uint(4)? as u32))),
            0xcb => Mp::Float(f64::from_bits(self.uint(8)?)),
            0xcc..=0xcf => int(self.uint(1 << (code - 0xcc))?),
            0xd0 => Mp::Int(i64::from(self.uint(1)? as u8 as i8)),
            0xd1 => Mp::Int(i64::from(self.uint(2)? as u16 as i16)),
            0xd2 => Mp::Int(i64::from(self.uint(4)? as u32 as i32)),
            0xd3 => Mp::Int(self.uint(8)? as i64),
            0xd9..=0xdb => {
                let len = self.uint(1 << (code - 0xd9))? as usize;
                self.str(len)?
            }
            0xdc | 0xdd => {
                let len = self.uint(if code == 0xdc { 2 } else { 4 })? as usize;
                self.array(len, depth)?
            }
            0xde | 0xdf => {
                let len = self.uint(if code == 0xde { 2 } else { 4 })? as usize;
                self.map(len, depth)?
            }
            // notepack writes `undefined` (Node's `pid: undefined`, say) as fixext 1 of type 0.
            0xd4 if self.take(2)? == [0, 0] => Mp::Nil,
            0xe0..=0xff => Mp::Int(i64::from(code as i8)),
            other => return Err(format!("unsupported type byte 0x{other:02x}")),
        })
    }

    fn str(&mut self, len: usize) -> Result<Mp, String> {
        let bytes = self.take(len)?;
        let text =
            std::str::from_utf8(bytes).map_err(|e| format!("a str that is not UTF-8: {e}"))?;
        Ok(Mp::Str(text.to_owned()))
    }

    fn array(&mut self, len: usize, depth: usize) -> Result<Mp, String> {
        // Every item takes at least one byte: a declared length cannot reserve more than that.
        let mut items = Vec::with_capacity(len.min(self.bytes.len() - self.at));
        for _ in 0..len {
            items.push(self.value(depth + 1)?);
        }
        Ok(Mp::Array(items))
    }

    fn map(&mut self, len: usize, depth: usize) -> Result<Mp, String> {
        let mut entries = Vec::with_capacity(len.min(self.bytes.len() - self.at));
        for _ in 0..len {
            let key = self.value(depth + 1)?;
            entries.push((key, self.value(depth + 1)?));
        }
        Ok(Mp::Map(entries))
    }
}

/// Socket.IO packet types.
pub const CONNECT: i64 = 0;
/// DISCONNECT.
pub const DISCONNECT: i64 = 1;
/// EVENT.
pub const EVENT: i64 = 2;
/// ACK.
pub const ACK: i64 = 3;
/// CONNECT_ERROR.
pub const CONNECT_ERROR: i64 = 4;

/// A packet as socket.io-msgpack-parser writes it: `{type, nsp, data?, id?}`.
pub fn packet(kind: i64, nsp: &str, data: Option<Mp>, id: Option<i64>) -> Vec<u8> {
    let mut entries = vec![("type", Mp::Int(kind)), ("nsp", s(nsp))];
    if let Some(data) = data {
        entries.push(("data", data));
    }
    if let Some(id) = id {
        entries.push(("id", Mp::Int(id)));
    }
    encode(&map(entries))
}

/// A packet the server sent, read back.
#[derive(Debug, Clone, PartialEq)]
pub struct Packet {
    /// `type`.
    pub kind: i64,
    /// `nsp`.
    pub nsp: String,
    /// `data`, if present.
    pub data: Option<Mp>,
    /// `id`, if present.
    pub id: Option<i64>,
}

impl fmt::Display for Packet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{{type: {}, nsp: {:?}", self.kind, self.nsp)?;
        if let Some(data) = &self.data {
            write!(f, ", data: {data}")?;
        }
        if let Some(id) = self.id {
            write!(f, ", id: {id}")?;
        }
        f.write_str("}")
    }
}

/// Reads a packet the way socket.io-msgpack-parser checks one: a map with an integer `type`, a
/// string `nsp`, an integer `id` if any.
pub fn read_packet(bytes: &[u8]) -> Result<Packet, String> {
    let Mp::Map(entries) = decode(bytes)? else {
        return Err(format!("not a map: {}", decode(bytes)?));
    };
    let field = |name: &str| {
        (entries.iter())
            .find(|(k, _)| *k == s(name))
            .map(|(_, v)| v.clone())
    };
    let kind = match field("type") {
        Some(Mp::Int(kind)) => kind,
        other => return Err(format!("`type` is not an integer: {other:?}")),
    };
    let nsp = match field("nsp") {
        Some(Mp::Str(nsp)) => nsp,
        other => return Err(format!("`nsp` is not a string: {other:?}")),
    };
    let id = match field("id") {
        None | Some(Mp::Nil) => None,
        Some(Mp::Int(id)) => Some(id),
        Some(other) => return Err(format!("`id` is not an integer: {other}")),
    };
    Ok(Packet {
        kind,
        nsp,
        data: field("data"),
        id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_every_kind() {
        let value = Mp::Array(vec![
            Mp::Nil,
            Mp::Bool(true),
            Mp::Int(-33),
            Mp::Int(-1),
            Mp::Int(70000),
            Mp::Int(-70000),
            Mp::Int(1 << 40),
            Mp::UInt(u64::MAX),
            Mp::Float(3.25),
            s("héllo"),
            s(&"x".repeat(300)),
            Mp::Bin(vec![0, 1, 255]),
            map(vec![("a", Mp::Array(vec![]))]),
        ]);
        assert_eq!(decode(&encode(&value)), Ok(value));
    }

    #[test]
    fn reads_what_notepack_writes() {
        // {"type":2,"nsp":"/","data":["ev",1.5]} as npm notepack.io encodes it.
        let bytes = [
            0x83, 0xa4, b't', b'y', b'p', b'e', 0x02, 0xa3, b'n', b's', b'p', 0xa1, b'/', 0xa4,
            b'd', b'a', b't', b'a', 0x92, 0xa2, b'e', b'v', 0xcb, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0,
        ];
        let p = read_packet(&bytes).expect("a packet notepack wrote");
        assert_eq!((p.kind, p.nsp.as_str(), p.id), (2, "/", None));
        assert_eq!(p.data, Some(Mp::Array(vec![s("ev"), Mp::Float(1.5)])));
    }

    #[test]
    fn refuses_truncated_and_huge_lengths_without_allocating_them() {
        assert!(decode(&[0x92, 0x01]).is_err());
        assert!(decode(&[0xdd, 0xff, 0xff, 0xff, 0xff]).is_err());
        assert!(decode(&[0xc6, 0xff, 0xff, 0xff, 0xff, 0]).is_err());
        assert!(decode(&[0x91; 200]).is_err());
        assert!(decode(&[0xd4, 1, 0]).is_err());
    }

    #[test]
    fn reads_notepacks_undefined_as_nil() {
        assert_eq!(decode(&[0x91, 0xd4, 0, 0]), Ok(Mp::Array(vec![Mp::Nil])));
    }
}
