import { randomUUID } from 'crypto';
import * as http from 'http';
import * as net from 'net';
import type { AddressInfo } from 'net';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { firewallRefusal, type WebAclModel } from './firewall';
import {
  ApiRoute,
  CognitoAuthorizerModel,
  fromProxyResult,
  GATEWAY_RESPONSES,
  gatewayResponse,
  LAMBDA_SYNC_PAYLOAD_BYTES,
  matchRoute,
  MAX_PAYLOAD_BYTES,
  OutgoingResponse,
  TokenBucket,
  toProxyEvent,
} from './proxy';

/** What invoking the integration's function gave: its payload, or a function error/timeout. */
export type IntegrationOutcome =
  { readonly ok: true; readonly payload: unknown } | { readonly ok: false; readonly timedOut: boolean; readonly message: string };

/**
 * What a Cognito user pools authorizer decided about a token: its claims (every value a string,
 * as API Gateway passes them), or why it was refused (`expired` gives API Gateway's own message).
 */
export type AuthorizerVerdict =
  { readonly ok: true; readonly claims: Readonly<Record<string, string>> } | { readonly ok: false; readonly reason: 'invalid' | 'expired' };

/** Checks a token for a Cognito authorizer (see local/apigateway/cognito-authorizer.ts). */
export type CognitoTokenCheck = (authorizer: CognitoAuthorizerModel, token: string) => Promise<AuthorizerVerdict>;

/** An API key the stand-in accepts, with the usage-plan throttle that applies to it. */
export interface LocalApiKey {
  readonly id: string;
  readonly value: string;
  readonly throttle?: { readonly rateLimit: number; readonly burstLimit: number };
}

/** One deployed stage of a REST API, as the template declares it. */
export interface LocalRestApiOptions {
  readonly restApiId: string;
  readonly stageName: string;
  readonly accountId: string;
  readonly routes: readonly ApiRoute[];
  readonly apiKeys: readonly LocalApiKey[];
  /** Checks the tokens of routes with a Cognito authorizer; such a route without it answers 500. @default - none */
  readonly checkToken?: CognitoTokenCheck;
  /** Stage-level default throttle (all callers together). */
  readonly stageThrottle?: { readonly rateLimit: number; readonly burstLimit: number };
  /** The API's binary media types (request bodies of these types are passed base64-encoded). @default - none */
  readonly binaryMediaTypes?: readonly string[];
  /** The AWS WAF web ACL associated with the stage, evaluated before anything else. @default - none */
  readonly firewall?: WebAclModel;
  /** Integration timeout. @default 29 000 ms (the REST API default) */
  readonly integrationTimeoutMs?: number;
  /**
   * On `stop()`, how long requests in flight may take to finish before their connections are cut.
   * @default 5 000 ms (so that the whole local runtime stops within 10 s)
   */
  readonly drainTimeoutMs?: number;
  readonly invoke: (functionName: string, event: APIGatewayProxyEvent) => Promise<IntegrationOutcome>;
  readonly log?: (line: string) => void;
}

/** A running local REST API. */
export interface LocalRestApi {
  /** Base URL of the stage, e.g. `http://127.0.0.1:8787/dev`. */
  readonly url: string;
  readonly port: number;
  /**
   * Drains and stops: from now on every request (on new and on open keep-alive connections) gets
   * 503 with `Retry-After` and `Connection: close`; requests in flight finish (for at most
   * `drainTimeoutMs`) and their answers close their connections; resolves when none is left.
   */
  stop(): Promise<void>;
}

/** Seconds a client refused during a stop is told to wait (`Retry-After`): about a restart. */
export const DRAIN_RETRY_AFTER_S = 10;

/** The answer to a request that arrives while the stage is stopping. */
export function drainingResponse(): OutgoingResponse {
  const refused = gatewayResponse(503, 'Service Unavailable: the local API is stopping');
  return { ...refused, headers: { ...refused.headers, 'retry-after': String(DRAIN_RETRY_AFTER_S), connection: 'close' } };
}

/** The first value of header `name` (lower case) among raw header pairs. */
function headerValue(rawHeaders: readonly string[], name: string): string | undefined {
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) if (rawHeaders[i].toLowerCase() === name) return rawHeaders[i + 1];
  return undefined;
}

