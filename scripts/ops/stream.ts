/**
 * Reading back a range of a shard (the batch a dead letter names) as the Lambda event records the
 * event-source mapping would have sent.
 */
import { GetRecordsCommand, GetShardIteratorCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import type { KinesisStreamRecord } from 'aws-lambda';
import { compareSequenceNumbers, toBufferedRecord, type RawKinesisRecord } from '../../local/esm';

/** A shard range as a dead letter names it. */
export interface ShardRange {
  readonly streamName: string;
  readonly streamArn: string;
  readonly shardId: string;
  readonly startSequenceNumber: string;
  readonly endSequenceNumber: string;
  readonly region: string;
  readonly invokeIdentityArn: string;
}

/** Most GetRecords calls for one range (10,000 records each at most; a batch holds at most 10,000). */
const MAX_CALLS = 50;

/**
 * The records of `range`, in order, as Lambda event records with their arrival time. Fewer than
 * the batch held when the stream's retention has trimmed some (the caller compares with the
 * batch size). Rejects on a Kinesis error (e.g. the shard no longer exists).
 */
export async function readShardRange(
  kinesis: KinesisClient,
  range: ShardRange,
): Promise<Array<{ readonly arrivalMs: number; readonly record: KinesisStreamRecord }>> {
  const iterator = await kinesis.send(
    new GetShardIteratorCommand({
      StreamName: range.streamName,
      ShardId: range.shardId,
      ShardIteratorType: 'AT_SEQUENCE_NUMBER',
      StartingSequenceNumber: range.startSequenceNumber,
    }),
  );
  let next = iterator.ShardIterator;
  const ctx = {
    shardId: range.shardId,
    eventSourceArn: range.streamArn,
    awsRegion: range.region,
    invokeIdentityArn: range.invokeIdentityArn,
  };
  const out: Array<{ arrivalMs: number; record: KinesisStreamRecord }> = [];
  for (let call = 0; call < MAX_CALLS && next !== undefined; call++) {
    const page = await kinesis.send(new GetRecordsCommand({ ShardIterator: next, Limit: 10_000 }));
    for (const raw of (page.Records ?? []) as RawKinesisRecord[]) {
      const seq = raw.SequenceNumber ?? '';
      if (compareSequenceNumbers(seq, range.startSequenceNumber) < 0) continue;
      if (compareSequenceNumbers(seq, range.endSequenceNumber) > 0) return out;
      const buffered = toBufferedRecord(raw, ctx, Date.now());
      out.push({ arrivalMs: buffered.arrivalMs, record: buffered.eventRecord });
      if (seq === range.endSequenceNumber) return out;
    }
    if ((page.Records ?? []).length === 0 && (page.MillisBehindLatest ?? 0) === 0) return out;
    next = page.NextShardIterator;
  }
  return out;
}
