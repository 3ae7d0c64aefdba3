// The rough edges a new user meets first, on a fake clock: a returned JSON Response settles its
// usage, `maxQueue: 0` runs now or rejects, one gate event per pause, the defaults as
// documented, `wrap` passing the attempt context.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Limiter, QueueFullError, TimeoutError } from 'sluice';
import { useFakeClock, deferred, settleTimes } from './support/clock.js';

const json = (body, init = {}) => new Response(JSON.stringify(body), { ...init, headers: { 'content-type': 'application/json', ...init.headers } });

test('a returned JSON Response settles the usage in its body, and the caller still reads it', async (t) => {
  useFakeClock(t);
  const limiter = new Limiter({ tokensPerMinute: 10_000 });
  const responses = [];
  for (let i = 0; i < 5; i++) {
    const response = await limiter.schedule(() => json({ id: i, usage: { prompt_tokens: 8, completion_tokens: 2 } }), { tokens: 1_010 });
    assert.equal(response.bodyUsed, false);
    responses.push(response);
  }
  // Five reservations of 1 010 came back but for the 10 each really used (no time passed to refill).
  assert.equal(limiter.stats().budgets.tokensPerMinute.available, 10_000 - 5 * 10);
  assert.deepEqual(limiter.stats().tokens, { reserved: 5_050, refunded: 5_000, input: 40, output: 10, used: 50 });
  assert.deepEqual(await Promise.all(responses.map((r) => r.json().then((b) => b.id))), [0, 1, 2, 3, 4]);
});

test('a JSON Response holds its slot until its body has arrived', async (t) => {
  const clock = useFakeClock(t);
  const limiter = new Limiter({ maxConcurrent: 1 });
  const chunks = deferred();
  const body = new ReadableStream({
    async start(controller) {
      controller.enqueue(new TextEncoder().encode('{"usage":{"input_tokens":3,'));
      await chunks.promise;
      controller.enqueue(new TextEncoder().encode('"output_tokens":4}}'));
      controller.close();
    },
  });
  const first = limiter.schedule(() => new Response(body, { headers: { 'content-type': 'application/json' } }), { tokens: 100 });
  const second = settleTimes(clock, [limiter.schedule(() => 'second')]);
  await clock.tickAsync(1_000);
  assert.equal(limiter.stats().inFlight, 1, 'the first body is still arriving');
  chunks.resolve();
  const response = await first;
  assert.deepEqual(await response.json(), { usage: { input_tokens: 3, output_tokens: 4 } });
  assert.equal((await second[0]).value, 'second');
  assert.deepEqual([limiter.stats().tokens.input, limiter.stats().tokens.output], [3, 4]);
});

test('an error Response and a non-JSON one settle nothing from their body', async (t) => {
  useFakeClock(t);
  const limiter = new Limiter({ tokensPerMinute: 10_000, retry: false });
  const bad = await limiter.schedule(() => json({ usage: { prompt_tokens: 1, completion_tokens: 1 } }, { status: 400 }), { tokens: 500 });
  const text = await limiter.schedule(() => new Response('usage: none'), { tokens: 500 });
  assert.equal(bad.status, 400);
  assert.equal(await text.text(), 'usage: none');
  assert.equal(limiter.stats().budgets.tokensPerMinute.available, 9_000);
});

test('maxQueue: 0 runs what can run now and rejects the rest', async (t) => {
  const clock = useFakeClock(t);
  const limiter = new Limiter({ maxConcurrent: 2, maxQueue: 0 });
  const gate = deferred();
  const running = [limiter.schedule(() => gate.promise), limiter.schedule(() => gate.promise)];
  await assert.rejects(limiter.schedule(() => 'x'), (e) => e instanceof QueueFullError && e.maxQueue === 0 && e.message === 'The job cannot start now and maxQueue is 0');
  gate.resolve('done');
  assert.deepEqual(await Promise.all(running), ['done', 'done']);
  await clock.tickAsync(0);
  assert.equal(await limiter.schedule(() => 'now'), 'now');
  assert.equal(limiter.stats().rejected, 1);
});

test('one 429 met by four calls in flight: one gateclosed, one gateopened, counted once', async (t) => {
  const clock = useFakeClock(t);
  const limiter = new Limiter({ maxConcurrent: 4 });
  const seen = [];
  for (const type of ['gateclosed', 'gateopened']) limiter.on(type, () => seen.push(type));
  let calls = 0;
  const task = () => (++calls <= 4 ? json({}, { status: 429, headers: { 'retry-after': '3' } }) : json({ ok: true }));
  const jobs = settleTimes(clock, Array.from({ length: 4 }, () => limiter.schedule(task)));
  await clock.tickAsync(10_000);
  assert.ok((await Promise.all(jobs)).every((r) => r.value.status === 200));
  assert.deepEqual(seen, ['gateclosed', 'gateopened']);
  assert.deepEqual([limiter.stats().gateClosed, limiter.stats().rateLimited], [1, 4]);
});

test('the defaults are what the README says: given nothing, 10 in flight to begin with; with a rate limit, no cap', (t) => {
  useFakeClock(t);
  assert.equal(new Limiter().stats().concurrencyLimit, 10);
  assert.equal(new Limiter({ requestsPerMinute: 100 }).stats().concurrencyLimit, Infinity);
  assert.equal(new Limiter({ adaptiveConcurrency: false }).stats().concurrencyLimit, Infinity);
  assert.equal(new Limiter({ maxConcurrent: 3 }).stats().concurrencyLimit, 3);
});

test('wrap: the function gets the attempt context as `this`; a timeout aborts its signal', async (t) => {
  const clock = useFakeClock(t);
  const limiter = new Limiter({ retry: false });
  const seen = [];
  const slow = limiter.wrap(
    function (ms) {
      seen.push(this.attempt);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(resolve, ms, 'late');
        this.signal.addEventListener('abort', () => {
          clearTimeout(timer);
          reject(this.signal.reason);
        });
      });
    },
    { timeoutMs: 500 },
  );
  const [r] = settleTimes(clock, [slow(2_000)]);
  await clock.tickAsync(3_000);
  assert.ok((await r).error instanceof TimeoutError);
  assert.equal((await r).at, 500);
  assert.deepEqual(seen, [1]);
  // Arrow functions ignore `this`: simple calls stay simple.
  assert.equal(await limiter.wrap((a, b) => a + b)(2, 3), 5);
});

test('the retry defaults are the documented ones: 6 attempts, backoff from 500 ms, a Retry-After clamped at 60 s', async (t) => {
  const clock = useFakeClock(t);
  const limiter = new Limiter({ seed: 7 });
  const delays = [];
  limiter.on('retry', (d) => delays.push(d.delayMs));
  let calls = 0;
  const failing = () => {
    calls += 1;
    throw Object.assign(new Error('500'), { status: 500 });
  };
  const [r] = settleTimes(clock, [limiter.schedule(failing)]);
  await clock.tickAsync(10 * 60_000);
  assert.equal((await r).error.attempts, 6);
  assert.equal(calls, 6);
  // Full jitter: each delay below 500 × 2^n (capped at 30 s).
  delays.forEach((ms, n) => assert.ok(ms <= Math.min(30_000, 500 * 2 ** (n + 1)), `retry ${n + 1} waited ${ms} ms`));
  const closed = [];
  limiter.on('gateclosed', (d) => closed.push(d.delayMs));
  const [g] = settleTimes(clock, [limiter.schedule(() => json({}, { status: 429, headers: { 'retry-after': '3600' } }), {})]);
  await clock.tickAsync(0);
  assert.deepEqual(closed, [60_000]);
  limiter.clear();
  await g;
});
