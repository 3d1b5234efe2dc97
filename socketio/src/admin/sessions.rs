//! [`SessionStore`]: the session ids handed to the Admin UI after a good password (Node's
//! `InMemoryStore`), so that its reconnections need no password. Bounded; no clock.

use std::collections::HashMap;
use std::time::{Duration, Instant};

/// Session ids and when each expires.
#[derive(Debug)]
pub(crate) struct SessionStore {
    sessions: HashMap<String, Instant>,
    ttl: Duration,
    capacity: usize,
}

impl SessionStore {
    /// Sessions live `ttl` after their login; at most `capacity` at a time (the oldest goes).
    pub(crate) fn new(ttl: Duration, capacity: usize) -> Self {
        Self {
            sessions: HashMap::new(),
            ttl,
            capacity,
        }
    }

    /// Keeps a new session.
    pub(crate) fn save(&mut self, id: String, now: Instant) {
        if self.sessions.len() >= self.capacity {
            self.sessions.retain(|_, expires| *expires > now);
        }
        if self.sessions.len() >= self.capacity {
            let oldest = (self.sessions.iter())
                .min_by_key(|(_, expires)| **expires)
                .map(|(id, _)| id.clone());
            if let Some(oldest) = oldest {
                self.sessions.remove(&oldest);
            }
        }
        self.sessions.insert(id, now + self.ttl);
    }

    /// Whether `id` is a live session.
    pub(crate) fn contains(&mut self, id: &str, now: Instant) -> bool {
        match self.sessions.get(id) {
            Some(expires) if *expires > now => true,
            Some(_) => {
                self.sessions.remove(id);
                false
            }
            None => false,
        }
    }
}

#[cfg(test)]
#[allow(clippy::disallowed_methods)]
mod tests {
    use super::*;

    #[test]
    fn sessions_expire_and_stay_bounded() {
        let t0 = Instant::now();
        let mut store = SessionStore::new(Duration::from_secs(10), 2);
        store.save("a".into(), t0);
        assert!(store.contains("a", t0 + Duration::from_secs(9)));
        assert!(!store.contains("a", t0 + Duration::from_secs(10)));
        assert!(!store.contains("zzz", t0));
        store.save("b".into(), t0);
        store.save("c".into(), t0 + Duration::from_secs(1));
        store.save("d".into(), t0 + Duration::from_secs(2));
        // `b`, the oldest, made room.
        assert!(!store.contains("b", t0 + Duration::from_secs(3)));
        assert!(store.contains("c", t0 + Duration::from_secs(3)));
        assert!(store.contains("d", t0 + Duration::from_secs(3)));
    }
}
