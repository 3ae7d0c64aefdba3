//! What a 429 teaches about the budget. It may name the limit it hit (OpenAI's error `type`,
//! Anthropic's message), show the remaining counts, or say nothing but when to come back.
//! During a provider-wide outage the provider charges nothing and its buckets keep refilling,
//! so a 429 that says nothing is no proof that a bucket is empty: the gate waits out its
//! Retry-After, and the budget is only taken for empty when the provider refuses again after it
//! had taken requests since the last such 429 (its limit is real, and sluice's budget is ahead).

use super::cost::Resource;
use super::feedback::Feedback;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lesson {
    /// The remaining counts: the budget corrects its levels from them.
    Counts,
    /// The limit it hit, by name: that limit's buckets are empty.
    Named(Resource),
    /// Nothing but (perhaps) a Retry-After.
    Bare,
}

pub fn lesson(feedback: &Feedback) -> Lesson {
    if feedback.observations.iter().any(|o| o.remaining.is_some()) {
        Lesson::Counts
    } else if let Some(resource) = feedback.limit_named {
        Lesson::Named(resource)
    } else {
        Lesson::Bare
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::feedback::Observation;

    #[test]
    fn counts_come_first_then_a_name_then_nothing() {
        let remaining = Observation { resource: Some(Resource::Tokens), remaining: Some(5), ..Observation::default() };
        let named = Feedback { limit_named: Some(Resource::Requests), ..Feedback::default() };
        assert_eq!(lesson(&Feedback { observations: vec![remaining], ..named.clone() }), Lesson::Counts);
        assert_eq!(lesson(&named), Lesson::Named(Resource::Requests));
        assert_eq!(lesson(&Feedback { retry_after_ms: Some(2_000), ..Feedback::default() }), Lesson::Bare);
        let limit_only = Observation { resource: Some(Resource::Tokens), limit: Some(9), ..Observation::default() };
        assert_eq!(lesson(&Feedback { observations: vec![limit_only], ..Feedback::default() }), Lesson::Bare);
    }
}
