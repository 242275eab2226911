import { meteredEntry, type LiveHandler } from '../shared/entry';
import type { MetricService } from '../shared/metrics';
import { documentClient, snsClient } from './clients';
import type { ConsumerDeps } from './common';
import { loadConsumerConfig } from './config';
import { SnsNotifier } from './notify';
import { DynamoResultsStore } from './dynamo-store';

/**
 * The Lambda entry point of a consumer (see `meteredEntry`): one set of SDK clients per container,
 * the configuration read and checked from the environment on the first invoke, then every invoke
 * handed to the handler `create` builds, and its business metrics published as `service`.
 */
export function consumerEntry<E, R>(service: MetricService, create: (deps: ConsumerDeps) => (event: E) => Promise<R>): LiveHandler<E, R> {
  return meteredEntry<E, R>(service, (logger, metrics) => {
    const config = loadConsumerConfig(process.env);
    const live = create({
      config,
      store: new DynamoResultsStore(documentClient, config.tableName),
      notifier: new SnsNotifier(snsClient, config.alertsTopicArn),
      logger,
      metrics,
      now: () => new Date(),
    });
    return (event) => live(event);
  });
}
