//! What the host changes at run time: pausing the queue, and the limits themselves (an account
//! moved to a higher tier, a deployment given more room). Each takes effect at the next poll.

use std::num::NonZeroU64;

use super::{LimitKind, Millis, Scheduler};

impl Scheduler {
    /// Nothing starts until [`resume_queue`](Self::resume_queue); running attempts go on, jobs keep queuing.
    pub fn pause_queue(&mut self) {
        self.paused = true;
    }

    /// Lets jobs start again (at the next poll).
    pub fn resume_queue(&mut self) {
        self.paused = false;
    }

    pub fn is_paused(&self) -> bool {
        self.paused
    }

    /// Sets a rate limit as the user's own (the headers then correct its level, not its size).
    /// Waiting jobs that a lower limit can never hold are rejected.
    pub fn set_limit(&mut self, now: Millis, kind: LimitKind, limit: NonZeroU64) {
        let now = self.clock.observe(now);
        self.budget.set_fixed_limit(kind, limit.get(), now);
        self.config.limits.set(kind, limit);
        self.reject_too_large(now);
    }

    /// Moves the concurrency cap; `None` for none.
    pub fn set_max_concurrent(&mut self, max: Option<u32>) {
        self.config.max_concurrent = max;
        self.concurrency.set_max(max.unwrap_or(u32::MAX));
    }

    /// Moves the most jobs that may wait; `None` for no cap. Jobs waiting beyond it stay.
    pub fn set_max_queue(&mut self, max: Option<u64>) {
        self.config.max_queue = max;
    }

    /// Jobs waiting to start (not those backing off).
    pub fn queued(&self) -> usize {
        self.queue.len()
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Decision, JobSpec, Outcome};
    use super::*;
    use crate::{Config, Cost, Limits, OutcomeKind};

    fn starts(s: &mut Scheduler) -> usize {
        s.drain().filter(|d| matches!(d, Decision::Start { .. })).count()
    }

    #[test]
    fn paused_nothing_starts_until_resumed() {
        let mut s = Scheduler::new(Config { max_concurrent: Some(4), ..Config::default() }, 0).unwrap();
        s.pause_queue();
        for _ in 0..3 {
            s.submit(0, JobSpec::default()).unwrap();
        }
        s.poll(10);
        assert_eq!(starts(&mut s), 0);
        assert_eq!(s.queued(), 3);
        s.resume_queue();
        s.poll(20);
        assert_eq!(starts(&mut s), 3);
    }

    #[test]
    fn a_raised_limit_lets_more_through_at_once() {
        let limits = Limits::new([(LimitKind::RequestsPerMinute, 2)]).unwrap();
        let mut s = Scheduler::new(Config { limits, transit_ms: 0, ..Config::default() }, 0).unwrap();
        for _ in 0..5 {
            s.submit(0, JobSpec::default()).unwrap();
        }
        s.poll(0);
        assert_eq!(starts(&mut s), 2);
        s.set_limit(0, LimitKind::RequestsPerMinute, NonZeroU64::new(10).unwrap());
        s.poll(0);
        // The bucket keeps its level (empty), then refills at the new rate: 10 a minute.
        assert_eq!(starts(&mut s), 0);
        s.poll(6_000);
        assert_eq!(starts(&mut s), 1);
        assert_eq!(s.limit(LimitKind::RequestsPerMinute).unwrap().limit, 10);
    }

    #[test]
    fn a_lowered_limit_rejects_what_it_can_never_hold() {
        let limits = Limits::new([(LimitKind::TokensPerMinute, 1_000)]).unwrap();
        let mut s = Scheduler::new(Config { limits, max_concurrent: Some(1), ..Config::default() }, 0).unwrap();
        s.submit(0, JobSpec { cost: Cost::total(10), ..JobSpec::default() }).unwrap();
        let big = s.submit(0, JobSpec { cost: Cost::total(800), ..JobSpec::default() }).unwrap();
        s.poll(0);
        s.set_limit(0, LimitKind::TokensPerMinute, NonZeroU64::new(500).unwrap());
        assert!(s.drain().any(|d| matches!(d, Decision::Reject { job, .. } if job == big)));
    }

    #[test]
    fn the_concurrency_cap_moves() {
        let mut s = Scheduler::new(Config { max_concurrent: Some(1), ..Config::default() }, 0).unwrap();
        let first = s.submit(0, JobSpec::default()).unwrap();
        for _ in 0..4 {
            s.submit(0, JobSpec::default()).unwrap();
        }
        s.poll(0);
        assert_eq!(starts(&mut s), 1);
        s.set_max_concurrent(Some(3));
        s.poll(1);
        assert_eq!(starts(&mut s), 2);
        assert_eq!(s.stats().concurrency_limit, 3);
        s.set_max_concurrent(Some(1));
        s.finish(2, first, Outcome::of(OutcomeKind::Success));
        s.poll(2);
        assert_eq!(starts(&mut s), 0, "two still run, over the new cap of one");
    }
}
