// The soak: a million jobs through one limiter on a fake clock, with random outcomes (success,
// a thrown 503, a 429 with retry-after, a network error, a fatal 400, a hang cut by timeoutMs),
// priorities that are arbitrary floats, 10 000 keys, and aborts at random moments. Checks that
// every job settles exactly once, that the counters add up, and that the wasm memory and the JS
// heap at the end are within 1 MB of what they were after a warm-up.
//
//   node --expose-gc tests/soak/run.js [--jobs 1000000] [--keys 10000] [--seed 1] [--warmup 50000]
// (scripts/soak.sh runs it.) Prints progress every 100 000 jobs, then the figures.
import { parseArgs } from 'node:util';
import FakeTimers from '@sinonjs/fake-timers';
import { Limiter } from 'sluice';
import { wasmMemory } from '../../js/wasm/sluice.js';

const { values: args } = parseArgs({
  options: {
    jobs: { type: 'string', default: '1000000' },
    keys: { type: 'string', default: '10000' },
    seed: { type: 'string', default: '1' },
    batch: { type: 'string', default: '5000' },
    warmup: { type: 'string', default: '50000' },
  },
});
const JOBS = Number(args.jobs);
const KEYS = Number(args.keys);
const BATCH = Number(args.batch);
if (typeof globalThis.gc !== 'function') {
  console.error('run with node --expose-gc (scripts/soak.sh does)');
  process.exit(2);
}

// A small seeded generator, so that a failing run can be replayed.
let state = Number(args.seed) >>> 0 || 1;
const random = () => {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

const clock = FakeTimers.install({ toFake: ['setTimeout', 'clearTimeout', 'Date', 'performance'], now: 0, loopLimit: 10_000_000 });
const limiter = new Limiter({
  maxConcurrent: 64,
  requestsPerMinute: 600_000,
  tokensPerMinute: 60_000_000,
  retry: { maxAttempts: 3, baseMs: 5, maxDelayMs: 50, maxRetryAfterMs: 100 },
  gate: 'key',
  seed: 7,
});

const httpError = (status, headers = {}) => Object.assign(new Error(`HTTP ${status}`), { status, headers });
/** A task with a random outcome, and the usage of a success. */
function task() {
  const r = random();
  const ms = Math.floor(random() * 20);
  return () =>
    new Promise((resolve, reject) => {
      if (r < 0.02) return; // hangs: timeoutMs ends it
      setTimeout(() => {
        if (r < 0.8) resolve({ usage: { prompt_tokens: 50, completion_tokens: Math.floor(random() * 100) } });
        else if (r < 0.87) reject(httpError(503));
        else if (r < 0.9) reject(httpError(429, { 'retry-after-ms': String(Math.floor(random() * 50)) }));
        else if (r < 0.95) reject(Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNRESET' } }));
        else reject(httpError(400));
      }, ms);
    });
}

const counts = { settled: 0, resolved: 0, rejected: 0, twice: 0 };
const byError = new Map();
async function runBatch(n) {
  const pending = [];
  for (let i = 0; i < n; i++) {
    const controller = random() < 0.05 ? new AbortController() : null;
    if (controller) setTimeout(() => controller.abort(), Math.floor(random() * 40));
    let settledOnce = false;
    const once = () => {
      if (settledOnce) counts.twice += 1;
      settledOnce = true;
      counts.settled += 1;
    };
    const p = limiter
      .schedule(task(), {
        priority: random() * 1000 - 500,
        key: `tenant-${Math.floor(random() * KEYS)}`,
        tokens: 150,
        timeoutMs: 100,
        signal: controller?.signal,
      })
      .then(
        () => {
          once();
          counts.resolved += 1;
        },
        (e) => {
          once();
          counts.rejected += 1;
          const name = e?.code ?? e?.name ?? 'other';
          byError.set(name, (byError.get(name) ?? 0) + 1);
        },
      );
    pending.push(p);
  }
  while (counts.settled < settledTarget) await clock.tickAsync(50);
  await Promise.all(pending);
}

let settledTarget = 0;
function memory() {
  globalThis.gc();
  return { wasm: wasmMemory().buffer.byteLength, heap: process.memoryUsage().heapUsed };
}

const started = performance.now();
// A warm-up, so that the start figures are those of a limiter in use: the wasm memory grows
// to its working size once (every key seen, the tables at their peak size) and never shrinks.
let done = 0;
while (done < Number(args.warmup)) {
  settledTarget += BATCH;
  await runBatch(BATCH);
  done += BATCH;
}
const before = memory();
while (done < JOBS) {
  const n = Math.min(BATCH, JOBS - done);
  settledTarget += n;
  await runBatch(n);
  done += n;
  if (done % 100_000 < BATCH) {
    const m = memory();
    console.error(`  ${done} jobs, wasm ${(m.wasm / 2 ** 20).toFixed(1)} MiB, heap ${(m.heap / 2 ** 20).toFixed(1)} MiB, ${((performance.now() - started) / 1000).toFixed(0)} s`);
  }
}
await limiter.onIdle();
const after = memory();
clock.uninstall();
const s = limiter.stats();
const failures = [];
if (counts.settled !== JOBS) failures.push(`${counts.settled} of ${JOBS} jobs settled`);
if (counts.twice !== 0) failures.push(`${counts.twice} jobs settled twice`);
if (s.inFlight !== 0 || s.queued !== 0 || s.backingOff !== 0) failures.push(`the limiter is not idle: ${JSON.stringify(s)}`);
if (s.submitted !== JOBS) failures.push(`stats().submitted is ${s.submitted}, expected ${JOBS}`);
const wasmGrowth = after.wasm - before.wasm;
const heapGrowth = after.heap - before.heap;
if (wasmGrowth > 1 << 20) failures.push(`wasm memory grew by ${(wasmGrowth / 2 ** 20).toFixed(2)} MiB`);
if (heapGrowth > 1 << 20) failures.push(`the heap grew by ${(heapGrowth / 2 ** 20).toFixed(2)} MiB`);
console.log(
  JSON.stringify({
    jobs: JOBS,
    keys: KEYS,
    resolved: counts.resolved,
    rejected: Object.fromEntries(byError),
    wasmBytes: { afterWarmUp: before.wasm, end: after.wasm },
    heapBytes: { afterWarmUp: before.heap, end: after.heap },
    stats: { completed: s.completed, failed: s.failed, cancelled: s.cancelled, retried: s.retried, timedOut: s.timedOut, rateLimited: s.rateLimited },
    seconds: Math.round((performance.now() - started) / 1000),
  }),
);
if (failures.length > 0) {
  console.error(`soak FAILED:\n  ${failures.join('\n  ')}`);
  process.exit(1);
}
console.error('soak passed: every job settled once; memory flat');
