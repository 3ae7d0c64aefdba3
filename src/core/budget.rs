//! The rate budget: one token bucket per limit the user set or the provider announced.
//! An attempt reserves its estimate from every bucket on admission and settles against
//! its real usage when it ends: unused tokens come back, overuse becomes a debt.

use super::bucket::Bucket;
use super::cost::{Cost, Resource, Usage};
use super::feedback::{Feedback, Observation};
use super::limit_kind::{LimitKind, Limits, DAY_MS, MINUTE_MS};
use super::refusal::{lesson, Lesson};
use super::time::Millis;

/// The share of a window's limit that may go out at once, in millionths (1_000_000 = all of it).
pub type BurstPpm = u32;
pub const FULL_BURST: BurstPpm = 1_000_000;

/// The tokens a bucket for `limit` holds at once under `burst`: at least one.
pub fn burst_capacity(limit: u64, burst: BurstPpm) -> u64 {
    ((limit as u128 * burst as u128 / FULL_BURST as u128) as u64).max(1)
}

/// An estimate larger than a bucket can ever hold: it could never be admitted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TooLarge {
    pub limit: LimitKind,
    pub amount: u64,
    pub capacity: u64,
}

/// How full one bucket is, for stats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LimitState {
    pub kind: LimitKind,
    pub limit: u64,
    pub window_ms: u64,
    pub capacity: u64,
    pub available: i64,
    /// Learned from the provider's headers rather than set by the user.
    pub learned: bool,
}

/// Amounts charged so far, less what was given back, per [`Resource`]: what a response's
/// `remaining` may not have seen.
pub type Ledger = [i64; 4];

/// How long a request is assumed to take to reach the provider, by default: its refill is lost
/// while the provider's bucket is full, and a response's `remaining` is credited refill only
/// from then.
pub const TRANSIT_MS: u64 = 250;

/// 429s short of tokens sluice held before it concludes that the provider keeps the unused part
/// of reservations: one or two can come of estimates that are right only on average.
const KEEPS_UNUSED_AFTER: u32 = 3;

/// A response's limit is taken for a daily one when its bucket refills this slowly.
const DAILY_IF_WINDOW_OVER_MS: u64 = 3 * 3_600_000;

/// The longest window (IETF `w`) or reset a response is believed to state: the limits sluice
/// models are per minute or per day, so anything longer is read as a day.
pub const MAX_WINDOW_MS: u64 = DAY_MS;

/// A learned limit that no response restated for this long is forgotten: a response that
/// taught a wrong limit (a proxy's, a hostile one) holds work back for at most this long
/// after the last response that said it.
pub const LEARNED_LIMIT_TTL_MS: u64 = 60 * MINUTE_MS;

/// In one window, a bucket that started full serves at most its capacity plus a window's
/// refill: twice its limit. So a learned limit is never below half of what the provider was
/// seen to serve within one of its windows, nor below the largest single request it served
/// (providers refuse a request larger than the limit).
const SERVED_PER_LIMIT: u64 = 2;

/// What the provider served in the current fixed window of one limit kind (attempts that
/// succeeded, each at the smaller of its reservation and its reported usage): evidence that
/// its limit is not lower.
#[derive(Clone, Copy, Debug, Default)]
struct Served {
    since: Millis,
    amount: u64,
    largest: u64,
}

impl Served {
    /// The least the limit can be.
    fn floor(&self) -> u64 {
        self.amount.div_ceil(SERVED_PER_LIMIT).max(self.largest)
    }
}

#[derive(Clone, Debug)]
pub struct Budget {
    burst: BurstPpm,
    buckets: [Option<Bucket>; 6],
    /// Limits the user set: the provider's headers correct their level, never their size.
    fixed: [bool; 6],
    ledger: Ledger,
    transit_ms: u64,
    /// Whether the provider keeps the unused part of a reservation (`max_tokens` beyond the
    /// real output): learned from a 429 that says a token bucket was short.
    keeps_unused: bool,
    /// Lease mode (see `lease::local`): the buckets hold only what a coordinator granted, which
    /// may be spent until this time; they never refill by themselves.
    pub(crate) leased_until: Option<Millis>,
    /// When a response last stated each learned limit.
    stated_at: [Millis; 6],
    served: [Served; 6],
    /// The time of the last refill.
    now: Millis,
    /// When the last 429 that said nothing came, and whether the provider took an attempt
    /// started since (see [`refused`](Self::refused)).
    bare_refusal_at: Option<Millis>,
    taken_since_bare: bool,
    /// 429s whose remaining count was short of what sluice held for the attempt.
    short_refusals: u32,
}

