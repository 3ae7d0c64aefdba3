// Distinct priorities and keys (issue 9, items 3 and 4): jobs that each bring a priority and a
// key of their own, queued behind one slot and then run; then as many queued and aborted, each
// at its own priority. Prints the time each phase takes and the module's memory after it.
//
//   node bench/distinct/run.js [--jobs 12000]

import { parseArgs } from 'node:util';
import { wasmMemory } from '../../js/wasm/sluice.js';
import { Limiter } from '../lib/sluice.js';

const { values: args } = parseArgs({ options: { jobs: { type: 'string', default: '12000' } } });
const jobs = Number(args.jobs);
const mib = () => (wasmMemory().buffer.byteLength / 2 ** 20).toFixed(1);

const limiter = new Limiter({ maxConcurrent: 1 });
console.log(`wasm memory at the start: ${mib()} MiB`);

let release;
const first = limiter.schedule(() => new Promise((resolve) => (release = resolve)));
let started = performance.now();
const queued = [];
for (let i = 0; i < jobs; i++) queued.push(limiter.schedule(async () => i, { priority: Math.random() * 1e9, key: `tenant-${i}` }));
const queuedMs = performance.now() - started;
release();
await Promise.all([first, ...queued]);
console.log(`${jobs} jobs, each its own priority and key: queued in ${queuedMs.toFixed(0)} ms, all run ${(performance.now() - started).toFixed(0)} ms after the first; wasm memory ${mib()} MiB`);

const blocker = limiter.schedule(() => new Promise((resolve) => (release = resolve)));
const aborts = Array.from({ length: jobs }, () => new AbortController());
started = performance.now();
const doomed = aborts.map(({ signal }, i) => limiter.schedule(async () => i, { priority: -i - 0.5, signal }).catch(() => {}));
for (const controller of aborts) controller.abort();
await Promise.all(doomed);
release();
await blocker;
console.log(`${jobs} jobs queued at distinct priorities, then aborted: ${(performance.now() - started).toFixed(0)} ms; wasm memory ${mib()} MiB`);

started = performance.now();
await Promise.all(Array.from({ length: 2_000 }, () => limiter.schedule(async () => {})));
console.log(`2 000 no-op jobs afterwards: ${(performance.now() - started).toFixed(0)} ms; stats: ${JSON.stringify({ queued: limiter.stats().queued, keys: limiter.stats().keys })}`);
