import type { KinesisStreamRecord } from 'aws-lambda';
import { padSeq } from '../../../lambdas/analytics/records';
import type { StreamEvent } from '../../../lambdas/shared/event';
import { EDGE_SEPARATOR, KEYS } from '../../../lambdas/shared/results-table';
import { MAX_PACKED_EDGE_BYTES } from '../../../lambdas/analytics/edges';
import { itemBytes } from '../../../lambdas/consumers/store';
import { createHandler } from '../../../lambdas/consumers/realtime';
import type { ResultsStore, WriteOp } from '../../../lambdas/consumers/store';
import { MemoryResultsStore } from './memory-store';
import { SEED_DOCUMENT } from '../ingest/factories';
import {
  aBatch,
  NOW,
  aPageView,
  aRechargeNotify,
  aRecord,
  aSeq,
  aStreamEvent,
  edgeLines,
  FaultyStore,
  pathDocumentEvents,
  pkOf,
  readable,
  resultsOf,
  SHARD,
  someDeps,
  someRecords,
  someWarnings,
  webEvents,
  type StoreCall,
} from './factories';

/** A batch's worth of everything the consumer handles: sessions, errors, recharges (sum/min/max), a warning, a click, a late event. */
function mixedEvents(): StreamEvent[] {
  return [
    aPageView('pv-1', '/home', '2024-05-27T03:40:00.000Z', { userId: 'u1', sessionId: 's1' }),
    aPageView('pv-2', '/blog', '2024-05-27T03:40:05.000Z', { userId: 'u2' }),
    aStreamEvent({
      eventId: 'err-1',
      action: 'pay',
      userId: 'u3',
      createdAt: '2024-05-27T03:40:10.000Z',
      errorMsg: '[error] gateway timeout',
    }),
    aRechargeNotify({ eventId: 'rc-1', fee: 50, start: '20240527114036263', notified: '20240527114038100' }),
    aPageView('pv-3', '/services', '2024-05-27T03:40:20.000Z', { userId: 'u1', sessionId: 's1' }),
    aRechargeNotify({ eventId: 'rc-2', success: false, provinceCode: '571' }),
    aPageView('pv-4', '/about', '2024-05-27T03:40:30.000Z', { userId: 'u2' }),
    ...someWarnings(1, 'viewDoc'),
    aRechargeNotify({
      eventId: 'rc-3',
      fee: 30.5,
      start: '20240527114037000',
      notified: '20240527114039500',
      createdAt: '2024-05-27T03:40:40.000Z',
    }),
    aPageView('pv-5', '/contact', '2024-05-27T03:41:10.000Z', { userId: 'u1', sessionId: 's1' }),
    aStreamEvent({
      eventId: 'err-2',
      action: 'login',
      userId: 'u4',
      createdAt: '2024-05-27T03:41:15.000Z',
      errorMsg: '[PANIC] crash in auth',
    }),
    aPageView('pv-6', '/home', '2024-05-27T03:41:20.000Z', { userId: 'u3' }),
    aStreamEvent({
      eventId: 'click-1',
      action: 'click',
      userId: 'u1',
      sessionId: 's1',
      createdAt: '2024-05-27T03:41:25.000Z',
      props: { element: 'cta' },
    }),
    aPageView('pv-7', '/faq', '2024-05-27T03:41:30.000Z', { userId: 'u2' }),
    aStreamEvent({
      eventId: 'late-1',
      action: 'page_view',
      userId: 'u5',
      createdAt: '2024-05-27T03:35:00.000Z',
      receivedAt: '2024-05-27T03:41:36.000Z',
    }),
    aPageView('pv-8', '/blog', '2024-05-27T03:41:40.000Z', { userId: 'u3' }),
  ];
}

/** Records 1..16 of {@link mixedEvents}. */
const mixedRecords = (): KinesisStreamRecord[] => someRecords(mixedEvents());

/** Records `from..to` (1-based, inclusive) of a list. */
const part = (records: readonly KinesisStreamRecord[], from: number, to: number) => aBatch(records.slice(from - 1, to));

/** The store after processing `batches` once each, in order, with no failure. */
async function cleanRun(batches: readonly (readonly KinesisStreamRecord[])[]): Promise<MemoryResultsStore> {
  const deps = someDeps();
  const handle = createHandler(deps);
  for (const records of batches) await handle(aBatch(records));
  return deps.store;
}

/** The consumer over a faulty wrapper of a memory store. */
function faultyConsumer() {
  const memory = new MemoryResultsStore();
  const store = new FaultyStore(memory);
  const deps = someDeps<ResultsStore>({ store });
  return { deps, memory, store, handle: createHandler(deps) };
}

/** Records 1..300 delivered as 1..200 three times, then the bisected halves 1..100 and 101..300 (twice): the results of one clean run. */
async function expectExactUnderRedelivery(records: readonly KinesisStreamRecord[]): Promise<void> {
  // prepare
  const reference = resultsOf((await cleanRun([records])).dump());
  const deps = someDeps();
  const handle = createHandler(deps);

  // act
  for (let i = 0; i < 3; i++) await handle(part(records, 1, 200));
  await handle(part(records, 1, 100));
  await handle(part(records, 101, 300));
  await handle(part(records, 101, 300));

  // assess
  expect(resultsOf(deps.store.dump())).toEqual(reference);
}

const isSessionPut = (call: StoreCall) => call.kind === 'write' && call.op.kind === 'put' && pkOf(call.op).startsWith('SESSION#');
const isEdgeCounterWrite = (call: StoreCall) => call.kind === 'write' && pkOf(call.op).startsWith('PATHS#');
const isMetricUpdate = (call: StoreCall) => call.kind === 'write' && call.op.kind === 'update' && pkOf(call.op).startsWith('M#');

