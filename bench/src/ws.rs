//! A minimal WebSocket client for load generation: frames are queued into one buffer and written
//! with one `write` per batch; incoming frames are parsed in place from one read buffer.
//!
//! Client frames are masked with the all-zero key (valid per RFC 6455: the server unmasks with
//! it, and the payload needs no copy). Only what a Socket.IO server sends is handled: unfragmented
//! text and binary frames, ping, close.

use std::io;
use std::net::SocketAddr;
use std::ops::Range;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Text frame opcode.
pub const TEXT: u8 = 0x1;
/// Binary frame opcode.
pub const BINARY: u8 = 0x2;
const CLOSE: u8 = 0x8;
const PING: u8 = 0x9;
const PONG: u8 = 0xA;

/// The largest frame the client accepts (a bench never sends more).
const MAX_FRAME: usize = 16 << 20;

/// One WebSocket connection.
#[derive(Debug)]
pub struct WsClient {
    stream: TcpStream,
    rbuf: Vec<u8>,
    rpos: usize,
    /// Frames queued for the next [`WsClient::flush`].
    out: Vec<u8>,
}

/// A frame found in the read buffer: its opcode and where its payload is.
#[derive(Clone, Debug)]
pub struct Frame {
    /// The opcode.
    pub opcode: u8,
    range: Range<usize>,
}

impl WsClient {
    /// Opens a TCP connection to `addr` and upgrades `path` (with its query) to a WebSocket.
    pub async fn connect(addr: SocketAddr, path: &str) -> io::Result<Self> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        let mut client = Self {
            stream,
            rbuf: Vec::with_capacity(4096),
            rpos: 0,
            out: Vec::with_capacity(1024),
        };
        let request = format!(
            "GET {path} HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        );
        client.stream.write_all(request.as_bytes()).await?;
        loop {
            if let Some(end) = find(&client.rbuf, b"\r\n\r\n") {
                let head = &client.rbuf[..end];
                if !head.starts_with(b"HTTP/1.1 101") {
                    let line = head.split(|b| *b == b'\r').next().unwrap_or_default();
                    return Err(io::Error::other(format!(
                        "upgrade refused: {}",
                        String::from_utf8_lossy(line)
                    )));
                }
                client.rpos = end + 4;
                return Ok(client);
            }
            if client.rbuf.len() > 16 * 1024 {
                return Err(io::Error::other("upgrade response head too long"));
            }
            client.read_more().await?;
        }
    }

    /// Queues a text frame.
    pub fn queue_text(&mut self, payload: &[u8]) {
        encode_masked(&mut self.out, TEXT, payload);
    }

    /// Queues a binary frame.
    pub fn queue_binary(&mut self, payload: &[u8]) {
        encode_masked(&mut self.out, BINARY, payload);
    }

    /// Queues a close frame (status 1000).
    pub fn queue_close(&mut self) {
        encode_masked(&mut self.out, CLOSE, &1000u16.to_be_bytes());
    }

    /// Whether frames are queued.
    pub fn has_queued(&self) -> bool {
        !self.out.is_empty()
    }

    /// Writes every queued frame (one `write` in the common case).
    pub async fn flush(&mut self) -> io::Result<()> {
        if !self.out.is_empty() {
            self.stream.write_all(&self.out).await?;
            self.out.clear();
        }
        Ok(())
    }

    /// Whether a whole frame is already buffered (then [`WsClient::next`] will not wait).
    pub fn has_frame(&self) -> bool {
        matches!(parse_header(&self.rbuf[self.rpos..]), Ok(Some(_)))
    }

