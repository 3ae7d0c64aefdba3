//! Invariants that hold for any workload: random jobs (arrival, estimate, real usage,
//! duration, priority, key, deadline, abort) through random limits, on virtual time.

mod sim;

use std::collections::{HashMap, HashSet};

use proptest::prelude::*;
use sim::{Event, Plan, Sim};
use sluice::{Bucket, Config, Cost, JobSpec, LimitKind, OutcomeKind, Scheduler, Usage, Verdict, FULL_BURST};

#[derive(Clone, Debug)]
struct Job {
    arrive_after: u64,
    tokens: u64,
    used: Option<(u64, u64)>,
    duration: u64,
    priority: i8,
    key: u8,
    max_wait_ms: Option<u64>,
    fails: bool,
    abort_after: Option<u64>,
}

fn job() -> impl Strategy<Value = Job> {
    (
        0..3_000u64,
        0..3_000u64,
        proptest::option::of((0..2_000u64, 0..2_000u64)),
        0..20_000u64,
        -1..2i8,
        0..3u8,
        proptest::option::weighted(0.3, 0..30_000u64),
        proptest::bool::weighted(0.1),
        proptest::option::weighted(0.1, 0..20_000u64),
    )
        .prop_map(|(arrive_after, tokens, used, duration, priority, key, max_wait_ms, fails, abort_after)| Job {
            arrive_after,
            tokens,
            used,
            duration,
            priority,
            key,
            max_wait_ms,
            fails,
            abort_after,
        })
}

#[derive(Clone, Debug)]
struct Limits {
    max_concurrent: Option<u32>,
    rpm: Option<u64>,
    tpm: Option<u64>,
    burst: u32,
}

fn limits() -> impl Strategy<Value = Limits> {
    (
        proptest::option::of(1..12u32),
        proptest::option::of(1..200u64),
        proptest::option::of(3_000..50_000u64),
        prop_oneof![Just(FULL_BURST), 50_000..FULL_BURST],
    )
        .prop_map(|(max_concurrent, rpm, tpm, burst)| Limits { max_concurrent, rpm, tpm, burst })
}

/// Runs the workload and returns the simulation and what each job was submitted with.
fn run(limits: &Limits, jobs: &[Job]) -> (Sim, HashMap<u64, (Job, u64)>, usize) {
    let mut config_limits = Vec::new();
    if let Some(rpm) = limits.rpm {
        config_limits.push((LimitKind::RequestsPerMinute, rpm));
    }
    if let Some(tpm) = limits.tpm {
        config_limits.push((LimitKind::TokensPerMinute, tpm));
    }
    let config = Config {
        max_concurrent: limits.max_concurrent,
        limits: sluice::Limits::new(config_limits).unwrap(),
        burst: limits.burst,
        ..Config::default()
    };
    let mut sim = Sim::new(Scheduler::new(config, 0).unwrap());
    let keys = ["", "a", "b"];
    let mut submitted = HashMap::new();
    let mut rejected_at_submit = 0;
    let mut aborts: Vec<(u64, u64)> = Vec::new();
    let mut t = 0;
    for job in jobs {
        t += job.arrive_after;
        // Aborts due before this arrival happen first.
        aborts.sort();
        while let Some(&(at, id)) = aborts.first().filter(|(at, _)| *at <= t) {
            aborts.remove(0);
            sim.run_until(at);
            sim.abort(id);
        }
        sim.run_until(t);
        let spec = JobSpec {
            cost: Cost::total(job.tokens),
            priority: job.priority as f64,
            key: keys[job.key as usize],
            max_wait_ms: job.max_wait_ms,
            deadline: None,
        };
        let plan = Plan {
            duration: job.duration,
            kind: if job.fails { OutcomeKind::Failure } else { OutcomeKind::Success },
            usage: job.used.map(|(input, output)| Usage { input, output }),
            charge: 0,
        };
        match sim.submit(spec, plan) {
            Ok(id) => {
                submitted.insert(id, (job.clone(), t));
                if let Some(after) = job.abort_after {
                    aborts.push((t + after, id));
                }
            }
            Err(_) => rejected_at_submit += 1,
        }
    }
    aborts.sort();
    for (at, id) in aborts {
        sim.run_until(at);
        sim.abort(id);
    }
    sim.run_to_idle();
    (sim, submitted, rejected_at_submit)
}

