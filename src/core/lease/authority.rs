//! The coordinator's side: the account's buckets, and the leases it grants from them.
//!
//! Exact by one invariant: the provider's bucket holds at least what the coordinator's holds
//! plus what is out on leases and not yet reported back (`out`). A grant moves capacity from
//! the bucket to `out`; an isolate's next ask reports what it did not spend, which comes back,
//! and replaces its lease; a lease past its end (plus a trip) leaves `out` unspent. The one
//! thing that could break the invariant is refill the provider loses while its bucket is full,
//! so the coordinator's bucket refills only up to its capacity less `out`. Then the isolates
//! together can never send more than the account allows, however they spend their leases.

use std::collections::HashMap;

use super::super::bucket::Bucket;
use super::super::budget::{burst_capacity, BurstPpm};
use super::super::limit_kind::LimitKind;
use super::super::time::Millis;
use super::fair::water_level;
use super::{horizon_ms, Ask, Grant, KINDS};

/// What the coordinator knows of an isolate, from its last ask.
#[derive(Clone, Copy, Debug)]
struct Seen {
    want: [u64; KINDS],
    at: Millis,
    /// Its lease, counted out until `expires` (the lease's end plus a trip to the provider).
    lease: [u64; KINDS],
    expires: Millis,
}

#[derive(Clone, Debug)]
pub struct Authority {
    buckets: [Option<Bucket>; KINDS],
    lease_ms: u64,
    transit_ms: u64,
    /// Until when every isolate must hold back (a Retry-After one of them met).
    paused_until: Millis,
    isolates: HashMap<u64, Seen>,
    /// Capacity on leases restored from a snapshot, counted out until `restored_expires`.
    restored_out: [u64; KINDS],
    restored_expires: Millis,
    /// Asks answered since the authority was built (its calls).
    pub exchanges: u64,
}

impl Authority {
    /// The account's `limits` under `burst`, granting leases valid `lease_ms`; `transit_ms` is
    /// a request's trip to the provider after it is sent. The buckets start full.
    pub fn new(limits: &[(LimitKind, u64)], burst: BurstPpm, lease_ms: u64, transit_ms: u64, now: Millis) -> Self {
        let mut buckets: [Option<Bucket>; KINDS] = Default::default();
        for &(kind, limit) in limits {
            let bucket = Bucket::new(limit, kind.window_ms(), burst_capacity(limit, burst), now).with_transit(transit_ms);
            buckets[kind.index()] = Some(bucket);
        }
        Authority {
            buckets,
            lease_ms,
            transit_ms,
            paused_until: 0,
            isolates: HashMap::new(),
            restored_out: [0; KINDS],
            restored_expires: 0,
            exchanges: 0,
        }
    }

    pub fn lease_ms(&self) -> u64 {
        self.lease_ms
    }

    /// Isolates that asked within the last two leases: those that may hold capacity or want some.
    pub fn active_isolates(&self) -> usize {
        self.isolates.len()
    }

    /// Capacity out on leases at `now`, per kind.
    fn out(&self, now: Millis) -> [u64; KINDS] {
        let mut out = if now < self.restored_expires { self.restored_out } else { [0; KINDS] };
        for seen in self.isolates.values().filter(|s| s.expires > now) {
            for k in 0..KINDS {
                out[k] += seen.lease[k];
            }
        }
        out
    }

    /// Refills to `now` in steps, at each lease's end, never above capacity less what is out.
    fn refill(&mut self, now: Millis) {
        let mut ends: Vec<Millis> = self.isolates.values().map(|s| s.expires).chain([self.restored_expires]).filter(|&t| t <= now).collect();
        ends.sort_unstable();
        ends.dedup();
        for t in ends.into_iter().chain([now]) {
            // Just before `t`, what ends at `t` is still out.
            let out = self.out(t.saturating_sub(1));
            for (k, slot) in self.buckets.iter_mut().enumerate() {
                if let Some(bucket) = slot {
                    bucket.refill(t);
                    bucket.lower_to(bucket.capacity().saturating_sub(out[k]) as i128);
                }
            }
        }
    }

