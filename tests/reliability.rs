//! Regressions of issue 9: sequences of ordinary calls that used to trap the core, grow its
//! memory for good, or let a response's headers set limits no provider could mean.

use sluice::{Config, Cost, Decision, Feedback, JobId, JobSpec, Outcome, OutcomeKind, Scheduler};

fn started(s: &mut Scheduler) -> Vec<JobId> {
    s.drain()
        .filter_map(|d| match d {
            Decision::Start { job, .. } => Some(job),
            Decision::Reject { .. } => None,
        })
        .collect()
}

fn rate_limited(retry_after_ms: u64) -> Outcome {
    Outcome { feedback: Feedback { retry_after_ms: Some(retry_after_ms), ..Feedback::default() }, ..Outcome::of(OutcomeKind::RateLimited) }
}

fn keyed(key: &str) -> JobSpec<'_> {
    JobSpec { cost: Cost::total(1), key, ..JobSpec::default() }
}

/// A cancelled retry behind a retry whose key's gate is probing was handed out as the head of
/// the queue, and the scheduler's `expect("queued jobs are known")` trapped.
#[test]
fn a_cancelled_retry_behind_a_probing_key_is_never_started() {
    let config = Config { max_concurrent: Some(3), gate_per_key: true, adaptive_concurrency: false, ..Config::default() };
    let mut s = Scheduler::new(config, 0).unwrap();
    let a1 = s.submit(0, keyed("a")).unwrap();
    let a2 = s.submit(0, keyed("a")).unwrap();
    let b1 = s.submit(0, keyed("b")).unwrap();
    s.poll(0);
    assert_eq!(started(&mut s), vec![a1, b1, a2], "keys take turns");
    // The 429s come 900 ms in: the probe after the pause is waited for twice that (the gate's
    // patience follows how long refusals take), so a2 stays behind a1's probe below.
    s.finish(900, a1, rate_limited(1_000));
    s.finish(900, a2, rate_limited(1_000));
    s.finish(900, b1, rate_limited(1_500));
    let c1 = s.submit(900, keyed("c")).unwrap();
    let c2 = s.submit(900, keyed("c")).unwrap();
    s.poll(900);
    assert_eq!(started(&mut s), vec![c1, c2]);
    s.poll(1_900); // key a's gate is half open: a1 goes out as its probe, a2 waits behind it
    assert_eq!(started(&mut s), vec![a1]);
    s.poll(2_400); // b1 re-enters the retry lane behind a2; no slot is free
    assert!(started(&mut s).is_empty());
    assert!(s.cancel(2_400, b1));
    s.finish(2_500, c1, Outcome::of(OutcomeKind::Success));
    s.poll(2_500);
    assert!(started(&mut s).is_empty(), "a2 waits for its key's probe; b1 was cancelled");
    assert_eq!(s.stats().queued, 1);
    s.finish(2_600, a1, Outcome::of(OutcomeKind::Success));
    s.poll(2_600);
    assert_eq!(started(&mut s), vec![a2]);
}

/// Each priority class kept a lane array indexed by key id: distinct priorities times
/// distinct keys grew memory quadratically (3.8 GiB for 12 000 jobs).
#[test]
fn memory_follows_the_jobs_with_distinct_priorities_and_keys() {
    let config = Config { max_concurrent: Some(1), ..Config::default() };
    let mut s = Scheduler::new(config, 0).unwrap();
    let keys: Vec<String> = (0..12_000).map(|i| format!("tenant-{i}")).collect();
    let ids: Vec<JobId> = keys
        .iter()
        .enumerate()
        .map(|(i, key)| s.submit(0, JobSpec { priority: i as f64 * 0.37 - 1_000.0, ..keyed(key) }).unwrap())
        .collect();
    let held = s.footprint();
    assert_eq!((held.jobs, held.queue.classes, held.queue.lanes), (12_000, 12_000, 12_000));
    assert!(held.queue.slots <= 3 * 12_000, "a line entry, a turn and a class entry each: {held:?}");
    s.poll(0);
    let first = started(&mut s);
    assert_eq!(first, vec![ids[11_999]], "the highest priority first");
    for &id in &ids[..11_999] {
        assert!(s.cancel(1, id));
    }
    let left = s.footprint();
    // What stays: the running job, and the class it left (remembered for its key's next turn).
    assert_eq!((left.jobs, left.keys), (1, 1), "{left:?}");
    assert!(left.queue.classes <= 1 && left.queue.lanes <= 1 && left.queue.slots <= 40, "{left:?}");
}

