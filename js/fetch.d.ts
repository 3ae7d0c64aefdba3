// Types of `sluice/fetch`: a fetch that sends every request through a limiter.
import type { Limiter, ScheduleOptions } from './index.js';

/** The part of a job's options an estimate gives. */
export type FetchEstimate = { tokens?: number } | { inputTokens?: number; maxOutputTokens?: number };

/** What `createFetch(limiter, options)` takes. */
export interface FetchOptions {
  /** The fetch to call. Default: the global `fetch`, looked up at each call. */
  fetch?: (input: string | URL | Request, init?: RequestInit) => Promise<Response>;
  /**
   * The job's estimate from the request's parsed JSON body (any JSON value) and its URL.
   * Default: {@link estimateRequest}. Return undefined for none.
   */
  estimate?: (body: any, url: string) => FetchEstimate | undefined;
  /** As for `schedule()`. */
  priority?: ScheduleOptions['priority'];
  key?: ScheduleOptions['key'];
  maxWaitMs?: ScheduleOptions['maxWaitMs'];
  timeoutMs?: ScheduleOptions['timeoutMs'];
  /** A `text/event-stream` answer holds its slot until its body has been read; these bound its stalls. */
  firstChunkTimeoutMs?: ScheduleOptions['firstChunkTimeoutMs'];
  idleTimeoutMs?: ScheduleOptions['idleTimeoutMs'];
}

/** A fetch-compatible function: `(input, init) => Promise<Response>`. */
export type ThrottledFetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/**
 * A fetch whose every call goes through `limiter`: estimated from its JSON body, retried
 * through the queue on a 429 or 5xx, settled from the usage in the answer (read from a clone),
 * aborted by the caller's `signal`. When retries run out, the last Response is returned.
 * @throws {TypeError} for a bad argument.
 */
export function createFetch(limiter: Limiter, options?: FetchOptions): ThrottledFetch;

/**
 * The estimate of a request body by its shape and the URL's path: Anthropic for a `/messages`
 * path, Gemini for `contents`, else OpenAI (`messages` or `input`); undefined otherwise.
 */
export function estimateRequest(body: unknown, url: string): FetchEstimate | undefined;