describe('realtime consumer: exactly once on an at-least-once stream', () => {
  it('the same batch delivered three times leaves identical store content and sends one SNS message', async () => {
    // prepare
    const deps = someDeps();
    const handle = createHandler(deps);
    const batch = aBatch([...mixedRecords(), aRecord('not json at all', 17)]);

    // act
    const first = await handle(batch);
    const afterFirst = deps.store.dump().map(readable);
    const firstCost = deps.store.itemsWritten;
    await handle(batch);
    await handle(batch);

    // assess
    expect(first).toEqual({ batchItemFailures: [] });
    expect(deps.store.dump().map(readable)).toEqual(afterFirst);
    expect(deps.notifier.published).toHaveLength(1);
    expect(deps.notifier.published[0]?.subject).toBe('[dev] 2 error events: login 1, pay 1');
    // A redelivery writes only the conditional checks of counters, alerts and the quarantine item: no session.
    expect((deps.store.itemsWritten - firstCost) / 2).toBeLessThan(firstCost);
  });

  it.each([
    ['before the first session write', (s: FaultyStore) => s.failOn(isSessionPut, { when: 'before' })],
    ['after a session write (its answer lost), before the others', (s: FaultyStore) => s.failOn(isSessionPut, { when: 'after' })],
    ['in the middle of the edge counter writes', (s: FaultyStore) => s.failOn(isEdgeCounterWrite, { when: 'after', skip: 1 })],
    ['in the middle of the metric writes', (s: FaultyStore) => s.failOn(isMetricUpdate, { when: 'before', skip: 2 })],
    [
      'before the SNS publish is marked (notified update)',
      (s: FaultyStore) => s.failOn((c) => c.kind === 'write' && c.op.kind === 'update' && 'notified' in (c.op.update.set ?? {})),
    ],
  ])('a failure %s, then a retry of the same batch: the same content as one clean delivery', async (_when, inject) => {
    // prepare
    const records = mixedRecords();
    const reference = (await cleanRun([records])).dump().map(readable);
    const { handle, memory, store, deps } = faultyConsumer();
    inject(store);

    // act
    await expect(handle(aBatch(records))).rejects.toThrow(/injected store failure/);
    const retried = await handle(aBatch(records));

    // assess
    expect(retried).toEqual({ batchItemFailures: [] });
    expect(memory.dump().map(readable)).toEqual(reference);
    expect(deps.notifier.published.length).toBeGreaterThanOrEqual(1);
  });

  it('after a failure, the bisected halves and then a batch that starts inside the first count each record once', async () => {
    // prepare
    const records = mixedRecords();
    const reference = resultsOf((await cleanRun([records.slice(0, 10), records.slice(10)])).dump());
    const { handle, memory, store } = faultyConsumer();
    store.failOn(isMetricUpdate, { when: 'before', skip: 3 });

    // act
    await expect(handle(part(records, 1, 10))).rejects.toThrow(/injected/);
    await handle(part(records, 1, 5));
    await handle(part(records, 6, 10));
    await handle(part(records, 6, 16));

    // assess
    expect(resultsOf(memory.dump())).toEqual(reference);
  });

  it('after a commit whose answer was lost, a retry that starts at a later record and brings new ones counts each record once (counters recounted above their watermark)', async () => {
    // prepare
    const records = mixedRecords();
    const reference = resultsOf((await cleanRun([records])).dump());
    const { handle, memory, store, deps } = faultyConsumer();
    store.failOn(isSessionPut, { when: 'after', skip: 1 });

    // act
    await expect(handle(part(records, 1, 10))).rejects.toThrow(/injected/);
    await handle(part(records, 6, 16));

    // assess
    expect(resultsOf(memory.dump())).toEqual(reference);
    const summary = deps.logger.lines.find((line) => line.message === 'batch processed')?.attributes;
    expect(summary).toMatchObject({ shardId: SHARD, records: 11, sessionKeys: 3 });
    expect(summary?.conditionalRetries).toBeGreaterThan(0);
  });

  it('when SNS fails, the batch fails; the retry finds the alerts un-notified and publishes them once', async () => {
    // prepare
    const deps = someDeps();
    const handle = createHandler(deps);
    const batch = aBatch(mixedRecords());
    deps.notifier.failNext();

    // act
    await expect(handle(batch)).rejects.toThrow(/SNS publish failed/);
    const unnotified = resultsOf(deps.store.dump()).alerts;
    await handle(batch);
    await handle(batch);

    // assess
    expect(unnotified).toEqual({ 'ALERT#error#err-1': false, 'ALERT#error#err-2': false });
    expect(resultsOf(deps.store.dump()).alerts).toEqual({ 'ALERT#error#err-1': true, 'ALERT#error#err-2': true });
    expect(deps.notifier.published).toHaveLength(1);
    expect(deps.notifier.published[0]?.message).toContain('event=err-1');
  });

  it("while SNS is down, still writes the batch's metrics and paths (each analysis runs even when another fails)", async () => {
    // prepare: a reference run with SNS up, and a run whose publishes keep failing
    const records = mixedRecords();
    const reference = resultsOf((await cleanRun([records])).dump());
    const deps = someDeps();
    deps.notifier.failNext(3);

    // act: the batch fails three times (retries exhausted, as when Lambda gives up on it)
    for (let i = 0; i < 3; i++) await expect(createHandler(deps)(aBatch(records))).rejects.toThrow(/SNS publish failed/);

    // assess: metrics and paths as in the clean run; the alerts stored, waiting to be notified
    const got = resultsOf(deps.store.dump());
    expect(Object.keys(got.metrics).length).toBeGreaterThan(0);
    expect(got.metrics).toEqual(reference.metrics);
    expect(got.ledgers).toEqual(reference.ledgers);
    expect(got.alerts).toEqual({ 'ALERT#error#err-1': false, 'ALERT#error#err-2': false });
  });
});

