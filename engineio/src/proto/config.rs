//! Settings of an Engine.IO endpoint that the protocol core needs.

use std::time::Duration;

/// The two Engine.IO transports.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash)]
pub enum Transport {
    /// HTTP long-polling.
    Polling,
    /// WebSocket.
    WebSocket,
}

impl Transport {
    /// The name used in the `transport` query parameter.
    pub fn name(self) -> &'static str {
        match self {
            Transport::Polling => "polling",
            Transport::WebSocket => "websocket",
        }
    }

    /// Parses a `transport` query value.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "polling" => Some(Transport::Polling),
            "websocket" => Some(Transport::WebSocket),
            _ => None,
        }
    }
}

/// The Engine.IO protocol revision a session speaks, from the `EIO` query parameter of its
/// handshake.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash)]
pub enum Protocol {
    /// Engine.IO v3 (`EIO=3`, socket.io-client 2.x): length-prefixed polling payloads, the client
    /// pings and the server answers. `supports_binary` is false when the handshake asked for
    /// `b64=1`: binary messages then travel as `b4` + base64 text, never as binary payloads or
    /// frames.
    V3 {
        /// Whether binary payloads and frames may be sent (no `b64` in the handshake).
        supports_binary: bool,
    },
    /// Engine.IO v4 (`EIO=4`): the current protocol.
    V4,
}

impl Protocol {
    /// Whether this is Engine.IO v3.
    pub fn is_v3(self) -> bool {
        matches!(self, Protocol::V3 { .. })
    }
}

/// Protocol settings, shared by every session of an endpoint.
#[derive(Clone, Debug)]
pub struct Config {
    /// Time between a pong (or the open packet) and the next ping. Default 25 s.
    pub ping_interval: Duration,
    /// How long the client has to answer a ping. Default 20 s.
    pub ping_timeout: Duration,
    /// How long a WebSocket probe may take to finish the upgrade. Default 10 s.
    pub upgrade_timeout: Duration,
    /// Largest polling body or WebSocket message accepted, in bytes. Default 1 MB.
    pub max_payload: usize,
    /// Whether clients may use HTTP long-polling.
    pub allow_polling: bool,
    /// Whether clients may use WebSocket (directly or by upgrade).
    pub allow_websocket: bool,
    /// Most packets the server keeps queued for a client that is not reading. Default 1024.
    pub max_buffered_packets: usize,
    /// Most bytes that may wait for one client, wherever they wait (the runtime's queue, the
    /// outbox, a WebSocket's unwritten frames; see [`super::budget`]). Past it sends fail with
    /// `Full`. Default 4 MiB.
    pub max_buffered_bytes: usize,
    /// How long a client may stay at [`Config::max_buffered_bytes`] before its session is closed
    /// (`send buffer full`). Default 10 s.
    pub send_buffer_grace: Duration,
    /// Whether Engine.IO v3 clients (`EIO=3`, socket.io-client 2.x) may connect (Node's
    /// `allowEIO3`). Off by default: they get `400` code 5, unsupported protocol version.
    pub allow_eio3: bool,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            ping_interval: Duration::from_millis(25_000),
            ping_timeout: Duration::from_millis(20_000),
            upgrade_timeout: Duration::from_millis(10_000),
            max_payload: 1_000_000,
            allow_polling: true,
            allow_websocket: true,
            max_buffered_packets: 1024,
            max_buffered_bytes: 4 << 20,
            send_buffer_grace: Duration::from_secs(10),
            allow_eio3: false,
        }
    }
}

impl Config {
    /// Whether `transport` is allowed.
    pub fn allows(&self, transport: Transport) -> bool {
        match transport {
            Transport::Polling => self.allow_polling,
            Transport::WebSocket => self.allow_websocket,
        }
    }
}
