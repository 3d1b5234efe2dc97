//! The Socket.IO v5 packet model: [`PacketType`], [`Namespace`] and [`Packet`].

use std::borrow::Borrow;
use std::fmt;
use std::sync::Arc;

use super::error::ApiMisuse;
use super::payload::Payload;
use super::raw_json::RawJson;

/// The seven packet types of Socket.IO v5 (the first character of a packet).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PacketType {
    /// `0`: join a namespace (client), or accept the join (server).
    Connect,
    /// `1`: leave a namespace.
    Disconnect,
    /// `2`: an event without binary attachments.
    Event,
    /// `3`: an acknowledgement without binary attachments.
    Ack,
    /// `4`: the server refuses a join.
    ConnectError,
    /// `5`: an event followed by binary attachments.
    BinaryEvent,
    /// `6`: an acknowledgement followed by binary attachments.
    BinaryAck,
}

impl PacketType {
    /// The type for a wire digit (`b'0'`..`b'6'`).
    pub fn from_digit(digit: u8) -> Option<Self> {
        Some(match digit {
            b'0' => Self::Connect,
            b'1' => Self::Disconnect,
            b'2' => Self::Event,
            b'3' => Self::Ack,
            b'4' => Self::ConnectError,
            b'5' => Self::BinaryEvent,
            b'6' => Self::BinaryAck,
            _ => return None,
        })
    }

    /// The wire digit of this type.
    pub fn digit(self) -> char {
        match self {
            Self::Connect => '0',
            Self::Disconnect => '1',
            Self::Event => '2',
            Self::Ack => '3',
            Self::ConnectError => '4',
            Self::BinaryEvent => '5',
            Self::BinaryAck => '6',
        }
    }

    /// Whether binary attachments follow packets of this type.
    pub fn is_binary(self) -> bool {
        matches!(self, Self::BinaryEvent | Self::BinaryAck)
    }
}

impl fmt::Display for PacketType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Connect => "CONNECT",
            Self::Disconnect => "DISCONNECT",
            Self::Event => "EVENT",
            Self::Ack => "ACK",
            Self::ConnectError => "CONNECT_ERROR",
            Self::BinaryEvent => "BINARY_EVENT",
            Self::BinaryAck => "BINARY_ACK",
        })
    }
}

/// A namespace name: starts with `/` and contains no `,` (the comma ends it on the wire).
///
/// Cheap to clone: the main namespace `/` is a constant, any other name is shared text.
#[derive(Clone)]
pub struct Namespace(Name);

/// Where a namespace's name lives. `/` carries nearly all traffic and is cloned several times
/// per packet on every core: as one shared `Arc` its count would be a single cache line that
/// every core's atomic increments and decrements pull back and forth; as a constant it has no
/// count at all.
#[derive(Clone)]
enum Name {
    Main,
    Other(Arc<str>),
}

impl Namespace {
    /// Validates a namespace name.
    pub fn new(name: &str) -> Result<Self, ApiMisuse> {
        if name.starts_with('/') && !name.contains(',') {
            Ok(Self::from_wire(name))
        } else {
            Err(ApiMisuse::InvalidNamespace(name.to_owned()))
        }
    }

    /// The main namespace `/` (a constant: no allocation, no shared count).
    pub fn main() -> Self {
        Self(Name::Main)
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        match &self.0 {
            Name::Main => "/",
            Name::Other(name) => name,
        }
    }

    /// Whether this is the main namespace `/` (which the wire format leaves out).
    pub fn is_main(&self) -> bool {
        self.as_str() == "/"
    }

    /// A name cut from the wire: the decoder guarantees the leading `/` and the absence of `,`.
    pub(crate) fn from_wire(name: &str) -> Self {
        match name {
            "/" => Self::main(),
            name => Self(Name::Other(name.into())),
        }
    }
}

// Compared, ordered and hashed as its name (as `Borrow<str>` requires).
impl PartialEq for Namespace {
    fn eq(&self, other: &Self) -> bool {
        // `Other` never holds `/` (`from_wire` makes it `Main`): the main namespace, on nearly
        // every packet, compares by its variant, without a `memcmp` call.
        match (&self.0, &other.0) {
            (Name::Main, Name::Main) => true,
            (Name::Other(a), Name::Other(b)) => a == b,
            _ => false,
        }
    }
}

impl Eq for Namespace {}

impl PartialOrd for Namespace {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Namespace {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl std::hash::Hash for Namespace {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_str().hash(state)
    }
}

impl Borrow<str> for Namespace {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Display for Namespace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Namespace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.as_str())
    }
}

