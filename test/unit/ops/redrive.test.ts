import { GetRecordsCommand, GetShardIteratorCommand, KinesisClient } from '@aws-sdk/client-kinesis';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import type { KinesisOnFailureRecord } from '../../../local/esm/types';
import type { DeadLetter, DeadLetters } from '../../../scripts/ops/dead-letters';
import { redrive } from '../../../scripts/ops/redrive';
import type { ConsumerName, InvokeOutcome, OpsTarget } from '../../../scripts/ops/target';

const SHARD = 'shardId-000000000000';
const STREAM_ARN = 'arn:aws:kinesis:us-east-1:1:stream/events';
const kinesisMock = mockClient(KinesisClient);

/** A dead letter of the batch `first..last`. */
const aLetter = (first: string, last: string, batchSize: number): DeadLetter => ({
  id: `${first}-${last}`,
  record: {
    requestContext: {
      requestId: 'r',
      functionArn: 'arn:aws:lambda:us-east-1:1:function:windows',
      condition: 'RetryAttemptsExhausted',
      approximateInvokeCount: 6,
    },
    responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
    version: '1.0',
    timestamp: '2026-11-30T00:02:00.000Z',
    KinesisBatchInfo: {
      shardId: SHARD,
      startSequenceNumber: first,
      endSequenceNumber: last,
      approximateArrivalOfFirstRecord: '',
      approximateArrivalOfLastRecord: '',
      batchSize,
      streamArn: STREAM_ARN,
    },
  } satisfies KinesisOnFailureRecord,
});

/** A target whose dead letters and invocations are kept in memory. */
function aTarget(letters: DeadLetter[], answer: (consumer: ConsumerName, event: Record<string, unknown>) => InvokeOutcome) {
  const invoked: Array<{ consumer: ConsumerName; event: Record<string, unknown> }> = [];
  const deleted: string[] = [];
  const queue: DeadLetters = {
    location: 'memory',
    depth: async () => letters.length - deleted.length,
    receive: async (max) => letters.filter((l) => !deleted.includes(l.id)).slice(0, max),
    delete: async (letter) => void deleted.push(letter.id),
  };
  const target: OpsTarget = {
    stage: 'dev',
    where: 'test',
    resources: {
      streamName: 'events',
      lakeBucket: 'lake',
      resultsTable: 'results',
      consumers: { realtime: { functionName: 'rt', deadLetterQueueArn: 'q1' }, windows: { functionName: 'w', deadLetterQueueArn: 'q2' } },
    },
    kinesis: new KinesisClient({ region: 'us-east-1' }),
    doc: DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' })),
    s3: new S3Client({ region: 'us-east-1' }),
    deadLetters: () => queue,
    invoke: async (consumer, event) => {
      invoked.push({ consumer, event: event as Record<string, unknown> });
      return answer(consumer, event as Record<string, unknown>);
    },
    iteratorAges: async () => ({ realtime: 0, windows: 0 }),
    close: async () => undefined,
  };
  return { target, invoked, deleted };
}

/** The stream holds records 100..103: two arrived in the 00:00 window, two in the 00:01 window. */
function streamHolds(): void {
  const at = (iso: string) => new Date(iso);
  kinesisMock.on(GetShardIteratorCommand).resolves({ ShardIterator: 'it-1' });
  kinesisMock.on(GetRecordsCommand).resolves({
    Records: ['100', '101', '102', '103'].map((seq, i) => ({
      SequenceNumber: seq,
      PartitionKey: 'u1',
      Data: Buffer.from(`{"n":${i}}\n`),
      ApproximateArrivalTimestamp: at(i < 2 ? '2026-11-30T00:00:10Z' : '2026-11-30T00:01:10Z'),
    })),
    MillisBehindLatest: 0,
  });
}

beforeEach(() => kinesisMock.reset());

describe('redrive', () => {
  it('windows: per tumbling window of arrival, a non-final invoke with its records, then the final one with the state it returned', async () => {
    // prepare
    streamHolds();
    const { target, invoked, deleted } = aTarget([aLetter('100', '103', 4)], (_c, event) =>
      event.isFinalInvokeForWindow === true
        ? { ok: true, payload: { state: {}, batchItemFailures: [] } }
        : { ok: true, payload: { state: { folded: (event.Records as unknown[]).length }, batchItemFailures: [] } },
    );

    // act
    const lines = await redrive(target, { consumer: 'windows', apply: true, max: 10, windowSeconds: 60 });

    // assess
    const seqs = (event: Record<string, unknown>) =>
      (event.Records as Array<{ kinesis: { sequenceNumber: string } }>).map((r) => r.kinesis.sequenceNumber);
    expect(invoked.map(({ event }) => [event.window, event.isFinalInvokeForWindow, seqs(event), event.state])).toEqual([
      [{ start: '2026-11-30T00:00:00Z', end: '2026-11-30T00:01:00Z' }, false, ['100', '101'], {}],
      [{ start: '2026-11-30T00:00:00Z', end: '2026-11-30T00:01:00Z' }, true, [], { folded: 2 }],
      [{ start: '2026-11-30T00:01:00Z', end: '2026-11-30T00:02:00Z' }, false, ['102', '103'], {}],
      [{ start: '2026-11-30T00:01:00Z', end: '2026-11-30T00:02:00Z' }, true, [], { folded: 2 }],
    ]);
    expect(invoked.every(({ event }) => event.shardId === SHARD && event.eventSourceARN === STREAM_ARN)).toBe(true);
    expect(lines).toEqual([expect.objectContaining({ outcome: 'redriven', found: 4, batchSize: 4 })]);
    expect(deleted).toEqual(['100-103']);
  });

  it('keeps the dead letter when the consumer still fails, or reports records as failed', async () => {
    // prepare
    streamHolds();
    const { target, deleted } = aTarget([aLetter('100', '103', 4)], () => ({
      ok: true,
      payload: { batchItemFailures: [{ itemIdentifier: '102' }] },
    }));

    // act
    const lines = await redrive(target, { consumer: 'realtime', apply: true, max: 10, windowSeconds: 60 });

    // assess
    expect(lines).toEqual([expect.objectContaining({ outcome: 'failed', detail: expect.stringContaining('102') as unknown })]);
    expect(deleted).toEqual([]);
  });

  it('says when the stream no longer holds the batch, and leaves it', async () => {
    // prepare
    kinesisMock.on(GetShardIteratorCommand).resolves({ ShardIterator: 'it-1' });
    kinesisMock.on(GetRecordsCommand).resolves({ Records: [], MillisBehindLatest: 0 });
    const { target, invoked, deleted } = aTarget([aLetter('5', '9', 5)], () => ({ ok: true, payload: {} }));

    // act
    const lines = await redrive(target, { consumer: 'realtime', apply: true, max: 10, windowSeconds: 60 });

    // assess
    expect(lines).toEqual([expect.objectContaining({ outcome: 'gone from the stream', found: 0 })]);
    expect(invoked).toEqual([]);
    expect(deleted).toEqual([]);
  });
});
