// The public API, the same in every runtime; each entry in ./entry loads the wasm first.
// Token estimates are a separate entry, `sluice/estimate` (./estimate.js): no wasm, and kept
// out of the limiter's own bundle.
export { Limiter } from './limiter.js';
export {
  SluiceError,
  AbortError,
  QueueTimeoutError,
  DeadlineError,
  TimeoutError,
  QueueFullError,
  RetryError,
  EstimateTooLargeError,
  ClearedError,
  ClosedError,
  SluiceInternalError,
} from './errors.js';
export { readUsage } from './usage.js';
