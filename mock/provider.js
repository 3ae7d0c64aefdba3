// A mock LLM provider on 127.0.0.1 that rate-limits like OpenAI and Anthropic do: continuously
// refilled buckets charged input + max_tokens on admission, refunded the unused output when
// the answer is produced, with their headers, 429s, outages and overload errors. Its clock and
// sleep are injectable so that tests run on fake time.
import { createServer } from 'node:http';

import * as anthropic from './anthropic.js';
import { Bucket } from './bucket.js';
import * as openai from './openai.js';
import { parseOptions } from './options.js';
import { BadRequest } from './request.js';
import { defaultOutputTokens } from './text.js';

const DIALECTS = new Map([openai, anthropic].map((d) => [d.path, d]));
const MAX_BODY_BYTES = 10 * 1024 * 1024;

/** A setTimeout sleep whose pending waits `close()` can cut short, so nothing outlives the server. */
function timerSleep() {
  const pending = new Map();
  return {
    sleep: (ms) =>
      new Promise((resolve) => {
        const timer = setTimeout(() => {
          pending.delete(timer);
          resolve();
        }, ms);
        pending.set(timer, resolve);
      }),
    cancelAll() {
      for (const [timer, resolve] of pending) {
        clearTimeout(timer);
        resolve();
      }
      pending.clear();
    },
  };
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (chunk) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) reject(new BadRequest('The body is too large'));
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res, status, headers, body) {
  const json = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(json), ...headers });
  res.end(json);
}

/**
 * Starts the mock provider. Options, all optional:
 * - rpm, tpm, itpm, otpm: per-minute limits on requests, tokens (input + max_tokens), input
 *   tokens and output tokens (max_tokens); unset means unlimited.
 * - burst (1): the share of each limit its bucket holds (1/60: a second's worth).
 * - latency: { baseMs, perOutputTokenMs }: how long a successful answer takes.
 * - now(), sleep(ms): the clock and the wait, injectable for tests on fake time.
 * - settle (true): give back the unused max_tokens when the answer is produced.
 * - outputTokens(body): output tokens of a request (capped at max_tokens); by default a fixed
 *   share of max_tokens, between 20% and 100%, from a hash of the prompt.
 * - outage: { fromMs, untilMs, retryAfterS }: 429 to everything meanwhile (ms since start).
 * - overloaded(n): answer request n (1-based) 529 (Anthropic) or 503 (OpenAI).
 * - host ('127.0.0.1'), port (0: any free port).
 * @returns {Promise<{ url: string, port: number, close(): Promise<void>, stats(): object, admissions(): number[][] }>}
 */
export async function startMockProvider(options) {
  const o = parseOptions(options);
  const startedAt = o.now();
  /** The configured buckets by what they count: requests, tokens (input + output), input, output. */
  const buckets = {};
  for (const [resource, limit] of Object.entries(o.limits)) if (limit !== undefined) buckets[resource] = new Bucket(limit, startedAt, o.burst);
  /** Each admitted request: [ms since start, tokens charged], for checks of what any window let through. */
  const admissions = [];
  const timers = o.sleep ? null : timerSleep();
  const sleep = o.sleep ?? timers.sleep;
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
    if (!o.outage || t < o.outage.fromMs || t >= o.outage.untilMs) return null;
    return Math.ceil(o.outage.retryAfterS ?? (o.outage.untilMs - t) / 1000);
  };

  const outputTokensOf = (call, body) => {
    const n = o.outputTokens ? o.outputTokens(body) : defaultOutputTokens(call.text, call.maxTokens);
    if (typeof n !== 'number' || Number.isNaN(n)) throw new TypeError(`outputTokens returned ${String(n)}, not a number`);
    return Math.min(call.maxTokens, Math.max(0, Math.floor(n)));
  };

  /** Every answer of an API endpoint carries the bucket headers as they stand when it is sent. */
  const reply = (res, dialect, n, { status, headers = {}, body }) => {
    const now = o.now();
    refillAll(now);
    counts.lastResponseAt = now;
    send(res, status, { ...dialect.limitHeaders(buckets), ...headers, [dialect.requestIdHeader]: `req_mock${n}` }, body);
  };

  const handle = async (req, res) => {
    const dialect = req.method === 'POST' ? DIALECTS.get(new URL(req.url, 'http://mock').pathname) : undefined;
    if (!dialect) {
      req.resume();
      send(res, 404, {}, { error: { type: 'not_found_error', message: `No route for ${req.method} ${req.url}` } });
      return;
    }
    const n = ++counts.requests;
    counts.firstRequestAt ??= o.now();

    let body;
    let call;
    try {
      body = JSON.parse(await readBody(req));
      call = dialect.parse(body);
    } catch (e) {
      if (!(e instanceof BadRequest || e instanceof SyntaxError)) throw e;
      counts.badRequests += 1;
      reply(res, dialect, n, dialect.badRequest(e instanceof SyntaxError ? `Invalid JSON body: ${e.message}` : e.message));
      return;
    }

    const arrived = o.now();
    refillAll(arrived);
    const outage = outageRetryS(arrived);
    if (outage !== null) {
      counts.rateLimited += 1;
      reply(res, dialect, n, dialect.outage(outage));
      return;
    }
    if (o.overloaded(n)) {
      counts.overloaded += 1;
      reply(res, dialect, n, dialect.overloaded());
      return;
    }
    const { inputTokens, maxTokens } = call;
    const refusal = admit({ requests: 1, tokens: inputTokens + maxTokens, input: inputTokens, output: maxTokens });
    if (refusal) {
      counts.rateLimited += 1;
      reply(res, dialect, n, dialect.rateLimited(refusal));
      return;
    }
    admissions.push([arrived - startedAt, inputTokens + maxTokens]);

    counts.inFlight += 1;
    counts.peakInFlight = Math.max(counts.peakInFlight, counts.inFlight);
    let outputTokens;
    try {
      outputTokens = outputTokensOf(call, body);
      await sleep(o.latency.baseMs + o.latency.perOutputTokenMs * outputTokens);
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
    reply(res, dialect, n, dialect.success(call, outputTokens, n));
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((e) => {
      if (!res.headersSent) send(res, 500, {}, { error: { type: 'api_error', message: String(e?.message ?? e) } });
    });
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address();
  const host = o.host.includes(':') ? `[${o.host}]` : o.host;

  let closing = null;
  return {
    url: `http://${host}:${port}`,
    port,
    /** Stops listening and ends every socket, idle keep-alive ones included. */
    close() {
      closing ??= new Promise((resolve, reject) => {
        server.close((e) => (e ? reject(e) : resolve()));
        server.closeAllConnections();
        timers?.cancelAll();
      });
      return closing;
    },
    stats: () => ({ ...counts }),
    /** Each admitted request so far: [ms since start, tokens charged]. */
    admissions: () => admissions.slice(),
  };
}
