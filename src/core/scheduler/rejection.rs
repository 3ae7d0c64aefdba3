//! Taking waiting jobs out when they can no longer run: their deadline passed or is out of
//! reach, or a smaller learned limit can never hold them.

use std::cmp::Reverse;

use super::{Decision, Late, Rejection, Scheduler, State};
use crate::core::budget::TooLarge;
use crate::core::cost::Cost;
use crate::core::queue::{JobId, KeyId, Priority};
use crate::core::time::Millis;

impl Scheduler {
    /// Why a job of `cost` due at `due` cannot finish in time if it waits to start now: the
    /// deadline came, the budget cannot let it start before, or (very likely) the budget's
    /// wait for the jobs with a deadline ahead of it and for itself, plus what such attempts
    /// took, is longer than what is left.
    /// `cost` is what it would reserve, `estimate` the caller's (the latency is learned per
    /// estimate); `at_head`: it is the head of the queue (nothing waits ahead of it).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn late_start(&self, now: Millis, cost: &Cost, estimate: &Cost, key: KeyId, priority: Priority, due: Millis, at_head: bool) -> Option<Rejection> {
        let left_ms = due.saturating_sub(now);
        if left_ms == 0 {
            return Some(Rejection::Deadline { left_ms, needed_ms: 0, why: Late::Expired });
        }
        let start = self.earliest_start(now, cost, key);
        if start >= due {
            return Some(Rejection::Deadline { left_ms, needed_ms: start.saturating_sub(now), why: Late::BudgetWait });
        }
        self.latency.quantile()?;
        // Very likely late: the jobs with a deadline queued ahead of it go first, then it runs
        // as long as such calls took.
        let mut line = if at_head { Cost::default() } else { self.cost_ahead(priority, due) };
        line.add(cost);
        let served = self.budget.serve_time(&line, &Cost::default()).unwrap_or(u64::MAX);
        let start = start.max(now.saturating_add(served));
        let needed_ms = (start - now).saturating_add(self.latency.expected(estimate).unwrap_or(0));
        (needed_ms > left_ms).then_some(Rejection::Deadline { left_ms, needed_ms, why: Late::Latency })
    }

    /// The reservations of the jobs with a deadline queued ahead of a job of `priority` due at `due`.
    pub(super) fn cost_ahead(&self, priority: Priority, due: Millis) -> Cost {
        let mut ahead = Cost::default();
        for &Reverse((d, id)) in self.dues.iter() {
            let Some(job) = self.jobs.get(&id).filter(|j| matches!(j.state, State::Queued(_))) else { continue };
            if job.priority > priority || (job.priority == priority && d <= due) {
                ahead.add(&job.cost);
            }
        }
        ahead
    }

    /// Rejects queued jobs that can no longer start by their `max_wait_ms`, whatever happens.
    /// (A job with a deadline that a debt puts out of reach is rejected when it comes to the
    /// head of the queue: checking every one here would cost every debt a pass over the queue.)
    pub(super) fn reject_unreachable(&mut self, now: Millis) {
        let doomed: Vec<JobId> = self
            .deadlines
            .iter()
            .map(|Reverse((_, id))| *id)
            .filter(|id| {
                self.jobs.get(id).is_some_and(|j| {
                    j.awaits_first_start() && j.deadline.is_some_and(|d| self.earliest_start(now, &j.cost, j.key) > d)
                })
            })
            .collect();
        for id in doomed {
            self.reject_queued(now, id, None);
        }
    }

    /// Rejects waiting jobs that a smaller learned limit can never hold.
    pub(super) fn reject_too_large(&mut self, now: Millis) {
        let doomed: Vec<(JobId, TooLarge)> = self
            .jobs
            .iter()
            .filter(|(_, j)| j.attempt().is_none())
            .filter_map(|(id, j)| self.budget.too_large(&j.cost).map(|t| (id, t)))
            .collect();
        for (id, too_large) in doomed {
            self.reject_queued(now, id, Some(Rejection::TooLarge(too_large)));
        }
    }

    /// Takes a queued or backing-off job out and rejects it (`None`: it waited too long).
    pub(super) fn reject_queued(&mut self, now: Millis, id: JobId, reason: Option<Rejection>) {
        match self.jobs.get(&id).map(|j| j.state) {
            Some(State::Queued(place)) => {
                self.queue.remove(place);
            }
            Some(State::Waiting) => self.backing_off -= 1,
            Some(State::Running(_)) | None => return, // running jobs are never rejected
        }
        let Some(job) = self.jobs.remove(&id) else { return };
        self.keys.release(job.key);
        let reason = reason.unwrap_or_else(|| {
            self.counters.expired += 1;
            let max_wait_ms = job.deadline.map_or(0, |d| d - job.submitted_at);
            Rejection::QueueTimeout { waited_ms: now - job.submitted_at, max_wait_ms }
        });
        match reason {
            Rejection::TooLarge(_) => self.counters.rejected += 1,
            Rejection::Deadline { .. } => self.counters.expired += 1,
            _ => {}
        }
        self.decisions.push(Decision::Reject { job: id, reason });
    }
}
