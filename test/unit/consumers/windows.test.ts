import type { KinesisStreamRecord } from 'aws-lambda';
import { KEYS, OTHER_LABEL } from '../../../lambdas/shared/results-table';
import { windowCountsOf } from '../../../lambdas/consumers/items';
import type { WindowAlert, WindowState } from '../../../lambdas/analytics/windows';
import { createHandler, summarizeWindowAlerts, type WindowsHandler } from '../../../lambdas/consumers/windows';
import type { ResultsStore } from '../../../lambdas/consumers/store';
import { MemoryResultsStore } from './memory-store';
import {
  aConsumerConfig,
  aRecord,
  aSeq,
  aStreamEvent,
  aWindowEvent,
  FaultyStore,
  NOW,
  OTHER_SHARD,
  pkOf,
  resultsOf,
  SHARD,
  someDeps,
  someRecords,
  someWarnings,
} from './factories';

const WINDOW = { start: '2024-05-27T03:40:00Z', end: '2024-05-27T03:41:00Z' };
const ALERT_KEY = KEYS.windowAlert('warnings-per-action', 'viewDoc', '2024-05-27T03:40:00.000Z');

/** Runs one shard's window: a non-final invoke per batch, then the final invoke; returns the final response. */
async function runWindow(
  handle: WindowsHandler,
  shardId: string,
  batches: readonly (readonly KinesisStreamRecord[])[],
  options: { finalTimes?: number } = {},
) {
  let state: unknown = {};
  for (const records of batches) {
    const response = await handle(aWindowEvent({ records, state, shardId, window: WINDOW }));
    expect(response.batchItemFailures).toEqual([]);
    state = response.state;
  }
  let last;
  for (let i = 0; i < (options.finalTimes ?? 1); i++) last = await handle(aWindowEvent({ state, shardId, final: true, window: WINDOW }));
  return last;
}

/** `count` viewDoc warnings of one shard, ids prefixed by the shard's number. */
const warnings = (count: number, shardId: string, from = 1) =>
  someRecords(someWarnings(count, 'viewDoc', `${shardId.slice(-1)}-w`), from, { shardId });

