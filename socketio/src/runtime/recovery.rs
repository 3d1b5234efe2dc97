//! Connection state recovery in the runtime: each namespace's [`RecoveryStore`] behind a mutex,
//! the one road every emit takes to get its offset ([`encode_and_deliver`]), and the timer that
//! drops what left the window.
//!
//! The rules (which packets get an offset and are stored, which are replayed to whom, what a
//! kept session holds, when it expires) are the core's: `proto::RecoveryStore` and the
//! `Connection`. This file adds the lock and the clock. The lock is held while a stored packet
//! is handed to its receivers and while a restored socket rejoins its rooms, so that a packet
//! is either replayed to it or sent to it live, never both and never neither.

use super::connect::DataMap;
use super::error::{emit_error, EmitError};
use crate::proto::{
    ApiMisuse, Audience, Encoded, Namespace, Parser, Payload, RecoveryConfig, RecoveryStore,
    Restored,
};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::{Duration, Instant};

/// The timer wakes at most this often while packets keep coming (each record already drops
/// what left the window; the timer is for a namespace gone quiet).
const MIN_TIMER_PERIOD: Duration = Duration::from_secs(1);

struct Inner {
    store: RecoveryStore<DataMap>,
    /// A timer task is running for this store.
    timer: bool,
}

/// One namespace's recovery state, shared by its sockets, its broadcasts and its connections.
pub(crate) struct Recovery {
    inner: Mutex<Inner>,
}

impl Recovery {
    /// A store whose offsets carry ten characters of `random` as their tag.
    pub(crate) fn new(config: RecoveryConfig, random: &str) -> Arc<Self> {
        let tag = random.get(..10).unwrap_or(random);
        Arc::new(Self {
            inner: Mutex::new(Inner {
                store: RecoveryStore::new(config).with_tag(tag),
                timer: false,
            }),
        })
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs `f` on the store under the lock, then starts the timer if something is stored.
    pub(crate) fn with_store<R>(
        self: &Arc<Self>,
        f: impl FnOnce(&mut RecoveryStore<DataMap>) -> R,
    ) -> R {
        let mut inner = self.lock();
        let result = f(&mut inner.store);
        self.arm(&mut inner);
        result
    }

    /// The session of `pid`, with what it missed after `offset` (see
    /// [`RecoveryStore::restore`]).
    pub(crate) fn restore(self: &Arc<Self>, pid: &str, offset: &str) -> Option<Restored<DataMap>> {
        self.with_store(|store| store.restore(Instant::now(), pid, offset))
    }

    /// Starts the expiry timer unless one runs or nothing is stored. Outside a tokio runtime
    /// (an emit from another thread) no timer starts: the next record or keep expires the old.
    fn arm(self: &Arc<Self>, inner: &mut Inner) {
        if inner.timer || inner.store.is_empty() {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        inner.timer = true;
        runtime.spawn(expire_until_empty(Arc::downgrade(self)));
    }
}

/// Expires the store whenever its oldest entry leaves the window; ends once it is empty (or the
/// namespace is gone), so an idle namespace costs no task.
async fn expire_until_empty(recovery: Weak<Recovery>) {
    let mut last = Instant::now();
    loop {
        let next = {
            let Some(recovery) = recovery.upgrade() else {
                return;
            };
            let mut inner = recovery.lock();
            let Some(next) = inner.store.next_expiry() else {
                inner.timer = false;
                return;
            };
            next
        };
        let wake = next.max(last + MIN_TIMER_PERIOD);
        tokio::time::sleep_until(wake.into()).await;
        let Some(recovery) = recovery.upgrade() else {
            return;
        };
        last = Instant::now();
        recovery.lock().store.expire(last);
    }
}

/// Encodes an emit on `nsp` once, in `parser`, and hands it to `deliver` (one socket's queue,
/// or every receiver of a broadcast): the road every application event takes to the wire
/// ([`Namespace::encode_and_deliver`](super::namespace::Namespace) gives it the namespace's
/// parts). With `recovery` (on, and the event not volatile), the event gets the namespace's
/// next offset as its last argument and is stored for `audience`, under the store's lock while
/// it is delivered.
pub(crate) fn encode_and_deliver<R>(
    recovery: Option<&Arc<Recovery>>,
    (parser, nsp): (Parser, &Namespace),
    audience: impl FnOnce() -> Audience,
    name: &str,
    args: &Payload,
    deliver: impl FnOnce(Encoded) -> R,
) -> Result<R, EmitError> {
    let Some(recovery) = recovery else {
        let packet = (parser.encode_emit(nsp, None, name, args)).map_err(emit_error)?;
        return Ok(deliver(packet));
    };
    let mut inner = recovery.lock();
    let packet = inner
        .store
        .record(Instant::now(), audience(), |offset| {
            parser.encode_emit_with_offset(nsp, name, args, offset)
        })
        .map_err(|e: ApiMisuse| emit_error(e))?;
    let result = deliver(packet);
    recovery.arm(&mut inner);
    Ok(result)
}
