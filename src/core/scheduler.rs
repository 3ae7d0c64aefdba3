//! The scheduler ties the pieces together: jobs are submitted, wait in the queue, start when
//! a concurrency slot and the budget allow, and end when the host reports their outcome.
//!
//! It is a synchronous state machine. Every call takes the host's time; the host drains
//! [`Decision`]s after each call and sleeps until [`Scheduler::next_wake`].

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::budget::{Budget, LimitState, TooLarge};
use super::concurrency::{Concurrency, Signal};
use super::config::{Config, ConfigError};
use super::cost::{Cost, Usage};
use super::ids::IdMap;
use super::keys::Keys;
use super::queue::{FairQueue, JobId, KeyId, Priority};
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

/// How an attempt ended, as the host saw it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutcomeKind {
    Success,
    /// The task failed and must not be retried.
    Failure,
    /// The caller aborted it while it ran.
    Aborted,
    /// It ran past its `timeoutMs`.
    TimedOut,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Outcome {
    pub kind: OutcomeKind,
    /// The tokens really used, when known; without it the reservation stands.
    pub usage: Option<Usage>,
}

/// The scheduler's answer to an ended attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Done,
    Failed,
    /// The id is not running (already ended, or never was).
    Unknown,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Queued,
    Running { epoch: u32 },
}

#[derive(Clone, Debug)]
struct Job {
    cost: Cost,
    priority: Priority,
    key: KeyId,
    submitted_at: Millis,
    deadline: Option<Millis>,
    attempt: u32,
    state: State,
}

pub struct Scheduler {
    config: Config,
    clock: MonotonicClock,
    budget: Budget,
    concurrency: Concurrency,
    queue: FairQueue,
    keys: Keys,
    jobs: IdMap<Job>,
    /// Queued jobs by deadline; entries of jobs that started or left are skipped when met.
    deadlines: BinaryHeap<Reverse<(Millis, JobId)>>,
    /// Tokens held by running attempts: the most that settling could give back.
    in_flight_cost: Cost,
    next_id: JobId,
    decisions: Vec<Decision>,
    next_wake: Option<Millis>,
    counters: Counters,
}

