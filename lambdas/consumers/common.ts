import type { AppLogger } from '../shared/logger';
import type { BusinessMetrics } from '../shared/metrics';
import type { ConsumerConfig } from './config';
import type { Notifier } from './notify';
import type { ResultsStore } from './store';
export { mapLimit } from '../shared/concurrency';

/** What a consumer's logic needs from outside; tests pass a memory store, a fake notifier and a fixed clock. */
export interface ConsumerDeps {
  readonly config: ConsumerConfig;
  readonly store: ResultsStore;
  readonly notifier: Notifier;
  readonly logger: AppLogger;
  readonly now: () => Date;
  /** Receives the business counts of each invocation (poison records, late events, alerts raised, …). @default - not counted */
  readonly metrics?: BusinessMetrics;
  /** Writes in flight at once. @default DEFAULT_CONCURRENCY */
  readonly concurrency?: number;
}

/** Writes in flight at once per invocation, unless a consumer is told otherwise. */
export const DEFAULT_CONCURRENCY = 16;

/**
 * The shard of a Kinesis record from its Lambda `eventID` (`shardId-000000000000:4959…` →
 * `shardId-000000000000`). Throws TypeError when there is no shard part.
 */
export function shardIdOf(eventID: string | undefined): string {
  const at = eventID === undefined ? -1 : eventID.indexOf(':');
  if (eventID === undefined || at <= 0) throw new TypeError(`cannot read the shard from eventID ${JSON.stringify(eventID)}`);
  return eventID.slice(0, at);
}

/** An ISO window bound (`2020-12-09T07:04:00Z` as Lambda writes it) in one canonical form with milliseconds. Throws RangeError for a value that is not a time. */
export function canonicalTime(value: string): string {
  const ms = Date.parse(value);
  if (!Number.isFinite(ms)) throw new RangeError(`not a time: ${JSON.stringify(value)}`);
  return new Date(ms).toISOString();
}

/**
 * What DynamoDB says in a `ValidationException` that refuses a request for the size of what it
 * holds: a key over 2048/1024 bytes, an item over 400 KB, a number out of range ("Size of hashkey
 * has exceeded…", "Hash primary key values must be under 2048 bytes", "Item size has exceeded the
 * maximum allowed size", "Number overflow…").
 */
const SIZE_REFUSAL = /size|bytes|exceed|larger than|overflow|underflow/i;

/**
 * True when DynamoDB refused a request for the size of what it holds (a `ValidationException`
 * about a key, a value or an item beyond a limit): a retry would fail the same way. Every other failure is a dependency's, which a retry can fix
 * (throttling, a service or network error, a concurrent writer), or a fault of ours that must not
 * be blamed on the records (any other `ValidationException`, e.g. a malformed expression). An
 * AggregateError is a record fault only when all of its errors are. Never throws.
 */
export function isRecordFault(error: unknown): boolean {
  if (error instanceof AggregateError) return error.errors.length > 0 && error.errors.every(isRecordFault);
  if (!(error instanceof Error)) return false;
  return error.name === 'ValidationException' && SIZE_REFUSAL.test(error.message);
}

/** An error's name and message (for logs and quarantine reasons). Never throws. */
export function describeError(error: unknown): { errorName: string; errorMessage: string } {
  return error instanceof Error
    ? { errorName: error.name, errorMessage: error.message }
    : { errorName: 'UnknownError', errorMessage: String(error) };
}
