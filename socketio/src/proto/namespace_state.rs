//! The state of one namespace of one connection.

use super::ack::AckTable;

/// Where one namespace of a connection stands. A namespace that is not joined (never was, was
/// refused, or was left) has no state at all: the [`Connection`](super::Connection) removes it.
///
/// ```text
///                 CONNECT(auth?)                accept(sid)
///    (absent) ──────────────────> Connecting ──────────────────> Connected { sid, acks }
///       ▲                              │                               │
///       │   reject(data): CONNECT_ERROR│                               │ DISCONNECT from the client,
///       │                              ▼                               │ disconnect(), connection closed
///       └───────────────────────── (absent) ◄──────────────────────────┘
///
///  Any packet other than CONNECT for a namespace that is not Connected, and a CONNECT for one that
///  is Connecting or Connected, is a protocol violation: the whole connection closes (as in Node).
/// ```
///
/// The authentication issue inserts `Authenticating { deadline, .. }` between `Connecting` and
/// `Connected` and adds the verified claims and their expiry to [`Connected`]; each variant
/// carries its own data, so that is an added variant and added fields, not a rewrite.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum NamespaceState {
    /// The client sent CONNECT; the application has not yet accepted or rejected it. Events are
    /// not delivered and nothing can be emitted.
    Connecting,
    /// Joined: events flow both ways.
    Connected(Connected),
}

impl NamespaceState {
    /// Whether events flow on this namespace.
    pub fn is_connected(&self) -> bool {
        matches!(self, Self::Connected(_))
    }
}

/// Data of a joined namespace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connected {
    sid: Box<str>,
    pub(crate) acks: AckTable,
}

impl Connected {
    pub(crate) fn new(sid: &str) -> Self {
        Self {
            sid: sid.into(),
            acks: AckTable::default(),
        }
    }

    /// The socket id sent to the client in the CONNECT reply.
    pub fn sid(&self) -> &str {
        &self.sid
    }

    /// Acknowledgements the server is waiting for on this namespace.
    pub fn acks(&self) -> &AckTable {
        &self.acks
    }
}
