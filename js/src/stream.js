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
// Except for MessageStream (handed back at once, as `messages.stream()` returns it), the first
// chunk is read before the task's result is handed to the caller: a failure before it is the
// attempt's and may be retried; after it, the caller has part of the answer and it never is.
import { MAX_DELAY } from './attempt.js';
import { AbortError, TimeoutError } from './errors.js';
import { streamUsage } from './stream-usage.js';

const noop = () => {};

/** A timer for `ms` (Infinity: none) that calls `fire` with the TimeoutError of `option`. */
const timer = (ms, option, fire) => (ms === Infinity ? null : setTimeout(() => fire(new TimeoutError(ms, option)), Math.min(ms, MAX_DELAY)));

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
  if (value === null || typeof value !== 'object') return null;
  if (value.response && value.data !== null && typeof value.data === 'object' && typeof value.response.status === 'number') {
    const inner = holdStream(value.data, o, end);
    return inner && { ready: inner.ready.then((data) => ((value.data = data), value)), cancel: inner.cancel };
  }
  if (typeof value.finalMessage === 'function' && typeof value.on === 'function' && value.controller) return holdEmitter(value, o, end);
  const isResponse = typeof value.status === 'number' && typeof value.headers?.get === 'function';
  if (isResponse) {
    if (!value.ok || !value.body || !/^text\/event-stream/i.test(value.headers.get('content-type') ?? '')) return null;
    return through(readerSource(value.body.getReader()), o, end, (it) => new Response(readable(it), value));
  }
  if (typeof value.getReader === 'function') return through(readerSource(value.getReader()), o, end, readable);
  const sdk = typeof value.iterator === 'function' && typeof value.controller?.abort === 'function';
  const iterate = sdk ? value.iterator : value[Symbol.asyncIterator];
  if (typeof iterate !== 'function') return null;
  const it = iterate.call(value);
  const source = {
    next: () => it.next(),
    cancel: () => {
      if (sdk) value.controller.abort(); // a pending read ends now, not at the next chunk
      it.return?.()?.catch?.(noop);
    },
  };
  return through(source, o, end, (facade) => {
    let handed = false;
    const once = () => (handed ? iterate.call(value) : ((handed = true), facade)); // read once, as the SDKs' streams are
    if (sdk) value.iterator = once;
    else Object.defineProperty(value, Symbol.asyncIterator, { value: once, configurable: true, writable: true });
    return value;
  }, sdk && value.controller.signal);
}

function readerSource(reader) {
  return { next: () => reader.read(), cancel: (reason) => reader.cancel(reason).catch(noop) };
}

/** A ReadableStream that reads `it` only as its reader asks (no chunk read ahead). */
function readable(it) {
  return new ReadableStream(
    {
      async pull(controller) {
        try {
          const r = await it.next();
          if (r.done) controller.close();
          else controller.enqueue(r.value);
        } catch (e) {
          controller.error(e);
        }
      },
      cancel: (reason) => it.return(reason),
    },
    { highWaterMark: 0 },
  );
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
  const finish = (error, cancelled) => {
    if (stage === 2) return;
    const handed = stage === 1;
    stage = 2;
    clearTimeout(idle);
    o.signal?.removeEventListener('abort', onAbort);
    if (handed) end(error, usage.result(), cancelled);
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
  const read = (ms, option) =>
    new Promise((resolve, reject) => {
      rejectRead = reject;
      idle = timer(ms, option, stop);
      source.next().then(resolve, reject);
    }).finally(() => {
      clearTimeout(idle);
      rejectRead = null;
    });

  let first = null;
  const iterator = {
    async next() {
      if (failure) throw failure;
      if (stage === 2) return { done: true, value: undefined };
      let r = first;
      first = null;
      if (r === null) {
        try {
          r = await read(o.idleTimeoutMs, 'idleTimeoutMs');
        } catch (e) {
          if (failure) throw failure;
          finish(e, false);
          throw e;
        }
        if (!r.done) usage.see(r.value);
      }
      if (r.done) finish(usage.error, false);
      return r;
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
  const ready = read(o.firstChunkTimeoutMs, 'firstChunkTimeoutMs').then(
    (r) => {
      if (failure) throw failure;
      first = r;
      if (!r.done) usage.see(r.value);
      stage = 1;
      const handed = wrap(iterator);
      if (r.done) {
        first = null;
        finish(usage.error, false);
      }
      return handed;
    },
    (e) => {
      finish(e, false);
      throw failure ?? e;
    },
  );
  return { ready, cancel: stop };
}

/** A MessageStream (or openai's ChatCompletionStream, its twin): handed back at once, held until its `end` event. */
function holdEmitter(stream, o, end) {
  const usage = streamUsage(o.inputTokens);
  let failure = null;
  let error;
  let aborted = false;
  let t = null;
  const stop = (e) => {
    failure ??= e;
    stream.abort();
  };
  const onAbort = () => stop(new AbortError(o.signal.reason));
  o.signal?.addEventListener('abort', onAbort, { once: true });
  t = timer(o.firstChunkTimeoutMs, 'firstChunkTimeoutMs', stop);
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
