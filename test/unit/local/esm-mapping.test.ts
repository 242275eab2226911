/**
 * The Kinesis event-source mapping stand-in against a real in-process kinesalite:
 * batching, partial failures, bisect, retry and age limits with the on-failure destination,
 * restart from file checkpoints, several shards.
 */
import { promises as fsp } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { FileCheckpointStore, KinesisEventSourceMapping, MemoryFailureDestination, jsonLinesDestinationFor } from '../../../local/esm';
import type { KinesisEventSourceMappingOptions, KinesisOnFailureRecord } from '../../../local/esm';
import { LocalFunction } from '../../../local/lambda';
import { FAST_TIMING, decode, fakeFunction, sleep, startKinesalite, waitFor } from './esm-harness';
import type { Kinesis } from './esm-harness';

let kinesis: Kinesis;
let tmp: string;
const mappings: KinesisEventSourceMapping[] = [];
const logs: string[] = [];
let streamCounter = 0;

beforeAll(async () => {
  kinesis = await startKinesalite();
  tmp = await fsp.mkdtemp(path.join(os.tmpdir(), 'esm-mapping-'));
});

afterEach(async () => {
  await Promise.all(mappings.splice(0).map((m) => m.stop()));
});

afterAll(async () => {
  await kinesis.close();
  await fsp.rm(tmp, { recursive: true, force: true });
});

async function newStream(shards = 1): Promise<{ name: string; arn: string }> {
  streamCounter += 1;
  const name = `test-stream-${streamCounter}`;
  const arn = await kinesis.createStream(name, shards);
  return { name, arn };
}

function mapping(
  opts: Pick<KinesisEventSourceMappingOptions, 'streamName' | 'properties' | 'invoke'> & Partial<KinesisEventSourceMappingOptions>,
): KinesisEventSourceMapping {
  const m = new KinesisEventSourceMapping({
    id: `map-${opts.streamName}`,
    functionName: 'consumer',
    client: kinesis.client,
    log: (line) => logs.push(line),
    timing: FAST_TIMING,
    ...opts,
  });
  mappings.push(m);
  return m;
}

const items = (n: number, from = 0, extra: Record<string, unknown> = {}): Array<{ key: string; data: unknown }> =>
  Array.from({ length: n }, (_, i) => ({ key: `user-${from + i}`, data: { i: from + i, ...extra } }));

test('batches by BatchSize and MaximumBatchingWindowInSeconds, with events shaped like AWS', async () => {
  const { name, arn } = await newStream();
  const fn = fakeFunction(() => null);
  const m = mapping({
    streamName: name,
    region: 'eu-west-1',
    invokeIdentityArn: 'arn:aws:iam::000000000000:role/consumer-role',
    properties: { StartingPosition: 'TRIM_HORIZON', BatchSize: 10, MaximumBatchingWindowInSeconds: 1 },
    invoke: fn.invoke,
  });
  await m.start();
  const seqs = await kinesis.put(name, items(25));
  await waitFor(() => fn.calls.length === 3, 5000, 'three batches');
  expect(fn.calls.map((c) => c.event.Records.length)).toEqual([10, 10, 5]);
  expect(fn.calls.flatMap((c) => c.seqs)).toEqual(seqs);
  // The two full batches go at once; the remainder waits for the 1 s batching window.
  expect(fn.calls[1].at - fn.calls[0].at).toBeLessThan(500);
  expect(fn.calls[2].at - fn.calls[0].at).toBeGreaterThanOrEqual(800);

  const event = fn.calls[0].event;
  expect(Object.keys(event)).toEqual(['Records']);
  const r = event.Records[3];
  expect(r).toEqual({
    kinesis: {
      kinesisSchemaVersion: '1.0',
      partitionKey: 'user-3',
      sequenceNumber: seqs[3],
      data: Buffer.from(JSON.stringify({ i: 3 })).toString('base64'),
      approximateArrivalTimestamp: expect.any(Number),
    },
    eventSource: 'aws:kinesis',
    eventVersion: '1.0',
    eventID: `shardId-000000000000:${seqs[3]}`,
    eventName: 'aws:kinesis:record',
    invokeIdentityArn: 'arn:aws:iam::000000000000:role/consumer-role',
    awsRegion: 'eu-west-1',
    eventSourceARN: arn,
  });
  expect(Math.abs(r.kinesis.approximateArrivalTimestamp - Date.now() / 1000)).toBeLessThan(10);
  expect(decode(r)).toEqual({ i: 3 });

  // Records that arrive within the batching window join one batch.
  await kinesis.put(name, items(3, 100));
  await sleep(300);
  await kinesis.put(name, items(2, 103));
  await waitFor(() => fn.calls.length === 4, 5000, 'fourth batch');
  await sleep(1200);
  expect(fn.calls).toHaveLength(4);
  expect(fn.calls[3].event.Records.map((x) => (decode(x) as { i: number }).i)).toEqual([100, 101, 102, 103, 104]);
  expect(m.status()[0]).toMatchObject({ shardId: 'shardId-000000000000', buffered: 0, finished: false });
});

