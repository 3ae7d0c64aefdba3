//! The order in which waiting jobs start.
//!
//! Higher priority first. Within a priority, retried jobs come before new work; then keys
//! (tenants) share by start-time fair queuing: each key's next job carries a tag (the virtual
//! time of its turn), the smallest tag goes first, and a key that was idle starts at the
//! current virtual time. So keys with waiting work take turns, and a key that just arrived goes
//! ahead of one that has been flooding: it never waits behind the flood. First-in first-out
//! within a key. Removal is lazy (a tombstone), so cancelling is O(1).

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashSet, VecDeque};

pub type JobId = u64;
/// An interned key; see [`Keys`](super::keys::Keys). Small and dense: lanes are indexed by it.
pub type KeyId = u32;

/// A job's priority: any finite number, higher first.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Priority(pub f64);

impl Eq for Priority {}
impl PartialOrd for Priority {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Priority {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&other.0)
    }
}

/// Where the head of the queue sits, so it can be popped after the caller decided to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Head {
    pub job: JobId,
    pub key: KeyId,
    priority: Priority,
    /// `None` for the retry lane, else the key's turn.
    turn: Option<Turn>,
}

/// A key's place in line: its tag, then the order keys became active, for ties.
type Turn = (u64, u64, KeyId);

#[derive(Debug, Default)]
struct Lane {
    jobs: VecDeque<JobId>,
    /// The key's place in line while it has jobs.
    turn: Option<Turn>,
    /// The earliest tag of its next turn: one past its last, so a key that empties its lane
    /// and refills it at once does not jump the line.
    next: u64,
}

#[derive(Debug, Default)]
struct Class {
    retries: VecDeque<(JobId, KeyId)>,
    /// Lanes indexed by key id; kept when empty, so a busy key does not reallocate its lane.
    lanes: Vec<Lane>,
    /// Keys with waiting jobs, by turn. An entry whose lane holds another turn is stale,
    /// dropped when met.
    turns: BinaryHeap<Reverse<Turn>>,
    /// The tag of the last turn served.
    virtual_time: u64,
    /// Counts activations, to break ties first come, first served.
    arrivals: u64,
    len: usize,
}

impl Class {
    fn lane(&mut self, key: KeyId) -> &mut Lane {
        let i = key as usize;
        if self.lanes.len() <= i {
            self.lanes.resize_with(i + 1, Lane::default);
        }
        &mut self.lanes[i]
    }

    /// Puts an idle key in line: at the current virtual time, or its own next turn if later.
    fn activate(&mut self, key: KeyId) {
        self.arrivals += 1;
        let tag = self.virtual_time.max(self.lane(key).next);
        let turn = (tag, self.arrivals, key);
        self.turns.push(Reverse(turn));
        self.lane(key).turn = Some(turn);
    }
}

/// Classes beyond this many are dropped once empty (priorities may be arbitrary numbers).
const KEPT_EMPTY_CLASSES: usize = 8;

#[derive(Debug, Default)]
pub struct FairQueue {
    /// By ascending priority: a sorted vector, as there are few (searching it beats a tree).
    classes: Vec<(Priority, Class)>,
    removed: HashSet<JobId>,
    len: usize,
}

impl FairQueue {
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The class of `priority`, made if needed.
    fn class(&mut self, priority: Priority) -> &mut Class {
        let at = match self.classes.binary_search_by(|(p, _)| p.cmp(&priority)) {
            Ok(at) => at,
            Err(at) => {
                self.classes.insert(at, (priority, Class::default()));
                at
            }
        };
        &mut self.classes[at].1
    }

    pub fn push(&mut self, job: JobId, priority: Priority, key: KeyId) {
        let class = self.class(priority);
        if class.lane(key).turn.is_none() {
            class.activate(key);
        }
        class.lane(key).jobs.push_back(job);
        class.len += 1;
        self.len += 1;
    }

    /// A retried job goes ahead of new work of its priority.
    pub fn push_retry(&mut self, job: JobId, priority: Priority, key: KeyId) {
        let class = self.class(priority);
        class.retries.push_back((job, key));
        class.len += 1;
        self.len += 1;
    }

