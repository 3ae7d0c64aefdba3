// The public API of sluice, the same from every entry (Node, Deno, Bun, Workers, browsers).
// Kept by hand next to js/src/index.js; tests/types checks it with `tsc --noEmit`.

/** The rate limits a limiter can hold, each a whole number per window. */
export interface RateLimits {
  /** Requests a minute (RPM). Unset: no limit. @example 500 */
  requestsPerMinute?: number;
  /** Tokens (input + output) a minute (TPM). Unset: no limit. @example 90_000 */
  tokensPerMinute?: number;
  /** Input tokens a minute (Anthropic's ITPM). Unset: no limit. */
  inputTokensPerMinute?: number;
  /** Output tokens a minute (Anthropic's OTPM). Unset: no limit. */
  outputTokensPerMinute?: number;
  /** Requests a day (RPD). Unset: no limit. */
  requestsPerDay?: number;
  /** Tokens a day (TPD). Unset: no limit. */
  tokensPerDay?: number;
}

/** The name of one rate limit: a key of {@link RateLimits}. */
export type LimitName = keyof RateLimits;

/** How an attempt ended, as `classify` names it. */
export type OutcomeClass = 'success' | 'rate-limited' | 'overloaded' | 'retryable' | 'fatal';

/** What `classify` is given about an ended attempt. */
export interface ClassifyInput {
  /** What the task returned (undefined when it threw). */
  result: unknown;
  /** What the task threw (undefined when it returned). */
  error: unknown;
  /** The HTTP status of the returned Response or of the thrown SDK error, if any. */
  status: number | undefined;
  /** The rate-limit headers seen (`retry-after`, `x-ratelimit-*`, ...), lowercase names. */
  headers: Record<string, string>;
}

/** The retry budget: retries a second on top of a share of first attempts, over a window. */
export interface RetryBudgetOptions {
  /** The window the budget counts over, in ms. Default 10 000. */
  ttlMs?: number;
  /** Retries a second always allowed. Default 10. */
  minPerSec?: number;
  /** Retries allowed as a percentage of first attempts. Default 20. */
  percent?: number;
}

/** How failed attempts are retried (through the queue, after a full-jitter backoff). */
export interface RetryOptions {
  /** Attempts per job, the first included. Default 6. */
  maxAttempts?: number;
  /** The backoff's base, in ms. Default 500. */
  baseMs?: number;
  /** The longest backoff, in ms (≥ `baseMs`). Default 30 000. */
  maxDelayMs?: number;
  /** The longest a Retry-After is honoured, in ms (a longer one is clamped). Default 60 000. */
  maxRetryAfterMs?: number;
  /** The retry budget, or `false` for none (`maxAttempts` alone limits retries). */
  budget?: RetryBudgetOptions | false;
}

