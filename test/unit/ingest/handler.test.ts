import { KinesisClient, PutRecordsCommand, type PutRecordsCommandInput } from '@aws-sdk/client-kinesis';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { createHandler, type IngestHandler } from '../../../lambdas/ingest/handler';
import { pathEventId } from '../../../lambdas/ingest/paths';
import { pseudonym } from '../../../lambdas/ingest/pseudonymize';
import type { IngestResponse } from '../../../lambdas/shared/ingest-api';
import { aConfig, anApiEvent, anEvent, aPathDocument, putRecordsAnswer, recordsOf, SEED_DOCUMENT, someDeps, someEvents } from './factories';

const kinesisMock = mockClient(KinesisClient);

/** Kinesis takes every record. */
const streamTakesAll = () => kinesisMock.on(PutRecordsCommand).callsFake((input: PutRecordsCommandInput) => putRecordsAnswer(input));

/** The parsed JSON body of a response. */
const bodyOf = <T = IngestResponse>(response: APIGatewayProxyResult): T => JSON.parse(response.body) as T;

/** Every record written to the (mocked) stream, decoded, in call order. */
const written = () => kinesisMock.commandCalls(PutRecordsCommand).flatMap((call) => recordsOf(call.args[0].input));

/** A handler over fake dependencies (clock at 2024-05-27T03:41:00Z, Asia/Shanghai, 500 events, 1 MiB). */
function aHandler(overrides: Parameters<typeof someDeps>[0] = {}): { handle: IngestHandler; deps: ReturnType<typeof someDeps> } {
  const deps = someDeps(overrides);
  return { handle: createHandler(deps), deps };
}

beforeEach(() => kinesisMock.reset());

describe('POST /v1/events: accepted', () => {
  it('answers 200 when every event is written, with one result per event in order', async () => {
    // prepare
    streamTakesAll();
    const { handle } = aHandler();

    // act
    const response = await handle(anApiEvent({ events: someEvents(3) }));

    // assess
    expect(response.statusCode).toBe(200);
    expect(response.headers?.['content-type']).toBe('application/json');
    expect(bodyOf(response)).toEqual({
      accepted: 3,
      rejected: 0,
      results: [
        { index: 0, eventId: 'e0', status: 'accepted' },
        { index: 1, eventId: 'e1', status: 'accepted' },
        { index: 2, eventId: 'e2', status: 'accepted' },
      ],
    });
  });

  it('writes normalised events: createdAt in UTC, receivedAt from the clock, partitioned by userId', async () => {
    // prepare
    streamTakesAll();
    const { handle } = aHandler();

    // act
    await handle(anApiEvent({ events: [anEvent({ createdAt: '2024-05-28 01:30:00', props: { amount: 9.5 } })] }));

    // assess
    const [call] = kinesisMock.commandCalls(PutRecordsCommand);
    expect(call?.args[0].input.Records?.[0]?.PartitionKey).toBe('user-1');
    expect(written()).toEqual([
      {
        eventId: 'e1',
        action: 'page_view',
        userId: 'user-1',
        createdAt: '2024-05-27T17:30:00.000Z',
        receivedAt: '2024-05-27T03:41:00.000Z',
        props: { amount: 9.5 },
      },
    ]);
  });

  it('takes a single event object as a batch of one', async () => {
    // prepare
    streamTakesAll();
    const { handle } = aHandler();

    // act
    const response = await handle(anApiEvent(anEvent({ eventId: 'solo' })));

    // assess
    expect(response.statusCode).toBe(200);
    expect(bodyOf(response).results).toEqual([{ index: 0, eventId: 'solo', status: 'accepted' }]);
  });

  it('decodes a base64 body', async () => {
    // prepare
    streamTakesAll();
    const { handle } = aHandler();
    const body = Buffer.from(JSON.stringify({ events: someEvents(2) }), 'utf8').toString('base64');

    // act
    const response = await handle(anApiEvent(body, { isBase64Encoded: true }));

    // assess
    expect(response.statusCode).toBe(200);
    expect(written().map((event) => event.eventId)).toEqual(['e0', 'e1']);
  });

  it('routes by path when the resource is a proxy resource, and ignores a trailing slash', async () => {
    // prepare
    streamTakesAll();
    const { handle } = aHandler();

    // act
    const response = await handle(anApiEvent(anEvent(), { resource: '/{proxy+}', path: '/v1/events/' }));

    // assess
    expect(response.statusCode).toBe(200);
  });
});

