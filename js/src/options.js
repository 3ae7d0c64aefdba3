// The public options, checked once: the limiter's at construction, a job's at schedule().
import * as code from './codes.js';
import { CLASSES as CLASS_NAMES, LIMIT_NAMES } from './names.js';
import * as check from './validate.js';

const LIMITER_OPTIONS = new Set(['maxConcurrent', 'maxQueue', 'burst', ...LIMIT_NAMES, 'retry', 'adaptiveConcurrency', 'gate', 'seed', 'classify', 'attemptLeaseMs', 'calibrate', 'latencyQuantile', 'coordinator']);
const RETRY_OPTIONS = new Set(['maxAttempts', 'baseMs', 'maxDelayMs', 'maxRetryAfterMs', 'budget']);
const BUDGET_OPTIONS = new Set(['ttlMs', 'minPerSec', 'percent']);
const CLASSES = new Set(CLASS_NAMES);

/** A whole number, -1 when not given (the core then applies its default) or Infinity. */
function count(name, value, opts) {
  if (value === undefined) return -1;
  const n = check.integer(name, value, opts);
  return n === Infinity ? -1 : n;
}

/**
 * Checks the limiter's options and returns the core's settings (each number where codes.js
 * says; -1 where the core's default applies), with the JS-only ones.
 * The defaults (the README lists them) live in the core: no cap on concurrency (adaptive
 * below it) or on the queue, the whole of each limit at once, 6 attempts per job under a retry
 * budget, one gate for the whole limiter.
 */
export function parseLimiterOptions(input) {
  const o = check.options('options', input, LIMITER_OPTIONS);
  if (o.gate !== undefined && o.gate !== 'limiter' && o.gate !== 'key') {
    throw new (typeof o.gate === 'string' ? RangeError : TypeError)(`Expected \`gate\` to be "limiter" or "key", got ${check.describe(o.gate)}`);
  }
  const retry = o.retry === false ? { maxAttempts: 1 } : check.options('retry', o.retry, RETRY_OPTIONS);
  // `budget: false`: no retry budget; retries are limited by `maxAttempts` alone.
  const budget = retry.budget === false ? {} : check.options('retry.budget', retry.budget, BUDGET_OPTIONS);
  const s = new Float64Array(code.SETTINGS_LENGTH);
  s[code.SET_MAX_CONCURRENT] = count('maxConcurrent', o.maxConcurrent, { infinite: true });
  s[code.SET_MAX_QUEUE] = count('maxQueue', o.maxQueue, { min: 0, infinite: true });
  s[code.SET_BURST] = o.burst === undefined ? 1 : check.number('burst', o.burst, 'a number in (0, 1]', (n) => n > 0 && n <= 1);
  s[code.SET_ADAPTIVE_CONCURRENCY] = o.adaptiveConcurrency === undefined || check.boolean('adaptiveConcurrency', o.adaptiveConcurrency) ? 1 : 0;
  s[code.SET_GATE] = o.gate === 'key' ? 1 : 0;
  s[code.SET_MAX_ATTEMPTS] = count('retry.maxAttempts', retry.maxAttempts);
  s[code.SET_BASE_MS] = count('retry.baseMs', retry.baseMs);
  s[code.SET_MAX_DELAY_MS] = count('retry.maxDelayMs', retry.maxDelayMs);
  s[code.SET_MAX_RETRY_AFTER_MS] = count('retry.maxRetryAfterMs', retry.maxRetryAfterMs, { min: 0 });
  s[code.SET_RETRY_BUDGET] = retry.budget === false ? 0 : 1;
  s[code.SET_BUDGET_TTL_MS] = count('retry.budget.ttlMs', budget.ttlMs);
  s[code.SET_BUDGET_MIN_PER_SEC] = count('retry.budget.minPerSec', budget.minPerSec, { min: 0 });
  s[code.SET_BUDGET_PERCENT] = count('retry.budget.percent', budget.percent, { min: 0 });
  s[code.SET_SEED] = count('seed', o.seed, { min: 0 });
  s[code.SET_ATTEMPT_LEASE_MS] = o.attemptLeaseMs === Infinity ? Infinity : count('attemptLeaseMs', o.attemptLeaseMs, { infinite: true });
  s[code.SET_CALIBRATE] = o.calibrate === undefined || check.boolean('calibrate', o.calibrate) ? 1 : 0;
  LIMIT_NAMES.forEach((name, i) => (s[code.SET_LIMITS + i] = count(name, o[name])));
  return {
    settings: s,
    // Checked by leases.js, which the entries of runtimes with Durable Objects install.
    coordinator: o.coordinator === undefined ? null : o,
    seeded: o.seed !== undefined,
    classify: o.classify === undefined ? undefined : check.func('classify', o.classify),
    latencyQuantile: latencyQuantile(o.latencyQuantile),
  };
}

