//! Provider feedback: what a response's headers (and an error body's `retryDelay`) say about
//! the limits, read into [`Feedback`] that the scheduler applies to its budget and gate.
//!
//! Read: `retry-after-ms`, `retry-after` (seconds or HTTP date), `x-should-retry`; OpenAI's
//! `x-ratelimit-{limit,remaining,reset}-{requests,tokens}`; Anthropic's
//! `anthropic-ratelimit-{requests,tokens,input-tokens,output-tokens}-{limit,remaining,reset}`;
//! the IETF draft's `RateLimit-Policy` / `RateLimit` (structured `q`, `w`, `r`, `t`) and its
//! older `RateLimit-Limit` / `-Remaining` / `-Reset`. Anything malformed is ignored.

mod datetime;
mod duration;
mod ietf;
mod number;

pub use datetime::{http_date, rfc3339};
pub use duration::{go_duration, proto_duration};

use super::cost::Resource;

/// The header names [`parse_headers`] reads, exactly (lowercase), and the prefixes of the others
/// it reads: the JS wrapper lets no other header cross into wasm.
pub const READ_HEADERS: [&str; 3] = ["retry-after", "retry-after-ms", "x-should-retry"];
pub const READ_HEADER_PREFIXES: [&str; 3] = ["x-ratelimit-", "anthropic-ratelimit-", "ratelimit"];

/// Whether [`parse_headers`] may read a header of this (lowercase) name.
pub fn reads_header(name: &str) -> bool {
    READ_HEADERS.contains(&name) || READ_HEADER_PREFIXES.iter().any(|p| name.starts_with(p))
}

/// One limit as the provider reported it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Observation {
    pub resource: Option<Resource>,
    /// The limit per window.
    pub limit: Option<u64>,
    pub remaining: Option<u64>,
    /// Milliseconds until the bucket is full again (OpenAI, Anthropic) or the window resets (IETF).
    pub reset_ms: Option<u64>,
    /// The window, when the provider states it (IETF `w`); otherwise a minute is assumed.
    pub window_ms: Option<u64>,
}

/// Everything a response said.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Feedback {
    /// How long the provider asks to wait (unclamped; the retry policy clamps it).
    pub retry_after_ms: Option<u64>,
    /// `x-should-retry`: the provider's own verdict, which overrides the status.
    pub should_retry: Option<bool>,
    pub observations: Vec<Observation>,
    /// The limit a 429's error body names (tokens, input or output tokens, requests), if any.
    pub limit_named: Option<Resource>,
}

impl Feedback {
    pub fn is_empty(&self) -> bool {
        self.retry_after_ms.is_none() && self.should_retry.is_none() && self.observations.is_empty() && self.limit_named.is_none()
    }
}

/// Where a `-limit`, `-remaining` or `-reset` header goes.
#[derive(Clone, Copy)]
enum Field {
    Limit,
    Remaining,
    Reset,
}

/// `x-ratelimit-remaining-tokens` → (Tokens, Remaining); `anthropic-ratelimit-input-tokens-reset`
/// → (InputTokens, Reset). Resets are Go durations for OpenAI and RFC 3339 times for Anthropic.
fn provider_field(name: &str) -> Option<(Resource, Field, bool)> {
    let field_of = |f: &str| match f {
        "limit" => Some(Field::Limit),
        "remaining" => Some(Field::Remaining),
        "reset" => Some(Field::Reset),
        _ => None,
    };
    if let Some(rest) = name.strip_prefix("x-ratelimit-") {
        let (field, resource) = rest.split_once('-')?;
        let resource = match resource {
            "requests" => Resource::Requests,
            "tokens" => Resource::Tokens,
            _ => return None,
        };
        return Some((resource, field_of(field)?, false));
    }
    let rest = name.strip_prefix("anthropic-ratelimit-")?;
    let (resource, field) = rest.rsplit_once('-')?;
    let resource = match resource {
        "requests" => Resource::Requests,
        "tokens" => Resource::Tokens,
        "input-tokens" => Resource::InputTokens,
        "output-tokens" => Resource::OutputTokens,
        _ => return None,
    };
    Some((resource, field_of(field)?, true))
}

/// Reads response headers. `wall_now_ms` is the host's wall clock (ms since the epoch), needed
/// only for the headers that carry dates. Header names may come in any case.
pub fn parse_headers<'a>(headers: impl IntoIterator<Item = (&'a str, &'a str)>, wall_now_ms: u64) -> Feedback {
    let mut feedback = Feedback::default();
    let mut retry_after_s = None;
    let mut retry_after_ms = None;
    let mut by_resource: [Observation; 4] = Default::default();
    let mut ietf = ietf::Ietf::default();
    let until = |at: i64| (at - wall_now_ms as i64).max(0) as u64;
    for (name, value) in headers {
        let value = value.trim();
        if value.len() > number::MAX_LEN * 4 {
            continue;
        }
        let name = name.trim().to_ascii_lowercase();
        match name.as_str() {
            "retry-after-ms" => retry_after_ms = number::decimal_scaled(value, 1),
            "retry-after" => {
                retry_after_s = number::decimal_scaled(value, 1_000).or_else(|| http_date(value).map(until));
            }
            "x-should-retry" => {
                feedback.should_retry = match value {
                    "true" => Some(true),
                    "false" => Some(false),
                    _ => None,
                }
            }
            _ if name.starts_with("ratelimit") => ietf.read(&name, value),
            _ => {
                let Some((resource, field, dated)) = provider_field(&name) else { continue };
                let o = &mut by_resource[resource as usize];
                o.resource = Some(resource);
                match field {
                    Field::Limit => o.limit = number::integer(value).filter(|&l| l > 0),
                    Field::Remaining => o.remaining = number::integer(value),
                    Field::Reset if dated => o.reset_ms = rfc3339(value).map(until),
                    Field::Reset => o.reset_ms = go_duration(value),
                }
            }
        }
    }
    feedback.retry_after_ms = retry_after_ms.or(retry_after_s).filter(|&ms| ms > 0);
    // Anthropic's `tokens-*` is whichever of input and output binds more: not a bucket of its own.
    if by_resource[Resource::InputTokens as usize].resource.is_some() || by_resource[Resource::OutputTokens as usize].resource.is_some() {
        by_resource[Resource::Tokens as usize] = Observation::default();
    }
    feedback.observations = by_resource.into_iter().filter(|o| o.resource.is_some()).collect();
    if let Some(o) = ietf.observation() {
        // A provider's own headers are more precise than a gateway's generic ones.
        if !feedback.observations.iter().any(|p| p.resource == Some(Resource::Requests)) {
            feedback.observations.push(o);
        }
    }
    feedback
}

#[cfg(test)]
mod tests;
