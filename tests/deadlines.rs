//! Deadlines on virtual time: one deadline bounds a whole job (queueing, attempts, backoffs);
//! earliest deadline first within a priority; early rejection when the budget or the learned
//! latency says it cannot finish in time; retries only when they fit.

mod sim;

use sim::{spec, Event, Plan, Sim};
use sluice::{Config, JobSpec, Late, LimitKind, Limits, OutcomeKind, Rejection, RetryPolicy, Scheduler, Verdict, MIN_SAMPLES, NO_DEADLINE_SLACK_MS};

fn limiter(max_concurrent: Option<u32>, limits: &[(LimitKind, u64)]) -> Sim {
    let config = Config { max_concurrent, limits: Limits::new(limits.iter().copied()).unwrap(), transit_ms: 0, adaptive_concurrency: false, ..Config::default() };
    Sim::new(Scheduler::new(config, 0).unwrap())
}

fn due(deadline: u64) -> JobSpec<'static> {
    JobSpec { deadline: Some(deadline), ..spec(0) }
}

#[test]
fn earliest_deadline_first_within_a_priority() {
    let mut sim = limiter(Some(1), &[]);
    let running = sim.submit(spec(0), Plan::ok(100)).unwrap();
    let late = sim.submit(due(9_000), Plan::ok(100)).unwrap();
    let none = sim.submit(spec(0), Plan::ok(100)).unwrap();
    let soon = sim.submit(due(2_000), Plan::ok(100)).unwrap();
    let urgent = sim.submit(JobSpec { priority: 1.0, ..due(60_000) }, Plan::ok(100)).unwrap();
    sim.run_to_idle();
    let order: Vec<u64> = sim.starts().iter().map(|s| s.1).collect();
    assert_eq!(order, vec![running, urgent, soon, late, none], "priority, then deadlines, then work without one");
}

#[test]
fn work_without_a_deadline_is_not_starved_by_a_stream_of_deadlines() {
    // One job at a time, 100 ms each; a deadline job arrives every 50 ms, each due in 10 s:
    // deadline work alone would keep the slot busy for ever.
    let mut sim = limiter(Some(1), &[]);
    sim.submit(spec(0), Plan::ok(100)).unwrap();
    let patient = sim.submit(spec(0), Plan::ok(100)).unwrap();
    let mut t = 0;
    while t < 3 * NO_DEADLINE_SLACK_MS {
        t += 50;
        sim.run_until(t);
        let _ = sim.submit(due(t + 10_000), Plan::ok(100));
    }
    let started = sim.starts().iter().find(|s| s.1 == patient).map(|s| s.0);
    // It counts as due NO_DEADLINE_SLACK_MS after it was queued: it starts by then (plus the
    // attempt running at that moment), whatever keeps arriving.
    assert!(started.is_some_and(|at| at <= NO_DEADLINE_SLACK_MS + 100), "started at {started:?}");
    assert!(started.is_some_and(|at| at > 0), "but deadline jobs went ahead before it was due: {started:?}");
}

#[test]
fn a_job_whose_budget_wait_exceeds_what_is_left_is_rejected_at_once() {
    // 60 requests a minute: the 61st waits a second for the bucket.
    let mut sim = limiter(None, &[(LimitKind::RequestsPerMinute, 60)]);
    for _ in 0..60 {
        sim.submit(spec(0), Plan::ok(10)).unwrap();
    }
    let err = sim.submit(due(500), Plan::ok(10)).unwrap_err();
    assert_eq!(err, Rejection::Deadline { left_ms: 500, needed_ms: 1_000, why: Late::BudgetWait });
    let fits = sim.submit(due(1_500), Plan::ok(10)).unwrap();
    sim.run_to_idle();
    assert_eq!(sim.starts().last(), Some(&(1_000, fits)));
}

