// What must never happen however the limiter is used or what a provider answers: a trap that
// takes the process down or leaves promises hanging, a slot held because reading an outcome
// threw, an onIdle() that never resolves, a timeout that fires early. (Issue 9; the core's
// half is in tests/*.rs.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Limiter, SluiceInternalError, SluiceError } from 'sluice';
import { Core } from '../../js/wasm/sluice.js';
import { pickHeaders } from '../../js/src/outcome.js';
import { wasmMemory } from '../../js/wasm/sluice.js';
import { useFakeClock, deferred } from './support/clock.js';

const sleeper = (ms, value) => () => new Promise((resolve) => setTimeout(() => resolve(value), ms));

/**
 * Makes the core of the next limiter that schedules a job trap at its next poll, finish or
 * submit after `trap()` is called, through the core's test-only entry (`trapNextCallForTests`):
 * a real wasm trap. The limiter's core is found by the first `submit` it makes.
 */
function trapOnCue(t) {
  const submit = Core.prototype.submit;
  let core = null;
  Core.prototype.submit = function (...args) {
    core ??= this;
    return submit.apply(this, args);
  };
  t.after(() => (Core.prototype.submit = submit));
  return () => core.trapNextCallForTests();
}

test('a trap in the core settles every job with SluiceInternalError, refuses new work, throws nothing uncaught, and spares other limiters', async (t) => {
  const clock = useFakeClock(t);
  const uncaught = [];
  const onUncaught = (e) => uncaught.push(e);
  process.on('uncaughtException', onUncaught);
  t.after(() => process.off('uncaughtException', onUncaught));

  const trap = trapOnCue(t);
  const limiter = new Limiter({ maxConcurrent: 2, requestsPerMinute: 600, burst: 1 / 60 });
  const other = new Limiter({ maxConcurrent: 2 });
  const running = deferred();
  const jobs = [limiter.schedule(() => running.promise), limiter.schedule(sleeper(50, 'b'))];
  for (let i = 0; i < 6; i++) jobs.push(limiter.schedule(sleeper(10, i)));
  const settled = jobs.map((p) => p.then((v) => ({ v }), (e) => ({ e })));
  await clock.tickAsync(1);
  // The next call into the core (the limiter's own timer, or the second job's end) traps.
  trap();
  await clock.tickAsync(200);
  running.resolve('a'); // a task that succeeds after the trap still settles with the error
  await clock.tickAsync(1);
  const results = await Promise.all(settled);
  for (const r of results) {
    assert.ok(r.e instanceof SluiceInternalError, `expected SluiceInternalError, got ${r.e ?? JSON.stringify(r.v)}`);
    assert.ok(r.e instanceof SluiceError);
    assert.equal(r.e.code, 'INTERNAL');
    assert.ok(r.e.cause instanceof WebAssembly.RuntimeError);
  }
  await assert.rejects(limiter.schedule(() => 1), SluiceInternalError);
  assert.throws(() => limiter.stats(), SluiceInternalError);
  await limiter.onIdle(); // nothing left hanging
  await clock.tickAsync(10_000);
  assert.deepEqual(uncaught, []);
  // Another limiter of the same module works as before.
  const done = other.schedule(sleeper(5, 'ok'));
  await clock.tickAsync(10);
  assert.equal(await done, 'ok');
  assert.equal(other.stats().completed, 1);
});

test('a classify that throws fails that job with its error and frees the slot at once', async (t) => {
  const clock = useFakeClock(t);
  // Throws on every success: `error` is undefined there.
  const limiter = new Limiter({ maxConcurrent: 2, classify: ({ error }) => (error.status === 400 ? 'fatal' : undefined) });
  const jobs = Array.from({ length: 6 }, (_, i) => limiter.schedule(sleeper(10, i)).then((v) => ({ v }), (e) => ({ e })));
  await clock.tickAsync(100);
  const results = await Promise.all(jobs);
  assert.equal(results.length, 6);
  for (const r of results) assert.ok(r.e instanceof TypeError, String(r.e ?? r.v));
  const s = limiter.stats();
  assert.equal(s.inFlight, 0);
  assert.equal(s.queued, 0);
  assert.equal(s.failed, 6);
});

test('a classify that returns no class names the five in its error, and frees the slot', async (t) => {
  const clock = useFakeClock(t);
  const limiter = new Limiter({ maxConcurrent: 1, classify: () => 'retry-please' });
  const a = limiter.schedule(sleeper(10, 'a'));
  const b = limiter.schedule(sleeper(10, 'b'));
  const both = Promise.allSettled([a, b]);
  await clock.tickAsync(50);
  const [ra, rb] = await both;
  assert.equal(ra.reason.message, 'Expected `classify` to return "success", "rate-limited", "overloaded", "retryable", "fatal" or undefined, got "retry-please" (a string)');
  assert.equal(rb.status, 'rejected');
  assert.equal(limiter.stats().inFlight, 0);
});

