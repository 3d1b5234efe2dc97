//! A bounded queue from many tasks to one session's task.
//!
//! Made for many idle sessions and for a receiver that is often busy: it allocates nothing until
//! something is queued (tokio's channels allocate a block of 32 slots up front), and a send wakes
//! the receiver only while it is waiting, not while it is already running (a receiver that takes
//! a value with [`Receiver::try_recv`] stops being woken until it waits again, and a send from the
//! receiver's own task never wakes it). A send made in another session's burst wakes the receiver
//! when that burst ends ([`super::held_wakes`]). Waiting again with the same waker while nothing
//! changed takes no lock.
//!
//! Besides its count bound, a queue can hold values in bytes: [`Sender::try_send_weighted`] admits
//! a value by the send budget's rule ([`crate::proto::budget::admits`]) over the bytes queued here
//! plus the bytes its receiver reported held further on ([`Receiver::sync`]), so one
//! budget covers a session's command queue and everything after it.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};
use tokio::sync::Notify;

struct State<T> {
    /// Each value with its weight in bytes.
    queue: VecDeque<(T, usize)>,
    capacity: usize,
    /// The receiver's waker while it waits.
    waker: Option<Waker>,
    /// The tokio task the receiver waits in (with its waker): a sender running in that task is
    /// the receiver's own task at work, which looks at the queue again before it waits, so it
    /// is not woken (a session's handlers send to their own connection's queue).
    receiver_task: Option<tokio::task::Id>,
    receiver_alive: bool,
}

/// What a send and a receive touch comes first, in declaration order (`repr(C)`: the lock and the
/// queue, then the counts and flags read beside them), and the `Notify` of the rare waits last: a
/// broadcast to many receivers finds each one's queue cold, and each line it spans is a miss.
#[repr(C)]
struct Shared<T> {
    state: Mutex<State<T>>,
    /// The weights of the queued values (changed under the lock; the receiver reads it without).
    bytes: AtomicUsize,
    /// What the receiver holds further on, counted against the same budget (written by the
    /// receiver without the lock, on each of its wakes).
    downstream: AtomicUsize,
    /// The senders alive. Outside the lock: a sender is cloned and dropped for each request a
    /// long-polling session gets, and only the last one's drop needs the lock (to wake the
    /// receiver).
    senders: AtomicUsize,
    /// The queue is empty (written under the lock by each change): [`Receiver::try_recv`] then
    /// answers without the lock, which a session asks several times per message it reads,
    /// nearly always in vain.
    empty: AtomicBool,
    /// The queue is empty, a receiver's waker is kept and senders remain (written under the
    /// lock by each change of any): a receiver polled again with the same waker then waits on
    /// without the lock. A session polls its queues every time it waits (once per burst it
    /// reads), and they are nearly always empty.
    parked: AtomicBool,
    /// A weighted send was refused since the receiver last asked (set under the lock).
    refused: AtomicBool,
    /// Senders waiting in [`Sender::send_weighted`]: only then does a fall of `downstream` wake.
    waiting: AtomicUsize,
    /// Senders waiting for room, and waiters of [`Sender::closed`].
    changed: Notify,
}

impl<T> Shared<T> {
    /// Takes the next value. Its weight moves from `bytes` to `downstream` (the receiver holds
    /// it now), so a sender never sees it counted nowhere before the receiver's next report.
    fn pop(&self, state: &mut State<T>) -> Option<T> {
        let (value, weight) = state.queue.pop_front()?;
        if weight > 0 {
            // Only the receiver writes `downstream` (here and in `sync`, which needs `&self`
            // where this needs `&mut self`), and `bytes` changes under the lock.
            set(&self.downstream, |d| d + weight);
            set(&self.bytes, |b| b.saturating_sub(weight));
        }
        Some(value)
    }

    /// Records whether `state` is empty and parked; called under the lock after each change of
    /// its queue, waker or senders.
    fn settle(&self, state: &State<T>) {
        let empty = state.queue.is_empty();
        self.empty.store(empty, Ordering::Release);
        let parked = empty && state.waker.is_some() && self.senders.load(Ordering::Acquire) > 0;
        self.parked.store(parked, Ordering::Release);
    }

