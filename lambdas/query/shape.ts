import { PACKED_EDGE_PREFIX } from '../analytics/edges';
import { applyDelta, average, parseDims, ratio, type MetricCounter } from '../analytics/kpis';
import type { Alert, AlertKind, MetricBucket, MetricSeries, PathEdge, RateBucket } from '../shared/read-api';
import { EDGE_COUNTER_PREFIX, EDGE_SEPARATOR, KEYS } from '../shared/results-table';
import { rowsToCsv } from './csv';
import type { StoredItem } from './reads';

/**
 * Stored items → read-API answers, as pure functions. An item that does not have the shape the
 * writers give it throws {@link UnreadableItemError} (a bug to surface, not data to drop).
 */

/** A stored item that cannot be read; names its key. */
export class UnreadableItemError extends Error {
  constructor(
    readonly pk: string,
    readonly sk: string,
    reason: string,
  ) {
    super(`unreadable item ${pk} / ${sk}: ${reason}`);
    this.name = 'UnreadableItemError';
  }
}

const keyOf = (item: StoredItem): [string, string] => [
  typeof item.pk === 'string' ? item.pk : '?',
  typeof item.sk === 'string' ? item.sk : '?',
];
const unreadable = (item: StoredItem, reason: string) => new UnreadableItemError(...keyOf(item), reason);

/** Code-unit order, independent of the runtime's locale. */
const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function text(item: StoredItem, name: string): string {
  const value = item[name];
  if (typeof value !== 'string') throw unreadable(item, `${name} is not a string`);
  return value;
}

function num(item: StoredItem, name: string): number {
  const value = item[name];
  if (typeof value !== 'number' || !Number.isFinite(value)) throw unreadable(item, `${name} is not a number`);
  return value;
}

function optionalNum(item: StoredItem, name: string): number | undefined {
  return item[name] === undefined ? undefined : num(item, name);
}

// ---------------------------------------------------------------------------------------------
// Alerts

/** `pk` prefixes of the two alert kinds, as the key builders spell them. */
export const ALERT_PK_PREFIX: Readonly<Record<AlertKind, string>> = {
  error: KEYS.errorAlert('').pk,
  window: KEYS.windowAlert('\u0001', '', '').pk.split('\u0001')[0] ?? '',
};

/** The API view of one alert item: exactly the documented fields (keys, TTL, `notified`, … dropped). Throws {@link UnreadableItemError}. */
export function alertView(item: StoredItem): Alert {
  const pk = text(item, 'pk');
  if (pk.startsWith(ALERT_PK_PREFIX.error)) {
    const eventId = text(item, 'eventId');
    return {
      kind: 'error',
      id: eventId,
      eventId,
      action: text(item, 'action'),
      userId: text(item, 'userId'),
      createdAt: text(item, 'createdAt'),
      errorMsg: text(item, 'errorMsg'),
    };
  }
  if (pk.startsWith(ALERT_PK_PREFIX.window)) {
    const ruleId = text(item, 'ruleId');
    const action = text(item, 'action');
    const windowStart = text(item, 'windowStart');
    const groupBy = item.groupBy;
    if (groupBy !== undefined && groupBy !== null && typeof groupBy !== 'string') throw unreadable(item, 'groupBy is not a string');
    return {
      kind: 'window',
      id: `${ruleId}|${action}|${windowStart}`,
      ruleId,
      action,
      ...(typeof groupBy === 'string' && groupBy !== 'action' ? { groupBy } : {}),
      createdAt: text(item, 'createdAt'),
      windowStart,
      windowEnd: text(item, 'windowEnd'),
      count: num(item, 'count'),
      threshold: num(item, 'threshold'),
    };
  }
  throw unreadable(item, 'not an alert');
}

