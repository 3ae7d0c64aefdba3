//! The scheduler ties the pieces together: jobs are submitted, wait in the queue, start when
//! the gate, a concurrency slot and the budget allow, and end when the host reports their
//! outcome: done, failed, or retried through the queue after a backoff.
//!
//! It is a synchronous state machine. Every call takes the host's time; the host drains
//! [`Decision`]s (what it must do) and [`Event`]s (what it may tell) after each call and
//! sleeps until [`Scheduler::next_wake`].

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

use super::budget::{Budget, Ledger, LimitKind, LimitState, TooLarge};
use super::classify::OutcomeKind;
use super::concurrency::{Concurrency, Signal, INITIAL_WINDOW};
use super::config::{Config, ConfigError};
use super::cost::{Cost, Resource, Usage};
use super::feedback::{Feedback, Observation};
use super::gate::{Admits, Gates};
use super::slab::Slab;
use super::keys::Keys;
use super::queue::{FairQueue, JobId, KeyId, Priority};
use super::retry::RetryPolicy;
use super::retry_budget::RetryBudget;
use super::rng::Rng;
use super::stats::{Counters, Stats};
use super::time::{Millis, MonotonicClock};

/// What the host asks for when it schedules a job.
#[derive(Clone, Copy, Debug)]
pub struct JobSpec<'a> {
    pub cost: Cost,
    pub priority: f64,
    /// The tenant or caller; empty for none.
    pub key: &'a str,
    /// How long the job may wait for its first start.
    pub max_wait_ms: Option<u64>,
}

impl Default for JobSpec<'_> {
    fn default() -> Self {
        JobSpec { cost: Cost::total(0), priority: 0.0, key: "", max_wait_ms: None }
    }
}

/// Why a job will not run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rejection {
    /// The estimate is larger than a bucket can ever hold.
    TooLarge(TooLarge),
    /// `maxQueue` jobs are already waiting.
    QueueFull { max_queue: usize },
    /// The job cannot start within its `max_wait_ms`: the time ran out, or it is certain to.
    QueueTimeout { waited_ms: u64, max_wait_ms: u64 },
}

/// What the host must carry out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Call the job's task now; `attempt` counts from 1.
    Start { job: JobId, attempt: u32 },
    /// The job left the queue and will not run.
    Reject { job: JobId, reason: Rejection },
}

/// What happened, for metrics and listeners; nothing the host must act on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// An attempt met the provider's limit (429) or overload (529, 503).
    RateLimited { job: JobId, overloaded: bool, retry_after_ms: Option<u64> },
    /// A failed attempt will be tried again when `at` comes (then waits its turn in the queue).
    RetryScheduled { job: JobId, attempt: u32, at: Millis },
    /// A job failed for good: out of attempts, or out of retry budget.
    RetriesExhausted { job: JobId, attempts: u32, budget: bool },
    /// The provider asked for a pause; `key` is `None` for the whole limiter.
    GateClosed { key: Option<KeyId>, until: Millis },
    /// The pause is over: jobs go out again (a probe first).
    GateOpened { key: Option<KeyId> },
    /// The concurrency limit moved (adaptive concurrency).
    ConcurrencyChanged { limit: u32 },
    /// A limit was learned or changed from the provider's headers.
    LimitChanged { state: LimitState },
}

/// How an attempt ended, as the host saw it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    pub kind: OutcomeKind,
    /// The tokens really used, when known; without it the reservation stands.
    pub usage: Option<Usage>,
    /// What the response's headers (or error body) said.
    pub feedback: Feedback,
}

impl Outcome {
    pub fn of(kind: OutcomeKind) -> Self {
        Outcome { kind, usage: None, feedback: Feedback::default() }
    }
}

/// The scheduler's answer to an ended attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Done,
    Failed,
    /// The job will start again (a `Start` decision will say when).
    Retry { at: Millis },
    /// A retryable failure, but attempts or the retry budget ran out.
    Exhausted { attempts: u32, budget: bool },
    /// The id is not running (already ended, or never was).
    Unknown,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Queued,
    Running(Attempt),
    /// Backing off after a failed attempt, until it re-enters the queue.
    Waiting,
}

#[derive(Clone, Debug)]
struct Job {
    cost: Cost,
    priority: Priority,
    key: KeyId,
    submitted_at: Millis,
    deadline: Option<Millis>,
    /// Attempts started so far.
    attempt: u32,
    state: State,
}

