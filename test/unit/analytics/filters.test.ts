import { RECHARGE_DURATION, type Filter } from '../../../lambdas/analytics/config';
import {
  compileFilter,
  evaluateValue,
  fieldValue,
  labelOf,
  matchesFilter,
  numberOf,
  requiredAction,
} from '../../../lambdas/analytics/filters';
import { aRechargeNotify, aStreamEvent } from './factories';

describe('fieldValue', () => {
  it('reads top-level fields and props, and gives undefined for what is missing', () => {
    // prepare
    const event = aStreamEvent({ action: 'viewDoc', bizId: 'b1', props: { province: 'Zhejiang', 'a.b': 1 } });

    // act / assess
    expect(fieldValue(event, 'action')).toBe('viewDoc');
    expect(fieldValue(event, 'bizId')).toBe('b1');
    expect(fieldValue(event, 'objectId')).toBeUndefined();
    expect(fieldValue(event, 'props.province')).toBe('Zhejiang');
    expect(fieldValue(event, 'props.a.b')).toBe(1);
    expect(fieldValue(event, 'props.missing')).toBeUndefined();
    expect(fieldValue(aStreamEvent(), 'props.province')).toBeUndefined();
  });

  it('reads only own props, so inherited names are missing', () => {
    expect(fieldValue(aStreamEvent({ props: {} }), 'props.constructor')).toBeUndefined();
    expect(fieldValue(aStreamEvent({ props: {} }), 'props.toString')).toBeUndefined();
  });

  it('labels strings as is, numbers and booleans as text, null and missing as nothing', () => {
    expect([labelOf('x'), labelOf(12), labelOf(true), labelOf(null), labelOf(undefined)]).toEqual([
      'x',
      '12',
      'true',
      undefined,
      undefined,
    ]);
  });
});

describe('filters', () => {
  const event = aStreamEvent({
    action: 'reChargeNotifyReq',
    errorMsg: 'upstream [WARN] slow',
    props: { bussinessRst: '2003', gender: 1, vip: false, note: null },
  });

  it.each<[string, Filter, boolean]>([
    ['equals a string', { field: 'action', equals: 'reChargeNotifyReq' }, true],
    ['equals is type-strict', { field: 'props.gender', equals: '1' }, false],
    ['equals a number', { field: 'props.gender', equals: 1 }, true],
    ['equals a boolean', { field: 'props.vip', equals: false }, true],
    ['notEquals a present value', { field: 'props.bussinessRst', notEquals: '0000' }, true],
    ['notEquals on a missing field is false', { field: 'props.missing', notEquals: '0000' }, false],
    ['notEquals on a null field is false', { field: 'props.note', notEquals: 'x' }, false],
    ['in a list', { field: 'props.bussinessRst', in: ['1001', '2003'] }, true],
    ['not in a list', { field: 'props.bussinessRst', in: ['1001'] }, false],
    ['containsAny, case-sensitive', { field: 'errorMsg', containsAny: ['[warn]', '[WARN]'] }, true],
    ['containsAny misses other cases', { field: 'errorMsg', containsAny: ['[warn]'] }, false],
    ['containsAny never matches a number', { field: 'props.gender', containsAny: ['1'] }, false],
    ['every operator must hold', { field: 'props.bussinessRst', notEquals: '0000', in: ['0000', '1001'] }, false],
    [
      'all',
      {
        all: [
          { field: 'action', equals: 'reChargeNotifyReq' },
          { field: 'props.bussinessRst', notEquals: '0000' },
        ],
      },
      true,
    ],
    [
      'all with one false',
      {
        all: [
          { field: 'action', equals: 'reChargeNotifyReq' },
          { field: 'props.bussinessRst', equals: '0000' },
        ],
      },
      false,
    ],
    [
      'any',
      {
        any: [
          { field: 'action', equals: 'x' },
          { field: 'props.gender', in: [0, 1] },
        ],
      },
      true,
    ],
    [
      'any with none true',
      {
        any: [
          { field: 'action', equals: 'x' },
          { field: 'props.gender', in: [2] },
        ],
      },
      false,
    ],
    ['not of a missing field is true', { not: { field: 'props.missing', equals: '0000' } }, true],
    [
      'nested not/any/all',
      {
        all: [
          {
            not: {
              any: [
                { field: 'action', equals: 'x' },
                { field: 'action', equals: 'y' },
              ],
            },
          },
          { field: 'props.vip', in: [false] },
        ],
      },
      true,
    ],
  ])('%s', (_, filter, expected) => {
    expect(matchesFilter(event, filter)).toBe(expected);
  });

  it('compiles once and evaluates many events', () => {
    // prepare
    const warns = compileFilter({ field: 'errorMsg', containsAny: ['[warn]', '[WARN]'] });
    const events = [aStreamEvent({ errorMsg: '[warn] a' }), aStreamEvent({ errorMsg: '[error] b' }), aStreamEvent()];

    // act
    const matched = events.map(warns);

    // assess
    expect(matched).toEqual([true, false, false]);
  });
});

