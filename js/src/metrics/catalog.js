// The metrics sluice offers, defined once for every exporter (OpenTelemetry, Prometheus): their
// names (OpenTelemetry's rules: a `sluice.` namespace, units in UCUM), what each means, and how
// it is read from `limiter.stats()` or counted from the limiter's events.

import * as check from '../validate.js';

const finite = (n) => (Number.isFinite(n) ? n : undefined);

/** Gauges read from stats(): the limiter's state at collection time. */
export const GAUGES = [
  { name: 'sluice.queue.size', unit: '{job}', description: 'Jobs waiting to start (not counting those backing off before a retry)', read: (s) => s.queued },
  { name: 'sluice.jobs.backing_off', unit: '{job}', description: 'Jobs waiting out a backoff before their next attempt', read: (s) => s.backingOff },
  { name: 'sluice.attempts.in_flight', unit: '{attempt}', description: 'Attempts running now', read: (s) => s.inFlight },
  { name: 'sluice.concurrency.limit', unit: '{attempt}', description: 'Attempts allowed at once (adaptive below maxConcurrent); absent when unlimited', read: (s) => finite(s.concurrencyLimit) },
  { name: 'sluice.gate.closed', unit: '1', description: '1 while a Retry-After pause holds the whole limiter, else 0', read: (s) => (s.gateClosedUntil == null ? 0 : 1) },
  { name: 'sluice.keys.active', unit: '{key}', description: 'Keys (tenants) with jobs queued or running', read: (s) => s.keys },
];

/** Counters read from stats(): monotonic since the limiter was built. `values` split one by an attribute. */
export const COUNTERS = [
  { name: 'sluice.jobs.submitted', unit: '{job}', description: 'Jobs scheduled', read: (s) => s.submitted },
  { name: 'sluice.jobs.completed', unit: '{job}', description: 'Jobs that ended in success', read: (s) => s.completed },
  { name: 'sluice.jobs.failed', unit: '{job}', description: 'Jobs that ended in failure (fatal outcomes, retries exhausted, timeouts, aborts while running)', read: (s) => s.failed },
  {
    name: 'sluice.jobs.rejected',
    unit: '{job}',
    description: 'Jobs the limiter gave up on before they started, by reason',
    attribute: 'sluice.rejection.reason',
    values: { queue_full: (s) => s.rejected, queue_timeout: (s) => s.expired },
  },
  { name: 'sluice.attempts.started', unit: '{attempt}', description: 'Attempts started (first tries and retries)', read: (s) => s.admitted },
  { name: 'sluice.attempts.cancelled', unit: '{attempt}', description: "Attempts and waits ended by the caller's signal", read: (s) => s.cancelled },
  { name: 'sluice.attempts.timed_out', unit: '{attempt}', description: 'Attempts aborted at timeoutMs', read: (s) => s.timedOut },
  { name: 'sluice.attempts.lost', unit: '{attempt}', description: 'Attempts given up for lost after attemptLeaseMs', read: (s) => s.lost },
  { name: 'sluice.retries', unit: '{retry}', description: 'Retries scheduled', read: (s) => s.retried },
  { name: 'sluice.retries.exhausted', unit: '{job}', description: 'Jobs that failed because their attempts or the retry budget ran out', read: (s) => s.retriesExhausted },
  { name: 'sluice.gate.closures', unit: '{pause}', description: 'Retry-After pauses (of the limiter or of one key)', read: (s) => s.gateClosed },
  { name: 'sluice.limits.learned', unit: '{limit}', description: 'Limits learned or corrected from response headers', read: (s) => s.limitsLearned },
];

