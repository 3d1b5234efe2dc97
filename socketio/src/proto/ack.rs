//! Acknowledgements the server is waiting for on one namespace of one connection.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

/// Pending acknowledgement ids and their deadlines.
///
/// Ids are allocated from a counter starting at 0 (skipping ids still pending, should it ever
/// wrap). An ACK resolves its id once; an unknown or already resolved id is ignored, as Node does.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AckTable {
    next_id: u64,
    /// Pending ids, each with its deadline (`None`: waits as long as the namespace lives).
    pending: BTreeMap<u64, Option<Instant>>,
    /// The same deadlines ordered by time, for [`AckTable::next_deadline`] and expiry.
    deadlines: BTreeSet<(Instant, u64)>,
}

impl AckTable {
    /// Allocates a fresh id waiting until `deadline`.
    pub(crate) fn allocate(&mut self, deadline: Option<Instant>) -> u64 {
        let mut id = self.next_id;
        while self.pending.contains_key(&id) {
            id = id.wrapping_add(1);
        }
        self.next_id = id.wrapping_add(1);
        self.insert(id, deadline);
        id
    }

    /// Registers an id chosen by the caller; `false` if it is already pending.
    pub(crate) fn register(&mut self, id: u64, deadline: Option<Instant>) -> bool {
        if self.pending.contains_key(&id) {
            return false;
        }
        self.insert(id, deadline);
        true
    }

    fn insert(&mut self, id: u64, deadline: Option<Instant>) {
        self.pending.insert(id, deadline);
        if let Some(at) = deadline {
            self.deadlines.insert((at, id));
        }
    }

    /// Resolves `id`; `false` if it was not pending.
    pub(crate) fn resolve(&mut self, id: u64) -> bool {
        match self.pending.remove(&id) {
            Some(deadline) => {
                if let Some(at) = deadline {
                    self.deadlines.remove(&(at, id));
                }
                true
            }
            None => false,
        }
    }

    /// Removes and returns the ids whose deadline is at or before `now`, earliest first.
    pub(crate) fn expire(&mut self, now: Instant) -> Vec<u64> {
        let mut expired = Vec::new();
        while let Some(&(at, id)) = self.deadlines.first() {
            if at > now {
                break;
            }
            self.deadlines.pop_first();
            self.pending.remove(&id);
            expired.push(id);
        }
        expired
    }

    /// The earliest deadline.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.deadlines.first().map(|&(at, _)| at)
    }

    /// Number of pending acknowledgements.
    pub fn len(&self) -> usize {
        self.pending.len()
    }

    /// Whether no acknowledgement is pending.
    pub fn is_empty(&self) -> bool {
        self.pending.is_empty()
    }

    /// Whether `id` is pending.
    pub fn is_pending(&self, id: u64) -> bool {
        self.pending.contains_key(&id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    // `Instant` has no constructor but the clock: one reading is the origin the test advances.
    #[allow(clippy::disallowed_methods)]
    fn allocate_resolve_expire() {
        let t0 = Instant::now();
        let mut t = AckTable::default();
        let a = t.allocate(Some(t0 + Duration::from_secs(2)));
        let b = t.allocate(Some(t0 + Duration::from_secs(1)));
        let c = t.allocate(None);
        assert_eq!((a, b, c), (0, 1, 2));
        assert_eq!(t.next_deadline(), Some(t0 + Duration::from_secs(1)));
        assert!(!t.register(2, None));
        assert!(t.resolve(b));
        assert!(!t.resolve(b));
        assert_eq!(t.next_deadline(), Some(t0 + Duration::from_secs(2)));
        assert!(t.expire(t0 + Duration::from_millis(1999)).is_empty());
        assert_eq!(t.expire(t0 + Duration::from_secs(2)), vec![a]);
        assert_eq!(t.next_deadline(), None);
        assert_eq!(t.len(), 1);
        assert!(t.is_pending(c));
    }
}
