//! Connection state recovery (socket.io 4.6+), without I/O or clock: the packets a namespace sent
//! (each with its offset, so a returning client can say what it last got) and the sessions kept
//! for sockets whose transport dropped.
//!
//! ```text
//!  emit / broadcast (no ack, not volatile)      transport close, ping timeout, ...
//!       │ record(now, audience, encode)                │ keep(now, session)
//!       ▼                                              ▼
//!   PacketLog: [offset 7 | 8 | 9 | ...]          sessions by pid { sid, rooms, identity, data }
//!       ▲ bounded by age (the window) and bytes        │
//!       └────────── restore(now, pid, offset) ◄────────┘  CONNECT {pid, offset}: the session and
//!                                                          the packets after `offset` it was in
//!                                                          the audience of, in order
//! ```
//!
//! One store per namespace (Node keeps one per namespace adapter). A broadcast is stored once,
//! whatever the number of its receivers: its [`Encoded`] bytes are shared with every socket's
//! queue. Offsets are the namespace's counter written in decimal; a client sends back the last
//! one it got.

use super::auth::Identity;
use super::encode::Encoded;
use super::packet::Namespace;
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What a stored packet costs besides its bytes: its entry in the log, and the heap headers of
/// its text and attachment list (32 bytes). Counted against
/// [`RecoveryConfig::max_buffered_bytes`] so that many tiny packets are bounded too.
pub const PACKET_OVERHEAD: usize = std::mem::size_of::<Stored>() + 32;

/// What a kept session costs besides its names: its entry (with the core's part and a data map
/// handle of the runtime's size), its map slot and its place in the age queue.
pub const SESSION_OVERHEAD: usize =
    std::mem::size_of::<Session<[usize; 6]>>() + std::mem::size_of::<(u64, Box<str>)>() * 2 + 16;

/// Settings of connection state recovery (Node's `connectionStateRecovery`). Off unless a
/// server's [`Config`](super::Config) has one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecoveryConfig {
    /// How long a dropped socket's session is kept, and how old a stored packet may get
    /// (Node's `maxDisconnectionDuration`, default 2 minutes).
    pub max_disconnection_duration: Duration,
    /// Restore a session without running the namespace's connect checks (Node's
    /// `skipMiddlewares`, default true). Tokens are verified either way.
    pub skip_middlewares: bool,
    /// The most bytes a namespace's stored packets may take, and as many for its kept
    /// sessions (default 4 MiB each): past it the oldest go first.
    pub max_buffered_bytes: usize,
}

impl Default for RecoveryConfig {
    fn default() -> Self {
        Self {
            max_disconnection_duration: Duration::from_secs(120),
            skip_middlewares: true,
            max_buffered_bytes: 4 << 20,
        }
    }
}

/// The socket ids and rooms a packet went to (Node's `rooms` and `except`): the rule deciding
/// which stored packets a returning socket missed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Audience {
    /// Sockets in any of these rooms (every socket when empty). A socket's id names its room.
    pub rooms: Vec<Arc<str>>,
    /// Minus sockets in any of these rooms.
    pub except: Vec<Arc<str>>,
}

impl Audience {
    /// One socket, by its id (a direct emit).
    pub fn socket(sid: &str) -> Self {
        Self {
            rooms: vec![Arc::from(sid)],
            except: Vec::new(),
        }
    }

    /// Whether a socket in `rooms` (its own id included) was in the audience: Node's
    /// `shouldIncludePacket`.
    pub fn reaches(&self, rooms: &[Arc<str>]) -> bool {
        let included = self.rooms.is_empty() || rooms.iter().any(|r| self.rooms.contains(r));
        included && !rooms.iter().any(|r| self.except.contains(r))
    }

    fn weight(&self) -> usize {
        self.rooms.iter().chain(&self.except).map(|r| r.len()).sum()
    }
}

