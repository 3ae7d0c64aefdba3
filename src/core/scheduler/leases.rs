//! Hooks for leases (see `lease::Local`): a coordinator feeds the budget and passes pauses on.

use super::super::budget::Budget;
use super::super::cost::Cost;
use super::super::keys::NO_KEY;
use super::super::time::Millis;
use super::{reservation, Scheduler};

impl Scheduler {
    pub fn budget(&self) -> &Budget {
        &self.budget
    }

    pub fn budget_mut(&mut self) -> &mut Budget {
        &mut self.budget
    }

    /// Until when the limiter's gate holds every job back, if it does.
    pub fn gate_closed_until(&self) -> Option<Millis> {
        self.gates.global().closed_until()
    }

    /// What the jobs waiting to start (queued or backing off) would reserve together.
    pub fn waiting_cost(&self) -> Cost {
        let mut total = Cost::default();
        for (_, job) in self.jobs.iter().filter(|(_, j)| j.attempt().is_none()) {
            total.add(&reservation(&self.budget, self.calibration.as_ref(), &job.estimate));
        }
        total
    }

    /// Holds every job back until `until`: a Retry-After another limiter met (poll next).
    pub fn pause_all(&mut self, now: Millis, until: Millis) {
        let now = self.clock.observe(now);
        if until > now {
            self.gates.close(NO_KEY, until);
        }
    }
}
