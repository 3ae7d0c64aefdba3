//! Decisions per second of sluice's core alone, native, for the record.
//!
//! A decision is the core starting a job (`Decision::Start`). Each workload times the whole life
//! of its jobs: `submit`, the `poll` that starts them, and the `finish` that ends them, so
//! "decisions per second" is also jobs through the core per second. Each runs several times; the
//! median is printed and written to bench/results/core.json.
//!
//!   cargo run --release --manifest-path bench/core/Cargo.toml [-- --runs 5 --out PATH]

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::Instant;

use sluice::{parse_headers, Config, Cost, Decision, JobId, JobSpec, LimitKind, Limits, Outcome, OutcomeKind, Scheduler, Usage};

/// A small deterministic generator (splitmix64), so that every run sees the same jobs.
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

const KEYS: [&str; 4] = ["tenant-a", "tenant-b", "tenant-c", "tenant-d"];

struct Workload {
    name: &'static str,
    what: &'static str,
    jobs: u64,
    run: fn(u64) -> u64,
}

fn success() -> Outcome {
    Outcome::of(OutcomeKind::Success)
}

/// A million jobs queued at once behind a concurrency cap of 64, no budgets: every start and
/// finish walks a deep queue.
fn deep_queue(n: u64) -> u64 {
    let config = Config { max_concurrent: Some(64), ..Config::default() };
    let mut s = Scheduler::new(config, 0).unwrap();
    for _ in 0..n {
        s.submit(0, JobSpec { cost: Cost::total(0), ..JobSpec::default() }).unwrap();
    }
    let mut started: Vec<JobId> = Vec::with_capacity(64);
    let mut decisions = 0;
    let mut now = 0;
    loop {
        s.poll(now);
        started.extend(s.drain().filter_map(|d| match d {
            Decision::Start { job, .. } => Some(job),
            Decision::Reject { .. } => None,
        }));
        if started.is_empty() {
            break;
        }
        decisions += started.len() as u64;
        for id in started.drain(..) {
            s.finish(now, id, success());
        }
        now += 1;
    }
    assert_eq!(decisions, n);
    decisions
}

/// Steady state: a queue kept at about 1 000 jobs over 4 tenants and 2 priorities, RPM and TPM
/// budgets far above use (checked on every job, never binding), each finish settling its usage.
fn steady(n: u64) -> u64 {
    let config = Config {
        max_concurrent: Some(64),
        limits: Limits::new([(LimitKind::RequestsPerMinute, 1 << 40), (LimitKind::TokensPerMinute, 1 << 50)]).unwrap(),
        ..Config::default()
    };
    let mut s = Scheduler::new(config, 0).unwrap();
    let mut rand = Rand(1);
    let mut submitted = 0;
    let mut decisions = 0;
    let mut started: Vec<JobId> = Vec::with_capacity(64);
    let mut now = 0;
    while decisions < n {
        while submitted < n && submitted - decisions < 1_000 {
            let spec = JobSpec {
                cost: Cost::split(rand.range(50, 1_000), 512),
                priority: (rand.next() % 8 == 0) as u8 as f64,
                key: KEYS[(rand.next() % 4) as usize],
                ..JobSpec::default()
            };
            s.submit(now, spec).unwrap();
            submitted += 1;
        }
        s.poll(now);
        started.extend(s.drain().filter_map(|d| if let Decision::Start { job, .. } = d { Some(job) } else { None }));
        decisions += started.len() as u64;
        for id in started.drain(..) {
            let usage = Some(Usage { input: 500, output: rand.range(20, 512) });
            s.finish(now, id, Outcome { usage, ..success() });
        }
        now += 1;
    }
    decisions
}