    fn lock(&self) -> MutexGuard<'_, State<T>> {
        // Nothing panics while holding the lock; a poisoned queue is still a consistent queue.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Changes a count that has one writer at a time (the receiver alone, or whoever holds the lock)
/// and readers without the lock: a load and a store, not a locked read-modify-write, which would
/// wait for every earlier store, and a broadcast's stores to a cold queue miss the cache.
fn set(count: &AtomicUsize, change: impl FnOnce(usize) -> usize) {
    count.store(change(count.load(Ordering::Relaxed)), Ordering::Relaxed);
}

/// Why [`Sender::try_send`] gave the value back.
#[derive(Debug)]
pub(crate) enum TrySendError<T> {
    /// The queue holds `capacity` values.
    Full(T),
    /// The receiver is gone.
    Closed(T),
}

/// Makes a queue holding at most `capacity` values (at least one).
pub(crate) fn mailbox<T>(capacity: usize) -> (Sender<T>, Receiver<T>) {
    let shared = Arc::new(Shared {
        state: Mutex::new(State {
            queue: VecDeque::new(),
            capacity: capacity.max(1),
            waker: None,
            receiver_task: None,
            receiver_alive: true,
        }),
        senders: AtomicUsize::new(1),
        changed: Notify::new(),
        bytes: AtomicUsize::new(0),
        downstream: AtomicUsize::new(0),
        refused: AtomicBool::new(false),
        waiting: AtomicUsize::new(0),
        empty: AtomicBool::new(true),
        parked: AtomicBool::new(false),
    });
    let receiver = Receiver {
        shared: shared.clone(),
        kept: None,
    };
    (Sender(shared), receiver)
}

/// The sending side; cheap to clone.
pub(crate) struct Sender<T>(Arc<Shared<T>>);

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        // A clone is made from a live sender: the count is never revived from zero.
        self.0.senders.fetch_add(1, Ordering::Relaxed);
        Self(self.0.clone())
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        if self.0.senders.fetch_sub(1, Ordering::AcqRel) != 1 {
            return;
        }
        // The last sender: a waiting receiver must see the end. It reads the count under the
        // lock before it waits, so either it saw this drop or its waker is taken here.
        let waker = {
            let mut state = self.0.lock();
            let waker = state.waker.take();
            self.0.settle(&state);
            waker
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

impl<T> std::fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sender").finish_non_exhaustive()
    }
}

impl<T> Sender<T> {
    /// Queues `value` unless the queue is full or the receiver gone.
    pub(crate) fn try_send(&self, value: T) -> Result<(), TrySendError<T>> {
        self.try_send_weighted(value, 0, usize::MAX)
    }

    /// Queues `value`, which weighs `weight` bytes, unless the queue is full (in values, or in
    /// bytes: `budget` over what is queued here and downstream) or the receiver gone.
    pub(crate) fn try_send_weighted(
        &self,
        value: T,
        weight: usize,
        budget: usize,
    ) -> Result<(), TrySendError<T>> {
        let waker = {
            let mut state = self.0.lock();
            if !state.receiver_alive {
                return Err(TrySendError::Closed(value));
            }
            let shared = &self.0;
            let queued = (shared.bytes.load(Ordering::Relaxed))
                .saturating_add(shared.downstream.load(Ordering::Relaxed));
            if state.queue.len() >= state.capacity
                || (weight > 0 && !crate::proto::budget::admits(queued, weight, budget))
            {
                // The first refusal wakes a waiting receiver: the session times the grace of a
                // client at its budget from it.
                let waker = if shared.refused.swap(true, Ordering::Relaxed) {
                    None
                } else {
                    state.waker.take()
                };
                shared.settle(&state);
                drop(state);
                if let Some(waker) = waker {
                    waker.wake();
                }
                return Err(TrySendError::Full(value));
            }
            if weight > 0 {
                set(&shared.bytes, |b| b + weight);
            }
            state.queue.push_back((value, weight));
            // The task is looked up only for a receiver that waits (most sends of a burst find
            // its waker taken by the first).
            let own_task =
                || state.receiver_task.is_some() && state.receiver_task == tokio::task::try_id();
            let waker = if state.waker.is_none() || own_task() {
                None
            } else {
                state.waker.take()
            };
            shared.settle(&state);
            waker
        };
        if let Some(waker) = waker {
            // Held to the end of the sender's burst, if it is in one (a broadcast: see
            // `held_wakes`).
            super::held_wakes::wake(waker);
        }
        Ok(())
    }

