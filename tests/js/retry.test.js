// Outcome classification, the Retry-After gate, retries and their budget, events and seeds,
// seen from JS on a fake clock, with errors shaped like the SDKs'.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Limiter, RetryError, AbortError, TimeoutError } from 'sluice';
import { useFakeClock, settleTimes } from './support/clock.js';

/** An error as the openai and Anthropic SDKs throw them: `status`, `headers`, `error` (the body). */
function apiError(status, headers = {}, body = undefined) {
  return Object.assign(new Error(`${status} status code`), { status, headers: new Headers(headers), error: body });
}

/** A task that throws the given errors in turn, then returns `value`. */
function flaky(errors, value = 'ok') {
  let calls = 0;
  const task = () => {
    const error = errors[calls++];
    if (error) throw error;
    return value;
  };
  task.calls = () => calls;
  return task;
}

test('a 429 with Retry-After pauses everyone once, then the job is retried and succeeds', async (t) => {
  const clock = useFakeClock(t);
  const limiter = new Limiter({ maxConcurrent: 5 });
  const seen = [];
  for (const type of ['ratelimited', 'gateclosed', 'gateopened', 'retry']) limiter.on(type, (d) => seen.push([clock.now, type, d]));
  const first = flaky([apiError(429, { 'retry-after': '2', 'x-ratelimit-remaining-requests': '0' })]);
  const starts = [];
  const jobs = [limiter.schedule(first), ...Array.from({ length: 4 }, () => limiter.schedule(() => starts.push(clock.now)))];
  const settled = settleTimes(clock, jobs);
  await clock.tickAsync(0);
  // The other four were already out (they started with the first); new ones wait behind the gate.
  const later = settleTimes(clock, [limiter.schedule(() => clock.now)]);
  await clock.tickAsync(5_000);
  assert.deepEqual((await settled[0]), { at: 2_000, value: 'ok' });
  assert.deepEqual(await later[0], { at: 2_000, value: 2_000 });
  assert.equal(first.calls(), 2);
  assert.deepEqual(seen.map(([at, type]) => [at, type]), [[0, 'ratelimited'], [0, 'gateclosed'], [0, 'retry'], [2_000, 'gateopened']]);
  assert.deepEqual(seen[0][2], { key: undefined, overloaded: false, retryAfterMs: 2_000 });
  assert.equal(seen[1][2].delayMs, 2_000);
  const s = limiter.stats();
  assert.deepEqual([s.rateLimited, s.retried, s.gateClosed, s.completed], [1, 1, 1, 6]);
});

