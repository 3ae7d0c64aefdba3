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

const LIMITER_OPTIONS = new Set(['maxConcurrent', 'maxQueue', 'burst', ...LIMIT_NAMES]);

/** Defaults: no concurrency cap, no queue cap, the whole of each limit may go out at once. */
export function parseLimiterOptions(input) {
  const o = check.options('options', input, LIMITER_OPTIONS);
  const given = (name) => o[name] !== undefined;
  return {
    maxConcurrent: given('maxConcurrent') ? check.integer('maxConcurrent', o.maxConcurrent, { infinite: true }) : Infinity,
    maxQueue: given('maxQueue') ? check.integer('maxQueue', o.maxQueue, { min: 0, infinite: true }) : Infinity,
    burst: given('burst') ? check.number('burst', o.burst, { min: 0, minOpen: true, max: 1 }) : 1,
    limits: LIMIT_NAMES.map((name) => (given(name) ? check.integer(name, o[name]) : undefined)),
  };
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
