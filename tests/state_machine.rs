//! A stateful property test: random sequences of every public call of the `Scheduler`
//! (submit with any priority, key and estimate; poll; finish with every outcome, any usage and
//! any set of headers; finish of an id that is not running; cancel; time moving forwards by
//! any amount, standing still, or stepping back), against a model of each job's life. After
//! every step:
//!
//! - every decision and verdict is one the job's state allows: a job starts only while
//!   waiting, ends exactly once, and is never seen again after;
//! - what the scheduler counts in flight, queued and backing off is what the model holds;
//! - in flight never exceeds `max_concurrent`;
//! - no window of a request limit the user set admits more than its burst plus its refill;
//! - memory follows the live jobs: jobs, priority classes, lanes, line slots, keys and timers
//!   are bounded by what is live, and priority classes and keys go once their jobs do.
//!
//! `cargo test` runs a CI-sized set; `scripts/soak-core.sh` runs millions of steps (the
//! `SLUICE_SOAK_STEPS` variable, through the ignored `soak` test).

use std::collections::{HashMap, HashSet, VecDeque};

use proptest::prelude::*;
use proptest::test_runner::{Config as RunnerConfig, FileFailurePersistence, TestRunner};
use sluice::{
    burst_capacity, parse_headers, Config, Cost, Decision, JobId, JobSpec, LimitKind, Observation, Outcome, OutcomeKind, Resource,
    RetryBudgetConfig, RetryPolicy, Scheduler, Usage, Verdict, FULL_BURST,
};

const KEYS: [&str; 6] = ["", "tenant-a", "tenant-b", "tenant-c", "line\nbreak", "ünï"];

const HEADER_NAMES: [&str; 20] = [
    "retry-after",
    "retry-after-ms",
    "x-should-retry",
    "x-ratelimit-limit-requests",
    "x-ratelimit-remaining-requests",
    "x-ratelimit-reset-requests",
    "x-ratelimit-limit-tokens",
    "x-ratelimit-remaining-tokens",
    "x-ratelimit-reset-tokens",
    "anthropic-ratelimit-requests-limit",
    "anthropic-ratelimit-requests-remaining",
    "anthropic-ratelimit-requests-reset",
    "anthropic-ratelimit-input-tokens-limit",
    "anthropic-ratelimit-output-tokens-remaining",
    "anthropic-ratelimit-tokens-limit",
    "RateLimit-Policy",
    "RateLimit",
    "ratelimit-limit",
    "ratelimit-remaining",
    "ratelimit-reset",
];

const HEADER_VALUES: [&str; 26] = [
    "0",
    "1",
    "2",
    "50",
    "1000",
    "90000",
    "9007199254740991",
    "18446744073709551615",
    "99999999999999999999999",
    "-1",
    "1.5",
    "abc",
    "",
    "1m30s",
    "99999999h",
    "6ms",
    "2026-12-01T21:00:00Z",
    "Tue, 01 Dec 2026 21:00:00 GMT",
    "true",
    "false",
    "\"p\";q=100;w=60",
    "\"p\";q=1;w=1000000000000",
    "\"p\";r=0;t=30",
    "\"p\";r=5;t=99999999999",
    "1e300",
    "NaN",
];

/// The wall clock at virtual time 0 (for dated headers).
const WALL_EPOCH_MS: u64 = 1_764_000_000_000;

#[derive(Clone, Debug)]
enum Op {
    Submit { priority: f64, key: usize, cost: Cost, max_wait_ms: Option<u64> },
    Poll,
    /// Ends the running attempt picked by `pick` (an index into those running, modulo).
    /// `raw`: observations a host made itself, with any values (the parser never makes some).
    Finish { pick: usize, kind: OutcomeKind, usage: Option<Usage>, headers: Vec<(usize, usize)>, raw: Vec<Observation> },
    /// Finishes an id that is not running: ended, waiting, or never made.
    FinishStray { pick: usize, made_up: JobId },
    /// Cancels a job picked among every id seen (live or ended).
    Cancel { pick: usize },
    /// Moves the host's clock (forwards by any amount, not at all, or back a little).
    Advance { ms: i64 },
}

fn priority() -> impl Strategy<Value = f64> {
    prop_oneof![
        4 => (-2i8..3).prop_map(f64::from),
        2 => any::<f64>(),
        1 => prop::sample::select(vec![0.0, -0.0, f64::INFINITY, f64::NEG_INFINITY, f64::NAN, f64::MIN_POSITIVE, f64::MAX]),
    ]
}