test('retryable and not: 5xx and network errors retry, 400 and insufficient_quota do not', async (t) => {
  const clock = useFakeClock(t);
  const limiter = new Limiter({ seed: 1 });
  const cases = [
    [apiError(500), true],
    [apiError(503), true],
    [apiError(529), true],
    [apiError(408), true],
    [Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNRESET' } }), true],
    [apiError(400), false],
    [apiError(401), false],
    [apiError(429, {}, { error: { code: 'insufficient_quota' } }), false],
    [apiError(429, { 'x-should-retry': 'false' }), false],
    [new TypeError('undefined is not a function'), false],
  ];
  for (const [error, retried] of cases) {
    const task = flaky([error]);
    const [r] = settleTimes(clock, [limiter.schedule(task)]);
    await clock.tickAsync(60_000);
    const outcome = await r;
    if (retried) assert.equal(outcome.value, 'ok', `${error.message} should be retried`);
    else assert.equal(outcome.error, error, `${error.message} should fail as it is`);
    assert.equal(task.calls(), retried ? 2 : 1);
  }
});

test('attempts run out: RetryError with attempts, status and headers; a dropped event', async (t) => {
  const clock = useFakeClock(t);
  const limiter = new Limiter({ retry: { maxAttempts: 4, baseMs: 100 }, seed: 9 });
  const dropped = [];
  limiter.on('dropped', (d) => dropped.push(d));
  const e = apiError(503, { 'x-ratelimit-limit-requests': '100' });
  const task = flaky([e, e, e, e, e]);
  const [r] = settleTimes(clock, [limiter.schedule(task, { key: 'k' })]);
  await clock.tickAsync(10_000);
  const { error } = await r;
  assert.ok(error instanceof RetryError);
  assert.equal(error.attempts, 4);
  assert.equal(error.status, 503);
  assert.deepEqual(error.headers, { 'x-ratelimit-limit-requests': '100' });
  assert.equal(error.cause, e);
  assert.match(error.message, /^The job failed after 4 attempts and no attempts are left; the last got HTTP 503$/);
  assert.equal(dropped.length, 1);
  assert.equal(limiter.stats().retriesExhausted, 1);
  assert.equal(dropped[0].key, 'k');
  assert.equal(dropped[0].error, error);
});

test('retry: false fails on the first retryable outcome', async (t) => {
  const clock = useFakeClock(t);
  const limiter = new Limiter({ retry: false });
  const [r] = settleTimes(clock, [limiter.schedule(flaky([apiError(500)]))]);
  await clock.tickAsync(0);
  assert.equal((await r).error.attempts, 1);
});

test('the same seed gives the same backoff, another seed another', async (t) => {
  const clock = useFakeClock(t);
  const delays = async (seed) => {
    const limiter = new Limiter({ seed, retry: { maxAttempts: 5 } });
    const out = [];
    limiter.on('retry', (d) => out.push(d.delayMs));
    const done = limiter.schedule(flaky([apiError(500), apiError(500), apiError(500), apiError(500)]));
    await clock.tickAsync(60_000);
    await done;
    return out;
  };
  const a = await delays(42);
  assert.equal(a.length, 4);
  assert.deepEqual(await delays(42), a);
  assert.notDeepEqual(await delays(43), a);
});

test('classify overrides: a timeout made retryable, a custom error made a rate limit', async (t) => {
  const clock = useFakeClock(t);
  const limiter = new Limiter({
    classify: ({ error }) => {
      if (error instanceof TimeoutError) return 'retryable';
      if (error?.message === 'slow down') return 'rate-limited';
      return undefined;
    },
  });
  let calls = 0;
  const hangsOnce = limiter.schedule(() => (calls++ === 0 ? new Promise(() => {}) : 'second time'), { timeoutMs: 1_000 });
  const custom = limiter.schedule(flaky([new Error('slow down')]));
  await clock.tickAsync(30_000);
  assert.equal(await hangsOnce, 'second time');
  assert.equal(await custom, 'ok');
  assert.equal(limiter.stats().rateLimited, 1);
  assert.throws(() => new Limiter({ classify: 'retryable' }), TypeError);
  const bad = new Limiter({ classify: () => 'maybe' });
  await assert.rejects(bad.schedule(() => 1), /Expected `classify` to return "success", .* got "maybe"/);
});

test('abort while backing off: no further attempt, AbortError', async (t) => {
  const clock = useFakeClock(t);
  const limiter = new Limiter({ retry: { baseMs: 10_000, maxDelayMs: 10_000 }, seed: 3 });
  const controller = new AbortController();
  const task = flaky([apiError(500), apiError(500)]);
  const [r] = settleTimes(clock, [limiter.schedule(task, { signal: controller.signal })]);
  await clock.tickAsync(1);
  assert.equal(limiter.stats().backingOff, 1);
  controller.abort('enough');
  assert.ok((await r).error instanceof AbortError);
  await clock.tickAsync(60_000);
  assert.equal(task.calls(), 1);
  assert.equal(limiter.stats().backingOff, 0);
});

test("gate: 'key' pauses only the key that met the 429", async (t) => {
  const clock = useFakeClock(t);
  const limiter = new Limiter({ gate: 'key' });
  const closed = [];
  limiter.on('gateclosed', (d) => closed.push(d));
  const a = settleTimes(clock, [limiter.schedule(flaky([apiError(429, { 'retry-after': '10' })]), { key: 'a' })]);
  await clock.tickAsync(1);
  const b = settleTimes(clock, [limiter.schedule(() => 'b', { key: 'b' })]);
  const a2 = settleTimes(clock, [limiter.schedule(() => 'a2', { key: 'a' })]);
  await clock.tickAsync(20_000);
  assert.deepEqual(await b[0], { at: 1, value: 'b' });
  assert.ok((await a2[0]).at >= 10_000);
  assert.equal((await a[0]).value, 'ok');
  assert.deepEqual(closed, [{ key: 'a', delayMs: 10_000 }]);
});

test('a hostile Retry-After is clamped: the gate never stays closed past maxRetryAfterMs', async (t) => {
  const clock = useFakeClock(t);
  const limiter = new Limiter();
  const closed = [];
  limiter.on('gateclosed', (d) => closed.push(d.delayMs));
  for (const value of ['99999999999999999999', '1e9', '-5', 'soon', 'x'.repeat(10_000), 'Thu, 01 Jan 2099 00:00:00 GMT']) {
    const [r] = settleTimes(clock, [limiter.schedule(flaky([apiError(429, { 'retry-after': value })]))]);
    await clock.tickAsync(120_000);
    assert.equal((await r).value, 'ok', value.slice(0, 20));
  }
  assert.deepEqual(closed, [60_000, 60_000]); // the huge number and the far date; the rest are ignored
});

test('Gemini: retryDelay in the error body closes the gate', async (t) => {
  const clock = useFakeClock(t);
  const limiter = new Limiter();
  const body = { error: { code: 429, status: 'RESOURCE_EXHAUSTED', details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '7s' }] } };
  const gemini = Object.assign(new Error(JSON.stringify(body)), { status: 429 });
  const [r] = settleTimes(clock, [limiter.schedule(flaky([gemini]))]);
  await clock.tickAsync(20_000);
  assert.deepEqual(await r, { at: 7_000, value: 'ok' });
});
