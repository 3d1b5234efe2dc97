//! A raw WebSocket client (RFC 6455): the upgrade request written by hand, frames encoded and
//! decoded here, so a check can also send frames no library would (unmasked, reserved opcodes).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use tokio::time::{timeout_at, Instant};

use crate::http::{
    Connection, Ending, Reader, Request, Response, WireError, Writer, DEFAULT_RESPONSE_TIMEOUT,
};
use crate::target::Target;
use crate::transcript::{show, Transcript};

/// The largest frame payload this client accepts from a server.
const MAX_FRAME: u64 = 16 * 1024 * 1024;

/// Frame opcodes (RFC 6455 section 5.2).
pub mod opcode {
    /// Continuation of a fragmented message.
    pub const CONTINUATION: u8 = 0x0;
    /// A text frame.
    pub const TEXT: u8 = 0x1;
    /// A binary frame.
    pub const BINARY: u8 = 0x2;
    /// Connection close.
    pub const CLOSE: u8 = 0x8;
    /// Ping.
    pub const PING: u8 = 0x9;
    /// Pong.
    pub const PONG: u8 = 0xA;
}

/// What the server said to an upgrade request.
#[derive(Debug)]
pub enum Opening {
    /// `101 Switching Protocols` with a correct `Sec-WebSocket-Accept`.
    Open(WebSocket),
    /// Any other answer: the server refused the upgrade.
    Refused(Response),
}

/// Something that arrived on a WebSocket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A complete text message.
    Text(String),
    /// A complete binary message.
    Binary(Vec<u8>),
    /// A close frame, with its status code if it had one (the client answers it).
    Close(Option<u16>),
    /// The TCP connection ended without a close frame.
    Ended,
}

/// An open WebSocket connection (client side: every frame sent is masked).
#[derive(Debug)]
pub struct WebSocket {
    reader: Reader,
    writer: Writer,
    /// A message being reassembled from fragments: its opcode and bytes so far.
    partial: Option<(u8, Vec<u8>)>,
    /// The payloads of the pong frames received so far.
    pongs: Vec<Vec<u8>>,
    /// Whether this side has sent its close frame (RFC 6455 5.5.1: at most one).
    close_sent: bool,
}

impl WebSocket {
    /// Sends the upgrade request for `query` (e.g. `?EIO=4&transport=websocket`) and reads the answer.
    pub async fn connect(
        target: &Target,
        query: &str,
        log: &Transcript,
    ) -> Result<Opening, WireError> {
        let mut conn = Connection::open(target, log).await?;
        let key = fresh_key();
        let request = Request::new("GET", target.request_target(query))
            .header("Upgrade", "websocket")
            .header("Connection", "Upgrade")
            .header("Sec-WebSocket-Key", key.clone())
            .header("Sec-WebSocket-Version", "13");
        conn.send(&request).await?;
        let head = conn.reader.head(DEFAULT_RESPONSE_TIMEOUT).await?;
        if head.status != 101 {
            // Read the body of the refusal, if any, without waiting on a kept-alive connection.
            let body = match head
                .header("content-length")
                .and_then(|l| l.trim().parse().ok())
            {
                Some(length) => {
                    let deadline = Instant::now() + DEFAULT_RESPONSE_TIMEOUT;
                    while conn.reader.buffered().len() < length {
                        match timeout_at(deadline, conn.reader.fill()).await {
                            Ok(Ok(n)) if n > 0 => {}
                            _ => break,
                        }
                    }
                    conn.reader.take(length)
                }
                None => conn.reader.take(usize::MAX),
            };
            return Ok(Opening::Refused(Response { head, body }));
        }
        let expected = tungstenite::handshake::derive_accept_key(key.as_bytes());
        match head.header("sec-websocket-accept") {
            Some(accept) if accept.trim() == expected => {}
            other => {
                return Err(WireError::Malformed(format!(
                    "101 with Sec-WebSocket-Accept {other:?}, expected {expected:?}"
                )))
            }
        }
        Ok(Opening::Open(WebSocket {
            reader: conn.reader,
            writer: conn.writer,
            partial: None,
            pongs: Vec::new(),
            close_sent: false,
        }))
    }

    /// The payloads of the pong frames received so far (they are read along with messages).
    pub fn pongs(&self) -> &[Vec<u8>] {
        &self.pongs
    }

    /// Sends a text message in one frame.
    pub async fn send_text(&mut self, text: &str) -> Result<(), WireError> {
        self.writer
            .log_line(format!("ws text {}", show(text.as_bytes())));
        self.writer
            .send_quiet(&encode_frame(true, opcode::TEXT, text.as_bytes(), true))
            .await
    }

