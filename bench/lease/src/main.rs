//! Account-wide limits shared by 100 isolates in 20 locations, on virtual time (nothing
//! sleeps): each isolate runs sluice's real scheduler; a simulated provider enforces one
//! account's requests and tokens per minute (continuously refilled buckets holding 5 s of the
//! limit, then 1 s) and answers 429 with a Retry-After when they run dry. Three ways to share:
//!
//! - independent: every isolate is given the account's limits (what a Worker gets today);
//! - static split: every isolate is given a hundredth of them;
//! - leases: every isolate spends what one coordinator (sluice's `lease::Authority`) grants,
//!   each exchange taking a round trip to the coordinator (25-75 ms each way, by location).
//!
//! Demand is bursty: each isolate gets bursts of jobs at random times, 100 000 jobs over about
//! a minute (the account's limit), peaks well above it. "ideal" is one limiter with the whole
//! budget and no distance: the same jobs in arrival order, each as soon as the buckets allow.
//!
//!   cargo run --release --manifest-path bench/lease/Cargo.toml

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};

use sluice::lease::{Ask, Authority, Grant, Local, LEASE_MS};
use sluice::{Config, Cost, Decision, Feedback, JobId, JobSpec, LimitKind, Millis, Outcome, OutcomeKind, Scheduler, Usage};

const ISOLATES: usize = 100;
const LOCATIONS: usize = 20;
const JOBS: usize = 100_000;
const RPM: u64 = 100_000;
const TPM: u64 = 50_000_000;
/// How many seconds of its limit the provider's buckets hold, one table each; the limiters
/// are told the same (`burst`). Leases must stay well below the burst (see `lease::horizon_ms`).
const BURSTS_S: [u32; 2] = [5, 1];

fn burst_ppm(seconds: u32) -> u32 {
    1_000_000 * seconds / 60
}
const REFUSAL_MS: u64 = 50;

/// splitmix64: every run sees the same jobs.
struct Rand(u64);

impl Rand {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }
}

#[derive(Clone, Copy)]
struct Job {
    isolate: usize,
    arrival: Millis,
    tokens: u64,
    duration: u64,
}

/// Bursts of 20-80 jobs at random times on each isolate, about 2 500 jobs a second in all.
fn workload() -> Vec<Job> {
    let mut rand = Rand(14);
    let mut jobs = Vec::with_capacity(JOBS);
    let mut clocks = vec![0u64; ISOLATES];
    while jobs.len() < JOBS {
        let isolate = rand.range(0, ISOLATES as u64 - 1) as usize;
        // 50 jobs per burst on average, a burst per isolate every 2 s: 2 500 jobs a second,
        // half again the account's limit.
        clocks[isolate] += rand.range(0, 4_000);
        for _ in 0..rand.range(20, 80) {
            if jobs.len() == JOBS {
                break;
            }
            let arrival = clocks[isolate] + rand.range(0, 200);
            jobs.push(Job { isolate, arrival, tokens: rand.range(200, 800), duration: rand.range(1_000, 3_000) });
        }
    }
    jobs.sort_by_key(|j| j.arrival);
    jobs
}

/// The provider's side of a limit, in floats (the opponent, not the thing under test).
#[derive(Clone, Copy)]
struct ProviderBucket {
    per_ms: f64,
    capacity: f64,
    level: f64,
    at: Millis,
}

impl ProviderBucket {
    fn new(per_minute: u64, burst: u32) -> Self {
        let capacity = per_minute as f64 * burst as f64 / 1e6;
        ProviderBucket { per_ms: per_minute as f64 / 60_000.0, capacity, level: capacity, at: 0 }
    }
    fn refill(&mut self, now: Millis) {
        if now > self.at {
            self.level = (self.level + (now - self.at) as f64 * self.per_ms).min(self.capacity);
            self.at = now;
        }
    }
    fn wait_for(&self, amount: f64) -> u64 {
        if self.level >= amount {
            0
        } else {
            ((amount - self.level) / self.per_ms).ceil() as u64
        }
    }
}

struct Provider {
    requests: ProviderBucket,
    tokens: ProviderBucket,
    refusals: u64,
}

impl Provider {
    fn new(burst: u32) -> Self {
        Provider { requests: ProviderBucket::new(RPM, burst), tokens: ProviderBucket::new(TPM, burst), refusals: 0 }
    }

    /// The request arrives: admitted (true), or refused with a Retry-After (ms).
    fn call(&mut self, now: Millis, tokens: u64) -> Result<(), u64> {
        self.requests.refill(now);
        self.tokens.refill(now);
        let t = tokens as f64;
        if self.requests.level >= 1.0 && self.tokens.level >= t {
            self.requests.level -= 1.0;
            self.tokens.level -= t;
            Ok(())
        } else {
            self.refusals += 1;
            Err(self.requests.wait_for(1.0).max(self.tokens.wait_for(t)).max(1))
        }
    }
}

