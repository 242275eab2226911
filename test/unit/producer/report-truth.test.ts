import type { EventInput } from '../../../lambdas/shared/event';
import { REPORT_COLUMNS, REPORT_NAMES, RETENTION_OFFSETS } from '../../../lambdas/shared/reports';
import { parseCommodityCsv } from '../../../scripts/producer/commodities';
import {
  computeReportTruth,
  funnelReach,
  isoWeekMonday,
  ratio4,
  roundedMean,
  type ReportTruthOptions,
} from '../../../scripts/producer/report-truth';

const ZONE = 'Asia/Shanghai';
let nextId = 0;

/** Record factory: a minimal valid event with overrides. */
function ev(overrides: Partial<EventInput>): EventInput {
  nextId += 1;
  return { eventId: `e-${nextId}`, action: 'view', userId: 'u1', createdAt: '2024-05-27T03:00:00.000Z', ...overrides };
}

/** The report truth of events in send order. */
function truthOf(events: readonly EventInput[], options: Partial<ReportTruthOptions> = {}): ReturnType<typeof computeReportTruth> {
  return computeReportTruth(
    events.map((event, seq) => ({ seq, event })),
    { timeZone: ZONE, ...options },
  );
}

/** Local time in Asia/Shanghai (UTC+8, no DST) as an ISO UTC string. */
const local = (day: string, time: string): string => new Date(Date.parse(`${day}T${time}+08:00`)).toISOString();

describe('report truth: shape', () => {
  it('answers every report with its contract columns, rows keyed by exactly those columns', () => {
    const truth = truthOf([
      ev({ action: 'click' }),
      ev({ action: 'order', props: { machineId: 1, commodityId: '1000001', quantity: 1, amount: 2 } }),
    ]);
    expect(Object.keys(truth)).toEqual([...REPORT_NAMES]);
    for (const name of REPORT_NAMES) {
      expect(truth[name]).toMatchObject({ report: name, from: '2024-05-27', to: '2024-05-27', columns: [...REPORT_COLUMNS[name]] });
      for (const row of truth[name].rows) expect(Object.keys(row)).toEqual([...REPORT_COLUMNS[name]]);
    }
  });

  it('has empty answers without events', () => {
    const truth = truthOf([]);
    expect(truth.dau).toEqual({ report: 'dau', from: '', to: '', columns: ['day', 'users'], rows: [] });
  });
});

describe('report truth: dau, wau, mau', () => {
  it('counts distinct users per local day, ISO week (Monday) and month; 23:59:59.9 local stays on its day', () => {
    const events = [
      ev({ userId: 'a', createdAt: local('2024-05-27', '23:59:59.900') }), // Monday, last instant of the day
      ev({ userId: 'b', createdAt: '2024-05-27T16:00:00.000Z' }), // 00:00 local on the 28th
      ev({ userId: 'a', createdAt: '2024-05-28T01:00:00.000+08:00' }),
      ev({ userId: 'a', createdAt: '2024-06-02T12:00:00' }), // no offset: local, Sunday of the same week
      ev({ userId: 'c', createdAt: local('2024-06-03', '00:00:00.000') }), // next Monday, next month
    ];
    const truth = truthOf(events);
    expect(truth.dau.rows).toEqual([
      { day: '2024-05-27', users: 1 },
      { day: '2024-05-28', users: 2 },
      { day: '2024-06-02', users: 1 },
      { day: '2024-06-03', users: 1 },
    ]);
    expect(truth.wau.rows).toEqual([
      { week: '2024-05-27', users: 2 },
      { week: '2024-06-03', users: 1 },
    ]);
    expect(truth.mau.rows).toEqual([
      { month: '2024-05', users: 2 },
      { month: '2024-06', users: 2 },
    ]);
    expect(truth.dau).toMatchObject({ from: '2024-05-27', to: '2024-06-03' });
  });

  it('counts a resent event once per day: the copy received first is kept', () => {
    const first = ev({ userId: 'a', createdAt: local('2024-05-27', '10:00:00.000') });
    const resent = { ...first, userId: 'b', action: 'click' };
    const otherDay = { ...first, userId: 'c', createdAt: local('2024-05-28', '10:00:00.000') };
    const truth = truthOf([first, resent, first, otherDay]);
    expect(truth.dau.rows).toEqual([
      { day: '2024-05-27', users: 1 },
      { day: '2024-05-28', users: 1 },
    ]);
    expect(truth['taobao-daily'].rows).toEqual([
      { day: '2024-05-27', dimension: 'action', value: 'view', events: 1 },
      { day: '2024-05-28', dimension: 'action', value: 'view', events: 1 },
    ]);
  });

  it('takes the week of a year boundary from ISO weeks', () => {
    expect(isoWeekMonday('2025-01-01')).toBe('2024-12-30');
    expect(isoWeekMonday('2024-12-29')).toBe('2024-12-23');
  });
});