describe('realtime consumer: poison records', () => {
  it('quarantines a poison record with its reason and data, processes the others, and reports nothing failed', async () => {
    // prepare
    const deps = someDeps();
    const handle = createHandler(deps);
    const poison = aRecord('{"eventId":"x"', 3, { partitionKey: 'pk-9', arrivalMs: Date.parse('2024-05-27T03:40:41.500Z') });
    const records = [
      ...someRecords([aPageView('a', '/home', '2024-05-27T03:40:00.000Z'), aPageView('b', '/blog', '2024-05-27T03:40:01.000Z')]),
      poison,
      aRecord(aPageView('c', '/faq', '2024-05-27T03:40:02.000Z'), 4),
    ];

    // act
    const response = await handle(aBatch(records));
    await handle(aBatch(records));

    // assess
    expect(response).toEqual({ batchItemFailures: [] });
    const item = await deps.store.get(KEYS.quarantine('2024-05-27', SHARD, padSeq(aSeq(3))));
    expect(item).toMatchObject({
      reason: expect.stringMatching(/^not base64 JSON: /),
      data: poison.kinesis.data,
      partitionKey: 'pk-9',
      arrival: '2024-05-27T03:40:41.500Z',
      consumer: 'realtime',
      shardId: SHARD,
      sequenceNumber: aSeq(3),
      expiresAt: Math.floor(Date.parse('2024-05-27T03:45:00Z') / 1000) + 14 * 86_400,
    });
    expect(resultsOf(deps.store.dump()).quarantined).toHaveLength(1);
    expect(edgeLines(resultsOf(deps.store.dump()).ledgers['2024-05-27'])).toEqual(['/blog (2) → /faq (3): 1', '/home (1) → /blog (2): 1']);
  });

  it('a schema failure names the field in the quarantine reason', async () => {
    // prepare
    const deps = someDeps();
    const { userId: _dropped, ...noUser } = aStreamEvent();

    // act
    await createHandler(deps)(aBatch([aRecord(`${JSON.stringify(noUser)}\n`, 1)]));

    // assess
    expect(deps.store.dump()).toEqual([expect.objectContaining({ pk: 'QUARANTINE#2024-05-27', reason: 'field userId: is required' })]);
  });

  it('when a quarantine put fails, reports that record, processes only the records before it, and a retry from it completes the batch exactly', async () => {
    // prepare
    const records = [...mixedRecords().slice(0, 4), aRecord('\u0000garbage', 5), ...someRecords(mixedEvents().slice(4), 6)];
    const reference = resultsOf((await cleanRun([records])).dump());
    const { handle, memory, store } = faultyConsumer();
    store.failOn((c) => c.kind === 'write' && pkOf(c.op).startsWith('QUARANTINE#'));

    // act
    const first = await handle(aBatch(records));
    const afterFirst = resultsOf(memory.dump());
    const retry = await handle(aBatch(records.slice(4)));

    // assess
    expect(first).toEqual({ batchItemFailures: [{ itemIdentifier: aSeq(5) }] });
    expect(afterFirst.alerts).toEqual({ 'ALERT#error#err-1': true });
    expect(afterFirst.quarantined).toEqual([]);
    expect(retry).toEqual({ batchItemFailures: [] });
    expect(resultsOf(memory.dump())).toEqual(reference);
  });
});

describe('realtime consumer: error alerts', () => {
  it('puts an alert with the read-API fields and the byTime index keys', async () => {
    // prepare
    const deps = someDeps();

    // act
    await createHandler(deps)(aBatch(mixedRecords()));

    // assess
    expect(await deps.store.get(KEYS.errorAlert('err-1'))).toEqual({
      pk: 'ALERT#error#err-1',
      sk: 'A',
      gpk: 'ALERTS#2024-05-27',
      gsk: '2024-05-27T03:40:10.000Z#error#err-1',
      kind: 'error',
      id: 'err-1',
      eventId: 'err-1',
      action: 'pay',
      userId: 'u3',
      createdAt: '2024-05-27T03:40:10.000Z',
      errorMsg: '[error] gateway timeout',
      matched: '[error]',
      notified: true,
      owner: SHARD,
      expiresAt: Math.floor(Date.parse('2024-05-27T03:45:00Z') / 1000) + 35 * 86_400,
    });
  });

  it('a duplicate eventId under another sequence number (a producer retry) alerts once and adds one path step', async () => {
    // prepare
    const deps = someDeps();
    const handle = createHandler(deps);
    const error = aStreamEvent({
      eventId: 'err-9',
      action: 'pay',
      userId: 'u1',
      errorMsg: '[error] card declined',
      createdAt: '2024-05-27T03:40:00.000Z',
    });
    const home = aPageView('pv-a', '/home', '2024-05-27T03:40:01.000Z', { userId: 'u1', sessionId: 's1' });
    const cart = aPageView('pv-b', '/cart', '2024-05-27T03:40:02.000Z', { userId: 'u1', sessionId: 's1' });

    // act
    await handle(aBatch(someRecords([error, home, error, cart], 1)));
    await handle(aBatch(someRecords([error, cart], 5)));

    // assess
    expect(Object.keys(resultsOf(deps.store.dump()).alerts)).toEqual(['ALERT#error#err-9']);
    expect(deps.notifier.published).toHaveLength(1);
    expect(deps.notifier.published[0]?.subject).toBe('[dev] 1 error event: pay 1');
    const ledger = resultsOf(deps.store.dump()).ledgers['2024-05-27'];
    expect(edgeLines(ledger)).toEqual(['/home (1) → /cart (2): 1']);
  });

  it("re-notifies an alert left un-notified by this shard's earlier attempt, but not one another shard is about to notify", async () => {
    // prepare
    const deps = someDeps();
    const alert = (eventId: string, owner: string) => ({
      ...KEYS.errorAlert(eventId),
      kind: 'error',
      id: eventId,
      eventId,
      action: 'pay',
      userId: 'u1',
      createdAt: '2024-05-27T03:40:00.000Z',
      errorMsg: '[error] x',
      matched: '[error]',
      notified: false,
      owner,
    });
    await deps.store.write({ kind: 'put', item: alert('mine', SHARD) });
    await deps.store.write({ kind: 'put', item: alert('theirs', 'shardId-000000000009') });
    const events = ['mine', 'theirs'].map((eventId) =>
      aStreamEvent({ eventId, action: 'pay', errorMsg: '[error] x', createdAt: '2024-05-27T03:40:00.000Z' }),
    );

    // act
    await createHandler(deps)(aBatch(someRecords(events)));

    // assess
    expect(deps.notifier.published).toHaveLength(1);
    expect(deps.notifier.published[0]?.message).toContain('event=mine');
    expect(deps.notifier.published[0]?.message).not.toContain('event=theirs');
    expect(resultsOf(deps.store.dump()).alerts).toEqual({ 'ALERT#error#mine': true, 'ALERT#error#theirs': false });
  });
});

