import type { StreamEvent } from '../shared/event';
import { boundText } from '../shared/results-table';
import { EVENTS_METRIC, type FieldRef, type Measure, type MetricsConfig } from './config';
import {
  compileFilter,
  compileLabelRef,
  compileValue,
  requiredAction,
  type LabelAccessor,
  type NumericValue,
  type Predicate,
} from './filters';
import { compareSeq } from './records';
import { localMinute, parseIsoUtc } from './time';

/**
 * Identity of one counter: a metric (`events` or a measure name), a minute bucket of event time
 * in the configured zone, and dimension values (`''` for the total, `action=page_view`,
 * `props.machineId=12&props.commodityId=1000001`).
 */
export interface MetricKey {
  readonly metric: string;
  readonly bucket: string;
  readonly dims: string;
}

/**
 * The values of one counter. `count` and `late` are always there; `sum`/`min`/`max` when the
 * measure aggregates them. `late` counts the contributions of late events (also in `count`).
 */
export interface MetricCounter {
  readonly count: number;
  readonly late: number;
  readonly sum?: number;
  readonly min?: number;
  readonly max?: number;
}

/** What one batch adds to one counter (`min`/`max` are of this batch; merge them with min/max). */
export interface MetricDelta extends MetricKey, MetricCounter {}

/**
 * One stream event with its sequence number, in arrival (sequence) order within a shard; a
 * {@link DecodedEvent} is one, and its parsed times are used instead of parsing again.
 */
export interface SequencedEvent {
  readonly event: StreamEvent;
  readonly seq: string;
  readonly createdMs?: number;
  readonly receivedMs?: number;
}

/** Options of {@link aggregateMetrics}. */
export interface AggregateOptions {
  /**
   * For a retry: the watermark stored in the counter item `keyId` (the last sequence number of
   * this shard already applied to it). Records at or below it add nothing to that key; lateness is
   * still judged over the whole batch, so the flags match the first attempt.
   */
  readonly watermarkOf?: (keyId: string) => string | undefined;
}

/** The result of one batch. */
export interface MetricsBatch {
  /** One delta per distinct counter key ({@link metricKeyId}) touched by the batch. */
  readonly deltas: Map<string, MetricDelta>;
  /** The newest event time seen after this batch (store it with the shard's checkpoint); undefined while none was seen. */
  readonly newestEventTimeMs: number | undefined;
  /** The last sequence number of the batch (the watermark to store with each key); undefined for an empty batch. */
  readonly lastSeq: string | undefined;
  /** Events counted as late. */
  readonly lateEvents: number;
}

/**
 * The local minute of an ISO UTC instant in `timeZone`, as `YYYY-MM-DDTHH:mm` (wall clock, no
 * offset: in a repeated DST hour two real minutes share one label; a skipped hour has none).
 * Throws RangeError for an input that is not ISO UTC or an unknown zone.
 */
export function minuteBucket(isoUtc: string, timeZone: string): string {
  const ms = parseIsoUtc(isoUtc);
  if (ms === undefined) throw new RangeError(`not an ISO 8601 UTC time: ${isoUtc}`);
  return localMinute(ms, timeZone);
}

/** `metric|bucket|dims`: the string id of a key (metric names and buckets hold no `|`). Never fails. */
export const metricKeyId = (key: MetricKey): string => `${key.metric}|${key.bucket}|${key.dims}`;

/** The key of a {@link metricKeyId}. Throws RangeError for a string that is not one. */
export function parseMetricKeyId(id: string): MetricKey {
  const first = id.indexOf('|');
  const second = first < 0 ? -1 : id.indexOf('|', first + 1);
  if (second < 0) throw new RangeError(`not a metric key id: ${id}`);
  return { metric: id.slice(0, first), bucket: id.slice(first + 1, second), dims: id.slice(second + 1) };
}

const SPECIAL = /[%&=]/;

/** A dimension value with `%`, `&` and `=` percent-encoded (everything else, Chinese included, as is). */
const escapeValue = (value: string): string =>
  SPECIAL.test(value) ? value.replace(/%/g, '%25').replace(/&/g, '%26').replace(/=/g, '%3D') : value;

