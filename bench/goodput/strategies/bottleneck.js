// Bottleneck: a reservoir refreshed each minute and maxConcurrent, priorities (0 is the most
// urgent, 5 the default), and retries from a `failed` handler (the SDK's own retries off).
// The handler is a diligent user's: it waits the Retry-After the error carries, else 1 s
// doubling; Bottleneck then runs the job again without going back through its reservoir.
//
// Known limits: one minute's worth of jobs, counted at the estimate, refreshed every minute;
// maxConcurrent twice the concurrency that sustains the limits. Unknown: maxConcurrent only.

import Bottleneck from 'bottleneck';

export const name = 'bottleneck';
export const label = 'Bottleneck reservoir + maxConcurrent';

const MAX_RETRIES = 6;

function retryDelay(error, retryCount) {
  const status = error?.status;
  if (!(status === undefined || [408, 409, 429].includes(status) || status >= 500)) return undefined;
  const ms = Number(error?.headers?.get?.('retry-after-ms'));
  return Number.isFinite(ms) && ms > 0 ? ms : 1_000 * 2 ** retryCount;
}

export function create(ctx) {
  const client = ctx.client({ maxRetries: 0 });
  const per = ctx.perMinuteAtEstimate;
  const options = ctx.known
    ? { maxConcurrent: 2 * ctx.sustaining, reservoir: per, reservoirRefreshAmount: per, reservoirRefreshInterval: 60_000 }
    : { maxConcurrent: ctx.guess };
  const limiter = new Bottleneck(options);
  limiter.on('failed', (error, info) => (info.retryCount < MAX_RETRIES ? retryDelay(error, info.retryCount) : undefined));
  limiter.on('error', () => {});
  return {
    config: { ...options, retries: MAX_RETRIES },
    submit: (job, index) =>
      limiter.schedule({ priority: job.priority > 0 ? 0 : 5 }, () => client.chat.completions.create(ctx.body(job, index))),
    close: () => limiter.stop({ dropWaitingJobs: true }).catch(() => {}),
  };
}
