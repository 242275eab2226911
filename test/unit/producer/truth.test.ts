import { edgeOccurrences } from '../../../lambdas/analytics/edges';
import { emptySessionState, sessionize } from '../../../lambdas/analytics/paths';
import type { EventInput } from '../../../lambdas/shared/event';
import { computeTruth, TruthBuilder, type AcceptedEvent } from '../../../scripts/producer/truth';

let nextId = 0;
/** Record factory: a minimal valid event with overrides. */
function ev(overrides: Partial<EventInput>): EventInput {
  nextId += 1;
  return { eventId: `e-${nextId}`, action: 'page_view', userId: 'u-1', createdAt: '2024-05-27T03:40:00.000Z', ...overrides };
}
const at = (seq: number, event: EventInput): AcceptedEvent => ({ seq, event });

describe('truth: paths', () => {
  it('orders each session by createdAt, breaks ties by send order, and counts step-indexed edges', () => {
    // prepare: s1 has a tie at :05 — /about was sent before /blog, so it comes first
    const events = [
      at(2, ev({ sessionId: 's1', path: '/blog', createdAt: '2024-05-27T03:40:05.000Z' })),
      at(0, ev({ sessionId: 's1', path: '/home', createdAt: '2024-05-27T03:40:00.000Z' })),
      at(1, ev({ sessionId: 's1', path: '/about', createdAt: '2024-05-27T03:40:05.000Z' })),
      // s2: the same walk, one event given with an offset (same instant as 03:41:00Z)
      at(3, ev({ sessionId: 's2', path: '/home', createdAt: '2024-05-27T11:40:30.000+08:00' })),
      at(4, ev({ sessionId: 's2', path: '/about', createdAt: '2024-05-27T03:41:00.000Z' })),
      at(5, ev({ sessionId: 's2', path: '/blog', createdAt: '2024-05-27T11:41:30.000' })), // no offset: Asia/Shanghai
      // s3: one page, no edges; and a click without path that must not count
      at(6, ev({ sessionId: 's3', path: '/contact' })),
      at(7, ev({ sessionId: 's3', action: 'click' })),
      // no sessionId: grouped by user
      at(8, ev({ userId: 'u-9', path: '/faq', createdAt: '2024-05-27T03:42:00.000Z' })),
      at(9, ev({ userId: 'u-9', path: '/faq', createdAt: '2024-05-27T03:42:01.000Z' })),
    ];

    // act
    const truth = computeTruth(events, { timeZone: 'Asia/Shanghai' });

    // assess
    expect(truth.paths).toEqual({
      sessions: 4,
      edges: {
        '/about (2) -> /blog (3)': 2,
        '/faq (1) -> /faq (2)': 1,
        '/home (1) -> /about (2)': 2,
      },
      fullPaths: {
        '/contact': 1,
        '/faq -> /faq': 1,
        '/home -> /about -> /blog': 2,
      },
      rows: [
        { source: '/faq (1)', target: '/faq (2)', weight: 1, fullPath: '/faq -> /faq' },
        { source: '/home (1)', target: '/about (2)', weight: 2, fullPath: '/home -> /about -> /blog' },
        { source: '/about (2)', target: '/blog (3)', weight: 2, fullPath: '/home -> /about -> /blog' },
      ],
    });
  });

  it("counts a step-carrying page view's own edge when the page view before it was never accepted, as the real-time Sankey does", () => {
    // prepare: the producer gave up on step 1 of session a (/blog) and on the middle page of the
    // step-less session b (/about); every other page view was accepted.
    const stepped = [
      at(1, ev({ sessionId: 'a', path: '/blog', step: 2, prevPath: '/blog', createdAt: '2024-05-27T03:40:01.000Z' })),
      at(2, ev({ sessionId: 'a', path: '/home', step: 3, prevPath: '/blog', createdAt: '2024-05-27T03:40:02.000Z' })),
      at(3, ev({ sessionId: 'c', path: '/home', step: 1, createdAt: '2024-05-27T03:40:03.000Z' })),
      at(4, ev({ sessionId: 'c', path: '/faq', step: 2, prevPath: '/home', createdAt: '2024-05-27T03:40:04.000Z' })),
    ];
    const stepless = [
      at(5, ev({ sessionId: 'b', path: '/home', createdAt: '2024-05-27T03:40:00.000Z' })),
      at(7, ev({ sessionId: 'b', path: '/faq', createdAt: '2024-05-27T03:40:02.000Z' })),
    ];

    // act
    const truth = computeTruth([...stepped, ...stepless], { timeZone: 'Asia/Shanghai' });

    // assess: the edges the consumers count from the same events (own edges; sessions of the step-less ones)
    const seqOf = (a: AcceptedEvent): string => String(a.seq).padStart(4, '0');
    const records = (list: readonly AcceptedEvent[]) =>
      list.map((a) => ({ event: { ...a.event, receivedAt: a.event.createdAt }, seq: seqOf(a) }));
    const paths = { timeZone: 'Asia/Shanghai', sessionGapSeconds: 1800, maxSessionEvents: 200, maxClosedSessions: 20 };
    const consumed: Record<string, number> = {};
    for (const o of edgeOccurrences(records(stepped), paths))
      consumed[`${o.key.source} -> ${o.key.target}`] = (consumed[`${o.key.source} -> ${o.key.target}`] ?? 0) + (o.delta ?? 1);
    for (const c of sessionize(() => emptySessionState(), records(stepless), paths).changes)
      consumed[`${c.source} -> ${c.target}`] = (consumed[`${c.source} -> ${c.target}`] ?? 0) + c.delta;
    expect(consumed).toEqual({ '/blog (1) -> /blog (2)': 1, '/blog (2) -> /home (3)': 1, '/home (1) -> /faq (2)': 2 });
    expect(truth.paths?.edges).toEqual(consumed);
    // Sessions and full paths stay those of the accepted page views.
    expect(truth.paths?.fullPaths).toEqual({ '/blog -> /home': 1, '/home -> /faq': 2 });
  });

  it('does not depend on the order events are added in', () => {
    const events = [
      at(0, ev({ sessionId: 'a', path: '/home' })),
      at(1, ev({ sessionId: 'a', path: '/blog' })),
      at(2, ev({ sessionId: 'a', path: '/faq' })),
    ];
    expect(computeTruth([...events].reverse())).toEqual(computeTruth(events));
  });
});

