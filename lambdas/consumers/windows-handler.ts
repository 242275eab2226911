import { Logger } from '@aws-lambda-powertools/logger';
import type { Context, KinesisStreamTumblingWindowEvent } from 'aws-lambda';
import { documentClient, snsClient } from './clients';
import { loadConsumerConfig } from './config';
import { SnsNotifier } from './notify';
import { DynamoResultsStore } from './store';
import { createHandler, type WindowsHandler, type WindowsResponse } from './windows';

// Production wiring only: one logger and one set of SDK clients per container, configuration read once.
const logger = new Logger();
let live: WindowsHandler | undefined;

/** The windows consumer over the environment's table and topic; throws when the configuration is invalid. */
function build(): WindowsHandler {
  const config = loadConsumerConfig(process.env);
  return createHandler({
    config,
    store: new DynamoResultsStore(documentClient, config.tableName),
    notifier: new SnsNotifier(snsClient, config.alertsTopicArn),
    logger,
    now: () => new Date(),
  });
}

/** The Lambda entry point of the windows consumer (Kinesis with TumblingWindowInSeconds); rejects to have the invoke retried. */
export const handler = async (event: KinesisStreamTumblingWindowEvent & { shardId?: string }, context?: Context): Promise<WindowsResponse> => {
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
