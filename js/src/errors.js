// The errors sluice rejects with. Each has a stable `code`; tell them apart with
// `instanceof` or `error.code`.
import { LATE_REASONS } from './names.js';

export class SluiceError extends Error {
  /** @param {string} message @param {string} code @param {ErrorOptions} [options] */
  constructor(message, code, options) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** The caller's AbortSignal fired: the job left the queue, or its running attempt was aborted. */
export class AbortError extends SluiceError {
  constructor(reason) {
    super('The job was aborted by its signal', 'ABORTED', { cause: reason });
    this.reason = reason;
  }
}

/** The job could not start within `maxWaitMs` (rejected as soon as that was certain). */
export class QueueTimeoutError extends SluiceError {
  constructor(waitedMs, maxWaitMs) {
    const early = waitedMs < maxWaitMs;
    super(`The job ${early ? 'cannot' : 'did not'} start within maxWaitMs (${maxWaitMs} ms)${early ? ': the budget cannot allow it in time' : ''}`, 'QUEUE_TIMEOUT');
    this.waitedMs = waitedMs;
    this.maxWaitMs = maxWaitMs;
  }
}

/**
 * The job cannot finish by its `deadline`: the deadline came (queued, backing off, or running:
 * the attempt's signal is aborted with this error), or it was given up as soon as that was
 * certain or very likely. `why`: 'expired', 'budget' (its wait for budget is longer than what
 * is left), 'latency' (what is left is shorter than such calls took: the `latencyQuantile` of
 * finished attempts, after its wait to start behind the jobs with a deadline queued ahead of it) or 'backoff' (its retry's backoff ends after the deadline). `leftMs` is
 * what was left then, `neededMs` what it would have needed; a job given up between attempts
 * carries the last attempt's error as `cause`.
 */
export class DeadlineError extends SluiceError {
  constructor(leftMs, neededMs, why, cause) {
    const reason = LATE_REASONS[why] ?? why;
    const need = {
      budget: `the budget lets it start in ${neededMs} ms`,
      latency: `its wait to start plus what such calls took come to ${neededMs} ms`,
      backoff: `its retry's backoff is ${neededMs} ms`,
    }[reason];
    super(need ? `The job cannot finish by its deadline: ${leftMs} ms were left and ${need}` : 'The job did not finish by its deadline', 'DEADLINE', { cause });
    this.why = reason;
    this.leftMs = leftMs;
    this.neededMs = neededMs;
  }
}

const TIMEOUTS = {
  timeoutMs: 'The attempt ran longer than timeoutMs',
  firstChunkTimeoutMs: 'The stream sent no chunk within firstChunkTimeoutMs',
  idleTimeoutMs: 'The stream sent no chunk for idleTimeoutMs',
};

/**
 * An attempt ran longer than `timeoutMs`, or its stream waited longer than `firstChunkTimeoutMs`
 * for its first chunk or `idleTimeoutMs` for a next one (`option` says which); it was aborted.
 */
export class TimeoutError extends SluiceError {
  constructor(timeoutMs, option = 'timeoutMs') {
    super(`${TIMEOUTS[option]} (${timeoutMs} ms) and was aborted`, 'TIMEOUT');
    this.timeoutMs = timeoutMs;
    this.option = option;
  }
}

/**
 * A job failed with a retryable outcome (429, 529, 5xx, a network error) until its attempts or
 * the retry budget ran out. `cause` is the last error thrown, `response` the last Response
 * returned; `status` and `headers` (the rate-limit ones) are the last attempt's.
 */
export class RetryError extends SluiceError {
  constructor({ attempts, budget, status, headers, cause, response }) {
    const got = status ? `HTTP ${status}` : cause instanceof Error ? `${cause.name}: ${cause.message}` : 'a failure';
    const why = budget ? 'the retry budget is spent' : 'no attempts are left';
    super(`The job failed after ${attempts} attempt${attempts === 1 ? '' : 's'} and ${why}; the last got ${got}`, 'RETRIES_EXHAUSTED', { cause });
    this.attempts = attempts;
    this.budgetExhausted = budget;
    this.status = status || undefined;
    this.headers = headers;
    this.response = response;
  }
}

/** `maxQueue` jobs were already waiting (with `maxQueue: 0`, the job could not start at once). */
export class QueueFullError extends SluiceError {
  constructor(maxQueue) {
    super(maxQueue === 0 ? 'The job cannot start now and maxQueue is 0' : `The queue is full: maxQueue (${maxQueue}) jobs are already waiting`, 'QUEUE_FULL');
    this.maxQueue = maxQueue;
  }
}

/**
 * The job's estimate exceeds what a budget can ever hold, so it could never start. A bad
 * argument, hence a RangeError (thrown by `schedule()` itself), with a `code` like the others.
 */
export class EstimateTooLargeError extends RangeError {
  /**
   * @param {string} option the job option that made the estimate (`tokens`, `inputTokens`, ...)
   * @param {string} limit the limiter option it exceeds (`tokensPerMinute`, ...)
   */
  constructor(option, estimate, limit, capacity) {
    super(`Expected \`${option}\` to be at most ${capacity}, what \`${limit}\` allows at once, got ${estimate}`);
    this.name = 'EstimateTooLargeError';
    this.code = 'ESTIMATE_TOO_LARGE';
    this.option = option;
    this.estimate = estimate;
    this.limit = limit;
    this.capacity = capacity;
  }
}

/** `limiter.clear()` took the job out of the queue before it started. */
export class ClearedError extends SluiceError {
  constructor() {
    super('The job was cleared from the queue before it started', 'CLEARED');
  }
}

/** The limiter was closed: no new job is taken, and `close({ drain: false })` drops waiting ones. */
export class ClosedError extends SluiceError {
  constructor() {
    super('The limiter is closed', 'CLOSED');
  }
}

/**
 * The limiter's core failed (a WebAssembly trap: a bug in sluice, never the caller's doing).
 * Every job of that limiter settles with it and the limiter refuses new work with it; other
 * limiters are not affected. `cause` is the trap.
 */
export class SluiceInternalError extends SluiceError {
  constructor(cause) {
    super(`sluice failed internally and this limiter stopped (please report it): ${cause?.message ?? cause}`, 'INTERNAL', { cause });
  }
}