describe('truth: counts', () => {
  it('counts per action, per dimension and per UTC minute (offset-less times in the given zone)', () => {
    const events = [
      at(0, ev({ action: 'click', createdAt: '2024-05-27T03:40:59.999Z', props: { province: 'Zhejiang', ageRange: 3 } })),
      at(1, ev({ action: 'buy', createdAt: '2024-05-27T11:41:00.000', props: { province: 'Zhejiang', ageRange: 0 } })),
      at(2, ev({ action: 'click', createdAt: '2024-05-27T03:41:10.000Z', bizId: '100', props: { province: 'Hubei', ageRange: null } })),
    ];
    const truth = computeTruth(events, { timeZone: 'Asia/Shanghai', dimensions: ['province', 'ageRange', 'bizId', 'gender'] });
    expect(truth.total).toBe(3);
    expect(truth.byAction).toEqual({ buy: 1, click: 2 });
    expect(truth.byDimension).toEqual({
      province: { Hubei: 1, Zhejiang: 2 },
      ageRange: { '0': 1, '3': 1 },
      bizId: { '100': 1 },
      gender: {},
    });
    expect(truth.perMinute).toEqual({
      '2024-05-27T03:40Z': { total: 1, byAction: { click: 1 } },
      '2024-05-27T03:41Z': { total: 2, byAction: { buy: 1, click: 1 } },
    });
    expect(truth.recharge).toBeNull();
    expect(truth.sales).toBeNull();
    expect(truth.paths).toBeNull();
  });

  it('puts unreadable times under "unparseable" instead of dropping them', () => {
    const truth = computeTruth([at(0, ev({ createdAt: 'not-a-timestamp' }))]);
    expect(truth.perMinute).toEqual({ unparseable: { total: 1, byAction: { page_view: 1 } } });
  });
});

describe('truth: recharge (recharge scenario)', () => {
  const notify = (props: Record<string, string | number>, createdAt = '2024-05-27T03:40:02.500Z'): EventInput =>
    ev({ action: 'reChargeNotifyReq', createdAt, props });

  it('computes count, successes, amount and durations from the requestId prefix to receiveNotifyTime', () => {
    const events = [
      at(
        0,
        notify({
          requestId: '20240527114000000123456789012345',
          receiveNotifyTime: '20240527114002500',
          bussinessRst: '0000',
          chargefee: 50,
          provinceCode: '571',
        }),
      ),
      at(
        1,
        notify(
          {
            requestId: '20240527114100000999',
            receiveNotifyTime: '20240527114101000',
            bussinessRst: '0000',
            chargefee: 20,
            provinceCode: '200',
          },
          '2024-05-27T03:41:01.000Z',
        ),
      ),
      at(
        2,
        notify(
          {
            requestId: '20240527114100000111',
            receiveNotifyTime: '20240527114107000',
            bussinessRst: '2003',
            chargefee: 100,
            provinceCode: '571',
          },
          '2024-05-27T03:41:07.000Z',
        ),
      ),
      // earlier steps of the flow do not count
      at(3, ev({ action: 'sendRechargeReq', props: { requestId: '20240527114000000123', bussinessRst: '0000', chargefee: 50 } })),
    ];

    const truth = computeTruth(events, { timeZone: 'Asia/Shanghai' });

    expect(truth.recharge).toEqual({
      count: 3,
      successCount: 2,
      failureCount: 1,
      successRate: 2 / 3,
      amount: 70,
      durationMs: { count: 2, min: 1000, max: 2500, sum: 3500, avg: 1750 },
      durationMsAll: { count: 3, min: 1000, max: 7000, sum: 10_500, avg: 3500 },
      failuresByProvince: { '571': 1 },
      perMinute: {
        '2024-05-27T03:40Z': { count: 1, successCount: 1, amount: 50 },
        '2024-05-27T03:41Z': { count: 2, successCount: 1, amount: 20 },
      },
    });
  });

  it('reads the 17-digit times in the given zone (a DST change shows it)', () => {
    // 01:59:59 and 03:00:01 on 2024-03-10 are 2 s apart in New York (clocks jump 02:00 -> 03:00)
    const events = [
      at(0, notify({ requestId: '20240310015959000', receiveNotifyTime: '20240310030001000', bussinessRst: '0000', chargefee: 10 })),
    ];
    expect(computeTruth(events, { timeZone: 'America/New_York' }).recharge?.durationMs.max).toBe(2000);
    expect(computeTruth(events, { timeZone: 'UTC' }).recharge?.durationMs.max).toBe(3_602_000);
  });
});

