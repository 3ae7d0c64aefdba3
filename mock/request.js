// What the provider needs from a request body, whichever API it came through.
import { contentText, estimateTokens } from './text.js';

/** A request the provider refuses as malformed (400); the message says what is wrong. */
export class BadRequest extends Error {}

/** `value` as max_tokens: a positive integer, or the reason it is not one. */
export function maxTokensOf(name, value) {
  if (!Number.isSafeInteger(value) || value < 1) throw new BadRequest(`${name}: expected a positive integer, got ${JSON.stringify(value)}`);
  return value;
}

/**
 * The prompt of `messages` (plus a system prompt), its input tokens by the chars/4 rule,
 * and the model asked for.
 */
export function promptOf(body, system = '') {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new BadRequest('The body must be a JSON object');
  if (!Array.isArray(body.messages) || body.messages.length === 0) throw new BadRequest('messages: expected a non-empty array');
  const text = system + body.messages.map((m) => contentText(m?.content)).join('');
  return {
    model: typeof body.model === 'string' ? body.model : 'mock-model',
    text,
    inputTokens: estimateTokens(text.length),
  };
}