test('StartingPosition LATEST skips what was in the stream before start', async () => {
  const { name } = await newStream();
  await kinesis.put(name, items(3));
  const fn = fakeFunction(() => null);
  const m = mapping({ streamName: name, properties: { StartingPosition: 'LATEST' }, invoke: fn.invoke });
  await m.start();
  const seqs = await kinesis.put(name, items(2, 10));
  await waitFor(() => fn.calls.flatMap((c) => c.seqs).length >= 2);
  await sleep(300);
  expect(fn.calls.flatMap((c) => c.seqs)).toEqual(seqs);
});

test('ReportBatchItemFailures: checkpoints before the lowest failed sequence number and retries from there', async () => {
  const { name } = await newStream();
  let seqs: string[] = [];
  const fn = fakeFunction((_event, call) =>
    call === 0 ? { batchItemFailures: [{ itemIdentifier: seqs[6] }, { itemIdentifier: seqs[3] }] } : { batchItemFailures: [] },
  );
  const m = mapping({
    streamName: name,
    properties: { StartingPosition: 'TRIM_HORIZON', BatchSize: 10, FunctionResponseTypes: ['ReportBatchItemFailures'] },
    invoke: fn.invoke,
  });
  await m.start();
  seqs = await kinesis.put(name, items(10));
  await waitFor(() => fn.calls.length === 2);
  await sleep(200);
  expect(fn.calls).toHaveLength(2);
  expect(fn.calls[0].seqs).toEqual(seqs);
  expect(fn.calls[1].seqs).toEqual(seqs.slice(3));
  expect(m.status()[0].checkpoint).toBe(seqs[9]);
});

test('ReportBatchItemFailures: an empty or unknown itemIdentifier fails the whole batch', async () => {
  const { name } = await newStream();
  const answers: unknown[] = [
    { batchItemFailures: [{ itemIdentifier: '' }] },
    { batchItemFailures: [{ itemIdentifier: '12345' }] },
    { batchItemFailures: null },
  ];
  const fn = fakeFunction((_event, call) => answers[call] ?? null);
  const m = mapping({
    streamName: name,
    properties: { StartingPosition: 'TRIM_HORIZON', BatchSize: 10, FunctionResponseTypes: ['ReportBatchItemFailures'] },
    invoke: fn.invoke,
  });
  await m.start();
  const seqs = await kinesis.put(name, items(4));
  await waitFor(() => fn.calls.length === 3);
  await sleep(200);
  expect(fn.calls.map((c) => c.seqs)).toEqual([seqs, seqs, seqs]);
});

