// Streams a task returns hold their attempt (slot, reservation, lease) until they end, error or
// are cancelled; the usage settles from the stream itself (stream-usage.js). What is wrapped:
// - openai-node's and @anthropic-ai/sdk's `Stream` (chat completions, the Responses API,
//   `messages.create({ stream: true })`): the same object, its `iterator` replaced, so that
//   `for await`, `tee()` and `toReadableStream()` all read through sluice;
// - `MessageStream` (`messages.stream()`), openai's `ChatCompletionStream`
//   (`chat.completions.stream()`): the same object, watched through its events;
// - a `Response` whose body is `text/event-stream`: a new Response (same status, headers) on a
//   body that reads through sluice; a web `ReadableStream`: a new ReadableStream on it;
// - any other async iterable: the same object, with its own `Symbol.asyncIterator`;
// - `{ data, response }` (an SDK's `.withResponse()`): its `data`, as above.
// Except for the event emitters (handed back at once, as the SDKs return them), the first chunk
// is read before the task's result is handed to the caller: a failure before it is the
// attempt's and may be retried; after it, the caller has part of the answer and it never is.
import { MAX_DELAY } from './attempt.js';
import { AbortError, TimeoutError } from './errors.js';
import * as KIND from './stream-kind.js';
import { streamKind } from './stream-kind.js';
import { streamUsage } from './stream-usage.js';
// A stream's end reports its error synchronously: the reading of thrown errors comes with it.
import './thrown.js';

const noop = () => {};

/** A timer for `ms` (Infinity: none) that calls `fire` with the TimeoutError of `option`. */
const timer = (ms, option, fire) => (ms === Infinity ? null : setTimeout(() => fire(new TimeoutError(ms, option)), Math.min(ms, MAX_DELAY)));

/** A source to read from: a ReadableStream's reader. */
const readerOf = (stream) => {
  const reader = stream.getReader();
  return { next: () => reader.read(), cancel: (reason) => reader.cancel(reason).catch(noop) };
};

/** A ReadableStream that reads the iterator `it` only as its reader asks (no chunk read ahead). */
const readable = (it) =>
  new ReadableStream(
    {
      pull: (controller) =>
        it.next().then(
          (r) => (r.done ? controller.close() : controller.enqueue(r.value)),
          (e) => controller.error(e),
        ),
      cancel: (reason) => it.return(reason),
    },
    { highWaterMark: 0 },
  );

/**
 * Holds `value` if it is a stream. `o`: `{ signal, firstChunkTimeoutMs, idleTimeoutMs,
 * inputTokens }` (the job's options; `inputTokens` -1 when not known). `end(error, usage,
 * cancelled)` is called once, when the stream has ended (error undefined), failed, timed out or
 * been aborted (error set), or been cancelled by its reader (`cancelled`), with the usage to
 * settle (null when unknown), and only after `ready` has resolved.
 * Returns null when `value` is not a stream; else `{ ready, cancel }`: `ready` resolves with
 * what to hand the caller once the first chunk is in (rejects if the stream fails first),
 * `cancel(reason)` gives the stream up before then.
 */
export function holdStream(value, o, end) {
  const kind = streamKind(value);
  switch (kind) {
    case null:
      return null;
    case KIND.WITH_RESPONSE: {
      const inner = holdStream(value.data, o, end);
      return { ready: inner.ready.then((d) => ((value.data = d), value)), cancel: inner.cancel };
    }
    case KIND.EMITTER:
      return holdEmitter(value, o, end);
    case KIND.SSE_RESPONSE:
      return through(readerOf(value.body), o, end, (it) => new Response(readable(it), value));
    case KIND.READABLE:
      return through(readerOf(value), o, end, readable);
  }
  // An SDK's Stream: its controller's signal (see `through`'s `cancelled`); else null.
  const sdk = kind === KIND.SDK_STREAM ? value.controller.signal : null;
  const iterate = sdk ? value.iterator : value[Symbol.asyncIterator];
  const it = iterate.call(value);
  const source = {
    next: () => it.next(),
    cancel() {
      if (sdk) value.controller.abort(); // a pending read ends now, not at the next chunk
      it.return?.()?.catch?.(noop);
    },
  };
  const wrap = (facade) => {
    let handed = false;
    const once = () => (handed ? iterate.call(value) : ((handed = true), facade)); // read once, as the SDKs' streams are
    if (sdk) value.iterator = once;
    else Object.defineProperty(value, Symbol.asyncIterator, { value: once, configurable: true, writable: true });
    return value;
  };
  return through(source, o, end, wrap, sdk);
}

