import { defaultWindowRules, type WindowRule } from '../../../lambdas/analytics/config';
import type { DecodedRecord } from '../../../lambdas/analytics/records';
import {
  emptyWindowState,
  foldWindow,
  judgeWindow,
  readWindowState,
  stateSizeBytes,
  windowAlert,
  windowAlertId,
  windowPartials,
  type WindowState,
} from '../../../lambdas/analytics/windows';
import { aRechargeNotify, aSeq, aStreamEvent, decodedAll, someWarnings } from './factories';

const RULES = defaultWindowRules();
const WARNINGS = RULES[0] as WindowRule;
const WINDOW = { start: '2024-05-27T03:40:00.000Z', end: '2024-05-27T03:41:00.000Z' };

/** Folds `records` into a fresh window and returns the partials of `shardId`. */
function partialsOf(records: readonly DecodedRecord[], shardId: string) {
  const state = foldWindow(emptyWindowState(), records, RULES);
  return windowPartials(state, WINDOW.start, WINDOW.end, shardId, RULES);
}

/** The partials of one (rule, group) keyed by shard attribute, as the lead's item holds them. */
function attributesFor(partials: readonly ReturnType<typeof partialsOf>[number][], ruleId: string, group: string): Record<string, number> {
  return Object.fromEntries(
    partials.filter((p) => p.ruleId === ruleId && p.group === group).map((p) => [`shard_${p.shardId}_${p.segment}`, p.count]),
  );
}

describe('warnings per action in one window (alerts scenario)', () => {
  it.each([
    [9, false],
    [10, true],
  ])('%i warnings for one action → fires: %p', (warnings, fires) => {
    // prepare
    const records = decodedAll(someWarnings(warnings, 'viewDoc'));

    // act
    const partials = partialsOf(records, 'shardId-000000000000');
    const verdict = judgeWindow(attributesFor(partials, WARNINGS.id, 'viewDoc'), WARNINGS.threshold);

    // assess
    expect(verdict).toEqual({ total: warnings, fires });
  });

  it('counts per action, and only events that pass the filter', () => {
    // prepare
    const events = [
      ...someWarnings(3, 'viewDoc'),
      ...someWarnings(2, 'login'),
      aStreamEvent({ eventId: 'x', action: 'viewDoc', errorMsg: '[error] no warning' }),
      aStreamEvent({ eventId: 'y' }),
    ];

    // act
    const state = foldWindow(emptyWindowState(), decodedAll(events), RULES);

    // assess
    expect(state.rules).toEqual({
      'warnings-per-action': {
        viewDoc: { count: 3, eventIds: ['viewDoc-w0', 'viewDoc-w1', 'viewDoc-w2'] },
        login: { count: 2, eventIds: ['login-w0', 'login-w1'] },
      },
    });
  });

  it('counts a duplicate eventId once, in one batch and across invokes of the window', () => {
    // prepare
    const [first, second] = someWarnings(2, 'viewDoc');
    const retry = { ...(first as ReturnType<typeof aStreamEvent>), receivedAt: '2024-05-27T03:40:50.000Z' };

    // act
    const afterFirst = foldWindow(emptyWindowState(), decodedAll([first, second, retry] as ReturnType<typeof aStreamEvent>[], 1), RULES);
    const afterSecond = foldWindow(afterFirst, decodedAll([retry], 4), RULES);

    // assess
    expect(afterFirst.rules[WARNINGS.id]?.viewDoc?.count).toBe(2);
    expect(afterSecond.rules[WARNINGS.id]?.viewDoc?.count).toBe(2);
  });

  it('gives the same state whether the window comes in one invoke or several', () => {
    // prepare
    const records = decodedAll([...someWarnings(7, 'viewDoc'), ...someWarnings(4, 'login')]);

    // act
    const once = foldWindow(emptyWindowState(), records, RULES);
    const inSteps = [records.slice(0, 3), records.slice(3, 8), records.slice(8)].reduce(
      (state, batch) => foldWindow(state, batch, RULES),
      emptyWindowState(),
    );

    // assess
    expect(inSteps).toEqual(once);
  });

  it('does not change the state it is given', () => {
    // prepare
    const state = foldWindow(emptyWindowState(), decodedAll(someWarnings(2, 'viewDoc')), RULES);
    const snapshot = JSON.parse(JSON.stringify(state)) as WindowState;

    // act
    foldWindow(state, decodedAll(someWarnings(3, 'viewDoc', 'more-'), 10), RULES);

    // assess
    expect(state).toEqual(snapshot);
  });

  it('skips poison records but keeps their sequence number in the segment', () => {
    // prepare
    const poison: DecodedRecord = { ok: false, seq: aSeq(1), arrival: 0, reason: 'not base64 JSON: x' };
    const records = [poison, ...decodedAll(someWarnings(2, 'viewDoc'), 2)];

    // act
    const state = foldWindow(emptyWindowState(), records, RULES);

    // assess
    expect(state.segment).toBe(aSeq(1));
    expect(state.rules[WARNINGS.id]?.viewDoc?.count).toBe(2);
  });
});

