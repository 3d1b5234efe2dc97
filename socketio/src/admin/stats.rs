//! [`Stats`]: what the Admin UI's dashboard charts: clients, polling clients, and per-second
//! counts of raw connections, disconnections by reason, packets and bytes in and out (the
//! `aggregatedEvents` of `server_stats`, in Node's `EventBuffer` shape).
//!
//! Per packet the hooks add to four relaxed atomics of the calling thread's shard (so the cores
//! of a multi-threaded runtime do not pull one cache line back and forth per packet); once a
//! second the stats task moves them all into the bucket of the second that ended
//! ([`Stats::roll`]). Connections and disconnections (rare) go into their bucket at once, under a
//! lock.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Mutex;

/// The kinds of counted events, as the UI names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Kind {
    /// An Engine.IO connection opened.
    RawConnection,
    /// An Engine.IO connection closed (with its reason as sub-type).
    RawDisconnection,
    /// Engine.IO messages received.
    PacketsIn,
    /// Engine.IO messages sent.
    PacketsOut,
    /// Bytes received.
    BytesIn,
    /// Bytes sent.
    BytesOut,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::RawConnection => "rawConnection",
            Kind::RawDisconnection => "rawDisconnection",
            Kind::PacketsIn => "packetsIn",
            Kind::PacketsOut => "packetsOut",
            Kind::BytesIn => "bytesIn",
            Kind::BytesOut => "bytesOut",
        }
    }
}

