//! What an attempt reserves from the budget, and what it really used.

/// A budget dimension that providers count.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Resource {
    Requests,
    /// Input plus output tokens.
    Tokens,
    InputTokens,
    OutputTokens,
}

/// The reservation of one attempt. Built from an estimate: input tokens plus the most output
/// the request allows (`max_tokens`), which is what OpenAI and Anthropic charge on admission.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Cost {
    pub requests: u64,
    pub tokens: u64,
    pub input: u64,
    pub output: u64,
}

impl Cost {
    /// One request whose total estimate is known but not its split: it counts in full against
    /// the input and the output budgets too, and settles when the real usage is known.
    pub fn total(tokens: u64) -> Self {
        Cost { requests: 1, tokens, input: tokens, output: tokens }
    }

    /// One request with input and maximum output known apart.
    pub fn split(input: u64, output: u64) -> Self {
        Cost { requests: 1, tokens: input.saturating_add(output), input, output }
    }

    /// Whether input and output were estimated apart (a total-only cost counts in full in both).
    pub fn is_split(&self) -> bool {
        self.input.saturating_add(self.output) == self.tokens && self.tokens > 0
    }

    pub fn amount(&self, resource: Resource) -> u64 {
        match resource {
            Resource::Requests => self.requests,
            Resource::Tokens => self.tokens,
            Resource::InputTokens => self.input,
            Resource::OutputTokens => self.output,
        }
    }

    /// What an attempt that used `usage` really cost, beside this reservation.
    pub fn actual(&self, usage: Usage) -> Cost {
        Cost { requests: self.requests, ..Cost::split(usage.input, usage.output) }
    }

    /// Whether `usage` went beyond this reservation in any token budget (a debt).
    pub fn overrun_by(&self, usage: Usage) -> bool {
        usage.input.saturating_add(usage.output) > self.tokens || usage.input > self.input || usage.output > self.output
    }

    /// The tokens of this cost, without the request: what a provider gives back when it refuses.
    pub fn tokens_only(&self) -> Cost {
        Cost { requests: 0, ..*self }
    }

    /// Adds, saturating: estimates come from outside and may be anything up to `u64::MAX`.
    /// A running total kept with [`add`](Self::add) and [`sub`](Self::sub) never exceeds the
    /// true one, is exact while the true one never passed `u64::MAX`, and is 0 when it is.
    pub fn add(&mut self, other: &Cost) {
        self.requests = self.requests.saturating_add(other.requests);
        self.tokens = self.tokens.saturating_add(other.tokens);
        self.input = self.input.saturating_add(other.input);
        self.output = self.output.saturating_add(other.output);
    }

    /// Subtracts, saturating at 0 (see [`add`](Self::add)).
    pub fn sub(&mut self, other: &Cost) {
        self.requests = self.requests.saturating_sub(other.requests);
        self.tokens = self.tokens.saturating_sub(other.tokens);
        self.input = self.input.saturating_sub(other.input);
        self.output = self.output.saturating_sub(other.output);
    }
}

/// Tokens a finished attempt really used, as the provider reported them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Usage {
    pub input: u64,
    pub output: u64,
}
