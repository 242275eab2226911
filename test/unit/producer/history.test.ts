import { eventInputSchema } from '../../../lambdas/shared/event';
import { cohortAudience, historyTimeline, returnProbability } from '../../../scripts/producer/history';
import { computeReportTruth } from '../../../scripts/producer/report-truth';
import { Rng } from '../../../scripts/producer/rng';
import { SCENARIO_NAMES, getScenario } from '../../../scripts/producer/scenarios';
import { createEventStream, type ProducedEvent } from '../../../scripts/producer/source';
import { localDate } from '../../../scripts/producer/time';

const ZONE = 'Asia/Shanghai';
/** 2024-05-27 14:00 local. */
const END = Date.parse('2024-05-27T06:00:00.000Z');

function history(scenario: string, count: number, days: number, seed = 7): ProducedEvent[] {
  const stream = createEventStream({
    scenario: getScenario(scenario),
    seed,
    rate: 100,
    timeZone: ZONE,
    invalidRatio: 0,
    count,
    history: { days, endMs: END },
  });
  const out: ProducedEvent[] = [];
  for (let e = stream.next(0); e !== undefined; e = stream.next(0)) out.push(e);
  return out;
}

describe('history timeline', () => {
  it('starts at local midnight days − 1 before the end, ends at the end, and orders events in time', () => {
    const timeline = historyTimeline(3, END, ZONE, 1000);
    expect(timeline.dayStarts.map((ms) => new Date(ms).toISOString())).toEqual([
      '2024-05-24T16:00:00.000Z',
      '2024-05-25T16:00:00.000Z',
      '2024-05-26T16:00:00.000Z',
    ]);
    const times = Array.from({ length: 1000 }, (_, i) => timeline.timeOf(i));
    expect(times[0]).toBeGreaterThanOrEqual(timeline.startMs);
    expect(times[999]).toBeLessThan(END);
    for (let i = 1; i < times.length; i++) expect(times[i]).toBeGreaterThanOrEqual(times[i - 1] as number);
  });

  it('rejects sizes out of range', () => {
    expect(() => historyTimeline(0, END, ZONE, 10)).toThrow(RangeError);
    expect(() => historyTimeline(401, END, ZONE, 10)).toThrow(/days must be an integer from 1 to 400/);
    expect(() => historyTimeline(2, END, ZONE, 0)).toThrow(/count/);
  });
});

describe('cohort audience', () => {
  const timeline = historyTimeline(10, END, ZONE, 1);
  const dayMs = (d: number): number => (timeline.dayStarts[d] as number) + 3_600_000;

  it('never picks a user before their cohort day, and every day has its new cohort', () => {
    const audience = cohortAudience(new Rng(1), timeline);
    for (let d = 0; d < 10; d++) {
      const picked = new Set(Array.from({ length: 20_000 }, () => audience.pick(1000, dayMs(d))));
      for (const user of picked) expect(Math.floor((user * 10) / 1000)).toBeLessThanOrEqual(d);
      for (let user = d * 100; user < (d + 1) * 100; user++) expect(picked.has(user)).toBe(true);
    }
  });

  it('brings users back with a decaying probability', () => {
    const audience = cohortAudience(new Rng(2), timeline);
    const cohort0Share = (d: number): number => {
      const picked = new Set(Array.from({ length: 20_000 }, () => audience.pick(10_000, dayMs(d))));
      return [...picked].filter((user) => user < 1000).length / 1000;
    };
    const back1 = cohort0Share(1);
    const back9 = cohort0Share(9);
    expect(back1).toBeCloseTo(returnProbability(1), 1);
    expect(back9).toBeCloseTo(returnProbability(9), 1);
    expect(back9).toBeLessThan(back1);
  });

  it('is deterministic for a seed, and keeps one pool size', () => {
    const picks = (seed: number): number[] => {
      const audience = cohortAudience(new Rng(seed), timeline);
      return Array.from({ length: 50 }, (_, i) => audience.pick(300, dayMs(i % 10)));
    };
    expect(picks(3)).toEqual(picks(3));
    const audience = cohortAudience(new Rng(3), timeline);
    audience.pick(300, dayMs(0));
    expect(() => audience.pick(200, dayMs(0))).toThrow(/one pool per audience/);
  });

  it('still picks someone when the pool is smaller than the number of days', () => {
    const long = historyTimeline(30, END, ZONE, 1);
    const audience = cohortAudience(new Rng(4), long);
    for (let d = 0; d < 30; d++) expect(audience.pick(5, (long.dayStarts[d] as number) + 1)).toBeLessThan(5);
  });
});

describe.each(SCENARIO_NAMES)('scenario %s over a history', (name) => {
  it('makes valid events over every day, all in the past, with users coming back', () => {
    const events = history(name, 3000, 10);
    for (const e of events) expect(eventInputSchema.safeParse(e.body).success).toBe(true);
    const times = events.map((e) => Date.parse(e.input.createdAt));
    expect(Math.max(...times)).toBeLessThanOrEqual(END);
    const days = new Set(times.map((ms) => localDate(ms, ZONE)));
    expect(days.size).toBe(10);
    const truth = computeReportTruth(
      events.map((e) => ({ seq: e.seq, event: e.input })),
      { timeZone: ZONE },
    );
    expect(truth.dau.rows).toHaveLength(10);
    const firstCohort = truth.retention.rows.filter((r) => r.cohort_day === '2024-05-18');
    expect(firstCohort.find((r) => r.day_offset === 1)?.users).toBeGreaterThan(0);
  });
});

describe('a taobao history', () => {
  it('grows the distinct users of a month beyond any day, and has funnels on every day, some reaching the last step', () => {
    const events = history('taobao', 20_000, 30, 11);
    const truth = computeReportTruth(
      events.map((e) => ({ seq: e.seq, event: e.input })),
      { timeZone: ZONE },
    );
    const dau = truth.dau.rows.map((r) => r.users as number);
    const mauTotal = truth.mau.rows.reduce((n, r) => n + (r.users as number), 0);
    expect(mauTotal).toBeGreaterThan(3 * Math.max(...dau));
    expect(new Set(truth.funnel.rows.map((r) => r.day)).size).toBe(30);
    expect(truth.funnel.rows.filter((r) => r.step === 3).reduce((n, r) => n + (r.users as number), 0)).toBeGreaterThan(0);
  });

  it('is the same for the same seed and end', () => {
    expect(history('taobao', 500, 5, 3).map((e) => e.body)).toEqual(history('taobao', 500, 5, 3).map((e) => e.body));
  });

  it('needs a count', () => {
    expect(() =>
      createEventStream({
        scenario: getScenario('taobao'),
        seed: 1,
        rate: 1,
        timeZone: ZONE,
        invalidRatio: 0,
        history: { days: 2, endMs: END },
      }),
    ).toThrow(/count/);
  });
});