/** The alerts of a page, newest first (the `byTime` index order: `createdAt`, then kind and id, descending). Throws {@link UnreadableItemError}. */
export function alertViews(items: readonly StoredItem[]): Alert[] {
  return items
    .map((item) => ({ order: typeof item.gsk === 'string' ? item.gsk : text(item, 'createdAt'), view: alertView(item) }))
    .sort((a, b) => compare(b.order, a.order))
    .map((entry) => entry.view);
}

// ---------------------------------------------------------------------------------------------
// Metrics

/** One stored counter: its minute, its dims and its values. */
export interface StoredCounter extends MetricCounter {
  readonly minute: string;
  readonly dims: string;
}

const MINUTE_LENGTH = 'YYYY-MM-DDTHH:mm'.length;

/** The counter of a metric item (`sk` = `<minute>#<dims>`). Throws {@link UnreadableItemError}. */
export function storedCounter(item: StoredItem): StoredCounter {
  const sk = text(item, 'sk');
  if (sk.length < MINUTE_LENGTH + 1 || sk[MINUTE_LENGTH] !== '#') throw unreadable(item, 'sk is not <minute>#<dims>');
  const sum = optionalNum(item, 'sum');
  const min = optionalNum(item, 'min');
  const max = optionalNum(item, 'max');
  return {
    minute: sk.slice(0, MINUTE_LENGTH),
    dims: sk.slice(MINUTE_LENGTH + 1),
    count: num(item, 'count'),
    late: optionalNum(item, 'late') ?? 0,
    ...(sum !== undefined ? { sum } : {}),
    ...(min !== undefined ? { min } : {}),
    ...(max !== undefined ? { max } : {}),
  };
}

/** The part of `dims` on `fields` (pairs kept as stored, in stored order), or undefined when a field is missing. */
function project(dims: string, fields: readonly string[]): string | undefined {
  if (fields.length === 0) return '';
  const pairs = dims === '' ? [] : dims.split('&').filter((pair) => fields.includes(pair.slice(0, pair.indexOf('='))));
  return pairs.length === fields.length ? pairs.join('&') : undefined;
}

/** Counters merged per minute (and per dims projected on `fields`), keyed by dims then minute. */
function mergeCounters(items: readonly StoredItem[], fields: readonly string[]): Map<string, Map<string, MetricCounter>> {
  const byDims = new Map<string, Map<string, MetricCounter>>();
  for (const item of items) {
    // No count: only a min/max update reached the item (writers add the count first), so it holds no events yet.
    if (item.count === undefined) continue;
    const counter = storedCounter(item);
    const dims = project(counter.dims, fields);
    if (dims === undefined) throw unreadable(item, `dims lack ${fields.join(' or ')}`);
    let minutes = byDims.get(dims);
    if (minutes === undefined) {
      minutes = new Map();
      byDims.set(dims, minutes);
    }
    const { minute, dims: _stored, ...values } = counter;
    minutes.set(minute, applyDelta(minutes.get(minute), values));
  }
  return byDims;
}

function bucketOf(minute: string, counter: MetricCounter): MetricBucket {
  const avg = average(counter);
  return {
    minute,
    count: counter.count,
    late: counter.late,
    ...(counter.sum !== undefined ? { sum: counter.sum } : {}),
    ...(counter.min !== undefined ? { min: counter.min } : {}),
    ...(counter.max !== undefined ? { max: counter.max } : {}),
    ...(avg !== undefined ? { avg } : {}),
  };
}

const byMinute = <T extends { readonly minute: string }>(a: T, b: T): number => compare(a.minute, b.minute);

/**
 * The series of metric counter items, grouped by `fields` (stored counters with more dimension
 * fields are added up): without fields, exactly one series (`dims: ''`); otherwise one per
 * value, the largest total count first, then by dims. Buckets are sorted by minute; minutes with
 * no counter are absent. Throws {@link UnreadableItemError}.
 */
