//! The WebSocket frames a client sends (RFC 6455 section 5), read out of the bytes its connection
//! delivered: unmasked in place, fragments joined, control frames checked, text checked as UTF-8
//! once. No extensions are negotiated, so every reserved bit must be clear.
//!
//! The reader holds no socket: the runtime appends what it reads to a buffer and calls
//! [`FrameReader::read`] until it answers `Ok(None)` (more bytes needed). A whole frame's payload
//! is split off the buffer, not copied; only a fragmented message is copied, into its own buffer.
//! [`FrameReader::read_in_place`] leaves a text message that came in one frame where it lies, for
//! a caller that reads it there and then removes it ([`InPlace`]): no count is taken on the
//! buffer, and the one UTF-8 check gives the caller its text.

use super::packet::Text;
use super::websocket_frame::WsFault;
use bytes::{Buf, Bytes, BytesMut};

/// What a client's frames amount to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Incoming {
    /// A whole text message (its fragments joined), checked as UTF-8.
    Text(Text),
    /// A whole binary message.
    Binary(Bytes),
    /// A ping: the server answers with a pong carrying the same bytes.
    Ping(Bytes),
    /// A close frame, with the status code it carried (checked against RFC 6455 section 7.4), if
    /// any. The server answers with a close frame of its own and ends the connection.
    Close(Option<u16>),
}

/// What [`FrameReader::read_in_place`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    /// A message, ping or close taken out of the buffer, as [`FrameReader::read`] gives it.
    Incoming(Incoming),
    /// A text message in one frame, unmasked where it lies in the buffer.
    InPlace(InPlace),
}

/// Where a text message read in place lies in the buffer it was read from; until
/// [`InPlace::consume`] removes it, that buffer must not be read again (its frame is unmasked).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InPlace {
    /// Where its payload starts (after the frame's header).
    start: usize,
    /// Where it ends, which is where the next frame starts.
    end: usize,
}

impl InPlace {
    /// The message's text in `buf` (the buffer it was read from), checked as UTF-8 here: a text
    /// message that is not UTF-8 is a fault, as [`FrameReader::read`] finds it.
    pub fn text<'b>(&self, buf: &'b [u8]) -> Result<&'b str, WsFault> {
        let bytes = buf.get(self.start..self.end).ok_or(WsFault::Protocol)?;
        std::str::from_utf8(bytes).map_err(|_| WsFault::InvalidUtf8)
    }

    /// The message's length in bytes.
    pub fn len(&self) -> usize {
        self.end - self.start
    }

    /// Whether the message is empty.
    pub fn is_empty(&self) -> bool {
        self.end == self.start
    }

    /// Removes the frame from `buf`, which is then read on from the next one.
    pub fn consume(&self, buf: &mut BytesMut) {
        buf.advance(self.end.min(buf.len()));
    }
}

/// Largest payload of a control frame (RFC 6455 section 5.5).
const MAX_CONTROL: usize = 125;

/// Reads a client's frames; see the module docs.
#[derive(Debug)]
pub struct FrameReader {
    max_message: usize,
    /// The message whose first fragments arrived: whether it is text, and its bytes so far.
    partial: Option<(bool, BytesMut)>,
}

/// A frame's header, as read.
struct Head {
    fin: bool,
    opcode: u8,
    mask: [u8; 4],
    /// The header's length in bytes.
    len: usize,
    /// The payload's length in bytes.
    payload: usize,
}

impl FrameReader {
    /// A reader for messages (and frames) of at most `max_message` bytes.
    pub fn new(max_message: usize) -> Self {
        Self {
            max_message,
            partial: None,
        }
    }

    /// Reads the next message, ping or close out of `buf`, removing the bytes it used (pongs are
    /// read and dropped). `Ok(None)`: `buf` holds no whole one yet; what it holds is kept for the
    /// next call, with more bytes appended. An error means the client broke the protocol: the
    /// connection is answered with the fault's close code and read no further.
    pub fn read(&mut self, buf: &mut BytesMut) -> Result<Option<Incoming>, WsFault> {
        match self.next(buf, false)? {
            Some(Found::Incoming(incoming)) => Ok(Some(incoming)),
            // Not asked for.
            Some(Found::InPlace(_)) => Err(WsFault::Protocol),
            None => Ok(None),
        }
    }

