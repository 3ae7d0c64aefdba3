// Streamed completions through sluice: the real openai and @anthropic-ai/sdk clients, plain
// fetch and ReadableStreams, against the mock provider's SSE on 127.0.0.1. The HTTP is real;
// time is fake (the mock's chunk delays, sluice's timers), so no test waits on the wall clock.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { AbortError, Limiter, TimeoutError } from 'sluice';
import { estimateAnthropic, estimateOpenAI } from 'sluice/estimate';
import { startMockProvider } from '../../mock/provider.js';
import { useFakeClock } from './support/clock.js';

/** Lets real I/O and fake time both move until `promise` settles (`stepMs` 0: time stands still). */
async function settle(clock, promise, stepMs = 10) {
  let done = false;
  const watched = promise.finally(() => (done = true));
  while (!done) {
    for (let i = 0; i < 3; i++) await immediate();
    await clock.tickAsync(stepMs); // 0: only the timers due now (openai's runners start on one)
  }
  return watched;
}

/** A turn of the event loop (real, not a timer): the mock's delay between events where time stands still. */
const immediate = () => new Promise((resolve) => setImmediate(resolve));
const frozen = { sleep: immediate };

async function provider(t, options) {
  const p = await startMockProvider(options);
  t.after(() => p.close());
  return p;
}

const chatBody = (i, extra = {}) => ({
  model: 'gpt-4o-mini',
  messages: [{ role: 'user', content: `Question ${i}: ${'words '.repeat(i % 7)}` }],
  max_tokens: 64,
  stream: true,
  ...extra,
});
const withUsage = { stream_options: { include_usage: true } };
const messagesBody = (i) => ({ model: 'claude-mock', max_tokens: 64, messages: [{ role: 'user', content: `Tell me about ${i}.` }] });

const TPM = 1_000_000;

test('openai: 50 streams through maxConcurrent 4 never have more than 4 open; the budget settles to the usage chunks exactly', async (t) => {
  const clock = useFakeClock(t);
  const mock = await provider(t, frozen);
  const client = new OpenAI({ apiKey: 'sk-test', baseURL: `${mock.url}/v1`, maxRetries: 0 });
  const limiter = new Limiter({ maxConcurrent: 4, tokensPerMinute: TPM });
  let used = 0;
  const texts = new Set();
  const run = async (i) => {
    const body = chatBody(i, withUsage);
    const stream = await limiter.schedule(({ signal }) => client.chat.completions.create(body, { signal }), estimateOpenAI(body));
    let text = '';
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta?.content ?? '';
      if (chunk.usage) used += chunk.usage.prompt_tokens + chunk.usage.completion_tokens;
    }
    texts.add(text.length > 0);
  };
  // Time stands still (every delay is 0): the bucket refills nothing, so its level is exact.
  await settle(clock, Promise.all(Array.from({ length: 50 }, (_, i) => run(i))), 0);
  assert.equal(clock.now, 0);
  const s = limiter.stats();
  assert.equal(mock.streamStats().peakOpen, 4, 'the cap was reached and never passed');
  assert.equal(mock.stats().requests, 50);
  assert.deepEqual([s.completed, s.inFlight, s.retried], [50, 0, 0]);
  assert.ok(used > 0);
  assert.equal(s.budgets.tokensPerMinute.available, TPM - used);
  assert.deepEqual([...texts], [true]);
});

test('without sluice holding them, the same streams would all be open at once (the mock counts them)', async (t) => {
  const clock = useFakeClock(t);
  const mock = await provider(t, frozen);
  const client = new OpenAI({ apiKey: 'sk-test', baseURL: `${mock.url}/v1`, maxRetries: 0 });
  const limiter = new Limiter({ maxConcurrent: 4 });
  const run = async (i) => {
    const stream = await limiter.schedule(() => client.chat.completions.create(chatBody(i)), { stream: false });
    for await (const chunk of stream) void chunk;
  };
  await settle(clock, Promise.all(Array.from({ length: 12 }, (_, i) => run(i))), 0);
  assert.ok(mock.streamStats().peakOpen > 4, `stream: false hands the stream back and frees the slot: ${mock.streamStats().peakOpen} open`);
});