test('throwing getters on a result or an error, and a headers.forEach that throws, fail the job and free the slot', async (t) => {
  const clock = useFakeClock(t);
  const limiter = new Limiter({ maxConcurrent: 1 });
  const boom = new Error('getter');
  const hostileResult = {
    get usage() {
      throw boom;
    },
  };
  const hostileError = Object.defineProperty(new Error('bad'), 'status', {
    get() {
      throw boom;
    },
  });
  const hostileResponse = {
    status: 200,
    ok: true,
    headers: { get: () => null, forEach: () => { throw boom; } },
  };
  const outcomes = [
    limiter.schedule(() => hostileResult),
    limiter.schedule(() => Promise.reject(hostileError)),
    limiter.schedule(() => hostileResponse),
    limiter.schedule(() => 'fine'),
  ];
  const all = Promise.allSettled(outcomes);
  await clock.tickAsync(10);
  const [r1, r2, r3, r4] = await all;
  assert.equal(r1.reason, boom);
  assert.equal(r2.reason, boom);
  assert.equal(r3.reason, boom);
  assert.equal(r4.value, 'fine');
  assert.equal(limiter.stats().inFlight, 0);
});

test('a signal-like object without removeEventListener is refused at schedule()', () => {
  const limiter = new Limiter();
  const signal = { aborted: false, addEventListener() {} };
  assert.throws(() => limiter.schedule(() => 1, { signal }), { name: 'TypeError', message: 'Expected `signal` to be an AbortSignal, got an object' });
});

test('onIdle() resolves when an attempt outlived attemptLeaseMs, its slot went to a new job, and the old attempt then ended', async (t) => {
  const clock = useFakeClock(t);
  const limiter = new Limiter({ maxConcurrent: 1, attemptLeaseMs: 1_000 });
  const slow = deferred();
  const old = limiter.schedule(() => slow.promise);
  await clock.tickAsync(1_500); // the lease is over: the core takes the attempt for lost
  const fresh = limiter.schedule(sleeper(10, 'fresh'));
  await clock.tickAsync(20);
  assert.equal(await fresh, 'fresh');
  slow.resolve('late');
  assert.equal(await old, 'late');
  let idle = false;
  limiter.onIdle().then(() => (idle = true));
  await clock.tickAsync(1);
  assert.equal(idle, true);
  assert.equal(limiter.stats().inFlight, 0);
});

test('a timeoutMs longer than setTimeout can wait (2^31 - 1 ms) does not fire early', async (t) => {
  const clock = useFakeClock(t);
  const limiter = new Limiter();
  const timeoutMs = 40 * 24 * 3_600_000; // 40 days
  const never = new Promise(() => {});
  const job = limiter.schedule(() => never, { timeoutMs }).then(() => 'resolved', (e) => e);
  let settled = null;
  job.then((v) => (settled = v));
  await clock.tickAsync(2 ** 31 + 1_000); // 24.9 days: past setTimeout's longest delay
  assert.equal(settled, null);
  await clock.tickAsync(timeoutMs - 2 ** 31);
  assert.equal(settled?.code, 'TIMEOUT');
});

test('a huge header value never crosses into wasm; ordinary ones do', () => {
  const huge = 'x'.repeat(16 * 1024 * 1024);
  const picked = pickHeaders({ 'retry-after': huge, 'x-ratelimit-remaining-requests': '12' });
  assert.deepEqual(picked, { 'x-ratelimit-remaining-requests': '12' });
});

test('an attempt that ends right after the wasm memory grew is read from the new memory (its retry happens)', async (t) => {
  const clock = useFakeClock(t);
  const limiter = new Limiter({ retry: { baseMs: 10, maxDelayMs: 10 } });
  limiter.stats(); // reads the core's memory through a view of it
  let calls = 0;
  const job = limiter.schedule(() => {
    calls += 1;
    // The memory grows while the attempt runs: every view of the old buffer is now detached.
    if (calls === 1) wasmMemory().grow(1);
    return calls === 1 ? Promise.reject(Object.assign(new Error('503'), { status: 503 })) : 'ok';
  });
  await clock.tickAsync(100);
  assert.equal(await job, 'ok');
  assert.equal(calls, 2);
  assert.equal(limiter.stats().inFlight, 0);
});

test('in Cloudflare Workers, a limiter from an entry that cannot keep requests alive refuses to be built, naming the fix', (t) => {
  const had = Object.getOwnPropertyDescriptor(globalThis, 'navigator');
  Object.defineProperty(globalThis, 'navigator', { value: { userAgent: 'Cloudflare-Workers' }, configurable: true });
  t.after(() => (had ? Object.defineProperty(globalThis, 'navigator', had) : delete globalThis.navigator));
  // The node entry (these tests') installs no Workers waiting; the workerd entry does.
  assert.throws(() => new Limiter(), { message: 'sluice: use the `workerd` entry (wrangler does; esbuild: --conditions=workerd)' });
});
