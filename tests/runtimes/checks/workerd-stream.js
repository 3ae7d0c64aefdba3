// workerd through miniflare: a proxy Worker (fixtures/worker-stream.js) with one shared
// limiter, maxConcurrent 2, and 20 concurrent streamed chat completions from the mock provider.
// Every client must get its whole stream, the provider must never have more than 2 open, none
// may be cancelled as hung or resolved across request contexts, and the limiter must end idle
// with every stream settled from its usage chunk.
import path from 'node:path';
import { startMockProvider } from '../../../mock/provider.js';
import { fixtures } from '../lib/paths.js';
import { packageModules, startWorker } from '../lib/workerd.js';

const N = 20;
const CAP = 2;
const OUTPUT_TOKENS = 20;

const HUNG = /hung|canceled this request/i;
const CROSS_CONTEXT = /different request context/;

export async function workerdStream() {
  const provider = await startMockProvider({ latency: { baseMs: 20, perOutputTokenMs: 5 }, outputTokens: () => OUTPUT_TOKENS });
  const { modules } = packageModules(fixtures);
  let log = '';
  const mf = await startWorker({
    modules: [{ type: 'ESModule', path: path.join(fixtures, 'worker-stream.js') }, { type: 'ESModule', path: path.join(fixtures, 'guard.js') }, ...modules],
    bindings: { UPSTREAM: `${provider.url}/v1/chat/completions` },
    handleRuntimeStdio(stdout, stderr) {
      stdout.on('data', (d) => (log += d));
      stderr.on('data', (d) => (log += d));
    },
  });
  try {
    const url = await mf.ready;
    const replies = await Promise.all(
      Array.from({ length: N }, async (_, i) => {
        const body = { model: 'm', messages: [{ role: 'user', content: `stream ${i}` }], max_tokens: 64, stream: true, stream_options: { include_usage: true } };
        const response = await fetch(new URL('/v1/chat/completions', url), { method: 'POST', body: JSON.stringify(body) });
        return { i, status: response.status, type: response.headers.get('content-type'), text: await response.text() };
      }),
    );
    const hung = replies.filter((r) => r.status === 500 && HUNG.test(r.text));
    if (hung.length > 0) throw new Error(`${hung.length} of ${N} requests cancelled as hung`);
    if (CROSS_CONTEXT.test(log)) throw new Error(`workerd resolved a promise across request contexts:\n${log.split('\n').find((l) => CROSS_CONTEXT.test(l))}`);
    const whole = (r) => r.status === 200 && r.type === 'text/event-stream' && r.text.trimEnd().endsWith('data: [DONE]') && (r.text.match(/"content":"/g) ?? []).length === OUTPUT_TOKENS + 1;
    const wrong = replies.filter((r) => !whole(r));
    if (wrong.length > 0) throw new Error(`${wrong.length} of ${N} streams went wrong, e.g. #${wrong[0].i}: ${wrong[0].status} ${wrong[0].text.slice(0, 300)}`);
    const { peakOpen, closedByClient } = provider.streamStats();
    if (peakOpen !== CAP) throw new Error(`${peakOpen} streams were open at the provider at once, with maxConcurrent ${CAP}`);
    if (closedByClient !== 0) throw new Error(`${closedByClient} streams were cut short`);
    const { moduleScopeCalls, stats } = await (await fetch(new URL('/report', url))).json();
    if (moduleScopeCalls.length > 0) throw new Error(`timers or clock reads at module scope: ${moduleScopeCalls.join(', ')}`);
    if (stats.inFlight !== 0 || stats.queued !== 0 || stats.completed !== N) throw new Error(`the limiter is not idle after the run: ${JSON.stringify(stats)}`);
    // Each stream settled from its usage chunk (the mock's own count): the daily budget is down by
    // what was used, give or take its refill over the run (about 12 tokens a second), not by the
    // reservations (84 tokens a stream).
    const m = provider.stats();
    const used = m.inputTokens + m.outputTokens;
    const available = stats.budgets.tokensPerDay.available;
    if (available < 1_000_000 - used || available > 1_000_000 - used + 200) {
      throw new Error(`the tokens budget is ${available}, not 1 000 000 - ${used} used (plus its refill): not settled from the streams`);
    }
    return `${N} concurrent streams through a proxy Worker, ${peakOpen} open at most at the provider (maxConcurrent ${CAP}), 0 hung, budget settled`;
  } finally {
    await mf.dispose();
    await provider.close();
  }
}
