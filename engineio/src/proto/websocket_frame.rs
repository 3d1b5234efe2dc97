//! The WebSocket frames a server writes (RFC 6455 section 5.2): unmasked, unfragmented, written
//! straight into an output buffer, so a message shared by many sessions is copied once, into
//! each session's buffer, and never assembled separately.

/// A data frame's opcode.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Opcode {
    /// A text frame (the payload is UTF-8).
    Text,
    /// A binary frame.
    Binary,
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

/// How a client broke the WebSocket protocol, as the runtime's frame reader found it; the session
/// answers with a close frame whose code says which ([`WsFault::close_code`]).
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

/// Appends one final frame whose payload is `parts` one after another.
pub fn write_frame(out: &mut Vec<u8>, opcode: Opcode, parts: &[&[u8]]) {
    let len: usize = parts.iter().map(|p| p.len()).sum();
    out.reserve(10 + len);
    // FIN, then the opcode; no mask from a server; the length in 7, 7+16 or 7+64 bits.
    out.push(match opcode {
        Opcode::Text => 0x81,
        Opcode::Binary => 0x82,
    });
    match len {
        n @ 0..=125 => out.push(n as u8),
        n @ 126..=0xFFFF => {
            out.push(126);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            out.push(127);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    for part in parts {
        out.extend_from_slice(part);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_and_opcodes() {
        let mut out = Vec::new();
        write_frame(&mut out, Opcode::Text, &[b"4", b"hi"]);
        assert_eq!(out, b"\x81\x034hi");
        out.clear();
        write_frame(&mut out, Opcode::Binary, &[&[1, 2]]);
        assert_eq!(out, [0x82, 2, 1, 2]);
        out.clear();
        write_frame(&mut out, Opcode::Text, &[&[b'x'; 125]]);
        assert_eq!(&out[..2], &[0x81, 125]);
        out.clear();
        write_frame(&mut out, Opcode::Text, &[&[b'x'; 126]]);
        assert_eq!(&out[..4], &[0x81, 126, 0, 126]);
        assert_eq!(out.len(), 4 + 126);
        out.clear();
        write_frame(&mut out, Opcode::Binary, &[&[0; 65_535], &[0]]);
        assert_eq!(&out[..10], &[0x82, 127, 0, 0, 0, 0, 0, 1, 0, 0]);
        assert_eq!(out.len(), 10 + 65_536);
    }
}
