//! The limiter's configuration, checked once when the scheduler is built.

use std::fmt;

use super::budget::{BurstPpm, FULL_BURST, TRANSIT_MS};
use super::limit_kind::Limits;
use super::retry::RetryPolicy;
use super::retry_budget::RetryBudgetConfig;

#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    /// The most attempts in flight at once; `None` for no cap.
    pub max_concurrent: Option<u32>,
    /// Rate limits the user knows.
    pub limits: Limits,
    /// The share of each limit that may go out at once, in millionths. Default: all of it,
    /// as OpenAI's and Anthropic's continuously refilled buckets allow.
    pub burst: BurstPpm,
    /// The most jobs waiting to start; `None` for no cap. Any count: one beyond what memory
    /// could hold is no cap in effect.
    pub max_queue: Option<u64>,
    /// AIMD on 429/529/503 below `max_concurrent`. On by default: it only ever lowers the
    /// limit after congestion, and climbs back one per success.
    pub adaptive_concurrency: bool,
    /// A Retry-After pauses only the key of the job that met it (keys with limits of their own).
    pub gate_per_key: bool,
    pub retry: RetryPolicy,
    /// How many retries recent traffic allows; `None`: only `retry.max_attempts` limits them.
    pub retry_budget: Option<RetryBudgetConfig>,
    /// Seeds the jitter, so a run can be repeated.
    pub seed: u64,
    /// How long a request takes to reach the provider (see [`TRANSIT_MS`]); 0 for an exact
    /// token bucket with no trip.
    pub transit_ms: u64,
    /// How long an attempt may run without its end being reported before it is presumed lost
    /// (its host context was cancelled, as workerd does to a request whose client went away)
    /// and gives its slot back; `None` for never.
    pub attempt_lease_ms: Option<u64>,
    /// Reserve each estimate times what the provider really counted for past ones (see
    /// `calibration.rs`); off, every attempt reserves its estimate as given.
    pub calibrate: bool,
}

/// The default lease of a running attempt: longer than any LLM call should take.
pub const ATTEMPT_LEASE_MS: u64 = 15 * 60_000;

impl Default for Config {
    fn default() -> Self {
        Config {
            max_concurrent: None,
            limits: Limits::default(),
            burst: FULL_BURST,
            max_queue: None,
            adaptive_concurrency: true,
            gate_per_key: false,
            retry: RetryPolicy::default(),
            retry_budget: Some(RetryBudgetConfig::default()),
            seed: 0,
            transit_ms: TRANSIT_MS,
            attempt_lease_ms: Some(ATTEMPT_LEASE_MS),
            calibrate: true,
        }
    }
}

/// A configuration value out of range, named as the JS option.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    pub option: &'static str,
    pub expected: &'static str,
    pub got: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Expected `{}` to be {}, got {}", self.option, self.expected, self.got)
    }
}

impl std::error::Error for ConfigError {}

impl ConfigError {
    /// `option` was 0 where only a positive integer will do.
    pub fn not_positive(option: &'static str) -> Self {
        ConfigError { option, expected: "a positive integer", got: "0".into() }
    }
}

impl Config {
    /// Checks the whole: each part by the type that owns it, then what only the whole knows.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.retry.validate()?;
        if let Some(budget) = &self.retry_budget {
            budget.validate()?;
        }
        if self.max_concurrent == Some(0) {
            return Err(ConfigError::not_positive("maxConcurrent"));
        }
        if self.attempt_lease_ms == Some(0) {
            return Err(ConfigError::not_positive("attemptLeaseMs"));
        }
        if self.burst == 0 || self.burst > FULL_BURST {
            return Err(ConfigError {
                option: "burst",
                expected: "a number in (0, 1]",
                got: ppm_as_decimal(self.burst),
            });
        }
        Ok(())
    }
}

/// Millionths as a decimal ("2", "0.25"), without floating-point formatting (it would weigh on the .wasm).
fn ppm_as_decimal(ppm: u32) -> String {
    let (whole, fraction) = (ppm / FULL_BURST, ppm % FULL_BURST);
    if fraction == 0 {
        return whole.to_string();
    }
    let digits = format!("{fraction:06}");
    format!("{whole}.{}", digits.trim_end_matches('0'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_option_and_the_value() {
        let bad = Config { max_concurrent: Some(0), ..Config::default() };
        assert_eq!(bad.validate().unwrap_err().to_string(), "Expected `maxConcurrent` to be a positive integer, got 0");
        let bad = Config { burst: 2 * FULL_BURST, ..Config::default() };
        assert_eq!(bad.validate().unwrap_err().to_string(), "Expected `burst` to be a number in (0, 1], got 2");
        let bad = Config { burst: 0, ..Config::default() };
        assert_eq!(bad.validate().unwrap_err().got, "0");
        assert_eq!(ppm_as_decimal(250_000), "0.25");
        assert!(Config::default().validate().is_ok());
    }
}
