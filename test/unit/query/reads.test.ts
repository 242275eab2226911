import { resultsTableSpec } from '../../support/results-table';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { BatchWriteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { startDynamoDb, type RunningDynamoDb } from '../../../local/services';
import { createHandler, type QueryHandler } from '../../../lambdas/query/handler';
import { encodeNextToken } from '../../../lambdas/query/params';
import { createDynamoReads } from '../../../lambdas/query/reads';
import { KEYS } from '../../../lambdas/shared/results-table';
import { aCounterItem, aLogger, anEdgePackItem, anApiEvent, anErrorAlertItem, aWindowAlertItem, someDeps } from './factories';

const TABLE = 'uba-test-results';

const resultsTable = resultsTableSpec(TABLE);

/** Alerts on two UTC days, counters on both sides of local midnight, two shards' edge counters. */
const ITEMS = [
  anErrorAlertItem({ eventId: 'e-1', createdAt: '2024-05-26T10:00:00.000Z' }),
  anErrorAlertItem({ eventId: 'e-2', createdAt: '2024-05-26T11:00:00.000Z' }),
  anErrorAlertItem({ eventId: 'e-3', createdAt: '2024-05-27T03:41:10.000Z' }),
  aWindowAlertItem({ createdAt: '2024-05-27T03:42:00.512Z' }),
  aCounterItem('events', '2024-05-26T23:59', 'action=page_view', { count: 120, late: 2 }),
  aCounterItem('events', '2024-05-27T00:00', 'action=page_view', { count: 3 }),
  aCounterItem('events', '2024-05-27T00:01', 'action=page_view', { count: 99 }),
  aCounterItem('vending.sales', '2024-05-27T00:00', 'props.machineId=12&props.commodityId=1000001', { count: 2, sum: 7 }),
  aCounterItem('vending.sales', '2024-05-27T00:00', 'props.machineId=12&props.commodityId=1000002', { count: 1, sum: 3 }),
  anEdgePackItem('2024-05-27', 2, 'shardId-000000000000', [['/blog (1)', '/about (2)', 2]]),
  anEdgePackItem('2024-05-27', 2, 'shardId-000000000001', [['/blog (1)', '/about (2)', 1]]),
];

const bodyOf = (response: APIGatewayProxyResult): Record<string, unknown> => JSON.parse(response.body) as Record<string, unknown>;
const idsOf = (body: Record<string, unknown>): string[] => (body.alerts as { id: string }[]).map((a) => a.id);

describe('reads against DynamoDB Local, through the handler', () => {
  let db: RunningDynamoDb | undefined;
  let doc: DynamoDBDocumentClient;
  let handle: QueryHandler;

  beforeAll(async () => {
    db = await startDynamoDb({ port: 0, tables: [resultsTable] });
    doc = DynamoDBDocumentClient.from(db.client);
    const written = await doc.send(new BatchWriteCommand({ RequestItems: { [TABLE]: ITEMS.map((Item) => ({ PutRequest: { Item } })) } }));
    expect(written.UnprocessedItems ?? {}).toEqual({});
    handle = createHandler(someDeps(createDynamoReads(doc, TABLE), aLogger()));
  }, 60_000);

  afterAll(async () => {
    await db?.stop();
  });

  it('pages through alerts of two days newest first, and filters by kind', async () => {
    // prepare
    const range = { since: '2024-05-26T00:00:00Z', until: '2024-05-27T04:00:00Z' };

    // act
    const first = bodyOf(await handle(anApiEvent('/v1/alerts', { ...range, limit: '3' })));
    const second = bodyOf(await handle(anApiEvent('/v1/alerts', { ...range, limit: '3', nextToken: String(first.nextToken) })));
    const errorsFirst = bodyOf(await handle(anApiEvent('/v1/alerts', { ...range, kind: 'error', limit: '1' })));
    const errorsNext = bodyOf(
      await handle(anApiEvent('/v1/alerts', { ...range, kind: 'error', limit: '1', nextToken: String(errorsFirst.nextToken) })),
    );
    // e-2 and e-1 come in one filtered Query page: the page is cut after e-2 and goes on from its key
    const errorsLast = bodyOf(
      await handle(anApiEvent('/v1/alerts', { ...range, kind: 'error', limit: '1', nextToken: String(errorsNext.nextToken) })),
    );

    // assess
    expect(idsOf(first)).toEqual(['warnings-per-action|viewDoc|2024-05-27T03:41:00.000Z', 'e-3', 'e-2']);
    expect(idsOf(second)).toEqual(['e-1']);
    expect(second.nextToken).toBeUndefined();
    expect(idsOf(errorsFirst)).toEqual(['e-3']);
    expect(idsOf(errorsNext)).toEqual(['e-2']);
    expect(idsOf(errorsLast)).toEqual(['e-1']);
    expect(errorsLast.nextToken).toBeUndefined();
    expect((first.alerts as Record<string, unknown>[])[1]).toEqual({
      kind: 'error',
      id: 'e-3',
      eventId: 'e-3',
      action: 'pay',
      userId: 'u1',
      createdAt: '2024-05-27T03:41:10.000Z',
      errorMsg: '[error] gateway timeout',
    });
  });

  it('answers 400 naming nextToken, never 500, for crafted tokens DynamoDB would refuse as a start key', async () => {
    // prepare: tokens of the right form whose key lies outside the query, is empty or too long
    const range = { since: '2024-05-26T00:00:00Z', until: '2024-05-27T04:00:00Z' };
    const day = '2024-05-26';
    const key = (gsk: string, pk = 'ALERT#error#e-1', sk = 'A') => ({ pk, sk, gpk: KEYS.alertsByDay(day), gsk });
    const crafted = [
      key('2024-05-25T23:00:00.000Z#error#e-1'),
      key('2024-05-28T00:00:00.000Z#error#e-1'),
      key(''),
      key('2024-05-26T10:00:00.000Z#error#e-1', ''),
      key('2024-05-26T10:00:00.000Z#error#e-1', 'ALERT#error#e-1', ''),
      key(`2024-05-26T10:00:00.000Z#${'x'.repeat(1100)}`),
    ].map((k) => encodeNextToken({ day, key: k }));
    const wrongTypes = Buffer.from(JSON.stringify({ d: day, k: { pk: 1, sk: 'A', gpk: KEYS.alertsByDay(day), gsk: 'g' } })).toString(
      'base64url',
    );

    // act
    const answers = await Promise.all(
      [...crafted, wrongTypes].map((nextToken) => handle(anApiEvent('/v1/alerts', { ...range, nextToken }))),
    );

    // assess
    expect(answers.map((a) => a.statusCode)).toEqual(answers.map(() => 400));
    expect(answers.map((a) => bodyOf(a).field)).toEqual(answers.map(() => 'nextToken'));
  });

  it('hands back a nextToken when a page has used its Query budget', async () => {
    // prepare: one Query per page, over a range whose newest days are empty
    const budgeted = createHandler(someDeps(createDynamoReads(doc, TABLE, { maxAlertQueries: 1 }), aLogger()));
    const range = { since: '2024-05-26T00:00:00Z', until: '2024-05-29T00:00:00Z' };

    // act
    const pages: Record<string, unknown>[] = [bodyOf(await budgeted(anApiEvent('/v1/alerts', range)))];
    while (pages.length < 10 && pages[pages.length - 1]?.nextToken !== undefined) {
      pages.push(bodyOf(await budgeted(anApiEvent('/v1/alerts', { ...range, nextToken: String(pages[pages.length - 1]?.nextToken) }))));
    }

    // assess
    expect(pages.map(idsOf)).toEqual([[], [], ['warnings-per-action|viewDoc|2024-05-27T03:41:00.000Z', 'e-3'], ['e-2', 'e-1']]);
  });

  it('reads metric counters across local midnight, and a grouped measure per machine', async () => {
    // act
    const events = bodyOf(
      await handle(anApiEvent('/v1/metrics', { name: 'events', dim: 'action', from: '2024-05-26T23:00', to: '2024-05-27T00:00' })),
    );
    const sales = bodyOf(
      await handle(
        anApiEvent('/v1/metrics', { name: 'vending.sales', dim: 'props.machineId', from: '2024-05-26T23:00', to: '2024-05-27T00:30' }),
      ),
    );

    // assess
    expect(events.series).toEqual([
      {
        dims: 'action=page_view',
        value: 'page_view',
        buckets: [
          { minute: '2024-05-26T23:59', count: 120, late: 2 },
          { minute: '2024-05-27T00:00', count: 3, late: 0 },
        ],
      },
    ]);
    expect(sales.series).toEqual([
      { dims: 'props.machineId=12', value: '12', buckets: [{ minute: '2024-05-27T00:00', count: 3, late: 0, sum: 10, avg: 10 / 3 }] },
    ]);
  });

  it('refuses a metric range with more counters than one answer may read: 400 naming from, not a Lambda out of memory', async () => {
    // prepare: the same reads with room for one counter (the range below holds two)
    const small = createHandler(someDeps(createDynamoReads(doc, TABLE, { maxCounters: 1 }), aLogger()));
    const range = { name: 'events', dim: 'action', from: '2024-05-26T23:00', to: '2024-05-27T00:00' };

    // act
    const refused = await small(anApiEvent('/v1/metrics', range));
    const served = await handle(anApiEvent('/v1/metrics', range));

    // assess
    expect(refused.statusCode).toBe(400);
    expect(bodyOf(refused)).toMatchObject({ field: 'from' });
    expect(served.statusCode).toBe(200);
  });

  it('adds up the edge counters of two shards for JSON and CSV', async () => {
    // act
    const json = bodyOf(await handle(anApiEvent('/v1/paths', { date: '2024-05-27' })));
    const csv = await handle(anApiEvent('/v1/paths.csv', { date: '2024-05-27' }));

    // assess
    expect(json).toMatchObject({ edges: [{ source: '/blog (1)', target: '/about (2)', weight: 3 }] });
    expect(csv.body).toBe('source,target,weight,full_path\r\n/blog (1),/about (2),3,\r\n');
  });
});