impl Budget {
    /// `transit_ms`: how long a request takes to reach the provider (see [`TRANSIT_MS`]).
    pub fn new(limits: &Limits, burst: BurstPpm, transit_ms: u64, now: Millis) -> Self {
        let mut budget = Budget {
            burst,
            buckets: Default::default(),
            fixed: [false; 6],
            ledger: [0; 4],
            transit_ms,
            keeps_unused: false,
            stated_at: [now; 6],
            served: [Served { since: now, ..Served::default() }; 6],
            now,
            bare_refusal_at: None,
            taken_since_bare: false,
            short_refusals: 0,
            leased_until: None,
        };
        for (kind, limit) in limits.iter() {
            budget.set_limit(kind, limit, now);
            budget.fixed[kind.index()] = true;
        }
        budget
    }

    pub fn ledger(&self) -> Ledger {
        self.ledger
    }

    /// Counts what was charged (`sign` 1) or given back (-1).
    fn record(&mut self, sign: i64, amount: impl Fn(Resource) -> u64) {
        for r in [Resource::Requests, Resource::Tokens, Resource::InputTokens, Resource::OutputTokens] {
            // Wrapping: only differences are ever read, and they stay exact.
            self.ledger[r as usize] = self.ledger[r as usize].wrapping_add(sign.wrapping_mul(amount(r) as i64));
        }
    }

    /// The provider keeps what a request reserved and did not use (OpenAI may keep the unused
    /// `max_tokens`): from now on nothing unused is given back, here or in the ledger. Until a
    /// 429 proves it, sluice gives back what a provider like Anthropic gives back.
    pub fn keep_unused(&mut self) {
        self.keeps_unused = true;
    }

    pub fn keeps_unused(&self) -> bool {
        self.keeps_unused
    }

    fn active(&self) -> impl Iterator<Item = (LimitKind, &Bucket)> {
        LimitKind::ALL.into_iter().filter_map(|k| self.buckets[k.index()].as_ref().map(|b| (k, b)))
    }

    pub(crate) fn active_mut(&mut self) -> impl Iterator<Item = (LimitKind, &mut Bucket)> {
        LimitKind::ALL.into_iter().zip(self.buckets.iter_mut()).filter_map(|(k, b)| b.as_mut().map(|b| (k, b)))
    }

    pub fn bucket(&self, kind: LimitKind) -> Option<&Bucket> {
        self.buckets[kind.index()].as_ref()
    }

    /// Sets or changes a limit. A new bucket starts full; a changed one keeps its level.
    pub fn set_limit(&mut self, kind: LimitKind, limit: u64, now: Millis) {
        let capacity = burst_capacity(limit, self.burst);
        match &mut self.buckets[kind.index()] {
            Some(bucket) => {
                bucket.refill(now);
                bucket.set_limit(limit, capacity);
            }
            slot @ None => *slot = Some(Bucket::new(limit, kind.window_ms(), capacity, now).with_transit(self.transit_ms)),
        }
    }

    /// Sets a limit as the user's own (at run time: an account moved to another tier): the
    /// headers correct its level from then on, never its size.
    pub fn set_fixed_limit(&mut self, kind: LimitKind, limit: u64, now: Millis) {
        self.set_limit(kind, limit, now);
        self.fixed[kind.index()] = true;
    }