test('break after 3 chunks frees the slot and closes the HTTP request', async (t) => {
  const clock = useFakeClock(t);
  const mock = await provider(t, { latency: { baseMs: 10, perOutputTokenMs: 10 }, outputTokens: () => 50 });
  const client = new OpenAI({ apiKey: 'sk-test', baseURL: `${mock.url}/v1`, maxRetries: 0 });
  const limiter = new Limiter({ maxConcurrent: 1 });
  const seen = [];
  const first = (async () => {
    const stream = await limiter.schedule(({ signal }) => client.chat.completions.create(chatBody(1), { signal }), estimateOpenAI(chatBody(1)));
    let n = 0;
    for await (const chunk of stream) {
      void chunk;
      if (++n === 3) break;
    }
    seen.push(['first broke', clock.now]);
  })();
  const second = limiter.schedule(() => client.chat.completions.create(chatBody(2))).then((s) => (seen.push(['second started', clock.now]), s));
  const stream = await settle(clock, second);
  await settle(clock, first);
  assert.deepEqual(seen.map(([what]) => what), ['first broke', 'second started']);
  // The first stream's request is gone: the mock saw its client close it early.
  await settle(clock, new Promise((resolve) => setImmediate(resolve)));
  assert.equal(mock.streamStats().closedByClient, 1);
  assert.equal(limiter.stats().inFlight, 1);
  let chunks = 0;
  await settle(clock, (async () => { for await (const c of stream) void c, chunks++; })());
  assert.equal(chunks, 52); // the role chunk, 50 words, the finish chunk
  assert.deepEqual([limiter.stats().inFlight, limiter.stats().completed, mock.streamStats().peakOpen], [0, 2, 1]);
});

test("the job's signal mid-stream: the reader gets an AbortError, the request is closed, the slot freed", async (t) => {
  const clock = useFakeClock(t);
  const mock = await provider(t, { latency: { baseMs: 10, perOutputTokenMs: 10 }, outputTokens: () => 50 });
  const client = new OpenAI({ apiKey: 'sk-test', baseURL: `${mock.url}/v1`, maxRetries: 0 });
  const limiter = new Limiter({ maxConcurrent: 1 });
  const controller = new AbortController();
  const reading = (async () => {
    const stream = await limiter.schedule(({ signal }) => client.chat.completions.create(chatBody(1), { signal }), { signal: controller.signal });
    let n = 0;
    for await (const chunk of stream) {
      void chunk;
      if (++n === 2) setTimeout(() => controller.abort(new Error('user left')), 5);
    }
  })();
  const error = await settle(clock, reading.then(() => null, (e) => e));
  assert.ok(error instanceof AbortError, String(error));
  assert.equal(error.reason.message, 'user left');
  await settle(clock, new Promise((resolve) => setImmediate(resolve)));
  assert.equal(mock.streamStats().closedByClient, 1);
  const s = limiter.stats();
  assert.deepEqual([s.inFlight, s.cancelled, s.retried], [0, 1, 0]);
});

test('firstChunkTimeoutMs: a stream that sends nothing is aborted with a TimeoutError, its slot freed', async (t) => {
  const clock = useFakeClock(t);
  const mock = await provider(t, { latency: { baseMs: 10, perOutputTokenMs: 10 }, streamFault: () => ({ after: 0, kind: 'stall' }) });
  const client = new OpenAI({ apiKey: 'sk-test', baseURL: `${mock.url}/v1`, maxRetries: 0 });
  const limiter = new Limiter({ maxConcurrent: 1 });
  const job = limiter.schedule(({ signal }) => client.chat.completions.create(chatBody(1), { signal }), { firstChunkTimeoutMs: 2_000 });
  const error = await settle(clock, job.then(() => null, (e) => e));
  assert.ok(error instanceof TimeoutError, String(error));
  assert.equal(error.option, 'firstChunkTimeoutMs');
  assert.equal(error.message, 'The stream sent no chunk within firstChunkTimeoutMs (2000 ms) and was aborted');
  assert.ok(clock.now >= 2_000 && clock.now < 2_100, `timed out at ${clock.now}`);
  await settle(clock, new Promise((resolve) => setImmediate(resolve)));
  assert.equal(mock.streamStats().closedByClient, 1);
  const s = limiter.stats();
  assert.deepEqual([s.inFlight, s.timedOut, mock.stats().requests], [0, 1, 1]);
});

