import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { EventResult, IngestResponse } from './results';
import type { RequestError } from './validate';

/** The two ingest routes. */
export type Route = 'events' | 'paths';

const ROUTES: Readonly<Record<string, Route>> = { '/v1/events': 'events', '/v1/paths': 'paths' };

const JSON_HEADERS = { 'content-type': 'application/json', 'cache-control': 'no-store' } as const;

/** A JSON response with `status` and `body`. Never fails. */
export function jsonResponse(status: number, body: unknown, headers: Readonly<Record<string, string>> = {}): APIGatewayProxyResult {
  return { statusCode: status, headers: { ...JSON_HEADERS, ...headers }, body: JSON.stringify(body) };
}

/** A request-level error response: `{"error":"<field>: <reason>","field","reason"}` (no field part when `field` is empty). Never fails. */
export function errorResponse(status: number, error: RequestError, headers?: Readonly<Record<string, string>>): APIGatewayProxyResult {
  const message = error.field === '' ? error.reason : `${error.field}: ${error.reason}`;
  return jsonResponse(status, { error: message, field: error.field, reason: error.reason }, headers);
}

/** Drops one trailing slash, so `/v1/events/` routes like `/v1/events`. */
const trimSlash = (path: string) => (path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path);

/**
 * Picks the route of a REST-API proxy event by its resource template, falling back to its path;
 * a known path with a method other than POST gives 405 and an unknown one 404 (as a response).
 */
export function routeOf(event: Pick<APIGatewayProxyEvent, 'httpMethod' | 'resource' | 'path'>): { readonly ok: true; readonly route: Route } | { readonly ok: false; readonly response: APIGatewayProxyResult } {
  const candidates = [event.resource, event.path].filter((value): value is string => typeof value === 'string').map(trimSlash);
  const known = candidates.find((candidate) => ROUTES[candidate] !== undefined);
  const route = known === undefined ? undefined : ROUTES[known];
  if (route === undefined) {
    return { ok: false, response: errorResponse(404, { field: '', reason: `no route for ${event.httpMethod} ${event.path}` }) };
  }
  if (event.httpMethod !== 'POST') {
    return { ok: false, response: errorResponse(405, { field: '', reason: `${event.httpMethod} is not allowed on ${known}; use POST` }, { allow: 'POST' }) };
  }
  return { ok: true, route };
}

/**
 * Decodes the body (base64 when `isBase64Encoded`) and parses it as JSON; returns 400 when it is
 * missing or not JSON, 413 when it is larger than `maxBytes` bytes, as a response to send back.
 */
export function readJsonBody(
  event: Pick<APIGatewayProxyEvent, 'body' | 'isBase64Encoded'>,
  maxBytes: number,
): { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly response: APIGatewayProxyResult } {
  if (event.body === null || event.body === undefined || event.body === '') {
    return { ok: false, response: errorResponse(400, { field: '', reason: 'body is required' }) };
  }
  // A base64 text of n characters decodes to at most 3n/4 bytes: refuse the hopeless before decoding.
  if (event.isBase64Encoded && Math.floor((event.body.length * 3) / 4) > maxBytes + 2) return { ok: false, response: tooLarge(maxBytes) };
  const bytes = event.isBase64Encoded ? Buffer.from(event.body, 'base64') : Buffer.from(event.body, 'utf8');
  if (bytes.byteLength > maxBytes) return { ok: false, response: tooLarge(maxBytes) };

  const text = bytes.toString('utf8').replace(/^\uFEFF/, '');
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (error) {
    const detail = error instanceof Error ? error.message : 'unparseable';
    return { ok: false, response: errorResponse(400, { field: '', reason: `body is not valid JSON: ${detail}` }) };
  }
}

const tooLarge = (maxBytes: number) => errorResponse(413, { field: '', reason: `body must be at most ${maxBytes} bytes` });

/**
 * The status of an ingest response: 200 when every event was accepted, 207 when some were, 400
 * when none were. Exception: 503 when none were accepted *only* because the stream failed
 * (every rejection is retryable, i.e. the events were valid and may be sent again as they are),
 * so clients and their retry policies see a server-side, transient failure rather than a bad
 * request. A mix of invalid events and stream failures with none accepted is 400; each result's
 * `error.retryable` then tells which events to resend. Never fails.
 */
export function statusOf(results: readonly EventResult[]): number {
  const accepted = results.filter((result) => result.status === 'accepted').length;
  if (accepted === results.length) return 200;
  if (accepted > 0) return 207;
  const onlyStreamFailures = results.every((result) => result.error?.retryable === true);
  return onlyStreamFailures ? 503 : 400;
}

/** The ingest response for `results`, with the status of {@link statusOf} (and `retry-after` on 503). Never fails. */
export function ingestResponse(results: readonly EventResult[]): APIGatewayProxyResult {
  const accepted = results.filter((result) => result.status === 'accepted').length;
  const body: IngestResponse = { accepted, rejected: results.length - accepted, results };
  const status = statusOf(results);
  return jsonResponse(status, body, status === 503 ? { 'retry-after': '1' } : {});
}
