//! The encoding between the core and the JS wrapper, in plain Rust so that native tests reach
//! it: what a number from JS means to the core. The `wasm` module is only its shell.

use crate::{Config, LimitKind, RetryBudgetConfig, RetryPolicy, Scheduler, Stats, ATTEMPT_LEASE_MS, FULL_BURST, RATIO_UNIT};

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

/// Applies `limiter.update()`: `settings` in the constructor's layout, where only
/// `MAX_CONCURRENT`, `MAX_QUEUE` and the limits are read and NaN leaves one as it is; below 0
/// lifts a cap (a rate limit cannot be lifted: its negative is ignored).
pub fn reconfigure(scheduler: &mut Scheduler, now: f64, settings: &[f64]) {
    let get = |i: usize| settings.get(i).copied().unwrap_or(f64::NAN);
    if !get(setting::MAX_CONCURRENT).is_nan() {
        scheduler.set_max_concurrent(optional(get(setting::MAX_CONCURRENT)).map(saturated_u32));
    }
    if !get(setting::MAX_QUEUE).is_nan() {
        scheduler.set_max_queue(optional(get(setting::MAX_QUEUE)));
    }
    for (i, kind) in LimitKind::ALL.into_iter().enumerate() {
        if let Some(limit) = optional(get(setting::LIMITS + i)) {
            scheduler.set_limit(millis(now), kind, limit);
        }
    }
}

/// The names of `stats()`, in the order [`stats_row`] writes their values: one list, read by
/// JS once to build its object (a dot nests: `tokens.reserved` is `stats().tokens.reserved`).
/// NaN stands for null, and an object whose values are all NaN is null (`calibration` when off).
pub const STATS_FIELDS: [&str; 30] = [
    "inFlight",
    "queued",
    "backingOff",
    "concurrencyLimit",
    "keys",
    "gateClosedUntil",
    "submitted",
    "admitted",
    "completed",
    "failed",
    "rejected",
    "expired",
    "cancelled",
    "lost",
    "timedOut",
    "retried",
    "retriesExhausted",
    "rateLimited",
    "gateClosed",
    "limitsLearned",
    "tokens.reserved",
    "tokens.refunded",
    "tokens.input",
    "tokens.output",
    "calibration.input",
    "calibration.output",
    "calibration.tokens",
    "calibration.typicalInputTokens",
    "calibration.typicalOutputTokens",
    "calibration.samples",
];

/// Numbers per budget after the fields: its `LimitKind` index, then `limit`, `windowMs`,
/// `capacity`, `available` and `learned` (0 or 1).
pub const STATS_LIMIT_ROW: usize = 6;

/// Writes `stats` into `out` as [`STATS_FIELDS`] says, then a row per budget.
pub fn stats_row(stats: &Stats, out: &mut Vec<f64>) {
    let c = &stats.counters;
    let ratio = |r: u32| r as f64 / RATIO_UNIT as f64;
    let cal = stats.calibration.as_ref();
    let or_nan = |v: Option<f64>| v.unwrap_or(f64::NAN);
    out.clear();
    out.extend([
        stats.in_flight as f64,
        stats.queued as f64,
        stats.backing_off as f64,
        if stats.concurrency_limit == u32::MAX { f64::INFINITY } else { stats.concurrency_limit as f64 },
        stats.keys as f64,
        or_nan(stats.gate_closed_until.map(|t| t as f64)),
        c.submitted as f64,
        c.admitted as f64,
        c.completed as f64,
        c.failed as f64,
        c.rejected as f64,
        c.expired as f64,
        c.cancelled as f64,
        c.lost as f64,
        c.timed_out as f64,
        c.retried as f64,
        c.retries_exhausted as f64,
        c.rate_limited as f64,
        c.gate_closed as f64,
        c.limits_learned as f64,
        c.tokens_reserved as f64,
        c.tokens_refunded as f64,
        c.input_tokens_used as f64,
        c.output_tokens_used as f64,
        or_nan(cal.map(|c| ratio(c.input))),
        or_nan(cal.map(|c| ratio(c.output))),
        or_nan(cal.map(|c| ratio(c.tokens))),
        or_nan(cal.map(|c| c.typical.input as f64)),
        or_nan(cal.map(|c| c.typical.output as f64)),
        or_nan(cal.map(|c| c.samples as f64)),
    ]);
    debug_assert_eq!(out.len(), STATS_FIELDS.len());
    for l in &stats.limits {
        out.extend([l.kind.index() as f64, l.limit as f64, l.window_ms as f64, l.capacity as f64, l.available as f64, l.learned as u8 as f64]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reconfigure_changes_only_what_is_given() {
        let mut s = Scheduler::new(with(setting::MAX_CONCURRENT, 4.0), 0).unwrap();
        let mut update = vec![f64::NAN; setting::LIMITS + LimitKind::ALL.len()];
        update[setting::LIMITS + LimitKind::TokensPerMinute.index()] = 5_000.0;
        reconfigure(&mut s, 0.0, &update);
        assert_eq!((s.stats().concurrency_limit, s.limit(LimitKind::TokensPerMinute).map(|l| l.limit)), (4, Some(5_000)));
        update[setting::MAX_CONCURRENT] = -1.0; // Infinity from JS: no cap
        reconfigure(&mut s, 0.0, &update);
        assert_eq!(s.config().max_concurrent, None);
    }

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

    #[test]
    fn stats_rows_hold_every_field_then_a_row_per_budget() {
        let config = Config { limits: vec![(LimitKind::RequestsPerMinute, 60), (LimitKind::TokensPerMinute, 1_000)], calibrate: false, ..Config::default() };
        let scheduler = Scheduler::new(config, 0).unwrap();
        let mut out = Vec::new();
        stats_row(&scheduler.stats(), &mut out);
        assert_eq!(out.len(), STATS_FIELDS.len() + 2 * STATS_LIMIT_ROW);
        let field = |name: &str| out[STATS_FIELDS.iter().position(|f| *f == name).unwrap()];
        assert_eq!(field("concurrencyLimit"), f64::INFINITY);
        assert!(field("gateClosedUntil").is_nan());
        assert!(field("calibration.samples").is_nan(), "calibration is off: null");
        let budgets = &out[STATS_FIELDS.len()..];
        assert_eq!(budgets[0], LimitKind::RequestsPerMinute.index() as f64);
        assert_eq!(budgets[1], 60.0);
        assert_eq!(budgets[STATS_LIMIT_ROW], LimitKind::TokensPerMinute.index() as f64);
    }
}
