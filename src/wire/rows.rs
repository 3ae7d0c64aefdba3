//! What the core says to JS, as numbers: decisions and events as rows of five, rejections as
//! four, `finish`'s verdict as one; and what JS says to `finish` (outcome kinds, hints, the limit
//! an error body names). Each code is defined here once: `js.rs` writes them into
//! `js/src/codes.js` and `names.js` at build time.

use crate::{Decision, Event, Hint, Late, OutcomeKind, Rejection, Resource, Verdict};

/// `poll`'s output: a header of `POLL_HEADER` numbers (`[rows, next wake or -1, verdict]`),
/// then the rows, `ROW_LEN` numbers each.
pub const POLL_HEADER: usize = 3;
pub const ROW_LEN: usize = 5;

/// The first number of a row of `poll`'s output: a decision (below 10) or an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
#[repr(u8)]
pub enum Row {
    Start = 1,
    QueueTimeout = 2,
    TooLarge = 3,
    QueueFull = 4,
    Deadline = 5,
    RateLimited = 10,
    RetryScheduled = 11,
    RetriesExhausted = 12,
    GateClosed = 13,
    GateOpened = 14,
    ConcurrencyChanged = 15,
    LimitChanged = 16,
}

impl Row {
    pub const ALL: [Row; 12] = [
        Row::Start,
        Row::QueueTimeout,
        Row::TooLarge,
        Row::QueueFull,
        Row::Deadline,
        Row::RateLimited,
        Row::RetryScheduled,
        Row::RetriesExhausted,
        Row::GateClosed,
        Row::GateOpened,
        Row::ConcurrencyChanged,
        Row::LimitChanged,
    ];

    /// Rows from this code on are events (JS hands them to its listeners).
    pub const FIRST_EVENT: Row = Row::RateLimited;

    pub fn code(self) -> f64 {
        self as u8 as f64
    }

    /// The name of its constant in `js/src/codes.js`.
    pub fn js_name(self) -> &'static str {
        match self {
            Row::Start => "START",
            Row::QueueTimeout => "QUEUE_TIMEOUT",
            Row::TooLarge => "TOO_LARGE",
            Row::QueueFull => "QUEUE_FULL",
            Row::Deadline => "DEADLINE",
            Row::RateLimited => "RATE_LIMITED",
            Row::RetryScheduled => "RETRY_SCHEDULED",
            Row::RetriesExhausted => "RETRIES_EXHAUSTED",
            Row::GateClosed => "GATE_CLOSED",
            Row::GateOpened => "GATE_OPENED",
            Row::ConcurrencyChanged => "CONCURRENCY_CHANGED",
            Row::LimitChanged => "LIMIT_CHANGED",
        }
    }
}

/// A rejection as `[kind, a, b, c]`.
pub fn rejection_row(reason: Rejection) -> [f64; 4] {
    match reason {
        Rejection::QueueTimeout { waited_ms, max_wait_ms } => [Row::QueueTimeout.code(), waited_ms as f64, max_wait_ms as f64, 0.0],
        Rejection::TooLarge(t) => [Row::TooLarge.code(), t.limit.index() as f64, t.amount as f64, t.capacity as f64],
        Rejection::QueueFull { max_queue } => [Row::QueueFull.code(), max_queue as f64, 0.0, 0.0],
        Rejection::Deadline { left_ms, needed_ms, why } => [Row::Deadline.code(), left_ms as f64, needed_ms as f64, why as u8 as f64],
    }
}

/// A decision as `[kind, job, a, b, c]`.
pub fn decision_row(decision: Decision) -> [f64; ROW_LEN] {
    match decision {
        Decision::Start { job, attempt } => [Row::Start.code(), job as f64, attempt as f64, 0.0, 0.0],
        Decision::Reject { job, reason } => {
            let [kind, a, b, c] = rejection_row(reason);
            [kind, job as f64, a, b, c]
        }
    }
}

