// The mock provider's streamed answers (`stream: true`) over real HTTP on 127.0.0.1, on a fake
// clock: the event sequence of each dialect, the rate-limit headers, the faults on request, and
// the counts of open streams and of streams their client closed early.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startMockProvider } from '../../mock/provider.js';

/** Starts a provider whose sleeps take no time; the test closes it when it ends. */
async function provider(t, options = {}) {
  const sleeps = [];
  const p = await startMockProvider({ now: () => 0, sleep: async (ms) => void sleeps.push(ms), ...options });
  t.after(() => p.close());
  return { p, sleeps };
}

const post = (p, path, body) => fetch(p.url + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

/** The events of an SSE text: [event name or null, data as parsed JSON or the raw string]. */
function events(text) {
  return text
    .split('\n\n')
    .filter(Boolean)
    .map((block) => {
      const name = /^event: (.*)$/m.exec(block)?.[1] ?? null;
      const data = /^data: (.*)$/m.exec(block)[1];
      return [name, data === '[DONE]' ? data : JSON.parse(data)];
    });
}

test('OpenAI dialect: a chunk per token, the include_usage chunk, [DONE]; the headers as for JSON answers', async (t) => {
  const { p, sleeps } = await provider(t, { rpm: 10, latency: { baseMs: 200, perOutputTokenMs: 20 }, outputTokens: () => 3 });
  const res = await post(p, '/v1/chat/completions', { model: 'm', messages: [{ role: 'user', content: 'abcd' }], max_tokens: 10, stream: true, stream_options: { include_usage: true } });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'text/event-stream');
  assert.equal(res.headers.get('x-ratelimit-remaining-requests'), '9');
  const got = events(await res.text());
  assert.deepEqual(got.map(([, d]) => (typeof d === 'string' ? d : d.choices[0]?.delta?.content ?? d.choices[0]?.finish_reason ?? 'usage')), ['', 'the', ' cat', ' sat', 'stop', 'usage', '[DONE]']);
  assert.deepEqual(got[5][1].usage, { prompt_tokens: 1, completion_tokens: 3, total_tokens: 4 });
  assert.ok(got.slice(0, 5).every(([, d]) => d.usage === null));
  assert.deepEqual(sleeps, [200, 20, 20, 20, 20, 20]);
  // Without include_usage, no usage chunk and no usage field.
  const plain = events(await (await post(p, '/v1/chat/completions', { model: 'm', messages: [{ role: 'user', content: 'x' }], max_tokens: 10, stream: true })).text());
  assert.equal(plain.length, 6);
  assert.ok(plain.slice(0, 5).every(([, d]) => !('usage' in d)));
});

test('Anthropic dialect: message_start, a text block, message_delta with the cumulative output, message_stop', async (t) => {
  const { p } = await provider(t, { itpm: 1_000, outputTokens: () => 2 });
  const res = await post(p, '/v1/messages', { model: 'm', max_tokens: 10, messages: [{ role: 'user', content: 'abcdefgh' }], stream: true });
  assert.equal(res.headers.get('anthropic-ratelimit-input-tokens-remaining'), '998');
  const got = events(await res.text());
  assert.deepEqual(got.map(([name]) => name), ['message_start', 'content_block_start', 'ping', 'content_block_delta', 'content_block_delta', 'content_block_stop', 'message_delta', 'message_stop']);
  assert.ok(got.every(([name, d]) => d.type === name));
  assert.deepEqual(got[0][1].message.usage, { input_tokens: 2, output_tokens: 1 });
  assert.deepEqual(got[6][1].usage, { output_tokens: 2 });
  assert.equal(got[3][1].delta.text + got[4][1].delta.text, 'the cat');
});

test('faults: an overloaded_error event after n events; a reset; both counted, the unused output given back', async (t) => {
  const { p } = await provider(t, { otpm: 100, outputTokens: () => 10, streamFault: (n) => (n === 1 ? { after: 4, kind: 'overloaded' } : { after: 2, kind: 'reset' }) });
  const body = { model: 'm', max_tokens: 50, messages: [{ role: 'user', content: 'x' }], stream: true };
  const got = events(await (await post(p, '/v1/messages', body)).text());
  assert.deepEqual(got.map(([name]) => name), ['message_start', 'content_block_start', 'ping', 'content_block_delta', 'error']);
  assert.equal(got[4][1].error.type, 'overloaded_error');
  await assert.rejects((await post(p, '/v1/messages', body)).text(), /terminated/);
  await new Promise((resolve) => setImmediate(resolve));
  // One token was sent by the first stream, none by the second: 50 - 1 and 50 given back.
  const s = p.stats();
  assert.deepEqual([s.requests, s.ok, s.outputTokens], [2, 2, 1]);
  assert.deepEqual(p.streamStats(), { open: 0, peakOpen: 1, closedByClient: 0 });
  // A third, not streamed, uses its 10: had the streams kept their max_tokens, 100 would be gone.
  const third = await post(p, '/v1/messages', { ...body, stream: false });
  assert.equal(third.headers.get('anthropic-ratelimit-output-tokens-remaining'), String(100 - 1 - 0 - 10));
});

test('a stream its client closes early is counted, and stops being open', async (t) => {
  let release;
  const { p } = await provider(t, { sleep: () => new Promise((resolve) => (release = resolve)), outputTokens: () => 5 });
  const controller = new AbortController();
  const res = await fetch(`${p.url}/v1/chat/completions`, { method: 'POST', body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'x' }], stream: true }), signal: controller.signal });
  assert.deepEqual(p.streamStats(), { open: 1, peakOpen: 1, closedByClient: 0 });
  controller.abort();
  await assert.rejects(res.text());
  while (p.streamStats().open !== 0) await new Promise((resolve) => setImmediate(resolve));
  release();
  while (p.streamStats().closedByClient !== 1) await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(p.streamStats(), { open: 0, peakOpen: 1, closedByClient: 1 });
});
