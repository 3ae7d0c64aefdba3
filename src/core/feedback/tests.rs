//! Header parsing, including hostile values: clamped or ignored, never a panic.

use super::*;

const NOW: u64 = 1_714_564_800_000; // 2024-05-01T12:00:00Z

fn parse(headers: &[(&str, &str)]) -> Feedback {
    parse_headers(headers.iter().copied(), NOW)
}

fn observation(f: &Feedback, resource: Resource) -> Observation {
    *f.observations.iter().find(|o| o.resource == Some(resource)).expect("observed")
}

#[test]
fn openai_headers() {
    let f = parse(&[
        ("x-ratelimit-limit-requests", "500"),
        ("x-ratelimit-remaining-requests", "499"),
        ("x-ratelimit-reset-requests", "120ms"),
        ("x-ratelimit-limit-tokens", "90000"),
        ("x-ratelimit-remaining-tokens", "88500"),
        ("x-ratelimit-reset-tokens", "1s"),
        ("x-request-id", "req_123"),
    ]);
    let r = observation(&f, Resource::Requests);
    assert_eq!((r.limit, r.remaining, r.reset_ms, r.window_ms), (Some(500), Some(499), Some(120), None));
    let t = observation(&f, Resource::Tokens);
    assert_eq!((t.limit, t.remaining, t.reset_ms), (Some(90_000), Some(88_500), Some(1_000)));
    assert_eq!(f.retry_after_ms, None);
}

#[test]
fn anthropic_headers() {
    let f = parse(&[
        ("anthropic-ratelimit-requests-limit", "50"),
        ("anthropic-ratelimit-requests-remaining", "49"),
        ("anthropic-ratelimit-requests-reset", "2024-05-01T12:00:01Z"),
        ("anthropic-ratelimit-input-tokens-limit", "40000"),
        ("anthropic-ratelimit-input-tokens-remaining", "39000"),
        ("anthropic-ratelimit-input-tokens-reset", "2024-05-01T12:00:01.5Z"),
        ("anthropic-ratelimit-output-tokens-limit", "8000"),
        ("anthropic-ratelimit-output-tokens-remaining", "7000"),
        ("anthropic-ratelimit-output-tokens-reset", "2024-05-01T11:59:00Z"), // in the past
        ("anthropic-ratelimit-tokens-limit", "8000"),
        ("anthropic-ratelimit-tokens-remaining", "7000"),
        ("retry-after", "7"),
    ]);
    // The combined `tokens-*` only repeats the tighter of input and output.
    assert!(f.observations.iter().all(|o| o.resource != Some(Resource::Tokens)));
    assert_eq!(observation(&f, Resource::Requests).reset_ms, Some(1_000));
    let input = observation(&f, Resource::InputTokens);
    assert_eq!((input.limit, input.remaining, input.reset_ms), (Some(40_000), Some(39_000), Some(1_500)));
    assert_eq!(observation(&f, Resource::OutputTokens).reset_ms, Some(0));
    assert_eq!(f.retry_after_ms, Some(7_000));
}

#[test]
fn retry_after_forms() {
    assert_eq!(parse(&[("retry-after", "30")]).retry_after_ms, Some(30_000));
    assert_eq!(parse(&[("retry-after", "1.5")]).retry_after_ms, Some(1_500));
    assert_eq!(parse(&[("Retry-After", "Wed, 01 May 2024 12:00:20 GMT")]).retry_after_ms, Some(20_000));
    // retry-after-ms is the more precise and wins, in either order.
    assert_eq!(parse(&[("retry-after-ms", "250"), ("retry-after", "1")]).retry_after_ms, Some(250));
    assert_eq!(parse(&[("retry-after", "1"), ("retry-after-ms", "250.5")]).retry_after_ms, Some(251));
}

#[test]
fn should_retry() {
    assert_eq!(parse(&[("x-should-retry", "false")]).should_retry, Some(false));
    assert_eq!(parse(&[("x-should-retry", "true")]).should_retry, Some(true));
    assert_eq!(parse(&[("x-should-retry", "maybe")]).should_retry, None);
}

#[test]
fn ietf_structured_fields() {
    let f = parse(&[("RateLimit-Policy", "\"default\";q=100;w=60"), ("RateLimit", "\"default\";r=50;t=30")]);
    let o = observation(&f, Resource::Requests);
    assert_eq!((o.limit, o.remaining, o.reset_ms, o.window_ms), (Some(100), Some(50), Some(30_000), Some(60_000)));
    let f = parse(&[("ratelimit-policy", "10;w=1, 1000;w=3600")]);
    let o = observation(&f, Resource::Requests);
    assert_eq!((o.limit, o.window_ms), (Some(10), Some(1_000)));
}

#[test]
fn ietf_older_fields() {
    let f = parse(&[("RateLimit-Limit", "100"), ("RateLimit-Remaining", "0"), ("RateLimit-Reset", "12")]);
    let o = observation(&f, Resource::Requests);
    assert_eq!((o.limit, o.remaining, o.reset_ms, o.window_ms), (Some(100), Some(0), Some(12_000), None));
    let f = parse(&[("ratelimit", "limit=100, remaining=42, reset=5")]);
    assert_eq!(observation(&f, Resource::Requests).remaining, Some(42));
}

