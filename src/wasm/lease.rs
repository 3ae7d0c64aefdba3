//! The binding of leases: `Lease`, the local side of a limiter whose budget a coordinator feeds,
//! and `Authority`, the coordinator's state (held by the Durable Object in js/src/durable.js).
//!
//! An ask crosses as 13 numbers: what each of the 6 limits holds, what each wants, the pause to
//! report (ms). An answer as 9: what each limit now holds, the lease's length (ms), the pause
//! every isolate must keep (ms), and the isolates the coordinator hears from.

use wasm_bindgen::prelude::*;

use super::{millis, optional, Core};
use crate::lease::{Ask, Authority as CoreAuthority, Grant, Local, KINDS};
use crate::{LimitKind, FULL_BURST};

const ASK_LEN: usize = 2 * KINDS + 1;

fn ask_from(numbers: &[f64]) -> Option<Ask> {
    (numbers.len() == ASK_LEN).then(|| Ask {
        held: std::array::from_fn(|k| numbers[k] as i64),
        want: std::array::from_fn(|k| numbers[KINDS + k].max(0.0) as u64),
        pause_ms: numbers[2 * KINDS].max(0.0) as u64,
    })
}

fn ask_to(ask: &Ask) -> Box<[f64]> {
    ask.held.iter().map(|&h| h as f64).chain(ask.want.iter().map(|&w| w as f64)).chain([ask.pause_ms as f64]).collect()
}

fn grant_to(grant: &Grant) -> Box<[f64]> {
    grant.lease.iter().map(|&l| l as f64).chain([grant.lease_ms as f64, grant.pause_ms as f64, grant.isolates as f64]).collect()
}

fn grant_from(numbers: &[f64]) -> Option<Grant> {
    (numbers.len() == KINDS + 3).then(|| Grant {
        lease: std::array::from_fn(|k| numbers[k].max(0.0) as u64),
        lease_ms: numbers[KINDS].max(0.0) as u64,
        pause_ms: numbers[KINDS + 1].max(0.0) as u64,
        isolates: numbers[KINDS + 2].max(0.0) as u32,
    })
}

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

    /// Moves on with time: `1` the budget grew (poll next), `2` an ask is due (see `ask`).
    pub fn tick(&mut self, core: &mut Core, now: f64) -> u32 {
        let now = millis(now);
        let grew = self.local.tick(&mut core.scheduler, now);
        let due = self.local.due(&core.scheduler, now);
        (if grew { TICK_GREW } else { 0 }) | (if due { TICK_ASK } else { 0 })
    }

    /// The ask to send now; its number is `seq()` after the call.
    pub fn ask(&mut self, core: &Core, now: f64) -> Box<[f64]> {
        let (seq, ask) = self.local.ask(&core.scheduler, millis(now));
        self.seq = seq as f64;
        ask_to(&ask)
    }

    pub fn seq(&self) -> f64 {
        self.seq
    }

    /// Applies the answer to ask `seq`; false when it came too late (or is malformed).
    pub fn granted(&mut self, core: &mut Core, now: f64, seq: f64, answer: &[f64]) -> bool {
        grant_from(answer).is_some_and(|g| self.local.granted(&mut core.scheduler, millis(now), seq as u64, &g))
    }

    /// Ask `seq` failed: its lease runs out as granted, then the limiter falls back to its share.
    pub fn failed(&mut self, now: f64, seq: f64) {
        self.local.failed(millis(now), seq as u64);
    }

    /// When to tick again by time alone, or -1.
    #[wasm_bindgen(js_name = nextWake)]
    pub fn next_wake(&self, core: &Core, now: f64) -> f64 {
        self.local.next_wake(&core.scheduler, millis(now)).map_or(-1.0, |t| t as f64)
    }

    /// Whether the limiter spends its own share (the coordinator did not answer).
    #[wasm_bindgen(js_name = fallingBack)]
    pub fn falling_back(&self) -> bool {
        self.local.borrower().falling_back()
    }
}

#[wasm_bindgen]
pub struct Authority {
    authority: CoreAuthority,
}

#[wasm_bindgen]
impl Authority {
    /// `limits`: one number per limit kind (below 0: not set); `burst` as the option (0, 1].
    #[wasm_bindgen(constructor)]
    pub fn new(limits: &[f64], burst: f64, lease_ms: f64, now: f64) -> Authority {
        let limits: Vec<(LimitKind, u64)> = LimitKind::ALL
            .into_iter()
            .enumerate()
            .filter_map(|(i, kind)| optional(limits.get(i).copied().unwrap_or(-1.0)).filter(|&v| v > 0).map(|v| (kind, v)))
            .collect();
        let burst = ((burst * FULL_BURST as f64).round() as u32).clamp(1, FULL_BURST);
        Authority { authority: CoreAuthority::new(&limits, burst, millis(lease_ms), crate::TRANSIT_MS, millis(now)) }
    }

    /// Answers an ask (13 numbers) from isolate `isolate` with 9 numbers; empty when malformed.
    pub fn exchange(&mut self, now: f64, isolate: f64, ask: &[f64]) -> Box<[f64]> {
        match ask_from(ask) {
            Some(ask) => grant_to(&self.authority.exchange(millis(now), isolate as u64, &ask)),
            None => Box::new([]),
        }
    }

    pub fn snapshot(&self, now: f64) -> Box<[f64]> {
        self.authority.snapshot(millis(now)).into_boxed_slice()
    }

    pub fn restore(&mut self, snapshot: &[f64]) {
        self.authority.restore(snapshot);
    }

    pub fn exchanges(&self) -> f64 {
        self.authority.exchanges as f64
    }

    pub fn isolates(&self) -> f64 {
        self.authority.active_isolates() as f64
    }

    /// Whole tokens each limit's bucket holds now (6 numbers).
    pub fn available(&mut self, now: f64) -> Box<[f64]> {
        self.authority.available(millis(now)).iter().map(|&a| a as f64).collect()
    }
}
