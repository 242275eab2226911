import type { APIGatewayProxyResult } from 'aws-lambda';
import { createHandler, type QueryHandler } from '../../../lambdas/query/handler';
import {
  aCounterItem,
  aLogger,
  anEdgePackItem,
  anApiEvent,
  anErrorAlertItem,
  aWindowAlertItem,
  InMemoryReads,
  someDeps,
} from './factories';

/** The parsed JSON body of a response. */
const bodyOf = (response: APIGatewayProxyResult): Record<string, unknown> => JSON.parse(response.body) as Record<string, unknown>;

/** A handler over an in-memory table holding `items`, at 2024-05-27T03:41:00Z in Asia/Shanghai. */
function aHandler(items: Record<string, unknown>[] = []): {
  handle: QueryHandler;
  reads: InMemoryReads;
  logger: ReturnType<typeof aLogger>;
} {
  const reads = new InMemoryReads(items);
  const logger = aLogger();
  return { handle: createHandler(someDeps(reads, logger)), reads, logger };
}

describe('routing', () => {
  it('answers 404 for an unknown resource and 405 for another method', async () => {
    // prepare
    const { handle } = aHandler();

    // act
    const unknown = await handle(anApiEvent('/v1/nothing'));
    const post = await handle(anApiEvent('/v1/metrics', {}, 'POST'));

    // assess
    expect(unknown.statusCode).toBe(404);
    expect(bodyOf(unknown)).toEqual({ error: 'no route for GET /v1/nothing', field: '', reason: 'no route for GET /v1/nothing' });
    expect(post.statusCode).toBe(405);
    expect(post.headers?.allow).toBe('GET');
  });

  it('answers 400 naming a parameter given twice', async () => {
    // prepare
    const { handle } = aHandler();
    const event = { ...anApiEvent('/v1/alerts', { limit: '2' }), multiValueQueryStringParameters: { limit: ['1', '2'] } };

    // act
    const response = await handle(event);

    // assess
    expect(response.statusCode).toBe(400);
    expect(bodyOf(response)).toEqual({ error: 'limit: must be given once', field: 'limit', reason: 'must be given once' });
  });
});

describe('GET /v1/alerts', () => {
  const items = [
    anErrorAlertItem({ eventId: 'e-1', createdAt: '2024-05-26T10:00:00.000Z' }),
    aWindowAlertItem({ createdAt: '2024-05-27T03:42:00.512Z' }),
    anErrorAlertItem({ eventId: 'e-2', createdAt: '2024-05-27T03:41:10.000Z' }),
    anErrorAlertItem({ eventId: 'e-old', createdAt: '2024-05-20T00:00:00.000Z' }),
  ];

  it('answers 200 JSON with the alerts of the range, newest first, and no nextToken on the last page', async () => {
    // prepare
    const { handle } = aHandler(items);

    // act
    const response = await handle(anApiEvent('/v1/alerts', { since: '2024-05-26T00:00:00Z', until: '2024-05-27T04:00:00Z' }));

    // assess
    expect(response.statusCode).toBe(200);
    expect(response.headers).toEqual({ 'content-type': 'application/json', 'cache-control': 'no-store' });
    const body = bodyOf(response);
    expect(body).toMatchObject({ timeZone: 'Asia/Shanghai', since: '2024-05-26T00:00:00.000Z', until: '2024-05-27T04:00:00.000Z' });
    expect((body.alerts as { id: string }[]).map((a) => a.id)).toEqual([
      'warnings-per-action|viewDoc|2024-05-27T03:41:00.000Z',
      'e-2',
      'e-1',
    ]);
    expect(body.nextToken).toBeUndefined();
  });

  it('pages with nextToken until the last page', async () => {
    // prepare
    const { handle } = aHandler(items);
    const range = { since: '2024-05-26T00:00:00Z', until: '2024-05-27T04:00:00Z', limit: '2' };

    // act
    const first = bodyOf(await handle(anApiEvent('/v1/alerts', range)));
    const second = bodyOf(await handle(anApiEvent('/v1/alerts', { ...range, nextToken: String(first.nextToken) })));

    // assess
    expect((first.alerts as { id: string }[]).map((a) => a.id)).toEqual(['warnings-per-action|viewDoc|2024-05-27T03:41:00.000Z', 'e-2']);
    expect(typeof first.nextToken).toBe('string');
    expect((second.alerts as { id: string }[]).map((a) => a.id)).toEqual(['e-1']);
    expect(second.nextToken).toBeUndefined();
  });

  it('lists one kind and passes the parsed query to the reads', async () => {
    // prepare
    const { handle, reads } = aHandler(items);

    // act
    const body = bodyOf(await handle(anApiEvent('/v1/alerts', { kind: 'error' })));

    // assess
    expect((body.alerts as { kind: string }[]).map((a) => a.kind)).toEqual(['error']);
    expect(reads.calls).toEqual(['alerts 2024-05-27,2024-05-26 100']);
  });

  it('answers 400 with the parameter and reason, without reading', async () => {
    // prepare
    const { handle, reads } = aHandler(items);

    // act
    const response = await handle(anApiEvent('/v1/alerts', { limit: '0' }));

    // assess
    expect(response.statusCode).toBe(400);
    expect(bodyOf(response)).toEqual({
      error: 'limit: must be an integer from 1 to 1000',
      field: 'limit',
      reason: 'must be an integer from 1 to 1000',
    });
    expect(reads.calls).toEqual([]);
  });

  it('answers 500 and logs the cause when the table cannot be read', async () => {
    // prepare
    const { handle, reads, logger } = aHandler(items);
    reads.failWith = Object.assign(new Error('Rate exceeded'), { name: 'ProvisionedThroughputExceededException' });

    // act
    const response = await handle(anApiEvent('/v1/alerts'));

    // assess
    expect(response.statusCode).toBe(500);
    expect(bodyOf(response)).toMatchObject({ field: '', reason: 'internal error (request req-1)' });
    expect(logger.lines).toEqual([
      {
        level: 'error',
        message: 'request failed',
        attributes: {
          requestId: 'req-1',
          route: 'alerts',
          errorName: 'ProvisionedThroughputExceededException',
          errorMessage: 'Rate exceeded',
        },
      },
    ]);
  });
});