    /// Queues `value`, waiting while the queue is full; gives it back if the receiver is gone.
    pub(crate) async fn send(&self, value: T) -> Result<(), T> {
        self.send_weighted(value, 0, usize::MAX).await
    }

    /// [`Sender::try_send_weighted`], waiting while the queue is full.
    pub(crate) async fn send_weighted(
        &self,
        mut value: T,
        weight: usize,
        budget: usize,
    ) -> Result<(), T> {
        /// Counts the sender among those waiting while it waits.
        struct Waiting<'a>(&'a AtomicUsize);
        impl Drop for Waiting<'_> {
            fn drop(&mut self) {
                self.0.fetch_sub(1, Ordering::Relaxed);
            }
        }
        // Most sends find room: try once before setting up the wait (a `Notify` registration
        // takes its lock twice, the bulk of a send's cost on the long-polling path).
        match self.try_send_weighted(value, weight, budget) {
            Ok(()) => return Ok(()),
            Err(TrySendError::Closed(v)) => return Err(v),
            Err(TrySendError::Full(v)) => value = v,
        }
        self.0.waiting.fetch_add(1, Ordering::Relaxed);
        let _waiting = Waiting(&self.0.waiting);
        loop {
            let notified = self.0.changed.notified();
            tokio::pin!(notified);
            // Registered before the attempt, so a slot freed in between is not missed.
            notified.as_mut().enable();
            match self.try_send_weighted(value, weight, budget) {
                Ok(()) => return Ok(()),
                Err(TrySendError::Closed(v)) => return Err(v),
                Err(TrySendError::Full(v)) => value = v,
            }
            notified.await;
        }
    }

    /// Reads a word of each cache line a send touches (the `Arc`'s counts, the lock, the byte
    /// counts, the flags) and gives back what it read, which means nothing. Reads only, none
    /// locked: a broadcast reads ahead for a group of receivers, so their misses overlap instead
    /// of each waiting behind the locked instructions of the send before it.
    pub(crate) fn touch(&self) -> usize {
        let shared = &*self.0;
        Arc::strong_count(&self.0)
            ^ usize::from(shared.state.is_poisoned())
            ^ shared.bytes.load(Ordering::Relaxed)
            ^ usize::from(shared.empty.load(Ordering::Relaxed))
    }

    /// An id of the queue, the same for every sender of it and different from every other live
    /// queue's (its address; reused only once the queue is gone).
    pub(crate) fn queue_id(&self) -> usize {
        Arc::as_ptr(&self.0).cast::<()>() as usize
    }

    /// The bytes queued here plus what the receiver last reported held downstream.
    pub(crate) fn queued_bytes(&self) -> usize {
        (self.0.bytes.load(Ordering::Relaxed))
            .saturating_add(self.0.downstream.load(Ordering::Relaxed))
    }

    /// Whether the receiver is gone.
    pub(crate) fn is_closed(&self) -> bool {
        !self.0.lock().receiver_alive
    }

    /// Waits until the receiver is gone.
    pub(crate) async fn closed(&self) {
        loop {
            let notified = self.0.changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.is_closed() {
                return;
            }
            notified.await;
        }
    }
}

/// The receiving side: one per queue.
pub(crate) struct Receiver<T> {
    shared: Arc<Shared<T>>,
    /// The waker last left in the queue (a copy, to compare the next one with without the lock).
    kept: Option<Waker>,
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        let dropped = {
            let mut state = self.shared.lock();
            state.receiver_alive = false;
            state.waker = None;
            self.shared.bytes.store(0, Ordering::Relaxed);
            let dropped = std::mem::take(&mut state.queue);
            self.shared.settle(&state);
            dropped
        };
        // The values may own senders of this queue: drop them without the lock.
        drop(dropped);
        self.shared.changed.notify_waiters();
    }
}