    /// Sends a binary message in one frame.
    pub async fn send_binary(&mut self, bytes: &[u8]) -> Result<(), WireError> {
        self.writer.log_line(format!("ws binary {}", show(bytes)));
        self.writer
            .send_quiet(&encode_frame(true, opcode::BINARY, bytes, true))
            .await
    }

    /// Sends one frame exactly as asked, masked or not, any opcode.
    pub async fn send_frame(
        &mut self,
        fin: bool,
        op: u8,
        payload: &[u8],
        masked: bool,
    ) -> Result<(), WireError> {
        let frame = encode_frame(fin, op, payload, masked);
        self.writer.log_line(format!("ws frame {}", show(&frame)));
        self.writer.send_quiet(&frame).await
    }

    /// Sends a close frame with status 1000.
    pub async fn close(&mut self) -> Result<(), WireError> {
        self.close_with(1000).await
    }

    /// Sends a close frame with status `code`.
    pub async fn close_with(&mut self, code: u16) -> Result<(), WireError> {
        self.writer.log_line(format!("ws close {code}"));
        self.close_sent = true;
        self.writer
            .send_quiet(&encode_frame(
                true,
                opcode::CLOSE,
                &code.to_be_bytes(),
                true,
            ))
            .await
    }

    /// Waits until the server closes the TCP connection or `limit` passes (after a close
    /// handshake the server, not the client, should close TCP first: RFC 6455 7.1.1).
    pub async fn ending(&mut self, limit: Duration) -> Ending {
        self.reader.ending(limit).await
    }

    /// Writes one frame while reading what the server sends, until a close frame, the end of the
    /// connection, or `limit`. For a frame the server may refuse before reading it whole (over
    /// its maximum payload): a server that stops reading and closes must not make the write
    /// hide the close frame it sent first.
    pub async fn send_frame_racing(
        &mut self,
        op: u8,
        payload: &[u8],
        limit: Duration,
    ) -> Result<Event, WireError> {
        let frame = encode_frame(true, op, payload, true);
        self.writer.log_line(format!(
            "ws frame opcode {op:#x}, {} bytes of payload",
            payload.len()
        ));
        let deadline = Instant::now() + limit;
        let writer = &mut self.writer;
        let reader = &mut self.reader;
        let write = async {
            match timeout_at(deadline, writer.send_quiet(&frame)).await {
                Ok(Ok(())) => "the whole frame was written".to_string(),
                Ok(Err(e)) => format!("the server stopped reading mid-frame: {e}"),
                Err(_) => "the server stopped reading mid-frame (write timed out)".to_string(),
            }
        };
        let read = async {
            loop {
                match read_frame(reader, deadline).await {
                    Ok(Some((_, opcode::CLOSE, payload))) => break Ok(close_event(&payload)),
                    // Engine.IO pings and WebSocket pings/pongs may come first; they are logged.
                    Ok(Some((_, op, payload))) => reader
                        .log()
                        .received(reader.id(), format!("ws opcode {op:#x} {}", show(&payload))),
                    Ok(None) | Err(WireError::Io(_)) => break Ok(Event::Ended),
                    Err(WireError::Timeout(_)) => break Err(WireError::Timeout(limit)),
                    Err(e) => break Err(e),
                }
            }
        };
        let (written, event) = tokio::join!(write, read);
        self.reader.log().note(written);
        match &event {
            Ok(Event::Close(code)) => {
                self.reader
                    .log()
                    .received(self.reader.id(), format!("ws close {code:?}"));
                if !self.close_sent {
                    self.close_sent = true;
                    let answer = encode_frame(
                        true,
                        opcode::CLOSE,
                        &code.map(u16::to_be_bytes).unwrap_or_default(),
                        true,
                    );
                    let _ = self.writer.send_quiet(&answer).await;
                }
            }
            Ok(Event::Ended) => self
                .reader
                .log()
                .received(self.reader.id(), "ws <connection ended>"),
            Ok(_) => {}
            Err(e) => self
                .reader
                .log()
                .received(self.reader.id(), format!("ws <{e}>")),
        }
        event
    }

