// One deadline across a job (and a request's sub-calls), from `schedule`, on a fake clock.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Limiter, AbortError, DeadlineError, SluiceError, TimeoutError } from 'sluice';
import { useFakeClock } from './support/clock.js';

/** A task that takes `ms` on the fake clock and returns `value`. */
const sleeper = (ms, value) => () => new Promise((resolve) => setTimeout(() => resolve(value), ms));

/** How a promise settled, and when on the fake clock. */
const settled = (clock, p) =>
  p.then(
    (value) => ({ at: clock.now, value }),
    (error) => ({ at: clock.now, error }),
  );

test('earliest deadline first within a priority; work without one after them', async (t) => {
  const clock = useFakeClock(t);
  const limiter = new Limiter({ maxConcurrent: 1 });
  const order = [];
  const job = (name, opts) => limiter.schedule(() => new Promise((r) => setTimeout(() => r(order.push(name)), 100)), opts);
  const all = [
    job('first'),
    job('late', { deadline: Date.now() + 9_000 }),
    job('none'),
    job('soon', { deadline: Date.now() + 2_000 }),
    job('urgent', { priority: 1, deadline: Date.now() + 60_000 }),
  ];
  await clock.runAllAsync();
  await Promise.all(all);
  assert.deepEqual(order, ['first', 'urgent', 'soon', 'late', 'none']);
});

test('a job whose wait for budget is longer than what is left is rejected at once', async (t) => {
  const clock = useFakeClock(t);
  const limiter = new Limiter({ requestsPerMinute: 60 }); // the 61st request waits a second
  const burst = Array.from({ length: 60 }, () => limiter.schedule(sleeper(10)));
  const dropped = [];
  limiter.on('dropped', (d) => dropped.push(d.error));
  const rejected = settled(clock, limiter.schedule(sleeper(10), { deadline: Date.now() + 500 }));
  const fits = settled(clock, limiter.schedule(sleeper(10, 'in time'), { deadline: Date.now() + 1_500 }));
  await clock.tickAsync(0);
  const { at, error } = await rejected;
  assert.equal(at, 0, 'at once, not at the deadline');
  assert.ok(error instanceof DeadlineError && error instanceof SluiceError);
  assert.equal(error.code, 'DEADLINE');
  assert.deepEqual([error.why, error.leftMs, error.neededMs], ['budget', 500, 1_000]);
  assert.equal(error.message, 'The job cannot finish by its deadline: 500 ms were left and the budget lets it start in 1000 ms');
  assert.deepEqual(dropped, [error]);
  await clock.runAllAsync();
  assert.deepEqual(await fits, { at: 1_260, value: 'in time' }); // a second, plus the trip to the provider (250 ms)
  await Promise.all(burst);
});

test('a retry whose backoff ends after the deadline is not scheduled: DeadlineError with the last error as cause', async (t) => {
  const clock = useFakeClock(t);
  const limiter = new Limiter({ maxConcurrent: 4 });
  const retries = [];
  limiter.on('retry', (r) => retries.push(r));
  const overloaded = Object.assign(new Error('overloaded'), { status: 503, headers: { 'retry-after': '5' } });
  let attempts = 0;
  const job = settled(
    clock,
    limiter.schedule(
      () => new Promise((_, reject) => setTimeout(() => reject(overloaded), 100, (attempts += 1))),
      { deadline: Date.now() + 2_000 },
    ),
  );
  await clock.runAllAsync();
  const { at, error } = await job;
  assert.equal(at, 100, 'given up when the attempt failed, not at the deadline');
  assert.ok(error instanceof DeadlineError, String(error));
  assert.deepEqual([error.why, error.leftMs, error.neededMs >= 5_000, error.cause], ['backoff', 1_900, true, overloaded]);
  assert.equal(attempts, 1);
  assert.deepEqual(retries, [], 'no retry was scheduled');
});

