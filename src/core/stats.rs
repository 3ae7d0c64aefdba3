//! Counters and gauges a dashboard or an alert can read.

use super::budget::LimitState;
use super::calibration::CalibrationState;

/// Running totals since the scheduler was built.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    /// Jobs handed to `submit`.
    pub submitted: u64,
    /// Attempts started (a retried job counts once per attempt).
    pub admitted: u64,
    /// Jobs that ended with a success.
    pub completed: u64,
    /// Jobs that ended with a failure (aborted and timed-out ones included).
    pub failed: u64,
    /// Jobs refused at submission (too large, queue full, deadline out of reach).
    pub rejected: u64,
    /// Queued or backing-off jobs given up: `maxWaitMs` passed, or their deadline came or is out of reach.
    pub expired: u64,
    /// Jobs their caller aborted, queued or running.
    pub cancelled: u64,
    /// Attempts that ran past their `timeoutMs`.
    pub timed_out: u64,
    /// Attempts whose end never came within their lease: presumed lost, their slot given back.
    pub lost: u64,
    /// Attempts scheduled again after a retryable failure.
    pub retried: u64,
    /// Jobs that failed because attempts or the retry budget ran out.
    pub retries_exhausted: u64,
    /// Attempts that met a 429, 529 or 503.
    pub rate_limited: u64,
    /// Times a Retry-After closed a gate.
    pub gate_closed: u64,
    /// Limits learned or changed from the provider's headers.
    pub limits_learned: u64,
    /// Tokens reserved by attempts as they started (input plus the most output they allow).
    pub tokens_reserved: u64,
    /// Reserved tokens given back: unused output, or a refusal that did no work.
    pub tokens_refunded: u64,
    /// Input and output tokens the provider reported used.
    pub input_tokens_used: u64,
    pub output_tokens_used: u64,
}

/// A snapshot of the scheduler.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stats {
    pub in_flight: u32,
    pub queued: usize,
    /// Jobs waiting out a backoff before they re-enter the queue.
    pub backing_off: usize,
    pub concurrency_limit: u32,
    /// Keys (tenants) with jobs queued or running.
    pub keys: usize,
    /// Until when the limiter's gate holds every job back, if it does.
    pub gate_closed_until: Option<super::time::Millis>,
    pub counters: Counters,
    pub limits: Vec<LimitState>,
    /// What calibration learned; `None` when it is off.
    pub calibration: Option<CalibrationState>,
}
