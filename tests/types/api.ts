// The whole public API of sluice as a user's TypeScript sees it. Checked, not run:
// `tsc -p tests/types` (tests/runtimes/run.js does it). Each `@ts-expect-error` line must fail
// to type-check; if the types ever let one through, tsc reports the unused directive.
import {
  AbortError,
  ClearedError,
  ClosedError,
  EstimateTooLargeError,
  Limiter,
  QueueFullError,
  QueueTimeoutError,
  DeadlineError,
  RetryError,
  SluiceError,
  SluiceInternalError,
  TimeoutError,
  readUsage,
  type AttemptContext,
  type BudgetStats,
  type CalibrationStats,
  type ClassifyInput,
  type LimitName,
  type JobSettled,
  type LimiterEventMap,
  type LimiterUpdate,
  type LimiterOptions,
  type LimiterStats,
  type OutcomeClass,
  type ScheduleOptions,
  type Task,
  type KeyStats,
  type TokenStats,
  type Usage,
} from 'sluice';
import * as fromInit from 'sluice/init';
import { estimateAnthropic, estimateGemini, estimateOpenAI, estimateTokens, type TokenEstimate } from 'sluice/estimate';
import { createFetch, estimateRequest, type FetchOptions, type ThrottledFetch } from 'sluice/fetch';
import { metrics } from '@opentelemetry/api';
import { instrument } from 'sluice/otel';
import { prometheus, type PrometheusMetrics } from 'sluice/prometheus';

/** Fails to compile unless X and Y are the same type. */
type Equal<X, Y> = (<T>() => T extends X ? 1 : 2) extends <T>() => T extends Y ? 1 : 2 ? true : false;
function assertType<T extends true>(): T | void {}

const options: LimiterOptions = {
  maxConcurrent: 8,
  maxQueue: 1_000,
  burst: 0.5,
  requestsPerMinute: 500,
  tokensPerMinute: 90_000,
  inputTokensPerMinute: 60_000,
  outputTokensPerMinute: 30_000,
  requestsPerDay: 10_000,
  tokensPerDay: 1_000_000,
  retry: { maxAttempts: 4, baseMs: 250, maxDelayMs: 10_000, maxRetryAfterMs: 30_000, budget: { ttlMs: 10_000, minPerSec: 5, percent: 10 } },
  adaptiveConcurrency: false,
  gate: 'key',
  seed: 42,
  latencyQuantile: 0.95,
  classify: ({ result, error, status, headers }: ClassifyInput): OutcomeClass | undefined =>
    status === 418 || headers['x-teapot'] !== undefined ? 'fatal' : result === 'retry me' || error instanceof RangeError ? 'retryable' : undefined,
};
const limiter = new Limiter(options);
new Limiter();
new Limiter({ maxConcurrent: Infinity, retry: false });
new Limiter({ retry: { budget: false } });
// @ts-expect-error: the gate is per limiter or per key
new Limiter({ gate: 'tenant' });
// @ts-expect-error: classify names one of the five classes
new Limiter({ classify: () => 'maybe' });

// @ts-expect-error: a misspelt option is an error (excess property)
new Limiter({ maxConcurent: 8 });
// @ts-expect-error: limits are numbers
new Limiter({ requestsPerMinute: '500' });

interface ChatCompletion {
  choices: { message: { content: string } }[];
  usage: { prompt_tokens: number; completion_tokens: number };
}
declare function createCompletion(body: object, init: { signal: AbortSignal }): Promise<ChatCompletion>;

const controller = new AbortController();
const reply = limiter.schedule(
  ({ signal, attempt }) => {
    assertType<Equal<typeof attempt, number>>();
    return createCompletion({ model: 'gpt' }, { signal });
  },
  { tokens: 1_200, priority: 1, key: 'tenant-a', signal: controller.signal, maxWaitMs: 5_000, timeoutMs: 30_000, deadline: Date.now() + 10_000 },
);
assertType<Equal<typeof reply, Promise<ChatCompletion>>>();

