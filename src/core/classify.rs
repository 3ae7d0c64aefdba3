//! What an attempt's outcome means: success, the provider's limit (429), the provider's
//! overload (529, 503), another failure worth retrying (408, 409, other 5xx, a network error),
//! or a failure that retrying cannot fix.

/// How an attempt ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutcomeKind {
    Success,
    /// 429, or an error that says so: the caller's quota.
    RateLimited,
    /// 529 or 503: the provider's capacity, not the caller's quota.
    Overloaded,
    /// 408, 409, other 5xx, a network error.
    Retryable,
    /// Anything else (400, 401, a bug in the task): retrying cannot help.
    Failure,
    /// The caller aborted it while it ran.
    Aborted,
    /// It ran past its `timeoutMs`.
    TimedOut,
}

impl OutcomeKind {
    pub fn is_retryable(self) -> bool {
        matches!(self, OutcomeKind::RateLimited | OutcomeKind::Overloaded | OutcomeKind::Retryable)
    }

    /// 429, 529 and 503 say the provider is at a limit: the congestion signal.
    pub fn is_congestion(self) -> bool {
        matches!(self, OutcomeKind::RateLimited | OutcomeKind::Overloaded)
    }
}

/// What the host could tell from an error beside its status.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Hint {
    #[default]
    None,
    /// The request never got an answer (connection refused or reset, DNS, fetch failed).
    Network,
    /// The body says rate limit (OpenAI `rate_limit_exceeded`, Anthropic `rate_limit_error`,
    /// Gemini `RESOURCE_EXHAUSTED`).
    RateLimit,
    /// The body says overloaded (Anthropic `overloaded_error`).
    Overloaded,
    /// The body says the account is out of quota for good (OpenAI `insufficient_quota`).
    QuotaExhausted,
}

/// Classifies an ended attempt. `status` is the HTTP status, `None` when the task returned or
/// threw something without one; `should_retry` is the provider's `x-should-retry`.
pub fn classify(status: Option<u16>, hint: Hint, should_retry: Option<bool>) -> OutcomeKind {
    if hint == Hint::QuotaExhausted {
        return OutcomeKind::Failure;
    }
    let by_status = match (status, hint) {
        (Some(200..=399), _) => return OutcomeKind::Success,
        (_, Hint::RateLimit) | (Some(429), _) => OutcomeKind::RateLimited,
        (_, Hint::Overloaded) | (Some(529 | 503), _) => OutcomeKind::Overloaded,
        (Some(408 | 409 | 500..=599), _) | (None, Hint::Network) => OutcomeKind::Retryable,
        (None, Hint::None) => return OutcomeKind::Failure,
        _ => OutcomeKind::Failure,
    };
    match should_retry {
        Some(false) => OutcomeKind::Failure,
        Some(true) if by_status == OutcomeKind::Failure => OutcomeKind::Retryable,
        _ => by_status,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use OutcomeKind::*;

    #[test]
    fn by_status() {
        let c = |s| classify(Some(s), Hint::None, None);
        assert_eq!([c(200), c(204), c(304)], [Success; 3]);
        assert_eq!(c(429), RateLimited);
        assert_eq!([c(529), c(503)], [Overloaded; 2]);
        assert_eq!([c(408), c(409), c(500), c(502), c(504)], [Retryable; 5]);
        assert_eq!([c(400), c(401), c(403), c(404), c(422)], [Failure; 5]);
    }

    #[test]
    fn by_what_the_error_says() {
        assert_eq!(classify(None, Hint::Network, None), Retryable);
        assert_eq!(classify(None, Hint::None, None), Failure);
        assert_eq!(classify(Some(400), Hint::RateLimit, None), RateLimited);
        assert_eq!(classify(None, Hint::Overloaded, None), Overloaded);
        assert_eq!(classify(Some(429), Hint::QuotaExhausted, None), Failure);
    }

    #[test]
    fn x_should_retry_overrides() {
        assert_eq!(classify(Some(429), Hint::None, Some(false)), Failure);
        assert_eq!(classify(Some(400), Hint::None, Some(true)), Retryable);
        assert_eq!(classify(Some(429), Hint::None, Some(true)), RateLimited);
        assert_eq!(classify(Some(200), Hint::None, Some(false)), Success);
    }
}
