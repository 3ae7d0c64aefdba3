// What an attempt's result or error says: HTTP status, the rate-limit headers, and what the
// error body tells beside (a rate limit, an overload, an exhausted quota, Gemini's retryDelay).
// Works with a returned fetch Response and with the errors of the openai and
// @anthropic-ai/sdk clients (which carry `status` and `headers`).
import { HINT, NAMED } from './codes.js';

/** Header names the core reads; the others never cross into wasm. */
const wanted = (name) =>
  name === 'retry-after' ||
  name === 'retry-after-ms' ||
  name === 'x-should-retry' ||
  name.startsWith('x-ratelimit-') ||
  name.startsWith('anthropic-ratelimit-') ||
  name.startsWith('ratelimit');

/**
 * The longest header value that crosses into wasm: rate-limit values are a few dozen characters,
 * and a hostile one of megabytes would otherwise be copied whole into the module's memory.
 */
const MAX_VALUE_LENGTH = 1024;

/** The relevant headers as a plain object with lowercase names, from a Headers or a plain object. */
export function pickHeaders(headers) {
  const picked = {};
  if (headers === null || typeof headers !== 'object') return picked;
  const add = (value, name) => {
    const lower = String(name).toLowerCase();
    if (!wanted(lower) || (typeof value !== 'string' && typeof value !== 'number')) return;
    const text = String(value);
    if (text.length <= MAX_VALUE_LENGTH) picked[lower] = text;
  };
  if (typeof headers.forEach === 'function' && typeof headers.get === 'function') headers.forEach(add);
  else for (const name of Object.keys(headers)) add(headers[name], name);
  return picked;
}

/** Names and values on alternate lines, the form Core.finish takes. */
export function headerLines(picked) {
  let out = '';
  for (const name in picked) out += `${out ? '\n' : ''}${name}\n${picked[name].replace(/[\r\n]/g, ' ')}`;
  return out;
}

const isResponse = (v) =>
  v !== null && typeof v === 'object' && typeof v.status === 'number' && typeof v.ok === 'boolean' && typeof v.headers?.get === 'function';

const NETWORK_CODES = new Set([
  'ECONNRESET', 'ECONNREFUSED', 'ECONNABORTED', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH',
  'EHOSTUNREACH', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT',
]);
const NETWORK_CLASSES = new Set(['APIConnectionError', 'APIConnectionTimeoutError', 'FetchError']);
// What fetch throws when the request never got an answer, in Node, Chromium, Firefox, Safari, Workers.
const NETWORK_MESSAGE = /^(fetch failed|Failed to fetch|NetworkError when attempting to fetch resource\.|Load failed|Network connection lost\.)$/;

function isNetworkError(error) {
  if (NETWORK_CLASSES.has(error?.constructor?.name) || NETWORK_CLASSES.has(error?.name)) return true;
  for (let e = error, depth = 0; e && typeof e === 'object' && depth < 4; e = e.cause, depth++) {
    if (NETWORK_CODES.has(e.code)) return true;
  }
  return error instanceof TypeError && NETWORK_MESSAGE.test(error.message);
}

/** What an SDK error's body says: OpenAI `{ error: { code } }` on the error, Anthropic `{ error: { type } }`, Gemini `status`. */
const BODY_KINDS = new Map([
  ['insufficient_quota', HINT.quotaExhausted],
  ['rate_limit_exceeded', HINT.rateLimit],
  ['rate_limit_error', HINT.rateLimit],
  ['overloaded_error', HINT.overloaded],
]);

function bodyHint(error) {
  const body = error.error;
  for (const kind of [body?.error?.type, body?.error?.code, body?.type, body?.code, error.code, error.type]) {
    const hint = BODY_KINDS.get(kind);
    if (hint !== undefined) return hint;
  }
  if (body?.status === 'RESOURCE_EXHAUSTED' || /RESOURCE_EXHAUSTED/.test(String(error.message))) return HINT.rateLimit;
  return isNetworkError(error) ? HINT.network : HINT.none;
}

const RETRY_DELAY = /"retryDelay"\s*:\s*"(\d+(?:\.\d+)?s)"/;

/** Gemini's `retryDelay` (a RetryInfo detail of a 429 body), wherever the SDK put the body. */
function retryDelay(error) {
  let text = String(error.message);
  try {
    text += JSON.stringify([error.error, error.errorDetails, error.details]);
  } catch {
    // a body that does not serialize says nothing here
  }
  return RETRY_DELAY.exec(text)?.[1] ?? '';
}

// How OpenAI's and Anthropic's 429 bodies name a limit: OpenAI's error `type` ("tokens",
// "requests") and message ("on tokens per min (TPM)"), Anthropic's message ("50,000 input
// tokens per minute").
const NAMED_IN_TYPE = new Map([['tokens', NAMED.tokens], ['requests', NAMED.requests], ['input_tokens', NAMED.inputTokens], ['output_tokens', NAMED.outputTokens]]);
const NAMED_IN_TEXT = [
  [/\binput[ _-]tokens\b/i, NAMED.inputTokens],
  [/\boutput[ _-]tokens\b/i, NAMED.outputTokens],
  [/\btokens per (min|day)|\((TPM|TPD)\)/i, NAMED.tokens],
  [/\brequests per (min|day)|\((RPM|RPD)\)/i, NAMED.requests],
];

/** The limit a rate-limit error's body names (NAMED), if any. */
function limitNamed(error) {
  const named = NAMED_IN_TYPE.get(error.type) ?? NAMED_IN_TYPE.get(error.error?.type);
  if (named !== undefined) return named;
  const text = `${error.message} ${error.error?.message ?? ''} ${error.error?.error?.message ?? ''}`;
  for (const [pattern, limit] of NAMED_IN_TEXT) if (pattern.test(text)) return limit;
  return NAMED.none;
}

/** The Response behind a returned value: itself, or the `response` of an SDK's `.withResponse()`. */
export function responseOf(value) {
  if (isResponse(value)) return value;
  return value !== null && typeof value === 'object' && isResponse(value.response) ? value.response : null;
}

/**
 * Reads an attempt's outcome. `threw` tells whether `value` was thrown. A returned value
 * without a Response has no status (0): it is a success.
 * `named` is the limit a 429's body names (codes.js NAMED).
 * @returns {{ status: number, hint: number, headers: Record<string, string>, retryDelay: string, named: number }}
 */
export function readOutcome(value, threw) {
  if (!threw) {
    const response = responseOf(value);
    return response
      ? { status: response.status, hint: HINT.none, headers: pickHeaders(response.headers), retryDelay: '', named: NAMED.none }
      : { status: 0, hint: HINT.none, headers: {}, retryDelay: '', named: NAMED.none };
  }
  if (value === null || typeof value !== 'object') return { status: 0, hint: HINT.none, headers: {}, retryDelay: '', named: NAMED.none };
  const status = Number.isInteger(value.status) && value.status > 0 ? value.status : 0;
  const hint = bodyHint(value);
  const named = status === 429 || hint === HINT.rateLimit ? limitNamed(value) : NAMED.none;
  return { status, hint, headers: pickHeaders(value.headers), retryDelay: retryDelay(value), named };
}
