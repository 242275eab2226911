import type { KinesisStreamRecord } from 'aws-lambda';
import { createHandler } from '../../../lambdas/consumers/realtime';
import { DynamoResultsStore } from '../../../lambdas/consumers/dynamo-store';
import { itemBytes, type ResultsStore } from '../../../lambdas/consumers/store';
import { createHandler as createWindowsHandler } from '../../../lambdas/consumers/windows';
import { useResultsTables } from '../../support/dynamodb-local';
import {
  aBatch,
  aPageView,
  aRechargeNotify,
  aStreamEvent,
  aWindowEvent,
  resultsOf,
  someDeps,
  someRecords,
  someWarnings,
} from './factories';

/**
 * Events that the v1 schema accepts but that the consumers once could not store: values too long
 * for a DynamoDB key, and many long distinct paths that outgrew the path-ledger items. Each is
 * run through the real handler against DynamoDB Local, which enforces the service's limits.
 */

const TABLES = ['windows', 'action', 'province', 'paths', 'numbers'] as const;

/** A string of `n` copies of `unit` (an emoji is two UTF-16 units and four UTF-8 bytes). */
const repeat = (unit: string, n: number): string => Array.from({ length: n }, () => unit).join('');

/** A deterministic pseudo-random path of `length` characters (`/` then letters and digits). */
function randomPath(seed: number, length: number): string {
  let x = seed * 2654435761 + 1;
  let out = '/';
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789-_/';
  while (out.length < length) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    out += alphabet[x % alphabet.length];
  }
  return out;
}

