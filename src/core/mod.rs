//! The core: a pure, synchronous state machine. It never reads a clock, never sleeps and
//! knows nothing of JavaScript; every call takes the host's time in milliseconds.

mod bucket;
mod budget;
mod classify;
mod concurrency;
mod config;
mod cost;
mod feedback;
mod gate;
mod keys;
pub mod lease;
mod queue;
mod retry;
mod retry_budget;
mod rng;
mod scheduler;
mod slab;
mod stats;
mod time;

pub use bucket::Bucket;
pub use budget::{burst_capacity, Budget, BurstPpm, Ledger, LimitKind, LimitState, TooLarge, DAY_MS, FULL_BURST, MINUTE_MS, TRANSIT_MS};
pub use classify::{classify, Hint, OutcomeKind};
pub use concurrency::{Concurrency, Signal, INITIAL_WINDOW};
pub use config::{Config, ConfigError, ATTEMPT_LEASE_MS};
pub use cost::{Cost, Resource, Usage};
pub use feedback::{go_duration, http_date, parse_headers, proto_duration, rfc3339, Feedback, Observation};
pub use gate::{Admits, Gate, Gates, PROBE_PATIENCE_MS};
pub use keys::{Keys, NO_KEY};
pub use queue::{FairQueue, Head, JobId, KeyId, Priority};
pub use retry::RetryPolicy;
pub use retry_budget::{RetryBudget, RetryBudgetConfig};
pub use rng::Rng;
pub use scheduler::{Decision, Event, JobSpec, Outcome, Rejection, Scheduler, Verdict};
pub use stats::{Counters, Stats};
pub use time::{Millis, MonotonicClock};