/// Emptied priority classes stayed for good, whether their jobs were cancelled, expired
/// (`max_wait_ms`) or started.
#[test]
fn emptied_priority_classes_are_freed() {
    let config = Config { max_concurrent: Some(1), ..Config::default() };
    let mut s = Scheduler::new(config, 0).unwrap();
    let running = s.submit(0, keyed("")).unwrap();
    s.poll(0);
    assert_eq!(started(&mut s), vec![running]);
    for i in 0..5_000 {
        s.submit(0, JobSpec { priority: i as f64, max_wait_ms: Some(100), ..keyed("") }).unwrap();
    }
    let cancelled: Vec<JobId> = (0..5_000).map(|i| s.submit(0, JobSpec { priority: -1.0 - i as f64, ..keyed("") }).unwrap()).collect();
    assert_eq!(s.footprint().queue.classes, 10_000);
    for id in cancelled {
        s.cancel(0, id);
    }
    assert_eq!(s.footprint().queue.classes, 5_000);
    s.poll(100); // the rest expire
    let left = s.footprint();
    assert_eq!(left.jobs, 1, "{left:?}");
    assert!(left.queue.classes <= 1 && left.queue.slots <= 40, "only the class the running job left: {left:?}");
    assert!(left.timers <= 70, "{left:?}");
    // Started jobs leave their class too.
    s.finish(100, running, Outcome::of(OutcomeKind::Success));
    for i in 0..100 {
        let id = s.submit(100, JobSpec { priority: i as f64, ..keyed("") }).unwrap();
        s.poll(100);
        assert_eq!(started(&mut s), vec![id]);
        s.finish(100, id, Outcome::of(OutcomeKind::Success));
    }
    let left = s.footprint();
    assert!(left.jobs == 0 && left.queue.classes <= 8 && left.queue.slots <= 40 && left.timers <= 70, "{left:?}");
}

mod learned {
    //! What a response says is bounded (issue 9, item 7).

    use super::*;
    use sluice::{parse_headers, LimitKind, Limits, Usage, Verdict, DAY_MS, LEARNED_LIMIT_TTL_MS, MAX_DEBT_MS};

    fn feedback(headers: &[(&str, &str)]) -> Feedback {
        parse_headers(headers.iter().copied(), 0)
    }

    fn succeeded(headers: &[(&str, &str)], usage: Option<Usage>) -> Outcome {
        Outcome { usage, feedback: feedback(headers), ..Outcome::of(OutcomeKind::Success) }
    }

    fn one(s: &mut Scheduler, now: u64, outcome: Outcome) -> Verdict {
        let id = s.submit(now, keyed("")).unwrap();
        s.poll(now);
        assert_eq!(started(s), vec![id]);
        s.finish(now, id, outcome)
    }

    #[test]
    fn a_limit_of_one_a_day_holds_work_back_an_hour_at_most() {
        let mut s = Scheduler::new(Config::default(), 0).unwrap();
        let hostile = [("x-ratelimit-limit-requests", "1"), ("x-ratelimit-remaining-requests", "0"), ("x-ratelimit-reset-requests", "99999999h")];
        one(&mut s, 0, succeeded(&hostile, None));
        let learned = s.limit(LimitKind::RequestsPerDay).expect("taken for a daily limit");
        assert_eq!(learned.window_ms, DAY_MS, "no window longer than a day");
        let next = s.submit(1, keyed("")).unwrap();
        s.poll(1);
        assert!(started(&mut s).is_empty(), "the provider said none remain");
        let wake = s.next_wake().expect("a wake-up");
        assert!(wake <= LEARNED_LIMIT_TTL_MS, "waits until the limit is forgotten, not a day: {wake}");
        s.poll(wake);
        assert_eq!(started(&mut s), vec![next]);
        assert!(s.limit(LimitKind::RequestsPerDay).is_none(), "forgotten: no response restated it");
    }

