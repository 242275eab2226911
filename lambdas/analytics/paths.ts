import type { StreamEvent } from '../shared/event';
import { boundText, OTHER_LABEL } from '../shared/results-table';
import type { PathsConfig } from './config';
import type { SequencedEvent } from './kpis';
import { localDay, parseIsoUtc } from './time';

/**
 * Sessions of page views WITHOUT a step (server-side events): each session key has a small state
 * of its own (one DynamoDB item), and a batch turns the page views of the keys it touches into
 * changes of the same Sankey edge counters that step-carrying page views add to
 * (`lambdas/analytics/edges.ts`). A batch costs the keys it touches, never the open sessions of the
 * shard.
 */

/**
 * One page view of an open session: `[eventId, t, path, received]` — event time (ms), the page
 * (bounded to {@link MAX_PAGE_BYTES}) and `receivedAt` (ms). A tuple keeps the item small.
 */
export type SessionEvent = readonly [eventId: string, t: number, path: string, received: number];

/** A closed session of the key, remembered so that its replays and stragglers are dropped instead of counted as a new session: `[first event time, last event time]`. */
export type ClosedSpan = readonly [first: number, last: number];

/**
 * The state of one session key (one item):
 * - `events`: the page views of its open sessions, sorted by event time (ties in arrival order).
 *   A key `s:<len>:<userId>:<sessionId>` (events with a `sessionId`) is one session whatever the
 *   gaps; a key `u:<userId>` (events without) is split into sessions wherever two consecutive
 *   events are more than `sessionGapSeconds` apart in event time.
 * - `clockMs`: the newest `receivedAt` of the key's page views.
 * - `closed`: the key's closed sessions, oldest first, at most `maxClosedSessions`.
 */
export interface SessionState {
  readonly v: 2;
  readonly clockMs: number;
  readonly events: readonly SessionEvent[];
  readonly closed: readonly ClosedSpan[];
}

/** A change of one Sankey edge counter, caused by the record `seq` (the unit of exactly-once recounts). */
export interface EdgeChange {
  /** Local date (paths time zone) of the session's first page view. */
  readonly day: string;
  /** The target's step (2 and up). */
  readonly step: number;
  /** `"<page> (<step - 1>)"`. */
  readonly source: string;
  /** `"<page> (<step>)"`. */
  readonly target: string;
  readonly delta: number;
  readonly seq: string;
}

/** What a batch did besides the changes (for logs and metrics). */
export interface PathStats {
  /** Page views added to sessions. */
  readonly accepted: number;
  /** Records without `path` (or with an unreadable time): not part of path analysis. */
  readonly ignored: number;
  /** Page views whose eventId their session key already holds (replays, retries, producer retries). */
  readonly duplicates: number;
  /** Page views of a session already closed (replays of it, or stragglers later than the gap). */
  readonly droppedClosed: number;
  /** Page views beyond `maxSessionEvents` of their key: counted on the overflow edge ({@link OVERFLOW_EDGE}) of their day. */
  readonly droppedOverflow: number;
  /** Sessions closed by this batch. */
  readonly closedSessions: number;
}

/** What a batch changes: the new state of each key it changed, and the edge changes in record order. */
export interface SessionsBatch {
  readonly states: Map<string, SessionState>;
  readonly changes: EdgeChange[];
  readonly stats: PathStats;
}

/**
 * Bytes of a page as sessions keep it and edges name it (`"<page> (<step>)"`): a longer path keeps
 * a readable prefix and a digest, so state and edge names stay bounded.
 */
export const MAX_PAGE_BYTES = 256;

/**
 * The edge a page view past `maxSessionEvents` of its session key adds 1 to (step 2 of its day),
 * instead of growing the session: overflow shows in the Sankey as `(other)`, never as a failure.
 */
export const OVERFLOW_EDGE = { step: 2, source: `${OTHER_LABEL} (1)`, target: `${OTHER_LABEL} (2)` } as const;

/** A fresh state. Never fails. */
export const emptySessionState = (): SessionState => ({ v: 2, clockMs: 0, events: [], closed: [] });

const isSessionEvent = (v: unknown): boolean =>
  Array.isArray(v) &&
  v.length === 4 &&
  typeof v[0] === 'string' &&
  typeof v[1] === 'number' &&
  typeof v[2] === 'string' &&
  typeof v[3] === 'number';
const isSpan = (v: unknown): boolean => Array.isArray(v) && v.length === 2 && typeof v[0] === 'number' && typeof v[1] === 'number';