test('the latency of finished attempts is learned as a quantile: a job whose time left is shorter is rejected', async (t) => {
  const clock = useFakeClock(t);
  /** Ten calls that took 100, 200, ... 1 000 ms (their 0.9 quantile is 900 ms), then one with 800 ms left. */
  const run = async (limiter) => {
    const calls = Array.from({ length: 10 }, (_, i) => limiter.schedule(sleeper((i + 1) * 100)));
    await clock.runAllAsync();
    await Promise.all(calls);
    const late = settled(clock, limiter.schedule(sleeper(10, 'ran'), { deadline: Date.now() + 800 }));
    await clock.runAllAsync();
    return late;
  };
  const learned = await run(new Limiter());
  assert.ok(learned.error instanceof DeadlineError, String(learned.error));
  assert.deepEqual([learned.error.why, learned.error.leftMs, learned.error.neededMs], ['latency', 800, 900]);
  assert.match(learned.error.message, /800 ms were left and its wait to start plus what such calls took come to 900 ms/);
  assert.equal((await run(new Limiter({ latencyQuantile: false }))).value, 'ran', 'latencyQuantile: false rejects only what is certain');
  assert.equal((await run(new Limiter({ latencyQuantile: 0.5 }))).value, 'ran', 'the median (500 ms) fits in 800');
});

test('work without a deadline is not starved by a stream of deadline jobs', async (t) => {
  const clock = useFakeClock(t);
  const limiter = new Limiter({ maxConcurrent: 1 });
  const started = {};
  const work = (name, opts) =>
    limiter.schedule(() => {
      started[name] ??= clock.now;
      return new Promise((r) => setTimeout(r, 100));
    }, opts).catch((e) => e);
  const first = work('first');
  const patient = work('patient');
  const stream = [];
  // Twice as much deadline work as the slot can serve, for a minute.
  for (let i = 0; i < 1_200; i++) {
    stream.push(work(`d${i}`, { deadline: Date.now() + 10_000 }));
    await clock.tickAsync(50);
  }
  await clock.runAllAsync();
  await Promise.all([first, patient, ...stream]);
  assert.ok(started.patient > 0, 'deadline jobs went ahead of it for a while');
  assert.ok(started.patient <= 30_100, `it counts as due 30 s after it was queued: started at ${started.patient}`);
});

test("the attempt's signal fires at the deadline and the job rejects with DeadlineError", async (t) => {
  const clock = useFakeClock(t);
  const limiter = new Limiter();
  let signal;
  const job = settled(
    clock,
    limiter.schedule(
      (ctx) => {
        signal = ctx.signal;
        return new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
      },
      { deadline: Date.now() + 1_000 },
    ),
  );
  await clock.runAllAsync();
  const { at, error } = await job;
  assert.equal(at, 1_000);
  assert.ok(signal.aborted && signal.reason instanceof DeadlineError);
  assert.ok(error instanceof DeadlineError);
  assert.deepEqual([error.why, error.leftMs, error.message], ['expired', 0, 'The job did not finish by its deadline']);
  assert.equal(limiter.stats().inFlight, 0);
});

test('timeoutMs is capped by the deadline', async (t) => {
  const clock = useFakeClock(t);
  const limiter = new Limiter({ retry: false });
  const forever = () => new Promise(() => {});
  const capped = settled(clock, limiter.schedule(forever, { timeoutMs: 5_000, deadline: Date.now() + 1_000 }));
  const first = settled(clock, limiter.schedule(forever, { timeoutMs: 300, deadline: Date.now() + 1_000 }));
  await clock.runAllAsync();
  const a = await capped;
  assert.equal(a.at, 1_000);
  assert.ok(a.error instanceof DeadlineError, String(a.error));
  const b = await first;
  assert.equal(b.at, 300, 'a shorter timeout still applies');
  assert.ok(b.error instanceof TimeoutError, String(b.error));
});

