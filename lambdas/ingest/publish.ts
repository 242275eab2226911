import { PutRecordsCommand, type KinesisClient, type PutRecordsRequestEntry } from '@aws-sdk/client-kinesis';
import type { StreamEvent } from '../shared/event';

/** PutRecords limits (Kinesis Data Streams quotas). */
export const KINESIS_LIMITS = {
  recordsPerCall: 500,
  bytesPerCall: 5 * 1024 * 1024,
  bytesPerRecord: 1024 * 1024,
} as const;

/** Errors of a whole PutRecords call that another attempt cannot fix (configuration or permission problems). */
const PERMANENT_ERRORS = new Set([
  'AccessDeniedException',
  'InvalidArgumentException',
  'KMSAccessDeniedException',
  'KMSDisabledException',
  'KMSInvalidStateException',
  'KMSNotFoundException',
  'KMSOptInRequired',
  'ResourceNotFoundException',
  'UnrecognizedClientException',
  'ValidationException',
]);

/** How {@link publishEvents} retries, and the clock it uses (injected so tests control time). */
export interface PublishOptions {
  readonly streamName: string;
  /** PutRecords calls per chunk at most, the first included. */
  readonly maxAttempts: number;
  /** Epoch milliseconds after which no retry is started (the first attempt always runs). */
  readonly deadline: number;
  /** Backoff before retry n is drawn from [d/2, d] with d = min(maxDelayMs, baseDelayMs·2^(n−1)). */
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
  /** A number in [0, 1), for jitter. */
  readonly random: () => number;
}

/** What became of one event: written (with where), or not written and why. */
export type PublishOutcome =
  | { readonly ok: true; readonly shardId: string; readonly sequenceNumber: string }
  | { readonly ok: false; readonly errorCode: string; readonly retryable: boolean };

/** The outcome of every event, in input order, and how many PutRecords calls it took. */
export interface PublishReport {
  readonly outcomes: readonly PublishOutcome[];
  readonly calls: number;
}

/** The PutRecords entry of `event`: UTF-8 JSON plus a newline, partitioned by its (already pseudonymized) `userId`. Never fails. */
export function encodeRecord(event: StreamEvent): PutRecordsRequestEntry {
  return { PartitionKey: event.userId, Data: Buffer.from(`${JSON.stringify(event)}\n`, 'utf8') };
}

/** The size Kinesis counts for an entry: data bytes plus partition-key bytes. Never fails. */
export const recordBytes = (entry: PutRecordsRequestEntry): number =>
  (entry.Data?.byteLength ?? 0) + Buffer.byteLength(entry.PartitionKey ?? '', 'utf8');

/**
 * Splits record sizes into consecutive chunks of at most `maxRecords` records and `maxBytes`
 * bytes, returning the indices of each chunk in order. Never fails (a record larger than
 * `maxBytes` gets a chunk of its own).
 */
export function chunkIndices(
  sizes: readonly number[],
  maxRecords: number = KINESIS_LIMITS.recordsPerCall,
  maxBytes: number = KINESIS_LIMITS.bytesPerCall,
): number[][] {
  const chunks: number[][] = [];
  let current: number[] = [];
  let bytes = 0;
  sizes.forEach((size, index) => {
    if (current.length > 0 && (current.length >= maxRecords || bytes + size > maxBytes)) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(index);
    bytes += size;
  });
  if (current.length > 0) chunks.push(current);
  return chunks;
}

/** The name of a thrown SDK or network error, for the client-facing reason. */
const errorName = (error: unknown): string => (error instanceof Error && error.name !== '' ? error.name : 'UnknownError');

/**
 * Writes `events` to the stream with PutRecords in chunks within Kinesis' limits. Entries the
 * stream reports failed (`ErrorCode`), and whole calls that throw, are retried — only the failed
 * entries — with exponential backoff and jitter, up to `maxAttempts` calls per chunk and not past
 * `deadline`. Never throws: every event gets an outcome, and an event is `ok` only when Kinesis
 * returned a sequence number for it.
 */
export async function publishEvents(
  client: KinesisClient,
  events: readonly StreamEvent[],
  options: PublishOptions,
): Promise<PublishReport> {
  const records = events.map(encodeRecord);
  const outcomes: PublishOutcome[] = new Array<PublishOutcome>(events.length);
  const sendable: number[] = [];
  records.forEach((record, index) => {
    if (recordBytes(record) > KINESIS_LIMITS.bytesPerRecord) outcomes[index] = { ok: false, errorCode: 'RecordTooLarge', retryable: false };
    else sendable.push(index);
  });

  let calls = 0;
  for (const chunk of chunkIndices(sendable.map((index) => recordBytes(records[index] as PutRecordsRequestEntry)))) {
    calls += await putWithRetry(
      client,
      chunk.map((position) => sendable[position] as number),
      records,
      outcomes,
      options,
    );
  }
  return { outcomes, calls };
}

/** Puts the records at `indices`, retrying failures; fills `outcomes` for each and returns the number of calls made. */
async function putWithRetry(
  client: KinesisClient,
  indices: readonly number[],
  records: readonly PutRecordsRequestEntry[],
  outcomes: PublishOutcome[],
  options: PublishOptions,
): Promise<number> {
  let pending = indices;
  let calls = 0;
  const lastError = new Map<number, string>();

  while (pending.length > 0) {
    calls += 1;
    const failed: number[] = [];
    let permanent = false;
    try {
      const response = await client.send(
        new PutRecordsCommand({
          StreamName: options.streamName,
          Records: pending.map((index) => records[index] as PutRecordsRequestEntry),
        }),
      );
      const entries = response.Records ?? [];
      pending.forEach((index, position) => {
        const entry = entries.length === pending.length ? entries[position] : undefined;
        if (entry !== undefined && entry.ErrorCode === undefined && entry.SequenceNumber !== undefined && entry.ShardId !== undefined) {
          outcomes[index] = { ok: true, shardId: entry.ShardId, sequenceNumber: entry.SequenceNumber };
        } else {
          failed.push(index);
          lastError.set(index, entry === undefined ? 'MalformedResponse' : (entry.ErrorCode ?? 'MissingSequenceNumber'));
        }
      });
    } catch (error) {
      const name = errorName(error);
      permanent = PERMANENT_ERRORS.has(name);
      for (const index of pending) {
        failed.push(index);
        lastError.set(index, name);
      }
    }

    pending = failed;
    if (pending.length === 0 || permanent || calls >= options.maxAttempts) break;
    const delay = backoff(calls, options);
    if (options.now() + delay >= options.deadline) break;
    await options.sleep(delay);
  }

  for (const index of pending) outcomes[index] = { ok: false, errorCode: lastError.get(index) ?? 'UnknownError', retryable: true };
  return calls;
}

/** Delay before the retry that follows call number `calls`: exponential, capped, with "equal jitter". */
function backoff(calls: number, options: PublishOptions): number {
  const ceiling = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** (calls - 1));
  return Math.round(ceiling / 2 + options.random() * (ceiling / 2));
}
