import {
  decodeNextToken,
  encodeNextToken,
  metricCatalog,
  parseAlertsParams,
  parseMetricsParams,
  parsePathsCsvParams,
  parsePathsParams,
  type ParseResult,
} from '../../../lambdas/query/params';
import { KEYS } from '../../../lambdas/shared/results-table';
import { aContext, ZONE } from './factories';

/** The value of a successful parse (fails the test otherwise). */
function valueOf<T>(result: ParseResult<T>): T {
  if (!result.ok) throw new Error(`expected ok, got ${result.error.field}: ${result.error.reason}`);
  return result.value;
}

/** The error of a failed parse (fails the test otherwise). */
function errorOf<T>(result: ParseResult<T>): { field: string; reason: string } {
  if (result.ok) throw new Error(`expected an error, got ${JSON.stringify(result.value)}`);
  return result.error;
}

describe('GET /v1/alerts parameters', () => {
  it('defaults to the 24 hours before now, both kinds, 100 alerts, UTC days newest first', () => {
    // act
    const query = valueOf(parseAlertsParams({}, aContext()));

    // assess
    expect(query).toEqual({
      since: '2024-05-26T03:41:00.000Z',
      until: '2024-05-27T03:41:00.000Z',
      days: ['2024-05-27', '2024-05-26'],
      limit: 100,
    });
  });

  it('reads times with an offset or Z and turns them into UTC', () => {
    // act
    const query = valueOf(parseAlertsParams({ since: '2024-05-27T08:00:00+08:00', until: '2024-05-27T01:30:15.5Z' }, aContext()));

    // assess
    expect(query.since).toBe('2024-05-27T00:00:00.000Z');
    expect(query.until).toBe('2024-05-27T01:30:15.500Z');
    expect(query.days).toEqual(['2024-05-27']);
  });

  it('reads a space before the offset as + (an unencoded + in a query string)', () => {
    // act
    const query = valueOf(parseAlertsParams({ since: '2024-05-27T08:00 08:00' }, aContext()));

    // assess
    expect(query.since).toBe('2024-05-27T00:00:00.000Z');
  });

  it('lists every UTC day of a range across midnight, newest first', () => {
    // act
    const query = valueOf(parseAlertsParams({ since: '2024-05-26T20:00:00Z', until: '2024-05-28T01:00:00Z' }, aContext()));

    // assess
    expect(query.days).toEqual(['2024-05-28', '2024-05-27', '2024-05-26']);
  });

  it.each([
    ['since', '2024-05-27T11:00:00', /offset or Z/],
    ['since', '2024-05-27', /offset or Z/],
    ['since', 'yesterday', /offset or Z/],
    ['until', '2024-02-30T00:00:00Z', /offset or Z/],
    ['kind', 'warning', /error or window/],
    ['limit', '0', /1 to 1000/],
    ['limit', '1001', /1 to 1000/],
    ['limit', '1.5', /1 to 1000/],
    ['limit', 'ten', /1 to 1000/],
    ['nextToken', 'not-a-token', /previous page/],
    ['sinse', '2024-05-27T00:00:00Z', /not a parameter.*since, until, kind, limit, nextToken/],
  ])('refuses %s=%s', (field, value, reason) => {
    // act
    const error = errorOf(parseAlertsParams({ [field]: value }, aContext()));

    // assess
    expect(error.field).toBe(field);
    expect(error.reason).toMatch(reason);
  });

  it.each([
    ['kind', 'error'],
    ['kind', 'window'],
    ['limit', '1'],
    ['limit', '1000'],
  ])('takes %s=%s', (field, value) => {
    // act
    const result = parseAlertsParams({ [field]: value }, aContext());

    // assess
    expect(result.ok).toBe(true);
  });

  it('treats a blank value as a missing one', () => {
    // act
    const query = valueOf(parseAlertsParams({ limit: '', kind: '' }, aContext()));

    // assess
    expect(query.limit).toBe(100);
    expect(query.kind).toBeUndefined();
  });

  it('blames until when it is before since, or more than 31 days after it', () => {
    // act
    const before = errorOf(parseAlertsParams({ since: '2024-05-27T00:00:00Z', until: '2024-05-26T23:59:59Z' }, aContext()));
    const tooFar = errorOf(parseAlertsParams({ since: '2024-04-01T00:00:00Z', until: '2024-05-02T00:00:01Z' }, aContext()));
    const exactly31 = parseAlertsParams({ since: '2024-04-01T00:00:00Z', until: '2024-05-02T00:00:00Z' }, aContext());

    // assess
    expect(before).toEqual({ field: 'until', reason: 'must not be before since' });
    expect(tooFar).toEqual({ field: 'until', reason: 'must be at most 31 days after since' });
    expect(exactly31.ok).toBe(true);
  });

  it('blames since when until is the default and since is in the future or too long ago', () => {
    // act
    const future = errorOf(parseAlertsParams({ since: '2024-05-27T04:00:00Z' }, aContext()));
    const old = errorOf(parseAlertsParams({ since: '2024-04-01T00:00:00Z' }, aContext()));

    // assess
    expect(future).toEqual({ field: 'since', reason: 'must not be after until (now)' });
    expect(old).toEqual({ field: 'since', reason: 'must be at most 31 days before until (now)' });
  });

  it('takes back the nextToken of a page of the same range', () => {
    // prepare
    const key = { pk: 'ALERT#error#e1', sk: 'A', gpk: KEYS.alertsByDay('2024-05-26'), gsk: '2024-05-26T10:00:00.000Z#error#e1' };
    const token = encodeNextToken({ day: '2024-05-26', key });

    // act
    const query = valueOf(parseAlertsParams({ nextToken: token }, aContext()));

    // assess
    expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(query.cursor).toEqual({ day: '2024-05-26', key });
  });

  it('refuses a nextToken whose day is outside the range or whose key is not an alert key of that day', () => {
    // prepare
    const outside = encodeNextToken({ day: '2024-05-01' });
    const otherDay = encodeNextToken({ day: '2024-05-26', key: { pk: 'p', sk: 's', gpk: KEYS.alertsByDay('2024-05-27'), gsk: 'g' } });
    const extraKey = Buffer.from(
      JSON.stringify({ d: '2024-05-26', k: { pk: 'p', sk: 's', gpk: KEYS.alertsByDay('2024-05-26'), gsk: 'g', x: 'y' } }),
    ).toString('base64url');

    // act
    const results = [outside, otherDay, extraKey].map((nextToken) => parseAlertsParams({ nextToken }, aContext()));

    // assess
    expect(results.map((r) => (r.ok ? 'ok' : r.error.field))).toEqual(['nextToken', 'nextToken', 'nextToken']);
    expect(decodeNextToken(otherDay)).toBeUndefined();
  });
});

