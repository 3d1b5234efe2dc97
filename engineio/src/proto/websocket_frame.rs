//! The WebSocket frames a server writes (RFC 6455 section 5.2): unmasked, unfragmented, written
//! straight into an output buffer, so a message shared by many sessions is copied once, into
//! each session's buffer, and never assembled separately.

/// A frame's opcode.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Opcode {
    /// A text frame (the payload is UTF-8).
    Text,
    /// A binary frame.
    Binary,
    /// A close frame (the payload: none, or a status code and a UTF-8 reason).
    Close,
    /// A pong, answering a ping with its payload.
    Pong,
}

/// The close codes a server sends (RFC 6455 section 7.4.1).
pub mod close_code {
    /// The session ended normally (either side closed it).
    pub const NORMAL: u16 = 1000;
    /// The server is shutting down.
    pub const GOING_AWAY: u16 = 1001;
    /// The client broke the WebSocket or the Engine.IO protocol.
    pub const PROTOCOL_ERROR: u16 = 1002;
    /// A text message that is not UTF-8.
    pub const INVALID_DATA: u16 = 1007;
    /// The client broke a policy of the server: it stayed at its send budget too long.
    pub const POLICY_VIOLATION: u16 = 1008;
    /// A message larger than `maxPayload`.
    pub const MESSAGE_TOO_BIG: u16 = 1009;
}

/// How a client broke the WebSocket protocol, as the frame reader ([`super::websocket_read`]) found
/// it; the session answers with a close frame whose code says which ([`WsFault::close_code`]).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum WsFault {
    /// A frame that breaks RFC 6455 (unmasked, a reserved opcode or bit, a bad control frame...).
    Protocol,
    /// A text message that is not UTF-8.
    InvalidUtf8,
    /// A message or frame larger than `maxPayload`.
    MessageTooBig,
}

impl WsFault {
    /// The close code that answers the fault.
    pub fn close_code(self) -> u16 {
        match self {
            WsFault::Protocol => close_code::PROTOCOL_ERROR,
            WsFault::InvalidUtf8 => close_code::INVALID_DATA,
            WsFault::MessageTooBig => close_code::MESSAGE_TOO_BIG,
        }
    }
}

/// Appends one final frame whose payload is `kind` (an Engine.IO packet's type byte, when
/// given) followed by `payload`.
pub fn write_frame(out: &mut Vec<u8>, opcode: Opcode, kind: Option<u8>, payload: &[u8]) {
    let len = payload.len() + usize::from(kind.is_some());
    // The header and the type byte go in one fixed-size copy, cut to their length after: a
    // copy of a length known only at run time is a `memcpy` call, once per frame.
    let mut head = [0u8; 11];
    // FIN, then the opcode; no mask from a server; the length in 7, 7+16 or 7+64 bits.
    head[0] = match opcode {
        Opcode::Text => 0x81,
        Opcode::Binary => 0x82,
        Opcode::Close => 0x88,
        Opcode::Pong => 0x8A,
    };
    let mut head_len = match len {
        n @ 0..=125 => {
            head[1] = n as u8;
            2
        }
        n @ 126..=0xFFFF => {
            head[1] = 126;
            head[2..4].copy_from_slice(&(n as u16).to_be_bytes());
            4
        }
        n => {
            head[1] = 127;
            head[2..10].copy_from_slice(&(n as u64).to_be_bytes());
            10
        }
    };
    if let Some(kind) = kind {
        head[head_len] = kind;
        head_len += 1;
    }
    out.reserve(head.len() + payload.len());
    let start = out.len();
    out.extend_from_slice(&head);
    out.truncate(start + head_len);
    out.extend_from_slice(payload);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_and_opcodes() {
        let mut out = Vec::new();
        write_frame(&mut out, Opcode::Text, Some(b'4'), b"hi");
        assert_eq!(out, b"\x81\x034hi");
        // Appended after what the buffer holds.
        write_frame(&mut out, Opcode::Binary, None, &[1, 2]);
        assert_eq!(out, b"\x81\x034hi\x82\x02\x01\x02");
        out.clear();
        write_frame(&mut out, Opcode::Text, None, &[b'x'; 125]);
        assert_eq!(&out[..2], &[0x81, 125]);
        assert_eq!(out.len(), 2 + 125);
        out.clear();
        write_frame(&mut out, Opcode::Text, Some(b'4'), &[b'x'; 125]);
        assert_eq!(&out[..5], &[0x81, 126, 0, 126, b'4']);
        assert_eq!(out.len(), 4 + 126);
        out.clear();
        write_frame(&mut out, Opcode::Binary, None, &[0; 65_535]);
        assert_eq!(&out[..4], &[0x82, 126, 0xff, 0xff]);
        assert_eq!(out.len(), 4 + 65_535);
        out.clear();
        write_frame(&mut out, Opcode::Text, Some(b'4'), &[b'y'; 65_535]);
        assert_eq!(&out[..11], &[0x81, 127, 0, 0, 0, 0, 0, 1, 0, 0, b'4']);
        assert_eq!(out.len(), 10 + 65_536);
        assert_eq!(out[11], b'y');
    }
}
