//! Scenarios on virtual time: each builds a limiter, runs a workload through the simulated
//! host and checks what started when.

mod sim;

use sim::{spec, Event, Plan, Sim};
use sluice::{Config, Cost, JobSpec, LimitKind, Limits, Rejection, Scheduler, TooLarge, FULL_BURST};

/// The defaults, but for the trip to the provider, the slow start of a limiter without a cap
/// and calibration: these scenarios check the buckets' exact arithmetic (those three have
/// scenarios of their own).
fn exact() -> Config {
    Config { transit_ms: 0, adaptive_concurrency: false, calibrate: false, ..Config::default() }
}

fn limiter(max_concurrent: Option<u32>, limits: &[(LimitKind, u64)]) -> Sim {
    let config = Config { max_concurrent, limits: Limits::new(limits.iter().copied()).unwrap(), ..exact() };
    Sim::new(Scheduler::new(config, 0).unwrap())
}

#[test]
fn concurrency_cap_admits_one_as_another_ends() {
    let mut sim = limiter(Some(2), &[]);
    for _ in 0..5 {
        sim.submit(spec(0), Plan::ok(1_000)).unwrap();
    }
    sim.run_to_idle();
    let times: Vec<u64> = sim.starts().iter().map(|s| s.0).collect();
    assert_eq!(times, vec![0, 0, 1_000, 1_000, 2_000]);
    assert_eq!(sim.peak_in_flight, 2);
}

#[test]
fn requests_per_minute_burst_then_pace() {
    let mut sim = limiter(None, &[(LimitKind::RequestsPerMinute, 60)]);
    for _ in 0..63 {
        sim.submit(spec(0), Plan::ok(10)).unwrap();
    }
    sim.run_to_idle();
    let times: Vec<u64> = sim.starts().iter().map(|s| s.0).collect();
    // The full bucket goes out at once, then one request a second.
    assert!(times[..60].iter().all(|&t| t == 0));
    assert_eq!(&times[60..], &[1_000, 2_000, 3_000]);
}

#[test]
fn by_default_the_trip_to_the_provider_is_not_counted_as_refill() {
    // The provider's full bucket gains nothing while the first requests travel (250 ms).
    let config = Config { limits: Limits::new([(LimitKind::RequestsPerMinute, 60)]).unwrap(), max_concurrent: Some(100), ..Config::default() };
    let mut sim = Sim::new(Scheduler::new(config, 0).unwrap());
    for _ in 0..62 {
        sim.submit(spec(0), Plan::ok(10)).unwrap();
    }
    sim.run_to_idle();
    let times: Vec<u64> = sim.starts().iter().map(|s| s.0).collect();
    assert_eq!(&times[59..], &[0, 1_250, 2_250]);
}

#[test]
fn without_a_cap_concurrency_starts_small_and_doubles_each_round_trip() {
    // Told nothing, a limiter must not send its whole queue before the first answer.
    let mut sim = Sim::new(Scheduler::new(Config::default(), 0).unwrap());
    for _ in 0..1_000 {
        sim.submit(spec(0), Plan::ok(1_000)).unwrap();
    }
    sim.run_until(3_500);
    let per_round: Vec<usize> = (0..4).map(|r| sim.starts().iter().filter(|s| s.0 / 1_000 == r).count()).collect();
    assert_eq!(per_round, vec![10, 20, 40, 80]);
}

#[test]
fn a_smaller_burst_spreads_the_start() {
    let config = Config {
        limits: Limits::new([(LimitKind::RequestsPerMinute, 60)]).unwrap(),
        burst: FULL_BURST / 10,
        ..exact()
    };
    let mut sim = Sim::new(Scheduler::new(config, 0).unwrap());
    for _ in 0..8 {
        sim.submit(spec(0), Plan::ok(10)).unwrap();
    }
    sim.run_to_idle();
    let times: Vec<u64> = sim.starts().iter().map(|s| s.0).collect();
    assert_eq!(times, vec![0, 0, 0, 0, 0, 0, 1_000, 2_000]);
}

