// The Limiter seen from JS, against the built package, on a fake clock.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Limiter,
  AbortError,
  QueueTimeoutError,
  TimeoutError,
  QueueFullError,
  EstimateTooLargeError,
  SluiceError,
} from 'sluice';
import { useFakeClock, deferred, settleTimes } from './support/clock.js';

/** A task that takes `ms` on the fake clock and returns `value`. */
const sleeper = (ms, value) => () => new Promise((resolve) => setTimeout(() => resolve(value), ms));

test('never more than maxConcurrent in flight', async (t) => {
  const clock = useFakeClock(t);
  const limiter = new Limiter({ maxConcurrent: 3 });
  let running = 0;
  let peak = 0;
  const jobs = Array.from({ length: 20 }, (_, i) =>
    limiter.schedule(async () => {
      running += 1;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, 100 + (i % 4) * 37));
      running -= 1;
      return i;
    }),
  );
  await clock.runAllAsync();
  assert.deepEqual(await Promise.all(jobs), [...Array(20).keys()]);
  assert.equal(peak, 3);
  assert.equal(limiter.stats().inFlight, 0);
});

test('requests per minute: the burst goes out, then one per refill', async (t) => {
  const clock = useFakeClock(t);
  const limiter = new Limiter({ requestsPerMinute: 60 });
  const starts = [];
  const jobs = Array.from({ length: 63 }, () => limiter.schedule(() => starts.push(clock.now)));
  await clock.tickAsync(5_000);
  await Promise.all(jobs);
  assert.equal(starts.filter((s) => s === 0).length, 60);
  // The refill starts once the first requests reach the provider (250 ms are allowed for the trip).
  assert.deepEqual(starts.slice(60), [1_250, 2_250, 3_250]);
});

test('in no minute do admitted tokens exceed the budget plus the burst', async (t) => {
  const clock = useFakeClock(t);
  const tpm = 10_000;
  const limiter = new Limiter({ tokensPerMinute: tpm, maxConcurrent: 8 });
  const admitted = [];
  const jobs = Array.from({ length: 120 }, (_, i) => {
    const tokens = 200 + ((i * 7919) % 800);
    return limiter.schedule(async () => {
      admitted.push([clock.now, tokens]);
      await new Promise((r) => setTimeout(r, 500));
      return { usage: { prompt_tokens: tokens / 2, completion_tokens: tokens / 2 } }; // exactly the estimate
    }, { tokens });
  });
  await clock.runAllAsync();
  await Promise.all(jobs);
  for (const [start] of admitted) {
    const inWindow = admitted.filter(([at]) => at >= start && at < start + 60_000).reduce((s, [, n]) => s + n, 0);
    assert.ok(inWindow <= tpm * 2, `${inWindow} tokens within a minute of ${start}`);
  }
  // and the pace is the budget's: the whole demand minus the burst, at tpm per minute
  const demand = admitted.reduce((s, [, n]) => s + n, 0);
  const last = Math.max(...admitted.map(([at]) => at));
  assert.ok(last >= ((demand - tpm - 1_000) / tpm) * 60_000, `last start ${last} too early for ${demand} tokens`);
});

test('higher priority first; keys share fairly within a priority', async (t) => {
  const clock = useFakeClock(t);
  const limiter = new Limiter({ maxConcurrent: 1 });
  const order = [];
  const job = (name, opts) => limiter.schedule(sleeper(10, name), opts).then((n) => order.push(n));
  const all = [job('first')];
  for (let i = 0; i < 4; i++) all.push(job(`flood${i}`, { key: 'flood' }));
  all.push(job('small0', { key: 'small' }), job('small1', { key: 'small' }));
  all.push(job('urgent', { priority: 5 }));
  all.push(job('background', { priority: -1 }));
  await clock.runAllAsync();
  await Promise.all(all);
  assert.deepEqual(order, ['first', 'urgent', 'flood0', 'small0', 'flood1', 'small1', 'flood2', 'flood3', 'background']);
});

test('usage read from an OpenAI-shaped result settles the budget', async (t) => {
  useFakeClock(t);
  const limiter = new Limiter({ tokensPerMinute: 10_000 });
  await limiter.schedule(() => ({ usage: { prompt_tokens: 300, completion_tokens: 200, total_tokens: 500 } }), { tokens: 4_000 });
  assert.equal(limiter.stats().budgets.tokensPerMinute.available, 9_500);
});