/// What a running attempt needs besides its job.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Attempt {
    epoch: u32,
    started_at: Millis,
    /// The budget's ledger just after the attempt took its reservation.
    ledger: Ledger,
}

pub struct Scheduler {
    config: Config,
    clock: MonotonicClock,
    budget: Budget,
    concurrency: Concurrency,
    queue: FairQueue,
    keys: Keys,
    gates: Gates,
    retry: RetryPolicy,
    retry_budget: RetryBudget,
    rng: Rng,
    jobs: Slab<Job>,
    /// Queued jobs by deadline; entries of jobs that started or left are skipped when met.
    deadlines: BinaryHeap<Reverse<(Millis, JobId)>>,
    /// Jobs backing off, by the time they re-enter the queue.
    backoffs: BinaryHeap<Reverse<(Millis, JobId)>>,
    /// Running attempts by the end of their lease, which is their start order (one lease for all).
    leases: VecDeque<(Millis, JobId)>,
    /// Tokens held by running attempts: the most that settling could give back.
    in_flight_cost: Cost,
    decisions: Vec<Decision>,
    events: Vec<Event>,
    next_wake: Option<Millis>,
    /// Jobs backing off.
    backing_off: usize,
    counters: Counters,
}

impl Scheduler {
    pub fn new(config: Config, now: Millis) -> Result<Self, ConfigError> {
        config.validate()?;
        let budget = Budget::new(&config.limits, config.burst, config.transit_ms, now);
        let max = config.max_concurrent.unwrap_or(u32::MAX);
        // With a cap, start at it. Without one, the budget paces if the limits are known; if
        // nothing is known, start small and grow (slow start) until the headers tell.
        let initial = config.max_concurrent.unwrap_or(if config.limits.is_empty() { INITIAL_WINDOW } else { u32::MAX });
        Ok(Scheduler {
            clock: MonotonicClock::new(now),
            budget,
            concurrency: Concurrency::new(max, config.adaptive_concurrency, initial),
            queue: FairQueue::default(),
            keys: Keys::default(),
            gates: Gates::new(config.gate_per_key),
            retry: config.retry,
            retry_budget: RetryBudget::new(config.retry_budget),
            rng: Rng::new(config.seed),
            jobs: Slab::default(),
            deadlines: BinaryHeap::new(),
            backoffs: BinaryHeap::new(),
            leases: VecDeque::new(),
            in_flight_cost: Cost::default(),
            decisions: Vec::new(),
            events: Vec::new(),
            next_wake: None,
            backing_off: 0,
            counters: Counters::default(),
            config,
        })
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Reseeds the jitter (the host may only get randomness after construction).
    pub fn reseed(&mut self, seed: u64) {
        self.rng = Rng::new(seed);
    }

    /// Whether a [`poll`](Self::poll) right after [`submit`](Self::submit)ting a job of
    /// `spec` could change anything: not while every slot is taken and the job brings no
    /// deadline (the next wake-up then stays what it was).
    pub fn poll_needed_after_submit(&self, spec: &JobSpec) -> bool {
        self.concurrency.has_room() || spec.max_wait_ms.is_some()
    }

    /// Queues a job, or rejects it at once when it could never start in time.
    /// Call [`poll`](Self::poll) afterwards: the job may start right away.
    pub fn submit(&mut self, now: Millis, spec: JobSpec) -> Result<JobId, Rejection> {
        let now = self.clock.observe(now);
        self.budget.refill(now);
        self.counters.submitted += 1;
        let deadline = spec.max_wait_ms.map(|w| now.saturating_add(w));
        let key = self.keys.hold(spec.key);
        let rejection = if let Some(too_large) = self.budget.too_large(&spec.cost) {
            Some(Rejection::TooLarge(too_large))
        } else if let Some(max_queue) = self.config.max_queue.filter(|&max| self.queue.len() >= max) {
            Some(Rejection::QueueFull { max_queue })
        } else if let (Some(deadline), Some(max_wait_ms)) = (deadline, spec.max_wait_ms) {
            (self.earliest_start(now, &spec.cost, key) > deadline)
                .then_some(Rejection::QueueTimeout { waited_ms: 0, max_wait_ms })
        } else {
            None
        };
        if let Some(reason) = rejection {
            self.keys.release(key);
            self.counters.rejected += 1;
            return Err(reason);
        }
        let priority = Priority(spec.priority);
        let job = Job {
            cost: spec.cost,
            priority,
            key,
            submitted_at: now,
            deadline,
            attempt: 0,
            state: State::Queued,
        };
        let id = self.jobs.insert(job);
        self.queue.push(id, priority, key);
        if let Some(deadline) = deadline {
            self.deadlines.push(Reverse((deadline, id)));
        }
        Ok(id)
    }

    /// The earliest a job of `cost` could start: not before its gate opens, nor before the
    /// budget could hold it were everything in flight to give back all it holds.
    fn earliest_start(&self, now: Millis, cost: &Cost, key: KeyId) -> Millis {
        let gate = self.gates.closed_until(key).unwrap_or(now);
        match self.budget.wait_for(cost, &self.in_flight_cost.tokens_only()) {
            Some(wait) => gate.max(now.saturating_add(wait)),
            None => Millis::MAX,
        }
    }

    /// Starts what can start, rejects what waited too long, and works out the next wake-up.
    pub fn poll(&mut self, now: Millis) {
        let now = self.clock.observe(now);
        self.budget.refill(now);
        let events = &mut self.events;
        self.gates.tick(now, &mut self.keys, |key| events.push(Event::GateOpened { key }));
        self.requeue_backoffs(now);
        self.end_lost_attempts(now);
        self.expire(now, false);
        let waiting_for_budget = self.admit(now);
        self.expire(now, true);
        self.next_wake = self.compute_next_wake(now, waiting_for_budget);
    }

    /// Attempts whose lease ran out give their slot back: their host will never report them.
    /// The reservation stands (the provider may have charged it), the job ends as failed.
    fn end_lost_attempts(&mut self, now: Millis) {
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
    fn requeue_backoffs(&mut self, now: Millis) {
        while let Some(&Reverse((at, id))) = self.backoffs.peek() {
            if at > now {
                break;
            }
            self.backoffs.pop();
            if let Some(job) = self.jobs.get_mut(&id).filter(|j| j.state == State::Waiting) {
                self.backing_off -= 1;
                job.state = State::Queued;
                self.queue.push_retry(id, job.priority, job.key);
            }
        }
    }

    /// Starts jobs while a slot, the gate and the budget allow. Returns the cost of the job at
    /// the head if the budget is what holds it back.
    fn admit(&mut self, now: Millis) -> Option<Cost> {
        while self.concurrency.has_room() {
            let global = self.gates.global().admits();
            if global == Admits::None {
                break;
            }
            let gates = &self.gates;
            let Some(head) = self.queue.head(|key| gates.blocks(key)) else { break };
            let job = self.jobs.get_mut(&head.job).expect("queued jobs are known");
            if !self.budget.fits(&job.cost) {
                return Some(job.cost);
            }
            self.queue.pop(head);
            self.budget.take(&job.cost, now);
            self.in_flight_cost.add(&job.cost);
            job.attempt += 1;
            let attempt = Attempt { epoch: self.concurrency.acquire(), started_at: now, ledger: self.budget.ledger() };
            job.state = State::Running(attempt);
            if let Some(lease) = self.config.attempt_lease_ms {
                self.leases.push_back((now.saturating_add(lease), head.job));
            }
            if job.attempt == 1 {
                self.retry_budget.deposit(now);
            }
            self.gates.started(job.key, head.job, now);
            self.counters.admitted += 1;
            self.decisions.push(Decision::Start { job: head.job, attempt: job.attempt });
        }
        None
    }

    /// Rejects jobs waiting for their first start whose deadline passed (`inclusive`: or is now).
    fn expire(&mut self, now: Millis, inclusive: bool) {
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

    /// Rejects queued jobs that can no longer start by their deadline, whatever happens.
    fn reject_unreachable(&mut self, now: Millis) {
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
    fn reject_too_large(&mut self, now: Millis) {
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
    fn reject_queued(&mut self, now: Millis, id: JobId, reason: Option<Rejection>) {
        let job = self.jobs.remove(&id).expect("job is waiting");
        match job.state {
            State::Queued => self.queue.remove(id),
            State::Waiting => self.backing_off -= 1,
            State::Running(_) => unreachable!("running jobs are never rejected"),
        }
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

    /// The next instant time alone changes something; `waiting_for_budget` is the cost of the
    /// head of the queue when only the budget holds it back.
    fn compute_next_wake(&mut self, now: Millis, waiting_for_budget: Option<Cost>) -> Option<Millis> {
        let jobs = &self.jobs;
        prune(&mut self.deadlines, |id| jobs.get(&id).is_some_and(Job::awaits_first_start));
        prune(&mut self.backoffs, |id| jobs.get(&id).is_some_and(|j| j.state == State::Waiting));
        while self.leases.front().is_some_and(|(_, id)| jobs.get(id).and_then(Job::attempt).is_none()) {
            self.leases.pop_front();
        }
        let lease = self.leases.front().map(|(t, _)| *t);
        let deadline = self.deadlines.peek().map(|Reverse((d, _))| *d);
        let backoff = self.backoffs.peek().map(|Reverse((t, _))| *t);
        let refill = waiting_for_budget
            .filter(|_| self.budget.leased_until.is_none()) // leased, only a grant adds (lease::Local wakes)
            .and_then(|cost| self.budget.wait_for(&cost, &Cost::default()))
            .map(|wait| now + wait.max(1));
        [deadline, backoff, refill, lease, self.gates.wake()].into_iter().flatten().min()
    }

    /// Reports how an attempt ended. Frees its slot, settles its reservation, learns from the
    /// provider's feedback, and decides: done, failed, or retried.
    pub fn finish(&mut self, now: Millis, id: JobId, outcome: Outcome) -> Verdict {
        let now = self.clock.observe(now);
        self.budget.refill(now);
        let Some(job) = self.jobs.get(&id) else { return Verdict::Unknown };
        let Some(Attempt { epoch, started_at, ledger }) = job.attempt() else { return Verdict::Unknown };
        let (cost, key, attempt) = (job.cost, job.key, job.attempt);
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
        self.learn(&outcome.feedback, &charged_since, started_at, now);
        if kind == OutcomeKind::RateLimited {
            let observed = &outcome.feedback.observations;
            if !observed.iter().any(|o| o.remaining.is_some()) {
                // A 429 that does not say which limit it hit: take every bucket for empty.
                self.budget.drain();
            } else if observed.iter().any(|o| short_of_tokens(o, &cost)) {
                // The provider had fewer tokens than this attempt reserved, though sluice's
                // budget held them: it does not give back unused tokens as sluice did.
                self.budget.keep_unused();
            }
        }

        let retry_after = outcome.feedback.retry_after_ms.map(|ms| ms.min(self.retry.max_retry_after_ms));
        self.pause(now, id, key, kind, retry_after);

        let verdict = match kind {
            OutcomeKind::Success => Verdict::Done,
            _ if kind.is_retryable() => self.retry_or_fail(now, id, attempt, retry_after),
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
    fn pause(&mut self, now: Millis, id: JobId, key: KeyId, kind: OutcomeKind, retry_after: Option<u64>) {
        self.gates.ended(key, id, kind.is_congestion());
        if !kind.is_congestion() {
            return;
        }
        let until = retry_after.map(|after| now + after);
        if until.is_some_and(|until| self.gates.close(key, until)) {
            self.keys.hold_id(key); // the key's gate outlives its jobs: keep the id
        }
        self.counters.rate_limited += 1;
        let overloaded = kind == OutcomeKind::Overloaded;
        self.events.push(Event::RateLimited { job: id, overloaded, retry_after_ms: retry_after });
        if let Some(until) = until {
            self.counters.gate_closed += 1;
            let key = self.gates.own_gate(key).then_some(key);
            self.events.push(Event::GateClosed { key, until });
        }
    }

    /// Settles the reservation: against the real usage when known; in full back when the
    /// provider refused the attempt before doing any work (its request still counts).
    fn settle(&mut self, cost: &Cost, kind: OutcomeKind, usage: Option<Usage>) {
        match usage {
            Some(usage) => {
                self.budget.settle(cost, usage);
                if cost.overrun_by(usage) {
                    // A debt pushes every wait back: some deadlines may now be out of reach.
                    self.reject_unreachable(self.clock.now());
                }
            }
            None if kind.is_congestion() => self.budget.give_back(&cost.tokens_only()),
            None => {}
        }
    }

    /// Applies the provider's headers to the budget.
    fn learn(&mut self, feedback: &Feedback, charged_since: &Ledger, started_at: Millis, now: Millis) {
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

    fn retry_or_fail(&mut self, now: Millis, id: JobId, attempt: u32, retry_after: Option<u64>) -> Verdict {
        if !self.retry.allows(attempt) || !self.retry_budget.withdraw(now) {
            let budget = self.retry.allows(attempt);
            self.counters.retries_exhausted += 1;
            self.events.push(Event::RetriesExhausted { job: id, attempts: attempt, budget });
            return Verdict::Exhausted { attempts: attempt, budget };
        }
        let at = now + self.retry.delay(attempt, retry_after, &mut self.rng);
        let job = self.jobs.get_mut(&id).expect("job is running");
        job.state = State::Waiting;
        self.backing_off += 1;
        self.backoffs.push(Reverse((at, id)));
        self.counters.retried += 1;
        self.events.push(Event::RetryScheduled { job: id, attempt: attempt + 1, at });
        Verdict::Retry { at }
    }

    /// Forgets an ended job.
    fn end(&mut self, id: JobId, count: impl FnOnce(&mut Counters)) {
        let job = self.jobs.remove(&id).expect("job exists");
        self.keys.release(job.key);
        count(&mut self.counters);
    }

    /// Takes a job that is not running out (its caller gave up). Returns false when it is running or unknown.
    pub fn cancel(&mut self, now: Millis, id: JobId) -> bool {
        self.clock.observe(now);
        let Some(job) = self.jobs.get(&id) else { return false };
        match job.state {
            State::Running(_) => return false,
            State::Queued => self.queue.remove(id),
            State::Waiting => self.backing_off -= 1, // its backoff entry is skipped when met
        }
        let job = self.jobs.remove(&id).expect("job exists");
        self.keys.release(job.key);
        self.counters.cancelled += 1;
        true
    }

    /// Decisions made since the last drain, in order.
    pub fn drain(&mut self) -> std::vec::Drain<'_, Decision> {
        self.decisions.drain(..)
    }

    pub fn has_events(&self) -> bool {
        !self.events.is_empty()
    }

    /// Events since the last drain, in order.
    pub fn drain_events(&mut self) -> std::vec::Drain<'_, Event> {
        self.events.drain(..)
    }

    /// When the host should poll again if nothing else happens; `None` when only an ending
    /// attempt or a new job can change anything.
    pub fn next_wake(&self) -> Option<Millis> {
        self.next_wake
    }

    pub fn stats(&self) -> Stats {
        Stats {
            in_flight: self.concurrency.in_flight(),
            queued: self.queue.len(),
            backing_off: self.backing_off,
            concurrency_limit: self.concurrency.limit(),
            keys: self.keys.len(),
            gate_closed_until: self.gates.global().closed_until(),
            counters: self.counters,
            limits: self.budget.states(),
        }
    }

    /// The state of one limit, if it is set or learned.
    pub fn limit(&self, kind: LimitKind) -> Option<LimitState> {
        self.budget.states().into_iter().find(|s| s.kind == kind)
    }

    /// The name of an interned key (valid while a job or a gate holds it).
    pub fn key_name(&self, key: KeyId) -> &str {
        self.keys.name(key)
    }

    /// Tokens (or requests) of `resource` held by running attempts.
    pub fn in_flight(&self, resource: Resource) -> u64 {
        self.in_flight_cost.amount(resource)
    }

    // Hooks for leases (see `lease::Local`): a coordinator feeds the budget and passes pauses on.

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

    /// What the jobs waiting to start (queued or backing off) would take together.
    pub fn waiting_cost(&self) -> Cost {
        let mut total = Cost::default();
        for (_, job) in self.jobs.iter().filter(|(_, j)| j.attempt().is_none()) {
            total.add(&job.cost);
        }
        total
    }

    /// Holds every job back until `until`: a Retry-After another limiter met (poll next).
    pub fn pause_all(&mut self, now: Millis, until: Millis) {
        let now = self.clock.observe(now);
        if until > now {
            self.gates.close(super::keys::NO_KEY, until);
        }
    }
}

impl Job {
    /// Its running attempt, if it runs.
    fn attempt(&self) -> Option<Attempt> {
        match self.state {
            State::Running(attempt) => Some(attempt),
            _ => None,
        }
    }

    fn awaits_first_start(&self) -> bool {
        self.state == State::Queued && self.attempt == 0
    }
}

/// Whether `o` says a token bucket held less than `cost` needs of it.
fn short_of_tokens(o: &Observation, cost: &Cost) -> bool {
    match (o.resource, o.remaining) {
        (Some(r @ (Resource::Tokens | Resource::InputTokens | Resource::OutputTokens)), Some(remaining)) => {
            remaining < cost.amount(r)
        }
        _ => false,
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
