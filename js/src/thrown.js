// What a thrown error says beside its status and headers: a rate limit, an overload, an
// exhausted quota, a network failure, Gemini's retryDelay, the limit a 429's body names. Works
// with the errors of the openai and @anthropic-ai/sdk clients and with what fetch throws.
// Loading it installs it into outcome.js (see `useThrownReading` there).
import { HINT, NAMED } from './names.js';
import { pickHeaders, useThrownReading } from './outcome.js';

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

/**
 * Reads a thrown error (an object): `{ status, hint, headers, retryDelay, named }`, as
 * outcome.js `readOutcome` returns it.
 */
export function readThrown(value) {
  const status = Number.isInteger(value.status) && value.status > 0 ? value.status : 0;
  const hint = bodyHint(value);
  const named = status === 429 || hint === HINT.rateLimit ? limitNamed(value) : NAMED.none;
  return { status, hint, headers: pickHeaders(value.headers), retryDelay: retryDelay(value), named };
}

useThrownReading(readThrown);