/// The most that `amounts` (time, signed amount) add up to in any window of `window` ms.
fn max_window_sum(amounts: &[(u64, i128)], window: u64) -> i128 {
    let mut best = 0;
    for (i, &(start, _)) in amounts.iter().enumerate() {
        let sum: i128 = amounts[i..].iter().take_while(|(t, _)| *t < start + window).map(|(_, a)| a).sum();
        best = best.max(sum);
    }
    best
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn never_more_than_max_concurrent_in_flight(limits in limits(), jobs in prop::collection::vec(job(), 1..80)) {
        let (sim, _, _) = run(&limits, &jobs);
        let mut in_flight = 0i64;
        let mut peak = 0;
        for e in &sim.events {
            match e {
                Event::Start { .. } => in_flight += 1,
                Event::Finish { .. } | Event::Abort { .. } => in_flight -= 1,
                Event::Reject { .. } | Event::Cancel { .. } => {}
            }
            peak = peak.max(in_flight);
        }
        prop_assert!(peak as u32 <= limits.max_concurrent.unwrap_or(u32::MAX));
        prop_assert!(sim.peak_in_flight <= limits.max_concurrent.unwrap_or(u32::MAX));
    }

    #[test]
    fn no_window_admits_more_than_budget_plus_burst(limits in limits(), jobs in prop::collection::vec(job(), 1..80)) {
        let (sim, submitted, _) = run(&limits, &jobs);
        let mut requests = Vec::new();
        let mut tokens = Vec::new();
        let mut reserved = HashMap::new();
        for e in &sim.events {
            match *e {
                Event::Start { at, job, .. } => {
                    requests.push((at, 1i128));
                    let t = submitted[&job].0.tokens;
                    reserved.insert(job, t);
                    tokens.push((at, t as i128));
                }
                Event::Finish { at, job, .. } => {
                    // A refund gives tokens back: it may let more in, and counts against the sum.
                    if let Some((input, output)) = submitted[&job].0.used {
                        let unused = reserved[&job] as i128 - (input + output) as i128;
                        if unused > 0 {
                            tokens.push((at, -unused));
                        }
                    }
                }
                Event::Reject { .. } | Event::Abort { .. } | Event::Cancel { .. } => {}
            }
        }
        if let Some(rpm) = limits.rpm {
            let capacity = sluice::burst_capacity(rpm, limits.burst) as i128;
            prop_assert!(max_window_sum(&requests, 60_000) <= capacity + rpm as i128);
        }
        if let Some(tpm) = limits.tpm {
            let capacity = sluice::burst_capacity(tpm, limits.burst) as i128;
            prop_assert!(max_window_sum(&tokens, 60_000) <= capacity + tpm as i128);
        }
    }

    #[test]
    fn every_job_ends_exactly_once(limits in limits(), jobs in prop::collection::vec(job(), 1..80)) {
        let (sim, submitted, rejected_at_submit) = run(&limits, &jobs);
        let mut started = HashSet::new();
        let mut ended = HashSet::new();
        for e in &sim.events {
            match *e {
                Event::Start { job, attempt, .. } => {
                    prop_assert_eq!(attempt, 1);
                    prop_assert!(started.insert(job), "job {} started twice", job);
                    prop_assert!(!ended.contains(&job));
                }
                Event::Finish { job, .. } | Event::Abort { job, .. } => {
                    prop_assert!(started.contains(&job));
                    prop_assert!(ended.insert(job), "job {} ended twice", job);
                }
                Event::Reject { job, .. } | Event::Cancel { job, .. } => {
                    prop_assert!(!started.contains(&job));
                    prop_assert!(ended.insert(job), "job {} ended twice", job);
                }
            }
        }
        prop_assert_eq!(ended.len(), submitted.len());
        let c = sim.scheduler.stats().counters;
        prop_assert_eq!(c.submitted as usize, jobs.len());
        prop_assert_eq!(c.rejected as usize, rejected_at_submit);
        let cancelled_queued = sim.events.iter().filter(|e| matches!(e, Event::Cancel { .. })).count() as u64;
        // Aborted running jobs count as cancelled and failed; aborted queued ones as cancelled only.
        prop_assert_eq!(c.completed + c.failed + c.expired + c.rejected + cancelled_queued, c.submitted);
        prop_assert_eq!(c.admitted as usize, started.len());
    }

    #[test]
    fn no_job_starts_while_a_higher_priority_one_waits(limits in limits(), jobs in prop::collection::vec(job(), 1..80)) {
        let (sim, submitted, _) = run(&limits, &jobs);
        // Rebuild who was waiting at each start: submitted before it, not yet started or gone.
        let mut gone: HashMap<u64, u64> = HashMap::new();
        for e in &sim.events {
            match *e {
                Event::Start { at, job, .. } | Event::Reject { at, job, .. } | Event::Cancel { at, job } => {
                    gone.entry(job).or_insert(at);
                }
                Event::Finish { .. } | Event::Abort { .. } => {}
            }
        }
        for &(at, job) in &sim.starts() {
            let priority = submitted[&job].0.priority;
            for (&other, (o, arrived)) in &submitted {
                let waiting = *arrived < at && gone.get(&other).is_none_or(|&g| g > at);
                prop_assert!(!(waiting && o.priority > priority),
                    "job {} (priority {}) started at {} while {} (priority {}) waited", job, priority, at, other, o.priority);
            }
        }
    }
}

