// The streamed goodput scenario (f): an interactive chat load, every job a streamed completion
// (`stream: true`) of 20 to 200 chunks, all arriving at once. Every strategy is given the same
// cap on concurrency and wraps `create()` the way its users do; each caller then reads its
// stream to the end, outside the peer's slot (the peers free it when `create()` resolves, at
// the headers). sluice holds its slot until the stream ends. On virtual time, like the other
// scenarios. Each strategy runs twice: against a provider that lets every stream in (to see how
// many it really has open against its cap), then against one that allows `cap` open streams and
// answers 429 with a Retry-After beyond (to see the 429s, the failures and the makespan).
//
//   node bench/goodput/stream.js [--jobs 2000] [--cap 16] [--seed 1]
//
// Prints, per strategy: the peak of open streams at the lenient provider against the cap; at
// the enforcing one, its 429s, the jobs that failed, the share of the chunks read, and the
// makespan against the ideal (the streams' total duration spread over the cap, or the longest
// stream if longer). Writes bench/results/goodput-stream.json.
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import FakeTimers from '@sinonjs/fake-timers';
import OpenAI from 'openai';
import pLimit from 'p-limit';
import pRetry from 'p-retry';
import PQueue from 'p-queue';
import Bottleneck from 'bottleneck';
import { Limiter, sluiceSource } from '../lib/sluice.js';
import { intIn, mulberry32, withSeededMathRandom } from '../lib/rng.js';
import { fmt, printTable } from '../lib/table.js';
import { versions } from '../lib/versions.js';
import { gitCommit } from '../lib/git.js';
import { StreamProvider } from './stream-provider.js';

const here = dirname(fileURLToPath(import.meta.url));
const { values: args } = parseArgs({
  options: {
    jobs: { type: 'string', default: '2000' },
    cap: { type: 'string', default: '16' },
    seed: { type: 'string', default: '1' },
    out: { type: 'string', default: join(here, '..', 'results', 'goodput-stream.json') },
  },
});
const N = Number(args.jobs);
const CAP = Number(args.cap);
const SEED = Number(args.seed);
/** Time to the first chunk, then between chunks (about 100 tokens a second), and a 429's Retry-After. */
const TIMING = { firstMs: 300, perChunkMs: 10, retryAfterMs: 1_000 };
/** p-retry's and Bottleneck's retries, as in the other scenarios' strategies. */
const RETRY = { retries: 6, factor: 2, minTimeout: 1_000, maxTimeout: 60_000, randomize: true };
const retryable = (status) => status === undefined || [408, 409, 429].includes(status) || status >= 500;

function workload(seed) {
  const rand = mulberry32(seed * 7919 + 'f'.charCodeAt(0));
  return Array.from({ length: N }, () => ({ input: intIn(rand, 100, 400), chunks: intIn(rand, 20, 200) }));
}

const durationOf = (job) => TIMING.firstMs + (job.chunks - 1) * TIMING.perChunkMs;

/** The least makespan any limiter holding `cap` streams at once can reach. */
function idealMs(jobs) {
  const total = jobs.reduce((s, j) => s + durationOf(j), 0);
  return Math.max(total / CAP, ...jobs.map(durationOf));
}

const body = (job, i) => ({
  model: 'gpt-4o-mini',
  messages: [{ role: 'user', content: `chat ${i}` }],
  max_tokens: 256,
  stream: true,
  stream_options: { include_usage: true },
  user: String(i),
});

