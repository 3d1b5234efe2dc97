//! What other tasks ask of a session's driver through a [`super::SocketHandle`].

use crate::proto::Data;
use std::any::Any;

/// A message for a session's application, sent from another task with
/// [`super::SocketHandle::send_app`]; the application downcasts it to its own type.
pub type AppMessage = Box<dyn Any + Send>;

/// An application command for the session's driver.
pub(crate) enum Command {
    Send(Data),
    /// Messages that must go out together, in order (a Socket.IO packet and its attachments).
    SendAll(Box<[Data]>),
    Close,
    /// For the session's [`super::SessionApp`].
    App(AppMessage),
}

impl std::fmt::Debug for Command {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Send(data) => f.debug_tuple("Send").field(data).finish(),
            Self::SendAll(all) => f.debug_tuple("SendAll").field(all).finish(),
            Self::Close => f.write_str("Close"),
            Self::App(_) => f.write_str("App(..)"),
        }
    }
}
