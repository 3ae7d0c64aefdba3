//! A token bucket in exact integer arithmetic.
//!
//! The level is kept in *units* of `1 / window_ms` token, so a bucket that refills
//! `limit` tokens per `window_ms` gains exactly `limit` units per millisecond: no
//! floating point, no rounding drift, and refunds and debts settle to the unit.
//!
//! A bucket refills continuously (how OpenAI and Anthropic describe their limits) or,
//! in lease mode, only from capacity granted by an authority (see [`Bucket::leased`]).

use super::time::Millis;

/// The deepest debt a bucket runs, as the time its refill takes to repay it: overuse beyond it
/// is forgotten, so no reported usage (a hostile or garbled one: 2^53 tokens) delays what
/// follows by more than an hour. Real overuse is repaid long before (the provider's
/// `remaining` corrects the level anyway).
pub const MAX_DEBT_MS: u64 = 3_600_000;

#[derive(Clone, Debug)]
pub struct Bucket {
    /// Tokens added per window; 0 for a leased bucket.
    limit: u64,
    window_ms: u64,
    /// The most tokens the bucket holds at once: the burst.
    capacity: u64,
    /// Units (tokens × window_ms). Negative when usage outran the reservation: a debt.
    level: i128,
    updated_at: Millis,
    /// How long an admitted request takes to reach the provider (see [`with_transit`](Self::with_transit)).
    transit_ms: u64,
}

impl Bucket {
    /// A full bucket refilling `limit` tokens per `window_ms`, holding at most `capacity`.
    pub fn new(limit: u64, window_ms: u64, capacity: u64, now: Millis) -> Self {
        assert!(window_ms > 0 && capacity > 0, "window and capacity must be positive");
        Bucket { limit, window_ms, capacity, level: capacity as i128 * window_ms as i128, updated_at: now, transit_ms: 0 }
    }

    /// Models the trip of a request to the provider: the provider's full bucket gains nothing
    /// until the request arrives, `transit_ms` later, so a take from a (nearly) full bucket
    /// pauses the refill here as long. Without this, a limiter that starts full runs that much
    /// ahead of the provider the first time the budget runs dry.
    pub fn with_transit(mut self, transit_ms: u64) -> Self {
        self.transit_ms = transit_ms;
        self
    }

    /// An empty bucket that never refills by itself: it holds only what [`grant`](Self::grant) gives it.
    /// This is the local side of a distributed budget, fed chunks of capacity by a coordinator.
    pub fn leased(window_ms: u64, now: Millis) -> Self {
        Bucket { limit: 0, window_ms, capacity: 0, level: 0, updated_at: now, transit_ms: 0 }
    }

    pub fn limit(&self) -> u64 {
        self.limit
    }
    pub fn capacity(&self) -> u64 {
        self.capacity
    }
    pub fn window_ms(&self) -> u64 {
        self.window_ms
    }

    fn units(&self, tokens: u64) -> i128 {
        tokens as i128 * self.window_ms as i128
    }

    fn full(&self) -> i128 {
        self.units(self.capacity)
    }

    /// The lowest level: what the refill repays in [`MAX_DEBT_MS`], below zero.
    fn floor(&self) -> i128 {
        -(MAX_DEBT_MS as i128 * self.limit as i128)
    }

    /// Adds what accrued since the last call. Time that runs backwards is ignored, and so is
    /// time before a paused refill resumes (see [`with_transit`](Self::with_transit)).
    pub fn refill(&mut self, now: Millis) {
        if now <= self.updated_at {
            return;
        }
        let elapsed = (now - self.updated_at) as i128;
        self.updated_at = now;
        if self.level < self.full() {
            self.level = self.level.saturating_add(elapsed.saturating_mul(self.limit as i128)).min(self.full());
        }
    }

    /// Whole tokens available now (negative while in debt).
    pub fn available(&self) -> i64 {
        let w = self.window_ms as i128;
        // Floor division, so a debt of half a token reads as -1.
        let tokens = if self.level >= 0 { self.level / w } else { -((-self.level + w - 1) / w) };
        tokens.clamp(i64::MIN as i128, i64::MAX as i128) as i64
    }