/** Reads a stored state (undefined/null give a fresh one). Throws TypeError when it is not a state this module wrote. */
export function readSessionState(raw: unknown): SessionState {
  if (raw === undefined || raw === null) return emptySessionState();
  const r = raw as Record<string, unknown>;
  if (
    typeof raw !== 'object' ||
    Array.isArray(raw) ||
    r.v !== 2 ||
    typeof r.clockMs !== 'number' ||
    !Array.isArray(r.events) ||
    !r.events.every(isSessionEvent) ||
    !Array.isArray(r.closed) ||
    !r.closed.every(isSpan)
  ) {
    throw new TypeError('session state: not a state written by sessionize (v: 2)');
  }
  return raw as SessionState;
}

/** The session key of an event (see {@link SessionState}). Never fails. */
export const sessionKeyOf = (event: Pick<StreamEvent, 'userId' | 'sessionId'>): string =>
  event.sessionId !== undefined ? `s:${event.userId.length}:${event.userId}:${event.sessionId}` : `u:${event.userId}`;

/** The sessions of one key: one for a sessionId key, split at event-time gaps above `gapMs` for a user key. */
function segmentsOf(key: string, events: readonly SessionEvent[], gapMs: number): SessionEvent[][] {
  if (events.length === 0) return [];
  if (key.startsWith('s:')) return [events as SessionEvent[]];
  const segments: SessionEvent[][] = [];
  let current: SessionEvent[] = [];
  let previous = Number.NEGATIVE_INFINITY;
  for (const e of events) {
    if (current.length > 0 && e[1] - previous > gapMs) {
      segments.push(current);
      current = [];
    }
    current.push(e);
    previous = e[1];
  }
  segments.push(current);
  return segments;
}

/** One edge of the open sessions, with how many times they take it. */
interface EdgeCount {
  readonly day: string;
  readonly step: number;
  readonly source: string;
  readonly target: string;
  n: number;
}

/** The edges of a key's open sessions, keyed `day \0 step \0 source \0 target`; each session on the day of its first page view. */
function edgesOfKey(key: string, events: readonly SessionEvent[], gapMs: number, timeZone: string): Map<string, EdgeCount> {
  const out = new Map<string, EdgeCount>();
  for (const segment of segmentsOf(key, events, gapMs)) {
    const first = segment[0];
    if (first === undefined) continue;
    const day = localDay(first[1], timeZone);
    let source = `${first[2]} (1)`;
    for (let i = 1; i < segment.length; i++) {
      const step = i + 1;
      const target = `${(segment[i] as SessionEvent)[2]} (${step})`;
      const id = `${day}\u0000${step}\u0000${source}\u0000${target}`;
      const edge = out.get(id);
      if (edge === undefined) out.set(id, { day, step, source, target, n: 1 });
      else edge.n += 1;
      source = target;
    }
  }
  return out;
}

