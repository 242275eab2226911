import { checkEvent, checkEvents, DUPLICATE_REASON, eventIdOf, extractEvents, formatFieldPath } from '../../../lambdas/ingest/validate';
import { anEvent, someEvents } from './factories';

const TZ = 'Asia/Shanghai';

/** The errors of checking `input`, or a failure when it passed. */
function errorsOf(input: unknown) {
  const check = checkEvent(input, TZ);
  if (check.ok) throw new Error(`expected a rejection, got ${JSON.stringify(check.event)}`);
  return check.errors;
}

describe('checkEvent: a valid event', () => {
  it('accepts the minimal event and normalises createdAt to UTC', () => {
    // prepare
    const input = anEvent({ createdAt: '2024-05-27T11:40:36.263222' });

    // act
    const check = checkEvent(input, TZ);

    // assess
    expect(check).toEqual({
      ok: true,
      event: { eventId: 'e1', action: 'page_view', userId: 'user-1', createdAt: '2024-05-27T03:40:36.263Z' },
    });
  });

  it('accepts every optional field at its limit', () => {
    // prepare
    const input = anEvent({
      sessionId: 's'.repeat(64),
      objectId: 'o'.repeat(64),
      bizId: 'b'.repeat(64),
      path: `/${'p'.repeat(1023)}`,
      errorMsg: 'x'.repeat(1024),
      props: { province: 'Zhejiang', amount: 12.5, paid: true, coupon: null, [`k${'x'.repeat(127)}`]: 's'.repeat(1024) },
    });

    // act
    const check = checkEvent(input, TZ);

    // assess
    expect(check.ok).toBe(true);
  });

  it('accepts an empty errorMsg and props with exactly 100 keys', () => {
    // prepare
    const props = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`k${i}`, i]));

    // act
    const check = checkEvent(anEvent({ errorMsg: '', props }), TZ);

    // assess
    expect(check.ok).toBe(true);
  });
});

describe('checkEvent: required fields', () => {
  const limits: [string, number][] = [
    ['eventId', 64],
    ['action', 256],
    ['userId', 64],
  ];

  it.each(['eventId', 'action', 'userId', 'createdAt'])('%s missing → "is required"', (field) => {
    expect(errorsOf(anEvent({ [field]: undefined }))).toEqual([{ field, reason: 'is required', retryable: false }]);
  });

  it.each(['eventId', 'action', 'userId', 'createdAt'])('%s empty → "must not be empty"', (field) => {
    expect(errorsOf(anEvent({ [field]: '' }))).toEqual([{ field, reason: 'must not be empty', retryable: false }]);
  });

  it.each(['eventId', 'action', 'userId', 'createdAt'])('%s not a string → "must be a string"', (field) => {
    expect(errorsOf(anEvent({ [field]: 42 }))).toEqual([{ field, reason: 'must be a string', retryable: false }]);
  });

  it.each(['eventId', 'action', 'userId', 'createdAt'])('%s null → "must be a string"', (field) => {
    expect(errorsOf(anEvent({ [field]: null }))).toEqual([{ field, reason: 'must be a string', retryable: false }]);
  });

  it.each(limits)('%s at its limit of %i characters is accepted, one more is not', (field, max) => {
    expect(checkEvent(anEvent({ [field]: 'a'.repeat(max) }), TZ).ok).toBe(true);
    expect(errorsOf(anEvent({ [field]: 'a'.repeat(max + 1) }))).toEqual([
      { field, reason: `must be at most ${max} characters`, retryable: false },
    ]);
  });

  it('rejects a userId of 65 characters with the documented reason', () => {
    expect(errorsOf(anEvent({ userId: 'u'.repeat(65) }))[0]).toEqual({
      field: 'userId',
      reason: 'must be at most 64 characters',
      retryable: false,
    });
  });

  it('rejects a createdAt longer than 64 characters before parsing it', () => {
    expect(errorsOf(anEvent({ createdAt: `2024-05-27T11:40:36.${'1'.repeat(60)}` }))).toEqual([
      { field: 'createdAt', reason: 'must be at most 64 characters', retryable: false },
    ]);
  });

  it.each(['yesterday', '2024-05-27', '2024-13-01T00:00:00', '2024-02-30T10:00:00', '2024-05-27T24:00:00', '1716781236'])(
    'createdAt %j that is no instant → rejected on createdAt',
    (createdAt) => {
      const [error] = errorsOf(anEvent({ createdAt }));
      expect(error).toEqual({ field: 'createdAt', reason: expect.any(String), retryable: false });
    },
  );
});

