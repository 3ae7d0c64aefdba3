// The public API, the same in every runtime; each entry in ./entry loads the wasm first.
export { Limiter } from './limiter.js';
export {
  SluiceError,
  AbortError,
  QueueTimeoutError,
  TimeoutError,
  QueueFullError,
  RetryError,
  EstimateTooLargeError,
} from './errors.js';
export { readUsage } from './usage.js';
export { estimateTokens, estimateOpenAI, estimateAnthropic } from './estimate.js';