    /// The next data frame; `None` when the server closed. Pings are answered (the pong is
    /// queued); the payload is at [`WsClient::payload`] until the next call.
    pub async fn next(&mut self) -> io::Result<Option<Frame>> {
        loop {
            match parse_header(&self.rbuf[self.rpos..])? {
                Some((opcode, header_len, len, mask)) => {
                    let start = self.rpos + header_len;
                    let range = start..start + len;
                    self.rpos = range.end;
                    if let Some(key) = mask {
                        for (i, b) in self.rbuf[range.clone()].iter_mut().enumerate() {
                            *b ^= key[i % 4];
                        }
                    }
                    match opcode {
                        PING => {
                            let payload = self.rbuf[range].to_vec();
                            encode_masked(&mut self.out, PONG, &payload);
                        }
                        PONG => {}
                        CLOSE => return Ok(None),
                        _ => return Ok(Some(Frame { opcode, range })),
                    }
                }
                None => {
                    if self.read_more().await? == 0 {
                        return Ok(None);
                    }
                }
            }
        }
    }

    /// The payload of a frame returned by the last [`WsClient::next`].
    pub fn payload(&self, frame: &Frame) -> &[u8] {
        self.rbuf.get(frame.range.clone()).unwrap_or_default()
    }

    async fn read_more(&mut self) -> io::Result<usize> {
        if self.rpos == self.rbuf.len() {
            self.rbuf.clear();
            self.rpos = 0;
        } else if self.rpos > 0 && self.rbuf.capacity() - self.rbuf.len() < 4096 {
            self.rbuf.drain(..self.rpos);
            self.rpos = 0;
        }
        self.rbuf.reserve(8192);
        self.stream.read_buf(&mut self.rbuf).await
    }
}

/// A frame header at the start of `buf`: opcode, header length, payload length, mask key.
type Header = (u8, usize, usize, Option<[u8; 4]>);

fn parse_header(buf: &[u8]) -> io::Result<Option<Header>> {
    let [b0, b1, rest @ ..] = buf else {
        return Ok(None);
    };
    let opcode = b0 & 0x0F;
    let masked = b1 & 0x80 != 0;
    let (len, mut header_len) = match b1 & 0x7F {
        126 => match rest {
            [a, b, ..] => (u16::from_be_bytes([*a, *b]) as usize, 4),
            _ => return Ok(None),
        },
        127 => match rest.get(..8) {
            Some(bytes) => {
                let mut be = [0u8; 8];
                be.copy_from_slice(bytes);
                (
                    usize::try_from(u64::from_be_bytes(be)).unwrap_or(usize::MAX),
                    10,
                )
            }
            None => return Ok(None),
        },
        n => (n as usize, 2),
    };
    if len > MAX_FRAME {
        return Err(io::Error::other("frame too large"));
    }
    let mask = if masked {
        let Some(key) = buf.get(header_len..header_len + 4) else {
            return Ok(None);
        };
        header_len += 4;
        let mut k = [0u8; 4];
        k.copy_from_slice(key);
        Some(k)
    } else {
        None
    };
    if buf.len() < header_len + len {
        return Ok(None);
    }
    Ok(Some((opcode, header_len, len, mask)))
}

/// Appends a final, masked (zero key) frame.
pub fn encode_masked(out: &mut Vec<u8>, opcode: u8, payload: &[u8]) {
    out.push(0x80 | opcode);
    let len = payload.len();
    if len < 126 {
        out.push(0x80 | len as u8);
    } else if let Ok(short) = u16::try_from(len) {
        out.push(0x80 | 126);
        out.extend_from_slice(&short.to_be_bytes());
    } else {
        out.push(0x80 | 127);
        out.extend_from_slice(&(len as u64).to_be_bytes());
    }
    out.extend_from_slice(&[0, 0, 0, 0]);
    out.extend_from_slice(payload);
}

/// Where `needle` starts in `hay`.
pub fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_of_every_length_form_parse() {
        for len in [0usize, 125, 126, 65535, 65536] {
            let mut out = Vec::new();
            encode_masked(&mut out, TEXT, &vec![b'a'; len]);
            let (op, header_len, parsed, mask) =
                parse_header(&out).ok().flatten().unwrap_or_default();
            assert_eq!((op, parsed, mask), (TEXT, len, Some([0; 4])));
            assert_eq!(header_len + len, out.len());
            assert!(parse_header(&out[..out.len() - 1]).ok().flatten().is_none());
        }
    }
}
