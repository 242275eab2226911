import * as fs from 'fs';
import * as path from 'path';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { curatedDays, runDailyJob, type JobDeps } from '../../../lambdas/reports/job';
import { exportKey, type ReportAnswer, type ReportName } from '../../../lambdas/shared/reports';
import { startLocalLake, TEST_BUCKET, type LocalLake } from '../../support/local-athena';

/**
 * The report SQL run by DuckDB through the local Athena, on a small hand-made lake whose every
 * expected figure is worked out by hand below (Asia/Shanghai, UTC+8).
 */

const TZ = 'Asia/Shanghai';
let seq = 0;
/** An event as it lands in the lake; `at`/`received` are UTC instants. */
function ev(user: string, action: string, at: string, extra: Record<string, unknown> = {}, received?: string): Record<string, unknown> {
  seq += 1;
  return { eventId: `e${seq}`, action, userId: user, createdAt: at, receivedAt: received ?? at.replace(/\.\d{3}Z$/, '.500Z'), ...extra };
}

// Arrival day 2024-05-27 (local), hour 10.
const click1 = ev('u1', 'click', '2024-05-27T02:00:00.000Z', { props: { ageRange: '18-24', gender: 'F', province: 'Zhejiang' } });
const day1 = [
  click1,
  ev('u1', 'cart', '2024-05-27T02:05:00.000Z'),
  ev('u1', 'buy', '2024-05-27T02:10:00.000Z'),
  ev('u2', 'click', '2024-05-27T03:00:00.000Z', { props: { gender: 'M' } }),
  ev('u2', 'buy', '2024-05-27T03:01:00.000Z'),
  ev('u2', 'cart', '2024-05-27T03:02:00.000Z'),
  ev('u3', 'cart', '2024-05-27T04:00:00.000Z'),
  ev('u3', 'click', '2024-05-27T04:05:00.000Z'),
  ev('u5', 'reChargeNotifyReq', '2024-05-27T02:30:01.000Z', {
    props: {
      provinceCode: '100',
      bussinessRst: '0000',
      chargefee: 50,
      requestId: '20240527103000123xyz',
      receiveNotifyTime: '20240527103001000',
    },
  }),
  ev('u5', 'reChargeNotifyReq', '2024-05-27T02:31:00.000Z', {
    props: {
      provinceCode: '100',
      bussinessRst: '0001',
      chargefee: 30,
      requestId: '20240527103059000abc',
      receiveNotifyTime: '20240527103100000',
    },
  }),
  ev('u5', 'reChargeNotifyReq', '2024-05-27T02:32:00.000Z', {
    props: { provinceCode: '100', bussinessRst: '0000', chargefee: '20.5', requestId: 'abc', receiveNotifyTime: '20240527103200000' },
  }),
  ev('u6', 'order', '2024-05-27T05:00:00.000Z', { props: { machineId: 'M1', commodityId: '1000001', quantity: 2, amount: 4 } }),
  ev('u6', 'order', '2024-05-27T05:01:00.000Z', { props: { machineId: 'M1', commodityId: 1000001, quantity: 1, amount: 2 } }),
  ev('u6', 'order', '2024-05-27T05:02:00.000Z', { props: { machineId: 'M1', commodityId: '999', quantity: 1, amount: 9.5 } }),
  ev('w1', 'page_view', '2024-05-27T02:00:00.000Z', { sessionId: 's1', path: '/home' }),
  ev('w1', 'page_view', '2024-05-27T02:01:00.000Z', { sessionId: 's1', path: '/product' }),
  ev('w1', 'page_view', '2024-05-27T02:02:00.000Z', { sessionId: 's1', path: '/cart' }),
  ev('w2', 'page_view', '2024-05-27T02:00:00.000Z', { path: '/home' }),
  ev('w2', 'page_view', '2024-05-27T02:10:00.000Z', { path: '/product' }),
  ev('w2', 'page_view', '2024-05-27T03:00:00.000Z', { path: '/home' }),
  ev('w3', 'page_view', '2024-05-27T06:00:00.000Z', { sessionId: 's2', path: '/home' }),
  ev('w3', 'page_view', '2024-05-27T06:00:30.000Z', { sessionId: 's2', path: '/product' }),
];
// The same click sent twice: the copy received an hour later is dropped.
const resentSameDay = { ...click1, receivedAt: '2024-05-27T03:00:00.000Z', props: { ageRange: 'resent' } };
// Arrival day 2024-05-28, hour 00: an event created at 23:59:59.9 local on the 27th, arriving after midnight;
// u1 back on the 28th; and the cart of u1 sent again a day later.
const lateClick = ev('u4', 'click', '2024-05-27T15:59:59.900Z', {}, '2024-05-27T16:00:00.300Z');
const day2 = [lateClick, ev('u1', 'click', '2024-05-28T02:00:00.000Z'), { ...day1[1], receivedAt: '2024-05-27T16:00:01.000Z' }];

