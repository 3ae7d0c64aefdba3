// Invariants of the Limiter seen from JS, for random workloads (fast-check), on a fake clock:
// attempts that succeed, throw, meet a 429 with Retry-After, hang past their timeout, or are
// aborted by their caller, queued or running.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import FakeTimers from '@sinonjs/fake-timers';
import { Limiter } from 'sluice';

const outcome = fc.oneof(
  fc.constant({ kind: 'ok' }),
  fc.constant({ kind: 'throw' }),
  fc.record({ kind: fc.constant('429'), retryAfterS: fc.integer({ min: 0, max: 3 }) }),
  fc.constant({ kind: 'hang' }),
);

const job = fc.record({
  ms: fc.integer({ min: 0, max: 2_000 }),
  outcomes: fc.array(outcome, { minLength: 1, maxLength: 4 }),
  priority: fc.integer({ min: -1, max: 1 }),
  key: fc.constantFrom(undefined, 'a', 'b'),
  abortAfterMs: fc.option(fc.integer({ min: 0, max: 5_000 }), { freq: 4 }),
  tokens: fc.integer({ min: 0, max: 3_000 }),
});

const setup = fc.record({
  maxConcurrent: fc.integer({ min: 1, max: 5 }),
  maxAttempts: fc.integer({ min: 1, max: 4 }),
  tokensPerMinute: fc.option(fc.integer({ min: 3_000, max: 50_000 }), { freq: 2 }),
  gate: fc.constantFrom('limiter', 'key'),
  seed: fc.nat(),
});

/** An error the way the SDKs throw a 429. */
const rateLimited = (s) => Object.assign(new Error('429'), { status: 429, headers: new Headers({ 'retry-after': String(s) }) });

test('every job settles exactly once, within maxConcurrent, and the limiter ends idle', async () => {
  await fc.assert(
    fc.asyncProperty(setup, fc.array(job, { minLength: 1, maxLength: 30 }), async (s, jobs) => {
      const clock = FakeTimers.install({ toFake: ['setTimeout', 'clearTimeout', 'Date', 'performance'], now: 0, loopLimit: 100_000 });
      try {
        const limiter = new Limiter({
          maxConcurrent: s.maxConcurrent,
          retry: { maxAttempts: s.maxAttempts },
          gate: s.gate,
          seed: s.seed,
          ...(s.tokensPerMinute ? { tokensPerMinute: s.tokensPerMinute } : {}),
        });
        let running = 0;
        let peak = 0;
        const settled = jobs.map(() => 0);
        const promises = jobs.map((j, i) => {
          const controller = j.abortAfterMs === null ? undefined : new AbortController();
          if (controller) setTimeout(() => controller.abort(), j.abortAfterMs);
          let attempt = 0;
          const task = ({ signal }) => {
            const o = j.outcomes[attempt++ % j.outcomes.length];
            running += 1;
            peak = Math.max(peak, running);
            return new Promise((resolve, reject) => {
              const done = (f) => {
                running -= 1;
                f();
              };
              if (o.kind === 'hang') {
                signal.addEventListener('abort', () => done(() => reject(signal.reason)));
                return;
              }
              const timer = setTimeout(
                () => done(() => (o.kind === 'ok' ? resolve(i) : reject(o.kind === '429' ? rateLimited(o.retryAfterS) : new Error('boom')))),
                j.ms,
              );
              signal.addEventListener('abort', () => (clearTimeout(timer), done(() => reject(signal.reason))));
            });
          };
          const opts = { priority: j.priority, key: j.key, signal: controller?.signal, timeoutMs: 10_000 };
          if (s.tokensPerMinute) opts.tokens = Math.min(j.tokens, s.tokensPerMinute);
          return limiter.schedule(task, opts).then(
            () => (settled[i] += 1),
            () => (settled[i] += 1),
          );
        });
        const idle = limiter.onIdle();
        await clock.runAllAsync();
        await Promise.all(promises);
        await idle;
        assert.deepEqual(settled, jobs.map(() => 1));
        assert.ok(peak <= s.maxConcurrent, `peak ${peak} > ${s.maxConcurrent}`);
        const st = limiter.stats();
        assert.deepEqual([st.inFlight, st.queued, st.backingOff, st.keys], [0, 0, 0, 0]);
        assert.equal(st.submitted, jobs.length);
        assert.ok(st.admitted <= jobs.length * s.maxAttempts);
      } finally {
        clock.uninstall();
      }
    }),
    { numRuns: 150 },
  );
});
