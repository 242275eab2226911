import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { issueText, type FieldIssue } from './issues';

const JSON_HEADERS = { 'content-type': 'application/json', 'cache-control': 'no-store' } as const;

/** A JSON response with `status` and `body`. Never fails. */
export function jsonResponse(status: number, body: unknown, headers: Readonly<Record<string, string>> = {}): APIGatewayProxyResult {
  return { statusCode: status, headers: { ...JSON_HEADERS, ...headers }, body: JSON.stringify(body) };
}

/** A request-level error response: `{"error":"<field>: <reason>","field","reason"}` (no field part when `field` is empty). Never fails. */
export function errorResponse(status: number, error: FieldIssue, headers?: Readonly<Record<string, string>>): APIGatewayProxyResult {
  return jsonResponse(status, { error: issueText(error), field: error.field, reason: error.reason }, headers);
}

/** The header producers send their key in (API Gateway's, and the load balancer front door's). */
export const PRODUCER_KEY_HEADER = 'x-api-key';

/** The field that request-level problems of the body as a whole (missing, too large, not JSON, wrong shape) name. */
export const BODY_FIELD = 'body';

/** The problem of a body larger than `maxBytes` bytes, as the ingest Lambda and the API's firewall both answer it (413). Never fails. */
export const bodyTooLarge = (maxBytes: number): FieldIssue => ({ field: BODY_FIELD, reason: `must be at most ${maxBytes} bytes` });

/** Drops one trailing slash, so `/v1/events/` routes like `/v1/events`. */
const trimSlash = (path: string) => (path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path);

/**
 * Picks the route of a REST-API proxy event from `routes` (resource template → route) by its
 * resource template, falling back to its path; a known route with a method other than `method`
 * gives 405 (with `allow`), an unknown one 404, as the response to send. Never throws.
 */
export function routeOf<R extends string>(
  event: Pick<APIGatewayProxyEvent, 'httpMethod' | 'path'> & { readonly resource?: string },
  routes: Readonly<Record<string, R>>,
  method: string,
): { readonly ok: true; readonly route: R } | { readonly ok: false; readonly response: APIGatewayProxyResult } {
  const candidates = [event.resource, event.path]
    .filter((value): value is string => typeof value === 'string' && value !== '')
    .map(trimSlash);
  const known = candidates.find((candidate) => routes[candidate] !== undefined);
  const route = known === undefined ? undefined : routes[known];
  if (known === undefined || route === undefined) {
    return { ok: false, response: errorResponse(404, { field: '', reason: `no route for ${event.httpMethod} ${event.path}` }) };
  }
  if (event.httpMethod !== method) {
    return {
      ok: false,
      response: errorResponse(
        405,
        { field: '', reason: `${event.httpMethod} is not allowed on ${known}; use ${method}` },
        { allow: method },
      ),
    };
  }
  return { ok: true, route };
}
