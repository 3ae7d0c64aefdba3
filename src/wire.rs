//! The encoding between the core and the JS wrapper, in plain Rust so that native tests reach
//! it: what a number from JS means to the core. The `wasm` module is only its shell.

use crate::{Config, LimitKind, RetryBudgetConfig, RetryPolicy, ATTEMPT_LEASE_MS, FULL_BURST};

/// The settings array of the constructor, index by index.
pub mod setting {
    pub const MAX_CONCURRENT: usize = 0;
    pub const MAX_QUEUE: usize = 1;
    pub const BURST: usize = 2;
    pub const ADAPTIVE: usize = 3;
    pub const GATE_PER_KEY: usize = 4;
    pub const MAX_ATTEMPTS: usize = 5;
    pub const BASE_MS: usize = 6;
    pub const MAX_DELAY_MS: usize = 7;
    pub const MAX_RETRY_AFTER_MS: usize = 8;
    pub const BUDGET_TTL_MS: usize = 9;
    pub const BUDGET_MIN_PER_SEC: usize = 10;
    pub const BUDGET_PERCENT: usize = 11;
    pub const SEED: usize = 12;
    /// Infinity for no lease.
    pub const ATTEMPT_LEASE_MS: usize = 13;
    /// Then one number per `LimitKind`, in order.
    pub const LIMITS: usize = 14;
    /// 0 for off (after the limits).
    pub const CALIBRATE: usize = LIMITS + 6;
}

/// A time from JS: milliseconds, anything not a positive finite number read as 0.
pub fn millis(now: f64) -> u64 {
    if now.is_finite() && now > 0.0 {
        now as u64
    } else {
        0
    }
}

/// A count from JS, where a negative number or NaN means "none". Exact up to 2^53 (every
/// integer JS holds exactly); larger ones saturate at `u64::MAX`, which is no cap in effect.
pub fn optional(value: f64) -> Option<u64> {
    (value >= 0.0).then_some(value as u64)
}

/// A count for a 32-bit field: saturates rather than wraps (`2 ** 32` must not become 0).
pub fn saturated_u32(value: u64) -> u32 {
    value.min(u32::MAX as u64) as u32
}

/// A share in (0, 1] as millionths: any positive share is at least one millionth, so that a
/// tiny `burst` is a tiny burst (the bucket still holds at least one token), not zero.
pub fn share_ppm(value: f64) -> Option<u32> {
    let ppm = optional((value * FULL_BURST as f64).round())?;
    Some(saturated_u32(ppm).max((value > 0.0) as u32))
}

/// The configuration `settings` (laid out as [`setting`] says) describes; a negative number
/// (or a missing one) leaves a value at its default.
pub fn config(settings: &[f64]) -> Config {
    let get = |i: usize| settings.get(i).copied().unwrap_or(-1.0);
    let default_retry = RetryPolicy::default();
    let default_budget = RetryBudgetConfig::default();
    Config {
        max_concurrent: optional(get(setting::MAX_CONCURRENT)).map(saturated_u32),
        max_queue: optional(get(setting::MAX_QUEUE)),
        burst: share_ppm(get(setting::BURST)).unwrap_or(FULL_BURST),
        limits: LimitKind::ALL
            .into_iter()
            .enumerate()
            .filter_map(|(i, kind)| optional(get(setting::LIMITS + i)).map(|v| (kind, v)))
            .collect(),
        adaptive_concurrency: get(setting::ADAPTIVE) != 0.0,
        gate_per_key: get(setting::GATE_PER_KEY) > 0.0,
        retry: RetryPolicy {
            max_attempts: optional(get(setting::MAX_ATTEMPTS)).map_or(default_retry.max_attempts, saturated_u32),
            base_ms: optional(get(setting::BASE_MS)).unwrap_or(default_retry.base_ms),
            cap_ms: optional(get(setting::MAX_DELAY_MS)).unwrap_or(default_retry.cap_ms),
            max_retry_after_ms: optional(get(setting::MAX_RETRY_AFTER_MS)).unwrap_or(default_retry.max_retry_after_ms),
        },
        retry_budget: RetryBudgetConfig {
            ttl_ms: optional(get(setting::BUDGET_TTL_MS)).unwrap_or(default_budget.ttl_ms),
            min_per_sec: optional(get(setting::BUDGET_MIN_PER_SEC)).unwrap_or(default_budget.min_per_sec),
            percent: optional(get(setting::BUDGET_PERCENT)).unwrap_or(default_budget.percent),
        },
        seed: optional(get(setting::SEED)).unwrap_or(0),
        attempt_lease_ms: match get(setting::ATTEMPT_LEASE_MS) {
            f64::INFINITY => None,
            lease => optional(lease).or(Some(ATTEMPT_LEASE_MS)),
        },
        calibrate: get(setting::CALIBRATE) != 0.0,
        ..Config::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(index: usize, value: f64) -> Config {
        let mut settings = vec![-1.0; setting::LIMITS + LimitKind::ALL.len()];
        settings[index] = value;
        config(&settings)
    }

    #[test]
    fn counts_beyond_32_bits_are_exact_not_wrapped() {
        assert_eq!(with(setting::MAX_QUEUE, 2f64.powi(32)).max_queue, Some(1 << 32));
        assert_eq!(with(setting::MAX_QUEUE, 2f64.powi(32) + 3.0).max_queue, Some((1 << 32) + 3));
        assert_eq!(with(setting::MAX_QUEUE, f64::INFINITY).max_queue, Some(u64::MAX), "no cap in effect");
        assert_eq!(with(setting::BUDGET_MIN_PER_SEC, 2f64.powi(40)).retry_budget.min_per_sec, 1 << 40);
        assert_eq!(with(setting::BUDGET_PERCENT, 2f64.powi(40)).retry_budget.percent, 1 << 40);
        assert_eq!(with(setting::MAX_QUEUE, 2f64.powi(53) - 1.0).max_queue, Some((1 << 53) - 1));
    }

    #[test]
    fn counts_for_32_bit_fields_saturate() {
        assert_eq!(with(setting::MAX_CONCURRENT, 2f64.powi(32)).max_concurrent, Some(u32::MAX));
        assert_eq!(with(setting::MAX_ATTEMPTS, 2f64.powi(40)).retry.max_attempts, u32::MAX);
        assert_eq!(with(setting::MAX_CONCURRENT, 7.0).max_concurrent, Some(7));
    }

    #[test]
    fn a_tiny_burst_is_one_millionth_not_zero() {
        assert_eq!(with(setting::BURST, 1e-7).burst, 1);
        assert_eq!(with(setting::BURST, 0.25).burst, 250_000);
        assert_eq!(with(setting::BURST, 0.0).burst, 0, "zero stays zero: validation rejects it");
        assert!(with(setting::BURST, 1e-7).validate().is_ok());
        assert_eq!(with(setting::BURST, -1.0).burst, FULL_BURST, "unset");
    }

    #[test]
    fn calibration_is_on_unless_turned_off() {
        let mut settings = vec![-1.0; setting::CALIBRATE + 1];
        assert!(config(&settings).calibrate);
        settings[setting::CALIBRATE] = 0.0;
        assert!(!config(&settings).calibrate);
    }

    #[test]
    fn unset_values_keep_their_defaults() {
        let config = config(&[]);
        assert_eq!(config, Config { adaptive_concurrency: true, ..Config::default() });
        assert_eq!(millis(f64::NAN), 0);
        assert_eq!(millis(-5.0), 0);
        assert_eq!(millis(1e300), u64::MAX);
    }
}