describe('realtime consumer: metrics', () => {
  it('counts per minute of event time (local zone), by action, with sums, min and max, and late events flagged', async () => {
    // prepare
    const deps = someDeps();

    // act
    await createHandler(deps)(aBatch(mixedRecords()));

    // assess
    const metrics = resultsOf(deps.store.dump()).metrics;
    expect(metrics['M#events##2024-05-27 | 2024-05-27T11:40#']).toEqual({ count: 9, late: 0 });
    expect(metrics['M#events##2024-05-27 | 2024-05-27T11:41#']).toEqual({ count: 6, late: 0 });
    expect(metrics['M#events##2024-05-27 | 2024-05-27T11:35#']).toEqual({ count: 1, late: 1 });
    expect(metrics['M#events#action#2024-05-27 | 2024-05-27T11:35#action=page_view']).toEqual({ count: 1, late: 1 });
    expect(metrics['M#recharge.amount##2024-05-27 | 2024-05-27T11:40#']).toEqual({ count: 2, late: 0, sum: 80.5 });
    expect(metrics['M#recharge.duration##2024-05-27 | 2024-05-27T11:40#']).toEqual({ count: 2, late: 0, sum: 4337, min: 1837, max: 2500 });
    expect(metrics['M#recharge.failures#props.provinceCode#2024-05-27 | 2024-05-27T11:40#props.provinceCode=571']).toEqual({
      count: 1,
      late: 0,
    });
    expect(await deps.store.get(KEYS.metricsCursor(SHARD))).toMatchObject({ newestEventTimeMs: Date.parse('2024-05-27T03:41:40.000Z') });
  });

  it('stores the plain fields the read API returns, the watermark and a TTL on each counter', async () => {
    // prepare
    const deps = someDeps();

    // act
    await createHandler(deps)(aBatch(mixedRecords()));

    // assess
    expect(await deps.store.get(KEYS.metric('events', 'action', '2024-05-27', '2024-05-27T11:41', 'action=page_view'))).toEqual({
      pk: 'M#events#action#2024-05-27',
      sk: '2024-05-27T11:41#action=page_view',
      metric: 'events',
      dims: 'action=page_view',
      minute: '2024-05-27T11:41',
      count: 4,
      late: 0,
      [`wm_${SHARD}`]: padSeq(aSeq(16)),
      expiresAt: Math.floor(Date.parse('2024-05-27T03:45:00Z') / 1000) + 35 * 86_400,
    });
  });

  it('judges lateness against the newest event time of earlier batches too (the cursor)', async () => {
    // prepare
    const deps = someDeps();
    const handle = createHandler(deps);
    const recent = aPageView('p1', '/home', '2024-05-27T03:50:00.000Z');
    const straggler = aStreamEvent({ eventId: 'p0', createdAt: '2024-05-27T03:44:00.000Z', receivedAt: '2024-05-27T03:50:02.000Z' });
    const inTime = aStreamEvent({ eventId: 'p2', createdAt: '2024-05-27T03:46:00.000Z', receivedAt: '2024-05-27T03:50:03.000Z' });

    // act
    await handle(aBatch([aRecord(recent, 1)]));
    await handle(aBatch([aRecord(straggler, 2), aRecord(inTime, 3)]));

    // assess
    const metrics = resultsOf(deps.store.dump()).metrics;
    expect(metrics['M#events##2024-05-27 | 2024-05-27T11:44#']).toEqual({ count: 1, late: 1 });
    expect(metrics['M#events##2024-05-27 | 2024-05-27T11:46#']).toEqual({ count: 1, late: 0 });
  });
  it("moves the newest event time within the cursor's minute in the total counter's write (no cursor write), and judges lateness against it", async () => {
    // prepare
    const { deps, memory, store, handle } = faultyConsumer();
    const isCursorWrite = (call: StoreCall) => call.kind === 'write' && pkOf(call.op).startsWith('CURSOR#metrics#');
    const first = aPageView('p1', '/home', '2024-05-27T03:50:00.000Z');
    const sameMinute = aStreamEvent({ eventId: 'p2', createdAt: '2024-05-27T03:50:59.000Z', receivedAt: '2024-05-27T03:51:00.000Z' });
    // 329 s behind the newest event time (late, past 300 s), 270 s behind the cursor item's time.
    const straggler = aStreamEvent({ eventId: 'p3', createdAt: '2024-05-27T03:45:30.000Z', receivedAt: '2024-05-27T03:51:01.000Z' });
    const nextMinute = aStreamEvent({ eventId: 'p4', createdAt: '2024-05-27T03:51:05.000Z', receivedAt: '2024-05-27T03:51:06.000Z' });

    // act
    await handle(aBatch([aRecord(first, 1)]));
    await handle(aBatch([aRecord(sameMinute, 2)]));
    const cursorWritesInMinute = store.calls.filter(isCursorWrite).length;
    await handle(aBatch([aRecord(straggler, 3)]));
    await handle(aBatch([aRecord(nextMinute, 4)]));

    // assess
    expect(cursorWritesInMinute).toBe(1);
    expect(store.calls.filter(isCursorWrite)).toHaveLength(2);
    const metrics = resultsOf(memory.dump()).metrics;
    expect(metrics['M#events##2024-05-27 | 2024-05-27T11:45#']).toEqual({ count: 1, late: 1 });
    expect(await memory.get(KEYS.metricsCursor(SHARD))).toMatchObject({ newestEventTimeMs: Date.parse('2024-05-27T03:51:05.000Z') });
    expect(await memory.get(KEYS.metric('events', '', '2024-05-27', '2024-05-27T11:50', ''))).toMatchObject({
      count: 2,
      [`nt_${SHARD}`]: Date.parse('2024-05-27T03:50:59.000Z'),
    });
    expect(deps.logger.lines.filter((line) => line.message === 'batch processed')).toHaveLength(4);
  });

  it('writes the cursor item when the total counter that would carry the newest time was written by an earlier attempt (a bisected retry)', async () => {
    // prepare
    const { memory, store, handle } = faultyConsumer();
    const early = aPageView('p1', '/home', '2024-05-27T03:50:00.000Z');
    const later = aPageView('p2', '/home', '2024-05-27T03:50:20.000Z');
    const nextMinute = aPageView('p3', '/home', '2024-05-27T03:51:10.000Z');
    // 310 s behind 03:50:20 (late), 290 s behind 03:50:00.
    const straggler = aPageView('p4', '/home', '2024-05-27T03:45:10.000Z', { receivedAt: '2024-05-27T03:51:30.000Z' });
    await handle(aBatch([aRecord(early, 1)]));
    // The whole batch (2..3) writes its counters, then the cursor write fails.
    store.failOn((call) => call.kind === 'write' && pkOf(call.op).startsWith('CURSOR#metrics#'), { times: 1 });
    await expect(handle(aBatch([aRecord(later, 2), aRecord(nextMinute, 3)]))).rejects.toThrow(/injected/);

    // act: the first half alone (its newest time is in the cursor's minute, its total counter is covered), then the rest
    await handle(aBatch([aRecord(later, 2)]));
    const afterHalf = await memory.get(KEYS.metricsCursor(SHARD));
    await handle(aBatch([aRecord(straggler, 4)]));

    // assess
    expect(afterHalf).toMatchObject({ newestEventTimeMs: Date.parse('2024-05-27T03:50:20.000Z') });
    expect(resultsOf(memory.dump()).metrics['M#events##2024-05-27 | 2024-05-27T11:45#']).toEqual({ count: 1, late: 1 });
  });
  it("judges lateness as a clean run does when a metric write fails before the cursor minute's total counter carries the newest time", async () => {
    // prepare: the cursor at 03:50:00; a batch whose first record is 290 s behind it (not late) and whose
    // newest (03:50:30, the cursor's minute) would make it 320 s behind (late) if it were already stored
    const first = aPageView('p1', '/home', '2024-05-27T03:50:00.000Z');
    const straggler = aPageView('p2', '/home', '2024-05-27T03:45:10.000Z', { receivedAt: '2024-05-27T03:50:31.000Z' });
    const newer = aPageView('p3', '/home', '2024-05-27T03:50:30.000Z', { receivedAt: '2024-05-27T03:50:31.000Z' });
    const reference = resultsOf((await cleanRun([[aRecord(first, 1)], [aRecord(straggler, 2), aRecord(newer, 3)]])).dump());
    const { memory, store, handle } = faultyConsumer();
    await handle(aBatch([aRecord(first, 1)]));
    const isStragglerMinute = (call: StoreCall) =>
      isMetricUpdate(call) && call.kind === 'write' && call.op.kind === 'update' && String(call.op.key.sk).startsWith('2024-05-27T11:45');
    store.failOn(isStragglerMinute, { when: 'before', times: 1 });

    // act
    await expect(handle(aBatch([aRecord(straggler, 2), aRecord(newer, 3)]))).rejects.toThrow(/injected/);
    await handle(aBatch([aRecord(straggler, 2), aRecord(newer, 3)]));

    // assess
    const results = resultsOf(memory.dump());
    expect(results.metrics['M#events##2024-05-27 | 2024-05-27T11:45#']).toEqual({ count: 1, late: 0 });
    expect(results.metrics).toEqual(reference.metrics);
  });
});