#[test]
fn a_queued_job_is_rejected_when_its_deadline_comes() {
    let mut sim = limiter(Some(1), &[]);
    sim.submit(spec(0), Plan::ok(5_000)).unwrap();
    let job = sim.submit(due(1_000), Plan::ok(10)).unwrap();
    sim.run_to_idle();
    assert_eq!(sim.rejections(), vec![(1_000, job, Rejection::Deadline { left_ms: 0, needed_ms: 0, why: Late::Expired })]);
}

#[test]
fn the_latency_quantile_is_learned_from_finished_attempts() {
    let mut sim = limiter(None, &[]);
    // Finished attempts took 100, 200, ... 1 000 ms: their 0.9 quantile is 900 ms.
    for i in 1..=10 {
        sim.submit(spec(0), Plan::ok(i * 100)).unwrap();
    }
    assert_eq!(sim.scheduler.expected_latency(&sluice::Cost::total(0)), None, "nothing finished yet");
    sim.run_to_idle();
    const { assert!(10 >= MIN_SAMPLES) };
    assert_eq!(sim.scheduler.expected_latency(&sluice::Cost::total(0)), Some(900));
    // 800 ms left is less than such calls took: very likely late, rejected at once.
    let now = sim.now;
    let err = sim.submit(due(now + 800), Plan::ok(10)).unwrap_err();
    assert_eq!(err, Rejection::Deadline { left_ms: 800, needed_ms: 900, why: Late::Latency });
    sim.submit(due(now + 950), Plan::ok(10)).unwrap();
    // With the "very likely" part off, only what is certain rejects.
    sim.scheduler.set_latency_quantile(None);
    sim.submit(due(now + 800), Plan::ok(10)).unwrap();
}

#[test]
fn latency_is_learned_per_output_token() {
    let mut sim = limiter(None, &[]);
    let split = |output| JobSpec { cost: sluice::Cost::split(100, output), ..JobSpec::default() };
    for _ in 0..MIN_SAMPLES {
        sim.submit(split(100), Plan::ok(2_000)).unwrap(); // 20 ms a token of the estimate
    }
    sim.run_to_idle();
    assert_eq!(sim.scheduler.expected_latency(&sluice::Cost::split(100, 10)), Some(200));
    let now = sim.now;
    assert!(sim.submit(JobSpec { deadline: Some(now + 500), ..split(10) }, Plan::ok(10)).is_ok(), "a short answer fits");
    let err = sim.submit(JobSpec { deadline: Some(now + 500), ..split(1_000) }, Plan::ok(10)).unwrap_err();
    assert!(matches!(err, Rejection::Deadline { why: Late::Latency, needed_ms: 20_000, .. }), "{err:?}");
}

#[test]
fn a_retry_whose_backoff_ends_after_the_deadline_is_not_scheduled() {
    let config = Config {
        max_concurrent: Some(100),
        retry: RetryPolicy { base_ms: 4_000, cap_ms: 4_000, ..RetryPolicy::default() },
        adaptive_concurrency: false,
        ..Config::default()
    };
    let mut sim = Sim::new(Scheduler::new(config, 0).unwrap());
    // Each attempt fails after 1 s and backs off up to 4 s (full jitter): with its deadline at
    // 3 s, a job retries only when its backoff ends before then.
    let jobs: Vec<u64> = (0..40).map(|_| sim.submit(due(3_000), Plan::fails(1_000, OutcomeKind::Overloaded)).unwrap()).collect();
    let free = sim.submit(spec(0), Plan::fails(1_000, OutcomeKind::Overloaded)).unwrap();
    sim.run_until(1_000);
    let verdict = |job| {
        sim.events.iter().find_map(|e| match *e {
            Event::Finish { job: j, verdict, .. } if j == job => Some(verdict),
            _ => None,
        })
    };
    assert!(matches!(verdict(free), Some(Verdict::Retry { .. })), "no deadline: it retries");
    let (mut retried, mut late) = (0, 0);
    for &job in &jobs {
        match verdict(job) {
            Some(Verdict::Retry { at }) => {
                assert!(at < 3_000, "a retry at {at} was scheduled past the deadline");
                retried += 1;
            }
            Some(Verdict::Late { left_ms: 2_000, needed_ms, why: Late::Backoff }) => {
                assert!(needed_ms >= 2_000, "{needed_ms}");
                late += 1;
            }
            other => panic!("{other:?}"),
        }
    }
    assert!(retried > 0 && late > 0, "both happen: {retried} retried, {late} late");
}

