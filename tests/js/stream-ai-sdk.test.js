// The Vercel AI SDK's streamText, its OpenAI provider given a fetch that goes through sluice:
// the SSE Response each call returns holds its slot until the SDK has read it to the end.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { streamText } from 'ai';
import { createOpenAI } from '@ai-sdk/openai';
import { Limiter } from 'sluice';
import { createFetch } from 'sluice/fetch';
import { startMockProvider } from '../../mock/provider.js';
import { useFakeClock } from './support/clock.js';

test('AI SDK streamText with a custom fetch: 6 streams, maxConcurrent 2, never more than 2 open', async (t) => {
  const clock = useFakeClock(t);
  const mock = await startMockProvider({ latency: { baseMs: 10, perOutputTokenMs: 10 }, outputTokens: () => 12 });
  t.after(() => mock.close());
  const limiter = new Limiter({ maxConcurrent: 2 });
  const provider = createOpenAI({
    apiKey: 'sk-test',
    baseURL: `${mock.url}/v1`,
    fetch: (url, init) => limiter.schedule(() => fetch(url, init), { inputTokens: 10, maxOutputTokens: 64 }),
  });
  const texts = Promise.all(
    Array.from({ length: 6 }, async (_, i) => {
      const result = streamText({ model: provider.chat('gpt-4o-mini'), prompt: `story ${i}`, maxRetries: 0 });
      let text = '';
      for await (const delta of result.textStream) text += delta;
      return text;
    }),
  );
  let done = false;
  texts.finally(() => (done = true));
  while (!done) {
    for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
    await clock.tickAsync(10);
  }
  const all = await texts;
  assert.ok(all.every((text) => text.split(' ').length === 12), all.join(' | '));
  assert.equal(mock.streamStats().peakOpen, 2);
  assert.deepEqual([limiter.stats().completed, limiter.stats().inFlight], [6, 0]);
});

test("AI SDK streamText through sluice/fetch's createFetch: streams held, idleTimeoutMs passed on", async (t) => {
  const clock = useFakeClock(t);
  const mock = await startMockProvider({ latency: { baseMs: 10, perOutputTokenMs: 10 }, outputTokens: () => 8, streamFault: (n) => (n === 3 ? { after: 4, kind: 'stall' } : undefined) });
  t.after(() => mock.close());
  const limiter = new Limiter({ maxConcurrent: 2 });
  const provider = createOpenAI({ apiKey: 'sk-test', baseURL: `${mock.url}/v1`, fetch: createFetch(limiter, { idleTimeoutMs: 2_000 }) });
  const results = Promise.allSettled(
    Array.from({ length: 4 }, async (_, i) => {
      const result = streamText({ model: provider.chat('gpt-4o-mini'), prompt: `story ${i}`, maxRetries: 0, onError: () => {} });
      let text = '';
      for await (const delta of result.textStream) text += delta;
      return text;
    }),
  );
  let done = false;
  results.finally(() => (done = true));
  while (!done) {
    for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
    await clock.tickAsync(10);
  }
  const settled = await results;
  // The stalled third stream was cut by idleTimeoutMs; the others are whole.
  assert.equal(settled.filter((r) => r.status === 'fulfilled' && r.value.split(' ').length === 8).length, 3, JSON.stringify(settled.map((r) => r.value ?? String(r.reason))));
  assert.equal(mock.streamStats().peakOpen, 2);
  const s = limiter.stats();
  assert.deepEqual([s.inFlight, s.timedOut], [0, 1]);
});
