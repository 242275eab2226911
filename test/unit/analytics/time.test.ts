import { localDay, localMinute, parseCompactLocal, parseIsoUtc } from '../../../lambdas/analytics/time';

describe('parseIsoUtc', () => {
  it('agrees with Date.parse on 2 000 instants from 1900 to 2100', () => {
    // prepare: a deterministic spread of instants, as toISOString writes them
    const start = Date.UTC(1900, 0, 1);
    const span = Date.UTC(2100, 0, 1) - start;
    const instants = Array.from({ length: 2000 }, (_, i) => start + Math.floor((((i * 7919) % 2000) / 2000) * span) + i);

    // act
    const mismatches = instants.map((ms) => new Date(ms).toISOString()).filter((iso) => parseIsoUtc(iso) !== Date.parse(iso));

    // assess
    expect(mismatches).toEqual([]);
  });

  it.each([
    ['2024-02-29T23:59:59.999Z', Date.UTC(2024, 1, 29, 23, 59, 59, 999)],
    ['2000-02-29T00:00:00Z', Date.UTC(2000, 1, 29)],
    ['2024-05-27T03:40:36.2Z', Date.UTC(2024, 4, 27, 3, 40, 36, 200)],
    ['2024-05-27T03:40:36.263999999Z', Date.UTC(2024, 4, 27, 3, 40, 36, 263)],
    ['0050-01-01T00:00:00.000Z', -60_589_296_000_000],
  ])('reads %s', (iso, expected) => {
    expect(parseIsoUtc(iso)).toBe(expected);
  });

  it.each([
    '2023-02-29T00:00:00.000Z',
    '1900-02-29T00:00:00.000Z',
    '2024-04-31T00:00:00.000Z',
    '2024-05-27T24:00:00.000Z',
    '2024-05-27T03:60:00.000Z',
    '2024-05-27T03:40:60.000Z',
    '2024-13-01T00:00:00.000Z',
    '2024-00-10T00:00:00.000Z',
    '2024-05-27T03:40:36.Z',
    '2024-05-27T03:40:36.263',
    '2024-05-27T03:40:36.263+00:00',
    '2024-05-27 03:40:36.263Z',
    '2024-5-27T03:40:36.263Z',
    'x024-05-27T03:40:36.263Z',
  ])('refuses %s', (iso) => {
    expect(parseIsoUtc(iso)).toBeUndefined();
  });
});

describe('local times', () => {
  it('reads a 17-digit wall-clock time in a zone, and refuses other lengths when exact', () => {
    expect(parseCompactLocal('20240527114036263', 'Asia/Shanghai', true)).toBe(Date.parse('2024-05-27T03:40:36.263Z'));
    expect(parseCompactLocal('20240527114036263999', 'Asia/Shanghai', false)).toBe(Date.parse('2024-05-27T03:40:36.263Z'));
    expect(parseCompactLocal('20240527114036263999', 'Asia/Shanghai', true)).toBeUndefined();
  });

  it('moves a wall-clock time skipped by spring-forward ahead by the gap', () => {
    expect(parseCompactLocal('20240310023000000', 'America/New_York', true)).toBe(Date.parse('2024-03-10T07:30:00.000Z'));
  });

  it('labels minutes and days in the zone', () => {
    expect(localMinute(Date.parse('2024-05-27T16:00:00.000Z'), 'Asia/Shanghai')).toBe('2024-05-28T00:00');
    expect(localDay(Date.parse('2024-05-27T15:59:59.999Z'), 'Asia/Shanghai')).toBe('2024-05-27');
  });
});
