//! The core: a pure, synchronous state machine. It never reads a clock, never sleeps and
//! knows nothing of JavaScript; every call takes the host's time in milliseconds.

mod bucket;
mod budget;
mod calibration;
mod classify;
mod concurrency;
mod config;
mod cost;
mod feedback;
mod fifo;
mod gate;
mod keys;
mod latency;
pub mod lease;
mod queue;
mod refusal;
mod retry;
mod retry_budget;
mod rng;
mod scheduler;
mod slab;
mod stats;
mod time;

pub use bucket::{Bucket, MAX_DEBT_MS};
pub use budget::{burst_capacity, Budget, BurstPpm, Ledger, LimitKind, LimitState, TooLarge, DAY_MS, FULL_BURST, LEARNED_LIMIT_TTL_MS, MAX_WINDOW_MS, MINUTE_MS, TRANSIT_MS};
pub use calibration::{Calibration, CalibrationState, FIRST_ROUND_INPUT, TYPICAL_START, UNIT as RATIO_UNIT, WINDOW as CALIBRATION_WINDOW};
pub use classify::{classify, Hint, OutcomeKind};
pub use concurrency::{Concurrency, Signal, INITIAL_WINDOW};
pub use config::{Config, ConfigError, ATTEMPT_LEASE_MS};
pub use cost::{Cost, Resource, Usage};
pub use feedback::{go_duration, http_date, parse_headers, proto_duration, rfc3339, Feedback, Observation};
pub use gate::{Admits, Gate, Gates, PROBE_PATIENCE_MS};
pub use keys::{Keys, NO_KEY};
pub use latency::{Latency, DEFAULT_QUANTILE_PPM, MIN_SAMPLES, WINDOW as LATENCY_WINDOW};
pub use queue::{FairQueue, Head, QueueFootprint, JobId, KeyId, Priority, NO_DEADLINE_SLACK_MS};
pub use refusal::{lesson, Lesson};
pub use retry::RetryPolicy;
pub use retry_budget::{RetryBudget, RetryBudgetConfig};
pub use rng::Rng;
pub use scheduler::{Decision, Event, Footprint, JobSpec, Late, Outcome, Rejection, Scheduler, Verdict};
pub use stats::{Counters, Stats};
pub use time::{Millis, MonotonicClock};