    /// The next message or close, within `limit`. WebSocket pings are answered with pongs.
    pub async fn recv(&mut self, limit: Duration) -> Result<Event, WireError> {
        let deadline = Instant::now() + limit;
        loop {
            let frame = match self.frame(deadline).await {
                Ok(Some(frame)) => frame,
                Ok(None) => {
                    self.reader
                        .log()
                        .received(self.reader.id(), "ws <connection ended>");
                    return Ok(Event::Ended);
                }
                Err(WireError::Io(_)) => {
                    self.reader
                        .log()
                        .received(self.reader.id(), "ws <connection reset>");
                    return Ok(Event::Ended);
                }
                Err(WireError::Timeout(_)) => {
                    let e = WireError::Timeout(limit);
                    self.reader
                        .log()
                        .received(self.reader.id(), format!("ws <{e}>"));
                    return Err(e);
                }
                Err(e) => {
                    self.reader
                        .log()
                        .received(self.reader.id(), format!("ws <{e}>"));
                    return Err(e);
                }
            };
            let (fin, op, payload) = frame;
            match op {
                opcode::PING => {
                    self.reader
                        .log()
                        .received(self.reader.id(), format!("ws ping {}", show(&payload)));
                    let pong = encode_frame(true, opcode::PONG, &payload, true);
                    self.writer.send_quiet(&pong).await?;
                }
                opcode::PONG => {
                    self.reader
                        .log()
                        .received(self.reader.id(), format!("ws pong {}", show(&payload)));
                    self.pongs.push(payload);
                }
                opcode::CLOSE => {
                    let event = close_event(&payload);
                    self.reader
                        .log()
                        .received(self.reader.id(), format!("ws {event:?}"));
                    // Answer a close the server started; a close it echoes needs no answer.
                    if !self.close_sent {
                        self.close_sent = true;
                        let answer = encode_frame(
                            true,
                            opcode::CLOSE,
                            payload.get(..2).unwrap_or_default(),
                            true,
                        );
                        let _ = self.writer.send_quiet(&answer).await;
                    }
                    return Ok(event);
                }
                opcode::TEXT | opcode::BINARY | opcode::CONTINUATION => {
                    let (op, mut data) = match (op, self.partial.take()) {
                        (opcode::CONTINUATION, Some((first, mut data))) => {
                            data.extend_from_slice(&payload);
                            (first, data)
                        }
                        (opcode::CONTINUATION, None) => {
                            return Err(WireError::Malformed(
                                "continuation frame with nothing to continue".into(),
                            ))
                        }
                        (_, Some(_)) => {
                            return Err(WireError::Malformed(
                                "new message inside a fragmented one".into(),
                            ))
                        }
                        (op, None) => (op, payload),
                    };
                    if !fin {
                        self.partial = Some((op, std::mem::take(&mut data)));
                        continue;
                    }
                    return if op == opcode::TEXT {
                        match String::from_utf8(data) {
                            Ok(text) => {
                                self.reader.log().received(
                                    self.reader.id(),
                                    format!("ws text {}", show(text.as_bytes())),
                                );
                                Ok(Event::Text(text))
                            }
                            Err(e) => Err(WireError::Malformed(format!(
                                "text frame is not UTF-8: {e}"
                            ))),
                        }
                    } else {
                        self.reader
                            .log()
                            .received(self.reader.id(), format!("ws binary {}", show(&data)));
                        Ok(Event::Binary(data))
                    };
                }
                other => {
                    return Err(WireError::Malformed(format!(
                        "frame with reserved opcode {other:#x}"
                    )))
                }
            }
        }
    }

    /// Reads one frame: `Ok(None)` when the connection ended cleanly before one began.
    async fn frame(&mut self, deadline: Instant) -> Result<Option<(bool, u8, Vec<u8>)>, WireError> {
        read_frame(&mut self.reader, deadline).await
    }
}

/// The event a close frame's payload means: its status code, if it carries one.
fn close_event(payload: &[u8]) -> Event {
    Event::Close(payload.get(..2).map(|b| u16::from_be_bytes([b[0], b[1]])))
}

/// Reads one frame from `reader`: `Ok(None)` when the connection ended cleanly before one began.
async fn read_frame(
    reader: &mut Reader,
    deadline: Instant,
) -> Result<Option<(bool, u8, Vec<u8>)>, WireError> {
    loop {
        match parse_frame(reader.buffered())? {
            Some((header_len, payload_len, fin, op, mask)) => {
                let mut bytes = reader.take(header_len + payload_len);
                let mut payload = bytes.split_off(header_len.min(bytes.len()));
                if let Some(mask) = mask {
                    apply_mask(&mut payload, mask);
                    return Err(WireError::Malformed("server sent a masked frame".into()));
                }
                return Ok(Some((fin, op, payload)));
            }
            None => match timeout_at(deadline, reader.fill()).await {
                // The caller knows the limit it gave; it fills the duration in.
                Err(_) => return Err(WireError::Timeout(Duration::ZERO)),
                Ok(Ok(0)) if reader.buffered().is_empty() => return Ok(None),
                Ok(Ok(0)) => {
                    return Err(WireError::ClosedEarly {
                        partial: reader.take(usize::MAX),
                    })
                }
                Ok(Ok(_)) => {}
                Ok(Err(e)) => return Err(WireError::Io(e)),
            },
        }
    }
}

