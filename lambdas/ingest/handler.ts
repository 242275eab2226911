import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { GetSecretValueCommand, ResourceNotFoundException, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { ALBEvent, ALBResult, APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { meteredEntry } from '../shared/entry';
import type { AppLogger } from '../shared/logger';
import type { BusinessMetrics } from '../shared/metrics';
import { assembleResults, eventItems, failureCodes, pathItems, toPublishable } from './batch';
import { loadConfig, type IngestConfig } from './config';
import { albAdapter, isAlbEvent, type IngestCore } from './alb';
import { errorResponse, ingestResponse, readJsonBody, routeOf } from './http';
import { cachedFor, keyDigests, type ProducerKeyDigest } from './producer-keys';
import { extractPathDocuments } from './paths';
import { parsePseudonymKey } from './pseudonymize';
import { publishEvents } from './publish';
import { checkEvents, extractEvents } from './validate';

/** How publishing retries (see `PublishOptions`); `budgetMs` bounds the time spent retrying per request. */
export interface RetryPolicy {
  readonly maxAttempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  readonly budgetMs: number;
}

/** Everything the handler needs from outside; tests pass fakes. */
export interface IngestDeps {
  readonly config: IngestConfig;
  readonly kinesis: KinesisClient;
  /** The HMAC key; called only when pseudonymization is on, may cache, rejects when it cannot be read. */
  readonly pseudonymKey: () => Promise<Uint8Array>;
  readonly now: () => Date;
  readonly sleep: (ms: number) => Promise<void>;
  readonly random: () => number;
  readonly logger: AppLogger;
  /** Receives the business counts of each request (events accepted, rejected per field, not written to the stream). */
  readonly metrics: BusinessMetrics;
  /** @default DEFAULT_RETRY */
  readonly retry?: RetryPolicy;
}

/** The pure core: a request (a REST API proxy event, or an ALB event as `alb.ts` maps it) in, a proxy result out. */
export type IngestHandler = IngestCore;

/** Five PutRecords calls per chunk, backoff 100 ms doubling to 2 s, within 10 s (API Gateway gives up at 29 s). */
export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 5, baseDelayMs: 100, maxDelayMs: 2000, budgetMs: 10_000 };

/** Time kept back from the Lambda's remaining time for the last call and the response. */
const RESERVE_MS = 6_000;

/**
 * Builds the ingest handler over `deps`: routes, reads the body, validates and normalises each
 * event, pseudonymizes, publishes to Kinesis and answers per event (see `ingestResponse`).
 * Never throws for a bad request; answers 503 when the pseudonym key cannot be read.
 */
export function createHandler(deps: IngestDeps): IngestHandler {
  const { config, logger } = deps;
  const retry = deps.retry ?? DEFAULT_RETRY;

  return async (event, context) => {
    const startedAt = deps.now().getTime();
    const requestId = event.requestContext?.requestId;

    const routed = routeOf(event);
    if (!routed.ok) return routed.response;
    const route = routed.route;

    const body = readJsonBody(event, config.maxBodyBytes);
    if (!body.ok) {
      logger.info('request refused', { requestId, route, status: body.response.statusCode });
      return body.response;
    }

    const extracted =
      route === 'events'
        ? extractEvents(body.value, config.maxEventsPerRequest)
        : extractPathDocuments(body.value, config.maxEventsPerRequest);
    if (!extracted.ok) {
      logger.info('request refused', { requestId, route, status: 400, field: extracted.error.field });
      return errorResponse(400, extracted.error);
    }

    let key: Uint8Array | undefined;
    if (config.pseudonymization !== undefined) {
      try {
        key = await deps.pseudonymKey();
      } catch (error) {
        // Name and message only: neither SDK errors nor parsePseudonymKey's carry the secret's value.
        const cause = error instanceof Error ? { errorName: error.name, errorMessage: error.message } : { errorName: 'UnknownError' };
        logger.error('pseudonym key unavailable', { requestId, route, ...cause }, { error });
        return errorResponse(503, { field: '', reason: 'pseudonymization key unavailable; retry later' }, { 'retry-after': '1' });
      }
    }

    const receivedAt = deps.now();
    const items = 'events' in extracted ? eventItems(extracted.events) : pathItems(extracted.documents, config.timeZone, key, receivedAt);
    const checked = checkEvents(
      items.map((item) => item.pending),
      config.timeZone,
      receivedAt,
    );
    const pseudonymization =
      key !== undefined && config.pseudonymization !== undefined ? { key, props: config.pseudonymization.props } : undefined;
    const publishable = toPublishable(checked, receivedAt, pseudonymization);

    // A stand-in runtime may pass no context, or one without the clock: then only the budget bounds retries.
    const remaining =
      typeof context?.getRemainingTimeInMillis === 'function' ? context.getRemainingTimeInMillis() : Number.POSITIVE_INFINITY;
    const budget = Math.max(0, Math.min(retry.budgetMs, remaining - RESERVE_MS));
    const report =
      publishable.length === 0
        ? { outcomes: [], calls: 0 }
        : await publishEvents(
            deps.kinesis,
            publishable.map((entry) => entry.event),
            {
              streamName: config.streamName,
              maxAttempts: retry.maxAttempts,
              baseDelayMs: retry.baseDelayMs,
              maxDelayMs: retry.maxDelayMs,
              deadline: deps.now().getTime() + budget,
              now: () => deps.now().getTime(),
              sleep: deps.sleep,
              random: deps.random,
            },
          );

    const results = assembleResults(items, checked, publishable, report.outcomes);
    const response = ingestResponse(results);
    const errorCodes = failureCodes(report.outcomes);
    const streamFailures = Object.values(errorCodes).reduce((sum, count) => sum + count, 0);
    const invalid = checked.flatMap(({ check }) => (check.ok ? [] : [check.errors]));
    const accepted = results.filter((result) => result.status === 'accepted').length;
    deps.metrics.add({ EventsAccepted: accepted, EventsRejected: invalid.length, StreamFailures: streamFailures });
    for (const errors of invalid) deps.metrics.addRejectedFields(errors.map((error) => error.field));
    const attributes = {
      requestId,
      route,
      status: response.statusCode,
      events: results.length,
      accepted,
      invalid: invalid.length,
      streamFailures,
      putRecordsCalls: report.calls,
      durationMs: deps.now().getTime() - startedAt,
    };
    if (streamFailures > 0) logger.warn('events not written to the stream', { ...attributes, errorCodes });
    else logger.info('request handled', attributes);
    return response;
  };
}

// ---------------------------------------------------------------------------------------------
// Production wiring: one Kinesis client per container, configuration read once (lambdaEntry).

/**
 * HTTP/1.1 handler: right on AWS, and what kinesalite speaks locally. Endpoints come from the
 * SDK's own `AWS_ENDPOINT_URL_KINESIS`. The SDK does not retry by itself (`maxAttempts: 1`):
 * `publishEvents` owns retries, per failed entry and within the request's time budget.
 */
const kinesis = new KinesisClient({
  requestHandler: new NodeHttpHandler({ connectionTimeout: 2_000, requestTimeout: 5_000 }),
  maxAttempts: 1,
});

/** Runs `load` once; a failure is not cached, so the next call tries again. */
function onceSucceeded<T>(load: () => Promise<T>): () => Promise<T> {
  let cached: Promise<T> | undefined;
  return () => {
    cached ??= load().catch((error: unknown) => {
      cached = undefined;
      throw error;
    });
    return cached;
  };
}

const secretsManager = new SecretsManagerClient({});

/** A secret's value at `stage`, or undefined when the secret has no version at that stage (no AWSPREVIOUS before the first rotation). */
async function secretAt(secretId: string, stage: 'AWSCURRENT' | 'AWSPREVIOUS'): Promise<string | undefined> {
  try {
    const out = await secretsManager.send(new GetSecretValueCommand({ SecretId: secretId, VersionStage: stage }));
    return out.SecretString;
  } catch (error) {
    if (stage === 'AWSPREVIOUS' && error instanceof ResourceNotFoundException) return undefined;
    throw error;
  }
}

/**
 * Every producer's accepted keys: the current value of its secret and the previous one (so a
 * rotation does not cut the producer off before it has switched), as digests; read at most once
 * per `cacheSeconds` per container. The values are never logged.
 */
function producerKeysLoader(config: NonNullable<IngestConfig['producerKeys']>, logger: AppLogger): () => Promise<ProducerKeyDigest[]> {
  const load = async () => {
    const perProducer = await Promise.all(
      config.secrets.map(async ({ producer, secretArn }) => {
        const values = await Promise.all([secretAt(secretArn, 'AWSCURRENT'), secretAt(secretArn, 'AWSPREVIOUS')]);
        if (values[0] === undefined) throw new Error(`the key secret of producer ${producer} has no current value`);
        return keyDigests(
          producer,
          values.filter((value): value is string => value !== undefined),
        );
      }),
    );
    return perProducer.flat();
  };
  return cachedFor(
    async () => {
      try {
        return await load();
      } catch (error) {
        logger.error('producer keys could not be read', { error });
        throw error;
      }
    },
    config.cacheSeconds * 1000,
    Date.now,
  );
}

/** The production dependencies, from `process.env`; throws when the configuration is invalid. */
function defaultDeps(logger: AppLogger, metrics: BusinessMetrics): IngestDeps {
  const config = loadConfig(process.env);
  const secretArn = config.pseudonymization?.secretArn;
  return {
    config,
    kinesis,
    pseudonymKey: onceSucceeded(async () => {
      if (secretArn === undefined) throw new Error('pseudonymization is off');
      // Read once per container (cached here for its lifetime); the value is never logged.
      const secret = await getSecret(secretArn);
      if (secret === undefined) throw new Error('pseudonym secret has no value');
      return parsePseudonymKey(secret);
    }),
    now: () => new Date(),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    random: Math.random,
    logger,
    metrics,
  };
}

/**
 * The Lambda entry point (`POST /v1/events`, `POST /v1/paths`) for both front doors: a REST API
 * proxy event goes to the core as it is; a load balancer's event (`requestContext.elb`) through
 * the ALB adapter, which checks the producer key first. Throws only when the configuration is invalid.
 */
export const handler = meteredEntry<APIGatewayProxyEvent | ALBEvent, APIGatewayProxyResult | ALBResult>('ingest', (logger, metrics) => {
  const deps = defaultDeps(logger, metrics);
  const core = createHandler(deps);
  const keys = deps.config.producerKeys;
  const alb = albAdapter(core, { producerKeys: keys === undefined ? undefined : producerKeysLoader(keys, logger), logger });
  return (event, context) => (isAlbEvent(event) ? alb(event, context) : core(event, context));
});
