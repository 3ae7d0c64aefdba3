// The goodput benchmark's tables and targets, from its results (for the terminal and the README).
import { fmt } from '../lib/table.js';

const s1 = (ms) => (ms === null || ms === undefined ? '—' : fmt(ms / 1_000, 1));
const ms0 = (ms) => (ms === null || ms === undefined || Number.isNaN(ms) ? '—' : fmt(ms, 0));
const pct = (x) => `${fmt(100 * x, 1)}%`;

/** The ratio to ideal, marked when jobs failed (then the makespan is not that of the whole batch). */
const ratioCell = (r) => (r.failed > 0 ? `${fmt(r.ratio, 2)}†` : fmt(r.ratio, 2));

/** `{ title, header, rows, note }` of one scenario's results. */
export function scenarioTable(name, s) {
  const lastIdeal = name === 'c-bare' ? `, ideal last admission ${s1(s.idealLastAdmissionMs)} s (every Retry-After honoured)` : '';
  const title = `${s.title}: ideal ${s1(s.ideal.idealMs)} s (${s.ideal.binding} binds)${lastIdeal}`;
  const head = ['strategy', 'done', 'makespan s', '× ideal', '429s', 'attempts/job'];
  const common = (r) => [r.label, `${fmt(r.completed)}/${fmt(r.jobs)}`, s1(r.makespanMs), ratioCell(r), fmt(r.rateLimited), fmt(r.attemptsPerJob, 3)];
  let header;
  let rows;
  if (name === 'c') {
    header = [...head, 'resumed after s', 'first ok after s', 'wait p50 s', 'wait p99 s'];
    rows = s.runs.map((r) => [...common(r), s1(r.outage.firstAttemptAfterMs), s1(r.outage.firstOkAfterMs), s1(r.perClass.batch.waitP50), s1(r.perClass.batch.waitP99)]);
  } else if (name === 'c-bare') {
    header = [...head, 'last admission s', '× ideal last', 'first ok after s'];
    rows = s.runs.map((r) => [...common(r), s1(r.lastAdmissionMs), fmt(r.lastAdmissionMs / s.idealLastAdmissionMs, 3), s1(r.outage.firstOkAfterMs)]);
  } else if (name === 'd') {
    header = [...head, 'inter. wait p50 ms', 'inter. wait p99 ms', 'inter. lat. p99 s', 'batch lat. p50 s', 'batch lat. p99 s'];
    rows = s.runs.map((r) => {
      const i = r.perClass.interactive;
      const b = r.perClass.batch;
      return [...common(r), ms0(i.waitP50), ms0(i.waitP99), s1(i.latencyP99), s1(b.latencyP50), s1(b.latencyP99)];
    });
  } else if (name === 'e') {
    header = [...head, 'b wait p99 alone ms', 'b wait p99 ms', 'b lat. p99 s', 'a lat. p99 s', 'b share', 'b fair share'];
    rows = s.runs.map((r) => {
      const b = r.perClass['tenant b'];
      const a = r.perClass['tenant a'];
      return [...common(r), ms0(r.alone?.perClass['tenant b'].waitP99), ms0(b.waitP99), s1(b.latencyP99), s1(a.latencyP99), pct(r.shares.tenantB), pct(r.shares.tenantBFair)];
    });
  } else {
    header = [...head, 'wait p50 s', 'wait p99 s', 'latency p50 s', 'latency p99 s'];
    rows = s.runs.map((r) => [...common(r), s1(r.perClass.batch.waitP50), s1(r.perClass.batch.waitP99), s1(r.perClass.batch.latencyP50), s1(r.perClass.batch.latencyP99)]);
  }
  const failed = s.runs.filter((r) => r.failed > 0);
  const note = failed.length
    ? `† jobs failed: ${failed.map((r) => `${r.label} ${fmt(r.failed)} (${Object.entries(r.errors).map(([k, v]) => `${fmt(v)}× ${k}`).join(', ')})`).join('; ')}`
    : '';
  return { title, header, rows, note };
}

