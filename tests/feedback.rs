//! Provider feedback on virtual time: 429s without a thundering herd, retries through the
//! queue, limits learned from headers, adaptive concurrency, reproducible jitter.

mod sim;

use sim::provider::{Outage, SimProvider};
use sim::{spec, Event, Plan, Sim};
use sluice::{
    Config, Cost, Event as CoreEvent, Feedback, JobSpec, LimitKind, Limits, Observation, OutcomeKind, Rejection, Resource,
    RetryPolicy, Scheduler, Usage, Verdict,
};

/// An LLM-ish call: estimate = input + max_tokens, it really uses input + part of the max.
fn call(i: u64) -> (JobSpec<'static>, Plan) {
    let input = 200 + (i * 7_919) % 600;
    let max_tokens = 500;
    let output = 100 + (i * 104_729) % 400;
    let plan = Plan {
        duration: 1_000 + output * 10,
        kind: OutcomeKind::Success,
        usage: Some(Usage { input, output }),
        charge: input + max_tokens,
    };
    (JobSpec { cost: Cost::total(input + max_tokens), ..JobSpec::default() }, plan)
}

fn with_provider(config: Config, provider: SimProvider) -> Sim<SimProvider> {
    Sim::with_provider(Scheduler::new(config, 0).unwrap(), provider)
}

/// The most requests admitted by the provider in any window of `window` ms starting at or after `from`.
fn busiest_window(admitted: &[u64], from: u64, window: u64) -> usize {
    admitted
        .iter()
        .filter(|&&t| t >= from)
        .map(|&start| admitted.iter().filter(|&&t| t >= start && t < start + window).count())
        .max()
        .unwrap_or(0)
}

#[test]
fn an_outage_is_waited_out_once_not_hammered() {
    for retry_after_s in [None, Some(1)] {
        let mut provider = SimProvider::new(600, 1_000_000);
        provider.outage = Some(Outage { from: 5_000, until: 15_000, retry_after_s });
        let config = Config {
            max_concurrent: Some(20),
            limits: Limits::new([(LimitKind::RequestsPerMinute, 600)]).unwrap(),
            seed: 7,
            ..Config::default()
        };
        let mut sim = with_provider(config, provider);
        for i in 0..1_000 {
            let (job, plan) = call(i);
            sim.submit(job, plan).unwrap();
        }
        sim.run_to_idle();
        let jobs_done = sim.events.iter().filter(|e| matches!(e, Event::Finish { verdict: Verdict::Done, .. })).count();
        assert_eq!(jobs_done, 1_000, "every job done (retry-after {retry_after_s:?})");
        let attempts = sim.provider.attempts();
        eprintln!("outage, retry-after {retry_after_s:?}: {attempts} attempts for 1 000 jobs, {} refused", sim.provider.refusals());
        assert!(attempts as f64 <= 1.05 * 1_000.0, "{attempts} attempts for 1 000 jobs (retry-after {retry_after_s:?})");
        // When the gate opens, the budget paces: in no minute more than the burst plus the budget,
        // and in the first second after the outage no more than what refilled during it, plus a probe.
        let admitted = sim.provider.admitted();
        assert!(busiest_window(&admitted, 0, 60_000) <= 1_200);
        let first_second = admitted.iter().filter(|&&t| (15_000..16_000).contains(&t)).count();
        assert!(first_second <= 10 * 11 + 1, "{first_second} requests in the first second after the outage");
        let first_after = admitted.iter().copied().find(|&t| t >= 15_000).unwrap();
        assert!(first_after < 16_500, "first request after the outage at {first_after}");
    }
}

