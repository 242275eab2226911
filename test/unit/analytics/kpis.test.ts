import { defaultAnalyticsConfig, type MetricsConfig } from '../../../lambdas/analytics/config';
import {
  aggregateMetrics,
  applyDelta,
  average,
  cleanSum,
  encodeDims,
  metricKeyId,
  minuteBucket,
  parseDims,
  parseMetricKeyId,
  ratio,
  seqFilter,
  type MetricCounter,
  type MetricDelta,
} from '../../../lambdas/analytics/kpis';
import { compareSeq } from '../../../lambdas/analytics/records';
import type { StreamEvent } from '../../../lambdas/shared/event';
import { aRechargeNotify, aSeq, aStreamEvent, plusMs, sequenced } from './factories';

const SHANGHAI = defaultAnalyticsConfig('Asia/Shanghai').metrics;
/** Only the built-in counters with the action dimension: keeps expectations short. */
const ACTIONS_ONLY: MetricsConfig = { ...SHANGHAI, dimensions: ['action'], measures: [] };

/** The deltas of a batch as `id → counter` (for compact expectations). */
function countersOf(deltas: Map<string, MetricDelta>): Record<string, MetricCounter> {
  return Object.fromEntries([...deltas].map(([id, { metric: _m, bucket: _b, dims: _d, ...counter }]) => [id, counter]));
}

describe('aggregateMetrics with measures pinned to actions', () => {
  it('counts every measure an event matches, pinned or not, and keeps the keys in config order', () => {
    // prepare
    const config: MetricsConfig = {
      ...SHANGHAI,
      dimensions: [],
      measures: [
        { name: 'orders', filter: { field: 'action', equals: 'order' }, value: { field: 'props.amount' }, agg: ['count', 'sum'] },
        { name: 'vip', filter: { field: 'props.vip', equals: true }, agg: ['count'] },
        {
          name: 'views',
          filter: {
            all: [
              { field: 'props.vip', equals: true },
              { field: 'action', equals: 'page_view' },
            ],
          },
          agg: ['count'],
        },
        { name: 'all', agg: ['count'] },
      ],
    };
    const events = [
      aStreamEvent({ action: 'page_view', props: { vip: true } }),
      aStreamEvent({ action: 'order', props: { amount: 5, vip: true } }),
      aStreamEvent({ action: 'click' }),
      aStreamEvent({ action: 'order', props: { amount: 2 } }),
    ];

    // act
    const { deltas } = aggregateMetrics(sequenced(events), config, undefined);

    // assess
    expect(countersOf(deltas)).toEqual({
      'events|2024-05-27T11:40|': { count: 4, late: 0 },
      'vip|2024-05-27T11:40|': { count: 2, late: 0 },
      'views|2024-05-27T11:40|': { count: 1, late: 0 },
      'all|2024-05-27T11:40|': { count: 4, late: 0 },
      'orders|2024-05-27T11:40|': { count: 2, late: 0, sum: 7 },
    });
    expect([...deltas.keys()]).toEqual([
      'events|2024-05-27T11:40|',
      'vip|2024-05-27T11:40|',
      'views|2024-05-27T11:40|',
      'all|2024-05-27T11:40|',
      'orders|2024-05-27T11:40|',
    ]);
  });
});

describe('minuteBucket', () => {
  it.each([
    ['2024-05-27T15:59:59.999Z', '2024-05-27T23:59'],
    ['2024-05-27T16:00:00.000Z', '2024-05-28T00:00'],
    ['2024-12-31T16:00:30.000Z', '2025-01-01T00:00'],
  ])('puts %s in the Asia/Shanghai minute %s (across midnight)', (iso, bucket) => {
    expect(minuteBucket(iso, 'Asia/Shanghai')).toBe(bucket);
  });

  it('follows half-hour offsets and DST (the label is wall-clock time)', () => {
    expect(minuteBucket('2024-05-27T18:45:00.000Z', 'Asia/Kolkata')).toBe('2024-05-28T00:15');
    expect(minuteBucket('2024-07-01T04:00:00.000Z', 'America/New_York')).toBe('2024-07-01T00:00');
    expect(minuteBucket('2024-01-01T05:00:00.000Z', 'America/New_York')).toBe('2024-01-01T00:00');
  });

  it('refuses a time that is not ISO UTC, and an unknown zone', () => {
    expect(() => minuteBucket('2024-05-27T11:40:00+08:00', 'UTC')).toThrow(RangeError);
    expect(() => minuteBucket('2024-05-27T11:40:00.000Z', 'Nowhere/Land')).toThrow(RangeError);
  });
});