/// Keys of one priority take turns: while key B waits, key A never starts twice in a row.
#[test]
fn keys_alternate_while_both_wait() {
    proptest!(ProptestConfig { cases: 200, ..ProptestConfig::default() }, |(
        max_concurrent in 1..4u32,
        a in 1..40usize, b in 1..40usize, c in 0..40usize,
    )| {
        let config = Config { max_concurrent: Some(max_concurrent), ..Config::default() };
        let mut sim = Sim::new(Scheduler::new(config, 0).unwrap());
        let mut key_of = HashMap::new();
        for (key, n) in [("a", a), ("b", b), ("c", c)] {
            for _ in 0..n {
                let id = sim.submit(JobSpec { key, ..JobSpec::default() }, Plan::ok(100)).unwrap();
                key_of.insert(id, key);
            }
        }
        sim.run_to_idle();
        let order: Vec<&str> = sim.starts().iter().map(|s| key_of[&s.1]).collect();
        // After the first `max_concurrent` (started on arrival), each round serves every key still waiting.
        let mut remaining: HashMap<&str, usize> = [("a", a), ("b", b), ("c", c)].into_iter().collect();
        // (Fewer jobs than slots: all of them start on arrival.)
        let first = order.len().min(max_concurrent as usize);
        for k in &order[..first] { *remaining.get_mut(k).unwrap() -= 1; }
        let rest = &order[first..];
        for (i, k) in rest.iter().enumerate().skip(1) {
            let prev = rest[i - 1];
            if *k == prev {
                // Allowed only if no other key had anything left.
                let others: usize = remaining.iter().filter(|(kk, _)| **kk != *k).map(|(_, n)| n).sum();
                prop_assert_eq!(others, 0, "key {} started twice in a row while others waited: {:?}", k, rest);
            }
            *remaining.get_mut(prev).unwrap() -= 1;
        }
    });
}

/// Reserve, then settle: a refund gives back exactly the unused tokens (up to the capacity),
/// and overuse is a debt of exactly the excess.
#[test]
fn settling_is_exact() {
    proptest!(ProptestConfig { cases: 500, ..ProptestConfig::default() }, |(
        capacity in 1..100_000u64,
        ops in prop::collection::vec((0..50_000u64, 0..50_000u64, 0..50_000u64), 1..40),
    )| {
        let mut bucket = Bucket::new(0, 60_000, capacity, 0); // no refill: only takes and settles move it
        let mut expected: i64 = capacity as i64;
        for (reserve, input, output) in ops {
            let reserve = reserve.min(capacity);
            if !bucket.fits(reserve) { continue; }
            bucket.take(reserve, 0);
            let used = input + output;
            if used < reserve { bucket.give_back(reserve - used) } else { bucket.charge(used - reserve) }
            expected = (expected - used as i64).min(capacity as i64);
            prop_assert_eq!(bucket.available(), expected);
        }
    });
}

