//! The retry budget: retries may add only a fraction of recent traffic, so that a long outage
//! cannot multiply the load (the Finagle and tower design). Over a sliding window of `ttl`,
//! `min_per_sec × ttl + percent × first attempts` retries are allowed.

use super::config::ConfigError;
use super::time::Millis;

const SLOTS: usize = 10;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryBudgetConfig {
    pub ttl_ms: u64,
    pub min_per_sec: u64,
    /// Retries allowed per 100 first attempts.
    pub percent: u64,
}

impl Default for RetryBudgetConfig {
    fn default() -> Self {
        RetryBudgetConfig { ttl_ms: 10_000, min_per_sec: 10, percent: 20 }
    }
}

impl RetryBudgetConfig {
    /// A budget, checked: its window must be positive.
    pub fn new(ttl_ms: u64, min_per_sec: u64, percent: u64) -> Result<Self, ConfigError> {
        let config = RetryBudgetConfig { ttl_ms, min_per_sec, percent };
        config.validate()?;
        Ok(config)
    }

    /// What [`RetryBudgetConfig::new`] checks, for one built field by field.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.ttl_ms == 0 {
            return Err(ConfigError::not_positive("retry.budget.ttlMs"));
        }
        Ok(())
    }
}

#[derive(Clone, Debug)]
pub struct RetryBudget {
    config: RetryBudgetConfig,
    slot_ms: u64,
    /// Per slot: (first attempts, retries), the slot of `current` last.
    slots: [(u64, u64); SLOTS],
    current: u64,
}

impl RetryBudget {
    pub fn new(config: RetryBudgetConfig) -> Self {
        let slot_ms = (config.ttl_ms / SLOTS as u64).max(1);
        RetryBudget { config, slot_ms, slots: [(0, 0); SLOTS], current: 0 }
    }

    /// Moves the window to `now`, forgetting slots that slid out.
    fn advance(&mut self, now: Millis) -> &mut (u64, u64) {
        let slot = now / self.slot_ms;
        if slot > self.current {
            let gone = (slot - self.current).min(SLOTS as u64) as usize;
            self.slots.rotate_left(gone);
            for s in &mut self.slots[SLOTS - gone..] {
                *s = (0, 0);
            }
            self.current = slot;
        }
        &mut self.slots[SLOTS - 1]
    }

    /// A first attempt went out: it earns `percent` of a retry.
    pub fn deposit(&mut self, now: Millis) {
        self.advance(now).0 += 1;
    }

    /// Takes one retry if the budget has one.
    pub fn withdraw(&mut self, now: Millis) -> bool {
        self.advance(now);
        let (firsts, retries) = self.slots.iter().fold((0, 0), |(f, r), s| (f + s.0, r + s.1));
        // Saturating: `minPerSec` and `percent` may be any count (2^31 turns the budget off).
        let floor = self.config.min_per_sec.saturating_mul(self.config.ttl_ms) / 1_000;
        let allowed = floor.saturating_add(firsts.saturating_mul(self.config.percent) / 100);
        if retries < allowed {
            self.slots[SLOTS - 1].1 += 1;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_budget_checks_its_window() {
        assert_eq!(RetryBudgetConfig::new(0, 10, 20).unwrap_err().to_string(), "Expected `retry.budget.ttlMs` to be a positive integer, got 0");
        assert_eq!(RetryBudgetConfig::new(10_000, 10, 20), Ok(RetryBudgetConfig::default()));
    }

    #[test]
    fn a_floor_then_a_share_of_traffic() {
        let mut b = RetryBudget::new(RetryBudgetConfig { ttl_ms: 10_000, min_per_sec: 1, percent: 20 });
        // 10 retries of floor, no traffic.
        assert_eq!((0..15).filter(|_| b.withdraw(0)).count(), 10);
        for _ in 0..50 {
            b.deposit(0);
        }
        // 50 first attempts earn 10 more.
        assert_eq!((0..15).filter(|_| b.withdraw(0)).count(), 10);
    }

    #[test]
    fn the_window_slides() {
        let mut b = RetryBudget::new(RetryBudgetConfig { ttl_ms: 10_000, min_per_sec: 0, percent: 100 });
        for _ in 0..5 {
            b.deposit(0);
        }
        assert!(b.withdraw(5_000));
        // At 10 s the deposits of slot 0 are gone; the retry of slot 5 still counts.
        assert!(!b.withdraw(10_000));
        b.deposit(10_000);
        assert!(!b.withdraw(10_000), "one deposit, one retry already in the window");
        assert!(b.withdraw(15_000));
    }
}