// Streams: held by default; `stream: false` opts out; the two stall timeouts.
limiter.schedule(({ signal }) => createCompletion({ model: 'gpt' }, { signal }), { stream: false, firstChunkTimeoutMs: 5_000, idleTimeoutMs: 10_000 });
// @ts-expect-error: `stream` is a boolean
limiter.schedule(() => 1, { stream: 'no' });

// A task's value is unwrapped once, whether it returns a value or a promise of one.
assertType<Equal<ReturnType<typeof limiter.schedule<number>>, Promise<number>>>();
const n = limiter.schedule(() => 42);
assertType<Equal<typeof n, Promise<number>>>();
// @ts-expect-error: the result of a number task is not a string
const s: Promise<string> = limiter.schedule(async () => 42);

// A split estimate, and a task that reports its usage (a stream, say).
limiter.schedule(
  (ctx: AttemptContext) => {
    ctx.reportUsage({ inputTokens: 10, outputTokens: 20 });
    ctx.reportUsage({ inputTokens: 10 });
    return 'streamed';
  },
  { inputTokens: 800, maxOutputTokens: 400 },
);
// @ts-expect-error: either `tokens` or `inputTokens` with `maxOutputTokens`, not both
limiter.schedule(() => 1, { tokens: 100, inputTokens: 80, maxOutputTokens: 20 });
// @ts-expect-error: an unknown job option
limiter.schedule(() => 1, { tokenz: 100 });
// @ts-expect-error: the task is a function
limiter.schedule(Promise.resolve(1));
// @ts-expect-error: the attempt number is read-only
limiter.schedule((ctx) => (ctx.attempt = 2));

// The estimate helpers spread into the options.
const openaiBody = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hello' }], max_tokens: 256 };
const estimate: TokenEstimate = estimateOpenAI(openaiBody, { defaultMaxTokens: 1_024 });
limiter.schedule(() => 'hi', { ...estimate, priority: 1, key: 'tenant-a' });
limiter.schedule(() => 'hi', estimateAnthropic({ model: 'claude', max_tokens: 1024, messages: [] }));
const counted: number = estimateTokens('some text');
// @ts-expect-error: a split estimate cannot take `tokens` as well
limiter.schedule(() => 'hi', { ...estimate, tokens: 10 });
// @ts-expect-error: estimateTokens counts a string
estimateTokens({ text: 'hi' });

// A fetch Response, or an SDK's { data, response }, comes back as it is.
const raw: Promise<Response> = limiter.schedule(({ signal }) => fetch('https://api.example.com', { signal }));
const withResponse = limiter.schedule(async () => ({ data: { id: 'x' }, response: new Response('{}') }));
assertType<Equal<typeof withResponse, Promise<{ data: { id: string }; response: Response }>>>();

// Events: on() gives the detail; addEventListener a CustomEvent of it.
const stop: () => void = limiter.on('retry', (detail) => {
  assertType<Equal<typeof detail, LimiterEventMap['retry']>>();
  const delay: number = detail.delayMs;
});
stop();
limiter.on('limitchanged', ({ limit, value, capacity, windowMs }) => `${limit satisfies LimitName} ${value + capacity + windowMs}`);
limiter.on('dropped', ({ key, error }) => `${key}: ${error.code}`);
limiter.addEventListener('ratelimited', (event) => event.detail.overloaded);
limiter.addEventListener('anything', (event: Event) => event.type);
// @ts-expect-error: no such field in a gateopened detail
limiter.on('gateopened', (detail) => detail.delayMs);

const opts: ScheduleOptions = { tokens: 5 };
const task: Task<string> = async () => 'done';
limiter.schedule(task, opts);

// wrap keeps the arguments' and the result's types.
const summarize = limiter.wrap(
  async (text: string, maxTokens: number) => ({ summary: text.slice(0, maxTokens) }),
  (text, maxTokens) => ({ tokens: Math.ceil(text.length / 4) + maxTokens }),
);
assertType<Equal<typeof summarize, (text: string, maxTokens: number) => Promise<{ summary: string }>>>();
limiter.wrap((x: number) => x * 2, { priority: 2 });
// @ts-expect-error: the wrapped function takes a string and a number
summarize(1, 2);

