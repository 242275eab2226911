import type { StreamEvent } from '../shared/event';
import { boundText, EDGE_SEPARATOR, OTHER_LABEL, type PathLedger } from '../shared/results-table';
import { DEFAULT_PATH_BOUNDS, type PathsConfig } from './config';
import type { TimedEvent } from './records';
import { localDay, parseIsoUtc } from './time';

/**
 * One path event of an open session: `[eventId, t, arrival, path, received]` — event time (ms),
 * arrival index (the shard's own counter: order of first arrival), page, and `receivedAt` (ms).
 * A tuple keeps the state small.
 */
export type SessionEvent = readonly [eventId: string, t: number, arrival: number, path: string, received: number];

/**
 * A closed session, remembered so that its replays and stragglers are dropped instead of counted
 * as a new session: `[hash of the session key, first event time, last event time]`.
 */
export type ClosedSession = readonly [keyHash: string, first: number, last: number];

/**
 * Per-shard sessionization state (a JSON blob kept between batches).
 * - `open`: session key → its path events sorted by (event time, arrival). The key is
 *   `s:<len>:<userId>:<sessionId>` when events carry a `sessionId` (one session, whatever the
 *   gaps) and `u:<userId>` otherwise (the user's events, split into sessions wherever two
 *   consecutive events are more than the gap apart in event time).
 * - `clockMs`: the processing clock, the newest `receivedAt` seen.
 * - `closed`: closed sessions, sorted by last event time (oldest are forgotten first).
 */
export interface SessionState {
  readonly v: 1;
  readonly clockMs: number;
  readonly nextArrival: number;
  readonly open: Readonly<Record<string, readonly SessionEvent[]>>;
  readonly closed: readonly ClosedSession[];
}

/** A change of one Sankey edge's weight on one day. */
export interface EdgeDelta {
  /** Local date (paths time zone) of the session's first event. */
  readonly day: string;
  /** `"<path> (<step>)"`, steps from 1. */
  readonly source: string;
  readonly target: string;
  readonly delta: number;
}

/** A change of the number of sessions with one full path on one day. */
export interface PathDelta {
  readonly day: string;
  /** `"/a -> /b -> /c"`. */
  readonly fullPath: string;
  readonly delta: number;
}

/** What a batch did besides the deltas (for logs and metrics). */
export interface PathStats {
  /** Path events added to sessions. */
  readonly accepted: number;
  /** Events without `path` (or with an unreadable time): not part of path analysis. */
  readonly ignored: number;
  /** Events whose eventId the session already holds (replays, producer retries). */
  readonly duplicates: number;
  /** Events that belong to a session already closed (replays of it, or stragglers later than the gap). */
  readonly droppedClosed: number;
  /** Events beyond `maxSessionEvents` of their session key, or beyond the slice's `maxSliceBytes`: counted as overflow events of their day. */
  readonly droppedOverflow: number;
  /** Sessions closed by this batch. */
  readonly closedSessions: number;
}

export interface PathsBatch {
  readonly state: SessionState;
  readonly edgeDeltas: EdgeDelta[];
  readonly pathDeltas: PathDelta[];
  /** Path events not sessionized because their session or the state was full, by day of event time. */
  readonly overflowDeltas: OverflowDelta[];
  readonly stats: PathStats;
}

/** Path events of one day that no session could take (the state was at its bound): counted, not sessionized. */
export interface OverflowDelta {
  readonly day: string;
  readonly events: number;
}

/**
 * Bytes of a page as sessions keep it and edges name it (`"<page> (<step>)"`): a longer path keeps
 * a readable prefix and a digest, so state, ledgers and edge names stay bounded.
 */
export const MAX_PAGE_BYTES = 256;
/** Bytes of a full path as a ledger counts it: a longer one keeps a readable prefix and a digest. */
export const MAX_FULL_PATH_BYTES = 1024;

/** Separator of a full path, as the path-analysis sample writes it. */
export const PATH_ARROW = ' -> ';

/** A fresh state. Never fails. */
export const emptySessionState = (): SessionState => ({ v: 1, clockMs: 0, nextArrival: 0, open: {}, closed: [] });

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isSessionEvent = (v: unknown): boolean =>
  Array.isArray(v) &&
  v.length === 5 &&
  typeof v[0] === 'string' &&
  typeof v[1] === 'number' &&
  typeof v[2] === 'number' &&
  typeof v[3] === 'string' &&
  typeof v[4] === 'number';
