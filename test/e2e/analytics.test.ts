/**
 * The real-time analyses end to end on the local runtime: the `alerts`, `web`, `recharge` and
 * `taobao` scenarios go in through the HTTP API; alerts, paths and metrics read back through the
 * read API must equal the producer's ground truth exactly. Runs across a window boundary so
 * the tumbling-window alerts fire (about two and a half minutes).
 */
import { DateTime } from 'luxon';
import type { LocalRuntime } from '../../local/runtime';
import type { TruthFile } from '../../scripts/producer/run';
import { allAlerts, metric, pathsOf, produce, startRuntime, total, totalsByValue, waitForConsumers } from './harness';

const ZONE = 'Asia/Shanghai';

function merge(into: Record<string, number>, from: Record<string, number>): Record<string, number> {
  for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v;
  return into;
}

describe('real-time analyses against the ground truth', () => {
  let runtime: LocalRuntime;
  const truths: Record<string, TruthFile> = {};

  beforeAll(async () => {
    ({ runtime } = await startRuntime());
    // Act: four scenarios at once; alerts long enough to cross minute (window) boundaries.
    const [alerts, web, stepless, recharge, taobao] = await Promise.all([
      produce(runtime, 'alerts', { count: 1500, rate: 20, seed: 41 }),
      produce(runtime, 'web', { count: 1500, rate: 100, seed: 42 }),
      produce(runtime, 'web', { count: 500, rate: 50, seed: 45, stepless: true }),
      produce(runtime, 'recharge', { count: 1500, rate: 100, seed: 43 }),
      produce(runtime, 'taobao', { count: 1500, rate: 100, seed: 44 }),
    ]);
    Object.assign(truths, { alerts, web, stepless, recharge, taobao });
    // The last tumbling window closes up to a minute after the last event.
    const lastWindowEnd = Math.ceil(Date.now() / 60_000) * 60_000;
    await new Promise((r) => setTimeout(r, Math.max(0, lastWindowEnd - Date.now()) + 3_000));
    await waitForConsumers(runtime);
  }, 300_000);

  afterAll(async () => runtime?.stop());

  it('raises exactly one error alert per accepted event with an error marker', async () => {
    const expected = Object.values(truths)
      .flatMap((t) => t.alerts.errors.map((e) => e.eventId))
      .sort();
    expect(expected.length).toBeGreaterThan(10);
    const seen = (await allAlerts(runtime, 'error')).map((a) => a.eventId ?? '').sort();
    expect(seen).toEqual(expected);
  });

  it('raises a window alert for exactly the (action, minute) windows with at least 10 warnings, with their counts', async () => {
    const expected = truths.alerts.alerts.warnings
      .filter((w) => w.fires)
      .map((w) => `${w.action}@${new Date(w.windowStart).toISOString()}=${w.count}`)
      .sort();
    expect(expected.length).toBeGreaterThan(0);
    const seen = (await allAlerts(runtime, 'window'))
      .filter((a) => (a as { ruleId?: string }).ruleId === 'warnings-per-action')
      .map((a) => `${a.action}@${a.windowStart}=${a.count}`)
      .sort();
    expect(seen).toEqual(expected);
    for (const a of await allAlerts(runtime, 'window')) expect(a.count).toBeGreaterThanOrEqual(a.threshold ?? Infinity);
  });

  it('counts every event per action and per minute', async () => {
    const all = Object.values(truths);
    expect(total(await metric(runtime, 'events'))).toBe(all.reduce((n, t) => n + t.total, 0));
    const byAction = all.reduce((acc, t) => merge(acc, t.byAction), {} as Record<string, number>);
    expect(totalsByValue(await metric(runtime, 'events', 'action'))).toEqual(byAction);
    // Per minute: the truth keys UTC minutes, the API local minutes of the stage.
    const perMinute: Record<string, number> = {};
    for (const t of all) {
      for (const [utcMinute, m] of Object.entries(t.perMinute)) {
        const local = DateTime.fromISO(utcMinute.replace(/Z$/, ':00Z')).setZone(ZONE).toFormat("yyyy-MM-dd'T'HH:mm");
        perMinute[local] = (perMinute[local] ?? 0) + m.total;
      }
    }
    const buckets: Record<string, number> = {};
    for (const b of (await metric(runtime, 'events')).series[0].buckets) buckets[b.minute] = b.count;
    expect(buckets).toEqual(perMinute);
  });

  it('computes the recharge KPIs: count, successes, amount, duration min/max', async () => {
    const r = truths.recharge.recharge;
    expect(r).not.toBeNull();
    expect(total(await metric(runtime, 'recharge'))).toBe(r?.count);
    expect(total(await metric(runtime, 'recharge.success'))).toBe(r?.successCount);
    expect(total(await metric(runtime, 'recharge.amount'), 'sum')).toBeCloseTo(r?.amount ?? NaN, 6);
    const duration = (await metric(runtime, 'recharge.duration')).series.flatMap((s) => s.buckets);
    expect(Math.min(...duration.map((b) => b.min ?? Infinity))).toBe(r?.durationMs.min);
    expect(Math.max(...duration.map((b) => b.max ?? -Infinity))).toBe(r?.durationMs.max);
    expect(duration.reduce((n, b) => n + b.count, 0)).toBe(r?.durationMs.count);
    expect(totalsByValue(await metric(runtime, 'recharge.failures', 'props.provinceCode'))).toEqual(r?.failuresByProvince);
  });

  it.each(['province', 'ageRange', 'gender'])('distributes the taobao events by %s', async (dim) => {
    expect(totalsByValue(await metric(runtime, 'events', `props.${dim}`))).toEqual(truths.taobao.byDimension[dim]);
  });

  it('builds the Sankey edges of every web session, with steps or without', async () => {
    const today = DateTime.now().setZone(ZONE);
    const got = await pathsOf(runtime, [today.minus({ days: 1 }).toISODate() ?? '', today.toISODate() ?? '']);
    // Full paths are not real-time: the daily sankey report has them.
    expect(got.edges).toEqual(merge(merge({}, truths.web.paths?.edges ?? {}), truths.stepless.paths?.edges ?? {}));
  });
});