const idle: Promise<void> = limiter.onIdle();

const stats: LimiterStats = limiter.stats();
const counts: number[] = [
  stats.inFlight, stats.queued, stats.concurrencyLimit, stats.keys, stats.submitted, stats.admitted,
  stats.completed, stats.failed, stats.rejected, stats.expired, stats.cancelled, stats.timedOut,
  stats.backingOff, stats.retried, stats.rateLimited, stats.gateClosed, stats.limitsLearned,
];
const gateUntil: number | null = stats.gateClosedUntil;
const learned: boolean | undefined = stats.budgets.tokensPerMinute?.learned;
const rpm: BudgetStats | undefined = stats.budgets.requestsPerMinute;
const level: number | undefined = rpm?.available;
const calibration: CalibrationStats | null = stats.calibration;
const inputRatio: number | undefined = calibration?.input;
const typical: number | undefined = stats.calibration?.typicalInputTokens;
new Limiter({ calibrate: false });
// @ts-expect-error: calibrate is a boolean
new Limiter({ calibrate: 'yes' });
const limitName: LimitName = 'tokensPerDay';
// @ts-expect-error: no such limit
const badLimitName: LimitName = 'tokensPerHour';

// Errors: classes to test with instanceof, each with its code and fields.
async function handle(): Promise<string> {
  try {
    return await limiter.schedule(() => 'ok');
  } catch (e) {
    if (e instanceof QueueFullError) {
      assertType<Equal<typeof e.code, 'QUEUE_FULL'>>();
      return `queue full at ${e.maxQueue}`;
    }
    if (e instanceof QueueTimeoutError) return `waited ${e.waitedMs} of ${e.maxWaitMs}`;
    if (e instanceof TimeoutError) {
      assertType<Equal<typeof e.option, 'timeoutMs' | 'firstChunkTimeoutMs' | 'idleTimeoutMs'>>();
      return `timed out after ${e.timeoutMs} (${e.option})`;
    }
    if (e instanceof DeadlineError) {
      assertType<Equal<typeof e.code, 'DEADLINE'>>();
      const why: 'expired' | 'budget' | 'latency' | 'backoff' = e.why;
      return `late (${why}): ${e.leftMs} ms left, ${e.neededMs} needed, after ${String(e.cause)}`;
    }
    if (e instanceof AbortError) return `aborted: ${String(e.reason)}`;
    if (e instanceof RetryError) return `gave up after ${e.attempts} (${e.status ?? 'no status'}, budget ${e.budgetExhausted}) ${e.response?.status}`;
    if (e instanceof EstimateTooLargeError) {
      const limit: LimitName = e.limit;
      return `${e.option} ${e.estimate} > ${e.capacity} (${limit}, ${e.code})`;
    }
    if (e instanceof SluiceInternalError) {
      assertType<Equal<typeof e.code, 'INTERNAL'>>();
      return `internal: ${String(e.cause)}`;
    }
    if (e instanceof SluiceError) return e.code;
    throw e;
  }
}
const errors: SluiceError[] = [new AbortError('why'), new QueueTimeoutError(5, 10), new TimeoutError(100), new DeadlineError(20, 900, 'latency'), new QueueFullError(4), new SluiceInternalError(new Error('trap'))];
const rangeError: RangeError = new EstimateTooLargeError('tokens', 10, 'tokensPerMinute', 5);

const usage: Usage | null = readUsage({ usage: { prompt_tokens: 1, completion_tokens: 2 } });
if (usage) {
  const total: number = usage.inputTokens + usage.outputTokens;
}

// sluice/init: the same classes, plus init and initSync.
assertType<Equal<typeof fromInit.Limiter, typeof Limiter>>();
declare const wasmBytes: Uint8Array;
declare const wasmModule: WebAssembly.Module;
fromInit.initSync(wasmBytes);
fromInit.initSync(wasmModule);
const loaded: Promise<void> = fromInit.init(new URL('https://example.com/sluice_bg.wasm'));
fromInit.init(fetch('/sluice_bg.wasm'));
// @ts-expect-error: init needs to be told where the wasm is
fromInit.init();