/**
 * Bytes of one dimension value in a counter's sort key (`<minute>#<field>=<value>&…`), escaped.
 * With at most 4 fields whose names total at most `MAX_DIMENSION_FIELDS_BYTES` (checked by
 * the config), the sort key stays under DynamoDB's 1024 bytes.
 */
export const MAX_DIMENSION_VALUE_BYTES = 120;

/** UTF-8 bytes of a code point once escaped for a dims string. */
const escapedCost = (c: string): number => (c === '%' || c === '&' || c === '=' ? 3 : Buffer.byteLength(c));

/** A dimension value as it goes into a dims string: escaped, and cut to a readable prefix plus a digest when longer than {@link MAX_DIMENSION_VALUE_BYTES}. Never fails. */
export const dimValue = (value: string): string => escapeValue(boundText(value, MAX_DIMENSION_VALUE_BYTES, escapedCost));

/** `field=value&field=value`, values escaped (and bounded, see {@link dimValue}) so the string splits back unambiguously. Never fails. */
export const encodeDims = (pairs: readonly (readonly [FieldRef, string])[]): string =>
  pairs.map(([field, value]) => `${field}=${dimValue(value)}`).join('&');

/** The field/value pairs of a dims string (`''` gives none). Never throws (a malformed escape stays as written). */
export function parseDims(dims: string): [string, string][] {
  if (dims === '') return [];
  return dims.split('&').map((pair): [string, string] => {
    const at = pair.indexOf('=');
    const raw = at < 0 ? '' : pair.slice(at + 1);
    let value: string;
    try {
      value = decodeURIComponent(raw);
    } catch {
      value = raw;
    }
    return [at < 0 ? pair : pair.slice(0, at), value];
  });
}

/** A float sum without binary noise (`0.1 + 0.2` → `0.3`, 15 significant digits); integers stay exact. Never fails. */
export const cleanSum = (x: number): number => (Number.isInteger(x) ? x : Number(x.toPrecision(15)));

/** A counter being accumulated. */
interface Acc {
  readonly metric: string;
  readonly bucket: string;
  readonly dims: string;
  count: number;
  late: number;
  sum: number;
  min: number;
  max: number;
  readonly aggregates: Aggregates;
}

/** The counters of one minute bucket. */
interface BucketCounters {
  readonly label: string;
  readonly total: Acc;
  readonly byDimension: Map<string, Acc>[];
  readonly byMeasure: Map<string, Acc>[];
}

interface Aggregates {
  readonly sum: boolean;
  readonly min: boolean;
  readonly max: boolean;
}

const COUNT_ONLY: Aggregates = { sum: false, min: false, max: false };

interface CompiledDimension {
  readonly prefix: string;
  readonly label: LabelAccessor;
}

interface CompiledMeasure {
  readonly name: string;
  /** The field the value is read from, for messages (undefined for a duration). */
  readonly source: string | undefined;
  readonly matches: Predicate | undefined;
  readonly value: NumericValue | undefined;
  readonly groupBy: readonly CompiledDimension[];
  readonly aggregates: Aggregates;
}

interface CompiledMetrics {
  readonly dimensions: readonly CompiledDimension[];
  readonly measures: readonly CompiledMeasure[];
  /** Indexes of the measures an event of an action may match, in config order: those whose filter pins that action, and those whose filter pins none. */
  readonly byAction: ReadonlyMap<string, readonly number[]>;
  /** Indexes of the measures whose filter pins no action (all an event of any other action may match). */
  readonly anyAction: readonly number[];
}

const compiledConfigs = new WeakMap<MetricsConfig, CompiledMetrics>();

const dimension = (field: FieldRef): CompiledDimension => ({ prefix: `${field}=`, label: compileLabelRef(field) });

