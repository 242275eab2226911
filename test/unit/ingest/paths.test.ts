import {
  documentSize,
  expandPathDocument,
  extractPathDocuments,
  PAGE_VIEW,
  pathEventId,
  pathSessionId,
} from '../../../lambdas/ingest/paths';
import { checkEvents } from '../../../lambdas/ingest/validate';
import { aPathDocument, SEED_DOCUMENT } from './factories';

const OPTIONS = { timeZone: 'Asia/Shanghai' } as const;

/** The events of an expansion, failing the test when the document was refused. */
function eventsOf(document: unknown, options: { timeZone: string; idKey?: Uint8Array } = OPTIONS) {
  return expandPathDocument(document, 0, options).map((element) => {
    if (element.event === undefined) throw new Error(`document refused: ${JSON.stringify(element.errors)}`);
    return element.event;
  });
}

describe('expandPathDocument: the path-analysis sample', () => {
  it('expands every element into a minimal page_view event, in the order posted', () => {
    // act
    const events = eventsOf(SEED_DOCUMENT);

    // assess
    expect(events.map(({ action, userId, path, createdAt }) => [action, userId, path, createdAt])).toEqual([
      [PAGE_VIEW, 'user493', '/blog', '2024-05-27T11:40:36.263222'],
      [PAGE_VIEW, 'user493', '/about', '2024-05-27T11:41:36.263222'],
      [PAGE_VIEW, 'user493', '/services', '2024-05-27T11:44:36.263222'],
      [PAGE_VIEW, 'user493', '/blog', '2024-05-27T11:52:36.263222'],
      [PAGE_VIEW, 'user493', '/about', '2024-05-27T11:44:36.263222'],
    ]);
    expect(Object.keys(events[0] ?? {}).sort()).toEqual(['action', 'createdAt', 'eventId', 'path', 'sessionId', 'step', 'userId']);
    for (const event of events.slice(1))
      expect(Object.keys(event).sort()).toEqual(['action', 'createdAt', 'eventId', 'path', 'prevPath', 'sessionId', 'step', 'userId']);
  });

  it('numbers the steps in ct order (ties in posted order) and names the page before each, as the Sankey sample reads', () => {
    // act
    const events = eventsOf(SEED_DOCUMENT);

    // assess: /blog (1) → /about (2) → /services (3) → /about (4) → /blog (5)
    expect(events.map(({ path, step, prevPath }) => [path, step, prevPath])).toEqual([
      ['/blog', 1, undefined],
      ['/about', 2, '/blog'],
      ['/services', 3, '/about'],
      ['/blog', 5, '/about'],
      ['/about', 4, '/services'],
    ]);
    // and every expanded event passes ingest's own validation of step and prevPath
    expect(
      checkEvents(
        events.map((input) => ({ input })),
        OPTIONS.timeZone,
      ).every(({ check }) => check.ok),
    ).toBe(true);
  });

  it('refuses a document with more elements than the step bound, naming el', () => {
    // prepare
    const document = {
      uvi: 'u1',
      el: Array.from({ length: 1001 }, (_, i) => ({ path: '/a', ct: `2024-05-27T11:40:${String(i % 60).padStart(2, '0')}` })),
    };

    // act
    const expanded = expandPathDocument(document, 0, OPTIONS);

    // assess
    expect(expanded[0]?.errors?.[0]).toEqual({
      field: 'el',
      reason: 'must contain at most 1000 elements (a step is at most 1000)',
      retryable: false,
    });
  });

  it('keeps an out-of-order ct where it was posted (ordering by ct is the consumers’ job)', () => {
    // act
    const checked = checkEvents(
      eventsOf(SEED_DOCUMENT).map((input) => ({ input })),
      OPTIONS.timeZone,
    );

    // assess
    const times = checked.map(({ check }) => (check.ok ? check.event.createdAt : 'rejected'));
    expect(times).toEqual([
      '2024-05-27T03:40:36.263Z',
      '2024-05-27T03:41:36.263Z',
      '2024-05-27T03:44:36.263Z',
      '2024-05-27T03:52:36.263Z',
      '2024-05-27T03:44:36.263Z',
    ]);
    expect((times[4] ?? '') < (times[3] ?? '')).toBe(true);
  });

  it('gives the two elements that tie on ct distinct eventIds and keeps both', () => {
    // act
    const events = eventsOf(SEED_DOCUMENT);

    // assess
    expect(events[2]?.createdAt).toBe(events[4]?.createdAt);
    expect(events[2]?.eventId).not.toBe(events[4]?.eventId);
    expect(new Set(events.map((event) => event.eventId)).size).toBe(5);
  });

  it('puts every element in one session identified by uvi and the first ct as posted', () => {
    // act
    const events = eventsOf(SEED_DOCUMENT);

    // assess
    const sessionId = pathSessionId('user493', '2024-05-27T11:40:36.263222');
    expect(new Set(events.map((event) => event.sessionId))).toEqual(new Set([sessionId]));
    expect(sessionId).toMatch(/^s_[0-9a-f]{32}$/);
    expect(events.map((event) => event.eventId)).toEqual(
      [0, 1, 2, 3, 4].map((i) => pathEventId('user493', '2024-05-27T11:40:36.263222', i)),
    );
    expect(events[0]?.eventId).toMatch(/^pv_[0-9a-f]{32}$/);
  });

  it('yields identical events when the same document is posted again', () => {
    expect(eventsOf(aPathDocument())).toEqual(eventsOf(aPathDocument()));
  });

  it('passes its own validation: every expanded event is a valid v1 event', () => {
    // act
    const checked = checkEvents(
      eventsOf(SEED_DOCUMENT).map((input) => ({ input })),
      OPTIONS.timeZone,
    );

    // assess
    expect(checked.every(({ check }) => check.ok)).toBe(true);
  });
});

