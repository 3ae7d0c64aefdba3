//! The wasm binding: a thin shell that holds the core scheduler. Only numbers, ids and short
//! strings cross; the JS wrapper validates options first, so errors here are a second line.
//!
//! Decisions come back flat, five numbers each: `[kind, job, a, b, c]` (see `js/src/core.js`).

use wasm_bindgen::prelude::*;

use crate::{Config, Cost, Decision, JobSpec, LimitKind, Outcome, OutcomeKind, Rejection, Scheduler, Usage, Verdict};

const START: f64 = 1.0;
const QUEUE_TIMEOUT: f64 = 2.0;
const TOO_LARGE: f64 = 3.0;
const QUEUE_FULL: f64 = 4.0;

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

#[wasm_bindgen]
pub struct Core {
    scheduler: Scheduler,
    rejected: [f64; 4],
}

#[wasm_bindgen]
impl Core {
    /// `limits` holds one number per `LimitKind`, in order; a negative number leaves it unset.
    #[wasm_bindgen(constructor)]
    pub fn new(now: f64, max_concurrent: f64, max_queue: f64, burst: f64, limits: &[f64]) -> Result<Core, JsError> {
        let config = Config {
            max_concurrent: optional(max_concurrent).map(|n| n.min(u32::MAX as u64) as u32),
            max_queue: optional(max_queue).map(|n| n as usize),
            burst: (burst * 1e6).round() as u32,
            limits: LimitKind::ALL
                .into_iter()
                .zip(limits.iter())
                .filter_map(|(kind, &value)| optional(value).map(|v| (kind, v)))
                .collect(),
        };
        let scheduler = Scheduler::new(config, millis(now)).map_err(|e| JsError::new(&e.to_string()))?;
        Ok(Core { scheduler, rejected: [0.0; 4] })
    }

    /// Queues a job and returns its id, or 0 when it is rejected (see `rejection`).
    /// `input` and `output` below 0 mean that only the total estimate is known.
    #[allow(clippy::too_many_arguments)]
    pub fn submit(&mut self, now: f64, key: &str, priority: f64, tokens: f64, input: f64, output: f64, max_wait: f64) -> f64 {
        let cost = match (optional(input), optional(output)) {
            (Some(i), Some(o)) => Cost::split(i, o),
            _ => Cost::total(optional(tokens).unwrap_or(0)),
        };
        let spec = JobSpec { cost, priority, key, max_wait_ms: optional(max_wait) };
        match self.scheduler.submit(millis(now), spec) {
            Ok(id) => id as f64,
            Err(reason) => {
                self.rejected = rejection(reason);
                0.0
            }
        }
    }

    /// Why the last `submit` returned 0: `[kind, a, b, c]`.
    pub fn rejection(&self) -> Vec<f64> {
        self.rejected.to_vec()
    }

    /// Polls and returns the decisions, five numbers each.
    pub fn poll(&mut self, now: f64) -> Vec<f64> {
        self.scheduler.poll(millis(now));
        let mut out = Vec::new();
        for decision in self.scheduler.drain() {
            match decision {
                Decision::Start { job, attempt } => out.extend([START, job as f64, attempt as f64, 0.0, 0.0]),
                Decision::Reject { job, reason } => {
                    let [kind, a, b, c] = rejection(reason);
                    out.extend([kind, job as f64, a, b, c]);
                }
            }
        }
        out
    }

    /// The time of the next wake-up, or -1 for none.
    #[wasm_bindgen(js_name = nextWake)]
    pub fn next_wake(&self) -> f64 {
        self.scheduler.next_wake().map_or(-1.0, |t| t as f64)
    }

    /// Reports an ended attempt: `kind` 0 success, 1 failure, 2 aborted, 3 timed out.
    /// `input` below 0 means the usage is unknown. Returns 0 done, 1 failed, -1 unknown.
    pub fn finish(&mut self, now: f64, job: f64, kind: u32, input: f64, output: f64) -> i32 {
        let kind = match kind {
            0 => OutcomeKind::Success,
            2 => OutcomeKind::Aborted,
            3 => OutcomeKind::TimedOut,
            _ => OutcomeKind::Failure,
        };
        let usage = optional(input).map(|input| Usage { input, output: optional(output).unwrap_or(0) });
        match self.scheduler.finish(millis(now), job as u64, Outcome { kind, usage }) {
            Verdict::Done => 0,
            Verdict::Failed => 1,
            Verdict::Unknown => -1,
        }
    }

    /// Takes a queued job out. Returns whether it was queued.
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
                    r#"{{"name":"{}","limit":{},"capacity":{},"available":{}}}"#,
                    l.kind.name(),
                    l.limit,
                    l.capacity,
                    l.available
                )
            })
            .collect();
        format!(
            concat!(
                r#"{{"inFlight":{},"queued":{},"concurrencyLimit":{},"keys":{},"submitted":{},"admitted":{},"#,
                r#""completed":{},"failed":{},"rejected":{},"expired":{},"cancelled":{},"timedOut":{},"limits":[{}]}}"#
            ),
            s.in_flight,
            s.queued,
            s.concurrency_limit,
            s.keys,
            c.submitted,
            c.admitted,
            c.completed,
            c.failed,
            c.rejected,
            c.expired,
            c.cancelled,
            c.timed_out,
            limits.join(",")
        )
    }
}