test('usage read from an Anthropic-shaped result settles input and output apart', async (t) => {
  useFakeClock(t);
  const limiter = new Limiter({ inputTokensPerMinute: 10_000, outputTokensPerMinute: 2_000 });
  await limiter.schedule(
    () => ({ type: 'message', usage: { input_tokens: 1_000, output_tokens: 150, cache_creation_input_tokens: 200, cache_read_input_tokens: 5_000 } }),
    { inputTokens: 1_200, maxOutputTokens: 1_000 },
  );
  const { budgets } = limiter.stats();
  assert.equal(budgets.inputTokensPerMinute.available, 8_800); // cache reads do not count
  assert.equal(budgets.outputTokensPerMinute.available, 1_850);
});

test('reportUsage wins over the result, and overuse becomes a debt that delays', async (t) => {
  const clock = useFakeClock(t);
  const limiter = new Limiter({ tokensPerMinute: 6_000, calibrate: false }); // the debt alone (calibration would also raise the next reservation)
  await limiter.schedule((ctx) => {
    ctx.reportUsage({ inputTokens: 5_000, outputTokens: 3_000 }); // a stream: the result has no usage
    return 'streamed';
  }, { tokens: 1_000 });
  assert.equal(limiter.stats().budgets.tokensPerMinute.available, -2_000);
  const [next] = settleTimes(clock, [limiter.schedule(() => 'next', { tokens: 1_000 })]);
  await clock.tickAsync(60_000);
  assert.deepEqual(await next, { at: 30_250, value: 'next' }); // 3_000 tokens at 100/s, after the 250 ms trip
});

test('a task that throws rejects with its own error and frees its slot', async (t) => {
  const clock = useFakeClock(t);
  const limiter = new Limiter({ maxConcurrent: 1 });
  const boom = new Error('boom');
  const failing = limiter.schedule(() => {
    throw boom;
  });
  const rejecting = limiter.schedule(() => Promise.reject(boom));
  const after = limiter.schedule(() => 'ran');
  await assert.rejects(failing, (e) => e === boom);
  await assert.rejects(rejecting, (e) => e === boom);
  await clock.tickAsync(0);
  assert.equal(await after, 'ran');
  const s = limiter.stats();
  assert.equal(s.failed, 2);
  assert.equal(s.completed, 1);
  assert.equal(s.inFlight, 0);
});

test('a task that never settles times out, is aborted, and frees its slot', async (t) => {
  const clock = useFakeClock(t);
  const limiter = new Limiter({ maxConcurrent: 1 });
  let seen;
  const hung = limiter.schedule(({ signal }) => {
    seen = signal;
    return new Promise(() => {});
  }, { timeoutMs: 5_000 });
  const [next] = settleTimes(clock, [limiter.schedule(() => 'next')]);
  const [timedOut] = settleTimes(clock, [hung]);
  await clock.tickAsync(5_000);
  const r = await timedOut;
  assert.equal(r.at, 5_000);
  assert.ok(r.error instanceof TimeoutError && r.error.code === 'TIMEOUT' && r.error.timeoutMs === 5_000);
  assert.ok(seen.aborted && seen.reason instanceof TimeoutError);
  assert.deepEqual(await next, { at: 5_000, value: 'next' });
  assert.equal(limiter.stats().timedOut, 1);
});

test('abort before scheduling rejects at once and runs nothing', async (t) => {
  useFakeClock(t);
  const limiter = new Limiter();
  const controller = new AbortController();
  controller.abort(new Error('changed my mind'));
  let ran = false;
  const job = limiter.schedule(() => (ran = true), { signal: controller.signal });
  await assert.rejects(job, (e) => e instanceof AbortError && e.code === 'ABORTED' && e.reason.message === 'changed my mind');
  assert.equal(ran, false);
  assert.equal(limiter.stats().submitted, 0);
});

test('abort while queued: the job leaves the queue, the next one moves up', async (t) => {
  const clock = useFakeClock(t);
  const limiter = new Limiter({ maxConcurrent: 1 });
  const controller = new AbortController();
  const running = limiter.schedule(sleeper(1_000, 'a'));
  let ran = false;
  const [aborted] = settleTimes(clock, [limiter.schedule(() => (ran = true), { signal: controller.signal })]);
  const [third] = settleTimes(clock, [limiter.schedule(() => 'c')]);
  await clock.tickAsync(100);
  controller.abort();
  const r = await aborted;
  assert.ok(r.error instanceof AbortError && r.at === 100);
  assert.equal(limiter.stats().queued, 1);
  await clock.tickAsync(1_000);
  assert.equal(await running, 'a');
  assert.deepEqual(await third, { at: 1_000, value: 'c' });
  assert.equal(ran, false);
  assert.equal(limiter.stats().cancelled, 1);
});