describe('GET /v1/metrics', () => {
  it('answers the series per value of dim across the days of the range', async () => {
    // prepare: 23:59 and 00:00 local fall in two day partitions
    const { handle, reads } = aHandler([
      aCounterItem('events', '2024-05-26T23:59', 'action=page_view', { count: 120, late: 2 }),
      aCounterItem('events', '2024-05-27T00:00', 'action=page_view', { count: 3 }),
      aCounterItem('events', '2024-05-27T00:00', 'action=click', { count: 7 }),
      aCounterItem('events', '2024-05-27T00:01', 'action=click', { count: 7 }),
      aCounterItem('events', '2024-05-27T00:00', '', { count: 10 }),
    ]);

    // act
    const response = await handle(
      anApiEvent('/v1/metrics', { name: 'events', dim: 'action', from: '2024-05-26T23:30', to: '2024-05-27T00:00' }),
    );

    // assess
    expect(response.statusCode).toBe(200);
    expect(bodyOf(response)).toEqual({
      name: 'events',
      timeZone: 'Asia/Shanghai',
      from: '2024-05-26T23:30',
      to: '2024-05-27T00:00',
      dim: 'action',
      series: [
        {
          dims: 'action=page_view',
          value: 'page_view',
          buckets: [
            { minute: '2024-05-26T23:59', count: 120, late: 2 },
            { minute: '2024-05-27T00:00', count: 3, late: 0 },
          ],
        },
        { dims: 'action=click', value: 'click', buckets: [{ minute: '2024-05-27T00:00', count: 7, late: 0 }] },
      ],
    });
    expect(reads.calls).toEqual(['metrics events [action] 2024-05-26,2024-05-27 2024-05-26T23:30..2024-05-27T00:00']);
  });

  it('answers the success rate per minute', async () => {
    // prepare
    const { handle } = aHandler([
      aCounterItem('recharge', '2024-05-27T11:40', '', { count: 4 }),
      aCounterItem('recharge.success', '2024-05-27T11:40', '', { count: 3 }),
    ]);

    // act
    const body = bodyOf(await handle(anApiEvent('/v1/metrics', { name: 'recharge.successRate' })));

    // assess
    expect(body).toEqual({
      name: 'recharge.successRate',
      timeZone: 'Asia/Shanghai',
      from: '2024-05-27T10:41',
      to: '2024-05-27T11:41',
      series: [{ dims: '', buckets: [{ minute: '2024-05-27T11:40', rate: 0.75 }] }],
    });
  });

  it('answers 400 listing the metric names for an unknown one', async () => {
    // prepare
    const { handle } = aHandler();

    // act
    const response = await handle(anApiEvent('/v1/metrics', { name: 'clicks' }));

    // assess
    expect(response.statusCode).toBe(400);
    expect(bodyOf(response)).toMatchObject({
      field: 'name',
      error: expect.stringMatching(/^name: must be one of events, recharge, .*recharge\.successRate$/) as unknown,
    });
  });

  it('answers 500 naming the item in the log when a counter is unreadable', async () => {
    // prepare
    const { handle, logger } = aHandler([{ ...aCounterItem('events', '2024-05-27T11:40', '', { count: 1 }), count: 'x' }]);

    // act
    const response = await handle(anApiEvent('/v1/metrics', { name: 'events' }));

    // assess
    expect(response.statusCode).toBe(500);
    expect(logger.lines[0]?.attributes).toMatchObject({
      errorName: 'UnreadableItemError',
      pk: 'M#events##2024-05-27',
      sk: '2024-05-27T11:40#',
    });
  });
});

