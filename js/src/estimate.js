// Token estimates from request bodies, so that `tokens` need not be counted by hand.
//
// The heuristic, documented and deliberately on the high side (an over-estimate only holds a
// little budget until the real usage settles it; an under-estimate risks 429s):
// - text: one token per 4 ASCII characters (OpenAI's rule of thumb for English), plus one
//   token per other character (CJK scripts run about one token per character);
// - each message: 4 tokens of framing, plus 3 to prime the reply (OpenAI's cookbook counts);
// - an image: 765 tokens (OpenAI, a 1024×1024 image at high detail; Anthropic's formula,
//   width × height / 750, gives about 1 600 for its largest images: used there);
// - tools, schemas and other structured parts: their JSON text, as above;
// - output: the request's own cap (`max_tokens`, `max_completion_tokens`, `max_output_tokens`,
//   Gemini's `generationConfig.maxOutputTokens`), times `n` choices; without one, `defaultMaxTokens`.

const MESSAGE_FRAMING = 4;
const REPLY_PRIMING = 3;
const OPENAI_IMAGE = 765;
const ANTHROPIC_IMAGE = 1_600;
// Gemini counts 258 tokens per image (per 768×768 tile of a large one) and per second of video.
const GEMINI_MEDIA = 258;

/** Tokens in a text, by the heuristic above. */
export function estimateTokens(text) {
  if (typeof text !== 'string') throw new TypeError(`Expected \`text\` to be a string, got ${typeof text}`);
  let ascii = 0;
  let other = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 128) ascii++;
    else if (c < 0xdc00 || c > 0xdfff) other++; // a surrogate pair counts once
  }
  return Math.ceil(ascii / 4) + other;
}

const json = (value) => (value === undefined ? 0 : estimateTokens(JSON.stringify(value)));

/** Tokens of a message's `content`: a string, or an array of parts (text, images, tool calls). */
function contentTokens(content, imageTokens) {
  if (typeof content === 'string') return estimateTokens(content);
  if (!Array.isArray(content)) return json(content);
  let total = 0;
  for (const part of content) {
    if (typeof part === 'string') total += estimateTokens(part);
    else if (part?.type === 'text' || part?.type === 'input_text' || part?.type === 'output_text') total += estimateTokens(String(part.text ?? ''));
    else if (part?.type === 'image_url' || part?.type === 'image' || part?.type === 'input_image') total += imageTokens;
    else total += json(part);
  }
  return total;
}

function checkBody(body) {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new TypeError(`Expected \`body\` to be a request body object, got ${body === null ? 'null' : Array.isArray(body) ? 'an array' : typeof body}`);
  }
}

function cap(value, name) {
  if (value === undefined || value === null) return undefined;
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`Expected \`${name}\` to be a non-negative integer, got ${value}`);
  return value;
}

/**
 * `{ inputTokens, maxOutputTokens }` of an OpenAI Chat Completions (`messages`) or Responses
 * (`input`) request body, to spread into `schedule()`'s options.
 */
export function estimateOpenAI(body, { defaultMaxTokens = 4_096 } = {}) {
  checkBody(body);
  let input = REPLY_PRIMING;
  const messages = Array.isArray(body.messages) ? body.messages : Array.isArray(body.input) ? body.input : [];
  if (typeof body.input === 'string') input += MESSAGE_FRAMING + estimateTokens(body.input);
  if (typeof body.instructions === 'string') input += MESSAGE_FRAMING + estimateTokens(body.instructions);
  for (const m of messages) {
    input += MESSAGE_FRAMING + contentTokens(m?.content, OPENAI_IMAGE) + (typeof m?.name === 'string' ? estimateTokens(m.name) : 0);
    if (m?.tool_calls) input += json(m.tool_calls);
  }
  input += json(body.tools) + json(body.functions) + json(body.response_format) + json(body.text?.format);
  const choices = Number.isSafeInteger(body.n) && body.n > 0 ? body.n : 1;
  const max = cap(body.max_completion_tokens, 'max_completion_tokens') ?? cap(body.max_tokens, 'max_tokens') ?? cap(body.max_output_tokens, 'max_output_tokens') ?? defaultMaxTokens;
  return { inputTokens: input, maxOutputTokens: max * choices };
}

/** `{ inputTokens, maxOutputTokens }` of an Anthropic Messages request body. */
export function estimateAnthropic(body) {
  checkBody(body);
  let input = REPLY_PRIMING + (body.system === undefined ? 0 : MESSAGE_FRAMING + contentTokens(body.system, ANTHROPIC_IMAGE));
  for (const m of Array.isArray(body.messages) ? body.messages : []) input += MESSAGE_FRAMING + contentTokens(m?.content, ANTHROPIC_IMAGE);
  input += json(body.tools);
  const max = cap(body.max_tokens, 'max_tokens');
  if (max === undefined) throw new TypeError('Expected `max_tokens` in an Anthropic request body: the API requires it');
  return { inputTokens: input, maxOutputTokens: max };
}

/** Tokens of a Gemini `Content` (`{ parts }`): text parts as text, media as an image, the rest as JSON. */
function geminiContent(content) {
  let total = MESSAGE_FRAMING;
  for (const part of Array.isArray(content?.parts) ? content.parts : []) {
    if (typeof part?.text === 'string') total += estimateTokens(part.text);
    else if (part?.inlineData || part?.fileData) total += GEMINI_MEDIA;
    else total += json(part);
  }
  return total;
}

/** `{ inputTokens, maxOutputTokens }` of a Gemini `generateContent` request body. */
export function estimateGemini(body, { defaultMaxTokens = 4_096 } = {}) {
  checkBody(body);
  let input = REPLY_PRIMING + (body.systemInstruction === undefined ? 0 : geminiContent(body.systemInstruction));
  for (const c of Array.isArray(body.contents) ? body.contents : []) input += geminiContent(c);
  input += json(body.tools);
  const config = body.generationConfig;
  const choices = Number.isSafeInteger(config?.candidateCount) && config.candidateCount > 0 ? config.candidateCount : 1;
  const max = cap(config?.maxOutputTokens, 'generationConfig.maxOutputTokens') ?? defaultMaxTokens;
  return { inputTokens: input, maxOutputTokens: max * choices };
}