test('abort while running: the task sees its signal fire, the caller gets an AbortError', async (t) => {
  const clock = useFakeClock(t);
  const limiter = new Limiter({ maxConcurrent: 1 });
  const controller = new AbortController();
  let taskSignal;
  const job = limiter.schedule(({ signal }) => {
    taskSignal = signal;
    return new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
  }, { signal: controller.signal });
  const [next] = settleTimes(clock, [limiter.schedule(() => 'next')]);
  await clock.tickAsync(50);
  controller.abort('stop');
  await assert.rejects(job, (e) => e instanceof AbortError && e.reason === 'stop');
  assert.ok(taskSignal.aborted);
  assert.deepEqual(await next, { at: 50, value: 'next' });
});

test('maxWaitMs: a job that waits too long rejects at its deadline', async (t) => {
  const clock = useFakeClock(t);
  const limiter = new Limiter({ maxConcurrent: 1 });
  limiter.schedule(sleeper(10_000));
  const [waiting] = settleTimes(clock, [limiter.schedule(() => 'never', { maxWaitMs: 2_500 })]);
  await clock.tickAsync(3_000);
  const r = await waiting;
  assert.equal(r.at, 2_500);
  assert.ok(r.error instanceof QueueTimeoutError && r.error.code === 'QUEUE_TIMEOUT' && r.error.maxWaitMs === 2_500);
});

test('maxWaitMs: rejected at once when the budget makes it certain', async (t) => {
  useFakeClock(t);
  const limiter = new Limiter({ requestsPerDay: 5 });
  for (let i = 0; i < 5; i++) await limiter.schedule(() => i);
  const started = performance.now();
  await assert.rejects(limiter.schedule(() => 'x', { maxWaitMs: 60_000 }), (e) => e instanceof QueueTimeoutError && e.waitedMs === 0);
  assert.equal(performance.now(), started);
});

test('maxQueue: a job beyond it rejects with QueueFullError', async (t) => {
  const clock = useFakeClock(t);
  const limiter = new Limiter({ maxConcurrent: 1, maxQueue: 2 });
  const jobs = [0, 1, 2].map((i) => limiter.schedule(sleeper(100, i)));
  await assert.rejects(limiter.schedule(() => 'x'), (e) => e instanceof QueueFullError && e.code === 'QUEUE_FULL' && e.maxQueue === 2);
  await clock.runAllAsync();
  assert.deepEqual(await Promise.all(jobs), [0, 1, 2]);
});

test('an estimate larger than a budget can hold throws a RangeError at once', (t) => {
  useFakeClock(t);
  const limiter = new Limiter({ tokensPerMinute: 1_000, outputTokensPerMinute: 100 });
  assert.throws(() => limiter.schedule(() => 1, { tokens: 1_001 }), {
    name: 'EstimateTooLargeError',
    code: 'ESTIMATE_TOO_LARGE',
    message: 'Expected `tokens` to be at most 1000, what `tokensPerMinute` allows at once, got 1001',
  });
  assert.throws(() => limiter.schedule(() => 1, { inputTokens: 10, maxOutputTokens: 500 }), (e) =>
    e instanceof EstimateTooLargeError && e instanceof RangeError && e.option === 'maxOutputTokens' && e.limit === 'outputTokensPerMinute',
  );
});

test('errors are exported classes, each with a code', () => {
  for (const E of [AbortError, QueueTimeoutError, TimeoutError, QueueFullError]) {
    assert.ok(E.prototype instanceof SluiceError);
  }
  assert.equal(new QueueFullError(3).name, 'QueueFullError');
});

test('the task gets its attempt number and a signal', async (t) => {
  useFakeClock(t);
  const limiter = new Limiter();
  const ctx = await limiter.schedule((c) => ({ attempt: c.attempt, aborted: c.signal.aborted }));
  assert.deepEqual(ctx, { attempt: 1, aborted: false });
});