describe('windows consumer: threshold per action in a tumbling window (alerts scenario)', () => {
  it.each([
    [9, 0],
    [10, 1],
  ])('%i warnings for one action in a window → %i alert', async (count, alerts) => {
    // prepare
    const deps = someDeps();
    const handle = createHandler(deps);

    // act
    const final = await runWindow(handle, SHARD, [warnings(count, SHARD)]);

    // assess
    expect(final).toEqual({ state: {}, batchItemFailures: [] });
    expect(Object.keys(resultsOf(deps.store.dump()).alerts)).toHaveLength(alerts);
    expect(deps.notifier.published).toHaveLength(alerts);
  });

  it('puts the alert with the read-API fields, the byTime index keys and notified set', async () => {
    // prepare
    const deps = someDeps();

    // act
    await runWindow(createHandler(deps), SHARD, [warnings(12, SHARD)]);

    // assess
    expect(await deps.store.get(ALERT_KEY)).toEqual({
      ...ALERT_KEY,
      gpk: 'ALERTS#2024-05-27',
      gsk: `${NOW.toISOString()}#window#warnings-per-action#viewDoc`,
      kind: 'window',
      id: 'warnings-per-action|viewDoc|2024-05-27T03:40:00.000Z',
      ruleId: 'warnings-per-action',
      action: 'viewDoc',
      groupBy: 'action',
      windowStart: '2024-05-27T03:40:00.000Z',
      windowEnd: '2024-05-27T03:41:00.000Z',
      count: 12,
      threshold: 10,
      createdAt: NOW.toISOString(),
      approximate: false,
      notified: true,
      owner: SHARD,
      expiresAt: Math.floor(NOW.getTime() / 1000) + 35 * 86_400,
    });
    expect(deps.notifier.published).toEqual([
      {
        subject: '[dev] 1 window alert: warnings-per-action viewDoc 12/10',
        message: expect.stringContaining(
          '2024-05-27T03:40:00.000Z .. 2024-05-27T03:41:00.000Z warnings-per-action action=viewDoc: 12 >= 10',
        ),
      },
    ]);
  });

  it.each([
    ['6 first, then 4', [SHARD, OTHER_SHARD]],
    ['4 first, then 6', [OTHER_SHARD, SHARD]],
  ])('a window split across two shards (%s) raises one alert', async (_order, finals) => {
    // prepare
    const deps = someDeps();
    const handle = createHandler(deps);
    const states: Record<string, unknown> = {};
    for (const [shardId, count] of [
      [SHARD, 6],
      [OTHER_SHARD, 4],
    ] as const) {
      states[shardId] = (await handle(aWindowEvent({ records: warnings(count, shardId), shardId, window: WINDOW }))).state;
    }

    // act
    for (const shardId of finals) await handle(aWindowEvent({ state: states[shardId], shardId, final: true, window: WINDOW }));

    // assess
    expect(resultsOf(deps.store.dump()).alerts).toEqual({ [ALERT_KEY.pk]: true });
    expect(await deps.store.get(ALERT_KEY)).toMatchObject({ count: 10, owner: finals[1] });
    expect(deps.notifier.published).toHaveLength(1);
    const partials = await deps.store.get(KEYS.windowPartials('warnings-per-action', 'viewDoc', '2024-05-27T03:40:00.000Z'));
    expect(Object.entries(partials ?? {}).filter(([name]) => name.startsWith('shard_'))).toEqual(
      expect.arrayContaining([
        [expect.stringMatching(/^shard_shardId-000000000000_\d+$/), 6],
        [expect.stringMatching(/^shard_shardId-000000000001_\d+$/), 4],
      ]),
    );
  });

  it('a final invoke retried (also after both shards reported) still leaves one alert and one message', async () => {
    // prepare
    const deps = someDeps();
    const handle = createHandler(deps);

    // act
    await runWindow(handle, SHARD, [warnings(6, SHARD)], { finalTimes: 2 });
    await runWindow(handle, OTHER_SHARD, [warnings(4, OTHER_SHARD)], { finalTimes: 3 });

    // assess
    expect(Object.keys(resultsOf(deps.store.dump()).alerts)).toEqual([ALERT_KEY.pk]);
    expect(deps.notifier.published).toHaveLength(1);
  });

  it('when the publish fails, the retried final invoke notifies the alert it put, once', async () => {
    // prepare
    const deps = someDeps();
    const handle = createHandler(deps);
    const state = (await handle(aWindowEvent({ records: warnings(10, SHARD), window: WINDOW }))).state;
    deps.notifier.failNext();

    // act
    await expect(handle(aWindowEvent({ state, final: true, window: WINDOW }))).rejects.toThrow(/SNS publish failed/);
    const before = resultsOf(deps.store.dump()).alerts;
    await handle(aWindowEvent({ state, final: true, window: WINDOW }));

    // assess
    expect(before).toEqual({ [ALERT_KEY.pk]: false });
    expect(resultsOf(deps.store.dump()).alerts).toEqual({ [ALERT_KEY.pk]: true });
    expect(deps.notifier.published).toHaveLength(1);
  });

  it('a window that Lambda ended early and continued with fresh state counts both segments', async () => {
    // prepare
    const deps = someDeps();
    const handle = createHandler(deps);
    const firstSegment = (await handle(aWindowEvent({ records: warnings(6, SHARD, 1), window: WINDOW }))).state;
    const later = someRecords(someWarnings(4, 'viewDoc', 'seg2-'), 7);
    const secondSegment = (await handle(aWindowEvent({ records: later, window: WINDOW, terminatedEarly: true }))).state;

    // act
    await handle(aWindowEvent({ state: firstSegment, final: true, window: WINDOW }));
    await handle(aWindowEvent({ state: secondSegment, final: true, window: WINDOW, terminatedEarly: true }));

    // assess
    expect(await deps.store.get(ALERT_KEY)).toMatchObject({ count: 10 });
    expect(deps.notifier.published).toHaveLength(1);
  });
});

