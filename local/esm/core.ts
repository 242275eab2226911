/**
 * The pure part of the Kinesis event-source mapping: configuration, event shapes, batching,
 * tumbling-window assignment, response interpretation, retry / bisect / discard decisions and
 * on-failure records. No I/O and no clocks: callers pass `nowMs`.
 *
 * Behaviour follows the AWS Lambda developer guide ("Using Lambda with Kinesis", "Tumbling
 * windows", "Reporting batch item failures", "Retain discarded batch records").
 */
import type { KinesisStreamRecord } from 'aws-lambda';
import type {
  BufferedRecord,
  DiscardCondition,
  EsmSettings,
  JsonObject,
  KinesisEventSourceMappingProperties,
  KinesisOnFailureRecord,
  PendingBatch,
  StreamInvokeResult,
} from './types';

/** Largest synchronous invocation payload (6 MB). */
export const MAX_INVOKE_PAYLOAD_BYTES = 6 * 1024 * 1024;
/** Largest tumbling-window state per shard (1 MB); beyond it the window is terminated early. */
export const MAX_WINDOW_STATE_BYTES = 1024 * 1024;

function intIn(name: string, value: number | undefined, fallback: number, min: number, max: number): number {
  const v = value ?? fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new Error(`${name} must be an integer in ${min}..${max} (got ${String(value)})`);
  }
  return v;
}

/** Validates the mapping properties and applies AWS's defaults for a Kinesis source. */
export function normalizeEsmSettings(props: KinesisEventSourceMappingProperties): EsmSettings {
  const positions = ['LATEST', 'TRIM_HORIZON', 'AT_TIMESTAMP'];
  if (!positions.includes(props.StartingPosition)) {
    throw new Error(`StartingPosition must be one of ${positions.join(', ')} (got ${String(props.StartingPosition)})`);
  }
  if (props.StartingPosition === 'AT_TIMESTAMP' && typeof props.StartingPositionTimestamp !== 'number') {
    throw new Error('StartingPositionTimestamp is required with StartingPosition AT_TIMESTAMP');
  }
  const window = props.MaximumBatchingWindowInSeconds ?? 0;
  if (typeof window !== 'number' || !(window >= 0 && window <= 300)) {
    throw new Error(`MaximumBatchingWindowInSeconds must be in 0..300 (got ${String(window)})`);
  }
  const age = props.MaximumRecordAgeInSeconds ?? -1;
  if (typeof age !== 'number' || !(age === -1 || (age >= 0 && age <= 604_800))) {
    throw new Error(`MaximumRecordAgeInSeconds must be -1 or 0..604800 (got ${String(age)})`);
  }
  return {
    batchSize: intIn('BatchSize', props.BatchSize, 100, 1, 10_000),
    maxBatchingWindowMs: Math.round(window * 1000),
    startingPosition: props.StartingPosition,
    startingPositionTimestamp: props.StartingPositionTimestamp,
    tumblingWindowMs: intIn('TumblingWindowInSeconds', props.TumblingWindowInSeconds, 0, 0, 900) * 1000,
    reportBatchItemFailures: (props.FunctionResponseTypes ?? []).includes('ReportBatchItemFailures'),
    bisectOnError: props.BisectBatchOnFunctionError === true,
    maxRetryAttempts: intIn('MaximumRetryAttempts', props.MaximumRetryAttempts, -1, -1, 10_000),
    maxRecordAgeMs: age === -1 ? -1 : Math.round(age * 1000),
    onFailureDestination: props.DestinationConfig?.OnFailure?.Destination,
    parallelizationFactor: intIn('ParallelizationFactor', props.ParallelizationFactor, 1, 1, 10),
  };
}