test('wrap: a function that goes through the limiter, options from its arguments', async (t) => {
  const clock = useFakeClock(t);
  const limiter = new Limiter({ maxConcurrent: 1, tokensPerMinute: 60_000 });
  const double = limiter.wrap(async (x) => {
    await new Promise((r) => setTimeout(r, 10));
    return x * 2;
  }, (x) => ({ tokens: x }));
  const results = Promise.all([double(1), double(2), double(3)]);
  await clock.runAllAsync();
  assert.deepEqual(await results, [2, 4, 6]);
  assert.equal(limiter.stats().completed, 3);
});

test('onIdle resolves once nothing is queued or running', async (t) => {
  const clock = useFakeClock(t);
  const limiter = new Limiter({ maxConcurrent: 2 });
  await limiter.onIdle();
  for (let i = 0; i < 5; i++) limiter.schedule(sleeper(100 * (i + 1)));
  const [idle] = settleTimes(clock, [limiter.onIdle()]);
  await clock.runAllAsync();
  assert.equal((await idle).at, 900); // 100+300+500 on one slot, 200+400 on the other
});

test('10 000 jobs through one limiter, each ends exactly once', async (t) => {
  const clock = useFakeClock(t);
  const limiter = new Limiter({ maxConcurrent: 50, requestsPerMinute: 6_000, tokensPerMinute: 2_000_000 });
  let running = 0;
  let peak = 0;
  const settled = new Array(10_000).fill(0);
  const started = new Array(10_000).fill(false);
  let resolved = 0;
  let abortedQueued = 0;
  const jobs = [];
  for (let i = 0; i < 10_000; i++) {
    const controller = i % 97 === 0 ? new AbortController() : undefined;
    const p = limiter.schedule(async ({ signal }) => {
      started[i] = true;
      running += 1;
      peak = Math.max(peak, running);
      try {
        // Like fetch, the call stops when its signal fires: an aborted attempt frees its slot at once.
        await new Promise((resolve, reject) => {
          const timer = setTimeout(resolve, 200 + (i % 13) * 50);
          signal.addEventListener('abort', () => (clearTimeout(timer), reject(signal.reason)));
        });
      } finally {
        running -= 1;
      }
      if (i % 101 === 0) throw new Error(`job ${i} failed`);
      return { usage: { prompt_tokens: 100, completion_tokens: i % 300 } };
    }, { tokens: 500, priority: i % 3, key: `k${i % 7}`, signal: controller?.signal });
    if (controller) setTimeout(() => controller.abort(), 1_000 + i);
    jobs.push(
      p.then(
        () => ((settled[i] += 1), (resolved += 1)),
        (e) => ((settled[i] += 1), (abortedQueued += e instanceof AbortError && !started[i] ? 1 : 0)),
      ),
    );
  }
  await clock.runAllAsync();
  await Promise.all(jobs);
  assert.ok(settled.every((n) => n === 1));
  assert.equal(peak, 50);
  const s = limiter.stats();
  assert.equal(s.inFlight + s.queued, 0);
  assert.equal(s.submitted, 10_000);
  assert.equal(s.completed, resolved);
  assert.ok(abortedQueued > 0);
  assert.equal(s.completed + s.failed + abortedQueued, 10_000);
  assert.equal(s.admitted, started.filter(Boolean).length);
  // The pace is the RPM's: 10 000 requests at 100/s after a burst of 6 000.
  assert.ok(clock.now >= 38_000, `finished at ${clock.now}`);
});

test('an attempt that never ends gives its slot back when its lease runs out', async (t) => {
  const clock = useFakeClock(t);
  const limiter = new Limiter({ maxConcurrent: 1, attemptLeaseMs: 60_000 });
  limiter.schedule(() => new Promise(() => {})); // its caller's context is gone: it never settles
  const [next] = settleTimes(clock, [limiter.schedule(() => 'next')]);
  await clock.tickAsync(60_000);
  assert.deepEqual(await next, { at: 60_000, value: 'next' });
  assert.equal(limiter.stats().lost, 1);
});

test('reportUsage works destructured, as the README writes it: task({ signal, attempt, reportUsage })', async () => {
  const limiter = new Limiter({ tokensPerMinute: 10_000 });
  await limiter.schedule(({ signal, attempt, reportUsage }) => {
    assert.equal(attempt, 1);
    assert.equal(signal.aborted, false);
    reportUsage({ inputTokens: 30, outputTokens: 20 });
    return 'done';
  }, { tokens: 1_000 });
  assert.equal(limiter.stats().tokens.used, 50);
});