    #[test]
    fn an_ietf_window_of_ten_to_the_twelve_seconds_is_a_day() {
        let mut s = Scheduler::new(Config::default(), 0).unwrap();
        one(&mut s, 0, succeeded(&[("ratelimit-policy", "\"p\";q=100;w=1000000000000"), ("ratelimit", "\"p\";r=50;t=30")], None));
        let learned = s.stats().limits;
        assert_eq!(learned.len(), 1, "{learned:?}");
        assert_eq!(learned[0].window_ms, DAY_MS);
    }

    #[test]
    fn a_learned_limit_is_never_below_what_the_provider_served() {
        let mut s = Scheduler::new(Config::default(), 0).unwrap();
        for t in 0..100 {
            let id = s.submit(t * 10, JobSpec { cost: Cost::total(500), ..keyed("") }).unwrap();
            s.poll(t * 10);
            assert_eq!(started(&mut s), vec![id]);
            s.finish(t * 10, id, Outcome { usage: Some(Usage { input: 300, output: 200 }), ..Outcome::of(OutcomeKind::Success) });
        }
        // 100 requests and 50 000 tokens served within the minute: a limit of 1 is impossible.
        one(&mut s, 1_000, succeeded(&[("x-ratelimit-limit-requests", "1"), ("x-ratelimit-limit-tokens", "1")], None));
        let rpm = s.limit(LimitKind::RequestsPerMinute).unwrap();
        let tpm = s.limit(LimitKind::TokensPerMinute).unwrap();
        assert!(rpm.limit >= 50 && tpm.limit >= 25_000, "{rpm:?} {tpm:?}");
        let big = s.submit(1_001, JobSpec { cost: Cost::total(2_000), ..keyed("") });
        assert!(big.is_ok(), "an estimate of 2 000 still fits: {big:?}");
    }

    #[test]
    fn a_learned_token_limit_holds_the_largest_request_served() {
        let mut s = Scheduler::new(Config::default(), 0).unwrap();
        let id = s.submit(0, JobSpec { cost: Cost::total(4_000), ..keyed("") }).unwrap();
        s.poll(0);
        assert_eq!(started(&mut s), vec![id]);
        let outcome = succeeded(&[("x-ratelimit-limit-tokens", "1")], Some(Usage { input: 1_000, output: 2_000 }));
        s.finish(0, id, outcome);
        assert_eq!(s.limit(LimitKind::TokensPerMinute).unwrap().limit, 3_000, "it served a request of 3 000");
        assert!(s.submit(1, JobSpec { cost: Cost::total(3_000), ..keyed("") }).is_ok(), "not EstimateTooLarge");
    }

    #[test]
    fn later_evidence_corrects_a_learned_limit_upwards() {
        let mut s = Scheduler::new(Config { transit_ms: 0, ..Config::default() }, 0).unwrap();
        one(&mut s, 0, succeeded(&[("x-ratelimit-limit-requests", "2")], None));
        assert_eq!(s.limit(LimitKind::RequestsPerMinute).unwrap().limit, 2);
        // The provider went on serving without restating the limit: 10 in the same minute.
        for t in 1..10 {
            let id = s.submit(t * 1_000, keyed("")).unwrap();
            s.poll(t * 1_000);
            if started(&mut s) == vec![id] {
                s.finish(t * 1_000, id, Outcome::of(OutcomeKind::Success));
            } else {
                s.cancel(t * 1_000, id);
            }
        }
        let seen = s.stats().counters.completed;
        assert!(s.limit(LimitKind::RequestsPerMinute).unwrap().limit >= seen.div_ceil(2), "{seen} served");
    }

