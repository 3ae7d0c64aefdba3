// One attempt of a job: the context its task receives, and the watch that aborts it when the
// caller's signal fires, its `timeoutMs` passes or its job's deadline comes.
import { AbortError, DeadlineError, TimeoutError } from './errors.js';
import { checkUsage } from './usage.js';

/** setTimeout's longest delay. */
export const MAX_DELAY = 2 ** 31 - 1;

/**
 * What a task receives. The AbortSignal is made only if the task reads it: most calls
 * never need one, and a controller per call would cost every call.
 */
export class AttemptContext {
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

  /**
   * Tells the limiter what the call really used, when the result does not say. A bound
   * function, so that `({ reportUsage }) => …` works as the README shows.
   */
  reportUsage = (usage) => {
    this.usage = checkUsage(usage);
  };

  abort(reason) {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#reason = reason;
    this.#controller?.abort(reason);
  }
}

/**
 * Aborts the attempt `ctx` when the caller's signal fires, `timeoutMs` passes or the job's
 * deadline `due` comes (on `performance.now()`'s clock; the deadline caps `timeoutMs`). Returns
 * `{ promise, error, dispose }`: a promise that rejects then (to race against the task), the
 * error it rejected with; or null when none can happen.
 */
export function watchAttempt(ctx, { signal, timeoutMs }, due) {
  if (!signal && timeoutMs === Infinity && due === Infinity) return null;
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
  let timer = null;
  const t = performance.now();
  const byDeadline = due < t + timeoutMs;
  if (timeoutMs !== Infinity || due !== Infinity) {
    // A timeout longer than setTimeout's longest delay is waited out in steps.
    const until = byDeadline ? due : t + timeoutMs;
    const arm = (left) => {
      timer = setTimeout(() => {
        const rest = until - performance.now();
        if (rest > 0 && left > MAX_DELAY) return arm(rest);
        const error = byDeadline ? new DeadlineError(0, 0, 0) : new TimeoutError(timeoutMs);
        end(error, error);
      }, Math.min(Math.max(0, left), MAX_DELAY));
    };
    arm(until - t);
  }
  watch.dispose = () => {
    signal?.removeEventListener('abort', onAbort);
    if (timer !== null) clearTimeout(timer);
  };
  return watch;
}