/// An event as `[kind, a, b, c, d]`. A key does not go into the row (no number holds it):
/// `key` is handed the event's key, if it has one, and its answer takes the key's place (the
/// wasm shell answers with the key's length plus one, 0 for none); the keys cross beside the
/// rows, intact.
pub fn event_row(event: Event, mut key: impl FnMut(Option<Box<str>>) -> f64) -> [f64; ROW_LEN] {
    let ms = |v: Option<u64>| v.map_or(-1.0, |ms| ms as f64);
    match event {
        Event::RateLimited { job, overloaded, retry_after_ms } => {
            [Row::RateLimited.code(), job as f64, overloaded as u8 as f64, ms(retry_after_ms), 0.0]
        }
        Event::RetryScheduled { job, attempt, at } => [Row::RetryScheduled.code(), job as f64, attempt as f64, at as f64, 0.0],
        Event::RetriesExhausted { job, attempts, budget } => [Row::RetriesExhausted.code(), job as f64, attempts as f64, budget as u8 as f64, 0.0],
        Event::GateClosed { key: k, until } => [Row::GateClosed.code(), key(k), until as f64, 0.0, 0.0],
        Event::GateOpened { key: k } => [Row::GateOpened.code(), key(k), 0.0, 0.0, 0.0],
        Event::ConcurrencyChanged { limit } => [Row::ConcurrencyChanged.code(), limit as f64, 0.0, 0.0, 0.0],
        Event::LimitChanged { state } => {
            [Row::LimitChanged.code(), state.kind.index() as f64, state.limit as f64, state.capacity as f64, state.window_ms as f64]
        }
    }
}

/// `finish`'s verdict as one number: `Done` 0, `Failed` 1, `Retry` 2, `Late` 4, `Unknown` -1,
/// and `Exhausted` packed as `3 + 4 × (the retry budget ran out) + 8 × attempts` (so that one
/// number carries it: `v % 4 == 3`).
pub mod verdict {
    pub const DONE: f64 = 0.0;
    pub const FAILED: f64 = 1.0;
    pub const RETRY: f64 = 2.0;
    pub const EXHAUSTED: f64 = 3.0;
    pub const LATE: f64 = 4.0;
    pub const UNKNOWN: f64 = -1.0;
    /// Added to `EXHAUSTED` when the retry budget ran out.
    pub const BUDGET: f64 = 4.0;
    /// Times the attempts made, added to `EXHAUSTED`.
    pub const PER_ATTEMPT: f64 = 8.0;
}

/// The verdict as one number (see [`verdict`]); `Late`'s reason is the rejection it carries.
pub fn verdict_code(v: &Verdict) -> f64 {
    match *v {
        Verdict::Done => verdict::DONE,
        Verdict::Failed => verdict::FAILED,
        Verdict::Retry { .. } => verdict::RETRY,
        Verdict::Exhausted { attempts, budget } => verdict::EXHAUSTED + verdict::BUDGET * budget as u8 as f64 + verdict::PER_ATTEMPT * attempts as f64,
        Verdict::Late { .. } => verdict::LATE,
        Verdict::Unknown => verdict::UNKNOWN,
    }
}

/// The outcome kinds `finish` takes, by index, with the names `classify` options return (and
/// index.d.ts declares); below 0, the core classifies from the status and hint itself.
pub const OUTCOMES: [(OutcomeKind, &str); 7] = [
    (OutcomeKind::Success, "success"),
    (OutcomeKind::RateLimited, "rate-limited"),
    (OutcomeKind::Overloaded, "overloaded"),
    (OutcomeKind::Retryable, "retryable"),
    (OutcomeKind::Failure, "fatal"),
    (OutcomeKind::Aborted, "aborted"),
    (OutcomeKind::TimedOut, "timed-out"),
];

/// The kinds a `classify` option may return (the others only the wrapper reports: a caller's
/// abort, a timeout).
pub fn is_class(kind: OutcomeKind) -> bool {
    !matches!(kind, OutcomeKind::Aborted | OutcomeKind::TimedOut)
}

/// `finish`'s `kind` for "classify it yourself".
pub const CLASSIFY: i32 = -1;

