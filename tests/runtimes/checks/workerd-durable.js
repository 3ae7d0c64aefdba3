// Account-wide limits across Workers isolates, in workerd through miniflare: three Workers in
// one Miniflare, each with its own module-scope limiter, all bound to one SluiceCoordinator
// namespace (the class exported by the first, the others bound to it by scriptName). 300
// concurrent requests spread over them call one mock provider on 127.0.0.1 that enforces one
// account's requests and tokens per minute (real time, small limits so that it runs in
// seconds). Printed side by side: leases from the coordinator, independent limiters given the
// account's limits, and independent limiters given a third each. Then faults: the coordinator
// restarted mid-run (storage kept), unreachable for a while, and a 429 met by one isolate.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Miniflare } from 'miniflare';
import { startMockProvider } from '../../../mock/provider.js';
import { estimateOpenAI } from '../../../js/src/estimate.js';
import { fixtures, pkgDir, root } from '../lib/paths.js';
import { resolveExport } from '../lib/resolve.js';
import { COMPATIBILITY_DATE, packageModules, WORKERD_CONDITIONS } from '../lib/workerd.js';

const WORKERS = 3;
const N = 300;
// The account: 3 000 requests and 150 000 tokens a minute (50 requests, 2 500 tokens a second),
// buckets holding 2 s of each (what may go out at once, and what `burst` tells the limiters).
const RPM = 3_000;
const TPM = 150_000;
const BURST = 2 / 60;
const LATENCY_MS = 200;
const BODY = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Say something short.' }], max_tokens: 30 };
const JOB_TOKENS = (({ inputTokens, maxOutputTokens }) => inputTokens + maxOutputTokens)(estimateOpenAI(BODY));
const CROSS_CONTEXT = /different request context/;
/** Steady state is counted from then on (the first asks of a fresh limiter know no demand yet). */
const STEADY_FROM_MS = 1_000;
const HUNG = /hung|canceled this request/i;

/** The worker module and the package's, with `sluice/durable` as a module of its own. */
function modules() {
  const { modules: pkg } = packageModules(fixtures);
  const durable = path.relative(fixtures, path.join(pkgDir, resolveExport('./durable', WORKERD_CONDITIONS)));
  return [
    { type: 'ESModule', path: path.join(fixtures, 'worker-durable.js') },
    { type: 'ESModule', path: path.join(fixtures, 'sluice/durable'), contents: `export * from '../${durable}';\n` },
    ...pkg,
  ];
}

async function start({ mode, options, upstream, persist }) {
  let log = '';
  const mods = modules();
  const workers = Array.from({ length: WORKERS }, (_, i) => ({
    name: `w${i}`,
    modules: mods,
    modulesRoot: root,
    compatibilityDate: COMPATIBILITY_DATE,
    bindings: { UPSTREAM: upstream.url, MODE: mode, OPTIONS: JSON.stringify(options), BODY: JSON.stringify(BODY), JOB_TOKENS: String(JOB_TOKENS) },
    durableObjects: { SLUICE: i === 0 ? 'SluiceCoordinator' : { className: 'SluiceCoordinator', scriptName: 'w0' } },
  }));
  const mf = new Miniflare({
    workers,
    host: '127.0.0.1',
    durableObjectsPersist: persist,
    handleRuntimeStdio(stdout, stderr) {
      stdout.on('data', (d) => (log += d));
      stderr.on('data', (d) => (log += d));
    },
  });
  try {
    await mf.ready;
  } catch (e) {
    throw new Error(`${e.message}\n${log}`);
  }
  const fetchers = await Promise.all(workers.map((w) => mf.getWorker(w.name)));
  return { mf, fetchers, log: () => log };
}

/** The most any window let through beyond its refill: max over i ≤ j of (what went out in [t_i, t_j]) − refill. */
function worstExcess(admissions, perMinute, amountOf) {
  let worst = 0;
  for (let i = 0; i < admissions.length; i += 1) {
    let sum = 0;
    for (let j = i; j < admissions.length; j += 1) {
      sum += amountOf(admissions[j]);
      worst = Math.max(worst, sum - ((admissions[j][0] - admissions[i][0]) * perMinute) / 60_000);
    }
  }
  return worst;
}

/** Which Worker request `i` goes to: half to the first, 30% and 20% to the others (traffic is never even). */
const workerOf = (i) => (i % 10 < 5 ? 0 : i % 10 < 8 ? 1 : 2);

/** Sends `n` requests at once, spread over the Workers; `during(run)` may act meanwhile. */
async function load(run, n, during) {
  const started = performance.now();
  const replies = Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const response = await run.fetchers[workerOf(i)].fetch(`http://w/run?i=${i}`);
      return { i, status: response.status, text: await response.text() };
    }),
  );
  if (during) await during(run);
  const out = await replies;
  return { replies: out, ms: performance.now() - started };
}

