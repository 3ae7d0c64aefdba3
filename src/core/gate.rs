//! The cool-down gate. A 429 with Retry-After closes it: the queue waits once, for everyone,
//! instead of every request failing and retrying on its own. When the time is up the gate is
//! half open: one job goes out as a probe. If the provider takes it (or it is still running a
//! little later: refusals come back fast), the gate opens and the queue drains at the budget's
//! pace; if the probe is refused, the gate closes again. The probe is kept only as long as it
//! pays: a refusal comes back about as fast as the last ones did, so once the probe has run
//! twice as long as the slowest recent refusal, it was taken.

use std::collections::HashMap;

use super::keys::{Keys, NO_KEY};
use super::queue::{JobId, KeyId};
use super::time::Millis;

/// How long a probe may run without an answer before the gate opens anyway, at most.
pub const PROBE_PATIENCE_MS: u64 = 2_000;
/// The least a probe is waited for, however fast refusals came.
pub const PROBE_PATIENCE_MIN_MS: u64 = 20;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Gate {
    #[default]
    Open,
    Closed {
        until: Millis,
    },
    /// The pause is over; the next job to start is the probe.
    HalfOpen,
    Probing {
        job: JobId,
        /// When the gate opens if no refusal came by then.
        opens_at: Millis,
    },
}

/// What the gate lets through now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Admits {
    Any,
    /// One job, the probe.
    One,
    None,
}

impl Gate {
    /// Closes the gate until `until` (a gate already closed longer stays so).
    pub fn close(&mut self, until: Millis) {
        *self = match *self {
            Gate::Closed { until: later } if later >= until => Gate::Closed { until: later },
            _ => Gate::Closed { until },
        };
    }

    /// Moves on with time: a pause that is over becomes half open; a probe that ran long enough opens.
    pub fn tick(&mut self, now: Millis) {
        match *self {
            Gate::Closed { until } if until <= now => *self = Gate::HalfOpen,
            Gate::Probing { opens_at, .. } if opens_at <= now => *self = Gate::Open,
            _ => {}
        }
    }

    pub fn admits(&self) -> Admits {
        match self {
            Gate::Open => Admits::Any,
            Gate::HalfOpen => Admits::One,
            Gate::Closed { .. } | Gate::Probing { .. } => Admits::None,
        }
    }

    /// A job started; if the gate was half open, it is the probe, waited for until `opens_at`.
    pub fn started(&mut self, job: JobId, opens_at: Millis) {
        if *self == Gate::HalfOpen {
            *self = Gate::Probing { job, opens_at };
        }
    }

    /// A job ended. The probe's end opens the gate, unless the provider pushed back again
    /// (then it is half open until [`close`](Self::close) says for how long).
    pub fn ended(&mut self, job: JobId, congested: bool) {
        if let Gate::Probing { job: probe, .. } = *self {
            if probe == job {
                *self = if congested { Gate::HalfOpen } else { Gate::Open };
            }
        }
    }

    /// When time alone changes the gate next.
    pub fn wake(&self) -> Option<Millis> {
        match *self {
            Gate::Closed { until } => Some(until),
            Gate::Probing { opens_at, .. } => Some(opens_at),
            _ => None,
        }
    }

    /// Not before this instant may anything start (for deadline checks).
    pub fn closed_until(&self) -> Option<Millis> {
        match *self {
            Gate::Closed { until } => Some(until),
            _ => None,
        }
    }

    pub fn is_open(&self) -> bool {
        *self == Gate::Open
    }
}

/// The limiter's gate, and one per key when keys have limits of their own.
#[derive(Clone, Debug, Default)]
pub struct Gates {
    per_key: bool,
    global: Gate,
    keys: HashMap<KeyId, Gate>,
    /// The slowest recent refusal (start to 429), decaying by a quarter with each newer one.
    refusal_ms: Option<u64>,
}

impl Gates {
    /// `per_key`: a 429 for a key's job pauses that key only (keys with their own provider limits).
    pub fn new(per_key: bool) -> Self {
        Gates { per_key, ..Gates::default() }
    }

    pub fn global(&self) -> &Gate {
        &self.global
    }

    /// Whether `key`'s jobs have a gate of their own.
    pub fn own_gate(&self, key: KeyId) -> bool {
        self.per_key && key != NO_KEY
    }