describe('checkEvent: optional fields', () => {
  it.each([
    ['sessionId', 64],
    ['objectId', 64],
    ['bizId', 64],
    ['path', 1024],
    ['errorMsg', 1024],
  ] as const)('%s longer than %i characters → rejected', (field, max) => {
    expect(checkEvent(anEvent({ [field]: 'a'.repeat(max) }), TZ).ok).toBe(true);
    expect(errorsOf(anEvent({ [field]: 'a'.repeat(max + 1) }))).toEqual([
      { field, reason: `must be at most ${max} characters`, retryable: false },
    ]);
  });

  it.each(['sessionId', 'objectId', 'bizId', 'path'])('%s empty → "must not be empty"', (field) => {
    expect(errorsOf(anEvent({ [field]: '' }))).toEqual([{ field, reason: 'must not be empty', retryable: false }]);
  });

  it.each(['sessionId', 'objectId', 'bizId', 'path', 'errorMsg'])('%s not a string → "must be a string"', (field) => {
    expect(errorsOf(anEvent({ [field]: 7 }))).toEqual([{ field, reason: 'must be a string', retryable: false }]);
  });
});

describe('checkEvent: props', () => {
  it.each([
    ['a nested object', { amount: { value: 1 } }, 'props.amount', 'must be a string, number, boolean or null'],
    ['an array', { tags: ['a', 'b'] }, 'props.tags', 'must be a string, number, boolean or null'],
    ['a non-finite number', { amount: Number.POSITIVE_INFINITY }, 'props.amount', 'must be a finite number'],
    ['NaN', { amount: Number.NaN }, 'props.amount', 'must be a finite number'],
    ['a string over 1024 characters', { note: 'n'.repeat(1025) }, 'props.note', 'must be at most 1024 characters'],
    ['a key over 128 characters', { ['k'.repeat(129)]: 1 }, `props.${'k'.repeat(129)}`, 'keys must be at most 128 characters'],
    ['an empty key', { '': 1 }, 'props[""]', 'keys must not be empty'],
    ['a key that is no identifier', { 'a b': { x: 1 } }, 'props["a b"]', 'must be a string, number, boolean or null'],
  ])('props with %s → rejected on the prop', (_, props, field, reason) => {
    expect(errorsOf(anEvent({ props }))).toEqual([{ field, reason, retryable: false }]);
  });

  it('rejects a "__proto__" key, which JSON.parse keeps but a record copy would silently drop', () => {
    // prepare
    const input = JSON.parse(
      '{"eventId":"e1","action":"a","userId":"u","createdAt":"2024-05-27T11:00:00Z","props":{"__proto__":{"polluted":1},"ok":1}}',
    ) as unknown;

    // act
    const errors = errorsOf(input);

    // assess
    expect(errors).toEqual([{ field: 'props.__proto__', reason: 'keys must not be "__proto__"', retryable: false }]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('rejects more than 100 keys on props itself', () => {
    // prepare
    const props = Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`k${i}`, i]));

    // act
    const errors = errorsOf(anEvent({ props }));

    // assess
    expect(errors).toEqual([{ field: 'props', reason: 'must have at most 100 keys', retryable: false }]);
  });

  it.each([
    ['an array', [1]],
    ['null', null],
    ['a string', 'a=1'],
  ])('props that is %s → "must be an object"', (_, props) => {
    expect(errorsOf(anEvent({ props }))).toEqual([{ field: 'props', reason: 'must be an object', retryable: false }]);
  });
});

