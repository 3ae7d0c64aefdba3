// Control at run time, on a fake clock: pause and resume, clear, close with and without
// draining, update(options), onQueueBelow for producers that must not flood memory.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Limiter, ClearedError, ClosedError, EstimateTooLargeError } from 'sluice';
import { useFakeClock, deferred, settleTimes } from './support/clock.js';

const sleeper = (ms, value) => () => new Promise((resolve) => setTimeout(resolve, ms, value));

test('pause: nothing starts until resume; running jobs go on', async (t) => {
  const clock = useFakeClock(t);
  const limiter = new Limiter({ maxConcurrent: 2 });
  const running = settleTimes(clock, [limiter.schedule(sleeper(100, 'a'))]);
  limiter.pause();
  const waiting = settleTimes(clock, [limiter.schedule(() => 'b'), limiter.schedule(() => 'c')]);
  await clock.tickAsync(5_000);
  assert.deepEqual(await running[0], { at: 100, value: 'a' });
  assert.deepEqual([limiter.stats().queued, limiter.stats().paused], [2, true]);
  limiter.resume();
  assert.deepEqual(await Promise.all(waiting), [{ at: 5_000, value: 'b' }, { at: 5_000, value: 'c' }]);
  assert.equal(limiter.stats().paused, false);
});

test('clear: waiting jobs reject with ClearedError, the running one finishes', async (t) => {
  const clock = useFakeClock(t);
  const limiter = new Limiter({ maxConcurrent: 1 });
  const running = limiter.schedule(sleeper(100, 'ran'));
  const waiting = [1, 2, 3].map(() => limiter.schedule(() => 'never'));
  assert.equal(limiter.clear(), 3);
  for (const job of waiting) await assert.rejects(job, (e) => e instanceof ClearedError && e.code === 'CLEARED');
  await clock.tickAsync(100);
  assert.equal(await running, 'ran');
  assert.deepEqual([limiter.stats().cancelled, limiter.stats().queued], [3, 0]);
  assert.equal(await limiter.schedule(() => 'after'), 'after');
});

test('close(): new jobs reject with ClosedError, waiting ones drain, resolves when idle', async (t) => {
  const clock = useFakeClock(t);
  const limiter = new Limiter({ maxConcurrent: 1 });
  const jobs = settleTimes(clock, [limiter.schedule(sleeper(100, 1)), limiter.schedule(sleeper(100, 2))]);
  const closed = settleTimes(clock, [limiter.close()]);
  await assert.rejects(limiter.schedule(() => 3), (e) => e instanceof ClosedError && e.message === 'The limiter is closed');
  await clock.tickAsync(1_000);
  assert.deepEqual((await Promise.all(jobs)).map((r) => [r.at, r.value]), [[100, 1], [200, 2]]);
  assert.equal((await closed[0]).at, 200);
});

test('close({ drain: false }): waiting jobs and pending retries reject with ClosedError', async (t) => {
  const clock = useFakeClock(t);
  const limiter = new Limiter({ maxConcurrent: 1 });
  const refused = deferred();
  const first = settleTimes(clock, [limiter.schedule(() => refused.promise)]);
  const waiting = settleTimes(clock, [limiter.schedule(() => 'never')]);
  const closed = limiter.close({ drain: false });
  assert.ok((await waiting[0]).error instanceof ClosedError);
  // The running attempt meets a 503: its retry never goes out.
  refused.reject(Object.assign(new Error('503'), { status: 503 }));
  assert.ok((await first[0]).error instanceof ClosedError);
  await closed;
  assert.throws(() => limiter.close({ drain: 'yes' }), { name: 'TypeError', message: 'Expected `drain` to be a boolean, got "yes" (a string)' });
});

