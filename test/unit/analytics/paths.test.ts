import { normalizeCreatedAt, toStreamEvent } from '../../../lambdas/ingest/normalize';
import { expandPathDocument } from '../../../lambdas/ingest/paths';
import type { PathsConfig } from '../../../lambdas/analytics/config';
import {
  edgesOf,
  emptySessionState,
  OVERFLOW_EDGE,
  readSessionState,
  sessionize,
  sessionKeyOf,
  type EdgeChange,
  type SessionState,
} from '../../../lambdas/analytics/paths';
import { localDay } from '../../../lambdas/analytics/time';
import type { StreamEvent } from '../../../lambdas/shared/event';
import { aPageView, aSeq, plusMs } from './factories';

const TZ = 'Asia/Shanghai';
const CONFIG: PathsConfig = { timeZone: TZ, sessionGapSeconds: 1800, maxSessionEvents: 200, maxClosedSessions: 20 };
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

/** Records of `events`, sequence numbers from `from` (the order they were written to the shard). */
const sequenced = (events: readonly StreamEvent[], from = 1) => events.map((event, i) => ({ event, seq: aSeq(from + i) }));

/** `day | source → target` of a change. */
const edgeOf = (c: Pick<EdgeChange, 'day' | 'source' | 'target'>): string => `${c.day} | ${c.source} → ${c.target}`;

/** The changes summed per edge, zeros dropped, as sorted `edge: n` lines. */
function summed(changes: readonly EdgeChange[]): string[] {
  const sums = new Map<string, number>();
  for (const c of changes) sums.set(edgeOf(c), (sums.get(edgeOf(c)) ?? 0) + c.delta);
  return [...sums]
    .filter(([, n]) => n !== 0)
    .map(([edge, n]) => `${edge}: ${n}`)
    .sort();
}

/** Sessionizes batches in turn (each batch's keys read from the states so far); returns the states and every change. */
function runAll(batches: readonly (readonly StreamEvent[])[], config: PathsConfig = CONFIG) {
  const states = new Map<string, SessionState>();
  const changes: EdgeChange[] = [];
  let seq = 1;
  for (const batch of batches) {
    const result = sessionize((key) => states.get(key) ?? emptySessionState(), sequenced(batch, seq), config);
    seq += batch.length;
    for (const [key, state] of result.states) states.set(key, state);
    changes.push(...result.changes);
  }
  return { states, changes, edges: summed(changes) };
}

/** One batch on fresh states. */
const once = (events: readonly StreamEvent[], config: PathsConfig = CONFIG) =>
  sessionize(() => emptySessionState(), sequenced(events), config);

describe('sessionize: the path-analysis sample', () => {
  it('orders the document by ct, ties in arrival order, and gives exactly the step-indexed edges that order implies, each from the record that makes it', () => {
    // prepare: /services and the second /about tie at 11:44:36.263; /services arrived first
    const events = ingestDocument(SEED_DOCUMENT, '2024-05-27T03:53:00.000Z');

    // act
    const result = once(events);

    // assess: the 5th element (/about at 11:44) lands before /blog (11:52): −1/+1 by record 5
    expect(result.changes.map((c) => [edgeOf(c), c.step, c.delta, c.seq])).toEqual([
      ['2024-05-27 | /blog (1) → /about (2)', 2, 1, aSeq(2)],
      ['2024-05-27 | /about (2) → /services (3)', 3, 1, aSeq(3)],
      ['2024-05-27 | /services (3) → /blog (4)', 4, 1, aSeq(4)],
      ['2024-05-27 | /services (3) → /about (4)', 4, 1, aSeq(5)],
      ['2024-05-27 | /about (4) → /blog (5)', 5, 1, aSeq(5)],
      ['2024-05-27 | /services (3) → /blog (4)', 4, -1, aSeq(5)],
    ]);
    expect(summed(result.changes)).toEqual([
      '2024-05-27 | /about (2) → /services (3): 1',
      '2024-05-27 | /about (4) → /blog (5): 1',
      '2024-05-27 | /blog (1) → /about (2): 1',
      '2024-05-27 | /services (3) → /about (4): 1',
    ]);
    expect(result.stats).toMatchObject({ accepted: 5, duplicates: 0, droppedClosed: 0 });
    expect([...result.states.keys()]).toEqual([sessionKeyOf(events[0] as StreamEvent)]);
  });

  it('adds nothing when the same document is posted again while its session is open (same eventIds, new records)', () => {
    const first = runAll([ingestDocument(SEED_DOCUMENT, '2024-05-27T03:53:00.000Z')]);
    const second = sessionize(
      (key) => first.states.get(key) ?? emptySessionState(),
      sequenced(ingestDocument(SEED_DOCUMENT, '2024-05-27T03:53:05.000Z'), 10),
      CONFIG,
    );
    expect(second.changes).toEqual([]);
    expect(second.stats).toMatchObject({ accepted: 0, duplicates: 5 });
    expect(second.states.size).toBe(0);
  });

  it("adds nothing when the same document is posted again after its session closed (the key's next page view closes it)", () => {
    // act
    const first = ingestDocument(SEED_DOCUMENT, '2024-05-27T03:53:00.000Z');
    const { states, changes } = runAll([first, ingestDocument(SEED_DOCUMENT, '2024-05-27T05:00:05.000Z')]);

    // assess
    expect(summed(changes)).toHaveLength(4);
    const state = states.get(sessionKeyOf(first[0] as StreamEvent));
    expect(state?.events).toEqual([]);
    expect(state?.closed).toHaveLength(1);
  });

  it('keeps a backfilled document whole: sessions close by processing time, not by how old their events are', () => {
    const events = ingestDocument(SEED_DOCUMENT, '2025-06-01T00:00:01.000Z');
    const split = runAll([events.slice(0, 2), events.slice(2, 3), events.slice(3)]);
    expect(split.edges).toEqual(runAll([events]).edges);
    expect(split.edges).toHaveLength(4);
  });
});