#[test]
fn ietf_quota_of_bytes_is_not_a_request_rate() {
    assert!(parse(&[("ratelimit-policy", "\"bytes\";q=1000000;w=60;qu=\"content-bytes\"")]).observations.is_empty());
}

#[test]
fn provider_headers_win_over_a_gateways() {
    let f = parse(&[("x-ratelimit-remaining-requests", "7"), ("ratelimit-remaining", "1000"), ("ratelimit-limit", "1000")]);
    assert_eq!(f.observations.len(), 1);
    assert_eq!(f.observations[0].remaining, Some(7));
}

#[test]
fn hostile_values_are_ignored_or_saturated() {
    let long = "9".repeat(10_000);
    let f = parse(&[
        ("retry-after", "-5"),
        ("x-ratelimit-limit-requests", "0"),
        ("x-ratelimit-remaining-requests", "-3"),
        ("x-ratelimit-reset-requests", "soon"),
        ("x-ratelimit-limit-tokens", long.as_str()),
        ("x-ratelimit-remaining-tokens", "1e9"),
        ("x-ratelimit-reset-tokens", "-1s"),
        ("anthropic-ratelimit-tokens-reset", "yesterday"),
        ("ratelimit", "\u{0}\u{1};;;===,,,"),
        ("ratelimit-policy", "q=;w=-1"),
        ("x-ratelimit-frobs-requests", "5"),
        ("x-ratelimit-limit-frobs", "5"),
    ]);
    assert_eq!(f.retry_after_ms, None);
    for o in &f.observations {
        assert_eq!((o.limit, o.remaining, o.reset_ms), (None, None, None), "{o:?}");
    }
    // A huge Retry-After is kept as a number (the retry policy clamps it), never wrapped.
    assert_eq!(parse(&[("retry-after", "99999999999999999999")]).retry_after_ms, Some(u64::MAX));
    // A date in the past asks for no wait at all.
    assert_eq!(parse(&[("retry-after", "Thu, 01 Jan 1970 00:00:00 GMT")]).retry_after_ms, None);
    assert_eq!(parse(&[("retry-after", "0")]).retry_after_ms, None);
}

#[test]
fn arbitrary_input_never_panics() {
    use proptest::prelude::*;
    proptest!(|(pairs in prop::collection::vec((
        prop_oneof![
            Just("retry-after".to_string()), Just("retry-after-ms".to_string()),
            Just("x-ratelimit-reset-tokens".to_string()), Just("x-ratelimit-remaining-requests".to_string()),
            Just("anthropic-ratelimit-output-tokens-reset".to_string()), Just("ratelimit".to_string()),
            Just("ratelimit-policy".to_string()), Just("ratelimit-limit".to_string()), "\\PC{0,30}",
        ],
        "\\PC{0,80}",
    ), 0..12), now in any::<u64>())| {
        let f = parse_headers(pairs.iter().map(|(n, v)| (n.as_str(), v.as_str())), now);
        prop_assert!(f.observations.len() <= 5);
    });
}

/// The names the JS wrapper lets through (`reads_header`, written into js/src/names.js) cover
/// every header the parser reads: a header of any other name changes nothing.
mod header_names {
    use super::super::{parse_headers, reads_header, Feedback};
    use proptest::prelude::*;

    const READ: [&str; 12] = [
        "retry-after",
        "retry-after-ms",
        "x-should-retry",
        "x-ratelimit-limit-tokens",
        "x-ratelimit-remaining-requests",
        "x-ratelimit-reset-tokens",
        "anthropic-ratelimit-input-tokens-limit",
        "anthropic-ratelimit-output-tokens-remaining",
        "anthropic-ratelimit-requests-reset",
        "ratelimit-policy",
        "ratelimit",
        "ratelimit-remaining",
    ];

    #[test]
    fn every_header_the_parser_reads_is_let_through() {
        for name in READ {
            assert!(reads_header(name), "{name}");
        }
        assert!(!reads_header("content-type") && !reads_header("x-request-id"));
    }

    proptest! {
        #[test]
        fn a_header_not_let_through_changes_nothing(
            // Near misses too: names that begin as read ones do.
            name in prop_oneof!["[a-z-]{1,30}", "x-(rate)?limit[a-z-]{0,20}", "anthropic-[a-z-]{0,25}", "retry[a-z-]{0,10}", "x-should[a-z-]{0,8}", "rate[a-z-]{0,20}"],
            value in prop::sample::select(vec!["1", "60", "2026-01-01T00:00:00Z", "true", "false", "10;w=60", "\"default\";q=100;w=60", "1s"]),
        ) {
            prop_assume!(!reads_header(&name));
            prop_assert_eq!(parse_headers([(name.as_str(), value)], 0), Feedback::default());
        }
    }
}
