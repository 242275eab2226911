/**
 * The dashboard in real headless Chromium (Debian's, driven by playwright-core) on the local
 * runtime: the path-analysis path document (posted twice) and a burst of warnings go in through the
 * API; the page must show the document's Sankey links and weights, the window alert with its
 * count against the threshold, trend points, and no console error. Saves a screenshot under
 * test-artifacts/.
 */
import * as fs from 'fs';
import * as path from 'path';
import { chromium, type Browser } from 'playwright-core';
import type { LocalRuntime } from '../../local/runtime';
import { ROOT, startRuntime } from './harness';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = path.join(ROOT, 'test-artifacts');
const SEED_000 = {
  uvi: 'user493',
  el: [
    { path: '/blog', ct: '2024-05-27T11:40:36.263222' },
    { path: '/about', ct: '2024-05-27T11:41:36.263222' },
    { path: '/services', ct: '2024-05-27T11:44:36.263222' },
    { path: '/blog', ct: '2024-05-27T11:52:36.263222' },
    { path: '/about', ct: '2024-05-27T11:44:36.263222' },
  ],
};

async function post(runtime: LocalRuntime, route: string, body: unknown): Promise<number> {
  const res = await fetch(`${runtime.endpoints.api}${route}`, { method: 'POST', headers: { 'x-api-key': runtime.endpoints.apiKey }, body: JSON.stringify(body) });
  return res.status;
}

describe('dashboard in a browser', () => {
  let runtime: LocalRuntime;
  let browser: Browser;

  beforeAll(async () => {
    if (!fs.existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: apt-get install chromium (or set CHROMIUM_PATH)`);
    ({ runtime } = await startRuntime());
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await runtime?.stop();
  });

  it('shows the Sankey of the path-analysis document, the alert burst, trend points and no console error', async () => {
    // Prepare: the document twice (it must count once), then 12 warnings for one action now.
    expect(await post(runtime, '/v1/paths', SEED_000)).toBe(200);
    expect(await post(runtime, '/v1/paths', SEED_000)).toBe(200);
    const now = Date.now();
    const burst = Array.from({ length: 12 }, (_, i) => ({ eventId: `burst-${now}-${i}`, action: 'viewDoc', userId: `u${i}`, createdAt: new Date(now).toISOString(), errorMsg: `[warn] slow document render #${i}` }));
    expect(await post(runtime, '/v1/events', { events: burst })).toBe(200);

    // Act: open the dashboard on the document's day.
    const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page: ${e.message}`));
    const opened = Date.now();
    await page.goto(`${runtime.endpoints.dashboard}/?date=2024-05-27`);

    // Assess: the Sankey's links (its text alternative lists exactly what the chart draws).
    const rows = page.locator('#sankey-table tbody tr');
    try {
      await rows.first().waitFor({ state: 'attached', timeout: 30_000 });
    } catch (error) {
      fs.mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-failed.png'), fullPage: true });
      throw new Error(`${(error as Error).message}\npage problems: ${problems.join('; ')}`, { cause: error });
    }
    const sankeyShownMs = Date.now() - opened;
    const cells = await page.locator('#sankey-table tbody td').allTextContents();
    const links = Array.from({ length: cells.length / 3 }, (_, i) => cells.slice(i * 3, i * 3 + 3).join(' | '));
    expect(links.sort()).toEqual(['/about (2) | /services (3) | 1', '/about (4) | /blog (5) | 1', '/blog (1) | /about (2) | 1', '/services (3) | /about (4) | 1']);
    await expect(page.locator('#sankey canvas').count()).resolves.toBeGreaterThan(0);

    // The window alert, once the minute's tumbling window has closed (at most about a minute).
    const alert = page.locator('#alerts li', { hasText: 'viewDoc' });
    await alert.first().waitFor({ state: 'attached', timeout: 100_000 });
    expect(await alert.first().textContent()).toMatch(/12\s*\/\s*10/);

    // Trends have points (the burst is in the current time range), and something refreshed.
    await page.waitForFunction("Number(document.getElementById('trends')?.dataset.points ?? '0') > 0", undefined, { timeout: 30_000 });
    await expect(page.locator('#last-updated').textContent()).resolves.not.toMatch(/not updated yet/);

    fs.mkdirSync(ARTIFACTS, { recursive: true });
    const shot = path.join(ARTIFACTS, 'dashboard.png');
    await page.screenshot({ path: shot, fullPage: true });
    console.log(`dashboard: Sankey shown ${sankeyShownMs} ms after opening; screenshot ${path.relative(ROOT, shot)}`);
    expect(problems).toEqual([]);
  }, 240_000);
});
