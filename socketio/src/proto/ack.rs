//! Acknowledgements the server is waiting for on one namespace of one connection.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

/// Pending acknowledgement ids, their deadlines, and what the runtime keeps with each (`W`: the
/// waiter to answer, e.g. a channel's sender; dropped with the table when the namespace goes).
///
/// Ids are allocated from a counter starting at 0 (skipping ids still pending, should it ever
/// wrap). An ACK resolves its id once; an unknown or already resolved id is ignored, as Node does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AckTable<W = ()> {
    next_id: u64,
    /// Pending ids, each with its deadline (`None`: waits as long as the namespace lives) and
    /// its waiter.
    pending: BTreeMap<u64, (Option<Instant>, W)>,
    /// The same deadlines ordered by time, for [`AckTable::next_deadline`] and expiry.
    deadlines: BTreeSet<(Instant, u64)>,
}

impl<W> Default for AckTable<W> {
    fn default() -> Self {
        Self {
            next_id: 0,
            pending: BTreeMap::new(),
            deadlines: BTreeSet::new(),
        }
    }
}

impl<W> AckTable<W> {
    /// The id [`AckTable::allocate`] gives next.
    pub(crate) fn peek_id(&self) -> u64 {
        let mut id = self.next_id;
        while self.pending.contains_key(&id) {
            id = id.wrapping_add(1);
        }
        id
    }

    /// Allocates a fresh id waiting until `deadline`.
    pub(crate) fn allocate(&mut self, deadline: Option<Instant>, waiter: W) -> u64 {
        let id = self.peek_id();
        self.next_id = id.wrapping_add(1);
        self.insert(id, deadline, waiter);
        id
    }

    /// Registers an id chosen by the caller; gives the waiter back if `id` is already pending.
    pub(crate) fn register(
        &mut self,
        id: u64,
        deadline: Option<Instant>,
        waiter: W,
    ) -> Result<(), W> {
        if self.pending.contains_key(&id) {
            return Err(waiter);
        }
        self.insert(id, deadline, waiter);
        Ok(())
    }

    fn insert(&mut self, id: u64, deadline: Option<Instant>, waiter: W) {
        self.pending.insert(id, (deadline, waiter));
        if let Some(at) = deadline {
            self.deadlines.insert((at, id));
        }
    }

    /// Resolves `id`, giving back its waiter; `None` if it was not pending.
    pub(crate) fn resolve(&mut self, id: u64) -> Option<W> {
        let (deadline, waiter) = self.pending.remove(&id)?;
        if let Some(at) = deadline {
            self.deadlines.remove(&(at, id));
        }
        Some(waiter)
    }

    /// Removes and returns the ids (with their waiters) whose deadline is at or before `now`,
    /// earliest first.
    pub(crate) fn expire(&mut self, now: Instant) -> Vec<(u64, W)> {
        let mut expired = Vec::new();
        while let Some(&(at, id)) = self.deadlines.first() {
            if at > now {
                break;
            }
            self.deadlines.pop_first();
            if let Some((_, waiter)) = self.pending.remove(&id) {
                expired.push((id, waiter));
            }
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
        let a = t.allocate(Some(t0 + Duration::from_secs(2)), 'a');
        let b = t.allocate(Some(t0 + Duration::from_secs(1)), 'b');
        let c = t.allocate(None, 'c');
        assert_eq!((a, b, c), (0, 1, 2));
        assert_eq!(t.next_deadline(), Some(t0 + Duration::from_secs(1)));
        assert_eq!(t.register(2, None, 'x'), Err('x'));
        assert_eq!(t.resolve(b), Some('b'));
        assert_eq!(t.resolve(b), None);
        assert_eq!(t.next_deadline(), Some(t0 + Duration::from_secs(2)));
        assert!(t.expire(t0 + Duration::from_millis(1999)).is_empty());
        assert_eq!(t.expire(t0 + Duration::from_secs(2)), vec![(a, 'a')]);
        assert_eq!(t.next_deadline(), None);
        assert_eq!(t.len(), 1);
        assert!(t.is_pending(c));
    }
}
