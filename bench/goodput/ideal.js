// The ideal makespan of a workload: the binding bucket drained at its rate.
//
// For each provider bucket b (requests, tokens) with a per-minute limit L_b, the capacity is
// C_b = L_b (the bucket holds one minute's limit, full at the start) and the rate r_b = L_b / 60 000
// per millisecond. The workload needs
//
//   need_requests = N                              (every job, one successful attempt each)
//   need_tokens   = Σ_j (input_j + output_j)        (what the provider keeps after settling;
//                                                    Σ (input_j + max_tokens_j) if it does not settle)
//
// No client can have admitted its last job before  max_b max(0, need_b - C_b) / r_b,  and that last
// job then runs for a while: the mean latency of the workload's jobs,  L̄ = Σ_j (base + perToken ×
// output_j) / N,  is added. Jobs that arrive late bound it too: no job ends before its arrival plus
// its own latency. So
//
//   ideal = max( max_b max(0, need_b - C_b) / r_b + L̄ ,  max_j (arrival_j + latency_j) )
//
// An outage costs nothing here: through 30 s of outage the bucket, capped at one minute's worth,
// keeps refilling, and a perfect client sends the backlog the instant it ends.

/** @returns {{ idealMs: number, bindMs: number, binding: string, meanLatencyMs: number, tokens: number, lastArrivalMs: number }} */
export function ideal(sc) {
  const { rpm, tpm } = sc.limits;
  const { baseMs, perTokenMs } = sc.latency;
  const settle = sc.settle ?? true;
  const n = sc.jobs.length;
  let tokens = 0;
  let latency = 0;
  let lastArrival = 0;
  for (const j of sc.jobs) {
    tokens += j.input + (settle ? j.output : j.maxTokens);
    const l = baseMs + perTokenMs * j.output;
    latency += l;
    lastArrival = Math.max(lastArrival, j.arrival + l);
  }
  const drain = (need, limit) => Math.max(0, need - limit) / (limit / 60_000);
  const byRequests = drain(n, rpm);
  const byTokens = drain(tokens, tpm);
  const bindMs = Math.max(byRequests, byTokens);
  const meanLatencyMs = latency / n;
  return {
    idealMs: Math.max(bindMs + meanLatencyMs, lastArrival),
    bindMs,
    binding: byTokens >= byRequests ? 'tokens per minute' : 'requests per minute',
    meanLatencyMs,
    tokens,
    lastArrivalMs: lastArrival,
  };
}

/**
 * The earliest any client that honours every Retry-After could admit its last job, in a
 * scenario whose outage answers with a fixed Retry-After: it sends one probe at a time through
 * the outage (each refused after `refusalMs`, then its Retry-After waited out), so it resumes at
 * the first probe after the outage; nothing is lost meanwhile (the bucket refills, up to a
 * minute's worth), so its last admission is the later of that and the drain of the workload.
 */
export function idealLastAdmission(sc) {
  const { bindMs } = ideal(sc);
  const o = sc.outage;
  if (!o?.retryAfterMs) return bindMs;
  let probe = o.fromMs;
  while (probe < o.untilMs) probe += sc.latency.refusalMs + o.retryAfterMs;
  return Math.max(bindMs, probe);
}

/**
 * The concurrency that exactly sustains the binding limit (Little's law): jobs per millisecond
 * at the binding rate, times the mean latency. What a user who knows the limits and the workload
 * would give a peer that only caps concurrency.
 */
export function sustainingConcurrency(sc) {
  const n = sc.jobs.length;
  const { rpm, tpm } = sc.limits;
  const { baseMs, perTokenMs } = sc.latency;
  const tokensPerJob = sc.jobs.reduce((s, j) => s + j.input + j.output, 0) / n;
  const jobsPerMs = Math.min(rpm, tpm / tokensPerJob) / 60_000;
  const meanLatency = sc.jobs.reduce((s, j) => s + baseMs + perTokenMs * j.output, 0) / n;
  return Math.ceil(jobsPerMs * meanLatency);
}

/**
 * Jobs per minute the known limits allow when every job is counted at its estimate (input +
 * max_tokens), the only cost a client knows before the call: what a request-counting peer
 * (p-queue's intervalCap, Bottleneck's reservoir) is given.
 */
export function requestsPerMinuteAtEstimate(sc) {
  const n = sc.jobs.length;
  const { rpm, tpm } = sc.limits;
  const estimate = sc.jobs.reduce((s, j) => s + (j.estInput ?? j.input) + j.maxTokens, 0) / n;
  return Math.floor(Math.min(rpm, tpm / estimate));
}
