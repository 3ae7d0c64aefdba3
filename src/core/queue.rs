//! The order in which waiting jobs start.
//!
//! Higher priority first. Within a priority, retried jobs come before new work, then keys
//! (tenants) take turns round-robin, first-in first-out within a key: one key flooding the
//! queue cannot starve another. Removal is lazy (a tombstone), so cancelling is O(1).

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};

pub type JobId = u64;
/// An interned key; see [`Keys`](super::keys::Keys).
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
    /// `None` for the retry lane, else the position of the key in the ring.
    ring_index: Option<usize>,
}

#[derive(Debug, Default)]
struct Class {
    retries: VecDeque<(JobId, KeyId)>,
    lanes: HashMap<KeyId, VecDeque<JobId>>,
    /// Keys with waiting jobs, in turn order.
    ring: VecDeque<KeyId>,
}

impl Class {
    fn is_empty(&self) -> bool {
        self.retries.is_empty() && self.ring.is_empty()
    }
}

#[derive(Debug, Default)]
pub struct FairQueue {
    classes: BTreeMap<Priority, Class>,
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

    pub fn push(&mut self, job: JobId, priority: Priority, key: KeyId) {
        let class = self.classes.entry(priority).or_default();
        let lane = class.lanes.entry(key).or_default();
        if lane.is_empty() {
            class.ring.push_back(key);
        }
        lane.push_back(job);
        self.len += 1;
    }

    /// A retried job goes ahead of new work of its priority.
    pub fn push_retry(&mut self, job: JobId, priority: Priority, key: KeyId) {
        self.classes.entry(priority).or_default().retries.push_back((job, key));
        self.len += 1;
    }

    /// Removes a waiting job (it was cancelled or expired). The caller knows it is queued.
    pub fn remove(&mut self, job: JobId) {
        if self.removed.insert(job) {
            self.len -= 1;
        }
    }

    /// The job that starts next, skipping keys for which `blocked` holds.
    pub fn head(&mut self, blocked: impl Fn(KeyId) -> bool) -> Option<Head> {
        let removed = &mut self.removed;
        let mut emptied = Vec::new();
        let mut found = None;
        for (&priority, class) in self.classes.iter_mut().rev() {
            purge_retries(&mut class.retries, removed);
            if let Some(&(job, key)) = class.retries.iter().find(|(_, k)| !blocked(*k)) {
                found = Some(Head { job, key, priority, ring_index: None });
                break;
            }
            let mut i = 0;
            while i < class.ring.len() {
                let key = class.ring[i];
                let lane = class.lanes.get_mut(&key).expect("every key in the ring has a lane");
                while lane.front().is_some_and(|j| removed.remove(j)) {
                    lane.pop_front();
                }
                match lane.front() {
                    None => {
                        class.lanes.remove(&key);
                        class.ring.remove(i);
                    }
                    Some(_) if blocked(key) => i += 1,
                    Some(&job) => {
                        found = Some(Head { job, key, priority, ring_index: Some(i) });
                        break;
                    }
                }
            }
            if found.is_some() {
                break;
            }
            if class.is_empty() {
                emptied.push(priority);
            }
        }
        for priority in emptied {
            self.classes.remove(&priority);
        }
        found
    }

    /// Pops the job [`head`](Self::head) returned; the queue must not have changed in between.
    pub fn pop(&mut self, head: Head) {
        let class = self.classes.get_mut(&head.priority).expect("head's class exists");
        match head.ring_index {
            None => {
                let at = class.retries.iter().position(|&(j, _)| j == head.job).expect("head is queued");
                class.retries.remove(at);
            }
            Some(i) => {
                let lane = class.lanes.get_mut(&head.key).expect("head's lane exists");
                lane.pop_front();
                class.ring.remove(i);
                if lane.is_empty() {
                    class.lanes.remove(&head.key);
                } else {
                    class.ring.push_back(head.key);
                }
            }
        }
        if class.is_empty() {
            self.classes.remove(&head.priority);
        }
        self.len -= 1;
    }
}

fn purge_retries(retries: &mut VecDeque<(JobId, KeyId)>, removed: &mut HashSet<JobId>) {
    if !removed.is_empty() {
        retries.retain(|(j, _)| !removed.remove(j));
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
        assert!(q.classes.is_empty() && q.removed.is_empty());
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
}
