//! The limits sluice knows: a resource counted over a window, named as the JS options are.

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
