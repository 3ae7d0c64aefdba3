// sluice/prometheus and sluice/otel outside Node: in workerd (unbundled) and in Chromium (no
// bundler). Both run tests/runtimes/fixtures/metrics-smoke.js; the text is parsed here with a
// real Prometheus parser.
import path from 'node:path';
import parsePrometheus from 'parse-prometheus-text-format';
import { withPage } from '../lib/chromium.js';
import { fixtures } from '../lib/paths.js';
import { startStaticServer } from '../lib/static-server.js';
import { packageModules, startWorker } from '../lib/workerd.js';

function checkResult(result) {
  if (!result.ok && result.error) throw new Error(result.error);
  if (JSON.stringify(result.results) !== '[0,1,2,3]') throw new Error(`results ${JSON.stringify(result.results)}`);
  const families = new Map(parsePrometheus(result.text).map((f) => [f.name, f]));
  const value = (name) => Number(families.get(name)?.metrics[0]?.value);
  if (value('sluice_jobs_completed_total') !== 4 || value('sluice_retries_total') !== 1) {
    throw new Error(`unexpected figures in:\n${result.text}`);
  }
  if (result.observed['sluice.jobs.completed'] !== 4) throw new Error(`the meter saw ${JSON.stringify(result.observed)}`);
  return `${families.size} metric families, ${Object.keys(result.observed).length} observed instruments`;
}

export async function metricsWorkerd() {
  const { modules } = packageModules(fixtures);
  const mf = await startWorker({
    modules: [
      { type: 'ESModule', path: path.join(fixtures, 'worker-metrics.js') },
      { type: 'ESModule', path: path.join(fixtures, 'metrics-smoke.js') },
      ...modules,
    ],
  });
  try {
    const response = await mf.dispatchFetch('http://worker/');
    const text = await response.text();
    if (response.status !== 200) throw new Error(`${response.status} ${text}`);
    return checkResult({ ok: true, ...JSON.parse(text) });
  } finally {
    await mf.dispose();
  }
}

export async function metricsChromium() {
  const server = await startStaticServer({ prefixes: ['/node_modules/sluice/', '/tests/runtimes/fixtures/'] });
  try {
    return await withPage(`${server.url}/tests/runtimes/fixtures/metrics.html`, async (page, problems) => {
      await page.waitForFunction(() => window.metricsResult !== undefined, null, { timeout: 15_000 }).catch(() => {
        throw new Error(`the page never finished: ${problems.join('; ') || 'no error seen'}`);
      });
      const result = await page.evaluate(() => window.metricsResult);
      if (problems.length > 0) throw new Error(problems.join('; '));
      return checkResult(result);
    });
  } finally {
    await server.close();
  }
}
