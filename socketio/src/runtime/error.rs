//! Errors the application sees. None of them closes a connection.

use crate::proto::ApiMisuse;
use std::fmt;

/// Why an emit was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum EmitError {
    /// The client does not keep up: its send buffer is full.
    Full,
    /// The socket is disconnected.
    Disconnected,
    /// The event name is reserved (`connect`, `disconnect`, ...).
    ReservedEvent(String),
}

impl fmt::Display for EmitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EmitError::Full => f.write_str("send buffer full"),
            EmitError::Disconnected => f.write_str("socket disconnected"),
            EmitError::ReservedEvent(name) => write!(f, "event name {name:?} is reserved"),
        }
    }
}

impl std::error::Error for EmitError {}

/// The error of an emit the core's encoder refused.
pub(crate) fn emit_error(e: ApiMisuse) -> EmitError {
    match e {
        ApiMisuse::ReservedEventName(name) => EmitError::ReservedEvent(name),
        _ => EmitError::Disconnected,
    }
}

/// Why no acknowledgement came back.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum AckError {
    /// The event could not be sent.
    Emit(EmitError),
    /// The client did not answer in time.
    Timeout,
    /// The socket disconnected before answering.
    Disconnected,
}

impl fmt::Display for AckError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AckError::Emit(e) => write!(f, "emit failed: {e}"),
            AckError::Timeout => f.write_str("operation has timed out"),
            AckError::Disconnected => f.write_str("socket disconnected before acknowledging"),
        }
    }
}

impl std::error::Error for AckError {}
