// sluice/otel and sluice/prometheus after a known workload on fake time, read back through the
// real OpenTelemetry SDK (a manual reader) and a real Prometheus text parser.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MeterProvider, MetricReader, DataPointType } from '@opentelemetry/sdk-metrics';
import parsePrometheus from 'parse-prometheus-text-format';
import { Limiter } from 'sluice';
import { instrument } from 'sluice/otel';
import { prometheus } from 'sluice/prometheus';
import { useFakeClock } from './support/clock.js';

/** A metric reader that collects when asked (the SDK's own export path, no exporter timer). */
class ManualReader extends MetricReader {
  async onForceFlush() {}
  async onShutdown() {}
}

function apiError(status, headers = {}) {
  return Object.assign(new Error(`${status} status code`), { status, headers: new Headers(headers) });
}

/**
 * The workload: 8 jobs through maxConcurrent 2 with a requests and a tokens budget; one meets a
 * 429 with retry-after (a pause of a second, then its retry succeeds), one a fatal 400, one an
 * overload (529) then success; the rest succeed with usage.
 */
async function workload(clock, limiter, key = undefined) {
  const outcomes = ['429', 'ok', '400', 'ok', '529', 'ok', 'ok', 'ok'];
  const jobs = outcomes.map((kind, i) => {
    let calls = 0;
    return limiter
      .schedule(
        () =>
          new Promise((resolve, reject) =>
            setTimeout(() => {
              calls += 1;
              if (kind === '429' && calls === 1) return reject(apiError(429, { 'retry-after': '1' }));
              if (kind === '529' && calls === 1) return reject(apiError(529));
              if (kind === '400') return reject(apiError(400));
              resolve({ usage: { prompt_tokens: 10 + i, completion_tokens: 5 } });
            }, 100),
          ),
        { tokens: 50, key },
      )
      .catch(() => 'failed');
  });
  await clock.tickAsync(10_000);
  await Promise.all(jobs);
}

/** Every data point of `name` in a collection, as [attributes, value]. */
function points(collected, name) {
  const found = [];
  for (const scope of collected.resourceMetrics.scopeMetrics) {
    for (const metric of scope.metrics) {
      if (metric.descriptor.name !== name) continue;
      for (const p of metric.dataPoints) found.push([p.attributes, metric.dataPointType === DataPointType.HISTOGRAM ? p.value : p.value]);
    }
  }
  return found;
}