    /// Removes a waiting job (it was cancelled or expired). The caller knows it is queued.
    pub fn remove(&mut self, job: JobId) {
        if self.removed.insert(job) {
            self.len -= 1;
        }
    }

    fn is_removed(removed: &mut HashSet<JobId>, job: JobId) -> bool {
        !removed.is_empty() && removed.remove(&job)
    }

    /// The job that starts next, skipping keys for which `blocked` holds.
    pub fn head(&mut self, blocked: impl Fn(KeyId) -> bool) -> Option<Head> {
        let removed = &mut self.removed;
        for (priority, class) in self.classes.iter_mut().rev() {
            let priority = *priority;
            if class.len == 0 {
                continue;
            }
            while class.retries.front().is_some_and(|&(j, _)| Self::is_removed(removed, j)) {
                class.retries.pop_front();
                class.len -= 1;
            }
            if let Some(&(job, key)) = class.retries.iter().find(|(_, k)| !blocked(*k)) {
                return Some(Head { job, key, priority, turn: None });
            }
            if let Some(head) = Self::next_turn(class, priority, removed, &blocked) {
                return Some(head);
            }
        }
        None
    }

    /// The first key in turn order with a job waiting and not blocked, dropping stale turns
    /// and emptied lanes on the way.
    fn next_turn(class: &mut Class, priority: Priority, removed: &mut HashSet<JobId>, blocked: &impl Fn(KeyId) -> bool) -> Option<Head> {
        while let Some(&Reverse(turn)) = class.turns.peek() {
            let lane = &mut class.lanes[turn.2 as usize];
            if lane.turn != Some(turn) {
                class.turns.pop(); // stale
                continue;
            }
            drop_removed(&mut lane.jobs, removed, &mut class.len);
            match lane.jobs.front() {
                None => {
                    lane.turn = None;
                    class.turns.pop();
                }
                Some(&job) if !blocked(turn.2) => return Some(Head { job, key: turn.2, priority, turn: Some(turn) }),
                Some(_) => return Self::first_unblocked(class, priority, removed, blocked),
            }
        }
        None
    }

    /// The slow path, when the first key in line is blocked (its own gate is closed): the
    /// first turn, in order, of a key that is not.
    fn first_unblocked(class: &mut Class, priority: Priority, removed: &mut HashSet<JobId>, blocked: &impl Fn(KeyId) -> bool) -> Option<Head> {
        let mut turns: Vec<Turn> = class.turns.iter().map(|Reverse(t)| *t).collect();
        turns.sort_unstable();
        for turn in turns {
            let lane = &mut class.lanes[turn.2 as usize];
            if lane.turn != Some(turn) || blocked(turn.2) {
                continue;
            }
            drop_removed(&mut lane.jobs, removed, &mut class.len);
            if let Some(&job) = lane.jobs.front() {
                return Some(Head { job, key: turn.2, priority, turn: Some(turn) });
            }
        }
        None
    }

    /// Pops the job [`head`](Self::head) returned; the queue must not have changed in between.
    pub fn pop(&mut self, head: Head) {
        let at = self.classes.binary_search_by(|(p, _)| p.cmp(&head.priority)).expect("head's class exists");
        let class = &mut self.classes[at].1;
        match head.turn {
            None => {
                let at = class.retries.iter().position(|&(j, _)| j == head.job).expect("head is queued");
                class.retries.remove(at);
            }
            Some(turn) => {
                // Its entry in `turns` goes stale: the lane takes a new turn, or none.
                class.virtual_time = turn.0;
                let lane = &mut class.lanes[head.key as usize];
                lane.jobs.pop_front();
                lane.turn = None;
                // Its next turn comes after everyone now in line for this one.
                lane.next = turn.0 + 1;
                if !lane.jobs.is_empty() {
                    class.activate(head.key);
                }
            }
        }
        class.len -= 1;
        self.len -= 1;
        if class.len == 0 && self.classes.len() > KEPT_EMPTY_CLASSES {
            self.classes.remove(at);
        }
    }
}