function compileMeasure(measure: Measure, timeZone: string): CompiledMeasure {
  return {
    name: measure.name,
    source: measure.value !== undefined && 'field' in measure.value ? measure.value.field : undefined,
    matches: measure.filter === undefined ? undefined : compileFilter(measure.filter),
    value: measure.value === undefined ? undefined : compileValue(measure.value, timeZone),
    groupBy: (measure.groupBy ?? []).map(dimension),
    aggregates: { sum: measure.agg.includes('sum'), min: measure.agg.includes('min'), max: measure.agg.includes('max') },
  };
}

function compileMetrics(config: MetricsConfig): CompiledMetrics {
  let compiled = compiledConfigs.get(config);
  if (compiled === undefined) {
    const actions = config.measures.map((m) => (m.filter === undefined ? undefined : requiredAction(m.filter)));
    const anyAction = actions.flatMap((action, j) => (action === undefined ? [j] : []));
    const byAction = new Map<string, number[]>();
    for (const action of actions) {
      if (action !== undefined && !byAction.has(action))
        byAction.set(
          action,
          actions.flatMap((a, j) => (a === undefined || a === action ? [j] : [])),
        );
    }
    compiled = {
      dimensions: config.dimensions.map(dimension),
      measures: config.measures.map((m) => compileMeasure(m, config.timeZone)),
      byAction,
      anyAction,
    };
    compiledConfigs.set(config, compiled);
  }
  return compiled;
}

/** The measures `event` may match (see {@link CompiledMetrics.byAction}), in config order. */
const measuresFor = (compiled: CompiledMetrics, event: StreamEvent): readonly number[] =>
  compiled.byAction.get(event.action) ?? compiled.anyAction;

/** The dims string of a measure's groupBy for `event`, or undefined when a field is missing. */
function groupDims(groupBy: readonly CompiledDimension[], event: StreamEvent): string | undefined {
  let dims = '';
  for (let i = 0; i < groupBy.length; i++) {
    const d = groupBy[i] as CompiledDimension;
    const label = d.label(event);
    if (label === undefined) return undefined;
    dims += `${i === 0 ? '' : '&'}${d.prefix}${dimValue(label)}`;
  }
  return dims;
}

/**
 * The magnitude a measured value may have. Per-minute sums are added in DynamoDB and read back as
 * JavaScript numbers, which the SDK refuses beyond ±2^53; at most 10^12 per value keeps thousands
 * of values per counter exact. A non-zero value must be at least 10^-6 in magnitude, so that a sum
 * stays within DynamoDB's 38 significant digits.
 */
export const MEASURED_VALUE_RANGE = { max: 1e12, minNonZero: 1e-6 } as const;

/**
 * Why a measure cannot count `event` (its value is outside {@link MEASURED_VALUE_RANGE}), naming
 * the measure and the value; undefined when every measure can. Such a record is quarantined: it
 * would fail the counter's write on every retry. Pure; never throws.
 */
export function unmeasurableReason(event: StreamEvent, config: MetricsConfig): string | undefined {
  const compiled = compileMetrics(config);
  for (const j of measuresFor(compiled, event)) {
    const m = compiled.measures[j] as CompiledMeasure;
    if (m.value === undefined || (m.matches !== undefined && !m.matches(event))) continue;
    const value = m.value(event);
    if (value === undefined) continue;
    const magnitude = Math.abs(value);
    if (magnitude > MEASURED_VALUE_RANGE.max || (magnitude !== 0 && magnitude < MEASURED_VALUE_RANGE.minNonZero)) {
      return `measure ${m.name}: value ${value}${m.source === undefined ? '' : ` (${m.source})`} is outside the range a counter keeps exactly: 0 or ${MEASURED_VALUE_RANGE.minNonZero} to ${MEASURED_VALUE_RANGE.max} in magnitude`;
    }
  }
  return undefined;
}

