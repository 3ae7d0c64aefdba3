//! The wasm binding: a thin shell that holds the core scheduler. Only numbers, ids and short
//! strings cross, encoded as `crate::wire` says (where every code is defined, and from where
//! `js/src/codes.js` is generated); the JS wrapper validates options first, so errors here are
//! a second line.

use wasm_bindgen::prelude::*;

mod lease;

use crate::wire::rows::{HINTS, NAMED_LIMITS, NO_RETRY, OUTCOMES, POLL_HEADER, ROW_LEN};
use crate::wire::{self, decision_row, event_row, millis, optional, rejection_row, verdict_code};
use crate::{classify, parse_headers, proto_duration, Cost, Event, Feedback, JobSpec, LimitKind, Outcome, Rejection, Scheduler, Usage, Verdict};

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
    /// Key names of the last poll's events that named a key, one after the other: each row
    /// carries its key's length (see `fill_out`), so no character of a key can break the framing.
    event_keys: String,
    /// What the next `finish` reports besides its outcome (set by `feedback`).
    feedback: Feedback,
    /// Tests only: the next poll, finish or submit panics (see `trapNextCallForTests`).
    trap_armed: bool,
    /// The last `statsPtr` snapshot, read by JS in place.
    stats_out: Vec<f64>,
}

/// The layout of `Core.stats`'s snapshot, as JS reads it, one item a line: the numbers in each
/// budget's row, the names of `stats()`'s fields in the order they are written, an empty line,
/// then the names of the limits by `LimitKind` index (a budget's row starts with one of these
/// indexes). Plain identifiers: a line break cannot occur in them.
#[wasm_bindgen(js_name = statsLayout)]
pub fn stats_layout() -> String {
    let limits: [&str; 6] = LimitKind::ALL.map(LimitKind::name);
    let row = [char::from(b'0' + wire::STATS_LIMIT_ROW as u8)]; // one digit
    let row: String = row.iter().collect();
    [row.as_str(), &wire::STATS_FIELDS.join("\n"), "", &limits.join("\n")].join("\n")
}

#[wasm_bindgen]
impl Core {
    /// `settings` follows the layout of [`wire::Setting`]; a negative number leaves a value unset.
    #[wasm_bindgen(constructor)]
    pub fn new(settings: &[f64]) -> Result<Core, JsError> {
        let scheduler = Scheduler::new(wire::config(settings), 0).map_err(|e| JsError::new(&e.to_string()))?;
        Ok(Core { scheduler, rejected: [0.0; 4], out: Vec::new(), event_keys: String::new(), stats_out: Vec::new(), feedback: Feedback::default(), trap_armed: false })
    }

    /// Reseeds the jitter (randomness may only be drawn after construction in some hosts).
    pub fn reseed(&mut self, seed: f64) {
        self.scheduler.reseed(seed as u64);
    }

    /// The quantile of the learned latency that the time left before a job's deadline must
    /// cover, in (0, 1]; 0 or below: a job is rejected only when it is certain to be late.
    #[wasm_bindgen(js_name = setLatencyQuantile)]
    pub fn set_latency_quantile(&mut self, quantile: f64) {
        let ppm = (quantile > 0.0).then(|| (quantile.min(1.0) * 1e6).round() as u32);
        self.scheduler.set_latency_quantile(ppm);
    }

    /// Queues a job without a key; see `submitKeyed`.
    #[allow(clippy::too_many_arguments)]
    pub fn submit(&mut self, now: f64, priority: f64, tokens: f64, input: f64, output: f64, max_wait: f64, deadline: f64) -> f64 {
        self.submit_keyed(now, "", priority, tokens, input, output, max_wait, deadline)
    }

    /// Queues a job and returns its id, or 0 when it is rejected (see `rejection`); the id is
    /// negated when a poll now would change nothing (every slot is taken, no deadline).
    /// `input` and `output` below 0 mean that only the total estimate is known; `deadline` is
    /// when the whole job must be done, on the core's clock (below 0: none).
    #[allow(clippy::too_many_arguments)]
    #[wasm_bindgen(js_name = submitKeyed)]
    pub fn submit_keyed(&mut self, now: f64, key: &str, priority: f64, tokens: f64, input: f64, output: f64, max_wait: f64, deadline: f64) -> f64 {
        self.trap_if_armed();
        let cost = match (optional(input), optional(output)) {
            (Some(i), Some(o)) => Cost::split(i, o),
            _ => Cost::total(optional(tokens).unwrap_or(0)),
        };
        let spec = JobSpec { cost, priority, key, max_wait_ms: optional(max_wait), deadline: optional(deadline) };
        let poll = self.scheduler.poll_needed_after_submit(&spec);
        match self.scheduler.submit(millis(now), spec) {
            Ok(id) if poll => id as f64,
            Ok(id) => -(id as f64),
            Err(reason) => {
                self.rejected = rejection_row(reason);
                0.0
            }
        }
    }

