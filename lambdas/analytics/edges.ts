import type { StreamEvent } from '../shared/event';
import { boundText, EDGE_SEPARATOR } from '../shared/results-table';
import type { PathsConfig } from './config';
import type { SequencedEvent } from './kpis';
import { MAX_PAGE_BYTES } from './paths';
import { compareSeq } from './records';
import { localDay, parseIsoUtc } from './time';

/**
 * Sankey edges of step-carrying page views: an event that says its position in its session
 * (`step`) and the page before (`prevPath`) names its own edge `"<prevPath> (<step-1>)" →
 * "<path> (<step>)"`, so the edge is a plain counter keyed by (day, step, source, target) and needs
 * no session state. The day is the local day (paths time zone) of the event's own time.
 */

/** Identity of one edge counter. */
export interface EdgeKey {
  /** Local date (paths time zone) of the page view at `step`. */
  readonly day: string;
  /** The target's step (2 and up). */
  readonly step: number;
  /** `"<page> (<step - 1>)"`, the page bounded like every page ({@link MAX_PAGE_BYTES}). */
  readonly source: string;
  /** `"<page> (<step>)"`. */
  readonly target: string;
}

/**
 * True when the event's Sankey edge is counted from its own `step` (a page view with a step that
 * is consistent: step 1 without `prevPath`, later steps with it); such events are not sessionized.
 * Ingest refuses inconsistent ones; a record that still is (written to the stream by other means)
 * is sessionized like a step-less event. Never throws.
 */
export function carriesStep(event: Pick<StreamEvent, 'path' | 'step' | 'prevPath'>): boolean {
  const { path, step, prevPath } = event;
  if (path === undefined || step === undefined) return false;
  return step === 1 ? prevPath === undefined : prevPath !== undefined;
}

/** The identity `day|step|source|target` of an edge counter (lengths make it unambiguous). Never fails. */
export const edgeKeyId = (key: EdgeKey): string => `${key.day}|${key.step}|${key.source.length}|${key.source}|${key.target}`;

/** One change of an edge counter, with the sequence number of the record that causes it: a step-carrying page view's edge (+1), or a change a step-less page view makes to its session's edges. */
export interface EdgeOccurrence {
  readonly key: EdgeKey;
  /** {@link edgeKeyId} of `key`. */
  readonly id: string;
  readonly seq: string;
  /** What it adds to the counter (−1 for an edge a late page view of a session replaces). @default 1 */
  readonly delta?: number;
}

/**
 * The edges of a batch's step-carrying page views at step 2 and up ({@link carriesStep}), one per
 * record, in record order; pages bounded to {@link MAX_PAGE_BYTES}. Pure; never throws.
 */
export function edgeOccurrences(records: readonly SequencedEvent[], config: Pick<PathsConfig, 'timeZone'>): EdgeOccurrence[] {
  const out: EdgeOccurrence[] = [];
  const bounded = new Map<string, string>();
  const page = (p: string): string => {
    let b = bounded.get(p);
    if (b === undefined) {
      b = boundText(p, MAX_PAGE_BYTES);
      bounded.set(p, b);
    }
    return b;
  };
  // One key and id per distinct edge of the batch (day → step → page → previous page), shared by
  // its occurrences: no strings built per record, and a map keyed by the id hashes it once.
  const edges = new Map<string, Map<number, Map<string, Map<string, { readonly key: EdgeKey; readonly id: string }>>>>();
  let lastMinute = Number.NaN;
  let day = '';
  let byStep = new Map<number, Map<string, Map<string, { readonly key: EdgeKey; readonly id: string }>>>();
  for (const record of records) {
    const { event } = record;
    if (event.step === undefined || event.step < 2 || !carriesStep(event)) continue;
    const t = record.createdMs ?? parseIsoUtc(event.createdAt);
    if (t === undefined) continue;
    const minute = Math.floor(t / 60_000);
    if (minute !== lastMinute) {
      day = localDay(t, config.timeZone);
      lastMinute = minute;
      let steps = edges.get(day);
      if (steps === undefined) {
        steps = new Map();
        edges.set(day, steps);
      }
      byStep = steps;
    }
    const { step } = event;
    const path = event.path as string;
    const prevPath = event.prevPath as string;
    let byPath = byStep.get(step);
    if (byPath === undefined) {
      byPath = new Map();
      byStep.set(step, byPath);
    }
    let byPrev = byPath.get(path);
    if (byPrev === undefined) {
      byPrev = new Map();
      byPath.set(path, byPrev);
    }
    let edge = byPrev.get(prevPath);
    if (edge === undefined) {
      const key: EdgeKey = { day, step, source: `${page(prevPath)} (${step - 1})`, target: `${page(path)} (${step})` };
      edge = { key, id: edgeKeyId(key) };
      byPrev.set(prevPath, edge);
    }
    out.push({ key: edge.key, id: edge.id, seq: record.seq });
  }
  return out;
}

/** Prefix of the attributes of a packed edge item that hold one edge's count each: `e|<source>\u0000<target>`. */
export const PACKED_EDGE_PREFIX = 'e|';

