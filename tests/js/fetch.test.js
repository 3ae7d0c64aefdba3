// sluice/fetch with the real SDKs and frameworks (maxRetries: 0) against the mock provider on
// 127.0.0.1: openai, @anthropic-ai/sdk, the AI SDK with @ai-sdk/openai, LangChain's ChatOpenAI;
// plus the node:http recipe that cancels a job when its client goes away. The HTTP is real;
// time is fake (the mock's clock, sluice's, the SDKs' timers).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import OpenAI, { APIUserAbortError } from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { createOpenAI } from '@ai-sdk/openai';
import { generateText, streamText } from 'ai';
import { ChatOpenAI } from '@langchain/openai';
import { Limiter } from 'sluice';
import { createFetch, estimateRequest } from 'sluice/fetch';
import { startMockProvider } from '../../mock/provider.js';
import { limitedServer } from '../../examples/node-http/server.js';
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

/** The usage sluice settled equals what the provider counted. */
function assertSettled(limiter, mock) {
  const { tokens } = limiter.stats();
  const m = mock.stats();
  assert.deepEqual([tokens.input, tokens.output], [m.inputTokens, m.outputTokens]);
}

test('openai client with fetch: 429s retried through the queue, usage settled from the bodies', async (t) => {
  const clock = useFakeClock(t);
  const mock = await provider(t, { rpm: 20, tpm: 200_000 });
  const limiter = new Limiter({ maxConcurrent: 30 }); // knows nothing of the limits: the first burst meets them
  const client = new OpenAI({ apiKey: 'sk-test', baseURL: `${mock.url}/v1`, maxRetries: 0, fetch: createFetch(limiter) });
  const jobs = Array.from({ length: 30 }, (_, i) => client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: `Question ${i}` }], max_tokens: 64 }));
  const results = await settle(clock, Promise.all(jobs));
  assert.ok(results.every((r) => r.object === 'chat.completion'));
  const s = limiter.stats();
  assert.equal(s.completed, 30);
  assert.ok(s.rateLimited >= 1 && s.rateLimited === mock.stats().rateLimited);
  assert.equal(s.budgets.requestsPerMinute.limit, 20);
  assertSettled(limiter, mock);
  // Reserved: the estimate of each attempt (input + max_tokens); all but the used part came back.
  assert.equal(s.tokens.refunded, s.tokens.reserved - s.tokens.used);
});

test('anthropic client with fetch: estimated from Messages bodies, input and output settled', async (t) => {
  const clock = useFakeClock(t);
  const mock = await provider(t, { rpm: 1_000, itpm: 2_000, otpm: 1_000 });
  const limiter = new Limiter({ maxConcurrent: 4 });
  const client = new Anthropic({ apiKey: 'sk-ant-test', baseURL: mock.url, maxRetries: 0, fetch: createFetch(limiter) });
  const jobs = Array.from({ length: 12 }, (_, i) => client.messages.create({ model: 'claude-mock', max_tokens: 100, messages: [{ role: 'user', content: `Tell me about ${i}. ${'x'.repeat(200)}` }] }));
  const results = await settle(clock, Promise.all(jobs));
  assert.ok(results.every((r) => r.type === 'message'));
  assert.equal(limiter.stats().completed, 12);
  assertSettled(limiter, mock);
  // 12 estimates of Anthropic's shape: max_tokens 100 each, input from the text.
  const body = { model: 'claude-mock', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }] };
  assert.deepEqual(estimateRequest(body, `${mock.url}/v1/messages`), { inputTokens: 3 + 4 + 1, maxOutputTokens: 100 });
});

test('the AI SDK: generateText through createOpenAI({ fetch }), maxRetries: 0', async (t) => {
  const clock = useFakeClock(t);
  const mock = await provider(t, { rpm: 5 });
  const limiter = new Limiter();
  const openai = createOpenAI({ apiKey: 'sk-test', baseURL: `${mock.url}/v1`, fetch: createFetch(limiter) });
  const jobs = Array.from({ length: 8 }, (_, i) => generateText({ model: openai.chat('gpt-4o-mini'), prompt: `Say ${i}`, maxOutputTokens: 32, maxRetries: 0 }));
  const results = await settle(clock, Promise.all(jobs));
  assert.ok(results.every((r) => typeof r.text === 'string' && r.usage.outputTokens > 0));
  const s = limiter.stats();
  assert.equal(s.completed, 8);
  assert.ok(s.rateLimited >= 1, 'the 6th call met the limit and was retried by sluice, not by the SDK');
  assertSettled(limiter, mock);
});

