// Events carry their keys intact: any character, and whatever a listener does meanwhile.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Limiter } from 'sluice';
import { useFakeClock } from './support/clock.js';

const apiError = (status, headers = {}) => Object.assign(new Error(`${status}`), { status, headers: new Headers(headers) });

test('a key with \\n, \\0 and non-ASCII characters survives gateclosed and gateopened', async (t) => {
  const clock = useFakeClock(t);
  const limiter = new Limiter({ gate: 'key', maxConcurrent: 4 });
  const keys = ['line\nbreak', 'nul\0byte', 'ключ-鍵-🔑'];
  const seen = [];
  limiter.on('gateclosed', (d) => seen.push(['closed', d.key]));
  limiter.on('gateopened', (d) => seen.push(['opened', d.key]));
  const jobs = keys.map((key) => {
    let calls = 0;
    // Each key's first call meets a 429 with retry-after; its retry keeps the key alive through the pause.
    return limiter.schedule(() => (calls++ === 0 ? Promise.reject(apiError(429, { 'retry-after': '1' })) : key), { key });
  });
  await clock.tickAsync(5_000);
  assert.deepEqual(await Promise.all(jobs), keys);
  for (const key of keys) {
    assert.ok(seen.some(([what, k]) => what === 'closed' && k === key), `no gateclosed for ${JSON.stringify(key)}: ${JSON.stringify(seen)}`);
    assert.ok(seen.some(([what, k]) => what === 'opened' && k === key), `no gateopened for ${JSON.stringify(key)}: ${JSON.stringify(seen)}`);
  }
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
