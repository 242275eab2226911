import type { AppLogger } from '../shared/logger';
import type { ConsumerConfig } from './config';
import type { Notifier } from './notify';
import type { ResultsStore } from './store';

/** What a consumer's logic needs from outside; tests pass a memory store, a fake notifier and a fixed clock. */
export interface ConsumerDeps {
  readonly config: ConsumerConfig;
  readonly store: ResultsStore;
  readonly notifier: Notifier;
  readonly logger: AppLogger;
  readonly now: () => Date;
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

/**
 * Runs `fn` over `items` with at most `limit` calls in flight and returns the results in order.
 * When a call rejects, no new call starts, the ones in flight are awaited (nothing is left
 * running after the caller's failure), and the first rejection is rethrown.
 */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failure: { readonly error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (failure === undefined && next < items.length) {
      const index = next;
      next += 1;
      try {
        results[index] = await fn(items[index] as T, index);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (failure !== undefined) throw failure.error;
  return results;
}

/** An ISO window bound (`2020-12-09T07:04:00Z` as Lambda writes it) in one canonical form with milliseconds. Throws RangeError for a value that is not a time. */
export function canonicalTime(value: string): string {
  const ms = Date.parse(value);
  if (!Number.isFinite(ms)) throw new RangeError(`not a time: ${JSON.stringify(value)}`);
  return new Date(ms).toISOString();
}

/** Name of the error the realtime consumer raises when a batch's paths transaction cannot fit DynamoDB's limits. */
export const PATHS_TOO_LARGE = 'PathsTransactionTooLargeError';

/**
 * True when DynamoDB refused a request for what it holds (`ValidationException`: a key, a value or
 * an item beyond a limit) or the paths transaction cannot fit its limits: a retry would fail the
 * same way. Every other failure (throttling, a service or network error, a concurrent writer) is a
 * dependency's, which a retry can fix. An AggregateError is a record fault only when all of its
 * errors are. Never throws.
 */
export function isRecordFault(error: unknown): boolean {
  if (error instanceof AggregateError) return error.errors.length > 0 && error.errors.every(isRecordFault);
  return error instanceof Error && (error.name === 'ValidationException' || error.name === PATHS_TOO_LARGE);
}

/** An error's name and message (for logs and quarantine reasons). Never throws. */
export function describeError(error: unknown): { errorName: string; errorMessage: string } {
  return error instanceof Error
    ? { errorName: error.name, errorMessage: error.message }
    : { errorName: 'UnknownError', errorMessage: String(error) };
}
