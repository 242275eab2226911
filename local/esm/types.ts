/**
 * Types of the local Kinesis event-source mapping: its configuration (the
 * `AWS::Lambda::EventSourceMapping` properties), the events it sends, the results it expects
 * and the on-failure records it writes.
 */
import type { KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import type { LambdaErrorPayload } from '../lambda/types';

/** A JSON object, as tumbling-window state is. */
export type JsonObject = { [key: string]: unknown };

/** Properties of `AWS::Lambda::EventSourceMapping` that apply to a Kinesis source (as in the template). */
export interface KinesisEventSourceMappingProperties {
  /** 1..10000, default 100. */
  readonly BatchSize?: number;
  /** 0..300, default 0. */
  readonly MaximumBatchingWindowInSeconds?: number;
  readonly StartingPosition: 'LATEST' | 'TRIM_HORIZON' | 'AT_TIMESTAMP';
  /** Unix seconds; required with AT_TIMESTAMP. */
  readonly StartingPositionTimestamp?: number;
  /** 0 (off) ..900. */
  readonly TumblingWindowInSeconds?: number;
  /** `['ReportBatchItemFailures']` to honour `batchItemFailures`. */
  readonly FunctionResponseTypes?: readonly string[];
  readonly BisectBatchOnFunctionError?: boolean;
  /** -1 (infinite, default) ..10000. */
  readonly MaximumRetryAttempts?: number;
  /** -1 (infinite, default), else seconds (AWS requires 60..604800; smaller values are accepted locally). */
  readonly MaximumRecordAgeInSeconds?: number;
  readonly DestinationConfig?: { readonly OnFailure?: { readonly Destination?: string } };
  /** 1..10; only 1 is implemented locally (larger values are processed as 1, with a warning). */
  readonly ParallelizationFactor?: number;
  readonly Enabled?: boolean;
}

/** The validated configuration with defaults applied, in milliseconds. */
export interface EsmSettings {
  readonly batchSize: number;
  readonly maxBatchingWindowMs: number;
  readonly startingPosition: 'LATEST' | 'TRIM_HORIZON' | 'AT_TIMESTAMP';
  readonly startingPositionTimestamp?: number;
  /** 0 when tumbling windows are off. */
  readonly tumblingWindowMs: number;
  readonly reportBatchItemFailures: boolean;
  readonly bisectOnError: boolean;
  /** -1 = infinite. */
  readonly maxRetryAttempts: number;
  /** -1 = infinite. */
  readonly maxRecordAgeMs: number;
  readonly onFailureDestination?: string;
  readonly parallelizationFactor: number;
}

/** Tumbling-window invocation event (AWS's shape: the record event plus window fields). */
export interface KinesisTumblingWindowEvent extends KinesisStreamEvent {
  readonly window: { readonly start: string; readonly end: string };
  readonly state: JsonObject;
  readonly shardId: string;
  readonly eventSourceARN: string;
  readonly isFinalInvokeForWindow: boolean;
  readonly isWindowTerminatedEarly: boolean;
}

/** What the mapping sends to the function. */
export type KinesisInvokeEvent = KinesisStreamEvent | KinesisTumblingWindowEvent;

/** What the injected `invoke` returns; `LocalFunction#invoke`'s result fits it. */
export type StreamInvokeResult =
  | { readonly ok: true; readonly payload: unknown; readonly requestId?: string }
  | { readonly ok: false; readonly error: LambdaErrorPayload; readonly requestId?: string };

/** Invokes the target function synchronously. Rejections count as invoke errors (not function errors). */
export type StreamInvokeFn = (event: KinesisInvokeEvent) => Promise<StreamInvokeResult>;

/** A record read from the shard and kept until processed, with its event form precomputed. */
export interface BufferedRecord {
  readonly sequenceNumber: string;
  /** Approximate arrival in epoch milliseconds. */
  readonly arrivalMs: number;
  /** When the mapping read it (epoch ms); the batching window starts here. */
  readonly fetchedAtMs: number;
  readonly eventRecord: KinesisStreamRecord;
  /** Bytes the record adds to the invocation payload. */
  readonly sizeBytes: number;
}

/** A run of records at the head of the shard buffer being (re)tried as one batch. */
export interface PendingBatch {
  readonly size: number;
  /** Retries already used (bisecting does not use any). */
  readonly retries: number;
  /** Invocations these records have been part of. */
  readonly invokeCount: number;
  /** `Unhandled` when the last invocation ended in a function error. */
  readonly lastFunctionError?: string;
  readonly lastRequestId?: string;
}

/** The tumbling window in progress on a shard. */
export interface WindowProgress {
  readonly startMs: number;
  readonly endMs: number;
  readonly state: JsonObject;
  readonly terminatedEarly: boolean;
}

/** What the mapping remembers for one shard between restarts. */
export interface ShardCheckpoint {
  /** Last sequence number fully processed (resume AFTER_SEQUENCE_NUMBER). */
  readonly sequenceNumber?: string;
  /** The shard is closed and every record of it was processed. */
  readonly shardEnded?: boolean;
  /** Tumbling window in progress, with the state returned by the last successful invocation. */
  readonly window?: WindowProgress;
}

/** Why records were discarded. */
export type DiscardCondition = 'RetryAttemptsExhausted' | 'RecordAgeExceeded';

/** The document Lambda sends to the on-failure destination for a Kinesis source. */
export interface KinesisOnFailureRecord {
  readonly requestContext: {
    readonly requestId: string;
    readonly functionArn: string;
    readonly condition: DiscardCondition;
    readonly approximateInvokeCount: number;
  };
  /** `statusCode: 0` and nulls when the records were never invoked (discarded for age first). */
  readonly responseContext: {
    readonly statusCode: number;
    readonly executedVersion: string | null;
    /** `Unhandled` after a function error, null after an invalid or partial-failure response. */
    readonly functionError: string | null;
  };
  readonly version: '1.0';
  readonly timestamp: string;
  readonly KinesisBatchInfo: {
    readonly shardId: string;
    readonly startSequenceNumber: string;
    readonly endSequenceNumber: string;
    readonly approximateArrivalOfFirstRecord: string;
    readonly approximateArrivalOfLastRecord: string;
    readonly batchSize: number;
    readonly streamArn: string;
  };
}