/** What `new Limiter(options)` takes. Every field is optional; unknown keys are a TypeError. */
export interface LimiterOptions extends RateLimits {
  /**
   * The most jobs running at once: a positive integer or `Infinity`. Default: no cap; then,
   * with no rate limit either, adaptive concurrency starts at 10 and doubles each round trip
   * (`adaptiveConcurrency: false`: unbounded). @example 8
   */
  maxConcurrent?: number;
  /**
   * The most jobs waiting to start: an integer ≥ 0 or `Infinity`. A job beyond it is rejected
   * with {@link QueueFullError}; a job that can start at once never waits, so `0` means "run now
   * or reject". Default `Infinity`.
   */
  maxQueue?: number;
  /**
   * The share of each limit that may go out at once, in (0, 1]. Default 1: a fresh limiter
   * may spend a whole minute's budget at once; 0.1 spreads it over the window.
   */
  burst?: number;
  /** Retries: `false` for none. Default `{ maxAttempts: 6, baseMs: 500, maxDelayMs: 30_000, maxRetryAfterMs: 60_000 }` under a retry budget. */
  retry?: RetryOptions | false;
  /** AIMD below `maxConcurrent` on 429, 529 and 503. Default `true`. */
  adaptiveConcurrency?: boolean;
  /** What a Retry-After pauses: the whole limiter (default) or only the key of the job that met it. */
  gate?: 'limiter' | 'key';
  /** Seeds the retries' jitter (an integer ≥ 0), so that a run repeats exactly. Default: random. */
  seed?: number;
  /** Overrides how an attempt's outcome is read; `undefined` keeps the built-in reading. */
  classify?: (outcome: ClassifyInput) => OutcomeClass | undefined;
  /**
   * How long an attempt may run without ending before it is presumed lost and gives its slot
   * back (its caller's context was cancelled, as in a Worker whose client went away). Default
   * 15 minutes; `Infinity` for never.
   */
  attemptLeaseMs?: number;
  /**
   * The quantile of finished attempts' latency (per output token of the estimate when
   * `maxOutputTokens` is given, else per call; the last 64 successes of each kind, once 8 have
   * finished) that the time left before a job's `deadline` must cover: a job whose time left is
   * shorter is rejected with {@link DeadlineError} at once, as very likely late. A number in
   * (0, 1]; `false` to reject only when being late is certain. Default 0.9.
   */
  latencyQuantile?: number | false;
  /**
   * Reserve each estimate times what the provider really counted for recent ones (the input;
   * the output never below `maxOutputTokens`), and give a job with no estimate the typical
   * settled cost of a job. Default `true`; `false` reserves every estimate as given.
   */
  calibrate?: boolean;
  /**
   * Cloudflare Workers: a function that returns a Durable Object stub of `SluiceCoordinator`
   * (from `sluice/durable`), e.g. `() => env.SLUICE.get(env.SLUICE.idFromName('openai:gpt-4o-mini'))`;
   * it is called for each exchange, in the request that makes it (a stub serves only the
   * request that made it). The limits are then the account's, shared by every isolate bound to
   * that object: this limiter spends what the coordinator leases it instead of refilling by
   * itself. Every limiter of one coordinator must be given the same limits and burst.
   */
  coordinator?: () => CoordinatorStub;
}

/** What `coordinator` takes: a Durable Object stub whose class is `SluiceCoordinator`. */
export interface CoordinatorStub {
  readonly id: object;
  exchange(message: unknown): unknown;
}

/** Options every job takes, whatever its estimate. */
export interface JobOptionsBase {
  /** Higher runs first; equal priorities run in order of arrival. Any finite number. Default 0. */
  priority?: number;
  /** A tenant, user or route: jobs of different keys share the limits fairly. Default `''`. */
  key?: string;
  /** Aborts the job: it leaves the queue, or its running attempt is aborted ({@link AbortError}). */
  signal?: AbortSignal;
  /**
   * The longest the job may wait to start, in ms (≥ 0, or `Infinity`). It is rejected with
   * {@link QueueTimeoutError} as soon as it cannot start in time. Default `Infinity`.
   */
  maxWaitMs?: number;
  /**
   * The longest an attempt may run, in ms (> 0, or `Infinity`): then its `signal` is aborted
   * and the job rejects with {@link TimeoutError}. For a stream: the time until its first
   * chunk (then `idleTimeoutMs` applies). Default `Infinity`.
   */
  timeoutMs?: number;
  /**
   * `false`: a stream the task returns is handed back as it is and the attempt ends when the
   * task returns (for a caller who hands the stream elsewhere). Default `true`: the stream
   * holds its attempt (slot, reservation, lease) until it ends, errors or is cancelled, and
   * the usage settles from it.
   */
  stream?: boolean;
  /** A stream that sends no chunk within this many ms is aborted ({@link TimeoutError}). Default `Infinity`. */
  firstChunkTimeoutMs?: number;
  /** A stream that sends no chunk for this many ms while it is read is aborted ({@link TimeoutError}). Default `Infinity`. */
  idleTimeoutMs?: number;
  /**
   * When the whole job must be done by: its queueing, every attempt and every backoff. A time
   * in ms since the epoch, as `Date.now() + 10_000` (pass the same number to every sub-call of
   * one request). Within a priority, the earliest deadline goes first. The attempt's `signal`
   * is aborted at the deadline (it caps `timeoutMs`), and the job rejects with
   * {@link DeadlineError}, as soon as it cannot, or very likely cannot, finish in time (see
   * `latencyQuantile`). Default: none.
   */
  deadline?: number;
}

/** A job whose estimate is one number of tokens. */
export interface TotalEstimate {
  /** The most tokens the call may use: its input plus the most output it allows. Default 0. */
  tokens?: number;
  inputTokens?: never;
  maxOutputTokens?: never;
}

