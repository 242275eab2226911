import { useResultsTables } from '../../support/dynamodb-local';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { KinesisStreamRecord } from 'aws-lambda';
import { KEYS } from '../../../lambdas/shared/results-table';
import { createHandler } from '../../../lambdas/consumers/realtime';
import { DynamoResultsStore } from '../../../lambdas/consumers/dynamo-store';
import type { Item, ResultsStore } from '../../../lambdas/consumers/store';
import { MemoryResultsStore } from './memory-store';
import { createHandler as createWindowsHandler } from '../../../lambdas/consumers/windows';
import {
  aBatch,
  aPageView,
  aRechargeNotify,
  aRecord,
  aStreamEvent,
  aWindowEvent,
  FaultyStore,
  OTHER_SHARD,
  readable,
  resultsOf,
  SHARD,
  someDeps,
  someRecords,
  someWarnings,
  webEvents,
} from './factories';
import { STORE_SCENARIOS, withPlaceholder } from './store-scenarios';

/** One table per scenario, so that no scenario sees another's counters. */
const TABLES = ['semantics', 'redelivery', 'recount', 'conflict', 'windows', 'edges'] as const;

/** The realtime consumer's test batch: sessions, two error alerts, recharges with sum/min/max, a late event, a poison record. */
function someRecordsOfEverything(): KinesisStreamRecord[] {
  return [
    ...someRecords([
      aPageView('pv-1', '/home', '2024-05-27T03:40:00.000Z', { userId: 'u1', sessionId: 's1' }),
      aStreamEvent({
        eventId: 'err-1',
        action: 'pay',
        userId: 'u3',
        createdAt: '2024-05-27T03:40:10.000Z',
        errorMsg: '[error] gateway timeout',
      }),
      aPageView('pv-2', '/services', '2024-05-27T03:40:20.000Z', { userId: 'u1', sessionId: 's1' }),
      aRechargeNotify({ eventId: 'rc-1', fee: 50 }),
      aRechargeNotify({
        eventId: 'rc-2',
        fee: 0.1,
        start: '20240527114037000',
        notified: '20240527114039500',
        createdAt: '2024-05-27T03:40:40.000Z',
      }),
      aPageView('pv-3', '/blog', '2024-05-27T03:40:30.000Z', { userId: 'u2' }),
      aStreamEvent({ eventId: 'err-2', action: 'login', userId: 'u4', createdAt: '2024-05-27T03:41:15.000Z', errorMsg: '[PANIC] crash' }),
      aPageView('pv-4', '/contact', '2024-05-27T03:41:10.000Z', { userId: 'u1', sessionId: 's1' }),
      aStreamEvent({ eventId: 'late-1', userId: 'u5', createdAt: '2024-05-27T03:35:00.000Z', receivedAt: '2024-05-27T03:41:36.000Z' }),
      aPageView('pv-5', '/about', '2024-05-27T03:41:40.000Z', { userId: 'u2' }),
    ]),
    aRecord('{"not":"an event"}', 11),
    ...someRecords(
      [
        aPageView('pv-6', '/faq', '2024-05-27T03:41:50.000Z', { userId: 'u2' }),
        aPageView('pv-7', '/blog', '2024-05-27T03:41:55.000Z', { userId: 'u3' }),
      ],
      12,
    ),
  ];
}

