//! What time alone changes: backoffs that end, leases that run out, deadlines that pass, and
//! when the host must wake the scheduler next. Timer entries are left stale when their job
//! moves on, skipped when met, and compacted once they outnumber the live jobs.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::{Job, Late, Rejection, Scheduler, State};
use crate::core::concurrency::Signal;
use crate::core::cost::Cost;
use crate::core::queue::JobId;
use crate::core::time::Millis;

/// Stale timer entries tolerated beyond twice the live jobs before the timers are compacted.
const TIMER_SLACK: usize = 64;

impl Scheduler {
    /// Drops the timers' stale entries (jobs that started, ended or left) once they outnumber
    /// the live jobs, so that memory follows the jobs, not how many came and went.
    pub(super) fn tidy_timers(&mut self) {
        let live = 2 * self.jobs.len() + TIMER_SLACK;
        let jobs = &self.jobs;
        if self.dues.len() > live {
            self.dues.retain(|Reverse((_, id))| jobs.get(id).is_some());
        }
        if self.deadlines.len() > live {
            self.deadlines.retain(|Reverse((_, id))| jobs.get(id).is_some_and(Job::awaits_first_start));
        }
        if self.backoffs.len() > live {
            self.backoffs.retain(|Reverse((_, id))| jobs.get(id).is_some_and(|j| j.state == State::Waiting));
        }
        if self.leases.len() > live {
            self.leases.retain(|(_, id)| jobs.get(id).and_then(Job::attempt).is_some());
        }
    }

    /// Attempts whose lease ran out give their slot back: their host will never report them.
    /// The reservation stands (the provider may have charged it), the job ends as failed.
    pub(super) fn end_lost_attempts(&mut self, now: Millis) {
        let Some(lease) = self.config.attempt_lease_ms else { return };
        while let Some(&(until, id)) = self.leases.front() {
            if until > now {
                break;
            }
            self.leases.pop_front();
            let Some(attempt) = self.jobs.get(&id).and_then(Job::attempt) else { continue }; // it ended
            if attempt.started_at.saturating_add(lease) != until {
                continue; // an earlier attempt's lease
            }
            let job = &self.jobs[&id];
            self.in_flight_cost.sub(&job.cost);
            self.gates.ended(job.key, id, false);
            self.concurrency.release(attempt.epoch, Signal::Neutral, false);
            self.end(id, |c| {
                c.lost += 1;
                c.failed += 1;
            });
        }
    }

    /// Jobs whose backoff is over re-enter the queue, ahead of new work of their priority.
    pub(super) fn requeue_backoffs(&mut self, now: Millis) {
        while let Some(&Reverse((at, id))) = self.backoffs.peek() {
            if at > now {
                break;
            }
            self.backoffs.pop();
            let Some(job) = self.jobs.get_mut(&id).filter(|j| j.state == State::Waiting) else { continue };
            if let Some(too_large) = self.budget.too_large(&job.estimate) {
                // A limit learned while its attempt ran can never hold it: it would wait forever.
                self.reject_queued(now, id, Some(Rejection::TooLarge(too_large)));
                continue;
            }
            self.backing_off -= 1;
            job.state = State::Queued(self.queue.push_retry(id, job.priority, job.key));
        }
    }

    /// Rejects queued and backing-off jobs whose deadline came: they cannot finish by it.
    /// (A running attempt is cut at its deadline by the host and ends as timed out.)
    pub(super) fn expire_dues(&mut self, now: Millis) {
        while let Some(&Reverse((due, id))) = self.dues.peek() {
            if due > now {
                break;
            }
            self.dues.pop();
            if self.jobs.get(&id).is_some_and(|j| j.attempt().is_none()) {
                let reason = Rejection::Deadline { left_ms: 0, needed_ms: 0, why: Late::Expired };
                self.reject_queued(now, id, Some(reason));
            }
        }
    }

    /// Rejects jobs waiting for their first start whose deadline passed (`inclusive`: or is now).
    pub(super) fn expire(&mut self, now: Millis, inclusive: bool) {
        while let Some(&Reverse((deadline, id))) = self.deadlines.peek() {
            if deadline > now || (deadline == now && !inclusive) {
                break;
            }
            self.deadlines.pop();
            if self.jobs.get(&id).is_some_and(Job::awaits_first_start) {
                self.reject_queued(now, id, None);
            }
        }
    }

    /// The next instant time alone changes something; `waiting_for_budget` is the cost of the
    /// head of the queue when only the budget holds it back.
    pub(super) fn compute_next_wake(&mut self, now: Millis, waiting_for_budget: Option<Cost>) -> Option<Millis> {
        let jobs = &self.jobs;
        prune(&mut self.deadlines, |id| jobs.get(&id).is_some_and(Job::awaits_first_start));
        prune(&mut self.backoffs, |id| jobs.get(&id).is_some_and(|j| j.state == State::Waiting));
        while self.leases.front().is_some_and(|(_, id)| jobs.get(id).and_then(Job::attempt).is_none()) {
            self.leases.pop_front();
        }
        let lease = self.leases.front().map(|(t, _)| *t);
        prune(&mut self.dues, |id| jobs.get(&id).is_some());
        let deadline = self.deadlines.peek().map(|Reverse((d, _))| *d);
        let due = self.dues.peek().map(|Reverse((d, _))| *d);
        let backoff = self.backoffs.peek().map(|Reverse((t, _))| *t);
        let refill = waiting_for_budget
            .filter(|_| self.budget.leased_until.is_none()) // leased, only a grant adds (lease::Local wakes)
            .and_then(|cost| self.budget.wait_for(&cost, &Cost::default()))
            .map(|wait| now.saturating_add(wait.max(1)));
        [deadline, due, backoff, refill, lease, self.gates.wake()].into_iter().flatten().min()
    }
}

/// Drops heap entries from the top while `live` says they are stale no more.
fn prune(heap: &mut BinaryHeap<Reverse<(Millis, JobId)>>, live: impl Fn(JobId) -> bool) {
    while let Some(&Reverse((_, id))) = heap.peek() {
        if live(id) {
            break;
        }
        heap.pop();
    }
}