describe('nextToken of GET /v1/alerts', () => {
  const day = '2024-05-26';
  const aKey = (overrides: Partial<Record<'pk' | 'sk' | 'gpk' | 'gsk', string>> = {}) => ({
    pk: 'ALERT#error#e1',
    sk: 'A',
    gpk: KEYS.alertsByDay(day),
    gsk: '2024-05-26T10:00:00.000Z#error#e1',
    ...overrides,
  });
  const range = { since: '2024-05-26T06:00:00Z', until: '2024-05-27T03:00:00Z' };

  it.each([
    ['a time key before since', aKey({ gsk: '2024-05-26T05:59:59.999Z#error#e1' }), /outside this query/],
    ['a time key after until', aKey({ gsk: '2024-05-27T03:00:01.000Z#error#e1' }), /is for 2024-05-26|outside this query/],
    ['a time key of another day', aKey({ gsk: '2024-05-27T01:00:00.000Z#error#e1' }), /outside this query/],
    ['an empty time key', aKey({ gsk: '' }), /empty/],
    ['a time key over 1024 bytes', aKey({ gsk: `2024-05-26T10:00:00.000Z#${'é'.repeat(520)}` }), /1024 bytes/],
    ['an empty pk', aKey({ pk: '' }), /not an alert key/],
    ['a pk that is not an alert', aKey({ pk: 'M#events##2024-05-26' }), /not an alert key/],
    ['an empty sk', aKey({ sk: '' }), /not an alert key/],
  ])('refuses a token with %s, naming nextToken', (_, key, reason) => {
    // act
    const error = errorOf(parseAlertsParams({ ...range, nextToken: encodeNextToken({ day, key }) }, aContext()));

    // assess
    expect(error.field).toBe('nextToken');
    expect(error.reason).toMatch(reason);
  });

  it.each([
    ['a number for a key value', { d: day, k: { ...aKey(), pk: 7 } }],
    ['a null key', { d: day, k: null }],
    ['an array for the key', { d: day, k: [] }],
    ['a day that is not a date', { d: 'yesterday' }],
    ['no day', { k: aKey() }],
    ['a JSON string', 'ALERT'],
  ])('refuses a token holding %s, naming nextToken', (_, value) => {
    // prepare
    const nextToken = Buffer.from(JSON.stringify(value)).toString('base64url');

    // act
    const error = errorOf(parseAlertsParams({ ...range, nextToken }, aContext()));

    // assess
    expect(error.field).toBe('nextToken');
  });

  it('takes a token positioned at the edges of the range', () => {
    // prepare
    const atSince = encodeNextToken({ day, key: aKey({ gsk: '2024-05-26T06:00:00.000Z#error#e1' }) });

    // act
    const query = valueOf(parseAlertsParams({ ...range, nextToken: atSince }, aContext()));

    // assess
    expect(query.cursor?.key?.gsk).toBe('2024-05-26T06:00:00.000Z#error#e1');
  });
});