describe('DynamoResultsStore against DynamoDB Local (the memory store is checked against the real thing)', () => {
  const tables = useResultsTables(TABLES);
  const scan = (table: string) => tables.scan(table);
  const storeOn = (table: (typeof TABLES)[number]) => new DynamoResultsStore(tables.doc(), table);

  /** What the memory store holds after the same deliveries. */
  async function onMemory(deliveries: readonly (readonly KinesisStreamRecord[])[]): Promise<MemoryResultsStore> {
    const deps = someDeps();
    const handle = createHandler(deps);
    for (const records of deliveries) await handle(aBatch(records));
    return deps.store;
  }

  it.each(STORE_SCENARIOS.map((s, i) => [s.name, i] as const))('semantics: %s', async (_name, i) => {
    // prepare
    const scenario = STORE_SCENARIOS[i];
    const pk = `T#${i}`;

    // act
    const result = await scenario?.run(storeOn('semantics'), pk);

    // assess
    expect(withPlaceholder(result, pk)).toEqual(scenario?.expected);
  });

  it('redelivery: a batch delivered three times leaves the same items as one delivery, the same items as the memory store, and one message', async () => {
    // prepare
    const deps = someDeps<ResultsStore>({ store: storeOn('redelivery') });
    const handle = createHandler(deps);
    const batch = aBatch(someRecordsOfEverything());

    // act
    await handle(batch);
    const once = (await scan('redelivery')).map(readable);
    await handle(batch);
    await handle(batch);

    // assess
    const after = (await scan('redelivery')).map(readable);
    expect(after).toEqual(once);
    expect(after).toEqual((await onMemory([batch.Records])).dump().map(readable));
    expect(deps.notifier.published).toHaveLength(1);
    // The adapter reports what DynamoDB billed, by analysis: each delivery wrote counters, the third only covered ones.
    const consumed = (deps.store as DynamoResultsStore).consumed();
    expect(consumed.write.metrics).toBeGreaterThan(0);
    expect(consumed.write.paths).toBeGreaterThan(0);
    expect(consumed.write.alerts).toBeGreaterThan(0);
    expect(consumed.read).toBeGreaterThan(0);
    const byDay = await tables.doc().send(
      new QueryCommand({
        TableName: 'redelivery',
        IndexName: 'byTime',
        KeyConditionExpression: 'gpk = :d',
        ExpressionAttributeValues: { ':d': KEYS.alertsByDay('2024-05-27') },
        ScanIndexForward: false,
      }),
    );
    expect(byDay.Items?.map((item) => item.id)).toEqual(['err-2', 'err-1']);
  });

  it('edge counters: step-carrying page views, redelivered from the middle, leave the items the memory store leaves', async () => {
    // prepare
    const deps = someDeps<ResultsStore>({ store: storeOn('edges') });
    const handle = createHandler(deps);
    const records = someRecords(webEvents(500, { seed: 5, rate: 50 }));

    // act
    await handle(aBatch(records.slice(0, 300)));
    await handle(aBatch(records.slice(150, 500)));

    // assess
    const items = (await scan('edges')).map(readable);
    expect(items).toEqual((await onMemory([records.slice(0, 300), records.slice(150, 500)])).dump().map(readable));
    expect(resultsOf(await scan('edges'))).toEqual(resultsOf((await onMemory([records])).dump()));
    expect((deps.store as DynamoResultsStore).consumed().write.edges).toBeGreaterThan(0);
  });

  it('conditional recount: a commit whose answer was lost, then a retry that starts later with new records, counts each record once', async () => {
    // prepare
    const records = someRecordsOfEverything();
    const store = new FaultyStore(storeOn('recount'));
    const deps = someDeps<ResultsStore>({ store });
    const handle = createHandler(deps);
    store.failOn((call) => call.kind === 'write' && call.op.kind === 'put' && String(call.op.item.pk).startsWith('SESSION#'), {
      when: 'after',
    });

    // act
    await expect(handle(aBatch(records.slice(0, 7)))).rejects.toThrow(/injected/);
    await handle(aBatch(records.slice(3)));

    // assess
    expect(resultsOf(await scan('recount'))).toEqual(resultsOf((await onMemory([records])).dump()));
    expect(deps.logger.lines.find((line) => line.message === 'batch processed')?.attributes.conditionalRetries).toBeGreaterThan(0);
  });

  it('sessions: a session item changed since it was read fails the batch (its put is conditional on the version), and the retry is exact', async () => {
    // prepare: another writer stores the session the batch is about to write, under a newer version
    const records = someRecordsOfEverything();
    const store = new FaultyStore(storeOn('conflict'));
    const deps = someDeps<ResultsStore>({ store });
    let target: Item | undefined;
    store.interfere(
      (call) => {
        if (call.kind !== 'write' || call.op.kind !== 'put' || !String(call.op.item.pk).startsWith('SESSION#')) return false;
        target = call.op.item;
        return true;
      },
      async (inner) => {
        if (target !== undefined) await inner.write({ kind: 'put', item: { ...target, v: Number(target.v) + 5 } });
      },
    );

    // act
    await expect(createHandler(deps)(aBatch(records))).rejects.toThrow(/session SESSION#.* changed since it was read/);
    await createHandler(deps)(aBatch(records));

    // assess
    expect(resultsOf(await scan('conflict')).ledgers).toEqual(resultsOf((await onMemory([records])).dump()).ledgers);
  });

  it('windows: a window split 6 + 4 across two shards, final invokes retried, raises one alert', async () => {
    // prepare
    const deps = someDeps<ResultsStore>({ store: storeOn('windows') });
    const handle = createWindowsHandler(deps);
    const window = { start: '2024-05-27T03:40:00Z', end: '2024-05-27T03:41:00Z' };
    const states = await Promise.all(
      (
        [
          [SHARD, 6],
          [OTHER_SHARD, 4],
        ] as const
      ).map(
        async ([shardId, count]) =>
          [
            shardId,
            (
              await handle(
                aWindowEvent({ records: someRecords(someWarnings(count, 'viewDoc', `${shardId}-`), 1, { shardId }), shardId, window }),
              )
            ).state,
          ] as const,
      ),
    );

    // act
    for (const [shardId, state] of [...states, ...states]) await handle(aWindowEvent({ state, shardId, final: true, window }));

    // assess
    const alerts = (await scan('windows')).filter((item) => String(item.pk).startsWith('ALERT#'));
    expect(alerts).toEqual([expect.objectContaining({ kind: 'window', action: 'viewDoc', count: 10, notified: true })]);
    expect(deps.notifier.published).toHaveLength(1);
  });
});