describe('POST /v1/events: partly accepted (207)', () => {
  it('rejects an invalid event with its field and reason and writes the others', async () => {
    // prepare
    streamTakesAll();
    const { handle } = aHandler();
    const events = [anEvent({ eventId: 'e1', userId: 'u'.repeat(65) }), anEvent({ eventId: 'e2' })];

    // act
    const response = await handle(anApiEvent({ events }));

    // assess
    expect(response.statusCode).toBe(207);
    const error = { field: 'userId', reason: 'must be at most 64 characters', retryable: false };
    expect(bodyOf(response)).toEqual({
      accepted: 1,
      rejected: 1,
      results: [
        { index: 0, eventId: 'e1', status: 'rejected', error, errors: [error] },
        { index: 1, eventId: 'e2', status: 'accepted' },
      ],
    });
    expect(written().map((event) => event.eventId)).toEqual(['e2']);
  });

  it('rejects an unknown field by name', async () => {
    // prepare
    streamTakesAll();
    const { handle } = aHandler();

    // act
    const response = await handle(anApiEvent({ events: [anEvent({ eventId: 'a', colour: 'red' }), anEvent({ eventId: 'b' })] }));

    // assess
    expect(response.statusCode).toBe(207);
    expect(bodyOf(response).results[0]?.error).toEqual({ field: 'colour', reason: 'unknown field', retryable: false });
  });

  it('rejects the second event with a duplicate eventId', async () => {
    // prepare
    streamTakesAll();
    const { handle } = aHandler();

    // act
    const response = await handle(anApiEvent({ events: [anEvent({ eventId: 'x' }), anEvent({ eventId: 'x' })] }));

    // assess
    expect(response.statusCode).toBe(207);
    expect(bodyOf(response).results[1]).toMatchObject({
      index: 1,
      eventId: 'x',
      status: 'rejected',
      error: { field: 'eventId', reason: 'duplicate eventId in this request' },
    });
    expect(written()).toHaveLength(1);
  });

  it('gives events without a usable eventId a result matched by index', async () => {
    // prepare
    streamTakesAll();
    const { handle } = aHandler();

    // act
    const response = await handle(anApiEvent({ events: [anEvent({ eventId: 'ok' }), anEvent({ eventId: 12 })] }));

    // assess
    expect(bodyOf(response).results[1]).toMatchObject({
      index: 1,
      eventId: null,
      status: 'rejected',
      error: { field: 'eventId', reason: 'must be a string' },
    });
  });

  it('reports events the stream keeps refusing as rejected and retryable, never accepted', async () => {
    // prepare: the stream refuses the second entry of every call
    kinesisMock.on(PutRecordsCommand).callsFake((input: PutRecordsCommandInput) => {
      const ids = recordsOf(input).map((event) => event.eventId);
      return putRecordsAnswer(input, ids.includes('e1') ? [ids.indexOf('e1')] : []);
    });
    const { handle, deps } = aHandler();

    // act
    const response = await handle(anApiEvent({ events: someEvents(3) }));

    // assess
    expect(response.statusCode).toBe(207);
    const error = { field: '', reason: 'stream unavailable: ProvisionedThroughputExceededException', retryable: true };
    expect(bodyOf(response).results).toEqual([
      { index: 0, eventId: 'e0', status: 'accepted' },
      { index: 1, eventId: 'e1', status: 'rejected', error, errors: [error] },
      { index: 2, eventId: 'e2', status: 'accepted' },
    ]);
    expect(kinesisMock.commandCalls(PutRecordsCommand)).toHaveLength(5);
    expect(deps.logger.lines.at(-1)).toMatchObject({
      level: 'warn',
      attributes: { errorCodes: { ProvisionedThroughputExceededException: 1 } },
    });
    expect([deps.metrics.count('EventsAccepted'), deps.metrics.count('EventsRejected'), deps.metrics.count('StreamFailures')]).toEqual([
      2, 0, 1,
    ]);
  });

  it('accepts events that fail once and are taken on retry', async () => {
    // prepare
    kinesisMock
      .on(PutRecordsCommand)
      .callsFakeOnce((input: PutRecordsCommandInput) => putRecordsAnswer(input, [0, 2]))
      .callsFake((input: PutRecordsCommandInput) => putRecordsAnswer(input));
    const { handle } = aHandler();

    // act
    const response = await handle(anApiEvent({ events: someEvents(3) }));

    // assess
    expect(response.statusCode).toBe(200);
    expect(written().map((event) => event.eventId)).toEqual(['e0', 'e1', 'e2', 'e0', 'e2']);
  });
});

