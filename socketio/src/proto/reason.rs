//! Why a namespace was left or a connection closed, with the strings Node's server uses.

use std::fmt;

use super::error::PeerMisbehaved;

/// Why a socket (one namespace of a connection) was disconnected. [`as_str`](Self::as_str)
/// gives the string Node passes to `disconnecting` / `disconnect` handlers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DisconnectReason {
    /// The client sent DISCONNECT for this namespace.
    ClientNamespaceDisconnect,
    /// The server disconnected this namespace.
    ServerNamespaceDisconnect,
    /// The transport was closed (the client went away).
    TransportClose,
    /// The transport failed.
    TransportError,
    /// The client did not answer a ping in time.
    PingTimeout,
    /// The client sent something that cannot be decoded.
    ParseError,
    /// The Engine.IO session was closed by the server's engine layer.
    ForcedClose,
    /// The server closed the connection (a protocol violation or an explicit close).
    ForcedServerClose,
    /// The server is shutting down.
    ServerShuttingDown,
    /// The credentials of the connection expired (the token's `exp` passed).
    TokenExpired,
    /// A fresh token sent in-band was refused.
    Unauthorized,
    /// The client did not read what the server sent: it stayed at its send budget
    /// (`max_buffered_bytes`) for longer than the grace.
    SendBufferFull,
}

impl DisconnectReason {
    /// The reason string as Node's server spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ClientNamespaceDisconnect => "client namespace disconnect",
            Self::ServerNamespaceDisconnect => "server namespace disconnect",
            Self::TransportClose => "transport close",
            Self::TransportError => "transport error",
            Self::PingTimeout => "ping timeout",
            Self::ParseError => "parse error",
            Self::ForcedClose => "forced close",
            Self::ForcedServerClose => "forced server close",
            Self::ServerShuttingDown => "server shutting down",
            Self::TokenExpired => "token expired",
            Self::Unauthorized => "unauthorized",
            Self::SendBufferFull => "send buffer full",
        }
    }

    /// Whether a socket disconnected for this reason keeps its session for connection state
    /// recovery: the transport failed or the server went away, not a namespace disconnect
    /// (Node's `RECOVERABLE_DISCONNECT_REASONS`).
    pub fn is_recoverable(self) -> bool {
        matches!(
            self,
            Self::TransportError
                | Self::TransportClose
                | Self::ForcedClose
                | Self::PingTimeout
                | Self::ServerShuttingDown
                | Self::ForcedServerClose
        )
    }
}

/// The reason the namespaces of a connection are given when its Engine.IO session closes, as
/// Node's server names them.
impl From<engineio::proto::CloseReason> for DisconnectReason {
    fn from(reason: engineio::proto::CloseReason) -> Self {
        use engineio::proto::CloseReason as Engine;
        match reason {
            Engine::TransportClose => Self::TransportClose,
            Engine::PingTimeout => Self::PingTimeout,
            Engine::ParseError(_) => Self::ParseError,
            // The engine layer closed it on the server's word: Node's `forced close`.
            Engine::ServerClose => Self::ForcedClose,
            Engine::SendBufferFull => Self::SendBufferFull,
            // Every transport fault, and any reason a later engine adds: the transport failed.
            _ => Self::TransportError,
        }
    }
}

impl fmt::Display for DisconnectReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why the core asks the runtime to close the whole Engine.IO session.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CloseReason {
    /// No namespace was joined within the connect timeout.
    ConnectTimeout,
    /// The peer broke the protocol.
    PeerMisbehaved(PeerMisbehaved),
    /// The application closed the connection.
    ByServer(DisconnectReason),
}

impl CloseReason {
    /// The reason the connected namespaces are given.
    pub fn disconnect_reason(&self) -> DisconnectReason {
        match self {
            Self::ConnectTimeout => DisconnectReason::ForcedServerClose,
            Self::PeerMisbehaved(PeerMisbehaved::Malformed(_)) => DisconnectReason::ParseError,
            Self::PeerMisbehaved(_) => DisconnectReason::ForcedServerClose,
            Self::ByServer(r) => *r,
        }
    }
}

impl fmt::Display for CloseReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ConnectTimeout => f.write_str("peer misbehaved: no namespace joined in time"),
            Self::PeerMisbehaved(e) => write!(f, "{e}"),
            Self::ByServer(r) => write!(f, "closed by the server: {r}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use engineio::proto::{CloseReason as Engine, DecodeError, TransportFault};

    #[test]
    fn engine_close_maps_to_disconnect_reason() {
        let faults = [
            TransportFault::OverlappingGet,
            TransportFault::OverlappingPost,
            TransportFault::PayloadTooLarge,
            TransportFault::RequestAborted,
            TransportFault::WebSocket,
            TransportFault::UnexpectedPacket,
        ];
        let decode_errors = [
            DecodeError::Empty,
            DecodeError::UnknownType(b'9'),
            DecodeError::InvalidUtf8,
            DecodeError::InvalidBase64,
            DecodeError::TooLarge,
        ];
        let mut cases = vec![
            (Engine::TransportClose, DisconnectReason::TransportClose),
            (Engine::PingTimeout, DisconnectReason::PingTimeout),
            (Engine::ServerClose, DisconnectReason::ForcedClose),
            (Engine::SendBufferFull, DisconnectReason::SendBufferFull),
        ];
        cases.extend(faults.map(|f| (Engine::TransportError(f), DisconnectReason::TransportError)));
        cases.extend(decode_errors.map(|e| (Engine::ParseError(e), DisconnectReason::ParseError)));
        for (engine, expected) in cases {
            assert_eq!(DisconnectReason::from(engine), expected, "{engine:?}");
            // Both layers name the reason as Node does, and agree on the name.
            assert_eq!(expected.as_str(), engine.as_str(), "{engine:?}");
        }
    }
}
