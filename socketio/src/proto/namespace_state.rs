//! The state of one namespace of one connection, and its transitions: each state is a type of
//! its own, and a transition consumes the state it leaves and returns the one it enters.

use super::ack::AckTable;
use super::auth::{AuthError, Identity};
use super::raw_json::RawJson;
use std::time::Instant;

/// Where one namespace of a connection stands. A namespace that is not joined (never was, was
/// refused, or was left) has no state at all: the [`Connection`](super::Connection) removes it.
/// `W` is what the runtime keeps with each acknowledgement it waits for (see
/// [`Connection`](super::Connection)).
///
/// ```text
///             CONNECT(auth?)                 policy + app decide: accept(sid)
///  (absent) ─────────────────> Authenticating ──── join ───────────────────────────> Connected { sid, identity,
///     ▲                          { identity?,  │ event mode: accept(sid)              acks, expires_at }
///     │                            deadline }  │ await_token                            ▲      │ │ fresh token
///     │                               │        v                                        │      │ └ reauthenticate
///     │                               │    AwaitingToken ── `authenticate` verified ────┘      │
///     │ refused: CONNECT_ERROR,       │    { sid, deadline }    authenticate                   │ DISCONNECT, disconnect(),
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
pub enum NamespaceState<W = ()> {
    /// Connection state recovery: the CONNECT carries a private session id and an offset, and
    /// the runtime is looking the session up
    /// ([`Output::ResumeRequest`](super::Output::ResumeRequest), answered with
    /// [`Connection::resume`](super::Connection::resume)). Like `Authenticating`, nothing flows.
    Resuming(Resuming),
    /// The client sent CONNECT; the policy and the application have not decided yet. Events are
    /// not delivered and nothing can be emitted.
    Authenticating(Authenticating),
    /// Event mode: the CONNECT was answered with a socket id; until an `authenticate` event
    /// carries a valid token the socket is in no room, gets no broadcast and its events reach no
    /// handler.
    AwaitingToken(AwaitingToken),
    /// Joined: events flow both ways.
    Connected(Connected<W>),
}

impl<W> NamespaceState<W> {
    /// Whether events flow on this namespace.
    pub fn is_connected(&self) -> bool {
        matches!(self, Self::Connected(_))
    }

    /// The deadline this state waits for, if any.
    pub(crate) fn deadline(&self) -> Option<Instant> {
        match self {
            Self::Resuming(_) => None,
            Self::Authenticating(a) => a.deadline,
            Self::AwaitingToken(a) => a.deadline,
            Self::Connected(c) => [c.expires_at, c.acks.next_deadline()]
                .into_iter()
                .flatten()
                .min(),
        }
    }
}

/// Data of a namespace whose CONNECT waits for its kept session to be looked up.
#[derive(Debug, Clone)]
pub struct Resuming {
    pub(crate) data: Option<RawJson>,
}

/// A kept session a CONNECT is restoring: the socket keeps its id and private session id.
#[derive(Debug, Clone)]
pub(crate) struct Resumed {
    pub(crate) sid: Box<str>,
    pub(crate) pid: Box<str>,
    pub(crate) expires_at: Option<Instant>,
    /// Whose session it was: the application's check must find the same subject.
    pub(crate) subject: Option<Box<str>>,
}

/// Data of a namespace whose CONNECT is being decided.
#[derive(Debug, Clone)]
pub struct Authenticating {
    identity: Option<Identity>,
    deadline: Option<Instant>,
    /// Restoring a kept session (its connect checks run first: `skip_middlewares` off).
    pub(crate) resumed: Option<Box<Resumed>>,
}

impl Authenticating {
    pub(crate) fn new(identity: Option<Identity>, deadline: Option<Instant>) -> Self {
        Self {
            identity,
            deadline,
            resumed: None,
        }
    }

    /// Whether the CONNECT restores a kept session (connection state recovery).
    pub fn is_recovering(&self) -> bool {
        self.resumed.is_some()
    }

    /// What the policy already established (a verified token, or anonymous); `None` while the
    /// token is still to come (event mode) or the application's check is to give it.
    pub fn identity(&self) -> Option<&Identity> {
        self.identity.as_ref()
    }

    /// When the decision (or, in event mode, the token) must have arrived.
    pub fn deadline(&self) -> Option<Instant> {
        self.deadline
    }

    /// The CONNECT was accepted with socket id `sid`: joined as `identity` (the one the policy
    /// established, or the application's claims), until `expires_at`.
    pub(crate) fn join<W>(
        self,
        sid: &str,
        pid: Option<&str>,
        identity: Identity,
        expires_at: Option<Instant>,
    ) -> Connected<W> {
        Connected::new(sid, pid, identity, expires_at)
    }

    /// Event mode: the CONNECT was accepted with socket id `sid`, and the token is still to come,
    /// by the same deadline.
    pub(crate) fn await_token(self, sid: &str, pid: Option<&str>) -> AwaitingToken {
        AwaitingToken {
            sid: sid.into(),
            pid: pid.map(Box::from),
            deadline: self.deadline,
        }
    }
}

/// Data of a namespace that waits for its `authenticate` event (event mode).
#[derive(Debug, Clone)]
pub struct AwaitingToken {
    sid: Box<str>,
    pid: Option<Box<str>>,
    deadline: Option<Instant>,
}

impl AwaitingToken {
    /// The socket id already sent to the client.
    pub fn sid(&self) -> &str {
        &self.sid
    }

    /// When the token must have arrived.
    pub fn deadline(&self) -> Option<Instant> {
        self.deadline
    }

    /// The token arrived and was verified: joined as `identity` until `expires_at`.
    pub(crate) fn authenticate<W>(
        self,
        identity: Identity,
        expires_at: Option<Instant>,
    ) -> Connected<W> {
        Connected::new(&self.sid, self.pid.as_deref(), identity, expires_at)
    }
}

/// Data of a joined namespace.
#[derive(Debug, Clone)]
pub struct Connected<W = ()> {
    sid: Box<str>,
    /// The private session id sent in the CONNECT reply (connection state recovery on).
    pid: Option<Box<str>>,
    identity: Identity,
    expires_at: Option<Instant>,
    pub(crate) acks: AckTable<W>,
}

impl<W> Connected<W> {
    fn new(sid: &str, pid: Option<&str>, identity: Identity, expires_at: Option<Instant>) -> Self {
        Self {
            sid: sid.into(),
            pid: pid.map(Box::from),
            identity,
            expires_at,
            acks: AckTable::default(),
        }
    }

    /// A fresh token arrived (`authenticate` with refresh on): the same subject goes on with its
    /// new claims until `expires_at`. Another subject is refused: the namespace is left.
    pub(crate) fn reauthenticate(
        mut self,
        identity: Identity,
        expires_at: Option<Instant>,
    ) -> Result<Self, AuthError> {
        if identity.subject() != self.identity.subject() {
            let error = AuthError::new("invalid_token", "refreshed token has another subject");
            return Err(error);
        }
        self.identity = identity;
        self.expires_at = expires_at;
        Ok(self)
    }

    /// The socket id sent to the client in the CONNECT reply.
    pub fn sid(&self) -> &str {
        &self.sid
    }

    /// The private session id the client may restore this socket with, when connection state
    /// recovery is on.
    pub fn pid(&self) -> Option<&str> {
        self.pid.as_deref()
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
    pub fn acks(&self) -> &AckTable<W> {
        &self.acks
    }
}
