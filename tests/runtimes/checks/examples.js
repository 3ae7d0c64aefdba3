// The examples, each against the mock provider on 127.0.0.1.
import { cpSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { startMockProvider } from '../../../mock/provider.js';
import { withPage } from '../lib/chromium.js';
import { run } from '../lib/exec.js';
import { outDir, pkgDir, root } from '../lib/paths.js';
import { startStaticServer } from '../lib/static-server.js';
import { startWorker } from '../lib/workerd.js';

const CALLS = 20;

const chatBody = (i) => ({
  model: 'gpt-4o-mini',
  messages: [{ role: 'user', content: `Question ${i}: what is a river?` }],
  max_tokens: 64,
});

/** The mock's counts after a batch that sluice throttled: no 429, never more than `concurrent` at once. */
function checkProvider(provider, concurrent) {
  const s = provider.stats();
  if (s.rateLimited !== 0) throw new Error(`the provider answered ${s.rateLimited} 429s`);
  if (s.peakInFlight > concurrent) throw new Error(`the provider saw ${s.peakInFlight} calls at once, more than ${concurrent}`);
  if (s.ok !== CALLS) throw new Error(`the provider answered ${s.ok} calls, not ${CALLS}`);
  return s;
}

/** The `compatibility_flags` of a wrangler.jsonc (its comments dropped). */
function compatibilityFlags(file) {
  const text = readFileSync(file, 'utf8').replace(/^\s*\/\/.*$/gm, '');
  return JSON.parse(text).compatibility_flags ?? [];
}

/**
 * examples/worker from a clean copy: copied out of the repository with the packed package
 * beside it (as examples/README.md says), installed with npm (no registry needed: the
 * dependency is the tarball), bundled by wrangler itself (`deploy --dry-run`: its exports
 * conditions, its .wasm rule), then run in workerd with its vars pointed at the mock provider.
 */
export async function exampleWorker() {
  const copy = path.join(outDir, 'example-worker-copy');
  const dir = path.join(outDir, 'example-worker');
  rmSync(copy, { recursive: true, force: true });
  rmSync(dir, { recursive: true, force: true });
  cpSync(path.join(root, 'examples/worker'), copy, { recursive: true, filter: (f) => !f.includes('node_modules') });
  const npm = { cwd: copy, env: { npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' } };
  await run('npm', ['pack', pkgDir, '--pack-destination', copy, '--silent'], npm);
  await run('npm', ['install', '--offline', '--ignore-scripts', '--no-package-lock'], npm);
  await run(
    path.join(root, 'node_modules/.bin/wrangler'),
    ['deploy', '--dry-run', '--outdir', dir, '--config', path.join(copy, 'wrangler.jsonc')],
    { cwd: copy, env: { WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false', NO_COLOR: '1' } },
  );
  const files = readdirSync(dir);
  const modules = [
    { type: 'ESModule', path: path.join(dir, 'index.js') },
    ...files.filter((f) => f.endsWith('.wasm')).map((f) => ({ type: 'CompiledWasm', path: path.join(dir, f) })),
  ];
  // The limiter's .wasm and the coordinator's.
  if (modules.length !== 3) throw new Error(`wrangler's output is not one script and two .wasm: ${files.join(', ')}`);
  const flags = compatibilityFlags(path.join(copy, 'wrangler.jsonc'));
  const worker = (provider, concurrent) =>
    startWorker({
      modules,
      modulesRoot: dir,
      compatibilityFlags: flags,
      bindings: {
        LLM_API_URL: `${provider.url}/v1/chat/completions`,
        LLM_API_KEY: 'test-key',
        MAX_CONCURRENT: String(concurrent),
        REQUESTS_PER_MINUTE: '600',
        TOKENS_PER_MINUTE: '200000',
        LIMITS_NAME: 'openai:gpt-4o-mini',
      },
      durableObjects: { SLUICE: 'SluiceCoordinator' },
    });
  const call = (mf, i) =>
    mf.dispatchFetch('http://worker/v1/chat/completions', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(chatBody(i)) });

  const concurrent = 3;
  const provider = await startMockProvider({ rpm: 600, tpm: 200_000, latency: { baseMs: 30 } });
  const mf = await worker(provider, concurrent);
  try {
    const replies = await Promise.all(
      Array.from({ length: CALLS }, async (_, i) => {
        const response = await call(mf, i);
        return { status: response.status, body: await response.json() };
      }),
    );
    const bad = replies.filter((r) => r.status !== 200 || !r.body.usage);
    if (bad.length > 0) throw new Error(`${bad.length} of ${CALLS} calls failed, e.g. ${bad[0].status} ${JSON.stringify(bad[0].body)}`);
    const s = checkProvider(provider, concurrent);
    // (The Worker forwards request.signal, which its `enable_request_signal` flag makes fire when
    // a client leaves in production; miniflare 4 here never fires it, with the flag or without,
    // so that path is not checked here: see the node:http recipe's test for the same logic.)
    // Streamed calls pass through as server-sent events, at most `concurrent` open at once.
    const streamed = await Promise.all(
      Array.from({ length: 2 * concurrent }, async (_, i) => {
        const body = { ...chatBody(i), stream: true, stream_options: { include_usage: true } };
        const response = await mf.dispatchFetch('http://worker/v1/chat/completions', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
        return { status: response.status, text: await response.text() };
      }),
    );
    const cut = streamed.filter((r) => r.status !== 200 || !r.text.trimEnd().endsWith('data: [DONE]') || !r.text.includes('"usage":{'));
    if (cut.length > 0) throw new Error(`${cut.length} of ${streamed.length} streamed calls failed, e.g. ${cut[0].status} ${cut[0].text.slice(0, 200)}`);
    if (provider.streamStats().peakOpen > concurrent) throw new Error(`${provider.streamStats().peakOpen} streams open at once, above ${concurrent}`);
    return `a clean copy installed from the tarball, built by wrangler: ${CALLS} concurrent calls, ${s.peakInFlight} at most at the provider, no 429; ${streamed.length} streamed, ${provider.streamStats().peakOpen} open at most`;
  } finally {
    await mf.dispose();
    await provider.close();
  }
}

/** examples/browser in Chromium: its backend (here the static server) proxies to the mock. */
export async function exampleBrowser() {
  const concurrent = 3;
  const provider = await startMockProvider({ rpm: 600, tpm: 200_000, latency: { baseMs: 30 } });
  const server = await startStaticServer({
    prefixes: ['/node_modules/sluice/', '/examples/browser/'],
    proxy: { prefix: '/v1/', to: provider.url },
  });
  try {
    const url = `${server.url}/examples/browser/index.html?auto=1&n=${CALLS}&concurrent=${concurrent}&rpm=600`;
    return await withPage(url, async (page, problems) => {
      await page.waitForFunction(() => window.batchResult !== undefined, null, { timeout: 20_000 }).catch(() => {
        throw new Error(`the batch never finished: ${problems.join('; ') || 'no error seen'}`);
      });
      const result = await page.evaluate(() => window.batchResult);
      if (result.error) throw new Error(result.error);
      const failed = result.results.filter((r) => !r.ok);
      if (failed.length > 0) throw new Error(`${failed.length} calls failed, e.g. ${failed[0].error}`);
      if (result.peak > concurrent) throw new Error(`${result.peak} calls ran at once in the page`);
      if (problems.length > 0) throw new Error(problems.join('; '));
      if (process.env.SLUICE_SCREENSHOT) await page.screenshot({ path: process.env.SLUICE_SCREENSHOT, fullPage: true });
      const s = checkProvider(provider, concurrent);
      return `page on 127.0.0.1: ${CALLS} calls, ${s.peakInFlight} at most at the provider, no 429`;
    });
  } finally {
    await server.close();
    await provider.close();
  }
}
