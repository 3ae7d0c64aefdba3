//! The coordinator's binding: sluice's lease `Authority`, held by the Durable Object in
//! js/src/durable.js. A .wasm of its own, so that limiters do not carry it. Asks and grants
//! cross as numbers (see `sluice::lease::wire`).
#![cfg(target_arch = "wasm32")]

use sluice::lease::{Ask, Authority as CoreAuthority, KINDS, LEASE_MS};
use sluice::{LimitKind, FULL_BURST, TRANSIT_MS};
use wasm_bindgen::prelude::*;

/// A time or a count from JS: negative or NaN reads as 0.
fn millis(x: f64) -> u64 {
    if x.is_finite() && x > 0.0 {
        x as u64
    } else {
        0
    }
}

#[wasm_bindgen]
pub struct Authority {
    authority: CoreAuthority,
}

#[wasm_bindgen]
impl Authority {
    /// `limits`: one number per limit kind, in `LimitKind` order (0 or below: not set); `burst`
    /// as the limiter's option, in (0, 1]. Leases last `LEASE_MS`.
    #[wasm_bindgen(constructor)]
    pub fn new(limits: &[f64], burst: f64, now: f64) -> Authority {
        let limits: Vec<(LimitKind, u64)> = LimitKind::ALL
            .into_iter()
            .zip(limits.iter().copied().chain(std::iter::repeat(0.0)))
            .filter_map(|(kind, v)| (millis(v) > 0).then(|| (kind, millis(v))))
            .collect();
        let burst = ((burst * FULL_BURST as f64).round().max(1.0) as u32).min(FULL_BURST);
        Authority { authority: CoreAuthority::new(&limits, burst, LEASE_MS, TRANSIT_MS, millis(now)) }
    }

    /// Answers an ask from `isolate` (its numbers) with a grant's numbers; empty when malformed.
    pub fn exchange(&mut self, now: f64, isolate: f64, ask: &[f64]) -> Box<[f64]> {
        match Ask::from_numbers(ask) {
            Some(ask) => Box::new(self.authority.exchange(millis(now), millis(isolate), &ask).to_numbers()),
            None => Box::new([]),
        }
    }

    /// What must survive a restart (see `Authority::snapshot`).
    pub fn snapshot(&self, now: f64) -> Box<[f64]> {
        self.authority.snapshot(millis(now)).into_boxed_slice()
    }

    pub fn restore(&mut self, snapshot: &[f64]) {
        self.authority.restore(snapshot);
    }

    /// Asks answered since this object was built.
    pub fn exchanges(&self) -> f64 {
        self.authority.exchanges as f64
    }

    /// Isolates heard from lately.
    pub fn isolates(&self) -> f64 {
        self.authority.active_isolates() as f64
    }

    /// Whole tokens each limit's bucket holds now, in `LimitKind` order.
    pub fn available(&mut self, now: f64) -> Box<[f64]> {
        let available: [i64; KINDS] = self.authority.available(millis(now));
        available.iter().map(|&a| a as f64).collect()
    }
}
