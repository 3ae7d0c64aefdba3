// Bad options and arguments: each throws a TypeError or RangeError that names the option and
// the value it got, at once, and nothing hangs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Limiter } from 'sluice';

const limiterCases = [
  [{ maxConcurrent: -5 }, RangeError, 'Expected `maxConcurrent` to be a positive integer or Infinity, got -5'],
  [{ maxConcurrent: 0 }, RangeError, 'Expected `maxConcurrent` to be a positive integer or Infinity, got 0'],
  [{ maxConcurrent: 2.5 }, RangeError, 'Expected `maxConcurrent` to be a positive integer or Infinity, got 2.5'],
  [{ maxConcurrent: NaN }, RangeError, 'Expected `maxConcurrent` to be a positive integer or Infinity, got NaN'],
  [{ maxConcurrent: '8' }, TypeError, 'Expected `maxConcurrent` to be a positive integer or Infinity, got "8" (a string)'],
  [{ maxConcurrent: null }, TypeError, 'Expected `maxConcurrent` to be a positive integer or Infinity, got null'],
  [{ requestsPerMinute: -5 }, RangeError, 'Expected `requestsPerMinute` to be a positive integer, got -5'],
  [{ requestsPerMinute: Infinity }, RangeError, 'Expected `requestsPerMinute` to be a positive integer, got Infinity'],
  [{ tokensPerMinute: 0 }, RangeError, 'Expected `tokensPerMinute` to be a positive integer, got 0'],
  [{ inputTokensPerMinute: 1e400 }, RangeError, 'Expected `inputTokensPerMinute` to be a positive integer, got Infinity'],
  [{ outputTokensPerMinute: '1000' }, TypeError, 'Expected `outputTokensPerMinute` to be a positive integer, got "1000" (a string)'],
  [{ requestsPerDay: 10n }, TypeError, 'Expected `requestsPerDay` to be a positive integer, got 10n (a bigint)'],
  [{ tokensPerDay: -Infinity }, RangeError, 'Expected `tokensPerDay` to be a positive integer, got -Infinity'],
  [{ maxQueue: -1 }, RangeError, 'Expected `maxQueue` to be an integer ≥ 0 or Infinity, got -1'],
  [{ burst: 0 }, RangeError, 'Expected `burst` to be a number in (0, 1], got 0'],
  [{ burst: 1.5 }, RangeError, 'Expected `burst` to be a number in (0, 1], got 1.5'],
  [{ burst: NaN }, RangeError, 'Expected `burst` to be a number in (0, 1], got NaN'],
  [{ burst: 'all' }, TypeError, 'Expected `burst` to be a number in (0, 1], got "all" (a string)'],
  [{ retry: 'yes' }, TypeError, 'Expected `retry` to be an object, got "yes" (a string)'],
  [{ retry: { maxAttempts: 0 } }, RangeError, 'Expected `retry.maxAttempts` to be a positive integer, got 0'],
  [{ retry: { baseMs: 1.5 } }, RangeError, 'Expected `retry.baseMs` to be a positive integer, got 1.5'],
  [{ retry: { maxDelayMs: 10, baseMs: 100 } }, RangeError, 'Expected `retry.maxDelayMs` to be at least `retry.baseMs`, got 10'],
  [{ retry: { maxRetryAfterMs: -1 } }, RangeError, 'Expected `retry.maxRetryAfterMs` to be an integer ≥ 0, got -1'],
  [{ retry: { budget: { percent: -1 } } }, RangeError, 'Expected `retry.budget.percent` to be an integer ≥ 0, got -1'],
  [{ retry: { budget: { ttl: 5 } } }, TypeError, /^Unknown option `ttl` in `retry.budget`; known options: ttlMs, minPerSec, percent$/],
  [{ retry: { tries: 3 } }, TypeError, /^Unknown option `tries` in `retry`; known options: maxAttempts, /],
  [{ adaptiveConcurrency: 1 }, TypeError, 'Expected `adaptiveConcurrency` to be a boolean, got 1'],
  [{ calibrate: 'yes' }, TypeError, 'Expected `calibrate` to be a boolean, got "yes" (a string)'],
  [{ gate: 'tenant' }, RangeError, 'Expected `gate` to be "limiter" or "key", got "tenant" (a string)'],
  [{ gate: true }, TypeError, 'Expected `gate` to be "limiter" or "key", got true'],
  [{ seed: -1 }, RangeError, 'Expected `seed` to be an integer ≥ 0, got -1'],
  [{ classify: 'retry' }, TypeError, 'Expected `classify` to be a function, got "retry" (a string)'],
  [{ attemptLeaseMs: 0 }, RangeError, 'Expected `attemptLeaseMs` to be a positive integer or Infinity, got 0'],
  [{ maxConcurent: 5 }, TypeError, /^Unknown option `maxConcurent` in `options`; known options: maxConcurrent, /],
  [5, TypeError, 'Expected `options` to be an object, got 5'],
  [null, TypeError, 'Expected `options` to be an object, got null'],
  [[], TypeError, 'Expected `options` to be an object, got an array'],
];

for (const [options, ErrorClass, message] of limiterCases) {
  test(`new Limiter(${JSON.stringify(options, (_, v) => (typeof v === 'bigint' ? `${v}n` : v))}) throws`, () => {
    assert.throws(() => new Limiter(options), (e) => {
      assert.equal(e.constructor, ErrorClass);
      if (message instanceof RegExp) assert.match(e.message, message);
      else assert.equal(e.message, message);
      return true;
    });
  });
}

