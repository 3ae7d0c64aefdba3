// p-queue: a fixed window of `intervalCap` jobs per `interval`, its priorities, and the SDK's
// own retries inside each task (maxRetries 2), the common pairing: p-queue has no retries.
//
// Known limits: one minute's worth of jobs per minute (interval 60 s, which matches a bucket
// that holds one minute's limit), counted at the estimate (input + max_tokens) since p-queue
// counts jobs, not tokens; no concurrency cap. Unknown: only the concurrency guess.

import PQueue from 'p-queue';

export const name = 'p-queue';
export const label = 'p-queue interval/intervalCap';

export function create(ctx) {
  const client = ctx.client({ maxRetries: 2 });
  const options = ctx.known ? { interval: 60_000, intervalCap: ctx.perMinuteAtEstimate } : { concurrency: ctx.guess };
  const queue = new PQueue(options);
  return {
    config: options,
    submit: (job, index) => queue.add(() => client.chat.completions.create(ctx.body(job, index)), { priority: job.priority }),
    close: () => queue.clear(),
  };
}
