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

const isCount = (n) => Number.isSafeInteger(n) && n >= 0;

/** The text a chunk carries, in tokens by the estimate's heuristic (0 for a chunk without text). */
function chunkTokens(c) {
  let n = 0;
  const add = (s) => {
    if (typeof s === 'string' && s) n += estimateTokens(s);
  };
  const d = c.delta;
  if (typeof d === 'string') add(d); // Responses: response.output_text.delta, ….arguments.delta
  else if (d) add(d.text ?? d.partial_json ?? d.thinking); // Anthropic content_block_delta
  if (Array.isArray(c.choices)) {
    for (const choice of c.choices) {
      const cd = choice?.delta;
      if (!cd) continue;
      add(cd.content);
      add(cd.refusal);
      if (Array.isArray(cd.tool_calls)) for (const call of cd.tool_calls) add(call?.function?.arguments);
    }
  }
  if (Array.isArray(c.candidates)) for (const cand of c.candidates) for (const part of cand?.content?.parts ?? []) add(part?.text);
  return n;
}

/**
 * A stream's usage, from its chunks (parsed objects) or its bytes (server-sent events, JSON
 * lines). `estimatedInput`: the job's `inputTokens` estimate, -1 when it has none. Returns
 * `{ see(chunk), result(), error }`: `result()` is the usage to settle with once the stream has
 * ended (null when the input is unknown); `error`, an error event the stream carried in its
 * bytes (an SSE `error`), in the shape of an SDK error. (Closures, not a class: they minify.)
 */
export function streamUsage(estimatedInput) {
  let input = -1;
  let output = -1;
  let counted = 0;
  let text = '';
  let decoder = null;
  let data = '';
  const self = { see, result, error: undefined };

  function look(c) {
    const type = c.type;
    // Anthropic's and the Responses API's error events say `type: "error"`; OpenAI's chat an `error` object.
    if (type === 'error' || (c.error && typeof c.error === 'object' && !c.choices)) {
      self.error = { error: c };
      return;
    }
    if (type === 'message_start') {
      const u = readUsage(c.message);
      if (u) input = u.inputTokens;
      return;
    }
    if (type === 'message_delta') {
      const u = c.usage;
      if (isCount(u?.output_tokens)) output = u.output_tokens;
      if (isCount(u?.input_tokens)) input = readUsage(c).inputTokens;
      return;
    }
    const u = readUsage(typeof type === 'string' && type.startsWith('response.') && c.response ? c.response : c);
    if (u) {
      input = u.inputTokens;
      output = u.outputTokens;
    } else counted += chunkTokens(c);
  }

  function parse(payload) {
    if (payload === '[DONE]') return;
    let c;
    try {
      c = JSON.parse(payload);
    } catch {
      return; // not JSON: nothing to read
    }
    if (c !== null && typeof c === 'object') look(c);
  }

  /** Server-sent events (or JSON lines) in bytes: each complete `data:` payload is parsed and seen. */
  function read(chunk, flush) {
    decoder ??= new TextDecoder();
    text += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: !flush });
    const lines = text.split('\n');
    text = flush ? '' : lines.pop();
    if (flush) lines.push('');
    for (let line of lines) {
      if (line.endsWith('\r')) line = line.slice(0, -1);
      if (line.startsWith('data:')) data += (data ? '\n' : '') + line.slice(line[5] === ' ' ? 6 : 5);
      else if (line[0] === '{') parse(line); // JSON lines
      else if (line === '') {
        if (data) parse(data);
        data = '';
      }
    }
  }

  /** Looks at one chunk as it passes: bytes and strings are read as SSE, anything else as an event. */
  function see(chunk) {
    if (typeof chunk === 'string' || ArrayBuffer.isView(chunk)) read(chunk, false);
    else if (chunk !== null && typeof chunk === 'object') look(chunk);
  }

  function result() {
    if (decoder) read('', true);
    const i = input >= 0 ? input : estimatedInput;
    return i < 0 ? null : { inputTokens: i, outputTokens: output >= 0 ? output : counted };
  }

  return self;
}
