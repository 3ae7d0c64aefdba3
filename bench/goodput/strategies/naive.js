// Naive: every job called at once (Promise.all), the official SDK's own retries on (maxRetries 2:
// its backoff, its Retry-After handling). No limiter at all.

export const name = 'naive';
export const label = 'naive Promise.all + SDK retries';

export function create(ctx) {
  const client = ctx.client({ maxRetries: 2 });
  return {
    submit: (job, index) => client.chat.completions.create(ctx.body(job, index)),
    close() {},
  };
}
