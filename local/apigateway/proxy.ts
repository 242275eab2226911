import { randomUUID } from 'crypto';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';

/** One method of a REST API resource, integrated with a Lambda function as a proxy. */
export interface ApiRoute {
  /** Resource path as API Gateway shows it, e.g. `/v1/events` or `/v1/items/{id}`. */
  readonly resourcePath: string;
  /** `GET`, `POST`, …, or `ANY`. */
  readonly httpMethod: string;
  readonly apiKeyRequired: boolean;
  /** The method's Cognito user pools authorizer (`AuthorizationType: COGNITO_USER_POOLS`). @default - none */
  readonly authorizer?: CognitoAuthorizerModel;
  /** Name of the Lambda function the integration invokes. */
  readonly functionName: string;
}

/** An `AWS::ApiGateway::Authorizer` of type `COGNITO_USER_POOLS`. */
export interface CognitoAuthorizerModel {
  readonly id: string;
  /** ARNs of the user pools whose tokens it accepts. */
  readonly providerArns: readonly string[];
  /** Request header the token is read from (`method.request.header.Authorization` → `authorization`), lower case. */
  readonly header: string;
}

/** A route matched to a request, with the values of its `{param}` segments. */
export interface RouteMatch {
  readonly route: ApiRoute;
  readonly pathParameters: Record<string, string> | null;
}

/** What API Gateway answers itself, before or instead of the integration (documented bodies). */
export const GATEWAY_RESPONSES = {
  missingAuthenticationToken: { statusCode: 403, message: 'Missing Authentication Token' },
  forbidden: { statusCode: 403, message: 'Forbidden' },
  /** A Cognito authorizer found no token, or one that is not valid. */
  unauthorized: { statusCode: 401, message: 'Unauthorized' },
  /** A Cognito authorizer found a token past its `exp`. */
  tokenExpired: { statusCode: 401, message: 'The incoming token has expired' },
  tooLarge: { statusCode: 413, message: 'Request Too Long' },
  throttled: { statusCode: 429, message: 'Too Many Requests' },
  integrationFailure: { statusCode: 502, message: 'Internal server error' },
  /** Lambda refused the Invoke request itself (e.g. a payload over its limit): API Gateway answers 500. */
  invokeRejected: { statusCode: 500, message: 'Internal server error' },
  integrationTimeout: { statusCode: 504, message: 'Endpoint request timed out' },
} as const;

/** API Gateway REST APIs accept payloads up to 10 MB. */
export const MAX_PAYLOAD_BYTES = 10 * 1024 * 1024;

/**
 * Lambda's synchronous Invoke takes a request payload (here: the proxy event as JSON) smaller
 * than 6 MiB; a larger one is refused (RequestEntityTooLargeException) without running the function.
 */
export const LAMBDA_SYNC_PAYLOAD_BYTES = 6 * 1024 * 1024;

function segments(p: string): string[] {
  return p.split('/').filter((s) => s.length > 0);
}

/**
 * Finds the route for a method and path the way API Gateway does: literal segments win over
 * `{param}`, `{param+}` is greedy, and `ANY` serves a method with no route of its own. Returns
 * undefined when no resource and method match (API Gateway then answers 403 Missing
 * Authentication Token).
 */
export function matchRoute(routes: readonly ApiRoute[], method: string, path: string): RouteMatch | undefined {
  const want = segments(path);
  let best: { match: RouteMatch; score: number } | undefined;
  for (const route of routes) {
    if (route.httpMethod !== method && route.httpMethod !== 'ANY') continue;
    const have = segments(route.resourcePath);
    const params: Record<string, string> = {};
    let score = route.httpMethod === method ? 1 : 0;
    let ok = true;
    for (let i = 0; i < have.length && ok; i += 1) {
      const part = have[i];
      const greedy = /^\{(.+)\+\}$/.exec(part);
      const param = /^\{(.+)\}$/.exec(part);
      if (greedy) {
        if (i !== have.length - 1 || want.length <= i) ok = false;
        else params[greedy[1]] = want.slice(i).map(decodeURIComponent).join('/');
        break;
      }
      if (i >= want.length) ok = false;
      else if (param) params[param[1]] = decodeURIComponent(want[i]);
      else if (part === want[i]) score += 4;
      else ok = false;
    }
    const greedyLast = have.length > 0 && /^\{.+\+\}$/.test(have[have.length - 1]);
    if (ok && !greedyLast && have.length !== want.length) ok = false;
    if (!ok) continue;
    if (!best || score > best.score) {
      best = { match: { route, pathParameters: Object.keys(params).length > 0 ? params : null }, score };
    }
  }
  return best?.match;
}

/** The parts of an HTTP request the proxy event is built from. */
export interface IncomingRequest {
  readonly method: string;
  /** Path after the stage, e.g. `/v1/events`. */
  readonly path: string;
  readonly stageName: string;
  readonly restApiId: string;
  readonly accountId: string;
  /** Raw header pairs as received (names in any case, repeated names kept). */
  readonly rawHeaders: readonly string[];
  readonly query: URLSearchParams;
  readonly body: Buffer;
  readonly sourceIp: string;
  readonly apiKey?: string;
  readonly apiKeyId?: string;
  /** The verified token's claims as the Cognito authorizer passes them on (every value a string). */
  readonly claims?: Readonly<Record<string, string>>;
  readonly now: Date;
  /** The API's `binaryMediaTypes` (a `*` matches anything, e.g. `image/*`). @default none: every body is text */
  readonly binaryMediaTypes?: readonly string[];
}

