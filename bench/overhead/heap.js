// Heap bytes per queued job: one limiter, one job running that never ends (so that every other
// job waits), then N no-op jobs scheduled; the growth of the JS heap plus external memory (the
// wasm module's linear memory lives there), after a full GC, divided by N. The promises
// `schedule()` returns are kept in an array allocated beforehand, as a caller would keep them.
//
//   node --expose-gc bench/overhead/heap.js <library> [jobs]
// Prints one JSON line. Each library runs in a process of its own.

import { byName } from './libraries.js';

const lib = byName[process.argv[2]];
const n = Number(process.argv[3] ?? 100_000);
if (!lib || typeof globalThis.gc !== 'function') {
  console.error('usage: node --expose-gc bench/overhead/heap.js <library> [jobs]');
  process.exit(2);
}

function snapshot() {
  for (let i = 0; i < 3; i++) globalThis.gc();
  const m = process.memoryUsage();
  return { heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers };
}

const limiter = lib.make();
const noop = async () => {};
// Warm up: a few jobs through, so that lazily built structures (and the wasm memory) exist.
await Promise.all(Array.from({ length: 100 }, () => lib.schedule(limiter, noop)));
const blockers = [];
const block = new Promise((resolve) => blockers.push(resolve));
const held = Array.from({ length: 16 }, () => lib.schedule(limiter, () => block));
await new Promise((r) => setTimeout(r, 50)); // the blockers are running
const pending = new Array(n).fill(null);
const before = snapshot();
for (let i = 0; i < n; i++) pending[i] = lib.schedule(limiter, noop);
const after = snapshot();
const grew = (k) => after[k] - before[k];
const bytes = grew('heapUsed') + grew('external');
console.log(JSON.stringify({ library: lib.name, jobs: n, heapBytes: grew('heapUsed'), externalBytes: grew('external'), bytesPerJob: bytes / n }));
// Nothing is released: the process ends here.
process.exit(0);
void held;