describe('GET /v1/paths and /v1/paths.csv', () => {
  const ledgers = [
    anEdgePackItem('2024-05-27', 2, 'shardId-000000000000', [['/blog (1)', '/about (2)', 2]]),
    anEdgePackItem('2024-05-27', 3, 'shardId-000000000000', [['/about (2)', '/services (3)', 2]]),
    anEdgePackItem('2024-05-27', 2, 'shardId-000000000001', [
      ['/blog (1)', '/about (2)', 1],
      ['/contact, us (1)', '/faq (2)', 1],
    ]),
  ];

  it('answers the edges of the day, every shard added up, as JSON', async () => {
    // prepare
    const { handle } = aHandler(ledgers);

    // act
    const response = await handle(anApiEvent('/v1/paths', { date: '2024-05-27', minWeight: '2' }));

    // assess
    expect(response.statusCode).toBe(200);
    expect(bodyOf(response)).toEqual({
      date: '2024-05-27',
      timeZone: 'Asia/Shanghai',
      edges: [
        { source: '/blog (1)', target: '/about (2)', weight: 3 },
        { source: '/about (2)', target: '/services (3)', weight: 2 },
      ],
    });
  });

  it('answers the CSV of the edges as a download of that day (no full path in real time), quoting fields with commas', async () => {
    // prepare
    const { handle } = aHandler(ledgers);

    // act
    const response = await handle(anApiEvent('/v1/paths.csv', { date: '2024-05-27' }));

    // assess
    expect(response.statusCode).toBe(200);
    expect(response.headers).toEqual({
      'content-type': 'text/csv; charset=utf-8',
      'content-disposition': 'attachment; filename="paths-2024-05-27.csv"',
      'cache-control': 'no-store',
    });
    expect(response.body).toBe(
      [
        'source,target,weight,full_path',
        '/blog (1),/about (2),3,',
        '/about (2),/services (3),2,',
        '"/contact, us (1)",/faq (2),1,',
        '',
      ].join('\r\n'),
    );
  });

  it('answers an empty day with no edges and a header-only CSV', async () => {
    // prepare
    const { handle } = aHandler(ledgers);

    // act
    const json = bodyOf(await handle(anApiEvent('/v1/paths', { date: '2024-05-01' })));
    const csv = await handle(anApiEvent('/v1/paths.csv', { date: '2024-05-01' }));

    // assess
    expect(json).toEqual({ date: '2024-05-01', timeZone: 'Asia/Shanghai', edges: [] });
    expect(csv.body).toBe('source,target,weight,full_path\r\n');
  });

  it('answers 400 for a bad date', async () => {
    // prepare
    const { handle } = aHandler(ledgers);

    // act
    const response = await handle(anApiEvent('/v1/paths.csv', { date: '2024-5-27' }));

    // assess
    expect(response.statusCode).toBe(400);
    expect(bodyOf(response)).toEqual({ error: 'date: must be a date YYYY-MM-DD', field: 'date', reason: 'must be a date YYYY-MM-DD' });
  });
});

describe('roles (the cognito:groups claim)', () => {
  const range = { since: '2024-05-26T00:00:00Z', until: '2024-05-27T04:00:00Z' };
  const items = [anErrorAlertItem({ eventId: 'e-1', userId: 'u-42', errorMsg: '[error] card 4111 declined' }), aWindowAlertItem()];

  it('gives an analyst alerts without userId and errorMsg, and window alerts unchanged', async () => {
    // prepare
    const { handle } = aHandler(items);

    // act
    const masked = bodyOf(await handle(anApiEvent('/v1/alerts', range, 'GET', 'analyst'))).alerts as Record<string, unknown>[];
    const full = bodyOf(await handle(anApiEvent('/v1/alerts', range, 'GET', 'operator'))).alerts as Record<string, unknown>[];

    // assess
    const maskedError = masked.find((a) => a.kind === 'error');
    expect(maskedError).toMatchObject({ id: 'e-1', eventId: 'e-1', action: 'pay' });
    expect(maskedError).not.toHaveProperty('userId');
    expect(maskedError).not.toHaveProperty('errorMsg');
    expect(full.find((a) => a.kind === 'error')).toMatchObject({ userId: 'u-42', errorMsg: '[error] card 4111 declined' });
    expect(masked.find((a) => a.kind === 'window')).toEqual(full.find((a) => a.kind === 'window'));
  });

  it('answers 403 naming the role and route, without reading, when the table denies it', async () => {
    // prepare
    const { handle, reads } = aHandler(items);

    // act
    const response = await handle(anApiEvent('/v1/paths', { date: '2024-05-27' }, 'GET', 'operator'));

    // assess
    expect(response.statusCode).toBe(403);
    expect(bodyOf(response).reason).toBe('role operator may not read /v1/paths');
    expect(reads.calls).toEqual([]);
  });

  it('answers 403 to a token in no known group, and takes the widest grant of several groups', async () => {
    // prepare
    const { handle } = aHandler(items);

    // act
    const none = await handle(anApiEvent('/v1/metrics', {}, 'GET', null));
    const stranger = await handle(anApiEvent('/v1/metrics', {}, 'GET', 'guests'));
    const both = bodyOf(await handle(anApiEvent('/v1/alerts', range, 'GET', 'analyst,developer'))).alerts as Record<string, unknown>[];

    // assess
    expect(none.statusCode).toBe(403);
    expect(stranger.statusCode).toBe(403);
    expect(both.find((a) => a.kind === 'error')).toHaveProperty('errorMsg');
  });
});