#[test]
fn a_retry_is_not_scheduled_when_its_expected_latency_would_overrun_the_deadline() {
    let config = Config {
        max_concurrent: Some(20),
        retry: RetryPolicy { base_ms: 10, cap_ms: 10, ..RetryPolicy::default() },
        adaptive_concurrency: false,
        ..Config::default()
    };
    let mut sim = Sim::new(Scheduler::new(config, 0).unwrap());
    for _ in 0..10 {
        sim.submit(spec(0), Plan::ok(1_000)).unwrap(); // such calls take a second
    }
    sim.run_to_idle();
    let now = sim.now;
    // Fails after 500 ms, leaving 1 000 ms: a backoff (at most 10 ms) plus 1 s does not fit.
    let job = sim.submit(due(now + 1_500), Plan::fails(500, OutcomeKind::Retryable)).unwrap();
    sim.run_to_idle();
    let verdict = sim.events.iter().find_map(|e| match *e {
        Event::Finish { job: j, verdict, .. } if j == job => Some(verdict),
        _ => None,
    });
    assert!(matches!(verdict, Some(Verdict::Late { left_ms: 1_000, why: Late::Latency, .. })), "{verdict:?}");
}

#[test]
fn a_retry_still_queued_when_its_deadline_comes_is_rejected() {
    let config = Config {
        max_concurrent: Some(1),
        retry: RetryPolicy { base_ms: 1, cap_ms: 1, ..RetryPolicy::default() },
        adaptive_concurrency: false,
        ..Config::default()
    };
    let mut sim = Sim::new(Scheduler::new(config, 0).unwrap());
    let job = sim.submit(due(2_000), Plan::fails(100, OutcomeKind::Retryable)).unwrap();
    sim.run_until(50);
    sim.submit(spec(0), Plan::ok(10_000)).unwrap(); // takes the slot while the job backs off
    sim.run_to_idle();
    assert_eq!(sim.rejections(), vec![(2_000, job, Rejection::Deadline { left_ms: 0, needed_ms: 0, why: Late::Expired })]);
}

#[test]
fn a_job_whose_wait_behind_the_deadlines_ahead_exceeds_what_is_left_is_rejected_at_once() {
    // 60 requests a minute, spent: one more each second from 1 s on.
    let mut sim = limiter(None, &[(LimitKind::RequestsPerMinute, 60)]);
    for _ in 0..60 {
        sim.submit(spec(0), Plan::ok(10)).unwrap();
    }
    let later: Vec<u64> = (0..3).map(|_| sim.submit(due(10_000), Plan::ok(10)).unwrap()).collect();
    // Earlier deadlines go ahead of those three: each waits only behind the ones due before it.
    let first = sim.submit(due(2_500), Plan::ok(10)).unwrap();
    let second = sim.submit(due(2_600), Plan::ok(10)).unwrap();
    let err = sim.submit(due(2_700), Plan::ok(10)).unwrap_err();
    assert_eq!(err, Rejection::Deadline { left_ms: 2_700, needed_ms: 3_000, why: Late::Latency }, "third in line: 3 s");
    // "Very likely" off: only the certain part (its own wait, 1 s) counts.
    sim.scheduler.set_latency_quantile(None);
    let lucky = sim.submit(due(2_700), Plan::ok(10)).unwrap();
    sim.run_to_idle();
    let order: Vec<u64> = sim.starts().iter().skip(60).map(|s| s.1).collect();
    assert_eq!(order, [vec![first, second], later].concat(), "{:?}", sim.rejections());
    // It is rejected once it is certain: at its turn (2 s), the next request comes at 3 s.
    assert_eq!(sim.rejections(), vec![(2_000, lucky, Rejection::Deadline { left_ms: 700, needed_ms: 1_000, why: Late::BudgetWait })]);
}
