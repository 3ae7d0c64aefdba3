// The OpenAI cookbook's parallel processor (ported in ../cookbook.js): continuous RPM/TPM
// capacity from the request's estimate, a retry queue served first, everything paused 15 s
// after a rate-limit error, 5 attempts. Called through the SDK with its retries off (the
// original calls the HTTP API directly).
//
// Known limits: the real RPM and TPM. Unknown: it cannot run without limits, so it gets a guess
// as the other peers do: twice the real ones (the same factor as their concurrency guess).

import { ParallelProcessor } from '../cookbook.js';
import { inputEstimate } from '../workload.js';

export const name = 'cookbook';
export const label = 'OpenAI cookbook processor (port)';

export function create(ctx) {
  const client = ctx.client({ maxRetries: 0 });
  const { rpm, tpm } = ctx.sc.limits;
  const factor = ctx.known ? 1 : 2;
  const options = { maxRequestsPerMinute: factor * rpm, maxTokensPerMinute: factor * tpm };
  const processor = new ParallelProcessor({ ...options, call: (req) => client.chat.completions.create(req), poll: ctx.cookbookPoll ?? 0 });
  return {
    config: options,
    submit: (job, index) => processor.add(ctx.body(job, index), inputEstimate(job) + job.maxTokens),
    close: () => processor.close(),
  };
}
