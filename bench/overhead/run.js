// The overhead benchmark, in real time on Node: schedule() throughput of no-op tasks, and heap
// bytes per queued job with 100 000 queued; sluice against p-limit, p-queue and Bottleneck in
// the same run. Prints two tables and writes bench/results/overhead.json.
//
//   node bench/overhead/run.js [--rounds 5] [--heap-runs 3] [--jobs 100000]
//
// Throughput runs in one child process (every library in it, in a new order each round); the
// heap of each library is measured in a fresh child process of its own (--expose-gc), several
// times. Medians throughout.

import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { gitCommit } from '../lib/git.js';
import { sluiceSource } from '../lib/sluice.js';
import { median } from '../lib/stats.js';
import { fmt, printTable } from '../lib/table.js';
import { versions } from '../lib/versions.js';
import { CONCURRENCY, LIBRARIES } from './libraries.js';
import { memoryTable, overheadTargets, throughputTable } from './report.js';

const here = dirname(fileURLToPath(import.meta.url));
const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    batch: { type: 'string', default: '1000' },
    'heap-runs': { type: 'string', default: '3' },
    jobs: { type: 'string', default: '100000' },
    out: { type: 'string', default: join(here, '..', 'results', 'overhead.json') },
  },
});

const node = (script, extra, flags = []) =>
  JSON.parse(execFileSync(process.execPath, [...flags, join(here, script), ...extra], { encoding: 'utf8', maxBuffer: 1 << 24 }).trim().split('\n').pop());

const started = Date.now();
process.stderr.write('  throughput ...\n');
const throughput = node('throughput.js', ['--rounds', args.rounds, '--batch', args.batch]);
const heap = {};
for (const lib of LIBRARIES) {
  process.stderr.write(`  heap: ${lib.name} ...\n`);
  const runs = Array.from({ length: Number(args['heap-runs']) }, () => node('heap.js', [lib.name, args.jobs], ['--expose-gc']));
  heap[lib.name] = {
    bytesPerJob: median(runs.map((r) => r.bytesPerJob)),
    heapBytesPerJob: median(runs.map((r) => r.heapBytes / r.jobs)),
    externalBytesPerJob: median(runs.map((r) => r.externalBytes / r.jobs)),
    runs: runs.map((r) => r.bytesPerJob),
  };
}

const results = { concurrency: CONCURRENCY, queuedJobs: Number(args.jobs), throughput, heap };
const targets = overheadTargets(results);
for (const t of [throughputTable(results, args.rounds), memoryTable(results, args['heap-runs'])]) printTable(t.title, t.header, t.rows);
printTable('Targets (sluice)', ['', 'target', 'figure', ''], targets.map((t) => [t.id, t.target, t.figure, t.met ? 'met' : 'MISSED']));

const out = {
  benchmark: 'overhead',
  command: `node bench/overhead/run.js --rounds ${args.rounds} --heap-runs ${args['heap-runs']} --jobs ${args.jobs}`,
  date: new Date().toISOString(),
  versions: versions(['sluice', 'p-limit', 'p-queue', 'bottleneck', 'tinybench']),
  sluice: sluiceSource,
  commit: gitCommit(),
  machine: { cpus: cpus().length, cpu: cpus()[0]?.model, loadavgAtEnd: loadavg() },
  ...results,
  rounds: Number(args.rounds),
  heapRuns: Number(args['heap-runs']),
  targets,
  wallMs: Date.now() - started,
};
mkdirSync(dirname(args.out), { recursive: true });
writeFileSync(args.out, `${JSON.stringify(out, null, 2)}\n`);
console.log(`\nwrote ${args.out} (${fmt(out.wallMs / 1_000, 1)} s)`);