describe('realtime consumer: paths', () => {
  it('the path-analysis sample document gives the Sankey edges its order implies, and posting it twice gives the same weights', async () => {
    // prepare
    const deps = someDeps();
    const handle = createHandler(deps);
    const firstPost = pathDocumentEvents([SEED_DOCUMENT], new Date('2024-05-27T03:53:00.000Z'));
    const secondPost = pathDocumentEvents([SEED_DOCUMENT], new Date('2024-05-27T03:55:00.000Z'));

    // act
    await handle(aBatch(someRecords(firstPost, 1)));
    const once = resultsOf(deps.store.dump()).ledgers;
    await handle(aBatch(someRecords(secondPost, 10)));

    // assess
    expect(edgeLines(once['2024-05-27'])).toEqual([
      '/about (2) → /services (3): 1',
      '/about (4) → /blog (5): 1',
      '/blog (1) → /about (2): 1',
      '/services (3) → /about (4): 1',
    ]);
    // Its page views carry their steps (ingest numbers them), so no session: full_path comes from the
    // daily report. A repost counts its edges again, as a resent eventId does in every real-time
    // counter; the daily report removes duplicates by eventId.
    expect(deps.store.dump().some((item) => String(item.pk).startsWith('SESSION#'))).toBe(false);
    expect(edgeLines(resultsOf(deps.store.dump()).ledgers['2024-05-27'])).toEqual([
      '/about (2) → /services (3): 2',
      '/about (4) → /blog (5): 2',
      '/blog (1) → /about (2): 2',
      '/services (3) → /about (4): 2',
    ]);
  });

  it('the same document without steps (as sessions see it) gives the same edges, and the same weights when posted twice', async () => {
    // prepare
    const deps = someDeps();
    const handle = createHandler(deps);
    const withoutSteps = (receivedAt: string) =>
      pathDocumentEvents([SEED_DOCUMENT], new Date(receivedAt)).map(({ step: _step, prevPath: _prev, ...event }) => event);

    // act
    await handle(aBatch(someRecords(withoutSteps('2024-05-27T03:53:00.000Z'), 1)));
    const once = resultsOf(deps.store.dump()).ledgers;
    await handle(aBatch(someRecords(withoutSteps('2024-05-27T03:55:00.000Z'), 10)));

    // assess
    expect(edgeLines(once['2024-05-27'])).toEqual([
      '/about (2) → /services (3): 1',
      '/about (4) → /blog (5): 1',
      '/blog (1) → /about (2): 1',
      '/services (3) → /about (4): 1',
    ]);
    expect(resultsOf(deps.store.dump()).ledgers).toEqual(once);
  });

  it('quarantines, with the reason, a valid record whose write DynamoDB refuses, counts every other record exactly, and still retries on a dependency failure', async () => {
    // prepare
    const refused = (call: StoreCall) =>
      call.kind === 'write' && pkOf(call.op).startsWith('M#events#action#') && JSON.stringify(call.op).includes('action=refused');
    const validation = Object.assign(
      new Error('One or more parameter values were invalid: Size of hashkey has exceeded the maximum size limit of 2048 bytes'),
      { name: 'ValidationException' },
    );
    const store = new FaultyStore(new MemoryResultsStore());
    store.interfere(refused, async () => Promise.reject(validation), 1_000);
    const deps = someDeps<ResultsStore>({ store });
    const events = [...someWarnings(3, 'viewDoc'), aStreamEvent({ eventId: 'bad', action: 'refused' }), ...someWarnings(3, 'click')];
    const reference = someDeps();
    await createHandler(reference)(aBatch(someRecords(events)));
    const down = new FaultyStore(new MemoryResultsStore());
    down.failOn((call) => call.kind === 'write', { times: 1_000 });

    // act
    const response = await createHandler(deps)(aBatch(someRecords(events)));
    const outage = await createHandler(someDeps<ResultsStore>({ store: down }))(aBatch(someRecords(events))).then(
      () => undefined,
      (error: unknown) => error,
    );

    // assess
    expect(response.batchItemFailures).toEqual([]);
    const items = (store.inner as MemoryResultsStore).dump();
    const quarantined = items.filter((item) => String(item.pk).startsWith('QUARANTINE#'));
    expect(quarantined).toEqual([
      expect.objectContaining({
        sequenceNumber: aSeq(4),
        reason: expect.stringContaining('ValidationException: One or more parameter values were invalid'),
      }),
    ]);
    const counted = resultsOf(items).metrics;
    const expected = resultsOf(reference.store.dump()).metrics;
    for (const action of ['viewDoc', 'click']) {
      const id = `M#events#action#2024-05-27 | 2024-05-27T11:40#action=${action}`;
      expect(counted[id]).toEqual(expected[id]);
    }
    // The quarantined record stays counted where it could be stored (the first attempt wrote the total before the refusal).
    expect(counted['M#events##2024-05-27 | 2024-05-27T11:40#']).toEqual(expect.objectContaining({ count: 7 }));
    expect(outage).toEqual(expect.objectContaining({ message: expect.stringMatching(/injected store failure/) }));
    expect(down.calls.some((call) => call.kind === 'write' && pkOf(call.op).startsWith('QUARANTINE#'))).toBe(false);
  });
});