/** Orders two Kinesis sequence numbers (decimal strings of up to 128 bits). */
export function compareSequenceNumbers(a: string, b: string): number {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** The tumbling window (aligned to epoch multiples of its length) that an arrival time falls in. */
export function windowFor(arrivalMs: number, windowMs: number): { startMs: number; endMs: number } {
  const startMs = Math.floor(arrivalMs / windowMs) * windowMs;
  return { startMs, endMs: startMs + windowMs };
}

/** ISO-8601 UTC time as Lambda writes window bounds: `2020-12-09T07:04:00Z` (milliseconds only when not zero). */
export function isoTime(ms: number): string {
  const iso = new Date(ms).toISOString();
  return ms % 1000 === 0 ? iso.replace(/\.000Z$/, 'Z') : iso;
}

/** Where the records come from, as the event names it. */
export interface RecordContext {
  readonly shardId: string;
  readonly eventSourceArn: string;
  readonly awsRegion: string;
  readonly invokeIdentityArn: string;
}

/** A record as GetRecords returns it (SDK v3 shape, only the fields used). */
export interface RawKinesisRecord {
  readonly SequenceNumber?: string;
  readonly PartitionKey?: string;
  readonly Data?: Uint8Array;
  readonly ApproximateArrivalTimestamp?: Date;
}

/** Turns a GetRecords record into the buffered form carrying its Lambda event record. */
export function toBufferedRecord(raw: RawKinesisRecord, ctx: RecordContext, fetchedAtMs: number): BufferedRecord {
  const sequenceNumber = raw.SequenceNumber ?? '';
  const arrivalMs = raw.ApproximateArrivalTimestamp?.getTime() ?? fetchedAtMs;
  const eventRecord: KinesisStreamRecord = {
    kinesis: {
      kinesisSchemaVersion: '1.0',
      partitionKey: raw.PartitionKey ?? '',
      sequenceNumber,
      data: Buffer.from(raw.Data ?? new Uint8Array()).toString('base64'),
      approximateArrivalTimestamp: arrivalMs / 1000,
    },
    eventSource: 'aws:kinesis',
    eventVersion: '1.0',
    eventID: `${ctx.shardId}:${sequenceNumber}`,
    eventName: 'aws:kinesis:record',
    invokeIdentityArn: ctx.invokeIdentityArn,
    awsRegion: ctx.awsRegion,
    eventSourceARN: ctx.eventSourceArn,
  };
  return {
    sequenceNumber,
    arrivalMs,
    fetchedAtMs,
    eventRecord,
    sizeBytes: Buffer.byteLength(JSON.stringify(eventRecord)) + 1,
  };
}

/** How many head records form the next batch, and what limited it. */
export interface BatchPlan {
  readonly count: number;
  /** `buffer`: every buffered record fits, so more could still join. */
  readonly limitedBy: 'size' | 'payload' | 'window' | 'buffer';
}

/**
 * Takes records from the head of the buffer up to BatchSize and the 6 MB payload (counting
 * `envelopeBytes` for the rest of the event), never mixing two tumbling windows.
 */
export function planBatch(buffer: readonly BufferedRecord[], settings: EsmSettings, envelopeBytes: number): BatchPlan {
  let bytes = envelopeBytes;
  let count = 0;
  const windowStart =
    settings.tumblingWindowMs > 0 && buffer.length > 0 ? windowFor(buffer[0].arrivalMs, settings.tumblingWindowMs).startMs : 0;
  for (const record of buffer) {
    if (count === settings.batchSize) return { count, limitedBy: 'size' };
    if (settings.tumblingWindowMs > 0 && windowFor(record.arrivalMs, settings.tumblingWindowMs).startMs !== windowStart) {
      return { count, limitedBy: 'window' };
    }
    if (count > 0 && bytes + record.sizeBytes > MAX_INVOKE_PAYLOAD_BYTES) return { count, limitedBy: 'payload' };
    bytes += record.sizeBytes;
    count += 1;
  }
  return { count, limitedBy: count === settings.batchSize ? 'size' : 'buffer' };
}

/** Whether a batch should be invoked now, or when to look again. */
export interface BatchDue {
  readonly due: boolean;
  readonly count: number;
  /** With `due: false` and records buffered: when the batching window closes. */
  readonly wakeAtMs?: number;
}

/**
 * Invoke when a full batch is gathered (BatchSize, 6 MB or a window boundary), when
 * MaximumBatchingWindowInSeconds has passed since the first buffered record was read, or when
 * the shard has ended and nothing more can come.
 */
export function batchDue(
  buffer: readonly BufferedRecord[],
  settings: EsmSettings,
  nowMs: number,
  envelopeBytes: number,
  shardEnded: boolean,
): BatchDue {
  if (buffer.length === 0) return { due: false, count: 0 };
  const plan = planBatch(buffer, settings, envelopeBytes);
  if (plan.limitedBy !== 'buffer' || shardEnded) return { due: true, count: plan.count };
  const wakeAtMs = buffer[0].fetchedAtMs + settings.maxBatchingWindowMs;
  return nowMs >= wakeAtMs ? { due: true, count: plan.count } : { due: false, count: plan.count, wakeAtMs };
}

/** How many leading records are older than MaximumRecordAgeInSeconds (0 when unlimited). */
export function countExpired(records: readonly BufferedRecord[], nowMs: number, maxRecordAgeMs: number): number {
  if (maxRecordAgeMs < 0) return 0;
  let n = 0;
  while (n < records.length && nowMs - records[n].arrivalMs > maxRecordAgeMs) n += 1;
  return n;
}

/** What an invocation's result means for the batch. */
export type ResponseOutcome =
  | { readonly kind: 'success'; readonly state?: JsonObject }
  /** Records before `failedIndex` succeeded; retry from it. */
  | { readonly kind: 'partial'; readonly failedIndex: number; readonly state?: JsonObject }
  /** The whole batch failed; `functionError` tells a function error from an invalid response. */
  | { readonly kind: 'failure'; readonly reason: string; readonly functionError: boolean };

function isPlainObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Interprets a batch invocation's result: function errors fail the batch; with tumbling windows
 * a response without an object `state` fails it; with ReportBatchItemFailures, a null/empty list
 * is success, an invalid or unknown `itemIdentifier` fails the whole batch, otherwise the
 * lowest failed sequence number is where processing resumes.
 */
export function interpretResponse(
  result: StreamInvokeResult,
  sequenceNumbers: readonly string[],
  opts: { readonly reportBatchItemFailures: boolean; readonly tumbling: boolean },
): ResponseOutcome {
  if (!result.ok) {
    return { kind: 'failure', reason: `${result.error.errorType}: ${result.error.errorMessage}`, functionError: true };
  }
  const payload = result.payload;
  let state: JsonObject | undefined;
  if (opts.tumbling) {
    const candidate = isPlainObject(payload) ? payload.state : undefined;
    if (!isPlainObject(candidate)) {
      return { kind: 'failure', reason: 'tumbling-window response has no state object', functionError: false };
    }
    state = candidate;
  }
  const success: ResponseOutcome = state ? { kind: 'success', state } : { kind: 'success' };
  if (!opts.reportBatchItemFailures || !isPlainObject(payload)) return success;
  const failures = payload.batchItemFailures;
  if (failures === undefined || failures === null) return success;
  if (!Array.isArray(failures)) {
    return { kind: 'failure', reason: 'batchItemFailures is not a list', functionError: false };
  }
  if (failures.length === 0) return success;
  const index = new Map(sequenceNumbers.map((seq, i) => [seq, i] as const));
  let lowest: string | undefined;
  for (const failure of failures) {
    const id: unknown = isPlainObject(failure) ? failure.itemIdentifier : undefined;
    if (typeof id !== 'string' || id.length === 0 || !index.has(id)) {
      return { kind: 'failure', reason: `invalid itemIdentifier ${JSON.stringify(id) ?? 'undefined'}`, functionError: false };
    }
    if (lowest === undefined || compareSequenceNumbers(id, lowest) < 0) lowest = id;
  }
  const failedIndex = index.get(lowest as string) ?? 0;
  return state ? { kind: 'partial', failedIndex, state } : { kind: 'partial', failedIndex };
}

/** The batch after one more invocation. */
export function recordAttempt(batch: PendingBatch, result: StreamInvokeResult): PendingBatch {
  return {
    ...batch,
    invokeCount: batch.invokeCount + 1,
    lastFunctionError: result.ok ? undefined : 'Unhandled',
    lastRequestId: result.requestId ?? batch.lastRequestId,
  };
}

/** What to do after an invocation. */
export type Decision =
  /** Every record of the batch is done. */
  | { readonly kind: 'commit'; readonly count: number; readonly state?: JsonObject }
  /** Commit `commit` head records, then work on `next` (which replace the rest of the batch). */
  | {
      readonly kind: 'retry';
      readonly commit: number;
      readonly state?: JsonObject;
      readonly next: readonly PendingBatch[];
      /** Wait before retrying (false right after a bisect, which retries at once). */
      readonly backoff: boolean;
    }
  /** Commit `commit` head records, then discard `discard` (send it to the on-failure destination). */
  | {
      readonly kind: 'discard';
      readonly commit: number;
      readonly state?: JsonObject;
      readonly discard: PendingBatch;
      readonly condition: DiscardCondition;
    };

/** Splits a batch size in two for BisectBatchOnFunctionError (first half gets the odd record). */
export function bisect(size: number): [number, number] {
  const first = Math.ceil(size / 2);
  return [first, size - first];
}

/**
 * Decides retry / bisect / discard for a batch (already passed through {@link recordAttempt}).
 * Bisecting does not use the retry quota (AWS: "Splitting batches doesn't consume the retry
 * quota"); a retry of the whole batch or of the part from the lowest reported failure does.
 */
export function decide(batch: PendingBatch, outcome: ResponseOutcome, settings: EsmSettings): Decision {
  const exhausted = settings.maxRetryAttempts !== -1 && batch.retries >= settings.maxRetryAttempts;
  const withState = <T extends object>(d: T, state: JsonObject | undefined): T => (state ? { ...d, state } : d);
  if (outcome.kind === 'success') return withState({ kind: 'commit', count: batch.size }, outcome.state);
  if (outcome.kind === 'partial') {
    const rest: PendingBatch = { ...batch, size: batch.size - outcome.failedIndex };
    if (exhausted) {
      return withState({ kind: 'discard', commit: outcome.failedIndex, discard: rest, condition: 'RetryAttemptsExhausted' }, outcome.state);
    }
    return withState(
      { kind: 'retry', commit: outcome.failedIndex, next: [{ ...rest, retries: batch.retries + 1 }], backoff: true },
      outcome.state,
    );
  }
  if (settings.bisectOnError && batch.size > 1) {
    const [a, b] = bisect(batch.size);
    return {
      kind: 'retry',
      commit: 0,
      next: [
        { ...batch, size: a },
        { ...batch, size: b },
      ],
      backoff: false,
    };
  }
  if (exhausted) return { kind: 'discard', commit: 0, discard: batch, condition: 'RetryAttemptsExhausted' };
  return { kind: 'retry', commit: 0, next: [{ ...batch, retries: batch.retries + 1 }], backoff: true };
}

/** Exponential retry delay: `baseMs · 2^(retries-1)`, at most `maxMs`. */
export function backoffMs(retries: number, baseMs: number, maxMs: number): number {
  return Math.min(maxMs, baseMs * 2 ** Math.max(0, retries - 1));
}

/** Builds the on-failure document for discarded records (Lambda's Kinesis invocation record). */
export function buildOnFailureRecord(args: {
  readonly records: readonly BufferedRecord[];
  readonly batch: PendingBatch;
  readonly condition: DiscardCondition;
  readonly shardId: string;
  readonly streamArn: string;
  readonly functionArn: string;
  readonly requestId: string;
  readonly nowMs: number;
}): KinesisOnFailureRecord {
  const { records, batch } = args;
  if (records.length === 0) throw new Error('buildOnFailureRecord: no records');
  const first = records[0];
  const last = records[records.length - 1];
  const invoked = batch.invokeCount > 0;
  return {
    requestContext: {
      requestId: batch.lastRequestId ?? args.requestId,
      functionArn: args.functionArn,
      condition: args.condition,
      approximateInvokeCount: batch.invokeCount,
    },
    responseContext: invoked
      ? { statusCode: 200, executedVersion: '$LATEST', functionError: batch.lastFunctionError ?? null }
      : { statusCode: 0, executedVersion: null, functionError: null },
    version: '1.0',
    timestamp: new Date(args.nowMs).toISOString(),
    KinesisBatchInfo: {
      shardId: args.shardId,
      startSequenceNumber: first.sequenceNumber,
      endSequenceNumber: last.sequenceNumber,
      approximateArrivalOfFirstRecord: new Date(first.arrivalMs).toISOString(),
      approximateArrivalOfLastRecord: new Date(last.arrivalMs).toISOString(),
      batchSize: records.length,
      streamArn: args.streamArn,
    },
  };
}

/** Size in bytes of a state object once serialised. */
export function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value) ?? 'null');
}
