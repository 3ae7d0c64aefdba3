//! sluice: a concurrency and rate limiter for LLM API calls.
//!
//! ```
//! use sluice::{Config, Cost, Decision, JobSpec, LimitKind, Limits, Outcome, OutcomeKind, Scheduler, Usage};
//!
//! let config = Config {
//!     max_concurrent: Some(2),
//!     limits: Limits::new([(LimitKind::RequestsPerMinute, 60), (LimitKind::TokensPerMinute, 10_000)]).unwrap(),
//!     ..Config::default()
//! };
//! let mut limiter = Scheduler::new(config, 0).unwrap();
//! let job = limiter.submit(0, JobSpec { cost: Cost::total(1_200), ..JobSpec::default() }).unwrap();
//! limiter.poll(0);
//! assert_eq!(limiter.drain().collect::<Vec<_>>(), vec![Decision::Start { job, attempt: 1 }]);
//! // ... the host runs the call, then reports what it used: the unused estimate comes back.
//! let usage = Some(Usage { input: 200, output: 300 });
//! limiter.finish(2_500, job, Outcome { usage, ..Outcome::of(OutcomeKind::Success) });
//! ```
//!
//! The core (this crate's root) is pure: time comes in on every call. The `wire` module says
//! what the settings and the stats look like as numbers (plain Rust, tested natively); the
//! `wasm` module, built only for `wasm32`, binds the core for the JavaScript package.

mod core;
pub use crate::core::*;

pub mod wire;

#[cfg(all(target_arch = "wasm32", feature = "binding"))]
mod wasm;