#[test]
fn limits_are_learned_from_headers_then_few_429s() {
    // The user knows only a concurrency cap; the provider allows 600 requests and 150 000 tokens a minute.
    let provider = SimProvider::new(600, 150_000);
    let config = Config { max_concurrent: Some(50), seed: 3, ..Config::default() };
    let mut sim = with_provider(config, provider);
    let jobs = 3_000;
    for i in 0..jobs {
        let (job, plan) = call(i);
        sim.submit(job, plan).unwrap();
    }
    sim.run_until(5_000);
    let rpm = sim.scheduler.limit(LimitKind::RequestsPerMinute).expect("learned within a few responses");
    let tpm = sim.scheduler.limit(LimitKind::TokensPerMinute).expect("learned within a few responses");
    assert_eq!((rpm.limit, tpm.limit), (600, 150_000));
    assert!(rpm.learned && tpm.learned);
    sim.run_to_idle();
    let refusals = sim.provider.refusals();
    assert!((refusals as f64) < 0.01 * jobs as f64, "{refusals} 429s for {jobs} jobs");
    // Throughput near the provider's: tokens bind (≈ 3 000 × 1 050 charged, refunds aside).
    let done = sim.events.iter().filter_map(|e| match e {
        Event::Finish { at, verdict: Verdict::Done, .. } => Some(*at),
        _ => None,
    });
    assert_eq!(done.clone().count(), jobs as usize);
    let makespan = done.max().unwrap();
    let ideal = ideal_makespan(jobs, 600, 150_000);
    eprintln!("learned limits: {refusals} 429s for {jobs} jobs, makespan {makespan} ms, ideal {ideal} ms");
    assert!((makespan as f64) < 1.15 * ideal as f64, "makespan {makespan} ms, ideal {ideal} ms");
}

#[test]
fn a_provider_that_keeps_unused_tokens_is_found_out_by_its_429s() {
    let mut provider = SimProvider::new(10_000, 150_000);
    provider.refunds = false; // it keeps the whole max_tokens, as OpenAI may
    let config = Config { max_concurrent: Some(50), limits: Limits::new([(LimitKind::TokensPerMinute, 150_000)]).unwrap(), seed: 5, ..Config::default() };
    let mut sim = with_provider(config, provider);
    let jobs = 2_000;
    for i in 0..jobs {
        let (job, plan) = call(i);
        sim.submit(job, plan).unwrap();
    }
    sim.run_to_idle();
    let refusals = sim.provider.refusals();
    eprintln!("provider keeping unused tokens: {refusals} 429s for {jobs} jobs");
    assert!(refusals > 0, "sluice starts out trusting refunds");
    assert!((refusals as f64) < 0.01 * jobs as f64, "{refusals} 429s: it never learned");
    assert_eq!(sim.scheduler.stats().counters.completed, jobs);
}

/// The fastest the provider allows the workload: each bucket drains at its rate after its
/// burst, with the unused output given back; the slower bucket binds.
fn ideal_makespan(jobs: u64, rpm: u64, tpm: u64) -> u64 {
    let used: u64 = (0..jobs).map(|i| call(i).1.usage.map(|u| u.input + u.output).unwrap()).sum();
    let requests_ms = (jobs.saturating_sub(rpm)) * 60_000 / rpm;
    let tokens_ms = used.saturating_sub(tpm) * 60_000 / tpm;
    requests_ms.max(tokens_ms)
}

#[test]
fn one_pause_for_everyone_then_a_probe() {
    let mut sim = limiter(Config { max_concurrent: Some(4), ..Config::default() });
    let first = sim.submit(spec(0), refused(100, 5_000)).unwrap();
    let waiting: Vec<_> = (0..20).map(|_| sim.submit(spec(0), Plan::ok(1_000)).unwrap()).collect();
    sim.run_until(6_000);
    let starts = sim.starts();
    // Four went out at once (the first is refused at 100 ms); nothing starts during the pause.
    assert!(starts.iter().all(|&(t, _)| t == 0 || t >= 5_100), "{starts:?}");
    // Then one probe, and the rest only once it has run twice as long as the refusal took
    // (100 ms): a refusal would have come back by then.
    let after: Vec<_> = starts.iter().filter(|(t, _)| *t >= 5_100).collect();
    assert_eq!(after[0].0, 5_100);
    assert_eq!(after[0].1, first, "the refused job is the probe: retries go ahead of new work");
    assert_eq!(after[1].0, 5_100 + 200, "{after:?}");
    sim.run_to_idle();
    assert_eq!(sim.scheduler.stats().counters.completed, 21);
    let _ = waiting;
    assert!(sim.notices.iter().any(|(_, e)| matches!(e, CoreEvent::GateClosed { key: None, until: 5_100 })));
    assert!(sim.notices.iter().any(|(t, e)| *t == 5_100 && matches!(e, CoreEvent::GateOpened { key: None })));
}

