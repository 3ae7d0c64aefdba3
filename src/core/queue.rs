//! The order in which waiting jobs start.
//!
//! Higher priority first. Within a priority, retried jobs come before new work; then keys
//! (tenants) share by start-time fair queuing: each key's next job carries a tag (the virtual
//! time of its turn), the smallest tag goes first, and a key that was idle starts at the
//! current virtual time. So keys with waiting work take turns, and a key that just arrived goes
//! ahead of one that has been flooding: it never waits behind the flood. First-in first-out
//! within a key.
//!
//! Every waiting job's place is indexed, so a job leaves from anywhere at once (cancelled,
//! expired) and the queue never hands out one that left. Memory follows the waiting jobs: a
//! priority class goes when its last job does, a key's lane soon after its last job.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};

use super::fifo::{Fifo, Ticket};

pub type JobId = u64;
/// An interned key; see [`Keys`](super::keys::Keys).
pub type KeyId = u32;

/// A job's priority: any number, higher first (ordered as `f64::total_cmp` orders them).
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

/// The job that starts next, as [`FairQueue::head`] found it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Head {
    pub job: JobId,
    pub key: KeyId,
}

/// A key's place in line: its tag, then the order keys became active, for ties.
type Turn = (u64, u64, KeyId);

/// Emptied lanes remembered beyond a class's waiting jobs (see [`Class::idle`]).
const IDLE_LANES_SLACK: usize = 16;

/// Emptied classes kept for their idle lanes, so that a key whose only job just started and
/// that refills at once still does not jump the line; older emptied classes are dropped.
const KEPT_EMPTY_CLASSES: usize = 8;

#[derive(Debug, Default)]
struct Lane {
    jobs: Fifo<JobId>,
    /// The key's place in line while it has jobs.
    turn: Option<Turn>,
    /// The earliest tag of its next turn: one past its last, so a key that empties its lane
    /// and refills it at once does not jump the line.
    next: u64,
}

#[derive(Debug, Default)]
struct Class {
    retries: Fifo<(JobId, KeyId)>,
    lanes: HashMap<KeyId, Lane>,
    /// Keys with waiting jobs, by turn: exactly one entry per lane that has jobs.
    turns: BTreeSet<Turn>,
    /// Keys whose lane emptied, oldest first, kept while their `next` can still matter (it is
    /// ahead of the virtual time). At most the class's waiting jobs plus a little: beyond
    /// that the oldest are forgotten, which can give such a key one early turn, no more.
    idle: VecDeque<KeyId>,
    /// The tag of the last turn served.
    virtual_time: u64,
    /// Counts activations, to break ties first come, first served.
    arrivals: u64,
    len: usize,
}

impl Class {
    /// Puts a key whose lane just got its first job in line: at the current virtual time, or
    /// its own next turn if later.
    fn activate(&mut self, key: KeyId) {
        self.arrivals += 1;
        let Some(lane) = self.lanes.get_mut(&key) else { return };
        let turn = (self.virtual_time.max(lane.next), self.arrivals, key);
        lane.turn = Some(turn);
        self.turns.insert(turn);
    }

    /// A lane that just emptied: out of line, and kept only while its `next` matters.
    fn retire(&mut self, key: KeyId) {
        let Some(lane) = self.lanes.get_mut(&key) else { return };
        if let Some(turn) = lane.turn.take() {
            self.turns.remove(&turn);
        }
        if lane.next <= self.virtual_time {
            self.lanes.remove(&key);
        } else {
            self.idle.push_back(key);
        }
        while let Some(&oldest) = self.idle.front() {
            let over = self.idle.len() > self.len + IDLE_LANES_SLACK;
            let lane = self.lanes.get(&oldest);
            let spent = lane.map_or(true, |l| l.turn.is_some() || l.next <= self.virtual_time);
            if !over && !spent {
                break;
            }
            self.idle.pop_front();
            if lane.is_some_and(|l| l.jobs.is_empty()) {
                self.lanes.remove(&oldest);
            }
        }
    }
}

/// Where a waiting job is.
#[derive(Clone, Copy, Debug)]
struct Place {
    priority: Priority,
    key: KeyId,
    ticket: Ticket,
    retry: bool,
}

/// What the queue holds, to check that it follows the waiting jobs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct QueueFootprint {
    pub classes: usize,
    pub lanes: usize,
    /// Entries in lines, holes left by early leavers included.
    pub slots: usize,
}

#[derive(Debug, Default)]
pub struct FairQueue {
    classes: BTreeMap<Priority, Class>,
    places: HashMap<JobId, Place>,
    /// Classes that emptied with idle lanes to remember, oldest first (some may have refilled).
    emptied: VecDeque<Priority>,
    tickets: Ticket,
}

impl FairQueue {
    pub fn len(&self) -> usize {
        self.places.len()
    }

    pub fn is_empty(&self) -> bool {
        self.places.is_empty()
    }

