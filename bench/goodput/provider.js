// A simulated OpenAI-like provider, in process, on whatever clock `Date.now()` reads (the
// benchmark fakes it). It behaves as providers.md describes OpenAI:
//
// - two continuously refilled buckets, requests per minute and tokens per minute, each holding
//   at most one minute's limit (the capacity) and regaining limit/60 000 per millisecond;
// - a request is charged 1 request and `input + max_tokens` tokens when it is admitted; when
//   its answer is produced, the unused output (max_tokens - output) comes back (`settle`, on by
//   default, as Anthropic documents and as the project's own mock does);
// - a request that either bucket cannot hold gets a 429 at once (after `refusalMs`), with
//   `retry-after-ms` (the exact wait until it would fit), `retry-after` (the same in whole
//   seconds, rounded up) and the x-ratelimit-* headers; it is charged nothing;
// - an admitted request answers after `baseMs + perTokenMs × output` with a chat.completion
//   body carrying its usage and the x-ratelimit-* headers as they stood at its admission;
// - during an outage window every request gets a 429 whose Retry-After is the time left in it
//   (or a fixed `retryAfterMs`; `bare`: only `retry-after`, and a body that names no limit).
//
// Buckets count in exact integers (units of 1/60 000 token), as sluice's core does, so that a
// request sluice rightly considers fitting is never refused for rounding.
//
// Requests carry the workload's job index in the body's `user` field; the provider reads each
// job's true input and output tokens from the workload, and records every attempt.

const MINUTE_MS = 60_000;

class Bucket {
  constructor(limit, now) {
    this.limit = limit;
    this.full = limit * MINUTE_MS;
    this.level = this.full;
    this.at = now;
  }

  refill(now) {
    if (now > this.at) {
      this.level = Math.min(this.full, this.level + (now - this.at) * this.limit);
      this.at = now;
    }
  }

  /** Milliseconds until `amount` fits (0: now). */
  msUntil(amount) {
    const deficit = amount * MINUTE_MS - this.level;
    return deficit <= 0 ? 0 : Math.ceil(deficit / this.limit);
  }

  take(amount) {
    this.level -= amount * MINUTE_MS;
  }

  giveBack(amount) {
    this.level = Math.min(this.full, this.level + amount * MINUTE_MS);
  }

  remaining() {
    return Math.max(0, Math.floor(this.level / MINUTE_MS));
  }

  msUntilFull() {
    return Math.ceil((this.full - Math.min(this.full, this.level)) / this.limit);
  }
}

/** A Go-style duration, as OpenAI's x-ratelimit-reset-* headers carry: `1m30.5s`, `120ms`. */
export function goDuration(ms) {
  if (ms < 1_000) return `${ms}ms`;
  const minutes = Math.floor(ms / MINUTE_MS);
  const seconds = (ms - minutes * MINUTE_MS) / 1_000;
  const s = `${Number(seconds.toFixed(3))}s`;
  return minutes > 0 ? `${minutes}m${s}` : s;
}

export class SimProvider {
  /**
   * @param {object} o
   * @param {Array<{input: number, maxTokens: number, output: number}>} o.jobs the workload, by index
   * @param {number} o.rpm @param {number} o.tpm
   * @param {number} [o.baseMs] latency of an answer before its first token
   * @param {number} [o.perTokenMs] latency per output token
   * @param {number} [o.refusalMs] latency of a 429
   * @param {boolean} [o.settle] give back the unused max_tokens when the answer is produced
   * @param {{fromMs: number, untilMs: number} | null} [o.outage] on the provider's clock, from its start
   */
  constructor({ jobs, rpm, tpm, baseMs = 300, perTokenMs = 10, refusalMs = 100, settle = true, outage = null }) {
    this.jobs = jobs;
    this.t0 = Date.now();
    this.requests = new Bucket(rpm, 0);
    this.tokens = new Bucket(tpm, 0);
    Object.assign(this, { baseMs, perTokenMs, refusalMs, settle, outage });
    const n = jobs.length;
    // Per job: attempts, 429s, admission time of the attempt that succeeded (-1: none), first attempt.
    this.attempts = new Uint32Array(n);
    this.refused = new Uint32Array(n);
    this.admittedAt = new Float64Array(n).fill(-1);
    this.firstAttemptAt = new Float64Array(n).fill(-1);
    this.totals = { attempts: 0, ok: 0, rateLimited: 0, outageRefused: 0 };
    /** The first attempt, and the first admitted one, at or after the end of the outage: how fast a client resumed. */
    this.firstAfterOutage = null;
    this.firstOkAfterOutage = null;
    this.fetch = this.fetch.bind(this);
  }

  now() {
    return Date.now() - this.t0;
  }