/** The attribute of one edge in a packed edge item. Never fails. */
export const packedEdgeAttr = (key: Pick<EdgeKey, 'source' | 'target'>): string =>
  `${PACKED_EDGE_PREFIX}${key.source}${EDGE_SEPARATOR}${key.target}`;

/**
 * Bytes of edge attributes a packed item takes at most (names and counts, as DynamoDB sizes them).
 * A write costs the item's size in KB: a packed item of a few KB updates tens of edges for a few
 * WCU, where one item per edge costs 1 WCU each; past this bound, further edges of that (day,
 * step) get an item each, so no item grows without bound.
 */
export const MAX_PACKED_EDGE_BYTES = 4096;

/** Bytes DynamoDB counts for one packed edge attribute (name + a count of up to 12 digits). */
const packedAttrBytes = (attr: string): number => Buffer.byteLength(attr) + 7;

/** Where a batch's edges are counted: per (day, step), the shard's packed item, or one item per edge. */
export interface EdgeCounter {
  /** `P|<day>|<step>` for the packed item, `S|<edge id>` for an edge's own item. */
  readonly id: string;
  readonly day: string;
  readonly step: number;
  /** Set for an edge's own item (attribute `count`); absent for a packed item (attributes {@link packedEdgeAttr}). */
  readonly single?: EdgeKey;
  /** Count to add per attribute (`count` for a single item). */
  readonly counts: Record<string, number>;
}

/** What a packed item holds already: its edge attributes (names). */
export type PackedContents = ReadonlySet<string>;

/** The id of the packed item of (day, step). Never fails. */
export const packedCounterId = (day: string, step: number): string => `P|${day}|${step}`;

/**
 * The counter of every distinct edge of `occurrences`: the edge's attribute in the shard's packed
 * item of its (day, step) when that item holds it already, or has room for it (new edges take room
 * in order of first occurrence, up to {@link MAX_PACKED_EDGE_BYTES}); otherwise the edge's own
 * item. The shard's consumer is the only writer of its packed items and they only grow, so a
 * retry routes every edge it already counted to the same item. Pure; never throws.
 */
export function routeEdges(
  occurrences: readonly EdgeOccurrence[],
  packed: (day: string, step: number) => PackedContents | undefined,
): Map<string, { readonly counterId: string; readonly attr: string }> {
  const routes = new Map<string, { readonly counterId: string; readonly attr: string }>();
  const used = new Map<string, number>();
  for (const { key, id } of occurrences) {
    if (routes.has(id)) continue;
    const counterId = packedCounterId(key.day, key.step);
    const attr = packedEdgeAttr(key);
    const contents = packed(key.day, key.step);
    if (contents?.has(attr)) {
      routes.set(id, { counterId, attr });
      continue;
    }
    let bytes = used.get(counterId);
    if (bytes === undefined) {
      bytes = 0;
      for (const name of contents ?? []) bytes += packedAttrBytes(name);
    }
    const cost = packedAttrBytes(attr);
    if (bytes + cost <= MAX_PACKED_EDGE_BYTES) {
      used.set(counterId, bytes + cost);
      routes.set(id, { counterId, attr });
    } else {
      used.set(counterId, bytes);
      routes.set(id, { counterId: `S|${id}`, attr: 'count' });
    }
  }
  return routes;
}

/**
 * The counts a batch adds to each counter, following `routes` ({@link routeEdges}); with
 * `watermarkOf` (a retry), only the records above the watermark stored in each counter's item.
 * Pure; never throws.
 */
export function countEdges(
  occurrences: readonly EdgeOccurrence[],
  routes: ReadonlyMap<string, { readonly counterId: string; readonly attr: string }>,
  watermarkOf?: (counterId: string) => string | undefined,
): Map<string, EdgeCounter> {
  // Occurrences per edge first (one map update per record), then each edge's count into its counter
  // once: counters, and edges within them, come out in order of first occurrence either way.
  const tally = new Map<string, { readonly key: EdgeKey; n: number }>();
  const watermarks = new Map<string, string | undefined>();
  for (const { key, id, seq, delta } of occurrences) {
    if (watermarkOf !== undefined) {
      const route = routes.get(id);
      if (route === undefined) continue;
      if (!watermarks.has(route.counterId)) watermarks.set(route.counterId, watermarkOf(route.counterId));
      const wm = watermarks.get(route.counterId);
      if (wm !== undefined && compareSeq(seq, wm) <= 0) continue;
    }
    const counted = tally.get(id);
    if (counted === undefined) tally.set(id, { key, n: delta ?? 1 });
    else counted.n += delta ?? 1;
  }
  const out = new Map<string, { readonly id: string; day: string; step: number; single?: EdgeKey; counts: Record<string, number> }>();
  for (const [id, { key, n }] of tally) {
    const route = routes.get(id);
    if (route === undefined) continue;
    let counter = out.get(route.counterId);
    if (counter === undefined) {
      counter = { id: route.counterId, day: key.day, step: key.step, counts: {}, ...(route.attr === 'count' ? { single: key } : {}) };
      out.set(route.counterId, counter);
    }
    counter.counts[route.attr] = (counter.counts[route.attr] ?? 0) + n;
  }
  return out;
}
