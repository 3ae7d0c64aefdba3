//! The isolate's side of leasing, as arithmetic: when to ask, for how much, how to apply the
//! answer, and what to do while the coordinator does not answer.
//!
//! It asks ahead of need: when what its buckets hold would last less than a round trip (plus
//! a margin) at its recent demand, or when jobs wait for more than it holds. It asks for its
//! demand over [`AHEAD_MS`] plus a round trip, so a busy isolate asks about once a second.
//!
//! Fallback: an exchange that fails, or takes longer than [`SLOW_MS`], leaves the lease to
//! expire as granted; from then the isolate refills by itself at `1/n` of each limit, from
//! empty, where `n` is the number of isolates the coordinator last said it hears from. That is
//! safe when the coordinator is out of reach of all of them: every lease has expired, and `n`
//! shares refilling from empty send no more than the account's limit. (An isolate that never
//! heard a count uses `1/`[`FALLBACK_DIVISOR_UNKNOWN`].) It keeps asking every [`RETRY_MS`] and
//! returns to leases with the first answer.

use super::super::limit_kind::LimitKind;
use super::super::time::Millis;
use super::{horizon_ms, Ask, Grant, AHEAD_MS, KINDS};

/// Added to the round trip when deciding to ask ahead.
const MARGIN_MS: f64 = 100.0;
/// An exchange still unanswered after this long has failed (a late answer is ignored).
pub const SLOW_MS: u64 = 1_000;
/// The least time between asks after a failure, or after an answer that gave less than wanted.
pub const RETRY_MS: u64 = 200;
/// The share of each limit an isolate falls back to before any coordinator told it how many
/// isolates there are.
pub const FALLBACK_DIVISOR_UNKNOWN: u32 = 8;
/// While falling back with jobs waiting, how often the own share is added.
const FALLBACK_TICK_MS: u64 = 50;
/// How fast the demand estimate forgets (ms).
const DEMAND_TAU_MS: f64 = 2_000.0;
/// The round trip assumed before the first is measured (ms).
const FIRST_RTT_MS: f64 = 50.0;

#[derive(Clone, Copy, Debug)]
struct Sent {
    seq: u64,
    at: Millis,
    /// What the buckets held when the ask left: the answer replaces it.
    held: [i64; KINDS],
    want: [u64; KINDS],
}

/// The account's limit of one kind, as the isolate was configured.
#[derive(Clone, Copy, Debug, Default)]
struct Limit {
    limit: u64,
    window_ms: u64,
    capacity: u64,
}

#[derive(Clone, Debug)]
pub struct Borrower {
    limits: [Option<Limit>; KINDS],
    /// Recent demand (arrivals) per kind, in tokens per ms.
    rate: [f64; KINDS],
    arrived: [i64; KINDS],
    seen_at: Option<Millis>,
    rtt_ms: f64,
    seq: u64,
    sent: Option<Sent>,
    next_ask: Millis,
    /// Until when what the buckets hold may be spent; [`Millis::MAX`] while falling back.
    until: Millis,
    /// Isolates the coordinator last counted; 0 before any answer.
    isolates: u32,
    failing: bool,
    /// Falling back: refill accrued since, in units (tokens × window), per kind.
    accrued_at: Option<Millis>,
    accrued: [u128; KINDS],
    /// The end of the last pause this isolate reported (or was told of).
    known_pause: Millis,
    /// Exchanges started, answered, and failed.
    pub asks: u64,
    pub answers: u64,
    pub failures: u64,
}

/// What an answer does to the isolate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Applied {
    /// Added to each bucket (negative: taken off).
    pub delta: [i64; KINDS],
    /// What the buckets now hold may be spent until then.
    pub until: Millis,
    /// Every job holds back until then, if set.
    pub pause_until: Option<Millis>,
}

impl Borrower {
    /// `limits`: the account's limits, each with its burst capacity.
    pub fn new(limits: &[(LimitKind, u64, u64)], now: Millis) -> Self {
        let mut set = [None; KINDS];
        for &(kind, limit, capacity) in limits {
            set[kind.index()] = Some(Limit { limit, window_ms: kind.window_ms(), capacity });
        }
        Borrower {
            limits: set,
            rate: [0.0; KINDS],
            arrived: [0; KINDS],
            seen_at: None,
            rtt_ms: FIRST_RTT_MS,
            seq: 0,
            sent: None,
            next_ask: now,
            until: now,
            isolates: 0,
            failing: false,
            accrued_at: None,
            accrued: [0; KINDS],
            known_pause: 0,
            asks: 0,
            answers: 0,
            failures: 0,
        }
    }

    pub fn until(&self) -> Millis {
        self.until
    }

