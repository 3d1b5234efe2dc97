//! `sio_msgpack_connection`: a `Connection` with `Parser::MsgPack` driven by arbitrary binary and
//! text messages, the application's answers and clock ticks.
//!
//! Input: one byte choosing the [`Limits`] (as in
//! [`sio_packet`](crate::sio_packet)), then steps, each an opcode byte and its operands:
//!
//! | op % 6 | step |
//! |---|---|
//! | 0 | a binary message: a length byte and the bytes (one whole packet on this wire) |
//! | 1 | a text message (a length byte and the bytes, lossy UTF-8): always a protocol error |
//! | 2 | accept every pending CONNECT |
//! | 3 | echo: emit each event received so far back on its namespace, with an ack id |
//! | 4 | answer every acknowledgement the client asked for, with its event's arguments |
//! | 5 | the clock moves by a `u16` of milliseconds |
//!
//! Invariants after every step: nothing comes out after `Close`, and `Close` came iff the
//! connection says it is closed; every transmit is one binary message that `decode_msgpack`
//! reads and `encode_msgpack` writes back to the same bytes; a text message closes the
//! connection as `MsgPackError::TextMessage`.

use std::time::{Duration, Instant};

use socketio::proto::{
    decode_msgpack, encode_msgpack, CloseReason, Config, Connection, DecodeError, Event, Limits,
    MsgPackError, Output, Parser, PeerMisbehaved, Wire,
};

use crate::reader::Reader;
use crate::sio_packet::limits;

/// Runs one input.
pub fn run(data: &[u8]) {
    let mut r = Reader::new(data);
    let limits = limits(r.u8());
    let config = Config {
        connect_timeout: Duration::from_secs(1),
        limits,
        parser: Parser::MsgPack,
        ..Config::default()
    };
    // The clock is read once, as the origin the input advances.
    #[allow(clippy::disallowed_methods)]
    let t0 = Instant::now();
    let mut now = t0;
    let mut conn = Connection::new(now, config);
    let mut model = Model::default();
    while !r.is_empty() {
        let mut text_sent = false;
        match r.u8() % 6 {
            0 => conn.handle_binary(now, bytes::Bytes::copy_from_slice(r.bytes())),
            1 => {
                text_sent = !conn.is_closed();
                conn.handle_text(now, &String::from_utf8_lossy(r.bytes()));
            }
            2 => {
                for nsp in model.pending.drain(..) {
                    let _ = conn.accept(&nsp, "sid");
                }
            }
            3 => {
                for event in &model.events {
                    let nsp = event.nsp.as_str();
                    let _ = conn.emit_with_ack(now, nsp, &event.name, &event.args, None, ());
                }
            }
            4 => {
                for event in model.events.drain(..) {
                    if let Some(id) = event.ack_id {
                        let _ = conn.ack(event.nsp.as_str(), id, &event.args);
                    }
                }
            }
            _ => {
                now += Duration::from_millis(u64::from(r.u16()));
                conn.handle_timeout(now);
            }
        }
        model.drain(&mut conn, &limits, text_sent);
    }
}

#[derive(Default)]
struct Model {
    closed: bool,
    pending: Vec<String>,
    /// Events received, kept (at most a few) for the echo and ack steps.
    events: Vec<Event>,
}

impl Model {
    fn drain(&mut self, conn: &mut Connection, limits: &Limits, text_sent: bool) {
        let mut closed_now = None;
        while let Some(out) = conn.poll_output() {
            assert!(!self.closed, "output after Close: {out:?}");
            match out {
                Output::Transmit(encoded) => {
                    let Wire::Binary(message) = encoded.wire() else {
                        panic!("a MsgPack connection transmitted {encoded:?}");
                    };
                    let packet = decode_msgpack(message, &roomy(limits))
                        .unwrap_or_else(|e| panic!("own packet unreadable ({e}): {message:02x?}"));
                    assert_eq!(&encode_msgpack(&packet), message, "not a fixed point");
                }
                Output::ConnectRequest { nsp, .. } => self.pending.push(nsp.to_string()),
                Output::Event(event) if self.events.len() < 4 => self.events.push(event),
                Output::Close(reason) => {
                    self.closed = true;
                    closed_now = Some(reason);
                }
                _ => {}
            }
        }
        assert_eq!(self.closed, conn.is_closed());
        if text_sent {
            let expected = CloseReason::PeerMisbehaved(PeerMisbehaved::Malformed(
                DecodeError::InvalidMsgPack(MsgPackError::TextMessage),
            ));
            assert_eq!(closed_now, Some(expected), "a text message did not close");
        }
    }
}

/// The limits the server's own packets are read back with: what the client sent was within
/// `limits`, and the server adds nothing that could exceed them but its own reply data.
fn roomy(limits: &Limits) -> Limits {
    Limits {
        max_attachments: limits.max_attachments.max(16),
        max_attachment_bytes: limits.max_attachment_bytes.max(1 << 20),
        max_depth: limits.max_depth.max(32),
    }
}
