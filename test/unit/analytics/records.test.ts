import { compareSeq, decodeRecord, decodeRecords, maxSeq, padSeq, SEQ_DIGITS, streamEventSchema } from '../../../lambdas/analytics/records';
import { aKinesisRecord, aRawRecord, aSeq, aStreamEvent } from './factories';

describe('decodeRecord', () => {
  it('decodes base64 UTF-8 JSON with a trailing newline into a stream event, with its sequence number and arrival in ms', () => {
    // prepare
    const event = aStreamEvent({ eventId: 'e-42', path: '/blog', props: { province: '浙江', amount: 12.5, vip: true, note: null } });
    const record = aKinesisRecord(event, 7, 1716781237.123);

    // act
    const decoded = decodeRecord(record);

    // assess
    expect(decoded).toEqual({
      ok: true,
      event,
      seq: aSeq(7),
      arrival: 1716781237123,
      createdMs: Date.parse(event.createdAt),
      receivedMs: Date.parse(event.receivedAt),
    });
  });

  it('accepts a record without the trailing newline', () => {
    const decoded = decodeRecord(aKinesisRecord(JSON.stringify(aStreamEvent())));
    expect(decoded.ok).toBe(true);
  });

  it('drops unknown top-level fields instead of refusing the record (tolerant reader)', () => {
    // prepare
    const record = aKinesisRecord({ ...aStreamEvent(), schemaVersion: 2 });

    // act
    const decoded = decodeRecord(record);

    // assess
    expect(decoded.ok && decoded.event).toEqual(aStreamEvent());
  });

  it.each([
    ['text that is not JSON', aKinesisRecord('hello world'), /^not base64 JSON: /],
    [
      'data that is not base64 of JSON',
      { kinesis: { data: '!!!not-base64!!!', sequenceNumber: aSeq(1), approximateArrivalTimestamp: 1 } },
      /^not base64 JSON: /,
    ],
    ['an empty record', aRawRecord(Buffer.alloc(0)), /^not base64 JSON: empty record$/],
    ['bytes that are not UTF-8', aRawRecord(Buffer.from([0x7b, 0xff, 0xfe, 0x7d])), /^not base64 JSON: not valid UTF-8$/],
    ['a JSON array', aKinesisRecord([aStreamEvent()]), /^not an event: must be a JSON object, got an array$/],
    ['JSON null', aKinesisRecord('null\n'), /^not an event: must be a JSON object, got null$/],
  ])('reports %s as a poison record', (_, record, reason) => {
    // act
    const decoded = decodeRecord(record);

    // assess
    expect(decoded.ok).toBe(false);
    expect(!decoded.ok && decoded.reason).toMatch(reason);
    expect(decoded.seq).toBe(record.kinesis.sequenceNumber);
  });

  it.each([
    ['a missing userId', { userId: undefined }, 'field userId: is required'],
    ['an empty userId', { userId: '' }, 'field userId: must not be empty'],
    ['a userId of 65 characters', { userId: 'u'.repeat(65) }, 'field userId: must be at most 64 characters'],
    ['a numeric eventId', { eventId: 42 }, 'field eventId: '],
    ['a createdAt with an offset', { createdAt: '2024-05-27T11:40:36.263+08:00' }, 'field createdAt: must be an ISO 8601 UTC time'],
    ['a createdAt that does not exist', { createdAt: '2024-02-30T00:00:00.000Z' }, 'field createdAt: must be an ISO 8601 UTC time'],
    ['a missing receivedAt', { receivedAt: undefined }, 'field receivedAt: is required'],
    ['a props value that is an object', { props: { nested: { a: 1 } } }, 'field props.nested: must be a string, number, boolean or null'],
    ['a path of 1025 characters', { path: `/${'p'.repeat(1024)}` }, 'field path: must be at most 1024 characters'],
  ])('names the field of %s', (_, overrides, reason) => {
    // prepare
    const event: Record<string, unknown> = { ...aStreamEvent(), ...overrides };
    for (const key of Object.keys(event)) if (event[key] === undefined) delete event[key];

    // act
    const decoded = decodeRecord(aKinesisRecord(event));

    // assess
    expect(decoded.ok).toBe(false);
    expect(!decoded.ok && decoded.reason).toContain(reason);
  });

  it('keeps a poison reason short even when the input is huge', () => {
    const decoded = decodeRecord(aKinesisRecord(`{"eventId": "${'x'.repeat(100_000)}`));
    expect(!decoded.ok && decoded.reason.length).toBeLessThanOrEqual(300);
  });

  it('agrees with the zod schema on every variant (the fast path never accepts what zod refuses)', () => {
    // prepare: valid events and near misses around every limit
    const base = aStreamEvent({ sessionId: 's1', objectId: 'o1', bizId: 'b1', path: '/a', errorMsg: '', props: { a: 1 } });
    const variants: Record<string, unknown>[] = [
      { ...base },
      { ...base, eventId: 'e'.repeat(64) },
      { ...base, eventId: 'e'.repeat(65) },
      { ...base, action: 'a'.repeat(256) },
      { ...base, action: 'a'.repeat(257) },
      { ...base, sessionId: '' },
      { ...base, sessionId: null },
      { ...base, objectId: 7 },
      { ...base, errorMsg: 'x'.repeat(1024) },
      { ...base, errorMsg: 'x'.repeat(1025) },
      { ...base, path: '' },
      { ...base, props: {} },
      { ...base, props: [] },
      { ...base, props: null },
      { ...base, props: Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`k${i}`, i])) },
      { ...base, props: Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`k${i}`, i])) },
      { ...base, props: { ['k'.repeat(128)]: 1 } },
      { ...base, props: { ['k'.repeat(129)]: 1 } },
      { ...base, props: { '': 1 } },
      { ...base, props: { s: 'v'.repeat(1024) } },
      { ...base, props: { s: 'v'.repeat(1025) } },
      { ...base, createdAt: '2024-05-27T03:40:36Z' },
      { ...base, createdAt: '2024-05-27T03:40:36.263222Z' },
      { ...base, createdAt: '2024-05-27T03:40:36.Z' },
      { ...base, createdAt: '2024-05-27 03:40:36.263Z' },
      { ...base, createdAt: '2024-05-27T24:00:00.000Z' },
      { ...base, createdAt: '2024-02-29T00:00:00.000Z' },
      { ...base, createdAt: '2023-02-29T00:00:00.000Z' },
      { ...base, receivedAt: 1716781237123 },
      { ...base, extra: 'dropped' },
    ];

    for (const variant of variants) {
      // act
      const decoded = decodeRecord(aKinesisRecord(variant));
      const zod = streamEventSchema.safeParse(JSON.parse(JSON.stringify(variant)));

      // assess
      expect({ variant, ok: decoded.ok }).toEqual({ variant, ok: zod.success });
      if (decoded.ok && zod.success) expect(decoded.event).toEqual(zod.data);
    }
  });

  it('decodes a batch in order, poison records in place', () => {
    // prepare
    const records = [
      aKinesisRecord(aStreamEvent({ eventId: 'a' }), 1),
      aKinesisRecord('oops', 2),
      aKinesisRecord(aStreamEvent({ eventId: 'c' }), 3),
    ];

    // act
    const decoded = decodeRecords(records);

    // assess
    expect(decoded.map((d) => [d.seq, d.ok])).toEqual([
      [aSeq(1), true],
      [aSeq(2), false],
      [aSeq(3), true],
    ]);
  });
});

