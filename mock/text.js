// Counting and making text. The mock has no tokenizer: it counts a token per 4 characters
// (ceil(chars / 4)), OpenAI's rule of thumb for English, so a client can predict the input
// charge exactly with the same formula.

/** Input tokens of a prompt of `chars` characters. */
export function estimateTokens(chars) {
  return Math.ceil(chars / 4);
}

/** The text of a message content: a string, or an array of `{ type: 'text', text }` blocks. */
export function contentText(content) {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content.map((block) => (block && block.type === 'text' && typeof block.text === 'string' ? block.text : '')).join('');
  }
  return '';
}

/** FNV-1a: a cheap, stable hash, so the same prompt always gets the same answer length. */
function hash(text) {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Output tokens of a prompt by default: between 20% and 100% of max_tokens, fixed per prompt. */
export function defaultOutputTokens(promptText, maxTokens) {
  const share = 0.2 + 0.8 * (hash(promptText) / 0xffffffff);
  return Math.min(maxTokens, Math.max(1, Math.round(share * maxTokens)));
}

const WORDS = ['the', 'cat', 'sat', 'and', 'ran', 'far', 'sun', 'sky', 'sea', 'red', 'big', 'new'];

/** Filler of about `tokens` tokens: three-letter words and a space, 4 characters a token. */
export function fillerText(tokens) {
  const words = new Array(tokens);
  for (let i = 0; i < tokens; i++) words[i] = WORDS[i % WORDS.length];
  return words.join(' ');
}

/** The same filler cut into its tokens, as a stream sends them: `fillerWords(n).join('') === fillerText(n)`. */
export function fillerWords(tokens) {
  const words = new Array(tokens);
  for (let i = 0; i < tokens; i++) words[i] = (i === 0 ? '' : ' ') + WORDS[i % WORDS.length];
  return words;
}
