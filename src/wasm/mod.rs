//! The wasm binding: a thin shell that holds the core scheduler. Only numbers, ids and short
//! strings cross; the JS wrapper validates options first, so errors here are a second line.
//!
//! Decisions and events come back flat, five numbers each: `[kind, a, b, c, d]`; the codes
//! are mirrored in `js/src/codes.js`.

use wasm_bindgen::prelude::*;

mod lease;

use crate::{
    classify, parse_headers, proto_duration, Config, ATTEMPT_LEASE_MS, Cost, Decision, Event, Feedback, Hint, JobSpec, LimitKind,
    Outcome, OutcomeKind, Rejection, RetryBudgetConfig, RetryPolicy, Scheduler, Usage, Verdict, FULL_BURST,
};

// Decisions.
const START: f64 = 1.0;
const QUEUE_TIMEOUT: f64 = 2.0;
const TOO_LARGE: f64 = 3.0;
const QUEUE_FULL: f64 = 4.0;
// Events.
const RATE_LIMITED: f64 = 10.0;
const RETRY_SCHEDULED: f64 = 11.0;
const RETRIES_EXHAUSTED: f64 = 12.0;
const GATE_CLOSED: f64 = 13.0;
const GATE_OPENED: f64 = 14.0;
const CONCURRENCY_CHANGED: f64 = 15.0;
const LIMIT_CHANGED: f64 = 16.0;

/// The settings array of the constructor, index by index.
mod setting {
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

/// Encodes a rejection as `[kind, a, b, c]`.
fn rejection(reason: Rejection) -> [f64; 4] {
    match reason {
        Rejection::QueueTimeout { waited_ms, max_wait_ms } => [QUEUE_TIMEOUT, waited_ms as f64, max_wait_ms as f64, 0.0],
        Rejection::TooLarge(t) => [TOO_LARGE, t.limit.index() as f64, t.amount as f64, t.capacity as f64],
        Rejection::QueueFull { max_queue } => [QUEUE_FULL, max_queue as f64, 0.0, 0.0],
    }
}

fn millis(now: f64) -> u64 {
    if now.is_finite() && now > 0.0 {
        now as u64
    } else {
        0
    }
}

/// A count from JS, where a negative number or NaN means "none".
fn optional(value: f64) -> Option<u64> {
    (value >= 0.0).then_some(value as u64)
}

const OUTCOMES: [OutcomeKind; 7] = [
    OutcomeKind::Success,
    OutcomeKind::RateLimited,
    OutcomeKind::Overloaded,
    OutcomeKind::Retryable,
    OutcomeKind::Failure,
    OutcomeKind::Aborted,
    OutcomeKind::TimedOut,
];

const HINTS: [Hint; 5] = [Hint::None, Hint::Network, Hint::RateLimit, Hint::Overloaded, Hint::QuotaExhausted];

/// The module's memory, so that JS can read [`Core::poll`]'s output in place.
#[wasm_bindgen(js_name = wasmMemory)]
pub fn wasm_memory() -> JsValue {
    wasm_bindgen::memory()
}

#[wasm_bindgen]
pub struct Core {
    scheduler: Scheduler,
    rejected: [f64; 4],
    /// The last poll's decisions and events, read by JS in place (no allocation per poll).
    out: Vec<f64>,
    /// Key names of the last poll's events that named a key, in order.
    event_keys: Vec<String>,
    /// What the next `finish` reports besides its outcome (set by `feedback`).
    feedback: Feedback,
    /// Tests only: the next poll, finish or submit panics (see `trapNextCallForTests`).
    trap_armed: bool,
}

#[wasm_bindgen]
impl Core {
    /// `settings` follows the layout of [`setting`]; a negative number leaves a value unset.
    #[wasm_bindgen(constructor)]
    pub fn new(settings: &[f64]) -> Result<Core, JsError> {
        let get = |i: usize| settings.get(i).copied().unwrap_or(-1.0);
        let default_retry = RetryPolicy::default();
        let default_budget = RetryBudgetConfig::default();
        let config = Config {
            max_concurrent: optional(get(setting::MAX_CONCURRENT)).map(|n| n.min(u32::MAX as u64) as u32),
            max_queue: optional(get(setting::MAX_QUEUE)).map(|n| n as usize),
            burst: optional((get(setting::BURST) * FULL_BURST as f64).round()).map_or(FULL_BURST, |b| b as u32),
            limits: LimitKind::ALL
                .into_iter()
                .enumerate()
                .filter_map(|(i, kind)| optional(get(setting::LIMITS + i)).map(|v| (kind, v)))
                .collect(),
            adaptive_concurrency: get(setting::ADAPTIVE) != 0.0,
            gate_per_key: get(setting::GATE_PER_KEY) > 0.0,
            retry: RetryPolicy {
                max_attempts: optional(get(setting::MAX_ATTEMPTS)).map_or(default_retry.max_attempts, |n| n as u32),
                base_ms: optional(get(setting::BASE_MS)).unwrap_or(default_retry.base_ms),
                cap_ms: optional(get(setting::MAX_DELAY_MS)).unwrap_or(default_retry.cap_ms),
                max_retry_after_ms: optional(get(setting::MAX_RETRY_AFTER_MS)).unwrap_or(default_retry.max_retry_after_ms),
            },
            retry_budget: RetryBudgetConfig {
                ttl_ms: optional(get(setting::BUDGET_TTL_MS)).unwrap_or(default_budget.ttl_ms),
                min_per_sec: optional(get(setting::BUDGET_MIN_PER_SEC)).map_or(default_budget.min_per_sec, |n| n as u32),
                percent: optional(get(setting::BUDGET_PERCENT)).map_or(default_budget.percent, |n| n as u32),
            },
            seed: optional(get(setting::SEED)).unwrap_or(0),
            attempt_lease_ms: match get(setting::ATTEMPT_LEASE_MS) {
                f64::INFINITY => None,
                lease => optional(lease).or(Some(ATTEMPT_LEASE_MS)),
            },
            ..Config::default()
        };
        let scheduler = Scheduler::new(config, 0).map_err(|e| JsError::new(&e.to_string()))?;
        Ok(Core { scheduler, rejected: [0.0; 4], out: Vec::new(), event_keys: Vec::new(), feedback: Feedback::default(), trap_armed: false })
    }