const isClosed = (v: unknown): boolean =>
  Array.isArray(v) && v.length === 3 && typeof v[0] === 'string' && typeof v[1] === 'number' && typeof v[2] === 'number';

/** Reads a stored state (undefined/null give a fresh one). Throws TypeError when it is not a state this module wrote. */
export function readSessionState(raw: unknown): SessionState {
  if (raw === undefined || raw === null) return emptySessionState();
  if (
    !isObject(raw) ||
    raw.v !== 1 ||
    typeof raw.clockMs !== 'number' ||
    typeof raw.nextArrival !== 'number' ||
    !isObject(raw.open) ||
    !Array.isArray(raw.closed) ||
    !raw.closed.every(isClosed) ||
    !Object.values(raw.open).every((events) => Array.isArray(events) && events.every(isSessionEvent))
  ) {
    throw new TypeError('session state: not a state written by applyEvents (v: 1)');
  }
  return raw as unknown as SessionState;
}

/** Bytes of the state's JSON (what storing it costs; a DynamoDB item holds at most 400 KB). Never fails. */
export const stateSizeBytes = (state: SessionState): number => Buffer.byteLength(JSON.stringify(state));

/** The session key of an event (see {@link SessionState}). Never fails. */
export const sessionKeyOf = (event: Pick<StreamEvent, 'userId' | 'sessionId'>): string =>
  event.sessionId !== undefined ? `s:${event.userId.length}:${event.userId}:${event.sessionId}` : `u:${event.userId}`;

/** cyrb53: a fast 53-bit string hash, as base-36 (tombstones only need to tell keys apart, not resist attack). */
function hashKey(key: string): string {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(36);
}

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

/** Running deltas keyed by `day \0 source \0 target` / `day \0 fullPath` (the parts are kept, never split back). */
interface Deltas {
  readonly edges: Map<string, { readonly day: string; readonly source: string; readonly target: string; delta: number }>;
  readonly paths: Map<string, { readonly day: string; readonly fullPath: string; delta: number }>;
}

