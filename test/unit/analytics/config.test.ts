import {
  AnalyticsConfigError,
  DEFAULT_DIMENSIONS,
  DEFAULT_ERROR_PATTERNS,
  defaultAnalyticsConfig,
  parseAnalyticsConfig,
  validateAnalyticsConfig,
} from '../../../lambdas/analytics/config';
import { compileFilter } from '../../../lambdas/analytics/filters';
import { aStreamEvent } from './factories';

/** A minimal valid configuration value, with `overrides` merged at the top level. */
const aConfigValue = (overrides: Record<string, unknown> = {}): Record<string, unknown> => ({
  metrics: { timeZone: 'Asia/Shanghai' },
  paths: { timeZone: 'Asia/Shanghai' },
  ...overrides,
});

/** A window rule value, with `overrides`. */
const aRuleValue = (overrides: Record<string, unknown> = {}): Record<string, unknown> => ({
  id: 'rule-1',
  filter: { field: 'errorMsg', containsAny: ['[warn]'] },
  groupBy: 'action',
  threshold: 10,
  windowSeconds: 60,
  ...overrides,
});

/** The issues `value` is refused with. */
function issuesOf(value: unknown): { field: string; reason: string }[] {
  try {
    validateAnalyticsConfig(value);
  } catch (error) {
    if (error instanceof AnalyticsConfigError) return [...error.issues];
    throw error;
  }
  throw new Error('expected the configuration to be refused');
}

describe('defaultAnalyticsConfig', () => {
  it('has alerts scenario error patterns, the two window rules, the default dimensions and measures, 300 s lateness and 30 min sessions', () => {
    // act
    const config = defaultAnalyticsConfig('Asia/Shanghai');

    // assess
    expect(config.errorPatterns).toEqual(DEFAULT_ERROR_PATTERNS);
    expect(config.windowRules.map((r) => [r.id, r.groupBy, r.threshold, r.windowSeconds, r.maxGroups])).toEqual([
      ['warnings-per-action', 'action', 10, 60, 1000],
      ['recharge-failures-per-province', 'props.provinceCode', 10, 60, 1000],
    ]);
    expect(config.metrics).toMatchObject({ timeZone: 'Asia/Shanghai', latenessSeconds: 300, dimensions: DEFAULT_DIMENSIONS });
    expect(config.metrics.measures.map((m) => m.name)).toEqual([
      'recharge',
      'recharge.success',
      'recharge.amount',
      'recharge.duration',
      'recharge.failures',
      'vending.sales',
    ]);
    expect(config.paths).toEqual({
      timeZone: 'Asia/Shanghai',
      sessionGapSeconds: 1800,
      maxSessionEvents: 200,
      maxClosedSessions: 20,
    });
  });

  it('takes the thresholds of the stage', () => {
    const config = defaultAnalyticsConfig('UTC', { warningThreshold: 25, rechargeFailureThreshold: 3 });
    expect(config.windowRules.map((r) => r.threshold)).toEqual([25, 3]);
  });

  it('refuses an unknown time zone, naming both fields', () => {
    expect(() => defaultAnalyticsConfig('Mars/Olympus')).toThrow(/metrics\.timeZone: must be an IANA time zone.*paths\.timeZone/);
  });
});