test('update: a higher concurrency cap and rate limit take effect at once; checked like the constructor', async (t) => {
  const clock = useFakeClock(t);
  const limiter = new Limiter({ maxConcurrent: 1, requestsPerMinute: 60 });
  const jobs = settleTimes(clock, Array.from({ length: 4 }, (_, i) => limiter.schedule(sleeper(10_000, i))));
  await clock.tickAsync(1);
  assert.equal(limiter.stats().inFlight, 1);
  limiter.update({ maxConcurrent: 4, requestsPerMinute: 600 });
  await clock.tickAsync(0);
  assert.equal(limiter.stats().inFlight, 4);
  assert.deepEqual([limiter.stats().concurrencyLimit, limiter.stats().budgets.requestsPerMinute.limit], [4, 600]);
  await clock.tickAsync(20_000);
  assert.equal((await Promise.all(jobs)).length, 4);
  assert.throws(() => limiter.update({ maxConcurrent: 0 }), { name: 'RangeError', message: 'Expected `maxConcurrent` to be a positive integer or Infinity, got 0' });
  assert.throws(() => limiter.update({ seed: 1 }), { name: 'TypeError', message: /^Unknown option `seed` in `options`; known options: maxConcurrent, maxQueue, requestsPerMinute/ });
  assert.throws(() => limiter.update({ tokensPerMinute: 1.5 }), RangeError);
});

test('update: a lower token limit rejects the waiting jobs it can never hold', async (t) => {
  const clock = useFakeClock(t);
  const limiter = new Limiter({ maxConcurrent: 1, tokensPerMinute: 10_000 });
  const running = limiter.schedule(sleeper(100, 'small'), { tokens: 100 });
  const big = settleTimes(clock, [limiter.schedule(() => 'big', { tokens: 5_000 })]);
  limiter.update({ tokensPerMinute: 1_000 });
  const { error } = await big[0];
  assert.ok(error instanceof EstimateTooLargeError && error.capacity === 1_000, String(error));
  await clock.tickAsync(100);
  assert.equal(await running, 'small');
});

test('onQueueBelow: a producer adds work only while fewer than n jobs wait', async (t) => {
  const clock = useFakeClock(t);
  const limiter = new Limiter({ maxConcurrent: 2 });
  let peak = 0;
  const jobs = [];
  for (let i = 0; i < 50; i++) {
    await limiter.onQueueBelow(5);
    jobs.push(limiter.schedule(sleeper(100, i)));
    peak = Math.max(peak, limiter.stats().queued);
    if (limiter.stats().queued >= 5) clock.tickAsync(100); // time moves while the producer waits
  }
  await clock.runAllAsync();
  assert.equal((await Promise.all(jobs)).length, 50);
  assert.equal(peak, 5);
  assert.throws(() => limiter.onQueueBelow(0), { name: 'RangeError', message: 'Expected `limit` to be a positive integer, got 0' });
});

test('stats().byKey: figures per key, at most 100 keys (the rest together)', async (t) => {
  const clock = useFakeClock(t);
  const limiter = new Limiter({ maxConcurrent: 1, seed: 1 });
  const usage = { usage: { input_tokens: 3, output_tokens: 4 } };
  let calls = 0;
  const flaky = () => {
    if (++calls === 1) throw Object.assign(new Error('503'), { status: 503 });
    return usage;
  };
  const jobs = [limiter.schedule(flaky, { key: 'a' }), limiter.schedule(sleeper(10, usage), { key: 'a' }), limiter.schedule(() => Promise.reject(new Error('no')), { key: 'b' }), limiter.schedule(() => 'plain')];
  const results = settleTimes(clock, jobs);
  assert.deepEqual(limiter.stats().byKey.b, { waiting: 1, running: 0, completed: 0, failed: 0, retried: 0, inputTokens: 0, outputTokens: 0 });
  await clock.tickAsync(60_000);
  await Promise.all(results);
  assert.deepEqual(limiter.stats().byKey, {
    a: { waiting: 0, running: 0, completed: 2, failed: 0, retried: 1, inputTokens: 6, outputTokens: 8 },
    b: { waiting: 0, running: 0, completed: 0, failed: 1, retried: 0, inputTokens: 0, outputTokens: 0 },
  });
  await Promise.all(Array.from({ length: 150 }, (_, i) => limiter.schedule(() => i, { key: `tenant-${i}` })));
  const byKey = limiter.stats().byKey;
  assert.equal(Object.keys(byKey).length, 101);
  assert.equal(byKey['(other keys)'].completed, 52); // 150 more keys, 98 with entries of their own
});