/** Each strategy: given a client factory, returns `open(job, i)`, which resolves with the stream to read. */
const STRATEGIES = {
  'p-limit + p-retry': (client) => {
    const c = client(0);
    const limit = pLimit(CAP);
    return (job, i) => limit(() => pRetry(() => c.chat.completions.create(body(job, i)), { ...RETRY, shouldRetry: ({ error }) => retryable(error.status) }));
  },
  'p-queue': (client) => {
    const c = client(2); // p-queue has no retries: the SDK's own
    const queue = new PQueue({ concurrency: CAP });
    return (job, i) => queue.add(() => c.chat.completions.create(body(job, i)));
  },
  Bottleneck: (client) => {
    const c = client(0);
    const limiter = new Bottleneck({ maxConcurrent: CAP });
    limiter.on('failed', (error, info) => {
      if (info.retryCount >= RETRY.retries || !retryable(error?.status)) return undefined;
      const ms = Number(error?.headers?.get?.('retry-after-ms'));
      return Number.isFinite(ms) && ms > 0 ? ms : 1_000 * 2 ** info.retryCount;
    });
    limiter.on('error', () => {});
    return (job, i) => limiter.schedule(() => c.chat.completions.create(body(job, i)));
  },
  sluice: (client) => {
    const c = client(0);
    const limiter = new Limiter({ maxConcurrent: CAP, seed: SEED });
    return (job, i) => limiter.schedule(({ signal }) => c.chat.completions.create(body(job, i), { signal }), { inputTokens: job.input, maxOutputTokens: 256 });
  },
};

async function run(name, jobs, enforce) {
  const clock = FakeTimers.install({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date', 'performance'], now: 0, loopLimit: 10_000_000 });
  try {
    return await withSeededMathRandom(SEED, async () => {
      const provider = new StreamProvider({ jobs, cap: CAP, enforce, ...TIMING });
      const client = (maxRetries) => new OpenAI({ apiKey: 'sk-bench', baseURL: 'http://provider.invalid/v1', fetch: provider.fetch, maxRetries });
      const open = STRATEGIES[name](client);
      let pending = jobs.length;
      let failed = 0;
      let chunks = 0;
      for (let i = 0; i < jobs.length; i++) {
        (async () => {
          const stream = await open(jobs[i], i);
          for await (const c of stream) if (c.choices[0]?.delta?.content) chunks++;
        })()
          .catch(() => failed++)
          .finally(() => pending--);
      }
      while (pending > 0) {
        if (clock.countTimers() === 0) {
          await new Promise((r) => setImmediate(r));
          if (pending > 0 && clock.countTimers() === 0) throw new Error(`${name} hung with ${pending} jobs pending`);
          continue;
        }
        await clock.nextAsync();
      }
      const expected = jobs.reduce((s, j) => s + j.chunks, 0);
      return { strategy: name, peakAsked: provider.peakAsked, peakOpen: provider.peakOpen, cap: CAP, rateLimited: provider.rateLimited, requests: provider.requests, failed, chunksRead: chunks, chunksExpected: expected, makespanMs: clock.now };
    });
  } finally {
    clock.uninstall();
  }
}

const jobs = workload(SEED);
const ideal = idealMs(jobs);
const results = [];
for (const name of Object.keys(STRATEGIES)) {
  const lenient = await run(name, jobs, false);
  const enforcing = await run(name, jobs, true);
  results.push({ strategy: name, cap: CAP, idealMs: ideal, peakOpen: lenient.peakOpen, lenient, enforcing });
}
printTable(
  `(f) ${fmt(N)} streamed chats of 20–200 chunks at once, cap ${CAP} open streams; ideal ${fmt(ideal / 1000, 1)} s`,
  ['strategy', 'peak open (lenient provider)', 'cap', '429s (enforcing)', 'failed jobs', 'chunks read', 'makespan', '× ideal'],
  results.map(({ strategy, peakOpen, enforcing: r }) => [strategy, peakOpen, r.cap, r.rateLimited, r.failed, `${fmt((100 * r.chunksRead) / r.chunksExpected, 1)} %`, `${fmt(r.makespanMs / 1000, 1)} s`, fmt(r.makespanMs / ideal, 3)]),
);
writeFileSync(
  args.out,
  `${JSON.stringify({ benchmark: 'goodput-stream', command: `node bench/goodput/stream.js --jobs ${N} --cap ${CAP} --seed ${SEED}`, sluice: sluiceSource, versions: versions(['sluice', 'openai', '@sinonjs/fake-timers', 'p-limit', 'p-retry', 'p-queue', 'bottleneck']), commit: gitCommit(), timing: TIMING, results }, null, 2)}\n`,
);