describe('POST /v1/events: refused', () => {
  it.each([
    ['invalid JSON', '{"events": [', 'body: is not valid JSON: '],
    ['an empty body', '', 'body: is required'],
    ['an empty batch', JSON.stringify({ events: [] }), 'events: must contain at least 1 event'],
    ['a top-level array', JSON.stringify(someEvents(1)), 'body: must be a JSON object'],
    ['a number', '42', 'body: must be a JSON object'],
  ])('answers 400 to %s, writing nothing', async (_, body, message) => {
    // prepare
    const { handle } = aHandler();

    // act
    const response = await handle(anApiEvent(body));

    // assess
    expect(response.statusCode).toBe(400);
    expect(bodyOf<{ error: string }>(response).error).toContain(message);
    expect(kinesisMock.commandCalls(PutRecordsCommand)).toHaveLength(0);
  });

  it('answers 400 to a missing body', async () => {
    const { handle } = aHandler();
    expect((await handle(anApiEvent('', { body: null }))).statusCode).toBe(400);
  });

  it('answers 400 to 501 events, naming the limit, and writes none of them', async () => {
    // prepare
    const { handle } = aHandler();

    // act
    const response = await handle(anApiEvent({ events: someEvents(501) }));

    // assess
    expect(response.statusCode).toBe(400);
    expect(bodyOf(response)).toEqual({
      error: 'events: at most 500 events per request, got 501',
      field: 'events',
      reason: 'at most 500 events per request, got 501',
    });
    expect(kinesisMock.commandCalls(PutRecordsCommand)).toHaveLength(0);
  });

  it('answers 400 with every result rejected when no event is valid', async () => {
    // prepare
    const { handle } = aHandler();

    // act
    const response = await handle(anApiEvent({ events: [anEvent({ action: '' }), anEvent({ eventId: 'e2', createdAt: 'today' })] }));

    // assess
    expect(response.statusCode).toBe(400);
    const body = bodyOf(response);
    expect([body.accepted, body.rejected]).toEqual([0, 2]);
    expect(body.results.map((result) => result.error?.field)).toEqual(['action', 'createdAt']);
    expect(kinesisMock.commandCalls(PutRecordsCommand)).toHaveLength(0);
  });

  it("refuses a createdAt outside 2000-01-01Z .. receipt + 1 day, measured by the handler's clock", async () => {
    // prepare: the clock reads 2024-05-27T03:41:00Z
    streamTakesAll();
    const { handle } = aHandler();

    // act
    const response = await handle(
      anApiEvent({
        events: [
          anEvent({ eventId: 'far', createdAt: '9999-12-31T23:59:59-18:00' }),
          anEvent({ eventId: 'old', createdAt: '1999-12-31T23:59:59Z' }),
          anEvent({ eventId: 'edge', createdAt: '2024-05-28T03:41:00Z' }),
        ],
      }),
    );

    // assess
    expect(response.statusCode).toBe(207);
    const body = bodyOf(response);
    expect(body.results.map((r) => [r.eventId, r.status, r.error?.field])).toEqual([
      ['far', 'rejected', 'createdAt'],
      ['old', 'rejected', 'createdAt'],
      ['edge', 'accepted', undefined],
    ]);
    expect(body.results[0]?.error?.reason).toMatch(/out of range.*2000-01-01.*2024-05-28T03:41:00.000Z/);
    expect(written().map((event) => event.createdAt)).toEqual(['2024-05-28T03:41:00.000Z']);
  });

  it('answers 400 to a single event with an unknown field', async () => {
    // prepare
    const { handle } = aHandler();

    // act
    const response = await handle(anApiEvent(anEvent({ userid: 'lower-case' })));

    // assess
    expect(response.statusCode).toBe(400);
    expect(bodyOf(response).results[0]?.error).toEqual({ field: 'userid', reason: 'unknown field', retryable: false });
  });

  it('answers 413 to a body over MAX_BODY_BYTES, counted in bytes', async () => {
    // prepare: 100 characters of 3 UTF-8 bytes each are 300 bytes
    const { handle } = aHandler({ config: aConfig({ maxBodyBytes: 299 }) });

    // act
    const response = await handle(anApiEvent(anEvent({ errorMsg: '错'.repeat(100) })));

    // assess
    expect(response.statusCode).toBe(413);
    expect(bodyOf(response)).toEqual({ error: 'body: must be at most 299 bytes', field: 'body', reason: 'must be at most 299 bytes' });
  });

  it('answers 413 to a base64 body that decodes to more than MAX_BODY_BYTES', async () => {
    // prepare
    const { handle } = aHandler({ config: aConfig({ maxBodyBytes: 100 }) });
    const body = Buffer.from(JSON.stringify({ events: someEvents(3) })).toString('base64');

    // act
    const response = await handle(anApiEvent(body, { isBase64Encoded: true }));

    // assess
    expect(response.statusCode).toBe(413);
  });

  it('answers 503 with retry-after when nothing was accepted only because the stream failed', async () => {
    // prepare
    kinesisMock.on(PutRecordsCommand).rejects(Object.assign(new Error('connect ECONNREFUSED'), { name: 'Error' }));
    const { handle } = aHandler();

    // act
    const response = await handle(anApiEvent({ events: someEvents(2) }));

    // assess
    expect(response.statusCode).toBe(503);
    expect(response.headers?.['retry-after']).toBe('1');
    expect(bodyOf(response).results.every((result) => result.status === 'rejected' && result.error?.retryable === true)).toBe(true);
  });

  it('answers 400, not 503, when nothing was accepted and some events were invalid', async () => {
    // prepare
    kinesisMock.on(PutRecordsCommand).rejects(Object.assign(new Error('down'), { name: 'ServiceUnavailable' }));
    const { handle } = aHandler();

    // act
    const response = await handle(anApiEvent({ events: [anEvent({ eventId: 'good' }), anEvent({ eventId: 'bad', userId: '' })] }));

    // assess
    expect(response.statusCode).toBe(400);
    expect(bodyOf(response).results.map((result) => result.error?.retryable)).toEqual([true, false]);
  });

  it('does not retry past the Lambda’s remaining time', async () => {
    // prepare
    kinesisMock.on(PutRecordsCommand).callsFake((input: PutRecordsCommandInput) => putRecordsAnswer(input, [0]));
    const { handle } = aHandler();

    // act
    const response = await handle(anApiEvent(anEvent()), { getRemainingTimeInMillis: () => 6_050 });

    // assess
    expect(response.statusCode).toBe(503);
    expect(kinesisMock.commandCalls(PutRecordsCommand)).toHaveLength(1);
  });
});

