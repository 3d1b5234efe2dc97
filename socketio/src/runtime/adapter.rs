//! The in-memory adapter: which sockets of a namespace are in which rooms.
//!
//! Every socket is in the room named by its own id, as in the Node server, so `to(socket_id)`
//! reaches one socket.

use super::cluster::ClusterSlot;
use super::room::{Room, Selector};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

/// A socket joined or left a room.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RoomChange {
    /// It joined (its own room, named by its id, when it is added).
    Joined,
    /// It left (every room, its own included, when it is removed).
    Left,
}

/// Told of every room change of a namespace, after the adapter's lock is released: the room,
/// the socket id, and the change (Node's adapter events `join-room` and `leave-room`).
pub(crate) type RoomHook = Arc<dyn Fn(&str, &str, RoomChange) + Send + Sync>;

/// What the adapter keeps for each socket: the socket itself, known by its id. A trait, and not
/// the runtime's `Socket`, because a socket holds its namespace, which holds this adapter: the
/// adapter stays below both (the only implementation is `Socket`'s, so nothing is dynamic).
pub(crate) trait Member: Clone {
    /// The socket id, which is also the name of the socket's own room.
    fn id(&self) -> &str;

    /// Reads what a send to the socket touches first into this core's cache, changing nothing;
    /// gives back what it read, which means nothing (see [`Adapter::for_each`]).
    fn warm(&self) -> usize;
}

/// How many sockets a walk reads ahead before it hands any of them on.
const WARM_GROUP: usize = 16;

/// Hands the sockets of a walk on in groups of [`WARM_GROUP`]: each is warmed ([`Member::warm`])
/// as it is found, and the group is given to `f` once full (or at the end). A send takes a lock,
/// and a locked instruction waits for every cache miss before it: sent to one by one, the
/// receivers of a large room (each one's lines cold by the next broadcast) miss one after
/// another; read ahead, a group's misses overlap.
struct Groups<'a, S, F> {
    held: [Option<&'a S>; WARM_GROUP],
    len: usize,
    /// What the reads gave, kept so that they are made.
    read: usize,
    f: F,
}

impl<'a, S: Member, F: FnMut(&S)> Groups<'a, S, F> {
    fn new(f: F) -> Self {
        Self {
            held: [None; WARM_GROUP],
            len: 0,
            read: 0,
            f,
        }
    }

    fn push(&mut self, socket: &'a S) {
        self.read ^= socket.warm();
        self.held[self.len] = Some(socket);
        self.len += 1;
        if self.len == WARM_GROUP {
            self.flush();
        }
    }

    fn flush(&mut self) {
        std::hint::black_box(self.read);
        for socket in self.held[..self.len].iter_mut().filter_map(Option::take) {
            (self.f)(socket);
        }
        self.len = 0;
    }
}

/// A socket and the rooms it joined (its own room, named by its id, is implied).
struct Entry<S> {
    socket: S,
    rooms: Vec<Room>,
}

/// The members of one joined room, by socket id, each with its socket: a broadcast walks them
/// without looking each one up again.
type Members<S> = HashMap<Arc<str>, S>;

struct State<S> {
    sockets: HashMap<Arc<str>, Entry<S>>,
    /// Joined rooms and their members; the rooms named by socket ids are not stored here.
    rooms: HashMap<Room, Members<S>>,
}

impl<S> Default for State<S> {
    fn default() -> Self {
        Self {
            sockets: HashMap::new(),
            rooms: HashMap::new(),
        }
    }
}

/// Whether socket `id` is in `room` (`members` being the room's stored members).
fn is_in<S>(id: &str, room: &str, members: Option<&Members<S>>) -> bool {
    id == room || members.is_some_and(|m| m.contains_key(id))
}

/// Rooms and sockets of one namespace on this node.
pub(crate) struct Adapter<S> {
    state: Mutex<State<S>>,
    /// The cluster this namespace belongs to (empty unless one is attached).
    cluster: ClusterSlot,
    /// Who is told of room changes (empty unless the server is instrumented).
    room_hook: OnceLock<RoomHook>,
}

