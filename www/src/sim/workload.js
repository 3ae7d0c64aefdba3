// The batch every strategy sends: the same jobs, the same bodies, the same answers. The
// provider decides each answer's length from its prompt (mock/text.js), so the page knows each
// job's true usage in advance, and with it the ideal makespan (bench/goodput/ideal.js).
import { ideal } from '../../../bench/goodput/ideal.js';
import { mulberry32, intIn } from '../../../bench/lib/rng.js';
import { defaultOutputTokens, estimateTokens, fillerText } from '../../../mock/text.js';

export const MODEL = 'gpt-4o-mini';
export const MAX_TOKENS = 256;
/** The provider's latency: the first token after 300 ms, then 100 tokens a second. */
export const LATENCY = { baseMs: 300, perOutputTokenMs: 10 };
/** With a flooding tenant: it submits this many times your batch, just before it. */
export const FLOOD_FACTOR = 2;
export const TENANTS = { you: 'you', flood: 'flood' };

function job(i, tenant, rand) {
  const content = `Summarise report ${i} in a paragraph: ${fillerText(intIn(rand, 40, 400))}`;
  return {
    tenant,
    body: { model: MODEL, messages: [{ role: 'user', content }], max_tokens: MAX_TOKENS },
    // What the provider will count and answer (mock/request.js, mock/text.js).
    input: estimateTokens(content.length),
    output: defaultOutputTokens(content, MAX_TOKENS),
    maxTokens: MAX_TOKENS,
    arrival: 0,
  };
}

/** The jobs in submission order: the flood first when there is one, then your batch. */
export function workload({ jobs, flood, seed = 1 }) {
  const yours = mulberry32(seed);
  const batch = Array.from({ length: jobs }, (_, i) => job(i, TENANTS.you, yours));
  if (!flood) return batch;
  const theirs = mulberry32(seed + 1);
  return [...Array.from({ length: FLOOD_FACTOR * jobs }, (_, i) => job(jobs + i, TENANTS.flood, theirs)), ...batch];
}

/** The ideal makespan of the whole workload: the binding bucket drained at its rate, plus a call's mean latency. */
export function idealOf(list, { rpm, tpm }) {
  return ideal({ limits: { rpm, tpm }, latency: { baseMs: LATENCY.baseMs, perTokenMs: LATENCY.perOutputTokenMs }, settle: true, jobs: list });
}
