//! `stats()` as numbers: one list of field names, read once by JS to build its object, and a
//! row of numbers per snapshot in that order.

use crate::{Stats, RATIO_UNIT};

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

/// Appends `stats` to `out` as [`STATS_FIELDS`] says, then a row per budget.
pub fn stats_row(stats: &Stats, out: &mut Vec<f64>) {
    let c = &stats.counters;
    let ratio = |r: u32| r as f64 / RATIO_UNIT as f64;
    let cal = stats.calibration.as_ref();
    let or_nan = |v: Option<f64>| v.unwrap_or(f64::NAN);
    let start = out.len();
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
    debug_assert_eq!(out.len() - start, STATS_FIELDS.len());
    for l in &stats.limits {
        out.extend([l.kind.index() as f64, l.limit as f64, l.window_ms as f64, l.capacity as f64, l.available as f64, l.learned as u8 as f64]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Config, LimitKind, Limits, Scheduler};

    #[test]
    fn stats_rows_hold_every_field_then_a_row_per_budget() {
        let config = Config { limits: Limits::new([(LimitKind::RequestsPerMinute, 60), (LimitKind::TokensPerMinute, 1_000)]).unwrap(), calibrate: false, ..Config::default() };
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
