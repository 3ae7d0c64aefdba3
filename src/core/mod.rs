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
mod hash;
mod keys;
mod latency;
pub mod lease;
mod limit_kind;
mod queue;
mod refusal;
mod retry;
mod retry_budget;
mod rng;
mod scheduler;
mod slab;
mod stats;
mod time;

// The public vocabulary, by name: what the host (the wasm shell, native users, the tests)
// needs. Everything else stays inside the core, so the compiler reports what nothing uses.
pub use bucket::{Bucket, MAX_DEBT_MS};
pub use budget::{burst_capacity, BurstPpm, LimitState, TooLarge, FULL_BURST, LEARNED_LIMIT_TTL_MS, MAX_WINDOW_MS, TRANSIT_MS};
pub use calibration::{CalibrationState, UNIT as RATIO_UNIT, WINDOW as CALIBRATION_WINDOW};
pub use classify::{classify, Hint, OutcomeKind};
pub use config::{Config, ConfigError, ATTEMPT_LEASE_MS};
pub use cost::{Cost, Resource, Usage};
pub use feedback::{parse_headers, proto_duration, reads_header, Feedback, Observation, READ_HEADERS, READ_HEADER_PREFIXES};
pub use latency::MIN_SAMPLES;
pub use limit_kind::{LimitKind, Limits, DAY_MS, MINUTE_MS};
pub use queue::{JobId, KeyId, QueueFootprint, NO_DEADLINE_SLACK_MS};
pub use retry::RetryPolicy;
pub use retry_budget::RetryBudgetConfig;
pub use rng::Rng;
pub use slab::CAPACITY as JOB_SLOTS;
pub use scheduler::{Decision, Event, Footprint, JobSpec, Late, Outcome, Rejection, Scheduler, Verdict};
pub use stats::{Counters, Stats};
pub use time::Millis;