test('idleTimeoutMs: a stream that stalls mid-way fails its reader with a TimeoutError and frees its slot', async (t) => {
  const clock = useFakeClock(t);
  const mock = await provider(t, { latency: { baseMs: 10, perOutputTokenMs: 10 }, streamFault: () => ({ after: 5, kind: 'stall' }) });
  const client = new OpenAI({ apiKey: 'sk-test', baseURL: `${mock.url}/v1`, maxRetries: 0 });
  const limiter = new Limiter({ maxConcurrent: 1 });
  let chunks = 0;
  const reading = (async () => {
    const stream = await limiter.schedule(({ signal }) => client.chat.completions.create(chatBody(1), { signal }), { idleTimeoutMs: 1_000 });
    for await (const chunk of stream) void chunk, chunks++;
  })();
  const error = await settle(clock, reading.then(() => null, (e) => e));
  assert.ok(error instanceof TimeoutError, String(error));
  assert.equal(error.option, 'idleTimeoutMs');
  assert.equal(chunks, 5);
  await settle(clock, new Promise((resolve) => setImmediate(resolve)));
  assert.equal(mock.streamStats().closedByClient, 1);
  assert.deepEqual([limiter.stats().inFlight, limiter.stats().timedOut, limiter.stats().retried], [0, 1, 0]);
});

test('anthropic: an overloaded_error after the first chunk reaches the reader, counts as an overload, and is not retried', async (t) => {
  const clock = useFakeClock(t);
  const mock = await provider(t, { latency: { baseMs: 10, perOutputTokenMs: 10 }, streamFault: () => ({ after: 6, kind: 'overloaded' }) });
  const client = new Anthropic({ apiKey: 'sk-ant-test', baseURL: mock.url, maxRetries: 0 });
  const limiter = new Limiter({ maxConcurrent: 4 });
  const types = [];
  const reading = (async () => {
    const body = messagesBody(1);
    const stream = await limiter.schedule(({ signal }) => client.messages.create({ ...body, stream: true }, { signal }), estimateAnthropic(body));
    for await (const event of stream) types.push(event.type);
  })();
  const error = await settle(clock, reading.then(() => null, (e) => e));
  assert.equal(error?.error?.error?.type, 'overloaded_error', String(error));
  assert.deepEqual(types, ['message_start', 'content_block_start', 'content_block_delta', 'content_block_delta', 'content_block_delta']);
  const s = limiter.stats();
  assert.deepEqual([s.rateLimited, s.retried, s.failed, s.inFlight, mock.stats().requests], [1, 0, 1, 0, 1]);
  assert.ok(s.concurrencyLimit < 4, `the overload lowered the limit: ${s.concurrencyLimit}`);
});

test('a failure before the first chunk is retried through the queue: the reader sees one whole answer', async (t) => {
  const clock = useFakeClock(t);
  const mock = await provider(t, { latency: { baseMs: 10, perOutputTokenMs: 10 }, outputTokens: () => 5, streamFault: (n) => (n === 1 ? { after: 0, kind: 'overloaded' } : undefined) });
  const client = new Anthropic({ apiKey: 'sk-ant-test', baseURL: mock.url, maxRetries: 0 });
  const limiter = new Limiter({ maxConcurrent: 2, retry: { baseMs: 100 } });
  const reading = (async () => {
    const stream = await limiter.schedule(({ signal }) => client.messages.create({ ...messagesBody(1), stream: true }, { signal }));
    let text = '';
    for await (const event of stream) if (event.type === 'content_block_delta') text += event.delta.text;
    return text;
  })();
  assert.equal(await settle(clock, reading), 'the cat sat and ran');
  const s = limiter.stats();
  assert.deepEqual([s.retried, s.completed, mock.stats().requests], [1, 1, 2]);
});