async function scenario({ mode, share = 1, n = N, during, persist }) {
  const upstream = await startMockProvider({ rpm: RPM, tpm: TPM, burst: BURST, latency: { baseMs: LATENCY_MS } });
  const options = { requestsPerMinute: Math.floor(RPM / share), tokensPerMinute: Math.floor(TPM / share), burst: BURST };
  const dir = persist ?? mkdtempSync(path.join(tmpdir(), 'sluice-do-'));
  const run = await start({ mode, options, upstream, persist: dir });
  const coordinatorStats = async () => (await run.fetchers[0].fetch('http://w/coordinator')).json();
  // Steady state: calls at the object and jobs admitted from STEADY_FROM_MS on.
  let steady = null;
  const sample = mode === 'lease' && during === undefined
    ? new Promise((resolve) => setTimeout(resolve, STEADY_FROM_MS)).then(async () => {
        steady = { exchanges: (await coordinatorStats()).exchanges, admitted: upstream.admissions().length };
      })
    : null;
  try {
    const { replies, ms } = await load(run, n, during);
    await sample;
    const coordinator = mode === 'lease' ? await coordinatorStats() : null;
    if (steady) coordinator.steadyCallsPerJob = (coordinator.exchanges - steady.exchanges) / Math.max(1, upstream.admissions().length - steady.admitted);
    const stats = upstream.stats();
    const admissions = upstream.admissions();
    const failed = replies.filter((r) => r.status !== 200);
    const hung = replies.filter((r) => HUNG.test(r.text));
    return {
      ms,
      failed: failed.length,
      firstFailure: failed[0]?.text.slice(0, 300),
      hung: hung.length,
      rateLimited: stats.rateLimited,
      excessRequests: worstExcess(admissions, RPM, () => 1) - RPM * BURST,
      excessTokens: worstExcess(admissions, TPM, (a) => a[1]) - TPM * BURST,
      coordinator,
      crossContext: CROSS_CONTEXT.test(run.log()),
      log: run.log(),
    };
  } finally {
    await run.mf.dispose();
    await upstream.close();
    if (persist === undefined) rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * A 429 seen by one isolate pauses the others: the provider refuses everything for its first
 * 500 ms with Retry-After 2 s; the first Worker meets it, then (after the refusals ended) the
 * other two get 20 requests each. Without a shared pause they would go at once and succeed.
 * Returns when the provider first admitted anything, and its 429 count.
 */
async function sharedPause() {
  let shift = 0;
  const origin = performance.now();
  const upstream = await startMockProvider({
    rpm: RPM,
    tpm: TPM,
    burst: BURST,
    latency: { baseMs: LATENCY_MS },
    now: () => performance.now() + shift,
    outage: { fromMs: 0, untilMs: 500, retryAfterS: 2 },
  });
  const dir = mkdtempSync(path.join(tmpdir(), 'sluice-do-'));
  const options = { requestsPerMinute: RPM, tokensPerMinute: TPM, burst: BURST };
  const run = await start({ mode: 'lease', options, upstream, persist: dir });
  try {
    shift = origin - performance.now(); // the provider's time 0 is now
    const first = run.fetchers[0].fetch('http://w/run?i=0').then((r) => r.text());
    await new Promise((resolve) => setTimeout(resolve, 700));
    const others = Array.from({ length: 40 }, (_, i) => run.fetchers[1 + (i % 2)].fetch(`http://w/run?i=${i + 1}`).then((r) => r.status));
    const statuses = await Promise.all(others);
    await first;
    const admitted = upstream.admissions().map(([t]) => t);
    return { firstAdmittedMs: Math.min(...admitted), rateLimited: upstream.stats().rateLimited, failed: statuses.filter((s) => s !== 200).length, crossContext: CROSS_CONTEXT.test(run.log()) };
  } finally {
    await run.mf.dispose();
    await upstream.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function must(condition, message) {
  if (!condition) throw new Error(message);
}

const sec = (ms) => `${(ms / 1000).toFixed(1)} s`;

export async function workerdDurable() {
  const ideal = ((N - RPM * BURST) / RPM) * 60_000 + LATENCY_MS;
  const leases = await scenario({ mode: 'lease' });
  const full = await scenario({ mode: 'full' });
  const third = await scenario({ mode: 'third', share: WORKERS });
  const rows = [
    ['leases (one coordinator)', leases],
    ['independent, full limits each', full],
    ['independent, a third each', third],
  ].map(([name, r]) => `  ${name.padEnd(31)} ${sec(r.ms).padStart(7)} ${String(r.failed).padStart(6)} ${String(r.rateLimited).padStart(5)}   ${r.coordinator ? `${(r.coordinator.exchanges / N).toFixed(3)} (steady ${r.coordinator.steadyCallsPerJob.toFixed(3)})` : '-'}`);
  for (const [name, r] of [['leases', leases], ['full', full], ['third', third]]) {
    must(r.hung === 0, `${name}: ${r.hung} requests cancelled as hung`);
    must(!r.crossContext, `${name}: workerd resolved a promise across request contexts:\n${r.log.split('\n').find((l) => CROSS_CONTEXT.test(l))}`);
  }
  must(leases.failed === 0, `leases: ${leases.failed} of ${N} requests failed, e.g. ${leases.firstFailure}`);
  must(leases.rateLimited === 0, `leases: ${leases.rateLimited} 429s`);
  must(leases.excessRequests <= 1 && leases.excessTokens <= JOB_TOKENS, `leases: a window went ${leases.excessRequests.toFixed(1)} requests, ${leases.excessTokens.toFixed(0)} tokens over the budget plus burst`);
  must(leases.coordinator.steadyCallsPerJob <= 0.1, `leases: ${leases.coordinator.steadyCallsPerJob.toFixed(3)} calls to the coordinator per job at steady state`);
  must(full.rateLimited > 0, 'full limits each: expected 429s');
  must(third.ms > leases.ms, `a third each (${sec(third.ms)}) expected slower than leases (${sec(leases.ms)})`);

  // Faults. The coordinator restarted mid-run: its memory goes, its storage stays.
  let exchanges = null;
  const restarted = await scenario({
    mode: 'lease',
    during: async (run) => {
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      const before = await (await run.fetchers[0].fetch('http://w/coordinator')).json();
      await run.fetchers[0].fetch('http://w/restart');
      const after = await (await run.fetchers[0].fetch('http://w/coordinator')).json();
      exchanges = { before: before.exchanges, after: after.exchanges };
    },
  });
  // The object really lost its memory: its count of exchanges started again.
  must(exchanges.after < exchanges.before, `restart: the object kept its memory (${exchanges.before} exchanges before, ${exchanges.after} after)`);
  must(restarted.failed === 0 && restarted.rateLimited === 0, `restart: ${restarted.failed} failed, ${restarted.rateLimited} 429s`);
  must(restarted.excessRequests <= 1 && restarted.excessTokens <= JOB_TOKENS, `restart: a window went ${restarted.excessRequests.toFixed(1)} requests over`);

  // Unreachable from every isolate for 3 s (the issue's 10 s, scaled to the test's 6 s run):
  // leases run out, each isolate falls back to a third (the coordinator counted three), then
  // returns to leases.
  const DOWN_MS = 3_000;
  const unreachable = await scenario({
    mode: 'lease',
    during: async (run) => {
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      await Promise.all(run.fetchers.map((f) => f.fetch(`http://w/fault?downMs=${DOWN_MS}`)));
    },
  });
  must(unreachable.failed === 0, `unreachable: ${unreachable.failed} jobs lost, e.g. ${unreachable.firstFailure}`);
  must(unreachable.rateLimited === 0, `unreachable: ${unreachable.rateLimited} 429s (at most 0 stated)`);

  const pause = await sharedPause();
  must(pause.failed === 0 && !pause.crossContext, `shared pause: ${pause.failed} failed`);
  must(pause.rateLimited === 1, `shared pause: ${pause.rateLimited} 429s, expected the first Worker's one`);
  must(pause.firstAdmittedMs >= 1_900, `shared pause: the provider admitted a request at ${pause.firstAdmittedMs.toFixed(0)} ms, before the Retry-After of the 429 at 0 ms ran out`);

  return [
    `${WORKERS} Workers (50/30/20% of the traffic), one coordinator, ${N} concurrent requests, account ${RPM} RPM / ${TPM} TPM, burst 2 s (ideal ${sec(ideal)}):`,
    `  ${'strategy'.padEnd(31)} ${'time'.padStart(7)} ${'failed'.padStart(6)} ${'429s'.padStart(5)}   calls/job`,
    ...rows,
    `  leases: worst window ${leases.excessRequests.toFixed(1)} requests and ${leases.excessTokens.toFixed(0)} tokens beyond budget + burst; ${leases.coordinator.exchanges} calls at the object`,
    `  coordinator restarted at 1.5 s (${exchanges.before} exchanges before, ${exchanges.after} after, from storage): ${sec(restarted.ms)}, 0 failed, 0 429s, worst window ${restarted.excessRequests.toFixed(1)} requests beyond`,
    `  coordinator unreachable for ${DOWN_MS / 1000} s from 1 s: ${sec(unreachable.ms)}, 0 jobs lost, 0 429s`,
    `  a 429 (Retry-After 2 s) met by one Worker: the other two's 40 requests went from ${(pause.firstAdmittedMs / 1000).toFixed(2)} s, 1 429 in all`,
  ].join('\n');
}