/// A plan whose first attempt is refused with Retry-After, the next ones succeed.
fn refused(duration: u64, retry_after_ms: u64) -> Plan {
    Plan { charge: retry_after_ms, ..Plan::fails(duration, OutcomeKind::RateLimited) }
}

/// Refuses an attempt whose plan says `RateLimited` or `Overloaded` the first time (with
/// Retry-After = `charge`, if any); every other attempt succeeds.
struct FirstRefused(std::collections::HashSet<u64>);

impl sim::Provider for FirstRefused {
    fn call(&mut self, _now: u64, job: u64, _attempt: u32, plan: &Plan) -> (u64, sluice::Outcome) {
        if plan.kind.is_congestion() && self.0.insert(job) {
            let feedback = Feedback { retry_after_ms: Some(plan.charge).filter(|&ms| ms > 0), ..Feedback::default() };
            return (plan.duration, sluice::Outcome { kind: plan.kind, usage: None, feedback });
        }
        (plan.duration.max(1_000), sluice::Outcome::of(OutcomeKind::Success))
    }
}

fn limiter(config: Config) -> Sim<FirstRefused> {
    Sim::with_provider(Scheduler::new(config, 0).unwrap(), FirstRefused(Default::default()))
}

#[test]
fn a_retry_goes_ahead_of_new_work_and_pays_again() {
    let config = Config { max_concurrent: Some(1), limits: Limits::new([(LimitKind::TokensPerMinute, 6_000)]).unwrap(), ..Config::default() };
    let mut sim = limiter(config);
    let first = sim.submit(spec(3_000), Plan { charge: 1_000, ..Plan::fails(10, OutcomeKind::RateLimited) }).unwrap();
    let second = sim.submit(spec(1_000), Plan::ok(1_000)).unwrap();
    sim.run_to_idle();
    let order: Vec<_> = sim.starts().iter().map(|s| s.1).collect();
    // The refused first job comes back (after its Retry-After and probe) before the second.
    assert_eq!(order, vec![first, first, second]);
    assert_eq!(sim.scheduler.stats().counters.retried, 1);
    // Each attempt reserved again; the refusal gave its tokens back.
    assert!(sim.starts()[1].0 >= 1_010);
}

#[test]
fn attempts_run_out_with_the_count() {
    let config = Config {
        retry: RetryPolicy { max_attempts: 3, ..RetryPolicy::default() },
        seed: 1,
        ..Config::default()
    };
    let mut sim = Sim::new(Scheduler::new(config, 0).unwrap());
    let job = sim.submit(spec(0), Plan::fails(10, OutcomeKind::Retryable)).unwrap();
    sim.run_to_idle();
    let verdicts: Vec<_> = sim.events.iter().filter_map(|e| match e {
        Event::Finish { job: j, verdict, .. } if *j == job => Some(*verdict),
        _ => None,
    }).collect();
    assert!(matches!(verdicts[..], [Verdict::Retry { .. }, Verdict::Retry { .. }, Verdict::Exhausted { attempts: 3, budget: false }]));
    // Backoff is full jitter: within 500 ms, then 1 s, of each failure.
    let starts = sim.starts();
    assert!(starts[1].0 - 10 <= 500 && starts[2].0 - starts[1].0 - 10 <= 1_000, "{starts:?}");
}

#[test]
fn the_retry_budget_stops_an_outage_from_multiplying_traffic() {
    let config = Config {
        max_concurrent: Some(100),
        retry_budget: Some(sluice::RetryBudgetConfig { ttl_ms: 10_000, min_per_sec: 1, percent: 10 }),
        ..Config::default()
    };
    let mut sim = Sim::new(Scheduler::new(config, 0).unwrap());
    for _ in 0..100 {
        sim.submit(spec(0), Plan::fails(10, OutcomeKind::Retryable)).unwrap();
    }
    sim.run_to_idle();
    // 10 retries of floor plus 10 % of 100 first attempts, within the window.
    assert_eq!(sim.scheduler.stats().counters.retried, 20);
    let exhausted = sim.events.iter().filter(|e| matches!(e, Event::Finish { verdict: Verdict::Exhausted { budget: true, .. }, .. })).count();
    assert!(exhausted >= 80);
}