describe('windows consumer: invokes within a window', () => {
  it('returns the folded state, skips poison records and never reports a record as failed', async () => {
    // prepare
    const deps = someDeps();
    const records = [...warnings(2, SHARD), aRecord('{broken', 3), aRecord(someWarnings(1, 'viewDoc', 'x-')[0] ?? aStreamEvent(), 4)];

    // act
    const response = await createHandler(deps)(aWindowEvent({ records, window: WINDOW }));

    // assess
    expect(response.batchItemFailures).toEqual([]);
    const state = response.state as WindowState;
    expect(state.rules['warnings-per-action']?.viewDoc).toEqual({ count: 3, eventIds: ['0-w0', '0-w1', 'x-0'] });
    expect(deps.store.dump()).toEqual([]);
  });

  it('rejects a state it did not write (the invoke fails instead of counting from garbage)', async () => {
    // prepare
    const deps = someDeps();

    // act
    const outcome = createHandler(deps)(aWindowEvent({ state: { rules: 'x' }, window: WINDOW }));

    // assess
    await expect(outcome).rejects.toThrow(/window state/);
  });

  it('a final invoke of an empty window writes nothing', async () => {
    // prepare
    const deps = someDeps();

    // act
    const response = await createHandler(deps)({ ...aWindowEvent({ final: true, window: WINDOW }), shardId: undefined });

    // assess
    expect(response).toEqual({ state: {}, batchItemFailures: [] });
    expect(deps.store.stats.updates + deps.store.stats.puts).toBe(0);
  });

  it('a store failure in the final invoke rejects it (Lambda retries it), and the retry completes it', async () => {
    // prepare
    const memory = new MemoryResultsStore();
    const store = new FaultyStore(memory);
    const deps = someDeps<ResultsStore>({ store });
    const handle = createHandler(deps);
    const state = (await handle(aWindowEvent({ records: warnings(10, SHARD), window: WINDOW }))).state;
    store.failOn((c) => c.kind === 'write' && c.op.kind === 'put', { when: 'after' });

    // act
    await expect(handle(aWindowEvent({ state, final: true, window: WINDOW }))).rejects.toThrow(/injected/);
    await handle(aWindowEvent({ state, final: true, window: WINDOW }));

    // assess
    expect(resultsOf(memory.dump()).alerts).toEqual({ [ALERT_KEY.pk]: true });
    expect(deps.notifier.published).toHaveLength(1);
  });
});