impl<T> Receiver<T> {
    /// The next value if one is queued. Taking one stops waking this receiver until it waits
    /// again (it is running: it will look again before it waits).
    #[inline]
    pub(crate) fn try_recv(&mut self) -> Option<T> {
        if self.shared.empty.load(Ordering::Acquire) {
            // Nothing to take. A value queued since is taken by the next call, or by the next
            // wait (its sender wakes the waker kept, if any).
            return None;
        }
        self.take()
    }

    /// [`Receiver::try_recv`] once the queue was seen holding something: under the lock. Never
    /// inlined, so that the look at an empty queue (at least once per wake of a session) stays
    /// a load and a branch, without this path's register saves.
    #[inline(never)]
    fn take(&mut self) -> Option<T> {
        let (value, room) = {
            let mut state = self.shared.lock();
            state.waker = None;
            let was_full = state.queue.len() >= state.capacity;
            let value = self.shared.pop(&mut state);
            self.shared.settle(&state);
            let room = was_full && value.is_some();
            (value, room)
        };
        if room {
            self.shared.changed.notify_waiters();
        }
        value
    }

    /// Reports the bytes the receiver holds further on (they count against the budget of
    /// weighted sends; senders waiting for room are woken when it falls) and returns the bytes
    /// queued here and whether a weighted send was refused since the last call. No lock: the
    /// receiver calls it on every wake.
    pub(crate) fn sync(&self, downstream: usize) -> (usize, bool) {
        let shared = &self.shared;
        let before = shared.downstream.swap(downstream, Ordering::Relaxed);
        if downstream < before && shared.waiting.load(Ordering::Relaxed) > 0 {
            shared.changed.notify_waiters();
        }
        let refused =
            shared.refused.load(Ordering::Relaxed) && shared.refused.swap(false, Ordering::Relaxed);
        (shared.bytes.load(Ordering::Relaxed), refused)
    }

    /// The bytes of the weighted values queued now.
    pub(crate) fn bytes_here(&self) -> usize {
        self.shared.bytes.load(Ordering::Relaxed)
    }

    /// Records a weighted send refused elsewhere under this queue's budget (by the receiver's
    /// own task, which queued it somewhere else): [`Receiver::sync`] reports it like one refused
    /// here.
    pub(crate) fn note_refused(&self) {
        self.shared.refused.store(true, Ordering::Relaxed);
    }

    /// Gives back the memory of past bursts if the queue is empty (a session calls this when it
    /// has been quiet for a while; doing it on every empty queue would reallocate on each burst).
    pub(crate) fn release_memory(&mut self) {
        let mut state = self.shared.lock();
        if state.queue.is_empty() && state.queue.capacity() > 4 {
            state.queue = VecDeque::new();
        }
    }

    /// The next value; `None` once the queue is empty and every sender is gone. (A session's
    /// task polls its queues by hand: [`Receiver::poll_recv`].)
    #[cfg(test)]
    pub(crate) async fn recv(&mut self) -> Option<T> {
        std::future::poll_fn(|cx| self.poll_recv(cx, false))
            .await
            .unwrap_or(None)
    }

    /// The next value (`None` once the queue is empty and every sender is gone); with
    /// `refusals`, `Err(())` instead of waiting as soon as a weighted send has been refused since
    /// the last [`Receiver::sync`] (the session must hear of it, with the time, even when nothing
    /// is queued; checked under the lock that a refusing sender holds, so none is missed).
    #[inline]
    pub(crate) fn poll_recv(
        &mut self,
        cx: &mut Context<'_>,
        refusals: bool,
    ) -> Poll<Result<Option<T>, ()>> {
        // Still parked with this same waker: nothing was queued (a sender that queues takes the
        // waker and wakes it, which unparks), no sender left, and the refusals are checked here.
        if self.shared.parked.load(Ordering::Acquire)
            && (self.kept.as_ref()).is_some_and(|kept| kept.will_wake(cx.waker()))
            && !(refusals && self.shared.refused.load(Ordering::Relaxed))
        {
            return Poll::Pending;
        }
        self.poll_locked(cx, refusals)
    }

