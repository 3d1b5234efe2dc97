//! A connection's own lane: the commands its event handlers send to their own connection while
//! the connection runs them.
//!
//! A handler runs in its connection's task, inside the connection's call from the session. What
//! it sends to its own connection (an acknowledgement, an emit to its socket, a disconnect) would
//! go through the session's command queue, a push and a pop each under the queue's lock, only to
//! be taken back out by the same task as soon as the handler returns. While the connection runs
//! an event's handlers, its lane is open on that thread and takes those commands instead, in a
//! list of the thread's own, admitted under the session's send budget as the queue admits them
//! ([`budget::admits`] over what the session and its queue hold, from
//! [`AppContext::send_budget`], plus what the lane took). The connection carries them out once
//! the handlers returned, after what its queue held by then: a task's own commands keep their
//! order, whichever road each took. Commands to other connections, and from other tasks, take
//! the queue as before.
//!
//! [`AppContext::send_budget`]: engineio::runtime::AppContext::send_budget

use engineio::proto::{budget, SendError};
use engineio::runtime::SendBudget;
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::marker::PhantomData;
use std::thread::LocalKey;

/// A thread's lane for commands of type `T`: a `thread_local!` of this type (the commands of a
/// connection are in `command.rs`).
pub(crate) type Lanes<T> = LocalKey<Lane<T>>;

/// A thread's lane for commands of type `T`.
pub(crate) struct Lane<T> {
    /// [`engineio::runtime::SocketHandle::session_key`] of the session whose handlers run on this
    /// thread now; 0 while no lane is open (a key is an address, never 0).
    owner: Cell<usize>,
    /// What the session held when the lane opened, and its bounds.
    budget: Cell<SendBudget>,
    /// The bytes of the commands taken since the lane opened.
    bytes: Cell<usize>,
    /// A command was refused since the lane opened.
    refused: Cell<bool>,
    /// The commands taken, in order. Kept (empty) between opens: no allocation per event.
    commands: RefCell<VecDeque<T>>,
}

impl<T> Lane<T> {
    /// A closed lane (for a `thread_local!`).
    pub(crate) const fn new() -> Self {
        Self {
            owner: Cell::new(0),
            budget: Cell::new(SendBudget {
                held: 0,
                max_bytes: 0,
                max_messages: 0,
            }),
            bytes: Cell::new(0),
            refused: Cell::new(false),
            commands: RefCell::new(VecDeque::new()),
        }
    }
}

/// The key of the session the lane of this thread is open for, if one is: read once for many
/// sends (a broadcast), see [`submit`].
pub(crate) fn owner<T>(lanes: &'static Lanes<T>) -> Option<usize> {
    Some(lanes.with(|lane| lane.owner.get())).filter(|&key| key != 0)
}

/// The lane, open for one session on this thread. Not `Send`: it belongs to the thread whose
/// list it opened. Dropped without [`OpenLane::close`] (a handler panicked), it closes and drops
/// what it took.
pub(crate) struct OpenLane<T: 'static> {
    lanes: &'static Lanes<T>,
    _thread: PhantomData<*const ()>,
}

impl<T> OpenLane<T> {
    /// Opens the lane of this thread for the session `owner` (its key, not 0), which holds what
    /// `budget` says. `None` if a lane is already open on this thread (its commands then take
    /// the queue, as before there was a lane).
    pub(crate) fn open(lanes: &'static Lanes<T>, owner: usize, budget: SendBudget) -> Option<Self> {
        lanes.with(|lane| {
            if lane.owner.get() != 0 || owner == 0 {
                return None;
            }
            lane.owner.set(owner);
            lane.budget.set(budget);
            lane.bytes.set(0);
            lane.refused.set(false);
            Some(OpenLane {
                lanes,
                _thread: PhantomData,
            })
        })
    }

