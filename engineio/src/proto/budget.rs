//! The send budget: how many bytes may wait for one client, wherever they wait (the runtime's
//! command queue, the session's outbox, a WebSocket's unwritten frames).
//!
//! One rule, used by the session and by the runtime's queue alike: a message is admitted while
//! everything already waiting plus the message fits in the budget, or when nothing waits at all
//! (so one message larger than the budget still goes out, alone). A client that stays at its
//! budget for longer than the grace (`Config::send_buffer_grace`) is disconnected by its session
//! with [`super::CloseReason::SendBufferFull`]; it is back under it once what waits has fallen to
//! half the budget.

use super::packet::Data;
use bytes::Bytes;

/// What a queued message costs beyond its bytes: the queue entry that holds it. Counting it keeps
/// a flood of tiny messages bounded in bytes as well.
pub const PACKET_OVERHEAD: usize = 64;

/// The bytes a queued message counts for.
pub fn weight(data: &Data) -> usize {
    data.len().saturating_add(PACKET_OVERHEAD)
}

/// The bytes a text of `text_len` bytes and the binary messages that go with it (a Socket.IO
/// packet and its attachments) count for: each as [`weight`] counts it once queued.
pub fn weight_of_group(text_len: usize, attachments: &[Bytes]) -> usize {
    attachments
        .iter()
        .fold(text_len.saturating_add(PACKET_OVERHEAD), |sum, a| {
            sum.saturating_add(a.len().saturating_add(PACKET_OVERHEAD))
        })
}

/// Whether a message of `weight` bytes may join `queued` bytes under a budget of `limit`.
pub fn admits(queued: usize, weight: usize, limit: usize) -> bool {
    queued == 0 || queued.saturating_add(weight) <= limit
}

/// Whether `queued` bytes are low enough to end a stretch at the budget.
pub fn relieved(queued: usize, limit: usize) -> bool {
    queued <= limit / 2
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admits_up_to_the_limit_and_one_message_alone() {
        assert!(admits(0, 10_000, 100));
        assert!(admits(50, 50, 100));
        assert!(!admits(51, 50, 100));
        assert!(!admits(usize::MAX, 1, 100));
        assert!(relieved(50, 100) && !relieved(51, 100));
        assert_eq!(weight(&Data::Text("abc".into())), 3 + PACKET_OVERHEAD);
    }
}
