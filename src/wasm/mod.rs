//! The wasm binding: a thin `#[wasm_bindgen]` shell that holds the core scheduler. Only
//! numbers, ids and short strings cross, encoded as [`wire`](crate::wire) says; the JS wrapper
//! validates options first, so errors here are a second line.

use wasm_bindgen::prelude::*;

use crate::wire::{self, millis, optional, Output};
use crate::{Feedback, JobSpec, Outcome, Scheduler};

/// The module's memory, so that JS can read [`Core::poll`]'s output in place.
#[wasm_bindgen(js_name = wasmMemory)]
pub fn wasm_memory() -> JsValue {
    wasm_bindgen::memory()
}

#[wasm_bindgen]
pub struct Core {
    scheduler: Scheduler,
    rejected: [f64; 4],
    /// The last poll's decisions and events, read by JS in place.
    out: Output,
    /// What the next `finish` reports besides its outcome (set by `feedback`).
    feedback: Feedback,
}

#[wasm_bindgen]
impl Core {
    /// `settings` follows the layout of [`wire::setting`]; a negative number leaves a value unset.
    #[wasm_bindgen(constructor)]
    pub fn new(settings: &[f64]) -> Result<Core, JsError> {
        let config = wire::config(settings);
        let scheduler = Scheduler::new(config, 0).map_err(|e| JsError::new(&e.to_string()))?;
        Ok(Core { scheduler, rejected: [0.0; 4], out: Output::default(), feedback: Feedback::default() })
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
        let spec = JobSpec { cost: wire::cost(tokens, input, output), priority, key, max_wait_ms: optional(max_wait) };
        let poll = self.scheduler.poll_needed_after_submit(&spec);
        match self.scheduler.submit(millis(now), spec) {
            Ok(id) if poll => id as f64,
            Ok(id) => -(id as f64),
            Err(reason) => {
                self.rejected = wire::rejection(reason);
                0.0
            }
        }
    }

    /// Why the last `submit` returned 0: puts `[kind, a, b, c]` at `outPtr()`.
    pub fn rejection(&mut self) {
        self.out.numbers.clear();
        self.out.numbers.extend(self.rejected);
    }

    /// Polls, and returns where its output starts in the module's memory (valid until the next
    /// call): `[rows, next wake or -1, verdict]`, then the decisions and the events, five
    /// numbers a row (the verdict is `finish`'s; 0 after a plain poll).
    pub fn poll(&mut self, now: f64) -> *const f64 {
        self.scheduler.poll(millis(now));
        self.fill_out()
    }

    /// Writes the decisions and events since the last call, after a header.
    fn fill_out(&mut self) -> *const f64 {
        self.out.write(&mut self.scheduler);
        self.out.numbers.as_ptr()
    }

    /// Where the last output starts in the module's memory (valid until the next call).
    #[wasm_bindgen(js_name = outPtr)]
    pub fn out_ptr(&self) -> *const f64 {
        self.out.numbers.as_ptr()
    }

    /// The key names that the last poll's events refer to, in order, one a line.
    #[wasm_bindgen(js_name = eventKeys)]
    pub fn event_keys(&self) -> String {
        self.out.event_keys.join("\n")
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
        self.feedback = wire::feedback(wall_now, headers, retry_delay);
    }

    /// Reports an ended attempt, with the `feedback` given just before (if any), then polls.
    /// Returns what `poll` does, with the verdict in the header: 0 done, 1 failed, 2 retry,
    /// -1 unknown; or, when retries ran out, `3 + 4 × (the retry budget ran out) + 8 × attempts`.
    ///
    /// `kind` is an index of `wire::OUTCOMES`, or below 0 to classify from `status` (0: none),
    /// `hint` (an index of `wire::HINTS`) and the headers. `input` below 0: the usage is unknown.
    #[allow(clippy::too_many_arguments)]
    pub fn finish(&mut self, now: f64, job: f64, kind: i32, status: u32, hint: u32, input: f64, output: f64) -> *const f64 {
        let feedback = std::mem::take(&mut self.feedback);
        let kind = wire::outcome_kind(kind, status, hint, feedback.should_retry);
        let usage = wire::usage(input, output);
        let verdict = wire::verdict(self.scheduler.finish(millis(now), job as u64, Outcome { kind, usage, feedback }));
        self.scheduler.poll(millis(now));
        self.fill_out();
        self.out.numbers[2] = verdict;
        self.out.numbers.as_ptr()
    }

    /// For tests only: traps on purpose (a panic, which `panic = "abort"` makes a wasm
    /// `unreachable`: JS sees a `WebAssembly.RuntimeError`), as a bug in the core would. This
    /// `Core` is unusable afterwards (its borrow flag stays taken); others are not touched.
    #[wasm_bindgen(js_name = __trapForTests)]
    pub fn trap_for_tests(&mut self) {
        panic!("a trap forced by a test");
    }

    /// Takes a job that is not running out. Returns whether it was waiting.
    pub fn cancel(&mut self, now: f64, job: f64) -> bool {
        self.scheduler.cancel(millis(now), job as u64)
    }

    /// A snapshot as JSON (not on the hot path).
    #[wasm_bindgen(js_name = statsJson)]
    pub fn stats_json(&self) -> String {
        wire::stats_json(&self.scheduler.stats())
    }
}