    /// [`Receiver::poll_recv`] past its look without the lock. Never inlined, as
    /// [`Receiver::take`].
    #[inline(never)]
    fn poll_locked(&mut self, cx: &mut Context<'_>, refusals: bool) -> Poll<Result<Option<T>, ()>> {
        let (poll, room) = {
            let mut state = self.shared.lock();
            let was_full = state.queue.len() >= state.capacity;
            let poll = match self.shared.pop(&mut state) {
                Some(value) => {
                    state.waker = None;
                    (Poll::Ready(Ok(Some(value))), was_full)
                }
                None if self.shared.senders.load(Ordering::Acquire) == 0 => {
                    (Poll::Ready(Ok(None)), false)
                }
                None if refusals && self.shared.refused.load(Ordering::Relaxed) => {
                    (Poll::Ready(Err(())), false)
                }
                None => {
                    match &mut state.waker {
                        Some(waker) if waker.will_wake(cx.waker()) => {}
                        slot => *slot = Some(cx.waker().clone()),
                    }
                    state.receiver_task = tokio::task::try_id();
                    if !(self.kept.as_ref()).is_some_and(|kept| kept.will_wake(cx.waker())) {
                        self.kept = Some(cx.waker().clone());
                    }
                    (Poll::Pending, false)
                }
            };
            self.shared.settle(&state);
            poll
        };
        if room {
            self.shared.changed.notify_waiters();
        }
        poll
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::runtime::wake_count::WakeCount;

    #[tokio::test]
    async fn order_bound_and_close() {
        let (tx, mut rx) = mailbox::<u32>(2);
        tx.try_send(1).unwrap();
        tx.try_send(2).unwrap();
        assert!(matches!(tx.try_send(3), Err(TrySendError::Full(3))));
        // A waiting send goes in once there is room.
        let tx2 = tx.clone();
        let waiting = tokio::spawn(async move { tx2.send(3).await });
        tokio::task::yield_now().await;
        assert_eq!(rx.try_recv(), Some(1));
        waiting.await.unwrap().unwrap();
        assert_eq!(rx.recv().await, Some(2));
        assert_eq!(rx.recv().await, Some(3));
        assert_eq!(rx.try_recv(), None);
        drop(tx);
        assert_eq!(rx.recv().await, None);
    }

    #[tokio::test]
    async fn receiver_gone() {
        let (tx, rx) = mailbox::<u32>(1);
        let waiter = {
            let tx = tx.clone();
            tokio::spawn(async move { tx.closed().await })
        };
        tokio::task::yield_now().await;
        drop(rx);
        waiter.await.unwrap();
        assert!(tx.is_closed());
        assert!(matches!(tx.try_send(1), Err(TrySendError::Closed(1))));
        assert_eq!(tx.send(2).await, Err(2));
    }

    #[tokio::test]
    async fn bytes_bound_with_downstream() {
        let (tx, mut rx) = mailbox::<u32>(100);
        // One value alone always fits; then the budget counts what is queued and downstream.
        tx.try_send_weighted(1, 150, 100).unwrap();
        assert!(matches!(
            tx.try_send_weighted(2, 10, 100),
            Err(TrySendError::Full(2))
        ));
        assert_eq!(rx.sync(0), (150, true));
        assert_eq!(rx.sync(0), (150, false), "the refusal is reported once");
        assert_eq!(rx.try_recv(), Some(1));
        assert_eq!(
            tx.queued_bytes(),
            150,
            "taken, it counts downstream until the next report"
        );
        rx.sync(95);
        tx.try_send_weighted(3, 5, 100).unwrap();
        // A waiting send goes in once downstream falls.
        let tx2 = tx.clone();
        let waiting = tokio::spawn(async move { tx2.send_weighted(4, 50, 100).await });
        tokio::task::yield_now().await;
        assert!(!waiting.is_finished());
        assert_eq!(rx.sync(0), (5, true), "the waiting send was refused once");
        waiting.await.unwrap().unwrap();
        assert_eq!(rx.sync(0), (55, false));
        assert_eq!(rx.try_recv(), Some(3));
        assert_eq!(rx.try_recv(), Some(4));
        assert_eq!(rx.sync(0), (0, false));
    }

    /// Polls `rx` once with `cx`, as a session's wait does.
    fn poll_once(
        rx: &mut Receiver<u32>,
        cx: &mut Context<'_>,
        refusals: bool,
    ) -> Poll<Result<Option<u32>, ()>> {
        rx.poll_recv(cx, refusals)
    }

    #[test]
    fn a_parked_receiver_is_woken_by_a_send_a_refusal_and_the_last_sender() {
        let (count, waker) = WakeCount::waker();
        let mut cx = Context::from_waker(&waker);
        let (tx, mut rx) = mailbox::<u32>(4);
        // Parked, then polled again with the same waker (the path without the lock).
        assert!(poll_once(&mut rx, &mut cx, true).is_pending());
        assert!(poll_once(&mut rx, &mut cx, true).is_pending());
        assert_eq!(rx.try_recv(), None, "empty: nothing taken, the waker stays");
        tx.try_send(1).unwrap();
        assert_eq!(count.get(), 1, "the send woke it");
        assert_eq!(poll_once(&mut rx, &mut cx, true), Poll::Ready(Ok(Some(1))));
        // A refusal while parked is seen by the next poll.
        assert!(poll_once(&mut rx, &mut cx, true).is_pending());
        tx.try_send_weighted(2, 10, 100).unwrap();
        assert_eq!(count.get(), 2);
        assert!(tx.try_send_weighted(3, 200, 100).is_err());
        assert_eq!(poll_once(&mut rx, &mut cx, false), Poll::Ready(Ok(Some(2))));
        assert!(poll_once(&mut rx, &mut cx, false).is_pending());
        assert!(tx.try_send_weighted(4, 200, 10).is_err());
        assert_eq!(poll_once(&mut rx, &mut cx, true), Poll::Ready(Err(())));
        rx.sync(0);
        // The last sender gone: a parked receiver hears `None`.
        assert!(poll_once(&mut rx, &mut cx, true).is_pending());
        let before = count.get();
        drop(tx);
        assert_eq!(count.get(), before + 1);
        assert_eq!(poll_once(&mut rx, &mut cx, true), Poll::Ready(Ok(None)));
    }

    #[test]
    fn a_send_in_a_burst_wakes_its_receiver_once_when_the_burst_ends() {
        let (count, waker) = WakeCount::waker();
        let mut cx = Context::from_waker(&waker);
        let (tx, mut rx) = mailbox::<u32>(4);
        assert!(poll_once(&mut rx, &mut cx, false).is_pending());
        {
            let _burst = super::super::held_wakes::Hold::start();
            tx.try_send(1).unwrap();
            tx.try_send_weighted(2, 10, 100).unwrap();
            assert_eq!(count.get(), 0, "held to the burst's end");
        }
        assert_eq!(count.get(), 1, "woken once, for both");
        assert_eq!(poll_once(&mut rx, &mut cx, false), Poll::Ready(Ok(Some(1))));
        assert_eq!(rx.try_recv(), Some(2));
    }

    #[tokio::test]
    async fn a_send_from_the_receivers_own_task_does_not_wake_it() {
        let (tx, mut rx) = mailbox::<u32>(4);
        let task = tokio::spawn(async move {
            // Park with a waker that counts, in this task.
            let (count, waker) = WakeCount::waker();
            {
                let mut cx = Context::from_waker(&waker);
                assert!(poll_once(&mut rx, &mut cx, false).is_pending());
                tx.try_send(5).unwrap();
                assert_eq!(count.get(), 0, "its own task is running");
                assert_eq!(rx.try_recv(), Some(5));
                assert!(poll_once(&mut rx, &mut cx, false).is_pending());
            }
            // Another task's send wakes it.
            let tx2 = tx.clone();
            tokio::spawn(async move { tx2.try_send(6).unwrap() })
                .await
                .unwrap();
            assert_eq!(count.get(), 1);
            assert_eq!(rx.recv().await, Some(6));
        });
        task.await.unwrap();
    }

    #[tokio::test]
    async fn wakes_a_waiting_receiver() {
        let (tx, mut rx) = mailbox::<u32>(4);
        let reader = tokio::spawn(async move { rx.recv().await });
        tokio::task::yield_now().await;
        tx.try_send(7).unwrap();
        assert_eq!(reader.await.unwrap(), Some(7));
    }
}
