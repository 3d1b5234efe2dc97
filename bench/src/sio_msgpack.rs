//! The few packets the workloads exchange, in npm `socket.io-msgpack-parser`'s wire (one binary
//! WebSocket message per packet, a MessagePack map `{type, nsp, data?, id?}`), written and read
//! by hand: the CONNECT to `/`, an event with one string argument, and the type and ack id of a
//! packet the server sent.

/// `{type: 0, nsp: "/"}`, or with `{token}` as its data.
pub fn connect(out: &mut Vec<u8>, token: Option<&str>) {
    out.push(if token.is_some() { 0x83 } else { 0x82 });
    key_uint(out, "type", 0);
    str(out, "nsp");
    str(out, "/");
    if let Some(token) = token {
        str(out, "data");
        out.push(0x81);
        str(out, "token");
        str(out, token);
    }
}

/// `{type: 2, nsp: "/", data: [event, arg], id?}`: an event with one string argument.
pub fn event(out: &mut Vec<u8>, id: Option<u64>, event: &str, arg: &str) {
    out.push(if id.is_some() { 0x84 } else { 0x83 });
    key_uint(out, "type", 2);
    str(out, "nsp");
    str(out, "/");
    str(out, "data");
    out.push(0x92);
    str(out, event);
    str(out, arg);
    if let Some(id) = id {
        key_uint(out, "id", id);
    }
}

fn key_uint(out: &mut Vec<u8>, key: &str, n: u64) {
    str(out, key);
    match n {
        0..=0x7f => out.push(n as u8),
        0x80..=0xff => out.extend([0xcc, n as u8]),
        0x100..=0xffff => {
            out.push(0xcd);
            out.extend((n as u16).to_be_bytes());
        }
        0x1_0000..=0xffff_ffff => {
            out.push(0xce);
            out.extend((n as u32).to_be_bytes());
        }
        _ => {
            out.push(0xcf);
            out.extend(n.to_be_bytes());
        }
    }
}

fn str(out: &mut Vec<u8>, text: &str) {
    let len = text.len();
    if len < 32 {
        out.push(0xa0 | len as u8);
    } else if len <= 0xff {
        out.extend([0xd9, len as u8]);
    } else {
        out.push(0xda);
        out.extend((len as u16).to_be_bytes());
    }
    out.extend_from_slice(text.as_bytes());
}

/// The `type` and `id` of a packet (`id` when it has an integer one).
pub fn type_and_id(packet: &[u8]) -> Option<(u64, Option<u64>)> {
    let mut r = Reader {
        bytes: packet,
        at: 0,
    };
    let entries = match r.byte()? {
        b @ 0x80..=0x8f => usize::from(b & 0x0f),
        0xde => r.uint(2)? as usize,
        _ => return None,
    };
    let (mut ty, mut id) = (None, None);
    for _ in 0..entries {
        let key = r.str()?;
        match key {
            b"type" => ty = Some(r.int()?),
            b"id" => id = Some(r.int()?),
            _ => r.skip(0)?,
        }
    }
    Some((ty?, id))
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn byte(&mut self) -> Option<u8> {
        let b = *self.bytes.get(self.at)?;
        self.at += 1;
        Some(b)
    }

    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let taken = self.bytes.get(self.at..self.at.checked_add(n)?)?;
        self.at += n;
        Some(taken)
    }

    fn uint(&mut self, n: usize) -> Option<u64> {
        Some(
            self.take(n)?
                .iter()
                .fold(0, |acc, b| acc << 8 | u64::from(*b)),
        )
    }

    fn str(&mut self) -> Option<&'a [u8]> {
        let len = match self.byte()? {
            b @ 0xa0..=0xbf => usize::from(b & 0x1f),
            0xd9 => self.uint(1)? as usize,
            0xda => self.uint(2)? as usize,
            0xdb => self.uint(4)? as usize,
            _ => return None,
        };
        self.take(len)
    }

    fn int(&mut self) -> Option<u64> {
        match self.byte()? {
            b @ 0x00..=0x7f => Some(u64::from(b)),
            b @ 0xcc..=0xcf => self.uint(1 << (b - 0xcc)),
            _ => None,
        }
    }

    /// Skips one value of any type.
    fn skip(&mut self, depth: usize) -> Option<()> {
        if depth > 32 {
            return None;
        }
        let (len, items) = match self.byte()? {
            0x00..=0x7f | 0xc0 | 0xc2 | 0xc3 | 0xe0..=0xff => (0, 0),
            b @ 0x80..=0x8f => (0, 2 * usize::from(b & 0x0f)),
            b @ 0x90..=0x9f => (0, usize::from(b & 0x0f)),
            b @ 0xa0..=0xbf => (usize::from(b & 0x1f), 0),
            b @ (0xc4..=0xc6 | 0xd9..=0xdb) => {
                let width = if b <= 0xc6 { b - 0xc4 } else { b - 0xd9 };
                (self.uint(1 << width)? as usize, 0)
            }
            b @ 0xca..=0xd3 => {
                let n = match b {
                    0xca => 4,
                    0xcb => 8,
                    0xcc..=0xcf => 1 << (b - 0xcc),
                    _ => 1 << (b - 0xd0),
                };
                (n, 0)
            }
            b @ 0xd4..=0xd8 => (1 + (1 << (b - 0xd4)), 0),
            0xdc => (0, self.uint(2)? as usize),
            0xdd => (0, self.uint(4)? as usize),
            0xde => (0, 2 * self.uint(2)? as usize),
            0xdf => (0, 2 * self.uint(4)? as usize),
            _ => return None,
        };
        self.take(len)?;
        for _ in 0..items {
            self.skip(depth + 1)?;
        }
        Some(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_what_notepack_writes() {
        // socket.io-msgpack-parser's README: socket.emit('hello', 'you')
        let mut out = Vec::new();
        event(&mut out, None, "hello", "you");
        let npm = [
            0x83, 0xa4, 0x74, 0x79, 0x70, 0x65, 0x02, 0xa3, 0x6e, 0x73, 0x70, 0xa1, 0x2f, 0xa4,
            0x64, 0x61, 0x74, 0x61, 0x92, 0xa5, 0x68, 0x65, 0x6c, 0x6c, 0x6f, 0xa3, 0x79, 0x6f,
            0x75,
        ];
        assert_eq!(out, npm);
    }

    #[test]
    fn reads_type_and_id_past_any_data() {
        let mut out = Vec::new();
        event(&mut out, Some(300), "echo", &"x".repeat(40));
        assert_eq!(type_and_id(&out), Some((2, Some(300))));
        // {id: 7, type: 3, data: [{a: [1.5, nil]}], nsp: "/"}, the order of a Node ACK
        let ack = [
            0x84, 0xa2, b'i', b'd', 0x07, 0xa4, b't', b'y', b'p', b'e', 0x03, 0xa4, b'd', b'a',
            b't', b'a', 0x91, 0x81, 0xa1, b'a', 0x92, 0xcb, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0, 0xc0,
            0xa3, b'n', b's', b'p', 0xa1, b'/',
        ];
        assert_eq!(type_and_id(&ack), Some((3, Some(7))));
        assert_eq!(type_and_id(&ack[..20]), None);
    }
}
