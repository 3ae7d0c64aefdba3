// The live page (www/): built by esbuild, served from a sub-path by a plain static server on
// 127.0.0.1, driven through its form in headless Chromium. The page runs on a simulated clock,
// so its figures do not depend on this machine's speed: a run "as fast as it goes" and the same
// run paced at 100 × real time must give the very same figures.
//   WWW_SCREENSHOT=www/screenshot.png node tests/runtimes/run.js --only www   refreshes the README's screenshot
import path from 'node:path';
import { buildSite } from '../../../www/build.js';
import { withPage } from '../lib/chromium.js';
import { outDir } from '../lib/paths.js';
import { startStaticServer } from '../lib/static-server.js';

/** A short batch where tokens per minute bind: about 170 s of simulated time. */
const SCENARIO = { rpm: '500', tpm: '100000', jobs: '1000', concurrency: '20' };
const PACED_SPEED = 100;

const stateIs = (page, states, timeout = 60_000) =>
  page.waitForFunction((s) => s.includes(document.getElementById('app').dataset.state), states, { timeout });

/** The figures every card shows, as its data attributes say. */
const figures = (page) =>
  page.evaluate(() => {
    const out = {};
    for (const card of document.querySelectorAll('.card')) {
      const d = card.dataset;
      out[d.strategy] = {
        finished: d.finished === 'true',
        done: +d.done,
        failed: +d.failed,
        rateLimited: +d.rateLimited,
        requests: +d.requests,
        makespanMs: +d.makespanMs,
        ratio: +d.ratio,
        ...(d.learnedTpm ? { learned: [+d.learnedRpm, +d.learnedTpm] } : {}),
        ...(d.yoursFinishedMs ? { yoursFinishedMs: +d.yoursFinishedMs } : {}),
      };
    }
    return { idealMs: +document.getElementById('app').dataset.idealMs, strategies: out };
  });

async function runToEnd(page, problems) {
  await stateIs(page, ['done', 'failed']).catch(() => {
    throw new Error(`the run never ended: ${problems.join('; ') || 'no error seen'}`);
  });
  if (problems.length > 0) throw new Error(problems.join('; '));
  return figures(page);
}

function checkFigures({ idealMs, strategies: { naive, plimit, sluice } }) {
  const jobs = Number(SCENARIO.jobs);
  for (const [name, f] of Object.entries({ naive, plimit, sluice })) if (!f.finished) throw new Error(`${name} did not finish: ${JSON.stringify(f)}`);
  if (sluice.rateLimited !== 0) throw new Error(`sluice met ${sluice.rateLimited} 429s`);
  if (sluice.done !== jobs || sluice.failed !== 0) throw new Error(`sluice did ${sluice.done} of ${jobs} jobs, ${sluice.failed} failed`);
  if (!(sluice.makespanMs <= 1.1 * idealMs)) throw new Error(`sluice took ${sluice.makespanMs} ms, ${sluice.ratio} × the ideal ${Math.round(idealMs)} ms`);
  if (naive.rateLimited < jobs) throw new Error(`naive met only ${naive.rateLimited} 429s for ${jobs} jobs`);
  if (naive.failed === 0) throw new Error('naive lost no job');
}