describe('realtime consumer: write cost', () => {
  it('writes at most 25 items per 1,000 events of the web scenario in batches of 1,000', async () => {
    // prepare
    const deps = someDeps();
    const handle = createHandler(deps);
    const events = webEvents(5000, { seed: 42, rate: 10 });
    const perBatch: number[] = [];

    // act
    for (let start = 0; start < events.length; start += 1000) {
      deps.store.resetStats();
      await handle(aBatch(someRecords(events.slice(start, start + 1000), start + 1)));
      perBatch.push(deps.store.itemsWritten);
    }

    // assess
    const stats = deps.store.stats;
    console.log(
      `web scenario, batches of 1,000 events: items written per batch ${perBatch.join(', ')} ` +
        `(last batch: ${stats.updates} updates, ${stats.puts} puts)`,
    );
    for (const written of perBatch) expect(written).toBeLessThanOrEqual(25);
  });
});

describe('realtime consumer: write cost of step-less page views', () => {
  it('writes one session item per session the batch touches, each under 1 KB (1 WRU), whatever the rate', async () => {
    for (const [rate, size] of [
      [5, 10],
      [1000, 1000],
    ] as const) {
      // prepare
      const deps = someDeps();
      const handle = createHandler(deps);
      const events = webEvents(3000, { seed: 3, rate, steps: false });
      let puts = 0;
      let touched = 0;

      // act
      for (let start = 0; start < events.length; start += size) {
        const batch = events.slice(start, start + size);
        deps.store.resetStats();
        await handle(aBatch(someRecords(batch, start + 1)));
        puts += deps.store.stats.puts;
        touched += new Set(batch.filter((e) => e.path !== undefined).map((e) => `${e.userId}|${e.sessionId ?? ''}`)).size;
      }

      // assess
      const sizes = deps.store
        .dump()
        .filter((item) => String(item.pk).startsWith('SESSION#'))
        .map((item) => itemBytes(item))
        .sort((a, b) => a - b);
      console.log(
        `step-less web traffic at ${rate} events/s, batches of ${size}: ${puts} session puts for ${touched} sessions touched; ` +
          `item bytes p50 ${sizes[sizes.length >> 1]}, max ${sizes[sizes.length - 1]}`,
      );
      expect(puts).toBe(touched);
      expect(sizes[sizes.length - 1]).toBeLessThanOrEqual(1024);
    }
  });
});

