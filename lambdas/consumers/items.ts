import type { EdgeCounter } from '../analytics/edges';
import type { ErrorAlert } from '../analytics/error-alerts';
import type { MetricDelta, MetricKey } from '../analytics/kpis';
import { padSeq } from '../analytics/records';
import { readSessionState, type SessionState } from '../analytics/paths';
import type { WindowAlert, WindowPartial } from '../analytics/windows';
import { KEYS, boundText, dimFieldsOf, packJson, unpackJson } from '../shared/results-table';
import { cond, type AttrValue, type Item, type ItemKey, type WriteOp } from './store';

/**
 * How the consumers' results map onto items of the results table (keys only through `KEYS`),
 * and back. Pure: builds items and write operations, reads stored items; no I/O.
 */

/** The per-shard watermark attribute of a metric counter: the last (padded) sequence number of that shard applied to it. */
export const watermarkAttr = (shardId: string): string => `wm_${shardId}`;

/** Prefix of the attributes of a window-partials item that hold one shard segment's count each. */
export const PARTIAL_PREFIX = 'shard_';
/** The attribute of one shard segment's count in a window-partials item. */
export const partialAttr = (shardId: string, segment: string): string => `${PARTIAL_PREFIX}${shardId}_${segment}`;
/** Prefix of the flags that mark a shard segment's count as approximate. */
export const APPROXIMATE_PREFIX = 'approx_';

/** Base64 characters of a poison record kept in its quarantine item (the item must stay under 400 KB). */
export const MAX_QUARANTINED_DATA = 300_000;

/** A version number (`v`) as stored, or undefined for an item that does not exist yet. */
const versionOf = (item: Item | undefined): number | undefined => (typeof item?.v === 'number' ? item.v : undefined);

/** The condition of a versioned write: the item is as read (`v = :read`), or still missing. */
const asRead = (v: number | undefined) => (v === undefined ? cond.notExists('pk') : cond.compare('v', '=', v));

// ------------------------------------------------------------------ quarantine

/** A record that could not be decoded, as the realtime consumer keeps it. */
export interface QuarantinedRecord {
  readonly shardId: string;
  readonly seq: string;
  /** Approximate arrival time, epoch ms. */
  readonly arrival: number;
  readonly reason: string;
  /** The record's data, base64 as Lambda delivered it. */
  readonly data: string;
  readonly partitionKey: string | undefined;
}

/**
 * The quarantine put of a poison record: the key is the (UTC day of arrival, shard, padded
 * sequence number), so a redelivery writes the same item; data longer than
 * {@link MAX_QUARANTINED_DATA} is cut and flagged `truncated`. Never fails.
 */
export function quarantineOp(record: QuarantinedRecord, consumer: string, expiresAt: number): WriteOp {
  const truncated = record.data.length > MAX_QUARANTINED_DATA;
  const item: Record<string, AttrValue> = {
    ...KEYS.quarantine(new Date(record.arrival).toISOString().slice(0, 10), record.shardId, padSeq(record.seq)),
    reason: record.reason,
    data: truncated ? record.data.slice(0, MAX_QUARANTINED_DATA) : record.data,
    arrival: new Date(record.arrival).toISOString(),
    shardId: record.shardId,
    sequenceNumber: record.seq,
    consumer,
    expiresAt,
  };
  if (record.partitionKey !== undefined) item.partitionKey = record.partitionKey;
  if (truncated) {
    item.truncated = true;
    item.dataLength = record.data.length;
  }
  // First write wins: a redelivery finds the item and changes nothing.
  return { kind: 'put', item, condition: cond.notExists('pk') };
}

// ------------------------------------------------------------------ alerts

/** The UTC day of an ISO time, for the alerts-by-day index. Throws RangeError for a value that is not a time. */
const utcDayOf = (iso: string): string => {
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms)) throw new RangeError(`not a time: ${iso}`);
  return new Date(ms).toISOString().slice(0, 10);
};

/**
 * The put-once of an error alert (fields of `GET /v1/alerts`, GSI `byTime`), not yet notified.
 * `owner` is the shard that raised it: only that shard re-sends a notification that a crash
 * left unsent. Throws RangeError when `createdAt` is not a time.
 */
export function errorAlertOp(alert: ErrorAlert, owner: string, expiresAt: number): WriteOp {
  const item: Record<string, AttrValue> = {
    ...KEYS.errorAlert(alert.eventId),
    gpk: KEYS.alertsByDay(utcDayOf(alert.createdAt)),
    gsk: `${alert.createdAt}#error#${alert.eventId}`,
    kind: 'error',
    id: alert.eventId,
    eventId: alert.eventId,
    action: alert.action,
    userId: alert.userId,
    createdAt: alert.createdAt,
    errorMsg: alert.errorMsg,
    matched: alert.matched,
    notified: false,
    owner,
    expiresAt,
  };
  if (alert.objectId !== undefined) item.objectId = alert.objectId;
  if (alert.bizId !== undefined) item.bizId = alert.bizId;
  return { kind: 'put', item, condition: cond.notExists('pk') };
}

