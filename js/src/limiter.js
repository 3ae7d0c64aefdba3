// The Limiter: the JS side of sluice. It owns the promises, the timers and the AbortSignals;
// the wasm core decides what starts when, what an outcome means, and whether to retry.
// Each task is called from its own caller's continuation (`await admitted; task()`), never from
// the code path that freed a slot for it: in Workers, a task started from another request's
// context never gets its I/O back.
import { Core } from '../wasm/sluice.js';
import * as code from './codes.js';
import { AbortError, EstimateTooLargeError, QueueFullError, QueueTimeoutError, RetryError, TimeoutError } from './errors.js';
import { decodeEvent } from './events.js';
import { checkClass, LIMIT_NAMES, parseJobOptions, parseLimiterOptions } from './options.js';
import { headerLines, readOutcome, responseOf } from './outcome.js';
import { checkUsage, readUsage } from './usage.js';
import * as check from './validate.js';

// setTimeout's longest delay; longer waits re-arm when it fires.
const MAX_DELAY = 2 ** 31 - 1;

// In Workers, a request that waits on a promise only another request resolves, with nothing
// of its own pending, is cancelled as hung. So there each waiting job keeps a timer of its own
// context, re-armed at least this often (see shared/edge-runtimes.md, "Request contexts").
const KEEP_AWAKE_MS = 1_000;
const inWorkers = () => globalThis.navigator?.userAgent === 'Cloudflare-Workers';

/** The host clock: monotonic milliseconds. Read on every call, never at import. */
const now = () => Math.floor(performance.now());

/** The job option behind an estimate that a limit could not hold. */
function estimateOption(limit, split) {
  if (!split) return 'tokens';
  if (limit === 'inputTokensPerMinute') return 'inputTokens';
  if (limit === 'outputTokensPerMinute') return 'maxOutputTokens';
  return 'inputTokens + maxOutputTokens';
}

/** Turns a core rejection `[kind, a, b, c]` of a job with options `o` into its error. */
function rejectionError(kind, a, b, c, o) {
  switch (kind) {
    case code.QUEUE_TIMEOUT:
      return new QueueTimeoutError(a, b);
    case code.TOO_LARGE:
      return new EstimateTooLargeError(estimateOption(LIMIT_NAMES[a], o.inputTokens >= 0), b, LIMIT_NAMES[a], c);
    case code.QUEUE_FULL:
      return new QueueFullError(a);
    default:
      return new Error(`sluice: unknown rejection ${kind}`);
  }
}

/**
 * What a task receives. The AbortSignal is made only if the task reads it: most calls
 * never need one, and a controller per call would cost every call.
 */
class AttemptContext {
  #controller = null;
  #reason = undefined;
  #aborted = false;
  /** @type {{inputTokens: number, outputTokens: number} | null} */
  usage = null;

  constructor(attempt) {
    this.attempt = attempt;
  }

  get signal() {
    if (this.#controller === null) {
      this.#controller = new AbortController();
      if (this.#aborted) this.#controller.abort(this.#reason);
    }
    return this.#controller.signal;
  }

  /** Tells the limiter what the call really used, when the result does not say (streams). */
  reportUsage(usage) {
    this.usage = checkUsage(usage);
  }

  abort(reason) {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#reason = reason;
    this.#controller?.abort(reason);
  }
}

export class Limiter extends EventTarget {
  #core;
  #classify;
  /** Whether the jitter still needs a random seed (drawn at first use, never at import). */
  #unseeded;
  /** Jobs waiting to start: id → { id, resolve, reject, o (its options), onAbort, timer }. */
  #waiting = new Map();
  /** Jobs scheduled and not yet ended: id → their options, for onIdle() and event details. */
  #jobs = new Map();
  #idle = [];
  #timer = null;
  #timerAt = Infinity;
  /** Whether each waiting job holds its own timer (Workers). */
  #ownTimers = inWorkers();

  /** @param {import('../index.js').LimiterOptions} [options] */
  constructor(options) {
    super();
    const o = parseLimiterOptions(options);
    const none = (n) => (n === Infinity || n === undefined ? -1 : n);
    const s = new Float64Array(code.SETTINGS.limits + LIMIT_NAMES.length);
    s[code.SETTINGS.maxConcurrent] = none(o.maxConcurrent);
    s[code.SETTINGS.maxQueue] = none(o.maxQueue);
    s[code.SETTINGS.burst] = o.burst;
    s[code.SETTINGS.adaptive] = o.adaptiveConcurrency ? 1 : 0;
    s[code.SETTINGS.gatePerKey] = o.gatePerKey ? 1 : 0;
    s[code.SETTINGS.maxAttempts] = o.retry.maxAttempts;
    s[code.SETTINGS.baseMs] = o.retry.baseMs;
    s[code.SETTINGS.maxDelayMs] = o.retry.maxDelayMs;
    s[code.SETTINGS.maxRetryAfterMs] = o.retry.maxRetryAfterMs;
    s[code.SETTINGS.budgetTtlMs] = o.retry.budget.ttlMs;
    s[code.SETTINGS.budgetMinPerSec] = o.retry.budget.minPerSec;
    s[code.SETTINGS.budgetPercent] = o.retry.budget.percent;
    s[code.SETTINGS.seed] = none(o.seed);
    o.limits.forEach((limit, i) => (s[code.SETTINGS.limits + i] = none(limit)));
    // No clock is read here: a limiter may be built at a Worker's module scope, where the
    // clock reads 0. The core counts time from its first real reading on.
    this.#core = new Core(s);
    this.#classify = o.classify;
    this.#unseeded = o.seed === undefined;
  }

