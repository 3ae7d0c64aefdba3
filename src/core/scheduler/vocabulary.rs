//! The scheduler's vocabulary: what the host asks for, what it must carry out, what it may
//! tell, and how an attempt ended.

use crate::core::budget::{LimitState, TooLarge};
use crate::core::classify::OutcomeKind;
use crate::core::cost::{Cost, Usage};
use crate::core::feedback::Feedback;
use crate::core::queue::{JobId, QueueFootprint};
use crate::core::time::Millis;

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
