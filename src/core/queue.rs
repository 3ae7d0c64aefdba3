//! The order in which waiting jobs start.
//!
//! Higher priority first. Within a priority, retried jobs come before new work; then keys
//! (tenants) share by start-time fair queuing: each key's next job carries a tag (the virtual
//! time of its turn), the smallest tag goes first, and a key that was idle starts at the
//! current virtual time. So keys with waiting work take turns, and a key that just arrived goes
//! ahead of one that has been flooding: it never waits behind the flood. First-in first-out
//! within a key.
//!
//! Jobs with a deadline go earliest deadline first instead, against the fair queue's head: a
//! job without a deadline counts as due [`NO_DEADLINE_SLACK_MS`] after it was queued, and
//! whichever of the two heads is due first starts. So a deadline job overtakes work without
//! one only if it is due before that work counts as due; from then on none can (a deadline job
//! still waiting past its deadline has been rejected), so work without a deadline is never
//! starved, and it keeps its order and its fairness between keys.
//!
//! Pushing a job hands out its [`Place`], which its owner keeps: with it the job leaves from
//! anywhere at once (cancelled, expired), and the queue never hands out one that left. Memory
//! follows the waiting jobs: a priority class goes when its last job does (a few stay a little
//! longer: `KEPT_EMPTY_CLASSES`), a key's lane soon after its last job.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};

use super::fifo::{Fifo, Ticket};
use super::time::Millis;

pub type JobId = u64;
/// A key (tenant) interned to a small id while jobs or a gate hold it.
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

impl Priority {
    /// The class's name in the map: its bits (equal bits, equal place in `total_cmp`'s order).
    fn bits(self) -> u64 {
        self.0.to_bits()
    }
}

/// The job that starts next, as [`FairQueue::head`] found it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Head {
    pub job: JobId,
    pub key: KeyId,
    pub place: Place,
}

/// A key's place in line: its tag, then the order keys became active (unique), then the key.
type Turn = (u64, u64, KeyId);

/// Emptied lanes remembered beyond a class's waiting jobs (see [`Class::idle`]).
const IDLE_LANES_SLACK: usize = 16;

/// Emptied classes kept for their idle lanes, so that a key whose only job just started and
/// that refills at once still does not jump the line; older emptied classes are dropped.
const KEPT_EMPTY_CLASSES: usize = 8;

/// Stale entries tolerated in an order (of turns, of classes) beyond twice the live ones.
const STALE_SLACK: usize = 16;

/// How long after it was queued a job without a deadline counts as due, against jobs with one.
pub const NO_DEADLINE_SLACK_MS: u64 = 30_000;

#[derive(Debug, Default)]
struct Lane {
    /// Each job with the time it counts as due (queued plus [`NO_DEADLINE_SLACK_MS`]).
    jobs: Fifo<(JobId, Millis)>,
    /// The key's place in line while it has jobs.
    turn: Option<Turn>,
    /// The earliest tag of its next turn: one past its last, so a key that empties its lane
    /// and refills it at once does not jump the line.
    next: u64,
}

#[derive(Debug, Default)]
struct Class {
    retries: Fifo<(JobId, KeyId)>,
    /// Jobs with a deadline, by ticket; `deadlines` orders them.
    due: Fifo<(JobId, KeyId)>,
    /// The deadline jobs' tickets, earliest deadline first. An entry whose ticket left `due` is
    /// stale: dropped when met, or all at once when they outnumber the live ones.
    deadlines: BinaryHeap<Reverse<(Millis, Ticket)>>,
    /// Jobs in `due`.
    due_len: usize,
    lanes: HashMap<KeyId, Lane>,
    /// Keys with waiting jobs, by turn. An entry that is not its lane's turn is stale: dropped
    /// when met, or all at once when they outnumber the lanes in line.
    turns: BinaryHeap<Reverse<Turn>>,
    /// Lanes in line (with a turn).
    in_line: usize,
    /// Keys whose lane emptied, oldest first, kept while their `next` can still matter (it is
    /// ahead of the virtual time). At most the class's waiting jobs plus a little: beyond
    /// that the oldest are forgotten, which can give such a key one early turn, no more.
    idle: VecDeque<KeyId>,
    /// The tag of the last turn served.
    virtual_time: u64,
    /// Counts activations, to break ties first come, first served.
    arrivals: u64,
    len: usize,
    /// The number of its entry in the order of classes (0 while it has none), to tell it from
    /// stale entries of the same priority.
    listing: u64,
}