#[test]
fn unused_tokens_come_back_at_once() {
    // 6_000 tokens a minute: 100 a second.
    let mut sim = limiter(None, &[(LimitKind::TokensPerMinute, 6_000)]);
    sim.submit(spec(6_000), Plan::used(1_000, 500, 500)).unwrap();
    let second = sim.submit(spec(5_000), Plan::ok(1_000)).unwrap();
    sim.run_to_idle();
    // At 1 s the first returns 5_000 unused and 100 accrued: 5_100 ≥ 5_000.
    assert!(sim.starts().contains(&(1_000, second)));
}

#[test]
fn usage_beyond_the_estimate_is_a_debt_that_delays() {
    let mut sim = limiter(None, &[(LimitKind::TokensPerMinute, 6_000)]);
    sim.submit(spec(1_000), Plan::used(0, 3_000, 4_000)).unwrap(); // 6_000 over
    sim.run_until(0);
    let later = sim.submit(spec(1_000), Plan::ok(0)).unwrap();
    sim.run_to_idle();
    // Level: 6_000 − 1_000 − 6_000 = −1_000; 1_000 more needs 2_000 tokens of refill: 20 s.
    assert!(sim.starts().contains(&(20_000, later)));
}

#[test]
fn input_and_output_budgets_count_apart() {
    let mut sim = limiter(
        None,
        &[(LimitKind::InputTokensPerMinute, 6_000), (LimitKind::OutputTokensPerMinute, 600)],
    );
    let split = |i, o| JobSpec { cost: Cost::split(i, o), ..JobSpec::default() };
    sim.submit(split(100, 600), Plan::ok(0)).unwrap();
    let second = sim.submit(split(100, 300), Plan::ok(0)).unwrap();
    sim.run_to_idle();
    // Input has room; output needs 300 tokens at 10 a second.
    assert!(sim.starts().contains(&(30_000, second)));
}

#[test]
fn an_estimate_over_capacity_is_rejected_at_once() {
    let mut sim = limiter(None, &[(LimitKind::TokensPerMinute, 1_000)]);
    let err = sim.submit(spec(1_001), Plan::ok(0)).unwrap_err();
    assert_eq!(
        err,
        Rejection::TooLarge(TooLarge { limit: LimitKind::TokensPerMinute, amount: 1_001, capacity: 1_000 })
    );
}

#[test]
fn max_queue_bounds_the_waiting_jobs() {
    let config = Config { max_concurrent: Some(1), max_queue: Some(2), ..Config::default() };
    let mut sim = Sim::new(Scheduler::new(config, 0).unwrap());
    for _ in 0..3 {
        sim.submit(spec(0), Plan::ok(100)).unwrap(); // one runs, two wait
    }
    assert_eq!(sim.submit(spec(0), Plan::ok(100)), Err(Rejection::QueueFull { max_queue: 2 }));
    sim.run_until(100);
    assert!(sim.submit(spec(0), Plan::ok(100)).is_ok());
}

#[test]
fn max_wait_expires_at_the_deadline() {
    let mut sim = limiter(Some(1), &[]);
    sim.submit(spec(0), Plan::ok(5_000)).unwrap();
    let waiting = sim.submit(JobSpec { max_wait_ms: Some(1_000), ..spec(0) }, Plan::ok(0)).unwrap();
    sim.run_to_idle();
    assert_eq!(
        sim.rejections(),
        vec![(1_000, waiting, Rejection::QueueTimeout { waited_ms: 1_000, max_wait_ms: 1_000 })]
    );
}

#[test]
fn a_job_that_can_start_at_its_deadline_starts() {
    let mut sim = limiter(None, &[(LimitKind::RequestsPerMinute, 60)]);
    for _ in 0..60 {
        sim.submit(spec(0), Plan::ok(0)).unwrap();
    }
    let just = sim.submit(JobSpec { max_wait_ms: Some(1_000), ..spec(0) }, Plan::ok(0)).unwrap();
    sim.run_to_idle();
    assert!(sim.starts().contains(&(1_000, just)));
    assert!(sim.rejections().is_empty());
}

#[test]
fn max_wait_rejects_at_once_when_the_budget_cannot_allow_it() {
    let mut sim = limiter(None, &[(LimitKind::RequestsPerDay, 10)]);
    for _ in 0..10 {
        sim.submit(spec(0), Plan::ok(0)).unwrap();
    }
    // The next request is 2.4 hours away: waiting a minute for it is pointless.
    let err = sim.submit(JobSpec { max_wait_ms: Some(60_000), ..spec(0) }, Plan::ok(0)).unwrap_err();
    assert_eq!(err, Rejection::QueueTimeout { waited_ms: 0, max_wait_ms: 60_000 });
}

