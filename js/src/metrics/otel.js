// sluice/otel: a limiter's metrics on an OpenTelemetry meter (the application's own, from
// `@opentelemetry/api`; sluice imports nothing of OpenTelemetry, so users without it pay
// nothing). Gauges and counters are read from stats() once per collection; durations, token
// usage and congestion are recorded from the limiter's events.
//
//   import { metrics } from '@opentelemetry/api';
//   import { instrument } from 'sluice/otel';
//   const stop = instrument(limiter, { meter: metrics.getMeter('my-app'), attributes: { 'sluice.limiter': 'openai' } });
import {
  ATTEMPT,
  attributesOf,
  BUDGET_ATTRIBUTE,
  BUDGET_FILL,
  BUDGETS,
  checkLimiter,
  CONGESTION,
  COUNTERS,
  followInto,
  GATE_CLOSED_TIME,
  GAUGES,
  GEN_AI_TOKENS,
  isTokenLimit,
  SECONDS_BUCKETS,
  TOKEN_BUCKETS,
  WAIT,
} from './catalog.js';
import * as check from '../validate.js';

const OPTIONS = new Set(['meter', 'attributes', 'maxKeys', 'genAi']);

/** Instruments are made once per meter, whatever number of limiters report through it. */
const byMeter = new WeakMap();

function instrumentsOf(meter) {
  let made = byMeter.get(meter);
  if (made) return made;
  const options = (m, extra) => ({ unit: m.unit, description: m.description, ...extra });
  const seconds = { advice: { explicitBucketBoundaries: SECONDS_BUCKETS } };
  made = {
    gauges: GAUGES.map((g) => [g, meter.createObservableGauge(g.name, options(g))]),
    counters: COUNTERS.map((c) => [c, meter.createObservableCounter(c.name, options(c))]),
    budgets: BUDGETS.map((b) => [b, meter.createObservableGauge(b.name, options(b))]),
    fill: meter.createObservableGauge(BUDGET_FILL.name, options(BUDGET_FILL)),
    gateTime: meter.createObservableCounter(GATE_CLOSED_TIME.name, options(GATE_CLOSED_TIME)),
    congestion: meter.createCounter(CONGESTION.name, options(CONGESTION)),
    wait: meter.createHistogram(WAIT.name, options(WAIT, seconds)),
    attempt: meter.createHistogram(ATTEMPT.name, options(ATTEMPT, seconds)),
    tokens: null,
  };
  byMeter.set(meter, made);
  return made;
}

/**
 * Registers `limiter`'s metrics with `meter`. `attributes` go on every point (tell limiters
 * apart with them); jobs' keys become the `sluice.key` attribute for the first `maxKeys` keys
 * (20), later ones `_other`. `genAi: true` also records `gen_ai.client.token.usage`. Returns a
 * function that stops reporting.
 * @param {import('../limiter.js').Limiter} limiter
 */
export function instrument(limiter, opts) {
  const o = check.options('instrument options', opts, OPTIONS);
  const meter = o.meter;
  if (meter === null || typeof meter !== 'object' || typeof meter.createObservableGauge !== 'function' || typeof meter.addBatchObservableCallback !== 'function') {
    throw new TypeError(`Expected \`meter\` to be an OpenTelemetry Meter (from metrics.getMeter()), got ${check.describe(meter)}`);
  }
  checkLimiter(limiter);
  const base = attributesOf('attributes', o.attributes);
  const made = instrumentsOf(meter);
  const { followed, genAi } = followInto(limiter, o, base, {
    congestion: (attributes) => made.congestion.add(1, attributes),
    wait: (s, attributes) => made.wait.record(s, attributes),
    attempt: (s, attributes) => made.attempt.record(s, attributes),
    tokens: (n, attributes) => made.tokens.record(n, attributes),
  });
  if (genAi) made.tokens ??= meter.createHistogram(GEN_AI_TOKENS.name, { unit: GEN_AI_TOKENS.unit, description: GEN_AI_TOKENS.description, advice: { explicitBucketBoundaries: TOKEN_BUCKETS } });

  const observables = [...made.gauges, ...made.counters, ...made.budgets].map(([, instrument]) => instrument).concat(made.fill, made.gateTime);
  const collect = (result) => {
    const s = limiter.stats();
    for (const [metric, instrument] of [...made.gauges, ...made.counters]) {
      if (metric.values) {
        for (const [value, read] of Object.entries(metric.values)) result.observe(instrument, read(s), { ...base, [metric.attribute]: value });
        continue;
      }
      const value = metric.read(s);
      if (value !== undefined) result.observe(instrument, value, base);
    }
    for (const [name, level] of Object.entries(s.budgets)) {
      const attributes = { ...base, [BUDGET_ATTRIBUTE]: name };
      for (const [metric, instrument] of made.budgets) if (metric.tokens === isTokenLimit(name)) result.observe(instrument, metric.read(level), attributes);
      if (level.capacity > 0) result.observe(made.fill, level.available / level.capacity, attributes);
    }
    result.observe(made.gateTime, followed.gateClosedSeconds(), base);
  };
  meter.addBatchObservableCallback(collect, observables);
  return () => {
    meter.removeBatchObservableCallback(collect, observables);
    followed.stop();
  };
}