describe('sessionize: corrections and sessions', () => {
  const T0 = '2024-05-27T02:00:00.000Z';

  it('corrects the counts when an out-of-order page view lands mid-session: −1 old edge, +1 new ones, from that record', () => {
    // prepare: /a then /c, later /b whose event time is between them
    const a = aPageView('a', '/a', T0, { sessionId: 's1' });
    const c = aPageView('c', '/c', plusMs(T0, 2 * MIN), { sessionId: 's1' });
    const b = aPageView('b', '/b', plusMs(T0, MIN), { sessionId: 's1', receivedAt: plusMs(T0, 3 * MIN) });

    // act
    const { changes } = runAll([[a, c], [b]]);

    // assess
    expect(
      changes
        .filter((x) => x.seq === aSeq(3))
        .map((x) => `${edgeOf(x)} ${x.delta}`)
        .sort(),
    ).toEqual(['2024-05-27 | /a (1) → /b (2) 1', '2024-05-27 | /a (1) → /c (2) -1', '2024-05-27 | /b (2) → /c (3) 1']);
    expect(summed(changes)).toEqual(['2024-05-27 | /a (1) → /b (2): 1', '2024-05-27 | /b (2) → /c (3): 1']);
  });

  it('moves every edge of a session to the new day when a late page view becomes its first', () => {
    // prepare: 00:10 and 00:20 Shanghai time on the 28th, then a page view at 23:55 on the 27th
    const events = [
      aPageView('1', '/b', '2024-05-27T16:10:00.000Z', { sessionId: 'n' }),
      aPageView('2', '/c', '2024-05-27T16:20:00.000Z', { sessionId: 'n' }),
      aPageView('3', '/a', '2024-05-27T15:55:00.000Z', { sessionId: 'n', receivedAt: '2024-05-27T16:21:00.000Z' }),
    ];

    // act
    const { edges } = runAll([events]);

    // assess
    expect(edges).toEqual(['2024-05-27 | /a (1) → /b (2): 1', '2024-05-27 | /b (2) → /c (3): 1']);
  });

  it('starts a new session for a sessionId idle for the gap in processing time', () => {
    const events = [aPageView('1', '/a', T0, { sessionId: 's' }), aPageView('2', '/b', plusMs(T0, 45 * MIN), { sessionId: 's' })];
    const result = once(events);
    expect(result.changes).toEqual([]);
    expect(result.stats.closedSessions).toBe(1);
    expect(result.states.get(sessionKeyOf(events[0] as StreamEvent))?.events.map((e) => e[2])).toEqual(['/b']);
  });

  it('splits a user without sessionId into sessions at 30 minutes of inactivity (event time)', () => {
    const receivedAt = plusMs(T0, 51 * MIN);
    const events = [
      aPageView('1', '/a', T0, { receivedAt }),
      aPageView('2', '/b', plusMs(T0, 10 * MIN), { receivedAt }),
      aPageView('3', '/c', plusMs(T0, 41 * MIN), { receivedAt }),
      aPageView('4', '/d', plusMs(T0, 50 * MIN), { receivedAt }),
    ];
    expect(summed(once(events).changes)).toEqual(['2024-05-27 | /a (1) → /b (2): 1', '2024-05-27 | /c (1) → /d (2): 1']);
  });

  it('does not split a session with a sessionId at event-time gaps (both page views received together)', () => {
    const receivedAt = plusMs(T0, 46 * MIN);
    const events = [
      aPageView('1', '/a', T0, { sessionId: 's', receivedAt }),
      aPageView('2', '/b', plusMs(T0, 45 * MIN), { sessionId: 's', receivedAt }),
    ];
    expect(summed(once(events).changes)).toEqual(['2024-05-27 | /a (1) → /b (2): 1']);
  });

  it('merges two open sessions of a user when a late page view fills the gap between them', () => {
    const receivedAt = plusMs(T0, 40 * MIN + 1000);
    const { changes } = runAll([
      [aPageView('1', '/a', T0, { receivedAt }), aPageView('3', '/c', plusMs(T0, 40 * MIN), { receivedAt })],
      [aPageView('2', '/b', plusMs(T0, 20 * MIN), { receivedAt: plusMs(T0, 40 * MIN + 2000) })],
    ]);
    expect(summed(changes)).toEqual(['2024-05-27 | /a (1) → /b (2): 1', '2024-05-27 | /b (2) → /c (3): 1']);
  });

  it('counts a session on the day of its first page view in the paths time zone', () => {
    const events = [
      aPageView('1', '/late', '2024-05-27T15:50:00.000Z', { sessionId: 'n' }),
      aPageView('2', '/night', '2024-05-27T16:10:00.000Z', { sessionId: 'n' }),
    ];
    expect(summed(once(events).changes)).toEqual(['2024-05-27 | /late (1) → /night (2): 1']);
  });

  it("closes a key's idle sessions when its next page view arrives (their edges stay counted) and drops their stragglers", () => {
    // prepare
    const session = [aPageView('1', '/a', T0, { sessionId: 'x' }), aPageView('2', '/b', plusMs(T0, MIN), { sessionId: 'x' })];
    const straggler = aPageView('3', '/c', plusMs(T0, 2 * MIN), { sessionId: 'x', receivedAt: plusMs(T0, 46 * MIN) });

    // act
    const { states, changes } = runAll([session, [straggler]]);

    // assess
    expect(summed(changes)).toEqual(['2024-05-27 | /a (1) → /b (2): 1']);
    expect(states.get(sessionKeyOf(straggler))).toMatchObject({ events: [], closed: [[Date.parse(T0), Date.parse(T0) + MIN]] });
  });

  it('gives the same edges and states however the records are split into batches, and the edges equal those of the sessions', () => {
    // prepare: three users, some late page views, a closing gap in the middle, a replay at the end
    const events: StreamEvent[] = [];
    for (let i = 0; i < 60; i++) {
      const minute = i < 30 ? i : i + 40;
      const receivedAt = plusMs(T0, minute * MIN + 1000);
      const createdAt = i % 7 === 3 ? plusMs(T0, (minute - 3) * MIN) : plusMs(T0, minute * MIN);
      events.push(aPageView(`e${i}`, `/p${i % 5}`, createdAt, { userId: `u${i % 3}`, receivedAt }));
    }
    events.push({ ...(events[5] as StreamEvent), receivedAt: plusMs(T0, 200 * MIN) });

    // act
    const whole = runAll([events]);
    const oneByOne = runAll(events.map((e) => [e]));
    const uneven = runAll([events.slice(0, 7), events.slice(7, 31), events.slice(31, 32), events.slice(32)]);

    // assess
    expect(oneByOne.states).toEqual(whole.states);
    expect(uneven.states).toEqual(whole.states);
    expect(oneByOne.edges).toEqual(whole.edges);
    expect(uneven.edges).toEqual(whole.edges);
    // The truth: each user's page views in event-time order, split where 30 minutes pass without one.
    const truth: string[] = [];
    for (let u = 0; u < 3; u++) {
      const mine = events.slice(0, 60).filter((e) => e.userId === `u${u}`);
      const sorted = [...mine].sort((a, b) => Date.parse(a.createdAt) - Date.parse(b.createdAt));
      let session: StreamEvent[] = [];
      const flush = () => {
        const first = session[0];
        if (first !== undefined)
          edgesOf(session.map((e) => e.path as string)).forEach((e) =>
            truth.push(`${localDay(Date.parse(first.createdAt), TZ)} | ${e.source} → ${e.target}`),
          );
        session = [];
      };
      for (const e of sorted) {
        const last = session[session.length - 1];
        if (last !== undefined && Date.parse(e.createdAt) - Date.parse(last.createdAt) > 30 * MIN) flush();
        session.push(e);
      }
      flush();
    }
    const counted = new Map<string, number>();
    for (const edge of truth) counted.set(edge, (counted.get(edge) ?? 0) + 1);
    expect(whole.edges).toEqual([...counted].map(([edge, n]) => `${edge}: ${n}`).sort());
  });

  it('counts page views beyond maxSessionEvents on the overflow edge of their day, from their records', () => {
    const events = Array.from({ length: 5 }, (_, i) => aPageView(`e${i}`, `/p${i}`, plusMs(T0, i * 1000), { sessionId: 'big' }));
    const result = once(events, { ...CONFIG, maxSessionEvents: 3 });
    expect(summed(result.changes)).toEqual([
      '2024-05-27 | (other) (1) → (other) (2): 2',
      '2024-05-27 | /p0 (1) → /p1 (2): 1',
      '2024-05-27 | /p1 (2) → /p2 (3): 1',
    ]);
    expect(result.changes.filter((c) => c.source === OVERFLOW_EDGE.source).map((c) => [c.step, c.seq])).toEqual([
      [2, aSeq(4)],
      [2, aSeq(5)],
    ]);
    expect(result.stats.droppedOverflow).toBe(2);
  });

  it('ignores records without a path', () => {
    const result = once([aPageView('1', '/a', T0), { ...aPageView('2', '/x', T0), path: undefined }]);
    expect(result.stats).toMatchObject({ accepted: 1, ignored: 1 });
  });

  it('forgets the oldest closed sessions of a key beyond maxClosedSessions', () => {
    // prepare: five one-page sessions of one user, an hour apart
    const events = Array.from({ length: 5 }, (_, i) => aPageView(`e${i}`, '/a', plusMs(T0, i * 60 * MIN)));

    // act
    const result = once(events, { ...CONFIG, maxClosedSessions: 2 });

    // assess
    const state = result.states.get('u:visitor-1');
    expect(state?.closed.map((c) => c[1])).toEqual([Date.parse(plusMs(T0, 2 * 60 * MIN)), Date.parse(plusMs(T0, 3 * 60 * MIN))]);
    expect(state?.events).toHaveLength(1);
  });

  it('does not change the state it is given', () => {
    // prepare
    const { states } = runAll([[aPageView('1', '/a', T0)]]);
    const state = states.get('u:visitor-1') as SessionState;
    const snapshot = JSON.parse(JSON.stringify(state)) as SessionState;

    // act
    sessionize(() => state, sequenced([aPageView('2', '/b', plusMs(T0, MIN))], 2), CONFIG);

    // assess
    expect(state).toEqual(snapshot);
  });
});