/** Adds `sign` × the edges and full path of each session in `segments` to the running deltas. */
function contribute(segments: readonly (readonly SessionEvent[])[], sign: 1 | -1, timeZone: string, deltas: Deltas): void {
  for (const segment of segments) {
    const first = segment[0];
    if (first === undefined) continue;
    const day = localDay(first[1], timeZone);
    let fullPath = first[3];
    let source = `${first[3]} (1)`;
    for (let i = 1; i < segment.length; i++) {
      const page = (segment[i] as SessionEvent)[3];
      const target = `${page} (${i + 1})`;
      const key = `${day}\u0000${source}\u0000${target}`;
      const edge = deltas.edges.get(key);
      if (edge === undefined) deltas.edges.set(key, { day, source, target, delta: sign });
      else edge.delta += sign;
      fullPath += PATH_ARROW + page;
      source = target;
    }
    fullPath = boundText(fullPath, MAX_FULL_PATH_BYTES);
    const key = `${day}\u0000${fullPath}`;
    const path = deltas.paths.get(key);
    if (path === undefined) deltas.paths.set(key, { day, fullPath, delta: sign });
    else path.delta += sign;
  }
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

/** A session key being changed by the batch. */
interface Entry {
  readonly key: string;
  hash: string | undefined;
  events: SessionEvent[];
  ids: Set<string>;
  /**
   * A lower bound of the key's activity: the oldest of its sessions' newest `receivedAt`. Adding
   * events only raises the true value, so the bound stays valid until sessions are closed.
   */
  activity: number;
}

/** The oldest of the sessions' newest `receivedAt` (+∞ without events): the key has an idle session when this is older than the gap. */
function activityOf(key: string, events: readonly SessionEvent[], gapMs: number): number {
  let oldest = Number.POSITIVE_INFINITY;
  for (const segment of segmentsOf(key, events, gapMs)) {
    let active = Number.NEGATIVE_INFINITY;
    for (const e of segment) if (e[4] > active) active = e[4];
    if (active < oldest) oldest = active;
  }
  return oldest;
}

/**
 * Applies a batch (in arrival order; stream events, or decoded records whose parsed times are reused) to the shard's sessions and returns the new state and the
 * changes of edge and full-path counts. For every session the batch changes, the deltas are its
 * edges and full path after the batch minus before, so an event inserted mid-session (late or out
 * of order) gives −1 for the old edges/full path and +1 for the new ones; events are ordered by
 * event time, ties by arrival; a session counts on the day (paths time zone) of its first event.
 * Replays are free: an eventId already in its session, or an event of a closed session (same key,
 * event time within the gap of its span), adds nothing.
 * Sessions close when idle for `sessionGapSeconds` of processing time: the clock is the newest
 * `receivedAt` seen, at least `nowMs` (so a backfill of old documents still forms whole sessions);
 * closed sessions leave the state, their counts stay. Pages are kept bounded ({@link MAX_PAGE_BYTES},
 * full paths {@link MAX_FULL_PATH_BYTES}); an event that would take its session past
 * `maxSessionEvents` or the state past `maxSliceBytes` is not sessionized but counted in
 * `overflowDeltas` (by its day). Without overflow, the result depends only on the state and the
 * records, not on how Lambda splits the batches. Pure; never throws.
 */
export function applyEvents(
  state: SessionState,
  events: readonly (StreamEvent | TimedEvent)[],
  nowMs: number,
  config: PathsConfig,
): PathsBatch {
  const gapMs = config.sessionGapSeconds * 1000;
  const timeZone = config.timeZone;
  const open = new Map<string, readonly SessionEvent[]>(Object.entries(state.open));
  const touched = new Map<string, Entry>();
  const deltas: Deltas = { edges: new Map(), paths: new Map() };
  const newlyClosed: ClosedSession[] = [];
  let closedIndex: Map<string, ClosedSession[]> | undefined;
  let clock = Math.max(state.clockMs, Number.isFinite(nowMs) ? nowMs : 0);
  let nextArrival = state.nextArrival;
  let accepted = 0;
  let ignored = 0;
  let duplicates = 0;
  let droppedClosed = 0;
  let droppedOverflow = 0;
  const overflow = new Map<string, number>();
  const maxSliceBytes = config.maxSliceBytes ?? DEFAULT_PATH_BOUNDS.maxSliceBytes;
  // Bytes of the open sessions (JSON), raised by every event taken; expiring sessions are not
  // subtracted, so the bound holds (conservatively) within a batch. Closed-session tombstones get
  // whatever room is left at the end.
  let openBytes = Buffer.byteLength(JSON.stringify(state.open)) + STATE_OVERHEAD_BYTES;
  const overflowAt = (t: number): void => {
    const day = localDay(t, timeZone);
    overflow.set(day, (overflow.get(day) ?? 0) + 1);
    droppedOverflow += 1;
  };

  const tombstones = (): Map<string, ClosedSession[]> => {
    if (closedIndex === undefined) {
      closedIndex = new Map();
      for (const c of state.closed) closedIndex.set(c[0], [...(closedIndex.get(c[0]) ?? []), c]);
    }
    return closedIndex;
  };

  /** Closes the idle sessions of `key`; returns the events of the sessions still open. */
  const expire = (key: string, hash: string, events: readonly SessionEvent[]): readonly SessionEvent[] => {
    const idleBefore = clock - gapMs;
    const remaining: SessionEvent[] = [];
    for (const segment of segmentsOf(key, events, gapMs)) {
      let active = Number.NEGATIVE_INFINITY;
      for (const e of segment) if (e[4] > active) active = e[4];
      if (active >= idleBefore) {
        remaining.push(...segment);
        continue;
      }
      const closed: ClosedSession = [hash, (segment[0] as SessionEvent)[1], (segment[segment.length - 1] as SessionEvent)[1]];
      newlyClosed.push(closed);
      const index = tombstones();
      index.set(hash, [...(index.get(hash) ?? []), closed]);
    }
    return remaining;
  };

  for (const item of events) {
    let event: StreamEvent;
    let timed: TimedEvent | undefined;
    if ('event' in item) {
      timed = item;
      event = item.event;
    } else {
      event = item;
    }
    const path = event.path;
    const t = path === undefined ? undefined : (timed?.createdMs ?? parseIsoUtc(event.createdAt));
    if (path === undefined || t === undefined) {
      ignored += 1;
      continue;
    }
    const received = timed?.receivedMs ?? parseIsoUtc(event.receivedAt) ?? t;
    if (received > clock) clock = received;
    const key = sessionKeyOf(event);

    let entry = touched.get(key);
    if (entry === undefined) {
      const stored = open.get(key) ?? [];
      entry = { key, hash: undefined, events: [...stored], ids: new Set(stored.map((e) => e[0])), activity: Number.NEGATIVE_INFINITY };
      contribute(segmentsOf(key, entry.events, gapMs), -1, timeZone, deltas);
      touched.set(key, entry);
    }
    if (entry.activity < clock - gapMs) {
      entry.activity = activityOf(key, entry.events, gapMs);
      if (entry.activity < clock - gapMs) {
        const before = entry.events;
        entry.hash ??= hashKey(key);
        contribute(segmentsOf(key, before, gapMs), 1, timeZone, deltas);
        entry.events = [...expire(key, entry.hash, before)];
        contribute(segmentsOf(key, entry.events, gapMs), -1, timeZone, deltas);
        entry.ids = new Set(entry.events.map((e) => e[0]));
        entry.activity = activityOf(key, entry.events, gapMs);
      }
    }

    if (entry.ids.has(event.eventId)) {
      duplicates += 1;
      continue;
    }
    let closedSpans: ClosedSession[] | undefined;
    if (closedIndex !== undefined || state.closed.length > 0) {
      entry.hash ??= hashKey(key);
      closedSpans = tombstones().get(entry.hash);
    }
    if (closedSpans !== undefined && closedSpans.some(([, first, last]) => t >= first - gapMs && t <= last + gapMs)) {
      droppedClosed += 1;
      continue;
    }
    const added: SessionEvent = [event.eventId, t, nextArrival, boundText(path, MAX_PAGE_BYTES), received];
    const cost =
      Buffer.byteLength(JSON.stringify(added)) + 1 + (entry.events.length === 0 ? Buffer.byteLength(JSON.stringify(key)) + 4 : 0);
    if (entry.events.length >= config.maxSessionEvents || openBytes + cost > maxSliceBytes) {
      overflowAt(t);
      continue;
    }
    openBytes += cost;
    const at = insertionIndex(entry.events, t);
    if (at === entry.events.length) entry.events.push(added);
    else entry.events.splice(at, 0, added);
    nextArrival += 1;
    entry.ids.add(event.eventId);
    if (received < entry.activity) entry.activity = received;
    accepted += 1;
  }

  for (const entry of touched.values()) {
    contribute(segmentsOf(entry.key, entry.events, gapMs), 1, timeZone, deltas);
    if (entry.events.length === 0) open.delete(entry.key);
    else open.set(entry.key, entry.events);
  }
  for (const [key, stored] of open) {
    const entry = touched.get(key);
    if (entry !== undefined && entry.activity >= clock - gapMs) continue;
    if (activityOf(key, stored, gapMs) >= clock - gapMs) continue;
    const remaining = expire(key, entry?.hash ?? hashKey(key), stored);
    if (remaining.length === 0) open.delete(key);
    else open.set(key, remaining);
  }

  let closed: readonly ClosedSession[] = state.closed;
  if (newlyClosed.length > 0) {
    const all = [...state.closed, ...newlyClosed].sort((a, b) => a[2] - b[2] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] - b[1]));
    closed = all.length > config.maxClosedSessions ? all.slice(all.length - config.maxClosedSessions) : all;
  }
  const openMap = Object.fromEntries(open);
  closed = fitTombstones(closed, maxSliceBytes - Buffer.byteLength(JSON.stringify(openMap)) - STATE_OVERHEAD_BYTES);

  return {
    state: { v: 1, clockMs: clock, nextArrival, open: openMap, closed },
    edgeDeltas: nonZero(deltas.edges),
    pathDeltas: nonZero(deltas.paths),
    overflowDeltas: [...overflow].map(([day, events]) => ({ day, events })),
    stats: { accepted, ignored, duplicates, droppedClosed, droppedOverflow, closedSessions: newlyClosed.length },
  };
}