describe('routes', () => {
  it('answers 404 to an unknown route', async () => {
    // prepare
    const { handle } = aHandler();

    // act
    const response = await handle(anApiEvent(anEvent(), { resource: '/v1/nothing', path: '/v1/nothing' }));

    // assess
    expect(response.statusCode).toBe(404);
    expect(bodyOf<{ error: string }>(response).error).toBe('no route for POST /v1/nothing');
  });

  it('answers 405 with allow: POST to another method on a known route', async () => {
    // prepare
    const { handle } = aHandler();

    // act
    const response = await handle(anApiEvent(null, { httpMethod: 'GET', body: null }));

    // assess
    expect(response.statusCode).toBe(405);
    expect(response.headers?.allow).toBe('POST');
  });
});

describe('POST /v1/paths', () => {
  const pathsEvent = (body: unknown) => anApiEvent(body, { resource: '/v1/paths', path: '/v1/paths' });

  it('expands the path-analysis sample document into page_view events, one result per element', async () => {
    // prepare
    streamTakesAll();
    const { handle } = aHandler();

    // act
    const response = await handle(pathsEvent(SEED_DOCUMENT));

    // assess
    expect(response.statusCode).toBe(200);
    const ids = [0, 1, 2, 3, 4].map((i) => pathEventId('user493', '2024-05-27T11:40:36.263222', i));
    expect(bodyOf(response).results).toEqual(ids.map((eventId, i) => ({ index: i, eventId, status: 'accepted', document: 0, element: i })));
    expect(written().map(({ action, userId, path, createdAt }) => [action, userId, path, createdAt])).toEqual([
      ['page_view', 'user493', '/blog', '2024-05-27T03:40:36.263Z'],
      ['page_view', 'user493', '/about', '2024-05-27T03:41:36.263Z'],
      ['page_view', 'user493', '/services', '2024-05-27T03:44:36.263Z'],
      ['page_view', 'user493', '/blog', '2024-05-27T03:52:36.263Z'],
      ['page_view', 'user493', '/about', '2024-05-27T03:44:36.263Z'],
    ]);
  });

  it('writes the same events when the same document is posted twice', async () => {
    // prepare
    streamTakesAll();
    const { handle } = aHandler();

    // act
    await handle(pathsEvent(aPathDocument()));
    await handle(pathsEvent(aPathDocument()));

    // assess
    const [first, second] = kinesisMock.commandCalls(PutRecordsCommand).map((call) => recordsOf(call.args[0].input));
    expect(second).toEqual(first);
  });

  it('rejects an invalid document whole and accepts the valid one next to it (207)', async () => {
    // prepare
    streamTakesAll();
    const { handle } = aHandler();
    const invalid = {
      uvi: 'user7',
      el: [
        { path: '/a', ct: '2024-05-27T10:00:00' },
        { path: '/b', ct: 'later' },
      ],
    };

    // act
    const response = await handle(pathsEvent({ documents: [invalid, SEED_DOCUMENT] }));

    // assess
    expect(response.statusCode).toBe(207);
    const body = bodyOf(response);
    expect([body.accepted, body.rejected]).toEqual([5, 2]);
    expect(
      body.results
        .slice(0, 2)
        .map(({ index, document, element, status, error }) => ({ index, document, element, status, field: error?.field })),
    ).toEqual([
      { index: 0, document: 0, element: 0, status: 'rejected', field: 'el[1].ct' },
      { index: 1, document: 0, element: 1, status: 'rejected', field: 'el[1].ct' },
    ]);
    expect(body.results[2]).toMatchObject({ index: 2, document: 1, element: 0, status: 'accepted' });
  });

  it('refuses a path document whose ct lies outside the accepted range, naming the element', async () => {
    // prepare
    streamTakesAll();
    const { handle } = aHandler();
    const future = {
      uvi: 'user8',
      el: [
        { path: '/a', ct: '2024-05-27T10:00:00' },
        { path: '/b', ct: '9999-12-31T23:59:59-18:00' },
      ],
    };

    // act
    const response = await handle(pathsEvent(future));

    // assess
    expect(response.statusCode).toBe(400);
    expect(bodyOf(response).results.map((r) => [r.status, r.error?.field])).toEqual([
      ['rejected', 'el[1].ct'],
      ['rejected', 'el[1].ct'],
    ]);
    expect(written()).toEqual([]);
  });

  it('rejects a second copy of a document in one request as duplicates', async () => {
    // prepare
    streamTakesAll();
    const { handle } = aHandler();

    // act
    const response = await handle(pathsEvent({ documents: [SEED_DOCUMENT, SEED_DOCUMENT] }));

    // assess
    expect(response.statusCode).toBe(207);
    expect(
      bodyOf(response)
        .results.slice(5)
        .every((result) => result.error?.reason === 'duplicate eventId in this request'),
    ).toBe(true);
    expect(written()).toHaveLength(5);
  });

  it('answers 400 when the documents hold more elements than allowed', async () => {
    // prepare
    const { handle } = aHandler({ config: aConfig({ maxEventsPerRequest: 9 }) });

    // act
    const response = await handle(pathsEvent({ documents: [SEED_DOCUMENT, SEED_DOCUMENT] }));

    // assess
    expect(response.statusCode).toBe(400);
    expect(bodyOf<{ error: string }>(response).error).toBe('documents: at most 9 path elements per request, got 10');
  });
});