#[test]
fn per_key_gates_pause_only_their_key() {
    let config = Config { max_concurrent: Some(10), gate_per_key: true, ..Config::default() };
    let mut sim = limiter(config);
    sim.submit(JobSpec { key: "a", ..spec(0) }, refused(100, 10_000)).unwrap();
    sim.run_until(200);
    let b = sim.submit(JobSpec { key: "b", ..spec(0) }, Plan::ok(10)).unwrap();
    let a = sim.submit(JobSpec { key: "a", ..spec(0) }, Plan::ok(10)).unwrap();
    sim.run_until(1_000);
    assert!(sim.starts().contains(&(200, b)));
    assert!(!sim.starts().iter().any(|s| s.1 == a));
    assert!(sim.notices.iter().any(|(_, e)| matches!(e, CoreEvent::GateClosed { key: Some(_), until: 10_100 })));
    sim.run_to_idle();
    assert_eq!(sim.scheduler.stats().keys, 0, "the key is forgotten once its gate and jobs are gone");
}

#[test]
fn adaptive_concurrency_backs_off_on_congestion_and_recovers() {
    let config = Config { max_concurrent: Some(40), ..Config::default() };
    let mut sim = limiter(config);
    for _ in 0..39 {
        sim.submit(spec(0), Plan::ok(1_000)).unwrap();
    }
    sim.submit(spec(0), Plan::fails(10, OutcomeKind::Overloaded)).unwrap(); // meets a 529 with 40 in flight
    sim.run_until(1_100);
    let lowered = sim.notices.iter().find_map(|(_, e)| match e {
        CoreEvent::ConcurrencyChanged { limit } if *limit < 40 => Some(*limit),
        _ => None,
    });
    assert_eq!(lowered, Some(36), "a tenth off the 40 in flight");
    for _ in 0..200 {
        sim.submit(spec(0), Plan::ok(100)).unwrap();
    }
    sim.run_to_idle();
    assert_eq!(sim.scheduler.stats().concurrency_limit, 40, "climbs back one per success");
}

#[test]
fn a_fixed_seed_repeats_a_run_exactly() {
    let run = |seed| {
        let config = Config { max_concurrent: Some(5), seed, ..Config::default() };
        let mut sim = Sim::new(Scheduler::new(config, 0).unwrap());
        for _ in 0..30 {
            sim.submit(spec(0), Plan::fails(10, OutcomeKind::Retryable)).unwrap();
        }
        sim.run_to_idle();
        sim.events
    };
    assert_eq!(run(42), run(42));
    assert_ne!(run(42), run(43));
}

#[test]
fn a_learned_limit_too_small_for_a_waiting_job_rejects_it() {
    let config = Config { max_concurrent: Some(1), ..Config::default() };
    let mut sim = Sim::new(Scheduler::new(config, 0).unwrap());
    let first = sim.submit(spec(100), Plan::ok(1_000)).unwrap();
    let big = sim.submit(spec(50_000), Plan::ok(1_000)).unwrap();
    // The first answer says the provider allows 10 000 tokens a minute.
    let o = Observation { resource: Some(Resource::Tokens), limit: Some(10_000), remaining: Some(9_900), ..Observation::default() };
    sim.run_until(500);
    let verdict = sim.scheduler.finish(500, first, sluice::Outcome {
        feedback: Feedback { observations: vec![o], ..Feedback::default() },
        ..sluice::Outcome::of(OutcomeKind::Success)
    });
    assert_eq!(verdict, Verdict::Done);
    sim.poll();
    let rejections = sim.rejections();
    assert!(matches!(rejections[..], [(500, j, Rejection::TooLarge(t))] if j == big && t.capacity == 10_000));
}
