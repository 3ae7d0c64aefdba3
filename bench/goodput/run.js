// The goodput benchmark: every strategy on the same seeded workloads, on virtual time, against
// the simulated provider. Prints a table per scenario and writes bench/results/goodput.json.
//
//   node bench/goodput/run.js                      # all scenarios, all strategies, 10 000 jobs
//   node bench/goodput/run.js --scenarios a,d --strategies sluice,p-queue --jobs 2000
//   node bench/goodput/run.js --scenarios a-low,a-high,c-bare   # wrong estimates, bare 429s
//
// Runs are spread over worker processes (--workers, default: the number of cores, at most 2):
// each run installs its own fake clock, so runs cannot share a process at the same time.

import { fork } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { fmt, printTable } from '../lib/table.js';
import { quantile } from '../lib/stats.js';
import { versions } from '../lib/versions.js';
import { sluiceSource } from '../lib/sluice.js';
import { gitCommit } from '../lib/git.js';
import { runScenario } from './harness.js';
import { ideal, idealLastAdmission } from './ideal.js';
import { scenarioTable, targets } from './report.js';
import { scenario } from './workload.js';
import * as naive from './strategies/naive.js';
import * as plimit from './strategies/plimit.js';
import * as pqueue from './strategies/pqueue.js';
import * as bottleneck from './strategies/bottleneck.js';
import * as cookbook from './strategies/cookbook.js';
import * as sluice from './strategies/sluice.js';
import * as sluiceUncapped from './strategies/sluice-uncapped.js';
import * as sluicePlain from './strategies/sluice-plain.js';
import * as sluiceUncalibrated from './strategies/sluice-uncalibrated.js';

const here = dirname(fileURLToPath(import.meta.url));
const STRATEGIES = [naive, plimit, pqueue, bottleneck, cookbook, sluice, sluiceUncapped, sluicePlain, sluiceUncalibrated];
const byName = Object.fromEntries(STRATEGIES.map((s) => [s.name, s]));

const { values: args } = parseArgs({
  options: {
    scenarios: { type: 'string', default: 'a,b,c,d,e,a-low,a-high,c-bare' },
    strategies: { type: 'string', default: STRATEGIES.map((s) => s.name).join(',') },
    jobs: { type: 'string', default: '10000' },
    seed: { type: 'string', default: '1' },
    workers: { type: 'string', default: String(Math.min(2, availableParallelism())) },
    out: { type: 'string', default: join(here, '..', 'results', 'goodput.json') },
    worker: { type: 'boolean', default: false },
    // Variants, to test the model rather than the strategies:
    'no-settle': { type: 'boolean', default: false }, // the provider keeps the whole max_tokens
    'cookbook-poll': { type: 'string', default: '0' }, // 1: the cookbook port's original 1 ms loop
  },
});
const jobs = Number(args.jobs);
const seed = Number(args.seed);

/** One run, in this process: a scenario, a strategy, and whether only tenant b runs (its baseline). */
async function task({ scenarioName, strategyName, alone }) {
  const sc = scenario(scenarioName, { jobs, seed, settle: !args['no-settle'] });
  const only = alone ? sc.jobs.flatMap((j, i) => (j.tenant === 'b' ? [i] : [])) : null;
  return runScenario(sc, byName[strategyName], { seed, only, cookbookPoll: Number(args['cookbook-poll']) });
}

