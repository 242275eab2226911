import { randomBytes } from 'crypto';
import * as http from 'http';
import type { AddressInfo } from 'net';
import type { ALBEvent, ALBResult } from 'aws-lambda';
import { firewallRefusal } from '../apigateway/firewall';
import type { IntegrationOutcome } from '../apigateway/server';
import { actionFor, type LoadBalancerModel } from './model';

/** An ALB passes a Lambda target at most 1 MB of request body, and takes at most 1 MB of response. */
export const ALB_LAMBDA_BODY_LIMIT_BYTES = 1_000_000;

/** Content types whose body the load balancer passes as text; every other body is base64-encoded (AWS docs, "Lambda functions as targets"). */
const TEXT_TYPES = [/^text\//, /^application\/json\b/, /^application\/javascript\b/, /^application\/xml\b/];

export interface LocalLoadBalancerOptions {
  readonly model: LoadBalancerModel;
  /** The local function name of a target's function ARN. */
  readonly functionName: (functionArn: string) => string | undefined;
  readonly invoke: (functionName: string, event: ALBEvent) => Promise<IntegrationOutcome>;
  readonly log?: (line: string) => void;
}

export interface LocalLoadBalancer {
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
}

/** A response of the load balancer itself, in its HTML form (e.g. 502 Bad Gateway). */
export interface OutgoingResponse {
  readonly statusCode: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
}

function elbError(statusCode: number): OutgoingResponse {
  const title = `${statusCode} ${http.STATUS_CODES[statusCode] ?? ''}`.trim();
  return {
    statusCode,
    headers: { 'content-type': 'text/html', server: 'awselb/2.0' },
    body: Buffer.from(
      `<html>\r\n<head><title>${title}</title></head>\r\n<body>\r\n<center><h1>${title}</h1></center>\r\n</body>\r\n</html>\r\n`,
    ),
  };
}

/** An `x-amzn-trace-id` as the load balancer adds it: `Root=1-<8 hex seconds>-<24 hex>`. */
const traceId = (now: Date) => `Root=1-${Math.floor(now.getTime() / 1000).toString(16)}-${randomBytes(12).toString('hex')}`;

/**
 * The Lambda event of a request, as AWS documents it with multi-value headers off: header names in
 * lower case, the last value of a repeated header, query parameters as sent (not decoded), the
 * body as text for text types and base64 otherwise, and the headers the load balancer adds.
 */
export function toAlbEvent(
  req: { method: string; url: string; rawHeaders: readonly string[]; body: Buffer; sourceIp: string; port: number },
  targetGroupArn: string,
  now = new Date(),
): ALBEvent {
  const headers: Record<string, string> = {};
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) headers[req.rawHeaders[i].toLowerCase()] = req.rawHeaders[i + 1];
  headers['x-forwarded-for'] = headers['x-forwarded-for'] ? `${headers['x-forwarded-for']}, ${req.sourceIp}` : req.sourceIp;
  headers['x-forwarded-port'] = String(req.port);
  headers['x-forwarded-proto'] = 'https';
  headers['x-amzn-trace-id'] ??= traceId(now);
  const queryAt = req.url.indexOf('?');
  const path = queryAt < 0 ? req.url : req.url.slice(0, queryAt);
  const queryStringParameters: Record<string, string> = {};
  if (queryAt >= 0) {
    for (const pair of req.url.slice(queryAt + 1).split('&')) {
      if (pair === '') continue;
      const eq = pair.indexOf('=');
      queryStringParameters[eq < 0 ? pair : pair.slice(0, eq)] = eq < 0 ? '' : pair.slice(eq + 1);
    }
  }
  const contentType = (headers['content-type'] ?? '').toLowerCase();
  const asText = req.body.length === 0 || TEXT_TYPES.some((t) => t.test(contentType));
  return {
    requestContext: { elb: { targetGroupArn } },
    httpMethod: req.method,
    path,
    queryStringParameters,
    headers,
    body: asText ? req.body.toString('utf8') : req.body.toString('base64'),
    isBase64Encoded: !asText,
  };
}

