import { normalizeCreatedAt, toStreamEvent } from '../../../lambdas/ingest/normalize';
import { expandPathDocument } from '../../../lambdas/ingest/paths';
import type { PathsConfig } from '../../../lambdas/analytics/config';
import {
  applyEvents,
  edgesOf,
  emptySessionState,
  readSessionState,
  stateSizeBytes,
  type EdgeDelta,
  type PathDelta,
  type SessionState,
} from '../../../lambdas/analytics/paths';
import type { StreamEvent } from '../../../lambdas/shared/event';
import { aPageView, plusMs } from './factories';

const TZ = 'Asia/Shanghai';
const CONFIG: PathsConfig = { timeZone: TZ, sessionGapSeconds: 1800, maxSessionEvents: 200, maxClosedSessions: 10_000 };
const MIN = 60_000;

/** The path-analysis sample document, as the path-analysis system writes it (ct in Shanghai wall-clock time, out of order at the end). */
const SEED_DOCUMENT = {
  uvi: 'user493',
  el: [
    { path: '/blog', ct: '2024-05-27T11:40:36.263222' },
    { path: '/about', ct: '2024-05-27T11:41:36.263222' },
    { path: '/services', ct: '2024-05-27T11:44:36.263222' },
    { path: '/blog', ct: '2024-05-27T11:52:36.263222' },
    { path: '/about', ct: '2024-05-27T11:44:36.263222' },
  ],
};

/** The stream events ingest makes of a path document posted at `receivedAt`, in document order. */
function ingestDocument(document: unknown, receivedAt: string): StreamEvent[] {
  return expandPathDocument(document, 0, { timeZone: TZ }).map(({ event }) => {
    if (event === undefined) throw new Error('the document must be valid');
    const createdAt = normalizeCreatedAt(event.createdAt, TZ);
    if (!createdAt.ok) throw new Error(createdAt.reason);
    return toStreamEvent({ ...event, createdAt: createdAt.value }, new Date(receivedAt));
  });
}

const byEdge = (a: EdgeDelta, b: EdgeDelta): number => `${a.day}|${a.source}|${a.target}`.localeCompare(`${b.day}|${b.source}|${b.target}`);
const byPath = (a: PathDelta, b: PathDelta): number => `${a.day}|${a.fullPath}`.localeCompare(`${b.day}|${b.fullPath}`);

/** Applies batches in turn; returns the last state and every delta, summed per key (zeros dropped). */
function applyAll(batches: readonly (readonly StreamEvent[])[], config: PathsConfig = CONFIG, start: SessionState = emptySessionState()) {
  let state = start;
  const edges = new Map<string, EdgeDelta>();
  const paths = new Map<string, PathDelta>();
  for (const batch of batches) {
    const result = applyEvents(state, batch, 0, config);
    state = result.state;
    for (const d of result.edgeDeltas) {
      const key = `${d.day}|${d.source}|${d.target}`;
      edges.set(key, { ...d, delta: (edges.get(key)?.delta ?? 0) + d.delta });
    }
    for (const d of result.pathDeltas) {
      const key = `${d.day}|${d.fullPath}`;
      paths.set(key, { ...d, delta: (paths.get(key)?.delta ?? 0) + d.delta });
    }
  }
  return {
    state,
    edges: [...edges.values()].filter((d) => d.delta !== 0).sort(byEdge),
    paths: [...paths.values()].filter((d) => d.delta !== 0).sort(byPath),
  };
}