/**
 * Pre-aggregates a batch into per-minute counters, one delta per distinct key (so a batch costs
 * as many writes as it has keys, not events):
 * - `events` per bucket: the total (`dims: ''`) and one counter per configured dimension value
 *   (events without the field are not counted under it);
 * - each measure per bucket and `groupBy` values (events missing a groupBy field are skipped):
 *   the matching events' count and, over their numeric values, sum/min/max.
 * Buckets are minutes of event time (`createdAt`) in `config.timeZone`. Lateness, in arrival
 * order: an event is late when it is more than `latenessSeconds` behind the newest event time seen
 * (over earlier batches, `newestEventTimeSeenMs`, and earlier records of this one). A late event
 * still counts in its bucket and also adds to `late`. An event time ahead of its `receivedAt`
 * advances the newest time only up to `receivedAt`, so one skewed producer clock cannot make
 * everything after it late. Records must be in sequence order. Pure; never throws.
 */
export function aggregateMetrics(
  records: readonly SequencedEvent[],
  config: MetricsConfig,
  newestEventTimeSeenMs: number | undefined,
  options: AggregateOptions = {},
): MetricsBatch {
  const compiled = compileMetrics(config);
  const latenessMs = config.latenessSeconds * 1000;
  const watermarkOf = options.watermarkOf;
  const accumulators: Acc[] = [];
  /** bucket → its counters: the total, one value map per dimension, one dims map per measure (no key strings per event). */
  const buckets = new Map<string, BucketCounters>();
  const watermarks = new Map<string, string | undefined>();
  let newest = newestEventTimeSeenMs;
  let lateEvents = 0;
  let lastSeq: string | undefined;
  let lastMinute = Number.NaN;
  let current: BucketCounters | undefined;

  const create = (metric: string, bucket: string, dims: string, aggregates: Aggregates): Acc => {
    const acc: Acc = {
      metric,
      bucket,
      dims,
      count: 0,
      late: 0,
      sum: 0,
      min: Number.POSITIVE_INFINITY,
      max: Number.NEGATIVE_INFINITY,
      aggregates,
    };
    accumulators.push(acc);
    return acc;
  };
  /** True when the key's stored watermark already covers `seq` (asked on retries only). */
  const covered = (acc: Acc, seq: string, of: (keyId: string) => string | undefined): boolean => {
    const id = `${acc.metric}|${acc.bucket}|${acc.dims}`;
    if (!watermarks.has(id)) watermarks.set(id, of(id));
    const wm = watermarks.get(id);
    return wm !== undefined && compareSeq(seq, wm) <= 0;
  };

  for (const record of records) {
    const { event, seq } = record;
    lastSeq = seq;
    const t = record.createdMs ?? parseIsoUtc(event.createdAt);
    if (t === undefined) continue;
    const late = newest !== undefined && newest - t > latenessMs ? 1 : 0;
    lateEvents += late;
    if (newest === undefined || t > newest) {
      const received = record.receivedMs ?? parseIsoUtc(event.receivedAt);
      const advance = received === undefined || t <= received ? t : received;
      if (newest === undefined || advance > newest) newest = advance;
    }

    const minute = Math.floor(t / 60_000);
    if (minute !== lastMinute || current === undefined) {
      const label = localMinute(t, config.timeZone);
      current = buckets.get(label);
      if (current === undefined) {
        current = {
          label,
          total: create(EVENTS_METRIC, label, '', COUNT_ONLY),
          byDimension: compiled.dimensions.map(() => new Map<string, Acc>()),
          byMeasure: compiled.measures.map(() => new Map<string, Acc>()),
        };
        buckets.set(label, current);
      }
      lastMinute = minute;
    }
    const bucket = current.label;
    if (watermarkOf === undefined || !covered(current.total, seq, watermarkOf)) {
      current.total.count += 1;
      current.total.late += late;
    }
    for (let i = 0; i < compiled.dimensions.length; i++) {
      const d = compiled.dimensions[i] as CompiledDimension;
      const label = d.label(event);
      if (label === undefined) continue;
      const byValue = current.byDimension[i] as Map<string, Acc>;
      let acc = byValue.get(label);
      if (acc === undefined) {
        acc = create(EVENTS_METRIC, bucket, d.prefix + dimValue(label), COUNT_ONLY);
        byValue.set(label, acc);
      }
      if (watermarkOf !== undefined && covered(acc, seq, watermarkOf)) continue;
      acc.count += 1;
      acc.late += late;
    }

    for (const j of measuresFor(compiled, event)) {
      const m = compiled.measures[j] as CompiledMeasure;
      if (m.matches !== undefined && !m.matches(event)) continue;
      let value: number | undefined;
      if (m.value !== undefined) {
        value = m.value(event);
        if (value === undefined) continue;
      }
      const dims = m.groupBy.length === 0 ? '' : groupDims(m.groupBy, event);
      if (dims === undefined) continue;
      const byDims = current.byMeasure[j] as Map<string, Acc>;
      let acc = byDims.get(dims);
      if (acc === undefined) {
        acc = create(m.name, bucket, dims, m.aggregates);
        byDims.set(dims, acc);
      }
      if (watermarkOf !== undefined && covered(acc, seq, watermarkOf)) continue;
      acc.count += 1;
      acc.late += late;
      if (value !== undefined) {
        acc.sum += value;
        if (value < acc.min) acc.min = value;
        if (value > acc.max) acc.max = value;
      }
    }
  }

  const out = new Map<string, MetricDelta>();
  for (const acc of accumulators) {
    if (acc.count === 0) continue;
    out.set(`${acc.metric}|${acc.bucket}|${acc.dims}`, finish(acc));
  }
  return { deltas: out, newestEventTimeMs: newest, lastSeq, lateEvents };
}