/**
 * Reads `source` through an iterator that watches each chunk: the usage, the idle timeout, the
 * job's signal. The first chunk is read here; `ready` then resolves with `wrap(iterator)`.
 * `cancelled`: the signal of the SDK stream's own controller, whose abort cancels it even while
 * nothing reads it (while a read is pending, the read itself ends it).
 */
function through(source, o, end, wrap, cancelled) {
  const usage = streamUsage(o.inputTokens);
  let stage = 0; // 0 reading the first chunk, 1 handed to the caller, 2 ended
  let failure = null; // what stopped the stream from outside: a timeout, the job's signal
  let rejectRead = null;
  let idle = null;
  let first = null;
  const finish = (error, cancel) => {
    if (stage === 2) return;
    const handed = stage === 1;
    stage = 2;
    o.signal?.removeEventListener('abort', onAbort);
    if (handed) end(error, usage.result(), cancel);
  };
  const stop = (error) => {
    if (stage === 2) return;
    failure = error;
    rejectRead?.(error);
    finish(error, false);
    source.cancel(error);
  };
  const onAbort = () => stop(new AbortError(o.signal.reason));
  o.signal?.addEventListener('abort', onAbort, { once: true });
  /** The next chunk, seen; the end (or a failure) finishes the stream. */
  const read = (ms, option) =>
    new Promise((resolve, reject) => {
      rejectRead = reject;
      idle = timer(ms, option, stop);
      source.next().then(resolve, reject);
    })
      .finally(() => {
        clearTimeout(idle);
        rejectRead = null;
      })
      .then(
        (r) => {
          if (r.done) finish(usage.error, false);
          else usage.see(r.value);
          return r;
        },
        (e) => {
          finish(e, false);
          throw failure ?? e;
        },
      );
  const iterator = {
    next() {
      if (failure) return Promise.reject(failure);
      if (stage === 2 && first === null) return Promise.resolve({ done: true, value: undefined });
      const r = first;
      first = null;
      return r ? Promise.resolve(r) : read(o.idleTimeoutMs, 'idleTimeoutMs');
    },
    async return(value) {
      if (stage !== 2) {
        source.cancel();
        finish(undefined, true);
      }
      return { done: true, value };
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
  cancelled?.addEventListener('abort', () => rejectRead === null && iterator.return(), { once: true });
  const ready = read(o.firstChunkTimeoutMs, 'firstChunkTimeoutMs').then((r) => {
    first = r;
    const wasEnded = stage === 2; // an empty stream
    stage = 1;
    const handed = wrap(iterator);
    if (wasEnded) finish(usage.error, false);
    return handed;
  });
  return { ready, cancel: stop };
}

/** A MessageStream (or openai's ChatCompletionStream, its twin): handed back at once, held until its `end` event. */
function holdEmitter(stream, o, end) {
  const usage = streamUsage(o.inputTokens);
  let failure = null;
  let error;
  let aborted = false;
  const stop = (e) => {
    failure ??= e;
    stream.abort();
  };
  const onAbort = () => stop(new AbortError(o.signal.reason));
  o.signal?.addEventListener('abort', onAbort, { once: true });
  let t = timer(o.firstChunkTimeoutMs, 'firstChunkTimeoutMs', stop);
  const onEvent = (event) => {
    usage.see(event);
    clearTimeout(t);
    t = timer(o.idleTimeoutMs, 'idleTimeoutMs', stop);
  };
  stream.on('streamEvent', onEvent); // Anthropic's MessageStream
  stream.on('chunk', onEvent); // openai's ChatCompletionStream
  stream.on('error', (e) => (error = e));
  stream.on('abort', () => (aborted = true));
  stream.on('end', () => {
    clearTimeout(t);
    o.signal?.removeEventListener('abort', onAbort);
    end(failure ?? error, usage.result(), aborted && !failure);
  });
  return { ready: Promise.resolve(stream), cancel: stop };
}