/**
 * The quantile of finished attempts' latency that the time left before a deadline must cover
 * (default 0.9, in the core); `false`: reject a job only when it is certain to be late (0 for
 * the core). `undefined` when not given.
 */
function latencyQuantile(value) {
  if (value === undefined || value === false) return value === false ? 0 : undefined;
  if (typeof value === 'number' && value > 0 && value <= 1) return value;
  throw new (typeof value === 'number' ? RangeError : TypeError)(`Expected \`latencyQuantile\` to be a number in (0, 1] or false, got ${check.describe(value)}`);
}

const UPDATABLE = new Set(['maxConcurrent', 'maxQueue', ...LIMIT_NAMES]);

/**
 * Checks `limiter.update(options)`, as the constructor checks the same options, and returns the
 * settings in the constructor's layout: NaN where nothing changes (`Core.reconfigure`).
 */
export function parseUpdate(input) {
  const o = check.options('options', input, UPDATABLE);
  const given = (i) => (i < code.SET_LIMITS ? { [code.SET_MAX_CONCURRENT]: o.maxConcurrent, [code.SET_MAX_QUEUE]: o.maxQueue }[i] : o[LIMIT_NAMES[i - code.SET_LIMITS]]) !== undefined;
  return parseLimiterOptions(o).settings.map((value, i) => (given(i) ? value : NaN));
}

/** Checks what a `classify` option returned. */
export function checkClass(value) {
  if (value === undefined || CLASSES.has(value)) return value;
  const names = [...CLASSES].map((c) => `"${c}"`).join(', ');
  throw new TypeError(`Expected \`classify\` to return ${names} or undefined, got ${check.describe(value)}`);
}

const JOB_OPTIONS = new Set(['tokens', 'inputTokens', 'maxOutputTokens', 'priority', 'key', 'signal', 'maxWaitMs', 'timeoutMs', 'stream', 'firstChunkTimeoutMs', 'idleTimeoutMs', 'deadline']);

const NO_OPTIONS = Object.freeze({
  tokens: 0,
  inputTokens: -1,
  maxOutputTokens: -1,
  priority: 0,
  key: '',
  signal: undefined,
  maxWaitMs: Infinity,
  timeoutMs: Infinity,
  stream: true,
  firstChunkTimeoutMs: Infinity,
  idleTimeoutMs: Infinity,
  deadline: Infinity,
});

/** A job's options; `inputTokens`/`maxOutputTokens` of -1 mean "only the total is known". */
export function parseJobOptions(input) {
  if (input === undefined) return NO_OPTIONS;
  const o = check.options('opts', input, JOB_OPTIONS);
  const split = o.inputTokens !== undefined || o.maxOutputTokens !== undefined;
  if (split && o.tokens !== undefined) {
    throw new TypeError('Give either `tokens` or `inputTokens` with `maxOutputTokens`, not both');
  }
  const count = (name) => (o[name] === undefined ? 0 : check.integer(name, o[name], { min: 0 }));
  const duration = (name) => (o[name] === undefined ? Infinity : check.number(name, o[name], 'a positive finite number or Infinity', (n) => n > 0, true));
  return {
    tokens: count('tokens'),
    inputTokens: split ? count('inputTokens') : -1,
    maxOutputTokens: split ? count('maxOutputTokens') : -1,
    priority: o.priority === undefined ? 0 : check.number('priority', o.priority, 'a finite number'),
    key: o.key === undefined ? '' : check.string('key', o.key),
    signal: o.signal === undefined ? undefined : check.signal('signal', o.signal),
    maxWaitMs: o.maxWaitMs === undefined ? Infinity : Math.ceil(check.number('maxWaitMs', o.maxWaitMs, 'a non-negative finite number or Infinity', (n) => n >= 0, true)),
    timeoutMs: duration('timeoutMs'),
    stream: o.stream === undefined || check.boolean('stream', o.stream),
    firstChunkTimeoutMs: duration('firstChunkTimeoutMs'),
    idleTimeoutMs: duration('idleTimeoutMs'),
    deadline: o.deadline === undefined ? Infinity : check.number('deadline', o.deadline, 'a time in milliseconds since the epoch, as Date.now() + 10_000', (n) => n >= 0),
  };
}