/** A job whose estimate is split, for limiters with input and output limits. */
export interface SplitEstimate {
  tokens?: never;
  /** The call's input tokens. Default 0. */
  inputTokens?: number;
  /** The most output tokens the call allows (`max_tokens`). Default 0. */
  maxOutputTokens?: number;
}

/** What `schedule(task, opts)` takes: give `tokens`, or `inputTokens` with `maxOutputTokens`, not both. */
export type ScheduleOptions = JobOptionsBase & (TotalEstimate | SplitEstimate);

/** The tokens a call really used. */
export interface Usage {
  inputTokens: number;
  outputTokens: number;
}

/** What a task receives for each attempt. */
export interface AttemptContext {
  /** 1 for the first attempt. */
  readonly attempt: number;
  /**
   * Aborted when the caller's signal fires or `timeoutMs` passes: pass it to `fetch` or to
   * the SDK call. Made on first read.
   */
  readonly signal: AbortSignal;
  /**
   * Tells the limiter what the call really used, when the result does not say (streams).
   * Call it as a method: `ctx.reportUsage(...)`. `outputTokens` defaults to 0.
   */
  reportUsage(usage: { inputTokens: number; outputTokens?: number }): void;
}

/** What `limiter.update(options)` may change at run time. */
export interface LimiterUpdate extends RateLimits {
  /** A positive integer or `Infinity`. */
  maxConcurrent?: number;
  /** An integer ≥ 0 or `Infinity`. Jobs already waiting beyond a lower cap stay. */
  maxQueue?: number;
}

/** The function a job runs. Its result, when it carries usage (see {@link readUsage}), settles the budget. */
export type Task<T> = (ctx: AttemptContext) => T | PromiseLike<T>;

/** The level of one budget. */
export interface BudgetStats {
  /** The limit as configured, per window. */
  limit: number;
  /** The most it can hold at once (the limit times `burst`). */
  capacity: number;
  /** The window of the limit, in ms (60 000 for a per-minute limit). */
  windowMs: number;
  /** What it holds now; below 0 while a call's overuse is paid back (a debt). */
  available: number;
  /** Whether the limit was learned from the provider's headers rather than given. */
  learned: boolean;
}

/** A snapshot of a limiter: gauges, counters since it was built, and each budget's level. */
export interface LimiterStats {
  /** Jobs running now. */
  inFlight: number;
  /** Jobs waiting to start. */
  queued: number;
  /** Jobs waiting out a backoff before they re-enter the queue. */
  backingOff: number;
  /** The concurrency cap in force (`Infinity` when there is none). */
  concurrencyLimit: number;
  /** Keys with jobs queued or running. */
  keys: number;
  /** Until when a Retry-After holds every job back (on the `performance.now()` clock), or null. */
  gateClosedUntil: number | null;
  /** Jobs handed to `schedule()`, rejected ones included. */
  submitted: number;
  /** Attempts started (a retried job counts once per attempt). */
  admitted: number;
  /** Jobs that succeeded. */
  completed: number;
  /** Jobs that ended in failure, aborted and timed-out running ones included. */
  failed: number;
  /** Jobs refused at submission (estimate too large, queue full, deadline out of reach). */
  rejected: number;
  /** Queued or backing-off jobs given up: `maxWaitMs` passed, or their `deadline` came or is out of reach. */
  expired: number;
  /** Jobs their caller aborted, queued or running. */
  cancelled: number;
  /** Attempts that ran past `timeoutMs`. */
  timedOut: number;
  /** Attempts that never ended within `attemptLeaseMs`: presumed lost, their slot given back. */
  lost: number;
  /** Attempts scheduled again after a retryable failure. */
  retried: number;
  /** Jobs that failed because their attempts or the retry budget ran out (`RetryError`). */
  retriesExhausted: number;
  /** Attempts that met a 429, 529 or 503. */
  rateLimited: number;
  /** Times a Retry-After closed the gate. */
  gateClosed: number;
  /** Limits learned or changed from the provider's headers. */
  limitsLearned: number;
  /** Whether `pause()` holds every job back. */
  paused: boolean;
  /** Token counters since the limiter was built. */
  tokens: TokenStats;
  /** One entry for each limit the limiter was given. */
  budgets: { [name in LimitName]?: BudgetStats };
  /**
   * Figures per key (jobs without a key are not here), for at most 100 keys: any further key is
   * counted under `'(other keys)'`.
   */
  byKey: Record<string, KeyStats>;
  /** What calibration learned from settled usage; `null` with `calibrate: false`. */
  calibration: CalibrationStats | null;
}