/** The issue's targets for sluice, each with the figure that meets or misses it. */
export function targets(scenarios) {
  const sl = (name) => scenarios[name]?.runs.find((r) => r.strategy === 'sluice');
  const out = [];
  const a = sl('a');
  if (a) out.push({ id: 'a', target: 'makespan ≤ 1.03 × ideal with 0 429s', figure: `${fmt(a.ratio, 3)} × ideal, ${a.rateLimited} 429s`, met: a.ratio <= 1.03 && a.rateLimited === 0 && a.failed === 0 });
  const b = sl('b');
  if (b) out.push({ id: 'b', target: 'makespan ≤ 1.10 × ideal, 429s ≤ 1 % of jobs', figure: `${fmt(b.ratio, 3)} × ideal, ${b.rateLimited} 429s (${pct(b.rateLimitedPerJob)})`, met: b.ratio <= 1.1 && b.rateLimitedPerJob <= 0.01 && b.failed === 0 });
  const bUncapped = scenarios.b?.runs.find((r) => r.strategy === 'sluice-uncapped');
  if (bUncapped) {
    const r = bUncapped;
    out.push({
      id: "b'",
      target: '(b) with nothing given (no maxConcurrent either): ≤ 1.10 × ideal, 429s ≤ 1 %',
      figure: `${fmt(r.failed)} of ${fmt(r.jobs)} jobs failed; ${fmt(r.rateLimited)} 429s (${pct(r.rateLimitedPerJob)})`,
      met: r.ratio <= 1.1 && r.rateLimitedPerJob <= 0.01 && r.failed === 0,
    });
  }
  const c = sl('c');
  if (c) {
    const after = c.outage.firstAttemptAfterMs;
    out.push({
      id: 'c',
      target: 'attempts ≤ 1.05 × jobs; first job after the outage within 1 s of the Retry-After',
      figure: `${fmt(c.attemptsPerJob, 4)} attempts/job; first attempt ${ms0(after)} ms after the Retry-After`,
      met: c.attemptsPerJob <= 1.05 && after !== null && after >= 0 && after <= 1_000 && c.failed === 0,
    });
  }
  const d = sl('d');
  if (d) {
    const sc = scenarios.d;
    const perMs = sc.limits.tpm / 60_000;
    // One interactive request's budget: its estimate (input + max_tokens), the largest of the
    // workload's, refilled at the binding rate.
    const refill = sc.interactiveEstimateMax / perMs;
    const w = d.perClass.interactive.waitP99;
    out.push({
      id: 'd',
      target: "interactive p99 wait ≤ the refill time of one request's budget",
      figure: `p99 wait ${ms0(w)} ms; ${sc.interactiveEstimateMax} tokens refill in ${fmt(refill, 1)} ms`,
      met: w <= refill,
    });
  }
  const e = sl('e');
  if (e && e.alone) {
    const alone = e.alone.perClass['tenant b'].waitP99;
    const flood = e.perClass['tenant b'].waitP99;
    out.push({
      id: 'e',
      target: "the small tenant's p99 wait within 2× its wait alone",
      figure: `tenant b p99 wait ${ms0(flood)} ms with the flood, ${ms0(alone)} ms alone; its own estimate refills in ${ms0(scenarios.e.tenantBRefillP99)} ms (p99)`,
      met: flood <= 2 * alone,
    });
  }
  // Wrong estimates and bare 429s, for sluice as configured in the benchmark (.withResponse())
  // and as in the README's first example (sluice-plain).
  for (const strategy of ['sluice', 'sluice-plain']) {
    const run = (name) => scenarios[name]?.runs.find((r) => r.strategy === strategy);
    const tag = strategy === 'sluice' ? '' : ', no .withResponse()';
    const low = run('a-low');
    if (low) {
      out.push({
        id: `a-low${tag}`,
        target: 'provider counts 1.33 × the input estimate: 429s ≤ 1 % of jobs, makespan ≤ 1.05 × ideal',
        figure: `${fmt(low.ratio, 3)} × ideal, ${fmt(low.rateLimited)} 429s (${pct(low.rateLimitedPerJob)})`,
        met: low.ratio <= 1.05 && low.rateLimitedPerJob <= 0.01 && low.failed === 0,
      });
    }
    const high = run('a-high');
    if (high) {
      out.push({ id: `a-high${tag}`, target: 'input estimates 25 % high: makespan ≤ 1.05 × ideal', figure: `${fmt(high.ratio, 3)} × ideal, ${fmt(high.rateLimited)} 429s`, met: high.ratio <= 1.05 && high.failed === 0 });
    }
    const bare = run('c-bare');
    if (bare) {
      const last = bare.lastAdmissionMs / scenarios['c-bare'].idealLastAdmissionMs;
      out.push({
        id: `c-bare${tag}`,
        target: 'outage, 429s with only a fixed Retry-After: last admission ≤ 1.03 × ideal, attempts ≤ 1.05 per job',
        figure: `last admission ${fmt(last, 4)} × ideal, ${fmt(bare.attemptsPerJob, 4)} attempts/job`,
        met: last <= 1.03 && bare.attemptsPerJob <= 1.05 && bare.failed === 0,
      });
    }
  }
  return out;
}

