/** Firehose's buffering decision: whichever of size and interval is reached first flushes. */

export interface BufferingHints {
  /** SizeInMBs × 1 MiB. */
  readonly sizeBytes: number;
  /** IntervalInSeconds × 1000. */
  readonly intervalMs: number;
}

export interface BufferState {
  /** Bytes of record data buffered (before compression). */
  readonly bytes: number;
  readonly records: number;
  /** Local clock time (ms) when the first record now in the buffer was buffered. */
  readonly firstBufferedAt?: number;
}

export type FlushReason = 'size' | 'interval';

/** Firehose's defaults for an S3 destination: 5 MiB / 300 s. */
export const DEFAULT_BUFFERING: BufferingHints = { sizeBytes: 5 * 1024 * 1024, intervalMs: 300_000 };

/** Buffering hints from `BufferingHints { SizeInMBs, IntervalInSeconds }`, with Firehose's defaults for what is missing. */
export function bufferingHints(sizeInMBs?: number, intervalInSeconds?: number): BufferingHints {
  return {
    sizeBytes: sizeInMBs === undefined ? DEFAULT_BUFFERING.sizeBytes : sizeInMBs * 1024 * 1024,
    intervalMs: intervalInSeconds === undefined ? DEFAULT_BUFFERING.intervalMs : intervalInSeconds * 1000,
  };
}

/** Why the buffer must be flushed now, or undefined when it may keep filling. An empty buffer never flushes. */
export function flushReason(state: BufferState, hints: BufferingHints, now: number): FlushReason | undefined {
  if (state.records === 0) return undefined;
  if (state.bytes >= hints.sizeBytes) return 'size';
  if (state.firstBufferedAt !== undefined && now - state.firstBufferedAt >= hints.intervalMs) return 'interval';
  return undefined;
}

/** Milliseconds until the interval flush of a non-empty buffer is due (0 when overdue), or undefined when empty. */
export function msUntilIntervalFlush(state: BufferState, hints: BufferingHints, now: number): number | undefined {
  if (state.records === 0 || state.firstBufferedAt === undefined) return undefined;
  return Math.max(0, state.firstBufferedAt + hints.intervalMs - now);
}
