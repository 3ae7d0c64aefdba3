//! The encoding between the core and the JS wrapper, in plain Rust so that native tests reach
//! it: what a number from JS means to the core, and how the core's answers travel back. The
//! `wasm` module is only its `#[wasm_bindgen]` shell.
//!
//! Decisions and events come back flat, five numbers each: `[kind, a, b, c, d]`, after a
//! header of three: `[rows, next wake or -1, verdict]`. The codes are mirrored in
//! `js/src/codes.js`.

use crate::{
    classify, parse_headers, proto_duration, Config, Cost, Decision, Event, Feedback, Hint, KeyId, LimitKind, OutcomeKind,
    Rejection, RetryBudgetConfig, RetryPolicy, Scheduler, Stats, Usage, Verdict, ATTEMPT_LEASE_MS, FULL_BURST,
};

/// The first number of each row.
pub mod code {
    // Decisions.
    pub const START: f64 = 1.0;
    pub const QUEUE_TIMEOUT: f64 = 2.0;
    pub const TOO_LARGE: f64 = 3.0;
    pub const QUEUE_FULL: f64 = 4.0;
    // Events.
    pub const RATE_LIMITED: f64 = 10.0;
    pub const RETRY_SCHEDULED: f64 = 11.0;
    pub const RETRIES_EXHAUSTED: f64 = 12.0;
    pub const GATE_CLOSED: f64 = 13.0;
    pub const GATE_OPENED: f64 = 14.0;
    pub const CONCURRENCY_CHANGED: f64 = 15.0;
    pub const LIMIT_CHANGED: f64 = 16.0;
}

/// Outcomes by the index JS passes to `finish`.
pub const OUTCOMES: [OutcomeKind; 7] = [
    OutcomeKind::Success,
    OutcomeKind::RateLimited,
    OutcomeKind::Overloaded,
    OutcomeKind::Retryable,
    OutcomeKind::Failure,
    OutcomeKind::Aborted,
    OutcomeKind::TimedOut,
];

/// Hints by the index JS passes to `finish`.
pub const HINTS: [Hint; 5] = [Hint::None, Hint::Network, Hint::RateLimit, Hint::Overloaded, Hint::QuotaExhausted];

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
        ..Config::default()
    }
}

/// A job's estimate: `input` and `output` below 0 mean that only the total is known.
pub fn cost(tokens: f64, input: f64, output: f64) -> Cost {
    match (optional(input), optional(output)) {
        (Some(i), Some(o)) => Cost::split(i, o),
        _ => Cost::total(optional(tokens).unwrap_or(0)),
    }
}

/// What an attempt used: `input` below 0 means unknown.
pub fn usage(input: f64, output: f64) -> Option<Usage> {
    optional(input).map(|input| Usage { input, output: optional(output).unwrap_or(0) })
}

/// How an attempt ended: `kind` an index of [`OUTCOMES`], or below 0 to classify from
/// `status` (0: none), `hint` (an index of [`HINTS`]) and the provider's `x-should-retry`.
pub fn outcome_kind(kind: i32, status: u32, hint: u32, should_retry: Option<bool>) -> OutcomeKind {
    match usize::try_from(kind).ok().and_then(|k| OUTCOMES.get(k)) {
        Some(&k) => k,
        None => {
            let status = (status > 0).then_some(status.min(999) as u16);
            classify(status, HINTS.get(hint as usize).copied().unwrap_or_default(), should_retry)
        }
    }
}

/// What a response said: `headers` holds names and values, each on a line; `wall_now` is the
/// wall clock (for dated headers); `retry_delay` a protobuf duration from an error body
/// (Gemini), or empty.
pub fn feedback(wall_now: f64, headers: &str, retry_delay: &str) -> Feedback {
    let mut lines = headers.split('\n');
    let pairs = std::iter::from_fn(|| Some((lines.next()?, lines.next()?)));
    let mut feedback = parse_headers(pairs, millis(wall_now));
    if feedback.retry_after_ms.is_none() && !retry_delay.is_empty() {
        feedback.retry_after_ms = proto_duration(retry_delay).filter(|&ms| ms > 0);
    }
    feedback
}

/// A rejection as `[kind, a, b, c]`.
pub fn rejection(reason: Rejection) -> [f64; 4] {
    match reason {
        Rejection::QueueTimeout { waited_ms, max_wait_ms } => [code::QUEUE_TIMEOUT, waited_ms as f64, max_wait_ms as f64, 0.0],
        Rejection::TooLarge(t) => [code::TOO_LARGE, t.limit.index() as f64, t.amount as f64, t.capacity as f64],
        Rejection::QueueFull { max_queue } => [code::QUEUE_FULL, max_queue as f64, 0.0, 0.0],
    }
}

/// `finish`'s verdict: 0 done, 1 failed, 2 retry, -1 unknown; or, when retries ran out,
/// `3 + 4 × (the retry budget ran out) + 8 × attempts`.
pub fn verdict(verdict: Verdict) -> f64 {
    match verdict {
        Verdict::Done => 0.0,
        Verdict::Failed => 1.0,
        Verdict::Retry { .. } => 2.0,
        Verdict::Exhausted { attempts, budget } => 3.0 + 4.0 * budget as u8 as f64 + 8.0 * attempts as f64,
        Verdict::Unknown => -1.0,
    }
}

