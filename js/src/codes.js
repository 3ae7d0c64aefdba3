// Generated from src/wire/ by `cargo run --example codes-js -- --write` (scripts/build.sh runs it): do not edit.
// The numbers the wasm boundary carries, each defined once in Rust; the names are in names.js.

/** Core.poll's output: a header ([rows, next wake or -1, verdict]), then rows of ROW_LENGTH numbers. */
export const POLL_HEADER = 3;
export const ROW_LENGTH = 5;
/** The first number of a row, [kind, a, b, c, d]: decisions, then events. */
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
/** Rows from this code on are events. */
export const FIRST_EVENT = 10;

/** Core.finish's outcome kind for "classify it from the status and hint" (names.js OUTCOME has the others). */
export const CLASSIFY = -1;
/** A bit of Core.finish's hint: the job is never retried (its stream reached the caller). */
export const NO_RETRY = 256;

/** Verdicts of Core.finish; EXHAUSTED is packed: + EXHAUSTED_BUDGET when the retry budget ran out, + EXHAUSTED_PER_ATTEMPT × attempts. */
export const DONE = 0;
export const FAILED = 1;
export const RETRY = 2;
export const EXHAUSTED = 3;
export const LATE = 4;
export const UNKNOWN = -1;
export const EXHAUSTED_BUDGET = 4;
export const EXHAUSTED_PER_ATTEMPT = 8;

/** Where each option's number goes in the settings of `new Core(settings)` (-1: the core's default). */
export const SET_MAX_CONCURRENT = 0;
export const SET_MAX_QUEUE = 1;
export const SET_BURST = 2;
export const SET_ADAPTIVE_CONCURRENCY = 3;
export const SET_GATE = 4;
export const SET_MAX_ATTEMPTS = 5;
export const SET_BASE_MS = 6;
export const SET_MAX_DELAY_MS = 7;
export const SET_MAX_RETRY_AFTER_MS = 8;
export const SET_RETRY_BUDGET = 9;
export const SET_BUDGET_TTL_MS = 10;
export const SET_BUDGET_MIN_PER_SEC = 11;
export const SET_BUDGET_PERCENT = 12;
export const SET_SEED = 13;
export const SET_ATTEMPT_LEASE_MS = 14;
export const SET_CALIBRATE = 15;
/** Then one number per rate limit, in the order of names.js LIMIT_NAMES. */
export const SET_LIMITS = 16;
export const SETTINGS_LENGTH = 22;

/** A job id's slot in the core: the id modulo SLOTS (the rest is the slot's generation). */
export const SLOTS = 67108864;