test('sluice/otel: every metric after a known workload equals what stats() says, with the attributes given', async (t) => {
  const clock = useFakeClock(t);
  const reader = new ManualReader();
  const provider = new MeterProvider({ readers: [reader] });
  const meter = provider.getMeter('sluice-test');
  const limiter = new Limiter({ maxConcurrent: 2, requestsPerMinute: 600, tokensPerMinute: 60_000, adaptiveConcurrency: false, seed: 1 });
  const stop = instrument(limiter, { meter, attributes: { 'sluice.limiter': 'a' }, genAi: true });
  await workload(clock, limiter);
  const s = limiter.stats();
  const collected = await reader.collect();
  assert.deepEqual(collected.errors, []);
  const one = (name, attributes = {}) => {
    const found = points(collected, name).filter(([a]) => Object.entries(attributes).every(([k, v]) => a[k] === v));
    assert.equal(found.length, 1, `${name} ${JSON.stringify(attributes)}: ${JSON.stringify(found)}`);
    assert.equal(found[0][0]['sluice.limiter'], 'a');
    return found[0][1];
  };
  assert.equal(one('sluice.jobs.submitted'), s.submitted);
  assert.equal(s.submitted, 8);
  assert.equal(one('sluice.jobs.completed'), s.completed);
  assert.equal(one('sluice.jobs.failed'), s.failed);
  assert.equal(one('sluice.attempts.started'), s.admitted);
  assert.equal(one('sluice.retries'), s.retried);
  assert.equal(one('sluice.retries.exhausted'), s.retriesExhausted);
  assert.equal(one('sluice.gate.closures'), s.gateClosed);
  assert.equal(one('sluice.jobs.rejected', { 'sluice.rejection.reason': 'queue_full' }), s.rejected);
  assert.equal(one('sluice.queue.size'), 0);
  assert.equal(one('sluice.attempts.in_flight'), 0);
  assert.equal(one('sluice.concurrency.limit'), 2);
  assert.equal(one('sluice.gate.closed'), 0);
  assert.equal(one('sluice.budget.requests.available', { 'sluice.budget.limit': 'requestsPerMinute' }), s.budgets.requestsPerMinute.available);
  assert.equal(one('sluice.budget.tokens.capacity', { 'sluice.budget.limit': 'tokensPerMinute' }), s.budgets.tokensPerMinute.capacity);
  assert.equal(one('sluice.budget.fill', { 'sluice.budget.limit': 'tokensPerMinute' }), s.budgets.tokensPerMinute.available / s.budgets.tokensPerMinute.capacity);
  // From the events: a 429 and a 529, as stats().rateLimited counts them together.
  assert.equal(one('sluice.responses.congestion', { 'sluice.congestion.kind': 'rate_limited' }), 1);
  assert.equal(one('sluice.responses.congestion', { 'sluice.congestion.kind': 'overloaded' }), 1);
  assert.equal(s.rateLimited, 2);
  // The pause of the whole limiter: a second of fake time.
  assert.equal(one('sluice.gate.closed.duration'), 1);
  // The histograms, from the job events: one wait per job, one duration per attempt, and the
  // GenAI token usage summing to what the limiter settled.
  const total = (name, attributes = {}) =>
    points(collected, name)
      .filter(([a]) => Object.entries(attributes).every(([k, v]) => a[k] === v))
      .reduce((sum, [, h]) => ({ count: sum.count + h.count, sum: sum.sum + h.sum }), { count: 0, sum: 0 });
  assert.equal(total('sluice.job.wait.duration').count, 8);
  assert.equal(total('sluice.attempt.duration').count, s.admitted);
  assert.equal(total('sluice.attempt.duration', { 'sluice.attempt.outcome': 'retried' }).count, s.retried);
  // Each attempt took 100 ms of fake time.
  assert.ok(Math.abs(total('sluice.attempt.duration').sum - 0.1 * s.admitted) < 1e-9, String(total('sluice.attempt.duration').sum));
  assert.equal(total('gen_ai.client.token.usage', { 'gen_ai.token.type': 'input' }).sum, s.tokens.input);
  assert.equal(total('gen_ai.client.token.usage', { 'gen_ai.token.type': 'output' }).sum, s.tokens.output);
  // The metric descriptors carry units that follow OpenTelemetry's rules.
  const descriptors = collected.resourceMetrics.scopeMetrics.flatMap((sm) => sm.metrics.map((m) => m.descriptor));
  assert.equal(descriptors.find((d) => d.name === 'sluice.queue.size').unit, '{job}');
  assert.equal(descriptors.find((d) => d.name === 'sluice.gate.closed.duration').unit, 's');
  stop();
  await provider.shutdown();
});

test('sluice/otel: two limiters on one meter, told apart by their attributes, register each metric once', async (t) => {
  const clock = useFakeClock(t);
  const reader = new ManualReader();
  const provider = new MeterProvider({ readers: [reader] });
  const meter = provider.getMeter('sluice-test');
  const a = new Limiter({ maxConcurrent: 2 });
  const b = new Limiter({ maxConcurrent: 3 });
  instrument(a, { meter, attributes: { 'sluice.limiter': 'a' } });
  instrument(b, { meter, attributes: { 'sluice.limiter': 'b' } });
  await workload(clock, a);
  const collected = await reader.collect();
  const names = collected.resourceMetrics.scopeMetrics.flatMap((sm) => sm.metrics.map((m) => m.descriptor.name));
  assert.equal(names.length, new Set(names).size, `a metric registered twice: ${names.join(', ')}`);
  const limits = points(collected, 'sluice.concurrency.limit').map(([attrs, v]) => [attrs['sluice.limiter'], v]).sort();
  assert.deepEqual(limits, [['a', 2], ['b', 3]]);
  const submitted = points(collected, 'sluice.jobs.submitted').map(([attrs, v]) => [attrs['sluice.limiter'], v]).sort();
  assert.deepEqual(submitted, [['a', 8], ['b', 0]]);
  await provider.shutdown();
});

test('sluice/otel: keys past maxKeys are folded into one attribute value', async (t) => {
  const clock = useFakeClock(t);
  const reader = new ManualReader();
  const provider = new MeterProvider({ readers: [reader] });
  const limiter = new Limiter({ maxConcurrent: 4 });
  instrument(limiter, { meter: provider.getMeter('t'), maxKeys: 2 });
  const jobs = ['k1', 'k2', 'k3', 'k4'].map((key) => limiter.schedule(() => Promise.reject(apiError(529)), { key, timeoutMs: 50 }).catch(() => {}));
  await clock.tickAsync(60_000);
  await Promise.all(jobs);
  const collected = await reader.collect();
  const keys = new Set(points(collected, 'sluice.responses.congestion').map(([attrs]) => attrs['sluice.key']));
  assert.deepEqual([...keys].sort(), ['_other', 'k1', 'k2']);
  await provider.shutdown();
});

