/**
 * A small in-test stand-in for `POST /v1/events` on 127.0.0.1: validates each event with the v1
 * schema and answers with the documented per-event results. Behaviour is pluggable per request.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { eventInputSchema } from '../../../lambdas/shared/event';
import type { EventResult as ApiResult } from '../../../lambdas/shared/ingest-api';
import { parseEventTime } from '../../../scripts/producer/time';

export interface ReceivedRequest {
  readonly n: number;
  readonly apiKey: string | undefined;
  readonly events: readonly Record<string, unknown>[];
}

export type { EventResult as ApiResult } from '../../../lambdas/shared/ingest-api';

export type Reply = { readonly status: number; readonly body: unknown } | 'destroy';
export type Handler = (request: ReceivedRequest) => Reply;

export interface FakeApi {
  readonly url: string;
  readonly requests: ReceivedRequest[];
  close(): Promise<void>;
}

/** Starts the fake on an ephemeral port of 127.0.0.1. */
export async function startFakeApi(handler: Handler): Promise<FakeApi> {
  const requests: ReceivedRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      let events: Record<string, unknown>[];
      try {
        const body = JSON.parse(raw) as { events?: Record<string, unknown>[] };
        events = body.events ?? [];
      } catch {
        res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ message: 'body is not JSON' }));
        return;
      }
      const header = req.headers['x-api-key'];
      const request: ReceivedRequest = { n: requests.length, apiKey: typeof header === 'string' ? header : undefined, events };
      requests.push(request);
      const reply = handler(request);
      if (reply === 'destroy') {
        req.socket.destroy();
        return;
      }
      res.writeHead(reply.status, { 'content-type': 'application/json' }).end(JSON.stringify(reply.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

/** The v1 validation of one event: undefined when valid, else the first failing field and why. */
export function validate(event: Record<string, unknown>): { field: string; reason: string } | undefined {
  const parsed = eventInputSchema.safeParse(event);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.code === 'unrecognized_keys' ? issue.keys.join(',') : (issue?.path.join('.') ?? 'event');
    return { field: field || 'event', reason: issue?.code === 'unrecognized_keys' ? 'unknown field' : (issue?.message ?? 'invalid') };
  }
  if (parseEventTime(parsed.data.createdAt, 'Asia/Shanghai') === undefined)
    return { field: 'createdAt', reason: 'must be an ISO 8601 time' };
  return undefined;
}

/** Builds the documented answer from per-event results: 200 all accepted, 207 some, 400 none. */
export function answer(results: ApiResult[]): Reply {
  const accepted = results.filter((r) => r.status === 'accepted').length;
  const rejected = results.length - accepted;
  const allRetryable = rejected > 0 && results.every((r) => r.status === 'rejected' && r.error?.retryable === true);
  const status = rejected === 0 ? 200 : accepted > 0 ? 207 : allRetryable ? 503 : 400;
  return { status, body: { accepted, rejected, results } };
}

/** The answer that accepts every event of the request. */
export function acceptAll(request: ReceivedRequest): Reply {
  return answer(request.events.map((e, index) => ({ index, eventId: String(e.eventId), status: 'accepted' as const })));
}

/** An API that answers its first `n` requests with `refusal` (e.g. a 429 or a 503), then accepts everything. */
export function refuseFirst(n: number, refusal: Reply): Handler {
  let calls = 0;
  return (request) => {
    calls += 1;
    return calls <= n ? refusal : acceptAll(request);
  };
}

/**
 * A validating API whose `transient(eventId, timesSeen)` may turn a valid event into a retryable
 * rejection (e.g. a throttled PutRecords entry); it records every accepted eventId.
 */
export function validatingHandler(transient: (eventId: string, timesSeen: number) => boolean = () => false): {
  handler: Handler;
  accepted: string[];
  seen: Map<string, number>;
} {
  const accepted: string[] = [];
  const seen = new Map<string, number>();
  const handler: Handler = (request) => {
    const results = request.events.map((event, index): ApiResult => {
      const eventId = typeof event.eventId === 'string' ? event.eventId : '';
      const times = (seen.get(eventId) ?? 0) + 1;
      seen.set(eventId, times);
      const invalid = validate(event);
      if (invalid) return { index, eventId, status: 'rejected', error: { ...invalid, retryable: false } };
      if (transient(eventId, times)) {
        return { index, eventId, status: 'rejected', error: { field: 'event', reason: 'stream throttled', retryable: true } };
      }
      accepted.push(eventId);
      return { index, eventId, status: 'accepted' };
    });
    return answer(results);
  };
  return { handler, accepted, seen };
}
