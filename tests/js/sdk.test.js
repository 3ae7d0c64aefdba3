// The real openai and @anthropic-ai/sdk clients (maxRetries: 0) and plain fetch, through
// sluice, against the mock provider on 127.0.0.1 answering 429 with the providers' headers.
// The HTTP is real; time is fake (the mock's clock, sluice's, the SDKs' timers), so a
// Retry-After of seconds costs no wall-clock time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { Limiter, RetryError } from 'sluice';
import { estimateOpenAI, estimateAnthropic } from 'sluice/estimate';
import { startMockProvider } from '../../mock/provider.js';
import { useFakeClock } from './support/clock.js';

/** Lets real I/O and fake time both move until `promise` settles. */
async function settle(clock, promise, stepMs = 20) {
  let done = false;
  const watched = promise.finally(() => (done = true));
  while (!done) {
    for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
    await clock.tickAsync(stepMs);
  }
  return watched;
}

async function provider(t, options) {
  const p = await startMockProvider(options);
  t.after(() => p.close());
  return p;
}

test('openai client: 429s retried through the queue, limits learned from x-ratelimit headers', async (t) => {
  const clock = useFakeClock(t);
  const mock = await provider(t, { rpm: 30, tpm: 200_000 });
  const client = new OpenAI({ apiKey: 'sk-test', baseURL: `${mock.url}/v1`, maxRetries: 0 });
  const limiter = new Limiter({ maxConcurrent: 8 }); // knows nothing of the limits
  const events = { ratelimited: 0, retry: 0, gateclosed: 0, limitchanged: [] };
  limiter.on('ratelimited', () => events.ratelimited++);
  limiter.on('retry', () => events.retry++);
  limiter.on('gateclosed', () => events.gateclosed++);
  limiter.on('limitchanged', (d) => events.limitchanged.push(`${d.limit}=${d.value}`));

  const jobs = Array.from({ length: 60 }, (_, i) => {
    const body = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: `Question ${i}: ${'words '.repeat(i % 20)}` }], max_tokens: 64 };
    return limiter.schedule(({ signal }) => client.chat.completions.create(body, { signal }), estimateOpenAI(body));
  });
  const results = await settle(clock, Promise.allSettled(jobs));

  assert.deepEqual(results.filter((r) => r.status === 'rejected').map((r) => r.reason), []);
  assert.ok(results.every((r) => r.value.object === 'chat.completion'));
  const s = limiter.stats();
  const m = mock.stats();
  assert.equal(s.completed, 60);
  assert.equal(m.ok, 60);
  // The first burst met the provider's limit once or a few times; sluice paused and learned.
  assert.ok(s.rateLimited >= 1 && s.rateLimited === m.rateLimited, `sluice saw ${s.rateLimited} 429s, the provider sent ${m.rateLimited}`);
  assert.ok(m.rateLimited <= 8, `${m.rateLimited} 429s: a thundering herd`);
  assert.equal(s.retried, s.rateLimited);
  assert.ok(s.gateClosed >= 1);
  assert.deepEqual(s.budgets.requestsPerMinute && { limit: s.budgets.requestsPerMinute.limit, learned: s.budgets.requestsPerMinute.learned }, { limit: 30, learned: true });
  assert.equal(events.ratelimited, s.rateLimited);
  assert.equal(events.retry, s.retried);
  assert.ok(events.limitchanged.includes('requestsPerMinute=30'), events.limitchanged.join());
  // 60 requests at 30 a minute, the first 30 at once: about a minute, not much more.
  assert.ok(clock.now >= 55_000 && clock.now < 75_000, `took ${clock.now} ms of provider time`);
});

