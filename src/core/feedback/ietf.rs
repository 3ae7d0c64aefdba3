//! The IETF draft rate-limit headers, as gateways send them, in both generations:
//! - structured fields: `RateLimit-Policy: "default";q=100;w=60` and `RateLimit: "default";r=50;t=30`
//!   (also `RateLimit-Policy: 100;w=60`, and `RateLimit: limit=100, remaining=50, reset=30`);
//! - separate fields: `RateLimit-Limit: 100`, `RateLimit-Remaining: 50`, `RateLimit-Reset: 30`.
//!
//! Only request quotas are read, and only the first policy of a list.

use super::number::integer;
use super::Observation;
use crate::core::cost::Resource;

#[derive(Default)]
pub struct Ietf {
    quota: Option<u64>,
    window_s: Option<u64>,
    remaining: Option<u64>,
    reset_s: Option<u64>,
    seen: bool,
}

/// The parameters of the first item of a structured list: `"name";q=100;w=60` → [(q,100), (w,60)];
/// a bare leading integer (`100;w=60`) comes back as `("", 100)`.
fn first_item(value: &str) -> Vec<(&str, &str)> {
    let item = value.split(',').next().unwrap_or("");
    item.split(';')
        .enumerate()
        .filter_map(|(i, part)| {
            let part = part.trim();
            match part.split_once('=') {
                Some((k, v)) => Some((k.trim(), v.trim().trim_matches('"'))),
                None if i == 0 && !part.starts_with('"') => Some(("", part)),
                None => None,
            }
        })
        .collect()
}

impl Ietf {
    pub fn read(&mut self, name: &str, value: &str) {
        match name {
            "ratelimit-policy" => {
                for (k, v) in first_item(value) {
                    match k {
                        "q" | "" => self.quota = integer(v).or(self.quota),
                        "w" => self.window_s = integer(v),
                        // A quota of bytes or of concurrent requests is not a request rate.
                        "qu" if v != "requests" => return self.reset(),
                        _ => {}
                    }
                }
            }
            "ratelimit" if has_remaining(value) => {
                for pair in value.split(',') {
                    match pair.trim().split_once('=') {
                        Some(("limit", v)) => self.quota = integer(v.trim()),
                        Some(("remaining", v)) => self.remaining = integer(v.trim()),
                        Some(("reset", v)) => self.reset_s = integer(v.trim()),
                        _ => {}
                    }
                }
            }
            "ratelimit" => {
                for (k, v) in first_item(value) {
                    match k {
                        "r" => self.remaining = integer(v),
                        "t" => self.reset_s = integer(v),
                        _ => {}
                    }
                }
            }
            "ratelimit-limit" => self.quota = first_item(value).first().and_then(|(_, v)| integer(v)),
            "ratelimit-remaining" => self.remaining = integer(value),
            "ratelimit-reset" => self.reset_s = integer(value),
            _ => return,
        }
        self.seen = true;
    }

    fn reset(&mut self) {
        *self = Ietf::default();
    }

    pub fn observation(&self) -> Option<Observation> {
        if !self.seen || (self.quota.is_none() && self.remaining.is_none()) {
            return None;
        }
        Some(Observation {
            resource: Some(Resource::Requests),
            limit: self.quota.filter(|&q| q > 0),
            remaining: self.remaining,
            reset_ms: self.reset_s.map(|s| s.saturating_mul(1_000)),
            window_ms: self.window_s.filter(|&w| w > 0).map(|w| w.saturating_mul(1_000)),
        })
    }
}

/// Whether an IETF `RateLimit` value holds a `remaining=` parameter. A byte search: `str::contains`
/// with a `&str` pattern brings the two-way string searcher into the .wasm (1.5 KB) for this alone.
fn has_remaining(value: &str) -> bool {
    value.as_bytes().windows(b"remaining=".len()).any(|w| w == b"remaining=")
}
