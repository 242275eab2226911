import { eventInputSchema, type EventInput } from '../../../lambdas/shared/event';
import { loadCommodities } from '../../../scripts/producer/commodities';
import { Rng } from '../../../scripts/producer/rng';
import { ALERT_ACTIONS, ERROR_MARKERS, WARN_THRESHOLD } from '../../../scripts/producer/scenarios/alerts';
import { SCENARIO_NAMES, SCENARIOS, getScenario } from '../../../scripts/producer/scenarios';
import { RECHARGE_NOTIFY, RECHARGE_STEPS, REQUEST_ID_RANDOM_DIGITS } from '../../../scripts/producer/scenarios/recharge';
import { TAOBAO_ACTIONS } from '../../../scripts/producer/scenarios/taobao';
import { VENDING_COMMODITIES, VENDING_MACHINES, drawCommodity } from '../../../scripts/producer/scenarios/vending';
import { WEB_PAGES } from '../../../scripts/producer/scenarios/web';
import { parseCompact, parseEventTime, utcMinuteKey } from '../../../scripts/producer/time';

const START = Date.parse('2024-05-27T03:40:00.000Z');
const ZONE = 'Asia/Shanghai';

/** `n` events of a scenario on a pinned clock (event i at START + i * 1000 / rate ms). */
function generate(name: string, seed: number, n: number, rate = 10): EventInput[] {
  const generator = getScenario(name).create({ rng: new Rng(seed), timeZone: ZONE, rate });
  return Array.from({ length: n }, (_, i) => generator.next(START + Math.floor((i * 1000) / rate)));
}

function countBy<T>(items: readonly T[], key: (t: T) => string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const item of items) out[key(item)] = (out[key(item)] ?? 0) + 1;
  return out;
}

describe.each(SCENARIO_NAMES)('scenario %s', (name) => {
  it('is deterministic for a seed and differs across seeds', () => {
    const a = generate(name, 42, 300);
    const b = generate(name, 42, 300);
    const c = generate(name, 43, 300);
    expect(b).toEqual(a);
    expect(c.map((e) => e.eventId)).not.toEqual(a.map((e) => e.eventId));
  });

  it('makes valid v1 events with unique ids and readable times', () => {
    const events = generate(name, 7, 2000, 50);
    for (const event of events) {
      const parsed = eventInputSchema.safeParse(event);
      if (!parsed.success) throw new Error(`${JSON.stringify(event)}: ${parsed.error.message}`);
      expect(parseEventTime(event.createdAt, ZONE)).toBeDefined();
    }
    expect(new Set(events.map((e) => e.eventId)).size).toBe(events.length);
  });
});

describe('web', () => {
  const events = generate('web', 1, 5000, 20);

  it('walks the path-analysis pages in sessions, with strictly increasing times per session', () => {
    const views = events.filter((e) => e.action === 'page_view');
    expect(views.length).toBeGreaterThan(3500);
    expect(events.filter((e) => e.action === 'click').length).toBeGreaterThan(300);
    for (const e of views) expect(WEB_PAGES).toContain(e.path);
    for (const e of events.filter((x) => x.action === 'click')) expect(e.path).toBeUndefined();
    const last = new Map<string, number>();
    for (const e of events) {
      const ms = Date.parse(e.createdAt);
      expect(e.sessionId).toBeDefined();
      expect(ms).toBeGreaterThan(last.get(e.sessionId as string) ?? -Infinity);
      last.set(e.sessionId as string, ms);
    }
  });

  it('has a Markov shape: from /home mostly /blog or /services', () => {
    const bySession = new Map<string, string[]>();
    for (const e of events.filter((x) => x.path !== undefined))
      bySession.set(e.sessionId as string, [...(bySession.get(e.sessionId as string) ?? []), e.path as string]);
    const fromHome: string[] = [];
    for (const pages of bySession.values())
      pages.forEach((p, i) => p === '/home' && i + 1 < pages.length && fromHome.push(pages[i + 1] as string));
    const counts = countBy(fromHome, (p) => p);
    expect(((counts['/blog'] ?? 0) + (counts['/services'] ?? 0)) / fromHome.length).toBeGreaterThan(0.6);
  });
});

describe('taobao', () => {
  it('maps action codes 0..3 to click, cart, buy, favourite and keeps Taobao fields in range', () => {
    const events = generate('taobao', 3, 3000);
    for (const e of events) {
      const p = e.props ?? {};
      expect(e.action).toBe(TAOBAO_ACTIONS[p.actionCode as number]);
      expect(p.ageRange).toEqual(expect.any(Number));
      expect(p.ageRange as number).toBeGreaterThanOrEqual(0);
      expect(p.ageRange as number).toBeLessThanOrEqual(7);
      expect([0, 1, 2]).toContain(p.gender);
      expect(p).toMatchObject({
        itemId: expect.any(String),
        catId: expect.any(String),
        merchantId: expect.any(String),
        brandId: expect.any(String),
        province: expect.any(String),
        month: 5,
        day: 27,
      });
    }
    expect(Object.keys(countBy(events, (e) => e.action)).sort()).toEqual([...TAOBAO_ACTIONS].sort());
  });

  it("keeps a shopper's age range, gender and province the same across events", () => {
    const seen = new Map<string, string>();
    for (const e of generate('taobao', 5, 5000)) {
      const p = e.props ?? {};
      const attrs = `${p.ageRange}|${p.gender}|${p.province}`;
      expect(seen.get(e.userId) ?? attrs).toBe(attrs);
      seen.set(e.userId, attrs);
    }
  });
});

