//! [`AttemptLimiter`]: password attempts per remote address, a few per window, in bounded memory.
//! No clock: the caller passes `now`.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

/// One address's window: when it started and how many attempts it saw.
#[derive(Clone, Copy, Debug)]
struct Window {
    start: Instant,
    attempts: u32,
}

/// Counts login attempts per address in fixed windows. Holds at most `capacity` addresses: when
/// full, finished windows are dropped first; if every address is still in its window, a new
/// address is refused until one ends (an attacker with many addresses slows down every login,
/// but cannot grow the table).
#[derive(Debug)]
pub(crate) struct AttemptLimiter {
    windows: HashMap<IpAddr, Window>,
    max_attempts: u32,
    window: Duration,
    capacity: usize,
}

impl AttemptLimiter {
    /// At most `max_attempts` per `window` per address, `capacity` addresses at a time.
    pub(crate) fn new(max_attempts: u32, window: Duration, capacity: usize) -> Self {
        Self {
            windows: HashMap::new(),
            max_attempts,
            window,
            capacity,
        }
    }

    /// Counts an attempt from `address`; false when it is over the limit.
    pub(crate) fn try_attempt(&mut self, address: IpAddr, now: Instant) -> bool {
        let window = self.window;
        if !self.windows.contains_key(&address) && self.windows.len() >= self.capacity {
            self.windows
                .retain(|_, w| now.saturating_duration_since(w.start) < window);
            if self.windows.len() >= self.capacity {
                return false;
            }
        }
        let entry = self.windows.entry(address).or_insert(Window {
            start: now,
            attempts: 0,
        });
        if now.saturating_duration_since(entry.start) >= window {
            *entry = Window {
                start: now,
                attempts: 0,
            };
        }
        if entry.attempts >= self.max_attempts {
            return false;
        }
        entry.attempts += 1;
        true
    }

    /// Addresses held now.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.windows.len()
    }
}

#[cfg(test)]
#[allow(clippy::disallowed_methods)]
mod tests {
    use super::*;

    fn ip(n: u8) -> IpAddr {
        IpAddr::from([10, 0, 0, n])
    }

    #[test]
    fn a_few_per_window_per_address() {
        let t0 = Instant::now();
        let mut limiter = AttemptLimiter::new(3, Duration::from_secs(1), 100);
        assert!((0..3).all(|_| limiter.try_attempt(ip(1), t0)));
        assert!(!limiter.try_attempt(ip(1), t0 + Duration::from_millis(999)));
        // Another address has its own window.
        assert!(limiter.try_attempt(ip(2), t0));
        // The next window.
        assert!(limiter.try_attempt(ip(1), t0 + Duration::from_secs(1)));
    }

    #[test]
    fn memory_is_bounded() {
        let t0 = Instant::now();
        let mut limiter = AttemptLimiter::new(3, Duration::from_secs(1), 4);
        assert!((0..4).all(|n| limiter.try_attempt(ip(n), t0)));
        // Full, every window still open: a new address waits.
        assert!(!limiter.try_attempt(ip(9), t0));
        assert_eq!(limiter.len(), 4);
        // Known addresses go on.
        assert!(limiter.try_attempt(ip(0), t0));
        // Once windows ended, they make room.
        assert!(limiter.try_attempt(ip(9), t0 + Duration::from_secs(2)));
        assert_eq!(limiter.len(), 1);
    }
}
