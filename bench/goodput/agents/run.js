// The agent scenario of the goodput benchmark: requests of 3–8 parallel sub-calls, each request
// with a 10 s budget, arriving faster than the provider's limits allow for 90 s, then slower.
// Every strategy on the same seeded load, on virtual time, against the simulated provider
// (../provider.js) behind the real openai SDK. Prints a table and writes bench/results/agents.json.
//
//   node bench/goodput/agents/run.js [--seed 1] [--strategies p-limit,sluice-deadline]
//
// Each request runs as the README's idiom: `Promise.all` of its sub-calls sharing one
// AbortController, aborted when the budget is spent (AbortSignal.timeout, here on the virtual
// clock) or when a sibling fails. Figures per strategy: the share of requests whose every
// sub-call answered within the budget; the tokens the provider billed (input plus the output it
// produced; the input alone for a call hung up before its answer) and how many of them went to
// requests that missed their budget anyway (wasted); the 429s.

import FakeTimers from '@sinonjs/fake-timers';
import OpenAI from 'openai';
import { setMaxListeners } from 'node:events';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { fmt, printTable } from '../../lib/table.js';
import { withSeededMathRandom } from '../../lib/rng.js';
import { versions } from '../../lib/versions.js';
import { gitCommit } from '../../lib/git.js';
import { requestsPerMinuteAtEstimate, sustainingConcurrency } from '../ideal.js';
import { SimProvider } from '../provider.js';
import { body } from '../workload.js';
import { agentLoad, PHASES } from './workload.js';
import { STRATEGIES } from './strategies.js';

const here = dirname(fileURLToPath(import.meta.url));
const EPOCH = Date.UTC(2025, 0, 1);
/** The target: sluice with deadlines wastes less than this share of the tokens billed. */
const MAX_WASTE = 0.02;

const { values: args } = parseArgs({
  options: {
    seed: { type: 'string', default: '1' },
    strategies: { type: 'string', default: STRATEGIES.map((s) => s.name).join(',') },
    out: { type: 'string', default: join(here, '..', '..', 'results', 'agents.json') },
  },
});
const seed = Number(args.seed);