    pub fn footprint(&self) -> QueueFootprint {
        self.classes.values().fold(QueueFootprint { classes: self.classes.len(), ..QueueFootprint::default() }, |f, c| QueueFootprint {
            lanes: f.lanes + c.lanes.len(),
            slots: f.slots + c.retries.footprint() + c.lanes.values().map(|l| l.jobs.footprint()).sum::<usize>(),
            ..f
        })
    }

    /// Files a new place; `None` when the job waits already (a job waits once).
    fn place(&mut self, job: JobId, priority: Priority, key: KeyId, retry: bool) -> Option<(&mut Class, Ticket)> {
        if self.places.contains_key(&job) {
            return None;
        }
        let ticket = self.tickets;
        self.tickets += 1;
        self.places.insert(job, Place { priority, key, ticket, retry });
        let class = self.classes.entry(priority).or_default();
        class.len += 1;
        Some((class, ticket))
    }

    pub fn push(&mut self, job: JobId, priority: Priority, key: KeyId) {
        let Some((class, ticket)) = self.place(job, priority, key, false) else { return };
        let lane = class.lanes.entry(key).or_default();
        lane.jobs.push(ticket, job);
        if lane.turn.is_none() {
            class.activate(key);
        }
    }

    /// A retried job goes ahead of new work of its priority.
    pub fn push_retry(&mut self, job: JobId, priority: Priority, key: KeyId) {
        let Some((class, ticket)) = self.place(job, priority, key, true) else { return };
        class.retries.push(ticket, (job, key));
    }

    /// Takes a waiting job out (it was cancelled or expired). Returns whether it was waiting.
    pub fn remove(&mut self, job: JobId) -> bool {
        self.take(job, false)
    }

    /// Takes `job` out; `served`: it starts now, and its key's turn is spent.
    fn take(&mut self, job: JobId, served: bool) -> bool {
        let Some(place) = self.places.remove(&job) else { return false };
        let Some(class) = self.classes.get_mut(&place.priority) else { return false };
        class.len -= 1;
        if place.retry {
            class.retries.remove(place.ticket);
        } else if let Some(lane) = class.lanes.get_mut(&place.key) {
            lane.jobs.remove(place.ticket);
            match lane.turn {
                Some(turn) if served => {
                    // Its next turn comes after everyone now in line for this one.
                    class.virtual_time = turn.0;
                    lane.next = turn.0 + 1;
                    class.turns.remove(&turn);
                    lane.turn = None;
                    if lane.jobs.is_empty() {
                        class.retire(place.key);
                    } else {
                        class.activate(place.key);
                    }
                }
                _ if lane.jobs.is_empty() => class.retire(place.key),
                _ => {}
            }
        }
        if class.len == 0 {
            self.emptied(place.priority);
        }
        true
    }

    /// A class lost its last job: dropped, unless it has idle lanes to remember and is among
    /// the last few to empty.
    fn emptied(&mut self, priority: Priority) {
        if self.classes.get(&priority).is_some_and(|c| c.idle.is_empty()) {
            self.classes.remove(&priority);
            return;
        }
        self.emptied.push_back(priority);
        while self.emptied.len() > KEPT_EMPTY_CLASSES {
            let Some(oldest) = self.emptied.pop_front() else { break };
            if self.classes.get(&oldest).is_some_and(|c| c.len == 0) {
                self.classes.remove(&oldest);
            }
        }
    }

    /// The job that starts next, passing over keys for which `blocked` holds.
    pub fn head(&self, blocked: impl Fn(KeyId) -> bool) -> Option<Head> {
        for class in self.classes.values().rev() {
            if let Some((_, &(job, key))) = class.retries.iter().find(|(_, (_, key))| !blocked(*key)) {
                return Some(Head { job, key });
            }
            for &(_, _, key) in class.turns.iter().filter(|turn| !blocked(turn.2)) {
                if let Some((_, &job)) = class.lanes.get(&key).and_then(|lane| lane.jobs.front()) {
                    return Some(Head { job, key });
                }
            }
        }
        None
    }

    /// Takes out the job [`head`](Self::head) returned: it starts.
    pub fn pop(&mut self, head: Head) {
        self.take(head.job, true);
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
        assert_eq!(q.footprint().slots, 0);
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
    fn emptied_classes_are_dropped() {
        let mut q = FairQueue::default();
        for p in 0..100 {
            q.push(p, Priority(p as f64), 0);
            q.push(1_000 + p, Priority(p as f64 + 0.5), 0);
        }
        for p in 0..100 {
            assert!(q.remove(1_000 + p), "cancelled");
        }
        assert_eq!(q.footprint().classes, 100, "cancelled classes are gone at once");
        drain(&mut q);
        let left = q.footprint();
        assert!(left.classes <= KEPT_EMPTY_CLASSES && left.lanes <= KEPT_EMPTY_CLASSES && left.slots == 0, "{left:?}");
    }
}
