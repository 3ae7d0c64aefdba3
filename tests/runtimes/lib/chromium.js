// Headless Debian Chromium through playwright-core (which cannot download a browser here).
import { mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { bin, outDir } from './paths.js';

/** Opens `url` in a fresh headless Chromium, runs `fn(page)`, closes everything. */
export async function withPage(url, fn) {
  const profile = mkdtempSync(path.join(outDir, 'chromium-'));
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: bin.chromium,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const problems = [];
  try {
    const page = browser.pages()[0] ?? (await browser.newPage());
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('console', (m) => m.type() === 'error' && problems.push(`console: ${m.text()}`));
    page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
    await page.goto(url);
    return await fn(page, problems);
  } finally {
    await browser.close();
    rmSync(profile, { recursive: true, force: true });
  }
}