describe('aggregateMetrics: event counters', () => {
  it('gives one delta per distinct key, not per event: totals and each dimension per minute bucket', () => {
    // prepare: 6 events in two Shanghai minutes across midnight
    const events = [
      aStreamEvent({
        eventId: 'a',
        action: 'page_view',
        createdAt: '2024-05-27T15:59:10.000Z',
        props: { province: 'Zhejiang', gender: 1 },
      }),
      aStreamEvent({ eventId: 'b', action: 'page_view', createdAt: '2024-05-27T15:59:20.000Z', props: { province: 'Zhejiang' } }),
      aStreamEvent({ eventId: 'c', action: 'click', createdAt: '2024-05-27T15:59:30.000Z', props: { province: '广东' } }),
      aStreamEvent({ eventId: 'd', action: 'page_view', createdAt: '2024-05-27T16:00:05.000Z' }),
      aStreamEvent({ eventId: 'e', action: 'page_view', createdAt: '2024-05-27T16:00:06.000Z' }),
      aStreamEvent({ eventId: 'f', action: 'page_view', createdAt: '2024-05-27T16:00:07.000Z', props: { gender: 1 } }),
    ];

    // act
    const { deltas } = aggregateMetrics(sequenced(events), SHANGHAI, undefined);

    // assess
    expect(countersOf(deltas)).toEqual({
      'events|2024-05-27T23:59|': { count: 3, late: 0 },
      'events|2024-05-27T23:59|action=page_view': { count: 2, late: 0 },
      'events|2024-05-27T23:59|action=click': { count: 1, late: 0 },
      'events|2024-05-27T23:59|props.province=Zhejiang': { count: 2, late: 0 },
      'events|2024-05-27T23:59|props.province=广东': { count: 1, late: 0 },
      'events|2024-05-27T23:59|props.gender=1': { count: 1, late: 0 },
      'events|2024-05-28T00:00|': { count: 3, late: 0 },
      'events|2024-05-28T00:00|action=page_view': { count: 3, late: 0 },
      'events|2024-05-28T00:00|props.gender=1': { count: 1, late: 0 },
    });
    expect(deltas.get('events|2024-05-28T00:00|props.gender=1')).toMatchObject({
      metric: 'events',
      bucket: '2024-05-28T00:00',
      dims: 'props.gender=1',
    });
  });

  it('escapes & = % in dimension values so keys split back exactly', () => {
    // prepare
    const event = aStreamEvent({ action: 'a&b=c%d' });

    // act
    const [id] = [...aggregateMetrics(sequenced([event]), ACTIONS_ONLY, undefined).deltas.keys()].filter((k) => k.endsWith('%25d'));

    // assess
    expect(id).toBe('events|2024-05-27T11:40|action=a%26b%3Dc%25d');
    expect(parseDims(parseMetricKeyId(id ?? '').dims)).toEqual([['action', 'a&b=c%d']]);
  });
});

