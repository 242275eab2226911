import {
  MAX_INVOKE_PAYLOAD_BYTES,
  batchDue,
  bisect,
  buildOnFailureRecord,
  compareSequenceNumbers,
  countExpired,
  decide,
  interpretResponse,
  isoTime,
  normalizeEsmSettings,
  planBatch,
  recordAttempt,
  toBufferedRecord,
  windowFor,
} from '../../../local/esm';
import type { BufferedRecord, EsmSettings, PendingBatch, StreamInvokeResult } from '../../../local/esm';

const ctx = {
  shardId: 'shardId-000000000003',
  eventSourceArn: 'arn:aws:kinesis:eu-west-1:000000000000:stream/events',
  awsRegion: 'eu-west-1',
  invokeIdentityArn: 'arn:aws:iam::000000000000:role/fn-role',
};

const base = 49590338271490256608559692538361571095921575989136588898n;

function rec(i: number, arrivalMs = 1_700_000_000_000 + i, opts: { bytes?: number; fetchedAtMs?: number } = {}): BufferedRecord {
  const data = Buffer.alloc(opts.bytes ?? 8, 97);
  return toBufferedRecord(
    {
      SequenceNumber: String(base + BigInt(i) * 1000n),
      PartitionKey: `k${i}`,
      Data: data,
      ApproximateArrivalTimestamp: new Date(arrivalMs),
    },
    ctx,
    opts.fetchedAtMs ?? 1_700_000_100_000,
  );
}

function settings(props: Partial<Parameters<typeof normalizeEsmSettings>[0]> = {}): EsmSettings {
  return normalizeEsmSettings({ StartingPosition: 'TRIM_HORIZON', ...props });
}

const ok = (payload: unknown): StreamInvokeResult => ({ ok: true, payload, requestId: 'req-1' });
const failed: StreamInvokeResult = { ok: false, error: { errorType: 'Error', errorMessage: 'boom' }, requestId: 'req-2' };
const fresh = (size: number): PendingBatch => ({ size, retries: 0, invokeCount: 0 });

describe('settings', () => {
  test('AWS defaults for Kinesis', () => {
    expect(settings()).toEqual({
      batchSize: 100,
      maxBatchingWindowMs: 0,
      startingPosition: 'TRIM_HORIZON',
      startingPositionTimestamp: undefined,
      tumblingWindowMs: 0,
      reportBatchItemFailures: false,
      bisectOnError: false,
      maxRetryAttempts: -1,
      maxRecordAgeMs: -1,
      onFailureDestination: undefined,
      parallelizationFactor: 1,
    });
  });

  test('reads the template properties', () => {
    const s = settings({
      BatchSize: 500,
      MaximumBatchingWindowInSeconds: 5,
      TumblingWindowInSeconds: 60,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 3,
      MaximumRecordAgeInSeconds: 3600,
      DestinationConfig: { OnFailure: { Destination: 'arn:aws:sqs:eu-west-1:000000000000:dlq' } },
    });
    expect(s).toMatchObject({
      batchSize: 500,
      maxBatchingWindowMs: 5000,
      tumblingWindowMs: 60_000,
      reportBatchItemFailures: true,
      bisectOnError: true,
      maxRetryAttempts: 3,
      maxRecordAgeMs: 3_600_000,
      onFailureDestination: 'arn:aws:sqs:eu-west-1:000000000000:dlq',
    });
  });

  test('rejects values AWS rejects', () => {
    expect(() => settings({ BatchSize: 0 })).toThrow(/BatchSize/);
    expect(() => settings({ BatchSize: 10_001 })).toThrow(/BatchSize/);
    expect(() => settings({ TumblingWindowInSeconds: 901 })).toThrow(/TumblingWindow/);
    expect(() => settings({ MaximumRetryAttempts: -2 })).toThrow(/MaximumRetryAttempts/);
    expect(() => settings({ MaximumBatchingWindowInSeconds: 301 })).toThrow(/MaximumBatchingWindow/);
    expect(() => settings({ MaximumRecordAgeInSeconds: -5 })).toThrow(/MaximumRecordAge/);
    expect(() => normalizeEsmSettings({ StartingPosition: 'AT_TIMESTAMP' })).toThrow(/StartingPositionTimestamp/);
  });
});