const rows = (answer: ReportAnswer) => answer.rows;

describe('report SQL on DuckDB through the local Athena', () => {
  let lake: LocalLake;
  let deps: JobDeps;
  const logs: string[] = [];
  let ids = 0;

  const read = async (report: ReportName, day: string, format: 'csv' | 'json') => {
    const out = await lake.s3.client.send(new GetObjectCommand({ Bucket: TEST_BUCKET, Key: exportKey(report, day, format) }));
    return out.Body ? out.Body.transformToString() : '';
  };
  const json = async (report: ReportName, day: string) => JSON.parse(await read(report, day, 'json')) as ReportAnswer;
  const snapshot = async () => {
    const keys = await lake.store.list('exports/');
    const out: Record<string, string> = {};
    for (const key of keys) {
      const o = await lake.s3.client.send(new GetObjectCommand({ Bucket: TEST_BUCKET, Key: key }));
      out[key] = o.Body ? await o.Body.transformToString() : '';
    }
    return out;
  };

  beforeAll(async () => {
    lake = await startLocalLake({ timeZone: TZ, funnels: { purchase: ['click', 'cart', 'buy'] } });
    deps = {
      runner: lake.runner,
      store: lake.store,
      config: { bucket: TEST_BUCKET },
      log: { info: (message) => logs.push(message) },
      newId: () => `run${++ids}`,
    };
    await lake.s3.client.send(
      new PutObjectCommand({
        Bucket: TEST_BUCKET,
        Key: 'dim/commodity/commodity.csv',
        Body: fs.readFileSync(path.join(__dirname, '../../../dim/commodity.csv')),
      }),
    );
    await lake.putRaw('raw/dt=2024-05-27/hour=10/a.json.gz', day1);
    await lake.putRaw('raw/dt=2024-05-27/hour=11/b.json.gz', [resentSameDay]);
    await lake.putRaw('raw/dt=2024-05-28/hour=00/c.json.gz', day2);
  });
  afterAll(async () => {
    await lake?.stop();
  });

  it('compacts each arrival day into the event days of its events, dropping resent events', async () => {
    const first = await runDailyJob(deps, ['2024-05-27']);
    expect(first.eventDays).toEqual(['2024-05-27']);
    const second = await runDailyJob(deps, ['2024-05-28']);
    // The 23:59:59.9 click and the resent cart belong to the 27th although they arrived on the 28th.
    expect(second.eventDays).toEqual(['2024-05-27', '2024-05-28']);
    expect(await curatedDays(deps)).toEqual(['2024-05-27', '2024-05-28']);
    // 22 events of the 27th plus the late click, each once; one event on the 28th.
    const count = await lake.engine.execute(
      'SELECT event_day, count(*) AS n, count(DISTINCT event_id) AS ids FROM events GROUP BY event_day ORDER BY event_day',
      'uba_test_lake',
    );
    expect(count.rows).toEqual([
      ['2024-05-27', '23', '23'],
      ['2024-05-28', '1', '1'],
    ]);
  });

  it('dau, wau and mau count distinct users', async () => {
    // u1 u2 u3 u4 (the late click) u5 u6 w1 w2 w3 = 9 on the 27th... plus none twice.
    expect(rows(await json('dau', '2024-05-27'))).toEqual([{ day: '2024-05-27', users: 9 }]);
    expect(rows(await json('dau', '2024-05-28'))).toEqual([{ day: '2024-05-28', users: 1 }]);
    expect(await json('wau', '2024-05-27')).toMatchObject({
      from: '2024-05-27',
      to: '2024-06-02',
      rows: [{ week: '2024-05-27', users: 9 }],
    });
    expect(await json('mau', '2024-05-01')).toMatchObject({ from: '2024-05-01', to: '2024-05-31', rows: [{ month: '2024-05', users: 9 }] });
  });

  it('funnel: steps in order by createdAt within the day', async () => {
    // click: u1 u2 u3 u4; then cart: u1 (02:05 after 02:00), u2 (03:02 after 03:00), not u3 (cart before click);
    // then buy: u1 only (u2 bought before the cart).
    expect(rows(await json('funnel', '2024-05-27'))).toEqual([
      { day: '2024-05-27', funnel: 'purchase', step: 1, action: 'click', users: 4, conversion: 1 },
      { day: '2024-05-27', funnel: 'purchase', step: 2, action: 'cart', users: 2, conversion: 0.5 },
      { day: '2024-05-27', funnel: 'purchase', step: 3, action: 'buy', users: 1, conversion: 0.25 },
    ]);
    expect(rows(await json('funnel', '2024-05-28'))).toEqual([
      { day: '2024-05-28', funnel: 'purchase', step: 1, action: 'click', users: 1, conversion: 1 },
      { day: '2024-05-28', funnel: 'purchase', step: 2, action: 'cart', users: 0, conversion: 0 },
      { day: '2024-05-28', funnel: 'purchase', step: 3, action: 'buy', users: 0, conversion: 0 },
    ]);
  });

  it('retention: the cohort of the first day seen, active again on the offsets', async () => {
    const cohort = rows(await json('retention', '2024-05-27'));
    expect(cohort.map((r) => r.day_offset)).toEqual([1, 2, 3, 4, 5, 6, 7, 14, 30]);
    expect(cohort[0]).toEqual({ cohort_day: '2024-05-27', day_offset: 1, cohort_users: 9, users: 1 });
    expect(cohort.slice(1).every((r) => r.users === 0 && r.cohort_users === 9)).toBe(true);
    // u1, the only user of the 28th, was first seen on the 27th: no cohort on the 28th.
    expect(rows(await json('retention', '2024-05-28'))).toEqual([]);
  });

  it('sales-daily names commodities from the dimension, null when unknown', async () => {
    expect(rows(await json('sales-daily', '2024-05-27'))).toEqual([
      {
        day: '2024-05-27',
        machine_id: 'M1',
        commodity_id: '1000001',
        commodity_name: 'Mineral water 550ml',
        orders: 2,
        quantity: 3,
        amount: 6,
      },
      { day: '2024-05-27', machine_id: 'M1', commodity_id: '999', commodity_name: null, orders: 1, quantity: 1, amount: 9.5 },
    ]);
  });

  it('recharge-daily: successes, amount of successes, durations of readable successes', async () => {
    // 3 notifications, 2 successes (50 + "20.5"), one duration: 10:30:01.000 - 10:30:00.123 = 877 ms.
    expect(rows(await json('recharge-daily', '2024-05-27'))).toEqual([
      {
        day: '2024-05-27',
        province_code: '100',
        notifications: 3,
        successes: 2,
        amount: 70.5,
        success_rate: 0.6667,
        avg_duration_ms: 877,
        min_duration_ms: 877,
        max_duration_ms: 877,
      },
    ]);
  });

  it('taobao-daily counts per dimension value, skipping events without the field', async () => {
    const r = rows(await json('taobao-daily', '2024-05-27'));
    expect(r.filter((x) => x.dimension === 'action')).toEqual([
      { day: '2024-05-27', dimension: 'action', value: 'buy', events: 2 },
      { day: '2024-05-27', dimension: 'action', value: 'cart', events: 3 },
      { day: '2024-05-27', dimension: 'action', value: 'click', events: 4 },
      { day: '2024-05-27', dimension: 'action', value: 'order', events: 3 },
      { day: '2024-05-27', dimension: 'action', value: 'page_view', events: 8 },
      { day: '2024-05-27', dimension: 'action', value: 'reChargeNotifyReq', events: 3 },
    ]);
    // The resent click's props ("resent") are not counted: the first copy is kept.
    expect(r.filter((x) => x.dimension !== 'action')).toEqual([
      { day: '2024-05-27', dimension: 'age_range', value: '18-24', events: 1 },
      { day: '2024-05-27', dimension: 'gender', value: 'F', events: 1 },
      { day: '2024-05-27', dimension: 'gender', value: 'M', events: 1 },
      { day: '2024-05-27', dimension: 'province', value: 'Zhejiang', events: 1 },
    ]);
  });

  it('sankey-daily writes the path-analysis rows, heaviest path first', async () => {
    // w1: /home -> /product -> /cart; w2: /home -> /product, then /home alone after a 50-minute gap; w3: /home -> /product.
    expect(await read('sankey-daily', '2024-05-27', 'csv')).toBe(
      'day,source,target,weight,full_path\r\n' +
        '2024-05-27,/home (1),/product (2),2,/home -> /product\r\n' +
        '2024-05-27,/home (1),/product (2),1,/home -> /product -> /cart\r\n' +
        '2024-05-27,/product (2),/cart (3),1,/home -> /product -> /cart\r\n',
    );
  });

  it('running arrival days again writes identical files', async () => {
    const before = await snapshot();
    expect(Object.keys(before).length).toBeGreaterThan(20);
    await runDailyJob(deps, ['2024-05-27']);
    expect(await snapshot()).toEqual(before);
    await runDailyJob(deps, ['2024-05-27', '2024-05-28']);
    expect(await snapshot()).toEqual(before);
    expect(rows(await json('dau', '2024-05-27'))).toEqual([{ day: '2024-05-27', users: 9 }]);
  });
});