/// The realistic path: OpenAI-like limits that bind (5 000 RPM, 2 000 000 TPM), no concurrency
/// cap, time moving to each next wake-up or answer, answers after 0.3 s + 10 ms per output token
/// that settle their usage and carry the six x-ratelimit-* headers, parsed on every finish.
fn provider_bound(n: u64) -> u64 {
    let config = Config {
        limits: Limits::new([(LimitKind::RequestsPerMinute, 5_000), (LimitKind::TokensPerMinute, 2_000_000)]).unwrap(),
        ..Config::default()
    };
    let mut s = Scheduler::new(config, 0).unwrap();
    let mut rand = Rand(2);
    let mut now: u64 = 0;
    let mut costs = std::collections::HashMap::new();
    for _ in 0..n {
        let (input, max) = (rand.range(50, 1_000), [128, 256, 512][(rand.next() % 3) as usize]);
        let id = s.submit(0, JobSpec { cost: Cost::split(input, max), ..JobSpec::default() }).unwrap();
        costs.insert(id, (input, max));
    }
    // The provider's own tokens bucket, mirrored roughly, for the remaining-tokens header that
    // each answer carries (as it stood when the request was admitted).
    let (mut level, mut level_at) = (2_000_000f64, 0u64);
    let mut running: BinaryHeap<Reverse<(u64, JobId, u64, u64)>> = BinaryHeap::new();
    let mut decisions = 0;
    let mut done = 0;
    while done < n {
        s.poll(now);
        level = (level + (now - level_at) as f64 * 2_000_000.0 / 60_000.0).min(2_000_000.0);
        level_at = now;
        for d in s.drain() {
            if let Decision::Start { job, .. } = d {
                decisions += 1;
                let (input, max) = costs[&job];
                level -= (input + max) as f64;
                let output = rand.range(max / 5, max);
                running.push(Reverse((now + 300 + 10 * output, job, output, level.max(0.0) as u64)));
            }
        }
        let wake = s.next_wake().unwrap_or(u64::MAX);
        let answer = running.peek().map_or(u64::MAX, |Reverse((t, ..))| *t);
        now = now.max(wake.min(answer));
        while let Some(&Reverse((t, id, output, remaining))) = running.peek() {
            if t > now {
                break;
            }
            running.pop();
            let (input, max) = costs[&id];
            level += (max - output) as f64;
            let remaining = remaining.to_string();
            let headers = [
                ("x-ratelimit-limit-requests", "5000"),
                ("x-ratelimit-limit-tokens", "2000000"),
                ("x-ratelimit-remaining-requests", "4999"),
                ("x-ratelimit-remaining-tokens", remaining.as_str()),
                ("x-ratelimit-reset-requests", "12ms"),
                ("x-ratelimit-reset-tokens", "1m20.5s"),
            ];
            let feedback = parse_headers(headers.iter().copied(), 1_735_689_600_000 + now);
            s.finish(now, id, Outcome { kind: OutcomeKind::Success, usage: Some(Usage { input, output }), feedback });
            done += 1;
        }
    }
    decisions
}

fn main() {
    let mut runs = 5;
    let mut out = String::from("bench/results/core.json");
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--runs" => runs = args.next().and_then(|v| v.parse().ok()).expect("--runs N"),
            "--out" => out = args.next().expect("--out PATH"),
            other => panic!("unknown argument {other}"),
        }
    }
    let workloads = [
        Workload { name: "deep-queue", what: "1 000 000 jobs queued at once, 64 at a time, no budgets", jobs: 1_000_000, run: deep_queue },
        Workload { name: "steady", what: "~1 000 queued, 4 tenants, 2 priorities, RPM+TPM checked, usage settled", jobs: 1_000_000, run: steady },
        Workload { name: "provider-bound", what: "5 000 RPM / 2 M TPM binding, headers parsed on every finish, 100 000 jobs", jobs: 100_000, run: provider_bound },
    ];
    println!("\nsluice core, native release build: decisions (job starts) per second, median of {runs} runs");
    println!("{:<16}  {:>14}  {:>10}  {}", "workload", "decisions/s", "ns/job", "what");
    println!("{:-<16}  {:->14}  {:->10}  {:-<20}", "", "", "", "");
    let mut json = Vec::new();
    for w in &workloads {
        let mut rates = Vec::new();
        for _ in 0..runs {
            let t = Instant::now();
            let decisions = (w.run)(w.jobs);
            let secs = t.elapsed().as_secs_f64();
            assert_eq!(decisions, w.jobs);
            rates.push(decisions as f64 / secs);
        }
        let mut sorted = rates.clone();
        sorted.sort_by(|a, b| a.partial_cmp(b).unwrap());
        let median = sorted[sorted.len() / 2];
        println!("{:<16}  {:>14}  {:>10.0}  {}", w.name, group(median as u64), 1e9 / median, w.what);
        let list = rates.iter().map(|r| format!("{r:.0}")).collect::<Vec<_>>().join(", ");
        json.push(format!(
            "    {{ \"name\": \"{}\", \"what\": \"{}\", \"jobs\": {}, \"decisionsPerSecond\": {:.0}, \"nsPerJob\": {:.1}, \"runs\": [{}] }}",
            w.name, w.what, w.jobs, median, 1e9 / median, list
        ));
    }
    // The machine's load when the runs ended: these figures are wall-clock ones.
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let load = load.split_whitespace().take(3).collect::<Vec<_>>().join(", ");
    let body = format!(
        "{{\n  \"benchmark\": \"core\",\n  \"command\": \"cargo run --release --manifest-path bench/core/Cargo.toml\",\n  \"runs\": {runs},\n  \"loadavgAtEnd\": [{load}],\n  \"workloads\": [\n{}\n  ]\n}}\n",
        json.join(",\n")
    );
    if let Some(dir) = std::path::Path::new(&out).parent() {
        std::fs::create_dir_all(dir).expect("results directory");
    }
    std::fs::write(&out, body).expect("write results");
    println!("wrote {out}");
}

/// 1234567 → "1,234,567".
fn group(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}
