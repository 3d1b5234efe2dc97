//! Rooms and the selection of a broadcast: which rooms it reaches and which it skips.

use std::sync::Arc;

/// A room name.
pub type Room = Arc<str>;

/// Which sockets a broadcast reaches: members of any of `rooms` (every socket when empty),
/// minus members of any of `except`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Selector {
    /// Any of these rooms (all sockets when empty).
    pub rooms: Vec<Room>,
    /// None of these rooms.
    pub except: Vec<Room>,
}