describe('event records', () => {
  test('have the shape Lambda sends', () => {
    const r = toBufferedRecord(
      {
        SequenceNumber: '49590338271490256608559692538361571095921575989136588898',
        PartitionKey: 'user-1',
        Data: Buffer.from('Hello, this is a test.'),
        ApproximateArrivalTimestamp: new Date(1545084650987),
      },
      ctx,
      1545084651000,
    );
    expect(r.eventRecord).toEqual({
      kinesis: {
        kinesisSchemaVersion: '1.0',
        partitionKey: 'user-1',
        sequenceNumber: '49590338271490256608559692538361571095921575989136588898',
        data: 'SGVsbG8sIHRoaXMgaXMgYSB0ZXN0Lg==',
        approximateArrivalTimestamp: 1545084650.987,
      },
      eventSource: 'aws:kinesis',
      eventVersion: '1.0',
      eventID: 'shardId-000000000003:49590338271490256608559692538361571095921575989136588898',
      eventName: 'aws:kinesis:record',
      invokeIdentityArn: ctx.invokeIdentityArn,
      awsRegion: 'eu-west-1',
      eventSourceARN: ctx.eventSourceArn,
    });
    expect(r.sizeBytes).toBe(Buffer.byteLength(JSON.stringify(r.eventRecord)) + 1);
  });

  test('sequence numbers compare as 128-bit integers, not strings', () => {
    expect(compareSequenceNumbers('9', '10')).toBe(-1);
    expect(compareSequenceNumbers(String(base + 1n), String(base))).toBe(1);
    expect(compareSequenceNumbers('42', '42')).toBe(0);
  });
});

describe('tumbling windows', () => {
  test('align to epoch multiples of the window length', () => {
    expect(windowFor(Date.UTC(2024, 0, 1, 0, 1, 59, 999), 60_000)).toEqual({
      startMs: Date.UTC(2024, 0, 1, 0, 1),
      endMs: Date.UTC(2024, 0, 1, 0, 2),
    });
    expect(windowFor(Date.UTC(2024, 0, 1, 0, 2), 60_000).startMs).toBe(Date.UTC(2024, 0, 1, 0, 2));
    expect(isoTime(Date.UTC(2020, 11, 9, 7, 4))).toBe('2020-12-09T07:04:00Z');
  });
});

describe('batching', () => {
  test('stops at BatchSize', () => {
    const buffer = Array.from({ length: 25 }, (_, i) => rec(i));
    expect(planBatch(buffer, settings({ BatchSize: 10 }), 14)).toEqual({ count: 10, limitedBy: 'size' });
    expect(planBatch(buffer.slice(20), settings({ BatchSize: 10 }), 14)).toEqual({ count: 5, limitedBy: 'buffer' });
    expect(planBatch(buffer.slice(15), settings({ BatchSize: 10 }), 14)).toEqual({ count: 10, limitedBy: 'size' });
  });

  test('keeps the payload within 6 MB', () => {
    const big = Array.from({ length: 8 }, (_, i) => rec(i, undefined, { bytes: 1024 * 1024 }));
    const plan = planBatch(big, settings({ BatchSize: 100 }), 14);
    expect(plan.limitedBy).toBe('payload');
    expect(plan.count).toBe(4); // base64 inflates 1 MB to ~1.33 MB
    const bytes = big.slice(0, plan.count).reduce((n, r) => n + r.sizeBytes, 14);
    expect(bytes).toBeLessThanOrEqual(MAX_INVOKE_PAYLOAD_BYTES);
  });

  test('never mixes two tumbling windows in one batch', () => {
    const w = 2000;
    const start = 1_700_000_000_000; // a multiple of 2000
    const buffer = [rec(0, start + 100), rec(1, start + 1999), rec(2, start + 2000), rec(3, start + 2500)];
    expect(planBatch(buffer, settings({ TumblingWindowInSeconds: w / 1000 }), 14)).toEqual({ count: 2, limitedBy: 'window' });
    expect(planBatch(buffer.slice(2), settings({ TumblingWindowInSeconds: 2 }), 14)).toEqual({ count: 2, limitedBy: 'buffer' });
  });

  test('waits for the batching window unless the batch is full or nothing more can come', () => {
    const s = settings({ BatchSize: 10, MaximumBatchingWindowInSeconds: 1 });
    const buffer = [rec(0, undefined, { fetchedAtMs: 5000 }), rec(1, undefined, { fetchedAtMs: 5200 })];
    expect(batchDue(buffer, s, 5500, 14, false)).toEqual({ due: false, count: 2, wakeAtMs: 6000 });
    expect(batchDue(buffer, s, 6000, 14, false)).toEqual({ due: true, count: 2 });
    expect(batchDue(buffer, s, 5500, 14, true)).toEqual({ due: true, count: 2 });
    expect(batchDue([], s, 9999, 14, true)).toEqual({ due: false, count: 0 });
    const full = Array.from({ length: 12 }, (_, i) => rec(i, undefined, { fetchedAtMs: 5000 }));
    expect(batchDue(full, s, 5001, 14, false)).toEqual({ due: true, count: 10 });
    expect(batchDue(buffer, settings({ BatchSize: 10 }), 5000, 14, false)).toEqual({ due: true, count: 2 });
  });
});

