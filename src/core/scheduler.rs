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
use super::calibration::Calibration;
use super::classify::OutcomeKind;
use super::concurrency::{Concurrency, Signal, INITIAL_WINDOW};
use super::config::{Config, ConfigError};
use super::cost::{Cost, Resource, Usage};
use super::feedback::Feedback;
use super::gate::{Admits, Gates};
use super::slab::{self, Slab};
use super::keys::Keys;
use super::latency::Latency;
use super::queue::{FairQueue, JobId, KeyId, Place, Priority, QueueFootprint};
use super::retry::RetryPolicy;
use super::retry_budget::RetryBudget;
use super::rng::Rng;
use super::stats::{Counters, Stats};
use super::time::{Millis, MonotonicClock};

mod control;

/// What the host asks for when it schedules a job.
#[derive(Clone, Copy, Debug)]
pub struct JobSpec<'a> {
    pub cost: Cost,
    pub priority: f64,
    /// The tenant or caller; empty for none.
    pub key: &'a str,
    /// How long the job may wait for its first start.
    pub max_wait_ms: Option<u64>,
    /// When the whole job must be done by, on the host's clock: queueing, every attempt and
    /// every backoff. Within a priority, earliest deadline first.
    pub deadline: Option<Millis>,
}

impl Default for JobSpec<'_> {
    fn default() -> Self {
        JobSpec { cost: Cost::total(0), priority: 0.0, key: "", max_wait_ms: None, deadline: None }
    }
}

/// Why a job will not run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rejection {
    /// The estimate is larger than a bucket can ever hold.
    TooLarge(TooLarge),
    /// `maxQueue` jobs are already waiting.
    QueueFull { max_queue: u64 },
    /// The job cannot start within its `max_wait_ms`: the time ran out, or it is certain to.
    QueueTimeout { waited_ms: u64, max_wait_ms: u64 },
    /// The job cannot finish by its deadline, or very likely cannot: `left_ms` was left and
    /// `needed_ms` is what `why` says it needs (0 when the deadline passed).
    Deadline { left_ms: u64, needed_ms: u64, why: Late },
}

/// Why a job is given up before its deadline (numbered as the wasm binding and DeadlineError's `why`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Late {
    /// The deadline came.
    Expired,
    /// The budget (or a closed gate) cannot let it start before the deadline.
    BudgetWait,
    /// What is left is shorter than such attempts took (the learned latency quantile), after
    /// its wait to start (or its backoff).
    Latency,
    /// The backoff before its retry ends after the deadline.
    Backoff,
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
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// An attempt met the provider's limit (429) or overload (529, 503).
    RateLimited { job: JobId, overloaded: bool, retry_after_ms: Option<u64> },
    /// A failed attempt will be tried again when `at` comes (then waits its turn in the queue).
    RetryScheduled { job: JobId, attempt: u32, at: Millis },
    /// A job failed for good: out of attempts, or out of retry budget.
    RetriesExhausted { job: JobId, attempts: u32, budget: bool },
    /// The provider asked for a pause; `key` (its name) is `None` for the whole limiter.
    GateClosed { key: Option<Box<str>>, until: Millis },
    /// The pause is over: jobs go out again (a probe first). The key's name is taken when the
    /// gate opens: the key itself may be forgotten in the same instant (its last job ended).
    GateOpened { key: Option<Box<str>> },
    /// The concurrency limit moved (adaptive concurrency).
    ConcurrencyChanged { limit: u32 },
    /// A limit was learned or changed from the provider's headers.
    LimitChanged { state: LimitState },
}

/// What the scheduler holds, to check that its memory follows the live jobs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Footprint {
    /// Jobs queued, backing off or running.
    pub jobs: usize,
    pub queue: QueueFootprint,
    /// Keys interned (held by a job or a gate).
    pub keys: usize,
    pub key_gates: usize,
    /// Entries in the deadline, backoff and lease timers, stale ones included.
    pub timers: usize,
}

