// The Anthropic Messages dialect: body parsing, response shapes and anthropic-ratelimit-* headers.
import { rfc3339 } from './formats.js';
import { BadRequest, maxTokensOf, promptOf } from './request.js';
import { contentText, fillerText } from './text.js';

export const path = '/v1/messages';
export const requestIdHeader = 'request-id';

/** The call a body asks for: the system prompt counts as input; max_tokens is required. */
export function parse(body) {
  const prompt = promptOf(body, contentText(body?.system));
  if (body.max_tokens === undefined) throw new BadRequest('max_tokens: Field required');
  return { ...prompt, maxTokens: maxTokensOf('max_tokens', body.max_tokens) };
}

const error = (type, message) => ({ type: 'error', error: { type, message } });

export function badRequest(message) {
  return { status: 400, body: error('invalid_request_error', message) };
}

export function success(call, outputTokens, n) {
  return {
    status: 200,
    body: {
      id: `msg_mock${n}`,
      type: 'message',
      role: 'assistant',
      model: call.model,
      content: [{ type: 'text', text: fillerText(outputTokens) }],
      stop_reason: 'end_turn',
      stop_sequence: null,
      usage: { input_tokens: call.inputTokens, output_tokens: outputTokens },
    },
  };
}

const HEADER_NAMES = { requests: 'requests', tokens: 'tokens', input: 'input-tokens', output: 'output-tokens' };

/** Every configured bucket; the reset is the wall-clock instant the bucket is full again. */
export function limitHeaders(buckets) {
  const headers = {};
  const wallNow = Date.now();
  for (const [resource, name] of Object.entries(HEADER_NAMES)) {
    const bucket = buckets[resource];
    if (!bucket) continue;
    headers[`anthropic-ratelimit-${name}-limit`] = String(bucket.limit);
    headers[`anthropic-ratelimit-${name}-remaining`] = String(bucket.remaining());
    headers[`anthropic-ratelimit-${name}-reset`] = rfc3339(wallNow + bucket.msUntilFull());
  }
  return headers;
}

export function rateLimited({ resource, bucket, waitMs, amount }) {
  const what = HEADER_NAMES[resource];
  if (waitMs === Infinity) {
    const message = `This request (${amount} ${what}) exceeds your rate limit of ${bucket.limit} ${what} per minute at once.`;
    return { status: 429, headers: {}, body: error('rate_limit_error', message) };
  }
  const message = `This request would exceed your organization's rate limit of ${bucket.limit} ${what} per minute.`;
  return { status: 429, headers: { 'retry-after': String(Math.ceil(waitMs / 1000)) }, body: error('rate_limit_error', message) };
}

export function outage(retryAfterS) {
  const message = 'Rate limited: the service is temporarily limiting requests.';
  return { status: 429, headers: { 'retry-after': String(retryAfterS) }, body: error('rate_limit_error', message) };
}

export function overloaded() {
  return { status: 529, body: error('overloaded_error', 'Overloaded') };
}

// Streamed answers (`stream: true`).
export { streamEnd, streamError, streamEvents } from './anthropic-stream.js';
