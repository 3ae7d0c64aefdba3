//! Calibration on virtual time: estimates a quarter low, a quarter high, or noisy (±50 % per
//! job, unbiased) against the simulated provider, which counts the real input and charges it
//! plus `max_tokens` on admission; with rate-limit headers on every answer, on its 429s only
//! (a caller that returns the SDK's parsed answer, not `.withResponse()`), or on none. The
//! ratio converges within the window (31 settled jobs), with no 429 storm meanwhile.

mod sim;

use sim::provider::{Outage, SimProvider};
use sim::{Event, Plan, Sim};
use sluice::{Config, Cost, JobSpec, LimitKind, Limits, OutcomeKind, Rng, Scheduler, Usage, Verdict, CALIBRATION_WINDOW, RATIO_UNIT};

const RPM: u64 = 10_000;
const TPM: u64 = 150_000;
const JOBS: u64 = 2_000;

#[derive(Clone, Copy, Debug)]
enum Error {
    /// The provider counts 1.33 × the estimate (a token per 3 characters against 4).
    Low,
    /// The estimate is a quarter above the real count.
    High,
    /// Each estimate is off by up to half either way, on average right.
    Noisy,
}

/// A call: its real input and output, its estimate of the input, and what the provider charges.
fn call(i: u64, error: Error, rng: &mut Rng) -> (JobSpec<'static>, Plan) {
    let input = 200 + (i * 7_919) % 600;
    let max_tokens = 500;
    let output = 100 + (i * 104_729) % 400;
    let estimate = match error {
        Error::Low => input * 3 / 4,
        Error::High => input * 5 / 4,
        Error::Noisy => input * (50 + rng.up_to(101)) / 100,
    };
    let plan = Plan {
        duration: 1_000 + output * 10,
        kind: OutcomeKind::Success,
        usage: Some(Usage { input, output }),
        charge: input + max_tokens,
    };
    (JobSpec { cost: Cost::split(estimate, max_tokens), ..JobSpec::default() }, plan)
}

/// The real input over the estimate, averaged as the provider sees it.
fn true_ratio(error: Error) -> f64 {
    match error {
        Error::Low => 4.0 / 3.0,
        Error::High => 0.8,
        Error::Noisy => 1.0,
    }
}

struct Run {
    refusals: usize,
    completed: u64,
    makespan: u64,
    /// The input ratio once the first window of jobs had settled, and at the end.
    ratio_after_window: f64,
    ratio_at_end: f64,
}

/// Which answers carry the rate-limit headers.
#[derive(Clone, Copy, Debug)]
enum Headers {
    All,
    RefusalsOnly,
    None,
}

fn run(error: Error, headers: Headers, calibrate: bool) -> Run {
    let mut provider = SimProvider::new(RPM, TPM);
    provider.headers = !matches!(headers, Headers::None);
    provider.headers_on_success = matches!(headers, Headers::All);
    let config = Config { limits: Limits::new([(LimitKind::TokensPerMinute, TPM)]).unwrap(), seed: 11, calibrate, ..Config::default() };
    let mut sim = Sim::with_provider(Scheduler::new(config, 0).unwrap(), provider);
    let mut rng = Rng::new(5);
    for i in 0..JOBS {
        let (job, plan) = call(i, error, &mut rng);
        sim.submit(job, plan).unwrap();
    }
    let ratio = |sim: &Sim<SimProvider>| {
        sim.scheduler.stats().calibration.map_or(1.0, |c| c.input as f64 / RATIO_UNIT as f64)
    };
    while sim.scheduler.stats().counters.completed < CALIBRATION_WINDOW as u64 {
        let next = sim.now + 100;
        sim.run_until(next);
    }
    let ratio_after_window = ratio(&sim);
    sim.run_to_idle();
    let done: Vec<u64> = sim
        .events
        .iter()
        .filter_map(|e| match e {
            Event::Finish { at, verdict: Verdict::Done, .. } => Some(*at),
            _ => None,
        })
        .collect();
    Run { refusals: sim.provider.refusals(), completed: done.len() as u64, makespan: *done.iter().max().unwrap(), ratio_after_window, ratio_at_end: ratio(&sim) }
}

/// The fastest the provider allows: its token bucket drained at its rate after its burst, the
/// unused output given back, plus the last job's run.
fn ideal_ms(error: Error) -> u64 {
    let mut rng = Rng::new(5);
    let plans: Vec<Plan> = (0..JOBS).map(|i| call(i, error, &mut rng).1).collect();
    let used: u64 = plans.iter().map(|p| p.usage.map_or(0, |u| u.input + u.output)).sum();
    let drain = used.saturating_sub(TPM) * 60_000 / TPM;
    drain + plans.iter().map(|p| p.duration).sum::<u64>() / JOBS
}