    pub fn falling_back(&self) -> bool {
        self.accrued_at.is_some()
    }

    pub fn rtt_ms(&self) -> f64 {
        self.rtt_ms
    }

    /// The next instant at which time alone may make an ask due or fail one (the host then
    /// calls [`tick`](Self::tick) and [`due`](Self::due)), if any is after `now`.
    /// `waiting`: whether jobs wait (falling back, their share accrues with time).
    pub fn next_wake(&self, now: Millis, waiting: bool) -> Option<Millis> {
        if let Some(sent) = self.sent {
            return Some(sent.at + SLOW_MS + 1);
        }
        let renew = (self.until != Millis::MAX).then(|| (self.until as f64 - self.rtt_ms - MARGIN_MS).max(0.0) as Millis);
        let accrue = (waiting && (self.failing || self.falling_back())).then_some(now + FALLBACK_TICK_MS);
        [Some(self.next_ask), renew, accrue].into_iter().flatten().filter(|&t| t > now).min()
    }

    /// Learns the demand from what arrived so far (spent plus waiting, cumulative per kind):
    /// spending alone would lag a burst.
    pub fn observe(&mut self, now: Millis, arrived: [i64; KINDS]) {
        let Some(seen_at) = self.seen_at else {
            (self.seen_at, self.arrived) = (Some(now), arrived);
            return;
        };
        if now <= seen_at {
            return;
        }
        let dt = (now - seen_at) as f64;
        // exp(-dt / tau), to first order (no libm in the .wasm for this).
        let keep = DEMAND_TAU_MS / (DEMAND_TAU_MS + dt);
        for k in 0..KINDS {
            let came = arrived[k].wrapping_sub(self.arrived[k]).max(0) as f64;
            self.rate[k] = self.rate[k] * keep + (1.0 - keep) * came / dt;
        }
        (self.seen_at, self.arrived) = (Some(now), arrived);
    }

    /// What to hold: what waits, plus the recent demand over the limit's horizon (see
    /// [`horizon_ms`]) and a round trip.
    fn want(&self, need: &[u64; KINDS]) -> [u64; KINDS] {
        std::array::from_fn(|k| self.limits[k].map_or(0, |l| want_of(l, need[k], self.rate[k], self.rtt_ms)))
    }

    /// The shortest horizon of the limits.
    fn horizon(&self) -> u64 {
        self.limits.iter().flatten().map(|l| horizon_ms(l.limit, l.capacity, l.window_ms)).min().unwrap_or(AHEAD_MS)
    }

    /// Whether to ask now, given what the buckets hold, what the waiting jobs need, and until
    /// when the limiter's own gate is closed (a Retry-After to pass on).
    pub fn due(&self, now: Millis, held: &[i64; KINDS], need: &[u64; KINDS], gate_until: Option<Millis>) -> bool {
        if self.sent.is_some() {
            return false;
        }
        if gate_until.is_some_and(|until| until > self.known_pause.max(now)) {
            return true;
        }
        if now < self.next_ask {
            return false;
        }
        let ahead = self.rtt_ms + MARGIN_MS;
        let expiring = !self.falling_back() && now as f64 + ahead >= self.until as f64;
        (0..KINDS).any(|k| {
            self.limits[k].is_some() && {
                // Whole tokens: a demand that faded to a trickle asks for nothing.
                let demand = need[k] as i64 + (self.rate[k] * ahead).round() as i64;
                (demand > 0 && held[k] < demand) || (expiring && held[k] != 0)
            }
        })
    }

    /// The ask to send now (call when [`due`](Self::due)); its number goes back with the answer.
    pub fn ask(&mut self, now: Millis, held: &[i64; KINDS], need: &[u64; KINDS], gate_until: Option<Millis>) -> (u64, Ask) {
        self.seq += 1;
        self.asks += 1;
        let want = self.want(need);
        self.sent = Some(Sent { seq: self.seq, at: now, held: *held, want });
        let pause_ms = gate_until.filter(|&u| u > self.known_pause.max(now)).map_or(0, |u| u - now);
        if pause_ms > 0 {
            self.known_pause = now + pause_ms;
        }
        // Falling back, what the buckets hold is the isolate's own share, not the coordinator's:
        // only debts are reported (the answer still replaces the whole holding).
        let reported = if self.falling_back() { held.map(|h| h.min(0)) } else { *held };
        (self.seq, Ask { held: reported, want, pause_ms })
    }