describe('GET /v1/metrics parameters', () => {
  it('needs a name and lists the known ones when it is unknown', () => {
    // act
    const missing = errorOf(parseMetricsParams({}, aContext()));
    const unknown = errorOf(parseMetricsParams({ name: 'clicks' }, aContext()));

    // assess
    expect(missing).toEqual({ field: 'name', reason: 'is required' });
    expect(unknown.field).toBe('name');
    expect(unknown.reason).toBe(
      'must be one of events, recharge, recharge.success, recharge.amount, recharge.duration, recharge.failures, vending.sales, recharge.successRate',
    );
  });

  it.each([...metricCatalog(ZONE).keys()])('takes the metric %s', (name) => {
    // act
    const result = parseMetricsParams({ name }, aContext());

    // assess
    expect(result.ok).toBe(true);
  });

  it('defaults to the 60 minutes before the current local minute, the series without dimensions', () => {
    // act
    const query = valueOf(parseMetricsParams({ name: 'events' }, aContext(new Date('2024-05-27T03:41:59.999Z'))));

    // assess
    expect(query).toEqual({
      name: 'events',
      kind: 'events',
      from: '2024-05-27T10:41',
      to: '2024-05-27T11:41',
      days: ['2024-05-27'],
      sources: [{ metric: 'events', dimFields: '' }],
      groupFields: [],
    });
  });

  it('reads local minutes as they are and ISO times as the local minute they fall in', () => {
    // act
    const local = valueOf(parseMetricsParams({ name: 'events', from: '2024-05-27T09:00', to: '2024-05-27T10:15' }, aContext()));
    const iso = valueOf(parseMetricsParams({ name: 'events', from: '2024-05-27T01:00:59Z', to: '2024-05-27T10:15:00+08:00' }, aContext()));

    // assess
    expect([local.from, local.to]).toEqual(['2024-05-27T09:00', '2024-05-27T10:15']);
    expect([iso.from, iso.to]).toEqual(['2024-05-27T09:00', '2024-05-27T10:15']);
  });

  it('reads both days of a range across local midnight in Asia/Shanghai (UTC 15:30 to 16:30)', () => {
    // act
    const local = valueOf(parseMetricsParams({ name: 'events', from: '2024-05-27T23:30', to: '2024-05-28T00:30' }, aContext()));
    const iso = valueOf(parseMetricsParams({ name: 'events', from: '2024-05-27T15:30:00Z', to: '2024-05-27T16:30:00Z' }, aContext()));

    // assess
    expect(local.days).toEqual(['2024-05-27', '2024-05-28']);
    expect(iso).toMatchObject({ from: '2024-05-27T23:30', to: '2024-05-28T00:30', days: ['2024-05-27', '2024-05-28'] });
  });

  it('takes up to 7 days (8 calendar days) and blames to beyond that or before from', () => {
    // act
    const seven = valueOf(parseMetricsParams({ name: 'events', from: '2024-05-20T12:00', to: '2024-05-27T12:00' }, aContext()));
    const tooLong = errorOf(parseMetricsParams({ name: 'events', from: '2024-05-20T12:00', to: '2024-05-27T12:01' }, aContext()));
    const backwards = errorOf(parseMetricsParams({ name: 'events', from: '2024-05-27T12:00', to: '2024-05-27T11:59' }, aContext()));

    // assess
    expect(seven.days).toEqual([
      '2024-05-20',
      '2024-05-21',
      '2024-05-22',
      '2024-05-23',
      '2024-05-24',
      '2024-05-25',
      '2024-05-26',
      '2024-05-27',
    ]);
    expect(tooLong).toEqual({ field: 'to', reason: 'must be at most 7 days after from' });
    expect(backwards).toEqual({ field: 'to', reason: 'must not be before from' });
  });

  it('blames from when to is the default (now)', () => {
    // act
    const future = errorOf(parseMetricsParams({ name: 'events', from: '2024-05-27T11:42' }, aContext()));
    const old = errorOf(parseMetricsParams({ name: 'events', from: '2024-05-01T00:00' }, aContext()));

    // assess
    expect(future).toEqual({ field: 'from', reason: 'must not be after to (now)' });
    expect(old).toEqual({ field: 'from', reason: 'must be at most 7 days before to (now)' });
  });

  it.each([
    ['from', '2024-05-27T24:00'],
    ['from', '2024-05-27 11:00'],
    ['to', '2024-05-27T11:00:00'],
    ['to', '2024-13-01T00:00'],
  ])('refuses %s=%s', (field, value) => {
    // act
    const error = errorOf(parseMetricsParams({ name: 'events', [field]: value }, aContext()));

    // assess
    expect(error).toEqual({ field, reason: 'must be a local minute YYYY-MM-DDTHH:mm or an ISO 8601 time with an offset or Z' });
  });

  it('takes a configured dimension of events, one partition per dimension', () => {
    // act
    const query = valueOf(parseMetricsParams({ name: 'events', dim: 'props.province' }, aContext()));

    // assess
    expect(query).toMatchObject({
      dim: 'props.province',
      sources: [{ metric: 'events', dimFields: 'props.province' }],
      groupFields: ['props.province'],
    });
  });

  it.each([
    ['events', 'props.color', /must be one of action, props\.province, .*props\.commodityId for events/],
    ['recharge', 'action', /recharge has no dimensions/],
    ['recharge.successRate', 'action', /has no dimensions/],
    [
      'vending.sales',
      'action',
      /must be one of props\.machineId, props\.commodityId or several of them joined with & \(e\.g\. props\.machineId&props\.commodityId\)/,
    ],
    ['vending.sales', 'props.machineId&props.machineId', /must be one of/],
  ])('refuses %s with dim=%s', (name, dim, reason) => {
    // act
    const error = errorOf(parseMetricsParams({ name, dim }, aContext()));

    // assess
    expect(error.field).toBe('dim');
    expect(error.reason).toMatch(reason);
  });

  it('reads a grouped measure from its stored partition, for one field, the combination, or the total', () => {
    // act
    const machine = valueOf(parseMetricsParams({ name: 'vending.sales', dim: 'props.machineId' }, aContext()));
    const both = valueOf(parseMetricsParams({ name: 'vending.sales', dim: 'props.commodityId&props.machineId' }, aContext()));
    const total = valueOf(parseMetricsParams({ name: 'recharge.failures' }, aContext()));

    // assess
    const stored = [{ metric: 'vending.sales', dimFields: 'props.machineId&props.commodityId' }];
    expect(machine).toMatchObject({ dim: 'props.machineId', sources: stored, groupFields: ['props.machineId'] });
    expect(both).toMatchObject({
      dim: 'props.machineId&props.commodityId',
      sources: stored,
      groupFields: ['props.machineId', 'props.commodityId'],
    });
    expect(total).toMatchObject({ sources: [{ metric: 'recharge.failures', dimFields: 'props.provinceCode' }], groupFields: [] });
    expect(total.dim).toBeUndefined();
  });

  it('reads the success rate from recharge and recharge.success', () => {
    // act
    const query = valueOf(parseMetricsParams({ name: 'recharge.successRate' }, aContext()));

    // assess
    expect(query).toMatchObject({
      kind: 'ratio',
      sources: [
        { metric: 'recharge', dimFields: '' },
        { metric: 'recharge.success', dimFields: '' },
      ],
    });
  });
});