describe('checkEvent: shape', () => {
  it('rejects an unknown top-level field by its name', () => {
    expect(errorsOf(anEvent({ user_id: 'u1' }))).toEqual([{ field: 'user_id', reason: 'unknown field', retryable: false }]);
  });

  it('reports each unknown field once', () => {
    expect(errorsOf(anEvent({ extra: 1, other: 2 })).map((error) => error.field)).toEqual(['extra', 'other']);
  });

  it.each([
    ['null', null],
    ['an array', [anEvent()]],
    ['a string', 'e1'],
    ['a number', 1],
  ])('an event that is %s → rejected on the root', (_, input) => {
    expect(errorsOf(input)).toEqual([{ field: '', reason: 'must be a JSON object', retryable: false }]);
  });

  it('reports every problem, in field order, unknown fields last', () => {
    // prepare
    const input = { surprise: true, createdAt: 'not a time', userId: '', action: 'a'.repeat(257), props: { x: [] } };

    // act
    const errors = errorsOf(input);

    // assess
    expect(errors.map((error) => [error.field, error.reason])).toEqual([
      ['eventId', 'is required'],
      ['action', 'must be at most 256 characters'],
      ['userId', 'must not be empty'],
      ['createdAt', expect.stringContaining('ISO 8601')],
      ['props.x', 'must be a string, number, boolean or null'],
      ['surprise', 'unknown field'],
    ]);
  });
});

describe('checkEvents', () => {
  it('rejects the second event with an eventId already accepted in the request', () => {
    // prepare
    const events = [anEvent({ eventId: 'dup' }), anEvent({ eventId: 'other' }), anEvent({ eventId: 'dup', userId: 'someone-else' })];

    // act
    const checked = checkEvents(
      events.map((input) => ({ input })),
      TZ,
    );

    // assess
    expect(checked.map(({ index, eventId, check }) => [index, eventId, check.ok])).toEqual([
      [0, 'dup', true],
      [1, 'other', true],
      [2, 'dup', false],
    ]);
    expect(checked[2]?.check).toEqual({ ok: false, errors: [{ field: 'eventId', reason: DUPLICATE_REASON, retryable: false }] });
  });

  it('lets a valid event through when an earlier one with its eventId was invalid', () => {
    // prepare
    const events = [anEvent({ eventId: 'dup', userId: '' }), anEvent({ eventId: 'dup' })];

    // act
    const checked = checkEvents(
      events.map((input) => ({ input })),
      TZ,
    );

    // assess
    expect(checked.map(({ check }) => check.ok)).toEqual([false, true]);
  });

  it('reports eventId null for events without a string eventId, keeping their index', () => {
    // prepare
    const events = [anEvent({ eventId: undefined }), anEvent({ eventId: 9 }), 'nonsense'];

    // act
    const checked = checkEvents(
      events.map((input) => ({ input })),
      TZ,
    );

    // assess
    expect(checked.map(({ index, eventId }) => [index, eventId])).toEqual([
      [0, null],
      [1, null],
      [2, null],
    ]);
  });

  it('passes events refused upstream through as they are', () => {
    // prepare
    const refused = { eventId: 'pv_1', errors: [{ field: 'uvi', reason: 'is required', retryable: false }] };

    // act
    const [checked] = checkEvents([refused], TZ);

    // assess
    expect(checked).toEqual({ index: 0, eventId: 'pv_1', check: { ok: false, errors: refused.errors } });
  });
});