impl Class {
    /// Puts a key whose lane just got its first job in line: at the current virtual time, or
    /// its own next turn if later.
    fn activate(&mut self, key: KeyId) {
        self.arrivals += 1;
        let Some(lane) = self.lanes.get_mut(&key) else { return };
        let turn = (self.virtual_time.max(lane.next), self.arrivals, key);
        lane.turn = Some(turn);
        self.in_line += 1;
        self.turns.push(Reverse(turn));
        self.tidy_turns();
    }

    /// Takes a key out of line (its turn's entry goes stale).
    fn leave_line(&mut self, key: KeyId) {
        if self.lanes.get_mut(&key).and_then(|lane| lane.turn.take()).is_some() {
            self.in_line -= 1;
            self.tidy_turns();
        }
    }

    fn tidy_turns(&mut self) {
        if self.turns.len() > 2 * self.in_line + STALE_SLACK {
            let lanes = &self.lanes;
            self.turns.retain(|Reverse(t)| lanes.get(&t.2).is_some_and(|l| l.turn == Some(*t)));
        }
    }

    /// A lane that just emptied: out of line, and kept only while its `next` matters.
    fn retire(&mut self, key: KeyId) {
        self.leave_line(key);
        if self.lanes.get(&key).is_some_and(|lane| lane.next <= self.virtual_time) {
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

    /// A job left `key`'s lane; `served`: it starts, and the key's turn is spent.
    fn left_lane(&mut self, key: KeyId, served: bool) {
        let Some(lane) = self.lanes.get_mut(&key) else { return };
        let emptied = lane.jobs.is_empty();
        if let Some(turn) = lane.turn.filter(|_| served) {
            // Its next turn comes after everyone now in line for this one.
            self.virtual_time = turn.0;
            lane.next = turn.0 + 1;
            if !emptied {
                self.leave_line(key);
                self.activate(key);
            }
        }
        if emptied {
            self.retire(key);
        }
    }

    fn is_current(&self, turn: &Turn) -> bool {
        self.lanes.get(&turn.2).is_some_and(|lane| lane.turn == Some(*turn))
    }

    /// The first job, in order, of a key `blocked` does not hold back.
    fn head(&mut self, priority: Priority, blocked: &impl Fn(KeyId) -> bool) -> Option<Head> {
        if let Some((ticket, &(job, key))) = self.retries.iter().find(|(_, (_, key))| !blocked(*key)) {
            return Some(Head { job, key, place: Place { priority, key, ticket, line: Line::Retry } });
        }
        let fair = self.fair_head(priority, blocked);
        let earliest = self.earliest(blocked).map(|(due, ticket, (job, key))| {
            (Head { job, key, place: Place { priority, key, ticket, line: Line::Due } }, due)
        });
        match (fair, earliest) {
            (Some((fair, fair_due)), Some((edf, due))) => Some(if due < fair_due { edf } else { fair }),
            (fair, edf) => fair.or(edf).map(|(head, _)| head),
        }
    }

    /// The deadline job due first among those `blocked` does not hold back.
    fn earliest(&mut self, blocked: &impl Fn(KeyId) -> bool) -> Option<(Millis, Ticket, (JobId, KeyId))> {
        // Jobs of keys held back (their own gate is closed) are set aside, then put back.
        let mut passed = Vec::new();
        let mut found = None;
        while let Some(&Reverse((due, ticket))) = self.deadlines.peek() {
            match self.due.get(ticket).copied() {
                None => drop(self.deadlines.pop()), // stale
                Some(entry) if blocked(entry.1) => passed.extend(self.deadlines.pop()),
                Some(entry) => {
                    found = Some((due, ticket, entry));
                    break;
                }
            }
        }
        self.deadlines.extend(passed);
        found
    }

    fn tidy_deadlines(&mut self) {
        if self.deadlines.len() > 2 * self.due_len + STALE_SLACK {
            let due = &self.due;
            self.deadlines.retain(|Reverse((_, t))| due.get(*t).is_some());
        }
    }

    /// The first job of the key whose turn it is (among those `blocked` does not hold back),
    /// with the time it counts as due.
    fn fair_head(&mut self, priority: Priority, blocked: &impl Fn(KeyId) -> bool) -> Option<(Head, Millis)> {
        // Keys held back (their own gate is closed) are set aside, then put back.
        let mut passed = Vec::new();
        let mut found = None;
        while let Some(&Reverse(turn)) = self.turns.peek() {
            if !self.is_current(&turn) {
                self.turns.pop(); // stale
            } else if blocked(turn.2) {
                passed.extend(self.turns.pop());
            } else {
                found = Some(turn.2);
                break;
            }
        }
        self.turns.extend(passed);
        let key = found?;
        let (ticket, &(job, due)) = self.lanes.get(&key)?.jobs.front()?;
        Some((Head { job, key, place: Place { priority, key, ticket, line: Line::Fair } }, due))
    }
}

/// Where a waiting job is: the queue hands it out on push, and takes it back to remove the
/// job (the owner of the job keeps it, so the queue needs no index of its own).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Place {
    priority: Priority,
    key: KeyId,
    ticket: Ticket,
    line: Line,
}

/// Which line of its class a waiting job is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Line {
    /// Its key's lane (no deadline).
    Fair,
    Retry,
    /// The deadline order.
    Due,
}

