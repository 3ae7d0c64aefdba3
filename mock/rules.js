// The provider's rules without the transport: buckets charged input + max_tokens on admission
// and refunded the unused output when the answer is produced, outages, overloads, latency per
// output token, and the headers every answer carries. No Node API here: the HTTP server
// (provider.js) and the page in www/ (a provider simulated in the browser) both serve from it.
import { Bucket } from './bucket.js';
import { BadRequest } from './request.js';
import { defaultOutputTokens } from './text.js';

/**
 * @param {ReturnType<import('./options.js').parseOptions>} o the checked options
 * @param {(ms: number) => Promise<void>} sleep how an answer waits while it is produced
 */
export function createRules(o, sleep) {
  const startedAt = o.now();
  /** The configured buckets by what they count: requests, tokens (input + output), input, output. */
  const buckets = {};
  for (const [resource, limit] of Object.entries(o.limits)) if (limit !== undefined) buckets[resource] = new Bucket(limit, startedAt, o.burst);
  /** Each admitted request: [ms since start, tokens charged]. */
  const admissions = [];
  let outageWindow = o.outage;
  const counts = {
    requests: 0,
    ok: 0,
    rateLimited: 0,
    overloaded: 0,
    badRequests: 0,
    inFlight: 0,
    peakInFlight: 0,
    inputTokens: 0,
    outputTokens: 0,
    firstRequestAt: null,
    lastResponseAt: null,
  };

  const refillAll = (now) => {
    for (const bucket of Object.values(buckets)) bucket.refill(now);
  };

  /** Charges every bucket, or none: returns the refusal of the bucket with the longest wait. */
  const admit = (charge) => {
    let refusal = null;
    for (const [resource, bucket] of Object.entries(buckets)) {
      const waitMs = bucket.msUntil(charge[resource]);
      if (waitMs > 0 && (refusal === null || waitMs > refusal.waitMs)) refusal = { resource, bucket, waitMs, amount: charge[resource] };
    }
    if (refusal === null) for (const [resource, bucket] of Object.entries(buckets)) bucket.take(charge[resource]);
    return refusal;
  };

  /** The Retry-After (s) of the outage going on at `now`, or null when there is none then. */
  const outageRetryS = (now) => {
    const t = now - startedAt;
    if (!outageWindow || t < outageWindow.fromMs || t >= outageWindow.untilMs) return null;
    return Math.ceil(outageWindow.retryAfterS ?? (outageWindow.untilMs - t) / 1000);
  };

  const outputTokensOf = (call, body) => {
    const n = o.outputTokens ? o.outputTokens(body) : defaultOutputTokens(call.text, call.maxTokens);
    if (typeof n !== 'number' || Number.isNaN(n)) throw new TypeError(`outputTokens returned ${String(n)}, not a number`);
    return Math.min(call.maxTokens, Math.max(0, Math.floor(n)));
  };

  /** An answer as sent now: the bucket headers as they stand, then its own, then the request id. */
  const reply = (dialect, n, { status, headers = {}, body }) => {
    const now = o.now();
    refillAll(now);
    counts.lastResponseAt = now;
    return { status, headers: { ...dialect.limitHeaders(buckets), ...headers, [dialect.requestIdHeader]: `req_mock${n}` }, body };
  };

  return {
    buckets,
    counts,
    admissions,

    /** A request came in: its number, 1-based. */
    arrive() {
      const n = ++counts.requests;
      counts.firstRequestAt ??= o.now();
      return n;
    },

    /** The 400 for request `n`, whose body could not be read or parsed. */
    badRequest(dialect, n, message) {
      counts.badRequests += 1;
      return reply(dialect, n, dialect.badRequest(message));
    },

    /**
     * The answer to request `n` with the parsed JSON `body`: a refusal at once, or a success
     * once produced. `produce(started)` waits while an admitted answer is produced (by default,
     * `sleep` for its latency); a stream sends its headers and chunks meanwhile, and returns the
     * output tokens it really sent.
     * `started` is { call, outputTokens, latencyMs, headers() }.
     * @returns {Promise<{ status: number, headers: Record<string, string>, body: object }>}
     */
    async answer(dialect, n, body, produce) {
      let call;
      try {
        call = dialect.parse(body);
      } catch (e) {
        if (!(e instanceof BadRequest)) throw e;
        counts.badRequests += 1;
        return reply(dialect, n, dialect.badRequest(e.message));
      }

      const arrived = o.now();
      refillAll(arrived);
      const outage = outageRetryS(arrived);
      if (outage !== null) {
        counts.rateLimited += 1;
        return reply(dialect, n, dialect.outage(outage));
      }
      if (o.overloaded(n)) {
        counts.overloaded += 1;
        return reply(dialect, n, dialect.overloaded());
      }
      const { inputTokens, maxTokens } = call;
      const refusal = admit({ requests: 1, tokens: inputTokens + maxTokens, input: inputTokens, output: maxTokens });
      if (refusal) {
        counts.rateLimited += 1;
        return reply(dialect, n, dialect.rateLimited(refusal));
      }
      admissions.push([arrived - startedAt, inputTokens + maxTokens]);

      counts.inFlight += 1;
      counts.peakInFlight = Math.max(counts.peakInFlight, counts.inFlight);
      let outputTokens;
      try {
        outputTokens = outputTokensOf(call, body);
        const latencyMs = o.latency.baseMs + o.latency.perOutputTokenMs * outputTokens;
        // A producer may send fewer tokens than planned (a stream its client left): it says how many.
        const produced = produce ? await produce({ call, outputTokens, latencyMs, headers: () => reply(dialect, n, { status: 200, body: null }).headers }) : await sleep(latencyMs);
        if (typeof produced === 'number') outputTokens = Math.min(outputTokens, produced);
      } finally {
        counts.inFlight -= 1;
      }
      // The answer is produced: the output estimate (max_tokens) is corrected to what was used.
      refillAll(o.now());
      if (o.settle) {
        buckets.tokens?.giveBack(maxTokens - outputTokens);
        buckets.output?.giveBack(maxTokens - outputTokens);
      }
      counts.ok += 1;
      counts.inputTokens += inputTokens;
      counts.outputTokens += outputTokens;
      return reply(dialect, n, dialect.success(call, outputTokens, n));
    },

    /** From `fromMs` after the start until `untilMs`, every request gets a 429 (see the `outage` option). */
    setOutage(window) {
      outageWindow = window;
    },

    /** Milliseconds on the provider's clock since it started. */
    elapsed: () => o.now() - startedAt,
  };
}
