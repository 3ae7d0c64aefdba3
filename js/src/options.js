// The public options, checked once: the limiter's at construction, a job's at schedule().
import * as check from './validate.js';

/** The rate limits, in the order the core numbers them (LimitKind). */
export const LIMIT_NAMES = [
  'requestsPerMinute',
  'tokensPerMinute',
  'inputTokensPerMinute',
  'outputTokensPerMinute',
  'requestsPerDay',
  'tokensPerDay',
];

const LIMITER_OPTIONS = new Set([
  'maxConcurrent',
  'maxQueue',
  'burst',
  ...LIMIT_NAMES,
  'retry',
  'adaptiveConcurrency',
  'gate',
  'seed',
  'classify',
]);
const RETRY_OPTIONS = new Set(['maxAttempts', 'baseMs', 'maxDelayMs', 'maxRetryAfterMs', 'budget']);
const BUDGET_OPTIONS = new Set(['ttlMs', 'minPerSec', 'percent']);
const CLASSES = new Set(['success', 'rate-limited', 'overloaded', 'retryable', 'fatal']);

export const RETRY_DEFAULTS = Object.freeze({ maxAttempts: 6, baseMs: 500, maxDelayMs: 30_000, maxRetryAfterMs: 60_000 });
export const BUDGET_DEFAULTS = Object.freeze({ ttlMs: 10_000, minPerSec: 10, percent: 20 });
/** `budget: false`: retries are limited by `maxAttempts` alone. */
const NO_BUDGET = Object.freeze({ ttlMs: 10_000, minPerSec: 2 ** 31, percent: 0 });

function parseRetry(input) {
  if (input === false) return { ...RETRY_DEFAULTS, maxAttempts: 1, budget: BUDGET_DEFAULTS };
  const o = check.options('retry', input, RETRY_OPTIONS);
  const pick = (name, opts) => (o[name] === undefined ? RETRY_DEFAULTS[name] : check.integer(`retry.${name}`, o[name], opts));
  const retry = {
    maxAttempts: pick('maxAttempts'),
    baseMs: pick('baseMs'),
    maxDelayMs: pick('maxDelayMs'),
    maxRetryAfterMs: pick('maxRetryAfterMs', { min: 0 }),
    budget: BUDGET_DEFAULTS,
  };
  if (retry.maxDelayMs < retry.baseMs) {
    throw new RangeError(`Expected \`retry.maxDelayMs\` to be at least \`retry.baseMs\` (${retry.baseMs}), got ${retry.maxDelayMs}`);
  }
  if (o.budget === false) retry.budget = NO_BUDGET;
  else if (o.budget !== undefined) {
    const b = check.options('retry.budget', o.budget, BUDGET_OPTIONS);
    const pickBudget = (name, opts) => (b[name] === undefined ? BUDGET_DEFAULTS[name] : check.integer(`retry.budget.${name}`, b[name], opts));
    retry.budget = { ttlMs: pickBudget('ttlMs'), minPerSec: pickBudget('minPerSec', { min: 0 }), percent: pickBudget('percent', { min: 0 }) };
  }
  return retry;
}

/**
 * Defaults: no concurrency cap (adaptive below it), no queue cap, the whole of each limit may
 * go out at once, 6 attempts per job under a retry budget, one gate for the whole limiter.
 */
export function parseLimiterOptions(input) {
  const o = check.options('options', input, LIMITER_OPTIONS);
  const given = (name) => o[name] !== undefined;
  if (given('gate') && o.gate !== 'limiter' && o.gate !== 'key') {
    throw new (typeof o.gate === 'string' ? RangeError : TypeError)(`Expected \`gate\` to be "limiter" or "key", got ${check.describe(o.gate)}`);
  }
  return {
    maxConcurrent: given('maxConcurrent') ? check.integer('maxConcurrent', o.maxConcurrent, { infinite: true }) : Infinity,
    maxQueue: given('maxQueue') ? check.integer('maxQueue', o.maxQueue, { min: 0, infinite: true }) : Infinity,
    burst: given('burst') ? check.number('burst', o.burst, { min: 0, minOpen: true, max: 1 }) : 1,
    limits: LIMIT_NAMES.map((name) => (given(name) ? check.integer(name, o[name]) : undefined)),
    retry: given('retry') ? parseRetry(o.retry) : { ...RETRY_DEFAULTS, budget: BUDGET_DEFAULTS },
    adaptiveConcurrency: given('adaptiveConcurrency') ? check.boolean('adaptiveConcurrency', o.adaptiveConcurrency) : true,
    gatePerKey: o.gate === 'key',
    seed: given('seed') ? check.integer('seed', o.seed, { min: 0 }) : undefined,
    classify: given('classify') ? check.func('classify', o.classify) : undefined,
  };
}

/** Checks what a `classify` option returned. */
export function checkClass(value) {
  if (value === undefined || CLASSES.has(value)) return value;
  throw new TypeError(
    `Expected \`classify\` to return "success", "rate-limited", "overloaded", "retryable", "fatal" or undefined, got ${check.describe(value)}`,
  );
}

const JOB_OPTIONS = new Set(['tokens', 'inputTokens', 'maxOutputTokens', 'priority', 'key', 'signal', 'maxWaitMs', 'timeoutMs']);

const NO_OPTIONS = Object.freeze({
  tokens: 0,
  inputTokens: -1,
  maxOutputTokens: -1,
  priority: 0,
  key: '',
  signal: undefined,
  maxWaitMs: Infinity,
  timeoutMs: Infinity,
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
  return {
    tokens: count('tokens'),
    inputTokens: split ? count('inputTokens') : -1,
    maxOutputTokens: split ? count('maxOutputTokens') : -1,
    priority: o.priority === undefined ? 0 : check.number('priority', o.priority),
    key: o.key === undefined ? '' : check.string('key', o.key),
    signal: o.signal === undefined ? undefined : check.signal('signal', o.signal),
    maxWaitMs: o.maxWaitMs === undefined ? Infinity : Math.ceil(check.number('maxWaitMs', o.maxWaitMs, { min: 0, infinite: true })),
    timeoutMs: o.timeoutMs === undefined ? Infinity : check.number('timeoutMs', o.timeoutMs, { min: 0, minOpen: true, infinite: true }),
  };
}