    /// Takes back what `ask` reports (unspent capacity, or a debt to charge), then grants the
    /// isolate its fair share of what is left, up to what it wants.
    pub fn exchange(&mut self, now: Millis, isolate: u64, ask: &Ask) -> Grant {
        self.exchanges += 1;
        self.refill(now);
        let horizon = 2 * self.lease_ms;
        self.isolates.retain(|&id, seen| id == isolate || now.saturating_sub(seen.at) < horizon || seen.expires > now);
        let expires = now + self.lease_ms + self.transit_ms;
        // The reported holding replaces the old lease: its unspent part comes back below.
        self.isolates.insert(isolate, Seen { want: ask.want, at: now, lease: [0; KINDS], expires });
        if ask.pause_ms > 0 {
            self.pause(now.saturating_add(ask.pause_ms));
        }
        let paused = now < self.paused_until;
        let mut lease = [0; KINDS];
        for (k, slot) in self.buckets.iter_mut().enumerate() {
            let Some(bucket) = slot else { continue };
            match ask.held[k] {
                held if held >= 0 => bucket.give_back(held as u64),
                debt => bucket.charge(debt.unsigned_abs()),
            }
            if paused {
                continue;
            }
            // Shared fairly is the flow over a lease's horizon (or more, when the bucket holds
            // more): sharing only what is there now would hand each of many isolates a crumb.
            let available = bucket.available().max(0) as u64;
            let horizon = horizon_ms(bucket.limit(), bucket.capacity(), bucket.window_ms());
            let pool = available.max(bucket.refill_over(horizon).max(0) as u64);
            let wants: Vec<u64> = self.isolates.values().map(|s| s.want[k]).collect();
            let level = water_level(pool, &wants);
            // What the others' fair shares leave over is the asker's too (it would sit idle).
            let others: u64 = self.isolates.iter().filter(|(&id, _)| id != isolate).map(|(_, s)| s.want[k].min(level)).sum();
            let share = ask.want[k].min(level.max(available.saturating_sub(others))).min(available);
            bucket.take(share, now);
            lease[k] = share;
        }
        self.isolates.get_mut(&isolate).expect("just inserted").lease = lease;
        Grant {
            lease,
            lease_ms: self.lease_ms,
            pause_ms: self.paused_until.saturating_sub(now),
            isolates: self.isolates.len() as u32,
        }
    }

    /// A Retry-After one isolate met: nothing is granted before `until`, and the buckets are
    /// taken for empty (the provider said so).
    pub fn pause(&mut self, until: Millis) {
        self.paused_until = self.paused_until.max(until);
        for bucket in self.buckets.iter_mut().flatten() {
            bucket.lower_to(0);
        }
    }

    /// Whole tokens each bucket holds now (0 for a limit not set), for stats and tests.
    pub fn available(&mut self, now: Millis) -> [i64; KINDS] {
        self.refill(now);
        std::array::from_fn(|k| self.buckets[k].as_ref().map_or(0, Bucket::available))
    }

    /// What must survive a restart, as numbers: each bucket's level (units) and refill time,
    /// what is out on leases and until when, then the pause. The isolates' demands are soft
    /// state: they come again with the next asks.
    pub fn snapshot(&self, now: Millis) -> Vec<f64> {
        let mut out = Vec::with_capacity(SNAPSHOT_LEN);
        for slot in &self.buckets {
            let (level, at) = slot.as_ref().map_or((0, 0), Bucket::snapshot);
            out.push(level as f64);
            out.push(at as f64);
        }
        out.extend(self.out(now).iter().map(|&o| o as f64));
        let last = self.isolates.values().map(|s| s.expires).chain([self.restored_expires]).max().unwrap_or(0);
        out.push(last as f64);
        out.push(self.paused_until as f64);
        out
    }

    /// Puts back a [`snapshot`](Self::snapshot); a snapshot of another shape is ignored. What
    /// was out stays out, as one lease, until the last of them would have ended.
    pub fn restore(&mut self, snapshot: &[f64]) {
        if snapshot.len() != SNAPSHOT_LEN {
            return;
        }
        for (k, slot) in self.buckets.iter_mut().enumerate() {
            if let Some(bucket) = slot {
                bucket.restore(snapshot[2 * k] as i128, snapshot[2 * k + 1] as Millis);
            }
        }
        self.restored_out = std::array::from_fn(|k| snapshot[2 * KINDS + k] as u64);
        self.restored_expires = snapshot[3 * KINDS] as Millis;
        self.paused_until = snapshot[3 * KINDS + 1] as Millis;
    }
}

/// Numbers in a snapshot.
const SNAPSHOT_LEN: usize = 3 * KINDS + 2;

#[cfg(test)]
mod tests {
    use super::*;

    const RPM: usize = 0;

    fn ask(held: i64, want: u64) -> Ask {
        let mut a = Ask::default();
        a.held[RPM] = held;
        a.want[RPM] = want;
        a
    }

    fn authority() -> Authority {
        // 600 a minute (10 a second), 60 at once; leases of 2 s.
        Authority::new(&[(LimitKind::RequestsPerMinute, 600)], 100_000, 2_000, 0, 0)
    }

    #[test]
    fn grants_up_to_what_is_asked_and_takes_back_what_is_returned() {
        let mut a = authority();
        assert_eq!(a.exchange(0, 1, &ask(0, 20)).lease[RPM], 20);
        assert_eq!(a.available(0)[RPM], 40);
        // 15 unspent come back; it wants nothing more.
        assert_eq!(a.exchange(0, 1, &ask(15, 0)).lease[RPM], 0);
        assert_eq!(a.available(0)[RPM], 55);
    }