describe('extractEvents', () => {
  it('takes the events of a batch', () => {
    expect(extractEvents({ events: someEvents(3) }, 500)).toEqual({ ok: true, events: someEvents(3) });
  });

  it('takes a single event object as a batch of one', () => {
    expect(extractEvents(anEvent(), 500)).toEqual({ ok: true, events: [anEvent()] });
  });

  it('takes exactly the maximum', () => {
    expect(extractEvents({ events: someEvents(500) }, 500).ok).toBe(true);
  });

  it.each([
    ['an empty batch', { events: [] }, { field: 'events', reason: 'must contain at least 1 event' }],
    ['one event too many', { events: someEvents(501) }, { field: 'events', reason: 'at most 500 events per request, got 501' }],
    ['events that is no array', { events: anEvent() }, { field: 'events', reason: 'must be an array of events' }],
    ['a field next to events', { events: someEvents(1), source: 'web' }, { field: 'source', reason: 'unknown field next to events' }],
    ['a top-level array', someEvents(2), { field: 'body', reason: 'must be a JSON object: {"events":[…]} or a single event' }],
    ['a string', 'hello', { field: 'body', reason: 'must be a JSON object: {"events":[…]} or a single event' }],
    ['null', null, { field: 'body', reason: 'must be a JSON object: {"events":[…]} or a single event' }],
  ])('refuses %s', (_, body, error) => {
    expect(extractEvents(body, 500)).toEqual({ ok: false, error });
  });
});

describe('formatFieldPath and eventIdOf', () => {
  it.each([
    [[], ''],
    [['userId'], 'userId'],
    [['props', 'amount'], 'props.amount'],
    [['el', 3, 'ct'], 'el[3].ct'],
    [['props', 'a.b'], 'props["a.b"]'],
  ])('%j → %j', (path, expected) => {
    expect(formatFieldPath(path)).toBe(expected);
  });

  it('gives the eventId only when it is a string', () => {
    expect([eventIdOf(anEvent()), eventIdOf(anEvent({ eventId: 1 })), eventIdOf(null), eventIdOf([])]).toEqual(['e1', null, null, null]);
  });
});

describe('checkEvent: step and prevPath', () => {
  it('accepts a first page view with step 1 and a later one with its previous page, each at its limit', () => {
    // act
    const first = checkEvent(anEvent({ path: '/home', step: 1 }), TZ);
    const later = checkEvent(anEvent({ path: '/blog', step: 1000, prevPath: `/${'p'.repeat(1023)}` }), TZ);

    // assess
    expect(first.ok && first.event.step).toBe(1);
    expect(later.ok && later.event.prevPath).toBe(`/${'p'.repeat(1023)}`);
  });

  it.each([
    [{ path: '/a', step: 0 }, 'step', 'must be at least 1 (the first page view of a session)'],
    [{ path: '/a', step: 1001, prevPath: '/b' }, 'step', 'must be at most 1000'],
    [{ path: '/a', step: 2.5, prevPath: '/b' }, 'step', 'must be an integer'],
    [{ path: '/a', step: '2', prevPath: '/b' }, 'step', 'must be a number'],
    [{ step: 1 }, 'step', 'is only allowed with path (a page view)'],
    [{ path: '/a', prevPath: '/b' }, 'prevPath', 'is only allowed with step (the previous page of that step)'],
    [{ path: '/a', step: 1, prevPath: '/b' }, 'prevPath', 'must be absent at step 1 (the first page view has no previous page)'],
    [{ path: '/a', step: 3 }, 'prevPath', 'is required when step is above 1 (the page viewed at step - 1)'],
    [{ path: '/a', step: 2, prevPath: '' }, 'prevPath', 'must not be empty'],
    [{ path: '/a', step: 2, prevPath: 'p'.repeat(1025) }, 'prevPath', 'must be at most 1024 characters'],
  ])('rejects %j naming %s', (fields, field, reason) => {
    // act
    const errors = errorsOf(anEvent(fields));

    // assess
    expect(errors).toEqual([{ field, reason, retryable: false }]);
  });
});
