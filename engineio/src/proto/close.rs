//! Why a session ended.

use super::packet::DecodeError;
use std::fmt;

/// Why a session closed. [`CloseReason::as_str`] gives the reason string of the Node reference server.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[non_exhaustive]
pub enum CloseReason {
    /// The client sent a close packet or closed its WebSocket (`transport close`).
    TransportClose,
    /// The transport failed, or the client broke a transport rule (`transport error`).
    TransportError(TransportFault),
    /// No pong arrived within `pingTimeout` (`ping timeout`).
    PingTimeout,
    /// The client sent bytes that are not a packet (`parse error`).
    ParseError(DecodeError),
    /// The server (the application) closed the session (`forced close`).
    ServerClose,
    /// The client stayed at its send budget for longer than the grace (`send buffer full`): it
    /// does not read what the server sends.
    SendBufferFull,
}

/// Which transport rule the client broke, or how the transport failed.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[non_exhaustive]
pub enum TransportFault {
    /// A second GET arrived while one was parked.
    OverlappingGet,
    /// A second POST arrived while one was being read.
    OverlappingPost,
    /// A POST body or WebSocket message exceeded `maxPayload`.
    PayloadTooLarge,
    /// The connection of a parked GET or of a POST closed before it was answered.
    RequestAborted,
    /// The WebSocket failed (a protocol error, or an I/O error).
    WebSocket,
    /// A packet that the client may not send on this transport (`open`, a heartbeat ping, `upgrade`).
    UnexpectedPacket,
}

impl CloseReason {
    /// The reason string used by the Node reference server (`"transport close"`, `"ping timeout"`, ...).
    pub fn as_str(&self) -> &'static str {
        match self {
            CloseReason::TransportClose => "transport close",
            CloseReason::TransportError(_) => "transport error",
            CloseReason::PingTimeout => "ping timeout",
            CloseReason::ParseError(_) => "parse error",
            CloseReason::ServerClose => "forced close",
            CloseReason::SendBufferFull => "send buffer full",
        }
    }

    /// Whether the peer caused the close (as opposed to the server or a timeout).
    pub fn is_peer_fault(&self) -> bool {
        matches!(
            self,
            CloseReason::TransportError(_)
                | CloseReason::ParseError(_)
                | CloseReason::SendBufferFull
        )
    }
}

impl fmt::Display for TransportFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TransportFault::OverlappingGet => {
                "overlap from client (a second GET while one is parked)"
            }
            TransportFault::OverlappingPost => "data request overlap from client",
            TransportFault::PayloadTooLarge => "payload exceeds maxPayload",
            TransportFault::RequestAborted => "request connection closed prematurely",
            TransportFault::WebSocket => "websocket error",
            TransportFault::UnexpectedPacket => "packet not allowed from a client",
        })
    }
}

impl fmt::Display for CloseReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CloseReason::TransportError(fault) => write!(f, "transport error: {fault}"),
            CloseReason::ParseError(e) => write!(f, "parse error: {e}"),
            other => f.write_str(other.as_str()),
        }
    }
}