/// The hints `finish` takes, by index, with their names in JS.
pub const HINTS: [(Hint, &str); 5] = [
    (Hint::None, "none"),
    (Hint::Network, "network"),
    (Hint::RateLimit, "rateLimit"),
    (Hint::Overloaded, "overloaded"),
    (Hint::QuotaExhausted, "quotaExhausted"),
];

/// A bit of `finish`'s `hint`: never retry this job (a stream that failed after its first
/// chunk reached the caller).
pub const NO_RETRY: u32 = 256;

/// What an error body may name, by index (`feedback`'s `limit_named`): nothing, or a resource.
pub const NAMED_LIMITS: [(Option<Resource>, &str); 5] = [
    (None, "none"),
    (Some(Resource::Requests), "requests"),
    (Some(Resource::Tokens), "tokens"),
    (Some(Resource::InputTokens), "inputTokens"),
    (Some(Resource::OutputTokens), "outputTokens"),
];

/// Why a job is given up before its deadline, by its number in a `Deadline` row: the names
/// `DeadlineError.why` gives.
pub fn late_name(why: Late) -> &'static str {
    match why {
        Late::Expired => "expired",
        Late::BudgetWait => "budget",
        Late::Latency => "latency",
        Late::Backoff => "backoff",
    }
}

/// Every `Late`, by its number.
pub const LATE: [Late; 4] = [Late::Expired, Late::BudgetWait, Late::Latency, Late::Backoff];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{LimitKind, LimitState, TooLarge};

    /// One of every event, whatever its fields: adding a variant breaks this match first.
    fn every_event() -> Vec<Event> {
        let state = LimitState { kind: LimitKind::TokensPerMinute, limit: 1, window_ms: 1, capacity: 1, available: 1, learned: false };
        let events = vec![
            Event::RateLimited { job: 1, overloaded: false, retry_after_ms: None },
            Event::RetryScheduled { job: 1, attempt: 2, at: 3 },
            Event::RetriesExhausted { job: 1, attempts: 2, budget: true },
            Event::GateClosed { key: Some("k".into()), until: 4 },
            Event::GateOpened { key: None },
            Event::ConcurrencyChanged { limit: 3 },
            Event::LimitChanged { state },
        ];
        for e in &events {
            match e {
                Event::RateLimited { .. }
                | Event::RetryScheduled { .. }
                | Event::RetriesExhausted { .. }
                | Event::GateClosed { .. }
                | Event::GateOpened { .. }
                | Event::ConcurrencyChanged { .. }
                | Event::LimitChanged { .. } => {}
            }
        }
        events
    }

    fn every_rejection() -> Vec<Rejection> {
        let too_large = TooLarge { limit: LimitKind::TokensPerMinute, amount: 2, capacity: 1 };
        let all = vec![
            Rejection::QueueTimeout { waited_ms: 1, max_wait_ms: 1 },
            Rejection::TooLarge(too_large),
            Rejection::QueueFull { max_queue: 0 },
            Rejection::Deadline { left_ms: 1, needed_ms: 2, why: Late::Latency },
        ];
        for r in &all {
            match r {
                Rejection::QueueTimeout { .. } | Rejection::TooLarge(_) | Rejection::QueueFull { .. } | Rejection::Deadline { .. } => {}
            }
        }
        all
    }

    #[test]
    fn every_decision_and_event_has_its_own_listed_code() {
        let mut codes: Vec<f64> = every_event().into_iter().map(|e| event_row(e, |k| k.is_some() as u8 as f64)[0]).collect();
        codes.push(decision_row(Decision::Start { job: 1, attempt: 1 })[0]);
        codes.extend(every_rejection().into_iter().map(|reason| decision_row(Decision::Reject { job: 1, reason })[0]));
        let listed: Vec<f64> = Row::ALL.iter().map(|r| r.code()).collect();
        codes.sort_by(f64::total_cmp);
        assert_eq!(codes, listed, "Row::ALL lists every code once, in order");
        for row in Row::ALL {
            assert_eq!(row >= Row::FIRST_EVENT, every_event().into_iter().any(|e| event_row(e, |_| 0.0)[0] == row.code()), "{row:?}");
        }
        let names: std::collections::HashSet<_> = Row::ALL.iter().map(|r| r.js_name()).collect();
        assert_eq!(names.len(), Row::ALL.len());
    }

    #[test]
    fn an_event_key_is_handed_over_not_written() {
        let mut keys = Vec::new();
        let row = event_row(Event::GateClosed { key: Some("a\nb\0ключ".into()), until: 9 }, |k| {
            keys.push(k);
            1.0
        });
        assert_eq!(row, [Row::GateClosed.code(), 1.0, 9.0, 0.0, 0.0]);
        assert_eq!(keys, vec![Some("a\nb\0ключ".into())]);
    }

    #[test]
    fn verdicts_are_distinct_and_exhausted_packs_its_figures() {
        let all = [
            Verdict::Done,
            Verdict::Failed,
            Verdict::Retry { at: 5 },
            Verdict::Exhausted { attempts: 6, budget: true },
            Verdict::Late { left_ms: 1, needed_ms: 2, why: Late::Backoff },
            Verdict::Unknown,
        ];
        let codes: Vec<f64> = all.iter().map(verdict_code).collect();
        assert_eq!(codes, [0.0, 1.0, 2.0, 3.0 + 4.0 + 48.0, 4.0, -1.0]);
        let exhausted = verdict_code(&Verdict::Exhausted { attempts: 3, budget: false });
        assert_eq!((exhausted % 4.0, (exhausted / verdict::PER_ATTEMPT).floor()), (3.0, 3.0));
    }

    /// Each variant's place in its table: a new variant fails to compile here until it has one,
    /// and the tables must then hold it there (and so reach js/src/names.js with its name).
    #[test]
    fn every_outcome_kind_hint_and_reason_is_in_its_table() {
        let outcome = |k: OutcomeKind| match k {
            OutcomeKind::Success => 0,
            OutcomeKind::RateLimited => 1,
            OutcomeKind::Overloaded => 2,
            OutcomeKind::Retryable => 3,
            OutcomeKind::Failure => 4,
            OutcomeKind::Aborted => 5,
            OutcomeKind::TimedOut => 6,
        };
        let hint = |h: Hint| match h {
            Hint::None => 0,
            Hint::Network => 1,
            Hint::RateLimit => 2,
            Hint::Overloaded => 3,
            Hint::QuotaExhausted => 4,
        };
        let late = |l: Late| match l {
            Late::Expired | Late::BudgetWait | Late::Latency | Late::Backoff => l as usize,
        };
        assert_eq!(OUTCOMES.iter().map(|(k, _)| outcome(*k)).collect::<Vec<_>>(), (0..7).collect::<Vec<_>>());
        assert_eq!(HINTS.iter().map(|(h, _)| hint(*h)).collect::<Vec<_>>(), (0..5).collect::<Vec<_>>());
        assert_eq!(LATE.iter().map(|l| late(*l)).collect::<Vec<_>>(), (0..4).collect::<Vec<_>>());
        let named: Vec<_> = NAMED_LIMITS.iter().filter_map(|(r, _)| *r).collect();
        for r in [Resource::Requests, Resource::Tokens, Resource::InputTokens, Resource::OutputTokens] {
            match r {
                Resource::Requests | Resource::Tokens | Resource::InputTokens | Resource::OutputTokens => assert!(named.contains(&r), "{r:?}"),
            }
        }
    }

    #[test]
    fn tables_are_in_order_and_late_is_numbered_as_declared() {
        for (i, why) in LATE.into_iter().enumerate() {
            assert_eq!(why as u8 as usize, i);
        }
        let names: std::collections::HashSet<_> = OUTCOMES.iter().map(|(_, n)| *n).collect();
        assert_eq!(names.len(), OUTCOMES.len());
        assert!(NO_RETRY as usize > HINTS.len(), "the bit is above every hint");
    }
}
