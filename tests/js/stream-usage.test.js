// Reading a stream's usage from its chunks, in each dialect, without a network: the parsed
// events the SDKs yield, and the raw bytes of server-sent events split anywhere.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { streamUsage } from '../../js/src/stream-usage.js';

const seen = (chunks, estimatedInput = -1) => {
  const u = streamUsage(estimatedInput);
  for (const c of chunks) u.see(c);
  return u;
};

test('OpenAI chat: the include_usage chunk gives both counts', () => {
  const chunks = [
    { object: 'chat.completion.chunk', choices: [{ delta: { content: 'Hello there' } }], usage: null },
    { object: 'chat.completion.chunk', choices: [], usage: { prompt_tokens: 12, completion_tokens: 34, total_tokens: 46 } },
  ];
  assert.deepEqual(seen(chunks, 500).result(), { inputTokens: 12, outputTokens: 34 });
});

test('OpenAI Responses: response.completed carries the usage; deltas count until then', () => {
  const deltas = [{ type: 'response.output_text.delta', delta: 'abcdefgh' }, { type: 'response.function_call_arguments.delta', delta: '{"a":1}' }];
  assert.deepEqual(seen(deltas, 40).result(), { inputTokens: 40, outputTokens: 2 + 2 });
  const done = { type: 'response.completed', response: { usage: { input_tokens: 9, output_tokens: 7, total_tokens: 16 } } };
  assert.deepEqual(seen([...deltas, done], 40).result(), { inputTokens: 9, outputTokens: 7 });
});

test('Anthropic: input from message_start, output from the last message_delta (never summed)', () => {
  const events = [
    { type: 'message_start', message: { usage: { input_tokens: 25, cache_creation_input_tokens: 5, output_tokens: 1 } } },
    { type: 'content_block_delta', delta: { type: 'text_delta', text: 'hello world!' } },
    { type: 'message_delta', usage: { output_tokens: 10 } },
    { type: 'message_delta', usage: { output_tokens: 15 } },
  ];
  assert.deepEqual(seen(events).result(), { inputTokens: 30, outputTokens: 15 });
  // Cut short before any message_delta: the placeholder output (1) of message_start is not taken: the text counts.
  assert.deepEqual(seen(events.slice(0, 2)).result(), { inputTokens: 30, outputTokens: 3 });
});

test('Gemini: the last usageMetadata wins', () => {
  const chunks = [
    { candidates: [{ content: { parts: [{ text: 'one two' }] } }], usageMetadata: { promptTokenCount: 8, candidatesTokenCount: 2 } },
    { candidates: [{ content: { parts: [{ text: ' three' }] } }], usageMetadata: { promptTokenCount: 8, candidatesTokenCount: 3 } },
  ];
  assert.deepEqual(seen(chunks).result(), { inputTokens: 8, outputTokens: 3 });
});

test('cut short: output counted from the chunks, each rounded up; no input estimate, no usage', () => {
  const chunks = ['a', 'bcdef', 'ghijklmno'].map((content) => ({ choices: [{ delta: { content } }] }));
  assert.deepEqual(seen(chunks, 70).result(), { inputTokens: 70, outputTokens: 1 + 2 + 3 });
  assert.equal(seen(chunks, -1).result(), null);
});

test('SSE bytes split anywhere, CRLF line ends, [DONE], and an error event', () => {
  const text =
    'event: message_start\r\ndata: {"type":"message_start","message":{"usage":{"input_tokens":4,"output_tokens":1}}}\r\n\r\n' +
    'event: message_delta\ndata: {"type":"message_delta","usage":{"output_tokens":6}}\n\n' +
    'data: [DONE]\n\n';
  const bytes = new TextEncoder().encode(text);
  for (const cut of [1, 7, 50, 120, bytes.length - 1]) {
    const u = seen([bytes.subarray(0, cut), bytes.subarray(cut)]);
    assert.deepEqual(u.result(), { inputTokens: 4, outputTokens: 6 }, `cut at ${cut}`);
    assert.equal(u.error, undefined);
  }
  const failed = seen(['event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}\n\n']);
  assert.equal(failed.error.error.error.type, 'overloaded_error');
});

test('JSON lines (an SDK stream turned toReadableStream) are read too', () => {
  const lines = `${JSON.stringify({ choices: [], usage: { prompt_tokens: 3, completion_tokens: 5 } })}\n`;
  assert.deepEqual(seen([new TextEncoder().encode(lines)]).result(), { inputTokens: 3, outputTokens: 5 });
});