fn amount() -> impl Strategy<Value = u64> {
    prop_oneof![6 => 0..2_000u64, 1 => 0..200_000u64, 1 => any::<u64>(), 1 => Just(u64::MAX)]
}

fn cost() -> impl Strategy<Value = Cost> {
    prop_oneof![amount().prop_map(Cost::total), (amount(), amount()).prop_map(|(i, o)| Cost::split(i, o))]
}

fn kind() -> impl Strategy<Value = OutcomeKind> {
    prop::sample::select(vec![
        OutcomeKind::Success,
        OutcomeKind::Success,
        OutcomeKind::RateLimited,
        OutcomeKind::Overloaded,
        OutcomeKind::Retryable,
        OutcomeKind::Failure,
        OutcomeKind::Aborted,
        OutcomeKind::TimedOut,
    ])
}

fn observation() -> impl Strategy<Value = Observation> {
    let resource = prop::sample::select(vec![Resource::Requests, Resource::Tokens, Resource::InputTokens, Resource::OutputTokens]);
    let value = || prop::option::of(prop_oneof![Just(0u64), 1..100u64, amount()]);
    (prop::option::weighted(0.9, resource), value(), value(), value(), value()).prop_map(
        |(resource, limit, remaining, reset_ms, window_ms)| Observation { resource, limit, remaining, reset_ms, window_ms },
    )
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (priority(), 0..KEYS.len(), cost(), prop::option::weighted(0.3, prop_oneof![0..60_000u64, any::<u64>()]))
            .prop_map(|(priority, key, cost, max_wait_ms)| Op::Submit { priority, key, cost, max_wait_ms }),
        4 => Just(Op::Poll),
        5 => (
            any::<usize>(),
            kind(),
            prop::option::of((amount(), amount())),
            prop::collection::vec((0..HEADER_NAMES.len(), 0..HEADER_VALUES.len()), 0..6),
            prop::collection::vec(observation(), 0..2),
        )
            .prop_map(|(pick, kind, usage, headers, raw)| Op::Finish {
                pick,
                kind,
                usage: usage.map(|(input, output)| Usage { input, output }),
                headers,
                raw,
            }),
        1 => (any::<usize>(), any::<u64>()).prop_map(|(pick, made_up)| Op::FinishStray { pick, made_up }),
        2 => any::<usize>().prop_map(|pick| Op::Cancel { pick }),
        4 => prop_oneof![
            3 => 0..2_000i64,
            2 => Just(0i64),
            1 => 0..3_600_000i64,
            1 => 0..(1i64 << 40),
            1 => -1_000..0i64,
        ].prop_map(|ms| Op::Advance { ms }),
    ]
}

