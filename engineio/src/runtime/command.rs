//! What other tasks ask of a session's driver through a [`super::SocketHandle`].

use crate::proto::Data;

/// A command for a session's driver; `M` is the message type of the session's
/// [`super::SessionApp`] ([`NoMessage`] for a session without one).
pub(crate) enum Command<M> {
    Send(Data),
    /// Messages that must go out together, in order (a Socket.IO packet and its attachments).
    SendAll(Box<[Data]>),
    Close,
    /// For the session's [`super::SessionApp`].
    App(M),
}

/// The message type of a session that runs no [`super::SessionApp`] (one handed out by
/// [`super::Engine::accept`]): there are none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoMessage {}

impl<M> std::fmt::Debug for Command<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Send(data) => f.debug_tuple("Send").field(data).finish(),
            Self::SendAll(all) => f.debug_tuple("SendAll").field(all).finish(),
            Self::Close => f.write_str("Close"),
            Self::App(_) => f.write_str("App(..)"),
        }
    }
}