function header(req: http.IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Handles one request the way API Gateway's REST API stage would; never throws. */
export async function handleRequest(
  options: LocalRestApiOptions,
  buckets: { stage?: TokenBucket; perKey: Map<string, TokenBucket> },
  req: { method: string; url: string; rawHeaders: string[]; body: Buffer; sourceIp: string; apiKey?: string },
): Promise<OutgoingResponse> {
  const url = new URL(req.url, 'http://localhost');
  const prefix = `/${options.stageName}`;
  if (url.pathname !== prefix && !url.pathname.startsWith(`${prefix}/`)) {
    return gatewayResponse(GATEWAY_RESPONSES.missingAuthenticationToken.statusCode, GATEWAY_RESPONSES.missingAuthenticationToken.message);
  }
  const path = url.pathname.slice(prefix.length) || '/';
  // The 10 MB limit is API Gateway's front door: the web ACL, routes and keys never see a larger request.
  if (req.body.length > MAX_PAYLOAD_BYTES)
    return gatewayResponse(GATEWAY_RESPONSES.tooLarge.statusCode, GATEWAY_RESPONSES.tooLarge.message);
  const refusal = firewallRefusal(options.firewall, {
    method: req.method,
    path: url.pathname,
    rawHeaders: req.rawHeaders,
    sourceIp: req.sourceIp,
  });
  if (refusal !== undefined) return refusal;
  const match = matchRoute(options.routes, req.method, path);
  if (!match)
    return gatewayResponse(GATEWAY_RESPONSES.missingAuthenticationToken.statusCode, GATEWAY_RESPONSES.missingAuthenticationToken.message);

  // As API Gateway: the authorizer (401) before the API key (403).
  let claims: Readonly<Record<string, string>> | undefined;
  const authorizer = match.route.authorizer;
  if (authorizer) {
    const token = headerValue(req.rawHeaders, authorizer.header)?.trim() ?? '';
    if (token === '') return gatewayResponse(GATEWAY_RESPONSES.unauthorized.statusCode, GATEWAY_RESPONSES.unauthorized.message);
    if (!options.checkToken) {
      options.log?.(`${req.method} ${path}: no Cognito stand-in to check the token with`);
      return gatewayResponse(GATEWAY_RESPONSES.invokeRejected.statusCode, GATEWAY_RESPONSES.invokeRejected.message);
    }
    const verdict = await options.checkToken(authorizer, token.replace(/^Bearer\s+/i, ''));
    if (!verdict.ok) {
      const refusal = verdict.reason === 'expired' ? GATEWAY_RESPONSES.tokenExpired : GATEWAY_RESPONSES.unauthorized;
      return gatewayResponse(refusal.statusCode, refusal.message);
    }
    claims = verdict.claims;
  }

  let key: LocalApiKey | undefined;
  if (match.route.apiKeyRequired) {
    key = options.apiKeys.find((k) => k.value === req.apiKey);
    if (!key) return gatewayResponse(GATEWAY_RESPONSES.forbidden.statusCode, GATEWAY_RESPONSES.forbidden.message);
  }
  if (key?.throttle) {
    let bucket = buckets.perKey.get(key.id);
    if (!bucket) {
      bucket = new TokenBucket(key.throttle.rateLimit, key.throttle.burstLimit);
      buckets.perKey.set(key.id, bucket);
    }
    if (!bucket.take()) return gatewayResponse(GATEWAY_RESPONSES.throttled.statusCode, GATEWAY_RESPONSES.throttled.message);
  }
  if (buckets.stage && !buckets.stage.take())
    return gatewayResponse(GATEWAY_RESPONSES.throttled.statusCode, GATEWAY_RESPONSES.throttled.message);

  const event = toProxyEvent(
    {
      method: req.method,
      path,
      stageName: options.stageName,
      restApiId: options.restApiId,
      accountId: options.accountId,
      rawHeaders: req.rawHeaders,
      query: url.searchParams,
      body: req.body,
      sourceIp: req.sourceIp,
      apiKey: key?.value,
      apiKeyId: key?.id,
      ...(claims ? { claims } : {}),
      now: new Date(),
      ...(options.binaryMediaTypes !== undefined ? { binaryMediaTypes: options.binaryMediaTypes } : {}),
    },
    match,
  );
  const payloadBytes = Buffer.byteLength(JSON.stringify(event), 'utf8');
  if (payloadBytes > LAMBDA_SYNC_PAYLOAD_BYTES) {
    options.log?.(
      `${req.method} ${path}: Lambda refused the invoke of ${match.route.functionName}: payload of ${payloadBytes} bytes is over ${LAMBDA_SYNC_PAYLOAD_BYTES}`,
    );
    return gatewayResponse(GATEWAY_RESPONSES.invokeRejected.statusCode, GATEWAY_RESPONSES.invokeRejected.message);
  }
  const timeoutMs = options.integrationTimeoutMs ?? 29_000;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  try {
    const outcome = await Promise.race([options.invoke(match.route.functionName, event), timeout]);
    if (outcome === 'timeout') {
      return gatewayResponse(GATEWAY_RESPONSES.integrationTimeout.statusCode, GATEWAY_RESPONSES.integrationTimeout.message);
    }
    if (!outcome.ok) {
      options.log?.(`${req.method} ${path}: function ${match.route.functionName} failed: ${outcome.message}`);
      return outcome.timedOut
        ? gatewayResponse(GATEWAY_RESPONSES.integrationTimeout.statusCode, GATEWAY_RESPONSES.integrationTimeout.message)
        : gatewayResponse(GATEWAY_RESPONSES.integrationFailure.statusCode, GATEWAY_RESPONSES.integrationFailure.message);
    }
    return fromProxyResult(outcome.payload);
  } catch (error) {
    options.log?.(`${req.method} ${path}: invoke failed: ${(error as Error).message}`);
    return gatewayResponse(GATEWAY_RESPONSES.integrationFailure.statusCode, GATEWAY_RESPONSES.integrationFailure.message);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Serves a REST API stage on loopback: its web ACL, routes from the template, API-key check,
 * usage-plan and stage throttling, the 10 MB payload limit, Lambda's 6 MiB invoke limit (500), and
 * Lambda proxy integration. Rejects if the port is taken.
 */
export async function startRestApi(options: LocalRestApiOptions, port: number, host = '127.0.0.1'): Promise<LocalRestApi> {
  const buckets = {
    stage: options.stageThrottle ? new TokenBucket(options.stageThrottle.rateLimit, options.stageThrottle.burstLimit) : undefined,
    perKey: new Map<string, TokenBucket>(),
  };
  let draining = false;
  const inFlight = new Set<http.ServerResponse>();
  let drained: () => void = () => undefined;
  const send = (res: http.ServerResponse, response: OutgoingResponse): void => {
    // Once stopping, every answer closes its connection, so keep-alive clients reconnect (and are refused).
    const headers = draining ? { ...response.headers, connection: 'close' } : response.headers;
    res.writeHead(response.statusCode, { ...headers, 'x-amzn-requestid': randomUUID() });
    res.end(response.body);
  };
  const server = http.createServer((req, res) => {
    if (draining) {
      // Refused at once; the body is read (not processed) so the client sees the answer, not a reset.
      req.resume();
      req.on('end', () => send(res, drainingResponse()));
      return;
    }
    inFlight.add(res);
    res.on('close', () => {
      inFlight.delete(res);
      if (draining && inFlight.size === 0) drained();
    });
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_PAYLOAD_BYTES + 1) chunks.push(chunk);
    });
    req.on('end', () => {
      void handleRequest(options, buckets, {
        method: req.method ?? 'GET',
        url: req.url ?? '/',
        rawHeaders: req.rawHeaders,
        body: Buffer.concat(chunks),
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        apiKey: header(req, 'x-api-key'),
      }).then((response) => send(res, response));
    });
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const actual = (server.address() as AddressInfo).port;
  let stopping: Promise<void> | undefined;
  return {
    url: `http://${host}:${actual}/${options.stageName}`,
    port: actual,
    // Drain: refuse new requests at once, let those in flight finish (their answers say what was
    // accepted), then close every connection; cut what is left after the drain timeout.
    stop: () =>
      (stopping ??= new Promise<void>((resolve) => {
        draining = true;
        const cut = setTimeout(() => server.closeAllConnections(), options.drainTimeoutMs ?? 5_000);
        // Stop accepting connections. net.Server's close, not http.Server's: the latter also drops
        // idle keep-alive connections at once, and a client that is just reusing one would see a
        // reset instead of the 503 that says why.
        net.Server.prototype.close.call(server, () => {
          clearTimeout(cut);
          resolve();
        });
        drained = () => server.closeAllConnections();
        if (inFlight.size === 0) drained();
      })),
  };
}