describe('GET /v1/paths and /v1/paths.csv parameters', () => {
  it('defaults to today in the stage time zone (already tomorrow in Shanghai at 17:00 UTC), minWeight 1, 200 edges', () => {
    // act
    const query = valueOf(parsePathsParams({}, aContext(new Date('2024-05-27T17:00:00Z'))));
    const csv = valueOf(parsePathsCsvParams({}, aContext(new Date('2024-05-27T15:59:59Z'))));

    // assess
    expect(query).toEqual({ date: '2024-05-28', minWeight: 1, limit: 200 });
    expect(csv).toEqual({ date: '2024-05-27' });
  });

  it.each([
    ['date', '2024-05-27', true],
    ['date', '2024-02-29', true],
    ['date', '2023-02-29', false],
    ['date', '27/05/2024', false],
    ['minWeight', '1', true],
    ['minWeight', '25', true],
    ['minWeight', '0', false],
    ['minWeight', '-1', false],
    ['limit', '1', true],
    ['limit', '5000', true],
    ['limit', '5001', false],
    ['limit', '0', false],
  ])('%s=%s is %s', (field, value, ok) => {
    // act
    const result = parsePathsParams({ [field]: value }, aContext());

    // assess
    expect(result.ok ? 'ok' : result.error.field).toBe(ok ? 'ok' : field);
  });

  it('takes only date for the CSV', () => {
    // act
    const error = errorOf(parsePathsCsvParams({ date: '2024-05-27', minWeight: '2' }, aContext()));

    // assess
    expect(error).toEqual({ field: 'minWeight', reason: 'is not a parameter of this route (it takes date)' });
  });
});