    /// Closes the gate that governs `key`'s jobs until `until`. Returns true when that made a
    /// key's own gate: the caller must then hold the key, so that its id is not reused while
    /// the gate lives ([`tick`](Self::tick) says when to let go).
    pub fn close(&mut self, key: KeyId, until: Millis) -> bool {
        if !self.own_gate(key) {
            self.global.close(until);
            return false;
        }
        let made = !self.keys.contains_key(&key);
        self.keys.entry(key).or_default().close(until);
        made
    }

    /// A job of `key` ended; if it was its gate's probe, the gate moves on.
    pub fn ended(&mut self, key: KeyId, job: JobId, congested: bool) {
        if self.own_gate(key) {
            if let Some(gate) = self.keys.get_mut(&key) {
                gate.ended(job, congested);
            }
        } else {
            self.global.ended(job, congested);
        }
    }

    /// Keys with a gate of their own now.
    pub fn key_gates(&self) -> usize {
        self.keys.len()
    }

    /// Whether `key`'s own gate holds its jobs back (the global gate is checked apart).
    pub fn blocks(&self, key: KeyId) -> bool {
        self.keys.get(&key).is_some_and(|g| g.admits() == Admits::None)
    }

    /// Whether the gate that governs `key`'s jobs is closed now: a 429 then extends the pause
    /// it is in rather than starting another.
    pub fn pausing(&self, key: KeyId) -> bool {
        let gate = if self.own_gate(key) { self.keys.get(&key) } else { Some(&self.global) };
        gate.and_then(Gate::closed_until).is_some()
    }

    /// Not before this instant may a job of `key` start.
    pub fn closed_until(&self, key: KeyId) -> Option<Millis> {
        let own = self.keys.get(&key).and_then(Gate::closed_until);
        [self.global.closed_until(), own].into_iter().flatten().max()
    }

    /// Moves every gate on with time. Calls `opened` with the name of each key whose pause ended
    /// (`None` for the limiter's), while the key is still known. A key's gate that is open again
    /// is dropped, and so is one whose pause is over while its key has no job left to probe with
    /// (only the gate still holds the key); each dropped gate lets go of its hold on `keys`.
    pub fn tick(&mut self, now: Millis, keys: &mut Keys, mut opened: impl FnMut(Option<&str>)) {
        let paused = self.global.closed_until().is_some();
        self.global.tick(now);
        if paused && self.global.closed_until().is_none() {
            opened(None);
        }
        let mut dropped = Vec::new();
        self.keys.retain(|&key, gate| {
            let paused = gate.closed_until().is_some();
            gate.tick(now);
            if paused && gate.closed_until().is_none() {
                opened(Some(keys.name(key)));
            }
            let idle = *gate == Gate::HalfOpen && keys.holds(key) == 1;
            let keep = !gate.is_open() && !idle;
            if !keep {
                dropped.push(key);
            }
            keep
        });
        for key in dropped {
            keys.release(key);
        }
    }

    /// An attempt was refused (429) `ms` after it started.
    pub fn refusal_took(&mut self, ms: u64) {
        self.refusal_ms = Some(self.refusal_ms.map_or(ms, |slowest| ms.max(slowest - slowest / 4)));
    }

    /// How long a probe is waited for: twice the slowest recent refusal, within
    /// [`PROBE_PATIENCE_MIN_MS`, `PROBE_PATIENCE_MS`].
    pub fn probe_patience(&self) -> u64 {
        self.refusal_ms.map_or(PROBE_PATIENCE_MS, |ms| ms.saturating_mul(2).clamp(PROBE_PATIENCE_MIN_MS, PROBE_PATIENCE_MS))
    }

    /// A job started: it may be its gate's probe.
    pub fn started(&mut self, key: KeyId, job: JobId, now: Millis) {
        let opens_at = now.saturating_add(self.probe_patience());
        if self.per_key && key != NO_KEY {
            if let Some(gate) = self.keys.get_mut(&key) {
                gate.started(job, opens_at);
            }
        } else {
            self.global.started(job, opens_at);
        }
    }