describe('parseAnalyticsConfig', () => {
  it('reads back what the defaults serialize to (the ANALYTICS_CONFIG round trip)', () => {
    // prepare
    const config = defaultAnalyticsConfig('Europe/Berlin');

    // act
    const parsed = parseAnalyticsConfig(JSON.stringify(config));

    // assess
    expect(parsed).toEqual(config);
  });

  it('fills in every default from the two time zones alone', () => {
    expect(parseAnalyticsConfig(JSON.stringify(aConfigValue()))).toEqual(defaultAnalyticsConfig('Asia/Shanghai'));
  });

  it('replaces a list rather than merging it', () => {
    const config = parseAnalyticsConfig(JSON.stringify(aConfigValue({ windowRules: [aRuleValue()] })));
    expect(config.windowRules.map((r) => r.id)).toEqual(['rule-1']);
  });

  it('refuses text that is not JSON', () => {
    expect(() => parseAnalyticsConfig('{metrics:')).toThrow(/^invalid ANALYTICS_CONFIG: \(root\): not JSON: /);
  });

  it.each([
    ['a missing metrics section', { metrics: undefined }, 'metrics', 'is required'],
    ['a threshold of 0', { windowRules: [aRuleValue({ threshold: 0 })] }, 'windowRules[0].threshold', 'must be at least 1'],
    ['a fractional threshold', { windowRules: [aRuleValue({ threshold: 2.5 })] }, 'windowRules[0].threshold', 'must be an integer'],
    [
      'a window longer than Lambda allows',
      { windowRules: [aRuleValue({ windowSeconds: 901 })] },
      'windowRules[0].windowSeconds',
      'must be at most 900',
    ],
    ['a misspelt key', { windowRules: [aRuleValue({ treshold: 3 })] }, 'windowRules[0].treshold', 'unknown field'],
    ['a groupBy that is no field', { windowRules: [aRuleValue({ groupBy: 'props.' })] }, 'windowRules[0].groupBy', 'must be one of action'],
    ['a rule id with a space', { windowRules: [aRuleValue({ id: 'my rule' })] }, 'windowRules[0].id', 'must be 1-64 characters'],
    ['an empty error pattern', { errorPatterns: [''] }, 'errorPatterns[0]', 'must not be empty'],
    ['a negative lateness', { metrics: { timeZone: 'UTC', latenessSeconds: -1 } }, 'metrics.latenessSeconds', 'must be at least 0'],
    ['a zero session gap', { paths: { timeZone: 'UTC', sessionGapSeconds: 0 } }, 'paths.sessionGapSeconds', 'must be at least 1'],
    ['a zero group bound', { windowRules: [aRuleValue({ maxGroups: 0 })] }, 'windowRules[0].maxGroups', 'must be at least 1'],
    [
      'a session bound over an item',
      { paths: { timeZone: 'UTC', maxSessionEvents: 501 } },
      'paths.maxSessionEvents',
      'must be at most 500',
    ],
    [
      'too many closed sessions per key',
      { paths: { timeZone: 'UTC', maxClosedSessions: 101 } },
      'paths.maxClosedSessions',
      'must be at most 100',
    ],
    [
      'a session-slice bound (no such field)',
      { paths: { timeZone: 'UTC', maxSliceBytes: 300_000 } },
      'paths.maxSliceBytes',
      'unknown field',
    ],
    [
      'a dimension name too long for a sort key',
      { metrics: { timeZone: 'UTC', dimensions: [`props.${'k'.repeat(500)}`] } },
      'metrics.dimensions[0]',
      "part of each counter's DynamoDB sort key",
    ],
    [
      'groupBy names too long together for a sort key',
      {
        metrics: {
          timeZone: 'UTC',
          measures: [
            {
              name: 'm',
              agg: ['count'],
              groupBy: [`props.${'a'.repeat(120)}`, `props.${'b'.repeat(120)}`, `props.${'c'.repeat(120)}`, `props.${'d'.repeat(120)}`],
            },
          ],
        },
      },
      'metrics.measures[0].groupBy',
      'must total at most 480 bytes',
    ],
  ])('names the field of %s', (_, overrides, field, reason) => {
    // prepare
    const value = aConfigValue(overrides);
    for (const key of Object.keys(value)) if (value[key] === undefined) delete value[key];

    // act
    const issues = issuesOf(value);

    // assess
    expect(issues).toContainEqual({ field, reason: expect.stringContaining(reason) });
  });

  it.each([
    ['no shape at all', {}, 'windowRules[0].filter', 'must be {field, equals|notEquals|in|containsAny}'],
    [
      'two shapes',
      { field: 'action', equals: 'x', all: [{ field: 'action', equals: 'y' }] },
      'windowRules[0].filter',
      'not several (field, all)',
    ],
    ['a field without operator', { field: 'action' }, 'windowRules[0].filter.field', 'needs at least one of equals'],
    [
      'an operator next to all',
      { all: [{ field: 'action', equals: 'y' }], equals: 'x' },
      'windowRules[0].filter.equals',
      'only go with field',
    ],
    ['an empty any', { any: [] }, 'windowRules[0].filter.any', 'must list at least 1 filter'],
    [
      'a bad nested filter',
      { all: [{ field: 'action', equals: 'a' }, { not: { field: 'nope', equals: 1 } }] },
      'windowRules[0].filter.all[1].not.field',
      'must be one of',
    ],
    [
      'an object to compare with',
      { field: 'action', equals: { a: 1 } },
      'windowRules[0].filter.equals',
      'must be a string, number or boolean',
    ],
  ])('names the filter field of %s', (_, filter, field, reason) => {
    const issues = issuesOf(aConfigValue({ windowRules: [aRuleValue({ filter })] }));
    expect(issues).toContainEqual({ field, reason: expect.stringContaining(reason) });
  });

  it('refuses rules with different windows (one consumer has one tumbling window)', () => {
    const issues = issuesOf(aConfigValue({ windowRules: [aRuleValue(), aRuleValue({ id: 'rule-2', windowSeconds: 120 })] }));
    expect(issues).toEqual([
      { field: 'windowRules[1].windowSeconds', reason: expect.stringContaining('must equal windowRules[0].windowSeconds (60)') },
    ]);
  });

  it('refuses duplicate rule ids and measure names', () => {
    // prepare
    const measure = { name: 'm', agg: ['count'] };
    const value = aConfigValue({ windowRules: [aRuleValue(), aRuleValue()], metrics: { timeZone: 'UTC', measures: [measure, measure] } });

    // act
    const issues = issuesOf(value);

    // assess
    expect(issues).toEqual([
      { field: 'windowRules[1].id', reason: 'duplicates windowRules[0].id' },
      { field: 'metrics.measures[1].name', reason: 'duplicates metrics.measures[0].name' },
    ]);
  });

  it.each([
    ['sum without a value', { name: 'm', agg: ['sum'] }, 'metrics.measures[0].value', 'sum, min and max need a value'],
    ['the reserved name events', { name: 'events', agg: ['count'] }, 'metrics.measures[0].name', 'built-in event counter'],
    ['an unknown aggregate', { name: 'm', agg: ['avg'] }, 'metrics.measures[0].agg[0]', 'must be count, sum, min or max'],
    [
      'a value with both forms',
      {
        name: 'm',
        agg: ['sum'],
        value: {
          field: 'props.a',
          durationMs: {
            from: { timestampPrefixOf: 'props.a', digits: 17, format: 'yyyyMMddHHmmssSSS' },
            to: { timestampOf: 'props.b', format: 'yyyyMMddHHmmssSSS' },
          },
        },
      },
      'metrics.measures[0].value',
      'must be {field} or {durationMs: {from, to}}',
    ],
    [
      'a duration without to',
      {
        name: 'm',
        agg: ['sum'],
        value: { durationMs: { from: { timestampPrefixOf: 'props.a', digits: 17, format: 'yyyyMMddHHmmssSSS' } } },
      },
      'metrics.measures[0].value.durationMs.to',
      'is required',
    ],
    [
      'a duration in another format',
      {
        name: 'm',
        agg: ['sum'],
        value: {
          durationMs: {
            from: { timestampPrefixOf: 'props.a', digits: 17, format: 'yyyy-MM-dd' },
            to: { timestampOf: 'props.b', format: 'yyyyMMddHHmmssSSS' },
          },
        },
      },
      'metrics.measures[0].value.durationMs.from.format',
      'must be "yyyyMMddHHmmssSSS"',
    ],
    [
      'a groupBy listing a field twice',
      { name: 'm', agg: ['count'], groupBy: ['props.a', 'props.a'] },
      'metrics.measures[0].groupBy',
      'lists a field twice',
    ],
  ])('names the measure field of %s', (_, measure, field, reason) => {
    const issues = issuesOf(aConfigValue({ metrics: { timeZone: 'UTC', measures: [measure] } }));
    expect(issues).toContainEqual({ field, reason: expect.stringContaining(reason) });
  });

  it('lists every issue in the error message', () => {
    expect(() => parseAnalyticsConfig(JSON.stringify({ metrics: { timeZone: 'UTC' } }))).toThrow(
      'invalid ANALYTICS_CONFIG: paths: is required',
    );
  });
});

describe('what a failed recharge is', () => {
  const config = defaultAnalyticsConfig('Asia/Shanghai');
  const rule = config.windowRules.find((r) => r.id === 'recharge-failures-per-province');
  const measure = config.metrics.measures.find((m) => m.name === 'recharge.failures');
  const notification = (props: Record<string, string>) =>
    aStreamEvent({
      eventId: 'r1',
      action: 'reChargeNotifyReq',
      userId: 'u1',
      createdAt: '2024-05-27T03:40:00.000Z',
      props: { provinceCode: '571', ...props },
    });

  it.each([
    ['a failure code', { bussinessRst: '2003' }, true],
    ['no result at all', {}, true],
    ['success', { bussinessRst: '0000' }, false],
  ])('%s counts the same for the KPI and for the window alert', (_name, props, failed) => {
    const event = notification(props);
    expect(rule && compileFilter(rule.filter)(event)).toBe(failed);
    expect(measure?.filter && compileFilter(measure.filter)(event)).toBe(failed);
  });
});
