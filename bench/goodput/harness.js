// Runs one scenario with one strategy on virtual time, and measures it.
//
// @sinonjs/fake-timers replaces setTimeout, setInterval, Date and performance, so that the
// peers (which read Date.now() or performance.now() and sleep with setTimeout), the openai SDK
// (its retry sleeps and request timeouts), sluice's wrapper and the simulated provider all run
// unchanged on one virtual clock. Time moves only when every promise chain has settled: the
// driver fires the next timer, lets the microtasks and one real macrotask run, and repeats.
// Math.random is seeded for the run, so the SDK's and p-retry's jitter repeat too.

import FakeTimers from '@sinonjs/fake-timers';
import OpenAI from 'openai';
import { withSeededMathRandom } from '../lib/rng.js';
import { quantile } from '../lib/stats.js';
import { ideal, requestsPerMinuteAtEstimate, sustainingConcurrency } from './ideal.js';
import { SimProvider } from './provider.js';
import { body } from './workload.js';

/** The wall clock of virtual time 0 (any date: only differences matter). */
const EPOCH = Date.UTC(2025, 0, 1);
/** A virtual-time safety net: a run that is not done after this long is stopped and reported. */
const HORIZON_MS = 4 * 3_600_000;

/**
 * @param {object} sc a scenario (workload.js)
 * @param {object} strategy a module of strategies/
 * @param {object} [o]
 * @param {number} [o.seed]
 * @param {number[]} [o.only] indices of the jobs to run (the others are left out), for baselines
 */
export async function runScenario(sc, strategy, { seed = 1, only = null, cookbookPoll } = {}) {
  const clock = FakeTimers.install({
    toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date', 'performance'],
    now: EPOCH,
    loopLimit: 10_000_000,
  });
  const wallStart = process.hrtime.bigint();
  try {
    return await withSeededMathRandom(seed, () => drive(sc, strategy, { seed, only, clock, wallStart, cookbookPoll }));
  } finally {
    clock.uninstall();
  }
}

async function drive(sc, strategy, { seed, only, clock, wallStart, cookbookPoll }) {
  const provider = new SimProvider({ jobs: sc.jobs, rpm: sc.limits.rpm, tpm: sc.limits.tpm, ...sc.latency, settle: sc.settle ?? true, outage: sc.outage });
  const sub = { ...sc, jobs: only ? only.map((i) => sc.jobs[i]) : sc.jobs };
  const ctx = {
    sc,
    known: sc.known,
    seed,
    body,
    cookbookPoll,
    // Peers that only cap concurrency get what sustains the limits when they are known (Little's
    // law); with the limits unknown, everyone gets the same guess: twice that. Worked out from
    // the whole scenario, so that a baseline run of part of it configures every strategy alike.
    sustaining: sustainingConcurrency(sc),
    guess: 2 * sustainingConcurrency(sc),
    perMinuteAtEstimate: requestsPerMinuteAtEstimate(sc),
    client: ({ maxRetries }) =>
      new OpenAI({ apiKey: 'sk-bench', baseURL: 'http://provider.invalid/v1', fetch: provider.fetch, maxRetries }),
  };
  const s = strategy.create(ctx);
  const indices = only ?? sc.jobs.map((_, i) => i);
  const n = sc.jobs.length;
  const arrivedAt = new Float64Array(n).fill(-1);
  const settledAt = new Float64Array(n).fill(-1);
  const ok = new Uint8Array(n);
  const errors = new Map();
  let pending = indices.length;
  const t0 = Date.now();

  const submit = (i) => {
    arrivedAt[i] = Date.now() - t0;
    let p;
    try {
      p = Promise.resolve(s.submit(sc.jobs[i], i));
    } catch (e) {
      p = Promise.reject(e);
    }
    p.then(
      () => (ok[i] = 1),
      (e) => {
        const key = e?.status ? `${e.constructor?.name ?? 'Error'} ${e.status}` : (e?.code ?? e?.name ?? String(e));
        errors.set(key, (errors.get(key) ?? 0) + 1);
      },
    ).finally(() => {
      settledAt[i] = Date.now() - t0;
      pending--;
    });
  };

  // Jobs due at 0 go in at once, in order; later ones each on a timer at their arrival.
  for (const i of indices) {
    const at = sc.jobs[i].arrival;
    if (at === 0) submit(i);
    else setTimeout(() => submit(i), at);
  }

  let timedOut = false;
  while (pending > 0) {
    if (clock.countTimers() === 0) {
      // Nothing scheduled: let real macrotasks (if any) run once more before calling it a hang.
      await new Promise((r) => setImmediate(r));
      if (pending > 0 && clock.countTimers() === 0) throw new Error(`${strategy.name} hung with ${pending} jobs pending and no timer`);
      continue;
    }
    if (clock.now - t0 > HORIZON_MS) {
      timedOut = true;
      break;
    }
    await clock.nextAsync();
  }
  const makespanMs = Date.now() - t0;
  await Promise.resolve(s.close?.());
  const wallMs = Number(process.hrtime.bigint() - wallStart) / 1e6;

  return measure({ sc, sub, indices, provider, arrivedAt, settledAt, ok, errors, makespanMs, wallMs, timedOut, strategy, config: s.config, stats: s.limiter?.stats() });
}