impl<S> Default for Adapter<S> {
    fn default() -> Self {
        Self {
            state: Mutex::default(),
            cluster: ClusterSlot::default(),
            room_hook: OnceLock::new(),
        }
    }
}

impl<S: Member> Adapter<S> {
    fn lock(&self) -> MutexGuard<'_, State<S>> {
        // A panic while holding the lock cannot leave the maps half-updated in a way that matters
        // more than losing every room; keep serving.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn cluster(&self) -> &ClusterSlot {
        &self.cluster
    }

    /// Sets who is told of room changes (once).
    #[cfg_attr(not(feature = "admin"), allow(dead_code))]
    pub(crate) fn set_room_hook(&self, hook: RoomHook) {
        let _ = self.room_hook.set(hook);
    }

    pub(crate) fn add(&self, socket: S) {
        let id: Arc<str> = Arc::from(socket.id());
        let member = Entry {
            socket,
            rooms: Vec::new(),
        };
        self.lock().sockets.insert(id.clone(), member);
        if let Some(hook) = self.room_hook.get() {
            hook(&id, &id, RoomChange::Joined);
        }
    }

    pub(crate) fn remove(&self, id: &str) {
        let mut state = self.lock();
        let Some(member) = state.sockets.remove(id) else {
            return;
        };
        for room in &member.rooms {
            if let Some(members) = state.rooms.get_mut(room) {
                members.remove(id);
                if members.is_empty() {
                    state.rooms.remove(room);
                }
            }
        }
        drop(state);
        if let Some(hook) = self.room_hook.get() {
            hook(id, id, RoomChange::Left);
            for room in &member.rooms {
                hook(room, id, RoomChange::Left);
            }
        }
    }

    pub(crate) fn join(&self, id: &str, room: &str) {
        let joined = self.join_locked(id, room);
        if let (Some(room), Some(hook)) = (joined, self.room_hook.get()) {
            hook(&room, id, RoomChange::Joined);
        }
    }

    /// Joins under the lock; the room if the socket was not in it yet.
    fn join_locked(&self, id: &str, room: &str) -> Option<Room> {
        let mut state = self.lock();
        let state = &mut *state;
        let (key, member) = state.sockets.get_key_value(id)?;
        if room == id || member.rooms.iter().any(|r| &**r == room) {
            return None;
        }
        let (key, socket) = (key.clone(), member.socket.clone());
        let room: Room = match state.rooms.get_key_value(room) {
            Some((existing, _)) => existing.clone(),
            None => Room::from(room),
        };
        state
            .rooms
            .entry(room.clone())
            .or_default()
            .insert(key, socket);
        if let Some(member) = state.sockets.get_mut(id) {
            member.rooms.push(room.clone());
        }
        Some(room)
    }

    pub(crate) fn leave(&self, id: &str, room: &str) {
        let mut state = self.lock();
        let Some(member) = state.sockets.get_mut(id) else {
            return;
        };
        let Some(index) = member.rooms.iter().position(|r| &**r == room) else {
            return;
        };
        member.rooms.swap_remove(index);
        if let Some(members) = state.rooms.get_mut(room) {
            members.remove(id);
            if members.is_empty() {
                state.rooms.remove(room);
            }
        }
        drop(state);
        if let Some(hook) = self.room_hook.get() {
            hook(room, id, RoomChange::Left);
        }
    }

    /// The rooms a socket is in (its own id included).
    pub(crate) fn rooms_of(&self, id: &str) -> Vec<Room> {
        let state = self.lock();
        let Some((key, member)) = state.sockets.get_key_value(id) else {
            return Vec::new();
        };
        let mut rooms = Vec::with_capacity(1 + member.rooms.len());
        rooms.push(key.clone());
        rooms.extend(member.rooms.iter().cloned());
        rooms
    }

    /// The sockets a selector reaches.
    pub(crate) fn select(&self, selector: &Selector) -> Vec<S> {
        let mut out = Vec::new();
        self.for_each(selector, |socket| out.push(socket.clone()));
        out
    }

    /// Calls `f` with each socket a selector reaches, once each, under the adapter's lock (so `f`
    /// must not use the adapter): a broadcast walks the members without collecting them.
    /// The sockets are handed on in groups, each read ahead first (see [`Groups`]).
    pub(crate) fn for_each(&self, selector: &Selector, f: impl FnMut(&S)) {
        let state = self.lock();
        let mut groups = Groups::new(f);
        Self::walk(&state, selector, |socket| groups.push(socket));
        groups.flush();
    }

    /// Calls `f` with each socket a selector reaches in `state`, once each.
    fn walk<'a>(state: &'a State<S>, selector: &Selector, mut f: impl FnMut(&'a S)) {
        let except: Vec<(&Room, Option<&Members<S>>)> = selector
            .except
            .iter()
            .map(|r| (r, state.rooms.get(r)))
            .collect();
        let excluded = |id: &str| except.iter().any(|(r, m)| is_in(id, r, *m));
        if selector.rooms.is_empty() {
            for (id, member) in &state.sockets {
                if !excluded(id) {
                    f(&member.socket);
                }
            }
            return;
        }
        let rooms: Vec<(&Room, Option<&Members<S>>)> = selector
            .rooms
            .iter()
            .map(|r| (r, state.rooms.get(r)))
            .collect();
        for (i, (room, members)) in rooms.iter().enumerate() {
            // A socket in several of the rooms is reached from the first of them only.
            let earlier = |id: &str| rooms[..i].iter().any(|(r, m)| is_in(id, r, *m));
            if let Some((id, member)) = state.sockets.get_key_value(&***room) {
                if !excluded(id) && !earlier(id) {
                    f(&member.socket);
                }
            }
            for (id, socket) in members.iter().copied().flatten() {
                if !excluded(id) && !earlier(id) {
                    f(socket);
                }
            }
        }
    }

    /// The rooms that have members (socket ids included).
    pub(crate) fn room_names(&self) -> Vec<Room> {
        let state = self.lock();
        state
            .rooms
            .keys()
            .chain(state.sockets.keys())
            .cloned()
            .collect()
    }

    /// Number of sockets.
    pub(crate) fn len(&self) -> usize {
        self.lock().sockets.len()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::proto;
    use crate::runtime::namespace::Namespace;
    use crate::runtime::socket::Socket;

    fn socket(ns: &Arc<Namespace>, id: &str) -> Socket {
        let socket = crate::runtime::socket::tests::detached(ns, id);
        ns.adapter().add(socket.clone());
        socket
    }

    #[test]
    fn the_room_hook_hears_every_change_after_the_lock() {
        let ns = Namespace::new(proto::Namespace::main(), proto::Parser::Json);
        let heard = Arc::new(Mutex::new(Vec::new()));
        let (sink, weak) = (heard.clone(), Arc::downgrade(&ns));
        ns.adapter()
            .set_room_hook(Arc::new(move |room, id, change| {
                // The adapter's lock is free: the hook may use it.
                let members = weak.upgrade().map_or(0, |ns| ns.adapter().len());
                sink.lock()
                    .unwrap()
                    .push(format!("{change:?} {room} {id} {members}"));
            }));
        let a = socket(&ns, "a");
        a.join("red");
        a.join("red");
        a.join("blue");
        a.leave("red");
        a.leave("red");
        ns.adapter().remove("a");
        assert_eq!(
            *heard.lock().unwrap(),
            [
                "Joined a a 1",
                "Joined red a 1",
                "Joined blue a 1",
                "Left red a 1",
                "Left a a 0",
                "Left blue a 0",
            ]
        );
    }

    fn ids(adapter: &Adapter<Socket>, rooms: &[&str], except: &[&str]) -> Vec<String> {
        let selector = Selector {
            rooms: rooms.iter().map(|r| Room::from(*r)).collect(),
            except: except.iter().map(|r| Room::from(*r)).collect(),
        };
        let mut out: Vec<String> = adapter
            .select(&selector)
            .iter()
            .map(|s| s.id().to_owned())
            .collect();
        out.sort();
        out
    }

    #[test]
    fn a_walk_in_groups_reaches_each_socket_once_in_every_group_size() {
        let ns = Namespace::new(proto::Namespace::main(), proto::Parser::Json);
        // Around the group size: a group short, one full, one and a bit, two and a bit.
        for n in [
            1,
            WARM_GROUP - 1,
            WARM_GROUP,
            WARM_GROUP + 1,
            2 * WARM_GROUP + 7,
        ] {
            let room = format!("room{n}");
            let sockets: Vec<Socket> = (0..n)
                .map(|i| socket(&ns, &format!("{room}-{i:03}")))
                .collect();
            for s in &sockets {
                s.join(&room);
            }
            let mut want: Vec<String> = sockets.iter().map(|s| s.id().to_owned()).collect();
            want.sort();
            assert_eq!(ids(ns.adapter(), &[&room], &[]), want, "{n} sockets");
            // An exception in the middle of a group leaves a group short, and nothing else.
            let except = want[n / 2].clone();
            want.remove(n / 2);
            assert_eq!(ids(ns.adapter(), &[&room], &[&except]), want, "{n} sockets");
        }
    }

    #[test]
    fn rooms_own_rooms_exceptions_and_leaving() {
        let ns = Namespace::new(proto::Namespace::main(), proto::Parser::Json);
        let (a, b, c) = (socket(&ns, "a"), socket(&ns, "b"), socket(&ns, "c"));
        a.join("red");
        b.join("red");
        b.join("blue");
        c.join("blue");
        // Joining twice, or one's own room, changes nothing.
        b.join("red");
        a.join("a");
        let adapter = ns.adapter();
        assert_eq!(ids(adapter, &[], &[]), ["a", "b", "c"]);
        assert_eq!(ids(adapter, &["red"], &[]), ["a", "b"]);
        // A socket in two of the rooms is reached once.
        assert_eq!(ids(adapter, &["red", "blue"], &[]), ["a", "b", "c"]);
        // A socket's id is a room holding just it.
        assert_eq!(ids(adapter, &["c"], &[]), ["c"]);
        assert_eq!(ids(adapter, &["c", "blue"], &[]), ["b", "c"]);
        // Exceptions by room and by socket id (Node's `socket.broadcast.to(room)`).
        assert_eq!(ids(adapter, &["red", "blue"], &["blue"]), ["a"]);
        assert_eq!(ids(adapter, &[], &["b"]), ["a", "c"]);
        assert_eq!(ids(adapter, &["red"], &["a"]), ["b"]);
        // A room named like another socket's id reaches both.
        a.join("c");
        assert_eq!(ids(adapter, &["c"], &[]), ["a", "c"]);
        let mut rooms: Vec<String> = adapter
            .rooms_of("b")
            .iter()
            .map(|r| r.to_string())
            .collect();
        rooms.sort();
        assert_eq!(rooms, ["b", "blue", "red"]);
        // Leaving, and leaving every room on disconnect.
        b.leave("red");
        assert_eq!(ids(adapter, &["red"], &[]), ["a"]);
        adapter.remove("a");
        assert_eq!(ids(adapter, &["red"], &[]), Vec::<String>::new());
        assert_eq!(ids(adapter, &["c"], &[]), ["c"]);
        let mut names: Vec<String> = adapter.room_names().iter().map(|r| r.to_string()).collect();
        names.sort();
        assert_eq!(names, ["b", "blue", "c"]);
        assert_eq!(adapter.len(), 2);
    }
}
