// p-limit + p-retry: a concurrency cap, and p-retry's exponential backoff around each call
// (the SDK's own retries off, so that p-retry owns them). Retries keep their p-limit slot
// while they back off: the usual `limit(() => pRetry(call))` shape.
//
// Known limits: p-limit only caps concurrency, so it gets the concurrency that exactly sustains
// the binding limit (Little's law: jobs per ms at that limit × mean latency). Unknown: the guess.

import pLimit from 'p-limit';
import pRetry from 'p-retry';

export const name = 'p-limit';
export const label = 'p-limit + p-retry';

/** p-retry's options: 6 retries, 1 s doubling, randomized ×[1, 2), at most 60 s. */
const RETRY = { retries: 6, factor: 2, minTimeout: 1_000, maxTimeout: 60_000, randomize: true };
/** The SDK's errors carry the status: retry 408, 409, 429, 5xx, as the SDK would. */
const retryable = ({ error }) => error.status === undefined || [408, 409, 429].includes(error.status) || error.status >= 500;

export function create(ctx) {
  const client = ctx.client({ maxRetries: 0 });
  const limit = pLimit(ctx.known ? ctx.sustaining : ctx.guess);
  return {
    config: { concurrency: limit.concurrency, ...RETRY },
    submit: (job, index) => limit(() => pRetry(() => client.chat.completions.create(ctx.body(job, index)), { ...RETRY, shouldRetry: retryable })),
    close() {},
  };
}