/// What the [`Connection`](super::Connection) keeps of a namespace whose transport dropped
/// ([`Output::SessionKept`](super::Output::SessionKept)), and gets back to restore it
/// ([`Connection::resume`](super::Connection::resume)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kept {
    /// The namespace.
    pub nsp: Namespace,
    /// The socket id, which the restored socket keeps.
    pub sid: Box<str>,
    /// The private session id the client was given.
    pub pid: Box<str>,
    /// Who it was.
    pub identity: Identity,
    /// When its credentials expire: a session whose deadline passed while it was away is not
    /// restored.
    pub expires_at: Option<Instant>,
}

/// A kept session: the core's part, the rooms the socket was in, and the runtime's data `D`.
#[derive(Debug, Clone)]
pub struct KeptSession<D> {
    /// What the core keeps.
    pub kept: Kept,
    /// The rooms (its own id included).
    pub rooms: Vec<Arc<str>>,
    /// The application's data on the socket.
    pub data: D,
    /// The last offset issued when the socket connected ([`RecoveryStore::last_offset`]): a
    /// client claiming an older one would be sent what went out before it existed, so it is
    /// refused.
    pub since: u64,
}

impl<D> KeptSession<D> {
    fn weight(&self) -> usize {
        let names: usize = self.rooms.iter().map(|r| r.len()).sum();
        // The verified claims are the peer's own bytes (a token's payload): they count too.
        let claims = (self.kept.identity.claims())
            .map_or(0, |c| serde_json::to_vec(c).map_or(0, |v| v.len()));
        SESSION_OVERHEAD + names + self.kept.sid.len() + self.kept.pid.len() + claims
    }
}

/// A session found for a returning client, with what it missed.
#[derive(Debug)]
pub struct Restored<D> {
    /// The session (taken out of the store: a pid restores once).
    pub session: KeptSession<D>,
    /// The stored packets after the client's offset that reached its rooms, oldest first.
    pub missed: Vec<Encoded>,
    /// The last offset issued when they were collected: see [`RecoveryStore::missed_since`].
    pub upto: u64,
}

struct Stored {
    offset: u64,
    at: Instant,
    audience: Audience,
    packet: Encoded,
    weight: usize,
}

struct Session<D> {
    session: KeptSession<D>,
    at: Instant,
    seq: u64,
    weight: usize,
}

/// The recovery state of one namespace. `D` is the runtime's data kept with each session.
pub struct RecoveryStore<D> {
    config: RecoveryConfig,
    packets: VecDeque<Stored>,
    packet_bytes: usize,
    /// The offset the next packet gets (offsets start at 1: 0 is "before everything").
    next_offset: u64,
    /// Written before each offset (`<tag>.<n>`): the client takes the last string argument of
    /// any event as its offset, so a bare number of the application's could pass for one.
    tag: Box<str>,
    sessions: HashMap<Box<str>, Session<D>>,
    /// Sessions by age: (seq, pid); an entry whose seq no longer matches was restored.
    order: VecDeque<(u64, Box<str>)>,
    next_seq: u64,
    session_bytes: usize,
}

impl<D> std::fmt::Debug for RecoveryStore<D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecoveryStore")
            .field("packets", &self.packets.len())
            .field("packet_bytes", &self.packet_bytes)
            .field("sessions", &self.sessions.len())
            .field("session_bytes", &self.session_bytes)
            .finish_non_exhaustive()
    }
}

impl<D> RecoveryStore<D> {
    /// An empty store.
    pub fn new(config: RecoveryConfig) -> Self {
        Self {
            config,
            packets: VecDeque::new(),
            packet_bytes: 0,
            next_offset: 1,
            tag: Box::from(""),
            sessions: HashMap::new(),
            order: VecDeque::new(),
            next_seq: 0,
            session_bytes: 0,
        }
    }