test('a stream without a usage chunk settles from what was seen: input from the estimate, output counted', async (t) => {
  const clock = useFakeClock(t);
  const mock = await provider(t, { ...frozen, outputTokens: () => 9 });
  const client = new OpenAI({ apiKey: 'sk-test', baseURL: `${mock.url}/v1`, maxRetries: 0 });
  const limiter = new Limiter({ maxConcurrent: 2, tokensPerMinute: TPM });
  const body = chatBody(3); // no include_usage: no usage chunk
  const estimate = estimateOpenAI(body);
  const reading = (async () => {
    const stream = await limiter.schedule(({ signal }) => client.chat.completions.create(body, { signal }), estimate);
    for await (const chunk of stream) assert.equal(chunk.usage, undefined);
  })();
  await settle(clock, reading, 0);
  // Nine words of three letters (and their spaces): a token each, rounded up.
  assert.equal(limiter.stats().budgets.tokensPerMinute.available, TPM - estimate.inputTokens - 9);
});

test('plain fetch: an SSE Response holds its slot until its body is read, and settles from its events', async (t) => {
  const clock = useFakeClock(t);
  const mock = await provider(t, { ...frozen, outputTokens: () => 12 });
  const limiter = new Limiter({ maxConcurrent: 1, tokensPerMinute: TPM });
  const body = { ...messagesBody(5), stream: true };
  const call = () =>
    limiter.schedule(({ signal }) => fetch(`${mock.url}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal }), estimateAnthropic(body));
  const response = await settle(clock, call(), 0);
  assert.equal(response.status, 200);
  assert.equal(response.headers.get('content-type'), 'text/event-stream');
  assert.ok(response.headers.get('anthropic-ratelimit-requests-remaining') === null); // the mock has no request limit here
  assert.equal(limiter.stats().inFlight, 1);
  const second = call();
  const text = await settle(clock, response.text(), 0);
  assert.match(text, /event: message_stop/);
  const input = JSON.parse(/data: (.*message_start.*)/.exec(text)[1]).message.usage.input_tokens;
  await settle(clock, second.then((r) => r.text()), 0);
  assert.deepEqual([limiter.stats().completed, mock.streamStats().peakOpen], [2, 1]);
  assert.equal(limiter.stats().budgets.tokensPerMinute.available, TPM - 2 * (input + 12));
});

test('a ReadableStream (a fetch body) holds its slot until read; cancel() frees it', async (t) => {
  const clock = useFakeClock(t);
  const mock = await provider(t, { latency: { baseMs: 10, perOutputTokenMs: 10 }, outputTokens: () => 30 });
  const limiter = new Limiter({ maxConcurrent: 1, tokensPerMinute: TPM });
  const body = chatBody(2, withUsage);
  const open = () =>
    limiter.schedule(async ({ signal }) => (await fetch(`${mock.url}/v1/chat/completions`, { method: 'POST', body: JSON.stringify(body), signal })).body);
  const readable = await settle(clock, open());
  assert.ok(readable instanceof ReadableStream);
  const reader = readable.getReader();
  await settle(clock, reader.read());
  await settle(clock, reader.cancel());
  assert.equal(limiter.stats().inFlight, 0);
  const whole = await settle(clock, open());
  const text = await settle(clock, new Response(whole).text());
  const usage = JSON.parse(/data: (.*"usage":\{.*)/.exec(text)[1]).usage;
  assert.equal(usage.completion_tokens, 30);
  await settle(clock, new Promise((resolve) => setImmediate(resolve)));
  assert.deepEqual([mock.streamStats().closedByClient, mock.streamStats().peakOpen, limiter.stats().inFlight], [1, 1, 0]);
});

test('anthropic messages.stream(): a MessageStream holds its slot until it ends; finalMessage() and events still work', async (t) => {
  const clock = useFakeClock(t);
  const mock = await provider(t, { latency: { baseMs: 10, perOutputTokenMs: 10 }, outputTokens: () => 8 });
  const client = new Anthropic({ apiKey: 'sk-ant-test', baseURL: mock.url, maxRetries: 0 });
  const limiter = new Limiter({ maxConcurrent: 1, tokensPerMinute: TPM });
  const run = async (i) => {
    const stream = await limiter.schedule(({ signal }) => client.messages.stream(messagesBody(i), { signal }), estimateAnthropic(messagesBody(i)));
    let text = '';
    stream.on('text', (delta) => (text += delta));
    const message = await stream.finalMessage();
    assert.equal(text, message.content[0].text);
    return message.usage.input_tokens + message.usage.output_tokens;
  };
  const used = await settle(clock, Promise.all([run(1), run(2), run(3)]));
  await settle(clock, limiter.onIdle());
  assert.equal(mock.streamStats().peakOpen, 1);
  assert.equal(limiter.stats().completed, 3);
  assert.ok(limiter.stats().budgets.tokensPerMinute.available >= TPM - used.reduce((a, b) => a + b));
});

test('openai tee() and toReadableStream() read through sluice: the slot is held until they end', async (t) => {
  const clock = useFakeClock(t);
  const mock = await provider(t, { ...frozen, outputTokens: () => 4 });
  const client = new OpenAI({ apiKey: 'sk-test', baseURL: `${mock.url}/v1`, maxRetries: 0 });
  const limiter = new Limiter({ maxConcurrent: 1, tokensPerMinute: TPM });
  const body = chatBody(1, withUsage);
  const stream = await settle(clock, limiter.schedule(() => client.chat.completions.create(body)), 0);
  const [left, right] = stream.tee();
  const read = async (s) => {
    const chunks = [];
    for await (const c of s) chunks.push(c);
    return chunks;
  };
  const [a, b] = await settle(clock, Promise.all([read(left), read(right)]), 0);
  assert.equal(a.length, 7); // role, 4 words, finish, usage
  assert.deepEqual(a, b);
  assert.equal(limiter.stats().budgets.tokensPerMinute.available, TPM - a.at(-1).usage.total_tokens);
  const again = await settle(clock, limiter.schedule(() => client.chat.completions.create(body)), 0);
  assert.equal(limiter.stats().inFlight, 1);
  const lines = (await settle(clock, new Response(again.toReadableStream()).text(), 0)).trim().split('\n');
  assert.equal(lines.length, 7);
  assert.equal(limiter.stats().inFlight, 0);
});

test('openai chat.completions.stream(): the ChatCompletionStream holds its slot until it ends, settled from its usage chunk', async (t) => {
  const clock = useFakeClock(t);
  const mock = await provider(t, { ...frozen, outputTokens: () => 6 });
  const client = new OpenAI({ apiKey: 'sk-test', baseURL: `${mock.url}/v1`, maxRetries: 0 });
  const limiter = new Limiter({ maxConcurrent: 1, tokensPerMinute: TPM });
  const run = async (i) => {
    const { stream: _, ...rest } = chatBody(i, withUsage);
    const runner = await limiter.schedule(({ signal }) => client.chat.completions.stream(rest, { signal }), estimateOpenAI(rest));
    const completion = await runner.finalChatCompletion();
    return completion.usage.total_tokens;
  };
  const used = await settle(clock, Promise.all([run(1), run(2), run(3)]), 0);
  await settle(clock, limiter.onIdle(), 0);
  assert.equal(mock.streamStats().peakOpen, 1);
  assert.equal(limiter.stats().budgets.tokensPerMinute.available, TPM - used.reduce((a, b) => a + b));
});

test("the SDK stream's controller.abort() frees the slot even while nothing reads the stream", async (t) => {
  const clock = useFakeClock(t);
  const mock = await provider(t, { latency: { baseMs: 10, perOutputTokenMs: 10 }, outputTokens: () => 50 });
  const client = new OpenAI({ apiKey: 'sk-test', baseURL: `${mock.url}/v1`, maxRetries: 0 });
  const limiter = new Limiter({ maxConcurrent: 1 });
  const stream = await settle(clock, limiter.schedule(() => client.chat.completions.create(chatBody(1))));
  assert.equal(limiter.stats().inFlight, 1);
  stream.controller.abort();
  assert.deepEqual([limiter.stats().inFlight, limiter.stats().completed], [0, 1]);
  await settle(clock, new Promise((resolve) => setImmediate(resolve)));
  assert.equal(mock.streamStats().closedByClient, 1);
});

test('ctx.reportUsage overrides the usage read from the stream', async (t) => {
  const clock = useFakeClock(t);
  const mock = await provider(t, { ...frozen, outputTokens: () => 5 });
  const client = new OpenAI({ apiKey: 'sk-test', baseURL: `${mock.url}/v1`, maxRetries: 0 });
  const limiter = new Limiter({ tokensPerMinute: TPM });
  const body = chatBody(1, withUsage);
  const stream = await settle(
    clock,
    limiter.schedule(async (ctx) => {
      ctx.reportUsage({ inputTokens: 1_000, outputTokens: 2_000 });
      return client.chat.completions.create(body, { signal: ctx.signal });
    }, estimateOpenAI(body)),
    0,
  );
  await settle(clock, (async () => { for await (const c of stream) void c; })(), 0);
  assert.equal(limiter.stats().budgets.tokensPerMinute.available, TPM - 3_000);
});

test('any async iterable (here an async generator) holds its slot until read; break frees it', async (t) => {
  const clock = useFakeClock(t);
  const limiter = new Limiter({ maxConcurrent: 1, tokensPerMinute: TPM });
  let closed = false;
  async function* chunks() {
    try {
      for (let i = 0; i < 10; i++) {
        await immediate(); // time stands still: the budget's level is exact
        yield { choices: [{ delta: { content: 'abcd' } }] };
      }
    } finally {
      closed = true;
    }
  }
  const gen = await settle(clock, limiter.schedule(() => chunks(), { inputTokens: 7, maxOutputTokens: 500 }), 0);
  assert.equal(limiter.stats().inFlight, 1);
  let n = 0;
  await settle(clock, (async () => {
    for await (const c of gen) if (++n === 3) break;
  })(), 0);
  assert.ok(closed, 'the generator was returned');
  assert.equal(limiter.stats().inFlight, 0);
  // Cut short: the input from the estimate, three chunks of one token each.
  assert.equal(limiter.stats().budgets.tokensPerMinute.available, TPM - 7 - 3);
});

test('an empty stream ends its attempt at once, and the caller reads nothing', async (t) => {
  const clock = useFakeClock(t);
  const limiter = new Limiter({ maxConcurrent: 1 });
  async function* nothing() {}
  const stream = await settle(clock, limiter.schedule(() => nothing(), { inputTokens: 3, maxOutputTokens: 10 }), 0);
  assert.deepEqual([limiter.stats().inFlight, limiter.stats().completed], [0, 1]);
  const seen = [];
  for await (const c of stream) seen.push(c);
  assert.deepEqual(seen, []);
});

test('openai .withResponse() on a stream: { data, response } held by its data, limits learned from the response', async (t) => {
  const clock = useFakeClock(t);
  const mock = await provider(t, { ...frozen, rpm: 100, tpm: 50_000, outputTokens: () => 4 });
  const client = new OpenAI({ apiKey: 'sk-test', baseURL: `${mock.url}/v1`, maxRetries: 0 });
  const limiter = new Limiter({ maxConcurrent: 1 });
  const body = chatBody(1, withUsage);
  const { data, response } = await settle(clock, limiter.schedule(({ signal }) => client.chat.completions.create(body, { signal }).withResponse(), estimateOpenAI(body)), 0);
  assert.equal(response.status, 200);
  assert.equal(limiter.stats().inFlight, 1);
  const chunks = [];
  await settle(clock, (async () => { for await (const c of data) chunks.push(c); })(), 0);
  assert.equal(chunks.length, 7);
  const s = limiter.stats();
  assert.deepEqual([s.inFlight, s.budgets.requestsPerMinute?.limit, s.budgets.tokensPerMinute?.limit], [0, 100, 50_000]);
});

test("a stream's settled event comes when it ends, with the usage read from it", async (t) => {
  const clock = useFakeClock(t);
  const mock = await provider(t, { ...frozen, outputTokens: () => 5 });
  const client = new OpenAI({ apiKey: 'sk-test', baseURL: `${mock.url}/v1`, maxRetries: 0 });
  const limiter = new Limiter({ maxConcurrent: 1 });
  const settled = [];
  limiter.on('settled', (d) => settled.push(d));
  const body = chatBody(1, withUsage);
  const stream = await settle(clock, limiter.schedule(({ signal }) => client.chat.completions.create(body, { signal }), estimateOpenAI(body)), 0);
  assert.equal(settled.length, 0, 'not settled at the first chunk');
  let usage;
  await settle(clock, (async () => { for await (const c of stream) usage = c.usage ?? usage; })(), 0);
  assert.equal(settled.length, 1);
  assert.equal(settled[0].outcome, 'fulfilled');
  assert.deepEqual(settled[0].usage, { inputTokens: usage.prompt_tokens, outputTokens: usage.completion_tokens });
});