    pub fn wake(&self) -> Option<Millis> {
        self.keys.values().chain([&self.global]).filter_map(Gate::wake).min()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closed_then_one_probe_then_open() {
        let mut g = Gate::default();
        g.close(1_000);
        g.tick(999);
        assert_eq!(g.admits(), Admits::None);
        g.tick(1_000);
        assert_eq!(g.admits(), Admits::One);
        g.started(7, 1_000 + PROBE_PATIENCE_MS);
        assert_eq!(g.admits(), Admits::None);
        g.ended(8, false); // not the probe
        assert_eq!(g.admits(), Admits::None);
        g.ended(7, false);
        assert!(g.is_open());
    }

    #[test]
    fn a_refused_probe_closes_it_again() {
        let mut g = Gate::Closed { until: 0 };
        g.tick(0);
        g.started(1, 0);
        g.ended(1, true);
        g.close(5_000);
        assert_eq!(g.wake(), Some(5_000));
    }

    #[test]
    fn a_long_probe_opens_the_gate() {
        let mut g = Gate::HalfOpen;
        g.started(1, 100 + PROBE_PATIENCE_MS);
        assert_eq!(g.wake(), Some(100 + PROBE_PATIENCE_MS));
        g.tick(100 + PROBE_PATIENCE_MS);
        assert!(g.is_open());
    }

    #[test]
    fn the_probe_is_waited_for_twice_the_slowest_recent_refusal() {
        let mut gates = Gates::new(false);
        assert_eq!(gates.probe_patience(), PROBE_PATIENCE_MS, "no refusal seen yet");
        gates.refusal_took(100);
        assert_eq!(gates.probe_patience(), 200);
        gates.refusal_took(40); // the slow one fades: 100, then 75, then 57
        gates.refusal_took(40);
        assert_eq!(gates.probe_patience(), 2 * 57);
        gates.refusal_took(5_000);
        assert_eq!(gates.probe_patience(), PROBE_PATIENCE_MS);
        gates.close(NO_KEY, 1_000);
        let mut keys = Keys::default();
        gates.tick(1_000, &mut keys, |_| {});
        gates.started(NO_KEY, 3, 1_000);
        assert_eq!(gates.wake(), Some(1_000 + PROBE_PATIENCE_MS));
    }

    #[test]
    fn closing_keeps_the_later_time() {
        let mut g = Gate::default();
        g.close(5_000);
        g.close(3_000);
        assert_eq!(g.closed_until(), Some(5_000));
        g.close(8_000);
        assert_eq!(g.closed_until(), Some(8_000));
    }

    #[test]
    fn per_key_gates_hold_back_only_their_key() {
        let mut gates = Gates::new(true);
        assert!(gates.close(3, 1_000));
        assert!(!gates.close(3, 500), "the gate exists already");
        assert!(gates.blocks(3) && !gates.blocks(4));
        assert_eq!(gates.global().admits(), Admits::Any);
        assert_eq!(gates.closed_until(3), Some(1_000));
        let mut keys = Keys::default();
        assert_eq!(keys.hold("x"), 1);
        keys.hold("y");
        keys.hold("z");
        keys.hold_id(3); // the gate's hold
        let mut opened = Vec::new();
        gates.tick(1_000, &mut keys, |k| opened.push(k.map(String::from)));
        assert_eq!(opened, vec![Some("z".to_string())], "key 3 is z");
        assert_eq!(keys.holds(3), 2, "still half open, its job waiting");
        assert!(!gates.blocks(3), "half open: a probe may go");
        gates.started(3, 9, 1_000);
        assert!(gates.blocks(3));
        gates.ended(3, 9, false);
        gates.tick(1_001, &mut keys, |_| {});
        assert_eq!(keys.holds(3), 1, "open gates are forgotten, and let go of their key");
        assert!(gates.keys.is_empty());
    }

    #[test]
    fn a_half_open_gate_whose_key_has_no_job_left_is_dropped() {
        let mut gates = Gates::new(true);
        let mut keys = Keys::default();
        let k = keys.hold("tenant");
        assert!(gates.close(k, 1_000));
        keys.hold_id(k);
        keys.release(k); // its last job ended while the gate was closed
        gates.tick(1_000, &mut keys, |_| {});
        assert!(gates.keys.is_empty());
        assert_eq!(keys.len(), 0);
    }

    #[test]
    fn without_per_key_gates_every_key_shares_the_global_one() {
        let mut gates = Gates::new(false);
        assert!(!gates.close(3, 1_000));
        assert_eq!(gates.global().admits(), Admits::None);
        assert_eq!(gates.closed_until(4), Some(1_000));
    }
}
