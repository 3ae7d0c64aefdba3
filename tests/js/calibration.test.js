// Calibration and what a 429 teaches, seen from JS, on a fake clock.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Limiter } from 'sluice';
import { useFakeClock, deferred } from './support/clock.js';

/** An OpenAI-shaped result whose provider counted `input` tokens in and `output` out. */
const answer = (input, output) => ({ usage: { prompt_tokens: input, completion_tokens: output, total_tokens: input + output } });

test('the input ratio is learned from settled usage and reserved for the next job', async (t) => {
  useFakeClock(t);
  const limiter = new Limiter({ tokensPerMinute: 100_000 });
  await limiter.schedule(() => answer(400, 100), { inputTokens: 300, maxOutputTokens: 256 });
  const { calibration } = limiter.stats();
  assert.deepEqual(calibration, { input: 1.333333, output: 0.390625, tokens: 1, typicalInputTokens: 400, typicalOutputTokens: 100, samples: 1 });
  // The next job holds 300 × 4/3 in, and its whole output cap (charged on admission), while it runs.
  const running = deferred();
  const job = limiter.schedule(() => running.promise, { inputTokens: 300, maxOutputTokens: 256 });
  const before = 100_000 - 500; // what the first job used
  assert.equal(limiter.stats().budgets.tokensPerMinute.available, before - 400 - 256);
  running.resolve(answer(400, 100));
  await job;
});

test('calibrate: false reserves the estimate as given and reports no ratios', async (t) => {
  useFakeClock(t);
  const limiter = new Limiter({ tokensPerMinute: 100_000, calibrate: false });
  await limiter.schedule(() => answer(400, 100), { inputTokens: 300, maxOutputTokens: 256 });
  const running = deferred();
  const job = limiter.schedule(() => running.promise, { inputTokens: 300, maxOutputTokens: 256 });
  assert.equal(limiter.stats().budgets.tokensPerMinute.available, 100_000 - 500 - 556);
  assert.equal(limiter.stats().calibration, null);
  running.resolve(answer(400, 100));
  await job;
});

test('a job with no estimate reserves the typical job: 500 in and 500 out to start, then what jobs used', async (t) => {
  useFakeClock(t);
  const limiter = new Limiter({ tokensPerMinute: 100_000 });
  const first = deferred();
  const job = limiter.schedule(() => first.promise);
  assert.equal(limiter.stats().budgets.tokensPerMinute.available, 99_000);
  first.resolve(answer(2_000, 300));
  await job;
  assert.equal(limiter.stats().budgets.tokensPerMinute.available, 100_000 - 2_300);
  const second = deferred();
  const next = limiter.schedule(() => second.promise);
  assert.equal(limiter.stats().budgets.tokensPerMinute.available, 100_000 - 2_300 - 2_300);
  second.resolve(answer(10, 10));
  await next;
});

/** An SDK-like 429 error: status, headers, and what its body says. */
function rateLimitError(body) {
  return Object.assign(new Error(`429 ${body.message ?? ''}`), { status: 429, headers: { 'retry-after-ms': '1000' }, ...body });
}

test('a 429 that names the token limit empties that budget, not the requests one', async (t) => {
  const clock = useFakeClock(t);
  const limiter = new Limiter({ requestsPerMinute: 600, tokensPerMinute: 60_000, retry: false });
  const error = rateLimitError({ type: 'tokens', message: 'Rate limit reached for gpt-4o-mini on tokens per min (TPM): Limit 60000' });
  await assert.rejects(limiter.schedule(() => Promise.reject(error), { tokens: 1_000 }));
  const { budgets } = limiter.stats();
  assert.ok(budgets.tokensPerMinute.available <= 0, `tokens: ${budgets.tokensPerMinute.available}`);
  assert.equal(budgets.requestsPerMinute.available, 599);
  await clock.tickAsync(1_000);
});

test("Anthropic's message names the input-token limit", async (t) => {
  const clock = useFakeClock(t);
  const limiter = new Limiter({ inputTokensPerMinute: 50_000, outputTokensPerMinute: 10_000, retry: false });
  const body = { type: 'error', error: { type: 'rate_limit_error', message: 'This request would exceed the rate limit for your organization of 50,000 input tokens per minute.' } };
  const error = Object.assign(new Error(`429 ${JSON.stringify(body)}`), { status: 429, headers: { 'retry-after': '1' }, error: body });
  await assert.rejects(limiter.schedule(() => Promise.reject(error), { inputTokens: 1_000, maxOutputTokens: 100 }));
  const { budgets } = limiter.stats();
  assert.ok(budgets.inputTokensPerMinute.available <= 0);
  assert.equal(budgets.outputTokensPerMinute.available, 10_000);
  await clock.tickAsync(1_000);
});

test('a 429 that says nothing but Retry-After pauses the limiter and empties no budget', async (t) => {
  const clock = useFakeClock(t);
  const limiter = new Limiter({ requestsPerMinute: 600, tokensPerMinute: 60_000, retry: false });
  const error = rateLimitError({ message: 'The service is busy, retry later.' });
  await assert.rejects(limiter.schedule(() => Promise.reject(error), { tokens: 1_000 }));
  const { budgets, gateClosedUntil } = limiter.stats();
  assert.equal(budgets.tokensPerMinute.available, 60_000);
  assert.equal(budgets.requestsPerMinute.available, 599);
  assert.ok(gateClosedUntil > 0);
  await clock.tickAsync(1_000);
});

test("OpenAI's message alone (no type) names the requests limit", async (t) => {
  const clock = useFakeClock(t);
  const limiter = new Limiter({ requestsPerMinute: 600, tokensPerMinute: 60_000, retry: false });
  const error = rateLimitError({ message: 'Rate limit reached for gpt-4o-mini on requests per min (RPM): Limit 600, Used 600, Requested 1.' });
  await assert.rejects(limiter.schedule(() => Promise.reject(error), { tokens: 1_000 }));
  const { budgets } = limiter.stats();
  assert.ok(budgets.requestsPerMinute.available <= 0);
  assert.equal(budgets.tokensPerMinute.available, 60_000, 'a refusal charges no tokens');
  await clock.tickAsync(1_000);
});