test('good options are accepted, undefined ones ignored', () => {
  const limiter = new Limiter({
    maxConcurrent: Infinity,
    requestsPerMinute: 500,
    tokensPerMinute: 90_000,
    inputTokensPerMinute: 80_000,
    outputTokensPerMinute: 16_000,
    requestsPerDay: 10_000,
    tokensPerDay: 1_000_000,
    maxQueue: 0,
    burst: 0.25,
  });
  const { budgets, concurrencyLimit } = limiter.stats();
  assert.equal(concurrencyLimit, Infinity); // no cap, and the budgets pace
  assert.equal(new Limiter().stats().concurrencyLimit, 10); // told nothing: slow start from 10
  assert.equal(new Limiter({ adaptiveConcurrency: false }).stats().concurrencyLimit, Infinity);
  assert.deepEqual(budgets.tokensPerMinute, { limit: 90_000, windowMs: 60_000, capacity: 22_500, available: 22_500, learned: false });
  assert.equal(Object.keys(budgets).length, 6);
  const sparse = new Limiter({ maxConcurrent: 8, tokensPerMinute: undefined });
  assert.equal(sparse.stats().concurrencyLimit, 8);
  assert.deepEqual(sparse.stats().budgets, {});
});

const jobCases = [
  [{ tokens: -1 }, RangeError, 'Expected `tokens` to be an integer ≥ 0, got -1'],
  [{ tokens: 1.5 }, RangeError, 'Expected `tokens` to be an integer ≥ 0, got 1.5'],
  [{ tokens: NaN }, RangeError, 'Expected `tokens` to be an integer ≥ 0, got NaN'],
  [{ tokens: Infinity }, RangeError, 'Expected `tokens` to be an integer ≥ 0, got Infinity'],
  [{ tokens: '100' }, TypeError, 'Expected `tokens` to be an integer ≥ 0, got "100" (a string)'],
  [{ inputTokens: -3, maxOutputTokens: 10 }, RangeError, 'Expected `inputTokens` to be an integer ≥ 0, got -3'],
  [{ inputTokens: 3, maxOutputTokens: NaN }, RangeError, 'Expected `maxOutputTokens` to be an integer ≥ 0, got NaN'],
  [{ tokens: 5, inputTokens: 3 }, TypeError, 'Give either `tokens` or `inputTokens` with `maxOutputTokens`, not both'],
  [{ priority: NaN }, RangeError, 'Expected `priority` to be a finite number, got NaN'],
  [{ priority: Infinity }, RangeError, 'Expected `priority` to be a finite number, got Infinity'],
  [{ priority: 'high' }, TypeError, 'Expected `priority` to be a finite number, got "high" (a string)'],
  [{ key: 42 }, TypeError, 'Expected `key` to be a string, got 42'],
  [{ key: null }, TypeError, 'Expected `key` to be a string, got null'],
  [{ signal: {} }, TypeError, 'Expected `signal` to be an AbortSignal, got an object'],
  [{ signal: true }, TypeError, 'Expected `signal` to be an AbortSignal, got true'],
  [{ maxWaitMs: -1 }, RangeError, 'Expected `maxWaitMs` to be a non-negative finite number or Infinity, got -1'],
  [{ maxWaitMs: NaN }, RangeError, 'Expected `maxWaitMs` to be a non-negative finite number or Infinity, got NaN'],
  [{ timeoutMs: 0 }, RangeError, 'Expected `timeoutMs` to be a positive finite number or Infinity, got 0'],
  [{ timeoutMs: '5s' }, TypeError, 'Expected `timeoutMs` to be a positive finite number or Infinity, got "5s" (a string)'],
  [{ retries: 3 }, TypeError, /^Unknown option `retries` in `opts`; known options: tokens, /],
  ['fast', TypeError, 'Expected `opts` to be an object, got "fast" (a string)'],
];

for (const [opts, ErrorClass, message] of jobCases) {
  test(`schedule(task, ${JSON.stringify(opts)}) throws`, () => {
    const limiter = new Limiter({ maxConcurrent: 1 });
    assert.throws(() => limiter.schedule(() => 1, opts), (e) => {
      assert.equal(e.constructor, ErrorClass);
      if (message instanceof RegExp) assert.match(e.message, message);
      else assert.equal(e.message, message);
      return true;
    });
    assert.equal(limiter.stats().submitted, 0, 'a bad call must not queue anything');
  });
}

test('a task that is not a function throws a TypeError', () => {
  const limiter = new Limiter();
  for (const [task, got] of [[undefined, 'undefined'], ['fetch', '"fetch" (a string)'], [Promise.resolve(1), 'an object']]) {
    assert.throws(() => limiter.schedule(task), { name: 'TypeError', message: `Expected \`task\` to be a function, got ${got}` });
  }
  assert.throws(() => limiter.wrap(42), { name: 'TypeError', message: 'Expected `fn` to be a function, got 42' });
  assert.throws(() => limiter.wrap(() => 1, { tokens: -1 }), RangeError);
});

test('reportUsage with a bad shape throws in the task, and the job fails with that error', async () => {
  const limiter = new Limiter();
  await assert.rejects(
    limiter.schedule((ctx) => ctx.reportUsage({ inputTokens: -1 })),
    { name: 'TypeError', message: 'Expected `reportUsage` to get { inputTokens, outputTokens } as non-negative integers' },
  );
  assert.equal(limiter.stats().inFlight, 0);
});
