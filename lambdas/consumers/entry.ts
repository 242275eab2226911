import { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import { documentClient, snsClient } from './clients';
import type { ConsumerDeps } from './common';
import { loadConsumerConfig } from './config';
import { SnsNotifier } from './notify';
import { DynamoResultsStore } from './store';

/**
 * The Lambda entry point of a consumer: one logger and one set of SDK clients per container, the
 * configuration read and checked from the environment on the first invoke (an invalid one is
 * logged and rethrown), then every invoke handed to the handler `create` builds.
 */
export function consumerEntry<E, R>(create: (deps: ConsumerDeps) => (event: E) => Promise<R>): (event: E, context?: Context) => Promise<R> {
  const logger = new Logger();
  let live: ((event: E) => Promise<R>) | undefined;
  return async (event, context) => {
    if (context !== undefined) logger.addContext(context);
    if (live === undefined) {
      try {
        const config = loadConsumerConfig(process.env);
        live = create({
          config,
          store: new DynamoResultsStore(documentClient, config.tableName),
          notifier: new SnsNotifier(snsClient, config.alertsTopicArn),
          logger,
          now: () => new Date(),
        });
      } catch (error) {
        logger.error('invalid configuration', { message: error instanceof Error ? error.message : String(error) });
        throw error;
      }
    }
    return live(event);
  };
}
