// schedule() throughput: how many no-op tasks a limiter takes in, runs (16 at a time) and
// settles per second. One tinybench task per library; an iteration schedules BATCH no-op tasks
// on one long-lived limiter and awaits them all. Several rounds, the libraries in a new order
// each round; the figure is the median over rounds of each round's median iteration.
//
//   node bench/overhead/throughput.js [--rounds 5] [--batch 1000] [--libraries sluice,p-queue]
// Prints one JSON line (the orchestrator, run.js, reads it).

import { parseArgs } from 'node:util';
import { Bench } from 'tinybench';
import { median } from '../lib/stats.js';
import { mulberry32 } from '../lib/rng.js';
import { LIBRARIES, byName } from './libraries.js';

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    batch: { type: 'string', default: '1000' },
    libraries: { type: 'string', default: LIBRARIES.map((l) => l.name).join(',') },
  },
});
const rounds = Number(args.rounds);
const batch = Number(args.batch);
const libs = args.libraries.split(',').map((n) => byName[n]);
const noop = async () => {};
const rand = mulberry32(7);

const perRound = Object.fromEntries(libs.map((l) => [l.name, []]));
for (let round = 0; round < rounds; round++) {
  const order = [...libs].sort(() => rand() - 0.5);
  // At least 5 iterations and 0.5 s per library; Bottleneck, at about 3 ms a job, takes the 5.
  const bench = new Bench({ time: 500, iterations: 5, warmupTime: 100, warmupIterations: 2 });
  for (const lib of order) {
    const limiter = lib.make();
    const size = Math.min(batch, lib.batch ?? batch);
    bench.add(lib.name, async () => {
      const pending = new Array(size);
      for (let i = 0; i < size; i++) pending[i] = lib.schedule(limiter, noop);
      await Promise.all(pending);
    }, { async: true });
  }
  await bench.run();
  for (const task of bench.tasks) {
    const ms = task.result.latency.p50;
    perRound[task.name].push(Math.min(batch, byName[task.name].batch ?? batch) / (ms / 1_000));
  }
}

const result = {};
for (const lib of libs) {
  result[lib.name] = { label: lib.label, batch: Math.min(batch, lib.batch ?? batch), perSecond: median(perRound[lib.name]), rounds: perRound[lib.name] };
}
console.log(JSON.stringify({ batch, rounds, result }));