describe('requiredAction', () => {
  it.each<[string, Filter, string | undefined]>([
    ['an action equality', { field: 'action', equals: 'order' }, 'order'],
    [
      'an action equality inside all',
      {
        all: [
          { field: 'props.x', equals: 1 },
          { field: 'action', equals: 'order' },
        ],
      },
      'order',
    ],
    ['an action equality with more operators', { field: 'action', equals: 'order', notEquals: 'x' }, 'order'],
    ['another field', { field: 'props.action', equals: 'order' }, undefined],
    ['an action list', { field: 'action', in: ['order'] }, undefined],
    ['a number (no action equals it)', { field: 'action', equals: 1 }, undefined],
    [
      'any',
      {
        any: [
          { field: 'action', equals: 'order' },
          { field: 'action', equals: 'order' },
        ],
      },
      undefined,
    ],
    ['not', { not: { field: 'action', equals: 'order' } }, undefined],
  ])('pins %s', (_, filter, expected) => {
    expect(requiredAction(filter)).toBe(expected);
  });

  it('is necessary: an event of another action never passes a filter that pins one', () => {
    // prepare
    const filters: Filter[] = [
      { field: 'action', equals: 'order' },
      { all: [{ field: 'action', equals: 'order' }, { not: { field: 'props.x', equals: 1 } }] },
    ];
    const others = [aStreamEvent({ action: 'page_view' }), aStreamEvent({ action: 'Order', props: { x: 2 } })];

    // act
    const passed = filters.flatMap((f) => others.filter((e) => matchesFilter(e, f)));

    // assess
    expect(filters.map(requiredAction)).toEqual(['order', 'order']);
    expect(passed).toEqual([]);
  });
});

describe('values', () => {
  it.each([
    [12.5, 12.5],
    ['50', 50],
    [' 7.25 ', 7.25],
    ['1e3', 1000],
    ['', undefined],
    ['12abc', undefined],
    ['0x10', undefined],
    [true, undefined],
    [null, undefined],
    [undefined, undefined],
  ])('reads %p as the number %p', (value, expected) => {
    expect(numberOf(value)).toBe(expected);
  });

  it('computes recharge scenario duration: receiveNotifyTime − the 17-digit prefix of requestId', () => {
    // prepare: requested 11:40:36.263, notified 11:40:38.100 (local time)
    const event = aRechargeNotify({ eventId: 'r1', start: '20240527114036263', notified: '20240527114038100' });

    // act
    const duration = evaluateValue(event, RECHARGE_DURATION, 'Asia/Shanghai');

    // assess
    expect(duration).toBe(1837);
  });

  it('crosses midnight and month ends', () => {
    const event = aRechargeNotify({ eventId: 'r1', start: '20240531235959900', notified: '20240601000000150' });
    expect(evaluateValue(event, RECHARGE_DURATION, 'Asia/Shanghai')).toBe(250);
  });

  it('reads both times in the configured zone, so a DST change between them counts in real time', () => {
    // 2024-03-10 01:59:59.000 EST → 03:00:00.000 EDT is one real second in New York
    const event = aRechargeNotify({ eventId: 'r1', start: '20240310015959000', notified: '20240310030000000' });
    expect(evaluateValue(event, RECHARGE_DURATION, 'America/New_York')).toBe(1000);
    expect(evaluateValue(event, RECHARGE_DURATION, 'UTC')).toBe(3_601_000);
  });

  it.each([
    ['a requestId shorter than 17 digits', { requestId: '2024052711403626' }],
    ['a requestId with an impossible date', { requestId: '20240230114036263123' }],
    ['a receiveNotifyTime with extra digits', { receiveNotifyTime: '202405271140381001' }],
    ['a receiveNotifyTime with a letter', { receiveNotifyTime: '2024052711403810x' }],
    ['a numeric receiveNotifyTime (beyond 2^53, so never exact)', { receiveNotifyTime: 20240527114038100 }],
    ['no requestId', { requestId: undefined }],
  ])('gives no duration for %s', (_, props) => {
    // prepare
    const base = aRechargeNotify({ eventId: 'r1' });
    const merged: Record<string, string | number | boolean | null> = { ...base.props };
    for (const [key, value] of Object.entries(props)) {
      if (value === undefined) delete merged[key];
      else merged[key] = value;
    }

    // act
    const duration = evaluateValue({ ...base, props: merged }, RECHARGE_DURATION, 'Asia/Shanghai');

    // assess
    expect(duration).toBeUndefined();
  });

  it('keeps a negative duration (clock skew shows up in min instead of vanishing)', () => {
    const event = aRechargeNotify({ eventId: 'r1', start: '20240527114038100', notified: '20240527114036263' });
    expect(evaluateValue(event, RECHARGE_DURATION, 'Asia/Shanghai')).toBe(-1837);
  });

  it('refuses an unknown zone when compiling', () => {
    expect(() => evaluateValue(aStreamEvent(), RECHARGE_DURATION, 'Nowhere/Land')).toThrow(RangeError);
  });
});
