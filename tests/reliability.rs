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
    s.finish(10, a1, rate_limited(1_000));
    s.finish(10, a2, rate_limited(1_000));
    s.finish(10, b1, rate_limited(1_500));
    let c1 = s.submit(10, keyed("c")).unwrap();
    let c2 = s.submit(10, keyed("c")).unwrap();
    s.poll(10);
    assert_eq!(started(&mut s), vec![c1, c2]);
    s.poll(1_010); // key a's gate is half open: a1 goes out as its probe, a2 waits behind it
    assert_eq!(started(&mut s), vec![a1]);
    s.poll(1_510); // b1 re-enters the retry lane behind a2; no slot is free
    assert!(started(&mut s).is_empty());
    assert!(s.cancel(1_510, b1));
    s.finish(1_600, c1, Outcome::of(OutcomeKind::Success));
    s.poll(1_600);
    assert!(started(&mut s).is_empty(), "a2 waits for its key's probe; b1 was cancelled");
    assert_eq!(s.stats().queued, 1);
    s.finish(1_700, a1, Outcome::of(OutcomeKind::Success));
    s.poll(1_700);
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
