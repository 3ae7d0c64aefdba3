// What crossing the wasm boundary costs outside the hot path: `new Limiter(options)` (options
// checked, the core built) and `stats()` (a dashboard polls it), against the nearest calls of
// p-queue and Bottleneck in the same run. Medians of several rounds, in microseconds a call.
//
//   node bench/overhead/boundary.js [--rounds 7] [--calls 2000]
//
// Between rounds the garbage is collected (the script runs itself under --expose-gc) and the
// limiters of the last round are freed: a limiter's wasm memory (about 6.5 KB) is given back
// only when its finalizer runs, which a synchronous loop of constructions never lets happen.
//   SLUICE=/path/to/js/src/entry/node.js node bench/overhead/boundary.js   (another build)
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import PQueue from 'p-queue';
import Bottleneck from 'bottleneck';
import { Limiter, sluiceSource } from '../lib/sluice.js';
import { median } from '../lib/stats.js';
import { printTable } from '../lib/table.js';

if (typeof globalThis.gc !== 'function') {
  execFileSync(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(0);
}

const { values: args } = parseArgs({ options: { rounds: { type: 'string', default: '7' }, calls: { type: 'string', default: '2000' } } });
const rounds = Number(args.rounds);
const calls = Number(args.calls);

/** The options of a typical limiter: a cap, two limits, a retry policy. */
const OPTIONS = { maxConcurrent: 16, requestsPerMinute: 500, tokensPerMinute: 200_000, retry: { maxAttempts: 4, baseMs: 250 } };

/** A limiter with some state to report: three keys, jobs running and queued. */
function busyLimiter() {
  const limiter = new Limiter({ ...OPTIONS, maxConcurrent: 2 });
  for (let i = 0; i < 6; i++) limiter.schedule(() => new Promise(() => {}), { key: `tenant-${i % 3}`, tokens: 100 }).catch(() => {});
  return limiter;
}

const CASES = [
  ['sluice: new Limiter(options)', () => () => new Limiter(OPTIONS)],
  ['p-queue: new PQueue({ concurrency })', () => () => new PQueue({ concurrency: 16 })],
  ['Bottleneck: new Bottleneck(options)', () => () => new Bottleneck({ maxConcurrent: 16, reservoir: 500 })],
  ['sluice: stats()', () => { const l = busyLimiter(); return () => l.stats(); }],
  ['p-queue: size + pending', () => { const q = new PQueue({ concurrency: 2 }); return () => q.size + q.pending; }],
  ['Bottleneck: counts()', () => { const b = new Bottleneck({ maxConcurrent: 2 }); return () => b.counts(); }],
];

/** Microseconds per call of `fn`, over `calls` calls. */
function time(fn) {
  let sink;
  const start = process.hrtime.bigint();
  for (let i = 0; i < calls; i++) sink = fn();
  const us = Number(process.hrtime.bigint() - start) / 1e3 / calls;
  if (sink === undefined) throw new Error('a call returned nothing');
  return us;
}

const results = CASES.map(([name, setup]) => ({ name, fn: setup(), runs: [] }));
for (const r of results) time(r.fn); // warm up every case before any is measured
for (let round = 0; round < rounds; round++) {
  process.stderr.write(`  round ${round + 1}/${rounds}\n`);
  for (const r of results) {
    r.runs.push(time(r.fn));
    globalThis.gc();
    await new Promise((resolve) => setTimeout(resolve, 10)); // finalizers free the dropped limiters
  }
}
printTable(`sluice: ${sluiceSource}; Node ${process.versions.node}; ${calls} calls a round, median of ${rounds} rounds`, ['call', 'µs a call (median)', 'fastest round', 'slowest round'], results.map((r) => [r.name, median(r.runs).toFixed(2), Math.min(...r.runs).toFixed(2), Math.max(...r.runs).toFixed(2)]));
process.exit(0); // the busy limiter's jobs never end
