//! The state of one namespace of one connection.

use super::ack::AckTable;
use super::auth::Identity;
use std::time::Instant;

/// Where one namespace of a connection stands. A namespace that is not joined (never was, was
/// refused, or was left) has no state at all: the [`Connection`](super::Connection) removes it.
///
/// ```text
///             CONNECT(auth?)                 policy + app decide: accept(sid)
///  (absent) ─────────────────> Authenticating ─────────────────────────────────> Connected { sid, identity,
///     ▲                          { identity?,  │ event mode: accept(sid)              acks, expires_at }
///     │                            deadline }  v                                        ▲      │
///     │                               │    AwaitingToken ── `authenticate` verified ────┘      │
///     │ refused: CONNECT_ERROR,       │    { sid, deadline }                                   │ DISCONNECT, disconnect(),
///     │ or `unauthorized` + DISCONNECT│        │ bad token / deadline                          │ token expired, connection
///     └───────────────────────────────┴────────┘                                               │ closed
///     └────────────────────────────────────────────────────────────────────────────────────────┘
///
///  Only Connected delivers events and can be emitted to. In AwaitingToken the client may only send
///  `authenticate`; other events are dropped. Any other packet for a namespace that is not joined,
///  and a CONNECT for one that has a state, is a protocol violation: the whole connection closes.
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum NamespaceState {
    /// The client sent CONNECT; the policy and the application have not decided yet. Events are
    /// not delivered and nothing can be emitted.
    Authenticating {
        /// What the policy already established (a verified token, or anonymous); `None` while the
        /// token is still to come (event mode) or the application's check is to give it.
        identity: Option<Identity>,
        /// When the decision (or, in event mode, the token) must have arrived.
        deadline: Option<Instant>,
    },
    /// Event mode: the CONNECT was answered with `sid`; until an `authenticate` event carries a
    /// valid token the socket is in no room, gets no broadcast and its events reach no handler.
    AwaitingToken {
        /// The socket id already sent to the client.
        sid: Box<str>,
        /// When the token must have arrived.
        deadline: Option<Instant>,
    },
    /// Joined: events flow both ways.
    Connected(Connected),
}

impl NamespaceState {
    /// Whether events flow on this namespace.
    pub fn is_connected(&self) -> bool {
        matches!(self, Self::Connected(_))
    }

    /// The deadline this state waits for, if any.
    pub(crate) fn deadline(&self) -> Option<Instant> {
        match self {
            Self::Authenticating { deadline, .. } | Self::AwaitingToken { deadline, .. } => {
                *deadline
            }
            Self::Connected(c) => [c.expires_at, c.acks.next_deadline()]
                .into_iter()
                .flatten()
                .min(),
        }
    }
}

/// Data of a joined namespace.
#[derive(Debug, Clone)]
pub struct Connected {
    sid: Box<str>,
    pub(crate) identity: Identity,
    pub(crate) expires_at: Option<Instant>,
    pub(crate) acks: AckTable,
}

impl Connected {
    pub(crate) fn new(sid: &str, identity: Identity, expires_at: Option<Instant>) -> Self {
        Self {
            sid: sid.into(),
            identity,
            expires_at,
            acks: AckTable::default(),
        }
    }

    /// The socket id sent to the client in the CONNECT reply.
    pub fn sid(&self) -> &str {
        &self.sid
    }

    /// Who the namespace belongs to.
    pub fn identity(&self) -> &Identity {
        &self.identity
    }

    /// When the connection's credentials expire (the namespace is then disconnected).
    pub fn expires_at(&self) -> Option<Instant> {
        self.expires_at
    }

    /// Acknowledgements the server is waiting for on this namespace.
    pub fn acks(&self) -> &AckTable {
        &self.acks
    }
}