describe('truth: sales (vending scenario)', () => {
  it('sums count and amount per machine and commodity, and per local day', () => {
    const order = (machineId: number, commodityId: string, amount: number, createdAt: string): EventInput =>
      ev({ action: 'order', createdAt, props: { machineId, commodityId, amount } });
    const truth = computeTruth(
      [
        at(0, order(1, '1000001', 2, '2024-05-27T15:59:59.000Z')), // 23:59:59 in Shanghai
        at(1, order(1, '1000001', 4, '2024-05-27T16:00:00.000Z')), // next day in Shanghai
        at(2, order(12, '1000003', 3.5, '2024-05-27T16:00:01.000Z')),
      ],
      { timeZone: 'Asia/Shanghai' },
    );
    expect(truth.sales).toEqual({
      byMachineCommodity: { '12|1000003': { count: 1, amount: 3.5 }, '1|1000001': { count: 2, amount: 6 } },
      byCommodity: { '1000001': { count: 2, amount: 6 }, '1000003': { count: 1, amount: 3.5 } },
      byMachine: { '1': { count: 2, amount: 6 }, '12': { count: 1, amount: 3.5 } },
      byDay: { '2024-05-27': { count: 1, amount: 2 }, '2024-05-28': { count: 2, amount: 7.5 } },
    });
  });
});

describe('truth: alerts (alerts scenario)', () => {
  it('lists every error event and flags (action, minute) windows with at least 10 warnings', () => {
    const builder = new TruthBuilder();
    let seq = 0;
    const add = (e: EventInput): void => builder.add(e, seq++);
    add(ev({ eventId: 'err-1', action: 'viewDoc', errorMsg: '[error] boom' }));
    add(ev({ eventId: 'err-2', action: 'editDoc', errorMsg: 'oops [PANIC] nil pointer', createdAt: '2024-05-27T03:40:01.000Z' }));
    add(ev({ eventId: 'not-err', action: 'editDoc', errorMsg: '[Error] mixed case is not an error marker' }));
    for (let i = 0; i < 10; i++)
      add(ev({ action: 'login', errorMsg: `[warn] slow ${i}`, createdAt: `2024-05-27T03:40:${String(10 + i)}.000Z` }));
    for (let i = 0; i < 9; i++)
      add(ev({ action: 'search', errorMsg: '[warn] slow', createdAt: `2024-05-27T03:40:${String(10 + i)}.000Z` }));
    add(ev({ action: 'login', errorMsg: '[WARN] next minute', createdAt: '2024-05-27T03:41:00.000Z' }));

    const { alerts } = builder.build();

    expect(alerts.errors).toEqual([
      { eventId: 'err-1', action: 'viewDoc', userId: 'u-1', createdAt: '2024-05-27T03:40:00.000Z', marker: '[error]' },
      { eventId: 'err-2', action: 'editDoc', userId: 'u-1', createdAt: '2024-05-27T03:40:01.000Z', marker: '[PANIC]' },
    ]);
    expect(alerts.warnings).toEqual([
      { action: 'login', windowStart: '2024-05-27T03:40Z', count: 10, fires: true },
      { action: 'search', windowStart: '2024-05-27T03:40Z', count: 9, fires: false },
      { action: 'login', windowStart: '2024-05-27T03:41Z', count: 1, fires: false },
    ]);
    expect(alerts.firingWarnings).toBe(1);
    expect(alerts.warningThreshold).toBe(10);
  });
});