/// A provider whose answers follow a script: attempt n of a job gets `script[n]`, cycling.
struct Scripted(Vec<(OutcomeKind, Option<u64>)>, u64);

impl sim::Provider for Scripted {
    fn call(&mut self, _now: u64, job: u64, attempt: u32, _plan: &Plan) -> (u64, sluice::Outcome) {
        let (kind, retry_after_ms) = self.0[(job as usize + attempt as usize * 7) % self.0.len()];
        let feedback = sluice::Feedback { retry_after_ms, ..sluice::Feedback::default() };
        (self.1 + job % 5 * 100, sluice::Outcome { kind, usage: None, feedback })
    }
}

/// With retries, gates and per-key gates in play: every job still ends exactly once, never
/// after more than `max_attempts`, and never more than `max_concurrent` run at once.
#[test]
fn every_job_ends_once_through_retries_and_gates() {
    let outcome = prop_oneof![
        4 => Just((OutcomeKind::Success, None)),
        1 => Just((OutcomeKind::Failure, None)),
        2 => (0..3_000u64).prop_map(|ms| (OutcomeKind::RateLimited, Some(ms))),
        1 => Just((OutcomeKind::RateLimited, None)),
        1 => Just((OutcomeKind::Overloaded, None)),
        1 => Just((OutcomeKind::Retryable, None)),
    ];
    proptest!(ProptestConfig { cases: 200, ..ProptestConfig::default() }, |(
        script in prop::collection::vec(outcome, 1..12),
        max_concurrent in 1..8u32,
        max_attempts in 1..5u32,
        gate_per_key in any::<bool>(),
        jobs in 1..60usize,
        duration in 1..2_000u64,
    )| {
        let config = Config {
            max_concurrent: Some(max_concurrent),
            gate_per_key,
            retry: sluice::RetryPolicy { max_attempts, ..sluice::RetryPolicy::default() },
            seed: 11,
            ..Config::default()
        };
        let mut sim = Sim::with_provider(Scheduler::new(config, 0).unwrap(), Scripted(script, duration));
        let keys = ["", "a", "b"];
        for i in 0..jobs {
            sim.submit(JobSpec { key: keys[i % 3], ..JobSpec::default() }, Plan::ok(0)).unwrap();
        }
        sim.run_to_idle();
        let mut ended = HashSet::new();
        let mut attempts: HashMap<u64, u32> = HashMap::new();
        let mut in_flight = 0i64;
        for e in &sim.events {
            match *e {
                Event::Start { job, attempt, .. } => {
                    in_flight += 1;
                    prop_assert!(in_flight <= max_concurrent as i64);
                    prop_assert!(!ended.contains(&job), "job {} started after it ended", job);
                    prop_assert_eq!(attempt, attempts.get(&job).copied().unwrap_or(0) + 1);
                    prop_assert!(attempt <= max_attempts);
                    attempts.insert(job, attempt);
                }
                Event::Finish { job, verdict, .. } => {
                    in_flight -= 1;
                    if !matches!(verdict, Verdict::Retry { .. }) {
                        prop_assert!(ended.insert(job), "job {} ended twice", job);
                    }
                }
                Event::Reject { job, .. } | Event::Cancel { job, .. } | Event::Abort { job, .. } => {
                    prop_assert!(ended.insert(job), "job {} ended twice", job);
                }
            }
        }
        prop_assert_eq!(ended.len(), jobs);
        let c = sim.scheduler.stats().counters;
        prop_assert_eq!(c.completed + c.failed, jobs as u64);
        prop_assert_eq!(sim.scheduler.stats().keys, 0, "every key let go once its jobs and gates are gone");
    });
}
