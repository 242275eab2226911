/**
 * Throughput benchmark of the analytics consumers, run in plain Node (as Lambda runs the bundle):
 * each consumer (decode + its analysis) against base64 decode + JSON.parse alone, on a mixed
 * batch. Prints JSON `{ best, ratios }`. Run: `npx tsx test/unit/analytics/throughput.bench.ts`.
 * (Not run inside jest directly: jest's vm context makes every global lookup such as `Math` ~100×
 * slower, which measures the sandbox, not the code.)
 */
import { defaultAnalyticsConfig } from '../../lambdas/analytics/config';
import { findErrorAlerts } from '../../lambdas/analytics/error-alerts';
import { aggregateMetrics } from '../../lambdas/analytics/metrics';
import { applyEvents, emptySessionState } from '../../lambdas/analytics/paths';
import { decodeRecord, type DecodedEvent, type KinesisRecordLike } from '../../lambdas/analytics/records';
import { emptyWindowState, foldWindow } from '../../lambdas/analytics/windows';
import type { StreamEvent } from '../../lambdas/shared/event';
import { aKinesisRecord, aPageView, aRechargeNotify, aStreamEvent, plusMs } from '../../test/unit/analytics/factories';

const CONFIG = defaultAnalyticsConfig('Asia/Shanghai');
const T0 = '2024-05-27T03:40:00.000Z';
const BATCH = 5000;
const ROUNDS = 15;

/** Event `i` of a mixed stream: recharges, page views in sessions, documents with warnings and errors, vending and Taobao-like events. */
function mixedEvent(i: number): StreamEvent {
  const createdAt = plusMs(T0, i * 12);
  switch (i % 5) {
    case 0:
      return aRechargeNotify({ eventId: `rc_${i}_0f3a9c2e41d7`, createdAt, success: i % 10 !== 0, provinceCode: String(100 + (i % 31)) });
    case 1:
      return aPageView(`pv_${i}_7b1e0d44a9c3`, `/page/${i % 17}`, createdAt, { userId: `visitor-${i % 400}`, sessionId: `s_${i % 400}`, props: { device: 'mobile', referrer: 'search' } });
    case 2:
      return aStreamEvent({
        eventId: `al_${i}_c0ffee12ab34`,
        action: ['viewDoc', 'editDoc', 'search'][i % 3] as string,
        userId: `u${i % 700}`,
        createdAt,
        objectId: `doc-${i % 2000}`,
        bizId: '100',
        ...(i % 4 === 0 ? { errorMsg: '[warn] slow response from storage (1200 ms)' } : i % 97 === 0 ? { errorMsg: '[error] database connection refused' } : {}),
      });
    case 3:
      return aStreamEvent({ eventId: `vm_${i}_5e6f7a8b9c0d`, action: 'order', userId: `wx-${i % 1000}`, createdAt, props: { machineId: 12 + (i % 9), commodityId: `100000${i % 10}`, amount: 3.5, quantity: 1 } });
    default:
      return aStreamEvent({ eventId: `tb_${i}_1a2b3c4d5e6f`, action: 'cart', userId: `tb-${i % 900}`, createdAt, props: { actionCode: 1, ageRange: i % 8, gender: i % 3, province: '浙江', itemId: `item-${i}` } });
  }
}

const RECORDS: KinesisRecordLike[] = Array.from({ length: BATCH }, (_, i) => aKinesisRecord(mixedEvent(i), i + 1));

const decodeAll = (): DecodedEvent[] => {
  const out: DecodedEvent[] = [];
  for (const record of RECORDS) {
    const decoded = decodeRecord(record);
    if (decoded.ok) out.push(decoded);
  }
  return out;
};

let sink: unknown;

const CONSUMERS: Record<string, () => unknown> = {
  alerts: () => findErrorAlerts(decodeAll().map((d) => d.event), CONFIG.errorPatterns),
  windows: () => foldWindow(emptyWindowState(), decodeAll(), CONFIG.windowRules),
  metrics: () => aggregateMetrics(decodeAll(), CONFIG.metrics, undefined),
  paths: () => applyEvents(emptySessionState(), decodeAll(), 0, CONFIG.paths),
};

const baseline = (): void => {
  for (const record of RECORDS) sink = JSON.parse(Buffer.from(record.kinesis.data, 'base64').toString('utf8'));
};

/** Best (least disturbed) time of each case over interleaved rounds, in ms. */
function bestTimes(): Record<string, number> {
  const cases: Record<string, () => unknown> = { baseline, ...CONSUMERS };
  const best: Record<string, number> = {};
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, run] of Object.entries(cases)) {
      const start = process.hrtime.bigint();
      sink = run();
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      best[name] = Math.min(best[name] ?? Number.POSITIVE_INFINITY, ms);
    }
  }
  return best;
}

const best = bestTimes();
const ratios = Object.fromEntries(Object.keys(CONSUMERS).map((name) => [name, (best.baseline ?? 0) / (best[name] ?? Number.POSITIVE_INFINITY)]));
const decoded = decodeAll().length;
process.stdout.write(`${JSON.stringify({ batch: BATCH, decoded, best, ratios, sinkType: typeof sink })}\n`);
