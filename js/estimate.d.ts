// Types of `sluice/estimate`: token estimates from request bodies (a documented heuristic;
// see js/src/estimate.js).

/** A job's estimate split into input and most output, to spread into `schedule()`'s options. */
export interface TokenEstimate {
  inputTokens: number;
  maxOutputTokens: number;
}

/** Tokens in a text: one per 4 ASCII characters, one per other character (a high estimate). */
export function estimateTokens(text: string): number;

/**
 * The estimate of an OpenAI Chat Completions (`messages`) or Responses (`input`) request body:
 * messages, images, tools, and the request's own output cap (times `n`), else `defaultMaxTokens`
 * (4 096).
 */
export function estimateOpenAI(body: object, options?: { defaultMaxTokens?: number }): TokenEstimate;

/** The estimate of an Anthropic Messages request body (`max_tokens` is required). */
export function estimateAnthropic(body: object): TokenEstimate;

/**
 * The estimate of a Gemini `generateContent` request body: `contents`, `systemInstruction`,
 * media (258 tokens each), tools, and `generationConfig.maxOutputTokens` (times
 * `candidateCount`), else `defaultMaxTokens` (4 096).
 */
export function estimateGemini(body: object, options?: { defaultMaxTokens?: number }): TokenEstimate;
