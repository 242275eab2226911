/**
 * `npm run ops -- redrive --consumer realtime|windows [--apply]`: the batches a consumer gave up on
 * (its on-failure destination), read back from the stream and handed to the consumer again with
 * their original sequence numbers, then removed from the destination. A dry run (the default)
 * only says what it would do.
 */
import type { KinesisStreamRecord } from 'aws-lambda';
import { isoTime, windowFor } from '../../local/esm';
import type { DeadLetter } from './dead-letters';
import { readShardRange } from './stream';
import type { ConsumerName, OpsTarget } from './target';

export interface RedriveOptions {
  readonly consumer: ConsumerName;
  /** Act; without it, a dry run. */
  readonly apply: boolean;
  /** Most dead letters handled in one run. */
  readonly max: number;
  /** The windows consumer's tumbling window (seconds), from the stage config. */
  readonly windowSeconds: number;
}

/** What happened to one dead letter. */
export interface RedriveLine {
  readonly shardId: string;
  readonly startSequenceNumber: string;
  readonly endSequenceNumber: string;
  readonly condition: string;
  readonly batchSize: number;
  /** Records of the batch still in the stream. */
  readonly found: number;
  readonly outcome: 'would redrive' | 'redriven' | 'failed' | 'gone from the stream';
  readonly detail?: string;
}

/** Seconds a received SQS message stays hidden while its batch is redriven. */
const HIDE_SECONDS = 300;

/**
 * Invokes `consumer` with `records` as its event-source mapping would: the realtime consumer with
 * one batch (a `batchItemFailures` answer counts as a failure); the windows consumer once per
 * tumbling window of the records' arrival (a non-final invoke, then the final one with the state
 * it returned, which writes this run's partial under its own segment: idempotent). Resolves with
 * an error text, or undefined when every invoke succeeded.
 */
async function invokeAgain(
  target: OpsTarget,
  options: RedriveOptions,
  letter: DeadLetter,
  records: ReadonlyArray<{ readonly arrivalMs: number; readonly record: KinesisStreamRecord }>,
): Promise<string | undefined> {
  const info = letter.record.KinesisBatchInfo;
  if (options.consumer === 'realtime') {
    const outcome = await target.invoke('realtime', { Records: records.map((r) => r.record) });
    if (!outcome.ok) return outcome.error;
    const failures = (outcome.payload as { batchItemFailures?: unknown[] } | null)?.batchItemFailures ?? [];
    return failures.length === 0 ? undefined : `the consumer reported ${failures.length} record(s) failed: ${JSON.stringify(failures)}`;
  }
  const windowMs = options.windowSeconds * 1000;
  const byWindow = new Map<number, KinesisStreamRecord[]>();
  for (const r of records) {
    const { startMs } = windowFor(r.arrivalMs, windowMs);
    byWindow.set(startMs, [...(byWindow.get(startMs) ?? []), r.record]);
  }
  for (const [startMs, windowRecords] of byWindow) {
    const base = {
      window: { start: isoTime(startMs), end: isoTime(startMs + windowMs) },
      shardId: info.shardId,
      eventSourceARN: info.streamArn,
      isWindowTerminatedEarly: false,
    };
    const folded = await target.invoke('windows', { ...base, Records: windowRecords, state: {}, isFinalInvokeForWindow: false });
    if (!folded.ok) return folded.error;
    const state = (folded.payload as { state?: unknown } | null)?.state ?? {};
    const settled = await target.invoke('windows', { ...base, Records: [], state, isFinalInvokeForWindow: true });
    if (!settled.ok) return settled.error;
  }
  return undefined;
}

/**
 * Redrives up to `options.max` dead letters of a consumer (see the module comment). A letter is
 * deleted only after its whole batch was handed back successfully; a batch the stream no longer
 * holds (past its retention) is reported and left in place. Rejects on an AWS error.
 */
export async function redrive(target: OpsTarget, options: RedriveOptions): Promise<RedriveLine[]> {
  const letters = target.deadLetters(options.consumer);
  const received = await letters.receive(options.max, options.apply ? HIDE_SECONDS : 0);
  const lines: RedriveLine[] = [];
  for (const letter of received) {
    const info = letter.record.KinesisBatchInfo;
    const records = await readShardRange(target.kinesis, {
      streamName: target.resources.streamName,
      streamArn: info.streamArn,
      shardId: info.shardId,
      startSequenceNumber: info.startSequenceNumber,
      endSequenceNumber: info.endSequenceNumber,
      region: info.streamArn.split(':')[3] ?? '',
      invokeIdentityArn: letter.record.requestContext.functionArn,
    });
    const line = {
      shardId: info.shardId,
      startSequenceNumber: info.startSequenceNumber,
      endSequenceNumber: info.endSequenceNumber,
      condition: letter.record.requestContext.condition,
      batchSize: info.batchSize,
      found: records.length,
    };
    if (records.length === 0) {
      lines.push({ ...line, outcome: 'gone from the stream', detail: 'past the stream retention: the lake still has these events' });
      continue;
    }
    if (!options.apply) {
      lines.push({ ...line, outcome: 'would redrive' });
      continue;
    }
    const error = await invokeAgain(target, options, letter, records);
    if (error !== undefined) {
      lines.push({ ...line, outcome: 'failed', detail: error });
      continue;
    }
    await letters.delete(letter);
    lines.push({ ...line, outcome: 'redriven' });
  }
  return lines;
}
