//! The limiter's options as numbers: what each number of the constructor's settings (and of
//! `update()`'s) means to the core.

use std::num::NonZeroU64;

use crate::{Config, LimitKind, Limits, RetryBudgetConfig, RetryPolicy, Scheduler, ATTEMPT_LEASE_MS, FULL_BURST};

/// The numbers of the constructor's settings, by index (then one per `LimitKind`, from
/// [`LIMITS_AT`]). A negative number (or a missing one) leaves the value at its default.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Setting {
    MaxConcurrent,
    MaxQueue,
    Burst,
    AdaptiveConcurrency,
    /// 1 for a gate per key.
    Gate,
    MaxAttempts,
    BaseMs,
    MaxDelayMs,
    MaxRetryAfterMs,
    /// 0 for no retry budget (`budget: false`).
    RetryBudget,
    BudgetTtlMs,
    BudgetMinPerSec,
    BudgetPercent,
    Seed,
    /// Infinity for no lease.
    AttemptLeaseMs,
    /// 0 for off.
    Calibrate,
}

impl Setting {
    pub const ALL: [Setting; 16] = [
        Setting::MaxConcurrent,
        Setting::MaxQueue,
        Setting::Burst,
        Setting::AdaptiveConcurrency,
        Setting::Gate,
        Setting::MaxAttempts,
        Setting::BaseMs,
        Setting::MaxDelayMs,
        Setting::MaxRetryAfterMs,
        Setting::RetryBudget,
        Setting::BudgetTtlMs,
        Setting::BudgetMinPerSec,
        Setting::BudgetPercent,
        Setting::Seed,
        Setting::AttemptLeaseMs,
        Setting::Calibrate,
    ];

    pub const fn index(self) -> usize {
        self as usize
    }

    /// The option it carries, as the README and index.d.ts name it (a dot nests).
    pub fn option(self) -> &'static str {
        match self {
            Setting::MaxConcurrent => "maxConcurrent",
            Setting::MaxQueue => "maxQueue",
            Setting::Burst => "burst",
            Setting::AdaptiveConcurrency => "adaptiveConcurrency",
            Setting::Gate => "gate",
            Setting::MaxAttempts => "retry.maxAttempts",
            Setting::BaseMs => "retry.baseMs",
            Setting::MaxDelayMs => "retry.maxDelayMs",
            Setting::MaxRetryAfterMs => "retry.maxRetryAfterMs",
            Setting::RetryBudget => "retry.budget",
            Setting::BudgetTtlMs => "retry.budget.ttlMs",
            Setting::BudgetMinPerSec => "retry.budget.minPerSec",
            Setting::BudgetPercent => "retry.budget.percent",
            Setting::Seed => "seed",
            Setting::AttemptLeaseMs => "attemptLeaseMs",
            Setting::Calibrate => "calibrate",
        }
    }
}

/// Where the limits start in the settings: one number per `LimitKind`, in order.
pub const LIMITS_AT: usize = Setting::ALL.len();
/// How many numbers the settings hold.
pub const SETTINGS_LEN: usize = LIMITS_AT + LimitKind::ALL.len();

