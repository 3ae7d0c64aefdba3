// Seeded workloads and the five scenarios of the goodput benchmark.
//
// A job: its true input tokens, its `max_tokens`, the output it will really produce (the
// provider knows it; clients only know input + max_tokens, the estimate), its class, tenant,
// priority and arrival time (ms from the start).

import { intIn, mulberry32 } from '../lib/rng.js';

/** The provider's limits in every scenario: OpenAI-like, tokens per minute bind. */
export const LIMITS = { rpm: 5_000, tpm: 2_000_000 };
/** Latency model: base + per output token (about 100 tokens a second). */
export const LATENCY = { baseMs: 300, perTokenMs: 10, refusalMs: 100 };

const MAX_TOKENS = [128, 256, 512];

/** How much more input the provider counts than the estimate in (a-low): 4 characters a token against 3. */
export const PROVIDER_OVER_ESTIMATE = 1.33;

/** What a client is told a job's input is: its estimate (the true count unless a variant says otherwise). */
export const inputEstimate = (job) => job.estInput ?? job.input;

/** A batch job: input 50..1000 tokens, max_tokens 128/256/512, output 20..100 % of it. */
function batchJob(rand, fields) {
  const maxTokens = MAX_TOKENS[intIn(rand, 0, MAX_TOKENS.length - 1)];
  return {
    input: intIn(rand, 50, 1_000),
    maxTokens,
    output: Math.max(1, Math.round(maxTokens * (0.2 + 0.8 * rand()))),
    cls: 'batch',
    tenant: '',
    priority: 0,
    arrival: 0,
    ...fields,
  };
}

/** An interactive job: a short prompt and a short answer. */
function interactiveJob(rand, fields) {
  return {
    input: intIn(rand, 100, 400),
    maxTokens: 128,
    output: intIn(rand, 30, 128),
    cls: 'interactive',
    tenant: '',
    priority: 1,
    arrival: 0,
    ...fields,
  };
}

/**
 * The scenarios. `jobs` scales the batch (10 000 by default); everything else follows.
 * - known: the limits are given to every strategy that can take them.
 * - outage: a window of provider time during which every request gets a 429 + Retry-After.
 * - settle: whether the provider gives back the unused max_tokens when an answer ends.
 */
export function scenario(name, { jobs: n = 10_000, seed = 1, settle = true } = {}) {
  const rand = mulberry32(seed * 7919 + name.charCodeAt(0));
  const base = { name, known: true, outage: null, limits: LIMITS, latency: LATENCY, settle };
  switch (name) {
    case 'a':
      return { ...base, title: `(a) ${fmtK(n)} jobs, limits known`, jobs: Array.from({ length: n }, () => batchJob(rand)) };
    case 'b':
      return { ...base, title: `(b) ${fmtK(n)} jobs, limits unknown`, known: false, jobs: Array.from({ length: n }, () => batchJob(rand)) };
    case 'c': {
      const jobs = Array.from({ length: n }, () => batchJob(rand));
      // In the middle of the ideal run: from 40 % of it, for 30 s.
      const from = Math.round(0.4 * drainMs(jobs) / 1_000) * 1_000;
      return { ...base, title: `(c) ${fmtK(n)} jobs, 30 s outage (429 + Retry-After)`, jobs, outage: { fromMs: from, untilMs: from + 30_000 } };
    }
    case 'd': {
      const jobs = Array.from({ length: n }, () => batchJob(rand));
      // One interactive job a second for as long as the batch would ideally last (a minute at least).
      const span = Math.max(60_000, drainMs(jobs));
      for (let t = 1_000; t < span; t += 1_000) jobs.push(interactiveJob(rand, { arrival: t }));
      return { ...base, title: `(d) ${fmtK(n)} batch jobs + 1 interactive job/s (priority)`, jobs };
    }
    case 'e': {
      // Tenant a floods 80 % of the batch at once; tenant b sends 2 jobs a second, the same kind of job.
      const flood = Array.from({ length: Math.round(0.8 * n) }, () => batchJob(rand, { tenant: 'a', cls: 'tenant a' }));
      const span = Math.max(60_000, drainMs(flood));
      const small = [];
      for (let t = 500; t < span; t += 500) small.push(batchJob(rand, { tenant: 'b', cls: 'tenant b', arrival: t }));
      // Shares are measured over the first half of the flood's ideal drain, when every strategy
      // still has the flood queued.
      return { ...base, title: `(e) two tenants: a floods ${fmtK(flood.length)} jobs, b sends 2/s`, jobs: [...flood, ...small], shareWindowMs: span / 2 };
    }
    // Variants of (a) and (c) for estimates that are wrong and 429s that say little: the same
    // jobs (the seed depends on the first letter only), seen through another estimate or outage.
    case 'a-low': {
      const a = scenario('a', { jobs: n, seed, settle });
      // A token per 3 characters against the estimate's 4: the provider counts 1.33 × the input estimate.
      const jobs = a.jobs.map((j) => ({ ...j, estInput: Math.round(j.input / PROVIDER_OVER_ESTIMATE) }));
      return { ...a, name, title: `(a-low) ${fmtK(n)} jobs, the provider counts ${PROVIDER_OVER_ESTIMATE} × the input estimate`, jobs };
    }
    case 'a-high': {
      const a = scenario('a', { jobs: n, seed, settle });
      const jobs = a.jobs.map((j) => ({ ...j, estInput: Math.round(j.input * 1.25) }));
      return { ...a, name, title: `(a-high) ${fmtK(n)} jobs, input estimates 25 % high`, jobs };
    }
    case 'c-bare': {
      const c = scenario('c', { jobs: n, seed, settle });
      // The 429s carry only `retry-after`, a fixed 5 s, and a body that names no limit.
      const outage = { ...c.outage, retryAfterMs: 5_000, bare: true };
      return { ...c, name, title: `(c-bare) ${fmtK(n)} jobs, 30 s outage, 429s with only a 5 s Retry-After`, outage };
    }
    default:
      throw new Error(`unknown scenario ${name}`);
  }
}

/** Milliseconds for the tokens bucket to drain the jobs' settled charge at its rate (see ideal.js). */
function drainMs(jobs) {
  const tokens = jobs.reduce((s, j) => s + j.input + j.output, 0);
  return Math.max(0, tokens - LIMITS.tpm) / (LIMITS.tpm / 60_000);
}

const fmtK = (n) => n.toLocaleString('en-US');

/** The request body of a job: small (the provider knows the job by its index in `user`). */
export function body(job, index) {
  return {
    model: 'gpt-4o-mini',
    messages: [{ role: 'user', content: `job ${index}` }],
    max_tokens: job.maxTokens,
    user: String(index),
  };
}