describe('applyEvents: the path-analysis sample', () => {
  it('orders the document by ct, ties in arrival order, and gives exactly the step-indexed edges that order implies', () => {
    // prepare: /services and the second /about tie at 11:44:36.263; /services arrived first
    const events = ingestDocument(SEED_DOCUMENT, '2024-05-27T03:53:00.000Z');

    // act
    const result = applyEvents(emptySessionState(), events, 0, CONFIG);

    // assess
    expect(result.edgeDeltas).toEqual([
      { day: '2024-05-27', source: '/blog (1)', target: '/about (2)', delta: 1 },
      { day: '2024-05-27', source: '/about (2)', target: '/services (3)', delta: 1 },
      { day: '2024-05-27', source: '/services (3)', target: '/about (4)', delta: 1 },
      { day: '2024-05-27', source: '/about (4)', target: '/blog (5)', delta: 1 },
    ]);
    expect(result.pathDeltas).toEqual([{ day: '2024-05-27', fullPath: '/blog -> /about -> /services -> /about -> /blog', delta: 1 }]);
    expect(result.stats).toMatchObject({ accepted: 5, duplicates: 0, droppedClosed: 0 });
  });

  it('adds nothing when the same document is posted again while its session is open (same eventIds, new records)', () => {
    // prepare
    const first = ingestDocument(SEED_DOCUMENT, '2024-05-27T03:53:00.000Z');
    const again = ingestDocument(SEED_DOCUMENT, '2024-05-27T03:53:05.000Z');
    const afterFirst = applyEvents(emptySessionState(), first, 0, CONFIG);

    // act
    const second = applyEvents(afterFirst.state, again, 0, CONFIG);

    // assess
    expect(second.edgeDeltas).toEqual([]);
    expect(second.pathDeltas).toEqual([]);
    expect(second.stats).toMatchObject({ accepted: 0, duplicates: 5 });
  });

  it('adds nothing when the same document is posted again after its session closed', () => {
    // prepare: the document, then an hour of other traffic closes its session
    const first = ingestDocument(SEED_DOCUMENT, '2024-05-27T03:53:00.000Z');
    const later = aPageView('other', '/home', '2024-05-27T05:00:00.000Z', { userId: 'someone-else' });
    const again = ingestDocument(SEED_DOCUMENT, '2024-05-27T05:00:05.000Z');
    const { state } = applyAll([first, [later]]);

    // act
    const second = applyEvents(state, again, 0, CONFIG);

    // assess
    expect(Object.keys(state.open)).toEqual(['u:someone-else']);
    expect(second.edgeDeltas).toEqual([]);
    expect(second.pathDeltas).toEqual([]);
    expect(second.stats).toMatchObject({ accepted: 0, droppedClosed: 5 });
  });

  it('keeps a backfilled document whole: sessions close by processing time, not by how old their events are', () => {
    // prepare: the live clock is a year later; the document's elements come in three batches
    const live = aPageView('live', '/home', '2025-06-01T00:00:00.000Z', { userId: 'live-user' });
    const events = ingestDocument(SEED_DOCUMENT, '2025-06-01T00:00:01.000Z');

    // act
    const { paths } = applyAll([[live], events.slice(0, 2), events.slice(2, 3), events.slice(3)]);

    // assess
    expect(paths).toContainEqual({ day: '2024-05-27', fullPath: '/blog -> /about -> /services -> /about -> /blog', delta: 1 });
    expect(paths).toHaveLength(2);
  });
});

