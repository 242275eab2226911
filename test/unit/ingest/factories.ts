import type { PutRecordsCommandInput, PutRecordsOutput, PutRecordsResultEntry } from '@aws-sdk/client-kinesis';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import type { IngestConfig } from '../../../lambdas/ingest/config';
import type { IngestDeps } from '../../../lambdas/ingest/handler';
import type { AppLogger } from '../../../lambdas/shared/logger';
import type { StreamEvent } from '../../../lambdas/shared/event';
import { MetricTally } from '../../../lambdas/shared/metrics';

/** A valid v1 event as a producer posts it; override any field (set one to `undefined` to drop it). */
export function anEvent(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const event: Record<string, unknown> = {
    eventId: 'e1',
    action: 'page_view',
    userId: 'user-1',
    createdAt: '2024-05-27T11:40:36.263Z',
    ...overrides,
  };
  for (const [key, value] of Object.entries(event)) if (value === undefined) delete event[key];
  return event;
}

/** `count` valid events with ids `e0…`. */
export const someEvents = (count: number, overrides: Record<string, unknown> = {}): Record<string, unknown>[] =>
  Array.from({ length: count }, (_, i) => anEvent({ eventId: `e${i}`, userId: `user-${i % 7}`, ...overrides }));

/** A stream event (already validated and normalised). */
export function aStreamEvent(overrides: Partial<StreamEvent> = {}): StreamEvent {
  return {
    eventId: 'e1',
    action: 'page_view',
    userId: 'user-1',
    createdAt: '2024-05-27T03:40:36.263Z',
    receivedAt: '2024-05-27T03:40:37.000Z',
    ...overrides,
  };
}

/** The path document of the path-analysis sample, verbatim: `ct` out of order (the 5th is before the 4th), two elements tie at 11:44:36.263222. */
export const SEED_DOCUMENT = {
  uvi: 'user493',
  el: [
    { path: '/blog', ct: '2024-05-27T11:40:36.263222' },
    { path: '/about', ct: '2024-05-27T11:41:36.263222' },
    { path: '/services', ct: '2024-05-27T11:44:36.263222' },
    { path: '/blog', ct: '2024-05-27T11:52:36.263222' },
    { path: '/about', ct: '2024-05-27T11:44:36.263222' },
  ],
} as const;

/** A deep, mutable copy of the path-analysis sample document, for tests that break it. */
export const aPathDocument = (): { uvi: unknown; el: unknown } & Record<string, unknown> =>
  JSON.parse(JSON.stringify(SEED_DOCUMENT)) as { uvi: unknown; el: unknown };

/** The ingest configuration of a test stage. */
export function aConfig(overrides: Partial<IngestConfig> = {}): IngestConfig {
  return { streamName: 'events', timeZone: 'Asia/Shanghai', maxEventsPerRequest: 500, maxBodyBytes: 1024 * 1024, ...overrides };
}

/** A REST API proxy event for `POST /v1/events` with `body` as JSON (a string body is sent as is). */
export function anApiEvent(body: unknown, overrides: Partial<APIGatewayProxyEvent> = {}): APIGatewayProxyEvent {
  return {
    resource: '/v1/events',
    path: '/v1/events',
    httpMethod: 'POST',
    headers: { 'content-type': 'application/json' },
    multiValueHeaders: {},
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    requestContext: { requestId: 'req-1' } as APIGatewayProxyEvent['requestContext'],
    isBase64Encoded: false,
    body: typeof body === 'string' ? body : JSON.stringify(body),
    ...overrides,
  };
}

/** A logger that keeps what it was told, so tests can check what is (not) logged. */
export function aRecordingLogger(): AppLogger & {
  readonly lines: { level: string; message: string; attributes: Record<string, unknown> }[];
} {
  const lines: { level: string; message: string; attributes: Record<string, unknown> }[] = [];
  const at = (level: string) => (message: string, attributes: Record<string, unknown>) => void lines.push({ level, message, attributes });
  return { lines, info: at('info'), warn: at('warn'), error: at('error') };
}

/** A clock that starts at `start` and moves only when told (by the fake sleep). */
export function aFakeClock(start = '2024-05-27T03:41:00.000Z') {
  let now = new Date(start).getTime();
  const sleeps: number[] = [];
  return {
    now: () => new Date(now),
    nowMs: () => now,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      now += ms;
    },
    sleeps,
  };
}

/** Handler dependencies with fakes: a fixed clock that sleeps instantly, no jitter, a recording logger. */
export function someDeps(overrides: Partial<Omit<IngestDeps, 'logger' | 'metrics'>> = {}): IngestDeps & {
  readonly clock: ReturnType<typeof aFakeClock>;
  readonly logger: ReturnType<typeof aRecordingLogger>;
  readonly metrics: MetricTally;
} {
  const clock = aFakeClock();
  const logger = aRecordingLogger();
  return {
    metrics: new MetricTally(),
    config: aConfig(),
    kinesis: new KinesisClient({ region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } }),
    pseudonymKey: async () => Buffer.from('k'.repeat(32)),
    now: clock.now,
    sleep: clock.sleep,
    random: () => 0.5,
    clock,
    ...overrides,
    logger,
  };
}

/** The events of a PutRecords call, decoded from their `Data`. */
export function recordsOf(input: PutRecordsCommandInput): StreamEvent[] {
  return (input.Records ?? []).map((record) => JSON.parse(Buffer.from(record.Data ?? new Uint8Array()).toString('utf8')) as StreamEvent);
}

/** A PutRecords answer that takes every record except those at `failedPositions` (which get `errorCode`). */
export function putRecordsAnswer(
  input: PutRecordsCommandInput,
  failedPositions: readonly number[] = [],
  errorCode = 'ProvisionedThroughputExceededException',
): PutRecordsOutput {
  const records: PutRecordsResultEntry[] = (input.Records ?? []).map((_, position) =>
    failedPositions.includes(position)
      ? { ErrorCode: errorCode, ErrorMessage: 'Rate exceeded for shard shardId-000000000000' }
      : { ShardId: 'shardId-000000000000', SequenceNumber: `4959${String(position).padStart(8, '0')}` },
  );
  return { FailedRecordCount: failedPositions.length, Records: records };
}
