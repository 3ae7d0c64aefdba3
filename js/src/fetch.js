// `sluice/fetch`: a fetch that sends every request through a limiter, for the SDKs and
// frameworks that take a custom `fetch` (openai, @anthropic-ai/sdk, the AI SDK's providers,
// LangChain). Each request is estimated from its JSON body (OpenAI, Anthropic or Gemini shaped),
// retried through the queue on a 429 or 5xx, and settles its reservation from the usage in the
// answer's body (read from a clone: the caller's copy stays unread). Kept out of the main entry:
// the body estimates weigh only on those who import it.
import { RetryError } from './errors.js';
import { estimateAnthropic, estimateGemini, estimateOpenAI } from './estimate.js';
import { parseJobOptions } from './options.js';
import * as check from './validate.js';

const OPTIONS = new Set(['fetch', 'estimate', 'priority', 'key', 'maxWaitMs', 'timeoutMs', 'firstChunkTimeoutMs', 'idleTimeoutMs']);

const isRequest = (v) => v !== null && typeof v === 'object' && typeof v.url === 'string' && typeof v.clone === 'function';

/**
 * The estimate of a request body by its shape and the URL's path: Anthropic's `/messages`,
 * Gemini's `contents`, else OpenAI's `messages` or `input`. Undefined when it says nothing
 * (no JSON, another shape, a body the estimators refuse: the provider will say what is wrong).
 */
export function estimateRequest(body, url) {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return undefined;
  try {
    if (Array.isArray(body.contents)) return estimateGemini(body);
    if (/\/messages$/.test(new URL(url, 'http://x').pathname) && Array.isArray(body.messages)) return estimateAnthropic(body);
    if (Array.isArray(body.messages) || body.input !== undefined) return estimateOpenAI(body);
  } catch {
    // a body the estimators refuse
  }
  return undefined;
}

/** The request's body as text, for its estimate (a string, bytes, or a Request's own body). */
async function bodyText(input, init) {
  const body = init?.body;
  if (typeof body === 'string') return body;
  if (body instanceof ArrayBuffer || ArrayBuffer.isView(body)) return new TextDecoder().decode(body);
  if (body === undefined && isRequest(input) && input.body !== null) return input.clone().text();
  return undefined;
}

/**
 * A `fetch` whose every call goes through `limiter`. `options`:
 * - `fetch`: the fetch to call (default: the global one, looked up at each call);
 * - `estimate(body, url)`: the job's estimate from the parsed JSON body (default: by shape, see
 *   `estimateRequest`); return undefined for none;
 * - `priority`, `key`, `maxWaitMs`, `timeoutMs`, `firstChunkTimeoutMs`, `idleTimeoutMs`: as for
 *   `schedule()` (a `text/event-stream` answer holds its slot until its body has been read).
 * The caller's `signal` aborts the job. When retries run out on a returned 429 or 5xx, that last
 * Response is returned, as fetch would, for the SDK to report.
 */
export function createFetch(limiter, options) {
  if (limiter === null || typeof limiter !== 'object' || typeof limiter.schedule !== 'function') {
    throw new TypeError(`Expected \`limiter\` to be a Limiter, got ${check.describe(limiter)}`);
  }
  const o = check.options('options', options, OPTIONS);
  const base = o.fetch === undefined ? undefined : check.func('fetch', o.fetch);
  const estimate = o.estimate === undefined ? estimateRequest : check.func('estimate', o.estimate);
  const { priority, key, maxWaitMs, timeoutMs, firstChunkTimeoutMs, idleTimeoutMs } = o;
  const job = { priority, key, maxWaitMs, timeoutMs, firstChunkTimeoutMs, idleTimeoutMs };
  for (const name of Object.keys(job)) if (job[name] === undefined) delete job[name];
  parseJobOptions(job); // checked now, not at the first call

  return async function throttledFetch(input, init) {
    const send = base ?? globalThis.fetch;
    const text = await bodyText(input, init);
    let parsed;
    try {
      parsed = text === undefined ? undefined : JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    const url = isRequest(input) ? input.url : String(input);
    const signal = init?.signal ?? (isRequest(input) ? input.signal : undefined);
    const opts = { ...job, ...(parsed === undefined ? undefined : estimate(parsed, url)) };
    if (signal) opts.signal = signal;
    try {
      return await limiter.schedule(({ signal: attempt }) => {
        // A Request is cloned for each attempt: a retry sends it again, body included.
        const request = isRequest(input) ? input.clone() : input;
        return send(request, { ...init, signal: attempt });
      }, opts);
    } catch (error) {
      if (error instanceof RetryError && error.response) return error.response;
      throw error;
    }
  };
}