/** JSON bytes of a state besides its open sessions and tombstones (`v`, clock, counter, names), with room to spare. */
const STATE_OVERHEAD_BYTES = 200;

/** The newest tombstones (the list is sorted oldest first) whose JSON fits `budget` bytes. */
function fitTombstones(closed: readonly ClosedSession[], budget: number): readonly ClosedSession[] {
  let bytes = 2;
  let keep = 0;
  for (let i = closed.length - 1; i >= 0; i--) {
    bytes += Buffer.byteLength(JSON.stringify(closed[i])) + 1;
    if (bytes > budget) break;
    keep += 1;
  }
  return keep === closed.length ? closed : closed.slice(closed.length - keep);
}

/** The non-zero deltas, in the order their keys were first touched (deterministic for the same input). */
function nonZero<T extends { readonly delta: number }>(map: Map<string, T>): T[] {
  const out: T[] = [];
  for (const d of map.values()) if (d.delta !== 0) out.push({ ...d });
  return out;
}

/**
 * The Sankey edges of one ordered list of pages (`["/a","/b"]` → `/a (1)` → `/b (2)`), for
 * documentation, tests and backfills. Never fails.
 */
export function edgesOf(pages: readonly string[]): { readonly source: string; readonly target: string }[] {
  return pages.slice(1).map((page, i) => ({ source: `${pages[i] as string} (${i + 1})`, target: `${page} (${i + 2})` }));
}