    /// Offsets written `<tag>.<n>` (the runtime gives a random tag per store): an offset the
    /// client sends back must carry it, so an application's string argument that the client
    /// took for an offset is never read as one.
    pub fn with_tag(mut self, tag: &str) -> Self {
        self.tag = Box::from(tag);
        self
    }

    /// An offset as it goes on the wire.
    fn offset_text(&self, offset: u64) -> String {
        if self.tag.is_empty() {
            offset.to_string()
        } else {
            format!("{}.{offset}", self.tag)
        }
    }

    /// An offset the client sent back, if it is one of this store's.
    fn parse_offset(&self, text: &str) -> Option<u64> {
        let number = if self.tag.is_empty() {
            text
        } else {
            text.strip_prefix(&*self.tag)?.strip_prefix('.')?
        };
        if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        number.parse().ok()
    }

    /// The settings.
    pub fn config(&self) -> &RecoveryConfig {
        &self.config
    }

    /// Gives the next offset to `encode` (which appends it to the event's arguments), stores
    /// the packet it returns for `audience`, and returns it to be sent. Older packets go when
    /// past the window or the byte bound.
    pub fn record<E>(
        &mut self,
        now: Instant,
        audience: Audience,
        encode: impl FnOnce(&str) -> Result<Encoded, E>,
    ) -> Result<Encoded, E> {
        let offset = self.next_offset;
        let packet = encode(&self.offset_text(offset))?;
        self.next_offset += 1;
        let weight = PACKET_OVERHEAD + packet.byte_len() + audience.weight();
        self.packet_bytes += weight;
        self.packets.push_back(Stored {
            offset,
            at: now,
            audience,
            packet: packet.clone(),
            weight,
        });
        self.expire_packets(now);
        Ok(packet)
    }

    /// Keeps the session of a socket whose transport dropped, until the window passes (or the
    /// byte bound pushes it out, oldest first). A session kept under the same pid replaces it.
    pub fn keep(&mut self, now: Instant, session: KeptSession<D>) {
        let pid = session.kept.pid.clone();
        self.remove_session(&pid);
        let weight = session.weight();
        let seq = self.next_seq;
        self.next_seq += 1;
        self.session_bytes += weight;
        self.order.push_back((seq, pid.clone()));
        let entry = Session {
            session,
            at: now,
            seq,
            weight,
        };
        self.sessions.insert(pid, entry);
        self.expire_sessions(now);
    }

    /// The session of `pid` with what it missed after `offset`, if it is kept, within the
    /// window, and no packet after `offset` was dropped. Otherwise `None` (a fresh connection,
    /// as in Node); the session is forgotten either way.
    pub fn restore(&mut self, now: Instant, pid: &str, offset: &str) -> Option<Restored<D>> {
        self.expire(now);
        let entry = self.remove_session(pid)?;
        let offset = self.parse_offset(offset)?;
        // Every packet after `offset` must still be here: the first one kept follows it at most.
        let first = self.packets.front().map_or(self.next_offset, |p| p.offset);
        if offset >= self.next_offset
            || offset < entry.session.since
            || offset.saturating_add(1) < first
        {
            return None;
        }
        let missed = self.collect(offset, &entry.session.rooms);
        let upto = self.next_offset - 1;
        Some(Restored {
            session: entry.session,
            missed,
            upto,
        })
    }

    /// The last offset issued (0 before the first packet).
    pub fn last_offset(&self) -> u64 {
        self.next_offset - 1
    }

    /// The stored packets after offset `upto` that reached `rooms`: those recorded since a
    /// [`restore`](Self::restore) collected the rest, until the socket is back in its rooms.
    /// `None` if one of them is gone already (the window or the byte bound dropped it while the
    /// restore waited for the connect checks): the socket would miss it.
    pub fn missed_since(&self, upto: u64, rooms: &[Arc<str>]) -> Option<Vec<Encoded>> {
        let first = self.packets.front().map_or(self.next_offset, |p| p.offset);
        if upto.saturating_add(1) < first {
            return None;
        }
        Some(self.collect(upto, rooms))
    }