/// A decision as a row.
pub fn decision_row(decision: Decision) -> [f64; 5] {
    match decision {
        Decision::Start { job, attempt } => [code::START, job as f64, attempt as f64, 0.0, 0.0],
        Decision::Reject { job, reason } => {
            let [kind, a, b, c] = rejection(reason);
            [kind, job as f64, a, b, c]
        }
    }
}

/// An event as a row; `key` says whether a key travels with it (1) or none does (0), and
/// takes note of its name.
pub fn event_row(event: Event, mut key: impl FnMut(Option<KeyId>) -> f64) -> [f64; 5] {
    match event {
        Event::RateLimited { job, overloaded, retry_after_ms } => {
            [code::RATE_LIMITED, job as f64, overloaded as u8 as f64, retry_after_ms.map_or(-1.0, |ms| ms as f64), 0.0]
        }
        Event::RetryScheduled { job, attempt, at } => [code::RETRY_SCHEDULED, job as f64, attempt as f64, at as f64, 0.0],
        Event::RetriesExhausted { job, attempts, budget } => {
            [code::RETRIES_EXHAUSTED, job as f64, attempts as f64, budget as u8 as f64, 0.0]
        }
        Event::GateClosed { key: k, until } => [code::GATE_CLOSED, key(k), until as f64, 0.0, 0.0],
        Event::GateOpened { key: k } => [code::GATE_OPENED, key(k), 0.0, 0.0, 0.0],
        Event::ConcurrencyChanged { limit } => [code::CONCURRENCY_CHANGED, limit as f64, 0.0, 0.0, 0.0],
        Event::LimitChanged { state } => {
            [code::LIMIT_CHANGED, state.kind.index() as f64, state.limit as f64, state.capacity as f64, state.window_ms as f64]
        }
    }
}

/// The output JS reads in place after `poll` and `finish`, reused from call to call (no
/// allocation per poll).
#[derive(Debug, Default)]
pub struct Output {
    /// The header, then the rows.
    pub numbers: Vec<f64>,
    /// Key names of the events that named a key, in order.
    pub event_keys: Vec<String>,
}

impl Output {
    /// Writes the header and the decisions and events made since the last call.
    pub fn write(&mut self, scheduler: &mut Scheduler) {
        let out = &mut self.numbers;
        out.clear();
        out.extend([0.0, scheduler.next_wake().map_or(-1.0, |t| t as f64), 0.0]);
        out.extend(scheduler.drain().flat_map(decision_row));
        self.event_keys.clear();
        let events: Vec<Event> = if scheduler.has_events() { scheduler.drain_events().collect() } else { Vec::new() };
        for event in events {
            let event_keys = &mut self.event_keys;
            let row = event_row(event, |k| match k {
                Some(k) => {
                    event_keys.push(scheduler.key_name(k).to_string());
                    1.0
                }
                None => 0.0,
            });
            self.numbers.extend(row);
        }
        self.numbers[0] = ((self.numbers.len() - 3) / 5) as f64;
    }
}

