// The batch: LLM-style calls of varied prompt length and max_tokens, each with the token
// estimate a client can make before sending it.
import { estimateTokens } from '../mock/text.js';
import { seededRandom } from './random.js';

const WORDS = ['summarise', 'the', 'following', 'report', 'about', 'river', 'flow', 'data', 'in', 'plain', 'words', 'please'];

function prompt(random, chars) {
  let text = `Job ${random.int(0, 1e9)}:`;
  while (text.length < chars) text += ` ${random.pick(WORDS)}`;
  return text.slice(0, chars);
}

/**
 * `count` calls: prompts of 200 to 2400 characters (50 to 600 tokens), max_tokens of 64 to 512.
 * `tokens` is what the provider charges on admission: input (chars / 4, the provider's own
 * heuristic) plus max_tokens.
 */
export function makeJobs(count, seed) {
  const random = seededRandom(seed);
  return Array.from({ length: count }, (_, i) => {
    const text = prompt(random, random.int(200, 2400));
    const maxTokens = random.pick([64, 128, 256, 512]);
    return {
      index: i,
      body: { model: 'mock-gpt', messages: [{ role: 'user', content: text }], max_tokens: maxTokens },
      tokens: estimateTokens(text.length) + maxTokens,
    };
  });
}