/// What the queue holds, to check that it follows the waiting jobs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct QueueFootprint {
    pub classes: usize,
    pub lanes: usize,
    /// Entries in lines and orders, holes left by early leavers and stale entries included.
    pub slots: usize,
}

#[derive(Debug, Default)]
pub struct FairQueue {
    /// By priority's bits.
    classes: HashMap<u64, Class>,
    /// The classes with jobs, by priority, highest first; an entry whose class is gone or
    /// holds another listing is stale. (An emptied class kept for its idle lanes loses its
    /// entry when met, and gets a new one when it refills.)
    order: BinaryHeap<(Priority, u64)>,
    /// Listings made so far.
    listings: u64,
    len: usize,
    /// Classes that emptied with idle lanes to remember, oldest first (some may have refilled).
    emptied: VecDeque<Priority>,
    tickets: Ticket,
}

impl FairQueue {
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn footprint(&self) -> QueueFootprint {
        let start = QueueFootprint { classes: self.classes.len(), slots: self.order.len(), lanes: 0 };
        self.classes.values().fold(start, |f, c| QueueFootprint {
            lanes: f.lanes + c.lanes.len(),
            slots: f.slots + c.turns.len() + c.deadlines.len() + c.due.footprint() + c.retries.footprint() + c.lanes.values().map(|l| l.jobs.footprint()).sum::<usize>(),
            ..f
        })
    }

    /// Files a new place.
    fn place(&mut self, priority: Priority, key: KeyId, line: Line) -> (&mut Class, Place) {
        let ticket = self.tickets;
        self.tickets += 1;
        self.len += 1;
        let class = self.classes.entry(priority.bits()).or_default();
        if class.listing == 0 {
            self.listings += 1;
            class.listing = self.listings;
            self.order.push((priority, self.listings));
            self.tidy_order();
        }
        let class = self.classes.entry(priority.bits()).or_default();
        class.len += 1;
        (class, Place { priority, key, ticket, line })
    }

