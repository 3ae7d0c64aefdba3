// The Limiter: the JS side of sluice. It owns the promises, the timers and the AbortSignals;
// the wasm core decides what starts when. Each task is called from its own caller's
// continuation (`await admitted; task()`), never from the code path that freed a slot for it:
// in Workers, a task started from another request's context never gets its I/O back.
import { Core } from '../wasm/sluice.js';
import { AbortError, EstimateTooLargeError, QueueFullError, QueueTimeoutError, TimeoutError } from './errors.js';
import { LIMIT_NAMES, parseJobOptions, parseLimiterOptions } from './options.js';
import { checkUsage, readUsage } from './usage.js';
import * as check from './validate.js';

// Decision kinds from the core (src/wasm/mod.rs).
const START = 1;
const QUEUE_TIMEOUT = 2;
const TOO_LARGE = 3;
const QUEUE_FULL = 4;

// Outcome kinds for Core.finish.
const SUCCESS = 0;
const FAILURE = 1;
const ABORTED = 2;
const TIMED_OUT = 3;

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
    case QUEUE_TIMEOUT:
      return new QueueTimeoutError(a, b);
    case TOO_LARGE:
      return new EstimateTooLargeError(estimateOption(LIMIT_NAMES[a], o.inputTokens >= 0), b, LIMIT_NAMES[a], c);
    case QUEUE_FULL:
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

export class Limiter {
  #core;
  /** Jobs waiting to start: id → { resolve, reject, o (its options), onAbort }. */
  #waiting = new Map();
  /** Jobs scheduled and not yet ended, for onIdle(). */
  #active = 0;
  #idle = [];
  #timer = null;
  #timerAt = Infinity;
  /** Whether each waiting job holds its own timer (Workers). */
  #ownTimers = inWorkers();

  /** @param {import('../index.js').LimiterOptions} [options] */
  constructor(options) {
    const o = parseLimiterOptions(options);
    const none = (n) => (n === Infinity || n === undefined ? -1 : n);
    // Time 0, not the clock: a limiter may be built at a Worker's module scope, where no clock
    // may be read. The core only counts time from the first real reading on.
    this.#core = new Core(0, none(o.maxConcurrent), none(o.maxQueue), o.burst, o.limits.map(none));
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

  /** Resolves when no job is queued or running. */
  onIdle() {
    if (this.#active === 0) return Promise.resolve();
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
    this.#active += 1;
    try {
      const attempt = await this.#admission(id, o);
      return await this.#attempt(id, attempt, task, o);
    } finally {
      this.#active -= 1;
      if (this.#active === 0) this.#resolveIdle();
    }
  }

  /** Waits until the core starts job `id`; resolves with the attempt number. */
  #admission(id, o) {
    const { signal } = o;
    return new Promise((resolve, reject) => {
      const waiter = { id, resolve, reject, o, onAbort: null, timer: null };
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

  async #attempt(id, attempt, task, o) {
    const ctx = new AttemptContext(attempt);
    let kind = SUCCESS;
    let error;
    let result;
    const ended = this.#watch(ctx, o);
    try {
      const value = task(ctx);
      result = await (ended ? Promise.race([value, ended.promise]) : value);
    } catch (e) {
      // Once the limiter aborted the attempt, its own error stands, whatever the task threw.
      error = ended?.error ?? e;
      kind = ended?.error ? (ended.error instanceof TimeoutError ? TIMED_OUT : ABORTED) : FAILURE;
    } finally {
      ended?.dispose();
    }
    const usage = kind === SUCCESS ? (ctx.usage ?? readUsage(result)) : ctx.usage;
    this.#core.finish(now(), id, kind, usage ? usage.inputTokens : -1, usage ? usage.outputTokens : -1);
    this.#pump();
    if (kind !== SUCCESS) throw error;
    return result;
  }

  /**
   * Aborts the attempt when the caller's signal fires or `timeoutMs` passes. Returns a promise
   * that rejects then (to race against the task), or null when neither can happen.
   */
  #watch(ctx, { signal, timeoutMs }) {
    if (!signal && timeoutMs === Infinity) return null;
    let reject;
    const promise = new Promise((_, r) => (reject = r));
    const ended = { promise, error: undefined, dispose: null };
    const end = (error, reason) => {
      ended.error = error;
      reject(error); // first, so the race settles with it before the task reacts to the abort
      ctx.abort(reason);
    };
    const onAbort = () => end(new AbortError(signal.reason), signal.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    const timer = timeoutMs === Infinity ? null : setTimeout(() => {
      const error = new TimeoutError(timeoutMs);
      end(error, error);
    }, Math.min(timeoutMs, MAX_DELAY));
    ended.dispose = () => {
      signal?.removeEventListener('abort', onAbort);
      if (timer !== null) clearTimeout(timer);
    };
    return ended;
  }

  /** Asks the core what to do now, carries it out, and sleeps until the next change. */
  #pump() {
    const decisions = this.#core.poll(now());
    for (let i = 0; i < decisions.length; i += 5) {
      const id = decisions[i + 1];
      const waiter = this.#waiting.get(id);
      this.#waiting.delete(id);
      if (waiter.onAbort) waiter.o.signal.removeEventListener('abort', waiter.onAbort);
      if (waiter.timer !== null) clearTimeout(waiter.timer);
      if (decisions[i] === START) waiter.resolve(decisions[i + 2]);
      else waiter.reject(rejectionError(decisions[i], decisions[i + 2], decisions[i + 3], decisions[i + 4], waiter.o));
    }
    this.#arm(this.#core.nextWake());
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