describe('record age', () => {
  test('counts the leading records older than the limit', () => {
    const now = 1_700_000_010_000;
    const records = [rec(0, now - 5000), rec(1, now - 3000), rec(2, now - 500)];
    expect(countExpired(records, now, 2000)).toBe(2);
    expect(countExpired(records, now, -1)).toBe(0);
    expect(countExpired(records, now, 60_000)).toBe(0);
  });
});

describe('responses', () => {
  const seqs = [10, 11, 12, 13].map((i) => String(base + BigInt(i)));
  const plain = { reportBatchItemFailures: true, tumbling: false };

  test('function errors fail the whole batch', () => {
    expect(interpretResponse(failed, seqs, plain)).toEqual({ kind: 'failure', reason: 'Error: boom', functionError: true });
  });

  test('null, empty and absent failure lists are success', () => {
    for (const payload of [null, undefined, {}, { batchItemFailures: [] }, { batchItemFailures: null }, 'done']) {
      expect(interpretResponse(ok(payload), seqs, plain)).toEqual({ kind: 'success' });
    }
  });

  test('the lowest failed sequence number is where processing resumes', () => {
    const outcome = interpretResponse(
      ok({ batchItemFailures: [{ itemIdentifier: seqs[3] }, { itemIdentifier: seqs[1] }, { itemIdentifier: seqs[2] }] }),
      seqs,
      plain,
    );
    expect(outcome).toEqual({ kind: 'partial', failedIndex: 1 });
  });

  test('invalid item identifiers fail the whole batch', () => {
    for (const failures of [[{ itemIdentifier: '' }], [{ itemIdentifier: null }], [{ id: seqs[0] }], [{ itemIdentifier: '123' }], 'x']) {
      const outcome = interpretResponse(ok({ batchItemFailures: failures }), seqs, plain);
      expect(outcome.kind).toBe('failure');
    }
  });

  test('batchItemFailures are ignored without ReportBatchItemFailures', () => {
    const outcome = interpretResponse(ok({ batchItemFailures: [{ itemIdentifier: '' }] }), seqs, {
      reportBatchItemFailures: false,
      tumbling: false,
    });
    expect(outcome).toEqual({ kind: 'success' });
  });

  test('tumbling windows require a state object', () => {
    const tumbling = { reportBatchItemFailures: true, tumbling: true };
    expect(interpretResponse(ok({ batchItemFailures: [] }), seqs, tumbling)).toMatchObject({ kind: 'failure', functionError: false });
    expect(interpretResponse(ok(null), seqs, tumbling).kind).toBe('failure');
    expect(interpretResponse(ok({ state: [1] }), seqs, tumbling).kind).toBe('failure');
    expect(interpretResponse(ok({ state: { n: 4 } }), seqs, tumbling)).toEqual({ kind: 'success', state: { n: 4 } });
    expect(interpretResponse(ok({ state: { n: 2 }, batchItemFailures: [{ itemIdentifier: seqs[2] }] }), seqs, tumbling)).toEqual({
      kind: 'partial',
      failedIndex: 2,
      state: { n: 2 },
    });
  });
});