    pub fn fits(&self, tokens: u64) -> bool {
        self.level >= self.units(tokens)
    }

    /// Takes `tokens` at `now` (after [`refill`](Self::refill)`(now)`) unconditionally: callers
    /// check [`fits`](Self::fits) first, or mean a debt. Near full, the refill pauses while the
    /// request travels (see [`with_transit`](Self::with_transit)).
    pub fn take(&mut self, tokens: u64, now: Millis) {
        if self.limit > 0 {
            // The refill that would overflow the provider's bucket before the request gets there.
            let trip = (self.transit_ms as i128).saturating_mul(self.limit as i128);
            let lost = self.level.saturating_add(trip).saturating_sub(self.full()).max(0);
            let limit = self.limit as i128;
            let pause = lost / limit + (lost % limit != 0) as i128;
            self.updated_at = self.updated_at.max(now.saturating_add(pause.min(u64::MAX as i128) as u64));
        }
        self.level -= self.units(tokens);
    }

    /// Charges `tokens` used beyond a reservation (a debt): no trip, no loss.
    pub fn charge(&mut self, tokens: u64) {
        self.level -= self.units(tokens);
    }

    /// [`charge`](Self::charge)s, but runs no debt deeper than [`MAX_DEBT_MS`] of refill.
    pub fn charge_capped(&mut self, tokens: u64) {
        self.level = (self.level - self.units(tokens)).max(self.floor().min(self.level));
    }

    /// Returns tokens that were reserved but not used; the bucket never overflows its capacity.
    pub fn give_back(&mut self, tokens: u64) {
        self.level = (self.level + self.units(tokens)).min(self.full());
    }

    /// Milliseconds until `tokens` fit, assuming `extra` more tokens come back meanwhile.
    /// `None` when they never can: more than the capacity, or a leased bucket with nothing to come.
    pub fn wait_for(&self, tokens: u64, extra: u64) -> Option<u64> {
        if tokens > self.capacity {
            return None;
        }
        self.serve_time(tokens, extra)
    }

    /// Milliseconds until the refill has brought `tokens` (with `extra` coming back meanwhile),
    /// even beyond the capacity: how long a line of jobs that need them takes to go out.
    pub fn serve_time(&self, tokens: u64, extra: u64) -> Option<u64> {
        let deficit = self.units(tokens) - self.level - self.units(extra);
        if deficit <= 0 {
            return Some(0);
        }
        if self.limit == 0 {
            return None;
        }
        let per_ms = self.limit as i128;
        Some(((deficit + per_ms - 1) / per_ms).min(u64::MAX as i128) as u64)
    }

    /// Lowers the level to `tokens` (which may be negative: a debt, down to the floor) if it is
    /// above; never raises it.
    pub fn lower_to(&mut self, tokens: i128) {
        self.level = self.level.min(tokens.saturating_mul(self.window_ms as i128)).max(self.floor());
    }

    /// Tokens the bucket gains over `elapsed_ms` at its rate (whole tokens, rounded down).
    pub fn refill_over(&self, elapsed_ms: u64) -> i128 {
        (elapsed_ms as i128).saturating_mul(self.limit as i128) / self.window_ms as i128
    }

    /// Changes the refill rate and the burst; the level keeps its tokens, clipped to the new capacity.
    pub fn set_limit(&mut self, limit: u64, capacity: u64) {
        assert!(capacity > 0, "capacity must be positive");
        self.limit = limit;
        self.capacity = capacity;
        self.level = self.level.min(self.full());
    }

    /// The level (in units) and the time refill counts from: what a coordinator persists.
    pub fn snapshot(&self) -> (i128, Millis) {
        (self.level, self.updated_at)
    }

    /// Puts back a [`snapshot`](Self::snapshot) (clipped to the capacity, which may have shrunk).
    pub fn restore(&mut self, level: i128, updated_at: Millis) {
        self.level = level.min(self.full());
        self.updated_at = updated_at;
    }

