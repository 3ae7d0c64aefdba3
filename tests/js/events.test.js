// Events carry their keys intact: any character, and whatever a listener does meanwhile.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Limiter, EstimateTooLargeError } from 'sluice';
import { useFakeClock } from './support/clock.js';

const apiError = (status, headers = {}) => Object.assign(new Error(`${status}`), { status, headers: new Headers(headers) });

test('a key with \\n, \\0 and non-ASCII characters survives every event that carries a key', async (t) => {
  const clock = useFakeClock(t);
  const keys = ['line\nbreak', 'nul\0byte', 'ключ-鍵-🔑'];
  const seen = [];
  const listen = (limiter) => {
    for (const type of ['ratelimited', 'retry', 'gateclosed', 'gateopened', 'dropped', 'queued', 'started', 'settled']) {
      limiter.on(type, (d) => seen.push([type, d.key, type === 'dropped' ? d.error.code : type === 'settled' ? d.outcome : undefined]));
    }
  };

  // Per key: a 429 with retry-after, then a success (ratelimited, gateclosed, retry, gateopened,
  // queued, started, settled fulfilled); a fatal error (settled rejected); an estimate too large (dropped).
  const limiter = new Limiter({ gate: 'key', maxConcurrent: 4, tokensPerMinute: 100_000 });
  listen(limiter);
  const jobs = keys.map((key) => {
    let calls = 0;
    // Each key's first call meets a 429 with retry-after; its retry keeps the key alive through the pause.
    return limiter.schedule(() => (calls++ === 0 ? Promise.reject(apiError(429, { 'retry-after': '1' })) : key), { key });
  });
  const fatal = keys.map((key) => limiter.schedule(() => Promise.reject(apiError(400)), { key }).catch((e) => e.status));
  for (const key of keys) assert.throws(() => limiter.schedule(() => 'never', { key, tokens: 1e9 }), EstimateTooLargeError);

  // The other ways a job is dropped, each told from its own place: retries run out, the queue
  // is full at submission, a queued job's maxWaitMs passes.
  const other = new Limiter({ retry: { maxAttempts: 2, baseMs: 1 }, maxQueue: keys.length, seed: 1 });
  listen(other);
  const exhausted = keys.map((key) => other.schedule(() => Promise.reject(apiError(503)), { key }).catch((e) => e.code));
  await clock.tickAsync(1_000);
  assert.deepEqual(await Promise.all(exhausted), keys.map(() => 'RETRIES_EXHAUSTED'));
  other.pause();
  const expired = keys.map((key) => other.schedule(() => 'never', { key, maxWaitMs: 10 }).catch((e) => e.code));
  const full = keys.map((key) => other.schedule(() => 'never', { key }).catch((e) => e.code));
  await clock.tickAsync(5_000);
  assert.deepEqual(await Promise.all(jobs), keys);
  assert.deepEqual(await Promise.all(fatal), keys.map(() => 400));
  assert.deepEqual(await Promise.all(full), keys.map(() => 'QUEUE_FULL'));
  assert.deepEqual(await Promise.all(expired), keys.map(() => 'QUEUE_TIMEOUT'));

  const has = (...wanted) => seen.some((row) => wanted.every((w, i) => row[i] === w));
  for (const key of keys) {
    for (const type of ['ratelimited', 'retry', 'gateclosed', 'gateopened', 'queued', 'started']) {
      assert.ok(has(type, key), `no ${type} for ${JSON.stringify(key)}: ${JSON.stringify(seen)}`);
    }
    for (const outcome of ['fulfilled', 'rejected']) assert.ok(has('settled', key, outcome), `no settled ${outcome} for ${JSON.stringify(key)}`);
    for (const code of ['ESTIMATE_TOO_LARGE', 'RETRIES_EXHAUSTED', 'QUEUE_FULL', 'QUEUE_TIMEOUT']) {
      assert.ok(has('dropped', key, code), `no dropped ${code} for ${JSON.stringify(key)}: ${JSON.stringify(seen)}`);
    }
  }
  // Every job had a key, and every event carried one of them intact.
  const mangled = seen.filter(([, key]) => !keys.includes(key));
  assert.deepEqual(mangled, []);
});

test('a schedule() from inside a listener does not change the keys of the later events of the same batch', async (t) => {
  const clock = useFakeClock(t);
  const limiter = new Limiter({ gate: 'key', maxConcurrent: 4 });
  const closed = [];
  // A 429's end gives one batch of events: ratelimited, then the key's gateclosed. The
  // ratelimited listener calls into the limiter before the gateclosed is decoded.
  limiter.on('ratelimited', () => {
    limiter.schedule(() => 'from a listener', { key: 'other' }).catch(() => {});
  });
  limiter.on('gateclosed', (d) => closed.push(d.key));
  let calls = 0;
  const job = limiter.schedule(() => (calls++ === 0 ? Promise.reject(apiError(429, { 'retry-after': '1' })) : 'ok'), { key: 'tenant-a' });
  await clock.tickAsync(5_000);
  assert.equal(await job, 'ok');
  assert.deepEqual(closed, ['tenant-a']);
});

test('gateopened names its key even when the key\'s last job ended during the pause', async (t) => {
  const clock = useFakeClock(t);
  const limiter = new Limiter({ gate: 'key', retry: false });
  const opened = [];
  limiter.on('gateopened', (d) => opened.push(d.key));
  // No retry: the job fails at the 429, and only the key's gate holds the key through the pause.
  await assert.rejects(limiter.schedule(() => Promise.reject(apiError(429, { 'retry-after': '1' })), { key: 'tenant-ω' }));
  await clock.tickAsync(2_000);
  limiter.schedule(() => 'later', { key: 'someone-else' }); // a poll after the pause
  await clock.tickAsync(10);
  assert.deepEqual(opened, ['tenant-ω']);
});