test('BisectBatchOnFunctionError isolates a poison record; only it goes to the on-failure destination', async () => {
  const { name, arn } = await newStream();
  const sink = new MemoryFailureDestination();
  const fn = fakeFunction((event) => {
    if (event.Records.some((r) => (decode(r) as { poison?: boolean }).poison)) throw new Error('cannot parse record');
    return null;
  });
  const m = mapping({
    streamName: name,
    functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:consumer',
    properties: {
      StartingPosition: 'TRIM_HORIZON',
      BatchSize: 8,
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 1,
      DestinationConfig: { OnFailure: { Destination: 'arn:aws:sqs:us-east-1:000000000000:dlq' } },
    },
    onFailure: sink,
    invoke: fn.invoke,
  });
  await m.start();
  const seqs = await kinesis.put(name, [...items(5), { key: 'user-5', data: { i: 5, poison: true } }, ...items(2, 6)]);
  await waitFor(() => m.status()[0].checkpoint === seqs[7], 5000, 'checkpoint at the last record');
  // [0-7] fails → [0-3] ok, [4-7] fails → [4,5] fails → [4] ok, [5] fails, retried once, discarded → [6,7] ok.
  expect(fn.calls.map((c) => c.seqs.length)).toEqual([8, 4, 4, 2, 1, 1, 1, 2]);
  const succeeded = fn.calls.filter((c) => c.result?.ok).flatMap((c) => c.seqs);
  expect(succeeded).toEqual([...seqs.slice(0, 5), ...seqs.slice(6)]);
  expect(sink.records).toHaveLength(1);
  const doc = sink.records[0];
  expect(doc.requestContext).toMatchObject({
    functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:consumer',
    condition: 'RetryAttemptsExhausted',
  });
  expect(doc.requestContext.approximateInvokeCount).toBeGreaterThanOrEqual(2);
  expect(doc.responseContext).toEqual({ statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' });
  expect(doc.KinesisBatchInfo).toMatchObject({
    shardId: 'shardId-000000000000',
    startSequenceNumber: seqs[5],
    endSequenceNumber: seqs[5],
    batchSize: 1,
    streamArn: arn,
  });
});

test('MaximumRetryAttempts: after the last retry the batch goes to a JSON-lines destination and the shard moves on', async () => {
  const { name, arn } = await newStream();
  const dlqArn = 'arn:aws:sqs:us-east-1:000000000000:uba-test-dlq';
  const sink = jsonLinesDestinationFor(tmp, dlqArn);
  const fn = fakeFunction((event) => {
    if (event.Records.some((r) => (decode(r) as { bad?: boolean }).bad)) throw new TypeError('bad batch');
    return null;
  });
  const m = mapping({
    streamName: name,
    properties: {
      StartingPosition: 'TRIM_HORIZON',
      BatchSize: 5,
      MaximumRetryAttempts: 2,
      DestinationConfig: { OnFailure: { Destination: dlqArn } },
    },
    onFailure: sink,
    invoke: fn.invoke,
  });
  await m.start();
  const bad = await kinesis.put(name, items(5, 0, { bad: true }));
  await waitFor(() => fn.calls.length === 3);
  await waitFor(() => m.status()[0].checkpoint === bad[4], 3000, 'checkpoint past the discarded batch');
  const good = await kinesis.put(name, items(2, 5));
  await waitFor(() => fn.calls.length === 4);
  expect(fn.calls.map((c) => c.seqs)).toEqual([bad, bad, bad, good]);

  expect(path.basename(sink.file)).toBe('uba-test-dlq.jsonl');
  const lines = (await fsp.readFile(sink.file, 'utf8')).trim().split('\n');
  expect(lines).toHaveLength(1);
  const doc = JSON.parse(lines[0]) as KinesisOnFailureRecord;
  expect(doc).toMatchObject({
    requestContext: { condition: 'RetryAttemptsExhausted', approximateInvokeCount: 3 },
    responseContext: { statusCode: 200, functionError: 'Unhandled' },
    version: '1.0',
    KinesisBatchInfo: {
      shardId: 'shardId-000000000000',
      startSequenceNumber: bad[0],
      endSequenceNumber: bad[4],
      batchSize: 5,
      streamArn: arn,
    },
  });
  expect(doc.requestContext.requestId).toEqual(expect.any(String));
  expect(Date.parse(doc.timestamp)).not.toBeNaN();
  expect(Date.parse(doc.KinesisBatchInfo.approximateArrivalOfFirstRecord)).toBeLessThanOrEqual(
    Date.parse(doc.KinesisBatchInfo.approximateArrivalOfLastRecord),
  );
});

test('MaximumRecordAgeInSeconds: records too old are discarded instead of retried forever', async () => {
  const { name } = await newStream();
  const sink = new MemoryFailureDestination();
  const fn = fakeFunction(() => {
    throw new Error('downstream unavailable');
  });
  const m = mapping({
    streamName: name,
    properties: { StartingPosition: 'TRIM_HORIZON', MaximumRetryAttempts: -1, MaximumRecordAgeInSeconds: 1 },
    onFailure: sink,
    invoke: fn.invoke,
    timing: { ...FAST_TIMING, retryBaseMs: 50, retryMaxMs: 100 },
  });
  await m.start();
  const seqs = await kinesis.put(name, items(3));
  await waitFor(() => sink.records.length === 1, 5000, 'on-failure record');
  const callsAtDiscard = fn.calls.length;
  expect(callsAtDiscard).toBeGreaterThan(2);
  expect(sink.records[0]).toMatchObject({
    requestContext: { condition: 'RecordAgeExceeded' },
    KinesisBatchInfo: { startSequenceNumber: seqs[0], endSequenceNumber: seqs[2], batchSize: 3 },
  });
  await sleep(300);
  expect(fn.calls.length).toBe(callsAtDiscard);
  expect(m.status()[0].checkpoint).toBe(seqs[2]);
});

test('restart with the file checkpoint store resumes after the last checkpoint: no loss, no repeat', async () => {
  const { name } = await newStream();
  const dir = path.join(tmp, 'persist');
  const props = { StartingPosition: 'TRIM_HORIZON', BatchSize: 5 } as const;
  const first = fakeFunction(async () => {
    await sleep(300);
    return null;
  });
  const a = mapping({
    id: 'persisted-mapping',
    streamName: name,
    properties: props,
    invoke: first.invoke,
    checkpoints: new FileCheckpointStore(dir),
  });
  await a.start();
  const seqs = await kinesis.put(name, items(10));
  await waitFor(() => first.calls.length === 1);
  // stop() waits for the invocation in flight (300 ms) and checkpoints it, then polls no more.
  await a.stop();
  expect(first.calls).toHaveLength(1);
  expect(first.calls[0].result?.ok).toBe(true);
  expect(first.calls[0].seqs).toEqual(seqs.slice(0, 5));

  const later = await kinesis.put(name, items(5, 10));
  const second = fakeFunction(() => null);
  const b = mapping({
    id: 'persisted-mapping',
    streamName: name,
    properties: props,
    invoke: second.invoke,
    checkpoints: new FileCheckpointStore(dir),
  });
  await b.start();
  await waitFor(() => second.calls.flatMap((c) => c.seqs).length === 10);
  await sleep(300);
  expect(second.calls.flatMap((c) => c.seqs)).toEqual([...seqs.slice(5), ...later]);
  const file = JSON.parse(await fsp.readFile(path.join(dir, 'persisted-mapping.checkpoint.json'), 'utf8')) as {
    shards: Record<string, { sequenceNumber: string }>;
  };
  expect(file.shards['shardId-000000000000'].sequenceNumber).toBe(later[4]);
});

test('one poller per shard: every shard is read, in order, never two invocations at once on a shard', async () => {
  const { name } = await newStream(2);
  const inFlight = new Map<string, number>();
  let overlap = false;
  let mixed = false;
  const fn = fakeFunction(async (event) => {
    const shards = new Set(event.Records.map((r) => r.eventID.split(':')[0]));
    if (shards.size !== 1) mixed = true;
    const shard = [...shards][0];
    inFlight.set(shard, (inFlight.get(shard) ?? 0) + 1);
    if ((inFlight.get(shard) ?? 0) > 1) overlap = true;
    await sleep(15);
    inFlight.set(shard, (inFlight.get(shard) ?? 0) - 1);
    return null;
  });
  const m = mapping({ streamName: name, properties: { StartingPosition: 'TRIM_HORIZON', BatchSize: 3 }, invoke: fn.invoke });
  await m.start();
  const seqs: string[] = [];
  for (let round = 0; round < 4; round += 1) seqs.push(...(await kinesis.put(name, items(10, round * 10))));
  await waitFor(() => fn.calls.flatMap((c) => c.seqs).length === 40);
  expect(overlap).toBe(false);
  expect(mixed).toBe(false);
  expect(
    m
      .status()
      .map((s) => s.shardId)
      .sort(),
  ).toEqual(['shardId-000000000000', 'shardId-000000000001']);
  const byShard = new Map<string, bigint[]>();
  for (const call of fn.calls) {
    for (const r of call.event.Records) {
      const shard = r.eventID.split(':')[0];
      byShard.set(shard, [...(byShard.get(shard) ?? []), BigInt(r.kinesis.sequenceNumber)]);
    }
  }
  expect(byShard.size).toBe(2);
  for (const list of byShard.values()) {
    for (let i = 1; i < list.length; i += 1) expect(list[i] > list[i - 1]).toBe(true);
  }
  expect(fn.calls.flatMap((c) => c.seqs).sort()).toEqual([...seqs].sort());
});

test('drives a LocalFunction: a real handler process reports batch item failures, the rest is discarded', async () => {
  const { name } = await newStream();
  const assetDir = path.join(tmp, 'consumer-asset');
  await fsp.mkdir(assetDir, { recursive: true });
  await fsp.writeFile(
    path.join(assetDir, 'index.js'),
    `exports.handler = async (event) => {
      const batchItemFailures = [];
      for (const r of event.Records) {
        const body = JSON.parse(Buffer.from(r.kinesis.data, 'base64').toString('utf8'));
        if (body.bad) batchItemFailures.push({ itemIdentifier: r.kinesis.sequenceNumber });
        else console.log('processed ' + body.i + ' in ' + process.env.STAGE);
      }
      return { batchItemFailures };
    };`,
  );
  const fnLogs: string[] = [];
  const fn = new LocalFunction({
    name: 'consumer',
    assetDir,
    handler: 'index.handler',
    environment: { STAGE: 'dev', AWS_REGION: 'us-east-1' },
    timeoutMs: 5000,
    log: (line) => fnLogs.push(line),
  });
  const sink = new MemoryFailureDestination();
  try {
    const m = mapping({
      streamName: name,
      properties: {
        StartingPosition: 'TRIM_HORIZON',
        BatchSize: 10,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        MaximumRetryAttempts: 1,
      },
      onFailure: sink,
      invoke: (event) => fn.invoke(event),
    });
    await m.start();
    const seqs = await kinesis.put(name, [...items(2), { key: 'user-2', data: { i: 2, bad: true } }, ...items(1, 3)]);
    await waitFor(() => sink.records.length === 1, 10_000, 'discarded remainder');
    // First call: 0, 1, 3 processed, 2 failed → checkpoint after 1; retry [2, 3]: 2 fails again → discarded.
    expect(sink.records[0].KinesisBatchInfo).toMatchObject({ startSequenceNumber: seqs[2], endSequenceNumber: seqs[3], batchSize: 2 });
    expect(sink.records[0].responseContext.functionError).toBeNull();
    await waitFor(() => m.status()[0].checkpoint === seqs[3]);
    expect(fnLogs.filter((l) => l.startsWith('[consumer] processed'))).toEqual([
      '[consumer] processed 0 in dev',
      '[consumer] processed 1 in dev',
      '[consumer] processed 3 in dev',
      '[consumer] processed 3 in dev',
    ]);
  } finally {
    await Promise.all(mappings.splice(0).map((m) => m.stop()));
    await fn.stop();
  }
});