/** The delta of an accumulator, with only the aggregates its measure keeps. */
function finish(acc: Acc): MetricDelta {
  const { metric, bucket, dims, count, late, aggregates } = acc;
  return {
    metric,
    bucket,
    dims,
    count,
    late,
    ...(aggregates.sum ? { sum: cleanSum(acc.sum) } : {}),
    ...(aggregates.min && Number.isFinite(acc.min) ? { min: acc.min } : {}),
    ...(aggregates.max && Number.isFinite(acc.max) ? { max: acc.max } : {}),
  };
}

/**
 * Merges a delta into a stored counter (undefined = none yet): counts and sums add up, min/max
 * keep the extreme. Pure; never throws.
 */
export function applyDelta(existing: MetricCounter | undefined, delta: MetricCounter): MetricCounter {
  if (existing === undefined) {
    return {
      count: delta.count,
      late: delta.late,
      ...(delta.sum !== undefined ? { sum: delta.sum } : {}),
      ...(delta.min !== undefined ? { min: delta.min } : {}),
      ...(delta.max !== undefined ? { max: delta.max } : {}),
    };
  }
  const pick = (a: number | undefined, b: number | undefined, f: (x: number, y: number) => number): number | undefined =>
    a === undefined ? b : b === undefined ? a : f(a, b);
  const sum = existing.sum === undefined && delta.sum === undefined ? undefined : cleanSum((existing.sum ?? 0) + (delta.sum ?? 0));
  const min = pick(existing.min, delta.min, Math.min);
  const max = pick(existing.max, delta.max, Math.max);
  return {
    count: existing.count + delta.count,
    late: existing.late + delta.late,
    ...(sum !== undefined ? { sum } : {}),
    ...(min !== undefined ? { min } : {}),
    ...(max !== undefined ? { max } : {}),
  };
}

/** The records whose sequence number is above `watermarkSeq` (all of them when it is undefined), in order. Never throws. */
export function seqFilter<T extends { readonly seq: string }>(records: readonly T[], watermarkSeq: string | undefined): T[] {
  if (watermarkSeq === undefined) return [...records];
  return records.filter((record) => compareSeq(record.seq, watermarkSeq) > 0);
}

/** Average of a counter with a sum (sum / count), or undefined without one. Never throws. */
export const average = (counter: MetricCounter): number | undefined =>
  counter.sum === undefined || counter.count === 0 ? undefined : counter.sum / counter.count;

/** A success rate from two counters (`recharge.success` over `recharge`), or undefined when there are none. Never throws. */
export const ratio = (part: MetricCounter | undefined, whole: MetricCounter | undefined): number | undefined =>
  whole === undefined || whole.count === 0 ? undefined : (part?.count ?? 0) / whole.count;
