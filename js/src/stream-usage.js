// Reading a stream's usage from its chunks as they go by, in every dialect sluice knows:
// - OpenAI Chat Completions: the `include_usage` chunk before `[DONE]` (`choices: []`, `usage`);
// - OpenAI Responses: `response.completed` (or `.incomplete`, `.failed`), whose `response.usage`;
// - Anthropic: `message_start` (the input) and `message_delta` (the output so far, cumulative:
//   the last one wins, never summed);
// - Gemini: the last `usageMetadata`.
// A stream cut short of its usage settles from what was seen: the input from the estimate, the
// output counted from the text of the chunks received, each rounded up (estimateTokens).
import { estimateTokens } from './estimate.js';
import { readUsage } from './usage.js';

const tokens = (s) => (typeof s === 'string' && s ? estimateTokens(s) : 0);

/** The text a chunk carries, in tokens (0 for a chunk without text). */
function chunkTokens(c) {
  const d = c.delta; // Responses: a string (….output_text.delta, ….arguments.delta); Anthropic: a block delta
  const choice = c.choices?.[0]?.delta; // OpenAI chat
  return (
    tokens(typeof d === 'string' ? d : (d?.text ?? d?.partial_json ?? d?.thinking)) +
    tokens(choice?.content) +
    tokens(choice?.tool_calls?.[0]?.function?.arguments) +
    tokens(c.candidates?.[0]?.content?.parts?.[0]?.text) // Gemini
  );
}

/**
 * A stream's usage, from its chunks (parsed objects) or its bytes (server-sent events, JSON
 * lines). `estimatedInput`: the job's `inputTokens` estimate, -1 when it has none. Returns
 * `{ see(chunk), result(), error }`: `result()` is the usage to settle with once the stream has
 * ended (null when the input is unknown); `error`, an error event the stream carried (Anthropic's
 * and the Responses API's `type: "error"`, OpenAI chat's `error` object), as an SDK error's shape.
 */
export function streamUsage(estimatedInput) {
  let input = -1;
  let output = -1;
  let counted = 0;
  let text = '';
  let data = '';
  let decoder = null;
  const look = (c) => {
    const { type } = c;
    if (type === 'error' || (c.error && !c.choices)) self.error = { error: c };
    else if (type === 'message_delta') {
      if (c.usage?.output_tokens >= 0) output = c.usage.output_tokens;
      if (c.usage?.input_tokens >= 0) input = readUsage(c).inputTokens;
    } else {
      const u = readUsage(type === 'message_start' ? c.message : (c.response ?? c));
      if (u === null) counted += chunkTokens(c);
      else {
        input = u.inputTokens;
        if (type !== 'message_start') output = u.outputTokens; // its output is a placeholder
      }
    }
  };
  const parse = (payload) => {
    try {
      const c = JSON.parse(payload);
      if (c !== null && typeof c === 'object') look(c);
    } catch {
      // not JSON ([DONE], a comment): nothing to read
    }
  };
  const self = {
    error: undefined,
    /** Looks at one chunk as it passes: bytes and strings are read as SSE (or JSON lines), anything else as an event. */
    see(chunk) {
      if (typeof chunk !== 'string' && !ArrayBuffer.isView(chunk)) {
        if (chunk !== null && typeof chunk === 'object') look(chunk);
        return;
      }
      decoder ??= new TextDecoder();
      const lines = (text + (typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true }))).split('\n');
      text = lines.pop();
      for (let line of lines) {
        line = line.trim();
        if (line.startsWith('data:')) data += line.slice(5);
        else if (line[0] === '{') parse(line);
        else if (line === '') {
          if (data) parse(data);
          data = '';
        }
      }
    },
    result() {
      if (decoder) self.see('\n\n'); // what an unterminated last event held
      const i = input < 0 ? estimatedInput : input;
      return i < 0 ? null : { inputTokens: i, outputTokens: output < 0 ? counted : output };
    },
  };
  return self;
}
