// The demo's closing table, and the ideal it is measured against.

/**
 * The shortest time the provider's limits allow for the batch. Each bucket starts full
 * (capacity = its per-minute limit) and refills limit/60000 per ms, so a bucket that must
 * pass a total charge C takes max(0, C − capacity) / (limit / 60000) ms. C is what the
 * provider keeps once requests are settled: one per request for RPM, input + actual output
 * tokens for TPM. The slowest bucket sets the pace; the last request still takes one
 * typical latency to answer:
 *
 *   ideal = max over buckets of max(0, C − capacity) / rate  +  typical latency
 *
 * It leaves out the limiter's maxConcurrent: a small batch that never empties a bucket is
 * bound by concurrency and latency instead, and its ratio says little.
 */
export function idealElapsed({ limits, charges, typicalLatencyMs }) {
  const perBucket = {};
  for (const [name, limit] of Object.entries(limits)) {
    perBucket[name] = Math.max(0, charges[name] - limit) / (limit / 60_000);
  }
  const slowest = Math.max(0, ...Object.values(perBucket));
  return { totalMs: slowest + typicalLatencyMs, perBucket };
}

const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;
const count = (n) => n.toLocaleString('en-US');

export function summaryTable({ jobs, ok, failed, provider, failedOn429, elapsedMs, ideal, typicalLatencyMs, maxConcurrent }) {
  const buckets = Object.entries(ideal.perBucket).map(([name, ms]) => `${name} ${seconds(ms)}`).join(', ');
  const rows = [
    ['jobs', `${count(jobs)} (${count(ok)} ok, ${count(failed)} failed)`],
    ['provider requests', count(provider.requests)],
    // The provider's count: a limiter that retries 429s hides them from the jobs' results.
    ['429s', `${count(provider.rateLimited)} from the provider (${count(failedOn429)} jobs failed on one)`],
    ['tokens kept by provider', `${count(provider.inputTokens + provider.outputTokens)} (input ${count(provider.inputTokens)} + output ${count(provider.outputTokens)})`],
    ['peak in flight', `${provider.peakInFlight} (maxConcurrent ${maxConcurrent})`],
    ['elapsed', seconds(elapsedMs)],
    ['ideal elapsed', `${seconds(ideal.totalMs)} (slowest bucket of: ${buckets}; + ${seconds(typicalLatencyMs)} latency)`],
    ['ratio', `${(elapsedMs / ideal.totalMs).toFixed(2)}x`],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`).join('\n');
}