    /// Moves every bucket on to `now`, and forgets the learned limits no response restated
    /// for [`LEARNED_LIMIT_TTL_MS`].
    pub fn refill(&mut self, now: Millis) {
        self.now = self.now.max(now);
        if let Some(until) = self.leased_until {
            self.expire_lease(until, now);
            return;
        }
        for kind in LimitKind::ALL {
            if !self.fixed[kind.index()] && self.expires_in(kind) == 0 {
                self.buckets[kind.index()] = None;
            }
        }
        for (_, bucket) in self.active_mut() {
            bucket.refill(now);
        }
    }

    /// Milliseconds until a learned limit is forgotten (`u64::MAX` for one the user set).
    fn expires_in(&self, kind: LimitKind) -> u64 {
        if self.fixed[kind.index()] {
            return u64::MAX;
        }
        self.stated_at[kind.index()].saturating_add(LEARNED_LIMIT_TTL_MS).saturating_sub(self.now)
    }

    /// Records an attempt that succeeded: the provider admitted its reservation (`reserved`,
    /// or its real usage if smaller: a reported usage alone proves nothing). A learned limit
    /// below what that proves (see [`SERVED_PER_LIMIT`]) is raised; returns the limits that
    /// changed.
    pub fn served(&mut self, reserved: &Cost, actual: &Cost, now: Millis) -> Vec<LimitState> {
        let mut raised = Vec::new();
        for kind in LimitKind::ALL {
            let window = self.bucket(kind).map_or(kind.window_ms(), Bucket::window_ms);
            let served = &mut self.served[kind.index()];
            if now.saturating_sub(served.since) >= window {
                *served = Served { since: now, ..Served::default() };
            }
            let proven = reserved.amount(kind.resource()).min(actual.amount(kind.resource()));
            served.amount = served.amount.saturating_add(proven);
            served.largest = served.largest.max(proven);
            let floor = served.floor();
            if self.fixed[kind.index()] || self.bucket(kind).map_or(true, |b| b.limit() >= floor) {
                continue;
            }
            self.set_limit(kind, floor, now);
            raised.extend(self.state(kind));
        }
        raised
    }

    /// The least a learned limit of `kind` over `window` can be: what the provider was seen to
    /// serve in the current window.
    fn served_floor(&self, kind: LimitKind, window: u64, now: Millis) -> u64 {
        let served = self.served[kind.index()];
        if now.saturating_sub(served.since) >= window {
            return 0;
        }
        served.floor()
    }

    fn state(&self, kind: LimitKind) -> Option<LimitState> {
        self.states().into_iter().find(|s| s.kind == kind)
    }

    /// The first bucket that could never hold `cost`, if any.
    pub fn too_large(&self, cost: &Cost) -> Option<TooLarge> {
        self.active().find_map(|(kind, b)| {
            let amount = cost.amount(kind.resource());
            (amount > b.capacity()).then_some(TooLarge { limit: kind, amount, capacity: b.capacity() })
        })
    }

    pub fn fits(&self, cost: &Cost) -> bool {
        self.active().all(|(kind, b)| b.fits(cost.amount(kind.resource())))
    }

    /// Takes `cost` at `now` (after [`refill`](Self::refill)`(now)`).
    pub fn take(&mut self, cost: &Cost, now: Millis) {
        self.record(1, |r| cost.amount(r));
        for (kind, bucket) in self.active_mut() {
            bucket.take(cost.amount(kind.resource()), now);
        }
    }

    /// Gives back `cost` in full (an attempt the provider refused before doing any work).
    pub fn give_back(&mut self, cost: &Cost) {
        self.record(-1, |r| cost.amount(r));
        for (kind, bucket) in self.active_mut() {
            bucket.give_back(cost.amount(kind.resource()));
        }
    }

    /// Takes the per-minute buckets of `resource` (all of them for `None`; tokens for the input
    /// and output ones too) for empty: the provider refused, and said no more. A daily bucket is
    /// left alone: emptying it on a guess would stop the limiter for a day.
    fn empty(&mut self, resource: Option<Resource>) {
        for (kind, bucket) in self.active_mut() {
            let r = kind.resource();
            let hit = match resource {
                None => true,
                Some(Resource::Tokens) => r != Resource::Requests,
                Some(named) => r == named,
            };
            if hit && kind.window_ms() < DAY_MS {
                bucket.lower_to(0);
            }
        }
    }

