import type { KinesisStreamEvent } from 'aws-lambda';
import { consumerEntry } from './entry';
import { createHandler } from './realtime';

/** The Lambda entry point of the realtime consumer (Kinesis, ReportBatchItemFailures); rejects to have the batch retried. */
export const handler = consumerEntry<KinesisStreamEvent, Awaited<ReturnType<ReturnType<typeof createHandler>>>>('realtime', createHandler);
