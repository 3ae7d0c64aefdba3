//! The local limiter on leases: its budget holds only what the coordinator granted (or, while
//! falling back, its own share), and a [`Borrower`] decides when to ask and applies answers.

use super::super::budget::Budget;
use super::super::limit_kind::LimitKind;
use super::super::scheduler::Scheduler;
use super::super::time::Millis;
use super::borrower::Borrower;
use super::{Ask, Grant, KINDS};

impl Budget {
    /// Lease mode: every bucket empties and stops refilling; it holds only what is added.
    pub fn enter_lease_mode(&mut self, now: Millis) {
        self.refill(now);
        for (_, bucket) in self.active_mut() {
            empty(bucket);
        }
        self.leased_until = Some(now);
    }

    /// What each limit's bucket holds (negative: a debt), by kind; 0 for a limit not set.
    pub fn held(&self) -> [i64; KINDS] {
        std::array::from_fn(|k| self.bucket(LimitKind::ALL[k]).map_or(0, whole))
    }

    /// Adds `delta` to each bucket (negative: takes it off), to be spent until `until`.
    pub fn add_lease(&mut self, delta: &[i64; KINDS], until: Millis) {
        for (kind, bucket) in self.active_mut() {
            add(bucket, delta[kind.index()]);
        }
        self.leased_until = Some(until);
    }

    /// A lease past its end can no longer be spent (a debt stays, to be reported).
    pub(crate) fn expire_lease(&mut self, until: Millis, now: Millis) {
        if now >= until {
            for (_, bucket) in self.active_mut() {
                empty(bucket);
            }
        }
    }
}

// One bucket at a time, never inlined: a loop over six buckets unrolled at opt-level 3 would
// copy the i128 arithmetic six times into the .wasm every user loads.
#[inline(never)]
fn whole(bucket: &super::super::bucket::Bucket) -> i64 {
    bucket.available()
}

#[inline(never)]
fn empty(bucket: &mut super::super::bucket::Bucket) {
    bucket.lower_to(0);
}

#[inline(never)]
fn add(bucket: &mut super::super::bucket::Bucket, delta: i64) {
    if delta >= 0 {
        bucket.give_back(delta as u64);
    } else {
        bucket.charge(delta.unsigned_abs());
    }
}

/// The glue between a [`Scheduler`] and its [`Borrower`]. Call [`tick`](Self::tick) after
/// each poll; [`ask`](Self::ask) and [`next_wake`](Self::next_wake) read what it saw.
#[derive(Clone, Debug)]
pub struct Local {
    borrower: Borrower,
    /// What the last tick saw: what the buckets hold, what waits, the gate.
    held: [i64; KINDS],
    need: [u64; KINDS],
    gate: Option<Millis>,
}

impl Local {
    /// Puts `scheduler`'s budget on leases: its limits are the account's, held by a coordinator.
    pub fn new(scheduler: &mut Scheduler, now: Millis) -> Self {
        let limits: Vec<_> = scheduler.budget().states().iter().map(|s| (s.kind, s.limit, s.capacity)).collect();
        scheduler.budget_mut().enter_lease_mode(now);
        Local { borrower: Borrower::new(&limits, now), held: [0; KINDS], need: [0; KINDS], gate: None }
    }

    pub fn borrower(&self) -> &Borrower {
        &self.borrower
    }

    fn look(&mut self, scheduler: &Scheduler) {
        let waiting = scheduler.waiting_cost();
        self.need = std::array::from_fn(|k| waiting.amount(LimitKind::ALL[k].resource()));
        self.held = scheduler.budget().held();
        self.gate = scheduler.gate_closed_until();
    }

    /// Moves on with time (after a poll). Returns (the budget grew: poll again, an ask is due).
    pub fn tick(&mut self, scheduler: &mut Scheduler, now: Millis) -> (bool, bool) {
        scheduler.budget_mut().refill(now);
        self.look(scheduler);
        // Demand is what arrived: spent so far plus what waits (spending alone lags a burst).
        let ledger = scheduler.budget().ledger();
        let arrived = std::array::from_fn(|k| ledger[LimitKind::ALL[k].resource() as usize].wrapping_add(self.need[k] as i64));
        self.borrower.observe(now, arrived);
        let mut grew = false;
        if let Some(delta) = self.borrower.tick(now, &self.held) {
            scheduler.budget_mut().add_lease(&delta, self.borrower.until());
            grew = delta.iter().any(|&d| d > 0);
            self.held = scheduler.budget().held();
        }
        (grew, self.borrower.due(now, &self.held, &self.need, self.gate))
    }

    /// The ask to send (when the last tick said one is due), and its number.
    pub fn ask(&mut self, now: Millis) -> (u64, Ask) {
        self.borrower.ask(now, &self.held, &self.need, self.gate)
    }

    /// Applies the answer to ask `seq`. True when it was applied (poll next).
    pub fn granted(&mut self, scheduler: &mut Scheduler, now: Millis, seq: u64, grant: &Grant) -> bool {
        let Some(applied) = self.borrower.granted(now, seq, grant) else { return false };
        scheduler.budget_mut().add_lease(&applied.delta, applied.until);
        if let Some(until) = applied.pause_until {
            scheduler.pause_all(now, until);
        }
        true
    }