    /// Learns from a 429 to an attempt that reserved `cost` what its [`lesson`] teaches. Remaining
    /// counts correct the levels (through [`observe`](Self::observe)); when they say a token
    /// bucket was short of what sluice held for it, [`KEEPS_UNUSED_AFTER`] times, the provider
    /// keeps the unused part of reservations.
    /// A named limit's per-minute buckets are empty. A 429 that says nothing takes the per-minute
    /// buckets for empty only when the provider took an attempt since the last such 429: a first one
    /// may be an outage, during which the provider's buckets keep refilling.
    pub fn refused(&mut self, feedback: &Feedback, cost: &Cost, now: Millis) {
        match lesson(feedback) {
            Lesson::Counts => {
                if feedback.observations.iter().any(|o| short_of_tokens(o, cost)) {
                    self.short_refusals += 1;
                    if self.short_refusals >= KEEPS_UNUSED_AFTER {
                        self.keep_unused();
                    }
                }
            }
            Lesson::Named(named) => self.empty(Some(named)),
            Lesson::Bare => {
                if self.taken_since_bare {
                    self.empty(None);
                }
                self.bare_refusal_at = Some(now);
                self.taken_since_bare = false;
            }
        }
    }

    /// The provider took an attempt started at `started_at` (it ended well).
    pub fn accepted(&mut self, started_at: Millis) {
        if self.bare_refusal_at.is_some_and(|at| started_at >= at) {
            self.taken_since_bare = true;
        }
    }

    /// Applies what a response said about one limit. The provider's `remaining` counted up to
    /// the attempt's admission at `started_at`; `charged_since` is what other attempts took
    /// since (this attempt's own settling left out: a provider may not refund as sluice does),
    /// and comes off it, less what refilled. Only ever lowers a level; learns the limit itself
    /// where the user set none. Returns the limit if it changed.
    pub fn observe(&mut self, o: &Observation, charged_since: &Ledger, started_at: Millis, now: Millis) -> Option<LimitState> {
        // Leased, the coordinator is the authority: the headers speak of the whole account.
        if self.leased_until.is_some() {
            return None;
        }
        let resource = o.resource?;
        // A window or a limit of 0 says nothing (the parser never reads one; a host might).
        let window = o.window_ms.filter(|&w| w > 0).unwrap_or_else(|| infer_window(o)).min(MAX_WINDOW_MS);
        let daily = window >= DAY_MS;
        let kind = match resource {
            Resource::Requests if daily => LimitKind::RequestsPerDay,
            Resource::Requests => LimitKind::RequestsPerMinute,
            Resource::Tokens if daily => LimitKind::TokensPerDay,
            Resource::Tokens => LimitKind::TokensPerMinute,
            Resource::InputTokens => LimitKind::InputTokensPerMinute,
            Resource::OutputTokens => LimitKind::OutputTokensPerMinute,
        };
        let window = if daily { DAY_MS } else { window };
        let mut changed = None;
        if let Some(stated) = o.limit.filter(|&l| l > 0 && !self.fixed[kind.index()]) {
            // A bucket holds no more than its limit, and the provider served what it served.
            let limit = stated.max(o.remaining.unwrap_or(0)).max(self.served_floor(kind, window, now));
            self.stated_at[kind.index()] = now;
            let capacity = burst_capacity(limit, self.burst);
            let slot = &mut self.buckets[kind.index()];
            match slot {
                Some(b) if b.window_ms() == window && b.limit() == limit => {}
                Some(b) if b.window_ms() == window => {
                    b.refill(now);
                    b.set_limit(limit, capacity);
                    changed = Some(kind);
                }
                _ => {
                    *slot = Some(Bucket::new(limit, window, capacity, now).with_transit(self.transit_ms));
                    changed = Some(kind);
                }
            }
        }
        if let (Some(remaining), Some(bucket)) = (o.remaining, self.buckets[kind.index()].as_mut()) {
            bucket.refill(now);
            let refilled = bucket.refill_over(now.saturating_sub(started_at.saturating_add(self.transit_ms)));
            bucket.lower_to((remaining as i128).saturating_add(refilled).saturating_sub(charged_since[resource as usize] as i128));
        }
        changed.and_then(|kind| self.state(kind))
    }