describe('session state', () => {
  it('reads back what sessionize wrote, through JSON, small', () => {
    // prepare
    const events = ingestDocument(SEED_DOCUMENT, '2024-05-27T03:53:00.000Z');
    const state = once(events).states.get(sessionKeyOf(events[0] as StreamEvent));

    // act
    const back = readSessionState(JSON.parse(JSON.stringify(state)));

    // assess
    expect(back).toEqual(state);
    expect(Buffer.byteLength(JSON.stringify(state))).toBeLessThan(500);
  });

  it('starts fresh from nothing and refuses something else', () => {
    expect(readSessionState(undefined)).toEqual(emptySessionState());
    expect(() => readSessionState({ v: 2 })).toThrow(TypeError);
    expect(() => readSessionState({ v: 1, clockMs: 0, nextArrival: 0, open: { k: [['e', 1, 2, '/a']] }, closed: [] })).toThrow(TypeError);
    expect(() => readSessionState({ v: 2, clockMs: 0, events: [['e', 1, '/a']], closed: [] })).toThrow(TypeError);
  });

  it('names the edges of a page list', () => {
    expect(edgesOf(['/contact', '/faq', '/faq'])).toEqual([
      { source: '/contact (1)', target: '/faq (2)' },
      { source: '/faq (2)', target: '/faq (3)' },
    ]);
  });
});
