//! The binding of the local side of leases: `Lease`, for a limiter whose budget a coordinator
//! feeds. (The coordinator's `Authority` has a .wasm of its own, durable/: only the Durable
//! Object loads it.)
//!
//! Asks and answers cross as numbers (see `lease::wire`).

use wasm_bindgen::prelude::*;

use super::{millis, Core};
use crate::lease::{Grant, Local};

/// Flags `tick` returns.
const TICK_GREW: u32 = 1;
const TICK_ASK: u32 = 2;

#[wasm_bindgen]
pub struct Lease {
    local: Local,
    seq: f64,
}

#[wasm_bindgen]
impl Lease {
    /// Puts `core`'s budget on leases (its limits are the account's).
    #[wasm_bindgen(constructor)]
    pub fn new(core: &mut Core, now: f64) -> Lease {
        Lease { local: Local::new(&mut core.scheduler, millis(now)), seq: 0.0 }
    }

    /// Moves on with time, after a poll: `1` the budget grew (poll again), `2` an ask is due.
    pub fn tick(&mut self, core: &mut Core, now: f64) -> u32 {
        let (grew, due) = self.local.tick(&mut core.scheduler, millis(now));
        (if grew { TICK_GREW } else { 0 }) | (if due { TICK_ASK } else { 0 })
    }

    /// The ask to send now (after a tick that said so); its number is `seq()` after the call.
    pub fn ask(&mut self, now: f64) -> Box<[f64]> {
        let (seq, ask) = self.local.ask(millis(now));
        self.seq = seq as f64;
        Box::new(ask.to_numbers())
    }

    pub fn seq(&self) -> f64 {
        self.seq
    }

    /// Applies the answer to ask `seq`; false when it came too late (or is malformed).
    pub fn granted(&mut self, core: &mut Core, now: f64, seq: f64, answer: &[f64]) -> bool {
        Grant::from_numbers(answer).is_some_and(|g| self.local.granted(&mut core.scheduler, millis(now), seq as u64, &g))
    }

    /// Ask `seq` failed: its lease runs out as granted, then the limiter falls back to its share.
    pub fn failed(&mut self, now: f64, seq: f64) {
        self.local.failed(millis(now), seq as u64);
    }

    /// When to tick again by time alone, or -1.
    #[wasm_bindgen(js_name = nextWake)]
    pub fn next_wake(&self, now: f64) -> f64 {
        self.local.next_wake(millis(now)).map_or(-1.0, |t| t as f64)
    }

    /// Whether the limiter spends its own share (the coordinator did not answer).
    #[wasm_bindgen(js_name = fallingBack)]
    pub fn falling_back(&self) -> bool {
        self.local.borrower().falling_back()
    }
}
