// workerd through miniflare: one module-scope limiter, many concurrent requests whose jobs wait
// for what no other request's I/O wakes (the requests or tokens budget refilling, a gate closed
// by a 429, a retry's backoff, a maxWaitMs), and requests their clients give up on while others
// still wait. Every request must get its answer (or the limiter's own verdict), none may be
// cancelled by the runtime as hung, and the batch must end close to what the budget allows.
import path from 'node:path';
import { fixtures } from '../lib/paths.js';
import { startUpstream } from '../lib/upstream.js';
import { packageModules, startWorker } from '../lib/workerd.js';

const N = 40;
const LATENCY_MS = 100;

/**
 * The scenarios. `ideal` is the least time from the first request out to the last answer that
 * the budget allows; `expect(replies)` checks the answers beyond "none hung".
 */
const SCENARIOS = [
  {
    name: 'requests budget',
    // 10 at once, then one every 50 ms.
    options: { requestsPerMinute: 1_200, burst: 1 / 120 },
    ideal: (N - 10) * 50 + LATENCY_MS,
  },
  {
    name: 'requests budget, 300 requests',
    // 60 at once, then one every 10 ms: 300 requests waiting at once, each with its own timer.
    n: 300,
    options: { requestsPerMinute: 6_000, burst: 1 / 100 },
    ideal: (300 - 60) * 10 + LATENCY_MS,
  },
  {
    name: 'tokens budget',
    // 1 000 tokens at once (10 jobs of 100), then 2 000 a second: one job every 50 ms.
    options: { tokensPerMinute: 120_000, burst: 1 / 120 },
    job: { tokens: 100 },
    ideal: (N - 10) * 50 + LATENCY_MS,
  },
  {
    name: 'gate after a 429',
    // The first 3 requests meet a 429 with `retry-after: 1`: one pause of a second for all.
    options: { maxConcurrent: 8, requestsPerMinute: 6_000 },
    respond: (i, nth) => (nth < 3 ? { status: 429, headers: { 'retry-after': '1' } } : null),
    ideal: LATENCY_MS + 1_000 + (N / 8) * LATENCY_MS,
  },
  {
    name: 'retry backoff',
    // Every job's first attempt meets a 503: each retries once, after its own backoff.
    options: { maxConcurrent: 8, retry: { baseMs: 200, maxDelayMs: 400 }, adaptiveConcurrency: false },
    respond: (() => {
      const seen = new Set();
      return (i) => (seen.has(i) ? null : (seen.add(i), { status: 503, headers: {} }));
    })(),
    ideal: 2 * (N / 8) * LATENCY_MS,
  },
  {
    name: 'maxWaitMs',
    // 10 at once, then one every 100 ms; a job that would wait past 1 s is rejected.
    options: { requestsPerMinute: 600, burst: 1 / 60 },
    job: { maxWaitMs: 1_000 },
    expect(replies) {
      const rejected = replies.filter((r) => r.body.code === 'QUEUE_TIMEOUT').length;
      const answered = replies.filter((r) => r.status === 200).length;
      if (answered + rejected !== replies.length) throw new Error(`${replies.length - answered - rejected} replies were neither answers nor QueueTimeoutErrors`);
      // 10 at once plus one per 100 ms for a second: about 20 start in time.
      if (answered < 15 || answered > 25 || rejected < 15) throw new Error(`${answered} answered and ${rejected} timed out, expected about 20 each`);
      return `${answered} answered, ${rejected} QueueTimeoutError`;
    },
  },
  {
    name: 'clients leaving',
    // A quarter of the clients go away while their jobs wait. The Worker passes request.signal
    // (with the enable_request_signal flag); miniflare's HTTP front keeps such requests running
    // (the signal does not fire there), so their jobs still run: the others must not be held
    // up, and the limiter must end idle.
    options: { requestsPerMinute: 1_200, burst: 1 / 120 },
    passSignal: true,
    leave: (i) => i % 4 === 3 && i >= 12,
    ideal: (N - 10) * 50 + LATENCY_MS,
  },
];

const HUNG = /hung|canceled this request/i;
const CROSS_CONTEXT = /different request context/;