async function main() {
  const scenarioNames = args.scenarios.split(',');
  const strategyNames = args.strategies.split(',');
  for (const s of strategyNames) if (!byName[s]) throw new Error(`unknown strategy ${s}; known: ${Object.keys(byName).join(', ')}`);
  const tasks = [];
  for (const scenarioName of scenarioNames) {
    for (const strategyName of strategyNames) {
      const only = byName[strategyName].scenarios;
      if (only && !only.includes(scenarioName)) continue;
      tasks.push({ scenarioName, strategyName, alone: false });
      if (scenarioName === 'e') tasks.push({ scenarioName, strategyName, alone: true });
    }
  }
  const started = Date.now();
  const results = await runAll(tasks, Number(args.workers));
  const wallMs = Date.now() - started;

  const out = {
    benchmark: 'goodput',
    command: `node bench/goodput/run.js --jobs ${jobs} --seed ${seed}${args['no-settle'] ? ' --no-settle' : ''}${args['cookbook-poll'] !== '0' ? ` --cookbook-poll ${args['cookbook-poll']}` : ''}`,
    settle: !args['no-settle'],
    date: new Date().toISOString(),
    versions: versions(['sluice', 'openai', '@sinonjs/fake-timers', 'p-limit', 'p-retry', 'p-queue', 'bottleneck']),
    sluice: sluiceSource,
    commit: gitCommit(),
    jobs,
    seed,
    wallMs,
    scenarios: {},
  };
  for (const name of scenarioNames) {
    const sc = scenario(name, { jobs, seed, settle: !args['no-settle'] });
    const runs = strategyNames.filter((s) => results.has(`${name}/${s}/false`)).map((s) => {
      const r = results.get(`${name}/${s}/false`);
      const alone = results.get(`${name}/${s}/true`);
      return alone ? { ...r, alone: { perClass: alone.perClass, makespanMs: alone.makespanMs } } : r;
    });
    out.scenarios[name] = {
      title: sc.title,
      limits: sc.limits,
      latency: sc.latency,
      outage: sc.outage,
      jobs: sc.jobs.length,
      ideal: ideal(sc),
      idealLastAdmissionMs: idealLastAdmission(sc),
      ...(name === 'e' ? { tenantBRefillP99: quantile(sc.jobs.filter((j) => j.tenant === 'b').map((j) => (j.input + j.maxTokens) / (sc.limits.tpm / 60_000)), 0.99) } : {}),
      ...(name === 'd' ? { interactiveEstimateMax: Math.max(...sc.jobs.filter((j) => j.cls === 'interactive').map((j) => j.input + j.maxTokens)) } : {}),
      runs,
    };
    report(name, out.scenarios[name]);
  }
  out.targets = targets(out.scenarios);
  printTargets(out.targets);
  console.log(`\n${results.size} runs in ${fmt(wallMs / 1_000, 1)} s of wall time (${args.workers} workers)`);
  mkdirSync(dirname(args.out), { recursive: true });
  writeFileSync(args.out, `${JSON.stringify(out, null, 2)}\n`);
  console.log(`wrote ${args.out}`);
}

/** Runs the tasks over `n` worker processes; returns them by key. */
async function runAll(tasks, n) {
  const key = (t) => `${t.scenarioName}/${t.strategyName}/${t.alone}`;
  const results = new Map();
  const queue = [...tasks];
  const worker = () =>
    new Promise((resolve, reject) => {
      const variants = [...(args['no-settle'] ? ['--no-settle'] : []), '--cookbook-poll', args['cookbook-poll']];
      const child = fork(fileURLToPath(import.meta.url), ['--worker', '--jobs', String(jobs), '--seed', String(seed), ...variants], { stdio: 'inherit' });
      let current = null;
      const next = () => {
        current = queue.shift();
        if (!current) {
          child.kill();
          resolve();
          return;
        }
        child.send(current);
      };
      child.on('message', (m) => {
        if (!m.ok) {
          queue.length = 0;
          child.kill();
          reject(new Error(`${key(current)}: ${m.error}`));
          return;
        }
        results.set(key(current), m.result);
        const r = m.result;
        process.stderr.write(`  ${key(current).padEnd(24)} ${fmt(r.wallMs / 1_000, 1).padStart(5)} s wall, makespan ${fmt(r.makespanMs / 1_000, 1)} s\n`);
        next();
      });
      child.on('error', reject);
      next();
    });
  await Promise.all(Array.from({ length: Math.max(1, n) }, worker));
  return results;
}

function report(name, s) {
  const t = scenarioTable(name, s);
  printTable(t.title, t.header, t.rows);
  if (t.note) console.log(t.note);
}

function printTargets(list) {
  printTable('Targets (sluice)', ['', 'target', 'figure', ''], list.map((t) => [t.id, t.target, t.figure, t.met ? 'met' : 'MISSED']));
}

if (args.worker) {
  process.on('message', async (t) => {
    let reply;
    try {
      reply = { ok: true, result: await task(t) };
    } catch (e) {
      reply = { ok: false, error: e.stack ?? String(e) };
    }
    if (process.connected) process.send(reply);
  });
} else {
  await main();
}