    /// Why the last `submit` returned 0, or why the last `finish` said late (4): `[kind, a, b, c]`
    /// at the address returned (valid until the next call).
    pub fn rejection(&mut self) -> *const f64 {
        self.out.clear();
        self.out.extend(self.rejected);
        self.out.as_ptr()
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
        let header: [f64; POLL_HEADER] = [0.0, self.scheduler.next_wake().map_or(-1.0, |t| t as f64), 0.0];
        out.extend(header);
        for decision in self.scheduler.drain() {
            out.extend(decision_row(decision));
        }
        self.event_keys.clear();
        let events: Vec<Event> = if self.scheduler.has_events() { self.scheduler.drain_events().collect() } else { Vec::new() };
        for event in events {
            let event_keys = &mut self.event_keys;
            // The key's place in the row: its length in UTF-16 units (as JS slices strings) plus
            // one, or 0 for none.
            let mut key = |k: Option<Box<str>>| match k {
                Some(name) => {
                    event_keys.push_str(&name);
                    (name.encode_utf16().count() + 1) as f64
                }
                None => 0.0,
            };
            let row = event_row(event, &mut key);
            self.out.extend(row);
        }
        self.out[0] = ((self.out.len() - POLL_HEADER) / ROW_LEN) as f64;
        self.out.as_ptr()
    }


    /// The key names that the last poll's events refer to, in order and back to back: each
    /// event row gives its key's length.
    #[wasm_bindgen(js_name = eventKeys)]
    pub fn event_keys(&self) -> String {
        self.event_keys.clone()
    }

    /// What the response of the attempt about to be reported said: `headers` holds names and
    /// values, each on a line; `wall_now` is the wall clock (for dated headers); `retry_delay`
    /// a protobuf duration from an error body (Gemini), or empty; `limit_named` the limit an
    /// error body names (an index of `NAMED_LIMITS`).
    pub fn feedback(&mut self, wall_now: f64, headers: &str, retry_delay: &str, limit_named: u32) {
        let mut lines = headers.split('\n');
        let pairs = std::iter::from_fn(|| Some((lines.next()?, lines.next()?)));
        self.feedback = parse_headers(pairs, millis(wall_now));
        self.feedback.limit_named = NAMED_LIMITS.get(limit_named as usize).and_then(|(resource, _)| *resource);
        if self.feedback.retry_after_ms.is_none() && !retry_delay.is_empty() {
            self.feedback.retry_after_ms = proto_duration(retry_delay).filter(|&ms| ms > 0);
        }
    }

    /// Reports an ended attempt, with the `feedback` given just before (if any), then polls.
    /// Returns what `poll` does, with the verdict in the header (`wire::rows::verdict`; when
    /// late, `rejection` then says why).
    ///
    /// `kind` is an index of `OUTCOMES`, or below 0 to classify from `status` (0: none),
    /// `hint` (an index of `HINTS`) and the headers. `input` below 0: the usage is unknown.
    /// `hint` with `NO_RETRY` set: the job is not retried whatever the outcome (a stream that
    /// failed after its first chunk reached the caller).
    #[allow(clippy::too_many_arguments)]
    pub fn finish(&mut self, now: f64, job: f64, kind: i32, status: u32, hint: u32, input: f64, output: f64) -> *const f64 {
        let may_retry = hint & NO_RETRY == 0;
        let hint = hint & !NO_RETRY;
        let feedback = std::mem::take(&mut self.feedback);
        let kind = match usize::try_from(kind).ok().and_then(|k| OUTCOMES.get(k)) {
            Some(&(k, _)) => k,
            None => {
                let status = (status > 0).then_some(status.min(999) as u16);
                classify(status, HINTS.get(hint as usize).map(|(h, _)| *h).unwrap_or_default(), feedback.should_retry)
            }
        };
        let usage = optional(input).map(|input| Usage { input, output: optional(output).unwrap_or(0) });
        let outcome = Outcome { kind, usage, feedback };
        let ended = if may_retry { self.scheduler.finish(millis(now), job as u64, outcome) } else { self.scheduler.finish_final(millis(now), job as u64, outcome) };
        let verdict = verdict_code(&ended);
        if let Verdict::Late { left_ms, needed_ms, why } = ended {
            self.rejected = rejection_row(Rejection::Deadline { left_ms, needed_ms, why });
        }
        self.scheduler.poll(millis(now));
        self.fill_out();
        self.out[2] = verdict;
        self.out.as_ptr()
    }

    /// Takes a job that is not running out. Returns whether it was waiting.
    pub fn cancel(&mut self, now: f64, job: f64) -> bool {
        self.scheduler.cancel(millis(now), job as u64)
    }

    /// Pauses the queue (nothing starts) or lets it go again; the host polls after.
    #[wasm_bindgen(js_name = setPaused)]
    pub fn set_paused(&mut self, paused: bool) {
        if paused {
            self.scheduler.pause_queue();
        } else {
            self.scheduler.resume_queue();
        }
    }

    /// Changes limits at run time: see [`wire::reconfigure`].
    pub fn reconfigure(&mut self, now: f64, settings: &[f64]) {
        wire::reconfigure(&mut self.scheduler, now, settings);
    }

    /// Jobs waiting to start (a cheap read, for backpressure).
    pub fn queued(&self) -> f64 {
        self.scheduler.queued() as f64
    }

    /// A snapshot, read in place like the poll's output: how many numbers follow, then the
    /// fields as `statsLayout()` names them, then a row of `wire::STATS_LIMIT_ROW` per budget.
    pub fn stats(&mut self) -> *const f64 {
        // The count first: the row is written after a placeholder for it.
        self.stats_out.clear();
        self.stats_out.push(0.0);
        wire::stats_row(&self.scheduler.stats(), &mut self.stats_out);
        self.stats_out[0] = (self.stats_out.len() - 1) as f64;
        self.stats_out.as_ptr()
    }
}