    /// Queues a job without a deadline, at its key's turn; `now` is when (see [`NO_DEADLINE_SLACK_MS`]).
    pub fn push(&mut self, job: JobId, priority: Priority, key: KeyId, now: Millis) -> Place {
        let (class, place) = self.place(priority, key, Line::Fair);
        let lane = class.lanes.entry(key).or_default();
        lane.jobs.push(place.ticket, (job, now.saturating_add(NO_DEADLINE_SLACK_MS)));
        if lane.turn.is_none() {
            class.activate(key);
        }
        place
    }

    /// A retried job goes ahead of new work of its priority.
    pub fn push_retry(&mut self, job: JobId, priority: Priority, key: KeyId) -> Place {
        let (class, place) = self.place(priority, key, Line::Retry);
        class.retries.push(place.ticket, (job, key));
        place
    }

    /// Queues a job with a deadline: within its priority, earliest deadline first.
    pub fn push_due(&mut self, job: JobId, priority: Priority, key: KeyId, deadline: Millis) -> Place {
        let (class, place) = self.place(priority, key, Line::Due);
        class.due.push(place.ticket, (job, key));
        class.deadlines.push(Reverse((deadline, place.ticket)));
        class.due_len += 1;
        class.tidy_deadlines();
        place
    }

    /// Takes a waiting job out (it was cancelled or expired). Returns whether it was waiting.
    pub fn remove(&mut self, place: Place) -> bool {
        self.take(place, false)
    }

    /// Takes the job at `place` out; `served`: it starts now, and its key's turn is spent.
    fn take(&mut self, place: Place, served: bool) -> bool {
        let Some(class) = self.classes.get_mut(&place.priority.bits()) else { return false };
        let taken = match place.line {
            Line::Retry => class.retries.remove(place.ticket).is_some(),
            Line::Due => {
                let taken = class.due.remove(place.ticket).is_some();
                class.due_len -= taken as usize;
                class.tidy_deadlines();
                taken
            }
            Line::Fair => class.lanes.get_mut(&place.key).and_then(|lane| lane.jobs.remove(place.ticket)).is_some(),
        };
        if !taken {
            return false;
        }
        class.len -= 1;
        self.len -= 1;
        if place.line == Line::Fair {
            class.left_lane(place.key, served);
        }
        if class.len == 0 {
            self.emptied(place.priority);
        }
        true
    }

    fn tidy_order(&mut self) {
        if self.order.len() > 2 * self.classes.len() + STALE_SLACK {
            let classes = &self.classes;
            self.order.retain(|&(p, listing)| classes.get(&p.bits()).is_some_and(|c| c.listing == listing));
        }
    }

    /// A class lost its last job: dropped, unless it has idle lanes to remember and is among
    /// the last few to empty.
    fn emptied(&mut self, priority: Priority) {
        if self.classes.get(&priority.bits()).is_some_and(|c| c.idle.is_empty()) {
            self.classes.remove(&priority.bits());
        } else {
            self.emptied.push_back(priority);
        }
        while self.emptied.len() > KEPT_EMPTY_CLASSES {
            let Some(oldest) = self.emptied.pop_front() else { break };
            if self.classes.get(&oldest.bits()).is_some_and(|c| c.len == 0) {
                self.classes.remove(&oldest.bits());
            }
        }
        self.tidy_order();
    }