describe('sequence numbers', () => {
  it('compares by length first, then digit by digit', () => {
    expect(compareSeq('9', '10')).toBeLessThan(0);
    expect(
      compareSeq('49590338271490256608559692538361571095921575989136588898', '49590338271490256608559692538361571095921575989136588899'),
    ).toBeLessThan(0);
    expect(compareSeq('100', '99')).toBeGreaterThan(0);
    expect(compareSeq(aSeq(5), aSeq(5))).toBe(0);
  });

  it('compares 128-digit numbers exactly, beyond any float precision', () => {
    const a = `1${'0'.repeat(126)}1`;
    const b = `1${'0'.repeat(126)}2`;
    expect(compareSeq(a, b)).toBeLessThan(0);
    expect(compareSeq(b, a)).toBeGreaterThan(0);
  });

  it('pads to 128 digits so that string order is numeric order, and padded equals unpadded', () => {
    // prepare
    const seqs = ['10', '9', aSeq(2), aSeq(11), '0'];

    // act
    const padded = seqs.map(padSeq);

    // assess
    expect(padded.every((s) => s.length === SEQ_DIGITS)).toBe(true);
    expect([...padded].sort()).toEqual([...seqs].sort(compareSeq).map(padSeq));
    expect(compareSeq(padSeq('10'), '10')).toBe(0);
  });

  it('takes the larger of two, undefined being smallest', () => {
    expect(maxSeq(undefined, '5')).toBe('5');
    expect(maxSeq('12', '9')).toBe('12');
    expect(maxSeq(undefined, undefined)).toBeUndefined();
  });
});