describe('accepted events that once broke the analyses, on DynamoDB Local', () => {
  const tables = useResultsTables(TABLES);
  const scan = (table: string) => tables.scan(table);
  const storeOn = (table: (typeof TABLES)[number]) => new DynamoResultsStore(tables.doc(), table);
  /** Dependencies on `table` with the real clock: DynamoDB Local deletes items whose TTL (from the consumer's clock) has passed. */
  const depsOn = (table: (typeof TABLES)[number]) => ({ ...someDeps<ResultsStore>({ store: storeOn(table) }), now: () => new Date() });

  it('windows: a failed recharge whose provinceCode is 1,024 emoji settles its window, and a burst of 12 warnings still raises its alert', async () => {
    // prepare
    const deps = depsOn('windows');
    const handle = createWindowsHandler(deps);
    const province = repeat('😀', 1024);
    const records = someRecords([
      ...Array.from({ length: 12 }, (_, i) => aRechargeNotify({ eventId: `rc-${i}`, success: false, provinceCode: province })),
      ...someWarnings(12, 'viewDoc'),
    ]);
    const { state } = await handle(aWindowEvent({ records }));

    // act
    const final = await handle(aWindowEvent({ state, final: true }));

    // assess
    expect(final.batchItemFailures).toEqual([]);
    const alerts = (await scan('windows')).filter((item) => String(item.pk).startsWith('ALERT#'));
    const byRule = Object.fromEntries(alerts.map((a) => [String(a.ruleId), a]));
    expect(byRule['warnings-per-action']).toEqual(expect.objectContaining({ action: 'viewDoc', count: 12, notified: true }));
    const provinceAlert = byRule['recharge-failures-per-province'];
    expect(provinceAlert).toEqual(expect.objectContaining({ count: 12 }));
    // The group keeps a readable prefix of the province, and fits a key.
    expect(String(provinceAlert?.action).startsWith(repeat('😀', 10))).toBe(true);
    expect(Buffer.byteLength(String(provinceAlert?.pk))).toBeLessThanOrEqual(2048);
  });

  it.each([
    ['action', 'an action of 256 emoji', aStreamEvent({ eventId: 'long-action', action: repeat('😀', 256), userId: 'u-long' })],
    [
      'province',
      'a props.province of 1,024 x',
      aStreamEvent({ eventId: 'long-province', userId: 'u-long', props: { province: repeat('x', 1024) } }),
    ],
  ] as const)('realtime (%s): %s is counted, nothing fails, and unrelated events are counted', async (table, _what, hostile) => {
    // prepare
    const deps = depsOn(table);
    const handle = createHandler(deps);
    const records = someRecords([
      aStreamEvent({ eventId: 'before', action: 'viewDoc' }),
      hostile,
      aStreamEvent({ eventId: 'after', action: 'viewDoc' }),
    ]);

    // act
    const response = await handle(aBatch(records));

    // assess
    expect(response.batchItemFailures).toEqual([]);
    const { metrics, quarantined } = resultsOf(await scan(table));
    expect(quarantined).toEqual([]);
    const counted = (pattern: RegExp) =>
      Object.entries(metrics)
        .filter(([id]) => pattern.test(id))
        .reduce((sum, [, c]) => sum + Number(c.count), 0);
    expect(counted(/^M#events##.* \| [^#]+#$/)).toBe(3);
    expect(counted(/^M#events#action#.*action=viewDoc$/)).toBe(2);
    expect(counted(table === 'action' ? /^M#events#action#.*action=😀{10}/u : /^M#events#props\.province#.*props\.province=x{10}/)).toBe(1);
  });

  it('realtime: 800 sessions of random 1,000-character paths are counted under bounded names, one small item per session; no batch fails, and unrelated events are counted', async () => {
    // prepare
    const deps = depsOn('paths');
    const handle = createHandler(deps);
    const start = Date.parse('2024-05-27T03:40:00.000Z');
    const pageViews = Array.from({ length: 800 }, (_, s) =>
      Array.from({ length: 3 }, (_, step) =>
        aPageView(`pv-${s}-${step}`, randomPath(s * 3 + step, 1000), new Date(start + s * 50 + step * 10).toISOString(), {
          userId: `u-${s}`,
          sessionId: `s-${s}`,
        }),
      ),
    ).flat();
    const unrelated = (i: number) =>
      aStreamEvent({ eventId: `click-${i}`, action: 'click', createdAt: new Date(start + i * 100).toISOString() });
    const batches: KinesisStreamRecord[][] = [];
    for (let b = 0; b < 8; b++) {
      batches.push(someRecords([...pageViews.slice(b * 300, (b + 1) * 300), unrelated(b)], 1 + b * 301));
    }

    // act
    const responses = [];
    for (const batch of batches) responses.push(await handle(aBatch(batch)));

    // assess
    for (const response of responses) expect(response.batchItemFailures).toEqual([]);
    const items = await scan('paths');
    for (const item of items) expect(itemBytes(item)).toBeLessThanOrEqual(400 * 1024);
    const { metrics, ledgers } = resultsOf(items);
    const clicks = Object.entries(metrics)
      .filter(([id]) => /^M#events#action#.*action=click$/.test(id))
      .reduce((sum, [, c]) => sum + Number(c.count), 0);
    expect(clicks).toBe(8);
    const ledger = ledgers['2024-05-27'];
    const sum = (counts: Record<string, number> | undefined) => Object.values(counts ?? {}).reduce((a, b) => a + b, 0);
    // Every session of three page views is counted: two edges each, under page names bounded to 256 bytes.
    expect(sum(ledger?.edges)).toBe(800 * 2);
    for (const edge of Object.keys(ledger?.edges ?? {}))
      for (const node of edge.split('\u0000')) expect(Buffer.byteLength(node)).toBeLessThanOrEqual(256 + 6);
    const sessions = items.filter((item) => String(item.pk).startsWith('SESSION#'));
    expect(sessions).toHaveLength(800);
    for (const session of sessions) expect(itemBytes(session)).toBeLessThanOrEqual(2048);
  });

  it('realtime: a measured value DynamoDB cannot add exactly is quarantined with its reason in the same invocation; the rest of the batch is counted', async () => {
    // prepare
    const deps = depsOn('numbers');
    const handle = createHandler(deps);
    const records = someRecords([aRechargeNotify({ eventId: 'huge', fee: 1e300 }), aRechargeNotify({ eventId: 'fine', fee: 50 })]);

    // act
    const response = await handle(aBatch(records));

    // assess
    expect(response.batchItemFailures).toEqual([]);
    const items = await scan('numbers');
    const quarantined = items.filter((item) => String(item.pk).startsWith('QUARANTINE#'));
    expect(quarantined).toEqual([expect.objectContaining({ reason: expect.stringMatching(/props\.chargefee/) })]);
    const { metrics } = resultsOf(items);
    const recharge = Object.entries(metrics).find(([id]) => id.startsWith('M#recharge.amount#'));
    expect(recharge?.[1]).toEqual(expect.objectContaining({ count: 1, sum: 50 }));
  });
});