function measure({ sc, sub, indices, provider, arrivedAt, settledAt, ok, errors, makespanMs, wallMs, timedOut, strategy, config, stats }) {
  const best = ideal(sub);
  const classes = {};
  let completed = 0;
  let attempts = 0;
  let rateLimited = 0;
  for (const i of indices) {
    const job = sc.jobs[i];
    const c = (classes[job.cls] ??= { jobs: 0, completed: 0, waits: [], latencies: [], tokens: 0, attempts: 0 });
    c.jobs++;
    c.attempts += provider.attempts[i];
    attempts += provider.attempts[i];
    rateLimited += provider.refused[i];
    if (ok[i]) {
      completed++;
      c.completed++;
      // Wait: from arrival to the admission of the attempt that succeeded (queueing, backoffs,
      // refused attempts); latency: from arrival to the result in the caller's hands.
      c.waits.push(provider.admittedAt[i] - arrivedAt[i]);
      c.latencies.push(settledAt[i] - arrivedAt[i]);
      c.tokens += job.input + job.output;
    }
  }
  const perClass = {};
  for (const [name, c] of Object.entries(classes)) {
    perClass[name] = {
      jobs: c.jobs,
      completed: c.completed,
      attemptsPerJob: c.attempts / c.jobs,
      waitP50: quantile(c.waits, 0.5),
      waitP99: quantile(c.waits, 0.99),
      latencyP50: quantile(c.latencies, 0.5),
      latencyP99: quantile(c.latencies, 0.99),
      tokens: c.tokens,
    };
  }
  // Tenants: tenant b's share of the tokens admitted over the first half of the flood's ideal
  // drain (the flood is queued then, whatever the strategy), beside its max-min fair share: what
  // it asked for in that time over all that was admitted (it asks for less than half, so fair
  // queueing gives it all it asks for).
  let shares = null;
  if (classes['tenant a'] && classes['tenant b'] && sc.shareWindowMs) {
    const end = sc.shareWindowMs;
    let admittedA = 0;
    let admittedB = 0;
    let askedB = 0;
    for (const i of indices) {
      const j = sc.jobs[i];
      const tokens = j.input + j.output;
      const admitted = provider.admittedAt[i] >= 0 && provider.admittedAt[i] <= end;
      if (j.tenant === 'b' && arrivedAt[i] <= end) askedB += tokens;
      if (admitted && j.tenant === 'a') admittedA += tokens;
      if (admitted && j.tenant === 'b') admittedB += tokens;
    }
    const total = admittedA + admittedB;
    shares = { windowMs: end, tenantB: total ? admittedB / total : 0, tenantBFair: total ? Math.min(0.5, askedB / total) : 0 };
  }
  const outage = sc.outage
    ? {
        ...sc.outage,
        refused: provider.totals.outageRefused,
        // How soon after the Retry-After (the end of the outage) the first attempt went out, and the first success.
        firstAttemptAfterMs: provider.firstAfterOutage === null ? null : provider.firstAfterOutage - sc.outage.untilMs,
        firstOkAfterMs: provider.firstOkAfterOutage === null ? null : provider.firstOkAfterOutage - sc.outage.untilMs,
      }
    : null;
  let lastAdmissionMs = 0;
  for (const i of indices) lastAdmissionMs = Math.max(lastAdmissionMs, provider.admittedAt[i]);
  return {
    strategy: strategy.name,
    label: strategy.label,
    config,
    jobs: indices.length,
    completed,
    failed: indices.length - completed,
    errors: Object.fromEntries(errors),
    makespanMs,
    timedOut,
    idealMs: best.idealMs,
    ideal: best,
    ratio: makespanMs / best.idealMs,
    lastAdmissionMs,
    attempts,
    attemptsPerJob: attempts / indices.length,
    rateLimited,
    rateLimitedPerJob: rateLimited / indices.length,
    perClass,
    shares,
    outage,
    sluiceStats: stats,
    wallMs,
  };
}