/// A snapshot as JSON (not on the hot path).
pub fn stats_json(s: &Stats) -> String {
    let c = s.counters;
    let limits: Vec<String> = s
        .limits
        .iter()
        .map(|l| {
            format!(
                r#"{{"name":"{}","limit":{},"windowMs":{},"capacity":{},"available":{},"learned":{}}}"#,
                l.kind.name(),
                l.limit,
                l.window_ms,
                l.capacity,
                l.available,
                l.learned
            )
        })
        .collect();
    let gate = s.gate_closed_until.map_or("null".to_string(), |t| t.to_string());
    format!(
        concat!(
            r#"{{"inFlight":{},"queued":{},"backingOff":{},"concurrencyLimit":{},"keys":{},"gateClosedUntil":{},"#,
            r#""submitted":{},"admitted":{},"completed":{},"failed":{},"rejected":{},"expired":{},"cancelled":{},"lost":{},"#,
            r#""timedOut":{},"retried":{},"retriesExhausted":{},"rateLimited":{},"gateClosed":{},"limitsLearned":{},"limits":[{}]}}"#
        ),
        s.in_flight,
        s.queued,
        s.backing_off,
        s.concurrency_limit,
        s.keys,
        gate,
        c.submitted,
        c.admitted,
        c.completed,
        c.failed,
        c.rejected,
        c.expired,
        c.cancelled,
        c.lost,
        c.timed_out,
        c.retried,
        c.retries_exhausted,
        c.rate_limited,
        c.gate_closed,
        c.limits_learned,
        limits.join(",")
    )
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
    fn unset_values_keep_their_defaults() {
        let config = config(&[]);
        assert_eq!(config, Config { adaptive_concurrency: true, ..Config::default() });
        assert_eq!(millis(f64::NAN), 0);
        assert_eq!(millis(-5.0), 0);
        assert_eq!(millis(1e300), u64::MAX);
    }

    #[test]
    fn estimates_and_usage() {
        assert_eq!(cost(500.0, -1.0, -1.0), Cost::total(500));
        assert_eq!(cost(500.0, 100.0, 300.0), Cost::split(100, 300));
        assert_eq!(cost(-1.0, -1.0, 7.0), Cost::total(0), "a split needs both halves");
        assert_eq!(usage(-1.0, 5.0), None);
        assert_eq!(usage(10.0, -1.0), Some(Usage { input: 10, output: 0 }));
    }

    #[test]
    fn outcomes_by_index_or_classified() {
        assert_eq!(outcome_kind(0, 0, 0, None), OutcomeKind::Success);
        assert_eq!(outcome_kind(6, 0, 0, None), OutcomeKind::TimedOut);
        assert_eq!(outcome_kind(-1, 429, 0, None), OutcomeKind::RateLimited);
        assert_eq!(outcome_kind(-1, 529, 0, None), OutcomeKind::Overloaded);
        assert_eq!(outcome_kind(-1, 400, 0, None), OutcomeKind::Failure);
        assert_eq!(outcome_kind(-1, 400, 0, Some(true)), OutcomeKind::Retryable, "x-should-retry overrides");
        assert_eq!(outcome_kind(7, 0, 1, None), OutcomeKind::Retryable, "past the table: classified (a network error)");
    }

    #[test]
    fn verdicts_pack_attempts_and_the_budget() {
        assert_eq!(verdict(Verdict::Done), 0.0);
        assert_eq!(verdict(Verdict::Failed), 1.0);
        assert_eq!(verdict(Verdict::Retry { at: 5 }), 2.0);
        assert_eq!(verdict(Verdict::Unknown), -1.0);
        assert_eq!(verdict(Verdict::Exhausted { attempts: 6, budget: false }), 3.0 + 48.0);
        assert_eq!(verdict(Verdict::Exhausted { attempts: 2, budget: true }), 3.0 + 4.0 + 16.0);
    }

    #[test]
    fn headers_travel_as_name_and_value_lines() {
        let f = feedback(0.0, "Retry-After\n7\nx-ratelimit-limit-requests\n60\ndangling", "");
        assert_eq!(f.retry_after_ms, Some(7_000));
        assert_eq!(f.observations[0].limit, Some(60));
        assert_eq!(feedback(0.0, "", "1.5s").retry_after_ms, Some(1_500), "Gemini's retryDelay");
        assert_eq!(feedback(0.0, "retry-after-ms\n20", "9s").retry_after_ms, Some(20), "a header wins");
    }

    #[test]
    fn decisions_and_events_as_rows_after_a_header() {
        let settings: Vec<f64> = (0..setting::LIMITS + LimitKind::ALL.len())
            .map(|i| match i {
                setting::MAX_CONCURRENT => 1.0,
                setting::GATE_PER_KEY => 1.0,
                _ => -1.0,
            })
            .collect();
        let mut s = Scheduler::new(config(&settings), 0).unwrap();
        let spec = |key| crate::JobSpec { cost: Cost::total(1), key, ..crate::JobSpec::default() };
        let a = s.submit(0, spec("tenant\u{e9}")).unwrap();
        let b = s.submit(0, spec("other")).unwrap();
        s.poll(0);
        let mut out = Output::default();
        out.write(&mut s);
        let lease_ends = ATTEMPT_LEASE_MS as f64; // the next wake-up
        assert_eq!(out.numbers, vec![1.0, lease_ends, 0.0, code::START, a as f64, 1.0, 0.0, 0.0]);
        let outcome = crate::Outcome {
            feedback: Feedback { retry_after_ms: Some(1_000), ..Feedback::default() },
            ..crate::Outcome::of(OutcomeKind::RateLimited)
        };
        assert!(matches!(s.finish(10, a, outcome), Verdict::Retry { .. }));
        s.poll(10);
        out.write(&mut s);
        let rows: Vec<f64> = out.numbers[3..].chunks(5).map(|row| row[0]).collect();
        assert_eq!(out.numbers[0] as usize, (out.numbers.len() - 3) / 5);
        assert!(rows.contains(&code::GATE_CLOSED) && rows.contains(&code::RATE_LIMITED), "{:?}", out.numbers);
        assert_eq!(out.event_keys, vec!["tenant\u{e9}".to_string()], "the gate closed names its key");
        assert!(out.numbers[3..].chunks(5).any(|row| row[0] == code::START && row[1] == b as f64));
    }

    #[test]
    fn stats_as_json() {
        let s = Scheduler::new(Config { limits: vec![(LimitKind::RequestsPerMinute, 60)], ..Config::default() }, 0).unwrap();
        let json = stats_json(&s.stats());
        assert!(json.starts_with(r#"{"inFlight":0,"queued":0,"#), "{json}");
        assert!(json.contains(r#""gateClosedUntil":null,"#) && json.contains(r#""retriesExhausted":0,"#), "{json}");
        assert!(json.ends_with(r#""limits":[{"name":"requestsPerMinute","limit":60,"windowMs":60000,"capacity":60,"available":60,"learned":false}]}"#), "{json}");
    }
}
