//! The concurrency limit: how many attempts may be in flight at once.
//!
//! Fixed at `max`, or adaptive: additive increase, multiplicative decrease (AIMD) on
//! congestion signals (429, 529, 503), as in Netflix's concurrency-limits. Latency is not a
//! signal here: an LLM call's latency grows with its output, not only with load.
//! One decrease per round trip: a drop reported by an attempt that started before the last
//! decrease is the same congestion event seen again, and is ignored (as TCP does).

/// The multiplicative decrease on a congestion signal.
const BACKOFF_RATIO_PERCENT: u64 = 90;

/// Where an adaptive limit starts when neither a cap nor any rate limit is given (as TCP's
/// initial window): a limiter told nothing must not send its whole queue before the first
/// answer says what the provider allows.
/// It grows by one per success while jobs wait or at least half of it is in use: it doubles
/// each round trip.
pub const INITIAL_WINDOW: u32 = 10;

#[derive(Clone, Debug)]
pub struct Concurrency {
    limit: u32,
    min: u32,
    max: u32,
    adaptive: bool,
    in_flight: u32,
    /// Counts decreases; an attempt carries the epoch it started in.
    epoch: u32,
}

impl Concurrency {
    /// A fixed limit of `max`, or an adaptive one that starts at `initial` and moves within `[1, max]`.
    pub fn new(max: u32, adaptive: bool, initial: u32) -> Self {
        let max = max.max(1);
        let limit = if adaptive { initial.clamp(1, max) } else { max };
        Concurrency { limit, min: 1, max, adaptive, in_flight: 0, epoch: 0 }
    }

    pub fn limit(&self) -> u32 {
        self.limit
    }
    pub fn in_flight(&self) -> u32 {
        self.in_flight
    }
    pub fn has_room(&self) -> bool {
        self.in_flight < self.limit
    }

    /// Moves the cap to `max` (at run time). A fixed limit is the cap; an adaptive one that ran
    /// at the old cap moves with it, one below stays where it is (lowered to the cap if above).
    pub fn set_max(&mut self, max: u32) {
        let max = max.max(1);
        let at_cap = self.limit >= self.max;
        self.max = max;
        self.limit = if !self.adaptive || at_cap { max } else { self.limit.min(max) };
    }

    /// Takes a slot and returns the epoch the attempt starts in.
    pub fn acquire(&mut self) -> u32 {
        self.in_flight += 1;
        self.epoch
    }

    /// Frees the slot of an attempt that started in `epoch`, learning from how it ended;
    /// `waiting`: jobs are queued. Returns whether the limit moved.
    pub fn release(&mut self, epoch: u32, signal: Signal, waiting: bool) -> bool {
        let moved = match signal {
            Signal::Success => self.grow(waiting),
            Signal::Congestion => self.shrink(epoch),
            Signal::Neutral => false,
        };
        self.in_flight = self.in_flight.saturating_sub(1);
        moved
    }

    /// Additive increase, while the limit is what holds work back: jobs wait, or at least half
    /// of it is in use (this attempt included).
    fn grow(&mut self, waiting: bool) -> bool {
        let used = waiting || self.in_flight * 2 >= self.limit;
        let grows = self.adaptive && used && self.limit < self.max;
        self.limit += grows as u32;
        grows
    }

    /// Multiplicative decrease, once per congestion event.
    fn shrink(&mut self, epoch: u32) -> bool {
        if !self.adaptive || epoch != self.epoch {
            return false;
        }
        self.epoch = self.epoch.wrapping_add(1);
        // Decrease from what was really in flight (a limit far above it, or no cap at all, says
        // little about what the provider can take), as TCP does from its flight size.
        let base = self.limit.min(self.in_flight.max(1)) as u64;
        let lowered = ((base * BACKOFF_RATIO_PERCENT / 100) as u32).max(self.min);
        let moved = lowered != self.limit;
        self.limit = lowered;
        moved
    }
}

/// What an ended attempt says about congestion.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signal {
    Success,
    /// 429, 529 or 503: the provider is at its limit.
    Congestion,
    /// Anything else (an error of the caller's, an abort): no information.
    Neutral,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_limit_never_moves() {
        let mut c = Concurrency::new(4, false, 1);
        let e = c.acquire();
        assert!(!c.release(e, Signal::Congestion, false));
        let e = c.acquire();
        assert!(!c.release(e, Signal::Success, false));
        assert_eq!(c.limit(), 4);
    }

    #[test]
    fn aimd_grows_by_one_and_shrinks_by_a_tenth() {
        let mut c = Concurrency::new(100, true, 20);
        let epochs: Vec<u32> = (0..20).map(|_| c.acquire()).collect();
        assert!(c.release(epochs[0], Signal::Success, false));
        assert_eq!(c.limit(), 21);
        assert!(c.release(epochs[1], Signal::Congestion, false)); // 19 in flight
        assert_eq!(c.limit(), 17);
        for &e in &epochs[2..12] {
            c.release(e, Signal::Success, false);
        }
        // Under half the limit in use: no growth.
        let e = c.acquire();
        assert!(!c.release(e, Signal::Success, false));
    }

    #[test]
    fn grows_while_jobs_wait_even_if_the_others_just_ended() {
        let mut c = Concurrency::new(u32::MAX, true, 10);
        let epochs: Vec<u32> = (0..10).map(|_| c.acquire()).collect();
        for &e in &epochs {
            c.release(e, Signal::Success, true);
        }
        assert_eq!(c.limit(), 20, "ten successes with work waiting: doubled");
    }

    #[test]
    fn shrinks_from_what_was_in_flight() {
        // A limit far above use says little: decrease from the flight size, as TCP does.
        let mut c = Concurrency::new(100, true, 100);
        let epochs: Vec<u32> = (0..10).map(|_| c.acquire()).collect();
        assert!(c.release(epochs[0], Signal::Congestion, false));
        assert_eq!(c.limit(), 9);
    }

    #[test]
    fn one_decrease_per_congestion_event() {
        let mut c = Concurrency::new(100, true, 50);
        let epochs: Vec<u32> = (0..50).map(|_| c.acquire()).collect();
        for &e in &epochs {
            c.release(e, Signal::Congestion, false);
        }
        assert_eq!(c.limit(), 45);
        let later: Vec<u32> = (0..45).map(|_| c.acquire()).collect();
        assert!(c.release(later[0], Signal::Congestion, false));
        assert_eq!(c.limit(), 40);
    }

    #[test]
    fn without_a_cap_it_shrinks_from_what_was_in_flight() {
        let mut c = Concurrency::new(u32::MAX, true, u32::MAX);
        let epochs: Vec<u32> = (0..40).map(|_| c.acquire()).collect();
        assert!(c.release(epochs[0], Signal::Congestion, false));
        assert_eq!(c.limit(), 36);
    }

    #[test]
    fn stays_within_bounds() {
        let mut c = Concurrency::new(3, true, 3);
        for _ in 0..20 {
            let e = c.acquire();
            c.release(e, Signal::Congestion, false);
        }
        assert_eq!(c.limit(), 1);
        for _ in 0..20 {
            let e = c.acquire();
            c.release(e, Signal::Success, false);
        }
        assert_eq!(c.limit(), 3);
        assert_eq!(c.in_flight(), 0);
    }
}