/// One decoded Socket.IO packet, binary attachments included.
///
/// Binary and plain variants are not distinguished: an EVENT or ACK whose [`Payload`] has
/// attachments is encoded as BINARY_EVENT / BINARY_ACK, as the Node encoder does.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Packet {
    /// CONNECT: from a client, the optional auth payload (an object); from the server, `{"sid":..}`.
    Connect {
        /// The namespace.
        nsp: Namespace,
        /// The payload, always a JSON object when present.
        data: Option<RawJson>,
    },
    /// DISCONNECT: leave the namespace.
    Disconnect {
        /// The namespace.
        nsp: Namespace,
    },
    /// EVENT / BINARY_EVENT.
    Event {
        /// The namespace.
        nsp: Namespace,
        /// The acknowledgement id, if the sender wants an ACK.
        id: Option<u64>,
        /// The event name (a numeric name on the wire becomes its decimal text, as in Node).
        name: String,
        /// The arguments after the name.
        args: Payload,
    },
    /// ACK / BINARY_ACK.
    Ack {
        /// The namespace.
        nsp: Namespace,
        /// The id of the event being acknowledged.
        id: u64,
        /// The acknowledgement's arguments.
        args: Payload,
    },
    /// CONNECT_ERROR: a refused join; the data is an object (`{"message":..}`) or a string.
    ConnectError {
        /// The namespace.
        nsp: Namespace,
        /// The error data.
        data: RawJson,
    },
}

impl Packet {
    /// The namespace the packet belongs to.
    pub fn nsp(&self) -> &Namespace {
        match self {
            Self::Connect { nsp, .. }
            | Self::Disconnect { nsp }
            | Self::Event { nsp, .. }
            | Self::Ack { nsp, .. }
            | Self::ConnectError { nsp, .. } => nsp,
        }
    }

    /// The wire type (BINARY_* when the payload carries attachments).
    pub fn packet_type(&self) -> PacketType {
        match self {
            Self::Connect { .. } => PacketType::Connect,
            Self::Disconnect { .. } => PacketType::Disconnect,
            Self::Event { args, .. } if args.has_binary() => PacketType::BinaryEvent,
            Self::Event { .. } => PacketType::Event,
            Self::Ack { args, .. } if args.has_binary() => PacketType::BinaryAck,
            Self::Ack { .. } => PacketType::Ack,
            Self::ConnectError { .. } => PacketType::ConnectError,
        }
    }
}

/// Event names the protocol reserves; a client may not send them and the server may not emit them.
pub const RESERVED_EVENTS: [&str; 6] = [
    "connect",
    "connect_error",
    "disconnect",
    "disconnecting",
    "newListener",
    "removeListener",
];

/// Whether `name` is one of [`RESERVED_EVENTS`].
pub fn is_reserved_event(name: &str) -> bool {
    RESERVED_EVENTS.contains(&name)
}

/// The CONNECT_ERROR data Node sends when a middleware refuses a join:
/// `{"message":<message>}`, or `{"message":<message>,"data":<data>}` with data.
///
/// An unknown namespace gets `connect_error("Invalid namespace", None)`.
pub fn connect_error(message: &str, data: Option<&RawJson>) -> RawJson {
    let mut out = String::from("{\"message\":");
    out.push_str(RawJson::string(message).as_str());
    if let Some(data) = data {
        out.push_str(",\"data\":");
        out.push_str(data.as_str());
    }
    out.push('}');
    RawJson::from_trusted(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::Namespace;
    use std::collections::{BTreeSet, HashSet};

    #[test]
    fn the_main_namespace_is_one_name_however_made() {
        let main = Namespace::main();
        let parsed = Namespace::new("/").unwrap();
        let cut = Namespace::from_wire("/");
        assert!(main.is_main() && parsed.is_main() && cut.is_main());
        assert_eq!(main, parsed);
        assert_eq!(main.as_str(), "/");
        assert_eq!(format!("{main} {main:?}"), r#"/ "/""#);
        let chat = Namespace::new("/chat").unwrap();
        assert!(!chat.is_main());
        assert_ne!(main, chat);
        assert!(Namespace::new("chat").is_err() && Namespace::new("/a,b").is_err());
        // Hashed and ordered as their names, so maps keyed by them are searched with a `&str`.
        let set: HashSet<Namespace> = [parsed, chat.clone()].into_iter().collect();
        assert!(set.contains("/") && set.contains("/chat") && !set.contains("/other"));
        let ordered: BTreeSet<Namespace> = [chat, cut].into_iter().collect();
        let names: Vec<&str> = ordered.iter().map(Namespace::as_str).collect();
        assert_eq!(names, ["/", "/chat"]);
    }
}