/** The budgets: one instrument per unit, the limit's option name as an attribute. */
export const BUDGETS = [
  { name: 'sluice.budget.requests.available', unit: '{request}', description: 'Requests a budget can admit now (negative: a debt)', tokens: false, read: (b) => b.available },
  { name: 'sluice.budget.requests.capacity', unit: '{request}', description: 'Requests a budget holds when full', tokens: false, read: (b) => b.capacity },
  { name: 'sluice.budget.tokens.available', unit: '{token}', description: 'Tokens a budget can admit now (negative: a debt)', tokens: true, read: (b) => b.available },
  { name: 'sluice.budget.tokens.capacity', unit: '{token}', description: 'Tokens a budget holds when full', tokens: true, read: (b) => b.capacity },
];
export const BUDGET_FILL = { name: 'sluice.budget.fill', unit: '1', description: 'Available over capacity, per budget: 0 is empty, below 0 a debt' };
export const BUDGET_ATTRIBUTE = 'sluice.budget.limit';
export const isTokenLimit = (name) => name.startsWith('tokens') || name.includes('Tokens');

/** Counted from events. */
export const CONGESTION = {
  name: 'sluice.responses.congestion',
  unit: '{response}',
  description: 'Responses that said the provider is at its limit (429) or overloaded (529, 503), by kind',
  attribute: 'sluice.congestion.kind',
};
export const GATE_CLOSED_TIME = { name: 'sluice.gate.closed.duration', unit: 's', description: 'Time the whole limiter spent paused by Retry-After' };
export const WAIT = { name: 'sluice.job.wait.duration', unit: 's', description: 'Time from schedule() to the start of the first attempt' };
export const ATTEMPT = { name: 'sluice.attempt.duration', unit: 's', description: 'Time an attempt ran, from its start to its end (a stream: to its last chunk), by `sluice.attempt.outcome`' };
export const ATTEMPT_OUTCOME = 'sluice.attempt.outcome';
/** OpenTelemetry's GenAI convention (development status), behind the `genAi` option. */
export const GEN_AI_TOKENS = { name: 'gen_ai.client.token.usage', unit: '{token}', description: 'Tokens used per call, as the provider reported them', attribute: 'gen_ai.token.type' };

/** Bucket boundaries (seconds) for the duration histograms: LLM calls take up to minutes. */
export const SECONDS_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];
/** Bucket boundaries for token counts (OpenTelemetry's GenAI advice). */
export const TOKEN_BUCKETS = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864];

/** The key attribute's name, and the value keys past `maxKeys` are folded into. */
export const KEY_ATTRIBUTE = 'sluice.key';
export const OTHER_KEYS = '_other';
export const DEFAULT_MAX_KEYS = 20;

/**
 * Bounds the cardinality of the key attribute: the first `maxKeys` distinct keys keep their
 * name, later ones are all `_other`. Jobs without a key carry no key attribute.
 */
export function keyFolder(maxKeys) {
  const seen = new Set();
  return (key) => {
    if (key === undefined || key === '') return undefined;
    if (seen.has(key)) return key;
    if (seen.size < maxKeys) {
      seen.add(key);
      return key;
    }
    return OTHER_KEYS;
  };
}

/**
 * Follows a limiter's events for the metrics that stats() does not hold: congestion by kind,
 * the time the whole limiter spent paused, and the durations. `sink` receives
 * `congestion(kind, key)`, `wait(seconds, key)`, `attempt(seconds, key, outcome)` (outcome
 * `retried`, `fulfilled` or `rejected`) and `usage(input, output, key)`. Returns
 * `{ gateClosedSeconds(), stop() }`.
 */