describe('windows consumer: bounds', () => {
  it('past maxGroups, new groups count in (other): reported with the partials, never alerted; the groups within the bound still alert', async () => {
    // prepare
    const config = aConsumerConfig();
    const rules = config.analytics.windowRules.map((rule) => ({ ...rule, maxGroups: 2 }));
    const memory = new MemoryResultsStore();
    const deps = someDeps<ResultsStore>({ store: memory, config: { ...config, analytics: { ...config.analytics, windowRules: rules } } });
    const handle = createHandler(deps);
    const records = someRecords([...someWarnings(10, 'a'), ...someWarnings(10, 'b'), ...someWarnings(6, 'c'), ...someWarnings(6, 'd')]);

    // act
    const { state } = await handle(aWindowEvent({ records, window: WINDOW }));
    await handle(aWindowEvent({ state, final: true, window: WINDOW }));

    // assess
    const items = memory.dump();
    expect(Object.keys((state as WindowState).rules['warnings-per-action'] ?? {}).sort()).toEqual(['(other)', 'a', 'b']);
    const partial = items.find(
      (item) => item.pk === KEYS.windowPartials('warnings-per-action', OTHER_LABEL, '2024-05-27T03:40:00.000Z').pk,
    );
    expect(partial).toEqual(expect.objectContaining({ group: OTHER_LABEL }));
    expect(windowCountsOf(partial).counts).toEqual({ [`shard_${SHARD}_${aSeq(1)}`]: 12 });
    expect(items.filter((item) => String(item.pk).startsWith('ALERT#')).map((item) => item.action)).toEqual(['a', 'b']);
    expect(deps.logger.lines.some((line) => line.message === 'window groups over the bound counted in (other)')).toBe(true);
  });

  it('a partial DynamoDB refuses is quarantined with the reason, the final invoke succeeds, and the other groups alert; a dependency failure still rejects', async () => {
    // prepare
    const memory = new MemoryResultsStore();
    const store = new FaultyStore(memory);
    const deps = someDeps<ResultsStore>({ store });
    const handle = createHandler(deps);
    const validation = Object.assign(new Error('Item size has exceeded the maximum allowed size'), { name: 'ValidationException' });
    store.interfere(
      (c) => c.kind === 'write' && pkOf(c.op).startsWith('WINDOW#warnings-per-action#refused#'),
      async () => Promise.reject(validation),
      10,
    );
    const state = (
      await handle(aWindowEvent({ records: someRecords([...someWarnings(10, 'viewDoc'), ...someWarnings(10, 'refused')]), window: WINDOW }))
    ).state;

    // act
    const response = await handle(aWindowEvent({ state, final: true, window: WINDOW }));
    store.failOn((c) => c.kind === 'write', { times: 10 });
    const outage = await handle(aWindowEvent({ state, final: true, window: WINDOW })).then(
      () => undefined,
      (error: unknown) => error,
    );

    // assess
    expect(response.batchItemFailures).toEqual([]);
    const items = memory.dump();
    expect(items.filter((item) => String(item.pk).startsWith('QUARANTINE#'))).toEqual([
      expect.objectContaining({ consumer: 'windows', reason: 'ValidationException: Item size has exceeded the maximum allowed size' }),
    ]);
    expect(resultsOf(items).alerts).toEqual({ [ALERT_KEY.pk]: true });
    expect(outage).toEqual(expect.objectContaining({ message: expect.stringMatching(/injected/) }));
  });
});

describe('summarizeWindowAlerts', () => {
  /** A fired warnings-per-action alert of the test window for `action`. */
  const aWindowAlert = (action: string): WindowAlert => ({
    kind: 'window',
    ruleId: 'warnings-per-action',
    action,
    groupBy: 'action',
    windowStart: '2024-05-27T03:40:00.000Z',
    windowEnd: '2024-05-27T03:41:00.000Z',
    count: 10,
    threshold: 10,
    createdAt: NOW.toISOString(),
    approximate: false,
  });

  it('keeps the subject printable ASCII under 100 characters', () => {
    // prepare
    const alert = aWindowAlert('查看文档'.repeat(40));

    // act
    const note = summarizeWindowAlerts([alert, alert], 'prod');

    // assess
    expect(note?.subject.length).toBeLessThan(100);
    expect(note?.subject).toMatch(/^\[prod\] 2 window alerts: warnings-per-action \?+\.\.\.$/);
    expect(summarizeWindowAlerts([], 'prod')).toBeUndefined();
  });

  it("keeps the message under SNS's 256 KB for 2,000 alerts of groups at their 256-byte bound, marking the cut", () => {
    // prepare
    const alerts = Array.from({ length: 2000 }, (_, i) => aWindowAlert(`${i}`.padEnd(64, '😀')));

    // act
    const note = summarizeWindowAlerts(alerts, 'prod');

    // assess
    expect(Buffer.byteLength(note?.message ?? '')).toBeLessThanOrEqual(256 * 1024);
    expect(note?.message.endsWith('… (truncated)')).toBe(true);
  });
});