test('a queued job is rejected when its deadline comes; a deadline that has come rejects at once', async (t) => {
  const clock = useFakeClock(t);
  const limiter = new Limiter({ maxConcurrent: 1 });
  const busy = limiter.schedule(sleeper(5_000));
  const waiting = settled(clock, limiter.schedule(sleeper(10), { deadline: Date.now() + 1_000 }));
  const past = settled(clock, limiter.schedule(sleeper(10), { deadline: Date.now() }));
  await clock.runAllAsync();
  assert.deepEqual([(await waiting).at, (await waiting).error.why], [1_000, 'expired']);
  assert.deepEqual([(await past).at, (await past).error.why], [0, 'expired']);
  await busy;
  assert.equal(limiter.stats().queued, 0);
});

test("a sibling's failure cancels the rest through the caller's AbortSignal", async (t) => {
  const clock = useFakeClock(t);
  const limiter = new Limiter({ maxConcurrent: 2 });
  const controller = new AbortController();
  const deadline = Date.now() + 10_000;
  const calls = [300, 100, 500, 700].map((ms, i) =>
    limiter
      .schedule(
        ({ signal }) =>
          new Promise((resolve, reject) => {
            const timer = setTimeout(() => (i === 1 ? reject(new Error('sub-call failed')) : resolve(i)), ms);
            signal.addEventListener('abort', () => (clearTimeout(timer), reject(signal.reason)));
          }),
        { deadline, signal: controller.signal, maxOutputTokens: 10, inputTokens: 10 },
      )
      .catch((e) => {
        controller.abort(e); // the first failure drops the other sub-calls, queued or running
        throw e;
      }),
  );
  const all = settled(clock, Promise.all(calls));
  const each = calls.map((c) => settled(clock, c));
  await clock.runAllAsync();
  assert.equal((await all).error.message, 'sub-call failed');
  assert.equal((await all).at, 100);
  const errors = (await Promise.all(each)).map((r) => r.error);
  assert.ok(errors[0] instanceof AbortError && errors[2] instanceof AbortError && errors[3] instanceof AbortError, String(errors));
  assert.equal(limiter.stats().inFlight + limiter.stats().queued, 0);
});

test('deadline and latencyQuantile are checked', () => {
  const limiter = new Limiter();
  assert.throws(() => limiter.schedule(() => 1, { deadline: 'soon' }), {
    name: 'TypeError',
    message: 'Expected `deadline` to be a time in milliseconds since the epoch, as Date.now() + 10_000, got "soon" (a string)',
  });
  assert.throws(() => limiter.schedule(() => 1, { deadline: Infinity }), { name: 'RangeError', message: /`deadline`.*got Infinity/ });
  assert.throws(() => new Limiter({ latencyQuantile: 1.5 }), { name: 'RangeError', message: 'Expected `latencyQuantile` to be a number in (0, 1] or false, got 1.5' });
  assert.throws(() => new Limiter({ latencyQuantile: true }), { name: 'TypeError', message: 'Expected `latencyQuantile` to be a number in (0, 1] or false, got true' });
});

test('the deadline is read from the wall clock once, at schedule(): a wall clock that steps afterwards does not move it', async (t) => {
  const clock = useFakeClock(t);
  const limiter = new Limiter({ maxConcurrent: 1 });
  const busy = limiter.schedule(sleeper(5_000));
  // When it settles, on the monotonic clock (the fake clock's `now` follows the wall clock).
  const waiting = limiter.schedule(sleeper(10), { deadline: Date.now() + 1_000 }).catch((error) => ({ at: performance.now(), error }));
  clock.setSystemTime(Date.now() - 60_000); // the wall clock steps back a minute (NTP); performance.now() does not
  await clock.runAllAsync();
  const { at, error } = await waiting;
  assert.equal(at, 1_000);
  assert.ok(error instanceof DeadlineError && error.why === 'expired', String(error));
  await busy;
});