export function follow(limiter, sink, foldKey) {
  let closedFor = 0;
  let closedAt = null;
  /** When the running attempt of each job being followed started. */
  const running = new Map();
  const clock = () => performance.now();
  const offs = [
    limiter.on('ratelimited', (d) => sink.congestion(d.overloaded ? 'overloaded' : 'rate_limited', foldKey(d.key))),
    limiter.on('gateclosed', (d) => {
      if (d.key === undefined && closedAt === null) closedAt = clock();
    }),
    limiter.on('gateopened', (d) => {
      if (d.key !== undefined || closedAt === null) return;
      closedFor += clock() - closedAt;
      closedAt = null;
    }),
    // An attempt runs from its `started` to the next attempt's start less that one's wait (a
    // retry), or to the job's `settled` (its last).
    limiter.on('started', (d) => {
      const t = clock();
      if (d.attempt === 1) sink.wait(d.waitMs / 1000, foldKey(d.key));
      const previous = running.get(d.id);
      if (previous !== undefined) sink.attempt((t - d.waitMs - previous) / 1000, foldKey(d.key), 'retried');
      running.set(d.id, t);
    }),
    limiter.on('settled', (d) => {
      const key = foldKey(d.key);
      const started = running.get(d.id);
      if (started !== undefined) {
        running.delete(d.id);
        sink.attempt((clock() - started) / 1000, key, d.outcome);
      }
      if (d.usage) sink.usage(d.usage.inputTokens, d.usage.outputTokens, key);
    }),
  ];
  return {
    gateClosedSeconds: () => (closedFor + (closedAt === null ? 0 : clock() - closedAt)) / 1000,
    stop: () => offs.forEach((off) => off()),
  };
}

/** A plain object of attribute (or label) values, copied. */
export function attributesOf(name, value) {
  if (value === undefined) return {};
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new TypeError(`Expected \`${name}\` to be an object of names and values, got ${check.describe(value)}`);
  return { ...value };
}


/**
 * The attribute sets of one limiter: `base`, the key (if any) and one more attribute, made once
 * each and reused (there are few: keys are folded to `maxKeys`), so that recording allocates
 * nothing. The objects are frozen: exporters may keep them.
 */
export function attributeSets(base) {
  const made = new Map();
  return (key, name, value) => {
    const id = `${key ?? ''}\u0000${name ?? ''}\u0000${value ?? ''}`;
    let set = made.get(id);
    if (set === undefined) {
      set = { ...base };
      if (key !== undefined) set[KEY_ATTRIBUTE] = key;
      if (name !== undefined) set[name] = value;
      made.set(id, Object.freeze(set));
    }
    return set;
  };
}

/** The limiter an exporter is given, checked. */
export function checkLimiter(limiter) {
  if (limiter === null || typeof limiter?.stats !== 'function' || typeof limiter?.on !== 'function') {
    throw new TypeError(`Expected \`limiter\` to be a sluice Limiter, got ${check.describe(limiter)}`);
  }
}

/**
 * What every exporter follows of `limiter` (see `follow`), with the exporter's options `o`
 * (`maxKeys`, `genAi`, checked here) and its attributes `base`: `record` receives each point
 * with its attribute set, `congestion(attributes)`, `wait(seconds, attributes)`,
 * `attempt(seconds, attributes)` and, with `genAi`, `tokens(count, attributes)`. Returns
 * `{ followed, genAi }`.
 */
export function followInto(limiter, o, base, record) {
  const maxKeys = o.maxKeys === undefined ? DEFAULT_MAX_KEYS : check.integer('maxKeys', o.maxKeys, { min: 0 });
  const genAi = o.genAi === undefined ? false : check.boolean('genAi', o.genAi);
  const withKey = attributeSets(base);
  const followed = follow(
    limiter,
    {
      congestion: (kind, key) => record.congestion(withKey(key, CONGESTION.attribute, kind)),
      wait: (s, key) => record.wait(s, withKey(key)),
      attempt: (s, key, outcome) => record.attempt(s, withKey(key, ATTEMPT_OUTCOME, outcome)),
      usage(input, output, key) {
        if (!genAi) return;
        record.tokens(input, withKey(key, GEN_AI_TOKENS.attribute, 'input'));
        record.tokens(output, withKey(key, GEN_AI_TOKENS.attribute, 'output'));
      },
    },
    keyFolder(maxKeys),
  );
  return { followed, genAi };
}
