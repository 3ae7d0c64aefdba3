// The Anthropic Messages dialect streamed (`stream: true`): message_start (the input, and an
// output placeholder of 1), a text block of one delta per token, then message_delta with the
// cumulative output and message_stop.
import { fillerWords } from './text.js';

/** The SSE events of an answer of `outputTokens` tokens: [event name, data, tokens it carries]. */
export function streamEvents(call, outputTokens, n) {
  const e = (type, data, tokens = 0) => [type, { type, ...data }, tokens];
  const message = { id: `msg_mock${n}`, type: 'message', role: 'assistant', model: call.model, content: [], stop_reason: null, stop_sequence: null };
  const events = [
    e('message_start', { message: { ...message, usage: { input_tokens: call.inputTokens, output_tokens: 1 } } }),
    e('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }),
    e('ping', {}),
  ];
  for (const text of fillerWords(outputTokens)) events.push(e('content_block_delta', { index: 0, delta: { type: 'text_delta', text } }, 1));
  events.push(
    e('content_block_stop', { index: 0 }),
    e('message_delta', { delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: outputTokens } }),
    e('message_stop', {}),
  );
  return events;
}

/** Nothing follows message_stop. */
export const streamEnd = null;

/** An error inside a 200 stream: Anthropic sends an `error` event. */
export function streamError() {
  return ['error', { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }];
}
