// The OpenAI Chat Completions dialect streamed (`stream: true`): one `chat.completion.chunk`
// per token, a last chunk with `finish_reason`, and with `stream_options.include_usage` one more
// with `choices: []` and the whole usage, before `data: [DONE]`.
import { fillerWords } from './text.js';

/** The SSE events of an answer of `outputTokens` tokens: [event name | null, data, tokens it carries]. */
export function streamEvents(call, outputTokens, n, body) {
  const base = { id: `chatcmpl-mock${n}`, object: 'chat.completion.chunk', created: Math.floor(Date.now() / 1000), model: call.model };
  const includeUsage = body.stream_options?.include_usage === true;
  const chunk = (delta, finish = null) => ({ ...base, choices: [{ index: 0, delta, finish_reason: finish }], ...(includeUsage ? { usage: null } : {}) });
  const events = [[null, chunk({ role: 'assistant', content: '' })]];
  for (const word of fillerWords(outputTokens)) events.push([null, chunk({ content: word }), 1]);
  events.push([null, chunk({}, 'stop')]);
  if (includeUsage) {
    const usage = { prompt_tokens: call.inputTokens, completion_tokens: outputTokens, total_tokens: call.inputTokens + outputTokens };
    events.push([null, { ...base, choices: [], usage }]);
  }
  return events;
}

/** What ends a stream when the stream is done. */
export const streamEnd = [null, '[DONE]'];

/** An error inside a 200 stream: OpenAI sends a data line with an `error` object. */
export function streamError() {
  return [null, { error: { message: 'The server is overloaded. Please retry your request later.', type: 'server_error', param: null, code: 'overloaded' } }];
}