describe('report truth: funnel', () => {
  const at = (user: string, action: string, time: string, day = '2024-05-27'): EventInput =>
    ev({ userId: user, action, createdAt: local(day, time) });

  it('counts users reaching each step in order within the day, with conversion from step 1', () => {
    const events = [
      at('in-order', 'click', '10:00:00.000'),
      at('in-order', 'cart', '10:01:00.000'),
      at('in-order', 'buy', '10:02:00.000'),
      at('wrong-order', 'cart', '10:00:00.000'), // cart before click: only step 1
      at('wrong-order', 'click', '10:01:00.000'),
      at('wrong-order', 'buy', '10:02:00.000'),
      at('tie', 'cart', '11:00:00.000'), // same instant as the click: <= allows it
      at('tie', 'click', '11:00:00.000'),
      at('skips', 'click', '12:00:00.000'), // buy without cart: only step 1
      at('skips', 'buy', '12:01:00.000'),
      at('over-midnight', 'click', '23:59:59.900'), // cart on the next day does not count for this one
      at('over-midnight', 'cart', '00:00:00.000', '2024-05-28'),
      at('cart-only', 'cart', '09:00:00.000', '2024-05-29'), // no step 1 on the 29th: no rows
    ];
    const truth = truthOf(events);
    expect(truth.funnel.rows).toEqual([
      { day: '2024-05-27', funnel: 'purchase', step: 1, action: 'click', users: 5, conversion: 1 },
      { day: '2024-05-27', funnel: 'purchase', step: 2, action: 'cart', users: 2, conversion: 0.4 },
      { day: '2024-05-27', funnel: 'purchase', step: 3, action: 'buy', users: 1, conversion: 0.2 },
    ]);
  });

  it('rounds conversion to 4 decimals and covers every configured funnel', () => {
    const events = ['a', 'b', 'c'].flatMap((user, i) => [
      at(user, 'click', '10:00:00.000'),
      ...(i < 2 ? [at(user, 'cart', '10:00:01.000')] : []),
      ...(i < 1 ? [at(user, 'search', '10:00:02.000')] : []),
    ]);
    const truth = truthOf(events, { funnels: { purchase: ['click', 'cart'], browse: ['click', 'search'] } });
    expect(truth.funnel.rows).toEqual([
      { day: '2024-05-27', funnel: 'browse', step: 1, action: 'click', users: 3, conversion: 1 },
      { day: '2024-05-27', funnel: 'browse', step: 2, action: 'search', users: 1, conversion: 0.3333 },
      { day: '2024-05-27', funnel: 'purchase', step: 1, action: 'click', users: 3, conversion: 1 },
      { day: '2024-05-27', funnel: 'purchase', step: 2, action: 'cart', users: 2, conversion: 0.6667 },
    ]);
  });

  it('lets one event serve one step only, even when a funnel repeats an action', () => {
    expect(funnelReach([{ ms: 1, action: 'click' }], ['click', 'click'])).toBe(1);
    expect(
      funnelReach(
        [
          { ms: 1, action: 'click' },
          { ms: 1, action: 'click' },
        ],
        ['click', 'click'],
      ),
    ).toBe(2);
    expect(
      funnelReach(
        [
          { ms: 2, action: 'buy' },
          { ms: 1, action: 'cart' },
          { ms: 1, action: 'click' },
        ],
        ['click', 'cart', 'buy'],
      ),
    ).toBe(3);
    expect(
      funnelReach(
        [
          { ms: 1, action: 'cart' },
          { ms: 2, action: 'click' },
        ],
        ['click', 'cart'],
      ),
    ).toBe(1);
  });
});