    #[test]
    fn an_isolate_among_demanding_ones_gets_an_equal_share_of_what_is_there() {
        let mut a = authority();
        a.exchange(0, 1, &ask(0, 0));
        a.exchange(0, 2, &ask(0, 0));
        a.isolates.get_mut(&1).unwrap().want[RPM] = 100;
        a.isolates.get_mut(&2).unwrap().want[RPM] = 100;
        // Three want 100 each of the 60 there: the third of it.
        assert_eq!(a.exchange(0, 3, &ask(0, 100)).lease[RPM], 20);
        // 40 left: 13 for each of the others, and the asker also gets the one left over.
        assert_eq!(a.exchange(0, 1, &ask(0, 100)).lease[RPM], 14);
    }

    #[test]
    fn a_small_demand_is_met_in_full_beside_large_ones() {
        let mut a = authority();
        a.exchange(0, 1, &ask(0, 0));
        a.exchange(0, 2, &ask(0, 0));
        a.isolates.get_mut(&1).unwrap().want[RPM] = 1_000;
        a.isolates.get_mut(&2).unwrap().want[RPM] = 1_000;
        assert_eq!(a.exchange(0, 3, &ask(0, 5)).lease[RPM], 5);
    }

    #[test]
    fn the_bucket_refills_only_up_to_its_capacity_less_what_is_out() {
        let mut a = authority();
        assert_eq!(a.exchange(0, 1, &ask(0, 60)).lease[RPM], 60);
        // Everything is out: were it spent late, the provider's bucket would have been full
        // meanwhile, and its refill lost. The isolate reports it all spent at 1 999: nothing
        // refilled before.
        assert_eq!(a.exchange(1_999, 1, &ask(0, 60)).lease[RPM], 0);
        assert_eq!(a.exchange(3_000, 1, &ask(0, 60)).lease[RPM], 10);
    }

    #[test]
    fn a_lease_that_ends_unreported_leaves_what_is_out() {
        let mut a = authority();
        a.exchange(0, 1, &ask(0, 60));
        // Isolate 1 never comes back: its lease ends at 2 000, refill resumes then.
        assert_eq!(a.available(2_000)[RPM], 0);
        assert_eq!(a.available(3_000)[RPM], 10);
    }

    #[test]
    fn never_grants_more_than_the_account_allows_however_isolates_ask() {
        // Eight isolates that spend at once all they get, or give half back: over a minute the
        // grants less what came back stay within the burst plus a minute of refill.
        let mut a = authority();
        let mut net: i64 = 0;
        let mut held = [0i64; 8];
        for step in 0..6_000u64 {
            let now = step * 10;
            let i = (step * 7 % 8) as usize;
            let back = if step % 3 == 0 { held[i] / 2 } else { 0 };
            let g = a.exchange(now, i as u64, &ask(back, 1 + step % 5)).lease[RPM] as i64;
            net += g - back;
            held[i] = g; // spent, all or half, by its next ask
        }
        assert!(net <= 60 + 600, "{net}");
        assert!(net >= 400, "{net}");
    }

    #[test]
    fn debts_are_charged() {
        let mut a = authority();
        a.exchange(0, 1, &ask(-20, 0));
        assert_eq!(a.available(0)[RPM], 40);
    }

    #[test]
    fn a_pause_grants_nothing_until_it_ends_and_empties_the_buckets() {
        let mut a = authority();
        let mut paused = ask(0, 10);
        paused.pause_ms = 1_000;
        let g = a.exchange(0, 1, &paused);
        assert_eq!((g.lease[RPM], g.pause_ms), (0, 1_000));
        let g = a.exchange(500, 1, &ask(0, 10));
        assert_eq!((g.lease[RPM], g.pause_ms), (0, 500));
        // 10 a second refill from empty: after the pause, 10 are there.
        let g = a.exchange(1_000, 1, &ask(0, 10));
        assert_eq!((g.lease[RPM], g.pause_ms), (10, 0));
    }

    #[test]
    fn a_restored_snapshot_remembers_what_was_granted() {
        let mut a = authority();
        a.exchange(0, 1, &ask(0, 50));
        let saved = a.snapshot(0);
        let mut b = authority();
        b.restore(&saved);
        assert_eq!(b.available(0)[RPM], 10);
        assert_eq!(b.exchange(0, 2, &ask(0, 50)).lease[RPM], 10);
        // What was out before the restart stays out until its lease would have ended.
        assert_eq!(b.available(1_000)[RPM], 0);
        assert_eq!(b.available(3_000)[RPM], 10);
    }

    #[test]
    fn isolates_that_stopped_asking_are_forgotten() {
        let mut a = authority();
        a.exchange(0, 1, &ask(0, 1));
        a.exchange(0, 2, &ask(0, 1));
        assert_eq!(a.active_isolates(), 2);
        a.exchange(4_000, 2, &ask(0, 1));
        assert_eq!(a.active_isolates(), 1);
    }
}
