//! [`WakeFlag`]: whether one of the things a task waits for (a session's WebSockets and timer, an
//! HTTP connection's head timer and shutdown) may have something for it, so a wake by anything
//! else does not poll it in vain.
//!
//! The thing is polled with a waker of its own, which notes that it woke the task and then wakes
//! it. A future that answered `Pending` to that waker has handed it on (to the reactor, to the
//! timer wheel) and will use it; until then polling it again can only answer `Pending` again.
//! Such a poll is not free: a WebSocket's goes through its frame reader and tokio's readiness check,
//! a timer's through tokio's timer entry (a few hundred instructions each). On a fan-out, where
//! every receiver is woken by its command queue, that was one wasted read attempt per delivery;
//! on an echo, one read attempt and one timer poll per burst; on long-polling, a timer poll and a
//! shutdown poll per request.

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
    /// The future answered `Ready` to its last poll, so it may be ready again: polled at the next
    /// chance, as if the shared flag were raised. Only the owning task reads and writes it, with
    /// a plain load and store (raising the shared flag and swapping it back down cost a locked
    /// swap per frame read); atomic only because the task's futures hold the flag by reference
    /// across their waits, which needs it `Sync`.
    again: AtomicBool,
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
        Self {
            shared,
            waker,
            again: AtomicBool::new(false),
        }
    }

    /// Notes that the future has something to do that no waker will report (a new socket,
    /// output queued (a pong among it), a timer moved).
    pub(crate) fn raise(&self) {
        self.shared.woken.store(true, Ordering::Release);
    }

    /// Runs one `poll` with the flag's waker if the flag is raised, else answers `Pending`
    /// without it. The flag is lowered first and counts as raised again after `Ready` (the future
    /// may be ready again: a socket may hold more frames, an expired timer stays expired until
    /// moved).
    pub(crate) fn poll_if_raised<T>(
        &self,
        poll: impl FnOnce(&mut Context<'_>) -> Poll<T>,
    ) -> Poll<T> {
        if self.again.load(Ordering::Relaxed) {
            // Ready last time: polled again without touching the shared flag, which a wake may
            // have raised meanwhile and which stays raised for the poll after this one.
            self.again.store(false, Ordering::Relaxed);
        } else if !self.shared.woken.load(Ordering::Acquire)
            || !self.shared.woken.swap(false, Ordering::AcqRel)
        {
            // Lowered: a load answers (a swap is a locked instruction, and a task woken by
            // anything else, as every receiver of a broadcast is, finds the flag lowered).
            return Poll::Pending;
        }
        let output = poll(&mut self.context());
        if output.is_ready() {
            self.again.store(true, Ordering::Relaxed);
        }
        output
    }

    /// One poll of [`when_flagged`] by hand: registers `cx`'s task to be woken when the flag's
    /// waker fires, then [`WakeFlag::poll_if_raised`].
    pub(crate) fn poll_for<T>(
        &self,
        cx: &Context<'_>,
        poll: impl FnOnce(&mut Context<'_>) -> Poll<T>,
    ) -> Poll<T> {
        self.shared.task.register(cx.waker());
        self.poll_if_raised(poll)
    }

    /// The context to poll the future with.
    pub(crate) fn context(&self) -> Context<'_> {
        Context::from_waker(&self.waker)
    }
}

/// Waits for `future`, polling it only while `flag` says it may be ready (with the flag's waker,
/// which raises it).
pub(crate) async fn when_flagged<F: Future + Unpin>(mut future: F, flag: &WakeFlag) -> F::Output {
    poll_fn(|cx| flag.poll_for(cx, |flagged| Pin::new(&mut future).poll(flagged))).await
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::runtime::wake_count::WakeCount;

    #[test]
    fn polled_while_raised_and_woken_through_the_flags_waker() {
        let (count, task) = WakeCount::waker();
        let mut cx = Context::from_waker(&task);
        let wake = WakeFlag::new();
        let mut polls = 0;
        let mut pending = |_: &mut Context<'_>| {
            polls += 1;
            Poll::<()>::Pending
        };
        assert!(wake.poll_if_raised(&mut pending).is_pending());
        assert!(wake.poll_if_raised(&mut pending).is_pending());
        assert_eq!(
            polls, 1,
            "a new flag is raised, then lowered by the Pending"
        );
        // `when_flagged` registers the task; the flag's waker raises the flag and wakes it.
        let mut waiting = std::pin::pin!(when_flagged(std::future::pending::<()>(), &wake));
        assert!(waiting.as_mut().poll(&mut cx).is_pending());
        wake.context().waker().wake_by_ref();
        assert_eq!(count.get(), 1, "the task is woken");
        assert!(wake.poll_if_raised(|_| Poll::Ready(())).is_ready());
        assert!(
            wake.poll_if_raised(|_| Poll::Ready(())).is_ready(),
            "raised again after Ready"
        );
        wake.raise();
        assert_eq!(count.get(), 1, "raise does not wake");
    }

    #[test]
    fn a_wake_while_ready_again_is_kept_for_the_poll_after() {
        let wake = WakeFlag::new();
        let mut polls = 0;
        assert!(wake.poll_if_raised(|_| Poll::Ready(())).is_ready());
        // Woken between the `Ready` and the next poll, which answers `Pending`: the wake still
        // counts, so the poll after that runs too.
        wake.context().waker().wake_by_ref();
        let mut pending = |_: &mut Context<'_>| {
            polls += 1;
            Poll::<()>::Pending
        };
        assert!(wake.poll_if_raised(&mut pending).is_pending());
        assert!(wake.poll_if_raised(&mut pending).is_pending());
        assert!(wake.poll_if_raised(&mut pending).is_pending());
        assert_eq!(
            polls, 2,
            "polled after the Ready and for the wake, then not"
        );
    }
}