    /// Settles a reservation against the real usage: refunds what was not used, charges
    /// what was used beyond it as a debt.
    pub fn settle(&mut self, reserved: &Cost, usage: Usage) {
        let actual = reserved.actual(usage);
        let keeps_unused = self.keeps_unused;
        self.record(1, |r| actual.amount(r).saturating_sub(reserved.amount(r)));
        if !keeps_unused {
            self.record(-1, |r| reserved.amount(r).saturating_sub(actual.amount(r)));
        }
        let fixed = self.fixed;
        for (kind, bucket) in self.active_mut() {
            let held = reserved.amount(kind.resource());
            let mut used = actual.amount(kind.resource());
            if !fixed[kind.index()] {
                // No request uses more than the provider's limit for a window (it refuses
                // larger ones): a larger reported usage is not believed.
                used = used.min(held.max(bucket.limit()));
            }
            if used > held {
                bucket.charge_capped(used - held);
            } else if !keeps_unused {
                bucket.give_back(held - used);
            }
        }
    }

    /// Milliseconds until `cost` fits in every bucket, assuming `returning` comes back meanwhile.
    /// `None` when it never can.
    pub fn wait_for(&self, cost: &Cost, returning: &Cost) -> Option<u64> {
        self.longest(cost, returning, true)
    }

    /// Milliseconds until the budget has let `cost` through, even beyond its capacity (a line of
    /// jobs, one after another), assuming `returning` comes back meanwhile.
    pub fn serve_time(&self, cost: &Cost, returning: &Cost) -> Option<u64> {
        self.longest(cost, returning, false)
    }

    /// The longest wait of any bucket (`capped`: `None` when `cost` exceeds a capacity).
    #[inline(never)] // one copy for both callers: it weighs on the .wasm
    fn longest(&self, cost: &Cost, returning: &Cost, capped: bool) -> Option<u64> {
        self.active().try_fold(0, |longest, (kind, b)| {
            let (r, amount) = (kind.resource(), cost.amount(kind.resource()));
            let wait = if capped { b.wait_for(amount, returning.amount(r)) } else { b.serve_time(amount, returning.amount(r)) };
            // A learned limit is forgotten when it expires: it holds nothing back past then.
            let wait = wait.map(|w| w.min(self.expires_in(kind)));
            wait.map(|w| longest.max(w))
        })
    }

    pub fn states(&self) -> Vec<LimitState> {
        self.active()
            .map(|(kind, b)| LimitState {
                kind,
                limit: b.limit(),
                window_ms: b.window_ms(),
                capacity: b.capacity(),
                available: b.available(),
                learned: !self.fixed[kind.index()],
            })
            .collect()
    }
}

/// Whether `o` says a token bucket held less than `cost` needs of it.
fn short_of_tokens(o: &Observation, cost: &Cost) -> bool {
    match (o.resource, o.remaining) {
        (Some(r @ (Resource::Tokens | Resource::InputTokens | Resource::OutputTokens)), Some(remaining)) => {
            remaining < cost.amount(r)
        }
        _ => false,
    }
}

/// The window of a limit whose headers do not state it: a minute, unless its bucket refills so
/// slowly that it must be a daily one (the reset is the time until full again).
fn infer_window(o: &Observation) -> u64 {
    if let (Some(limit), Some(remaining), Some(reset)) = (o.limit, o.remaining, o.reset_ms) {
        if remaining < limit {
            let implied = reset.min(MAX_WINDOW_MS) as u128 * limit as u128 / (limit - remaining) as u128;
            if implied > DAILY_IF_WINDOW_OVER_MS as u128 {
                return DAY_MS;
            }
        }
    }
    MINUTE_MS
}

#[cfg(test)]
mod tests {
    use super::*;

