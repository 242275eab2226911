import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { z } from 'zod';
import { parseEnv, requiredString } from './env';
import type { AppLogger } from './logger';
import {
  BUSINESS_METRICS,
  FIELD_DIMENSION,
  MetricTally,
  REJECTED_BY_FIELD,
  SERVICE_METRICS,
  type BusinessMetric,
  type BusinessMetrics,
  type MetricService,
} from './metrics';

/** A handler as the entry point calls it: the event, and Lambda's context when the runtime gives one. */
export type LiveHandler<E, R> = (event: E, context?: Context) => Promise<R>;

/**
 * The Lambda entry point of every function: one Powertools logger per container, the invoke's
 * context added to it, and the handler built by `build` on the first invoke (where the
 * configuration is read from the environment and checked). When `build` throws, the error is
 * logged with its stack and rethrown; the next invoke tries again.
 */
export function lambdaEntry<E, R>(build: (logger: AppLogger) => LiveHandler<E, R>): LiveHandler<E, R> {
  const logger = new Logger();
  let live: LiveHandler<E, R> | undefined;
  return async (event, context) => {
    if (context !== undefined) logger.addContext(context);
    if (live === undefined) {
      try {
        live = build(logger);
      } catch (error) {
        logger.error('invalid configuration', { error });
        throw error;
      }
    }
    return live(event, context);
  };
}

/**
 * Writes a tally as EMF lines through `metrics` (one line with the service's metrics, zeros
 * included, and one per rejected field with its `field` dimension), then clears the tally.
 * Never throws for a value: Powertools drops what CloudWatch would refuse, with a warning.
 */
function publishTally(metrics: Metrics, service: MetricService, tally: MetricTally): void {
  const names = new Set<BusinessMetric>(SERVICE_METRICS[service]);
  for (const name of BUSINESS_METRICS) if (tally.count(name) !== 0) names.add(name);
  for (const name of names) metrics.addMetric(name, MetricUnit.Count, tally.count(name));
  metrics.publishStoredMetrics();
  for (const [field, count] of tally.rejectedByField()) {
    const single = metrics.singleMetric();
    single.addDimension(FIELD_DIMENSION, field);
    single.addMetric(REJECTED_BY_FIELD, MetricUnit.Count, count);
  }
  tally.clear();
}

const metricsEnvSchema = z.object({
  POWERTOOLS_METRICS_NAMESPACE: requiredString.pipe(z.string().max(255, 'must be at most 255 characters')),
});

/**
 * {@link lambdaEntry} for a function that writes business metrics: `build` also receives the
 * invocation's {@link BusinessMetrics}, and at the end of every invocation (success or failure)
 * its counts are published as EMF lines in the namespace `POWERTOOLS_METRICS_NAMESPACE` (read and
 * checked with the rest of the configuration on the first invoke) with the dimension
 * `service = <service>`.
 */
export function meteredEntry<E, R>(
  service: MetricService,
  build: (logger: AppLogger, metrics: BusinessMetrics) => LiveHandler<E, R>,
): LiveHandler<E, R> {
  return lambdaEntry<E, R>((logger) => {
    const tally = new MetricTally();
    const live = build(logger, tally);
    const { POWERTOOLS_METRICS_NAMESPACE: namespace } = parseEnv(metricsEnvSchema, process.env, 'metrics configuration');
    const metrics = new Metrics({ namespace, serviceName: service });
    return async (event, context) => {
      try {
        return await live(event, context);
      } finally {
        publishTally(metrics, service, tally);
      }
    };
  });
}
