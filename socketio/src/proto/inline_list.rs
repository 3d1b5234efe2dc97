//! [`InlineList`]: a list whose first few items need no allocation.
//!
//! The JSON scanner keeps the spans of a top-level array's elements in one: an event's array is
//! nearly always its name and one to three arguments, and a `Vec` of them was one of the five
//! allocations of every message read (callgrind, echo).

use std::ops::Deref;

/// Items kept inline before the list moves to the heap.
const INLINE: usize = 4;

/// A growable list; reads as a slice.
#[derive(Debug)]
pub(crate) struct InlineList<T> {
    inline: [T; INLINE],
    len: usize,
    /// Every item, once there are more than [`INLINE`].
    spilled: Vec<T>,
}

impl<T: Default + Clone> InlineList<T> {
    /// An empty list (allocates nothing).
    pub(crate) fn new() -> Self {
        Self {
            inline: std::array::from_fn(|_| T::default()),
            len: 0,
            spilled: Vec::new(),
        }
    }

    /// Appends `item`.
    pub(crate) fn push(&mut self, item: T) {
        if !self.spilled.is_empty() {
            self.spilled.push(item);
        } else if let Some(slot) = self.inline.get_mut(self.len) {
            *slot = item;
            self.len += 1;
        } else {
            self.spilled.reserve(INLINE * 2);
            self.spilled.extend(self.inline.iter().cloned());
            self.spilled.push(item);
        }
    }
}

impl<T> Deref for InlineList<T> {
    type Target = [T];

    fn deref(&self) -> &[T] {
        if self.spilled.is_empty() {
            self.inline.get(..self.len).unwrap_or_default()
        } else {
            &self.spilled
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_every_item_in_order_across_the_spill() {
        for n in 0..12 {
            let mut list = InlineList::new();
            for i in 0..n {
                list.push(i);
            }
            assert_eq!(list.to_vec(), (0..n).collect::<Vec<usize>>());
        }
    }
}
