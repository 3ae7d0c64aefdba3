// Per-job events on a fake clock: queued, started (each attempt, with its wait), settled (the
// outcome, latency, usage and key); through on() and addEventListener alike.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Limiter, QueueTimeoutError } from 'sluice';
import { useFakeClock, settleTimes } from './support/clock.js';

const sleeper = (ms, value) => () => new Promise((resolve) => setTimeout(resolve, ms, value));

test('queued, started, settled: each job, in order, with its wait, latency, usage and key', async (t) => {
  const clock = useFakeClock(t);
  const limiter = new Limiter({ maxConcurrent: 1 });
  const seen = [];
  for (const type of ['queued', 'started', 'settled']) limiter.on(type, (d) => seen.push([clock.now, type, d]));
  const usage = { usage: { prompt_tokens: 5, completion_tokens: 7 } };
  const jobs = [limiter.schedule(sleeper(100, usage), { key: 'tenant-a', priority: 2 }), limiter.schedule(sleeper(50, 'b'))];
  await clock.tickAsync(1_000);
  await Promise.all(jobs);
  const [a, b] = [seen[0][2].id, seen[2][2].id];
  assert.notEqual(a, b);
  assert.deepEqual(seen, [
    [0, 'queued', { id: a, key: 'tenant-a', priority: 2 }],
    [0, 'started', { id: a, key: 'tenant-a', attempt: 1, waitMs: 0 }],
    [0, 'queued', { id: b, key: undefined, priority: 0 }],
    [100, 'settled', { id: a, key: 'tenant-a', outcome: 'fulfilled', value: usage, attempts: 1, latencyMs: 100, usage: { inputTokens: 5, outputTokens: 7 } }],
    [100, 'started', { id: b, key: undefined, attempt: 1, waitMs: 100 }],
    [150, 'settled', { id: b, key: undefined, outcome: 'fulfilled', value: 'b', attempts: 1, latencyMs: 150, usage: null }],
  ]);
});

test('a retried job starts twice (its wait counted from the failed attempt) and settles once', async (t) => {
  const clock = useFakeClock(t);
  const limiter = new Limiter({ seed: 1 });
  const started = [];
  const settled = [];
  limiter.addEventListener('started', (e) => started.push([clock.now, e.detail.attempt, e.detail.waitMs]));
  limiter.addEventListener('settled', (e) => settled.push(e.detail));
  let calls = 0;
  const task = () => {
    if (++calls === 1) throw Object.assign(new Error('429'), { status: 429, headers: { 'retry-after': '2' } });
    return 'ok';
  };
  const [r] = settleTimes(clock, [limiter.schedule(task)]);
  await clock.tickAsync(10_000);
  const { at } = await r;
  assert.deepEqual(started, [[0, 1, 0], [at, 2, at]]);
  assert.equal(settled.length, 1);
  assert.deepEqual([settled[0].outcome, settled[0].attempts, settled[0].latencyMs], ['fulfilled', 2, at]);
});

test('a job that never starts settles rejected with its error and 0 attempts', async (t) => {
  const clock = useFakeClock(t);
  const limiter = new Limiter({ maxConcurrent: 1 });
  const settled = [];
  limiter.on('settled', (d) => settled.push(d));
  const jobs = settleTimes(clock, [limiter.schedule(sleeper(1_000, 'long')), limiter.schedule(() => 'late', { maxWaitMs: 200 })]);
  await clock.tickAsync(2_000);
  await Promise.all(jobs);
  const late = settled.find((d) => d.outcome === 'rejected');
  assert.ok(late.error instanceof QueueTimeoutError);
  assert.deepEqual([late.attempts, late.latencyMs, late.usage], [0, 200, null]);
});

test('a listener that stops hears nothing more', async (t) => {
  useFakeClock(t);
  const limiter = new Limiter();
  let heard = 0;
  const stop = limiter.on('settled', () => heard++);
  const listener = () => heard++;
  limiter.addEventListener('started', listener);
  assert.equal(await limiter.schedule(() => 1), 1);
  stop();
  limiter.removeEventListener('started', listener);
  assert.equal(await limiter.schedule(() => 2), 2);
  assert.equal(heard, 2);
});
