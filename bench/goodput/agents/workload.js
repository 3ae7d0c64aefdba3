// The agent load: requests that each fan out into 3–8 parallel LLM calls and must be answered
// within a 10 s budget. They arrive faster than the provider's limits can serve for a while
// (an overload), then slower (a recovery). Seeded: every run sees the same requests.

import { intIn, mulberry32 } from '../../lib/rng.js';

/** The provider: OpenAI-like buckets, small enough that the overload is a few minutes. */
export const LIMITS = { rpm: 1_000, tpm: 200_000 };
/** Latency: base + per output token (about 100 tokens a second), as the goodput scenarios. */
export const LATENCY = { baseMs: 300, perTokenMs: 10, refusalMs: 100 };
/** Each request's budget, from its arrival. */
export const BUDGET_MS = 10_000;
/** Arrival rates (requests a second) and how long each phase lasts. */
export const PHASES = [
  { name: 'overload', perSecond: 1.5, ms: 90_000 },
  { name: 'recovery', perSecond: 0.3, ms: 90_000 },
];

const MAX_TOKENS = [128, 256, 384];

/** A sub-call: input 300..1500 tokens, max_tokens 128/256/384, output 20..100 % of it. */
function call(rand, request, arrival) {
  const maxTokens = MAX_TOKENS[intIn(rand, 0, MAX_TOKENS.length - 1)];
  return { input: intIn(rand, 300, 1_500), maxTokens, output: Math.max(1, Math.round(maxTokens * (0.2 + 0.8 * rand()))), request, arrival, priority: 0, tenant: '', cls: 'agent' };
}

/**
 * The requests (`{ arrival, calls: [index into jobs], phase }`) and their sub-calls (`jobs`,
 * the shape the simulated provider reads), arriving as a Poisson process in each phase.
 */
export function agentLoad(seed = 1) {
  const rand = mulberry32(seed * 104_729 + 15);
  const requests = [];
  const jobs = [];
  let start = 0;
  for (const phase of PHASES) {
    let t = start;
    for (;;) {
      t += Math.max(1, Math.round((-Math.log(1 - rand()) * 1_000) / phase.perSecond));
      if (t >= start + phase.ms) break;
      const id = requests.length;
      const calls = Array.from({ length: intIn(rand, 3, 8) }, () => jobs.push(call(rand, id, t)) - 1);
      requests.push({ arrival: t, calls, phase: phase.name });
    }
    start += phase.ms;
  }
  return { requests, jobs, limits: LIMITS, latency: LATENCY, budgetMs: BUDGET_MS };
}
