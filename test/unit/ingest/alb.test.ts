import { KinesisClient, PutRecordsCommand, type PutRecordsCommandInput } from '@aws-sdk/client-kinesis';
import type { ALBEvent, ALBResult } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { albAdapter, albHeader, isAlbEvent, toAlbResult } from '../../../lambdas/ingest/alb';
import { createHandler } from '../../../lambdas/ingest/handler';
import { cachedFor, keyDigests, type ProducerKeyDigest } from '../../../lambdas/ingest/producer-keys';
import type { IngestResponse } from '../../../lambdas/shared/ingest-api';
import { anApiEvent, anEvent, aRecordingLogger, putRecordsAnswer, recordsOf, someDeps, someEvents } from './factories';

const kinesisMock = mockClient(KinesisClient);
beforeEach(() => {
  kinesisMock.reset();
  kinesisMock.on(PutRecordsCommand).callsFake((input: PutRecordsCommandInput) => putRecordsAnswer(input));
});

const TARGET_GROUP = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/ingest/0123456789abcdef';

/** An ALB event as AWS documents it (multi-value headers off: lower-case names, one value each). */
function anAlbEvent(
  body: unknown,
  headers: Record<string, string> = { 'x-api-key': 'web-key' },
  overrides: Partial<ALBEvent> = {},
): ALBEvent {
  return {
    requestContext: { elb: { targetGroupArn: TARGET_GROUP } },
    httpMethod: 'POST',
    path: '/v1/events',
    queryStringParameters: {},
    headers: { 'content-type': 'application/json', 'x-amzn-trace-id': 'Root=1-67891233-abcdef012345678912345678', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    isBase64Encoded: false,
    ...overrides,
  };
}

/** The adapter over the real core with fake dependencies, accepting `web-key` for producer web. */
function anAdapter(keys: () => Promise<readonly ProducerKeyDigest[]> = async () => keyDigests('web', ['web-key'])) {
  const deps = someDeps();
  const logger = aRecordingLogger();
  return { handle: albAdapter(createHandler(deps), { producerKeys: keys, logger }), logger };
}

const bodyOf = (result: ALBResult) => JSON.parse(result.body ?? '') as unknown;
const written = () => kinesisMock.commandCalls(PutRecordsCommand).flatMap((call) => recordsOf(call.args[0].input));

describe('ALB adapter', () => {
  it('answers per event in the ALB format, as the REST API does, and writes the events', async () => {
    const { handle } = anAdapter();
    const result = await handle(anAlbEvent({ events: someEvents(2) }));
    expect(result).toEqual({
      statusCode: 200,
      statusDescription: '200 OK',
      headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
      body: expect.any(String),
      isBase64Encoded: false,
    });
    expect(bodyOf(result)).toEqual({
      accepted: 2,
      rejected: 0,
      results: [
        { index: 0, eventId: 'e0', status: 'accepted' },
        { index: 1, eventId: 'e1', status: 'accepted' },
      ],
    });
    expect(written().map((event) => event.eventId)).toEqual(['e0', 'e1']);
  });

  it('gives the same body as the REST adapter for a batch with a bad field (207, the field error)', async () => {
    const events = [anEvent({ eventId: 'good' }), anEvent({ eventId: 'bad', action: '' })];
    const rest = await createHandler(someDeps())(anApiEvent({ events }));
    kinesisMock.resetHistory();
    const { handle } = anAdapter();
    const alb = await handle(anAlbEvent({ events }));
    expect(alb.statusCode).toBe(207);
    expect(alb.statusDescription).toBe('207 Multi-Status');
    expect(alb.body).toBe(rest.body);
    const body = bodyOf(alb) as IngestResponse;
    expect(body.results[1]).toMatchObject({ eventId: 'bad', status: 'rejected', error: { field: 'action' } });
  });

  it('decodes a base64 body (ALB sends a binary body base64-encoded)', async () => {
    const { handle } = anAdapter();
    const json = JSON.stringify({ events: someEvents(1) });
    const result = await handle(anAlbEvent(Buffer.from(json).toString('base64'), undefined, { isBase64Encoded: true }));
    expect(result.statusCode).toBe(200);
  });

  it('answers 401 without a key and 403 with a wrong one, in the API error shape, writing nothing', async () => {
    const { handle, logger } = anAdapter();
    const missing = await handle(anAlbEvent({ events: someEvents(1) }, {}));
    expect(missing.statusCode).toBe(401);
    expect(missing.statusDescription).toBe('401 Unauthorized');
    expect(bodyOf(missing)).toEqual({
      error: 'x-api-key: is required: the key of a producer of this stage',
      field: 'x-api-key',
      reason: 'is required: the key of a producer of this stage',
    });
    const wrong = await handle(anAlbEvent({ events: someEvents(1) }, { 'x-api-key': 'guess' }));
    expect(wrong.statusCode).toBe(403);
    expect(bodyOf(wrong)).toMatchObject({ field: 'x-api-key', reason: 'is not the key of a producer of this stage' });
    expect(written()).toEqual([]);
    expect(JSON.stringify(logger.lines)).not.toContain('guess');
  });

  it('takes up a rotated key within the cache TTL; the previous value stays accepted while the secret keeps it', async () => {
    let now = 0;
    let secret = { current: 'key-1', previous: undefined as string | undefined };
    const keys = cachedFor(
      async () => keyDigests('web', [secret.current, ...(secret.previous ? [secret.previous] : [])]),
      60_000,
      () => now,
    );
    const { handle } = anAdapter(keys);
    const post = (key: string) => handle(anAlbEvent({ events: someEvents(1) }, { 'x-api-key': key })).then((r) => r.statusCode);

    expect(await post('key-1')).toBe(200);
    secret = { current: 'key-2', previous: 'key-1' };
    expect(await post('key-2')).toBe(403); // still cached
    now = 60_000;
    expect(await post('key-2')).toBe(200);
    expect(await post('key-1')).toBe(200); // AWSPREVIOUS
    secret = { current: 'key-3', previous: 'key-2' };
    now = 120_000;
    expect(await post('key-1')).toBe(403);
    expect(await post('key-3')).toBe(200);
  });

  it('answers 503 with retry-after when the keys cannot be read, and 503 when none are configured (a fault of the deployment)', async () => {
    const { handle } = anAdapter(async () => Promise.reject(new Error('secrets manager down')));
    const result = await handle(anAlbEvent({ events: someEvents(1) }));
    expect(result.statusCode).toBe(503);
    expect(result.headers?.['retry-after']).toBe('1');

    const unconfigured = albAdapter(createHandler(someDeps()), { logger: aRecordingLogger() });
    expect((await unconfigured(anAlbEvent({ events: someEvents(1) }))).statusCode).toBe(503);
  });

  it('routes by path and method like the REST adapter (405 for GET, 404 elsewhere)', async () => {
    const { handle } = anAdapter();
    expect((await handle(anAlbEvent({ events: [] }, undefined, { httpMethod: 'GET' }))).statusCode).toBe(405);
    expect((await handle(anAlbEvent({ events: [] }, undefined, { path: '/v1/other' }))).statusCode).toBe(404);
    expect((await handle(anAlbEvent({ events: someEvents(1) }, undefined, { path: '/v1/events/' }))).statusCode).toBe(200);
  });
});

describe('ALB helpers', () => {
  it('tells ALB events from REST proxy events', () => {
    expect(isAlbEvent(anAlbEvent({}))).toBe(true);
    expect(isAlbEvent(anApiEvent({}))).toBe(false);
  });

  it('reads headers in any case, and the last of multi-value headers', () => {
    expect(albHeader({ headers: { 'X-Api-Key': 'a' } }, 'x-api-key')).toBe('a');
    expect(albHeader({ multiValueHeaders: { 'x-api-key': ['a', 'b'] } }, 'x-api-key')).toBe('b');
    expect(albHeader({}, 'x-api-key')).toBeUndefined();
  });

  it('maps a proxy result to the ALB format', () => {
    expect(toAlbResult({ statusCode: 413, body: '{}', headers: { a: 'b' } })).toEqual({
      statusCode: 413,
      statusDescription: '413 Payload Too Large',
      headers: { a: 'b' },
      body: '{}',
      isBase64Encoded: false,
    });
  });
});
