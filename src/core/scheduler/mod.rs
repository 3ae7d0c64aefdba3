//! The scheduler ties the pieces together: jobs are submitted, wait in the queue, start when
//! the gate, a concurrency slot and the budget allow, and end when the host reports their
//! outcome: done, failed, or retried through the queue after a backoff.
//!
//! It is a synchronous state machine. Every call takes the host's time; the host drains
//! [`Decision`]s (what it must do) and [`Event`]s (what it may tell) after each call and
//! sleeps until [`Scheduler::next_wake`].

mod control;
mod ending;
mod job;
mod leases;
mod rejection;
mod timers;
mod vocabulary;

pub use vocabulary::{Decision, Event, Footprint, JobSpec, Late, Outcome, Rejection, Verdict};

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

use super::budget::{Budget, LimitState};
use super::calibration::Calibration;
use super::concurrency::{Concurrency, INITIAL_WINDOW};
use super::config::{Config, ConfigError};
use super::cost::{Cost, Resource};
use super::gate::{Admits, Gates};
use super::keys::Keys;
use super::latency::Latency;
use super::limit_kind::LimitKind;
use super::queue::{FairQueue, JobId, KeyId, Priority};
use super::retry::RetryPolicy;
use super::retry_budget::RetryBudget;
use super::rng::Rng;
use super::slab::{self, Slab};
use super::stats::{Counters, Stats};
use super::time::{Millis, MonotonicClock};
use job::{Attempt, Job, State};

pub struct Scheduler {
    config: Config,
    clock: MonotonicClock,
    budget: Budget,
    /// `None` when `calibrate` is off.
    calibration: Option<Calibration>,
    concurrency: Concurrency,
    queue: FairQueue,
    keys: Keys,
    gates: Gates,
    retry: RetryPolicy,
    /// `None`: retries are limited by `retry.max_attempts` alone.
    retry_budget: Option<RetryBudget>,
    rng: Rng,
    jobs: Slab<Job>,
    /// Queued jobs by deadline; entries of jobs that started or left are skipped when met.
    deadlines: BinaryHeap<Reverse<(Millis, JobId)>>,
    /// Jobs with a deadline, by it; entries of jobs that ended are skipped when met.
    dues: BinaryHeap<Reverse<(Millis, JobId)>>,
    /// How long attempts took, to tell whether a job can still finish by its deadline.
    latency: Latency,
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
    /// The host paused the queue: nothing starts until it resumes (see control.rs).
    paused: bool,
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
            calibration: config.calibrate.then(Calibration::default),
            concurrency: Concurrency::new(max, config.adaptive_concurrency, initial),
            queue: FairQueue::default(),
            keys: Keys::default(),
            gates: Gates::new(config.gate_per_key),
            retry: config.retry,
            retry_budget: config.retry_budget.map(RetryBudget::new),
            rng: Rng::new(config.seed),
            jobs: Slab::default(),
            deadlines: BinaryHeap::new(),
            dues: BinaryHeap::new(),
            latency: Latency::default(),
            backoffs: BinaryHeap::new(),
            leases: VecDeque::new(),
            in_flight_cost: Cost::default(),
            decisions: Vec::new(),
            events: Vec::new(),
            next_wake: None,
            backing_off: 0,
            counters: Counters::default(),
            paused: false,
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

    /// The quantile of the learned latency that the time left before a deadline must cover, in
    /// millionths (default 0.9); `None` rejects a job only when it is certain to be late.
    pub fn set_latency_quantile(&mut self, ppm: Option<u32>) {
        self.latency.set_quantile(ppm);
    }

    /// How long an attempt of `cost` is expected to take, from the attempts that finished.
    pub fn expected_latency(&self, cost: &Cost) -> Option<u64> {
        self.latency.expected(cost)
    }

