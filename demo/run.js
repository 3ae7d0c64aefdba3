// The sluice demo: a batch of LLM-style calls through one Limiter against the mock provider,
// which enforces the same limits. With the limits known up front the limiter should draw no
// 429 and finish close to the ideal time the limits allow.
//
//   node demo/run.js [--jobs N] [--seed N]
import { parseArgs } from 'node:util';

import { Limiter } from 'sluice';

import { startMockProvider } from '../mock/provider.js';
import { makeJobs } from './jobs.js';
import { startProgress } from './progress.js';
import { idealElapsed, summaryTable } from './summary.js';
import { Throughput } from './throughput.js';

// Numbers picked so the default batch takes 30-60 s: tokens bind, requests have room.
const LIMITS = { requests: 600, tokens: 90_000 };
const LATENCY = { baseMs: 300, perOutputTokenMs: 4 };
const MAX_CONCURRENT = 32;
// A safety net: the demo must end by itself well within two minutes.
const GIVE_UP_MS = 110_000;

const USAGE = 'usage: node demo/run.js [--jobs N] [--seed N]';

/** The command line, or exit 2 with the usage when it is wrong. */
function options() {
  try {
    const { values } = parseArgs({ options: { jobs: { type: 'string', default: '300' }, seed: { type: 'string', default: '42' } } });
    const jobs = Number(values.jobs);
    const seed = Number(values.seed);
    if (!Number.isSafeInteger(jobs) || jobs < 1) throw new TypeError(`--jobs: expected a positive integer, got ${values.jobs}`);
    if (!Number.isSafeInteger(seed)) throw new TypeError(`--seed: expected an integer, got ${values.seed}`);
    return { jobs, seed };
  } catch (error) {
    console.error(`demo: ${error.message}\n${USAGE}`);
    process.exit(2);
  }
}

/** One call: a plain fetch that throws on anything but 200, with the status on the error. */
async function call(url, body, signal) {
  const res = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer demo' },
    body: JSON.stringify(body),
    signal,
  });
  const json = await res.json();
  if (res.status !== 200) throw Object.assign(new Error(`HTTP ${res.status}: ${json.error?.message}`), { status: res.status });
  return json; // OpenAI-shaped: the limiter reads `usage` and refunds the unused max_tokens.
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function main() {
  const { jobs: count, seed } = options();
  const watchdog = setTimeout(() => {
    console.error(`\ndemo: still running after ${GIVE_UP_MS / 1000} s; giving up`);
    process.exit(1);
  }, GIVE_UP_MS);
  watchdog.unref();

  const provider = await startMockProvider({ rpm: LIMITS.requests, tpm: LIMITS.tokens, latency: LATENCY });
  const limiter = new Limiter({ maxConcurrent: MAX_CONCURRENT, requestsPerMinute: LIMITS.requests, tokensPerMinute: LIMITS.tokens });
  const jobs = makeJobs(count, seed);
  console.log(
    `sluice demo: ${count} calls to a mock provider at ${provider.url} ` +
      `(${LIMITS.requests} RPM, ${LIMITS.tokens.toLocaleString('en-US')} TPM, ` +
      `latency ${LATENCY.baseMs} ms + ${LATENCY.perOutputTokenMs} ms/output token), one Limiter with the same limits`,
  );

  const throughput = new Throughput(10_000);
  const outputs = [];
  let done = 0;
  let failedOn429 = 0;
  const errors = [];
  const startedAt = performance.now();
  const progress = startProgress(() => {
    const s = limiter.stats();
    return {
      done,
      total: count,
      inFlight: s.inFlight,
      queued: s.queued,
      rateLimited: provider.stats().rateLimited,
      tokensPerMinute: throughput.perMinute(),
      elapsedMs: performance.now() - startedAt,
    };
  });

  const runs = jobs.map((job) =>
    limiter
      .schedule(({ signal }) => call(provider.url, job.body, signal), { tokens: job.tokens, timeoutMs: 30_000 })
      .then(
        (result) => {
          throughput.add(result.usage.prompt_tokens + result.usage.completion_tokens);
          outputs.push(result.usage.completion_tokens);
        },
        (error) => {
          if (error.status === 429) failedOn429 += 1;
          else errors.push(error);
        },
      )
      .finally(() => {
        done += 1;
      }),
  );
  await Promise.all(runs);
  await limiter.onIdle();
  const elapsedMs = performance.now() - startedAt;
  progress.stop();

  const stats = provider.stats();
  await provider.close();
  clearTimeout(watchdog);

  const typicalLatencyMs = LATENCY.baseMs + LATENCY.perOutputTokenMs * (outputs.length ? median(outputs) : 0);
  const ideal = idealElapsed({
    limits: LIMITS,
    charges: { requests: stats.ok, tokens: stats.inputTokens + stats.outputTokens },
    typicalLatencyMs,
  });
  console.log('\nSummary');
  console.log(
    summaryTable({
      jobs: count,
      ok: outputs.length,
      failed: failedOn429 + errors.length,
      provider: stats,
      failedOn429,
      elapsedMs,
      ideal,
      typicalLatencyMs,
      maxConcurrent: MAX_CONCURRENT,
    }),
  );
  if (stats.rateLimited > 0) {
    console.log(`\nwarning: the provider answered 429 ${stats.rateLimited} times although the limiter knew its limits`);
  }
  for (const error of errors.slice(0, 5)) console.error(`error: ${error.stack ?? error}`);
  // 429s are counted, not fatal; any other failure is.
  process.exitCode = errors.length > 0 ? 1 : 0;
}

main().catch((error) => {
  console.error(error?.stack ?? error);
  process.exit(1);
});
