// A mock LLM provider on 127.0.0.1 that rate-limits like OpenAI and Anthropic do: continuously
// refilled buckets charged input + max_tokens on admission, refunded the unused output when
// the answer is produced, with their headers, 429s, outages and overload errors. Its clock and
// sleep are injectable so that tests run on fake time. The rules themselves are in rules.js;
// this file is the HTTP around them.
import { createServer } from 'node:http';

import * as anthropic from './anthropic.js';
import * as openai from './openai.js';
import { parseOptions } from './options.js';
import { BadRequest } from './request.js';
import { createRules } from './rules.js';
import { writeStream } from './sse.js';

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
 * - streamFault(n): for a streamed request n, `{ after, kind }` to break its stream after
 *   `after` events: kind 'overloaded' (the dialect's error event), 'stall', 'reset' (see sse.js).
 * A body with `stream: true` is answered with server-sent events: `latency.baseMs` before the
 * first, `latency.perOutputTokenMs` before each next one.
 * - host ('127.0.0.1'), port (0: any free port).
 * @returns {Promise<{ url: string, port: number, close(): Promise<void>, stats(): object, streamStats(): object, admissions(): number[][] }>}
 */
export async function startMockProvider(options) {
  const o = parseOptions(options);
  const timers = o.sleep ? null : timerSleep();
  const sleep = o.sleep ?? timers.sleep;
  const rules = createRules(o, sleep);
  /** Streamed answers (`streamStats()`): open now, the most open at once, closed by their client early. */
  const streams = { open: 0, peakOpen: 0, closedByClient: 0 };

  /**
   * Produces a streamed answer (`stream: true`) on `res` as server-sent events, in the
   * dialect's own sequence, while the rules hold the request admitted; returns the output
   * tokens really sent (fewer when the client went away), which the rules settle.
   */
  const streamAnswer = async (res, dialect, n, body, { call, outputTokens, headers }) => {
    const sent = await writeStream(res, {
      headers: headers(),
      events: dialect.streamEvents(call, outputTokens, n, body),
      end: dialect.streamEnd,
      error: dialect.streamError(),
      fault: o.streamFault(n),
      sleep,
      firstMs: o.latency.baseMs,
      perEventMs: o.latency.perOutputTokenMs,
      counts: streams,
    });
    return sent.tokens;
  };

  const handle = async (req, res) => {
    const dialect = req.method === 'POST' ? DIALECTS.get(new URL(req.url, 'http://mock').pathname) : undefined;
    if (!dialect) {
      req.resume();
      send(res, 404, {}, { error: { type: 'not_found_error', message: `No route for ${req.method} ${req.url}` } });
      return;
    }
    const n = rules.arrive();
    let body;
    try {
      body = JSON.parse(await readBody(req));
    } catch (e) {
      if (!(e instanceof BadRequest || e instanceof SyntaxError)) throw e;
      const answer = rules.badRequest(dialect, n, e instanceof SyntaxError ? `Invalid JSON body: ${e.message}` : e.message);
      send(res, answer.status, answer.headers, answer.body);
      return;
    }
    const produce = body?.stream === true ? (started) => streamAnswer(res, dialect, n, body, started) : undefined;
    const answer = await rules.answer(dialect, n, body, produce);
    if (!res.headersSent) send(res, answer.status, answer.headers, answer.body);
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
    stats: () => ({ ...rules.counts }),
    streamStats: () => ({ ...streams }),
    /** Each admitted request so far: [ms since start, tokens charged], for checks of what any window let through. */
    admissions: () => rules.admissions.slice(),
  };
}
