//! [`Login`]: the admin namespace's connect check under basic authentication, as Node's
//! admin-ui does it: a live `sessionId` in the CONNECT payload lets the UI in; otherwise
//! `username` and `password` are checked against the bcrypt hash, and a good pair gets a fresh
//! session id (the socket is sent it as the `session` event once connected). Anything else is
//! refused with `invalid credentials`, the message the UI recognises. Password attempts are
//! limited per remote address, and bcrypt checks in flight overall.

use super::password::PasswordHash;
use super::rate_limit::AttemptLimiter;
use super::sessions::SessionStore;
use crate::runtime::{ConnectContext, ConnectError};
use engineio::runtime::SidGenerator;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// The refusal the UI shows as a login error.
pub(crate) const INVALID_CREDENTIALS: &str = "invalid credentials";
/// The refusal of an address over its attempt limit.
pub(crate) const TOO_MANY_ATTEMPTS: &str = "too many login attempts, retry later";

/// Password attempts per address per second.
const ATTEMPTS_PER_SECOND: u32 = 3;
/// Addresses the limiter holds at most.
const LIMITER_CAPACITY: usize = 4096;
/// How long a session id stays good (Node's `RedisStore` default: a day).
const SESSION_TTL: Duration = Duration::from_secs(86_400);
/// Live sessions at most.
const SESSION_CAPACITY: usize = 1024;
/// bcrypt checks running at once, at most (each takes a blocking thread for 2^cost rounds): an
/// attacker with many addresses gets refusals, not the server's every core.
const MAX_VERIFYING: usize = 4;

/// A session id given to a socket that logged in with its password, to send it once connected.
#[derive(Clone, Debug)]
pub(crate) struct NewSession(pub(crate) String);

/// The login of one admin namespace.
pub(crate) struct Login {
    username: String,
    hash: PasswordHash,
    sessions: Mutex<SessionStore>,
    limiter: Mutex<AttemptLimiter>,
    verifying: AtomicUsize,
    sids: SidGenerator,
}

/// One of the [`MAX_VERIFYING`] places, held by the blocking check itself (a CONNECT given up
/// meanwhile does not give it back early), given back when dropped.
struct Verifying(Arc<Login>);

impl Verifying {
    fn take(login: &Arc<Login>) -> Option<Self> {
        let taken = (login.verifying).fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
            (n < MAX_VERIFYING).then_some(n + 1)
        });
        taken.is_ok().then(|| Self(login.clone()))
    }
}

impl Drop for Verifying {
    fn drop(&mut self) {
        self.0.verifying.fetch_sub(1, Ordering::AcqRel);
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Login {
    /// The login of `username` with the password of `hash`.
    pub(crate) fn new(username: String, hash: PasswordHash) -> Self {
        Self {
            username,
            hash,
            sessions: Mutex::new(SessionStore::new(SESSION_TTL, SESSION_CAPACITY)),
            limiter: Mutex::new(AttemptLimiter::new(
                ATTEMPTS_PER_SECOND,
                Duration::from_secs(1),
                LIMITER_CAPACITY,
            )),
            verifying: AtomicUsize::new(0),
            sids: SidGenerator::new(),
        }
    }

    /// Checks a CONNECT to the admin namespace.
    pub(crate) async fn check(self: Arc<Self>, ctx: ConnectContext) -> Result<(), ConnectError> {
        let auth: serde_json::Value = ctx.auth.deserialize().unwrap_or_default();
        let field = |name: &str| auth.get(name).and_then(|v| v.as_str()).map(str::to_owned);
        let now = Instant::now();
        if let Some(session) = field("sessionId") {
            if lock(&self.sessions).contains(&session, now) {
                return Ok(());
            }
        }
        let (Some(username), Some(password)) = (field("username"), field("password")) else {
            return Err(ConnectError::new(INVALID_CREDENTIALS));
        };
        if !lock(&self.limiter).try_attempt(ctx.handshake.remote.ip(), now) {
            return Err(ConnectError::new(TOO_MANY_ATTEMPTS));
        }
        if username != self.username {
            return Err(ConnectError::new(INVALID_CREDENTIALS));
        }
        // bcrypt takes 2^cost rounds on purpose: off the async workers, a few at a time.
        let Some(place) = Verifying::take(&self) else {
            return Err(ConnectError::new(TOO_MANY_ATTEMPTS));
        };
        let matches = tokio::task::spawn_blocking(move || place.0.hash.verify(&password))
            .await
            .unwrap_or(false);
        if !matches {
            return Err(ConnectError::new(INVALID_CREDENTIALS));
        }
        let session = self.sids.next_sid();
        lock(&self.sessions).save(session.clone(), Instant::now());
        ctx.set_data(NewSession(session));
        Ok(())
    }
}
