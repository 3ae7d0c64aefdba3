// Headless Chromium: a page on 127.0.0.1 loads the package with a plain <script type="module">
// and an import map, no bundler, and runs the smoke test.
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