/** One strategy through the whole load, on its own fake clock. */
async function runOne(load, strategy) {
  const clock = FakeTimers.install({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date', 'performance'], now: EPOCH, loopLimit: 10_000_000 });
  try {
    return await withSeededMathRandom(seed, () => drive(load, strategy, clock));
  } finally {
    clock.uninstall();
  }
}

async function drive(load, strategy, clock) {
  const { requests, jobs, budgetMs } = load;
  const provider = new SimProvider({ jobs, rpm: load.limits.rpm, tpm: load.limits.tpm, ...load.latency });
  // What the provider billed each call: the input and the output it produced when it answered,
  // the input alone when the caller hung up first (it had charged and gives back the output).
  const billed = new Float64Array(jobs.length);
  const fetch = async (url, init) => {
    const i = Number(JSON.parse(init.body).user);
    const job = jobs[i];
    const refused = provider.refused[i];
    try {
      const response = await provider.fetch(url, init);
      if (response.status === 200) billed[i] += job.input + Math.min(job.output, job.maxTokens);
      return response;
    } catch (e) {
      if (provider.refused[i] === refused) billed[i] += job.input; // hung up after admission, not during a 429
      throw e;
    }
  };
  const sc = { jobs, limits: load.limits, latency: load.latency };
  const ctx = {
    seed,
    limits: load.limits,
    budgetMs,
    body,
    sustaining: sustainingConcurrency(sc),
    perMinuteAtEstimate: requestsPerMinuteAtEstimate(sc),
    client: ({ maxRetries }) => new OpenAI({ apiKey: 'sk-bench', baseURL: 'http://provider.invalid/v1', fetch, maxRetries }),
  };
  const s = strategy.create(ctx);
  const t0 = Date.now();
  const inTime = new Uint8Array(requests.length);
  const errors = new Map();
  let pending = requests.length;
  let calls = 0;

  const submit = (r, id) => {
    const deadline = Date.now() + budgetMs;
    const controller = new AbortController();
    setMaxListeners(0, controller.signal); // up to 8 sub-calls, each with the SDK's and the limiter's listeners
    // AbortSignal.timeout(budgetMs), on the virtual clock (Node's own runs on timers the fake clock does not move).
    const timer = setTimeout(() => controller.abort(new DOMException('The request budget is spent', 'TimeoutError')), budgetMs);
    const subCalls = r.calls.map((i) => {
      calls += 1;
      const p = Promise.resolve(s.call(jobs[i], i, { signal: controller.signal, deadline })).catch((e) => {
        controller.abort(e); // a sibling failed: drop the rest
        throw e;
      });
      p.catch(() => {}).finally(() => (calls -= 1));
      return p;
    });
    Promise.all(subCalls)
      .then(
        () => (inTime[id] = Date.now() <= deadline ? 1 : 0),
        (e) => {
          const key = e?.code === 'DEADLINE' ? `DEADLINE ${e.why}` : (e?.code ?? e?.name ?? String(e));
          errors.set(key, (errors.get(key) ?? 0) + 1);
        },
      )
      .finally(() => {
        clearTimeout(timer);
        pending -= 1;
      });
  };
  requests.forEach((r, id) => setTimeout(() => submit(r, id), r.arrival));

  while (pending > 0 || calls > 0) {
    if (clock.countTimers() === 0) {
      await new Promise((r) => setImmediate(r));
      if ((pending > 0 || calls > 0) && clock.countTimers() === 0) throw new Error(`${strategy.name} hung: ${pending} requests, ${calls} calls pending`);
      continue;
    }
    await clock.nextAsync();
  }
  const endMs = Date.now() - t0;

  let tokens = 0;
  let wasted = 0;
  const phases = Object.fromEntries(PHASES.map((p) => [p.name, { requests: 0, inTime: 0 }]));
  requests.forEach((r, id) => {
    const spent = r.calls.reduce((sum, i) => sum + billed[i], 0);
    tokens += spent;
    if (!inTime[id]) wasted += spent;
    phases[r.phase].requests += 1;
    phases[r.phase].inTime += inTime[id];
  });
  const answered = inTime.reduce((a, b) => a + b, 0);
  return {
    strategy: strategy.name,
    label: strategy.label,
    config: s.config,
    requests: requests.length,
    calls: jobs.length,
    inTime: answered,
    inTimeShare: answered / requests.length,
    phases,
    tokens,
    wasted,
    wastedShare: tokens ? wasted / tokens : 0,
    rateLimited: provider.totals.rateLimited,
    attempts: provider.totals.attempts,
    errors: Object.fromEntries(errors),
    endMs,
    sluiceStats: s.limiter?.stats(),
  };
}

const load = agentLoad(seed);
const chosen = args.strategies.split(',').map((name) => {
  const strategy = STRATEGIES.find((s) => s.name === name);
  if (!strategy) throw new Error(`unknown strategy ${name}; known: ${STRATEGIES.map((s) => s.name).join(', ')}`);
  return strategy;
});
const runs = [];
for (const strategy of chosen) runs.push(await runOne(load, strategy));

const pct = (x) => `${fmt(100 * x, 1)} %`;
const [overload, recovery] = PHASES;
printTable(
  `Agent requests: ${fmt(load.requests.length)} requests of 3–8 sub-calls (${fmt(load.jobs.length)} calls), ${load.budgetMs / 1_000} s budget each; ` +
    `${overload.perSecond}/s for ${overload.ms / 1_000} s, then ${recovery.perSecond}/s for ${recovery.ms / 1_000} s; ` +
    `${fmt(load.limits.rpm)} RPM, ${fmt(load.limits.tpm)} TPM`,
  ['strategy', 'answered in time', `during the overload`, `after`, 'tokens billed', 'wasted (request missed anyway)', '429s', 'attempts'],
  runs.map((r) => [
    r.label,
    `${pct(r.inTimeShare)} (${r.inTime})`,
    pct(r.phases[overload.name].inTime / r.phases[overload.name].requests),
    pct(r.phases[recovery.name].inTime / r.phases[recovery.name].requests),
    fmt(r.tokens),
    `${fmt(r.wasted)} (${pct(r.wastedShare)})`,
    fmt(r.rateLimited),
    fmt(r.attempts),
  ]),
);
const ours = runs.find((r) => r.strategy === 'sluice-deadline');
if (ours) {
  const most = Math.max(...runs.map((r) => r.inTime));
  const met = ours.inTime === most && ours.wastedShare < MAX_WASTE;
  console.log(`\ntarget (sluice with deadlines answers the most requests in time and wastes under ${pct(MAX_WASTE)} of its tokens): ${met ? 'met' : 'MISSED'}`);
}
mkdirSync(dirname(args.out), { recursive: true });
writeFileSync(
  args.out,
  `${JSON.stringify({ benchmark: 'goodput/agents', command: `node bench/goodput/agents/run.js --seed ${seed}`, date: new Date().toISOString(), commit: gitCommit(), versions: versions(['sluice', 'openai', 'p-limit', 'p-retry', 'p-queue']), seed, phases: PHASES, limits: load.limits, latency: load.latency, budgetMs: load.budgetMs, runs }, null, 2)}\n`,
);
console.log(`wrote ${args.out}`);