/** The error alert a stored item holds, or undefined when it is not one. Never throws. */
export function errorAlertOf(item: Item): ErrorAlert | undefined {
  const { eventId, action, userId, createdAt, errorMsg, matched, objectId, bizId } = item;
  if (typeof eventId !== 'string' || typeof action !== 'string' || typeof userId !== 'string' || typeof createdAt !== 'string')
    return undefined;
  if (typeof errorMsg !== 'string' || typeof matched !== 'string') return undefined;
  return {
    kind: 'error',
    eventId,
    action,
    userId,
    createdAt,
    errorMsg,
    matched,
    ...(typeof objectId === 'string' ? { objectId } : {}),
    ...(typeof bizId === 'string' ? { bizId } : {}),
  };
}

/** The `id` of a window alert in `GET /v1/alerts` (docs/read-api.md): `ruleId|group|windowStart`. Never fails. */
export const windowAlertApiId = (ruleId: string, group: string, windowStart: string): string => `${ruleId}|${group}|${windowStart}`;

/** The put-once of a window alert (fields of `GET /v1/alerts`, GSI `byTime`), not yet notified; see {@link errorAlertOp} for `owner`. Throws RangeError when `createdAt` is not a time. */
export function windowAlertOp(alert: WindowAlert, owner: string, expiresAt: number): WriteOp {
  const item: Record<string, AttrValue> = {
    ...KEYS.windowAlert(alert.ruleId, alert.action, alert.windowStart),
    gpk: KEYS.alertsByDay(utcDayOf(alert.createdAt)),
    gsk: `${alert.createdAt}#window#${alert.ruleId}#${alert.action}`,
    kind: 'window',
    id: windowAlertApiId(alert.ruleId, alert.action, alert.windowStart),
    ruleId: alert.ruleId,
    action: alert.action,
    windowStart: alert.windowStart,
    windowEnd: alert.windowEnd,
    count: alert.count,
    threshold: alert.threshold,
    createdAt: alert.createdAt,
    approximate: alert.approximate,
    notified: false,
    owner,
    expiresAt,
  };
  if (alert.groupBy !== undefined) item.groupBy = alert.groupBy;
  return { kind: 'put', item, condition: cond.notExists('pk') };
}

/** The window alert a stored item holds, or undefined when it is not one. Never throws. */
export function windowAlertOf(item: Item): WindowAlert | undefined {
  const { ruleId, action, groupBy, windowStart, windowEnd, count, threshold, createdAt, approximate } = item;
  if (typeof ruleId !== 'string' || typeof action !== 'string' || typeof windowStart !== 'string' || typeof windowEnd !== 'string')
    return undefined;
  if (typeof count !== 'number' || typeof threshold !== 'number' || typeof createdAt !== 'string') return undefined;
  return {
    kind: 'window',
    ruleId,
    action,
    groupBy: typeof groupBy === 'string' ? (groupBy as WindowAlert['groupBy']) : undefined,
    windowStart,
    windowEnd,
    count,
    threshold,
    createdAt,
    approximate: approximate === true,
  };
}

/** Marks an alert as notified (only while it exists: a TTL-deleted alert is not recreated). Never fails. */
export const notifiedOp = (key: ItemKey): WriteOp => ({
  kind: 'update',
  key,
  update: { set: { notified: true } },
  condition: cond.exists('pk'),
});

// ------------------------------------------------------------------ metrics

/** The item key of a metric counter: day partition from the bucket's first 10 characters (its local day). Never fails. */
export const metricItemKey = (key: MetricKey): ItemKey =>
  KEYS.metric(key.metric, dimFieldsOf(key.dims), key.bucket.slice(0, 10), key.bucket, key.dims);

/** Where a batch sits in its shard: the (padded) sequence numbers of its first and last record. */
export interface SeqRange {
  readonly first: string;
  readonly last: string;
}

/**
 * The update that adds a batch's delta to a counter once: ADD count/late/sum, SET the shard's
 * watermark to the batch's last sequence number and the plain fields the read API returns. The
 * condition is that the counter holds nothing of this batch yet (`wm < first`); for a recount
 * after a conflict (`expectedWatermark`), that the watermark is still the one read. Never fails.
 */