  /**
   * Runs `task` when the limits allow, and settles with its result.
   * @template T
   * @param {(ctx: AttemptContext) => T | PromiseLike<T>} task
   * @param {import('../index.js').ScheduleOptions} [opts]
   * @returns {Promise<Awaited<T>>}
   */
  schedule(task, opts) {
    check.func('task', task);
    const o = parseJobOptions(opts);
    if (o.signal?.aborted) return Promise.reject(new AbortError(o.signal.reason));
    if (this.#unseeded) {
      this.#unseeded = false;
      this.#core.reseed(Math.floor(Math.random() * 2 ** 53));
    }
    const id = this.#core.submit(
      now(),
      o.key,
      o.priority,
      o.tokens,
      o.inputTokens,
      o.maxOutputTokens,
      o.maxWaitMs === Infinity ? -1 : o.maxWaitMs,
    );
    if (id === 0) {
      const [kind, a, b, c] = this.#core.rejection();
      const error = rejectionError(kind, a, b, c, o);
      this.#emit('dropped', { key: o.key, error });
      // An estimate no budget can hold is a bad argument: thrown, like the others.
      if (error instanceof EstimateTooLargeError) throw error;
      return Promise.reject(error);
    }
    return this.#run(id, task, o);
  }

  /**
   * `fn` as a function that goes through the limiter. `opts` may be a function of the
   * arguments, to estimate each call's tokens.
   */
  wrap(fn, opts) {
    check.func('fn', fn);
    if (typeof opts !== 'function') parseJobOptions(opts);
    return (...args) => this.schedule(() => fn(...args), typeof opts === 'function' ? opts(...args) : opts);
  }

  /** Calls `listener(detail)` on each event of `type`; returns a function that stops it. */
  on(type, listener) {
    check.string('type', type);
    check.func('listener', listener);
    const handler = (event) => listener(event.detail);
    this.addEventListener(type, handler);
    return () => this.removeEventListener(type, handler);
  }