/// Stale timer entries tolerated beyond twice the live jobs before the timers are compacted.
const TIMER_SLACK: usize = 64;

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
    /// A retryable failure, but no retry fits before the deadline (see [`Rejection::Deadline`]).
    Late { left_ms: u64, needed_ms: u64, why: Late },
    /// The id is not running (already ended, or never was).
    Unknown,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Waiting in the queue, at this place.
    Queued(Place),
    Running(Attempt),
    /// Backing off after a failed attempt, until it re-enters the queue.
    Waiting,
}

#[derive(Clone, Debug)]
struct Job {
    /// The caller's estimate.
    estimate: Cost,
    /// What its running attempt holds (the calibrated estimate), or held last.
    cost: Cost,
    priority: Priority,
    key: KeyId,
    submitted_at: Millis,
    /// The last instant of its first start (`max_wait_ms`).
    deadline: Option<Millis>,
    /// When the whole job must be done by.
    due: Option<Millis>,
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
    /// `None` when `calibrate` is off.
    calibration: Option<Calibration>,
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
            retry_budget: RetryBudget::new(config.retry_budget),
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

    /// Why a job of `cost` due at `due` cannot finish in time if it waits to start now: the
    /// deadline came, the budget cannot let it start before, or (very likely) the budget's
    /// wait for the jobs with a deadline ahead of it and for itself, plus what such attempts
    /// took, is longer than what is left.
    /// `cost` is what it would reserve, `estimate` the caller's (the latency is learned per
    /// estimate); `at_head`: it is the head of the queue (nothing waits ahead of it).
    #[allow(clippy::too_many_arguments)]
    fn late_start(&self, now: Millis, cost: &Cost, estimate: &Cost, key: KeyId, priority: Priority, due: Millis, at_head: bool) -> Option<Rejection> {
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
    fn cost_ahead(&self, priority: Priority, due: Millis) -> Cost {
        let mut ahead = Cost::default();
        for &Reverse((d, id)) in self.dues.iter() {
            let Some(job) = self.jobs.get(&id).filter(|j| matches!(j.state, State::Queued(_))) else { continue };
            if job.priority > priority || (job.priority == priority && d <= due) {
                ahead.add(&job.cost);
            }
        }
        ahead
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

    /// Drops the timers' stale entries (jobs that started, ended or left) once they outnumber
    /// the live jobs, so that memory follows the jobs, not how many came and went.
    fn tidy_timers(&mut self) {
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
                job.state = State::Queued(self.queue.push_retry(id, job.priority, job.key));
            }
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
                self.retry_budget.deposit(now);
            }
            self.gates.started(job.key, head.job, now);
            self.counters.admitted += 1;
            self.decisions.push(Decision::Start { job: head.job, attempt: job.attempt });
        }
        None
    }

    /// Rejects queued and backing-off jobs whose deadline came: they cannot finish by it.
    /// (A running attempt is cut at its deadline by the host and ends as timed out.)
    fn expire_dues(&mut self, now: Millis) {
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

    /// Rejects queued jobs that can no longer start by their `max_wait_ms`, whatever happens.
    /// (A job with a deadline that a debt puts out of reach is rejected when it comes to the
    /// head of the queue: checking every one here would cost every debt a pass over the queue.)
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

    fn end_attempt(&mut self, now: Millis, id: JobId, outcome: Outcome, may_retry: bool) -> Verdict {
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
    fn pause(&mut self, now: Millis, id: JobId, key: KeyId, kind: OutcomeKind, retry_after: Option<u64>) {
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
    fn settle(&mut self, cost: &Cost, kind: OutcomeKind, usage: Option<Usage>) {
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

    fn retry_or_fail(&mut self, now: Millis, id: JobId, attempt: u32, retry_after: Option<u64>, due: Option<Millis>) -> Verdict {
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
        if !self.retry.allows(attempt) || !self.retry_budget.withdraw(now) {
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
    fn end(&mut self, id: JobId, count: impl FnOnce(&mut Counters)) {
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
        matches!(self.state, State::Queued(_)) && self.attempt == 0
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

/// Drops heap entries from the top while `live` says they are stale no more.
fn prune(heap: &mut BinaryHeap<Reverse<(Millis, JobId)>>, live: impl Fn(JobId) -> bool) {
    while let Some(&Reverse((_, id))) = heap.peek() {
        if live(id) {
            break;
        }
        heap.pop();
    }
}