describe('pseudonymization', () => {
  const KEY = Buffer.from('a-test-key-of-32-bytes-0123456789');
  const pseudonymizing = () =>
    aHandler({
      config: aConfig({
        pseudonymization: { secretArn: 'arn:aws:secretsmanager:us-east-1:111122223333:secret:key', props: new Set(['phone']) },
      }),
      pseudonymKey: async () => KEY,
    });

  it('writes pseudonyms for userId and the listed props, and partitions by the pseudonym', async () => {
    // prepare
    streamTakesAll();
    const { handle, deps } = pseudonymizing();

    // act
    const response = await handle(anApiEvent(anEvent({ userId: 'alice', props: { phone: '13800138000', city: 'Hangzhou' } })));

    // assess
    expect(response.statusCode).toBe(200);
    const [event] = written();
    expect(event?.userId).toBe(pseudonym('alice', KEY));
    expect(event?.props).toEqual({ phone: pseudonym('13800138000', KEY), city: 'Hangzhou' });
    expect(kinesisMock.commandCalls(PutRecordsCommand)[0]?.args[0].input.Records?.[0]?.PartitionKey).toBe(pseudonym('alice', KEY));
    expect(JSON.stringify(deps.logger.lines)).not.toMatch(/alice|13800138000/);
  });

  it('keys the ids of path events, so they do not reveal uvi', async () => {
    // prepare
    streamTakesAll();
    const { handle } = pseudonymizing();

    // act
    const response = await handle(anApiEvent(SEED_DOCUMENT, { resource: '/v1/paths', path: '/v1/paths' }));

    // assess
    const [first] = written();
    expect(first?.userId).toBe(pseudonym('user493', KEY));
    expect(first?.eventId).toBe(pathEventId('user493', '2024-05-27T11:40:36.263222', 0, KEY));
    expect(bodyOf(response).results[0]?.eventId).toBe(first?.eventId);
  });

  it('answers 503 and writes nothing when the key cannot be read', async () => {
    // prepare
    const { deps } = pseudonymizing();
    const handle = createHandler({ ...deps, pseudonymKey: async () => Promise.reject(new Error('AccessDeniedException')) });

    // act
    const response = await handle(anApiEvent(anEvent()));

    // assess
    expect(response.statusCode).toBe(503);
    expect(kinesisMock.commandCalls(PutRecordsCommand)).toHaveLength(0);
  });
});

