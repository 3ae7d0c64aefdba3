// Headless Chromium: a page on 127.0.0.1 loads the package with a plain <script type="module">
// and an import map, no bundler, and runs the smoke test.
import { startMockProvider } from '../../../mock/provider.js';
import { withPage } from '../lib/chromium.js';
import { resolveExport } from '../lib/resolve.js';
import { startStaticServer } from '../lib/static-server.js';

export async function chromiumSmoke() {
  // The page's import map names the browser entry; it must be the one `exports` gives browsers.
  const entry = resolveExport('.', ['browser', 'import']);
  if (entry !== './src/entry/browser.js') throw new Error(`exports give browsers ${entry}; update tests/runtimes/fixtures/browser.html`);
  const server = await startStaticServer({ prefixes: ['/node_modules/sluice/', '/tests/runtimes/fixtures/'] });
  try {
    return await withPage(`${server.url}/tests/runtimes/fixtures/browser.html`, async (page, problems) => {
      await page.waitForFunction(() => window.smokeResult !== undefined, null, { timeout: 15_000 }).catch(() => {
        throw new Error(`the page never finished: ${problems.join('; ') || 'no error seen'}`);
      });
      const result = await page.evaluate(() => window.smokeResult);
      if (!result.ok) throw new Error(result.error);
      if (problems.length > 0) throw new Error(problems.join('; '));
      const version = page.context().browser()?.version() ?? (await page.evaluate(() => navigator.userAgent.match(/Chrome\/([\d.]+)/)?.[1]));
      return `Chromium ${version}; ${result.checked.length} checks`;
    });
  } finally {
    await server.close();
  }
}

/**
 * Headless Chromium: a page streams 8 chat completions with fetch through one limiter,
 * maxConcurrent 2, from the mock provider (proxied by the page's server): every stream whole,
 * never more than 2 open at the provider, the budget settled from the usage chunks.
 */
export async function chromiumStream() {
  const provider = await startMockProvider({ latency: { baseMs: 20, perOutputTokenMs: 5 }, outputTokens: () => 16 });
  const server = await startStaticServer({ prefixes: ['/node_modules/sluice/', '/tests/runtimes/fixtures/'], proxy: { prefix: '/v1/', to: provider.url } });
  try {
    return await withPage(`${server.url}/tests/runtimes/fixtures/browser-stream.html`, async (page, problems) => {
      await page.waitForFunction(() => window.streamResult !== undefined, null, { timeout: 20_000 }).catch(() => {
        throw new Error(`the page never finished: ${problems.join('; ') || 'no error seen'}`);
      });
      const result = await page.evaluate(() => window.streamResult);
      if (!result.ok) throw new Error(result.error);
      if (problems.length > 0) throw new Error(problems.join('; '));
      const cut = result.texts.filter((t) => !t.trimEnd().endsWith('data: [DONE]') || (t.match(/"content":"/g) ?? []).length !== 17);
      if (cut.length > 0) throw new Error(`${cut.length} of ${result.texts.length} streams were not whole: ${cut[0].slice(0, 200)}`);
      const { peakOpen } = provider.streamStats();
      if (peakOpen !== 2) throw new Error(`${peakOpen} streams open at the provider at once, with maxConcurrent 2`);
      const m = provider.stats();
      const used = m.inputTokens + m.outputTokens;
      const { completed, inFlight, available } = result.stats;
      if (completed !== result.texts.length || inFlight !== 0) throw new Error(`the limiter did not end idle: ${JSON.stringify(result.stats)}`);
      // A daily budget refills about 12 tokens a second: down by what was used, not by the reservations.
      if (available < 1_000_000 - used || available > 1_000_000 - used + 100) throw new Error(`the budget is ${available}, not 1 000 000 - ${used} used`);
      return `${result.texts.length} streams with fetch in a page, ${peakOpen} open at most (maxConcurrent 2), settled from their usage chunks`;
    });
  } finally {
    await server.close();
    await provider.close();
  }
}