    /// Stops taking commands and hands out those taken.
    pub(crate) fn close(self) -> Taken<T> {
        let lanes = self.lanes;
        // Closed here: the drop has nothing left to do.
        std::mem::forget(self);
        lanes.with(|lane| {
            lane.owner.set(0);
            Taken {
                lanes,
                refused: lane.refused.get(),
                left: lane.commands.borrow().len(),
                _thread: PhantomData,
            }
        })
    }
}

impl<T> Drop for OpenLane<T> {
    fn drop(&mut self) {
        self.lanes.with(|lane| {
            lane.owner.set(0);
            lane.commands.borrow_mut().clear();
        });
    }
}

/// The commands a closed lane took, to carry out. What is not taken out is dropped with it.
pub(crate) struct Taken<T: 'static> {
    lanes: &'static Lanes<T>,
    refused: bool,
    /// The commands still in the lane. They stay there until taken out one by one: a command
    /// carried along in this value (the first, say) was copied in and out again, moves whose
    /// stores and loads of different widths the CPU cannot forward (perf, echo).
    left: usize,
    _thread: PhantomData<*const ()>,
}

impl<T> Taken<T> {
    /// Whether the lane refused a command (over the send budget).
    pub(crate) fn refused(&self) -> bool {
        self.refused
    }

    /// The next command, in the order they were sent. Taken one at a time, without holding the
    /// lane: carrying one out may send again (to the queue: the lane is closed).
    pub(crate) fn next_command(&mut self) -> Option<T> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        (self.lanes).with(|lane| lane.commands.borrow_mut().pop_front())
    }
}

impl<T> Drop for Taken<T> {
    fn drop(&mut self) {
        // What was not taken out (a panic on the way) must not reach the next connection to
        // open the lane on this thread.
        if self.left > 0 {
            (self.lanes).with(|lane| lane.commands.borrow_mut().clear());
        }
    }
}

