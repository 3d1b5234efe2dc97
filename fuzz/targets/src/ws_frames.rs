//! `ws_frames`: the bytes a client sends on a WebSocket, through the server's frame reader
//! (`engineio::proto::websocket_read`).
//!
//! The first byte picks the message limit (0 to 1008 bytes) and how the rest arrives (in pieces of
//! 1, 4, 7 or 10 bytes). Invariants: reading the bytes in pieces gives the same messages and the
//! same fault as reading them at once; no message, and no fragmented message held, is over the
//! limit; a ping's payload fits a control frame; a close code is one a client may send; nothing is
//! left unread after a whole frame when the input ends there; the messages, written again as
//! masked frames, read back the same; and reading text messages in place (each read there and
//! removed) gives the same messages and the same fault.

use bytes::BytesMut;
use engineio::proto::packet::Text;
use engineio::proto::websocket_frame::WsFault;
use engineio::proto::websocket_read::{Found, FrameReader, Incoming};

/// Runs one input.
pub fn run(data: &[u8]) {
    let Some((&control, bytes)) = data.split_first() else {
        return;
    };
    let max = usize::from(control & 0x3F) * 16;
    let piece = usize::from(control >> 6) * 3 + 1;
    let whole = read(bytes, max, bytes.len().max(1), false);
    let pieces = read(bytes, max, piece, false);
    assert_eq!(whole, pieces, "read at once and in pieces of {piece}");
    let in_place = read(bytes, max, piece, true);
    assert_eq!(whole, in_place, "read in place, in pieces of {piece}");
    let (messages, fault) = whole;
    if fault.is_none() {
        let mut again = Vec::new();
        for m in &messages {
            again.extend(frame(m));
        }
        let (read_again, fault) = read(&again, max, again.len().max(1), false);
        assert_eq!(fault, None, "written again: {again:x?}");
        assert_eq!(read_again, messages, "written again");
    }
}

/// What the reader makes of `bytes` arriving `piece` bytes at a time (text messages read `in_place`
/// or taken out).
fn read(
    bytes: &[u8],
    max: usize,
    piece: usize,
    in_place: bool,
) -> (Vec<Incoming>, Option<WsFault>) {
    let mut reader = FrameReader::new(max);
    let mut buf = BytesMut::new();
    let mut out = Vec::new();
    for chunk in bytes.chunks(piece) {
        buf.extend_from_slice(chunk);
        loop {
            let found = match in_place {
                true => reader.read_in_place(&mut buf),
                false => reader.read(&mut buf).map(|m| m.map(Found::Incoming)),
            };
            let m = match found {
                Ok(Some(Found::Incoming(m))) => m,
                Ok(Some(Found::InPlace(place))) => {
                    let text = match place.text(&buf) {
                        Ok(text) => Text::from(text),
                        Err(fault) => return (out, Some(fault)),
                    };
                    place.consume(&mut buf);
                    Incoming::Text(text)
                }
                Ok(None) => break,
                Err(fault) => return (out, Some(fault)),
            };
            check(&m, max);
            out.push(m);
            assert!(
                reader.buffered() <= max,
                "holds {} of a message",
                reader.buffered()
            );
        }
    }
    (out, None)
}

fn check(m: &Incoming, max: usize) {
    match m {
        Incoming::Text(text) => assert!(text.len() <= max),
        Incoming::Binary(bytes) => assert!(bytes.len() <= max),
        Incoming::Ping(bytes) => assert!(bytes.len() <= 125),
        Incoming::Close(Some(code)) => {
            assert!(
                matches!(code, 1000..=1003 | 1007..=1014 | 3000..=4999),
                "{code}"
            )
        }
        Incoming::Close(None) => {}
    }
}

/// `m` as one masked client frame.
fn frame(m: &Incoming) -> Vec<u8> {
    let (b0, payload): (u8, Vec<u8>) = match m {
        Incoming::Text(text) => (0x81, text.as_bytes().to_vec()),
        Incoming::Binary(bytes) => (0x82, bytes.to_vec()),
        Incoming::Ping(bytes) => (0x89, bytes.to_vec()),
        Incoming::Close(code) => (
            0x88,
            code.map(|c| c.to_be_bytes().to_vec()).unwrap_or_default(),
        ),
    };
    let mask = [0xa1, 0x02, 0x73, 0xff];
    let mut out = vec![b0];
    match payload.len() {
        n @ 0..=125 => out.push(0x80 | n as u8),
        n => {
            out.push(0x80 | 126);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
    }
    out.extend_from_slice(&mask);
    out.extend(payload.iter().zip(mask.iter().cycle()).map(|(b, m)| b ^ m));
    out
}