impl Writer {
    fn log_line(&self, line: impl AsRef<str>) {
        self.log().sent(self.id(), line);
    }
}

/// A random-enough `Sec-WebSocket-Key`: 16 bytes from the clock and a counter, base64-encoded.
fn fresh_key() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or_default();
    let count = COUNTER.fetch_add(1, Ordering::Relaxed);
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&nanos.to_le_bytes());
    bytes[8..].copy_from_slice(&count.to_le_bytes());
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Encodes one frame; client frames are masked (RFC 6455 section 5.3).
pub fn encode_frame(fin: bool, op: u8, payload: &[u8], masked: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + 14);
    out.push(if fin { 0x80 } else { 0 } | (op & 0x0f));
    let mask_bit = if masked { 0x80 } else { 0 };
    match payload.len() {
        n if n < 126 => out.push(mask_bit | n as u8),
        n if n <= usize::from(u16::MAX) => {
            out.push(mask_bit | 126);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            out.push(mask_bit | 127);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    if masked {
        let mask = [0x37, 0xfa, 0x21, 0x3d];
        out.extend_from_slice(&mask);
        let start = out.len();
        out.extend_from_slice(payload);
        if let Some(body) = out.get_mut(start..) {
            apply_mask(body, mask);
        }
    } else {
        out.extend_from_slice(payload);
    }
    out
}

fn apply_mask(bytes: &mut [u8], mask: [u8; 4]) {
    for (b, m) in bytes.iter_mut().zip(mask.iter().cycle()) {
        *b ^= m;
    }
}

type FrameHeader = (usize, usize, bool, u8, Option<[u8; 4]>);

/// Parses a frame header from `buf`: `(header length, payload length, fin, opcode, mask)` once
/// the whole frame is buffered, `None` while more bytes are needed.
fn parse_frame(buf: &[u8]) -> Result<Option<FrameHeader>, WireError> {
    let (Some(&b0), Some(&b1)) = (buf.first(), buf.get(1)) else {
        return Ok(None);
    };
    if b0 & 0x70 != 0 {
        return Err(WireError::Malformed(format!(
            "frame with reserved bits set ({b0:#04x})"
        )));
    }
    let fin = b0 & 0x80 != 0;
    let op = b0 & 0x0f;
    let masked = b1 & 0x80 != 0;
    let (len, mut at) = match b1 & 0x7f {
        126 => match buf.get(2..4) {
            Some(b) => (u64::from(u16::from_be_bytes([b[0], b[1]])), 4),
            None => return Ok(None),
        },
        127 => match buf.get(2..10) {
            Some(b) => {
                let mut eight = [0u8; 8];
                eight.copy_from_slice(b);
                (u64::from_be_bytes(eight), 10)
            }
            None => return Ok(None),
        },
        n => (u64::from(n), 2),
    };
    if len > MAX_FRAME {
        return Err(WireError::Malformed(format!("frame of {len} bytes")));
    }
    let mask = if masked {
        let Some(m) = buf.get(at..at + 4) else {
            return Ok(None);
        };
        at += 4;
        Some([m[0], m[1], m[2], m[3]])
    } else {
        None
    };
    let len = len as usize;
    if buf.len() < at + len {
        return Ok(None);
    }
    Ok(Some((at, len, fin, op, mask)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masked_frame_round_trips() {
        let frame = encode_frame(true, opcode::TEXT, b"4hello", true);
        let Ok(Some((at, len, fin, op, Some(mask)))) = parse_frame(&frame) else {
            panic!("unparsed {frame:?}")
        };
        let mut payload = frame[at..at + len].to_vec();
        apply_mask(&mut payload, mask);
        assert_eq!(
            (fin, op, payload.as_slice()),
            (true, opcode::TEXT, &b"4hello"[..])
        );
    }

    #[test]
    fn extended_lengths() {
        for n in [125usize, 126, 65535, 65536] {
            let frame = encode_frame(true, opcode::BINARY, &vec![7u8; n], false);
            let parsed = parse_frame(&frame);
            assert!(
                matches!(parsed, Ok(Some((_, len, true, opcode::BINARY, None))) if len == n),
                "{n}"
            );
            assert!(matches!(parse_frame(&frame[..frame.len() - 1]), Ok(None)));
        }
    }

    #[test]
    fn reserved_bits_are_refused() {
        assert!(parse_frame(&[0xf1, 0x00]).is_err());
    }
}