describe('expandPathDocument: identity', () => {
  it('takes the first ct as posted, not the earliest', () => {
    // prepare: the earliest ct is the last element
    const document = {
      uvi: 'u1',
      el: [
        { path: '/b', ct: '2024-05-27T12:00:00' },
        { path: '/a', ct: '2024-05-27T11:00:00' },
      ],
    };

    // act
    const events = eventsOf(document);

    // assess
    expect(events[0]?.sessionId).toBe(pathSessionId('u1', '2024-05-27T12:00:00'));
  });

  it('gives another document another session: other visitor, other first ct, or other order', () => {
    // prepare
    const reordered = { uvi: 'user493', el: [...SEED_DOCUMENT.el].reverse() };

    // act
    const sessions = [
      eventsOf(SEED_DOCUMENT)[0]?.sessionId,
      eventsOf({ ...SEED_DOCUMENT, uvi: 'user494' })[0]?.sessionId,
      eventsOf({ uvi: 'user493', el: [{ path: '/blog', ct: '2024-05-27T11:40:36.263223' }] })[0]?.sessionId,
      eventsOf(reordered)[0]?.sessionId,
    ];

    // assess
    expect(new Set(sessions).size).toBe(4);
  });

  it('derives keyed ids when given a key: stable per key, unlike the unkeyed ones', () => {
    // prepare
    const key = Buffer.from('k'.repeat(32));

    // act
    const keyed = eventsOf(SEED_DOCUMENT, { ...OPTIONS, idKey: key });
    const again = eventsOf(SEED_DOCUMENT, { ...OPTIONS, idKey: Buffer.from('k'.repeat(32)) });
    const otherKey = eventsOf(SEED_DOCUMENT, { ...OPTIONS, idKey: Buffer.from('j'.repeat(32)) });
    const unkeyed = eventsOf(SEED_DOCUMENT);

    // assess
    expect(keyed).toEqual(again);
    expect(keyed[0]?.eventId).not.toBe(unkeyed[0]?.eventId);
    expect(keyed[0]?.sessionId).not.toBe(otherKey[0]?.sessionId);
  });
});