    fn budget() -> Budget {
        Budget::new(&Limits::new([(LimitKind::RequestsPerMinute, 60), (LimitKind::TokensPerMinute, 6_000)]).unwrap(), FULL_BURST, 0, 0)
    }

    #[test]
    fn burst_is_a_share_of_the_limit() {
        assert_eq!(burst_capacity(90_000, FULL_BURST), 90_000);
        assert_eq!(burst_capacity(90_000, 100_000), 9_000);
        assert_eq!(burst_capacity(3, 100_000), 1);
    }

    #[test]
    fn the_binding_bucket_sets_the_wait() {
        let mut b = budget();
        b.take(&Cost::total(6_000), 0);
        // tokens refill 100 a second; requests are plentiful.
        assert_eq!(b.wait_for(&Cost::total(1_000), &Cost::default()), Some(10_000));
        assert_eq!(b.wait_for(&Cost::total(1_000), &Cost::total(1_000)), Some(0));
    }

    #[test]
    fn too_large_names_the_bucket() {
        let b = budget();
        let err = b.too_large(&Cost::total(6_001)).unwrap();
        assert_eq!((err.limit, err.amount, err.capacity), (LimitKind::TokensPerMinute, 6_001, 6_000));
        assert!(b.too_large(&Cost::total(6_000)).is_none());
    }

    #[test]
    fn settle_refunds_and_charges_exactly() {
        let mut b = budget();
        let reserved = Cost::total(1_000);
        b.take(&reserved, 0);
        b.settle(&reserved, Usage { input: 300, output: 200 });
        assert_eq!(b.bucket(LimitKind::TokensPerMinute).unwrap().available(), 5_500);
        b.take(&reserved, 0);
        b.settle(&reserved, Usage { input: 5_000, output: 1_000 });
        assert_eq!(b.bucket(LimitKind::TokensPerMinute).unwrap().available(), -500);
        assert_eq!(b.bucket(LimitKind::RequestsPerMinute).unwrap().available(), 58);
    }

    #[test]
    fn input_and_output_settle_apart() {
        let mut b = Budget::new(
            &Limits::new([(LimitKind::InputTokensPerMinute, 1_000), (LimitKind::OutputTokensPerMinute, 1_000)]).unwrap(),
            FULL_BURST,
            0,
            0,
        );
        let reserved = Cost::split(100, 400);
        b.take(&reserved, 0);
        b.settle(&reserved, Usage { input: 150, output: 50 });
        assert_eq!(b.bucket(LimitKind::InputTokensPerMinute).unwrap().available(), 850);
        assert_eq!(b.bucket(LimitKind::OutputTokensPerMinute).unwrap().available(), 950);
    }

    fn seen(resource: Resource, limit: Option<u64>, remaining: Option<u64>, reset_ms: Option<u64>) -> Observation {
        Observation { resource: Some(resource), limit, remaining, reset_ms, window_ms: None }
    }

    #[test]
    fn learns_a_limit_the_user_did_not_set() {
        let mut b = Budget::new(&Limits::default(), FULL_BURST, 0, 0);
        let since = [0; 4];
        let change = b.observe(&seen(Resource::Requests, Some(500), Some(499), Some(120)), &since, 0, 0).unwrap();
        assert_eq!((change.kind, change.limit, change.capacity, change.available), (LimitKind::RequestsPerMinute, 500, 500, 499));
        assert!(change.learned);
        // The same limit again is no change.
        assert!(b.observe(&seen(Resource::Requests, Some(500), Some(499), None), &since, 0, 0).is_none());
    }

    #[test]
    fn keeps_the_users_limit_but_corrects_its_level() {
        let mut b = budget();
        let since = [0; 4];
        assert!(b.observe(&seen(Resource::Tokens, Some(90_000), Some(1_000), None), &since, 0, 0).is_none());
        let t = b.bucket(LimitKind::TokensPerMinute).unwrap();
        assert_eq!((t.limit(), t.available()), (6_000, 1_000));
    }

