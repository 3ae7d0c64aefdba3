// Which results of a task are streams that hold their attempt, and of what kind. This small
// test stays in the main entry; stream.js, which reads the streams, is loaded when the first
// one comes (a separate chunk for bundlers that split, nothing to pay for calls that never
// stream).

// What a task's result is, for holding it: one of these, or null (not a stream). (Plain
// constants: a bundler inlines them.)
export const WITH_RESPONSE = 1;
export const EMITTER = 2;
export const SSE_RESPONSE = 3;
export const READABLE = 4;
export const SDK_STREAM = 5;
export const ITERABLE = 6;

/**
 * - WITH_RESPONSE: an SDK's `.withResponse()` `{ data, response }` whose `data` is a stream;
 * - EMITTER: `MessageStream` (`messages.stream()`), openai's `ChatCompletionStream`;
 * - SSE_RESPONSE: a 2xx `Response` whose body is `text/event-stream`;
 * - READABLE: a web `ReadableStream`;
 * - SDK_STREAM: openai-node's or @anthropic-ai/sdk's `Stream` (an `iterator` and a `controller`);
 * - ITERABLE: any other async iterable.
 */
export function streamKind(value) {
  if (value === null || typeof value !== 'object') return null;
  if (value.response && value.data !== null && typeof value.data === 'object' && typeof value.response.status === 'number') {
    return streamKind(value.data) === null ? null : WITH_RESPONSE;
  }
  if (typeof value.finalMessage === 'function' && typeof value.on === 'function' && value.controller) return EMITTER;
  if (typeof value.headers?.get === 'function') {
    // A Response: held when it is a 2xx stream of server-sent events.
    return value.ok && value.body && /^text\/event-stream/i.test(value.headers.get('content-type')) ? SSE_RESPONSE : null;
  }
  if (typeof value.getReader === 'function') return READABLE;
  if (typeof value.iterator === 'function' && value.controller?.signal) return SDK_STREAM;
  return typeof value[Symbol.asyncIterator] === 'function' ? ITERABLE : null;
}