    /// Whether a [`poll`](Self::poll) right after [`submit`](Self::submit)ting a job of
    /// `spec` could change anything: not while every slot is taken and the job brings no
    /// deadline (the next wake-up then stays what it was).
    pub fn poll_needed_after_submit(&self, spec: &JobSpec) -> bool {
        self.concurrency.has_room() || spec.max_wait_ms.is_some() || spec.deadline.is_some()
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
        } else if let Some(max_queue) =
            self.config.max_queue.filter(|&max| self.queue.len() as u64 >= max && !self.starts_at_once(&spec.cost, key))
        {
            Some(Rejection::QueueFull { max_queue })
        } else if self.jobs.len() >= slab::CAPACITY {
            // Ids hold this many jobs at once, whatever `maxQueue` says.
            Some(Rejection::QueueFull { max_queue: slab::CAPACITY as u64 })
        } else if let Some(max_wait_ms) =
            spec.max_wait_ms.filter(|_| deadline.is_some_and(|d| self.earliest_start(now, &spec.cost, key) > d))
        {
            Some(Rejection::QueueTimeout { waited_ms: 0, max_wait_ms })
        } else {
            spec.deadline.and_then(|due| self.late_start(now, &spec.cost, &spec.cost, key, Priority(spec.priority), due, false))
        };
        if let Some(reason) = rejection {
            self.keys.release(key);
            self.counters.rejected += 1;
            return Err(reason);
        }
        let priority = Priority(spec.priority);
        let job = Job {
            estimate: spec.cost,
            cost: spec.cost,
            priority,
            key,
            submitted_at: now,
            deadline,
            due: spec.deadline,
            attempt: 0,
            state: State::Waiting, // until it has its place, just below
        };
        let id = self.jobs.insert(job);
        let place = match spec.deadline {
            Some(due) => {
                self.dues.push(Reverse((due, id)));
                self.queue.push_due(id, priority, key, due)
            }
            None => self.queue.push(id, priority, key, now),
        };
        if let Some(job) = self.jobs.get_mut(&id) {
            job.state = State::Queued(place);
        }
        if let Some(deadline) = deadline {
            self.deadlines.push(Reverse((deadline, id)));
            self.tidy_timers();
        }
        Ok(id)
    }

    /// Whether a job of `cost` would start at the next poll: nothing waits ahead of it and a
    /// slot, the gates and the budget allow it. Such a job is never queued, so `maxQueue` (0
    /// included: "run now or reject") does not count it.
    fn starts_at_once(&self, cost: &Cost, key: KeyId) -> bool {
        !self.paused
            && self.queue.is_empty()
            && self.concurrency.has_room()
            && self.gates.global().admits() != Admits::None
            && !self.gates.blocks(key)
            && self.budget.fits(cost)
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
        self.gates.tick(now, &mut self.keys, |key| events.push(Event::GateOpened { key: key.map(Box::from) }));
        self.requeue_backoffs(now);
        self.end_lost_attempts(now);
        self.expire(now, false);
        self.expire_dues(now);
        let waiting_for_budget = self.admit(now);
        self.expire(now, true);
        self.next_wake = self.compute_next_wake(now, waiting_for_budget);
        self.tidy_timers();
    }

    /// What the scheduler holds now.
    pub fn footprint(&self) -> Footprint {
        Footprint {
            jobs: self.jobs.len(),
            queue: self.queue.footprint(),
            keys: self.keys.len(),
            key_gates: self.gates.key_gates(),
            timers: self.deadlines.len() + self.dues.len() + self.backoffs.len() + self.leases.len(),
        }
    }

    /// Starts jobs while a slot, the gate and the budget allow. Returns the cost of the job at
    /// the head if the budget is what holds it back.
    fn admit(&mut self, now: Millis) -> Option<Cost> {
        while !self.paused && self.concurrency.has_room() {
            let global = self.gates.global().admits();
            if global == Admits::None {
                break;
            }
            let gates = &self.gates;
            let Some(head) = self.queue.head(|key| gates.blocks(key)) else { break };
            let job = self.jobs.get_mut(&head.job).expect("queued jobs are known");
            job.cost = reservation(&self.budget, self.calibration.as_ref(), &job.estimate);
            let job = &self.jobs[&head.job];
            let fits = self.budget.fits(&job.cost);
            // A job that can no longer finish by its deadline gives its turn to the next.
            let late = job.due.and_then(|due| self.late_start(now, &job.cost, &job.estimate, job.key, job.priority, due, true));
            if let Some(reason) = late {
                self.reject_queued(now, head.job, Some(reason));
                continue;
            }
            if !fits {
                return Some(job.cost);
            }
            let job = self.jobs.get_mut(&head.job).expect("queued jobs are known");
            self.queue.pop(head);
            self.budget.take(&job.cost, now);
            self.counters.tokens_reserved = self.counters.tokens_reserved.saturating_add(job.cost.tokens);
            self.in_flight_cost.add(&job.cost);
            job.attempt += 1;
            let attempt = Attempt { epoch: self.concurrency.acquire(), started_at: now, ledger: self.budget.ledger() };
            job.state = State::Running(attempt);
            if let Some(lease) = self.config.attempt_lease_ms {
                self.leases.push_back((now.saturating_add(lease), head.job));
            }
            if job.attempt == 1 {
                if let Some(budget) = &mut self.retry_budget {
                    budget.deposit(now);
                }
            }
            self.gates.started(job.key, head.job, now);
            self.counters.admitted += 1;
            self.decisions.push(Decision::Start { job: head.job, attempt: job.attempt });
        }
        None
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
            calibration: self.calibration.as_ref().map(Calibration::state),
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
}

/// What an attempt of `estimate` reserves: its calibrated estimate, unless that could never
/// fit where the estimate itself does.
fn reservation(budget: &Budget, calibration: Option<&Calibration>, estimate: &Cost) -> Cost {
    match calibration.map(|c| c.reserve(estimate)) {
        Some(calibrated) if budget.too_large(&calibrated).is_none() => calibrated,
        _ => *estimate,
    }
}