    /// Reseeds the jitter (randomness may only be drawn after construction in some hosts).
    pub fn reseed(&mut self, seed: f64) {
        self.scheduler.reseed(seed as u64);
    }

    /// Queues a job without a key; see `submitKeyed`.
    pub fn submit(&mut self, now: f64, priority: f64, tokens: f64, input: f64, output: f64, max_wait: f64) -> f64 {
        self.submit_keyed(now, "", priority, tokens, input, output, max_wait)
    }

    /// Queues a job and returns its id, or 0 when it is rejected (see `rejection`); the id is
    /// negated when a poll now would change nothing (every slot is taken, no deadline).
    /// `input` and `output` below 0 mean that only the total estimate is known.
    #[allow(clippy::too_many_arguments)]
    #[wasm_bindgen(js_name = submitKeyed)]
    pub fn submit_keyed(&mut self, now: f64, key: &str, priority: f64, tokens: f64, input: f64, output: f64, max_wait: f64) -> f64 {
        self.trap_if_armed();
        let cost = match (optional(input), optional(output)) {
            (Some(i), Some(o)) => Cost::split(i, o),
            _ => Cost::total(optional(tokens).unwrap_or(0)),
        };
        let spec = JobSpec { cost, priority, key, max_wait_ms: optional(max_wait) };
        let poll = self.scheduler.poll_needed_after_submit(&spec);
        match self.scheduler.submit(millis(now), spec) {
            Ok(id) if poll => id as f64,
            Ok(id) => -(id as f64),
            Err(reason) => {
                self.rejected = rejection(reason);
                0.0
            }
        }
    }

    /// Why the last `submit` returned 0: puts `[kind, a, b, c]` at `outPtr()`.
    pub fn rejection(&mut self) {
        self.out.clear();
        self.out.extend(self.rejected);
    }

    /// Polls, and returns where its output starts in the module's memory (valid until the next
    /// call): `[rows, next wake or -1, verdict]`, then the decisions and the events, five
    /// numbers a row (the verdict is `finish`'s; 0 after a plain poll).
    pub fn poll(&mut self, now: f64) -> *const f64 {
        self.scheduler.poll(millis(now));
        self.fill_out()
    }

    /// Tests only: makes the next poll, finish or submit trap, as a bug in the core would, so
    /// that the JS layer's handling of a trap (SluiceInternalError) can be tested.
    #[wasm_bindgen(js_name = trapNextCallForTests)]
    pub fn trap_next_call_for_tests(&mut self) {
        self.trap_armed = true;
    }

    fn trap_if_armed(&self) {
        if self.trap_armed {
            panic!("trap forced by trapNextCallForTests");
        }
    }