    /// Lease mode: adds capacity granted by an authority.
    pub fn grant(&mut self, tokens: u64) {
        self.capacity = self.capacity.saturating_add(tokens);
        self.level = self.level.saturating_add(self.units(tokens));
    }

    /// Lease mode: hands back the whole tokens not used, so the authority can lend them again.
    pub fn reclaim(&mut self) -> u64 {
        let unused = self.available().max(0) as u64;
        self.level -= self.units(unused);
        self.capacity -= unused.min(self.capacity);
        unused
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refills_exactly_per_millisecond() {
        // 60 per minute: one token a second.
        let mut b = Bucket::new(60, 60_000, 60, 0);
        b.take(60, 0);
        b.refill(999);
        assert!(!b.fits(1));
        b.refill(1_000);
        assert!(b.fits(1));
        assert_eq!(b.available(), 1);
    }

    #[test]
    fn never_exceeds_capacity() {
        let mut b = Bucket::new(100, 1_000, 10, 0);
        b.refill(1_000_000);
        assert_eq!(b.available(), 10);
        b.give_back(50);
        assert_eq!(b.available(), 10);
    }

    #[test]
    fn debt_delays_until_repaid() {
        let mut b = Bucket::new(10, 1_000, 10, 0);
        b.take(10, 0);
        b.charge(5); // used 5 more than reserved
        assert_eq!(b.available(), -5);
        assert_eq!(b.wait_for(1, 0), Some(600));
        b.refill(599);
        assert!(!b.fits(1));
        b.refill(600);
        assert!(b.fits(1));
    }

    #[test]
    fn wait_for_counts_tokens_that_may_come_back() {
        let mut b = Bucket::new(10, 1_000, 10, 0);
        b.take(10, 0);
        assert_eq!(b.wait_for(4, 0), Some(400));
        assert_eq!(b.wait_for(4, 4), Some(0));
        assert_eq!(b.wait_for(11, 0), None);
    }

    #[test]
    fn a_take_from_a_full_bucket_pauses_the_refill_for_the_trip() {
        // 60 a minute, 250 ms to the provider: the whole bucket may go at once, then nothing
        // refills until the requests arrive.
        let mut b = Bucket::new(60, 60_000, 60, 0).with_transit(250);
        for _ in 0..60 {
            assert!(b.fits(1));
            b.take(1, 0);
        }
        b.refill(1_249);
        assert!(!b.fits(1));
        b.refill(1_250);
        assert!(b.fits(1));
        // Below full by more than the trip, the refill goes on.
        b.take(1, 1_250);
        b.refill(2_250);
        assert!(b.fits(1));
        // 1 token a millisecond, 1 000 at most: 75 below full, only 175 of the trip's 250 would overflow.
        let mut b = Bucket::new(60_000, 60_000, 1_000, 0).with_transit(250);
        b.take(125, 0); // from full: paused until 250
        b.refill(250);
        assert_eq!(b.available(), 875);
        b.refill(300);
        b.take(100, 300); // at 925: paused until 475
        b.refill(475);
        assert_eq!(b.available(), 825);
        b.refill(476);
        assert_eq!(b.available(), 826);
    }

    #[test]
    fn time_running_backwards_is_ignored() {
        let mut b = Bucket::new(10, 1_000, 10, 5_000);
        b.take(10, 5_000);
        b.refill(1_000);
        assert_eq!(b.available(), 0);
        b.refill(5_100);
        assert_eq!(b.available(), 1);
    }

    #[test]
    fn leased_bucket_holds_only_grants() {
        let mut b = Bucket::leased(60_000, 0);
        assert_eq!(b.wait_for(1, 0), None);
        b.grant(5);
        b.refill(1_000_000);
        assert_eq!(b.available(), 5);
        b.take(3, 1_000_000);
        assert_eq!(b.reclaim(), 2);
        assert_eq!(b.available(), 0);
        assert_eq!(b.wait_for(1, 0), None);
    }
}