describe('report truth: retention', () => {
  it('gives each cohort (first day seen) one row per offset, 0 when nobody came back', () => {
    const events = [
      ev({ userId: 'a', createdAt: local('2024-05-01', '10:00:00.000') }),
      ev({ userId: 'a', createdAt: local('2024-05-02', '23:59:59.900') }), // offset 1
      ev({ userId: 'a', createdAt: local('2024-05-08', '00:00:00.000') }), // offset 7
      ev({ userId: 'a', createdAt: local('2024-05-31', '12:00:00.000') }), // offset 30
      ev({ userId: 'b', createdAt: local('2024-05-01', '11:00:00.000') }),
      ev({ userId: 'b', createdAt: local('2024-05-15', '11:00:00.000') }), // offset 14
      ev({ userId: 'c', createdAt: local('2024-05-02', '08:00:00.000') }), // cohort of the 2nd
      ev({ userId: 'c', createdAt: local('2024-05-03', '08:00:00.000') }), // its offset 1 (the 3rd is not offset 2 of the 1st's cohort)
    ];
    const rows = truthOf(events).retention.rows;
    const expected = (cohort: string, size: number, back: Record<number, number>): object[] =>
      RETENTION_OFFSETS.map((offset) => ({ cohort_day: cohort, day_offset: offset, cohort_users: size, users: back[offset] ?? 0 }));
    expect(rows).toEqual([...expected('2024-05-01', 2, { 1: 1, 7: 1, 14: 1, 30: 1 }), ...expected('2024-05-02', 1, { 1: 1 })]);
  });
});

describe('report truth: sales-daily', () => {
  const commodities = parseCommodityCsv(
    'commodityId,commodityName,category,unitPrice\n1000001,Water,drinks,2\n1000002,"Cola, can",drinks,3\n',
  );

  it('sums orders, quantity and amount per day, machine and commodity, with the dimension name', () => {
    const sale = (
      machineId: number,
      commodityId: string,
      quantity: number,
      amount: number,
      time = '10:00:00.000',
      day = '2024-05-27',
    ): EventInput => ev({ action: 'order', createdAt: local(day, time), props: { machineId, commodityId, quantity, amount } });
    const events = [
      sale(1, '1000001', 1, 2),
      sale(1, '1000001', 2, 4, '23:59:59.900'),
      sale(1, '1000002', 1, 3),
      sale(12, '9999999', 1, 1.5), // not in the dimension: no name
      ev({ action: 'order', createdAt: local('2024-05-28', '12:00:00.000'), props: { machineId: 1, commodityId: '1000001' } }), // no quantity or amount: 0
      sale(1, '1000001', 1, 2, '00:00:00.000', '2024-05-28'),
      ev({ action: 'view', props: { machineId: 1, commodityId: '1000001', quantity: 1, amount: 2 } }), // not an order
    ];
    expect(truthOf(events, { commodities })['sales-daily'].rows).toEqual([
      { day: '2024-05-27', machine_id: '1', commodity_id: '1000001', commodity_name: 'Water', orders: 2, quantity: 3, amount: 6 },
      { day: '2024-05-27', machine_id: '1', commodity_id: '1000002', commodity_name: 'Cola, can', orders: 1, quantity: 1, amount: 3 },
      { day: '2024-05-27', machine_id: '12', commodity_id: '9999999', commodity_name: null, orders: 1, quantity: 1, amount: 1.5 },
      { day: '2024-05-28', machine_id: '1', commodity_id: '1000001', commodity_name: 'Water', orders: 2, quantity: 1, amount: 2 },
    ]);
  });
});

describe('report truth: recharge-daily', () => {
  const notify = (provinceCode: string, rst: string, fee: number, start: string, end: string | undefined): EventInput =>
    ev({
      action: 'reChargeNotifyReq',
      createdAt: local('2024-05-27', '12:00:00.000'),
      props: {
        provinceCode,
        bussinessRst: rst,
        chargefee: fee,
        requestId: `${start}123456789012345`,
        ...(end === undefined ? {} : { receiveNotifyTime: end }),
      },
    });

  it('counts notifications and successes, sums fees and durations of successes, rounds the mean half away from zero', () => {
    const events = [
      notify('100', '0000', 50, '20240527120000000', '20240527120001001'), // 1001 ms
      notify('100', '0000', 20, '20240527120000000', '20240527120002000'), // 2000 ms → mean 1500.5 → 1501
      notify('100', '1001', 100, '20240527120000000', '20240527120009000'), // failure: not in amount or durations
      notify('200', '0000', 30, '20240527120000000', undefined), // success without a readable duration
      notify('200', '9999', 10, '20240527120000000', '20240527120000500'),
      ev({ action: 'sendRechargeReq', props: { provinceCode: '100', bussinessRst: '0000', chargefee: 50 } }), // another step: not counted
    ];
    expect(truthOf(events)['recharge-daily'].rows).toEqual([
      {
        day: '2024-05-27',
        province_code: '100',
        notifications: 3,
        successes: 2,
        amount: 70,
        success_rate: 0.6667,
        avg_duration_ms: 1501,
        min_duration_ms: 1001,
        max_duration_ms: 2000,
      },
      {
        day: '2024-05-27',
        province_code: '200',
        notifications: 2,
        successes: 1,
        amount: 30,
        success_rate: 0.5,
        avg_duration_ms: null,
        min_duration_ms: null,
        max_duration_ms: null,
      },
    ]);
  });

  it('rounds like SQL: 4-decimal ratios half up, whole-ms means half away from zero', () => {
    expect(ratio4(1, 32)).toBe(0.0313); // 0.03125
    expect(ratio4(2, 3)).toBe(0.6667);
    expect(ratio4(5, 5)).toBe(1);
    expect(roundedMean(3, 2)).toBe(2);
    expect(roundedMean(-3, 2)).toBe(-2);
    expect(roundedMean(-5, 2)).toBe(-3);
    expect(roundedMean(7, 3)).toBe(2);
  });
});

