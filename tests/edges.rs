//! Rough edges a new user meets first: `maxQueue: 0`, one gate event per pause, the token
//! counters. Plain scheduler calls on virtual time.

use sluice::{Config, Cost, Decision, Event, Feedback, JobSpec, LimitKind, Limits, Outcome, OutcomeKind, Rejection, Scheduler, Usage};

fn starts(s: &mut Scheduler) -> Vec<u64> {
    s.drain()
        .filter_map(|d| match d {
            Decision::Start { job, .. } => Some(job),
            _ => None,
        })
        .collect()
}

#[test]
fn max_queue_zero_runs_what_can_run_now_and_rejects_the_rest() {
    let config = Config { max_concurrent: Some(2), max_queue: Some(0), ..Config::default() };
    let mut s = Scheduler::new(config, 0).unwrap();
    let a = s.submit(0, JobSpec::default()).unwrap();
    s.poll(0);
    let b = s.submit(0, JobSpec::default()).unwrap();
    s.poll(0);
    assert_eq!(starts(&mut s), vec![a, b]);
    assert_eq!(s.submit(0, JobSpec::default()), Err(Rejection::QueueFull { max_queue: 0 }));
    s.finish(5, a, Outcome::of(OutcomeKind::Success));
    let c = s.submit(5, JobSpec::default()).unwrap();
    s.poll(5);
    assert_eq!(starts(&mut s), vec![c]);
}

#[test]
fn max_queue_zero_rejects_what_the_budget_holds_back() {
    let config = Config { max_queue: Some(0), limits: Limits::new([(LimitKind::TokensPerMinute, 1_000)]).unwrap(), ..Config::default() };
    let mut s = Scheduler::new(config, 0).unwrap();
    let big = JobSpec { cost: Cost::total(800), ..JobSpec::default() };
    s.submit(0, big).unwrap();
    s.poll(0);
    assert_eq!(s.submit(0, big), Err(Rejection::QueueFull { max_queue: 0 }));
}

fn retry_after(ms: u64) -> Outcome {
    Outcome { feedback: Feedback { retry_after_ms: Some(ms), ..Feedback::default() }, ..Outcome::of(OutcomeKind::RateLimited) }
}

#[test]
fn a_pause_met_by_every_attempt_in_flight_is_one_pause() {
    let mut s = Scheduler::new(Config { max_concurrent: Some(4), ..Config::default() }, 0).unwrap();
    let jobs: Vec<u64> = (0..4).map(|_| s.submit(0, JobSpec::default()).unwrap()).collect();
    s.poll(0);
    for (i, &job) in jobs.iter().enumerate() {
        s.finish(10 + i as u64, job, retry_after(1_000));
    }
    s.poll(2_000);
    let events: Vec<Event> = s.drain_events().collect();
    let closed = events.iter().filter(|e| matches!(e, Event::GateClosed { .. })).count();
    let opened = events.iter().filter(|e| matches!(e, Event::GateOpened { .. })).count();
    assert_eq!((closed, opened), (1, 1));
    assert_eq!(s.stats().counters.gate_closed, 1);
    assert_eq!(s.stats().counters.rate_limited, 4);
}

#[test]
fn a_refused_probe_is_a_new_pause() {
    let mut s = Scheduler::new(Config { max_concurrent: Some(1), ..Config::default() }, 0).unwrap();
    let job = s.submit(0, JobSpec::default()).unwrap();
    s.poll(0);
    s.finish(1, job, retry_after(1_000));
    s.poll(5_000); // the retry's backoff is over and the gate half open: the job is the probe
    assert_eq!(starts(&mut s), vec![job, job]);
    s.finish(5_001, job, retry_after(1_000));
    let closed = s.drain_events().filter(|e| matches!(e, Event::GateClosed { .. })).count();
    assert_eq!(closed, 2);
    assert_eq!(s.stats().counters.gate_closed, 2);
}

#[test]
fn token_counters_reserve_settle_and_refund() {
    // Without calibration, so that each reservation is the estimate itself.
    let config = Config { limits: Limits::new([(LimitKind::TokensPerMinute, 100_000)]).unwrap(), calibrate: false, ..Config::default() };
    let mut s = Scheduler::new(config, 0).unwrap();
    let a = s.submit(0, JobSpec { cost: Cost::split(100, 1_000), ..JobSpec::default() }).unwrap();
    let b = s.submit(0, JobSpec { cost: Cost::total(500), ..JobSpec::default() }).unwrap();
    s.poll(0);
    s.finish(10, a, Outcome { usage: Some(Usage { input: 90, output: 200 }), ..Outcome::of(OutcomeKind::Success) });
    // A 429 without usage did no work: its reservation comes back whole.
    s.finish(10, b, Outcome::of(OutcomeKind::RateLimited));
    let c = s.stats().counters;
    assert_eq!((c.tokens_reserved, c.input_tokens_used, c.output_tokens_used, c.tokens_refunded), (1_600, 90, 200, 810 + 500));
}
