//! Counters of what the adapter did, readable at any time with
//! [`RedisAdapter::metrics`](crate::RedisAdapter::metrics).

use std::sync::atomic::{AtomicU64, Ordering};

/// A snapshot of the adapter's counters (since it was created).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Metrics {
    /// Messages published to Redis.
    pub published: u64,
    /// Cluster messages that could not be sent (Redis unreachable, or the send queue full):
    /// the other nodes never saw them. Local delivery is not affected.
    pub send_failures: u64,
    /// Messages received from Redis.
    pub received: u64,
    /// Received messages this node sent itself (ignored, by uid).
    pub own_ignored: u64,
    /// Received messages that could not be decoded (ignored).
    pub malformed: u64,
    /// Times the subscription connection to Redis was lost and made again.
    pub reconnects: u64,
}

#[derive(Default)]
pub(crate) struct Counters {
    pub published: AtomicU64,
    pub send_failures: AtomicU64,
    pub received: AtomicU64,
    pub own_ignored: AtomicU64,
    pub malformed: AtomicU64,
    pub reconnects: AtomicU64,
}

impl Counters {
    pub(crate) fn bump(counter: &AtomicU64) -> u64 {
        counter.fetch_add(1, Ordering::Relaxed) + 1
    }

    pub(crate) fn snapshot(&self) -> Metrics {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        Metrics {
            published: get(&self.published),
            send_failures: get(&self.send_failures),
            received: get(&self.received),
            own_ignored: get(&self.own_ignored),
            malformed: get(&self.malformed),
            reconnects: get(&self.reconnects),
        }
    }
}