/**
 * Whether API Gateway passes a request body of `contentType` base64-encoded: only when the type
 * (without parameters) matches one of the API's binary media types; with none configured every
 * body is passed as UTF-8 text. Never fails.
 */
export function isBinaryMediaType(contentType: string, binaryMediaTypes: readonly string[]): boolean {
  const type = (contentType.split(';')[0] ?? '').trim().toLowerCase();
  if (type === '') return false;
  return binaryMediaTypes.some((pattern) => {
    const glob = pattern
      .trim()
      .toLowerCase()
      .replace(/[.+?^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*');
    return new RegExp(`^${glob}$`).test(type);
  });
}

/** Builds the Lambda proxy-integration event (payload format 1.0) API Gateway sends for a request. */
export function toProxyEvent(req: IncomingRequest, match: RouteMatch): APIGatewayProxyEvent {
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i];
    const value = req.rawHeaders[i + 1];
    headers[name] = value;
    (multiValueHeaders[name] ??= []).push(value);
  }
  const query: Record<string, string> = {};
  const multiQuery: Record<string, string[]> = {};
  for (const [k, v] of req.query) {
    query[k] = v;
    (multiQuery[k] ??= []).push(v);
  }
  const contentType = Object.entries(headers).find(([k]) => k.toLowerCase() === 'content-type')?.[1] ?? '';
  const isText = req.body.length === 0 || !isBinaryMediaType(contentType, req.binaryMediaTypes ?? []);
  const hasQuery = Object.keys(query).length > 0;
  return {
    resource: match.route.resourcePath,
    path: req.path,
    httpMethod: req.method,
    headers,
    multiValueHeaders,
    queryStringParameters: hasQuery ? query : null,
    multiValueQueryStringParameters: hasQuery ? multiQuery : null,
    pathParameters: match.pathParameters,
    stageVariables: null,
    body: req.body.length === 0 ? null : isText ? req.body.toString('utf8') : req.body.toString('base64'),
    isBase64Encoded: !isText,
    requestContext: {
      accountId: req.accountId,
      apiId: req.restApiId,
      authorizer: req.claims ? { claims: { ...req.claims } } : null,
      protocol: 'HTTP/1.1',
      httpMethod: req.method,
      path: `/${req.stageName}${req.path}`,
      stage: req.stageName,
      requestId: randomUUID(),
      requestTimeEpoch: req.now.getTime(),
      resourceId: match.route.resourcePath,
      resourcePath: match.route.resourcePath,
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: req.apiKey ?? null,
        apiKeyId: req.apiKeyId ?? null,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: req.sourceIp,
        user: null,
        userAgent: Object.entries(headers).find(([k]) => k.toLowerCase() === 'user-agent')?.[1] ?? null,
        userArn: null,
      },
    },
  };
}

/** An HTTP response ready to write. */
export interface OutgoingResponse {
  readonly statusCode: number;
  readonly headers: Record<string, string | string[]>;
  readonly body: Buffer;
}

/** A JSON `{"message": …}` response as API Gateway itself produces. */
export function gatewayResponse(statusCode: number, message: string): OutgoingResponse {
  return { statusCode, headers: { 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify({ message })) };
}

function isProxyResult(value: unknown): value is APIGatewayProxyResult {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return Number.isInteger(v.statusCode) && (v.body === undefined || v.body === null || typeof v.body === 'string');
}

/**
 * Maps what the function returned to the HTTP response; a result that is not a valid proxy
 * response (no integer statusCode, non-string body) becomes 502, as API Gateway answers.
 */
export function fromProxyResult(result: unknown): OutgoingResponse {
  if (!isProxyResult(result))
    return gatewayResponse(GATEWAY_RESPONSES.integrationFailure.statusCode, GATEWAY_RESPONSES.integrationFailure.message);
  const headers: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(result.headers ?? {})) headers[k.toLowerCase()] = String(v);
  for (const [k, vs] of Object.entries(result.multiValueHeaders ?? {})) headers[k.toLowerCase()] = vs.map(String);
  const body = result.body ?? '';
  return { statusCode: result.statusCode, headers, body: result.isBase64Encoded ? Buffer.from(body, 'base64') : Buffer.from(body, 'utf8') };
}

/**
 * Token bucket as API Gateway throttles: `burstLimit` tokens, refilled at `rateLimit` per second;
 * a request that finds no token is refused (429).
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly rateLimit: number,
    private readonly burstLimit: number,
    private readonly clock: () => number = Date.now,
  ) {
    this.tokens = burstLimit;
    this.last = clock();
  }

  /** Takes one token if there is one; false means throttle. */
  take(): boolean {
    const now = this.clock();
    this.tokens = Math.min(this.burstLimit, this.tokens + ((now - this.last) / 1000) * this.rateLimit);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
