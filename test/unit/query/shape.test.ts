import {
  alertViews,
  dayEdges,
  edgesCsv,
  edgeViews,
  metricSeries,
  successRateSeries,
  UnreadableItemError,
} from '../../../lambdas/query/shape';
import { KEYS } from '../../../lambdas/shared/results-table';
import { aCounterItem, anEdgePackItem, anErrorAlertItem, aWindowAlertItem } from './factories';

describe('alertViews', () => {
  it('lists both kinds newest first with exactly the documented fields', () => {
    // prepare: stored oldest first, with keys, TTL, notified and extra attributes
    const items = [
      anErrorAlertItem({ eventId: 'e-123', createdAt: '2024-05-27T03:41:10.000Z' }),
      aWindowAlertItem({ createdAt: '2024-05-27T03:42:00.512Z' }),
      anErrorAlertItem({ eventId: 'e-099', createdAt: '2024-05-26T23:00:00.000Z' }),
    ];

    // act
    const alerts = alertViews(items);

    // assess
    expect(alerts).toEqual([
      {
        kind: 'window',
        id: 'warnings-per-action|viewDoc|2024-05-27T03:41:00.000Z',
        ruleId: 'warnings-per-action',
        action: 'viewDoc',
        createdAt: '2024-05-27T03:42:00.512Z',
        windowStart: '2024-05-27T03:41:00.000Z',
        windowEnd: '2024-05-27T03:42:00.000Z',
        count: 12,
        threshold: 10,
      },
      {
        kind: 'error',
        id: 'e-123',
        eventId: 'e-123',
        action: 'pay',
        userId: 'u1',
        createdAt: '2024-05-27T03:41:10.000Z',
        errorMsg: '[error] gateway timeout',
      },
      {
        kind: 'error',
        id: 'e-099',
        eventId: 'e-099',
        action: 'pay',
        userId: 'u1',
        createdAt: '2024-05-26T23:00:00.000Z',
        errorMsg: '[error] gateway timeout',
      },
    ]);
    expect(Object.keys(alerts[0] ?? {})).toEqual([
      'kind',
      'id',
      'ruleId',
      'action',
      'createdAt',
      'windowStart',
      'windowEnd',
      'count',
      'threshold',
    ]);
  });

  it('names the grouping field of a rule that groups by something other than action', () => {
    // prepare
    const item = aWindowAlertItem({ ruleId: 'recharge-failures-per-province', group: '100', groupBy: 'props.provinceCode' });

    // act
    const [alert] = alertViews([item]);

    // assess
    expect(alert).toMatchObject({
      kind: 'window',
      action: '100',
      groupBy: 'props.provinceCode',
      id: 'recharge-failures-per-province|100|2024-05-27T03:41:00.000Z',
    });
  });

  it('throws naming the item when an alert lacks a field', () => {
    // prepare
    const { errorMsg: _dropped, ...item } = anErrorAlertItem({ eventId: 'e-1' });

    // act
    const act = () => alertViews([item]);

    // assess
    expect(act).toThrow(UnreadableItemError);
    expect(act).toThrow('unreadable item ALERT#error#e-1 / A: errorMsg is not a string');
  });
});

