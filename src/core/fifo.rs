//! A first-in first-out line from which any entry can also leave early, by its ticket.
//!
//! Tickets increase with every push, so an entry is found by binary search. A removed entry
//! leaves a hole; holes at the front are dropped at once (the front is always live), and the
//! line is compacted when holes outnumber live entries, so it never holds more than twice
//! what is live and removing costs O(log n) amortized.

use std::collections::VecDeque;

/// An entry's place in line: larger tickets were pushed later.
pub type Ticket = u64;

#[derive(Clone, Debug)]
pub struct Fifo<T> {
    entries: VecDeque<(Ticket, Option<T>)>,
    live: usize,
}

impl<T> Default for Fifo<T> {
    fn default() -> Self {
        Fifo { entries: VecDeque::new(), live: 0 }
    }
}

impl<T> Fifo<T> {
    pub fn is_empty(&self) -> bool {
        self.live == 0
    }

    /// Slots held, holes included (at most twice the live entries, plus one).
    pub fn footprint(&self) -> usize {
        self.entries.len()
    }

    /// Adds `value` at the back; `ticket` must be larger than every ticket pushed before.
    pub fn push(&mut self, ticket: Ticket, value: T) {
        debug_assert!(self.entries.back().map_or(true, |&(last, _)| last < ticket), "tickets increase");
        self.entries.push_back((ticket, Some(value)));
        self.live += 1;
    }

    /// The first live entry.
    pub fn front(&self) -> Option<(Ticket, &T)> {
        self.entries.front().and_then(|(t, v)| v.as_ref().map(|v| (*t, v)))
    }

    /// Live entries, in order.
    pub fn iter(&self) -> impl Iterator<Item = (Ticket, &T)> {
        self.entries.iter().filter_map(|(t, v)| v.as_ref().map(|v| (*t, v)))
    }

    /// The live entry of `ticket`, if any.
    pub fn get(&self, ticket: Ticket) -> Option<&T> {
        let at = self.entries.binary_search_by_key(&ticket, |&(t, _)| t).ok()?;
        self.entries[at].1.as_ref()
    }

    /// Takes out the entry of `ticket`, wherever it is.
    pub fn remove(&mut self, ticket: Ticket) -> Option<T> {
        let at = self.entries.binary_search_by_key(&ticket, |&(t, _)| t).ok()?;
        let value = self.entries[at].1.take()?;
        self.live -= 1;
        self.tidy();
        Some(value)
    }

    /// Drops holes at either end, and compacts when holes outnumber live entries.
    fn tidy(&mut self) {
        while self.entries.front().is_some_and(|(_, v)| v.is_none()) {
            self.entries.pop_front();
        }
        while self.entries.back().is_some_and(|(_, v)| v.is_none()) {
            self.entries.pop_back();
        }
        if self.entries.len() > 2 * self.live + 1 {
            self.entries.retain(|(_, v)| v.is_some());
        }
        if self.entries.is_empty() {
            self.entries = VecDeque::new(); // an emptied line gives its memory back
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_in_first_out_with_early_leavers() {
        let mut line = Fifo::default();
        for t in 1..=6 {
            line.push(t, t * 10);
        }
        assert_eq!(line.remove(1), Some(10));
        assert_eq!(line.remove(4), Some(40));
        assert_eq!(line.remove(4), None, "already gone");
        assert_eq!(line.remove(99), None, "never there");
        assert_eq!(line.front(), Some((2, &20)));
        assert_eq!((line.get(3), line.get(4), line.get(99)), (Some(&30), None, None));
        assert_eq!(line.iter().map(|(_, v)| *v).collect::<Vec<_>>(), vec![20, 30, 50, 60]);
        assert_eq!(line.iter().count(), 4);
    }

    #[test]
    fn holes_never_outnumber_live_entries() {
        let mut line = Fifo::default();
        for t in 0..1_000 {
            line.push(t, ());
        }
        // Remove every entry but the first, from the middle outwards: the front stays live.
        for t in (1..1_000).rev().step_by(2).chain((2..1_000).step_by(2)) {
            line.remove(t);
            assert!(line.footprint() <= 2 * line.iter().count() + 1);
        }
        assert_eq!(line.iter().count(), 1);
        line.remove(0);
        assert!(line.is_empty());
        assert_eq!(line.footprint(), 0);
    }
}