/// A bucket: the second (ms since the epoch, a multiple of 1000), the kind, the sub-type.
type Key = (u64, Kind, Option<&'static str>);

/// At most this many buckets wait for the next `server_stats` (a stalled stats task cannot
/// grow memory): 6 kinds and a few reasons for a minute.
const MAX_BUCKETS: usize = 1024;

/// Shards of the per-packet counters: threads take them in turn.
const SHARDS: usize = 16;

/// One shard of the per-packet counters, on cache lines of its own (two: the prefetcher fetches
/// lines in pairs), indexed by [`ROLLED`]'s positions.
#[derive(Debug, Default)]
#[repr(align(128))]
struct Counters([AtomicU64; 4]);

/// What each position of [`Counters`] counts.
const ROLLED: [Kind; 4] = [
    Kind::PacketsIn,
    Kind::BytesIn,
    Kind::PacketsOut,
    Kind::BytesOut,
];

/// The calling thread's shard.
fn shard() -> usize {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    thread_local! {
        static SHARD: usize = NEXT.fetch_add(1, Ordering::Relaxed) % SHARDS;
    }
    SHARD.with(|shard| *shard)
}

/// The counters of one instrumented server.
#[derive(Debug, Default)]
pub(crate) struct Stats {
    clients: AtomicUsize,
    polling_clients: AtomicUsize,
    counters: [Counters; SHARDS],
    buckets: Mutex<HashMap<Key, u64>>,
}

impl Stats {
    /// A connection opened at `now_ms`.
    pub(crate) fn opened(&self, polling: bool, now_ms: u64) {
        self.clients.fetch_add(1, Ordering::Relaxed);
        if polling {
            self.polling_clients.fetch_add(1, Ordering::Relaxed);
        }
        self.count(now_ms, Kind::RawConnection, None, 1);
    }

    /// A connection left long-polling (it upgraded, or it is gone).
    pub(crate) fn polling_ended(&self) {
        let _ = (self.polling_clients)
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1));
    }

    /// A connection closed at `now_ms`, for `reason`.
    pub(crate) fn closed(&self, reason: &'static str, now_ms: u64) {
        self.count(now_ms, Kind::RawDisconnection, Some(reason), 1);
    }

    /// A connection is gone (`polling`: it was still on long-polling).
    pub(crate) fn dropped(&self, polling: bool) {
        let _ =
            (self.clients).fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1));
        if polling {
            self.polling_ended();
        }
    }

    /// Messages received.
    pub(crate) fn packets_in(&self, packets: usize, bytes: usize) {
        self.add(0, packets, bytes);
    }

    /// Messages sent.
    pub(crate) fn packets_out(&self, packets: usize, bytes: usize) {
        self.add(2, packets, bytes);
    }

    /// Adds to the packets counted at `at` and the bytes after it, in the calling thread's shard.
    fn add(&self, at: usize, packets: usize, bytes: usize) {
        let Counters(counters) = &self.counters[shard()];
        counters[at].fetch_add(packets as u64, Ordering::Relaxed);
        counters[at + 1].fetch_add(bytes as u64, Ordering::Relaxed);
    }

    /// Connections now, and those of them on long-polling.
    pub(crate) fn clients(&self) -> (usize, usize) {
        (
            self.clients.load(Ordering::Relaxed),
            self.polling_clients.load(Ordering::Relaxed),
        )
    }

    /// Moves the packet and byte counters into the bucket of the second before `now_ms`.
    pub(crate) fn roll(&self, now_ms: u64) {
        let second = now_ms.saturating_sub(1000);
        for (at, kind) in ROLLED.into_iter().enumerate() {
            let n: u64 = (self.counters.iter())
                .map(|Counters(shard)| shard[at].swap(0, Ordering::Relaxed))
                .sum();
            if n > 0 {
                self.count(second, kind, None, n);
            }
        }
    }

    /// The buckets since the last call, as `aggregatedEvents` (and empties them).
    pub(crate) fn take_aggregated(&self) -> Vec<serde_json::Value> {
        let buckets = std::mem::take(&mut *self.lock());
        let mut events: Vec<_> = buckets.into_iter().collect();
        events.sort_by_key(|((second, kind, sub), _)| (*second, kind.as_str(), *sub));
        (events.into_iter())
            .map(|((timestamp, kind, sub), count)| {
                let mut event = serde_json::json!({
                    "timestamp": timestamp,
                    "type": kind.as_str(),
                    "count": count,
                });
                if let (Some(sub), Some(object)) = (sub, event.as_object_mut()) {
                    object.insert("subType".to_owned(), sub.into());
                }
                event
            })
            .collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Key, u64>> {
        self.buckets.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn count(&self, at_ms: u64, kind: Kind, sub: Option<&'static str>, n: u64) {
        let key = (at_ms - at_ms % 1000, kind, sub);
        let mut buckets = self.lock();
        if buckets.len() >= MAX_BUCKETS && !buckets.contains_key(&key) {
            return;
        }
        *buckets.entry(key).or_insert(0) += n;
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn buckets_per_second_kind_and_reason() {
        let stats = Stats::default();
        stats.opened(true, 5_100);
        stats.opened(false, 5_900);
        assert_eq!(stats.clients(), (2, 1));
        stats.polling_ended();
        stats.packets_in(2, 30);
        stats.packets_out(1, 7);
        stats.roll(6_200);
        stats.closed("transport close", 6_300);
        stats.dropped(false);
        stats.dropped(false);
        stats.dropped(false);
        assert_eq!(stats.clients(), (0, 0));
        let events = serde_json::Value::Array(stats.take_aggregated());
        assert_eq!(
            events,
            serde_json::json!([
                {"timestamp": 5000, "type": "bytesIn", "count": 30},
                {"timestamp": 5000, "type": "bytesOut", "count": 7},
                {"timestamp": 5000, "type": "packetsIn", "count": 2},
                {"timestamp": 5000, "type": "packetsOut", "count": 1},
                {"timestamp": 5000, "type": "rawConnection", "count": 2},
                {"timestamp": 6000, "type": "rawDisconnection", "subType": "transport close", "count": 1},
            ])
        );
        assert!(stats.take_aggregated().is_empty());
    }

    #[test]
    fn every_threads_counts_are_rolled() {
        let stats = std::sync::Arc::new(Stats::default());
        let threads: Vec<_> = (0..20)
            .map(|_| {
                let stats = stats.clone();
                std::thread::spawn(move || {
                    for _ in 0..100 {
                        stats.packets_in(1, 10);
                        stats.packets_out(2, 5);
                    }
                })
            })
            .collect();
        threads.into_iter().for_each(|t| t.join().unwrap());
        stats.roll(3_000);
        let events = serde_json::Value::Array(stats.take_aggregated());
        assert_eq!(
            events,
            serde_json::json!([
                {"timestamp": 2000, "type": "bytesIn", "count": 20_000},
                {"timestamp": 2000, "type": "bytesOut", "count": 10_000},
                {"timestamp": 2000, "type": "packetsIn", "count": 2_000},
                {"timestamp": 2000, "type": "packetsOut", "count": 4_000},
            ])
        );
        // Rolled means taken: nothing is counted twice.
        stats.roll(4_000);
        assert!(stats.take_aggregated().is_empty());
    }
}
