// Measures the page while it runs a large batch (10 000 jobs by default) in headless Chromium:
// how often the charts are redrawn, how long the main thread's frames are, and its long tasks.
// A program that prints figures, not a test: the figures depend on the machine.
//   node www/measure.js [--jobs 10000] [--speed 10]
import { buildSite } from './build.js';
import { withPage } from '../tests/runtimes/lib/chromium.js';
import { startStaticServer } from '../tests/runtimes/lib/static-server.js';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const jobs = arg('jobs', '10000');
const speed = arg('speed', '10');

const quantile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];

await buildSite();
const server = await startStaticServer({ prefixes: ['/www/dist/'] });
try {
  await withPage(`${server.url}/www/dist/index.html`, async (page, problems) => {
    await page.waitForFunction(() => document.getElementById('app').dataset.state === 'ready');
    for (const [name, value] of Object.entries({ rpm: '5000', tpm: '2000000', jobs, concurrency: '200' })) await page.fill(`input[name=${name}]`, value);
    await page.selectOption('select[name=speed]', speed);
    // Every frame's length and every long task (over 50 ms) of the main thread, from the click on.
    await page.evaluate(() => {
      const m = (window.measured = { frames: [], longTasks: [] });
      new PerformanceObserver((list) => m.longTasks.push(...list.getEntries().map((e) => e.duration))).observe({ type: 'longtask' });
      let last = performance.now();
      const tick = (t) => {
        m.frames.push(t - last);
        last = t;
        if (document.getElementById('app').dataset.state !== 'done') requestAnimationFrame(tick);
      };
      requestAnimationFrame(tick);
    });
    const started = performance.now();
    await page.click('#run');
    await page.waitForFunction(() => document.getElementById('app').dataset.state === 'done', null, { timeout: 600_000 });
    const wallS = (performance.now() - started) / 1000;
    const m = await page.evaluate(() => ({ ...window.measured, redraws: Number(document.getElementById('charts').dataset.redraws), simulatedMs: document.getElementById('clock').textContent }));
    if (problems.length > 0) throw new Error(problems.join('; '));
    const frames = [...m.frames].sort((a, b) => a - b);
    console.log(`${jobs} jobs × 3 strategies at ${speed} ×: ${wallS.toFixed(1)} s wall, ${m.simulatedMs}`);
    console.log(`chart redraws: ${m.redraws} (${(m.redraws / wallS).toFixed(1)} a second)`);
    console.log(`frames: ${frames.length} (${(frames.length / wallS).toFixed(0)} a second); length p50 ${quantile(frames, 0.5).toFixed(1)} ms, p99 ${quantile(frames, 0.99).toFixed(1)} ms, max ${frames.at(-1).toFixed(1)} ms; over 33 ms: ${frames.filter((f) => f > 33.4).length}`);
    console.log(`main-thread long tasks (> 50 ms): ${m.longTasks.length}${m.longTasks.length ? `, longest ${Math.max(...m.longTasks).toFixed(0)} ms` : ''}`);
    console.log(`load average while measuring: ${(await import('node:os')).loadavg().map((l) => l.toFixed(1)).join(', ')}`);
  });
} finally {
  await server.close();
}