describe('merging a window across shards', () => {
  it.each([
    [6, 4, { total: 10, fires: true }],
    [5, 4, { total: 9, fires: false }],
  ])('%i + %i warnings on two shards → %p', (onA, onB, verdict) => {
    // prepare: same action, different users, so the events land on two shards
    const shardA = partialsOf(decodedAll(someWarnings(onA, 'viewDoc', 'a-')), 'shardId-000000000000');
    const shardB = partialsOf(decodedAll(someWarnings(onB, 'viewDoc', 'b-')), 'shardId-000000000001');

    // act
    const merged = judgeWindow(attributesFor([...shardA, ...shardB], WARNINGS.id, 'viewDoc'), WARNINGS.threshold);

    // assess
    expect(merged).toEqual(verdict);
  });

  it('writes idempotently: the same final invoke retried yields the same attribute and count', () => {
    // prepare
    const records = decodedAll(someWarnings(6, 'viewDoc'));

    // act
    const first = attributesFor(partialsOf(records, 'shardId-000000000000'), WARNINGS.id, 'viewDoc');
    const retried = { ...first, ...attributesFor(partialsOf(records, 'shardId-000000000000'), WARNINGS.id, 'viewDoc') };

    // assess
    expect(retried).toEqual(first);
    expect(judgeWindow(retried, 10)).toEqual({ total: 6, fires: false });
  });

  it('keeps two runs of one window on one shard apart (a window Lambda ended early continues with fresh state)', () => {
    // prepare
    const firstRun = foldWindow(emptyWindowState(), decodedAll(someWarnings(6, 'viewDoc', 'r1-'), 1), RULES);
    const secondRun = foldWindow(emptyWindowState(), decodedAll(someWarnings(4, 'viewDoc', 'r2-'), 100), RULES);

    // act
    const partials = [
      ...windowPartials(firstRun, WINDOW.start, WINDOW.end, 's0', RULES),
      ...windowPartials(secondRun, WINDOW.start, WINDOW.end, 's0', RULES),
    ];
    const attributes = attributesFor(partials, WARNINGS.id, 'viewDoc');

    // assess
    expect(Object.keys(attributes)).toHaveLength(2);
    expect(judgeWindow(attributes, 10)).toEqual({ total: 10, fires: true });
  });

  it('counts recharge failures per province with the second rule', () => {
    // prepare
    const events = [
      ...Array.from({ length: 3 }, (_, i) => aRechargeNotify({ eventId: `f${i}`, success: false, provinceCode: '571' })),
      aRechargeNotify({ eventId: 'ok', success: true, provinceCode: '571' }),
      aRechargeNotify({ eventId: 'g', success: false, provinceCode: '100' }),
    ];

    // act
    const partials = partialsOf(decodedAll(events), 's0');

    // assess
    expect(partials.map((p) => [p.ruleId, p.groupBy, p.group, p.count])).toEqual([
      ['recharge-failures-per-province', 'props.provinceCode', '100', 1],
      ['recharge-failures-per-province', 'props.provinceCode', '571', 3],
    ]);
  });
});