/// Drops the removed jobs at the front of a lane, counting them off the class's length.
fn drop_removed(jobs: &mut VecDeque<JobId>, removed: &mut HashSet<JobId>, len: &mut usize) {
    while jobs.front().is_some_and(|&j| FairQueue::is_removed(removed, j)) {
        jobs.pop_front();
        *len -= 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drain(q: &mut FairQueue) -> Vec<JobId> {
        let mut out = Vec::new();
        while let Some(h) = q.head(|_| false) {
            q.pop(h);
            out.push(h.job);
        }
        out
    }

    #[test]
    fn higher_priority_first_then_fifo() {
        let mut q = FairQueue::default();
        q.push(1, Priority(0.0), 0);
        q.push(2, Priority(5.0), 0);
        q.push(3, Priority(0.0), 0);
        q.push(4, Priority(-1.5), 0);
        q.push(5, Priority(5.0), 0);
        assert_eq!(drain(&mut q), vec![2, 5, 1, 3, 4]);
        assert!(q.is_empty());
    }

    #[test]
    fn keys_take_turns() {
        let mut q = FairQueue::default();
        for j in 0..5 {
            q.push(j, Priority(0.0), 7); // a flood from key 7
        }
        q.push(100, Priority(0.0), 8);
        q.push(101, Priority(0.0), 8);
        assert_eq!(drain(&mut q), vec![0, 100, 1, 101, 2, 3, 4]);
    }

    #[test]
    fn a_key_that_arrives_goes_ahead_of_a_flood() {
        let mut q = FairQueue::default();
        for j in 0..5 {
            q.push(j, Priority(0.0), 1);
        }
        let h = q.head(|_| false).unwrap();
        q.pop(h); // the flood's first job started
        q.push(100, Priority(0.0), 2);
        assert_eq!(q.head(|_| false).unwrap().job, 100, "the newcomer does not wait behind the flood");
        assert_eq!(drain(&mut q), vec![100, 1, 2, 3, 4]);
    }

    #[test]
    fn retries_go_ahead_of_new_work_of_their_priority() {
        let mut q = FairQueue::default();
        q.push(1, Priority(0.0), 0);
        q.push(2, Priority(1.0), 0);
        q.push_retry(3, Priority(0.0), 0);
        assert_eq!(drain(&mut q), vec![2, 3, 1]);
    }

    #[test]
    fn removed_jobs_are_skipped() {
        let mut q = FairQueue::default();
        for j in 0..4 {
            q.push(j, Priority(0.0), 0);
        }
        q.push_retry(9, Priority(0.0), 0);
        q.remove(0);
        q.remove(9);
        q.remove(3);
        assert_eq!(q.len(), 2);
        assert_eq!(drain(&mut q), vec![1, 2]);
        assert!(q.removed.is_empty());
        assert!(q.classes.iter().all(|(_, c)| c.len == 0 && c.turns.is_empty()));
    }

    #[test]
    fn blocked_keys_are_passed_over() {
        let mut q = FairQueue::default();
        q.push(1, Priority(0.0), 1);
        q.push(2, Priority(0.0), 2);
        let h = q.head(|k| k == 1).unwrap();
        assert_eq!(h.job, 2);
        q.pop(h);
        assert_eq!(q.head(|k| k == 1), None);
        assert_eq!(q.head(|_| false).map(|h| h.job), Some(1));
    }

    #[test]
    fn a_blocked_key_is_passed_over_even_with_cancelled_jobs_behind_it() {
        let mut q = FairQueue::default();
        q.push(1, Priority(0.0), 1);
        q.push(2, Priority(0.0), 2);
        q.push(3, Priority(0.0), 2);
        q.remove(2);
        let h = q.head(|k| k == 1).unwrap();
        assert_eq!(h.job, 3);
        q.pop(h);
        assert_eq!(q.head(|k| k == 1), None);
        assert_eq!(drain(&mut q), vec![1]);
    }

    #[test]
    fn empty_classes_are_dropped_beyond_a_few() {
        let mut q = FairQueue::default();
        for p in 0..100 {
            q.push(p, Priority(p as f64), 0);
        }
        drain(&mut q);
        assert!(q.classes.len() <= KEPT_EMPTY_CLASSES);
    }
}
