// sluice: the limits when known (else only the concurrency guess, and the limits are learned
// from the x-ratelimit-* headers), each job's estimate (input + max_tokens, split), its
// priority and tenant key. The SDK's retries off (sluice owns them); the task returns the
// SDK's `.withResponse()` so that sluice reads the headers of successes too (sluice-plain.js:
// without it, as the README's first example; sluice-uncalibrated.js: that with `calibrate: false`).

import { Limiter } from '../../lib/sluice.js';
import { inputEstimate } from '../workload.js';

export const name = 'sluice';
export const label = 'sluice';

export function create(ctx, { withResponse = true, calibrate } = {}) {
  const client = ctx.client({ maxRetries: 0 });
  const given = ctx.known
    ? { requestsPerMinute: ctx.sc.limits.rpm, tokensPerMinute: ctx.sc.limits.tpm, seed: ctx.seed }
    : { maxConcurrent: ctx.guess, seed: ctx.seed };
  const options = calibrate === undefined ? given : { ...given, calibrate };
  const limiter = new Limiter(options);
  return {
    config: options,
    limiter,
    submit: (job, index) =>
      limiter.schedule(({ signal }) => {
        const call = client.chat.completions.create(ctx.body(job, index), { signal });
        return withResponse ? call.withResponse() : call;
      }, {
        inputTokens: inputEstimate(job),
        maxOutputTokens: job.maxTokens,
        priority: job.priority,
        key: job.tenant || undefined,
      }),
    close() {},
  };
}
