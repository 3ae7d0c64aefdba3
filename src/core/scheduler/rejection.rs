//! Taking waiting jobs out when they can no longer run: their deadline passed or is out of
//! reach, or a smaller learned limit can never hold them.

use std::cmp::Reverse;

use super::{Decision, Rejection, Scheduler, State};
use crate::core::budget::TooLarge;
use crate::core::queue::JobId;
use crate::core::time::Millis;

impl Scheduler {
    /// Rejects queued jobs that can no longer start by their deadline, whatever happens.
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
        if matches!(reason, Rejection::TooLarge(_)) {
            self.counters.rejected += 1;
        }
        self.decisions.push(Decision::Reject { job: id, reason });
    }
}
