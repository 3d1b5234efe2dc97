//! [`WakeFlag`]: whether one of the things a session's task waits for (its WebSockets, its timer)
//! may have something for it, so a wake by anything else does not poll it in vain.
//!
//! The thing is polled with a waker of its own, which notes that it woke the task and then wakes
//! it. A future that answered `Pending` to that waker has handed it on (to the reactor, to the
//! timer wheel) and will use it; until then polling it again can only answer `Pending` again.
//! Such a poll is not free: a WebSocket's goes through tungstenite and tokio's readiness check,
//! a timer's through tokio's timer entry (a few hundred instructions each). On a fan-out, where
//! every receiver is woken by its command queue, that was one wasted read attempt per delivery;
//! on an echo, one read attempt and one timer poll per burst.

use futures_util::task::AtomicWaker;
use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

/// The waker a future is polled with, and the flag it raises.
pub(crate) struct WakeFlag {
    shared: Arc<Flag>,
    waker: Waker,
}

struct Flag {
    /// The future may have progressed since it last answered `Pending`.
    woken: AtomicBool,
    /// The task to wake.
    task: AtomicWaker,
}

impl Wake for Flag {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, Ordering::Release);
        self.task.wake();
    }
}

impl WakeFlag {
    /// Raised: the future is polled at the next chance.
    pub(crate) fn new() -> Self {
        let shared = Arc::new(Flag {
            woken: AtomicBool::new(true),
            task: AtomicWaker::new(),
        });
        let waker = Waker::from(Arc::clone(&shared));
        Self { shared, waker }
    }

    /// Notes that the future has something to do that no waker will report (a new socket,
    /// output queued, a frame of tungstenite's own to flush, a timer moved).
    pub(crate) fn raise(&self) {
        self.shared.woken.store(true, Ordering::Release);
    }

    /// Called by the task's poll: remembers its waker and says whether the future is worth
    /// polling; the flag is lowered, and the caller raises it again if the future answered
    /// `Ready` (it may be ready again: a socket may hold more frames).
    pub(crate) fn take(&self, cx: &Context<'_>) -> bool {
        self.shared.task.register(cx.waker());
        self.shared.woken.swap(false, Ordering::AcqRel)
    }

    /// Lowers the flag without a task waker (outside a poll of the task's wait, whose next
    /// poll registers the task again).
    pub(crate) fn take_now(&self) -> bool {
        self.shared.woken.swap(false, Ordering::AcqRel)
    }

    /// The context to poll the future with.
    pub(crate) fn context(&self) -> Context<'_> {
        Context::from_waker(&self.waker)
    }
}

/// Waits for `future`, polling it only while `flag` says it may be ready (with the flag's waker,
/// which raises it).
pub(crate) async fn when_flagged<F: Future + Unpin>(mut future: F, flag: &WakeFlag) -> F::Output {
    poll_fn(|cx| {
        if !flag.take(cx) {
            return Poll::Pending;
        }
        let output = Pin::new(&mut future).poll(&mut flag.context());
        if output.is_ready() {
            // Ready again until it is moved (an expired timer stays expired).
            flag.raise();
        }
        output
    })
    .await
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use std::sync::atomic::AtomicUsize;

    struct Count(AtomicUsize);
    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[test]
    fn raised_until_taken_and_woken_through_the_socket_waker() {
        let count = Arc::new(Count(AtomicUsize::new(0)));
        let task = Waker::from(Arc::clone(&count));
        let cx = Context::from_waker(&task);
        let wake = WakeFlag::new();
        assert!(wake.take(&cx), "a new flag is raised");
        assert!(!wake.take(&cx), "then not until woken");
        wake.context().waker().wake_by_ref();
        assert_eq!(count.0.load(Ordering::SeqCst), 1, "the task is woken");
        assert!(wake.take(&cx));
        wake.raise();
        assert!(wake.take_now());
        assert!(!wake.take_now());
        assert_eq!(count.0.load(Ordering::SeqCst), 1, "raise does not wake");
    }
}
