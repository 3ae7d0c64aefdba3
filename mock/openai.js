// The OpenAI Chat Completions dialect: body parsing, response shapes and x-ratelimit-* headers.
import { goDuration } from './formats.js';
import { maxTokensOf, promptOf } from './request.js';
import { fillerText } from './text.js';

export const path = '/v1/chat/completions';
export const requestIdHeader = 'x-request-id';

/** The call a body asks for; max_completion_tokens wins over max_tokens, 256 when neither. */
export function parse(body) {
  const prompt = promptOf(body);
  const name = body.max_completion_tokens !== undefined ? 'max_completion_tokens' : 'max_tokens';
  const maxTokens = body[name] === undefined ? 256 : maxTokensOf(name, body[name]);
  return { ...prompt, maxTokens };
}

const error = (message, type, code, param = null) => ({ error: { message, type, param, code } });

export function badRequest(message) {
  return { status: 400, body: error(message, 'invalid_request_error', null) };
}

export function success(call, outputTokens, n) {
  return {
    status: 200,
    body: {
      id: `chatcmpl-mock${n}`,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: call.model,
      choices: [{ index: 0, message: { role: 'assistant', content: fillerText(outputTokens) }, finish_reason: 'stop' }],
      usage: { prompt_tokens: call.inputTokens, completion_tokens: outputTokens, total_tokens: call.inputTokens + outputTokens },
    },
  };
}

/** OpenAI reports the request and token buckets only; resets are Go durations until full. */
export function limitHeaders(buckets) {
  const headers = {};
  for (const [name, bucket] of [['requests', buckets.requests], ['tokens', buckets.tokens]]) {
    if (!bucket) continue;
    headers[`x-ratelimit-limit-${name}`] = String(bucket.limit);
    headers[`x-ratelimit-remaining-${name}`] = String(bucket.remaining());
    headers[`x-ratelimit-reset-${name}`] = goDuration(bucket.msUntilFull());
  }
  return headers;
}

/** A 429 for a charge that does not fit `refusal.bucket`; the input/output buckets count as tokens. */
export function rateLimited({ resource, bucket, waitMs, amount }) {
  const type = resource === 'requests' ? 'requests' : 'tokens';
  const unit = type === 'requests' ? 'RPM' : 'TPM';
  if (waitMs === Infinity) {
    // Larger than the bucket: no wait helps, so no Retry-After (OpenAI's "Request too large").
    const message = `Request too large for ${type} per min: Limit ${bucket.limit}, Requested ${amount}.`;
    return { status: 429, headers: {}, body: error(message, type, 'rate_limit_exceeded') };
  }
  const message =
    `Rate limit reached for ${type} per min (${unit}): Limit ${bucket.limit}, ` +
    `Remaining ${bucket.remaining()}, Requested ${amount}. Please try again in ${goDuration(waitMs)}.`;
  return { status: 429, headers: retryHeaders(waitMs), body: error(message, type, 'rate_limit_exceeded') };
}

/** The answer during an outage: a plain 429 whose Retry-After the provider chose. */
export function outage(retryAfterS) {
  const message = 'Rate limit reached: the service is temporarily limiting requests. Please try again later.';
  return { status: 429, headers: retryHeaders(retryAfterS * 1000), body: error(message, 'requests', 'rate_limit_exceeded') };
}

/** The OpenAI API answers 503 where Anthropic's answers 529. */
export function overloaded() {
  return { status: 503, body: error('The server is overloaded. Please retry your request later.', 'server_error', 'overloaded') };
}

function retryHeaders(waitMs) {
  return { 'retry-after': String(Math.ceil(waitMs / 1000)), 'retry-after-ms': String(Math.ceil(waitMs)) };
}

// Streamed answers (`stream: true`).
export { streamEnd, streamError, streamEvents } from './openai-stream.js';
