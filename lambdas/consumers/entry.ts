import { lambdaEntry, type LiveHandler } from '../shared/entry';
import { documentClient, snsClient } from './clients';
import type { ConsumerDeps } from './common';
import { loadConsumerConfig } from './config';
import { SnsNotifier } from './notify';
import { DynamoResultsStore } from './dynamo-store';

/**
 * The Lambda entry point of a consumer (see `lambdaEntry`): one set of SDK clients per container,
 * the configuration read and checked from the environment on the first invoke, then every invoke
 * handed to the handler `create` builds.
 */
export function consumerEntry<E, R>(create: (deps: ConsumerDeps) => (event: E) => Promise<R>): LiveHandler<E, R> {
  return lambdaEntry<E, R>((logger) => {
    const config = loadConsumerConfig(process.env);
    const live = create({
      config,
      store: new DynamoResultsStore(documentClient, config.tableName),
      notifier: new SnsNotifier(snsClient, config.alertsTopicArn),
      logger,
      now: () => new Date(),
    });
    return (event) => live(event);
  });
}
