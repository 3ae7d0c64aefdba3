// A Cloudflare Worker that forwards OpenAI-style chat completions to an LLM API, through one
// sluice limiter shared by every request this isolate serves. Calls beyond the limits wait
// their turn here instead of meeting the provider's 429s; a 429 or 5xx that still happens is
// retried by sluice, once the provider's Retry-After has passed.
//
//   POST /v1/chat/completions   { "model": "...", "messages": [...], "max_tokens": 300 }
//   (with "stream": true, the server-sent events pass through as they come; the request holds
//   its slot until its client has read them all, or until request.signal says it went away)
//
// Configuration (wrangler.jsonc): LLM_API_URL and the limits as vars, the key as a secret:
//   npx wrangler secret put LLM_API_KEY
import { AbortError, Limiter, QueueFullError, QueueTimeoutError, RetryError } from 'sluice';
import { estimateOpenAI } from 'sluice/estimate';

// The coordinator: one Durable Object per account and model holds the account's limits and
// leases budget to the limiter of every isolate (bound as SLUICE in wrangler.jsonc).
export { SluiceCoordinator } from 'sluice/durable';

/**
 * One limiter per isolate, made on the first request from the vars. Building it reads no clock
 * and starts no timer, so it could be made at module scope too; `env` is only here.
 * The limits are the account's, not a share: every isolate's limiter spends what the
 * coordinator leases it. `coordinator` returns a stub made in the request that asks (a stub
 * serves only the request that made it).
 */
let limiter = null;

function limiterFor(env) {
  limiter ??= new Limiter({
    maxConcurrent: Number(env.MAX_CONCURRENT),
    requestsPerMinute: Number(env.REQUESTS_PER_MINUTE),
    tokensPerMinute: Number(env.TOKENS_PER_MINUTE),
    maxQueue: 500,
    coordinator: () => env.SLUICE.get(env.SLUICE.idFromName(env.LIMITS_NAME)),
  });
  return limiter;
}

const json = (status, body, headers = {}) => Response.json(body, { status, headers });

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (request.method !== 'POST' || url.pathname !== '/v1/chat/completions') {
      return json(404, { error: { message: 'POST /v1/chat/completions' } });
    }
    let body;
    let estimate;
    try {
      body = await request.json();
      estimate = estimateOpenAI(body); // { inputTokens, maxOutputTokens }
    } catch (e) {
      return json(400, { error: { message: `Bad request: ${e.message}` } });
    }

    const call = ({ signal }) =>
      fetch(env.LLM_API_URL, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${env.LLM_API_KEY}` },
        body: JSON.stringify(body),
        signal,
      });
    // request.signal fires when the client goes away (the `enable_request_signal` compatibility
    // flag): a waiting job leaves the queue, a running call is aborted and gives its slot back at
    // once, instead of holding it until `attemptLeaseMs`.
    const options = { ...estimate, signal: request.signal, maxWaitMs: 20_000, timeoutMs: 60_000 };
    try {
      if (body.stream === true) {
        // A streamed answer: sluice hands back a Response whose body reads through it (held until
        // read to the end, settled from the usage chunk), and this request returns that body.
        // `timeoutMs` bounds the wait for the first chunk; `idleTimeoutMs` each next one.
        const upstream = await limiterFor(env).schedule(call, { ...options, idleTimeoutMs: 30_000 });
        return new Response(upstream.body, { status: upstream.status, headers: { 'content-type': upstream.headers.get('content-type') ?? 'application/json' } });
      }
      // The task runs in this request's own context: its fetch is this request's I/O. It
      // returns { data, response }: sluice reads the status and the rate-limit headers from
      // the response (a 429 or 5xx is retried) and the real token usage from the data.
      const { data, response } = await limiterFor(env).schedule(async (ctx) => {
        const response = await call(ctx);
        return { data: await response.json(), response };
      }, options);
      return json(response.status, data);
    } catch (e) {
      if (e instanceof QueueFullError || e instanceof QueueTimeoutError) {
        return json(503, { error: { message: `Busy: ${e.message}` } }, { 'retry-after': '5' });
      }
      if (e instanceof AbortError) return json(499, { error: { message: 'The client went away' } });
      if (e instanceof RetryError) {
        return json(e.status ?? 502, { error: { message: e.message } }, { 'retry-after': '10' });
      }
      return json(502, { error: { message: `Upstream call failed: ${e.message}` } });
    }
  },
};
