//! How long a failed attempt waits before it re-enters the queue: full-jitter exponential
//! backoff, and never less than the provider's Retry-After. The Retry-After itself gets no
//! jitter: it closes the gate, and behind the gate every waiter comes back through the queue,
//! a probe first and then at the budget's pace, never all at one instant. Re-entering right
//! when the gate opens keeps a retried job ahead of new work.

use super::config::ConfigError;
use super::rng::Rng;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts per job, the first included; 1 turns retries off.
    pub max_attempts: u32,
    /// The backoff ceiling of the first retry; it doubles with each further one.
    pub base_ms: u64,
    /// The most any backoff waits.
    pub cap_ms: u64,
    /// The longest Retry-After honoured; longer ones are clamped to it (a gate never stays
    /// closed longer than this).
    pub max_retry_after_ms: u64,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy { max_attempts: 6, base_ms: 500, cap_ms: 30_000, max_retry_after_ms: 60_000 }
    }
}

impl RetryPolicy {
    /// A policy, checked: at least one attempt, a positive base, a ceiling no lower than it.
    pub fn new(max_attempts: u32, base_ms: u64, cap_ms: u64, max_retry_after_ms: u64) -> Result<Self, ConfigError> {
        let policy = RetryPolicy { max_attempts, base_ms, cap_ms, max_retry_after_ms };
        policy.validate()?;
        Ok(policy)
    }

    /// What [`RetryPolicy::new`] checks, for a policy built field by field.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.max_attempts == 0 {
            return Err(ConfigError::not_positive("retry.maxAttempts"));
        }
        if self.base_ms == 0 {
            return Err(ConfigError::not_positive("retry.baseMs"));
        }
        if self.cap_ms < self.base_ms {
            return Err(ConfigError { option: "retry.maxDelayMs", expected: "at least `retry.baseMs`", got: self.cap_ms.to_string() });
        }
        Ok(())
    }

    /// Whether a job whose attempt number `attempt` failed may try again.
    pub fn allows(&self, attempt: u32) -> bool {
        attempt < self.max_attempts
    }

    /// The wait after attempt number `attempt` (from 1) failed.
    pub fn delay(&self, attempt: u32, retry_after_ms: Option<u64>, rng: &mut Rng) -> u64 {
        let ceiling = self.base_ms.saturating_mul(1u64 << attempt.saturating_sub(1).min(32)).min(self.cap_ms);
        let backoff = rng.up_to(ceiling);
        backoff.max(retry_after_ms.map_or(0, |after| after.min(self.max_retry_after_ms)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_jitter_within_a_doubling_ceiling() {
        let policy = RetryPolicy::default();
        let mut rng = Rng::new(42);
        for attempt in 1..10 {
            let ceiling = (500u64 << (attempt - 1)).min(30_000);
            let draws: Vec<u64> = (0..500).map(|_| policy.delay(attempt, None, &mut rng)).collect();
            assert!(draws.iter().all(|&d| d <= ceiling));
            assert!(draws.iter().any(|&d| d < ceiling / 4) && draws.iter().any(|&d| d > ceiling * 3 / 4));
        }
    }

    #[test]
    fn at_least_the_retry_after() {
        let policy = RetryPolicy::default();
        let mut rng = Rng::new(1);
        assert!((0..200).all(|_| policy.delay(1, Some(2_000), &mut rng) == 2_000));
        // A later retry's backoff may be longer than a short Retry-After.
        assert!((0..200).any(|_| policy.delay(6, Some(100), &mut rng) > 100));
        // A hostile Retry-After is clamped.
        assert_eq!(policy.delay(1, Some(u64::MAX), &mut rng), 60_000);
    }

    #[test]
    fn a_policy_checks_itself() {
        assert_eq!(RetryPolicy::new(0, 500, 30_000, 60_000).unwrap_err().option, "retry.maxAttempts");
        assert_eq!(RetryPolicy::new(3, 0, 30_000, 60_000).unwrap_err().option, "retry.baseMs");
        assert_eq!(RetryPolicy::new(3, 500, 100, 60_000).unwrap_err().to_string(), "Expected `retry.maxDelayMs` to be at least `retry.baseMs`, got 100");
        assert_eq!(RetryPolicy::new(6, 500, 30_000, 60_000), Ok(RetryPolicy::default()));
    }

    #[test]
    fn attempts_are_counted_from_one() {
        let policy = RetryPolicy { max_attempts: 3, ..RetryPolicy::default() };
        assert!(policy.allows(1) && policy.allows(2) && !policy.allows(3));
        assert!(!RetryPolicy { max_attempts: 1, ..policy }.allows(1));
    }
}
