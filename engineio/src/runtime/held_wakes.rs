//! Wakes held to the end of a burst: while a session's task handles what it read in one go, the
//! receivers its sends reach (a broadcast's thousand sessions) are woken when the burst ends, not
//! at each send.
//!
//! Woken at once, a receiver can be run by another worker while the burst goes on: it then
//! writes the burst's first message on its own and the next ones in writes of their own, and it
//! takes its queue's lock while the burst's sender pushes to it. Held to the burst's end, each
//! receiver finds everything the burst sent it and writes it in one go, on whichever worker runs
//! it. Measured on fan-out to 1000 receivers with four broadcasts in flight (2-core machine, the
//! emitter's reads carrying about two broadcasts each on two workers): 0.25 `sendto` per delivery
//! on one worker, 0.32-0.33 on two, 0.29 on two with the wakes held; the CPU per delivery follows
//! the writes (see the README's "Closer to the floor").
//!
//! A burst is bounded (a session's task takes a bounded number of inputs before it writes), so a
//! wake waits for a bounded time; an application that blocks its thread inside a handler until
//! another session's task has run waits for ever on one worker already, and now on any number.
//! The hold is per thread: a [`Hold`] is not `Send`, so one cannot be kept across an `await`
//! (the task could resume on another thread, and the wakes would be held there).

use std::cell::{Cell, RefCell};
use std::marker::PhantomData;
use std::task::Waker;

/// Wakers kept for reuse of their list's memory, at most (16 bytes each).
const KEEP: usize = 4096;

thread_local! {
    /// Holds open on this thread. Every session's task opens one per burst, nearly always to
    /// send nothing: the counts are plain cells (no lazy set-up, no borrow flag), and the list
    /// is looked at only when something was held.
    static DEPTH: Cell<usize> = const { Cell::new(0) };
    /// `WAKERS` has something.
    static ANY: Cell<bool> = const { Cell::new(false) };
    static WAKERS: RefCell<Vec<Waker>> = const { RefCell::new(Vec::new()) };
}

/// Holds the wakes [`wake`] is given on this thread until it is dropped (the last of nested
/// holds wakes them all).
pub(crate) struct Hold {
    /// Not `Send`: the wakes are held on the thread that holds them.
    _thread: PhantomData<*const ()>,
}

impl Hold {
    /// Starts holding this thread's wakes.
    pub(crate) fn start() -> Self {
        DEPTH.set(DEPTH.get() + 1);
        Self {
            _thread: PhantomData,
        }
    }
}

impl Drop for Hold {
    fn drop(&mut self) {
        let depth = DEPTH.get() - 1;
        DEPTH.set(depth);
        if depth > 0 || !ANY.replace(false) {
            return;
        }
        let Ok(mut wakers) = WAKERS.try_with(|w| std::mem::take(&mut *w.borrow_mut())) else {
            return;
        };
        // Outside the borrow: a wake may run code that sends, and wakes, again.
        for waker in wakers.drain(..) {
            waker.wake();
        }
        if wakers.capacity() <= KEEP {
            let _ = WAKERS.try_with(|w| {
                let mut w = w.borrow_mut();
                if w.capacity() == 0 {
                    *w = wakers;
                }
            });
        }
    }
}

/// Wakes `waker` now, or when this thread's [`Hold`] ends if one is open.
pub(crate) fn wake(waker: Waker) {
    if DEPTH.get() == 0 {
        return waker.wake();
    }
    let mut waker = Some(waker);
    // A thread being torn down has no list: the wake goes out at once.
    let _ = WAKERS.try_with(|w| w.borrow_mut().extend(waker.take()));
    match waker {
        Some(waker) => waker.wake(),
        None => ANY.set(true),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::wake_count::WakeCount;

    #[test]
    fn a_wake_outside_a_hold_goes_out_at_once() {
        let (count, waker) = WakeCount::waker();
        wake(waker);
        assert_eq!(count.get(), 1);
    }

    #[test]
    fn wakes_in_a_hold_go_out_when_the_last_nested_hold_ends() {
        let (a, wa) = WakeCount::waker();
        let (b, wb) = WakeCount::waker();
        let outer = Hold::start();
        wake(wa);
        {
            let _inner = Hold::start();
            wake(wb);
        }
        assert_eq!((a.get(), b.get()), (0, 0), "the outer hold is still open");
        drop(outer);
        assert_eq!((a.get(), b.get()), (1, 1));
        // The hold is over: the next wake goes out at once.
        let (c, wc) = WakeCount::waker();
        wake(wc);
        assert_eq!(c.get(), 1);
    }

    #[test]
    fn a_hold_is_per_thread() {
        let _hold = Hold::start();
        let (count, waker) = WakeCount::waker();
        std::thread::spawn(move || wake(waker))
            .join()
            .expect("the other thread wakes it");
        assert_eq!(count.get(), 1, "another thread holds nothing");
    }
}