describe('applyEvents: corrections and sessions', () => {
  const T0 = '2024-05-27T02:00:00.000Z';

  it('corrects the counts when an out-of-order event lands mid-session: −1 old edge and path, +1 new', () => {
    // prepare: /a then /c, later /b whose event time is between them
    const a = aPageView('a', '/a', T0, { sessionId: 's1' });
    const c = aPageView('c', '/c', plusMs(T0, 2 * MIN), { sessionId: 's1' });
    const b = aPageView('b', '/b', plusMs(T0, MIN), { sessionId: 's1', receivedAt: plusMs(T0, 3 * MIN) });
    const { state } = applyEvents(emptySessionState(), [a, c], 0, CONFIG);

    // act
    const result = applyEvents(state, [b], 0, CONFIG);

    // assess
    expect([...result.edgeDeltas].sort(byEdge)).toEqual([
      { day: '2024-05-27', source: '/a (1)', target: '/b (2)', delta: 1 },
      { day: '2024-05-27', source: '/a (1)', target: '/c (2)', delta: -1 },
      { day: '2024-05-27', source: '/b (2)', target: '/c (3)', delta: 1 },
    ]);
    expect([...result.pathDeltas].sort(byPath)).toEqual([
      { day: '2024-05-27', fullPath: '/a -> /b -> /c', delta: 1 },
      { day: '2024-05-27', fullPath: '/a -> /c', delta: -1 },
    ]);
  });

  it('starts a new session for a sessionId idle for the gap in processing time', () => {
    const events = [aPageView('1', '/a', T0, { sessionId: 's' }), aPageView('2', '/b', plusMs(T0, 45 * MIN), { sessionId: 's' })];
    const result = applyEvents(emptySessionState(), events, 0, CONFIG);
    expect(result.pathDeltas.map((p) => p.fullPath)).toEqual(['/a', '/b']);
    expect(result.stats.closedSessions).toBe(1);
  });

  it('splits a user without sessionId into sessions at 30 minutes of inactivity (event time)', () => {
    // prepare
    const events = [
      aPageView('1', '/a', T0),
      aPageView('2', '/b', plusMs(T0, 10 * MIN)),
      aPageView('3', '/c', plusMs(T0, 41 * MIN)),
      aPageView('4', '/d', plusMs(T0, 50 * MIN)),
    ];

    // act
    const result = applyEvents(emptySessionState(), events, 0, CONFIG);

    // assess
    expect(result.pathDeltas.map((p) => [p.fullPath, p.delta])).toEqual([
      ['/a -> /b', 1],
      ['/c -> /d', 1],
    ]);
    expect(result.edgeDeltas.map((e) => `${e.source} → ${e.target}`)).toEqual(['/a (1) → /b (2)', '/c (1) → /d (2)']);
  });

  it('does not split a session with a sessionId at event-time gaps (both events received together)', () => {
    const receivedAt = plusMs(T0, 46 * MIN);
    const events = [
      aPageView('1', '/a', T0, { sessionId: 's', receivedAt }),
      aPageView('2', '/b', plusMs(T0, 45 * MIN), { sessionId: 's', receivedAt }),
    ];
    expect(applyEvents(emptySessionState(), events, 0, CONFIG).pathDeltas.map((p) => p.fullPath)).toEqual(['/a -> /b']);
  });

  it('merges two open sessions of a user when a late event fills the gap between them', () => {
    // prepare: /a at 0 and /c at 40 min (received together) are two sessions; /b at 20 min arrives last
    const receivedAt = plusMs(T0, 40 * MIN + 1000);
    const { state } = applyEvents(
      emptySessionState(),
      [aPageView('1', '/a', T0, { receivedAt }), aPageView('3', '/c', plusMs(T0, 40 * MIN), { receivedAt })],
      0,
      CONFIG,
    );

    // act
    const result = applyEvents(state, [aPageView('2', '/b', plusMs(T0, 20 * MIN), { receivedAt: plusMs(T0, 40 * MIN + 2000) })], 0, CONFIG);

    // assess
    expect([...result.pathDeltas].sort(byPath).map((p) => [p.fullPath, p.delta])).toEqual([
      ['/a', -1],
      ['/a -> /b -> /c', 1],
      ['/c', -1],
    ]);
  });

  it('counts a session on the day of its first event in the paths time zone', () => {
    // prepare: 23:50 and 00:10 Shanghai time
    const events = [
      aPageView('1', '/late', '2024-05-27T15:50:00.000Z', { sessionId: 'n' }),
      aPageView('2', '/night', '2024-05-27T16:10:00.000Z', { sessionId: 'n' }),
    ];

    // act
    const result = applyEvents(emptySessionState(), events, 0, CONFIG);

    // assess
    expect(result.pathDeltas).toEqual([{ day: '2024-05-27', fullPath: '/late -> /night', delta: 1 }]);
  });

  it('closes idle sessions (their counts stay), remembers them, and drops their stragglers', () => {
    // prepare
    const session = [aPageView('1', '/a', T0, { sessionId: 'x' }), aPageView('2', '/b', plusMs(T0, MIN), { sessionId: 'x' })];
    const muchLater = aPageView('z', '/home', plusMs(T0, 45 * MIN), { userId: 'other' });
    const straggler = aPageView('3', '/c', plusMs(T0, 2 * MIN), { sessionId: 'x', receivedAt: plusMs(T0, 46 * MIN) });

    // act
    const first = applyEvents(emptySessionState(), session, 0, CONFIG);
    const closing = applyEvents(first.state, [muchLater], 0, CONFIG);
    const late = applyEvents(closing.state, [straggler], 0, CONFIG);

    // assess
    expect(closing.stats.closedSessions).toBe(1);
    expect(closing.pathDeltas).toEqual([{ day: '2024-05-27', fullPath: '/home', delta: 1 }]);
    expect(Object.keys(closing.state.open)).toEqual(['u:other']);
    expect(closing.state.closed).toHaveLength(1);
    expect(late.stats.droppedClosed).toBe(1);
    expect(late.pathDeltas).toEqual([]);
  });

  it('closes sessions on a quiet shard when the caller moves the clock (nowMs)', () => {
    const { state } = applyEvents(emptySessionState(), [aPageView('1', '/a', T0)], 0, CONFIG);
    const result = applyEvents(state, [], Date.parse(T0) + 31 * MIN + 1000, CONFIG);
    expect(result.state.open).toEqual({});
    expect(result.stats.closedSessions).toBe(1);
  });

  it('gives the same deltas and state however the records are split into batches', () => {
    // prepare: three users, some late events, a closing gap in the middle
    const events: StreamEvent[] = [];
    for (let i = 0; i < 60; i++) {
      const minute = i < 30 ? i : i + 40;
      const receivedAt = plusMs(T0, minute * MIN + 1000);
      const createdAt = i % 7 === 3 ? plusMs(T0, (minute - 3) * MIN) : plusMs(T0, minute * MIN);
      events.push(aPageView(`e${i}`, `/p${i % 5}`, createdAt, { userId: `u${i % 3}`, receivedAt }));
    }
    events.push({ ...(events[5] as StreamEvent), receivedAt: plusMs(T0, 200 * MIN) });

    // act
    const whole = applyAll([events]);
    const oneByOne = applyAll(events.map((e) => [e]));
    const uneven = applyAll([events.slice(0, 7), events.slice(7, 31), events.slice(31, 32), events.slice(32)]);

    // assess
    expect(oneByOne.state).toEqual(whole.state);
    expect(uneven.state).toEqual(whole.state);
    expect(oneByOne.edges).toEqual(whole.edges);
    expect(oneByOne.paths).toEqual(whole.paths);
    expect(uneven.edges).toEqual(whole.edges);
    expect(uneven.paths).toEqual(whole.paths);
  });

  it('drops events beyond maxSessionEvents and reports them', () => {
    const events = Array.from({ length: 5 }, (_, i) => aPageView(`e${i}`, `/p${i}`, plusMs(T0, i * 1000), { sessionId: 'big' }));
    const result = applyEvents(emptySessionState(), events, 0, { ...CONFIG, maxSessionEvents: 3 });
    expect(result.pathDeltas.map((p) => p.fullPath)).toEqual(['/p0 -> /p1 -> /p2']);
    expect(result.stats.droppedOverflow).toBe(2);
  });

  it('ignores events without a path', () => {
    const result = applyEvents(
      emptySessionState(),
      [aPageView('1', '/a', T0), { ...aPageView('2', '/x', T0), path: undefined }],
      0,
      CONFIG,
    );
    expect(result.stats).toMatchObject({ accepted: 1, ignored: 1 });
  });

  it('forgets the oldest closed sessions beyond maxClosedSessions', () => {
    // prepare: five one-page sessions, then a clock far ahead closes them all
    const events = Array.from({ length: 5 }, (_, i) => aPageView(`e${i}`, '/a', plusMs(T0, i * MIN), { userId: `u${i}` }));

    // act
    const result = applyEvents(emptySessionState(), events, Date.parse(T0) + 10 * 3_600_000, { ...CONFIG, maxClosedSessions: 2 });

    // assess
    expect(result.state.closed.map((c) => c[1])).toEqual([Date.parse(plusMs(T0, 3 * MIN)), Date.parse(plusMs(T0, 4 * MIN))]);
  });

  it('does not change the state it is given', () => {
    // prepare
    const { state } = applyEvents(emptySessionState(), [aPageView('1', '/a', T0)], 0, CONFIG);
    const snapshot = JSON.parse(JSON.stringify(state)) as SessionState;

    // act
    applyEvents(state, [aPageView('2', '/b', plusMs(T0, MIN))], 0, CONFIG);

    // assess
    expect(state).toEqual(snapshot);
  });
});

describe('session state', () => {
  it('reads back what applyEvents wrote, through JSON, and measures its size', () => {
    // prepare
    const { state } = applyEvents(emptySessionState(), ingestDocument(SEED_DOCUMENT, '2024-05-27T03:53:00.000Z'), 0, CONFIG);

    // act
    const back = readSessionState(JSON.parse(JSON.stringify(state)));

    // assess
    expect(back).toEqual(state);
    expect(stateSizeBytes(state)).toBe(Buffer.byteLength(JSON.stringify(state)));
    expect(stateSizeBytes(state)).toBeLessThan(1000);
  });

  it('starts fresh from nothing and refuses something else', () => {
    expect(readSessionState(undefined)).toEqual(emptySessionState());
    expect(() => readSessionState({ v: 2 })).toThrow(TypeError);
    expect(() => readSessionState({ v: 1, clockMs: 0, nextArrival: 0, open: { k: [['e', 1, 2, '/a']] }, closed: [] })).toThrow(TypeError);
  });

  it('names the edges of a page list', () => {
    expect(edgesOf(['/contact', '/faq', '/faq'])).toEqual([
      { source: '/contact (1)', target: '/faq (2)' },
      { source: '/faq (2)', target: '/faq (3)' },
    ]);
  });
});