async function runScenario(s, main, modules) {
  const n = s.n ?? N;
  const upstream = await startUpstream({ delayMs: LATENCY_MS, respond: s.respond });
  let log = '';
  const mf = await startWorker({
    modules: [main, ...modules],
    bindings: { UPSTREAM: upstream.url, OPTIONS: JSON.stringify(s.options), JOB: JSON.stringify(s.job ?? {}), ...(s.passSignal ? { PASS_SIGNAL: '1' } : {}) },
    compatibilityFlags: s.passSignal ? ['enable_request_signal'] : [],
    handleRuntimeStdio(stdout, stderr) {
      stdout.on('data', (d) => (log += d));
      stderr.on('data', (d) => (log += d));
    },
  });
  try {
    const url = await mf.ready;
    const started = performance.now();
    const replies = await Promise.all(
      Array.from({ length: n }, async (_, i) => {
        const leaving = s.leave?.(i) ?? false;
        const controller = new AbortController();
        if (leaving) setTimeout(() => controller.abort(), 300);
        try {
          const response = await fetch(new URL(`/run?i=${i}`, url), { signal: controller.signal });
          const text = await response.text();
          let body = {};
          try {
            body = JSON.parse(text);
          } catch {
            body = { text };
          }
          return { i, status: response.status, text, body, leaving };
        } catch (e) {
          if (leaving && e.name === 'AbortError') return { i, status: 0, text: 'left', body: {}, leaving };
          throw e;
        }
      }),
    );
    const elapsed = performance.now() - started;
    const hung = replies.filter((r) => r.status === 500 && HUNG.test(r.text));
    const stayed = replies.filter((r) => !r.leaving);
    const report = await (await fetch(new URL('/report', url))).json();
    if (report.moduleScopeCalls.length > 0) throw new Error(`timers or clock reads at module scope: ${report.moduleScopeCalls.join(', ')}`);
    if (hung.length > 0) throw new Error(`${s.name}: ${hung.length} of ${n} requests cancelled as hung, e.g. #${hung[0].i}`);
    if (CROSS_CONTEXT.test(log)) throw new Error(`${s.name}: workerd resolved a promise across request contexts:\n${log.split('\n').find((l) => CROSS_CONTEXT.test(l))}`);
    let detail;
    if (s.expect) detail = s.expect(stayed);
    else {
      const wrong = stayed.filter((r) => r.status !== 200 || r.body.answer !== `answer-${r.i}`);
      if (wrong.length > 0) throw new Error(`${s.name}: ${wrong.length} of ${stayed.length} requests went wrong, e.g. #${wrong[0].i}: ${wrong[0].status} ${wrong[0].text.slice(0, 300)}`);
      // The span from the first task to the last answer, measured in the Worker.
      const span = report.spanMs;
      if (span > s.ideal * 1.5 + 300) throw new Error(`${s.name}: took ${span} ms where the budget allows ${s.ideal} ms`);
      detail = `${stayed.length} answered in ${(span / 1000).toFixed(2)} s (ideal ${(s.ideal / 1000).toFixed(2)} s)`;
    }
    const { stats } = report;
    if (stats.inFlight !== 0 || stats.queued !== 0) throw new Error(`${s.name}: the limiter is not idle after the run: ${JSON.stringify(stats)}`);
    return { hung: hung.length, detail, elapsed };
  } finally {
    await mf.dispose();
    await upstream.close();
  }
}

/** Each scenario on the unbundled package; prints one line per scenario, with its hung count. */
export async function workerdWaits() {
  const main = { type: 'ESModule', path: path.join(fixtures, 'worker-waits.js') };
  const { modules } = packageModules(fixtures);
  const guard = { type: 'ESModule', path: path.join(fixtures, 'guard.js') };
  const lines = [];
  for (const s of SCENARIOS) {
    const { hung, detail } = await runScenario(s, main, [guard, ...modules]);
    lines.push(`${s.name}: ${hung} hung, ${detail}`);
  }
  return `${SCENARIOS.length} cases of ${N} or more concurrent requests, 0 hung in every case\n${lines.join('\n')}`;
}