/// The least makespan: one limiter with the whole budget, no distance, first come first served.
fn ideal(jobs: &[Job], burst: u32) -> Millis {
    let mut provider = Provider::new(burst);
    let (mut t, mut end) = (0, 0);
    for job in jobs {
        t = t.max(job.arrival);
        loop {
            match provider.call(t, job.tokens) {
                Ok(()) => break,
                Err(wait) => t += wait,
            }
        }
        end = end.max(t + job.duration);
    }
    end
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Strategy {
    Independent,
    StaticSplit,
    Leases,
}

enum Ev {
    Arrive(usize),
    Wake(usize),
    End { isolate: usize, id: JobId, ok: bool, retry_after: u64 },
    AskArrives { isolate: usize, seq: u64, ask: Ask },
    GrantArrives { isolate: usize, seq: u64, grant: Grant },
}

struct Row {
    name: &'static str,
    makespan: Millis,
    refusals: u64,
    failed: u64,
    calls: u64,
    peak_calls_per_s: u64,
    fairness: f64,
}

struct Isolate {
    scheduler: Scheduler,
    local: Option<Local>,
    one_way_ms: u64,
    wake_at: Option<Millis>,
    /// Job ids in the scheduler → index in the workload.
    jobs: HashMap<JobId, usize>,
}

struct Sim {
    queue: BinaryHeap<Reverse<(Millis, u64, usize)>>,
    events: Vec<Option<Ev>>,
    seq: u64,
}

impl Sim {
    fn push(&mut self, at: Millis, ev: Ev) {
        self.seq += 1;
        self.events.push(Some(ev));
        self.queue.push(Reverse((at, self.seq, self.events.len() - 1)));
    }
}

fn config(share: u64, burst: u32) -> Config {
    Config {
        limits: vec![(LimitKind::RequestsPerMinute, RPM / share), (LimitKind::TokensPerMinute, TPM / share)],
        burst,
        transit_ms: 0,
        ..Config::default()
    }
}

fn run(strategy: Strategy, jobs: &[Job], burst: u32) -> Row {
    let share = if strategy == Strategy::StaticSplit { ISOLATES as u64 } else { 1 };
    let mut isolates: Vec<Isolate> = (0..ISOLATES)
        .map(|i| {
            let mut scheduler = Scheduler::new(Config { seed: i as u64, ..config(share, burst) }, 0).unwrap();
            let local = (strategy == Strategy::Leases).then(|| Local::new(&mut scheduler, 0));
            // Location l: 25 ms to 75 ms each way.
            let one_way_ms = 25 + (i % LOCATIONS) as u64 * 50 / (LOCATIONS as u64 - 1);
            Isolate { scheduler, local, one_way_ms, wake_at: None, jobs: HashMap::new() }
        })
        .collect();
    let limits = [(LimitKind::RequestsPerMinute, RPM), (LimitKind::TokensPerMinute, TPM)];
    let mut authority = Authority::new(&limits, burst, LEASE_MS, 0, 0);
    let mut provider = Provider::new(burst);
    let mut sim = Sim { queue: BinaryHeap::new(), events: Vec::new(), seq: 0 };
    for (n, job) in jobs.iter().enumerate() {
        sim.push(job.arrival, Ev::Arrive(n));
    }
    let mut done: Vec<Option<Millis>> = vec![None; jobs.len()];
    let mut failed = 0;
    let mut calls_per_s: HashMap<u64, u64> = HashMap::new();

    while let Some(Reverse((now, _, index))) = sim.queue.pop() {
        let ev = sim.events[index].take().expect("each event runs once");
        let i = match ev {
            Ev::Arrive(n) => {
                let job = jobs[n];
                let iso = &mut isolates[job.isolate];
                let id = iso.scheduler.submit(now, JobSpec { cost: Cost::total(job.tokens), ..JobSpec::default() }).unwrap();
                iso.jobs.insert(id, n);
                job.isolate
            }
            Ev::Wake(i) => {
                if isolates[i].wake_at == Some(now) {
                    isolates[i].wake_at = None;
                }
                i
            }
            Ev::End { isolate, id, ok, retry_after } => {
                let iso = &mut isolates[isolate];
                let n = iso.jobs[&id];
                let outcome = if ok {
                    Outcome { usage: Some(Usage { input: jobs[n].tokens * 3 / 5, output: jobs[n].tokens * 2 / 5 }), ..Outcome::of(OutcomeKind::Success) }
                } else {
                    Outcome {
                        feedback: Feedback { retry_after_ms: Some(retry_after), ..Feedback::default() },
                        ..Outcome::of(OutcomeKind::RateLimited)
                    }
                };
                match iso.scheduler.finish(now, id, outcome) {
                    sluice::Verdict::Done => {
                        done[n] = Some(now);
                        iso.jobs.remove(&id);
                    }
                    sluice::Verdict::Retry { .. } => {}
                    _ => {
                        failed += 1;
                        iso.jobs.remove(&id);
                    }
                }
                isolate
            }
            Ev::AskArrives { isolate, seq, ask } => {
                *calls_per_s.entry(now / 1_000).or_default() += 1;
                let grant = authority.exchange(now, isolate as u64, &ask);
                sim.push(now + isolates[isolate].one_way_ms, Ev::GrantArrives { isolate, seq, grant });
                continue;
            }
            Ev::GrantArrives { isolate, seq, grant } => {
                let iso = &mut isolates[isolate];
                iso.local.as_mut().unwrap().granted(&mut iso.scheduler, now, seq, &grant);
                isolate
            }
        };
        // Carry out what the isolate's limiter decides now.
        let iso = &mut isolates[i];
        iso.scheduler.poll(now);
        let starts: Vec<Decision> = iso.scheduler.drain().collect();
        iso.scheduler.drain_events().for_each(drop);
        for decision in starts {
            match decision {
                Decision::Start { job: id, .. } => {
                    let n = iso.jobs[&id];
                    match provider.call(now, jobs[n].tokens) {
                        Ok(()) => sim.push(now + jobs[n].duration, Ev::End { isolate: i, id, ok: true, retry_after: 0 }),
                        Err(wait) => sim.push(now + REFUSAL_MS, Ev::End { isolate: i, id, ok: false, retry_after: wait }),
                    }
                }
                Decision::Reject { job: id, .. } => {
                    failed += 1;
                    iso.jobs.remove(&id);
                }
            }
        }
        // As the JS limiter does after each poll: the lease moves on, asks if due.
        let mut again = false;
        if let Some(local) = iso.local.as_mut() {
            let (grew, due) = local.tick(&mut iso.scheduler, now);
            if due {
                let (seq, ask) = local.ask(now);
                sim.push(now + iso.one_way_ms, Ev::AskArrives { isolate: i, seq, ask });
            }
            again = grew;
        }
        if again {
            sim.push(now, Ev::Wake(i));
        }
        let lease_wake = iso.local.as_ref().and_then(|l| l.next_wake(now));
        let wake = [iso.scheduler.next_wake(), lease_wake].into_iter().flatten().filter(|&t| t > now).min();
        if let Some(wake) = wake {
            if iso.wake_at.is_none_or(|w| w <= now || wake < w) {
                iso.wake_at = Some(wake);
                sim.push(wake, Ev::Wake(i));
            }
        }
    }

    let makespan = done.iter().flatten().copied().max().unwrap_or(0);
    // Fairness: Jain's index of the isolates' mean slowdown (time in the system / duration).
    let mut slow = vec![(0.0f64, 0u64); ISOLATES];
    for (n, job) in jobs.iter().enumerate() {
        if let Some(end) = done[n] {
            slow[job.isolate].0 += (end - job.arrival) as f64 / job.duration as f64;
            slow[job.isolate].1 += 1;
        }
    }
    let means: Vec<f64> = slow.iter().filter(|s| s.1 > 0).map(|s| s.0 / s.1 as f64).collect();
    let fairness = means.iter().sum::<f64>().powi(2) / (means.len() as f64 * means.iter().map(|m| m * m).sum::<f64>());
    let name = match strategy {
        Strategy::Independent => "independent (full limits each)",
        Strategy::StaticSplit => "static split (1/100 each)",
        Strategy::Leases => "leases (one coordinator)",
    };
    Row {
        name,
        makespan,
        refusals: provider.refusals,
        failed,
        calls: authority.exchanges,
        peak_calls_per_s: calls_per_s.values().copied().max().unwrap_or(0),
        fairness,
    }
}

fn main() {
    let jobs = workload();
    let last_arrival = jobs.last().map_or(0, |j| j.arrival);
    println!(
        "{ISOLATES} isolates in {LOCATIONS} locations (25-75 ms each way to the coordinator), {JOBS} jobs in bursts over {:.1} s;",
        last_arrival as f64 / 1e3
    );
    println!("account: {RPM} requests and {TPM} tokens a minute; leases valid {LEASE_MS} ms.");
    for seconds in BURSTS_S {
        let burst = burst_ppm(seconds);
        let ideal = ideal(&jobs, burst);
        println!("\nbuckets holding {seconds} s of the limit (burst {seconds}/60); ideal makespan {:.1} s", ideal as f64 / 1e3);
        println!(
            "{:<32} {:>9} {:>8} {:>7} {:>7} {:>7} {:>10} {:>16} {:>9}",
            "strategy", "makespan", "/ ideal", "429s", "failed", "calls", "calls/job", "calls/s (peak)", "fairness"
        );
        for strategy in [Strategy::Independent, Strategy::StaticSplit, Strategy::Leases] {
            let row = run(strategy, &jobs, burst);
            let secs = row.makespan as f64 / 1e3;
            println!(
                "{:<32} {:>8.1}s {:>8.3} {:>7} {:>7} {:>7} {:>10.3} {:>16} {:>9.3}",
                row.name,
                secs,
                row.makespan as f64 / ideal as f64,
                row.refusals,
                row.failed,
                row.calls,
                row.calls as f64 / JOBS as f64,
                format!("{:.0} ({})", row.calls as f64 / secs.max(1e-9), row.peak_calls_per_s),
                row.fairness
            );
        }
    }
    println!("\nfailed: jobs that ran out of attempts. calls/s: the coordinator's mean (busiest second) against a");
    println!("Durable Object's soft limit of about 1 000 a second. fairness: Jain's index of the isolates' mean");
    println!("slowdown (time in the system / duration; 1 = every isolate's jobs wait alike).");
}
