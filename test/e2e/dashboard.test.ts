/**
 * The dashboard in real headless Chromium (Debian's, driven by playwright-core) on the local
 * runtime. The page signs in as the analyst demo user through the local managed login (code flow
 * with PKCE); the path-analysis path document, a burst of warnings and an error
 * event go in through the API with the producer key; the page must show who is signed in and their
 * role, the document's Sankey links and weights, the window alert with its count against the
 * threshold, the error alert without its message (analysts get alerts masked), trend points and no
 * console error, and sign out. Then a few runs of history go in, the daily job runs, and the
 * Reports view must draw every report with data. Saves screenshots under test-artifacts/
 * (dashboard.png, reports.png).
 */
import * as fs from 'fs';
import * as path from 'path';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { LocalRuntime } from '../../local/runtime';
import { DateTime } from 'luxon';
import { stageConfig } from '../../lib/config/stage-config';
import { produce, ROOT, runReportJob, STAGE, startRuntime, waitForLake } from './harness';

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
  const res = await fetch(`${runtime.endpoints.api}${route}`, {
    method: 'POST',
    headers: { 'x-api-key': runtime.endpoints.apiKey },
    body: JSON.stringify(body),
  });
  return res.status;
}

/** The demo user of `role` from the runtime's endpoints. */
function demoUser(runtime: LocalRuntime, role: string): { email: string; password: string } {
  const user = runtime.endpoints.users.find((u) => u.role === role);
  if (!user) throw new Error(`no demo user with role ${role} in ${JSON.stringify(runtime.endpoints.users.map((u) => u.role))}`);
  return user;
}

/**
 * Opens `address` on the dashboard, which sends the browser to the managed login; signs in there
 * as `role`'s demo user and waits until the page is back on the dashboard with the user shown.
 */
async function openSignedIn(runtime: LocalRuntime, page: Page, address: string, role: string): Promise<void> {
  const { email, password } = demoUser(runtime, role);
  await page.goto(`${runtime.endpoints.dashboard}${address}`);
  await page.waitForURL((url) => url.pathname === '/login', { timeout: 30_000 });
  expect(new URL(page.url()).origin).toBe(new URL(runtime.endpoints.cognito.managedLogin).origin);
  await page.fill('#username', email);
  await page.fill('#password', password);
  await page.click('button[type=submit]');
  await page.waitForURL((url) => url.origin === new URL(runtime.endpoints.dashboard).origin, { timeout: 30_000 });
  await page.locator('#user:not([hidden])').waitFor({ state: 'attached', timeout: 30_000 });
  // The callback's code and state are gone from the address; what was asked for is back.
  const url = new URL(page.url());
  expect(url.searchParams.has('code')).toBe(false);
  expect(url.searchParams.has('state')).toBe(false);
  expect(`${url.search}${url.hash}`.startsWith(address.slice(1))).toBe(true);
}

