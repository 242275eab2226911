import { Logger } from '@aws-lambda-powertools/logger';
import type { Context, KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import { documentClient, snsClient } from './clients';
import { loadConsumerConfig } from './config';
import { SnsNotifier } from './notify';
import { createHandler, type RealtimeHandler } from './realtime';
import { DynamoResultsStore } from './store';

// Production wiring only: one logger and one set of SDK clients per container, configuration read once.
const logger = new Logger();
let live: RealtimeHandler | undefined;

/** The realtime consumer over the environment's table and topic; throws when the configuration is invalid. */
function build(): RealtimeHandler {
  const config = loadConsumerConfig(process.env);
  return createHandler({
    config,
    store: new DynamoResultsStore(documentClient, config.tableName),
    notifier: new SnsNotifier(snsClient, config.alertsTopicArn),
    logger,
    now: () => new Date(),
  });
}

/** The Lambda entry point of the realtime consumer (Kinesis, ReportBatchItemFailures); rejects to have the batch retried. */
export const handler = async (event: KinesisStreamEvent, context?: Context): Promise<KinesisStreamBatchResponse> => {
  if (context !== undefined) logger.addContext(context);
  if (live === undefined) {
    try {
      live = build();
    } catch (error) {
      logger.error('invalid configuration', { message: error instanceof Error ? error.message : String(error) });
      throw error;
    }
  }
  return live(event);
};