#[test]
fn max_wait_counts_tokens_that_running_jobs_may_give_back() {
    let mut sim = limiter(None, &[(LimitKind::TokensPerMinute, 6_000)]);
    sim.submit(spec(6_000), Plan::used(5_000, 10, 10)).unwrap();
    // Without the refund it would take 50 s; with it, 5 s. Not certain to miss: it waits.
    let job = sim.submit(JobSpec { max_wait_ms: Some(10_000), ..spec(5_000) }, Plan::ok(0)).unwrap();
    sim.run_to_idle();
    assert!(sim.starts().contains(&(5_000, job)));
}

#[test]
fn a_debt_rejects_waiting_jobs_it_puts_out_of_reach() {
    let mut sim = limiter(None, &[(LimitKind::TokensPerMinute, 6_000)]);
    sim.submit(spec(6_000), Plan::used(1_000, 30_000, 0)).unwrap(); // 24_000 over: 4 minutes of debt
    let job = sim.submit(JobSpec { max_wait_ms: Some(60_000), ..spec(100) }, Plan::ok(0)).unwrap();
    sim.run_until(1_000);
    assert_eq!(sim.rejections(), vec![(1_000, job, Rejection::QueueTimeout { waited_ms: 1_000, max_wait_ms: 60_000 })]);
}

#[test]
fn aborting_a_queued_job_frees_the_head_of_the_queue() {
    let mut sim = limiter(None, &[(LimitKind::TokensPerMinute, 6_000)]);
    sim.submit(spec(6_000), Plan::ok(0)).unwrap();
    let big = sim.submit(spec(6_000), Plan::ok(0)).unwrap(); // needs a minute
    let small = sim.submit(spec(100), Plan::ok(0)).unwrap(); // behind it
    sim.run_until(500);
    assert!(sim.abort(big));
    sim.run_to_idle();
    assert!(sim.starts().contains(&(1_000, small)));
    assert!(!sim.starts().iter().any(|s| s.1 == big));
}

#[test]
fn aborting_a_running_job_frees_its_slot() {
    let mut sim = limiter(Some(1), &[]);
    let first = sim.submit(spec(0), Plan::ok(10_000)).unwrap();
    let second = sim.submit(spec(0), Plan::ok(10)).unwrap();
    sim.run_until(100);
    assert!(!sim.abort(first));
    assert!(sim.starts().contains(&(100, second)));
    assert!(sim.events.contains(&Event::Abort { at: 100, job: first }));
    assert_eq!(sim.scheduler.stats().counters.cancelled, 1);
}

#[test]
fn higher_priority_goes_first() {
    let mut sim = limiter(Some(1), &[]);
    let first = sim.submit(spec(0), Plan::ok(100)).unwrap();
    let low = sim.submit(JobSpec { priority: -1.0, ..spec(0) }, Plan::ok(100)).unwrap();
    let normal = sim.submit(spec(0), Plan::ok(100)).unwrap();
    let urgent = sim.submit(JobSpec { priority: 10.0, ..spec(0) }, Plan::ok(100)).unwrap();
    sim.run_to_idle();
    let order: Vec<_> = sim.starts().iter().map(|s| s.1).collect();
    assert_eq!(order, vec![first, urgent, normal, low]);
}

#[test]
fn a_flooding_key_does_not_starve_another() {
    let mut sim = limiter(Some(1), &[]);
    let flood: Vec<_> = (0..50).map(|_| sim.submit(JobSpec { key: "big", ..spec(0) }, Plan::ok(100)).unwrap()).collect();
    let small: Vec<_> = (0..3).map(|_| sim.submit(JobSpec { key: "small", ..spec(0) }, Plan::ok(100)).unwrap()).collect();
    sim.run_to_idle();
    let order: Vec<_> = sim.starts().iter().map(|s| s.1).collect();
    // The first flood job was running already; then the keys alternate, the newcomer first.
    assert_eq!(&order[..7], &[flood[0], small[0], flood[1], small[1], flood[2], small[2], flood[3]]);
    assert_eq!(sim.scheduler.stats().keys, 0, "keys are forgotten once their jobs end");
}