test('anthropic client: input and output token limits learned, 529 overload retried', async (t) => {
  const clock = useFakeClock(t);
  const mock = await provider(t, { rpm: 1_000, itpm: 2_000, otpm: 1_000, overloaded: (n) => n === 3 });
  const client = new Anthropic({ apiKey: 'sk-ant-test', baseURL: mock.url, maxRetries: 0 });
  const limiter = new Limiter({ maxConcurrent: 4 });
  const jobs = Array.from({ length: 30 }, (_, i) => {
    const body = { model: 'claude-mock', max_tokens: 100, messages: [{ role: 'user', content: `Tell me about ${i}. ${'x'.repeat(200)}` }] };
    return limiter.schedule(({ signal }) => client.messages.create(body, { signal }), estimateAnthropic(body));
  });
  const results = await settle(clock, Promise.allSettled(jobs));
  assert.deepEqual(results.filter((r) => r.status === 'rejected').map((r) => String(r.reason)), []);
  assert.ok(results.every((r) => r.value.type === 'message'));
  const s = limiter.stats();
  assert.equal(s.completed, 30);
  assert.ok(s.budgets.inputTokensPerMinute?.learned && s.budgets.outputTokensPerMinute?.learned, JSON.stringify(s.budgets));
  assert.equal(s.budgets.inputTokensPerMinute.limit, 2_000);
  assert.equal(s.budgets.outputTokensPerMinute.limit, 1_000);
  assert.ok(!('tokensPerMinute' in s.budgets), 'the combined tokens header is not a bucket of its own');
  assert.ok(s.rateLimited >= 1, 'the 529 counts as congestion');
  assert.equal(mock.stats().ok, 30);
  assert.ok(mock.stats().rateLimited <= 4, `${mock.stats().rateLimited} 429s`);
});

test('plain fetch: a returned 429 Response is retried; a 400 is returned as is', async (t) => {
  const clock = useFakeClock(t);
  const mock = await provider(t, { rpm: 2 });
  const limiter = new Limiter();
  const call = (body) =>
    limiter.schedule(({ signal }) =>
      fetch(`${mock.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal }),
    );
  const ok = { model: 'm', messages: [{ role: 'user', content: 'hi' }], max_tokens: 5 };
  const responses = await settle(clock, Promise.all([call(ok), call(ok), call(ok)]));
  assert.deepEqual(responses.map((r) => r.status), [200, 200, 200]);
  assert.equal(limiter.stats().rateLimited, 1);
  const bad = await settle(clock, limiter.schedule(() => fetch(`${mock.url}/v1/messages`, { method: 'POST', body: '{}' })));
  assert.equal(bad.status, 400);
  assert.equal(limiter.stats().failed, 1);
});

test('retries run out: RetryError with the last status, headers and the number of attempts', async (t) => {
  const clock = useFakeClock(t);
  const mock = await provider(t, { outage: { fromMs: 0, untilMs: 3_600_000, retryAfterS: 2 } });
  const client = new OpenAI({ apiKey: 'sk-test', baseURL: `${mock.url}/v1`, maxRetries: 0 });
  const limiter = new Limiter({ retry: { maxAttempts: 3 } });
  const job = limiter.schedule(() => client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }));
  const [result] = await settle(clock, Promise.allSettled([job]));
  const e = result.reason;
  assert.ok(e instanceof RetryError, String(e));
  assert.equal(e.code, 'RETRIES_EXHAUSTED');
  assert.equal(e.attempts, 3);
  assert.equal(e.status, 429);
  assert.equal(e.headers['retry-after'], '2');
  assert.equal(e.cause.status, 429); // the SDK's own APIError
  assert.equal(mock.stats().requests, 3);
});

test('openai .withResponse(): limits learned from successful answers, usage read from data', async (t) => {
  const clock = useFakeClock(t);
  const mock = await provider(t, { rpm: 100, tpm: 10_000 });
  const client = new OpenAI({ apiKey: 'sk-test', baseURL: `${mock.url}/v1`, maxRetries: 0 });
  const limiter = new Limiter({ maxConcurrent: 2 });
  const body = { model: 'm', messages: [{ role: 'user', content: 'hello there' }], max_tokens: 500 };
  const { data } = await settle(clock, limiter.schedule(({ signal }) => client.chat.completions.create(body, { signal }).withResponse(), estimateOpenAI(body)));
  assert.equal(data.object, 'chat.completion');
  const { budgets, rateLimited } = limiter.stats();
  assert.equal(rateLimited, 0);
  assert.deepEqual([budgets.requestsPerMinute.limit, budgets.tokensPerMinute.limit], [100, 10_000]);
  // The unused part of max_tokens came back: the level is the provider's, not 500 lower.
  const used = data.usage.prompt_tokens + data.usage.completion_tokens;
  assert.ok(budgets.tokensPerMinute.available >= 10_000 - used - 1, JSON.stringify(budgets.tokensPerMinute));
});
