//! The rate budget: one token bucket per limit the user set or the provider announced.
//! An attempt reserves its estimate from every bucket on admission and settles against
//! its real usage when it ends: unused tokens come back, overuse becomes a debt.

use super::bucket::Bucket;
use super::cost::{Cost, Resource, Usage};
use super::time::Millis;

pub const MINUTE_MS: u64 = 60_000;
pub const DAY_MS: u64 = 86_400_000;

/// The limits sluice knows, each a resource counted over a window.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LimitKind {
    RequestsPerMinute,
    TokensPerMinute,
    InputTokensPerMinute,
    OutputTokensPerMinute,
    RequestsPerDay,
    TokensPerDay,
}

impl LimitKind {
    pub const ALL: [LimitKind; 6] = [
        LimitKind::RequestsPerMinute,
        LimitKind::TokensPerMinute,
        LimitKind::InputTokensPerMinute,
        LimitKind::OutputTokensPerMinute,
        LimitKind::RequestsPerDay,
        LimitKind::TokensPerDay,
    ];

    pub fn index(self) -> usize {
        self as usize
    }

    pub fn resource(self) -> Resource {
        match self {
            LimitKind::RequestsPerMinute | LimitKind::RequestsPerDay => Resource::Requests,
            LimitKind::TokensPerMinute | LimitKind::TokensPerDay => Resource::Tokens,
            LimitKind::InputTokensPerMinute => Resource::InputTokens,
            LimitKind::OutputTokensPerMinute => Resource::OutputTokens,
        }
    }

    pub fn window_ms(self) -> u64 {
        match self {
            LimitKind::RequestsPerDay | LimitKind::TokensPerDay => DAY_MS,
            _ => MINUTE_MS,
        }
    }

    /// The name users know the limit by (the JS option name).
    pub fn name(self) -> &'static str {
        match self {
            LimitKind::RequestsPerMinute => "requestsPerMinute",
            LimitKind::TokensPerMinute => "tokensPerMinute",
            LimitKind::InputTokensPerMinute => "inputTokensPerMinute",
            LimitKind::OutputTokensPerMinute => "outputTokensPerMinute",
            LimitKind::RequestsPerDay => "requestsPerDay",
            LimitKind::TokensPerDay => "tokensPerDay",
        }
    }
}

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
    pub capacity: u64,
    pub available: i64,
}

#[derive(Clone, Debug)]
pub struct Budget {
    burst: BurstPpm,
    buckets: [Option<Bucket>; 6],
}

impl Budget {
    pub fn new(limits: &[(LimitKind, u64)], burst: BurstPpm, now: Millis) -> Self {
        let mut budget = Budget { burst, buckets: Default::default() };
        for &(kind, limit) in limits {
            budget.set_limit(kind, limit, now);
        }
        budget
    }

    fn active(&self) -> impl Iterator<Item = (LimitKind, &Bucket)> {
        LimitKind::ALL.into_iter().filter_map(|k| self.buckets[k.index()].as_ref().map(|b| (k, b)))
    }

    fn active_mut(&mut self) -> impl Iterator<Item = (LimitKind, &mut Bucket)> {
        LimitKind::ALL.into_iter().zip(self.buckets.iter_mut()).filter_map(|(k, b)| b.as_mut().map(|b| (k, b)))
    }

    pub fn has(&self, kind: LimitKind) -> bool {
        self.buckets[kind.index()].is_some()
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
            slot @ None => *slot = Some(Bucket::new(limit, kind.window_ms(), capacity, now)),
        }
    }

    /// Corrects a bucket's level to what the provider says remains.
    pub fn set_available(&mut self, kind: LimitKind, remaining: u64, now: Millis) {
        if let Some(bucket) = &mut self.buckets[kind.index()] {
            bucket.refill(now);
            bucket.set_available(remaining);
        }
    }

    pub fn refill(&mut self, now: Millis) {
        for (_, bucket) in self.active_mut() {
            bucket.refill(now);
        }
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

    pub fn take(&mut self, cost: &Cost) {
        for (kind, bucket) in self.active_mut() {
            bucket.take(cost.amount(kind.resource()));
        }
    }

    /// Gives back `cost` in full (an attempt the provider refused before doing any work).
    pub fn give_back(&mut self, cost: &Cost) {
        for (kind, bucket) in self.active_mut() {
            bucket.give_back(cost.amount(kind.resource()));
        }
    }

    /// Settles a reservation against the real usage: refunds what was not used, charges
    /// what was used beyond it as a debt.
    pub fn settle(&mut self, reserved: &Cost, usage: Usage) {
        let actual = reserved.actual(usage);
        for (kind, bucket) in self.active_mut() {
            let (held, used) = (reserved.amount(kind.resource()), actual.amount(kind.resource()));
            if used < held {
                bucket.give_back(held - used);
            } else {
                bucket.take(used - held);
            }
        }
    }

    /// Milliseconds until `cost` fits in every bucket, assuming `returning` comes back meanwhile.
    /// `None` when it never can.
    pub fn wait_for(&self, cost: &Cost, returning: &Cost) -> Option<u64> {
        self.active().try_fold(0, |longest, (kind, b)| {
            let r = kind.resource();
            b.wait_for(cost.amount(r), returning.amount(r)).map(|w| longest.max(w))
        })
    }

    pub fn states(&self) -> Vec<LimitState> {
        self.active()
            .map(|(kind, b)| LimitState { kind, limit: b.limit(), capacity: b.capacity(), available: b.available() })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn budget() -> Budget {
        Budget::new(&[(LimitKind::RequestsPerMinute, 60), (LimitKind::TokensPerMinute, 6_000)], FULL_BURST, 0)
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
        b.take(&Cost::total(6_000));
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
        b.take(&reserved);
        b.settle(&reserved, Usage { input: 300, output: 200 });
        assert_eq!(b.bucket(LimitKind::TokensPerMinute).unwrap().available(), 5_500);
        b.take(&reserved);
        b.settle(&reserved, Usage { input: 5_000, output: 1_000 });
        assert_eq!(b.bucket(LimitKind::TokensPerMinute).unwrap().available(), -500);
        assert_eq!(b.bucket(LimitKind::RequestsPerMinute).unwrap().available(), 58);
    }

    #[test]
    fn input_and_output_settle_apart() {
        let mut b = Budget::new(
            &[(LimitKind::InputTokensPerMinute, 1_000), (LimitKind::OutputTokensPerMinute, 1_000)],
            FULL_BURST,
            0,
        );
        let reserved = Cost::split(100, 400);
        b.take(&reserved);
        b.settle(&reserved, Usage { input: 150, output: 50 });
        assert_eq!(b.bucket(LimitKind::InputTokensPerMinute).unwrap().available(), 850);
        assert_eq!(b.bucket(LimitKind::OutputTokensPerMinute).unwrap().available(), 950);
    }
}