  #headers(extra) {
    const h = new Headers({ 'content-type': 'application/json', ...extra });
    h.set('x-ratelimit-limit-requests', String(this.requests.limit));
    h.set('x-ratelimit-limit-tokens', String(this.tokens.limit));
    h.set('x-ratelimit-remaining-requests', String(this.requests.remaining()));
    h.set('x-ratelimit-remaining-tokens', String(this.tokens.remaining()));
    h.set('x-ratelimit-reset-requests', goDuration(this.requests.msUntilFull()));
    h.set('x-ratelimit-reset-tokens', goDuration(this.tokens.msUntilFull()));
    return h;
  }

  /** A `fetch` for the openai SDK's `fetch` option (or for direct use). */
  async fetch(_url, init) {
    const body = JSON.parse(init.body);
    const index = Number(body.user);
    const job = this.jobs[index];
    const t = this.now();
    this.requests.refill(t);
    this.tokens.refill(t);
    this.attempts[index]++;
    this.totals.attempts++;
    if (this.firstAttemptAt[index] < 0) this.firstAttemptAt[index] = t;
    const maxTokens = body.max_tokens;
    const charge = job.input + maxTokens;

    let refusal = null;
    const o = this.outage;
    if (o && t >= o.fromMs && t < o.untilMs) {
      // A fixed Retry-After (`retryAfterMs`), or the time left in the outage.
      const wait = o.retryAfterMs ?? o.untilMs - t;
      refusal = o.bare
        ? { wait, type: null, message: 'The server is busy. Please retry later.', bare: true }
        : { wait, type: 'requests', message: 'The service is temporarily rate limiting all requests.' };
      this.totals.outageRefused++;
    } else {
      if (o && t >= o.untilMs) {
        this.firstAfterOutage ??= t;
      }
      const waitR = this.requests.msUntil(1);
      const waitT = this.tokens.msUntil(charge);
      if (waitR > 0 || waitT > 0) {
        const byTokens = waitT >= waitR;
        refusal = {
          wait: Math.max(waitR, waitT),
          type: byTokens ? 'tokens' : 'requests',
          message: byTokens
            ? `Rate limit reached for gpt-4o-mini on tokens per min (TPM): Limit ${this.tokens.limit}, Used ${this.tokens.limit - this.tokens.remaining()}, Requested ${charge}.`
            : `Rate limit reached for gpt-4o-mini on requests per min (RPM): Limit ${this.requests.limit}.`,
        };
      }
    }

    if (refusal) {
      this.refused[index]++;
      this.totals.rateLimited++;
      const text = JSON.stringify({ error: { message: refusal.message, type: refusal.type, param: null, code: 'rate_limit_exceeded' } });
      await sleep(this.refusalMs, init.signal);
      // The Retry-After counts from when the answer leaves, as a server's does; a bare 429
      // carries nothing else (no rate-limit headers, no retry-after-ms).
      const wait = refusal.bare ? refusal.wait : Math.max(0, refusal.wait - this.refusalMs);
      const headers = refusal.bare
        ? new Headers({ 'content-type': 'application/json', 'retry-after': String(Math.ceil(wait / 1_000)) })
        : this.#headers({ 'retry-after-ms': String(wait), 'retry-after': String(Math.ceil(wait / 1_000)) });
      return new Response(text, { status: 429, headers });
    }

    this.requests.take(1);
    this.tokens.take(charge);
    if (o && t >= o.untilMs) this.firstOkAfterOutage ??= t;
    const headers = this.#headers({ 'x-request-id': `req_${index}_${this.attempts[index]}` });
    const output = Math.min(job.output, maxTokens);
    try {
      await sleep(this.baseMs + this.perTokenMs * output, init.signal);
    } catch (e) {
      // The caller hung up: the provider still charged the request, and gives back the output it did not produce.
      if (this.settle) this.tokens.giveBack(maxTokens);
      throw e;
    }
    const done = this.now();
    this.tokens.refill(done);
    if (this.settle) this.tokens.giveBack(maxTokens - output);
    this.admittedAt[index] = t;
    this.totals.ok++;
    const text = JSON.stringify({
      id: `chatcmpl-${index}`,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1_000),
      model: body.model,
      choices: [{ index: 0, message: { role: 'assistant', content: '', refusal: null }, finish_reason: 'stop', logprobs: null }],
      usage: { prompt_tokens: job.input, completion_tokens: output, total_tokens: job.input + output },
    });
    return new Response(text, { status: 200, headers });
  }
}

/** A timer that an AbortSignal cancels (fetch rejects with the signal's reason then). */
function sleep(ms, signal) {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason ?? new DOMException('aborted', 'AbortError'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