export async function wwwPage() {
  const { total } = await buildSite();
  const server = await startStaticServer({ prefixes: ['/www/dist/'] });
  try {
    return await withPage(`${server.url}/www/dist/index.html`, async (page, problems) => {
      await stateIs(page, ['ready'], 15_000);
      const unlabelled = await page.evaluate(() => [...document.querySelectorAll('input, select, button')].filter((e) => e.labels?.length === 0 && !e.textContent.trim()).map((e) => e.name || e.id));
      if (unlabelled.length > 0) throw new Error(`controls without a label: ${unlabelled.join(', ')}`);

      // 1. As fast as it goes, started from the keyboard: Enter in a field submits the form.
      for (const [name, value] of Object.entries(SCENARIO)) await page.fill(`input[name=${name}]`, value);
      await page.selectOption('select[name=speed]', 'max');
      await page.focus('input[name=jobs]');
      await page.keyboard.press('Enter');
      const fast = await runToEnd(page, problems);
      checkFigures(fast);
      const redraws = Number(await page.getAttribute('#charts', 'data-redraws'));
      const plots = await page.locator('#charts canvas').count();
      if (plots !== 5 || !(redraws >= 1)) throw new Error(`${plots} charts drawn ${redraws} times`);
      await page.evaluate(() => document.activeElement?.blur());
      await page.screenshot({ path: process.env.WWW_SCREENSHOT ?? path.join(outDir, 'www.png'), fullPage: true });

      // 2. Limits unknown: sluice learns them from the headers, still without a 429. With a flooding
      //    second tenant, its key keeps your batch from waiting behind the flood.
      await page.check('input[name=limitsUnknown]');
      await page.click('#run');
      const learning = (await runToEnd(page, problems)).strategies.sluice;
      await page.uncheck('input[name=limitsUnknown]');
      const limits = [Number(SCENARIO.rpm), Number(SCENARIO.tpm)];
      if (JSON.stringify(learning.learned) !== JSON.stringify(limits) || learning.rateLimited !== 0 || !(learning.ratio <= 1.1)) {
        throw new Error(`limits unknown, sluice: ${JSON.stringify(learning)}`);
      }
      await page.check('input[name=flood]');
      await page.click('#run');
      const flood = (await runToEnd(page, problems)).strategies.sluice;
      await page.uncheck('input[name=flood]');
      if (flood.rateLimited !== 0 || flood.failed !== 0 || !(flood.yoursFinishedMs < 0.8 * flood.makespanMs)) {
        throw new Error(`with a flood, sluice finished your batch at ${flood.yoursFinishedMs} ms of ${flood.makespanMs}: ${JSON.stringify(flood)}`);
      }

      // 3. Offline from now on. A run at 10 × dropped for a new one as fast as it goes: the same
      //    figures as the first (nothing of the dropped run mixed in).
      await page.context().setOffline(true);
      await page.selectOption('select[name=speed]', '10');
      await page.click('#run');
      await stateIs(page, ['running']);
      await page.selectOption('select[name=speed]', 'max');
      await page.click('#run');
      const again = await runToEnd(page, problems);
      if (JSON.stringify(again) !== JSON.stringify(fast)) throw new Error(`a run after a dropped one differs: ${JSON.stringify(again)} against ${JSON.stringify(fast)}`);

      // 4. The same run paced at 100 × real time, started with Space on the button: the same figures,
      //    and never faster than the pace allows.
      await page.selectOption('select[name=speed]', String(PACED_SPEED));
      await page.focus('#run');
      const started = performance.now();
      await page.keyboard.press('Space');
      const paced = await runToEnd(page, problems);
      const wallMs = performance.now() - started;
      const differ = Object.keys(fast.strategies).filter((s) => JSON.stringify(fast.strategies[s]) !== JSON.stringify(paced.strategies[s]));
      if (differ.length > 0) throw new Error(`paced, ${differ.join(', ')} differ: ${JSON.stringify(paced.strategies)} against ${JSON.stringify(fast.strategies)}`);
      if (wallMs < fast.strategies.sluice.makespanMs / PACED_SPEED) throw new Error(`the paced run took ${Math.round(wallMs)} ms, faster than ${PACED_SPEED} × real time`);

      // 5. An outage in the middle of a run: sluice meets a few 429s, waits it out, loses no job.
      await page.click('#run');
      await stateIs(page, ['running']);
      await page.click('#outage');
      const outage = await runToEnd(page, problems);
      const s = outage.strategies.sluice;
      if (s.done !== Number(SCENARIO.jobs) || s.rateLimited === 0) throw new Error(`with an outage, sluice did ${s.done} jobs and met ${s.rateLimited} 429s`);

      // 6. 375 px wide: nothing wider than the screen.
      await page.setViewportSize({ width: 375, height: 800 });
      // The charts follow their boxes on the next frames.
      await page.waitForFunction(() => document.documentElement.scrollWidth <= 375, null, { timeout: 5_000 }).catch(async () => {
        throw new Error(`at 375 px the page is ${await page.evaluate(() => document.documentElement.scrollWidth)} px wide`);
      });
      await page.screenshot({ path: path.join(outDir, 'www-375.png'), fullPage: true });
      if (problems.length > 0) throw new Error(problems.join('; '));

      const f = fast.strategies;
      return (
        `bundle ${(total.gzip / 1000).toFixed(1)} KB gzipped; sluice ${f.sluice.ratio.toFixed(3)} × ideal, 0 429s; ` +
        `naive ${f.naive.rateLimited} 429s, ${f.naive.failed} failed; p-limit ${f.plimit.rateLimited} 429s; ` +
        `limits unknown: learned, ${learning.ratio.toFixed(3)} × ideal; flood: your batch over at ${Math.round((100 * flood.yoursFinishedMs) / flood.makespanMs)} % of the run; ` +
        `offline, after a dropped run and paced at ${PACED_SPEED} × (${(wallMs / 1000).toFixed(1)} s): same figures; outage: sluice ${s.rateLimited} 429s, all done; 375 px fits`
      );
    });
  } finally {
    await server.close();
  }
}