/// Takes `command`, which weighs `weight` bytes (see [`budget`]), if the lane `lanes` of this
/// thread is open for the session `session` (its key): then the result is the admission's, as
/// the session's queue would give it (refused with [`SendError::Full`] over the send budget, or
/// when the session's bound on waiting messages is reached). Gives `command` back otherwise.
#[inline]
pub(crate) fn submit<T>(
    lanes: &'static Lanes<T>,
    session: usize,
    command: T,
    weight: usize,
) -> Result<Result<(), SendError>, T> {
    lanes.with(|lane| {
        if lane.owner.get() != session {
            return Err(command);
        }
        let budget = lane.budget.get();
        let held = budget.held.saturating_add(lane.bytes.get());
        let mut commands = lane.commands.borrow_mut();
        if commands.len() >= budget.max_messages.max(1)
            || (weight > 0 && !budget::admits(held, weight, budget.max_bytes))
        {
            lane.refused.set(true);
            return Ok(Err(SendError::Full));
        }
        lane.bytes.set(lane.bytes.get().saturating_add(weight));
        commands.push_back(command);
        Ok(Ok(()))
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use std::rc::Rc;

    thread_local! {
        static LANES: Lane<Rc<u32>> = const { Lane::new() };
    }

    const SESSION: usize = 0x1000;

    fn budget(held: usize, max_bytes: usize, max_messages: usize) -> SendBudget {
        SendBudget {
            held,
            max_bytes,
            max_messages,
        }
    }

    fn drain(mut taken: Taken<Rc<u32>>) -> Vec<u32> {
        std::iter::from_fn(|| taken.next_command())
            .map(|c| *c)
            .collect()
    }

    #[test]
    fn a_closed_lane_or_another_sessions_gives_the_command_back() {
        let command = Rc::new(1);
        let back = submit(&LANES, SESSION, command.clone(), 10).unwrap_err();
        assert!(Rc::ptr_eq(&back, &command));
        let open = OpenLane::open(&LANES, SESSION, budget(0, 100, 10)).unwrap();
        assert!(submit(&LANES, SESSION + 64, command.clone(), 10).is_err());
        assert_eq!(owner(&LANES), Some(SESSION));
        assert!(drain(open.close()).is_empty());
        assert_eq!(owner(&LANES), None);
        assert!(submit(&LANES, SESSION, command, 10).is_err());
    }

    #[test]
    fn takes_in_order_within_the_budget_then_refuses() {
        // 40 bytes held when it opened, a budget of 100: 30 + 30 fit, a third 30 does not.
        let open = OpenLane::open(&LANES, SESSION, budget(40, 100, 10)).unwrap();
        assert_eq!(submit(&LANES, SESSION, Rc::new(1), 30).unwrap(), Ok(()));
        assert_eq!(submit(&LANES, SESSION, Rc::new(2), 0).unwrap(), Ok(()));
        assert_eq!(submit(&LANES, SESSION, Rc::new(3), 30).unwrap(), Ok(()));
        assert_eq!(
            submit(&LANES, SESSION, Rc::new(4), 30).unwrap(),
            Err(SendError::Full)
        );
        // Unweighted commands are not held to the bytes.
        assert_eq!(submit(&LANES, SESSION, Rc::new(5), 0).unwrap(), Ok(()));
        let taken = open.close();
        assert!(taken.refused());
        assert_eq!(drain(taken), [1, 2, 3, 5]);
    }

    #[test]
    fn one_message_alone_may_exceed_the_budget_as_in_the_queue() {
        let open = OpenLane::open(&LANES, SESSION, budget(0, 100, 10)).unwrap();
        assert_eq!(submit(&LANES, SESSION, Rc::new(1), 500).unwrap(), Ok(()));
        assert_eq!(
            submit(&LANES, SESSION, Rc::new(2), 1).unwrap(),
            Err(SendError::Full)
        );
        assert_eq!(drain(open.close()), [1]);
    }

    #[test]
    fn the_bound_on_waiting_messages_holds() {
        let open = OpenLane::open(&LANES, SESSION, budget(0, usize::MAX, 2)).unwrap();
        assert_eq!(submit(&LANES, SESSION, Rc::new(1), 0).unwrap(), Ok(()));
        assert_eq!(submit(&LANES, SESSION, Rc::new(2), 0).unwrap(), Ok(()));
        assert_eq!(
            submit(&LANES, SESSION, Rc::new(3), 0).unwrap(),
            Err(SendError::Full)
        );
        assert_eq!(drain(open.close()), [1, 2]);
    }

    #[test]
    fn a_lane_opens_once_at_a_time() {
        let open = OpenLane::open(&LANES, SESSION, budget(0, 100, 10)).unwrap();
        assert!(OpenLane::open(&LANES, SESSION + 64, budget(0, 100, 10)).is_none());
        drop(open.close());
        assert!(OpenLane::open(&LANES, SESSION + 64, budget(0, 100, 10)).is_some());
    }

    #[test]
    fn nothing_left_behind_reaches_the_next_lane() {
        let kept = Rc::new(7);
        // Dropped open (a handler panicked): closed, and what it took is dropped.
        let open = OpenLane::open(&LANES, SESSION, budget(0, 100, 10)).unwrap();
        submit(&LANES, SESSION, kept.clone(), 1).unwrap().unwrap();
        drop(open);
        assert_eq!(Rc::strong_count(&kept), 1);
        assert_eq!(owner(&LANES), None);
        // Dropped with commands not taken out (a panic while carrying them out): dropped too.
        let open = OpenLane::open(&LANES, SESSION, budget(0, 100, 10)).unwrap();
        for _ in 0..3 {
            submit(&LANES, SESSION, kept.clone(), 1).unwrap().unwrap();
        }
        let mut taken = open.close();
        assert!(taken.next_command().is_some());
        drop(taken);
        assert_eq!(Rc::strong_count(&kept), 1);
        let open = OpenLane::open(&LANES, SESSION + 64, budget(0, 100, 10)).unwrap();
        assert!(drain(open.close()).is_empty());
    }
}
