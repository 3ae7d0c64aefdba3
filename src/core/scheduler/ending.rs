//! How an attempt ends: its slot and reservation come back, the provider's feedback is
//! learned from, and the job is done, failed, or retried after a backoff; or a waiting job
//! is cancelled.

use std::cmp::Reverse;

use super::{Attempt, Event, Late, Outcome, Scheduler, State, Verdict};
use crate::core::budget::Ledger;
use crate::core::classify::OutcomeKind;
use crate::core::concurrency::Signal;
use crate::core::cost::{Cost, Usage};
use crate::core::feedback::Feedback;
use crate::core::queue::{JobId, KeyId};
use crate::core::stats::Counters;
use crate::core::time::Millis;

impl Scheduler {
    /// Reports how an attempt ended. Frees its slot, settles its reservation, learns from the
    /// provider's feedback, and decides: done, failed, or retried.
    pub fn finish(&mut self, now: Millis, id: JobId, outcome: Outcome) -> Verdict {
        self.end_attempt(now, id, outcome, true)
    }

    /// As `finish`, but the job is never retried: its caller already has part of the answer
    /// (a stream that failed after its first chunk). The outcome still counts as what it is
    /// (an overload closes the gate and lowers the concurrency limit).
    pub fn finish_final(&mut self, now: Millis, id: JobId, outcome: Outcome) -> Verdict {
        self.end_attempt(now, id, outcome, false)
    }

    pub(super) fn end_attempt(&mut self, now: Millis, id: JobId, outcome: Outcome, may_retry: bool) -> Verdict {
        let now = self.clock.observe(now);
        self.budget.refill(now);
        let Some(job) = self.jobs.get(&id) else { return Verdict::Unknown };
        let Some(Attempt { epoch, started_at, ledger }) = job.attempt() else { return Verdict::Unknown };
        let (cost, key, attempt, due) = (job.cost, job.key, job.attempt, job.due);
        if let Some(calibration) = &mut self.calibration {
            calibration.learn(&job.estimate, outcome.usage);
        }
        if outcome.kind == OutcomeKind::Success {
            self.latency.record(&job.estimate, now.saturating_sub(started_at));
        }
        let kind = outcome.kind;
        self.in_flight_cost.sub(&cost);

        let signal = match kind {
            OutcomeKind::Success => Signal::Success,
            _ if kind.is_congestion() => Signal::Congestion,
            _ => Signal::Neutral,
        };
        if self.concurrency.release(epoch, signal, !self.queue.is_empty()) {
            self.events.push(Event::ConcurrencyChanged { limit: self.concurrency.limit() });
        }
        // What other attempts took since this one started: the provider's `remaining` did not
        // count it. Taken before this attempt settles: its own debt is not another's charge.
        let before = self.budget.ledger();
        let charged_since: Ledger = std::array::from_fn(|i| before[i].wrapping_sub(ledger[i]));
        self.settle(&cost, kind, outcome.usage);
        if kind == OutcomeKind::Success {
            let actual = outcome.usage.map_or(cost, |usage| cost.actual(usage));
            for state in self.budget.served(&cost, &actual, now) {
                self.counters.limits_learned += 1;
                self.events.push(Event::LimitChanged { state });
            }
        }
        self.learn(&outcome.feedback, &charged_since, started_at, now);
        match kind {
            OutcomeKind::RateLimited => {
                self.budget.refused(&outcome.feedback, &cost, now);
                self.gates.refusal_took(now.saturating_sub(started_at));
            }
            OutcomeKind::Success => self.budget.accepted(started_at),
            _ => {}
        }

        let retry_after = outcome.feedback.retry_after_ms.map(|ms| ms.min(self.retry.max_retry_after_ms));
        self.pause(now, id, key, kind, retry_after);

        let verdict = match kind {
            OutcomeKind::Success => Verdict::Done,
            _ if kind.is_retryable() && may_retry => self.retry_or_fail(now, id, attempt, retry_after, due),
            _ => Verdict::Failed,
        };
        match verdict {
            Verdict::Retry { .. } => {}
            Verdict::Done => self.end(id, |c| c.completed += 1),
            _ => self.end(id, |c| c.failed += 1),
        }
        match kind {
            OutcomeKind::TimedOut => self.counters.timed_out += 1,
            OutcomeKind::Aborted => self.counters.cancelled += 1,
            _ => {}
        }
        verdict
    }

    /// Lets the job's gate know how its attempt ended; a 429 (or 529) with Retry-After closes it.
    pub(super) fn pause(&mut self, now: Millis, id: JobId, key: KeyId, kind: OutcomeKind, retry_after: Option<u64>) {
        self.gates.ended(key, id, kind.is_congestion());
        if !kind.is_congestion() {
            return;
        }
        // Attempts in flight when the pause began meet the same 429: they extend it, one pause.
        let paused = self.gates.pausing(key);
        let until = retry_after.map(|after| now.saturating_add(after));
        if until.is_some_and(|until| self.gates.close(key, until)) {
            self.keys.hold_id(key); // the key's gate outlives its jobs: keep the id
        }
        self.counters.rate_limited += 1;
        let overloaded = kind == OutcomeKind::Overloaded;
        self.events.push(Event::RateLimited { job: id, overloaded, retry_after_ms: retry_after });
        if let Some(until) = until.filter(|_| !paused) {
            self.counters.gate_closed += 1;
            let key = self.gates.own_gate(key).then(|| Box::from(self.keys.name(key)));
            self.events.push(Event::GateClosed { key, until });
        }
    }

