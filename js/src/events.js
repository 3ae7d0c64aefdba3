// The limiter's events, decoded from the core's event rows. A Limiter is an EventTarget:
// `limiter.addEventListener('ratelimited', (e) => e.detail)`, or `limiter.on('ratelimited', fn)`.
//
//   ratelimited         an attempt met a 429 (or a 529/503: `overloaded`)   { key, overloaded, retryAfterMs }
//   retry               a failed attempt will be tried again                 { key, attempt, delayMs }
//   gateclosed          a Retry-After paused the limiter (or one key)       { key, delayMs }
//   gateopened          the pause is over; a probe goes first               { key }
//   concurrencychanged  adaptive concurrency moved the limit                 { limit }
//   limitchanged        a limit was learned or changed from headers          { limit, value, capacity, windowMs }
//   dropped             the limiter gave up on a job                         { key, error }
import * as code from './codes.js';
import { LIMIT_NAMES } from './names.js';

/**
 * The `[type, detail]` of an event row (five numbers). `jobOf(id)` gives a live job's record
 * (`{ o }`, its options, for the key); `nextKey(length)` the next key name the core listed for
 * its events (a row that names a key holds its length + 1). A job without a key has `key: undefined`.
 */
export function decodeEvent([kind, a, b, c, d], jobOf, nextKey, now) {
  switch (kind) {
    case code.RATE_LIMITED:
      return ['ratelimited', { key: (jobOf(a)?.o.key || undefined), overloaded: b === 1, retryAfterMs: c < 0 ? undefined : c }];
    case code.RETRY_SCHEDULED:
      return ['retry', { key: (jobOf(a)?.o.key || undefined), attempt: b, delayMs: Math.max(0, c - now) }];
    case code.GATE_CLOSED:
      return ['gateclosed', { key: a > 0 ? nextKey(a - 1) : undefined, delayMs: Math.max(0, b - now) }];
    case code.GATE_OPENED:
      return ['gateopened', { key: a > 0 ? nextKey(a - 1) : undefined }];
    case code.CONCURRENCY_CHANGED:
      return ['concurrencychanged', { limit: a }];
    case code.LIMIT_CHANGED:
      return ['limitchanged', { limit: LIMIT_NAMES[a], value: b, capacity: c, windowMs: d }];
    default:
      return null; // RETRIES_EXHAUSTED: the limiter reports it as `dropped`, with the error
  }
}