    /// The job that starts next, passing over keys for which `blocked` holds.
    pub fn head(&mut self, blocked: impl Fn(KeyId) -> bool) -> Option<Head> {
        // Classes whose every waiting key is held back are set aside, then put back.
        let mut passed = Vec::new();
        let mut head = None;
        while let Some(&(priority, listing)) = self.order.peek() {
            match self.classes.get_mut(&priority.bits()) {
                Some(class) if class.listing == listing && class.len > 0 => {
                    head = class.head(priority, &blocked);
                    if head.is_some() {
                        break;
                    }
                    passed.extend(self.order.pop());
                }
                Some(class) if class.listing == listing => {
                    class.listing = 0; // emptied, kept for its idle lanes
                    self.order.pop();
                }
                _ => {
                    self.order.pop(); // stale
                }
            }
        }
        self.order.extend(passed);
        head
    }

    /// Takes out the job [`head`](Self::head) returned: it starts.
    pub fn pop(&mut self, head: Head) {
        self.take(head.place, true);
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
        q.push(1, Priority(0.0), 0, 0);
        q.push(2, Priority(5.0), 0, 0);
        q.push(3, Priority(0.0), 0, 0);
        q.push(4, Priority(-1.5), 0, 0);
        q.push(5, Priority(5.0), 0, 0);
        assert_eq!(drain(&mut q), vec![2, 5, 1, 3, 4]);
        assert!(q.is_empty());
    }

    #[test]
    fn keys_take_turns() {
        let mut q = FairQueue::default();
        for j in 0..5 {
            q.push(j, Priority(0.0), 7, 0); // a flood from key 7
        }
        q.push(100, Priority(0.0), 8, 0);
        q.push(101, Priority(0.0), 8, 0);
        assert_eq!(drain(&mut q), vec![0, 100, 1, 101, 2, 3, 4]);
    }

    #[test]
    fn a_key_that_arrives_goes_ahead_of_a_flood() {
        let mut q = FairQueue::default();
        for j in 0..5 {
            q.push(j, Priority(0.0), 1, 0);
        }
        let h = q.head(|_| false).unwrap();
        q.pop(h); // the flood's first job started
        q.push(100, Priority(0.0), 2, 0);
        assert_eq!(q.head(|_| false).unwrap().job, 100, "the newcomer does not wait behind the flood");
        assert_eq!(drain(&mut q), vec![100, 1, 2, 3, 4]);
    }

    #[test]
    fn retries_go_ahead_of_new_work_of_their_priority() {
        let mut q = FairQueue::default();
        q.push(1, Priority(0.0), 0, 0);
        q.push(2, Priority(1.0), 0, 0);
        q.push_retry(3, Priority(0.0), 0);
        assert_eq!(drain(&mut q), vec![2, 3, 1]);
    }

    #[test]
    fn removed_jobs_are_skipped() {
        let mut q = FairQueue::default();
        let places: Vec<Place> = (0..4).map(|j| q.push(j, Priority(0.0), 0, 0)).collect();
        let retry = q.push_retry(9, Priority(0.0), 0);
        assert!(q.remove(places[0]) && q.remove(retry) && q.remove(places[3]));
        assert!(!q.remove(places[3]), "gone already");
        assert_eq!(q.len(), 2);
        assert_eq!(drain(&mut q), vec![1, 2]);
        assert!(q.footprint().slots <= 2, "{:?}", q.footprint());
    }

    #[test]
    fn blocked_keys_are_passed_over() {
        let mut q = FairQueue::default();
        q.push(1, Priority(0.0), 1, 0);
        q.push(2, Priority(0.0), 2, 0);
        let h = q.head(|k| k == 1).unwrap();
        assert_eq!(h.job, 2);
        q.pop(h);
        assert_eq!(q.head(|k| k == 1), None);
        assert_eq!(q.head(|_| false).map(|h| h.job), Some(1));
    }

    #[test]
    fn a_blocked_key_is_passed_over_even_with_cancelled_jobs_behind_it() {
        let mut q = FairQueue::default();
        q.push(1, Priority(0.0), 1, 0);
        let two = q.push(2, Priority(0.0), 2, 0);
        q.push(3, Priority(0.0), 2, 0);
        q.remove(two);
        let h = q.head(|k| k == 1).unwrap();
        assert_eq!(h.job, 3);
        q.pop(h);
        assert_eq!(q.head(|k| k == 1), None);
        assert_eq!(drain(&mut q), vec![1]);
    }