describe('realtime consumer: Sankey edges of step-carrying page views', () => {
  const isEdgeUpdate = (call: StoreCall) => call.kind === 'write' && call.op.kind === 'update' && pkOf(call.op).startsWith('PATHS#');

  it('counts the same edges as sessions of the same traffic without steps, with no session state', async () => {
    // prepare
    const stepped = someRecords(webEvents(600, { seed: 11, rate: 20 }));
    const stepless = someRecords(webEvents(600, { seed: 11, rate: 20, steps: false }));

    // act
    const withSteps = await cleanRun([stepped.slice(0, 250), stepped.slice(250)]);
    const withoutSteps = await cleanRun([stepless.slice(0, 250), stepless.slice(250)]);

    // assess
    const edges = edgeLines(resultsOf(withSteps.dump()).ledgers['2024-05-27']);
    expect(edges.length).toBeGreaterThan(20);
    expect(edges).toEqual(edgeLines(resultsOf(withoutSteps.dump()).ledgers['2024-05-27']));
    expect(withSteps.dump().some((item) => String(item.pk).startsWith('SESSION#'))).toBe(false);
  });

  it('stay exact when a batch fails after some edge counters were written and is retried from the middle (recounted above their watermark)', async () => {
    // prepare
    const records = someRecords(webEvents(400, { seed: 12, rate: 20 }));
    const reference = resultsOf((await cleanRun([records])).dump());
    const { handle, memory, store, deps } = faultyConsumer();
    store.failOn(isEdgeUpdate, { when: 'after', skip: 5 });

    // act: the first attempt commits 6 edge counters, then fails; the retry starts at record 150
    await expect(handle(part(records, 1, 300))).rejects.toThrow(/injected/);
    await handle(part(records, 150, 300));
    await handle(part(records, 301, 400));

    // assess
    expect(resultsOf(memory.dump())).toEqual(reference);
    const retried = deps.logger.lines.find((line) => line.message === 'batch processed')?.attributes;
    expect(retried?.edgeConditionalRetries).toBeGreaterThan(0);
  });

  it('count each record once when every batch is delivered three times and bisected halves follow', async () => {
    await expectExactUnderRedelivery(someRecords(webEvents(300, { seed: 13, rate: 20 })));
  });

  it('bound long pages in edge names, and give edges past the packed item bound items of their own, counted exactly across a retry', async () => {
    // prepare: 120 distinct long pages at step 2 (far more than one packed item takes), then the same again
    const long = (i: number) => `/${'页'.repeat(400)}${i}`;
    const events = Array.from({ length: 240 }, (_, i) =>
      aStreamEvent({
        eventId: `e${i}`,
        action: 'page_view',
        userId: `u${i}`,
        sessionId: `s${i}`,
        path: long(i % 120),
        step: 2,
        prevPath: '/home',
      }),
    );
    const records = someRecords(events);
    const { handle, memory, store } = faultyConsumer();
    store.failOn(isEdgeUpdate, { when: 'after', skip: 40 });

    // act
    await expect(handle(part(records, 1, 180))).rejects.toThrow(/injected/);
    await handle(part(records, 1, 180));
    await handle(part(records, 100, 240));

    // assess
    const edges = resultsOf(memory.dump()).ledgers['2024-05-27']?.edges ?? {};
    expect(Object.keys(edges)).toHaveLength(120);
    expect(Object.values(edges).every((n) => n === 2)).toBe(true);
    const items = memory.dump().filter((item) => String(item.sk).startsWith('E#'));
    const packed = items.filter((item) => item.source === undefined);
    expect(packed).toHaveLength(1);
    expect(items.length).toBeGreaterThan(100);
    for (const item of items) {
      expect(Buffer.byteLength(String(item.sk))).toBeLessThanOrEqual(1024);
      expect(itemBytes(item)).toBeLessThanOrEqual(MAX_PACKED_EDGE_BYTES + 200);
    }
    for (const edge of Object.keys(edges)) {
      const [source, target] = edge.split(EDGE_SEPARATOR);
      expect(source).toBe('/home (1)');
      expect(target).toMatch(/^\/页+…[0-9a-f]{16} \(2\)$/);
    }
  });
});