    fn collect(&self, after: u64, rooms: &[Arc<str>]) -> Vec<Encoded> {
        let start = self.packets.partition_point(|p| p.offset <= after);
        self.packets
            .range(start..)
            .filter(|p| p.audience.reaches(rooms))
            .map(|p| p.packet.clone())
            .collect()
    }

    /// Drops the packets and sessions older than the window.
    pub fn expire(&mut self, now: Instant) {
        self.expire_packets(now);
        self.expire_sessions(now);
    }

    /// When the oldest packet or session leaves the window: call [`expire`](Self::expire) then.
    /// `None` when the store is empty.
    pub fn next_expiry(&self) -> Option<Instant> {
        let window = self.config.max_disconnection_duration;
        let packet = self.packets.front().map(|p| p.at);
        let session = self
            .order
            .iter()
            .find_map(|(seq, pid)| self.sessions.get(pid).filter(|s| s.seq == *seq))
            .map(|s| s.at);
        let oldest = packet.into_iter().chain(session).min()?;
        Some(oldest.checked_add(window).unwrap_or(oldest))
    }

    /// Bytes counted for the stored packets and for the kept sessions.
    pub fn bytes(&self) -> (usize, usize) {
        (self.packet_bytes, self.session_bytes)
    }

    /// Stored packets and kept sessions.
    pub fn len(&self) -> (usize, usize) {
        (self.packets.len(), self.sessions.len())
    }

    /// Whether nothing is stored.
    pub fn is_empty(&self) -> bool {
        self.packets.is_empty() && self.sessions.is_empty()
    }

    fn expired(&self, at: Instant, now: Instant) -> bool {
        now.saturating_duration_since(at) >= self.config.max_disconnection_duration
    }

    fn expire_packets(&mut self, now: Instant) {
        while let Some(front) = self.packets.front() {
            if self.packet_bytes <= self.config.max_buffered_bytes && !self.expired(front.at, now) {
                break;
            }
            self.packet_bytes -= front.weight;
            self.packets.pop_front();
        }
        if self.packets.is_empty() {
            self.packets = VecDeque::new();
        }
    }

    fn expire_sessions(&mut self, now: Instant) {
        while let Some((seq, pid)) = self.order.front() {
            let Some(session) = self.sessions.get(pid).filter(|s| s.seq == *seq) else {
                self.order.pop_front();
                continue;
            };
            if self.session_bytes <= self.config.max_buffered_bytes
                && !self.expired(session.at, now)
            {
                break;
            }
            let pid = pid.clone();
            self.remove_session(&pid);
            self.order.pop_front();
        }
        if self.sessions.is_empty() {
            self.sessions = HashMap::new();
            self.order = VecDeque::new();
        }
    }