#[test]
fn time_that_runs_backwards_does_not_refill_or_hang() {
    let config = Config { limits: Limits::new([(LimitKind::RequestsPerMinute, 60)]).unwrap(), ..exact() };
    let mut s = Scheduler::new(config, 10_000).unwrap();
    for _ in 0..60 {
        s.submit(10_000, spec(0)).unwrap();
    }
    s.poll(10_000);
    assert_eq!(s.drain().count(), 60);
    let late = s.submit(5_000, spec(0)).unwrap();
    s.poll(5_000); // the clock stepped back: nothing refilled
    assert_eq!(s.drain().count(), 0);
    assert_eq!(s.next_wake(), Some(11_000));
    s.poll(11_000);
    assert_eq!(s.drain().collect::<Vec<_>>(), vec![sluice::Decision::Start { job: late, attempt: 1 }]);
}

#[test]
fn every_counter_adds_up() {
    let config = Config { max_concurrent: Some(1), max_queue: Some(3), ..Config::default() };
    let mut sim = Sim::new(Scheduler::new(config, 0).unwrap());
    let a = sim.submit(spec(0), Plan::ok(1_000)).unwrap();
    let b = sim.submit(spec(0), Plan::fails(1_000, sluice::OutcomeKind::Failure)).unwrap();
    let c = sim.submit(JobSpec { max_wait_ms: Some(500), ..spec(0) }, Plan::ok(0)).unwrap();
    let d = sim.submit(spec(0), Plan::ok(0)).unwrap();
    assert!(sim.submit(spec(0), Plan::ok(0)).is_err());
    sim.run_until(100);
    sim.abort(d);
    sim.run_to_idle();
    let c_ = sim.scheduler.stats().counters;
    assert_eq!((c_.submitted, c_.admitted, c_.completed, c_.failed), (5, 2, 1, 1));
    assert_eq!((c_.rejected, c_.expired, c_.cancelled), (1, 1, 1));
    let _ = (a, b, c);
}

#[test]
fn an_attempt_never_reported_gives_its_slot_back_when_its_lease_ends() {
    // A host context cancelled mid-call (a Worker's request whose client went away) never reports.
    let config = Config { max_concurrent: Some(1), attempt_lease_ms: Some(60_000), ..exact() };
    let mut sim = Sim::new(Scheduler::new(config, 0).unwrap());
    let lost = sim.submit(spec(0), Plan::ok(10_000_000)).unwrap();
    let next = sim.submit(spec(0), Plan::ok(10)).unwrap();
    sim.run_until(59_999);
    assert_eq!(sim.starts().len(), 1);
    sim.run_until(60_000);
    assert!(sim.starts().contains(&(60_000, next)));
    let stats = sim.scheduler.stats();
    assert_eq!((stats.counters.lost, stats.counters.failed), (1, 1));
    sim.run_to_idle();
    // Its end, should it come after all, is not counted twice.
    assert!(sim.events.contains(&Event::Finish { at: 10_000_000, job: lost, verdict: sluice::Verdict::Unknown }));
    assert_eq!(sim.scheduler.stats().counters.failed, 1);
}

#[test]
fn a_final_attempt_counts_its_overload_but_is_never_retried() {
    // A stream that failed after its first chunk reached the caller: the overload closes the
    // gate and lowers the limit as any other would, but the job ends there.
    let config = Config { max_concurrent: Some(10), ..exact() };
    let mut sim = Sim::new(Scheduler::new(Config { adaptive_concurrency: true, ..config }, 0).unwrap());
    let streamed = sim.submit(spec(0), Plan::ok(10_000)).unwrap();
    let _waiting = sim.submit(spec(0), Plan::ok(10_000)).unwrap();
    sim.run_until(100);
    let feedback = sluice::Feedback { retry_after_ms: Some(2_000), ..sluice::Feedback::default() };
    let verdict = sim.scheduler.finish_final(100, streamed, sluice::Outcome { feedback, ..sluice::Outcome::of(sluice::OutcomeKind::Overloaded) });
    assert_eq!(verdict, sluice::Verdict::Failed);
    let s = sim.scheduler.stats();
    assert_eq!((s.counters.retried, s.counters.rate_limited, s.counters.gate_closed, s.counters.failed), (0, 1, 1, 1));
    assert!(s.concurrency_limit < 10, "the overload lowered the limit to {}", s.concurrency_limit);
}
