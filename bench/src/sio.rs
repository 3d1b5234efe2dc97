//! Socket.IO over Engine.IO over WebSocket, as raw frames: the handshake of a client on
//! namespace `/`, and the few packets the workloads exchange, in the default parser's text
//! frames or (see [`Wire`]) `socket.io-msgpack-parser`'s binary ones.

use crate::sio_msgpack;
use crate::ws::{Frame, WsClient, BINARY, TEXT};
use std::io;
use std::net::SocketAddr;

/// The Engine.IO WebSocket endpoint of a Socket.IO server.
pub const WS_PATH: &str = "/socket.io/?EIO=4&transport=websocket";

/// How a Socket.IO CONNECT ended.
#[derive(Debug)]
pub enum Joined {
    /// `40{"sid":..}`: connected to `/`.
    Connected(WsClient),
    /// `44{..}`: the server refused, with its CONNECT_ERROR payload.
    Refused(String),
}

/// The parser a workload's clients speak.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Wire {
    /// socket.io-parser: text frames `42[..]`.
    Json,
    /// socket.io-msgpack-parser: one binary frame per packet.
    MsgPack,
}

impl Wire {
    /// Appends an event with one argument, `arg` (JSON text for [`Wire::Json`], the string
    /// itself for [`Wire::MsgPack`]), asking for an ack when `id` is set.
    pub fn event(self, out: &mut Vec<u8>, id: Option<u64>, name: &str, arg: &str) {
        match self {
            Wire::Json => event(out, id, name, arg),
            Wire::MsgPack => sio_msgpack::event(out, id, name, arg),
        }
    }

    /// Queues `packet` as this wire's frame.
    pub fn queue(self, ws: &mut WsClient, packet: &[u8]) {
        match self {
            Wire::Json => ws.queue_text(packet),
            Wire::MsgPack => ws.queue_binary(packet),
        }
    }

    /// Whether `frame` carries a Socket.IO packet of this wire (not an Engine.IO ping).
    pub fn carries(self, frame: &Frame) -> bool {
        frame.opcode == if self == Wire::MsgPack { BINARY } else { TEXT }
    }

    /// The id of an ack (or of an event with an id, as a raw echo server returns it).
    pub fn ack_id(self, payload: &[u8]) -> Option<u64> {
        match self {
            Wire::Json => ack_id(payload),
            Wire::MsgPack => match sio_msgpack::type_and_id(payload)? {
                (2 | 3, id) => id,
                _ => None,
            },
        }
    }
}

/// Opens an Engine.IO WebSocket session and joins `/`, sending `{"token": token}` as the CONNECT
/// payload when given.
pub async fn join(addr: SocketAddr, token: Option<&str>) -> io::Result<Joined> {
    join_with(addr, token, Wire::Json).await
}

/// [`join`] speaking `wire`.
pub async fn join_with(addr: SocketAddr, token: Option<&str>, wire: Wire) -> io::Result<Joined> {
    if wire == Wire::MsgPack {
        return join_msgpack(addr, token).await;
    }
    let mut ws = WsClient::connect(addr, WS_PATH).await?;
    let mut opened = false;
    loop {
        let Some(frame) = ws.next().await? else {
            return Err(io::Error::other("closed during the handshake"));
        };
        if frame.opcode != TEXT {
            continue;
        }
        let payload = ws.payload(&frame);
        match payload.first() {
            Some(b'0') if !opened => {
                opened = true;
                match token {
                    Some(t) => ws.queue_text(format!("40{{\"token\":\"{t}\"}}").as_bytes()),
                    None => ws.queue_text(b"40"),
                }
                ws.flush().await?;
            }
            Some(b'2') => {
                ws.queue_text(b"3");
                ws.flush().await?;
            }
            Some(b'4') if payload.starts_with(b"40") => return Ok(Joined::Connected(ws)),
            Some(b'4') if payload.starts_with(b"44") => {
                return Ok(Joined::Refused(
                    String::from_utf8_lossy(payload.get(2..).unwrap_or_default()).into_owned(),
                ))
            }
            _ => {}
        }
    }
}

async fn join_msgpack(addr: SocketAddr, token: Option<&str>) -> io::Result<Joined> {
    let mut ws = WsClient::connect(addr, WS_PATH).await?;
    loop {
        let Some(frame) = ws.next().await? else {
            return Err(io::Error::other("closed during the handshake"));
        };
        let binary = frame.opcode == BINARY;
        let payload = ws.payload(&frame);
        match (binary, payload.first()) {
            (false, Some(b'0')) => {
                let mut connect = Vec::new();
                sio_msgpack::connect(&mut connect, token);
                ws.queue_binary(&connect);
                ws.flush().await?;
            }
            (false, Some(b'2')) => {
                ws.queue_text(b"3");
                ws.flush().await?;
            }
            (true, _) => match sio_msgpack::type_and_id(payload) {
                Some((0, _)) => return Ok(Joined::Connected(ws)),
                Some((4, _)) => return Ok(Joined::Refused(format!("{payload:02x?}"))),
                _ => {}
            },
            _ => {}
        }
    }
}

/// Joins `/` and fails unless connected.
pub async fn connect(addr: SocketAddr, token: Option<&str>) -> io::Result<WsClient> {
    connect_with(addr, token, Wire::Json).await
}

/// [`connect`] speaking `wire`.
pub async fn connect_with(
    addr: SocketAddr,
    token: Option<&str>,
    wire: Wire,
) -> io::Result<WsClient> {
    match join_with(addr, token, wire).await? {
        Joined::Connected(ws) => Ok(ws),
        Joined::Refused(why) => Err(io::Error::other(format!("connect refused: {why}"))),
    }
}

/// Appends `42<id>["<event>",<arg>]` (an event asking for an acknowledgement when `id` is set).
pub fn event(out: &mut Vec<u8>, id: Option<u64>, event: &str, json_arg: &str) {
    out.extend_from_slice(b"42");
    if let Some(id) = id {
        push_u64(out, id);
    }
    out.extend_from_slice(b"[\"");
    out.extend_from_slice(event.as_bytes());
    out.extend_from_slice(b"\",");
    out.extend_from_slice(json_arg.as_bytes());
    out.push(b']');
}

/// The id of `43<id>[..]` (an ack) or of `42<id>[..]` (the same frame echoed by a raw echo server).
pub fn ack_id(payload: &[u8]) -> Option<u64> {
    let rest = payload
        .strip_prefix(b"43")
        .or_else(|| payload.strip_prefix(b"42"))?;
    let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    if digits == 0 {
        return None;
    }
    std::str::from_utf8(rest.get(..digits)?).ok()?.parse().ok()
}

/// Appends the decimal form of `n`.
pub fn push_u64(out: &mut Vec<u8>, n: u64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    let mut n = n;
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[i..]);
}

/// The first decimal number after `marker` in `payload`.
pub fn number_after(payload: &[u8], marker: &[u8]) -> Option<u64> {
    let at = crate::ws::find(payload, marker)? + marker.len();
    let rest = payload.get(at..)?;
    let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    std::str::from_utf8(rest.get(..digits)?).ok()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_and_acks_round_trip() {
        let mut out = Vec::new();
        event(&mut out, Some(1234), "echo", "\"x\"");
        assert_eq!(out, b"421234[\"echo\",\"x\"]");
        assert_eq!(ack_id(&out), Some(1234));
        assert_eq!(ack_id(b"43[\"x\"]"), None);
        assert_eq!(ack_id(b"437[]"), Some(7));
        assert_eq!(number_after(b"42[\"bcast\",\"t:987|\"]", b"t:"), Some(987));
    }
}