describe('aggregateMetrics: lateness (Taobao scenario: flagged and counted, not dropped)', () => {
  const T0 = '2024-05-27T03:40:00.000Z';

  it('counts a late event in its own bucket and as late there; newest time comes from earlier batches', () => {
    // prepare: newest seen so far 03:40:00; one event 6 min behind, one 4 min behind
    const events = [
      aStreamEvent({ eventId: 'late', createdAt: plusMs(T0, -6 * 60_000) }),
      aStreamEvent({ eventId: 'ok', createdAt: plusMs(T0, -4 * 60_000) }),
    ];

    // act
    const batch = aggregateMetrics(sequenced(events), ACTIONS_ONLY, Date.parse(T0));

    // assess
    expect(batch.lateEvents).toBe(1);
    expect(countersOf(batch.deltas)).toEqual({
      'events|2024-05-27T11:34|': { count: 1, late: 1 },
      'events|2024-05-27T11:34|action=page_view': { count: 1, late: 1 },
      'events|2024-05-27T11:36|': { count: 1, late: 0 },
      'events|2024-05-27T11:36|action=page_view': { count: 1, late: 0 },
    });
    expect(batch.newestEventTimeMs).toBe(Date.parse(T0));
  });

  it('judges in arrival order within the batch: an event is late only against those that arrived before it', () => {
    // prepare: the old event arrives first (not late), then a new one, then an old one again (late)
    const events = [
      aStreamEvent({ eventId: 'old-first', createdAt: T0 }),
      aStreamEvent({ eventId: 'new', createdAt: plusMs(T0, 10 * 60_000) }),
      aStreamEvent({ eventId: 'old-again', createdAt: plusMs(T0, 30_000) }),
    ];

    // act
    const batch = aggregateMetrics(sequenced(events), ACTIONS_ONLY, undefined);

    // assess
    expect(batch.lateEvents).toBe(1);
    expect(batch.deltas.get('events|2024-05-27T11:40|')).toMatchObject({ count: 2, late: 1 });
    expect(batch.newestEventTimeMs).toBe(Date.parse(plusMs(T0, 10 * 60_000)));
  });

  it('does not count exactly latenessSeconds behind as late', () => {
    const batch = aggregateMetrics(sequenced([aStreamEvent({ createdAt: plusMs(T0, -300_000) })]), ACTIONS_ONLY, Date.parse(T0));
    expect(batch.lateEvents).toBe(0);
  });

  it('lets an event time from a fast clock advance the newest time only up to its receivedAt', () => {
    // prepare: a producer clock one hour ahead, received now; then a normal event
    const skewed = aStreamEvent({ eventId: 'skewed', createdAt: plusMs(T0, 3_600_000), receivedAt: T0 });
    const normal = aStreamEvent({ eventId: 'normal', createdAt: plusMs(T0, 1000) });

    // act
    const batch = aggregateMetrics(sequenced([skewed, normal]), ACTIONS_ONLY, undefined);

    // assess
    expect(batch.lateEvents).toBe(0);
    expect(batch.newestEventTimeMs).toBe(Date.parse(plusMs(T0, 1000)));
  });

  it('gives the same deltas whether a batch comes whole or split (newest time carried between batches)', () => {
    // prepare
    const events = Array.from({ length: 40 }, (_, i) =>
      aStreamEvent({ eventId: `e${i}`, action: i % 3 === 0 ? 'click' : 'page_view', createdAt: plusMs(T0, ((i * 7919) % 40) * 20_000) }),
    );
    const records = sequenced(events);

    // act
    const whole = aggregateMetrics(records, ACTIONS_ONLY, undefined);
    const first = aggregateMetrics(records.slice(0, 17), ACTIONS_ONLY, undefined);
    const second = aggregateMetrics(records.slice(17), ACTIONS_ONLY, first.newestEventTimeMs);
    const merged = new Map<string, MetricCounter>();
    for (const [id, delta] of [...first.deltas, ...second.deltas]) merged.set(id, applyDelta(merged.get(id), delta));

    // assess
    expect(whole.lateEvents).toBeGreaterThan(0);
    expect(Object.fromEntries(merged)).toEqual(countersOf(whole.deltas));
  });
});

describe('aggregateMetrics: recharge KPIs (recharge scenario)', () => {
  it('counts notifications, successes, the amount of successes, durations and failures per province', () => {
    // prepare: three notifications in one minute, one failed
    const events = [
      aRechargeNotify({ eventId: 'r1', fee: 50, start: '20240527114036263', notified: '20240527114038100' }),
      aRechargeNotify({ eventId: 'r2', fee: '30', start: '20240527114037000', notified: '20240527114037500' }),
      aRechargeNotify({ eventId: 'r3', fee: 100, success: false, provinceCode: '100' }),
    ];

    // act
    const counters = countersOf(aggregateMetrics(sequenced(events), SHANGHAI, undefined).deltas);

    // assess
    const minute = '2024-05-27T11:40';
    expect(counters[`recharge|${minute}|`]).toEqual({ count: 3, late: 0 });
    expect(counters[`recharge.success|${minute}|`]).toEqual({ count: 2, late: 0 });
    expect(counters[`recharge.amount|${minute}|`]).toEqual({ count: 2, late: 0, sum: 80 });
    expect(counters[`recharge.duration|${minute}|`]).toEqual({ count: 2, late: 0, sum: 2337, min: 500, max: 1837 });
    expect(counters[`recharge.failures|${minute}|props.provinceCode=100`]).toEqual({ count: 1, late: 0 });
    expect(counters[`events|${minute}|props.provinceCode=571`]).toEqual({ count: 2, late: 0 });
  });

  it('derives the success rate and the average duration at read time', () => {
    // prepare
    const events = [
      aRechargeNotify({ eventId: 'r1' }),
      aRechargeNotify({ eventId: 'r2' }),
      aRechargeNotify({ eventId: 'r3' }),
      aRechargeNotify({ eventId: 'r4', success: false }),
    ];
    const deltas = aggregateMetrics(sequenced(events), SHANGHAI, undefined).deltas;

    // act
    const rate = ratio(deltas.get('recharge.success|2024-05-27T11:40|'), deltas.get('recharge|2024-05-27T11:40|'));
    const avg = average(deltas.get('recharge.duration|2024-05-27T11:40|') ?? { count: 0, late: 0 });

    // assess
    expect(rate).toBe(0.75);
    expect(avg).toBe(1837);
  });

  it('leaves a notification without a readable duration out of the duration, not out of the counts', () => {
    const event = aRechargeNotify({ eventId: 'r1', start: 'garbage-request-id' });
    const counters = countersOf(aggregateMetrics(sequenced([event]), SHANGHAI, undefined).deltas);
    expect(counters['recharge.success|2024-05-27T11:40|']).toEqual({ count: 1, late: 0 });
    expect(counters['recharge.duration|2024-05-27T11:40|']).toBeUndefined();
  });

  it('sums vending sales per machine and commodity (vending scenario)', () => {
    // prepare
    const order = (eventId: string, machineId: number, commodityId: string, amount: number): StreamEvent =>
      aStreamEvent({ eventId, action: 'order', props: { machineId, commodityId, amount } });
    const events = [
      order('o1', 12, '1000001', 2),
      order('o2', 12, '1000001', 4),
      order('o3', 12, '1000003', 3.5),
      order('o4', 1, '1000001', 0.1),
      order('o5', 1, '1000001', 0.2),
    ];

    // act
    const counters = countersOf(aggregateMetrics(sequenced(events), SHANGHAI, undefined).deltas);

    // assess
    const at = (dims: string) => counters[`vending.sales|2024-05-27T11:40|${dims}`];
    expect(at('props.machineId=12&props.commodityId=1000001')).toEqual({ count: 2, late: 0, sum: 6 });
    expect(at('props.machineId=12&props.commodityId=1000003')).toEqual({ count: 1, late: 0, sum: 3.5 });
    expect(at('props.machineId=1&props.commodityId=1000001')).toEqual({ count: 2, late: 0, sum: 0.3 });
  });
});