// wrap: the attempt context is `this` for a function that wants it.
const ask = limiter.wrap(function (body: object) {
  assertType<Equal<typeof this, AttemptContext>>();
  return createCompletion(body, { signal: this.signal });
});
assertType<Equal<typeof ask, (body: object) => Promise<ChatCompletion>>>();

// Per-job events.
limiter.on('queued', ({ id, key, priority }) => `${id} ${key ?? ''} ${priority}`);
limiter.on('started', ({ attempt, waitMs }) => attempt + waitMs);
limiter.on('settled', (detail: JobSettled) => {
  const latency: number = detail.latencyMs;
  const used: number | undefined = detail.usage?.inputTokens;
  if (detail.outcome === 'rejected') return String(detail.error);
  // @ts-expect-error: a fulfilled job has no error
  return detail.error;
});
limiter.addEventListener('settled', (event) => event.detail.attempts);

// Control.
limiter.pause();
limiter.resume();
const cleared: number = limiter.clear();
const closing: Promise<void> = limiter.close({ drain: false });
limiter.close();
const update: LimiterUpdate = { maxConcurrent: 16, maxQueue: 0, tokensPerMinute: 2_000_000 };
limiter.update(update);
// @ts-expect-error: the seed is set once, at construction
limiter.update({ seed: 1 });
const below: Promise<void> = limiter.onQueueBelow(100);
const paused: boolean = stats.paused;
const tokens: TokenStats = stats.tokens;
const tenant: KeyStats | undefined = stats.byKey['tenant-a'];
const tenantCounts: number[] = tenant ? [tenant.waiting, tenant.running, tenant.completed, tenant.failed, tenant.retried, tenant.inputTokens, tenant.outputTokens] : [];
const tokenCounts: number[] = [tokens.reserved, tokens.refunded, tokens.input, tokens.output, tokens.used];
const more: SluiceError[] = [new ClearedError(), new ClosedError()];
const closedCode: 'CLOSED' = new ClosedError().code;

// sluice/fetch: a fetch for the SDKs, and the estimates it makes.
const fetchOptions: FetchOptions = {
  fetch: (input, init) => fetch(input, init),
  estimate: (body, url) => (url.endsWith('/embeddings') ? { tokens: 100 } : undefined),
  key: 'tenant-a',
  priority: 1,
  maxWaitMs: 10_000,
  timeoutMs: 60_000,
};
const throttled: ThrottledFetch = createFetch(limiter, fetchOptions);
const response: Promise<Response> = throttled('https://api.example.com/v1/chat/completions', { method: 'POST', body: '{}' });
createFetch(limiter);
// @ts-expect-error: createFetch needs the limiter
createFetch({ fetch });
const guessed = estimateRequest({ contents: [] }, 'https://example.com');
const gemini: TokenEstimate = estimateGemini({ contents: [{ parts: [{ text: 'hi' }] }] }, { defaultMaxTokens: 100 });

export { tenantCounts, ask, cleared, closing, below, paused, tokenCounts, more, closedCode, response, guessed, gemini };

// sluice/otel takes the application's own Meter; sluice/prometheus is a registry.
const stopMetrics: () => void = instrument(limiter, { meter: metrics.getMeter('my-app'), attributes: { 'sluice.limiter': 'openai' }, maxKeys: 5, genAi: true });
// @ts-expect-error: the meter is required
instrument(limiter, { attributes: {} });
const registry: PrometheusMetrics = prometheus();
const removeFromRegistry: () => void = registry.add(limiter, { labels: { provider: 'openai' } });
const exposition: string = registry.text();
const contentType: string = registry.contentType;

export { stopMetrics, removeFromRegistry, exposition, contentType };
export { handle, idle, counts, level, limitName, badLimitName, errors, rangeError, s, loaded, counted, raw, gateUntil, learned };
