//! A simulated LLM provider on virtual time: OpenAI-like continuously refilled buckets for
//! requests and tokens, charging input + max_tokens on admission and giving back the unused
//! output when the answer ends; OpenAI's rate-limit headers on every answer, 429 with
//! Retry-After when a bucket cannot hold a request, and optional outages.
#![allow(dead_code)]

use sluice::{parse_headers, Feedback, JobId, Millis, Outcome, OutcomeKind, Usage};

use super::{Plan, Provider};

/// A provider-side bucket in floats: it is the thing under test's opponent, not the thing under test.
#[derive(Clone, Debug)]
pub struct SimBucket {
    pub limit: f64,
    level: f64,
    at: Millis,
}

impl SimBucket {
    pub fn new(limit: u64) -> Self {
        SimBucket { limit: limit as f64, level: limit as f64, at: 0 }
    }

    fn refill(&mut self, now: Millis) {
        self.level = (self.level + (now - self.at) as f64 * self.limit / 60_000.0).min(self.limit);
        self.at = now;
    }

    /// Milliseconds until `amount` fits.
    fn wait_for(&self, amount: f64) -> u64 {
        if self.level >= amount {
            0
        } else {
            ((amount - self.level) * 60_000.0 / self.limit).ceil() as u64
        }
    }

    fn until_full(&self) -> u64 {
        self.wait_for(self.limit)
    }
}

/// A span of provider time during which every request gets a 429.
#[derive(Clone, Copy, Debug)]
pub struct Outage {
    pub from: Millis,
    pub until: Millis,
    /// The Retry-After sent meanwhile; `None` for the time left in the outage.
    pub retry_after_s: Option<u64>,
}

pub struct SimProvider {
    pub requests: SimBucket,
    pub tokens: SimBucket,
    pub outage: Option<Outage>,
    /// Whether answers carry the rate-limit headers.
    pub headers: bool,
    /// Whether successes carry them too (with `headers`): not when the caller returns an SDK's
    /// parsed answer rather than its `.withResponse()`, whose errors still carry them.
    pub headers_on_success: bool,
    /// Whether the unused part of `max_tokens` comes back when an answer ends (Anthropic
    /// says so; OpenAI may keep it).
    pub refunds: bool,
    /// Latency of a refusal.
    pub refusal_ms: u64,
    /// Wall clock of the simulation's time 0, for dated headers.
    pub wall_epoch_ms: u64,
    /// Every attempt: (time, job, admitted).
    pub log: Vec<(Millis, JobId, bool)>,
    /// Output tokens owed back when each admitted answer ends: (end time, tokens).
    pending_refunds: Vec<(Millis, f64)>,
}

impl SimProvider {
    pub fn new(rpm: u64, tpm: u64) -> Self {
        SimProvider {
            requests: SimBucket::new(rpm),
            tokens: SimBucket::new(tpm),
            outage: None,
            headers: true,
            headers_on_success: true,
            refunds: true,
            refusal_ms: 50,
            wall_epoch_ms: 1_700_000_000_000,
            log: Vec::new(),
            pending_refunds: Vec::new(),
        }
    }

    pub fn attempts(&self) -> usize {
        self.log.len()
    }

    pub fn refusals(&self) -> usize {
        self.log.iter().filter(|(_, _, ok)| !ok).count()
    }

    /// Admission times of accepted requests.
    pub fn admitted(&self) -> Vec<Millis> {
        self.log.iter().filter(|(_, _, ok)| *ok).map(|(t, _, _)| *t).collect()
    }

    fn settle_refunds(&mut self, now: Millis) {
        let (due, later): (Vec<_>, Vec<_>) = self.pending_refunds.iter().partition(|(at, _)| *at <= now);
        self.pending_refunds = later;
        let mut due = due;
        due.sort_by_key(|(at, _)| *at);
        for (at, tokens) in due {
            self.tokens.refill(at);
            self.tokens.level = (self.tokens.level + tokens).min(self.tokens.limit);
        }
    }

    fn feedback(&self, retry_after_ms: Option<u64>) -> Feedback {
        if !self.headers && retry_after_ms.is_none() {
            return Feedback::default();
        }
        let mut h: Vec<(String, String)> = Vec::new();
        if self.headers {
            for (name, b) in [("requests", &self.requests), ("tokens", &self.tokens)] {
                h.push((format!("x-ratelimit-limit-{name}"), format!("{}", b.limit as u64)));
                h.push((format!("x-ratelimit-remaining-{name}"), format!("{}", b.level.max(0.0).floor() as u64)));
                h.push((format!("x-ratelimit-reset-{name}"), go_duration(b.until_full())));
            }
        }
        if let Some(ms) = retry_after_ms {
            h.push(("retry-after".into(), format!("{}", ms.div_ceil(1_000))));
            h.push(("retry-after-ms".into(), format!("{ms}")));
        }
        parse_headers(h.iter().map(|(n, v)| (n.as_str(), v.as_str())), 0)
    }
}

/// Milliseconds as a Go duration, the way OpenAI writes its resets.
pub fn go_duration(ms: u64) -> String {
    let (m, s, rest) = (ms / 60_000, (ms % 60_000) / 1_000, ms % 1_000);
    match (m, s, rest) {
        (0, 0, ms) => format!("{ms}ms"),
        (0, s, 0) => format!("{s}s"),
        (0, s, ms) => format!("{s}.{ms:03}s"),
        (m, s, ms) => format!("{m}m{s}.{ms:03}s"),
    }
}

impl Provider for SimProvider {
    /// `plan.usage` is what the call produces; its estimate (`charge`) is input + max_tokens.
    fn call(&mut self, now: Millis, job: JobId, _attempt: u32, plan: &Plan) -> (u64, Outcome) {
        self.settle_refunds(now);
        self.requests.refill(now);
        self.tokens.refill(now);
        let usage = plan.usage.unwrap_or_default();
        let charge = plan.charge as f64;
        if let Some(o) = self.outage.filter(|o| (o.from..o.until).contains(&now)) {
            self.log.push((now, job, false));
            let after = o.retry_after_s.map_or(o.until - now, |s| s * 1_000);
            let outcome = Outcome { kind: OutcomeKind::RateLimited, usage: None, feedback: self.feedback(Some(after)) };
            return (self.refusal_ms, outcome);
        }
        let wait = self.requests.wait_for(1.0).max(self.tokens.wait_for(charge));
        if wait > 0 {
            self.log.push((now, job, false));
            let outcome = Outcome { kind: OutcomeKind::RateLimited, usage: None, feedback: self.feedback(Some(wait)) };
            return (self.refusal_ms, outcome);
        }
        self.requests.level -= 1.0;
        self.tokens.level -= charge;
        self.log.push((now, job, true));
        let unused = charge - (usage.input + usage.output) as f64;
        if unused > 0.0 && self.refunds {
            self.pending_refunds.push((now + plan.duration, unused));
        }
        let feedback = if self.headers_on_success { self.feedback(None) } else { Feedback::default() };
        let outcome = Outcome { kind: OutcomeKind::Success, usage: Some(Usage { ..usage }), feedback };
        (plan.duration, outcome)
    }
}