/** The figures of one key in {@link LimiterStats.byKey}. */
export interface KeyStats {
  /** Its jobs waiting now, to start or to retry. */
  waiting: number;
  /** Its jobs running now. */
  running: number;
  /** Attempts that succeeded, failed for good, or will be retried. */
  completed: number;
  failed: number;
  retried: number;
  /** Tokens its calls reported used. */
  inputTokens: number;
  outputTokens: number;
}

/** How the provider's count relates to the estimates: each ratio is real / estimated. */
export interface CalibrationStats {
  /** Input tokens (estimates split into input and output), the ratio reserved. */
  input: number;
  /** Output over `maxOutputTokens`: learned, never reserved below 1. */
  output: number;
  /** Total over a total-only `tokens` estimate: learned, never reserved below 1. */
  tokens: number;
  /** What a job with no estimate reserves: the typical settled job (500 and 500 to start). */
  typicalInputTokens: number;
  typicalOutputTokens: number;
  /** Settled jobs learned from. */
  samples: number;
}

/** Tokens counted since the limiter was built. */
export interface TokenStats {
  /** Reserved by attempts as they started: their estimates (input plus the most output). */
  reserved: number;
  /** Reserved and given back: the unused part once the usage was known, or a refusal that did no work. */
  refunded: number;
  /** Input tokens the calls reported used. */
  input: number;
  /** Output tokens the calls reported used. */
  output: number;
  /** `input + output`. */
  used: number;
}

/** How a job ended, in a `settled` event. */
export type JobSettled =
  | { id: number; key: string | undefined; outcome: 'fulfilled'; value: unknown; attempts: number; latencyMs: number; usage: Usage | null }
  | { id: number; key: string | undefined; outcome: 'rejected'; error: unknown; attempts: number; latencyMs: number; usage: Usage | null };

/** The `detail` of each event a Limiter dispatches (as a `CustomEvent`). */
export interface LimiterEventMap {
  /** An attempt met a 429 (or a 529/503: `overloaded`). */
  ratelimited: { key: string | undefined; overloaded: boolean; retryAfterMs: number | undefined };
  /** A failed attempt will be tried again after `delayMs`. */
  retry: { key: string | undefined; attempt: number; delayMs: number };
  /** A Retry-After paused the limiter (`key` undefined) or one key. */
  gateclosed: { key: string | undefined; delayMs: number };
  /** The pause is over; a probe goes first. */
  gateopened: { key: string | undefined };
  /** Adaptive concurrency moved the limit. */
  concurrencychanged: { limit: number };
  /** A limit was learned or changed from the provider's headers. */
  limitchanged: { limit: LimitName; value: number; capacity: number; windowMs: number };
  /** The limiter gave up on a job (rejected, expired, retries exhausted); `key` undefined for a job without one. */
  dropped: { key: string | undefined; error: SluiceError | EstimateTooLargeError };
  /**
   * A job entered the limiter (`id` names it in its other events); one refused at submission
   * never did (see `dropped`). Emitted only while someone listens.
   */
  queued: { id: number; key: string | undefined; priority: number };
  /**
   * An attempt of a job begins; `waitMs` since it was queued (or since its last attempt ended).
   * Emitted for jobs scheduled while someone listens to `started` or `settled`.
   */
  started: { id: number; key: string | undefined; attempt: number; waitMs: number };
  /**
   * A job's promise settles: `latencyMs` since `schedule()`, `usage` summed over its attempts
   * (null when none said). Emitted for jobs scheduled while someone listens.
   */
  settled: JobSettled;
}

/** The name of an event a Limiter dispatches. */
export type LimiterEventType = keyof LimiterEventMap;

/** A concurrency and rate limiter for calls to an LLM API. It is an `EventTarget`. */
export class Limiter extends EventTarget {
  /** @throws {TypeError | RangeError} naming the first bad option. */
  constructor(options?: LimiterOptions);