describe('metricSeries', () => {
  it('gives one series per dims value, the biggest first, buckets sorted by minute', () => {
    // prepare
    const items = [
      aCounterItem('events', '2024-05-27T11:41', 'action=click', { count: 5 }),
      aCounterItem('events', '2024-05-27T11:40', 'action=page_view', { count: 120, late: 2 }),
      aCounterItem('events', '2024-05-27T11:40', 'action=click', { count: 1 }),
      aCounterItem('events', '2024-05-27T11:39', 'action=page_view', { count: 3 }),
    ];

    // act
    const series = metricSeries(items, ['action']);

    // assess
    expect(series).toEqual([
      {
        dims: 'action=page_view',
        value: 'page_view',
        buckets: [
          { minute: '2024-05-27T11:39', count: 3, late: 0 },
          { minute: '2024-05-27T11:40', count: 120, late: 2 },
        ],
      },
      {
        dims: 'action=click',
        value: 'click',
        buckets: [
          { minute: '2024-05-27T11:40', count: 1, late: 0 },
          { minute: '2024-05-27T11:41', count: 5, late: 0 },
        ],
      },
    ]);
  });

  it('decodes escaped values and keeps the stored dims', () => {
    // prepare
    const items = [aCounterItem('events', '2024-05-27T11:40', 'props.province=a%26b%3Dc', { count: 1 })];

    // act
    const [series] = metricSeries(items, ['props.province']);

    // assess
    expect(series).toMatchObject({ dims: 'props.province=a%26b%3Dc', value: 'a&b=c' });
  });

  it('gives sum, min, max and avg for measures with values', () => {
    // prepare
    const items = [aCounterItem('recharge.duration', '2024-05-27T11:40', '', { count: 4, sum: 1000, min: 100, max: 400 })];

    // act
    const series = metricSeries(items, []);

    // assess
    expect(series).toEqual([
      { dims: '', buckets: [{ minute: '2024-05-27T11:40', count: 4, late: 0, sum: 1000, min: 100, max: 400, avg: 250 }] },
    ]);
  });

  it('always gives the series without dimensions, empty when nothing was counted', () => {
    // act
    const series = metricSeries([], []);

    // assess
    expect(series).toEqual([{ dims: '', buckets: [] }]);
  });

  it('adds up vending sales per machine over commodities, and over everything for the total', () => {
    // prepare
    const items = [
      aCounterItem('vending.sales', '2024-05-27T11:40', 'props.machineId=12&props.commodityId=1000001', { count: 2, sum: 7, late: 1 }),
      aCounterItem('vending.sales', '2024-05-27T11:40', 'props.machineId=12&props.commodityId=1000002', { count: 1, sum: 3.5 }),
      aCounterItem('vending.sales', '2024-05-27T11:40', 'props.machineId=13&props.commodityId=1000001', { count: 1, sum: 0.1 }),
      aCounterItem('vending.sales', '2024-05-27T11:41', 'props.machineId=13&props.commodityId=1000001', { count: 1, sum: 0.2 }),
    ];

    // act
    const perMachine = metricSeries(items, ['props.machineId']);
    const total = metricSeries(items, []);
    const both = metricSeries(items, ['props.machineId', 'props.commodityId']);

    // assess
    expect(perMachine).toEqual([
      { dims: 'props.machineId=12', value: '12', buckets: [{ minute: '2024-05-27T11:40', count: 3, late: 1, sum: 10.5, avg: 3.5 }] },
      {
        dims: 'props.machineId=13',
        value: '13',
        buckets: [
          { minute: '2024-05-27T11:40', count: 1, late: 0, sum: 0.1, avg: 0.1 },
          { minute: '2024-05-27T11:41', count: 1, late: 0, sum: 0.2, avg: 0.2 },
        ],
      },
    ]);
    expect(total).toEqual([
      {
        dims: '',
        buckets: [
          { minute: '2024-05-27T11:40', count: 4, late: 1, sum: 10.6, avg: 2.65 },
          { minute: '2024-05-27T11:41', count: 1, late: 0, sum: 0.2, avg: 0.2 },
        ],
      },
    ]);
    expect(both[0]).toMatchObject({
      dims: 'props.machineId=12&props.commodityId=1000001',
      values: { 'props.machineId': '12', 'props.commodityId': '1000001' },
    });
    expect(both).toHaveLength(3);
  });

  it('keeps the extreme min and max when adding up', () => {
    // prepare: a measure grouped by province, read as the total
    const items = [
      aCounterItem('durations', '2024-05-27T11:40', 'props.province=a', { count: 1, sum: 50, min: 50, max: 50 }),
      aCounterItem('durations', '2024-05-27T11:40', 'props.province=b', { count: 2, sum: 700, min: 300, max: 400 }),
    ];

    // act
    const [series] = metricSeries(items, []);

    // assess
    expect(series?.buckets).toEqual([{ minute: '2024-05-27T11:40', count: 3, late: 0, sum: 750, min: 50, max: 400, avg: 250 }]);
  });

  it('leaves out an item that holds only min/max, no count yet', () => {
    // prepare
    const { count: _none, ...extremesOnly } = aCounterItem('recharge.duration', '2024-05-27T11:40', '', { count: 0, min: 5, max: 9 });

    // act
    const series = metricSeries([extremesOnly], []);

    // assess
    expect(series).toEqual([{ dims: '', buckets: [] }]);
  });

  it('throws naming the item when a counter is not a number', () => {
    // prepare
    const item = { ...aCounterItem('events', '2024-05-27T11:40', '', { count: 1 }), count: 'many' };

    // act
    const act = () => metricSeries([item], []);

    // assess
    expect(act).toThrow(UnreadableItemError);
    expect(act).toThrow(/M#events##2024-05-27 \/ 2024-05-27T11:40#: count is not a number/);
  });
});

describe('successRateSeries', () => {
  it('divides successes by recharges per minute, only for minutes with recharges', () => {
    // prepare
    const recharges = [
      aCounterItem('recharge', '2024-05-27T11:41', '', { count: 4 }),
      aCounterItem('recharge', '2024-05-27T11:40', '', { count: 10 }),
      aCounterItem('recharge', '2024-05-27T11:42', '', { count: 0 }),
    ];
    const successes = [
      aCounterItem('recharge.success', '2024-05-27T11:40', '', { count: 9 }),
      aCounterItem('recharge.success', '2024-05-27T11:43', '', { count: 1 }),
    ];

    // act
    const series = successRateSeries(recharges, successes);

    // assess
    expect(series).toEqual([
      {
        dims: '',
        buckets: [
          { minute: '2024-05-27T11:40', rate: 0.9 },
          { minute: '2024-05-27T11:41', rate: 0 },
        ],
      },
    ]);
  });
});

describe('edges of a day', () => {
  const day = '2024-05-27';
  /** Two shards' packed edge counters (one shard with two steps, one edge left at 0 by a correction) and an edge with an item of its own. */
  const items = () => [
    anEdgePackItem(day, 2, 'shardId-000000000000', [['/blog (1)', '/about (2)', 2]]),
    anEdgePackItem(day, 3, 'shardId-000000000000', [['/about (2)', '/services (3)', 1]]),
    anEdgePackItem(day, 2, 'shardId-000000000001', [
      ['/blog (1)', '/about (2)', 1],
      ['/a (1)', '/b (2)', 0],
    ]),
    { ...KEYS.pathEdge(day, 3, '/about (2)', '/services (3)'), source: '/about (2)', target: '/services (3)', step: 3, count: 5 },
  ];

  it('adds up the edge counters of every shard, packed or in an item of their own', () => {
    expect(dayEdges(items())).toEqual({ '/blog (1)\u0000/about (2)': 3, '/about (2)\u0000/services (3)': 6, '/a (1)\u0000/b (2)': 0 });
  });

  it('reads no other item of the partition as an edge', () => {
    const other = { pk: `PATHS#${day}`, sk: 'shardId-000000000000#0', d: Buffer.from('from an earlier version') };
    expect(dayEdges([...items(), other])).toEqual(dayEdges(items()));
  });

  it('throws naming the item when a count is not a number', () => {
    const bad = { ...KEYS.pathEdgePack(day, 2, 'shardId-000000000009'), 'e|/x (1)\u0000/y (2)': 'three' };
    expect(() => dayEdges([bad])).toThrow(
      'unreadable item PATHS#2024-05-27 / E#0002@shardId-000000000009: e|/x (1)\u0000/y (2) is not a number',
    );
  });

  it('gives edges of at least minWeight, heaviest first then by name, at most limit', () => {
    // prepare
    const edges = dayEdges([
      ...items(),
      anEdgePackItem(day, 2, 'shardId-000000000002', [
        ['/x (1)', '/y (2)', 2],
        ['/c (1)', '/d (2)', 2],
      ]),
    ]);

    // act
    const all = edgeViews(edges, 1, 200);
    const heavy = edgeViews(edges, 4, 200);
    const top2 = edgeViews(edges, 1, 2);

    // assess
    expect(all).toEqual([
      { source: '/about (2)', target: '/services (3)', weight: 6 },
      { source: '/blog (1)', target: '/about (2)', weight: 3 },
      { source: '/c (1)', target: '/d (2)', weight: 2 },
      { source: '/x (1)', target: '/y (2)', weight: 2 },
    ]);
    expect(heavy).toEqual([{ source: '/about (2)', target: '/services (3)', weight: 6 }]);
    expect(top2).toEqual(all.slice(0, 2));
  });

  it('writes the path-analysis CSV of the edges, heaviest first, with no full path', () => {
    expect(edgesCsv(dayEdges(items())).split('\r\n')).toEqual([
      'source,target,weight,full_path',
      '/about (2),/services (3),6,',
      '/blog (1),/about (2),3,',
      '',
    ]);
  });
});