    #[test]
    fn remaining_counts_what_was_charged_since_and_what_refilled() {
        let mut b = budget();
        b.take(&Cost::total(100), 0); // the observed attempt
        let at_start = b.ledger();
        b.take(&Cost::total(2_000), 0); // admitted after it: the provider's remaining did not count it
        let before_settling = b.ledger();
        b.settle(&Cost::total(100), Usage { input: 10, output: 10 }); // its own refund is left out
        let since: Ledger = std::array::from_fn(|i| before_settling[i] - at_start[i]);
        // At 10 s the provider's answer (computed at 0 s) says 5_000 remain.
        b.observe(&seen(Resource::Tokens, None, Some(5_000), None), &since, 0, 10_000);
        // 5_000 + 1_000 refilled − 2_000 charged since.
        assert_eq!(b.bucket(LimitKind::TokensPerMinute).unwrap().available(), 4_000);
    }

    #[test]
    fn a_slow_reset_means_a_daily_limit() {
        let mut b = Budget::new(&Limits::default(), FULL_BURST, 0, 0);
        let since = [0; 4];
        // 200 a day, 150 left, full again in 6 hours: 50 per 6 hours.
        let change = b.observe(&seen(Resource::Requests, Some(200), Some(150), Some(6 * 3_600_000)), &since, 0, 0).unwrap();
        assert_eq!(change.kind, LimitKind::RequestsPerDay);
    }

    #[test]
    fn an_ietf_window_is_kept() {
        let mut b = Budget::new(&Limits::default(), FULL_BURST, 0, 0);
        let since = [0; 4];
        let o = Observation { window_ms: Some(1_000), ..seen(Resource::Requests, Some(10), Some(10), None) };
        let change = b.observe(&o, &since, 0, 0).unwrap();
        assert_eq!((change.kind, change.window_ms, change.capacity), (LimitKind::RequestsPerMinute, 1_000, 10));
        assert_eq!(b.wait_for(&Cost::total(0), &Cost::default()), Some(0));
    }

    #[test]
    fn a_provider_that_keeps_the_unused_part_gets_no_refunds() {
        let mut b = budget();
        b.keep_unused();
        let reserved = Cost::total(1_000);
        b.take(&reserved, 0);
        b.settle(&reserved, Usage { input: 100, output: 100 });
        assert_eq!(b.bucket(LimitKind::TokensPerMinute).unwrap().available(), 5_000);
        b.take(&reserved, 0);
        b.settle(&reserved, Usage { input: 1_000, output: 500 }); // debts still count
        assert_eq!(b.bucket(LimitKind::TokensPerMinute).unwrap().available(), 3_500);
    }

    #[test]
    fn what_a_429_teaches_the_buckets() {
        let limits = Limits::new([(LimitKind::RequestsPerMinute, 60), (LimitKind::TokensPerMinute, 6_000), (LimitKind::TokensPerDay, 100_000)]).unwrap();
        let levels = |b: &Budget| LimitKind::ALL.into_iter().filter_map(|k| b.bucket(k).map(|x| x.available())).collect::<Vec<_>>();
        let cost = Cost::total(100);
        let mut b = Budget::new(&limits, FULL_BURST, 0, 0);
        // Named: the per-minute token bucket only.
        b.refused(&Feedback { limit_named: Some(Resource::Tokens), ..Feedback::default() }, &cost, 0);
        assert_eq!(levels(&b), vec![60, 0, 100_000]);
        // Nothing but a Retry-After: no bucket, until the provider took an attempt since and refused again.
        let bare = Feedback { retry_after_ms: Some(1_000), ..Feedback::default() };
        let mut b = Budget::new(&limits, FULL_BURST, 0, 0);
        b.refused(&bare, &cost, 1_000);
        b.accepted(500); // started before that 429: no proof
        b.refused(&bare, &cost, 2_000);
        assert_eq!(levels(&b), vec![60, 6_000, 100_000]);
        b.accepted(2_500);
        b.refused(&bare, &cost, 3_000);
        assert_eq!(levels(&b), vec![0, 0, 100_000], "a daily bucket is never emptied on a guess");
    }
}