#[test]
fn wrong_estimates_are_calibrated_without_a_429_storm() {
    for error in [Error::Low, Error::High, Error::Noisy] {
        for headers in [Headers::All, Headers::RefusalsOnly, Headers::None] {
            let r = run(error, headers, true);
            let ideal = ideal_ms(error);
            let truth = true_ratio(error);
            eprintln!(
                "{error:?}, headers {headers:?}: {} 429s for {JOBS} jobs, makespan {:.3} × ideal, ratio {:.3} after {CALIBRATION_WINDOW} jobs, {:.3} at the end (truth {truth:.3})",
                r.refusals,
                r.makespan as f64 / ideal as f64,
                r.ratio_after_window,
                r.ratio_at_end,
            );
            assert_eq!(r.completed, JOBS, "{error:?}, headers {headers:?}: every job done");
            assert!((r.refusals as f64) <= 0.01 * JOBS as f64, "{error:?}, headers {headers:?}: {} 429s", r.refusals);
            // Within the window the ratio is the truth (a biased estimate), or within 15 % of it
            // (±50 % noise: the middle half of 63 draws).
            let tolerance = if matches!(error, Error::Noisy) { 0.15 } else { 0.01 };
            for ratio in [r.ratio_after_window, r.ratio_at_end] {
                assert!((ratio / truth - 1.0).abs() <= tolerance, "{error:?}, headers {headers:?}: ratio {ratio}, truth {truth}");
            }
            assert!((r.makespan as f64) <= 1.05 * ideal as f64, "{error:?}, headers {headers:?}: makespan {} ms, ideal {ideal} ms", r.makespan);
        }
    }
}

#[test]
fn without_calibration_a_low_estimate_meets_429s() {
    // The same run with `calibrate: false` and no headers: the budget runs ahead of the provider
    // until debts settle, and the provider refuses. This is what calibration is for.
    let r = run(Error::Low, Headers::None, false);
    let calibrated = run(Error::Low, Headers::None, true);
    eprintln!(
        "low estimates, no headers: {} 429s uncalibrated ({} of {JOBS} jobs done), {} calibrated",
        r.refusals, r.completed, calibrated.refusals
    );
    assert!(r.refusals > 10 * calibrated.refusals.max(1), "{} against {}", r.refusals, calibrated.refusals);
}

#[test]
fn an_outage_whose_429s_carry_only_retry_after_drains_no_bucket() {
    // 5 s of outage with a Retry-After of 1 s and no rate-limit headers: the provider's bucket
    // keeps refilling, so the backlog may go out the moment the outage is over.
    let mut provider = SimProvider::new(RPM, TPM);
    provider.headers = false;
    provider.outage = Some(Outage { from: 20_000, until: 25_000, retry_after_s: Some(1) });
    let config = Config { limits: Limits::new([(LimitKind::TokensPerMinute, TPM)]).unwrap(), seed: 3, ..Config::default() };
    let mut sim = Sim::with_provider(Scheduler::new(config, 0).unwrap(), provider);
    let mut rng = Rng::new(5);
    for i in 0..JOBS {
        let (job, plan) = call(i, Error::Noisy, &mut rng);
        sim.submit(job, plan).unwrap();
    }
    sim.run_to_idle();
    let admitted = sim.provider.admitted();
    let last = *admitted.iter().max().unwrap();
    // The ideal client that honours every Retry-After admits its last job when the token bucket
    // has drained the workload at its rate (the outage loses nothing: the bucket refilled).
    let ideal_last = ideal_ms(Error::Noisy) - {
        let mut rng = Rng::new(5);
        (0..JOBS).map(|i| call(i, Error::Noisy, &mut rng).1.duration).sum::<u64>() / JOBS
    };
    let attempts = sim.provider.attempts() as f64 / JOBS as f64;
    eprintln!("outage with bare 429s: last admission {last} ms, ideal {ideal_last} ms, {attempts:.4} attempts per job");
    assert!(attempts <= 1.05, "{attempts} attempts per job");
    assert!((last as f64) <= 1.03 * ideal_last as f64, "last admission {last} ms, ideal {ideal_last} ms");
    let first_after = admitted.iter().copied().find(|&t| t >= 25_000).unwrap();
    assert!(first_after <= 25_000 + 1_000 + 100, "first admission after the outage at {first_after} ms");
}