    /// Settles the reservation: against the real usage when known; in full back when the
    /// provider refused the attempt before doing any work (its request still counts).
    pub(super) fn settle(&mut self, cost: &Cost, kind: OutcomeKind, usage: Option<Usage>) {
        match usage {
            Some(usage) => {
                self.counters.input_tokens_used = self.counters.input_tokens_used.saturating_add(usage.input);
                self.counters.output_tokens_used = self.counters.output_tokens_used.saturating_add(usage.output);
                if !self.budget.keeps_unused() {
                    self.counters.tokens_refunded = self.counters.tokens_refunded.saturating_add(cost.tokens.saturating_sub(usage.input.saturating_add(usage.output)));
                }
                self.budget.settle(cost, usage);
                if cost.overrun_by(usage) {
                    // A debt pushes every wait back: some deadlines may now be out of reach.
                    self.reject_unreachable(self.clock.now());
                }
            }
            None if kind.is_congestion() => {
                self.counters.tokens_refunded = self.counters.tokens_refunded.saturating_add(cost.tokens);
                self.budget.give_back(&cost.tokens_only());
            }
            None => {}
        }
    }

    /// Applies the provider's headers to the budget.
    pub(super) fn learn(&mut self, feedback: &Feedback, charged_since: &Ledger, started_at: Millis, now: Millis) {
        let mut changed = false;
        for o in &feedback.observations {
            if let Some(state) = self.budget.observe(o, charged_since, started_at, now) {
                self.counters.limits_learned += 1;
                self.events.push(Event::LimitChanged { state });
                changed = true;
            }
        }
        if changed {
            self.reject_too_large(now);
        }
    }

    pub(super) fn retry_or_fail(&mut self, now: Millis, id: JobId, attempt: u32, retry_after: Option<u64>, due: Option<Millis>) -> Verdict {
        // A job with a deadline draws its backoff first: a retry that cannot fit spends no budget.
        let mut delay = None;
        if let Some(due) = due.filter(|_| self.retry.allows(attempt)) {
            let backoff = self.retry.delay(attempt, retry_after, &mut self.rng);
            delay = Some(backoff);
            let (job, left_ms) = (&self.jobs[&id], due.saturating_sub(now));
            let late = if backoff >= left_ms {
                Some((backoff, Late::Backoff))
            } else {
                let needed = self.latency.expected(&job.estimate).map(|l| backoff.saturating_add(l));
                needed.filter(|&n| n > left_ms).map(|n| (n, Late::Latency))
            };
            if let Some((needed_ms, why)) = late {
                return Verdict::Late { left_ms, needed_ms, why };
            }
        }
        if !self.retry.allows(attempt) || !self.retry_budget.as_mut().map_or(true, |b| b.withdraw(now)) {
            let budget = self.retry.allows(attempt);
            self.counters.retries_exhausted += 1;
            self.events.push(Event::RetriesExhausted { job: id, attempts: attempt, budget });
            return Verdict::Exhausted { attempts: attempt, budget };
        }
        let delay = delay.unwrap_or_else(|| self.retry.delay(attempt, retry_after, &mut self.rng));
        let at = now.saturating_add(delay);
        let job = self.jobs.get_mut(&id).expect("job is running");
        job.state = State::Waiting;
        self.backing_off += 1;
        self.backoffs.push(Reverse((at, id)));
        self.counters.retried += 1;
        self.events.push(Event::RetryScheduled { job: id, attempt: attempt + 1, at });
        self.tidy_timers();
        Verdict::Retry { at }
    }

    /// Forgets an ended job.
    pub(super) fn end(&mut self, id: JobId, count: impl FnOnce(&mut Counters)) {
        let Some(job) = self.jobs.remove(&id) else { return };
        self.keys.release(job.key);
        count(&mut self.counters);
        self.tidy_timers();
    }

    /// Takes a job that is not running out (its caller gave up). Returns false when it is running or unknown.
    pub fn cancel(&mut self, now: Millis, id: JobId) -> bool {
        self.clock.observe(now);
        let Some(job) = self.jobs.get(&id) else { return false };
        match job.state {
            State::Running(_) => return false,
            State::Queued(place) => {
                self.queue.remove(place);
            }
            State::Waiting => self.backing_off -= 1, // its backoff entry is skipped when met
        }
        let Some(job) = self.jobs.remove(&id) else { return false };
        self.keys.release(job.key);
        self.counters.cancelled += 1;
        self.tidy_timers();
        true
    }
}
