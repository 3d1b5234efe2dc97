//! Requests this node sent and is collecting answers for, by request id.

use socketio::proto::Payload;
use socketio::runtime::{ClusterError, RemoteAcks, SocketInfo};
use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};
use tokio::sync::oneshot;

/// What is being collected, and from how many nodes.
pub(crate) enum Collecting {
    /// Type 5: sockets from `expected` nodes.
    Sockets {
        expected: usize,
        answered: usize,
        sockets: Vec<SocketInfo>,
    },
    /// Type 6: one answer from each of `expected` nodes.
    ServerAnswers {
        expected: usize,
        answers: Vec<serde_json::Value>,
    },
    /// Type 7: a client count from each of `expected` nodes, then that many acknowledgements.
    ClientAcks {
        expected: usize,
        counted: usize,
        clients: usize,
        acks: Vec<Payload>,
    },
}

impl Collecting {
    fn complete(&self) -> bool {
        match self {
            Collecting::Sockets {
                expected, answered, ..
            } => answered >= expected,
            Collecting::ServerAnswers { expected, answers } => answers.len() >= *expected,
            Collecting::ClientAcks {
                expected,
                counted,
                clients,
                acks,
            } => counted >= expected && acks.len() >= *clients,
        }
    }
}

struct Entry {
    collecting: Collecting,
    done: Option<oneshot::Sender<()>>,
}

/// The table. Answers update an entry; the waiter takes it out when it is complete or at its
/// deadline.
#[derive(Default)]
pub(crate) struct Pending {
    entries: Mutex<HashMap<String, Entry>>,
}

impl Pending {
    fn lock(&self) -> MutexGuard<'_, HashMap<String, Entry>> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Starts collecting; the receiver fires once the entry is complete.
    pub(crate) fn insert(&self, id: &str, collecting: Collecting) -> oneshot::Receiver<()> {
        let (tx, rx) = oneshot::channel();
        self.lock().insert(
            id.to_owned(),
            Entry {
                collecting,
                done: Some(tx),
            },
        );
        rx
    }

    /// Applies an answer to request `id`, if this node is waiting for it. Returns false for
    /// an unknown id (another node's request, or one that timed out).
    pub(crate) fn update(&self, id: &str, apply: impl FnOnce(&mut Collecting)) -> bool {
        let mut entries = self.lock();
        let Some(entry) = entries.get_mut(id) else {
            return false;
        };
        apply(&mut entry.collecting);
        if entry.collecting.complete() {
            if let Some(done) = entry.done.take() {
                let _ = done.send(());
            }
        }
        true
    }

    /// Takes request `id` out of the table.
    pub(crate) fn take(&self, id: &str) -> Option<Collecting> {
        self.lock().remove(id).map(|e| e.collecting)
    }
}

/// The sockets collected, or how many nodes failed to answer.
pub(crate) fn sockets_result(c: Option<Collecting>) -> Result<Vec<SocketInfo>, ClusterError> {
    match c {
        Some(Collecting::Sockets {
            expected,
            answered,
            sockets,
        }) => match answered >= expected {
            true => Ok(sockets),
            false => Err(ClusterError::Timeout { answered, expected }),
        },
        _ => Ok(Vec::new()),
    }
}

/// The answers collected, or how many nodes failed to answer.
pub(crate) fn answers_result(
    c: Option<Collecting>,
) -> Result<Vec<serde_json::Value>, ClusterError> {
    match c {
        Some(Collecting::ServerAnswers { expected, answers }) => match answers.len() >= expected {
            true => Ok(answers),
            false => Err(ClusterError::Timeout {
                answered: answers.len(),
                expected,
            }),
        },
        _ => Ok(Vec::new()),
    }
}

/// The acknowledgements collected; the clients that did not answer are `missing`.
pub(crate) fn acks_result(c: Option<Collecting>) -> RemoteAcks {
    match c {
        Some(Collecting::ClientAcks { clients, acks, .. }) => RemoteAcks {
            missing: clients.saturating_sub(acks.len()),
            acks,
        },
        _ => RemoteAcks::default(),
    }
}
