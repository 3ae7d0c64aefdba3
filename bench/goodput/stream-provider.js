// A simulated provider that streams: each answer is server-sent events in OpenAI's chat
// dialect (a chunk per token, then the include_usage chunk and [DONE]), produced on the virtual
// clock. With `enforce`, it allows `cap` streams open at once, as providers with a concurrency
// limit do: a request beyond it gets a 429 with a Retry-After; without, it lets every one in. It counts the streams open at once (from
// the answer's headers until its body ends or its reader cancels it), the most the client
// tried to have open (those plus the one asking), and the 429s.

const encoder = new TextEncoder();
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export class StreamProvider {
  /**
   * @param {object} o
   * @param {Array<{input: number, chunks: number}>} o.jobs the workload, by index (the body's `user`)
   * @param {number} o.cap streams open at once beyond which a request gets a 429 (with `enforce`)
   * @param {boolean} o.enforce
   * @param {number} o.firstMs time to the first chunk; @param {number} o.perChunkMs between chunks
   * @param {number} o.retryAfterMs the Retry-After of a 429
   */
  constructor({ jobs, cap, enforce, firstMs, perChunkMs, retryAfterMs }) {
    Object.assign(this, { jobs, cap, enforce, firstMs, perChunkMs, retryAfterMs });
    this.open = 0;
    this.peakOpen = 0;
    this.peakAsked = 0;
    this.rateLimited = 0;
    this.requests = 0;
    this.fetch = this.fetch.bind(this);
  }

  async fetch(_url, init) {
    const body = JSON.parse(init.body);
    const job = this.jobs[Number(body.user)];
    this.requests += 1;
    // What the client asks for: the streams it would have open had this one been let in.
    this.peakAsked = Math.max(this.peakAsked, this.open + 1);
    if (this.enforce && this.open >= this.cap) {
      this.rateLimited += 1;
      const wait = this.retryAfterMs;
      const error = { error: { message: `Too many concurrent requests: limit ${this.cap}`, type: 'requests', param: null, code: 'rate_limit_exceeded' } };
      return new Response(JSON.stringify(error), { status: 429, headers: { 'content-type': 'application/json', 'retry-after-ms': String(wait), 'retry-after': String(Math.ceil(wait / 1000)) } });
    }
    this.open += 1;
    this.peakOpen = Math.max(this.peakOpen, this.open);
    let open = true;
    const close = () => {
      if (open) this.open -= 1;
      open = false;
    };
    const frame = (data) => encoder.encode(`data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`);
    const chunk = (delta, finish = null) => ({ id: 'c', object: 'chat.completion.chunk', created: 0, model: body.model, choices: [{ index: 0, delta, finish_reason: finish }], usage: null });
    const stream = new ReadableStream({
      start: async (controller) => {
        try {
          await sleep(this.firstMs);
          for (let i = 0; i < job.chunks && open; i++) {
            if (i > 0) await sleep(this.perChunkMs);
            if (open) controller.enqueue(frame(chunk({ content: ' tok' })));
          }
          if (!open) return;
          controller.enqueue(frame(chunk({}, 'stop')));
          controller.enqueue(frame({ id: 'c', object: 'chat.completion.chunk', created: 0, model: body.model, choices: [], usage: { prompt_tokens: job.input, completion_tokens: job.chunks, total_tokens: job.input + job.chunks } }));
          controller.enqueue(frame('[DONE]'));
          controller.close();
        } finally {
          close();
        }
      },
      cancel: close,
    });
    init.signal?.addEventListener('abort', close, { once: true });
    return new Response(stream, { status: 200, headers: { 'content-type': 'text/event-stream' } });
  }
}
