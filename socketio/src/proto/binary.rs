//! Binary attachments: checking placeholders against the attachment count, and reassembling a
//! BINARY_EVENT / BINARY_ACK from its text header and the Engine.IO binary messages that follow.

use bytes::Bytes;

use super::decode::Decoded;
use super::error::DecodeError;
use super::packet::{Namespace, Packet};
use super::payload::Payload;
use super::raw_json::RawJson;

/// Checks that placeholder numbers `nums` refer to `attachments` attachments one to one.
pub(crate) fn check_placeholders(nums: &[u64], attachments: usize) -> Result<(), DecodeError> {
    if attachments == 0 {
        return match nums.is_empty() {
            true => Ok(()),
            false => Err(DecodeError::PlaceholderWithoutAttachments),
        };
    }
    let mut seen = vec![false; attachments];
    for &num in nums {
        let slot = usize::try_from(num)
            .ok()
            .and_then(|i| seen.get_mut(i))
            .ok_or(DecodeError::PlaceholderOutOfRange { num, attachments })?;
        if *slot {
            return Err(DecodeError::DuplicatePlaceholder(num));
        }
        *slot = true;
    }
    match seen.iter().position(|s| !s) {
        Some(i) => Err(DecodeError::UnreferencedAttachment(i)),
        None => Ok(()),
    }
}

/// What a BINARY packet becomes once its attachments are in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum BinaryHeader {
    Event {
        nsp: Namespace,
        id: Option<u64>,
        name: String,
    },
    Ack {
        nsp: Namespace,
        id: u64,
    },
}

/// A BINARY_EVENT or BINARY_ACK whose header has arrived and whose attachments have not (all).
///
/// Feed it each following Engine.IO binary message with [`PartialPacket::push`]; it answers
/// [`Decoded::Partial`] until the last one, then [`Decoded::Complete`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartialPacket {
    header: BinaryHeader,
    args: Vec<RawJson>,
    expected: usize,
    received: Vec<Bytes>,
    received_bytes: usize,
    max_bytes: usize,
}

impl PartialPacket {
    pub(crate) fn new(
        header: BinaryHeader,
        args: Vec<RawJson>,
        expected: usize,
        max_bytes: usize,
    ) -> Self {
        Self {
            header,
            args,
            expected,
            received: Vec::with_capacity(expected),
            received_bytes: 0,
            max_bytes,
        }
    }

    /// Attachments still missing.
    pub fn missing(&self) -> usize {
        self.expected.saturating_sub(self.received.len())
    }

    /// The namespace of the packet being reassembled.
    pub fn nsp(&self) -> &Namespace {
        match &self.header {
            BinaryHeader::Event { nsp, .. } | BinaryHeader::Ack { nsp, .. } => nsp,
        }
    }

    /// Adds the next attachment. Fails when the attachments exceed the byte limit.
    pub fn push(mut self, attachment: Bytes) -> Result<Decoded, DecodeError> {
        self.received_bytes = self.received_bytes.saturating_add(attachment.len());
        if self.received_bytes > self.max_bytes {
            return Err(DecodeError::AttachmentsTooLarge {
                max: self.max_bytes,
            });
        }
        self.received.push(attachment);
        if self.received.len() < self.expected {
            return Ok(Decoded::Partial(self));
        }
        let args = Payload::from_checked(self.args, self.received);
        Ok(Decoded::Complete(match self.header {
            BinaryHeader::Event { nsp, id, name } => Packet::Event {
                nsp,
                id,
                name,
                args,
            },
            BinaryHeader::Ack { nsp, id } => Packet::Ack { nsp, id, args },
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholder_checks() {
        assert_eq!(check_placeholders(&[], 0), Ok(()));
        assert_eq!(check_placeholders(&[1, 0], 2), Ok(()));
        assert_eq!(
            check_placeholders(&[0], 0),
            Err(DecodeError::PlaceholderWithoutAttachments)
        );
        assert_eq!(
            check_placeholders(&[u64::MAX], 1),
            Err(DecodeError::PlaceholderOutOfRange {
                num: u64::MAX,
                attachments: 1
            })
        );
        assert_eq!(
            check_placeholders(&[0, 0], 2),
            Err(DecodeError::DuplicatePlaceholder(0))
        );
        assert_eq!(
            check_placeholders(&[1], 2),
            Err(DecodeError::UnreferencedAttachment(0))
        );
    }
}