describe('expandPathDocument: invalid documents are refused whole', () => {
  /** Breaks a copy of the path-analysis sample document. */
  const broken = (change: (document: Record<string, unknown> & { el: unknown[] }) => void) => {
    const document = aPathDocument() as Record<string, unknown> & { el: unknown[] };
    change(document);
    return document;
  };

  it.each([
    ['uvi missing', broken((d) => delete d.uvi), 'uvi', 'is required'],
    ['uvi empty', broken((d) => (d.uvi = '')), 'uvi', 'must not be empty'],
    ['uvi over 64 characters', broken((d) => (d.uvi = 'u'.repeat(65))), 'uvi', 'must be at most 64 characters'],
    ['uvi a number', broken((d) => (d.uvi = 493)), 'uvi', 'must be a string'],
    [
      'el[3].ct not a time',
      broken((d) => ((d.el[3] as Record<string, unknown>).ct = '27/05/2024 11:52')),
      'el[3].ct',
      'must be an ISO 8601 date and time',
    ],
    ['el[3].ct missing', broken((d) => delete (d.el[3] as Record<string, unknown>).ct), 'el[3].ct', 'is required'],
    ['el[2].path empty', broken((d) => ((d.el[2] as Record<string, unknown>).path = '')), 'el[2].path', 'must not be empty'],
    [
      'el[2].path over 1024 characters',
      broken((d) => ((d.el[2] as Record<string, unknown>).path = `/${'p'.repeat(1024)}`)),
      'el[2].path',
      'must be at most 1024 characters',
    ],
    ['an unknown key in an element', broken((d) => ((d.el[1] as Record<string, unknown>).title = 'About')), 'el[1].title', 'unknown field'],
    ['an unknown key in the document', broken((d) => (d.ua = 'Mozilla')), 'ua', 'unknown field'],
    ['an element that is no object', broken((d) => (d.el[4] = '/about')), 'el[4]', 'must be an object'],
  ])('%s → every element rejected on %s', (_, document, field, reason) => {
    // act
    const expanded = expandPathDocument(document, 2, OPTIONS);

    // assess
    expect(expanded).toHaveLength(5);
    for (const [element, result] of expanded.entries()) {
      expect(result.event).toBeUndefined();
      expect(result.document).toBe(2);
      expect(result.element).toBe(element);
      expect(result.errors?.[0]).toEqual({ field, reason: expect.stringContaining(reason), retryable: false });
    }
  });

  it('still names the elements of a refused document by their usual eventIds', () => {
    // prepare
    const document = broken((d) => ((d.el[3] as Record<string, unknown>).ct = 'later'));

    // act
    const expanded = expandPathDocument(document, 0, OPTIONS);

    // assess
    expect(expanded.map((element) => element.eventId)).toEqual(eventsOf(SEED_DOCUMENT).map((event) => event.eventId));
  });

  it.each([
    ['el missing', { uvi: 'u1' }, 'el', 'is required'],
    ['el empty', { uvi: 'u1', el: [] }, 'el', 'must contain at least 1 element'],
    ['el no array', { uvi: 'u1', el: { path: '/a', ct: '2024-05-27T11:40:36' } }, 'el', 'must be an array'],
    ['the document no object', ['user493'], '', 'must be a JSON object'],
  ])('%s → one rejected result with eventId null', (_, document, field, reason) => {
    // act
    const expanded = expandPathDocument(document, 0, OPTIONS);

    // assess
    expect(expanded).toEqual([{ document: 0, eventId: null, errors: [{ field, reason, retryable: false }] }]);
  });

  it('reports every problem of a document', () => {
    // prepare
    const document = { uvi: '', el: [{ path: '', ct: 'soon' }] };

    // act
    const [result] = expandPathDocument(document, 0, OPTIONS);

    // assess
    expect(result?.errors?.map((error) => error.field)).toEqual(['uvi', 'el[0].path']);
  });
});

describe('extractPathDocuments', () => {
  it('takes one document as a list of one', () => {
    expect(extractPathDocuments(SEED_DOCUMENT, 500)).toEqual({ ok: true, documents: [SEED_DOCUMENT] });
  });

  it('takes a list of documents', () => {
    expect(extractPathDocuments({ documents: [SEED_DOCUMENT, SEED_DOCUMENT] }, 500)).toEqual({
      ok: true,
      documents: [SEED_DOCUMENT, SEED_DOCUMENT],
    });
  });

  it('counts elements, not documents, against the limit', () => {
    expect(extractPathDocuments({ documents: [SEED_DOCUMENT, SEED_DOCUMENT] }, 10).ok).toBe(true);
    expect(extractPathDocuments({ documents: [SEED_DOCUMENT, SEED_DOCUMENT, SEED_DOCUMENT] }, 10)).toEqual({
      ok: false,
      error: { field: 'documents', reason: 'at most 10 path elements per request, got 15' },
    });
    expect(extractPathDocuments(SEED_DOCUMENT, 4)).toEqual({
      ok: false,
      error: { field: 'el', reason: 'at most 4 path elements per request, got 5' },
    });
  });

  it('counts a document without elements as one', () => {
    expect([documentSize({ uvi: 'u' }), documentSize({ el: [] }), documentSize('x'), documentSize(SEED_DOCUMENT)]).toEqual([1, 1, 1, 5]);
  });

  it.each([
    ['an empty list', { documents: [] }, { field: 'documents', reason: 'must contain at least 1 document' }],
    ['documents that is no array', { documents: SEED_DOCUMENT }, { field: 'documents', reason: 'must be an array of path documents' }],
    ['a key next to documents', { documents: [SEED_DOCUMENT], site: 'x' }, { field: 'site', reason: 'unknown field next to documents' }],
    ['a top-level array', [SEED_DOCUMENT], { field: 'body', reason: 'must be a JSON object: {"documents":[…]} or a single path document' }],
  ])('refuses %s', (_, body, error) => {
    expect(extractPathDocuments(body, 500)).toEqual({ ok: false, error });
  });
});