describe('retry decisions', () => {
  const failure = { kind: 'failure', reason: 'x', functionError: true } as const;

  test('retries the whole batch and counts the retry', () => {
    const d = decide(recordAttempt(fresh(8), failed), failure, settings({ MaximumRetryAttempts: 2 }));
    expect(d).toEqual({
      kind: 'retry',
      commit: 0,
      backoff: true,
      next: [{ size: 8, retries: 1, invokeCount: 1, lastFunctionError: 'Unhandled', lastRequestId: 'req-2' }],
    });
  });

  test('discards once MaximumRetryAttempts is used up (initial attempt + N retries)', () => {
    const s = settings({ MaximumRetryAttempts: 2 });
    let batch = fresh(3);
    const decisions: string[] = [];
    for (;;) {
      const d = decide(recordAttempt(batch, failed), failure, s);
      decisions.push(d.kind);
      if (d.kind !== 'retry') {
        expect(d).toMatchObject({ kind: 'discard', condition: 'RetryAttemptsExhausted', discard: { size: 3, invokeCount: 3 } });
        break;
      }
      batch = d.next[0];
    }
    expect(decisions).toEqual(['retry', 'retry', 'discard']);
  });

  test('infinite retries never discard', () => {
    let batch = fresh(1);
    for (let i = 0; i < 50; i += 1) {
      const d = decide(recordAttempt(batch, failed), failure, settings());
      expect(d.kind).toBe('retry');
      if (d.kind === 'retry') batch = d.next[0];
    }
  });

  test('bisect splits without using the retry quota', () => {
    expect(bisect(8)).toEqual([4, 4]);
    expect(bisect(5)).toEqual([3, 2]);
    const s = settings({ BisectBatchOnFunctionError: true, MaximumRetryAttempts: 0 });
    const d = decide(recordAttempt(fresh(5), failed), failure, s);
    expect(d).toMatchObject({
      kind: 'retry',
      commit: 0,
      backoff: false,
      next: [
        { size: 3, retries: 0 },
        { size: 2, retries: 0 },
      ],
    });
    const single = decide(recordAttempt(fresh(1), failed), failure, s);
    expect(single).toMatchObject({ kind: 'discard', discard: { size: 1 } });
  });

  test('partial failure commits what came before and retries the rest', () => {
    const s = settings({ MaximumRetryAttempts: 1, FunctionResponseTypes: ['ReportBatchItemFailures'] });
    const d1 = decide(recordAttempt(fresh(10), ok(null)), { kind: 'partial', failedIndex: 3 }, s);
    expect(d1).toMatchObject({ kind: 'retry', commit: 3, next: [{ size: 7, retries: 1 }] });
    if (d1.kind !== 'retry') throw new Error('expected retry');
    const d2 = decide(recordAttempt(d1.next[0], ok(null)), { kind: 'partial', failedIndex: 2 }, s);
    expect(d2).toMatchObject({ kind: 'discard', commit: 2, discard: { size: 5 }, condition: 'RetryAttemptsExhausted' });
  });

  test('partial failure with bisect retries from the failed record, not halves', () => {
    const s = settings({ BisectBatchOnFunctionError: true });
    const d = decide(recordAttempt(fresh(10), ok(null)), { kind: 'partial', failedIndex: 4 }, s);
    expect(d).toMatchObject({ kind: 'retry', commit: 4, next: [{ size: 6 }] });
  });
});

describe('on-failure record', () => {
  test("has Lambda's Kinesis invocation-record shape", () => {
    const records = [rec(0, Date.UTC(2019, 10, 14, 0, 38, 4, 835)), rec(1), rec(2, Date.UTC(2019, 10, 14, 0, 38, 5, 580))];
    const doc = buildOnFailureRecord({
      records,
      batch: { size: 3, retries: 2, invokeCount: 3, lastFunctionError: 'Unhandled', lastRequestId: 'req-9' },
      condition: 'RetryAttemptsExhausted',
      shardId: ctx.shardId,
      streamArn: ctx.eventSourceArn,
      functionArn: 'arn:aws:lambda:eu-west-1:000000000000:function:fn',
      requestId: 'unused',
      nowMs: Date.UTC(2019, 10, 14, 0, 38, 6, 21),
    });
    expect(doc).toEqual({
      requestContext: {
        requestId: 'req-9',
        functionArn: 'arn:aws:lambda:eu-west-1:000000000000:function:fn',
        condition: 'RetryAttemptsExhausted',
        approximateInvokeCount: 3,
      },
      responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
      version: '1.0',
      timestamp: '2019-11-14T00:38:06.021Z',
      KinesisBatchInfo: {
        shardId: ctx.shardId,
        startSequenceNumber: records[0].sequenceNumber,
        endSequenceNumber: records[2].sequenceNumber,
        approximateArrivalOfFirstRecord: '2019-11-14T00:38:04.835Z',
        approximateArrivalOfLastRecord: '2019-11-14T00:38:05.580Z',
        batchSize: 3,
        streamArn: ctx.eventSourceArn,
      },
    });
  });

  test('records discarded for age before any invocation say so', () => {
    const doc = buildOnFailureRecord({
      records: [rec(0)],
      batch: fresh(1),
      condition: 'RecordAgeExceeded',
      shardId: ctx.shardId,
      streamArn: ctx.eventSourceArn,
      functionArn: 'arn',
      requestId: 'generated',
      nowMs: 0,
    });
    expect(doc.requestContext).toMatchObject({ requestId: 'generated', condition: 'RecordAgeExceeded', approximateInvokeCount: 0 });
    expect(doc.responseContext).toEqual({ statusCode: 0, executedVersion: null, functionError: null });
  });
});