describe('logging', () => {
  it('logs counts, not event contents', async () => {
    // prepare
    streamTakesAll();
    const { handle, deps } = aHandler();

    // act
    await handle(
      anApiEvent({
        events: [
          anEvent({ eventId: 'secret-id', userId: 'bob@example.com', errorMsg: 'card 4111' }),
          anEvent({ eventId: 'x', action: '' }),
        ],
      }),
    );

    // assess
    expect(deps.logger.lines).toEqual([
      {
        level: 'info',
        message: 'request handled',
        attributes: expect.objectContaining({
          requestId: 'req-1',
          route: 'events',
          status: 207,
          events: 2,
          accepted: 1,
          invalid: 1,
          streamFailures: 0,
          putRecordsCalls: 1,
        }),
      },
    ]);
    expect(JSON.stringify(deps.logger.lines)).not.toMatch(/secret-id|bob@example\.com|4111/);
  });
});

describe('the Lambda entry point', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  it('throws on invalid configuration, and works once it is valid', async () => {
    // prepare
    process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
    delete process.env.STREAM_NAME;
    let entry: typeof import('../../../lambdas/ingest/handler') | undefined;
    jest.isolateModules(() => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- jest.isolateModules loads synchronously
      entry = require('../../../lambdas/ingest/handler') as typeof import('../../../lambdas/ingest/handler');
    });
    const handler = entry?.handler;
    if (handler === undefined) throw new Error('handler module did not load');

    // act + assess: misconfigured
    await expect(handler(anApiEvent(anEvent()))).rejects.toThrow(/invalid ingest configuration: STREAM_NAME: is required/);

    // act + assess: configured (an unknown route needs no AWS)
    Object.assign(process.env, {
      STREAM_NAME: 'events',
      TIME_ZONE: 'Asia/Shanghai',
      MAX_EVENTS_PER_REQUEST: '500',
      MAX_BODY_BYTES: '1048576',
      PSEUDONYMIZE: 'false',
      POWERTOOLS_METRICS_NAMESPACE: 'UserBehaviorAnalytics/test',
      // Keeps the EMF line out of the test output (business-metrics tests check what is counted).
      POWERTOOLS_METRICS_DISABLED: 'true',
    });
    const response = await handler(anApiEvent(anEvent(), { resource: '/v1/other', path: '/v1/other' }));
    expect(response.statusCode).toBe(404);
  });
});