/** The edge key that collects the weight of edges a full ledger chunk could not take. */
export const OTHER_EDGE = `${OTHER_LABEL} (1)${EDGE_SEPARATOR}${OTHER_LABEL} (2)`;

/** Bounds of one ledger chunk. */
export interface LedgerBounds {
  readonly maxEntries: number;
  readonly maxBytes: number;
}

/** JSON bytes an entry `"key":count,` takes (counts up to 12 digits). */
const entryBytes = (key: string): number => Buffer.byteLength(JSON.stringify(key)) + 14;

/**
 * Adds a batch's edge and full-path deltas (and overflow events) to one ledger chunk, within
 * `bounds`: a key already in the chunk takes its delta; a new key takes a positive delta while the
 * chunk has room for one more entry (count and JSON bytes); every other delta goes to the
 * `(other)` entry of its kind ({@link OTHER_EDGE}, or the full path `(other)`). A key that
 * reaches 0 leaves the chunk (a negative rest goes to `(other)`). So the sum of a chunk's edge
 * (path) weights always equals the sum of the deltas applied to it. Pure: returns a new ledger;
 * never throws.
 */
export function addToLedger(
  stored: PathLedger,
  deltas: {
    readonly edges: readonly (readonly [string, number])[];
    readonly paths: readonly (readonly [string, number])[];
    readonly overflowEvents: number;
  },
  bounds: LedgerBounds,
): PathLedger {
  const ledger: PathLedger = { edges: { ...stored.edges }, paths: { ...stored.paths } };
  const events = (stored.overflowEvents ?? 0) + deltas.overflowEvents;
  if (events !== 0) ledger.overflowEvents = events;
  let entries = Object.keys(ledger.edges).length + Object.keys(ledger.paths).length;
  let bytes = Buffer.byteLength(JSON.stringify(ledger));
  const add = (counts: Record<string, number>, key: string, delta: number, other: string): void => {
    const put = (k: string, d: number): void => {
      const current = counts[k];
      const next = (current ?? 0) + d;
      if (current === undefined) {
        entries += 1;
        bytes += entryBytes(k);
      }
      if (next === 0) {
        delete counts[k];
        entries -= 1;
        bytes -= entryBytes(k);
      } else {
        counts[k] = next;
      }
    };
    const current = counts[key];
    if (current !== undefined && key !== other) {
      const next = current + delta;
      if (next >= 0) {
        put(key, delta);
        return;
      }
      put(key, -current);
      put(other, next);
      return;
    }
    if (current === undefined && delta > 0 && key !== other && entries < bounds.maxEntries && bytes + entryBytes(key) <= bounds.maxBytes) {
      put(key, delta);
      return;
    }
    put(other, delta);
  };
  for (const [edge, delta] of deltas.edges) add(ledger.edges, edge, delta, OTHER_EDGE);
  for (const [path, delta] of deltas.paths) add(ledger.paths, path, delta, OTHER_LABEL);
  return ledger;
}