describe('report truth: taobao-daily', () => {
  it('counts events per day by action, age range, gender and province, values as text; absent fields not counted', () => {
    const events = [
      ev({ action: 'click', props: { ageRange: 3, gender: 0, province: 'Zhejiang' } }),
      ev({ action: 'click', props: { ageRange: 3, gender: 1, province: 'Inner Mongolia' } }),
      ev({ action: 'buy', createdAt: local('2024-05-27', '23:59:59.900'), props: { ageRange: 0, gender: null } }),
      ev({ action: 'order', createdAt: local('2024-05-28', '00:00:00.000') }),
    ];
    expect(truthOf(events)['taobao-daily'].rows).toEqual([
      { day: '2024-05-27', dimension: 'action', value: 'buy', events: 1 },
      { day: '2024-05-27', dimension: 'action', value: 'click', events: 2 },
      { day: '2024-05-27', dimension: 'age_range', value: '0', events: 1 },
      { day: '2024-05-27', dimension: 'age_range', value: '3', events: 2 },
      { day: '2024-05-27', dimension: 'gender', value: '0', events: 1 },
      { day: '2024-05-27', dimension: 'gender', value: '1', events: 1 },
      { day: '2024-05-27', dimension: 'province', value: 'Inner Mongolia', events: 1 },
      { day: '2024-05-27', dimension: 'province', value: 'Zhejiang', events: 1 },
      { day: '2024-05-28', dimension: 'action', value: 'order', events: 1 },
    ]);
  });
});

describe('report truth: sankey-daily', () => {
  it('writes the path CSV rows per day: sessions by sessionId or split at gaps above 30 min, heaviest path first', () => {
    const view = (user: string, path: string, time: string, sessionId?: string, day = '2024-05-27'): EventInput =>
      ev({ userId: user, path, createdAt: local(day, time), ...(sessionId === undefined ? {} : { sessionId }) });
    const events = [
      // two sessions with ids take /home -> /blog; one of them starts at 23:59:59.9 and ends the next day
      view('a', '/home', '10:00:00.000', 's1'),
      view('a', '/blog', '12:00:00.000', 's1'), // hours later: still the same session (it has an id)
      view('b', '/home', '23:59:59.900', 's2'),
      view('b', '/blog', '00:00:01.000', 's2', '2024-05-28'),
      // a user without session ids: exactly 30 min apart stays one session; more splits
      view('c', '/faq', '09:00:00.000'),
      view('c', '/contact', '09:30:00.000'),
      view('c', '/home', '10:00:00.001'), // 30 min + 1 ms after: a new single-page session, no rows
      // a tie in createdAt: the event received first comes first
      view('d', '/about', '15:00:00.000', 's3'),
      view('d', '/services', '15:00:00.000', 's3'),
      ev({ userId: 'd', sessionId: 's3', action: 'click', createdAt: local('2024-05-27', '15:00:01.000') }), // no path: not a step
    ];
    expect(truthOf(events)['sankey-daily'].rows).toEqual([
      { day: '2024-05-27', source: '/home (1)', target: '/blog (2)', weight: 2, full_path: '/home -> /blog' },
      { day: '2024-05-27', source: '/about (1)', target: '/services (2)', weight: 1, full_path: '/about -> /services' },
      { day: '2024-05-27', source: '/faq (1)', target: '/contact (2)', weight: 1, full_path: '/faq -> /contact' },
    ]);
  });
});