describe('realtime consumer: sessions of step-less page views', () => {
  /** Step-less web traffic with every 7th page view 90 s late in event time (it lands before earlier pages of its session). */
  const latecomers = (count: number, seed: number): KinesisStreamRecord[] =>
    someRecords(
      webEvents(count, { seed, rate: 20, steps: false }).map((event, i) =>
        i % 7 === 3 ? { ...event, createdAt: new Date(Date.parse(event.createdAt) - 90_000).toISOString() } : event,
      ),
    );
  const edgesOfRun = (store: MemoryResultsStore) => resultsOf(store.dump()).ledgers;

  it('count the same edges as the same traffic with steps when nothing is late, and correct the late page views exactly', async () => {
    // prepare
    const stepless = someRecords(webEvents(500, { seed: 21, rate: 20, steps: false }));
    const stepped = someRecords(webEvents(500, { seed: 21, rate: 20 }));
    const late = latecomers(500, 21);

    // act
    const withoutSteps = await cleanRun([stepless.slice(0, 100), stepless.slice(100, 350), stepless.slice(350)]);
    const withSteps = await cleanRun([stepped]);
    const lateInOne = await cleanRun([late]);
    const lateOneByOne = await cleanRun(late.map((r) => [r]));

    // assess: corrections of late page views (−1/+1) add up to the edges of the sessions as they end up
    expect(edgesOfRun(withoutSteps)).toEqual(edgesOfRun(withSteps));
    expect(edgesOfRun(lateInOne)).toEqual(edgesOfRun(lateOneByOne));
    expect(edgesOfRun(lateInOne)).not.toEqual(edgesOfRun(withoutSteps));
    expect(Object.values(edgesOfRun(lateInOne)['2024-05-27']?.edges ?? {}).every((w) => w > 0)).toBe(true);
  });

  it('stay exact when DynamoDB fails mid-batch and Lambda retries the bisected halves, then a batch that starts in the middle of them', async () => {
    // prepare
    const records = latecomers(600, 22);
    const reference = resultsOf((await cleanRun([records.slice(0, 300), records.slice(300)])).dump());
    const { handle, memory, store, deps } = faultyConsumer();
    store.failOn(isEdgeCounterWrite, { when: 'after', skip: 2 });

    // act: the first attempt commits 3 edge counters and fails; the halves are retried, then a batch starting at record 151
    await expect(handle(part(records, 1, 300))).rejects.toThrow(/injected/);
    await handle(part(records, 1, 150));
    await handle(part(records, 151, 300));
    await handle(part(records, 151, 450));
    await handle(part(records, 451, 600));

    // assess
    expect(resultsOf(memory.dump())).toEqual(reference);
    expect(deps.logger.lines.some((line) => line.message === 'batch processed' && Number(line.attributes.edgeConditionalRetries) > 0)).toBe(
      true,
    );
  });

  it('stay exact when the session writes fail after some of them, and the retry starts in the middle and brings new records', async () => {
    // prepare
    const records = latecomers(600, 23);
    const reference = resultsOf((await cleanRun([records])).dump());
    const { handle, memory, store } = faultyConsumer();
    store.failOn(isSessionPut, { when: 'after', skip: 10 });

    // act: the counters and 11 sessions of records 1..300 are stored; the retry from record 1 finds them, then one from 200
    await expect(handle(part(records, 1, 300))).rejects.toThrow(/injected/);
    await handle(part(records, 1, 300));
    await handle(part(records, 200, 450));
    await handle(part(records, 451, 600));

    // assess
    expect(resultsOf(memory.dump())).toEqual(reference);
  });

  it('count each record once when every batch is delivered three times and bisected halves follow', async () => {
    await expectExactUnderRedelivery(latecomers(300, 24));
  });

  it('read and write only the session items of the keys a batch touches, however many sessions are open, each with a TTL and a bounded key', async () => {
    // prepare: 2,000 open sessions of other users, then a batch of 12 page views of 3 users (one with a long id)
    const deps = someDeps();
    const handle = createHandler(deps);
    const others = Array.from({ length: 2000 }, (_, i) =>
      aPageView(`o${i}`, `/p${i % 9}`, '2024-05-27T03:40:00.000Z', { userId: `other-${i}` }),
    );
    const long = '用'.repeat(64);
    const users = [{ userId: 'u1' }, { userId: 'u2' }, { userId: long, sessionId: long }];
    const batch = Array.from({ length: 12 }, (_, i) =>
      aPageView(`b${i}`, `/q${i % 4}`, new Date(Date.parse('2024-05-27T03:41:00.000Z') + i * 1000).toISOString(), users[i % 3]),
    );
    for (let i = 0; i < others.length; i += 500) await handle(aBatch(someRecords(others.slice(i, i + 500), i + 1)));
    // The same batch on a table with one other session (so the metrics cursor exists there too).
    const empty = someDeps();
    const handleEmpty = createHandler(empty);
    await handleEmpty(aBatch(someRecords([aPageView('e0', '/p0', '2024-05-27T03:40:00.000Z', { userId: 'other-e' })], 1)));
    empty.store.resetStats();
    await handleEmpty(aBatch(someRecords(batch, 5000)));
    deps.store.resetStats();

    // act
    await handle(aBatch(someRecords(batch, 5000)));

    // assess: 3 session items read and written, as on a table with one other session
    const sessionItems = deps.store.dump().filter((item) => String(item.pk).startsWith('SESSION#'));
    expect(sessionItems).toHaveLength(2003);
    expect(deps.store.stats).toEqual(empty.store.stats);
    expect(deps.store.stats.puts).toBe(3);
    expect(deps.store.stats.keysRead).toBeLessThan(20);
    for (const item of sessionItems) {
      expect(Buffer.byteLength(String(item.pk))).toBeLessThanOrEqual(250);
      expect(Number(item.expiresAt)).toBeGreaterThan(NOW.getTime() / 1000 + 1800);
    }
    expect(sessionItems.some((item) => String(item.pk).includes('…'))).toBe(true);
  });

  it('fail the batch when a session item changed since it was read (another consumer on the shard), and the retry is exact', async () => {
    // prepare: another writer stores the session the batch is about to write, under a newer version
    const records = latecomers(100, 25);
    const reference = resultsOf((await cleanRun([records])).dump());
    const { handle, memory, store } = faultyConsumer();
    let target: WriteOp | undefined;
    const firstSessionPut = (call: StoreCall): boolean => {
      if (!isSessionPut(call) || call.kind !== 'write') return false;
      target = call.op;
      return true;
    };
    store.interfere(firstSessionPut, async (inner) => {
      if (target?.kind === 'put') await inner.write({ kind: 'put', item: { ...target.item, v: Number(target.item.v) + 5 } });
    });

    // act
    const failure = handle(aBatch(records));
    await expect(failure).rejects.toThrow(/session SESSION#.* changed since it was read/);
    await handle(aBatch(records));

    // assess
    expect(resultsOf(memory.dump())).toEqual(reference);
  });
});