/** Index at which an event with time `t` and the newest arrival goes: after every event with time ≤ `t`. */
function insertionIndex(events: readonly SessionEvent[], t: number): number {
  let lo = 0;
  let hi = events.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((events[mid] as SessionEvent)[1] <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** A session key while the batch changes it. */
interface Working {
  readonly key: string;
  clockMs: number;
  events: SessionEvent[];
  closed: ClosedSpan[];
  ids: Set<string>;
  /** The edges of `events` (what the counters hold for this key's open sessions). */
  edges: Map<string, EdgeCount>;
  changed: boolean;
}

/**
 * Applies a batch's step-less page views (records in record order; the caller leaves out
 * step-carrying ones) to the states of their session keys (`stored`: the state of a key before
 * the batch) and returns each changed key's new state and the edge changes. Per page view, in
 * record order: the key's clock moves to its `receivedAt`; the key's sessions idle (no page view
 * received) for more than `sessionGapSeconds` close (their edges stay counted, a span of the
 * session is kept to drop its replays and stragglers); a page view whose eventId the key holds, or
 * whose time falls within the gap of a closed session, adds nothing; one past `maxSessionEvents`
 * adds 1 to {@link OVERFLOW_EDGE} of its day; any other is inserted in event-time order (ties in
 * arrival order) and the changes are the key's edges after minus before, each tagged with this
 * record's `seq`: an out-of-order page view gives −1/+1 corrections of the later steps (and a
 * session whose first page view moves to another day moves all its edges). So the changes of a
 * record depend only on the stored state and the records before it: a retry of any prefix of the
 * batch gives the same changes for the same records. Pure; never throws.
 */
export function sessionize(stored: (key: string) => SessionState, records: readonly SequencedEvent[], config: PathsConfig): SessionsBatch {
  const gapMs = config.sessionGapSeconds * 1000;
  const timeZone = config.timeZone;
  const working = new Map<string, Working>();
  const changes: EdgeChange[] = [];
  let accepted = 0;
  let ignored = 0;
  let duplicates = 0;
  let droppedClosed = 0;
  let droppedOverflow = 0;
  let closedSessions = 0;

  /** Closes the key's sessions idle since before `clock - gap` (keeps their spans, not their edges' changes: they stay counted). */
  const expire = (w: Working): void => {
    const idleBefore = w.clockMs - gapMs;
    const remaining: SessionEvent[] = [];
    let closedAny = false;
    for (const segment of segmentsOf(w.key, w.events, gapMs)) {
      let active = Number.NEGATIVE_INFINITY;
      for (const e of segment) if (e[3] > active) active = e[3];
      if (active >= idleBefore) {
        remaining.push(...segment);
        continue;
      }
      w.closed.push([(segment[0] as SessionEvent)[1], (segment[segment.length - 1] as SessionEvent)[1]]);
      closedAny = true;
      closedSessions += 1;
    }
    if (!closedAny) return;
    w.closed.sort((a, b) => a[1] - b[1] || a[0] - b[0]);
    if (w.closed.length > config.maxClosedSessions) w.closed = w.closed.slice(w.closed.length - config.maxClosedSessions);
    w.events = remaining;
    w.ids = new Set(remaining.map((e) => e[0]));
    w.edges = edgesOfKey(w.key, remaining, gapMs, timeZone);
    w.changed = true;
  };

  for (const record of records) {
    const { event } = record;
    const path = event.path;
    const t = path === undefined ? undefined : (record.createdMs ?? parseIsoUtc(event.createdAt));
    if (path === undefined || t === undefined) {
      ignored += 1;
      continue;
    }
    const received = record.receivedMs ?? parseIsoUtc(event.receivedAt) ?? t;
    const key = sessionKeyOf(event);
    let w = working.get(key);
    if (w === undefined) {
      const state = stored(key);
      w = {
        key,
        clockMs: state.clockMs,
        events: [...state.events],
        closed: [...state.closed],
        ids: new Set(state.events.map((e) => e[0])),
        edges: edgesOfKey(key, state.events, gapMs, timeZone),
        changed: false,
      };
      working.set(key, w);
    }
    if (received > w.clockMs) w.clockMs = received;
    expire(w);

    if (w.ids.has(event.eventId)) {
      duplicates += 1;
      continue;
    }
    if (w.closed.some(([first, last]) => t >= first - gapMs && t <= last + gapMs)) {
      droppedClosed += 1;
      continue;
    }
    if (w.events.length >= config.maxSessionEvents) {
      changes.push({ day: localDay(t, timeZone), ...OVERFLOW_EDGE, delta: 1, seq: record.seq });
      droppedOverflow += 1;
      continue;
    }
    const added: SessionEvent = [event.eventId, t, boundText(path, MAX_PAGE_BYTES), received];
    const at = insertionIndex(w.events, t);
    if (at === w.events.length) w.events.push(added);
    else w.events.splice(at, 0, added);
    w.ids.add(event.eventId);
    w.changed = true;
    accepted += 1;

    const after = edgesOfKey(key, w.events, gapMs, timeZone);
    for (const [id, edge] of after) {
      const delta = edge.n - (w.edges.get(id)?.n ?? 0);
      if (delta !== 0) changes.push({ day: edge.day, step: edge.step, source: edge.source, target: edge.target, delta, seq: record.seq });
    }
    for (const [id, edge] of w.edges) {
      if (!after.has(id))
        changes.push({ day: edge.day, step: edge.step, source: edge.source, target: edge.target, delta: -edge.n, seq: record.seq });
    }
    w.edges = after;
  }

  const states = new Map<string, SessionState>();
  for (const w of working.values()) {
    if (w.changed) states.set(w.key, { v: 2, clockMs: w.clockMs, events: w.events, closed: w.closed });
  }
  return { states, changes, stats: { accepted, ignored, duplicates, droppedClosed, droppedOverflow, closedSessions } };
}

/**
 * The Sankey edges of one ordered list of pages (`["/a","/b"]` → `/a (1)` → `/b (2)`), for
 * documentation, tests and backfills. Never fails.
 */
export function edgesOf(pages: readonly string[]): { readonly source: string; readonly target: string }[] {
  return pages.slice(1).map((page, i) => ({ source: `${pages[i] as string} (${i + 1})`, target: `${page} (${i + 2})` }));
}