    /// [`FrameReader::read`], but a text message that came in one frame stays in `buf`, unmasked
    /// where it lies ([`Found::InPlace`], its UTF-8 not yet checked): the caller reads it with
    /// [`InPlace::text`] and removes it with [`InPlace::consume`] before it reads `buf` again.
    pub fn read_in_place(&mut self, buf: &mut BytesMut) -> Result<Option<Found>, WsFault> {
        self.next(buf, true)
    }

    fn next(&mut self, buf: &mut BytesMut, in_place: bool) -> Result<Option<Found>, WsFault> {
        loop {
            let Some(head) = parse_head(buf)? else {
                return Ok(None);
            };
            let control = head.opcode & 0x8 != 0;
            if control {
                if !head.fin || head.payload > MAX_CONTROL {
                    return Err(WsFault::Protocol);
                }
            } else {
                let so_far = self.partial.as_ref().map_or(0, |(_, data)| data.len());
                if head.payload > self.max_message.saturating_sub(so_far) {
                    return Err(WsFault::MessageTooBig);
                }
                match (head.opcode, &self.partial) {
                    (0x0, Some(_)) | (0x1 | 0x2, None) => {}
                    _ => return Err(WsFault::Protocol),
                }
            }
            // Nothing is reserved for the rest: what a peer makes the server hold grows with
            // what it sent, not with what it announced.
            if buf.len() < head.len.saturating_add(head.payload) {
                return Ok(None);
            }
            if in_place && head.opcode == 0x1 && head.fin {
                let end = head.len.saturating_add(head.payload);
                unmask(buf.get_mut(head.len..end).unwrap_or_default(), head.mask);
                let start = head.len;
                return Ok(Some(Found::InPlace(InPlace { start, end })));
            }
            buf.advance(head.len);
            let mut payload = buf.split_to(head.payload);
            unmask(&mut payload, head.mask);
            let message = match head.opcode {
                0x8 => {
                    let code = close(&payload)?;
                    return Ok(Some(Found::Incoming(Incoming::Close(code))));
                }
                0x9 => return Ok(Some(Found::Incoming(Incoming::Ping(payload.freeze())))),
                0xA => continue,
                0x0 => {
                    let Some((text, mut data)) = self.partial.take() else {
                        return Err(WsFault::Protocol);
                    };
                    data.extend_from_slice(&payload);
                    if !head.fin {
                        self.partial = Some((text, data));
                        continue;
                    }
                    (text, data)
                }
                0x1 | 0x2 if !head.fin => {
                    self.partial = Some((head.opcode == 0x1, payload));
                    continue;
                }
                0x1 => (true, payload),
                _ => (false, payload),
            };
            return Ok(Some(Found::Incoming(match message {
                (true, data) => Incoming::Text(
                    Text::from_utf8(data.freeze()).map_err(|_| WsFault::InvalidUtf8)?,
                ),
                (false, data) => Incoming::Binary(data.freeze()),
            })));
        }
    }

    /// Bytes of a fragmented message held until its last fragment (at most the message limit).
    pub fn buffered(&self) -> usize {
        self.partial.as_ref().map_or(0, |(_, data)| data.len())
    }
}

/// The header at the start of `buf`, once all of it is there. A client's frame must be masked
/// and use no reserved bit or opcode.
fn parse_head(buf: &[u8]) -> Result<Option<Head>, WsFault> {
    let (Some(&b0), Some(&b1)) = (buf.first(), buf.get(1)) else {
        return Ok(None);
    };
    let opcode = b0 & 0x0F;
    if b0 & 0x70 != 0 || matches!(opcode, 0x3..=0x7 | 0xB..=0xF) || b1 & 0x80 == 0 {
        return Err(WsFault::Protocol);
    }
    let (payload, at) = match b1 & 0x7F {
        126 => match buf.get(2..4) {
            Some(&[a, b]) => (u64::from(u16::from_be_bytes([a, b])), 4),
            _ => return Ok(None),
        },
        127 => match buf.get(2..10) {
            Some(bytes) => {
                let mut word = [0u8; 8];
                word.copy_from_slice(bytes);
                let n = u64::from_be_bytes(word);
                if n >> 63 != 0 {
                    return Err(WsFault::Protocol);
                }
                (n, 10)
            }
            None => return Ok(None),
        },
        n => (u64::from(n), 2),
    };
    let Some(&[m0, m1, m2, m3]) = buf.get(at..at + 4) else {
        return Ok(None);
    };
    Ok(Some(Head {
        fin: b0 & 0x80 != 0,
        opcode,
        mask: [m0, m1, m2, m3],
        len: at + 4,
        // Larger than the address space: larger than any limit.
        payload: usize::try_from(payload).unwrap_or(usize::MAX),
    }))
}

