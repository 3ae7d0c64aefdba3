// The public API, the same in every runtime; each entry in ./entry loads the wasm first.
export { Limiter } from './limiter.js';
export {
  SluiceError,
  AbortError,
  QueueTimeoutError,
  TimeoutError,
  QueueFullError,
  EstimateTooLargeError,
} from './errors.js';
export { readUsage } from './usage.js';
