import { STATUS_CODES } from 'http';
import type { ALBEvent, ALBResult, APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import type { AppLogger } from '../shared/logger';
import { errorResponse, PRODUCER_KEY_HEADER } from '../shared/http';
import { checkProducerKey, type ProducerKeyDigest } from './producer-keys';

/**
 * What the ingest core reads of a request: a REST API proxy event has all of it; the ALB adapter
 * builds it from a load balancer's event.
 */
export type IngestRequest = Pick<APIGatewayProxyEvent, 'httpMethod' | 'path' | 'body' | 'isBase64Encoded'> & {
  readonly resource?: string;
  readonly requestContext?: { readonly requestId?: string };
};

/** The core the adapter wraps (see `createHandler`). */
export type IngestCore = (request: IngestRequest, context?: Pick<Context, 'getRemainingTimeInMillis'>) => Promise<APIGatewayProxyResult>;

export interface AlbAdapterDeps {
  /**
   * The producers' accepted keys (may cache; rejects when they cannot be read). Undefined when
   * the stage's keys are checked by API Gateway: then every load balancer request is refused.
   */
  readonly producerKeys?: () => Promise<readonly ProducerKeyDigest[]>;
  readonly logger: AppLogger;
}

/** True for an Application Load Balancer's event (it carries `requestContext.elb`). */
export function isAlbEvent(event: APIGatewayProxyEvent | ALBEvent): event is ALBEvent {
  const context: unknown = event.requestContext;
  return typeof context === 'object' && context !== null && 'elb' in context;
}

/** One request header of an ALB event, by name in any case (multi-value headers: the last value, as with them off). */
export function albHeader(event: Pick<ALBEvent, 'headers' | 'multiValueHeaders'>, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(event.headers ?? {})) if (key.toLowerCase() === wanted) return value;
  for (const [key, values] of Object.entries(event.multiValueHeaders ?? {})) if (key.toLowerCase() === wanted) return values?.at(-1);
  return undefined;
}

/** A proxy result in the ALB response format: status line text added, body as text (`isBase64Encoded: false`). Never fails. */
export function toAlbResult(result: APIGatewayProxyResult): ALBResult {
  return {
    statusCode: result.statusCode,
    statusDescription: `${result.statusCode} ${STATUS_CODES[result.statusCode] ?? ''}`.trim(),
    headers: { ...(result.headers ?? {}) },
    body: result.body,
    isBase64Encoded: false,
  };
}

/**
 * The ingest Lambda behind an Application Load Balancer: checks the producer key (`x-api-key`;
 * 401 without one, 403 for one of no producer, 503 when the keys cannot be read), then hands the
 * request to the same core the REST API's proxy events go to, and answers in the ALB format.
 * Never throws for a bad request.
 */
export function albAdapter(
  core: IngestCore,
  deps: AlbAdapterDeps,
): (event: ALBEvent, context?: Pick<Context, 'getRemainingTimeInMillis'>) => Promise<ALBResult> {
  const { logger } = deps;
  return async (event, context) => {
    const requestId = albHeader(event, 'x-amzn-trace-id');
    if (deps.producerKeys === undefined) {
      logger.error('load balancer request refused: this function has no producer keys (PRODUCER_KEY_SECRETS)', { requestId });
      // A fault of the deployment, not of the request: a 5XX, so it shows on the target-5XX alarm.
      return toAlbResult(errorResponse(503, { field: PRODUCER_KEY_HEADER, reason: 'cannot be checked: no producer keys are configured' }));
    }
    let keys: readonly ProducerKeyDigest[];
    try {
      keys = await deps.producerKeys();
    } catch {
      // The loader logged the cause.
      return toAlbResult(errorResponse(503, { field: '', reason: 'producer keys unavailable; retry later' }, { 'retry-after': '1' }));
    }
    const verdict = checkProducerKey(albHeader(event, PRODUCER_KEY_HEADER), keys);
    if (!verdict.ok) {
      logger.info('request refused', { requestId, status: verdict.status, field: verdict.issue.field });
      return toAlbResult(errorResponse(verdict.status, verdict.issue));
    }
    const response = await core(
      {
        httpMethod: event.httpMethod,
        path: event.path,
        body: event.body,
        isBase64Encoded: event.isBase64Encoded,
        ...(requestId === undefined ? {} : { requestContext: { requestId } }),
      },
      context,
    );
    return toAlbResult(response);
  };
}