describe('business metrics', () => {
  it('counts accepted events, rejected events once each, and every field at fault bounded to the schema', async () => {
    // prepare
    streamTakesAll();
    const { handle, deps } = aHandler();
    const events = [
      anEvent({ eventId: 'ok-1' }),
      anEvent({ eventId: 'bad-1', createdAt: 'yesterday', props: { [`k`]: { nested: true } } }),
      anEvent({ eventId: 'bad-2', userId: undefined }),
      anEvent({ eventId: 'bad-3', colour: 'red' }),
      anEvent({ eventId: 'ok-2' }),
    ];

    // act
    await handle(anApiEvent({ events }));
    await handle(anApiEvent({ events: [anEvent({ eventId: 'ok-3' })] }));

    // assess
    expect(deps.metrics.count('EventsAccepted')).toBe(3);
    expect(deps.metrics.count('EventsRejected')).toBe(3);
    expect(deps.metrics.count('StreamFailures')).toBe(0);
    expect(Object.fromEntries(deps.metrics.rejectedByField())).toEqual({ createdAt: 1, props: 1, userId: 1, '(other)': 1 });
  });

  it('counts nothing for a request refused as a whole', async () => {
    // prepare
    const { handle, deps } = aHandler();

    // act
    await handle(anApiEvent('{not json'));

    // assess
    expect(deps.metrics.count('EventsAccepted') + deps.metrics.count('EventsRejected')).toBe(0);
  });
});