describe('exactly-once support', () => {
  it('keeps only records above a watermark', () => {
    const records = sequenced([aStreamEvent({ eventId: 'a' }), aStreamEvent({ eventId: 'b' }), aStreamEvent({ eventId: 'c' })]);
    expect(seqFilter(records, aSeq(2)).map((r) => r.event.eventId)).toEqual(['c']);
    expect(seqFilter(records, undefined)).toHaveLength(3);
  });

  it('recomputes on retry only what a key has not applied yet, with the lateness of the first attempt', () => {
    // prepare: 4 events of one minute; the total counter already applied records 1..2, the others nothing
    const events = [
      aStreamEvent({ eventId: 'a', createdAt: '2024-05-27T03:49:00.000Z' }),
      aStreamEvent({ eventId: 'b', createdAt: '2024-05-27T03:40:10.000Z' }),
      aStreamEvent({ eventId: 'c', createdAt: '2024-05-27T03:40:20.000Z' }),
      aStreamEvent({ eventId: 'd', createdAt: '2024-05-27T03:40:30.000Z' }),
    ];
    const records = sequenced(events);
    const firstAttempt = aggregateMetrics(records, ACTIONS_ONLY, undefined);
    const stored: Record<string, string> = { 'events|2024-05-27T11:40|': aSeq(2) };

    // act
    const retry = aggregateMetrics(records, ACTIONS_ONLY, undefined, { watermarkOf: (id) => stored[id] });

    // assess
    expect(firstAttempt.deltas.get('events|2024-05-27T11:40|')).toMatchObject({ count: 3, late: 3 });
    expect(retry.deltas.get('events|2024-05-27T11:40|')).toMatchObject({ count: 2, late: 2 });
    expect(retry.deltas.get('events|2024-05-27T11:40|action=page_view')).toMatchObject({ count: 3, late: 3 });
    expect(retry.lastSeq).toBe(aSeq(4));
    expect(compareSeq(retry.lastSeq ?? '', aSeq(3))).toBeGreaterThan(0);
  });

  it('merges deltas into stored counters: counts and sums add, min and max keep the extremes', () => {
    // prepare
    const stored: MetricCounter = { count: 3, late: 1, sum: 0.1, min: 5, max: 10 };

    // act
    const merged = applyDelta(stored, { count: 2, late: 0, sum: 0.2, min: 2, max: 8 });

    // assess
    expect(merged).toEqual({ count: 5, late: 1, sum: 0.3, min: 2, max: 10 });
    expect(applyDelta(undefined, { count: 1, late: 0 })).toEqual({ count: 1, late: 0 });
  });
});

describe('keys', () => {
  it('round-trips key ids and dims', () => {
    // prepare
    const key = {
      metric: 'vending.sales',
      bucket: '2024-05-27T11:40',
      dims: encodeDims([
        ['props.machineId', '12'],
        ['props.note', 'a|b&c'],
      ]),
    };

    // act
    const back = parseMetricKeyId(metricKeyId(key));

    // assess
    expect(back).toEqual(key);
    expect(parseDims(back.dims)).toEqual([
      ['props.machineId', '12'],
      ['props.note', 'a|b&c'],
    ]);
    expect(parseDims('')).toEqual([]);
  });

  it('cleans binary noise from sums and keeps integers exact', () => {
    expect(cleanSum(0.1 + 0.2)).toBe(0.3);
    expect(cleanSum(9_007_199_254_740_991)).toBe(9_007_199_254_740_991);
  });
});