export function metricSeries(items: readonly StoredItem[], fields: readonly string[]): MetricSeries[] {
  const merged = mergeCounters(items, fields);
  if (fields.length === 0 && merged.size === 0) return [{ dims: '', buckets: [] }];
  const series = [...merged].map(([dims, minutes]) => {
    const buckets = [...minutes].map(([minute, counter]) => bucketOf(minute, counter)).sort(byMinute);
    const pairs = parseDims(dims);
    const label = fields.length === 0 ? {} : fields.length === 1 ? { value: pairs[0]?.[1] ?? '' } : { values: Object.fromEntries(pairs) };
    return { total: buckets.reduce((sum, b) => sum + b.count, 0), series: { dims, ...label, buckets } };
  });
  return series.sort((a, b) => b.total - a.total || compare(a.series.dims, b.series.dims)).map((entry) => entry.series);
}

/**
 * `recharge.successRate`: per minute, `recharge.success` count / `recharge` count, for the
 * minutes with recharges (exactly one series, `dims: ''`). Throws {@link UnreadableItemError}.
 */
export function successRateSeries(rechargeItems: readonly StoredItem[], successItems: readonly StoredItem[]): MetricSeries<RateBucket>[] {
  const whole = mergeCounters(rechargeItems, []).get('') ?? new Map<string, MetricCounter>();
  const part = mergeCounters(successItems, []).get('') ?? new Map<string, MetricCounter>();
  const buckets: RateBucket[] = [];
  for (const [minute, counter] of whole) {
    const rate = ratio(part.get(minute), counter);
    if (rate !== undefined) buckets.push({ minute, rate });
  }
  return [{ dims: '', buckets: buckets.sort(byMinute) }];
}

// ---------------------------------------------------------------------------------------------
// Paths

/**
 * The Sankey edges of a day, `source \u0000 target` → weight: the edge counters of every shard
 * (sort key `E#…`: packed, one attribute `e|<source>\u0000<target>` per edge, or one edge's
 * `source`, `target`, `count`), both kinds of page view added up; other items of the partition are
 * not edges. Throws {@link UnreadableItemError}.
 */
export function dayEdges(items: readonly StoredItem[]): Record<string, number> {
  const edges: Record<string, number> = {};
  for (const item of items) {
    if (typeof item.sk !== 'string' || !item.sk.startsWith(EDGE_COUNTER_PREFIX)) continue;
    if (item.source !== undefined) {
      const key = `${text(item, 'source')}${EDGE_SEPARATOR}${text(item, 'target')}`;
      edges[key] = (edges[key] ?? 0) + num(item, 'count');
      continue;
    }
    for (const name of Object.keys(item)) {
      if (!name.startsWith(PACKED_EDGE_PREFIX)) continue;
      const key = name.slice(PACKED_EDGE_PREFIX.length);
      edges[key] = (edges[key] ?? 0) + num(item, name);
    }
  }
  return edges;
}

/**
 * The edges with weight ≥ `minWeight`, heaviest first (then by source, target), at most `limit`.
 * Throws RangeError for an edge key without its separator.
 */
export function edgeViews(weights: Readonly<Record<string, number>>, minWeight: number, limit: number): PathEdge[] {
  const edges: PathEdge[] = [];
  for (const [key, weight] of Object.entries(weights)) {
    if (weight < minWeight) continue;
    const at = key.indexOf(EDGE_SEPARATOR);
    if (at < 0) throw new RangeError(`edge key without a separator: ${JSON.stringify(key)}`);
    edges.push({ source: key.slice(0, at), target: key.slice(at + EDGE_SEPARATOR.length), weight });
  }
  return edges.sort((a, b) => b.weight - a.weight || compare(a.source, b.source) || compare(a.target, b.target)).slice(0, limit);
}

/** The path-analysis CSV of a day's real-time edges (weight ≥ 1, heaviest first), `full_path` empty. Throws like {@link edgeViews}. */
export function edgesCsv(weights: Readonly<Record<string, number>>): string {
  return rowsToCsv(edgeViews(weights, 1, Number.POSITIVE_INFINITY).map((edge) => ({ ...edge, fullPath: '' })));
}
