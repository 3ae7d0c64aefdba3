// workerd through miniflare: the smoke test, and one module-scope limiter shared by many
// concurrent requests.
import path from 'node:path';
import { fixtures } from '../lib/paths.js';
import { startMockProvider } from '../../../mock/provider.js';
import { startUpstream } from '../lib/upstream.js';
import { packageModules, startWorker } from '../lib/workerd.js';

const fixture = (name) => ({ type: 'ESModule', path: path.join(fixtures, name) });

/** Fetches `path` from the Worker; returns its JSON body, failing on a status other than 200. */
async function getJson(mf, url) {
  const response = await mf.dispatchFetch(new URL(url, 'http://worker'));
  const text = await response.text();
  if (response.status !== 200) throw new Error(`GET ${url}: ${response.status} ${text}`);
  return JSON.parse(text);
}

/** The smoke test in a Worker loaded without a bundler (workerd resolves every import). */
export async function workerdSmoke() {
  const { entry, modules } = packageModules(fixtures);
  const mf = await startWorker({ modules: [fixture('worker-smoke.js'), fixture('guard.js'), fixture('smoke.js'), ...modules] });
  try {
    const report = await getJson(mf, '/');
    if (report.moduleScopeCalls.length > 0) throw new Error(`timers or clock reads at module scope: ${report.moduleScopeCalls.join(', ')}`);
    return `${entry.slice(2)}; ${report.checked.length} checks`;
  } finally {
    await mf.dispose();
  }
}

export const SHARED_REQUESTS = 24;

/**
 * One limiter (maxConcurrent 2) at module scope; SHARED_REQUESTS requests at once, each
 * scheduling a fetch of an upstream that answers after 50 ms. Every request must get its own
 * answer (a fetch started from another request's context never gets one; a request waiting on
 * another with nothing of its own pending is cancelled as hung).
 */
export async function workerdShared({ modules, main }) {
  const upstream = await startUpstream({ delayMs: 50 });
  const mf = await startWorker({ modules: [main, fixture('guard.js'), ...modules], bindings: { UPSTREAM: upstream.url } });
  try {
    const replies = await Promise.all(
      Array.from({ length: SHARED_REQUESTS }, async (_, i) => {
        const response = await mf.dispatchFetch(`http://worker/run?i=${i}`);
        return { i, status: response.status, text: await response.text() };
      }),
    );
    const wrong = replies.filter(({ i, status, text }) => status !== 200 || JSON.parse(text).answer !== `answer-${i}`);
    if (wrong.length > 0) throw new Error(`${wrong.length} of ${SHARED_REQUESTS} requests went wrong, e.g. #${wrong[0].i}: ${wrong[0].status} ${wrong[0].text}`);
    const waited = replies.filter(({ text }) => JSON.parse(text).waited).length;
    if (waited < SHARED_REQUESTS / 2) throw new Error(`only ${waited} of ${SHARED_REQUESTS} jobs waited for a slot: the requests did not overlap`);
    const report = await getJson(mf, '/report');
    if (report.moduleScopeCalls.length > 0) throw new Error(`timers or clock reads at module scope: ${report.moduleScopeCalls.join(', ')}`);
    const { stats } = report;
    if (report.peak !== 2 || upstream.stats.peakInFlight > 2) throw new Error(`peak concurrency ${report.peak} in the Worker, ${upstream.stats.peakInFlight} upstream; expected 2`);
    if (stats.completed !== SHARED_REQUESTS || stats.inFlight !== 0 || stats.queued !== 0) throw new Error(`limiter stats after the run: ${JSON.stringify(stats)}`);
    if (upstream.stats.requests !== SHARED_REQUESTS) throw new Error(`the upstream saw ${upstream.stats.requests} requests`);
    return `${SHARED_REQUESTS} concurrent requests, ${waited} waited for a slot another request freed, all answered`;
  } finally {
    await mf.dispose();
    await upstream.close();
  }
}

/** The shared-limiter test on the unbundled package. */
export function workerdSharedUnbundled() {
  return workerdShared({ main: fixture('worker-shared.js'), modules: packageModules(fixtures).modules });
}

/**
 * sluice/fetch in workerd: 12 concurrent requests through one module-scope limiter to the mock
 * provider, which answers its 3rd request 503 (overloaded): that one is retried through the
 * queue, every answer comes back, and the usage the limiter settled from the bodies is what the
 * provider counted.
 */
export async function workerdFetch() {
  const provider = await startMockProvider({ overloaded: (n) => n === 3 });
  const { modules } = packageModules(fixtures);
  const mf = await startWorker({ modules: [fixture('worker-fetch.js'), ...modules], bindings: { PROVIDER: provider.url } });
  try {
    const n = 12;
    const replies = await Promise.all(Array.from({ length: n }, (_, i) => getJson(mf, `/ask?i=${i}`)));
    const bad = replies.filter((r) => r.status !== 200 || !r.usage);
    if (bad.length > 0) throw new Error(`${bad.length} of ${n} answers went wrong, e.g. ${JSON.stringify(bad[0])}`);
    const stats = await getJson(mf, '/report');
    const p = provider.stats();
    if (stats.completed !== n) throw new Error(`the limiter completed ${stats.completed} of ${n}`);
    if (stats.rateLimited !== 1 || p.overloaded !== 1 || stats.retried !== 1) throw new Error(`the limiter saw ${stats.rateLimited} refusals and retried ${stats.retried}; the provider refused ${p.overloaded}`);
    if (stats.tokens.input !== p.inputTokens || stats.tokens.output !== p.outputTokens) {
      throw new Error(`settled ${stats.tokens.input} + ${stats.tokens.output} tokens, the provider counted ${p.inputTokens} + ${p.outputTokens}`);
    }
    return `${n} concurrent requests through createFetch, a 503 retried through the queue, usage settled from the bodies as the provider counted it`;
  } finally {
    await mf.dispose();
    await provider.close();
  }
}
