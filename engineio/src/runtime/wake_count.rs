//! A waker that counts its wakes, for the runtime's tests of who wakes whom and when.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Wake, Waker};

/// How many times the waker made with it was woken.
pub(crate) struct WakeCount(AtomicUsize);

impl WakeCount {
    /// A count at zero and the waker that raises it.
    pub(crate) fn waker() -> (Arc<Self>, Waker) {
        let count = Arc::new(Self(AtomicUsize::new(0)));
        (Arc::clone(&count), Waker::from(count))
    }

    /// The wakes so far.
    pub(crate) fn get(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

impl Wake for WakeCount {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}