    /// Applies the answer to ask `seq`; `None` when that ask was already given up for failed.
    pub fn granted(&mut self, now: Millis, seq: u64, grant: &Grant) -> Option<Applied> {
        let sent = self.sent.filter(|s| s.seq == seq)?;
        self.sent = None;
        self.answers += 1;
        let trip = now.saturating_sub(sent.at) as f64;
        self.rtt_ms = if self.answers == 1 { trip } else { 0.8 * self.rtt_ms + 0.2 * trip };
        self.failing = false;
        self.accrued_at = None;
        self.accrued = [0; KINDS];
        self.isolates = grant.isolates;
        self.until = sent.at + grant.lease_ms;
        // Short of what it wanted (capacity is scarce), the isolate asks again only a horizon
        // later: the coordinator's bucket gathers meanwhile, and each ask brings a share of a
        // horizon's flow however many isolates wait (asking sooner would bring crumbs).
        let short = (0..KINDS).any(|k| grant.lease[k] < sent.want[k]);
        // Given nothing at all, it asks again sooner: its share comes as the bucket refills.
        let nothing = grant.lease.iter().all(|&l| l == 0);
        self.next_ask = match (short, nothing) {
            (false, _) => now,
            (true, true) => now + RETRY_MS,
            (true, false) => now + self.horizon().max(RETRY_MS),
        };
        let pause_until = (grant.pause_ms > 0).then(|| now + grant.pause_ms);
        if let Some(until) = pause_until {
            self.known_pause = self.known_pause.max(until);
        }
        let delta = std::array::from_fn(|k| grant.lease[k] as i64 - sent.held[k]);
        Some(Applied { delta, until: self.until, pause_until })
    }

    /// Ask `seq` failed (an error, or no answer): the lease runs out as granted.
    pub fn failed(&mut self, now: Millis, seq: u64) {
        if self.sent.is_some_and(|s| s.seq == seq) {
            self.sent = None;
            self.failures += 1;
            self.failing = true;
            self.next_ask = now + RETRY_MS;
        }
    }

    /// Moves on with time: gives up an exchange that is too slow, and while falling back,
    /// returns the share that accrued (to add to the buckets, which hold `held`).
    pub fn tick(&mut self, now: Millis, held: &[i64; KINDS]) -> Option<[i64; KINDS]> {
        if let Some(sent) = self.sent.filter(|s| now.saturating_sub(s.at) > SLOW_MS) {
            self.failed(now, sent.seq);
        }
        if !self.failing || (!self.falling_back() && now < self.until) {
            return None;
        }
        let from = *self.accrued_at.get_or_insert(self.until.min(now));
        self.until = Millis::MAX;
        self.accrued_at = Some(now);
        let n = if self.isolates == 0 { FALLBACK_DIVISOR_UNKNOWN } else { self.isolates } as u128;
        let dt = now.saturating_sub(from) as u128;
        let mut delta = [0; KINDS];
        for k in 0..KINDS {
            if let Some(l) = self.limits[k] {
                delta[k] = accrue(&mut self.accrued[k], l, dt, n, held[k]);
            }
        }
        Some(delta)
    }
}

/// What to hold of one limit (see [`Borrower::want`]). Never inlined (see `local::whole`).
#[inline(never)]
fn want_of(l: Limit, need: u64, rate: f64, rtt_ms: f64) -> u64 {
    let ahead = horizon_ms(l.limit, l.capacity, l.window_ms) as f64;
    (need + (rate * (ahead + rtt_ms)).round() as u64).min(l.capacity)
}

/// The own share of one limit that accrued over `dt` (carrying the fraction in `accrued`), up
/// to `1/n` of its burst held. Never inlined (see `local::whole`).
#[inline(never)]
fn accrue(accrued: &mut u128, l: Limit, dt: u128, n: u128, held: i64) -> i64 {
    *accrued += l.limit as u128 * dt;
    let per_token = l.window_ms as u128 * n;
    let tokens = *accrued / per_token;
    *accrued -= tokens * per_token;
    let room = ((l.capacity as u128 / n).max(1) as i64 - held.max(0)).max(0);
    (tokens as i64).min(room)
}

#[cfg(test)]
mod tests {
    use super::*;

    const RPM: usize = 0;

    fn borrower() -> Borrower {
        // 6 000 a minute (100 a second), 600 at once.
        Borrower::new(&[(LimitKind::RequestsPerMinute, 6_000, 600)], 0)
    }

    fn one(n: i64) -> [i64; KINDS] {
        let mut a = [0; KINDS];
        a[RPM] = n;
        a
    }

    fn need(n: u64) -> [u64; KINDS] {
        let mut a = [0; KINDS];
        a[RPM] = n;
        a
    }

    fn grant(n: u64, isolates: u32) -> Grant {
        let mut g = Grant { lease_ms: 2_000, isolates, ..Grant::default() };
        g.lease[RPM] = n;
        g
    }