impl Scheduler {
    pub fn new(config: Config, now: Millis) -> Result<Self, ConfigError> {
        config.validate()?;
        let budget = Budget::new(&config.limits, config.burst, now);
        let concurrency = Concurrency::new(config.max_concurrent.unwrap_or(u32::MAX), false, 0);
        Ok(Scheduler {
            config,
            clock: MonotonicClock::new(now),
            budget,
            concurrency,
            queue: FairQueue::default(),
            keys: Keys::default(),
            jobs: IdMap::default(),
            deadlines: BinaryHeap::new(),
            in_flight_cost: Cost::default(),
            next_id: 1,
            decisions: Vec::new(),
            next_wake: None,
            counters: Counters::default(),
        })
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Queues a job, or rejects it at once when it could never start in time.
    /// Call [`poll`](Self::poll) afterwards: the job may start right away.
    pub fn submit(&mut self, now: Millis, spec: JobSpec) -> Result<JobId, Rejection> {
        let now = self.clock.observe(now);
        self.budget.refill(now);
        self.counters.submitted += 1;
        let deadline = spec.max_wait_ms.map(|w| now.saturating_add(w));
        let rejection = if let Some(too_large) = self.budget.too_large(&spec.cost) {
            Some(Rejection::TooLarge(too_large))
        } else if self.config.max_queue.is_some_and(|max| self.queue.len() >= max) {
            Some(Rejection::QueueFull { max_queue: self.config.max_queue.unwrap_or(0) })
        } else if let (Some(deadline), Some(max_wait_ms)) = (deadline, spec.max_wait_ms) {
            (self.earliest_start(now, &spec.cost) > deadline)
                .then_some(Rejection::QueueTimeout { waited_ms: 0, max_wait_ms })
        } else {
            None
        };
        if let Some(reason) = rejection {
            self.counters.rejected += 1;
            return Err(reason);
        }
        let id = self.next_id;
        self.next_id += 1;
        let key = self.keys.hold(spec.key);
        let priority = Priority(spec.priority);
        self.queue.push(id, priority, key);
        if let Some(deadline) = deadline {
            self.deadlines.push(Reverse((deadline, id)));
        }
        self.jobs.insert(
            id,
            Job { cost: spec.cost, priority, key, submitted_at: now, deadline, attempt: 0, state: State::Queued },
        );
        Ok(id)
    }

    /// The earliest a job of `cost` could start, were everything in flight to give back all it holds.
    fn earliest_start(&self, now: Millis, cost: &Cost) -> Millis {
        match self.budget.wait_for(cost, &self.in_flight_cost.tokens_only()) {
            Some(wait) => now.saturating_add(wait),
            None => Millis::MAX,
        }
    }

    /// Starts what can start, rejects what waited too long, and works out the next wake-up.
    pub fn poll(&mut self, now: Millis) {
        let now = self.clock.observe(now);
        self.budget.refill(now);
        self.expire(now, false);
        self.admit(now);
        self.expire(now, true);
        self.next_wake = self.compute_next_wake(now);
    }

    fn admit(&mut self, _now: Millis) {
        while self.concurrency.has_room() {
            let Some(head) = self.queue.head(|_| false) else { break };
            let job = self.jobs.get_mut(&head.job).expect("queued jobs are known");
            if !self.budget.fits(&job.cost) {
                break;
            }
            self.queue.pop(head);
            self.budget.take(&job.cost);
            self.in_flight_cost.add(&job.cost);
            job.attempt += 1;
            job.state = State::Running { epoch: self.concurrency.acquire() };
            self.counters.admitted += 1;
            self.decisions.push(Decision::Start { job: head.job, attempt: job.attempt });
        }
    }

    /// Rejects queued jobs whose deadline passed (`inclusive`: or is now).
    fn expire(&mut self, now: Millis, inclusive: bool) {
        while let Some(&Reverse((deadline, id))) = self.deadlines.peek() {
            if deadline > now || (deadline == now && !inclusive) {
                break;
            }
            self.deadlines.pop();
            if self.jobs.get(&id).is_some_and(|j| j.state == State::Queued) {
                self.reject_queued(now, id);
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
                    j.state == State::Queued && j.deadline.is_some_and(|d| self.earliest_start(now, &j.cost) > d)
                })
            })
            .collect();
        for id in doomed {
            self.reject_queued(now, id);
        }
    }

    fn reject_queued(&mut self, now: Millis, id: JobId) {
        let job = self.jobs.remove(&id).expect("job is queued");
        self.queue.remove(id);
        self.keys.release(job.key);
        let waited_ms = now - job.submitted_at;
        let max_wait_ms = job.deadline.map_or(0, |d| d - job.submitted_at);
        self.counters.expired += 1;
        self.decisions.push(Decision::Reject { job: id, reason: Rejection::QueueTimeout { waited_ms, max_wait_ms } });
    }

    fn compute_next_wake(&mut self, now: Millis) -> Option<Millis> {
        while let Some(&Reverse((_, id))) = self.deadlines.peek() {
            if self.jobs.get(&id).is_some_and(|j| j.state == State::Queued) {
                break;
            }
            self.deadlines.pop();
        }
        let deadline = self.deadlines.peek().map(|Reverse((d, _))| *d);
        let refill = if self.concurrency.has_room() {
            let jobs = &self.jobs;
            self.queue
                .head(|_| false)
                .and_then(|h| self.budget.wait_for(&jobs[&h.job].cost, &Cost::default()))
                .map(|wait| now + wait.max(1))
        } else {
            None
        };
        [deadline, refill].into_iter().flatten().min()
    }

    /// Reports how an attempt ended. Frees its slot and settles its reservation.
    pub fn finish(&mut self, now: Millis, id: JobId, outcome: Outcome) -> Verdict {
        let now = self.clock.observe(now);
        self.budget.refill(now);
        let Some(job) = self.jobs.get(&id) else { return Verdict::Unknown };
        let State::Running { epoch } = job.state else { return Verdict::Unknown };
        let job = self.jobs.remove(&id).expect("job exists");
        self.in_flight_cost.sub(&job.cost);
        self.keys.release(job.key);
        let signal = if outcome.kind == OutcomeKind::Success { Signal::Success } else { Signal::Neutral };
        self.concurrency.release(epoch, signal);
        if let Some(usage) = outcome.usage {
            self.budget.settle(&job.cost, usage);
            if job.cost.overrun_by(usage) {
                // A debt pushes every wait back: some deadlines may now be out of reach.
                self.reject_unreachable(now);
            }
        }
        match outcome.kind {
            OutcomeKind::Success => {
                self.counters.completed += 1;
                Verdict::Done
            }
            OutcomeKind::Failure | OutcomeKind::TimedOut | OutcomeKind::Aborted => {
                match outcome.kind {
                    OutcomeKind::TimedOut => self.counters.timed_out += 1,
                    OutcomeKind::Aborted => self.counters.cancelled += 1,
                    _ => {}
                }
                self.counters.failed += 1;
                Verdict::Failed
            }
        }
    }

    /// Takes a queued job out of the queue (its caller gave up). Returns false when it is not queued.
    pub fn cancel(&mut self, now: Millis, id: JobId) -> bool {
        self.clock.observe(now);
        if !self.jobs.get(&id).is_some_and(|j| j.state == State::Queued) {
            return false;
        }
        let job = self.jobs.remove(&id).expect("job is queued");
        self.queue.remove(id);
        self.keys.release(job.key);
        self.counters.cancelled += 1;
        true
    }

    /// Decisions made since the last drain, in order.
    pub fn drain(&mut self) -> std::vec::Drain<'_, Decision> {
        self.decisions.drain(..)
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
            concurrency_limit: self.concurrency.limit(),
            keys: self.keys.len(),
            counters: self.counters,
            limits: self.budget.states(),
        }
    }

    pub fn limit_states(&self) -> Vec<LimitState> {
        self.budget.states()
    }
}
