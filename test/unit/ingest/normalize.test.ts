import { normalizeCreatedAt, toStreamEvent } from '../../../lambdas/ingest/normalize';

/** The time of receipt the range tests measure from. */
const NOW = new Date('2024-05-27T03:41:00Z');

describe('normalizeCreatedAt', () => {
  it.each([
    ['Z, milliseconds', '2024-05-27T11:40:36.263Z', '2024-05-27T11:40:36.263Z'],
    ['lower-case z', '2024-05-27T11:40:36.263z', '2024-05-27T11:40:36.263Z'],
    ['+08:00', '2024-05-27T11:40:36.263+08:00', '2024-05-27T03:40:36.263Z'],
    ['+0800', '2024-05-27T11:40:36+0800', '2024-05-27T03:40:36.000Z'],
    ['+08', '2024-05-27T11:40:36+08', '2024-05-27T03:40:36.000Z'],
    ['-05:30', '2024-05-27T11:40:36-05:30', '2024-05-27T17:10:36.000Z'],
    ['microseconds with offset', '2024-05-27T11:40:36.263999+00:00', '2024-05-27T11:40:36.263Z'],
  ])('keeps the instant of an offset time (%s)', (_, raw, expected) => {
    expect(normalizeCreatedAt(raw, 'Asia/Shanghai')).toEqual({ ok: true, value: expected });
  });

  it.each([
    ['microseconds (the path-analysis sample form), truncated to milliseconds', '2024-05-27T11:40:36.263222', '2024-05-27T03:40:36.263Z'],
    ['a space instead of T', '2024-05-27 11:40:36', '2024-05-27T03:40:36.000Z'],
    ['a space and a fraction', '2024-05-27 11:40:36.5', '2024-05-27T03:40:36.500Z'],
    ['no seconds', '2024-05-27T11:40', '2024-05-27T03:40:00.000Z'],
    ['a comma as decimal sign', '2024-05-27T11:40:36,263', '2024-05-27T03:40:36.263Z'],
    ['nanoseconds', '2024-05-27T11:40:36.999999999', '2024-05-27T03:40:36.999Z'],
  ])('reads a time without offset in the configured zone (%s)', (_, raw, expected) => {
    expect(normalizeCreatedAt(raw, 'Asia/Shanghai')).toEqual({ ok: true, value: expected });
  });

  it('moves a local time after midnight in Asia/Shanghai to the previous UTC day', () => {
    // prepare
    const raw = '2024-05-28T01:30:00';

    // act
    const normalized = normalizeCreatedAt(raw, 'Asia/Shanghai');

    // assess
    expect(normalized).toEqual({ ok: true, value: '2024-05-27T17:30:00.000Z' });
  });

  it('moves a local time before midnight in America/New_York to the next UTC day', () => {
    expect(normalizeCreatedAt('2024-07-04 22:15:00', 'America/New_York')).toEqual({ ok: true, value: '2024-07-05T02:15:00.000Z' });
  });

  it('follows daylight saving time in America/New_York (EDT −4 in July, EST −5 in January)', () => {
    // act
    const summer = normalizeCreatedAt('2024-07-01T12:00:00', 'America/New_York');
    const winter = normalizeCreatedAt('2024-01-15T12:00:00', 'America/New_York');

    // assess
    expect(summer).toEqual({ ok: true, value: '2024-07-01T16:00:00.000Z' });
    expect(winter).toEqual({ ok: true, value: '2024-01-15T17:00:00.000Z' });
  });

  it('changes offset across the spring-forward change', () => {
    // 2024-03-10 02:00 EST → 03:00 EDT
    expect(normalizeCreatedAt('2024-03-10T01:59:59', 'America/New_York')).toEqual({ ok: true, value: '2024-03-10T06:59:59.000Z' });
    expect(normalizeCreatedAt('2024-03-10T03:00:00', 'America/New_York')).toEqual({ ok: true, value: '2024-03-10T07:00:00.000Z' });
  });

  it('moves a time skipped by spring-forward ahead by the gap', () => {
    expect(normalizeCreatedAt('2024-03-10T02:30:00', 'America/New_York')).toEqual({ ok: true, value: '2024-03-10T07:30:00.000Z' });
  });

  it('ignores the zone when the time has an offset', () => {
    expect(normalizeCreatedAt('2024-01-15T12:00:00Z', 'America/New_York')).toEqual(
      normalizeCreatedAt('2024-01-15T12:00:00Z', 'Asia/Shanghai'),
    );
  });

  it.each([
    ['a word', 'yesterday', 'must be an ISO 8601 date and time'],
    ['a date without time', '2024-05-27', 'must be an ISO 8601 date and time'],
    ['epoch seconds', '1716781236', 'must be an ISO 8601 date and time'],
    ['a slash date', '2024/05/27 11:40:36', 'must be an ISO 8601 date and time'],
    ['an ISO week date', '2024-W22-1T11:40:36', 'must be an ISO 8601 date and time'],
    ['a month 13', '2024-13-01T00:00:00', 'is not a valid date'],
    ['February 30', '2024-02-30T10:00:00', 'is not a valid date'],
    ['hour 24', '2024-05-27T24:00:00', 'hour must be 00..23'],
    ['minute 60', '2024-05-27T10:60:00', 'minute must be 00..59'],
    ['a leap second', '2024-06-30T23:59:60Z', 'second must be 00..59'],
    ['offset +19:00', '2024-05-27T10:00:00+19:00', 'offset must be within ±18:00'],
    ['two spaces', '2024-05-27  10:00:00', 'must be an ISO 8601 date and time'],
  ])('refuses %s with a reason', (_, raw, reason) => {
    const normalized = normalizeCreatedAt(raw, 'Asia/Shanghai');
    expect(normalized.ok).toBe(false);
    expect(normalized.ok ? '' : normalized.reason).toContain(reason);
  });

  it.each([
    ['the expanded year of 9999-12-31 at -18:00', '9999-12-31T23:59:59-18:00', 'after'],
    ['a time 1 day and 1 ms ahead', '2024-05-28T03:41:00.001Z', 'after'],
    ['the last moment of 1999', '1999-12-31T23:59:59.999Z', 'before'],
    ['year 0001', '0001-01-01T00:00:00Z', 'before'],
    ['2000-01-01 local time in Shanghai (1999 in UTC)', '2000-01-01T07:59:59', 'before'],
  ])('refuses %s as out of range, saying which bound', (_, raw, side) => {
    // act
    const normalized = normalizeCreatedAt(raw, 'Asia/Shanghai', NOW);

    // assess
    expect(normalized).toEqual({
      ok: false,
      reason: `is out of range: must lie from 2000-01-01T00:00:00.000Z to 1 day after now (2024-05-28T03:41:00.000Z); it is ${side} that`,
    });
  });

  it('accepts both bounds of the range, and a leap day inside it', () => {
    expect(normalizeCreatedAt('2000-01-01T00:00:00Z', 'UTC', NOW)).toEqual({ ok: true, value: '2000-01-01T00:00:00.000Z' });
    expect(normalizeCreatedAt('2024-05-28T03:41:00Z', 'UTC', NOW)).toEqual({ ok: true, value: '2024-05-28T03:41:00.000Z' });
    expect(normalizeCreatedAt('2000-02-29T00:00:00+14:00', 'UTC', NOW)).toEqual({ ok: true, value: '2000-02-28T10:00:00.000Z' });
  });

  it('accepts February 29 of a leap year only', () => {
    expect(normalizeCreatedAt('2024-02-29T12:00:00Z', 'UTC').ok).toBe(true);
    expect(normalizeCreatedAt('2023-02-29T12:00:00Z', 'UTC').ok).toBe(false);
  });
});

describe('toStreamEvent', () => {
  it('adds receivedAt in ISO UTC with milliseconds and keeps optional fields only when present', () => {
    // prepare
    const event = { eventId: 'e1', action: 'buy', userId: 'u1', createdAt: '2024-05-27T03:40:36.263Z', props: { amount: 3 } };

    // act
    const streamEvent = toStreamEvent(event, new Date('2024-05-27T03:41:00Z'));

    // assess
    expect(streamEvent).toEqual({ ...event, receivedAt: '2024-05-27T03:41:00.000Z' });
    expect(Object.keys(streamEvent)).toEqual(['eventId', 'action', 'userId', 'createdAt', 'receivedAt', 'props']);
  });
});