describe('dashboard in a browser', () => {
  let runtime: LocalRuntime;
  let browser: Browser;

  beforeAll(async () => {
    if (!fs.existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: apt-get install chromium (or set CHROMIUM_PATH)`);
    ({ runtime } = await startRuntime());
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await runtime?.stop();
  });

  it('signs in as an analyst and shows the Sankey of the path-analysis document, the alert burst, the error alert masked, trend points; signs out', async () => {
    // Prepare: the document (once: the real-time edges count a re-posted document again, as
    // docs/analytics.md says; the daily sankey report is the exact one), then 12 warnings for one
    // action now, and one error.
    expect(await post(runtime, '/v1/paths', SEED_000)).toBe(200);
    const now = Date.now();
    const burst = Array.from({ length: 12 }, (_, i) => ({
      eventId: `burst-${now}-${i}`,
      action: 'viewDoc',
      userId: `u${i}`,
      createdAt: new Date(now).toISOString(),
      errorMsg: `[warn] slow document render #${i}`,
    }));
    const secret = 'db password leaked for user u-secret';
    const failure = {
      eventId: `failure-${now}`,
      action: 'checkout',
      userId: 'u-secret',
      createdAt: new Date(now).toISOString(),
      errorMsg: `[error] ${secret}`,
    };
    expect(await post(runtime, '/v1/events', { events: [...burst, failure] })).toBe(200);

    // Act: open the dashboard on the document's day, signing in as the analyst.
    const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page: ${e.message}`));
    const opened = Date.now();
    await openSignedIn(runtime, page, '/?date=2024-05-27', 'analyst');
    await expect(page.locator('#user-email').textContent()).resolves.toBe(demoUser(runtime, 'analyst').email);
    await expect(page.locator('#user-role').textContent()).resolves.toBe('analyst');

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
    expect(links.sort()).toEqual([
      '/about (2) | /services (3) | 1',
      '/about (4) | /blog (5) | 1',
      '/blog (1) | /about (2) | 1',
      '/services (3) | /about (4) | 1',
    ]);
    await expect(page.locator('#sankey canvas').count()).resolves.toBeGreaterThan(0);

    // The window alert, once the minute's tumbling window has closed (at most about a minute).
    const alert = page.locator('#alerts li', { hasText: 'viewDoc' });
    await alert.first().waitFor({ state: 'attached', timeout: 100_000 });
    expect(await alert.first().textContent()).toMatch(/12\s*\/\s*10/);

    // The error alert is listed, without its message: the API masks errorMsg and userId for analysts.
    const errorAlert = page.locator('#alerts li.alert-error', { hasText: 'checkout' });
    await errorAlert.first().waitFor({ state: 'attached', timeout: 60_000 });
    const feed = (await page.locator('#alerts').textContent()) ?? '';
    expect(feed).not.toContain(secret);
    expect(feed).not.toContain('u-secret');
    expect(await errorAlert.first().locator('.alert-text').textContent()).toBe('(no message)');

    // Trends have points (the burst is in the current time range), and something refreshed.
    await page.waitForFunction("Number(document.getElementById('trends')?.dataset.points ?? '0') > 0", undefined, { timeout: 30_000 });
    await expect(page.locator('#last-updated').textContent()).resolves.not.toMatch(/not updated yet/);

    fs.mkdirSync(ARTIFACTS, { recursive: true });
    const shot = path.join(ARTIFACTS, 'dashboard.png');
    await page.screenshot({ path: shot, fullPage: true });
    console.log(`dashboard: Sankey shown ${sankeyShownMs} ms after opening (sign-in included); screenshot ${path.relative(ROOT, shot)}`);

    // Sign out: the managed login's session ends, the page comes back signed out and does not sign in by itself.
    await page.click('#sign-out');
    await page.locator('#signin-panel:not([hidden])').waitFor({ state: 'attached', timeout: 30_000 });
    expect(new URL(page.url()).origin).toBe(new URL(runtime.endpoints.dashboard).origin);
    await expect(page.locator('#user').isHidden()).resolves.toBe(true);
    await expect(page.locator('#signin-reason').textContent()).resolves.toMatch(/signed out/);
    // (Page functions as strings: this file is type-checked without the DOM library.)
    await expect(page.evaluate("Object.keys(sessionStorage).filter((k) => k.includes('refresh-token'))")).resolves.toEqual([]);
    await expect(page.evaluate('localStorage.length')).resolves.toBe(0);
    // Signing in again asks for the password (the managed login's session is over).
    await page.click('#sign-in');
    await page.waitForURL((url) => url.pathname === '/login', { timeout: 30_000 });
    expect(problems).toEqual([]);
  }, 240_000);

  it('tells an operator in the Sankey panel that their role may not read paths, still shows the rest, and resumes after a reload', async () => {
    // Act: an operator's session (operators read alerts and metrics, not paths or reports).
    const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(`page: ${e.message}`));
    await openSignedIn(runtime, page, '/?date=2024-05-27', 'operator');

    // Assess: the role is shown, the Sankey panel says why it is empty, the alerts feed is drawn, the banner stays away.
    await expect(page.locator('#user-role').textContent()).resolves.toBe('operator');
    const status = page.locator('#sankey-status[data-kind=error]');
    await status.waitFor({ state: 'visible', timeout: 30_000 });
    expect(await status.textContent()).toMatch(/^Not available to your role \(403\): role operator may not read \/v1\/paths\.$/);
    // Every other read succeeded: the page counts the refresh as a success (a 403 is not a failure).
    await page.waitForFunction("!/not updated yet/.test(document.getElementById('last-updated')?.textContent ?? '')", undefined, {
      timeout: 30_000,
    });
    await expect(page.locator('#last-updated').getAttribute('data-stale')).resolves.toBe('false');
    await expect(page.locator('#alerts-status').getAttribute('data-kind')).resolves.not.toBe('error');
    await expect(page.locator('#banner').isHidden()).resolves.toBe(true);

    // A reload in the same tab resumes with the refresh token (refresh_token grant), without the sign-in pages.
    const visited: string[] = [];
    page.on('framenavigated', (frame) => visited.push(frame.url()));
    await page.reload();
    await page.locator('#user:not([hidden])').waitFor({ state: 'attached', timeout: 30_000 });
    await expect(page.locator('#user-role').textContent()).resolves.toBe('operator');
    expect(visited.filter((u) => new URL(u).origin !== new URL(runtime.endpoints.dashboard).origin)).toEqual([]);
    expect(problems).toEqual([]);
    await page.close();
  }, 120_000);

  it('shows every daily report in the Reports view, with data and readable labels', async () => {
    // Prepare: a week of taobao, vending and recharge history and a web run of today, through the daily job.
    const runs = [
      await produce(runtime, 'taobao', { count: 1500, rate: 2000, seed: 901, days: 7 }),
      await produce(runtime, 'vending', { count: 300, rate: 2000, seed: 902, days: 7 }),
      await produce(runtime, 'recharge', { count: 400, rate: 2000, seed: 903, days: 7 }),
      await produce(runtime, 'web', { count: 300, rate: 300, seed: 904 }),
    ];
    const accepted = runtime.stats().eventsAccepted;
    expect(accepted).toBeGreaterThanOrEqual(runs.reduce((n, r) => n + r.meta.accepted, 0));
    await waitForLake(runtime, accepted);
    // The job for the arrival days (the function's default is yesterday; yesterday too in case the runs crossed midnight).
    const now = DateTime.now().setZone(stageConfig(STAGE).timeZone);
    await runReportJob(runtime, { from: now.minus({ days: 1 }).toFormat('yyyy-MM-dd'), to: now.toFormat('yyyy-MM-dd') });

    // Act: open the Reports view.
    const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page: ${e.message}`));
    await openSignedIn(runtime, page, '/#reports', 'analyst');
    try {
      // The view sets data-loaded once every report it asked for has been drawn.
      await page.locator('#reports-view[data-loaded]').waitFor({ state: 'attached', timeout: 60_000 });
    } catch (error) {
      fs.mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: path.join(ARTIFACTS, 'reports-failed.png'), fullPage: true });
      throw new Error(`${(error as Error).message}\npage problems: ${problems.join('; ')}`, { cause: error });
    }

    // The screenshot first, so a failure below can be looked at.
    await page.waitForTimeout(1000); // the charts' 300 ms animation
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    const shot = path.join(ARTIFACTS, 'reports.png');
    await page.screenshot({ path: shot, fullPage: true });
    console.log(
      `reports view: screenshot ${path.relative(ROOT, shot)}; statuses: ${(await page.locator('#reports-view .panel-status:visible').allTextContents()).join(' | ')}; problems: ${problems.join('; ')}`,
    );

    // Assess: each chart has data drawn on a canvas, the sales table has named commodities, the live view is hidden.
    const data = async (id: string, key: string): Promise<number> =>
      Number((await page.locator(`#${id}`).getAttribute(`data-${key}`)) ?? '0');
    expect(await data('report-users', 'points')).toBe(7);
    expect(await data('report-funnel', 'bars')).toBe(3);
    expect(await data('report-retention', 'cells')).toBeGreaterThan(7);
    expect(await data('report-recharge', 'bars')).toBeGreaterThan(5);
    expect(await data('report-sankey', 'links')).toBeGreaterThan(0);
    for (const id of ['report-users', 'report-funnel', 'report-retention', 'report-recharge', 'report-sankey']) {
      await expect(page.locator(`#${id} canvas`).count()).resolves.toBeGreaterThan(0);
    }
    const commodities = await page.locator('#report-sales tbody td:nth-child(2)').allTextContents();
    expect(commodities.length).toBeGreaterThan(10);
    expect(commodities).toContain('Mineral water 550ml');
    await expect(page.locator('#live-view').isHidden()).resolves.toBe(true);
    await expect(page.locator('#view-reports').getAttribute('aria-current')).resolves.not.toBeNull();

    expect(problems).toEqual([]);
  }, 240_000);
});