describe('recharge', () => {
  const events = generate('recharge', 11, 5000);
  const notifications = events.filter((e) => e.action === RECHARGE_NOTIFY);

  it('writes requestId as 17-digit yyyyMMddHHmmssSSS plus random digits, and receiveNotifyTime a bit later', () => {
    expect(notifications.length).toBeGreaterThan(900);
    for (const e of notifications) {
      const p = e.props ?? {};
      const requestId = p.requestId as string;
      const notified = p.receiveNotifyTime as string;
      expect(requestId).toMatch(new RegExp(`^\\d{${17 + REQUEST_ID_RANDOM_DIGITS}}$`));
      expect(notified).toMatch(/^\d{17}$/);
      const start = parseCompact(requestId.slice(0, 17), ZONE) as number;
      const end = parseCompact(notified, ZONE) as number;
      expect(end - start).toBeGreaterThanOrEqual(300);
      expect(end - start).toBeLessThanOrEqual(120_000);
      // receiveNotifyTime is the notification's own event time, in Asia/Shanghai
      expect(end).toBe(Date.parse(e.createdAt));
      expect(typeof p.chargefee).toBe('number');
      expect(p.provinceCode).toMatch(/^\d{3}$/);
    }
  });

  it('follows the five steps per order and has some failures', () => {
    const byOrder = new Map<string, string[]>();
    for (const e of events) byOrder.set(e.objectId as string, [...(byOrder.get(e.objectId as string) ?? []), e.action]);
    for (const steps of [...byOrder.values()].slice(0, -1)) {
      expect(steps).toEqual(RECHARGE_STEPS.slice(0, steps.length));
      expect([3, 5]).toContain(steps.length);
    }
    const results = countBy(notifications, (e) => String(e.props?.bussinessRst));
    expect(results['0000']).toBeGreaterThan(notifications.length * 0.8);
    expect(notifications.length - (results['0000'] ?? 0)).toBeGreaterThan(20);
  });
});

describe('vending', () => {
  it('sells the commodities of dim/commodity.csv at its prices', () => {
    expect(VENDING_COMMODITIES.map((c) => [c.commodityId, c.commodityName, c.price])).toEqual(
      loadCommodities().map((c) => [c.commodityId, c.commodityName, c.unitPrice]),
    );
    expect(VENDING_COMMODITIES.map((c) => c.weight)).toEqual([100, 90, 80, 70, 60, 50, 40, 30, 20, 10]);
  });

  it('draws commodities in proportion to the locust weights 100..10', () => {
    const rng = new Rng(2024);
    const draws = 110_000;
    const counts = countBy(
      Array.from({ length: draws }, () => drawCommodity(rng).commodityId),
      (id) => id,
    );
    const totalWeight = VENDING_COMMODITIES.reduce((s, c) => s + c.weight, 0);
    for (const c of VENDING_COMMODITIES) {
      const expected = (draws * c.weight) / totalWeight;
      expect(Math.abs((counts[c.commodityId] ?? 0) - expected) / expected).toBeLessThan(0.08);
    }
  });

  it('orders carry machine, commodity, price and amount', () => {
    for (const e of generate('vending', 9, 500)) {
      const p = e.props ?? {};
      expect(e.action).toBe('order');
      expect(VENDING_MACHINES).toContain(p.machineId);
      const commodity = VENDING_COMMODITIES.find((c) => c.commodityId === p.commodityId);
      expect(commodity).toBeDefined();
      expect(p).toMatchObject({ commodityName: commodity?.commodityName, price: commodity?.price });
      expect(p.amount).toBe((commodity?.price ?? 0) * (p.quantity as number));
    }
  });
});

describe('alerts', () => {
  it('emits alerts error markers and, per minute, warning bursts above and below the threshold', () => {
    const rate = 10;
    const events = generate('alerts', 21, 3 * 60 * rate, rate);
    const errors = events.filter((e) => ERROR_MARKERS.some((m) => e.errorMsg?.includes(m)));
    expect(errors.length).toBeGreaterThan(10);
    for (const e of events) {
      expect(ALERT_ACTIONS).toContain(e.action);
      expect(e).toMatchObject({ objectId: expect.any(String), bizId: expect.any(String) });
    }
    const warnings = countBy(
      events.filter((e) => e.errorMsg?.includes('[warn]')),
      (e) => `${utcMinuteKey(Date.parse(e.createdAt))}|${e.action}`,
    );
    const perMinute = countBy(Object.entries(warnings), ([key, n]) => `${key.split('|')[0]}:${n >= WARN_THRESHOLD ? 'hot' : 'cool'}`);
    for (const minute of ['2024-05-27T03:40Z', '2024-05-27T03:41Z', '2024-05-27T03:42Z']) {
      expect(perMinute[`${minute}:hot`]).toBe(2);
      expect(perMinute[`${minute}:cool`]).toBe(2);
    }
  });
});

describe('scenario registry', () => {
  it('lists the five scenarios and rejects unknown names with the valid ones', () => {
    expect(Object.keys(SCENARIOS)).toEqual(['web', 'taobao', 'recharge', 'vending', 'alerts']);
    expect(() => getScenario('nope')).toThrow('unknown scenario "nope"; valid scenarios: web, taobao, recharge, vending, alerts');
  });
});
