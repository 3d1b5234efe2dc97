//! The in-memory adapter: which sockets of a namespace are in which rooms.
//!
//! Every socket is in the room named by its own id, as in the Node server, so `to(socket_id)`
//! reaches one socket.

use super::cluster::ClusterSlot;
use super::socket::Socket;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};

/// A room name.
pub type Room = Arc<str>;

#[derive(Default)]
struct State {
    sockets: HashMap<Arc<str>, Socket>,
    rooms: HashMap<Room, HashSet<Arc<str>>>,
}

/// Rooms and sockets of one namespace on this node.
#[derive(Default)]
pub(crate) struct Adapter {
    state: Mutex<State>,
    /// The cluster this namespace belongs to (empty unless one is attached).
    cluster: ClusterSlot,
}

/// Which sockets a broadcast reaches: members of any of `rooms` (every socket when empty),
/// minus members of any of `except`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Selector {
    /// Any of these rooms (all sockets when empty).
    pub rooms: Vec<Room>,
    /// None of these rooms.
    pub except: Vec<Room>,
}

impl Adapter {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave the maps half-updated in a way that matters
        // more than losing every room; keep serving.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn cluster(&self) -> &ClusterSlot {
        &self.cluster
    }

    pub(crate) fn add(&self, socket: Socket) {
        let id: Arc<str> = Arc::from(socket.id());
        let mut state = self.lock();
        state
            .rooms
            .entry(id.clone())
            .or_default()
            .insert(id.clone());
        state.sockets.insert(id, socket);
    }

    pub(crate) fn remove(&self, id: &str) {
        let mut state = self.lock();
        state.sockets.remove(id);
        state.rooms.retain(|_, members| {
            members.remove(id);
            !members.is_empty()
        });
    }

    pub(crate) fn join(&self, id: &str, room: &str) {
        let mut state = self.lock();
        let Some((key, _)) = state.sockets.get_key_value(id) else {
            return;
        };
        let key = key.clone();
        state.rooms.entry(Arc::from(room)).or_default().insert(key);
    }

    pub(crate) fn leave(&self, id: &str, room: &str) {
        let mut state = self.lock();
        if let Some(members) = state.rooms.get_mut(room) {
            members.remove(id);
            if members.is_empty() {
                state.rooms.remove(room);
            }
        }
    }

    /// The rooms a socket is in (its own id included).
    pub(crate) fn rooms_of(&self, id: &str) -> Vec<Room> {
        let state = self.lock();
        state
            .rooms
            .iter()
            .filter(|(_, m)| m.contains(id))
            .map(|(r, _)| r.clone())
            .collect()
    }

    /// The sockets a selector reaches.
    pub(crate) fn select(&self, selector: &Selector) -> Vec<Socket> {
        let state = self.lock();
        let excluded: HashSet<&Arc<str>> = selector
            .except
            .iter()
            .filter_map(|r| state.rooms.get(r))
            .flatten()
            .collect();
        if selector.rooms.is_empty() {
            return state
                .sockets
                .iter()
                .filter(|(id, _)| !excluded.contains(id))
                .map(|(_, s)| s.clone())
                .collect();
        }
        let mut seen: HashSet<&Arc<str>> = HashSet::new();
        let mut out = Vec::new();
        for room in &selector.rooms {
            for id in state.rooms.get(room).into_iter().flatten() {
                if !excluded.contains(id) && seen.insert(id) {
                    if let Some(socket) = state.sockets.get(id) {
                        out.push(socket.clone());
                    }
                }
            }
        }
        out
    }

    /// The rooms that have members (socket ids included).
    pub(crate) fn room_names(&self) -> Vec<Room> {
        self.lock().rooms.keys().cloned().collect()
    }

    /// Number of sockets.
    pub(crate) fn len(&self) -> usize {
        self.lock().sockets.len()
    }
}
