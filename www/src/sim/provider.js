// The provider simulated in the page: the mock's own rules (mock/rules.js, the OpenAI dialect
// of mock/openai.js) behind a `fetch`-shaped function. No network and no real Response: a
// real body is read through browser tasks, outside the simulated clock, so the answers here
// are plain objects with a real `Headers` and a `json()`; a streamed answer's `body` is an
// async iterable of chat.completion.chunk objects.
import * as openai from '../../../mock/openai.js';
import { parseOptions } from '../../../mock/options.js';
import { createRules } from '../../../mock/rules.js';

// The stream's framing is the page's own: mock/ does not stream yet. Once it does, its chunk
// builders belong here, sent TOKENS_PER_CHUNK tokens at a time.

/** Output tokens per streamed chunk: enough to show a stream, few enough timers for 10 000 jobs. */
const TOKENS_PER_CHUNK = 32;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** The parts of a fetch Response that callers (and sluice) read. */
function answerOf(status, headers, { body = null, stream = null } = {}) {
  return {
    status,
    ok: status >= 200 && status < 300,
    headers: new Headers(headers),
    body: stream,
    json: async () => body,
  };
}

/** Chunks pushed as the simulated tokens come, read with `for await`. */
class ChunkStream {
  #chunks = [];
  #waiting = null;
  #ended = false;

  push(chunk) {
    this.#chunks.push(chunk);
    this.#wake();
  }

  end() {
    this.#ended = true;
    this.#wake();
  }

  #wake() {
    const resolve = this.#waiting;
    this.#waiting = null;
    resolve?.();
  }

  async *[Symbol.asyncIterator]() {
    for (;;) {
      while (this.#chunks.length > 0) yield this.#chunks.shift();
      if (this.#ended) return;
      await new Promise((resolve) => (this.#waiting = resolve));
    }
  }
}

const chunk = (n, content) => ({ id: `chatcmpl-mock${n}`, object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content } }], usage: null });

/**
 * @param {{ rpm: number, tpm: number, latency: { baseMs: number, perOutputTokenMs: number } }} limits
 * @param {{ admitted?(inputTokens: number, outputTokens: number): void, answered?(status: number): void }} watch
 *   told of every admitted request (with the tokens it really uses) and of every answer's status
 */
export function simulatedProvider({ rpm, tpm, latency }, watch = {}) {
  const rules = createRules(parseOptions({ rpm, tpm, latency }), sleep);

  /** `fetch(url, { body })` for POST /v1/chat/completions; `stream: true` in the body streams. */
  function fetch(_url, init) {
    const body = JSON.parse(init.body);
    const n = rules.arrive();
    return new Promise((resolve, reject) => {
      let stream = null;
      const produce = async ({ call, outputTokens, latencyMs, headers }) => {
        watch.admitted?.(call.inputTokens, outputTokens);
        if (!body.stream) return sleep(latencyMs);
        // The headers go out with the first byte; then a chunk every TOKENS_PER_CHUNK tokens.
        stream = new ChunkStream();
        resolve(answerOf(200, headers(), { stream }));
        await sleep(latency.baseMs);
        for (let sent = 0; sent < outputTokens; sent += TOKENS_PER_CHUNK) {
          const tokens = Math.min(TOKENS_PER_CHUNK, outputTokens - sent);
          await sleep(tokens * latency.perOutputTokenMs);
          stream.push(chunk(n, ' tok'.repeat(tokens)));
        }
      };
      rules.answer(openai, n, body, produce).then((answer) => {
        watch.answered?.(answer.status);
        if (!stream) return resolve(answerOf(answer.status, answer.headers, { body: answer.body }));
        // With stream_options.include_usage, OpenAI sends the usage in a last chunk with no choices.
        stream.push({ id: `chatcmpl-mock${n}`, object: 'chat.completion.chunk', choices: [], usage: answer.body.usage });
        stream.end();
      }, reject);
    });
  }

  return {
    fetch,
    /** Requests the provider is answering now. */
    inFlight: () => rules.counts.inFlight,
    counts: rules.counts,
    /** Every request gets a 429 with the time left as its Retry-After, for `ms` from now. */
    outage(ms) {
      const from = rules.elapsed();
      rules.setOutage({ fromMs: from, untilMs: from + ms });
    },
  };
}
