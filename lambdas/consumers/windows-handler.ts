import type { KinesisStreamTumblingWindowEvent } from 'aws-lambda';
import { consumerEntry } from './entry';
import { createHandler, type WindowsResponse } from './windows';

/** The Lambda entry point of the windows consumer (Kinesis with TumblingWindowInSeconds); rejects to have the invoke retried. */
export const handler = consumerEntry<KinesisStreamTumblingWindowEvent & { shardId?: string }, WindowsResponse>('windows', createHandler);