    fn remove_session(&mut self, pid: &str) -> Option<Session<D>> {
        let entry = self.sessions.remove(pid)?;
        self.session_bytes -= entry.weight;
        Some(entry)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
// The tests pick a start instant; every later one is computed from it (a virtual clock).
#[allow(clippy::disallowed_methods)]
mod tests {
    use super::*;
    use crate::proto::{encode_event, Payload, RawJson};

    const WINDOW: Duration = Duration::from_secs(10);

    fn store(max_bytes: usize) -> RecoveryStore<u32> {
        RecoveryStore::new(RecoveryConfig {
            max_disconnection_duration: WINDOW,
            skip_middlewares: true,
            max_buffered_bytes: max_bytes,
        })
    }

    fn record(s: &mut RecoveryStore<u32>, now: Instant, audience: Audience, msg: &str) -> String {
        let packet = s
            .record(now, audience, |offset| {
                let args = vec![RawJson::string(msg), RawJson::string(offset)];
                Ok::<_, ()>(encode_event(
                    &Namespace::main(),
                    None,
                    "m",
                    &Payload::json(args).unwrap(),
                ))
            })
            .unwrap();
        packet.as_str().to_owned()
    }

    fn session(pid: &str, sid: &str, rooms: &[&str]) -> KeptSession<u32> {
        KeptSession {
            kept: Kept {
                nsp: Namespace::main(),
                sid: sid.into(),
                pid: pid.into(),
                identity: Identity::Anonymous,
                expires_at: None,
            },
            rooms: rooms.iter().map(|r| Arc::from(*r)).collect(),
            data: 7,
            since: 0,
        }
    }

    fn texts(packets: &[Encoded]) -> Vec<&str> {
        packets.iter().map(Encoded::as_str).collect()
    }

    fn room(r: &str) -> Audience {
        Audience {
            rooms: vec![Arc::from(r)],
            except: Vec::new(),
        }
    }

    #[test]
    #[cfg(target_pointer_width = "64")]
    fn overheads() {
        // The figures the README gives (section "Connection state recovery").
        assert_eq!((PACKET_OVERHEAD, SESSION_OVERHEAD), (168, 256));
    }

    #[test]
    fn offsets_are_appended_and_missed_packets_follow_the_audience() {
        let t0 = Instant::now();
        let mut s = store(1 << 20);
        assert_eq!(
            record(&mut s, t0, Audience::default(), "a"),
            r#"2["m","a","1"]"#
        );
        s.keep(t0, session("p", "s1", &["s1", "red"]));
        record(&mut s, t0, Audience::socket("s1"), "direct");
        record(&mut s, t0, Audience::socket("s2"), "other");
        record(&mut s, t0, room("red"), "red");
        record(&mut s, t0, room("blue"), "blue");
        let except = Audience {
            rooms: Vec::new(),
            except: vec![Arc::from("red")],
        };
        record(&mut s, t0, except, "not-red");
        record(&mut s, t0, Audience::default(), "all");
        let restored = s.restore(t0, "p", "1").unwrap();
        assert_eq!(restored.session.kept.sid.as_ref(), "s1");
        assert_eq!(restored.session.data, 7);
        assert_eq!(
            texts(&restored.missed),
            [
                r#"2["m","direct","2"]"#,
                r#"2["m","red","4"]"#,
                r#"2["m","all","7"]"#
            ]
        );
        assert_eq!(restored.upto, 7);
        // A pid restores once.
        assert!(s.restore(t0, "p", "1").is_none());
        // What came meanwhile is found from `upto`.
        record(&mut s, t0, room("red"), "late");
        let rooms = [Arc::from("s1"), Arc::from("red")];
        assert_eq!(
            texts(&s.missed_since(restored.upto, &rooms).unwrap()),
            [r#"2["m","late","8"]"#]
        );
    }

    #[test]
    fn tagged_offsets_are_read_back_and_nothing_else_is() {
        let t0 = Instant::now();
        let mut s = store(1 << 20).with_tag("Xk3b");
        assert_eq!(
            record(&mut s, t0, Audience::default(), "a"),
            r#"2["m","a","Xk3b.1"]"#
        );
        for (offset, known) in [
            ("Xk3b.1", true),
            ("Xk3b.0", true),
            ("1", false),
            ("Xk3b1", false),
            ("Xk3b.+1", false),
        ] {
            s.keep(t0, session("p", "s1", &["s1"]));
            assert_eq!(s.restore(t0, "p", offset).is_some(), known, "{offset}");
        }
    }

    #[test]
    fn packets_dropped_while_a_restore_waited_are_noticed() {
        let t0 = Instant::now();
        let mut s = store(400);
        s.keep(t0, session("p", "s1", &["s1"]));
        let restored = s.restore(t0, "p", "0").unwrap();
        let rooms = [Arc::from("s1")];
        assert_eq!(
            s.missed_since(restored.upto, &rooms).map(|m| m.len()),
            Some(0)
        );
        // Enough packets that the first one after `upto` is pushed out by the byte bound.
        for i in 0..10 {
            record(&mut s, t0, Audience::default(), &format!("{i}"));
        }
        assert!(s.missed_since(restored.upto, &rooms).is_none());
    }

    #[test]
    fn unknown_pid_bad_or_future_offset_is_a_fresh_connection() {
        let t0 = Instant::now();
        let mut s = store(1 << 20);
        record(&mut s, t0, Audience::default(), "a");
        assert!(s.restore(t0, "nope", "1").is_none());
        for offset in ["", "x", "-1", "2", "99999999999999999999999"] {
            s.keep(t0, session("p", "s1", &["s1"]));
            assert!(s.restore(t0, "p", offset).is_none(), "{offset:?}");
        }
        // Offset 0 (nothing received yet, nothing dropped) and the last one are fine.
        s.keep(t0, session("p", "s1", &["s1"]));
        assert_eq!(s.restore(t0, "p", "0").unwrap().missed.len(), 1);
        s.keep(t0, session("p", "s1", &["s1"]));
        assert!(s.restore(t0, "p", "1").unwrap().missed.is_empty());
        // An offset from before the socket connected is refused.
        let mut late = session("p", "s1", &["s1"]);
        late.since = s.last_offset();
        s.keep(t0, late);
        assert!(s.restore(t0, "p", "0").is_none());
    }

    #[test]
    fn the_window_expires_sessions_and_packets() {
        let t0 = Instant::now();
        let mut s = store(1 << 20);
        assert_eq!(s.next_expiry(), None);
        record(&mut s, t0, Audience::default(), "a");
        s.keep(t0 + Duration::from_secs(2), session("p", "s1", &["s1"]));
        assert_eq!(s.next_expiry(), Some(t0 + WINDOW));
        // Just inside the window of the session, the packet is gone but nothing after offset 1.
        s.expire(t0 + WINDOW);
        assert_eq!(s.len(), (0, 1));
        assert_eq!(s.next_expiry(), Some(t0 + Duration::from_secs(2) + WINDOW));
        let restored = s.restore(t0 + WINDOW, "p", "1").unwrap();
        assert!(restored.missed.is_empty());
        // Past the window, the session is gone.
        s.keep(t0, session("q", "s2", &["s2"]));
        assert!(s.restore(t0 + WINDOW, "q", "1").is_none());
        assert!(s.is_empty());
        assert_eq!(s.bytes(), (0, 0));
        assert_eq!(s.next_expiry(), None);
    }

    #[test]
    fn the_byte_bound_drops_the_oldest_and_then_refuses_offsets_before_it() {
        let t0 = Instant::now();
        let one = PACKET_OVERHEAD + r#"2["m","x","1"]"#.len();
        let mut s = store(3 * one);
        s.keep(t0, session("p", "s1", &["s1"]));
        for _ in 0..3 {
            record(&mut s, t0, Audience::default(), "x");
        }
        assert_eq!(s.len(), (3, 1));
        record(&mut s, t0, Audience::default(), "x");
        assert_eq!(s.len().0, 3);
        assert!(s.bytes().0 <= 3 * one);
        // Packet 1 was dropped: a client that last got nothing (offset 0) missed it.
        assert!(s.restore(t0, "p", "0").is_none());
        s.keep(t0, session("p", "s1", &["s1"]));
        assert_eq!(s.restore(t0, "p", "1").unwrap().missed.len(), 3);
        // Sessions have their own bound.
        let mut s = store(2 * session("p0", "s0", &["s0"]).weight());
        for i in 0..3 {
            s.keep(t0, session(&format!("p{i}"), &format!("s{i}"), &[]));
        }
        assert_eq!(s.len().1, 2);
        assert!(s.restore(t0, "p0", "0").is_none());
        assert!(s.restore(t0, "p2", "0").is_some());
    }
}