    #[test]
    fn emptied_classes_are_dropped() {
        let mut q = FairQueue::default();
        let mut cancelled = Vec::new();
        for p in 0..100 {
            q.push(p, Priority(p as f64), 0, 0);
            cancelled.push(q.push(1_000 + p, Priority(p as f64 + 0.5), 0, 0));
        }
        for place in cancelled {
            assert!(q.remove(place), "cancelled");
        }
        assert_eq!(q.footprint().classes, 100, "cancelled classes are gone at once");
        drain(&mut q);
        let left = q.footprint();
        assert!(left.classes <= KEPT_EMPTY_CLASSES && left.lanes <= KEPT_EMPTY_CLASSES, "{left:?}");
        assert!(left.slots <= 2 * KEPT_EMPTY_CLASSES + STALE_SLACK, "only stale order entries: {left:?}");
    }

    #[test]
    fn a_removed_retry_behind_a_blocked_one_is_never_handed_out() {
        let mut q = FairQueue::default();
        q.push_retry(1, Priority(0.0), 1);
        let cancelled = q.push_retry(2, Priority(0.0), 2);
        q.push(3, Priority(0.0), 2, 0);
        q.remove(cancelled);
        assert_eq!(q.head(|k| k == 1).map(|h| h.job), Some(3));
        assert_eq!(drain(&mut q), vec![1, 3]);
    }

    #[test]
    fn any_priority_has_its_place_in_the_order() {
        let mut q = FairQueue::default();
        for (job, p) in [(1, f64::NEG_INFINITY), (2, -0.0), (3, 0.0), (4, f64::MAX), (5, f64::INFINITY), (6, 1e-300)] {
            q.push(job, Priority(p), 0, 0);
        }
        assert_eq!(drain(&mut q), vec![5, 4, 6, 3, 2, 1]);
    }

    #[test]
    fn earliest_deadline_first_within_a_priority() {
        let mut q = FairQueue::default();
        q.push_due(1, Priority(0.0), 0, 9_000);
        q.push_due(2, Priority(0.0), 1, 3_000);
        q.push_due(3, Priority(1.0), 0, 20_000);
        q.push_due(4, Priority(0.0), 0, 5_000);
        assert_eq!(drain(&mut q), vec![3, 2, 4, 1]);
    }

    #[test]
    fn work_without_a_deadline_goes_once_it_is_due_before_the_deadlines() {
        let mut q = FairQueue::default();
        q.push(1, Priority(0.0), 7, 0); // counts as due at NO_DEADLINE_SLACK_MS
        q.push(2, Priority(0.0), 8, 100);
        q.push_due(10, Priority(0.0), 0, NO_DEADLINE_SLACK_MS - 1);
        q.push_due(11, Priority(0.0), 0, NO_DEADLINE_SLACK_MS + 50);
        q.push_due(12, Priority(0.0), 0, NO_DEADLINE_SLACK_MS + 500);
        assert_eq!(drain(&mut q), vec![10, 1, 11, 2, 12]);
    }

    #[test]
    fn a_removed_deadline_job_is_never_handed_out_and_blocked_keys_are_passed_over() {
        let mut q = FairQueue::default();
        let gone = q.push_due(1, Priority(0.0), 0, 10);
        q.push_due(2, Priority(0.0), 1, 20);
        q.push_due(3, Priority(0.0), 2, 30);
        assert!(q.remove(gone));
        assert_eq!(q.head(|k| k == 1).map(|h| h.job), Some(3));
        assert_eq!(drain(&mut q), vec![2, 3]);
        assert_eq!(q.footprint().slots, 0, "{:?}", q.footprint());
    }
}