    #[test]
    fn a_usage_of_two_to_the_fifty_three_is_a_debt_of_an_hour_at_most() {
        let tiny = [("x-ratelimit-limit-tokens", "1000"), ("x-ratelimit-remaining-tokens", "1000")];
        for config in [Config::default(), Config { limits: Limits::new([(LimitKind::TokensPerMinute, 1_000)]).unwrap(), ..Config::default() }] {
            let mut s = Scheduler::new(config, 0).unwrap();
            one(&mut s, 0, succeeded(&tiny, None)); // the limit is learned, or known
            let huge = Usage { input: (1 << 53) - 1, output: 0 };
            one(&mut s, 0, Outcome { usage: Some(huge), ..Outcome::of(OutcomeKind::Success) });
            assert!(s.limit(LimitKind::TokensPerMinute).unwrap().limit <= 1_000, "a reported usage is no evidence of a larger limit");
            let next = s.submit(0, JobSpec { cost: Cost::total(10), ..keyed("") }).unwrap();
            s.poll(0);
            assert!(started(&mut s).is_empty());
            // A wake-up or two (the refill pauses while a request travels), never a busy re-poll.
            let mut now = 0;
            for _ in 0..3 {
                let wake = s.next_wake().expect("a wake-up");
                assert!(wake > now && wake <= MAX_DEBT_MS + 60_000, "{wake}");
                now = wake;
                s.poll(now);
                if !started(&mut s).is_empty() {
                    break;
                }
            }
            assert_eq!(s.stats().in_flight, 1, "{next} started by {now}");
        }
    }

    #[test]
    fn a_retry_waits_no_longer_than_max_retry_after() {
        let mut s = Scheduler::new(Config::default(), 0).unwrap();
        let id = s.submit(0, keyed("")).unwrap();
        s.poll(0);
        started(&mut s);
        let outcome = Outcome { feedback: feedback(&[("retry-after", "99999999999")]), ..Outcome::of(OutcomeKind::RateLimited) };
        let max = s.config().retry.max_retry_after_ms;
        assert_eq!(s.finish(0, id, outcome), Verdict::Retry { at: max });
        s.poll(max);
        assert_eq!(started(&mut s), vec![id]);
    }

    #[test]
    fn time_at_the_end_of_the_clock_does_not_overflow() {
        let mut s = Scheduler::new(Config { limits: Limits::new([(LimitKind::RequestsPerMinute, 1)]).unwrap(), ..Config::default() }, 0).unwrap();
        let end = u64::MAX - 10;
        let a = s.submit(end, JobSpec { max_wait_ms: Some(u64::MAX), ..keyed("") }).unwrap();
        let b = s.submit(end, JobSpec { max_wait_ms: Some(u64::MAX), ..keyed("") }).unwrap();
        s.poll(end);
        assert_eq!(started(&mut s), vec![a]);
        let outcome = Outcome { feedback: feedback(&[("retry-after", "99999")]), ..Outcome::of(OutcomeKind::RateLimited) };
        assert!(matches!(s.finish(end, a, outcome), Verdict::Retry { .. }));
        s.poll(end + 5);
        assert!(s.next_wake().is_some_and(|t| t >= end), "{:?}", s.next_wake());
        assert!(s.cancel(end + 5, b));
        s.poll(u64::MAX);
        assert_eq!(s.stats().queued, 1, "the retry, its backoff over, waits for the budget");
    }
}

/// A limit learned while a job's attempt ran, too small for that job: its retry could never
/// start, and waited with no wake-up, for ever. It is rejected when its backoff ends.
#[test]
fn a_retry_too_large_for_a_limit_learned_meanwhile_is_rejected_not_stranded() {
    use sluice::{LimitKind, Observation, Rejection, Resource, Verdict};
    let mut s = Scheduler::new(Config { max_concurrent: Some(2), ..Config::default() }, 0).unwrap();
    let big = s.submit(0, JobSpec { cost: Cost::total(5_000), ..keyed("") }).unwrap();
    let small = s.submit(0, keyed("")).unwrap();
    s.poll(0);
    assert_eq!(started(&mut s), vec![big, small]);
    let tiny = Observation { resource: Some(Resource::Tokens), limit: Some(100), ..Observation::default() };
    let outcome = Outcome { feedback: Feedback { observations: vec![tiny], ..Feedback::default() }, ..Outcome::of(OutcomeKind::Failure) };
    s.finish(10, small, outcome);
    assert_eq!(s.limit(LimitKind::TokensPerMinute).map(|l| l.limit), Some(100));
    let Verdict::Retry { at } = s.finish(20, big, Outcome::of(OutcomeKind::Retryable)) else { panic!("a retry") };
    s.poll(at);
    let decisions: Vec<Decision> = s.drain().collect();
    assert!(
        matches!(decisions[..], [Decision::Reject { job, reason: Rejection::TooLarge(_) }] if job == big),
        "{decisions:?}"
    );
    assert_eq!(s.stats().queued + s.stats().backing_off, 0);
}