describe('window state size', () => {
  it('switches the largest groups to count-only when the state would outgrow its budget, and says so', () => {
    // prepare: 400 warnings with 60-character ids ≈ 25 KB of ids, budget 8 KB
    const events = [
      ...someWarnings(300, 'viewDoc', `${'v'.repeat(56)}-`),
      ...someWarnings(100, 'login', `${'l'.repeat(56)}-`),
      ...someWarnings(5, 'search'),
    ];

    // act
    const state = foldWindow(emptyWindowState(), decodedAll(events), RULES, { maxStateBytes: 8000 });
    const partials = windowPartials(state, WINDOW.start, WINDOW.end, 's0', RULES);

    // assess
    expect(stateSizeBytes(state)).toBeLessThanOrEqual(8000);
    expect(partials.map((p) => [p.group, p.count, p.approximate])).toEqual([
      ['login', 100, false],
      ['search', 5, false],
      ['viewDoc', 300, true],
    ]);
  });

  it('stays under the default budget with a full window of long ids', () => {
    // prepare: 20 000 distinct warnings with 64-character ids ≈ 1.3 MB of ids
    const events = someWarnings(20_000, 'viewDoc', `${'e'.repeat(58)}-`);

    // act
    const state = foldWindow(emptyWindowState(), decodedAll(events), RULES);

    // assess
    expect(stateSizeBytes(state)).toBeLessThan(1024 * 1024);
    expect(state.rules[WARNINGS.id]?.viewDoc).toEqual({ count: 20_000, eventIds: [], approximate: true });
  });

  it('keeps counting an approximate group without dedup in later invokes', () => {
    // prepare
    const state: WindowState = {
      v: 1,
      segment: aSeq(1),
      rules: { [WARNINGS.id]: { viewDoc: { count: 50, eventIds: [], approximate: true } } },
    };

    // act
    const next = foldWindow(state, decodedAll(someWarnings(2, 'viewDoc'), 2), RULES);

    // assess
    expect(next.rules[WARNINGS.id]?.viewDoc).toEqual({ count: 52, eventIds: [], approximate: true });
  });
});

describe('readWindowState', () => {
  it('starts a window from the empty state Lambda passes', () => {
    expect(readWindowState({})).toEqual(emptyWindowState());
    expect(readWindowState(undefined)).toEqual(emptyWindowState());
  });

  it('reads back what foldWindow wrote, through JSON', () => {
    const state = foldWindow(emptyWindowState(), decodedAll(someWarnings(3, 'viewDoc')), RULES);
    expect(readWindowState(JSON.parse(JSON.stringify(state)))).toEqual(state);
  });

  it('refuses something else', () => {
    expect(() => readWindowState({ counts: 1 })).toThrow(TypeError);
    expect(() => readWindowState({ v: 1, rules: { r: { g: { count: 'x', eventIds: [] } } } })).toThrow(TypeError);
  });
});

describe('window alerts', () => {
  it('builds the one alert of a (rule, group, window) with a stable id', () => {
    // act
    const alert = windowAlert(WARNINGS, 'viewDoc', WINDOW, 12, new Date('2024-05-27T03:41:02.000Z'));

    // assess
    expect(alert).toEqual({
      kind: 'window',
      ruleId: 'warnings-per-action',
      action: 'viewDoc',
      groupBy: 'action',
      windowStart: WINDOW.start,
      windowEnd: WINDOW.end,
      count: 12,
      threshold: 10,
      createdAt: '2024-05-27T03:41:02.000Z',
      approximate: false,
    });
    expect(windowAlertId(WARNINGS.id, 'viewDoc', WINDOW.start)).toBe(windowAlertId(WARNINGS.id, 'viewDoc', WINDOW.start));
    expect(windowAlertId(WARNINGS.id, 'viewDoc', WINDOW.start)).not.toBe(windowAlertId(WARNINGS.id, 'login', WINDOW.start));
  });
});