fn config() -> impl Strategy<Value = Config> {
    let limits = prop::collection::vec(
        (0..LimitKind::ALL.len(), prop_oneof![1 => 1..5u64, 2 => 1..200u64, 4 => 2_000..200_000u64, 1 => Just(u64::MAX >> 1)]),
        0..3,
    );
    (
        prop::option::of(1..8u32),
        limits,
        prop_oneof![Just(FULL_BURST), 1..FULL_BURST],
        prop::option::weighted(0.3, prop_oneof![1 => Just(0u64), 6 => 1..12u64]),
        any::<bool>(),
        any::<bool>(),
        (1..6u32, 1..2_000u64, 0..60_000u64, prop_oneof![0..120_000u64, Just(u64::MAX)]),
        (1..20_000u64, 0..20u64, 0..100u64),
        (prop::option::weighted(0.8, 1..200_000u64), 0..500u64, any::<u64>()),
    )
        .prop_map(
            |(max_concurrent, limits, burst, max_queue, adaptive, per_key, (attempts, base, extra, max_after), budget, (lease, transit, seed))| {
                let mut kinds = HashSet::new();
                let limits = sluice::Limits::new(limits.into_iter().filter(|(k, _)| kinds.insert(*k)).map(|(k, v)| (LimitKind::ALL[k], v))).unwrap();
                Config {
                    max_concurrent,
                    limits,
                    burst,
                    max_queue,
                    adaptive_concurrency: adaptive,
                    gate_per_key: per_key,
                    retry: RetryPolicy { max_attempts: attempts, base_ms: base, cap_ms: base + extra, max_retry_after_ms: max_after },
                    retry_budget: Some(RetryBudgetConfig { ttl_ms: budget.0, min_per_sec: budget.1, percent: budget.2 }),
                    seed,
                    transit_ms: transit,
                    attempt_lease_ms: lease,
                    // Half the runs calibrate their estimates from settled usage.
                    calibrate: seed % 2 == 0,
                }
            },
        )
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Life {
    /// Queued or backing off, after `attempts` attempts.
    Waiting { attempts: u32 },
    Running { attempt: u32, started_at: u64 },
}

/// What the host knows of each job, built only from what the scheduler said.
struct Model {
    config: Config,
    /// The host's clock: what the next call passes.
    now: u64,
    /// The scheduler's clock: the latest time any call passed (it never runs back).
    clock: u64,
    live: HashMap<JobId, Life>,
    ended: HashSet<JobId>,
    /// Every id seen, in order, for picking.
    seen: Vec<JobId>,
    /// Start times per request limit the user set, within its last two windows.
    starts: Vec<(LimitKind, u64, u64, VecDeque<u64>)>,
}

impl Model {
    fn new(config: Config) -> Self {
        let starts = config
            .limits
            .iter()
            .filter(|(k, _)| matches!(k, LimitKind::RequestsPerMinute | LimitKind::RequestsPerDay))
            .map(|(k, limit)| (k, limit, burst_capacity(limit, config.burst), VecDeque::new()))
            .collect();
        Model { config, now: 0, clock: 0, live: HashMap::new(), ended: HashSet::new(), seen: Vec::new(), starts }
    }

    fn running(&self) -> Vec<JobId> {
        let mut ids: Vec<JobId> = self.live.iter().filter(|(_, l)| matches!(l, Life::Running { .. })).map(|(id, _)| *id).collect();
        ids.sort_unstable();
        ids
    }

    fn end(&mut self, id: JobId, why: &str) -> Result<(), TestCaseError> {
        prop_assert!(self.live.remove(&id).is_some(), "{} ended by {} while not live", id, why);
        prop_assert!(self.ended.insert(id), "{} ended twice", id);
        Ok(())
    }

    /// Reads the decisions (and drops the events) the last call made.
    fn absorb(&mut self, s: &mut Scheduler) -> Result<(), TestCaseError> {
        let decisions: Vec<Decision> = s.drain().collect();
        for decision in decisions {
            match decision {
                Decision::Start { job, attempt } => {
                    let life = self.live.get(&job).copied();
                    prop_assert_eq!(life, Some(Life::Waiting { attempts: attempt - 1 }), "start of {} as attempt {}", job, attempt);
                    prop_assert!(attempt <= self.config.retry.max_attempts);
                    self.live.insert(job, Life::Running { attempt, started_at: self.clock });
                    self.count_start()?;
                }
                Decision::Reject { job, .. } => {
                    prop_assert!(matches!(self.live.get(&job), Some(Life::Waiting { .. })), "rejected {} while not waiting", job);
                    self.end(job, "a rejection")?;
                }
            }
        }
        s.drain_events().for_each(drop);
        Ok(())
    }

    /// No window of a request limit the user set admits more than its burst plus its refill.
    fn count_start(&mut self) -> Result<(), TestCaseError> {
        let now = self.clock;
        for (kind, limit, capacity, starts) in &mut self.starts {
            let window = kind.window_ms();
            starts.push_back(now);
            while starts.front().is_some_and(|&t| now - t > 2 * window) {
                starts.pop_front();
            }
            for (i, &since) in starts.iter().enumerate() {
                let admitted = (starts.len() - i) as u128;
                let allowed = *capacity as u128 + *limit as u128 * (now - since) as u128 / window as u128;
                prop_assert!(admitted <= allowed, "{:?}: {} starts in [{}, {}], at most {}", kind, admitted, since, now, allowed);
            }
        }
        Ok(())
    }

    /// The running attempts a poll at `now` presumes lost (their lease ran out).
    fn lose_expired(&mut self) -> Result<(), TestCaseError> {
        let Some(lease) = self.config.attempt_lease_ms else { return Ok(()) };
        let now = self.clock;
        let lost: Vec<JobId> = self
            .live
            .iter()
            .filter(|(_, l)| matches!(l, Life::Running { started_at, .. } if started_at.saturating_add(lease) <= now))
            .map(|(id, _)| *id)
            .collect();
        for id in lost {
            self.end(id, "its lease")?;
        }
        Ok(())
    }

    fn check(&self, s: &Scheduler) -> Result<(), TestCaseError> {
        let stats = s.stats();
        let running = self.live.values().filter(|l| matches!(l, Life::Running { .. })).count();
        let waiting = self.live.len() - running;
        prop_assert_eq!(stats.in_flight as usize, running, "in flight");
        prop_assert_eq!(stats.queued + stats.backing_off, waiting, "waiting");
        if let Some(max) = self.config.max_concurrent {
            prop_assert!(stats.in_flight <= max, "{} in flight, max {}", stats.in_flight, max);
        }
        let f = s.footprint();
        let (live, queued) = (self.live.len(), stats.queued);
        prop_assert_eq!(f.jobs, live, "jobs held");
        prop_assert!(f.queue.classes <= queued + 8, "{:?} for {} queued", f, queued);
        prop_assert!(f.queue.lanes <= 2 * queued + 17 * f.queue.classes, "{:?} for {} queued", f, queued);
        prop_assert!(f.queue.slots <= 8 * queued + 40 * f.queue.classes + 64, "{:?} for {} queued", f, queued);
        prop_assert!(f.keys <= live + f.key_gates, "{:?} for {} live", f, live);
        prop_assert!(f.key_gates < KEYS.len(), "{:?}", f);
        prop_assert!(f.timers <= 3 * (2 * live + 65), "{:?} for {} live", f, live);
        Ok(())
    }

    fn pick(&self, pick: usize) -> Option<JobId> {
        (!self.seen.is_empty()).then(|| self.seen[pick % self.seen.len()])
    }
}

fn step(s: &mut Scheduler, m: &mut Model, op: &Op) -> Result<(), TestCaseError> {
    // The scheduler's clock moves only with the calls made to it.
    let called = |m: &mut Model| m.clock = m.clock.max(m.now);
    match op {
        Op::Submit { priority, key, cost, max_wait_ms } => {
            let spec = JobSpec { cost: *cost, priority: *priority, key: KEYS[*key], max_wait_ms: *max_wait_ms, deadline: None };
            called(m);
            if let Ok(id) = s.submit(m.now, spec) {
                prop_assert!(!m.live.contains_key(&id) && !m.ended.contains(&id), "id {} reused", id);
                m.live.insert(id, Life::Waiting { attempts: 0 });
                m.seen.push(id);
            }
        }
        Op::Poll => {
            called(m);
            s.poll(m.now);
            m.lose_expired()?;
            if let Some(wake) = s.next_wake() {
                prop_assert!(wake > m.clock || m.clock == u64::MAX, "a wake-up at {} polled at {}: a busy re-poll", wake, m.clock);
            }
            // Nothing stalls: a waiting job has a running attempt to wait for, or a wake-up.
            let stats = s.stats();
            if stats.queued + stats.backing_off > 0 && stats.in_flight == 0 {
                prop_assert!(s.next_wake().is_some(), "waiting, none running, no wake-up: {:?}", stats);
            }
        }
        Op::Finish { pick, kind, usage, headers, raw } => {
            let running = m.running();
            if running.is_empty() {
                return Ok(());
            }
            let id = running[pick % running.len()];
            called(m);
            let Some(Life::Running { attempt, .. }) = m.live.get(&id).copied() else { unreachable!() };
            let pairs = headers.iter().map(|&(n, v)| (HEADER_NAMES[n], HEADER_VALUES[v]));
            let mut feedback = parse_headers(pairs, WALL_EPOCH_MS.saturating_add(m.now));
            feedback.observations.extend(raw.iter().copied());
            match s.finish(m.now, id, Outcome { kind: *kind, usage: *usage, feedback }) {
                Verdict::Done => {
                    prop_assert_eq!(*kind, OutcomeKind::Success);
                    m.end(id, "done")?;
                }
                Verdict::Failed => m.end(id, "a failure")?,
                Verdict::Exhausted { attempts, .. } => {
                    prop_assert_eq!(attempts, attempt);
                    m.end(id, "exhaustion")?;
                }
                Verdict::Retry { at } => {
                    prop_assert!(at >= m.clock);
                    prop_assert!(attempt < m.config.retry.max_attempts);
                    m.live.insert(id, Life::Waiting { attempts: attempt });
                }
                Verdict::Unknown => prop_assert!(false, "{} runs, yet finish says unknown", id),
                Verdict::Late { .. } => prop_assert!(false, "{} has no deadline, yet finish says no retry fits it", id),
            }
        }
        Op::FinishStray { pick, made_up } => {
            let id = m.pick(*pick).filter(|id| !matches!(m.live.get(id), Some(Life::Running { .. }))).unwrap_or(*made_up);
            if !matches!(m.live.get(&id), Some(Life::Running { .. })) {
                called(m);
                prop_assert_eq!(s.finish(m.now, id, Outcome::of(OutcomeKind::Success)), Verdict::Unknown);
            }
        }
        Op::Cancel { pick } => {
            let Some(id) = m.pick(*pick) else { return Ok(()) };
            called(m);
            let waiting = matches!(m.live.get(&id), Some(Life::Waiting { .. }));
            prop_assert_eq!(s.cancel(m.now, id), waiting, "cancel of {} ({:?})", id, m.live.get(&id));
            if waiting {
                m.end(id, "a cancel")?;
            }
        }
        Op::Advance { ms } => {
            // The scheduler keeps its clock from running back; the model does the same.
            if *ms >= 0 {
                m.now = m.now.saturating_add(*ms as u64);
            } else {
                // A poll from a clock that stepped back: the scheduler keeps to its latest time.
                m.clock = m.clock.max(m.now.saturating_sub(ms.unsigned_abs()));
                s.poll(m.now.saturating_sub(ms.unsigned_abs()));
                m.lose_expired()?;
            }
        }
    }
    m.absorb(s)?;
    m.check(s)
}

fn run(config: &Config, ops: &[Op]) -> Result<(), TestCaseError> {
    prop_assume!(config.validate().is_ok());
    let mut s = Scheduler::new(config.clone(), 0).expect("a valid config");
    let mut m = Model::new(config.clone());
    // SLUICE_SM_TRACE=1: a failing sequence prints each step and what followed it.
    let trace = std::env::var("SLUICE_SM_TRACE").is_ok();
    let mut steps = Vec::new();
    for op in ops {
        let result = step(&mut s, &mut m, op);
        if trace {
            steps.push(format!("{op:?}\n  -> {:?} wake {:?}", s.stats(), s.next_wake()));
            if result.is_err() {
                eprintln!("=== failing sequence\n{}", steps.join("\n"));
            }
        }
        result?;
    }
    // Drain: the queue empties once nothing holds it, and memory goes with it.
    for id in m.seen.clone() {
        if matches!(m.live.get(&id), Some(Life::Waiting { .. })) && s.cancel(m.now, id) {
            m.end(id, "the final cancel")?;
        }
        m.absorb(&mut s)?;
    }
    for id in m.running() {
        prop_assert_eq!(s.finish(m.now, id, Outcome::of(OutcomeKind::Failure)), Verdict::Failed);
        m.end(id, "the final finish")?;
        m.absorb(&mut s)?;
    }
    prop_assert!(m.live.is_empty(), "still live: {:?}", m.live);
    m.check(&s)?;
    if std::env::var("SLUICE_SM_DEBUG").is_ok() {
        eprintln!("{:?}", s.stats().counters);
    }
    let f = s.footprint();
    prop_assert!(f.jobs == 0 && f.queue.classes <= 8 && f.keys <= f.key_gates, "left behind: {:?}", f);
    Ok(())
}

/// Failing cases are kept (as seeds) and replayed first by every later run.
fn persistence() -> Option<Box<dyn proptest::test_runner::FailurePersistence>> {
    Some(Box::new(FileFailurePersistence::Direct("tests/state_machine.proptest-regressions")))
}

fn sequences(steps: usize) -> impl Strategy<Value = (Config, Vec<Op>)> {
    (config(), prop::collection::vec(op(), 1..steps))
}

#[test]
fn any_sequence_of_calls_keeps_the_invariants() {
    let mut runner = TestRunner::new(RunnerConfig { cases: 300, failure_persistence: persistence(), ..RunnerConfig::default() });
    runner.run(&sequences(400), |(config, ops)| run(&config, &ops)).unwrap();
}

/// The long run: at least `SLUICE_SOAK_STEPS` steps in all (default 10 million), in
/// sequences of up to 2 000 calls. Started by `scripts/soak-core.sh`.
#[test]
#[ignore]
fn soak() {
    let steps: u64 = std::env::var("SLUICE_SOAK_STEPS").ok().and_then(|s| s.parse().ok()).unwrap_or(10_000_000);
    let started = std::time::Instant::now();
    let (done, mut sequences_run) = (std::cell::Cell::new(0u64), 0u32);
    while done.get() < steps {
        let cases = 500;
        let mut runner = TestRunner::new(RunnerConfig { cases, failure_persistence: persistence(), ..RunnerConfig::default() });
        let result = runner.run(&sequences(2_000), |(config, ops)| {
            done.set(done.get() + ops.len() as u64);
            run(&config, &ops)
        });
        sequences_run += cases;
        if let Err(failure) = result {
            panic!("after {} steps: {failure}", done.get());
        }
    }
    println!("soak: {} steps in {sequences_run} sequences, {:.1} s, no failure", done.get(), started.elapsed().as_secs_f64());
}
