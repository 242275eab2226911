import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { EventResult, IngestResponse } from '../shared/ingest-api';
import { BODY_FIELD, bodyTooLarge, errorResponse, jsonResponse, routeOf as routeByTable } from '../shared/http';

/** The two ingest routes. */
export type Route = 'events' | 'paths';

const ROUTES: Readonly<Record<string, Route>> = { '/v1/events': 'events', '/v1/paths': 'paths' };

export { errorResponse, jsonResponse };

/** The ingest route of a proxy event (POST only), or the 404/405 to answer. Never throws. */
export const routeOf = (event: Pick<APIGatewayProxyEvent, 'httpMethod' | 'path'> & { readonly resource?: string }) =>
  routeByTable(event, ROUTES, 'POST');

/**
 * Decodes the body (base64 when `isBase64Encoded`) and parses it as JSON; returns 400 when it is
 * missing or not JSON, 413 when it is larger than `maxBytes` bytes, as a response to send back
 * (field `body`).
 */
export function readJsonBody(
  event: Pick<APIGatewayProxyEvent, 'body' | 'isBase64Encoded'>,
  maxBytes: number,
): { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly response: APIGatewayProxyResult } {
  if (event.body === null || event.body === undefined || event.body === '') {
    return { ok: false, response: errorResponse(400, { field: BODY_FIELD, reason: 'is required' }) };
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
    return { ok: false, response: errorResponse(400, { field: BODY_FIELD, reason: `is not valid JSON: ${detail}` }) };
  }
}

const tooLarge = (maxBytes: number) => errorResponse(413, bodyTooLarge(maxBytes));

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