export function metricAddOp(
  delta: MetricDelta,
  shardId: string,
  range: SeqRange,
  expiresAt: number,
  expectedWatermark?: string,
  newestEventTimeMs?: number,
): WriteOp {
  const add: Record<string, number> = { count: delta.count, late: delta.late };
  if (delta.sum !== undefined) add.sum = delta.sum;
  const set: Record<string, AttrValue> = { metric: delta.metric, dims: delta.dims, minute: delta.bucket };
  if (newestEventTimeMs !== undefined) set[newestAttr(shardId)] = newestEventTimeMs;
  return watermarkedAdd(metricItemKey(delta), add, set, shardId, range, { expiresAt, expectedWatermark });
}

/**
 * The update that adds `add` to a counter item once per shard and batch: ADD the numbers, SET the
 * shard's watermark to the batch's last sequence number, `expiresAt` and the plain fields `set`,
 * on the condition that the item holds nothing of this batch yet (`wm < first`), or for a recount,
 * that the watermark is still `expectedWatermark`. Never fails.
 */
function watermarkedAdd(
  key: ItemKey,
  add: Record<string, number>,
  set: Record<string, AttrValue>,
  shardId: string,
  range: SeqRange,
  options: { readonly expiresAt: number; readonly expectedWatermark: string | undefined },
): WriteOp {
  const wm = watermarkAttr(shardId);
  return {
    kind: 'update',
    key,
    update: { add, set: { [wm]: range.last, expiresAt: options.expiresAt, ...set } },
    condition:
      options.expectedWatermark === undefined
        ? cond.or(cond.notExists(wm), cond.compare(wm, '<', range.first))
        : cond.compare(wm, '=', options.expectedWatermark),
  };
}

/** The item key of an edge counter: the shard's packed item of (day, step), or the edge's own item. Never fails. */
export const edgeItemKey = (counter: EdgeCounter, shardId: string): ItemKey =>
  counter.single === undefined
    ? KEYS.pathEdgePack(counter.day, counter.step, shardId)
    : KEYS.pathEdge(counter.day, counter.step, counter.single.source, counter.single.target);

/**
 * The update that adds a batch's counts to an edge counter item once, with the same watermark
 * condition as a metric counter ({@link metricAddOp}). Never fails.
 */
export const edgeAddOp = (counter: EdgeCounter, shardId: string, range: SeqRange, expiresAt: number, expectedWatermark?: string): WriteOp =>
  watermarkedAdd(
    edgeItemKey(counter, shardId),
    counter.counts,
    counter.single === undefined
      ? { step: counter.step }
      : { source: counter.single.source, target: counter.single.target, step: counter.step },
    shardId,
    range,
    { expiresAt, expectedWatermark },
  );

/**
 * The updates that lower `min` / raise `max` of a counter to the delta's, each conditioned so
 * that it only ever moves outward (idempotent, any order); only those the stored item (`stored`,
 * as last read) does not already cover. Never fails.
 */
export function metricExtremeOps(delta: MetricDelta, stored: Item | undefined): WriteOp[] {
  const ops: WriteOp[] = [];
  const key = metricItemKey(delta);
  const min = stored?.min;
  const max = stored?.max;
  if (delta.min !== undefined && !(typeof min === 'number' && min <= delta.min)) {
    ops.push({
      kind: 'update',
      key,
      update: { set: { min: delta.min } },
      condition: cond.or(cond.notExists('min'), cond.compare('min', '>', delta.min)),
    });
  }
  if (delta.max !== undefined && !(typeof max === 'number' && max >= delta.max)) {
    ops.push({
      kind: 'update',
      key,
      update: { set: { max: delta.max } },
      condition: cond.or(cond.notExists('max'), cond.compare('max', '<', delta.max)),
    });
  }
  return ops;
}

/** The newest event time a metrics cursor holds, or undefined. Never throws. */
export const newestEventTimeOf = (item: Item | undefined): number | undefined =>
  typeof item?.newestEventTimeMs === 'number' ? item.newestEventTimeMs : undefined;

/**
 * The attribute of the `events` total counter of the minute of the shard's metrics cursor that
 * holds the shard's newest event time when it moved on within that minute (a later batch of the
 * same minute): the counter's write carries it, so the cursor item is written once per minute
 * at most instead of once per batch. The read API does not return it.
 */
export const newestAttr = (shardId: string): string => `nt_${shardId}`;

/**
 * The newest event time of a shard's earlier batches: its metrics cursor, or the newer time the
 * `events` total counter of the cursor's minute holds ({@link newestAttr}), whichever is later.
 * Never throws.
 */
