//! The connection that publishes: a queue in front of it, so that emitting never waits on
//! Redis, and a clear account (log line and counter) of what could not be sent while Redis
//! was unreachable. Local delivery never depends on it.

use crate::metrics::Counters;
use redis::aio::MultiplexedConnection;
use redis::AsyncConnectionConfig;
use socketio::runtime::ClusterError;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// How long a connection attempt or a command may take.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(1);
/// After a failed attempt, commands fail at once for this long instead of trying again.
const RETRY_AFTER: Duration = Duration::from_millis(250);

/// The publishing connection's state.
enum Conn {
    /// Not connected yet, or the last connection was lost: connect on the next command.
    Idle,
    /// Connected (clones share one multiplexed connection).
    Up(MultiplexedConnection),
    /// The last attempt failed; do not try again before `retry_at`.
    Down { retry_at: Instant },
}

/// One message to publish.
pub(crate) struct Outgoing {
    pub channel: String,
    pub payload: Vec<u8>,
}

pub(crate) struct Link {
    client: redis::Client,
    conn: Mutex<Conn>,
    queue: mpsc::Sender<Outgoing>,
    counters: Arc<Counters>,
    /// False while sends fail (so that the outage is logged once, and its end too).
    sending: AtomicBool,
}

impl Link {
    /// The link and its publishing task (which ends when the link is dropped).
    pub(crate) fn start(client: redis::Client, counters: Arc<Counters>, queue: usize) -> Arc<Self> {
        let (tx, rx) = mpsc::channel(queue.max(1));
        let link = Arc::new(Self {
            client,
            conn: Mutex::new(Conn::Idle),
            queue: tx,
            counters,
            sending: AtomicBool::new(true),
        });
        tokio::spawn(publish_loop(Arc::downgrade(&link), rx));
        link
    }

    pub(crate) fn client(&self) -> &redis::Client {
        &self.client
    }

    fn lock(&self) -> MutexGuard<'_, Conn> {
        self.conn.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The connection, made if needed.
    pub(crate) async fn connection(&self) -> Result<MultiplexedConnection, ClusterError> {
        match &*self.lock() {
            Conn::Up(c) => return Ok(c.clone()),
            Conn::Down { retry_at } if Instant::now() < *retry_at => {
                return Err(ClusterError::Unavailable("Redis is unreachable".into()))
            }
            _ => {}
        }
        let config = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(COMMAND_TIMEOUT))
            .set_response_timeout(Some(COMMAND_TIMEOUT));
        match self
            .client
            .get_multiplexed_async_connection_with_config(&config)
            .await
        {
            Ok(c) => {
                *self.lock() = Conn::Up(c.clone());
                Ok(c)
            }
            Err(e) => {
                *self.lock() = Conn::Down {
                    retry_at: Instant::now() + RETRY_AFTER,
                };
                Err(ClusterError::Unavailable(e.to_string()))
            }
        }
    }

    /// A command failed: make a fresh connection next time.
    fn lost(&self) {
        *self.lock() = Conn::Idle;
    }

    /// Queues a message; never waits. A full queue counts as a failed send.
    pub(crate) fn enqueue(&self, channel: String, payload: Vec<u8>) {
        if let Err(e) = self.queue.try_send(Outgoing { channel, payload }) {
            let why = match e {
                mpsc::error::TrySendError::Full(_) => "the send queue is full",
                mpsc::error::TrySendError::Closed(_) => "the adapter is shutting down",
            };
            self.failed(why);
        }
    }

    /// Publishes now (for requests, whose callers wait anyway).
    pub(crate) async fn publish(&self, channel: &str, payload: &[u8]) -> Result<(), ClusterError> {
        let mut conn = match self.connection().await {
            Ok(c) => c,
            Err(e) => {
                self.failed(&e.to_string());
                return Err(e);
            }
        };
        let sent: redis::RedisResult<i64> = redis::cmd("PUBLISH")
            .arg(channel)
            .arg(payload)
            .query_async(&mut conn)
            .await;
        match sent {
            Ok(_) => {
                Counters::bump(&self.counters.published);
                if !self.sending.swap(true, Ordering::Relaxed) {
                    eprintln!(
                        "socketio-redis: publishing to Redis again ({} cluster messages could not be sent in all)",
                        self.counters.snapshot().send_failures
                    );
                }
                Ok(())
            }
            Err(e) => {
                self.lost();
                self.failed(&e.to_string());
                Err(ClusterError::Unavailable(e.to_string()))
            }
        }
    }

    /// How many connections subscribe to `channel` (this node's own included).
    pub(crate) async fn numsub(&self, channel: &str) -> Result<usize, ClusterError> {
        let mut conn = self.connection().await?;
        let answer: redis::RedisResult<(String, usize)> = redis::cmd("PUBSUB")
            .arg("NUMSUB")
            .arg(channel)
            .query_async(&mut conn)
            .await;
        answer.map(|(_, n)| n).map_err(|e| {
            self.lost();
            ClusterError::Unavailable(e.to_string())
        })
    }

    /// Counts a cluster message that did not go out; the first of an outage is logged.
    fn failed(&self, why: &str) {
        Counters::bump(&self.counters.send_failures);
        if self.sending.swap(false, Ordering::Relaxed) {
            eprintln!(
                "socketio-redis: could not send a cluster message to Redis ({why}); other nodes miss cluster messages until Redis is back, local delivery goes on"
            );
        }
    }
}

async fn publish_loop(link: Weak<Link>, mut queue: mpsc::Receiver<Outgoing>) {
    while let Some(out) = queue.recv().await {
        let Some(link) = link.upgrade() else {
            return;
        };
        let _ = link.publish(&out.channel, &out.payload).await;
    }
}
