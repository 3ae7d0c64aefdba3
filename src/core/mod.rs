//! The core: a pure, synchronous state machine. It never reads a clock, never sleeps and
//! knows nothing of JavaScript; every call takes the host's time in milliseconds.

mod bucket;
mod budget;
mod concurrency;
mod config;
mod cost;
mod ids;
mod keys;
mod queue;
mod scheduler;
mod stats;
mod time;

pub use bucket::Bucket;
pub use budget::{burst_capacity, Budget, BurstPpm, LimitKind, LimitState, TooLarge, DAY_MS, FULL_BURST, MINUTE_MS};
pub use concurrency::{Concurrency, Signal};
pub use config::{Config, ConfigError};
pub use cost::{Cost, Resource, Usage};
pub use keys::{Keys, NO_KEY};
pub use queue::{FairQueue, Head, JobId, KeyId, Priority};
pub use scheduler::{Decision, JobSpec, Outcome, OutcomeKind, Rejection, Scheduler, Verdict};
pub use stats::{Counters, Stats};
pub use time::{Millis, MonotonicClock};
