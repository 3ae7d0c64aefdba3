// Generated from src/wire/ by `cargo run --example codes-js -- --write` (scripts/build.sh runs it): do not edit.
// The names the wasm boundary carries, each defined once in Rust; the numbers are in codes.js.

/** Outcome kinds for Core.finish, by the names `classify` returns. */
export const OUTCOME = {
  success: 0,
  'rate-limited': 1,
  overloaded: 2,
  retryable: 3,
  fatal: 4,
  aborted: 5,
  'timed-out': 6,
};
/** What a `classify` option may return. */
export const CLASSES = ['success', 'rate-limited', 'overloaded', 'retryable', 'fatal'];
/** Hints for Core.finish: what an error says beside its status. */
export const HINT = {
  none: 0,
  network: 1,
  rateLimit: 2,
  overloaded: 3,
  quotaExhausted: 4,
};
/** The limit a 429's body names, for Core.feedback. */
export const NAMED = {
  none: 0,
  requests: 1,
  tokens: 2,
  inputTokens: 3,
  outputTokens: 4,
};
/** Why a job cannot finish by its deadline (DeadlineError's `why`), by the core's number. */
export const LATE_REASONS = ['expired', 'budget', 'latency', 'backoff'];
/** The rate limits, by the core's number (LimitKind), as the options name them. */
export const LIMIT_NAMES = ['requestsPerMinute', 'tokensPerMinute', 'inputTokensPerMinute', 'outputTokensPerMinute', 'requestsPerDay', 'tokensPerDay'];
/** Header names the core reads, and the prefixes of the others it reads: no other crosses into wasm. */
export const READ_HEADERS = ['retry-after', 'retry-after-ms', 'x-should-retry'];
export const READ_HEADER_PREFIXES = ['x-ratelimit-', 'anthropic-ratelimit-', 'ratelimit'];
/** The option behind each number of the settings (for tests: the package uses the constants). */
export const SETTING_OPTIONS = {
  maxConcurrent: 0,
  maxQueue: 1,
  burst: 2,
  adaptiveConcurrency: 3,
  gate: 4,
  'retry.maxAttempts': 5,
  'retry.baseMs': 6,
  'retry.maxDelayMs': 7,
  'retry.maxRetryAfterMs': 8,
  'retry.budget': 9,
  'retry.budget.ttlMs': 10,
  'retry.budget.minPerSec': 11,
  'retry.budget.percent': 12,
  seed: 13,
  attemptLeaseMs: 14,
  calibrate: 15,
  requestsPerMinute: 16,
  tokensPerMinute: 17,
  inputTokensPerMinute: 18,
  outputTokensPerMinute: 19,
  requestsPerDay: 20,
  tokensPerDay: 21,
};
