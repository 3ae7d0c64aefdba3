// The numbers that cross the wasm boundary, mirrored from src/wasm/mod.rs.

/** Decisions and events from Core.poll, five numbers each: [kind, a, b, c, d]. */
export const START = 1;
export const QUEUE_TIMEOUT = 2;
export const TOO_LARGE = 3;
export const QUEUE_FULL = 4;
export const DEADLINE = 5;
export const RATE_LIMITED = 10;
export const RETRY_SCHEDULED = 11;
export const RETRIES_EXHAUSTED = 12;
export const GATE_CLOSED = 13;
export const GATE_OPENED = 14;
export const CONCURRENCY_CHANGED = 15;
export const LIMIT_CHANGED = 16;

/** Outcome kinds for Core.finish; CLASSIFY asks the core to classify from status and hint. */
export const CLASSIFY = -1;
export const OUTCOME = {
  success: 0,
  'rate-limited': 1,
  overloaded: 2,
  retryable: 3,
  fatal: 4,
  aborted: 5,
  'timed-out': 6,
};

/** Hints for Core.finish: what an error says beside its status. */
export const HINT = { none: 0, network: 1, rateLimit: 2, overloaded: 3, quotaExhausted: 4 };
/** A bit of Core.finish's hint: the job is never retried (its stream reached the caller). */
export const NO_RETRY = 256;

/** The limit a 429's body names, for Core.feedback. */
export const NAMED = { none: 0, requests: 1, tokens: 2, inputTokens: 3, outputTokens: 4 };

/** Verdicts of Core.finish. */
export const DONE = 0;
export const FAILED = 1;
export const RETRY = 2;
/** No retry fits before the deadline (Core.rejection says why). */
export const LATE = 4;
export const EXHAUSTED = 3;
