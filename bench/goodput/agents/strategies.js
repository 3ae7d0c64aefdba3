// The strategies of the agent scenario. Each gets the limits (as the goodput scenarios give
// them) and one call at a time with its request's AbortSignal (aborted when the request's
// budget is spent or a sibling failed) and its request's deadline (Date.now() time); each
// decides what to do with them. `call(job, index, { signal, deadline })` returns a promise.

import pLimit from 'p-limit';
import pRetry from 'p-retry';
import PQueue from 'p-queue';
import { Limiter } from '../../lib/sluice.js';

/** p-retry's options, as in the goodput scenarios: 6 retries, 1 s doubling, randomized, at most 60 s. */
const RETRY = { retries: 6, factor: 2, minTimeout: 1_000, maxTimeout: 60_000, randomize: true };
const retryable = ({ error }) => error.status === undefined || [408, 409, 429].includes(error.status) || error.status >= 500;

export const plimit = {
  name: 'p-limit',
  label: 'p-limit + p-retry, AbortSignal.timeout',
  create(ctx) {
    const client = ctx.client({ maxRetries: 0 });
    const limit = pLimit(ctx.sustaining);
    return {
      config: { concurrency: ctx.sustaining, ...RETRY },
      call: (job, i, { signal }) =>
        limit(() => pRetry(() => client.chat.completions.create(ctx.body(job, i), { signal }), { ...RETRY, signal, shouldRetry: retryable })),
    };
  },
};

export const pqueue = {
  name: 'p-queue',
  label: 'p-queue interval/intervalCap, timeout',
  create(ctx) {
    const client = ctx.client({ maxRetries: 2 });
    const options = { interval: 60_000, intervalCap: ctx.perMinuteAtEstimate, timeout: ctx.budgetMs };
    const queue = new PQueue(options);
    return {
      config: options,
      // `signal` takes a queued call out when its request gives up; `timeout` bounds a running one.
      call: (job, i, { signal }) => queue.add(() => client.chat.completions.create(ctx.body(job, i), { signal }), { signal }),
    };
  },
};

function sluiceStrategy(name, label, withDeadline) {
  return {
    name,
    label,
    create(ctx) {
      const client = ctx.client({ maxRetries: 0 });
      const options = { requestsPerMinute: ctx.limits.rpm, tokensPerMinute: ctx.limits.tpm, seed: ctx.seed };
      const limiter = new Limiter(options);
      return {
        config: options,
        limiter,
        call: (job, i, { signal, deadline }) =>
          limiter.schedule(({ signal }) => client.chat.completions.create(ctx.body(job, i), { signal }).withResponse(), {
            inputTokens: job.input,
            maxOutputTokens: job.maxTokens,
            signal,
            ...(withDeadline ? { deadline } : {}),
          }),
      };
    },
  };
}

export const sluiceNoDeadline = sluiceStrategy('sluice-signal', 'sluice, AbortSignal only', false);
export const sluiceDeadline = sluiceStrategy('sluice-deadline', 'sluice with `deadline`', true);

export const STRATEGIES = [plimit, pqueue, sluiceNoDeadline, sluiceDeadline];