/** The HTTP response for a Lambda's answer; 502 when it is not a valid ALB response (no status, body over 1 MB). */
export function fromAlbResult(payload: unknown): OutgoingResponse {
  if (typeof payload !== 'object' || payload === null) return elbError(502);
  const result = payload as ALBResult;
  if (!Number.isInteger(result.statusCode) || result.statusCode < 100 || result.statusCode > 599) return elbError(502);
  const body = result.body === undefined ? Buffer.alloc(0) : Buffer.from(result.body, result.isBase64Encoded ? 'base64' : 'utf8');
  if (body.length > ALB_LAMBDA_BODY_LIMIT_BYTES) return elbError(502);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(result.headers ?? {})) headers[name.toLowerCase()] = String(value);
  return { statusCode: result.statusCode, headers, body };
}

/** Handles one request as the load balancer would: web ACL, the 1 MB Lambda body limit, rules, the Lambda target. Never throws. */
export async function handleRequest(
  options: LocalLoadBalancerOptions,
  req: { method: string; url: string; rawHeaders: string[]; body: Buffer; sourceIp: string; port: number },
): Promise<OutgoingResponse> {
  const path = req.url.split('?')[0] ?? '/';
  const refusal = firewallRefusal(options.model.firewall, { method: req.method, path, rawHeaders: req.rawHeaders, sourceIp: req.sourceIp });
  if (refusal !== undefined) return refusal;
  const action = actionFor(options.model, req.method, path);
  if (action.kind === 'fixed') {
    return { statusCode: action.statusCode, headers: { 'content-type': action.contentType }, body: Buffer.from(action.body, 'utf8') };
  }
  if (action.multiValueHeaders) {
    options.log?.(`${req.method} ${path}: target group with multi-value headers is not served locally`);
    return elbError(502);
  }
  if (req.body.length > ALB_LAMBDA_BODY_LIMIT_BYTES) return elbError(413);
  const functionName = options.functionName(action.functionArn);
  if (functionName === undefined) {
    options.log?.(`${req.method} ${path}: no local function for ${action.functionArn}`);
    return elbError(502);
  }
  try {
    const outcome = await options.invoke(functionName, toAlbEvent(req, action.targetGroupArn));
    if (!outcome.ok) {
      options.log?.(`${req.method} ${path}: function ${functionName} failed: ${outcome.message}`);
      return elbError(502);
    }
    return fromAlbResult(outcome.payload);
  } catch (error) {
    options.log?.(`${req.method} ${path}: invoke failed: ${(error as Error).message}`);
    return elbError(502);
  }
}

/**
 * Serves a load balancer's listener on loopback over plain HTTP (no TLS locally): its web ACL,
 * listener rules and Lambda targets with the ALB event format. Rejects if the port is taken.
 */
export async function startLoadBalancer(options: LocalLoadBalancerOptions, port: number, host = '127.0.0.1'): Promise<LocalLoadBalancer> {
  let stopping: Promise<void> | undefined;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= ALB_LAMBDA_BODY_LIMIT_BYTES + 1) chunks.push(chunk);
    });
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      void handleRequest(options, {
        method: req.method ?? 'GET',
        url: req.url ?? '/',
        rawHeaders: req.rawHeaders,
        // A body over the limit is kept only up to limit + 1 bytes: enough to refuse it.
        body,
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        port: options.model.listener.port,
      }).then((response) => {
        res.writeHead(response.statusCode, stopping ? { ...response.headers, connection: 'close' } : response.headers);
        res.end(response.body);
      });
    });
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const actual = (server.address() as AddressInfo).port;
  return {
    url: `http://${host}:${actual}`,
    port: actual,
    // Stop accepting, let requests in flight finish (up to 5 s), then close every connection.
    stop: () =>
      (stopping ??= new Promise<void>((resolve) => {
        const cut = setTimeout(() => server.closeAllConnections(), 5_000);
        server.close(() => {
          clearTimeout(cut);
          resolve();
        });
        server.closeIdleConnections();
      })),
  };
}