  /**
   * Runs `task` when the limits allow, and settles with its result, or rejects with the task's
   * error or a {@link SluiceError}.
   * @throws {EstimateTooLargeError} when the estimate exceeds what a budget can ever hold.
   * @throws {TypeError | RangeError} for a bad argument.
   */
  schedule<T>(task: Task<T>, opts?: ScheduleOptions): Promise<Awaited<T>>;

  /**
   * `fn` as a function whose every call goes through the limiter. `opts` may be a function of
   * the arguments, to estimate each call's tokens. `fn` gets the attempt's context as `this`
   * (an arrow function ignores it): `function (body) { return call(body, { signal: this.signal }) }`.
   */
  wrap<A extends unknown[], R>(
    fn: (this: AttemptContext, ...args: A) => R | PromiseLike<R>,
    opts?: ScheduleOptions | ((...args: A) => ScheduleOptions | undefined),
  ): (...args: A) => Promise<Awaited<R>>;

  /** Calls `listener(detail)` on each event of `type`; returns a function that stops it. */
  on<K extends LimiterEventType>(type: K, listener: (detail: LimiterEventMap[K]) => void): () => void;

  addEventListener<K extends LimiterEventType>(
    type: K,
    listener: (event: CustomEvent<LimiterEventMap[K]>) => void,
    options?: boolean | AddEventListenerOptions,
  ): void;
  addEventListener(type: string, listener: EventListenerOrEventListenerObject | null, options?: boolean | AddEventListenerOptions): void;
  removeEventListener<K extends LimiterEventType>(
    type: K,
    listener: (event: CustomEvent<LimiterEventMap[K]>) => void,
    options?: boolean | EventListenerOptions,
  ): void;
  removeEventListener(type: string, listener: EventListenerOrEventListenerObject | null, options?: boolean | EventListenerOptions): void;

  /** Resolves when no job is queued, backing off or running. */
  onIdle(): Promise<void>;

  /** Resolves when fewer than `limit` jobs wait to start (a positive integer): backpressure for producers. */
  onQueueBelow(limit: number): Promise<void>;

  /** Nothing starts until {@link resume}: running attempts go on, new jobs queue. */
  pause(): void;

  /** Lets jobs start again. */
  resume(): void;

  /** Rejects every job waiting to start or to retry with {@link ClearedError}; returns how many. */
  clear(): number;

  /**
   * Takes no new job ({@link ClosedError}) and resolves when idle. `drain` (default true) lets
   * the waiting jobs run; `false` rejects them, and pending retries, with {@link ClosedError}.
   */
  close(options?: { drain?: boolean }): Promise<void>;

  /**
   * Changes limits at run time, checked as the constructor checks them. A lower rate limit rejects
   * the waiting jobs it can never hold ({@link EstimateTooLargeError}).
   * @throws {TypeError | RangeError} naming the first bad option.
   */
  update(options: LimiterUpdate): void;

  /** A snapshot: see {@link LimiterStats}. */
  stats(): LimiterStats;
}

/** The error codes of sluice's errors. */
export type SluiceErrorCode = 'ABORTED' | 'QUEUE_TIMEOUT' | 'TIMEOUT' | 'QUEUE_FULL' | 'RETRIES_EXHAUSTED' | 'CLEARED' | 'CLOSED' | 'INTERNAL';

/** The base of the errors a job rejects with; tell them apart with `instanceof` or `code`. */
export class SluiceError extends Error {
  constructor(message: string, code: string, options?: ErrorOptions);
  readonly code: SluiceErrorCode | (string & {});
}

/**
 * The limiter's core failed (a WebAssembly trap: a bug in sluice, never the caller's doing).
 * Every job of that limiter settles with it, and the limiter refuses new work with it (its
 * `stats()` throws it); other limiters are not affected. `cause` is the trap.
 */
export class SluiceInternalError extends SluiceError {
  constructor(cause: unknown);
  readonly code: 'INTERNAL';
}

/** The caller's AbortSignal fired: the job left the queue, or its running attempt was aborted. */
export class AbortError extends SluiceError {
  constructor(reason?: unknown);
  readonly code: 'ABORTED';
  /** The signal's reason (also the error's `cause`). */
  readonly reason: unknown;
}