/// XORs `data` with the repeated `mask`, eight bytes a step.
fn unmask(data: &mut [u8], mask: [u8; 4]) {
    if mask == [0; 4] {
        return;
    }
    let [a, b, c, d] = mask;
    let wide = u64::from_ne_bytes([a, b, c, d, a, b, c, d]);
    let mut chunks = data.chunks_exact_mut(8);
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        chunk.copy_from_slice(&(u64::from_ne_bytes(word) ^ wide).to_ne_bytes());
    }
    // The remainder starts at a multiple of eight, so with the mask's first byte.
    for (byte, m) in chunks.into_remainder().iter_mut().zip(mask.iter().cycle()) {
        *byte ^= m;
    }
}

/// A close frame's status code, if it has one. One byte alone, a code no endpoint may send
/// (RFC 6455 section 7.4), or a reason that is not UTF-8 is a fault.
fn close(payload: &[u8]) -> Result<Option<u16>, WsFault> {
    let (code, reason) = match payload {
        [] => return Ok(None),
        [_] => return Err(WsFault::Protocol),
        [a, b, reason @ ..] => (u16::from_be_bytes([*a, *b]), reason),
    };
    if !matches!(code, 1000..=1003 | 1007..=1014 | 3000..=4999) {
        return Err(WsFault::Protocol);
    }
    std::str::from_utf8(reason).map_err(|_| WsFault::InvalidUtf8)?;
    Ok(Some(code))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// A client's frame: `b0` (FIN, reserved bits and opcode), masked with `mask`.
    fn frame(b0: u8, payload: &[u8], mask: [u8; 4]) -> Vec<u8> {
        let mut out = vec![b0];
        match payload.len() {
            n @ 0..=125 => out.push(0x80 | n as u8),
            n @ 126..=0xFFFF => {
                out.push(0x80 | 126);
                out.extend_from_slice(&(n as u16).to_be_bytes());
            }
            n => {
                out.push(0x80 | 127);
                out.extend_from_slice(&(n as u64).to_be_bytes());
            }
        }
        out.extend_from_slice(&mask);
        out.extend(payload.iter().zip(mask.iter().cycle()).map(|(b, m)| b ^ m));
        out
    }

    const MASK: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

    /// What `reader` reads of `bytes`, checked to be what a reader (of the same limit) reading in
    /// place finds, text messages read there and removed.
    fn read_all(reader: &mut FrameReader, bytes: &[u8]) -> Vec<Result<Incoming, WsFault>> {
        let in_place = read_all_in_place(&mut FrameReader::new(reader.max_message), bytes);
        let mut buf = BytesMut::from(bytes);
        let mut out = Vec::new();
        loop {
            match reader.read(&mut buf) {
                Ok(Some(item)) => out.push(Ok(item)),
                Ok(None) => break,
                Err(e) => {
                    out.push(Err(e));
                    break;
                }
            }
        }
        assert_eq!(out, in_place, "read in place");
        out
    }

    fn read_all_in_place(reader: &mut FrameReader, bytes: &[u8]) -> Vec<Result<Incoming, WsFault>> {
        let mut buf = BytesMut::from(bytes);
        let mut out = Vec::new();
        loop {
            let item = match reader.read_in_place(&mut buf) {
                Ok(Some(Found::Incoming(item))) => Ok(item),
                Ok(Some(Found::InPlace(place))) => {
                    let text = place.text(&buf).map(|t| Incoming::Text(Text::from(t)));
                    assert_eq!(place.len(), place.text(&buf).map_or(place.len(), str::len));
                    place.consume(&mut buf);
                    text
                }
                Ok(None) => return out,
                Err(e) => Err(e),
            };
            let end = item.is_err();
            out.push(item);
            if end {
                return out;
            }
        }
    }

    fn text(s: &str) -> Incoming {
        Incoming::Text(Text::from(s.to_owned()))
    }

    #[test]
    fn whole_frames_of_every_length_encoding() {
        for len in [0, 1, 7, 8, 9, 125, 126, 127, 65_535, 65_536, 70_000] {
            let body: String = (0..len)
                .map(|i| char::from(b'a' + (i % 26) as u8))
                .collect();
            let mut reader = FrameReader::new(1 << 20);
            let got = read_all(&mut reader, &frame(0x81, body.as_bytes(), MASK));
            assert_eq!(got, vec![Ok(text(&body))], "length {len}");
            let got = read_all(&mut reader, &frame(0x82, body.as_bytes(), [0; 4]));
            assert_eq!(got, vec![Ok(Incoming::Binary(Bytes::from(body)))]);
        }
    }

    #[test]
    fn bytes_arriving_one_at_a_time() {
        let mut bytes = frame(0x81, b"42[\"echo\",\"hi\"]", MASK);
        bytes.extend(frame(0x89, b"p", MASK));
        bytes.extend(frame(0x82, &[0; 300], MASK));
        let mut reader = FrameReader::new(1000);
        let mut buf = BytesMut::new();
        let mut got = Vec::new();
        for b in bytes {
            buf.extend_from_slice(&[b]);
            if let Some(item) = reader.read(&mut buf).unwrap() {
                got.push(item);
            }
        }
        assert!(buf.is_empty());
        assert_eq!(
            got,
            vec![
                text("42[\"echo\",\"hi\"]"),
                Incoming::Ping(Bytes::from_static(b"p")),
                Incoming::Binary(Bytes::from(vec![0; 300])),
            ]
        );
    }

    #[test]
    fn fragments_are_joined_around_control_frames() {
        let mut bytes = frame(0x01, "4h\u{e9}".as_bytes()[..3].as_ref(), MASK);
        bytes.extend(frame(0x8A, b"", MASK)); // a pong: dropped
        bytes.extend(frame(0x89, b"x", MASK));
        bytes.extend(frame(0x00, "\u{e9}".as_bytes()[1..].as_ref(), MASK));
        bytes.extend(frame(0x80, b"llo", MASK));
        let mut reader = FrameReader::new(100);
        let got = read_all(&mut reader, &bytes);
        assert_eq!(
            got,
            vec![
                Ok(Incoming::Ping(Bytes::from_static(b"x"))),
                Ok(text("4h\u{e9}llo"))
            ]
        );
        assert_eq!(reader.buffered(), 0);
    }

    #[test]
    fn close_frames() {
        let mut reader = FrameReader::new(100);
        let got = read_all(&mut reader, &frame(0x88, b"", MASK));
        assert_eq!(got, vec![Ok(Incoming::Close(None))]);
        for (code, expected) in [
            (1000, Ok(Incoming::Close(Some(1000)))),
            (1001, Ok(Incoming::Close(Some(1001)))),
            (4999, Ok(Incoming::Close(Some(4999)))),
            (999, Err(WsFault::Protocol)),
            (1005, Err(WsFault::Protocol)),
            (1006, Err(WsFault::Protocol)),
            (1015, Err(WsFault::Protocol)),
            (2999, Err(WsFault::Protocol)),
            (5000, Err(WsFault::Protocol)),
        ] {
            let mut payload = u16::to_be_bytes(code).to_vec();
            payload.extend_from_slice(b"bye");
            let mut reader = FrameReader::new(100);
            assert_eq!(
                read_all(&mut reader, &frame(0x88, &payload, MASK)),
                vec![expected]
            );
        }
        let mut reader = FrameReader::new(100);
        let got = read_all(&mut reader, &frame(0x88, b"\x03", MASK));
        assert_eq!(got, vec![Err(WsFault::Protocol)]);
        let got = read_all(&mut reader, &frame(0x88, b"\x03\xe8\xff", MASK));
        assert_eq!(got, vec![Err(WsFault::InvalidUtf8)]);
    }

    #[test]
    fn protocol_faults() {
        let cases: Vec<(Vec<u8>, WsFault)> = vec![
            // Reserved bits, reserved opcodes.
            (frame(0xC1, b"x", MASK), WsFault::Protocol),
            (frame(0x91, b"x", MASK), WsFault::Protocol),
            (frame(0x83, b"x", MASK), WsFault::Protocol),
            (frame(0x8B, b"x", MASK), WsFault::Protocol),
            // Unmasked.
            (vec![0x81, 0x01, b'x'], WsFault::Protocol),
            // A continuation with nothing to continue.
            (frame(0x80, b"x", MASK), WsFault::Protocol),
            // A fragmented or long control frame.
            (frame(0x09, b"x", MASK), WsFault::Protocol),
            (frame(0x89, &[b'x'; 126], MASK), WsFault::Protocol),
            // A 64-bit length with its top bit set.
            (
                [0x82, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 1].to_vec(),
                WsFault::Protocol,
            ),
            // Not UTF-8.
            (frame(0x81, b"4\xff", MASK), WsFault::InvalidUtf8),
        ];
        for (bytes, fault) in cases {
            let mut reader = FrameReader::new(100);
            assert_eq!(
                read_all(&mut reader, &bytes),
                vec![Err(fault)],
                "{bytes:x?}"
            );
        }
        // A new message while another is fragmented.
        let mut bytes = frame(0x01, b"4a", MASK);
        bytes.extend(frame(0x81, b"4b", MASK));
        let mut reader = FrameReader::new(100);
        assert_eq!(read_all(&mut reader, &bytes), vec![Err(WsFault::Protocol)]);
    }

    #[test]
    fn too_big_is_refused_from_the_header() {
        let mut reader = FrameReader::new(10);
        // Only the header: the payload is never waited for.
        let head = &frame(0x81, &[b'x'; 11], MASK)[..6];
        assert_eq!(
            read_all(&mut reader, head),
            vec![Err(WsFault::MessageTooBig)]
        );
        // The limit is on the message: fragments add up.
        let mut bytes = frame(0x01, &[b'x'; 6], MASK);
        bytes.extend(frame(0x80, &[b'x'; 5], MASK));
        let mut reader = FrameReader::new(10);
        assert_eq!(
            read_all(&mut reader, &bytes),
            vec![Err(WsFault::MessageTooBig)]
        );
        let mut bytes = frame(0x01, &[b'x'; 6], MASK);
        bytes.extend(frame(0x80, &[b'x'; 4], MASK));
        let mut reader = FrameReader::new(10);
        assert_eq!(read_all(&mut reader, &bytes), vec![Ok(text("xxxxxxxxxx"))]);
        // A huge announced length is refused, not reserved.
        let mut reader = FrameReader::new(10);
        let huge = [
            0x82, 0xFF, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0,
        ];
        assert_eq!(
            read_all(&mut reader, &huge),
            vec![Err(WsFault::MessageTooBig)]
        );
    }

    #[test]
    fn a_text_in_one_frame_is_read_in_place_and_the_next_frame_after_it() {
        let mut bytes = frame(0x81, b"42[\"echo\",\"hi\"]", MASK);
        bytes.extend(frame(0x82, b"\x01\x02", MASK));
        bytes.extend(frame(0x81, "4\u{e9}".as_bytes(), MASK));
        let mut reader = FrameReader::new(100);
        let mut buf = BytesMut::from(&bytes[..]);
        let Ok(Some(Found::InPlace(first))) = reader.read_in_place(&mut buf) else {
            panic!("the first text is not read in place");
        };
        assert_eq!(first.text(&buf), Ok("42[\"echo\",\"hi\"]"));
        first.consume(&mut buf);
        assert_eq!(
            reader.read_in_place(&mut buf),
            Ok(Some(Found::Incoming(Incoming::Binary(Bytes::from_static(
                b"\x01\x02"
            )))))
        );
        let Ok(Some(Found::InPlace(last))) = reader.read_in_place(&mut buf) else {
            panic!("the last text is not read in place");
        };
        assert_eq!(last.text(&buf), Ok("4\u{e9}"));
        last.consume(&mut buf);
        assert!(buf.is_empty());
        assert_eq!(reader.read_in_place(&mut buf), Ok(None));
        // Its UTF-8 is checked when it is read.
        let mut buf = BytesMut::from(&frame(0x81, b"4\xff", MASK)[..]);
        let Ok(Some(Found::InPlace(bad))) = reader.read_in_place(&mut buf) else {
            panic!("the text is not read in place");
        };
        assert_eq!(bad.text(&buf), Err(WsFault::InvalidUtf8));
    }

    #[test]
    fn unmask_matches_the_byte_by_byte_rule() {
        for len in 0..40 {
            let plain: Vec<u8> = (0..len as u8).collect();
            let mut data: Vec<u8> = plain
                .iter()
                .zip(MASK.iter().cycle())
                .map(|(b, m)| b ^ m)
                .collect();
            unmask(&mut data, MASK);
            assert_eq!(data, plain);
        }
    }
}
