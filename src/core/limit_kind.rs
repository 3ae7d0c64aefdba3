//! The limits sluice knows: a resource counted over a window, named as the JS options are.

use std::num::NonZeroU64;

use super::config::ConfigError;
use super::cost::Resource;

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

/// The rate limits a limiter is given: at most one per kind, each at least 1 (a zero cannot be
/// represented), indexed by [`LimitKind`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Limits([Option<NonZeroU64>; 6]);

impl Limits {
    /// The limits `pairs` give; a limit of 0, or one kind given twice, is refused by name.
    pub fn new(pairs: impl IntoIterator<Item = (LimitKind, u64)>) -> Result<Self, ConfigError> {
        let mut limits = Limits::default();
        for (kind, limit) in pairs {
            let limit = NonZeroU64::new(limit).ok_or(ConfigError::not_positive(kind.name()))?;
            if limits.get(kind).is_some() {
                return Err(ConfigError { option: kind.name(), expected: "set once", got: "it twice".into() });
            }
            limits.set(kind, limit);
        }
        Ok(limits)
    }

    pub fn get(&self, kind: LimitKind) -> Option<NonZeroU64> {
        self.0[kind.index()]
    }

    pub fn set(&mut self, kind: LimitKind, limit: NonZeroU64) {
        self.0[kind.index()] = Some(limit);
    }

    /// The limits given, in `LimitKind` order.
    pub fn iter(&self) -> impl Iterator<Item = (LimitKind, u64)> + '_ {
        LimitKind::ALL.into_iter().filter_map(|kind| self.get(kind).map(|l| (kind, l.get())))
    }

    pub fn is_empty(&self) -> bool {
        self.0.iter().all(Option::is_none)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_refuse_zero_and_a_kind_given_twice_by_name() {
        let limits = Limits::new([(LimitKind::TokensPerDay, 5), (LimitKind::RequestsPerMinute, 60)]).unwrap();
        assert_eq!(limits.iter().collect::<Vec<_>>(), vec![(LimitKind::RequestsPerMinute, 60), (LimitKind::TokensPerDay, 5)]);
        assert_eq!(Limits::new([(LimitKind::TokensPerMinute, 0)]).unwrap_err().to_string(), "Expected `tokensPerMinute` to be a positive integer, got 0");
        let twice = Limits::new([(LimitKind::RequestsPerDay, 1), (LimitKind::RequestsPerDay, 2)]).unwrap_err();
        assert_eq!(twice.to_string(), "Expected `requestsPerDay` to be set once, got it twice");
        assert!(Limits::default().is_empty() && !limits.is_empty());
    }
}