  /** Resolves when no job is queued, backing off or running. */
  onIdle() {
    if (this.#jobs.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  /** A snapshot of the limiter: gauges, counters since it was built, and each budget's level. */
  stats() {
    const s = JSON.parse(this.#core.statsJson());
    const budgets = {};
    for (const { name, ...level } of s.limits) budgets[name] = level;
    delete s.limits;
    if (s.concurrencyLimit === 2 ** 32 - 1) s.concurrencyLimit = Infinity;
    return { ...s, budgets };
  }

  async #run(id, task, o) {
    this.#jobs.set(id, o);
    try {
      for (;;) {
        const attempt = await this.#admission(id, o);
        const ended = await this.#attempt(id, attempt, task, o);
        if (ended.verdict === code.RETRY) continue;
        if (ended.verdict === code.EXHAUSTED) throw ended.error;
        if (ended.threw) throw ended.value;
        return ended.value;
      }
    } finally {
      this.#jobs.delete(id);
      if (this.#jobs.size === 0) this.#resolveIdle();
    }
  }

  /** Waits until the core starts job `id`; resolves with the attempt number. */
  #admission(id, o) {
    const { signal } = o;
    return new Promise((resolve, reject) => {
      const waiter = { id, resolve, reject, o, onAbort: null, timer: null };
      if (signal?.aborted && this.#core.cancel(now(), id)) {
        // Aborted between two attempts: the retry never goes out.
        reject(new AbortError(signal.reason));
        this.#pump();
        return;
      }
      if (signal) {
        waiter.onAbort = () => {
          if (this.#core.cancel(now(), id)) {
            this.#waiting.delete(id);
            if (waiter.timer !== null) clearTimeout(waiter.timer);
            reject(new AbortError(signal.reason));
            this.#pump(); // the job may have held up the head of the queue
          }
        };
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      this.#waiting.set(id, waiter);
      this.#pump();
      if (this.#ownTimers && this.#waiting.has(id)) this.#keepAwake(waiter);
    });
  }

  /** Workers: a timer in the waiting job's own context, at the next wake-up or sooner. */
  #keepAwake(waiter) {
    const t = now();
    const wake = this.#core.nextWake();
    const at = wake < 0 ? t + KEEP_AWAKE_MS : Math.min(wake, t + KEEP_AWAKE_MS);
    waiter.timer = setTimeout(() => {
      waiter.timer = null;
      this.#pump();
      if (this.#waiting.get(waiter.id) === waiter) this.#keepAwake(waiter);
    }, Math.max(0, at - t));
  }

  /**
   * Runs one attempt and reports how it ended. Returns `{ verdict, value, threw, error }`:
   * the core's verdict, what the task returned or threw, and the error to reject with when
   * the retries ran out.
   */
  async #attempt(id, attempt, task, o) {
    const ctx = new AttemptContext(attempt);
    let value;
    let threw = false;
    const watch = this.#watch(ctx, o);
    try {
      const pending = task(ctx);
      value = await (watch ? Promise.race([pending, watch.promise]) : pending);
    } catch (e) {
      // Once the limiter aborted the attempt, its own error stands, whatever the task threw.
      value = watch?.error ?? e;
      threw = true;
    } finally {
      watch?.dispose();
    }
    const seen = readOutcome(value, threw);
    // The caller's abort is final; anything else may be classified by the user's `classify`.
    let kind = watch?.error instanceof AbortError ? code.OUTCOME.aborted : code.CLASSIFY;
    if (kind === code.CLASSIFY && this.#classify) {
      const result = threw ? undefined : value;
      const verdict = checkClass(this.#classify({ result, error: threw ? value : undefined, status: seen.status || undefined, headers: seen.headers }));
      if (verdict !== undefined) kind = code.OUTCOME[verdict];
    }
    if (kind === code.CLASSIFY && watch?.error) kind = code.OUTCOME['timed-out'];
    // A value returned without a status (an SDK's parsed body) is a success.
    if (kind === code.CLASSIFY && !threw && seen.status === 0) kind = code.OUTCOME.success;
    const usage = ctx.usage ?? (threw ? null : readUsage(value));
    const [verdict, a, b] = this.#core.finish(
      now(),
      Date.now(),
      id,
      kind,
      seen.status,
      seen.hint,
      usage ? usage.inputTokens : -1,
      usage ? usage.outputTokens : -1,
      headerLines(seen.headers),
      seen.retryDelay,
    );
    let error;
    if (verdict === code.EXHAUSTED) {
      error = new RetryError({
        attempts: a,
        budget: b === 1,
        status: seen.status,
        headers: seen.headers,
        cause: threw ? value : undefined,
        response: threw ? undefined : (responseOf(value) ?? undefined),
      });
      this.#emit('dropped', { key: o.key, error });
    }
    this.#pump();
    return { verdict, value, threw, error };
  }

  /**
   * Aborts the attempt when the caller's signal fires or `timeoutMs` passes. Returns a promise
   * that rejects then (to race against the task), or null when neither can happen.
   */
  #watch(ctx, { signal, timeoutMs }) {
    if (!signal && timeoutMs === Infinity) return null;
    let reject;
    const promise = new Promise((_, r) => (reject = r));
    const watch = { promise, error: undefined, dispose: null };
    const end = (error, reason) => {
      watch.error = error;
      reject(error); // first, so the race settles with it before the task reacts to the abort
      ctx.abort(reason);
    };
    const onAbort = () => end(new AbortError(signal.reason), signal.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    const timer =
      timeoutMs === Infinity
        ? null
        : setTimeout(() => {
            const error = new TimeoutError(timeoutMs);
            end(error, error);
          }, Math.min(timeoutMs, MAX_DELAY));
    watch.dispose = () => {
      signal?.removeEventListener('abort', onAbort);
      if (timer !== null) clearTimeout(timer);
    };
    return watch;
  }

  /** Asks the core what to do now, carries it out, tells listeners, and sleeps until the next change. */
  #pump() {
    const t = now();
    const out = this.#core.poll(t);
    let keys = null;
    const nextKey = () => (keys ??= this.#core.eventKeys()).shift();
    for (let i = 0; i < out.length; i += 5) {
      const kind = out[i];
      if (kind >= code.RATE_LIMITED) {
        const event = decodeEvent(out, i, this.#jobs, nextKey, t);
        if (event) this.#emit(event[0], event[1]);
        continue;
      }
      const id = out[i + 1];
      const waiter = this.#waiting.get(id);
      this.#waiting.delete(id);
      if (waiter.onAbort) waiter.o.signal.removeEventListener('abort', waiter.onAbort);
      if (waiter.timer !== null) clearTimeout(waiter.timer);
      if (kind === code.START) waiter.resolve(out[i + 2]);
      else {
        const error = rejectionError(kind, out[i + 2], out[i + 3], out[i + 4], waiter.o);
        this.#emit('dropped', { key: waiter.o.key, error });
        waiter.reject(error);
      }
    }
    this.#arm(this.#core.nextWake());
  }

  #emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  /** Keeps one timer, for the earliest instant at which the core has something to do. */
  #arm(wake) {
    if (wake < 0) {
      if (this.#timer !== null) clearTimeout(this.#timer);
      this.#timer = null;
      this.#timerAt = Infinity;
      return;
    }
    if (this.#timer !== null && this.#timerAt <= wake) return;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timerAt = wake;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#timerAt = Infinity;
      this.#pump();
    }, Math.min(Math.max(0, wake - now()), MAX_DELAY));
  }

  #resolveIdle() {
    const waiting = this.#idle;
    this.#idle = [];
    for (const resolve of waiting) resolve();
  }
}