/** The job could not start within `maxWaitMs` (rejected as soon as that was certain). */
export class QueueTimeoutError extends SluiceError {
  constructor(waitedMs: number, maxWaitMs: number);
  readonly code: 'QUEUE_TIMEOUT';
  /** How long the job had waited when it was rejected, in ms. */
  readonly waitedMs: number;
  readonly maxWaitMs: number;
}

/** Why a job was given up before its deadline. */
export type DeadlineReason = 'expired' | 'budget' | 'latency' | 'backoff';

/**
 * The job cannot finish by its `deadline`: it came (`why: 'expired'`; a running attempt's
 * signal is aborted with this error), or the job was given up as soon as that was certain
 * (`'budget'`: its wait for budget is longer than what is left; `'backoff'`: its retry's
 * backoff ends after the deadline) or very likely (`'latency'`: what is left is shorter than
 * such calls took, see `latencyQuantile`). Given up between attempts, its `cause` is the last
 * attempt's error.
 */
export class DeadlineError extends SluiceError {
  constructor(leftMs: number, neededMs: number, why: DeadlineReason, cause?: unknown);
  readonly code: 'DEADLINE';
  readonly why: DeadlineReason;
  /** What was left before the deadline when the job was given up, in ms. */
  readonly leftMs: number;
  /** What it would have needed (its budget wait, backoff, or expected latency), in ms; 0 when it expired. */
  readonly neededMs: number;
}

/**
 * An attempt ran longer than `timeoutMs`, or its stream waited longer than
 * `firstChunkTimeoutMs` or `idleTimeoutMs` for a chunk (`option` says which); it was aborted.
 */
export class TimeoutError extends SluiceError {
  constructor(timeoutMs: number, option?: 'timeoutMs' | 'firstChunkTimeoutMs' | 'idleTimeoutMs');
  readonly code: 'TIMEOUT';
  readonly timeoutMs: number;
  readonly option: 'timeoutMs' | 'firstChunkTimeoutMs' | 'idleTimeoutMs';
}

/** `maxQueue` jobs were already waiting (with `maxQueue: 0`: the job could not start at once). */
export class QueueFullError extends SluiceError {
  constructor(maxQueue: number);
  readonly code: 'QUEUE_FULL';
  readonly maxQueue: number;
}

/**
 * A job failed with a retryable outcome (429, 529, 5xx, a network error) until its attempts or
 * the retry budget ran out.
 */
export class RetryError extends SluiceError {
  constructor(details: { attempts: number; budget: boolean; status?: number; headers?: Record<string, string>; cause?: unknown; response?: Response });
  readonly code: 'RETRIES_EXHAUSTED';
  /** Attempts made. */
  readonly attempts: number;
  /** Whether the retry budget (rather than `maxAttempts`) stopped it. */
  readonly budgetExhausted: boolean;
  /** The last attempt's HTTP status, if it had one. */
  readonly status: number | undefined;
  /** The last attempt's rate-limit headers. */
  readonly headers: Record<string, string> | undefined;
  /** The last Response returned, when the task returned one. */
  readonly response: Response | undefined;
}

/** `limiter.clear()` took the job out of the queue before it started. */
export class ClearedError extends SluiceError {
  constructor();
  readonly code: 'CLEARED';
}

/** The limiter was closed: no new job is taken; `close({ drain: false })` drops waiting ones. */
export class ClosedError extends SluiceError {
  constructor();
  readonly code: 'CLOSED';
}

/**
 * The job's estimate exceeds what a budget can ever hold, so it could never start. A bad
 * argument: `schedule()` throws it. A RangeError, not a {@link SluiceError}, with a `code` too.
 */
export class EstimateTooLargeError extends RangeError {
  constructor(option: string, estimate: number, limit: string, capacity: number);
  readonly code: 'ESTIMATE_TOO_LARGE';
  /** The job option that made the estimate: `tokens`, `inputTokens`, `maxOutputTokens` or `inputTokens + maxOutputTokens`. */
  readonly option: string;
  readonly estimate: number;
  /** The limiter option it exceeds, such as `tokensPerMinute`. */
  readonly limit: LimitName;
  /** The most that budget holds at once. */
  readonly capacity: number;
}

/**
 * The usage in an OpenAI- (Chat Completions or Responses), Anthropic- or Gemini-shaped result,
 * or null when it has none.
 */
export function readUsage(result: unknown): Usage | null;