    #[test]
    fn an_idle_isolate_does_not_ask() {
        let b = borrower();
        assert!(!b.due(0, &one(0), &need(0), None));
    }

    #[test]
    fn waiting_jobs_ask_and_the_answer_replaces_what_was_held() {
        let mut b = borrower();
        assert!(b.due(0, &one(0), &need(5), None));
        let (seq, ask) = b.ask(0, &one(0), &need(5), None);
        assert_eq!((ask.held[RPM], ask.want[RPM]), (0, 5));
        assert!(!b.due(1, &one(0), &need(5), None), "one exchange at a time");
        let applied = b.granted(40, seq, &grant(5, 3)).unwrap();
        assert_eq!((applied.delta[RPM], applied.until), (5, 2_000));
        assert_eq!(b.rtt_ms(), 40.0);
    }

    #[test]
    fn a_busy_isolate_asks_for_a_second_of_demand_ahead() {
        let mut b = borrower();
        // 50 jobs a second for 10 s.
        for t in 0..=100u64 {
            b.observe(t * 100, one(t as i64 * 5));
        }
        let (_, ask) = b.ask(10_000, &one(0), &need(0), None);
        // About 50 × (1 s + the first round trip of 50 ms), less what the estimate lags.
        assert!((45..=53).contains(&ask.want[RPM]), "{}", ask.want[RPM]);
    }

    #[test]
    fn asks_before_the_lease_runs_out_at_the_recent_demand() {
        let mut b = borrower();
        for t in 0..=100u64 {
            b.observe(t * 100, one(t as i64 * 5));
        }
        let (seq, _) = b.ask(9_990, &one(0), &need(0), None);
        b.granted(10_000, seq, &grant(100, 1));
        // 50 a second, a round trip (10 ms) plus margin: 5 whole jobs' worth.
        assert!(!b.due(10_000, &one(5), &need(0), None));
        assert!(b.due(10_000, &one(4), &need(0), None));
    }

    #[test]
    fn a_short_answer_holds_the_next_ask_back() {
        let mut b = borrower();
        let (seq, _) = b.ask(0, &one(0), &need(50), None);
        b.granted(10, seq, &grant(10, 2));
        // The burst lasts 6 s: a horizon of a second.
        assert!(!b.due(10 + 999, &one(0), &need(40), None));
        assert!(b.due(10 + 1_000, &one(0), &need(40), None));
    }

    #[test]
    fn a_pause_is_reported_once() {
        let mut b = borrower();
        assert!(b.due(0, &one(0), &need(0), Some(1_000)));
        let (seq, ask) = b.ask(0, &one(0), &need(0), Some(1_000));
        assert_eq!(ask.pause_ms, 1_000);
        b.granted(5, seq, &grant(0, 1));
        assert!(!b.due(5, &one(0), &need(0), Some(1_000)));
    }

    #[test]
    fn a_late_answer_is_ignored_and_the_isolate_falls_back_after_the_lease() {
        let mut b = borrower();
        let (seq, _) = b.ask(0, &one(0), &need(5), None);
        b.granted(10, seq, &grant(5, 4)); // until 2 000, four isolates
        let (seq, _) = b.ask(900, &one(0), &need(5), None);
        assert_eq!(b.tick(900 + SLOW_MS + 1, &one(0)), None, "the lease still runs");
        assert_eq!(b.granted(2_600, seq, &grant(100, 4)), None);
        // From 2 000 on, a quarter of 100 a second, from empty.
        let accrued = b.tick(3_000, &one(0)).unwrap();
        assert_eq!(accrued[RPM], 25);
        assert!(b.falling_back());
        // No more than a quarter of the burst is held.
        let accrued = b.tick(10_000, &one(140)).unwrap();
        assert_eq!(accrued[RPM], 10);
    }

    #[test]
    fn an_answer_ends_the_fallback_and_replaces_the_own_share() {
        let mut b = borrower();
        let (seq, _) = b.ask(0, &one(0), &need(5), None);
        b.failed(0, seq);
        b.tick(1_000, &one(0)).unwrap(); // 1/8 of 100 a second for 1 s: 12
        assert!(b.due(1_000, &one(12), &need(50), None));
        let (seq, ask) = b.ask(1_000, &one(12), &need(50), None);
        assert_eq!(ask.held[RPM], 0, "the own share is not the coordinator's");
        let applied = b.granted(1_020, seq, &grant(30, 3)).unwrap();
        assert_eq!(applied.delta[RPM], 30 - 12);
        assert!(!b.falling_back());
        assert_eq!(applied.until, 3_000);
    }
}