/// Where `kind`'s number is in the settings.
pub fn limit_at(kind: LimitKind) -> usize {
    LIMITS_AT + kind.index()
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

/// The configuration `settings` (laid out as [`Setting`] says) describes; a negative number (or
/// a missing one) leaves a value at its default. Unchecked: `Scheduler::new` checks it once, each
/// part by the type that owns it (`Config::validate`), so the .wasm carries the checks once.
pub fn config(settings: &[f64]) -> Config {
    let get = |s: Setting| number(settings, s.index());
    let default_retry = RetryPolicy::default();
    let default_budget = RetryBudgetConfig::default();
    let retry = RetryPolicy {
        max_attempts: optional(get(Setting::MaxAttempts)).map_or(default_retry.max_attempts, saturated_u32),
        base_ms: optional(get(Setting::BaseMs)).unwrap_or(default_retry.base_ms),
        cap_ms: optional(get(Setting::MaxDelayMs)).unwrap_or(default_retry.cap_ms),
        max_retry_after_ms: optional(get(Setting::MaxRetryAfterMs)).unwrap_or(default_retry.max_retry_after_ms),
    };
    let retry_budget = (get(Setting::RetryBudget) != 0.0).then(|| RetryBudgetConfig {
        ttl_ms: optional(get(Setting::BudgetTtlMs)).unwrap_or(default_budget.ttl_ms),
        min_per_sec: optional(get(Setting::BudgetMinPerSec)).unwrap_or(default_budget.min_per_sec),
        percent: optional(get(Setting::BudgetPercent)).unwrap_or(default_budget.percent),
    });
    Config {
        max_concurrent: optional(get(Setting::MaxConcurrent)).map(saturated_u32),
        max_queue: optional(get(Setting::MaxQueue)),
        burst: share_ppm(get(Setting::Burst)).unwrap_or(FULL_BURST),
        // A 0 is not a limit (JS refuses it first).
        limits: LimitKind::ALL.into_iter().fold(Limits::default(), |mut limits, kind| {
            if let Some(limit) = optional(number(settings, limit_at(kind))).and_then(NonZeroU64::new) {
                limits.set(kind, limit);
            }
            limits
        }),
        adaptive_concurrency: get(Setting::AdaptiveConcurrency) != 0.0,
        gate_per_key: get(Setting::Gate) > 0.0,
        retry,
        retry_budget,
        seed: optional(get(Setting::Seed)).unwrap_or(0),
        attempt_lease_ms: match get(Setting::AttemptLeaseMs) {
            f64::INFINITY => None,
            lease => optional(lease).or(Some(ATTEMPT_LEASE_MS)),
        },
        calibrate: get(Setting::Calibrate) != 0.0,
        ..Config::default()
    }
}

/// The number at `i`, or -1 (unset) past the end.
fn number(settings: &[f64], i: usize) -> f64 {
    settings.get(i).copied().unwrap_or(-1.0)
}

/// Applies `limiter.update()`: `settings` in the constructor's layout, where only
/// `MaxConcurrent`, `MaxQueue` and the limits are read and NaN leaves one as it is; below 0
/// lifts a cap (a rate limit cannot be lifted: its negative is ignored).
pub fn reconfigure(scheduler: &mut Scheduler, now: f64, settings: &[f64]) {
    let get = |i: usize| settings.get(i).copied().unwrap_or(f64::NAN);
    if !get(Setting::MaxConcurrent.index()).is_nan() {
        scheduler.set_max_concurrent(optional(get(Setting::MaxConcurrent.index())).map(saturated_u32));
    }
    if !get(Setting::MaxQueue.index()).is_nan() {
        scheduler.set_max_queue(optional(get(Setting::MaxQueue.index())));
    }
    for kind in LimitKind::ALL {
        if let Some(limit) = optional(get(limit_at(kind))).and_then(NonZeroU64::new) {
            scheduler.set_limit(millis(now), kind, limit);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ConfigError;

    #[test]
    fn reconfigure_changes_only_what_is_given() {
        let mut s = Scheduler::new(with(Setting::MaxConcurrent, 4.0), 0).unwrap();
        let mut update = vec![f64::NAN; SETTINGS_LEN];
        update[limit_at(LimitKind::TokensPerMinute)] = 5_000.0;
        reconfigure(&mut s, 0.0, &update);
        assert_eq!((s.stats().concurrency_limit, s.limit(LimitKind::TokensPerMinute).map(|l| l.limit)), (4, Some(5_000)));
        update[Setting::MaxConcurrent.index()] = -1.0; // Infinity from JS: no cap
        reconfigure(&mut s, 0.0, &update);
        assert_eq!(s.config().max_concurrent, None);
    }

    /// The config, checked as `Scheduler::new` checks it.
    fn try_with(setting: Setting, value: f64) -> Result<Config, ConfigError> {
        let mut settings = vec![-1.0; SETTINGS_LEN];
        settings[setting.index()] = value;
        let config = config(&settings);
        config.validate()?;
        Ok(config)
    }

    fn with(setting: Setting, value: f64) -> Config {
        try_with(setting, value).unwrap()
    }

    #[test]
    fn the_settings_are_numbered_in_order_and_named_once() {
        for (i, s) in Setting::ALL.into_iter().enumerate() {
            assert_eq!(s.index(), i, "{s:?}");
        }
        let mut names: Vec<&str> = Setting::ALL.iter().map(|s| s.option()).chain(LimitKind::ALL.map(LimitKind::name)).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), SETTINGS_LEN);
    }

    /// Every setting reaches the `Config`: a value other than its default changes it. With the
    /// exhaustive destructuring below, a new `Config` field fails to compile until it is listed
    /// with the setting that carries it (or as one JS never sets).
    #[test]
    fn every_setting_changes_the_config_and_every_field_has_a_setting() {
        let defaults = config(&[]);
        let changed = |s: Setting| match s {
            Setting::AdaptiveConcurrency | Setting::RetryBudget | Setting::Calibrate => 0.0,
            Setting::Gate => 1.0,
            Setting::Burst => 0.5,
            Setting::AttemptLeaseMs => f64::INFINITY,
            Setting::BaseMs => 7.0,
            _ => 99_999.0,
        };
        for s in Setting::ALL {
            assert_ne!(with(s, changed(s)), defaults, "{s:?} ({}) does not reach the Config", s.option());
        }
        for kind in LimitKind::ALL {
            let mut settings = vec![-1.0; SETTINGS_LEN];
            settings[limit_at(kind)] = 10.0;
            assert_eq!(config(&settings).limits.iter().collect::<Vec<_>>(), vec![(kind, 10)]);
        }
        let Config {
            max_concurrent: _,       // maxConcurrent
            limits: _,               // the six limits
            burst: _,                // burst
            max_queue: _,            // maxQueue
            adaptive_concurrency: _, // adaptiveConcurrency
            gate_per_key: _,         // gate
            retry: RetryPolicy { max_attempts: _, base_ms: _, cap_ms: _, max_retry_after_ms: _ }, // retry.*
            retry_budget: _,         // retry.budget (false) and retry.budget.*
            seed: _,                 // seed
            transit_ms: _,           // not an option: the core's constant
            attempt_lease_ms: _,     // attemptLeaseMs
            calibrate: _,            // calibrate
        } = defaults;
    }

    #[test]
    fn counts_beyond_32_bits_are_exact_not_wrapped() {
        assert_eq!(with(Setting::MaxQueue, 2f64.powi(32)).max_queue, Some(1 << 32));
        assert_eq!(with(Setting::MaxQueue, 2f64.powi(32) + 3.0).max_queue, Some((1 << 32) + 3));
        assert_eq!(with(Setting::MaxQueue, f64::INFINITY).max_queue, Some(u64::MAX), "no cap in effect");
        assert_eq!(with(Setting::BudgetMinPerSec, 2f64.powi(40)).retry_budget.unwrap().min_per_sec, 1 << 40);
        assert_eq!(with(Setting::BudgetPercent, 2f64.powi(40)).retry_budget.unwrap().percent, 1 << 40);
        assert_eq!(with(Setting::MaxQueue, 2f64.powi(53) - 1.0).max_queue, Some((1 << 53) - 1));
    }

    #[test]
    fn counts_for_32_bit_fields_saturate() {
        assert_eq!(with(Setting::MaxConcurrent, 2f64.powi(32)).max_concurrent, Some(u32::MAX));
        assert_eq!(with(Setting::MaxAttempts, 2f64.powi(40)).retry.max_attempts, u32::MAX);
        assert_eq!(with(Setting::MaxConcurrent, 7.0).max_concurrent, Some(7));
    }

    #[test]
    fn a_tiny_burst_is_one_millionth_not_zero() {
        assert_eq!(with(Setting::Burst, 1e-7).burst, 1);
        assert_eq!(with(Setting::Burst, 0.25).burst, 250_000);
        assert_eq!(try_with(Setting::Burst, 0.0).unwrap_err().to_string(), "Expected `burst` to be a number in (0, 1], got 0");
        assert_eq!(with(Setting::Burst, -1.0).burst, FULL_BURST, "unset");
    }

    #[test]
    fn bad_values_are_refused_by_the_type_that_owns_them() {
        assert_eq!(try_with(Setting::MaxAttempts, 0.0).unwrap_err().to_string(), "Expected `retry.maxAttempts` to be a positive integer, got 0");
        assert_eq!(try_with(Setting::BudgetTtlMs, 0.0).unwrap_err().option, "retry.budget.ttlMs");
        assert_eq!(try_with(Setting::MaxDelayMs, 100.0).unwrap_err().to_string(), "Expected `retry.maxDelayMs` to be at least `retry.baseMs`, got 100");
        assert_eq!(try_with(Setting::MaxConcurrent, 0.0).unwrap_err().option, "maxConcurrent");
    }

    #[test]
    fn no_retry_budget_is_none_not_a_huge_one() {
        assert_eq!(with(Setting::RetryBudget, 0.0).retry_budget, None);
        assert_eq!(with(Setting::RetryBudget, 1.0).retry_budget, Some(RetryBudgetConfig::default()));
        let mut settings = vec![-1.0; SETTINGS_LEN];
        settings[Setting::RetryBudget.index()] = 0.0;
        settings[Setting::BudgetTtlMs.index()] = 0.0; // ignored: there is no budget to check
        assert_eq!(config(&settings).retry_budget, None);
        assert!(config(&settings).validate().is_ok());
    }

    #[test]
    fn calibration_is_on_unless_turned_off() {
        assert!(config(&[]).calibrate);
        assert!(!with(Setting::Calibrate, 0.0).calibrate);
    }

    #[test]
    fn unset_values_keep_their_defaults() {
        assert_eq!(config(&[]), Config::default());
        assert_eq!(millis(f64::NAN), 0);
        assert_eq!(millis(-5.0), 0);
        assert_eq!(millis(1e300), u64::MAX);
    }
}