    /// Writes the decisions and events since the last call to `out`, after a header.
    fn fill_out(&mut self) -> *const f64 {
        self.trap_if_armed();
        let out = &mut self.out;
        out.clear();
        out.extend([0.0, self.scheduler.next_wake().map_or(-1.0, |t| t as f64), 0.0]);
        for decision in self.scheduler.drain() {
            match decision {
                Decision::Start { job, attempt } => out.extend([START, job as f64, attempt as f64, 0.0, 0.0]),
                Decision::Reject { job, reason } => {
                    let [kind, a, b, c] = rejection(reason);
                    out.extend([kind, job as f64, a, b, c]);
                }
            }
        }
        self.event_keys.clear();
        let events: Vec<Event> = if self.scheduler.has_events() { self.scheduler.drain_events().collect() } else { Vec::new() };
        for event in events {
            let (scheduler, event_keys) = (&self.scheduler, &mut self.event_keys);
            let mut key = |k: Option<u32>| match k {
                Some(k) => {
                    event_keys.push(scheduler.key_name(k).to_string());
                    1.0
                }
                None => 0.0,
            };
            let row = match event {
                Event::RateLimited { job, overloaded, retry_after_ms } => {
                    [RATE_LIMITED, job as f64, overloaded as u8 as f64, retry_after_ms.map_or(-1.0, |ms| ms as f64), 0.0]
                }
                Event::RetryScheduled { job, attempt, at } => [RETRY_SCHEDULED, job as f64, attempt as f64, at as f64, 0.0],
                Event::RetriesExhausted { job, attempts, budget } => {
                    [RETRIES_EXHAUSTED, job as f64, attempts as f64, budget as u8 as f64, 0.0]
                }
                Event::GateClosed { key: k, until } => [GATE_CLOSED, key(k), until as f64, 0.0, 0.0],
                Event::GateOpened { key: k } => [GATE_OPENED, key(k), 0.0, 0.0, 0.0],
                Event::ConcurrencyChanged { limit } => [CONCURRENCY_CHANGED, limit as f64, 0.0, 0.0, 0.0],
                Event::LimitChanged { state } => {
                    [LIMIT_CHANGED, state.kind.index() as f64, state.limit as f64, state.capacity as f64, state.window_ms as f64]
                }
            };
            self.out.extend(row);
        }
        self.out[0] = ((self.out.len() - 3) / 5) as f64;
        self.out.as_ptr()
    }

    /// Where the last output starts in the module's memory (valid until the next call).
    #[wasm_bindgen(js_name = outPtr)]
    pub fn out_ptr(&self) -> *const f64 {
        self.out.as_ptr()
    }

    /// The key names that the last poll's events refer to, in order, one a line.
    #[wasm_bindgen(js_name = eventKeys)]
    pub fn event_keys(&self) -> String {
        self.event_keys.join("\n")
    }

    /// The time of the next wake-up, or -1 for none.
    #[wasm_bindgen(js_name = nextWake)]
    pub fn next_wake(&self) -> f64 {
        self.scheduler.next_wake().map_or(-1.0, |t| t as f64)
    }

    /// What the response of the attempt about to be reported said: `headers` holds names and
    /// values, each on a line; `wall_now` is the wall clock (for dated headers); `retry_delay`
    /// a protobuf duration from an error body (Gemini), or empty.
    pub fn feedback(&mut self, wall_now: f64, headers: &str, retry_delay: &str) {
        let mut lines = headers.split('\n');
        let pairs = std::iter::from_fn(|| Some((lines.next()?, lines.next()?)));
        self.feedback = parse_headers(pairs, millis(wall_now));
        if self.feedback.retry_after_ms.is_none() && !retry_delay.is_empty() {
            self.feedback.retry_after_ms = proto_duration(retry_delay).filter(|&ms| ms > 0);
        }
    }

    /// Reports an ended attempt, with the `feedback` given just before (if any), then polls.
    /// Returns what `poll` does, with the verdict in the header: 0 done, 1 failed, 2 retry,
    /// -1 unknown; or, when retries ran out, `3 + 4 × (the retry budget ran out) + 8 × attempts`.
    ///
    /// `kind` is an index of `OUTCOMES`, or below 0 to classify from `status` (0: none),
    /// `hint` (an index of `HINTS`) and the headers. `input` below 0: the usage is unknown.
    #[allow(clippy::too_many_arguments)]
    pub fn finish(&mut self, now: f64, job: f64, kind: i32, status: u32, hint: u32, input: f64, output: f64) -> *const f64 {
        let feedback = std::mem::take(&mut self.feedback);
        let kind = match usize::try_from(kind).ok().and_then(|k| OUTCOMES.get(k)) {
            Some(&k) => k,
            None => {
                let status = (status > 0).then_some(status.min(999) as u16);
                classify(status, HINTS.get(hint as usize).copied().unwrap_or_default(), feedback.should_retry)
            }
        };
        let usage = optional(input).map(|input| Usage { input, output: optional(output).unwrap_or(0) });
        let verdict = match self.scheduler.finish(millis(now), job as u64, Outcome { kind, usage, feedback }) {
            Verdict::Done => 0.0,
            Verdict::Failed => 1.0,
            Verdict::Retry { .. } => 2.0,
            Verdict::Exhausted { attempts, budget } => 3.0 + 4.0 * budget as u8 as f64 + 8.0 * attempts as f64,
            Verdict::Unknown => -1.0,
        };
        self.scheduler.poll(millis(now));
        self.fill_out();
        self.out[2] = verdict;
        self.out.as_ptr()
    }

    /// Takes a job that is not running out. Returns whether it was waiting.
    pub fn cancel(&mut self, now: f64, job: f64) -> bool {
        self.scheduler.cancel(millis(now), job as u64)
    }

    /// A snapshot as JSON (not on the hot path).
    #[wasm_bindgen(js_name = statsJson)]
    pub fn stats_json(&self) -> String {
        let s = self.scheduler.stats();
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
}