export function newestSeenOf(cursor: Item | undefined, totalOfCursorMinute: Item | undefined, shardId: string): number | undefined {
  const atCursor = newestEventTimeOf(cursor);
  const within = totalOfCursorMinute?.[newestAttr(shardId)];
  if (typeof within !== 'number') return atCursor;
  return atCursor === undefined || within > atCursor ? within : atCursor;
}

/** Moves the shard's metrics cursor up to `newestEventTimeMs` (never down). Never fails. */
export const metricsCursorOp = (shardId: string, newestEventTimeMs: number): WriteOp => ({
  kind: 'update',
  key: KEYS.metricsCursor(shardId),
  update: { set: { newestEventTimeMs } },
  condition: cond.or(cond.notExists('newestEventTimeMs'), cond.compare('newestEventTimeMs', '<', newestEventTimeMs)),
});

// ------------------------------------------------------------------ sessions of step-less page views

/** A stored value with the version it was read at (undefined: the item does not exist). */
export interface Versioned<T> {
  readonly value: T;
  readonly v: number | undefined;
}

/** The state a session item holds (a fresh state for a missing item). Throws TypeError when the item holds no session state. */
export function sessionOf(item: Item | undefined): Versioned<SessionState> {
  if (item === undefined) return { value: readSessionState(undefined), v: undefined };
  const d = item.d;
  if (!(d instanceof Uint8Array)) throw new TypeError('session item: attribute d is not binary');
  return { value: readSessionState(unpackJson(d)), v: versionOf(item) };
}

/**
 * The put of a session key's state (gzip JSON in `d`), if the item is still at version `read.v`,
 * with its TTL `expiresAt`. Never fails.
 */
export const sessionOp = (
  shardId: string,
  sessionKey: string,
  state: SessionState,
  read: Versioned<unknown>,
  expiresAt: number,
): WriteOp => ({
  kind: 'put',
  item: { ...KEYS.session(shardId, sessionKey), d: packJson(state), v: (read.v ?? 0) + 1, expiresAt },
  condition: asRead(read.v),
});

// ------------------------------------------------------------------ windows

/**
 * The update that records one shard segment's count of a (rule, group, window) and hands back
 * the whole item (every shard's count so far). Setting the same value again changes nothing, so
 * a retried final invoke is harmless. Never fails.
 */
export function windowPartialOp(partial: WindowPartial, threshold: number, expiresAt: number): WriteOp {
  const set: Record<string, AttrValue> = {
    [partialAttr(partial.shardId, partial.segment)]: partial.count,
    ruleId: partial.ruleId,
    group: partial.group,
    windowStart: partial.windowStart,
    windowEnd: partial.windowEnd,
    threshold,
    expiresAt,
  };
  if (partial.approximate) set[`${APPROXIMATE_PREFIX}${partial.shardId}_${partial.segment}`] = true;
  return { kind: 'update', key: KEYS.windowPartials(partial.ruleId, partial.group, partial.windowStart), update: { set } };
}

/**
 * The quarantine put of a window partial that DynamoDB refuses (the final invoke must not block its
 * shard): keyed by the window's UTC day, the shard and `<padded segment>#<ruleId>#<group, bounded>`,
 * with the reason and the partial as base64 JSON in `data`. First write wins. Never fails.
 */
export function windowPartialQuarantineOp(partial: WindowPartial, reason: string, consumer: string, expiresAt: number): WriteOp {
  const arrival = Date.parse(partial.windowStart);
  const op = quarantineOp(
    {
      shardId: partial.shardId,
      seq: partial.segment,
      arrival: Number.isFinite(arrival) ? arrival : 0,
      reason: reason.slice(0, 500),
      data: Buffer.from(JSON.stringify(partial), 'utf8').toString('base64'),
      partitionKey: undefined,
    },
    consumer,
    expiresAt,
  );
  if (op.kind !== 'put') return op;
  const day = new Date(Number.isFinite(arrival) ? arrival : 0).toISOString().slice(0, 10);
  const key = KEYS.quarantine(day, partial.shardId, `${padSeq(partial.segment)}#${partial.ruleId}#${boundText(partial.group, 128)}`);
  return { ...op, item: { ...op.item, ...key } };
}

/** The counts of a window-partials item by shard segment, and whether any of them is approximate. Never throws. */
export function windowCountsOf(item: Item | undefined): { readonly counts: Record<string, number>; readonly approximate: boolean } {
  const counts: Record<string, number> = {};
  let approximate = false;
  for (const [name, value] of Object.entries(item ?? {})) {
    if (name.startsWith(PARTIAL_PREFIX) && typeof value === 'number') counts[name] = value;
    if (name.startsWith(APPROXIMATE_PREFIX) && value === true) approximate = true;
  }
  return { counts, approximate };
}
