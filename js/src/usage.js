// Reading the tokens a call really used from the result the task returned.

const isCount = (n) => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
const count = (n) => (isCount(n) ? n : 0);

/**
 * The usage in an OpenAI-, Anthropic- or Gemini-shaped result, or null.
 * - OpenAI Chat Completions: `usage.prompt_tokens`, `usage.completion_tokens`
 * - Anthropic Messages and OpenAI Responses: `usage.input_tokens`, `usage.output_tokens`;
 *   Anthropic's `cache_creation_input_tokens` count as input (they count against its input
 *   limit), cache reads do not.
 * - Gemini: `usageMetadata.promptTokenCount`, `usageMetadata.candidatesTokenCount`
 */
export function readUsage(result) {
  if (result === null || typeof result !== 'object') return null;
  // An SDK's `.withResponse()` gives { data, response }: the usage is in the data.
  if (result.data !== null && typeof result.data === 'object' && result.usage === undefined) result = result.data;
  const u = result.usage;
  if (u !== null && typeof u === 'object') {
    if (isCount(u.prompt_tokens)) return { inputTokens: u.prompt_tokens, outputTokens: count(u.completion_tokens) };
    if (isCount(u.input_tokens)) {
      return { inputTokens: u.input_tokens + count(u.cache_creation_input_tokens), outputTokens: count(u.output_tokens) };
    }
  }
  const g = result.usageMetadata;
  if (g !== null && typeof g === 'object' && isCount(g.promptTokenCount)) {
    return { inputTokens: g.promptTokenCount, outputTokens: count(g.candidatesTokenCount) };
  }
  return null;
}

/** Checks what a task passes to `ctx.reportUsage`. */
export function checkUsage(usage) {
  if (usage === null || typeof usage !== 'object' || !isCount(usage.inputTokens) || !(usage.outputTokens === undefined || isCount(usage.outputTokens))) {
    throw new TypeError('Expected `reportUsage` to get { inputTokens, outputTokens } as non-negative integers');
  }
  return { inputTokens: usage.inputTokens, outputTokens: count(usage.outputTokens) };
}