test('sluice/otel refuses what is not a meter, with the exact message', () => {
  const limiter = new Limiter();
  assert.throws(() => instrument(limiter, { meter: {} }), { name: 'TypeError', message: 'Expected `meter` to be an OpenTelemetry Meter (from metrics.getMeter()), got an object' });
  assert.throws(() => instrument(limiter, { meter: undefined }), { name: 'TypeError', message: 'Expected `meter` to be an OpenTelemetry Meter (from metrics.getMeter()), got undefined' });
});

test('sluice/prometheus: the text parses with a real parser; types and values match stats()', async (t) => {
  const clock = useFakeClock(t);
  const limiter = new Limiter({ maxConcurrent: 2, requestsPerMinute: 600, tokensPerMinute: 60_000, adaptiveConcurrency: false, seed: 1 });
  const metrics = prometheus();
  metrics.add(limiter, { labels: { limiter: 'a' } });
  await workload(clock, limiter);
  const s = limiter.stats();
  const families = new Map(parsePrometheus(metrics.text()).map((f) => [f.name, f]));
  const value = (name, labels = {}) => {
    const f = families.get(name);
    assert.ok(f, `no ${name} in:\n${[...families.keys()].join('\n')}`);
    const m = f.metrics.filter((x) => Object.entries(labels).every(([k, v]) => x.labels?.[k] === v));
    assert.equal(m.length, 1, `${name} ${JSON.stringify(labels)}`);
    assert.equal(m[0].labels.limiter, 'a');
    return Number(m[0].value);
  };
  assert.equal(families.get('sluice_jobs_submitted_total').type, 'COUNTER');
  assert.equal(value('sluice_jobs_submitted_total'), s.submitted);
  assert.equal(value('sluice_jobs_completed_total'), s.completed);
  assert.equal(value('sluice_retries_total'), s.retried);
  assert.equal(families.get('sluice_queue_size').type, 'GAUGE');
  assert.equal(value('sluice_queue_size'), s.queued);
  assert.equal(value('sluice_concurrency_limit'), 2);
  assert.equal(value('sluice_budget_tokens_available', { sluice_budget_limit: 'tokensPerMinute' }), s.budgets.tokensPerMinute.available);
  assert.equal(value('sluice_budget_fill_ratio', { sluice_budget_limit: 'requestsPerMinute' }), s.budgets.requestsPerMinute.available / s.budgets.requestsPerMinute.capacity);
  assert.equal(value('sluice_responses_congestion_total', { sluice_congestion_kind: 'rate_limited' }), 1);
  assert.equal(value('sluice_responses_congestion_total', { sluice_congestion_kind: 'overloaded' }), 1);
  assert.equal(value('sluice_gate_closed_duration_seconds_total'), 1);
  // Histograms: their TYPE through the parser; parse-prometheus-text-format 1.1.1 drops the
  // labels, _sum and _count of a labelled histogram, so the series are read from the lines.
  assert.equal(families.get('sluice_job_wait_duration_seconds').type, 'HISTOGRAM');
  const exposition = metrics.text();
  const sumOf = (series) => [...exposition.matchAll(new RegExp(`^${series}\\{[^}]*\\} (\\S+)$`, 'gm'))].reduce((n, m) => n + Number(m[1]), 0);
  assert.equal(sumOf('sluice_job_wait_duration_seconds_count'), 8);
  assert.equal(sumOf('sluice_attempt_duration_seconds_count'), s.admitted);
  assert.ok(Math.abs(sumOf('sluice_attempt_duration_seconds_sum') - 0.1 * s.admitted) < 1e-9);
  assert.equal(exposition.match(/^sluice_job_wait_duration_seconds_bucket\{limiter="a",le="\+Inf"\} 8$/m)?.[0] !== undefined, true);
  // Each family once, even with a second limiter.
  const other = new Limiter({ maxConcurrent: 1 });
  metrics.add(other, { labels: { limiter: 'b' } });
  const text = metrics.text();
  const typeLines = text.split('\n').filter((l) => l.startsWith('# TYPE '));
  assert.equal(typeLines.length, new Set(typeLines).size);
  const limits = parsePrometheus(text).find((f) => f.name === 'sluice_concurrency_limit').metrics.map((m) => [m.labels.limiter, Number(m.value)]).sort();
  assert.deepEqual(limits, [['a', 2], ['b', 1]]);
});