test("LangChain's ChatOpenAI with configuration.fetch", async (t) => {
  const clock = useFakeClock(t);
  const mock = await provider(t, { rpm: 100 });
  const limiter = new Limiter({ maxConcurrent: 2 });
  const model = new ChatOpenAI({ model: 'gpt-4o-mini', apiKey: 'sk-test', maxRetries: 0, maxTokens: 30, configuration: { baseURL: `${mock.url}/v1`, fetch: createFetch(limiter) } });
  const results = await settle(clock, Promise.all(['a', 'b', 'c'].map((q) => model.invoke(q))));
  assert.ok(results.every((m) => m.usage_metadata.output_tokens > 0));
  assert.equal(limiter.stats().completed, 3);
  assertSettled(limiter, mock);
});

test("fetch: the caller's signal takes a queued request out; when retries run out, the SDK gets the last 429", async (t) => {
  const clock = useFakeClock(t);
  const mock = await provider(t, { outage: { fromMs: 0, untilMs: 3_600_000, retryAfterS: 1 } });
  const limiter = new Limiter({ maxConcurrent: 1, retry: { maxAttempts: 2 } });
  const client = new OpenAI({ apiKey: 'sk-test', baseURL: `${mock.url}/v1`, maxRetries: 0, fetch: createFetch(limiter) });
  const body = { model: 'm', messages: [{ role: 'user', content: 'hi' }], max_tokens: 5 };
  const controller = new AbortController();
  const first = client.chat.completions.create(body).catch((e) => e);
  const second = client.chat.completions.create(body, { signal: controller.signal }).catch((e) => e);
  await settle(clock, new Promise((resolve) => setTimeout(resolve, 20)), 1);
  assert.equal(limiter.stats().queued, 1); // the second waits behind the first
  controller.abort();
  const [a, b] = await settle(clock, Promise.all([first, second]));
  assert.equal(a.status, 429, String(a)); // the SDK's own RateLimitError, from the last Response
  assert.ok(b instanceof APIUserAbortError, String(b));
  assert.deepEqual([limiter.stats().cancelled, mock.stats().requests], [1, 2]);
});

test('node:http recipe: a client that goes away cancels its queued job', async (t) => {
  const clock = useFakeClock(t);
  const mock = await provider(t, {});
  const limiter = new Limiter({ maxConcurrent: 1 });
  const hold = limiter.schedule(() => new Promise((resolve) => setTimeout(resolve, 5_000))); // the only slot, busy
  const server = limitedServer(limiter, `${mock.url}/v1/chat/completions`);
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => server.close());
  const url = `http://127.0.0.1:${server.address().port}`;
  const body = JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }], max_tokens: 5 });
  const client = new AbortController();
  const gone = fetch(url, { method: 'POST', body, signal: client.signal }).catch((e) => e.name);
  const kept = fetch(url, { method: 'POST', body }).then((r) => r.status);
  await settle(clock, new Promise((resolve) => setTimeout(resolve, 100)));
  assert.equal(limiter.stats().queued, 2);
  client.abort();
  await settle(clock, new Promise((resolve) => setTimeout(resolve, 100)));
  assert.equal(limiter.stats().cancelled, 1);
  const [name, status] = await settle(clock, Promise.all([gone, kept, hold]));
  assert.deepEqual([name, status], ['AbortError', 200]);
  assert.equal(mock.stats().requests, 1, 'the cancelled job never reached the provider');
});

test('the AI SDK: streamText through createFetch streams, and its job ends (the usage of a stream waits on issue 11)', async (t) => {
  // A stand-in for a streaming provider until the mock speaks SSE (issue 11): three chunks of
  // an OpenAI chat completion stream, then [DONE].
  const server = createServer((req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    const chunk = (delta, finish = null) => ({ id: 'c1', object: 'chat.completion.chunk', created: 0, model: 'gpt-4o-mini', choices: [{ index: 0, delta, finish_reason: finish }] });
    for (const data of [chunk({ role: 'assistant', content: 'Hello' }), chunk({ content: ', river' }), chunk({}, 'stop')]) res.write(`data: ${JSON.stringify(data)}\n\n`);
    res.end('data: [DONE]\n\n');
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => server.close());
  const limiter = new Limiter({ maxConcurrent: 1 });
  const openai = createOpenAI({ apiKey: 'sk-test', baseURL: `http://127.0.0.1:${server.address().port}/v1`, fetch: createFetch(limiter) });
  const result = streamText({ model: openai.chat('gpt-4o-mini'), prompt: 'Say hello', maxRetries: 0 });
  assert.equal(await result.text, 'Hello, river');
  await limiter.onIdle();
  assert.deepEqual([limiter.stats().completed, limiter.stats().failed], [1, 0]);
});