    /// When to poll and tick again by time alone, besides the scheduler's own wake.
    pub fn next_wake(&self, now: Millis) -> Option<Millis> {
        self.borrower.next_wake(now, self.need.iter().any(|&n| n > 0))
    }

    pub fn failed(&mut self, now: Millis, seq: u64) {
        self.borrower.failed(now, seq);
    }
}

#[cfg(test)]
mod tests {
    use super::super::Authority;
    use super::*;
    use crate::core::{Config, Cost, JobSpec, LimitKind, Limits, Outcome, OutcomeKind, Usage};

    fn limits() -> Vec<(LimitKind, u64)> {
        vec![(LimitKind::RequestsPerMinute, 600), (LimitKind::TokensPerMinute, 60_000)]
    }

    fn scheduler() -> Scheduler {
        let config = Config { limits: Limits::new(limits()).unwrap(), burst: 100_000, transit_ms: 0, ..Config::default() };
        Scheduler::new(config, 0).unwrap()
    }

    fn job(tokens: u64) -> JobSpec<'static> {
        JobSpec { cost: Cost::total(tokens), ..JobSpec::default() }
    }

    fn started(s: &mut Scheduler) -> Vec<crate::core::JobId> {
        s.drain().filter_map(|d| if let crate::core::Decision::Start { job, .. } = d { Some(job) } else { None }).collect()
    }

    #[test]
    fn a_leased_limiter_starts_nothing_until_granted_then_spends_the_grant() {
        let mut s = scheduler();
        let mut local = Local::new(&mut s, 0);
        let mut authority = Authority::new(&limits(), 100_000, 2_000, 0, 0);
        for _ in 0..5 {
            s.submit(0, job(100)).unwrap();
        }
        s.poll(0);
        assert!(started(&mut s).is_empty(), "nothing held yet");
        assert!(local.tick(&mut s, 0).1);
        let (seq, ask) = local.ask(0);
        assert_eq!((ask.want[0], ask.want[1]), (5, 500));
        let grant = authority.exchange(0, 1, &ask);
        assert!(local.granted(&mut s, 20, seq, &grant));
        s.poll(20);
        assert_eq!(started(&mut s).len(), 5);
        assert_eq!(s.budget().held()[..2], [0, 0]);
    }

    #[test]
    fn refunds_come_back_to_the_coordinator_with_the_next_ask() {
        let mut s = scheduler();
        let mut local = Local::new(&mut s, 0);
        let mut authority = Authority::new(&limits(), 100_000, 2_000, 0, 0);
        let id = s.submit(0, job(1_000)).unwrap();
        local.tick(&mut s, 0);
        let (seq, ask) = local.ask(0);
        let grant = authority.exchange(0, 1, &ask);
        local.granted(&mut s, 0, seq, &grant);
        s.poll(0);
        s.drain().for_each(drop);
        s.finish(10, id, Outcome { usage: Some(Usage { input: 100, output: 100 }), ..Outcome::of(OutcomeKind::Success) });
        assert_eq!(s.budget().held()[1], 800);
        // Nothing waits: the next ask (before the lease runs out) gives the 800 back.
        assert!(local.tick(&mut s, 1_900).1);
        let (_, ask) = local.ask(1_900);
        assert_eq!(ask.held[1], 800);
        let grant = authority.exchange(1_900, 1, &ask);
        assert_eq!(authority.available(1_900)[1], 6_000 - 200 - grant.lease[1] as i64);
    }

    #[test]
    fn a_lease_past_its_end_cannot_be_spent() {
        let mut s = scheduler();
        let mut local = Local::new(&mut s, 0);
        let mut authority = Authority::new(&limits(), 100_000, 2_000, 0, 0);
        s.submit(0, job(10)).unwrap();
        local.tick(&mut s, 0);
        let (seq, mut ask) = local.ask(0);
        ask.want = [50, 5_000, 0, 0, 0, 0];
        let grant = authority.exchange(0, 1, &ask);
        local.granted(&mut s, 0, seq, &grant);
        s.poll(0);
        assert_eq!(started(&mut s).len(), 1);
        s.submit(2_000, job(10)).unwrap();
        s.poll(2_000);
        assert!(started(&mut s).is_empty());
        assert_eq!(s.budget().held()[..2], [0, 0]);
    }

    #[test]
    fn a_pause_from_the_coordinator_closes_the_gate() {
        let mut s = scheduler();
        let mut local = Local::new(&mut s, 0);
        let mut authority = Authority::new(&limits(), 100_000, 2_000, 0, 0);
        authority.pause(1_000);
        s.submit(0, job(10)).unwrap();
        local.tick(&mut s, 0);
        let (seq, ask) = local.ask(0);
        let grant = authority.exchange(0, 1, &ask);
        local.granted(&mut s, 0, seq, &grant);
        assert_eq!(s.stats().gate_closed_until, Some(1_000));
    }
}
