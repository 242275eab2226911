import type { KinesisStreamBatchItemFailure, KinesisStreamBatchResponse, KinesisStreamRecord } from 'aws-lambda';
import { findErrorAlerts, summarizeForNotification } from '../analytics/error-alerts';
import { aggregateMetrics, metricKeyId, unmeasurableReason, type MetricDelta, type MetricKey } from '../analytics/kpis';
import { localMinute } from '../analytics/time';
import { sessionize, sessionKeyOf, type SessionState } from '../analytics/paths';
import { EVENTS_METRIC } from '../analytics/config';
import {
  carriesStep,
  countEdges,
  edgeKeyId,
  edgeOccurrences,
  PACKED_EDGE_PREFIX,
  packedCounterId,
  routeEdges,
  type EdgeKey,
  type EdgeOccurrence,
} from '../analytics/edges';
import { compareSeq, decodeRecords, padSeq, type DecodedEvent, type DecodedRecord } from '../analytics/records';
import { KEYS, expiresInDays } from '../shared/results-table';
import { DEFAULT_CONCURRENCY, type ConsumerDeps, describeError, isRecordFault, mapLimit, shardIdOf } from './common';
import {
  edgeAddOp,
  edgeItemKey,
  errorAlertOf,
  errorAlertOp,
  metricAddOp,
  metricExtremeOps,
  metricItemKey,
  metricsCursorOp,
  newestEventTimeOf,
  newestSeenOf,
  quarantineOp,
  sessionOf,
  sessionOp,
  watermarkAttr,
  type SeqRange,
  type Versioned,
} from './items';
import { storeAndNotify } from './outbox';
import { capacitySince, keyId, type Item, type ItemKey, type WriteOp } from './store';

/**
 * The realtime consumer: one Kinesis batch of one shard, in order, at least once, turned into
 * exactly-once results. Steps, each idempotent so that a whole-batch retry (or a retry of any
 * part of it) is exact:
 * 1. decode; quarantine poison records (put once per shard and sequence number): unparseable
 *    ones, and valid events whose measured value a counter cannot hold;
 * 2. error alerts: put once per eventId, one SNS message for the batch, then `notified`;
 * 3. per-minute metrics: per counter, ADD guarded by the shard's watermark in the item;
 * 4. Sankey edges: counters with the same watermark guard, fed by step-carrying page views
 *    directly and by step-less page views through their sessions' items (one per session key
 *    touched), which are written after the counters.
 * When DynamoDB refuses a write for its content, the batch is split in order until the records at
 * fault are found, and those are quarantined too (see {@link isRecordFault}); only a dependency's
 * failure fails the batch.
 */

/** Everything the realtime consumer needs from outside; tests pass a memory store, a fake notifier and a fixed clock. */
export type RealtimeDeps = ConsumerDeps;

/** The consumer's name in quarantined items. */
export const REALTIME_CONSUMER = 'realtime';

/** The Lambda function's shape: a Kinesis batch in, partial failures out. */
export type RealtimeHandler = (event: { readonly Records?: readonly KinesisStreamRecord[] }) => Promise<KinesisStreamBatchResponse>;

/** What the quarantine step did. */
export interface QuarantineReport {
  readonly poison: number;
  /** Index of the first poison record whose quarantine put failed (the batch is processed up to it), or undefined. */
  readonly failedIndex: number | undefined;
}

/**
 * Quarantines the poison records of a batch (put once per shard and sequence number, so a
 * redelivery changes nothing). Never throws: a failed put is reported as `failedIndex` (the
 * first such record) so that the batch can be processed up to it and retried from it.
 */
export async function quarantinePoison(
  deps: RealtimeDeps,
  shardId: string,
  records: readonly KinesisStreamRecord[],
  decoded: readonly DecodedRecord[],
): Promise<QuarantineReport> {
  const poison: { readonly d: DecodedRecord; readonly index: number }[] = [];
  decoded.forEach((d, index) => {
    if (!d.ok) poison.push({ d, index });
  });
  if (poison.length === 0) return { poison: 0, failedIndex: undefined };
  const expiresAt = expiresInDays(deps.now(), deps.config.quarantineRetentionDays);
  const failed = await mapLimit(poison, deps.concurrency ?? DEFAULT_CONCURRENCY, async ({ d, index }) => {
    if (d.ok) return undefined;
    const record = records[index];
    try {
      const op = quarantineOp(
        {
          shardId,
          seq: d.seq,
          arrival: d.arrival,
          reason: d.reason,
          data: record?.kinesis.data ?? '',
          partitionKey: record?.kinesis.partitionKey,
        },
        REALTIME_CONSUMER,
        expiresAt,
      );
      await deps.store.write(op);
      return undefined;
    } catch (error) {
      deps.logger.error('quarantine put failed', { shardId, sequenceNumber: d.seq, ...describeError(error) }, { error });
      return index;
    }
  });
  const indexes = failed.filter((index): index is number => index !== undefined);
  return { poison: poison.length, failedIndex: indexes.length === 0 ? undefined : Math.min(...indexes) };
}

/** What the alerts step did. */
export interface AlertsReport {
  readonly alerts: number;
  readonly created: number;
  /** Alerts found un-notified (an earlier attempt stopped between the put and the publish) and notified now. */
  readonly renotified: number;
}

/**
 * Raises the error alerts of a batch: each is put once (`attribute_not_exists(pk)`), and the
 * new ones plus this shard's earlier un-notified ones go out in ONE SNS message, after which
 * they are marked `notified`. Rejects when a write or the publish fails (the batch is retried;
 * the alerts are then found un-notified and published), so a crash between the publish and the
 * marking may send a message twice, but never loses one.
 */
export async function raiseErrorAlerts(deps: RealtimeDeps, shardId: string, events: readonly DecodedEvent[]): Promise<AlertsReport> {
  const { config, store } = deps;
  const alerts = findErrorAlerts(
    events.map((e) => e.event),
    config.analytics.errorPatterns,
  );
  if (alerts.length === 0) return { alerts: 0, created: 0, renotified: 0 };
  const expiresAt = expiresInDays(deps.now(), config.resultRetentionDays);
  const { created, renotified } = await storeAndNotify(
    alerts,
    {
      putOnce: (alert) => errorAlertOp(alert, shardId, expiresAt),
      keyOf: (alert) => KEYS.errorAlert(alert.eventId),
      fromItem: errorAlertOf,
      summarize: (toNotify) => summarizeForNotification(toNotify, config.stage),
    },
    { store, notifier: deps.notifier, shardId, concurrency: deps.concurrency ?? DEFAULT_CONCURRENCY },
  );
  return { alerts: alerts.length, created, renotified };
}

/** What the metrics step did. */
export interface MetricsReport {
  readonly keys: number;
  /** Counter updates that added something (first try or recount). */
  readonly written: number;
  /** Counters whose watermark already covered the batch (a redelivery): a recount found nothing new. */
  readonly covered: number;
  /** Counters whose watermark condition failed and were recounted from the records above it. */
  readonly conditionalRetries: number;
  readonly extremeUpdates: number;
  readonly lateEvents: number;
}

/**
 * Adds a batch's per-minute counters exactly once. Per counter: ADD guarded by the shard's
 * watermark (`wm_<shard> < first`); when that fails (the counter already holds part of this
 * range), recount that counter from the records above the stored watermark and write the
 * difference guarded by `wm_<shard> = read`. Then min/max (conditional, idempotent). The shard's
 * newest event time (lateness is judged against it) moves up in the same write as the `events`
 * total counter of the cursor's minute while it stays in that minute (`nt_<shardId>`), and in
 * the cursor item (upward only) when it moves to a later minute: one cursor write per minute at
 * most, not one per batch. Rejects on a store error or a concurrent writer.
 */
export async function applyMetrics(
  deps: RealtimeDeps,
  shardId: string,
  events: readonly DecodedEvent[],
  range: SeqRange,
): Promise<MetricsReport> {
  const { config, store } = deps;
  const timeZone = config.analytics.metrics.timeZone;
  const cursor = await store.get(KEYS.metricsCursor(shardId));
  const cursorMs = newestEventTimeOf(cursor);
  const cursorMinute = cursorMs === undefined ? undefined : localMinute(cursorMs, timeZone);
  const totalOf = (bucket: string): MetricKey => ({ metric: EVENTS_METRIC, bucket, dims: '' });
  const seen =
    cursorMinute === undefined ? undefined : newestSeenOf(cursor, await store.get(metricItemKey(totalOf(cursorMinute))), shardId);
  const batch = aggregateMetrics(events, config.analytics.metrics, seen);
  // Where the newest event time goes: the cursor's minute's total counter (written anyway), else the cursor item.
  const newest =
    batch.newestEventTimeMs !== undefined && (seen === undefined || batch.newestEventTimeMs > seen) ? batch.newestEventTimeMs : undefined;
  const totalId = cursorMinute === undefined ? undefined : metricKeyId(totalOf(cursorMinute));
  const withinCursorMinute =
    newest !== undefined && totalId !== undefined && localMinute(newest, timeZone) === cursorMinute && batch.deltas.has(totalId);
  const carriesNewest = (delta: MetricDelta): boolean =>
    withinCursorMinute && delta.metric === EVENTS_METRIC && delta.dims === '' && delta.bucket === cursorMinute;
  const expiresAt = expiresInDays(deps.now(), config.resultRetentionDays);
  const family: CounterFamily<MetricDelta> = {
    what: 'metric',
    keyOf: metricItemKey,
    addOp: (delta, padded, expected) => metricAddOp(delta, shardId, padded, expiresAt, expected, carriesNewest(delta) ? newest : undefined),
    // Lateness is judged over the whole batch again, so the flags match the first attempt's.
    recount: (watermarkOf) => aggregateMetrics(events, config.analytics.metrics, seen, { watermarkOf }).deltas,
  };
  // The counter that carries the newest event time is written after every other one: a retry
  // must judge lateness against the time seen before this batch as long as any counter is missing.
  const carrier = withinCursorMinute && totalId !== undefined ? batch.deltas.get(totalId) : undefined;
  const first = await addOnce(
    deps,
    shardId,
    range,
    carrier === undefined ? batch.deltas : new Map([...batch.deltas].filter(([id]) => id !== totalId)),
    family,
  );
  const added =
    carrier === undefined || totalId === undefined
      ? first
      : mergeAddOnce(first, await addOnce(deps, shardId, range, new Map([[totalId, carrier]]), family));

  const extremes = [...batch.deltas].flatMap(([id, delta]) => metricExtremeOps(delta, added.stored.get(id)));
  await mapLimit(extremes, deps.concurrency ?? DEFAULT_CONCURRENCY, (op) => store.write(op));

  // A total counter an earlier attempt had written already carries no newest time of this one: the cursor item does.
  const carried = withinCursorMinute && totalId !== undefined && !added.coveredIds.has(totalId);
  if (newest !== undefined && !carried) await store.write(metricsCursorOp(shardId, newest));
  return {
    keys: batch.deltas.size,
    written: added.written,
    covered: added.covered,
    conditionalRetries: added.conditionalRetries,
    extremeUpdates: extremes.length,
    lateEvents: batch.lateEvents,
  };
}

/** How {@link addOnce} writes one kind of watermarked counter. */
interface CounterFamily<D> {
  /** For error messages: `metric`, `edge`. */
  readonly what: string;
  readonly keyOf: (delta: D) => ItemKey;
  /** The guarded ADD of a delta: `wm < first`, or `wm = expected` for a recount. */
  readonly addOp: (delta: D, padded: SeqRange, expected?: string) => WriteOp;
  /** The batch's deltas again, counting for each key only the records above its stored watermark (`watermarkOf`). */
  readonly recount: (watermarkOf: (keyId: string) => string | undefined) => Map<string, D>;
}

/** What {@link addOnce} did. */
interface AddOnceReport {
  readonly written: number;
  readonly covered: number;
  readonly conditionalRetries: number;
  /** Each key's item as it was before this batch's write (for follow-up conditional writes). */
  readonly stored: Map<string, Item | undefined>;
  /** The keys not written because their watermark already covered the batch. */
  readonly coveredIds: ReadonlySet<string>;
}

/** The reports of two {@link addOnce} passes over disjoint keys, as one. */
function mergeAddOnce(a: AddOnceReport, b: AddOnceReport): AddOnceReport {
  return {
    written: a.written + b.written,
    covered: a.covered + b.covered,
    conditionalRetries: a.conditionalRetries + b.conditionalRetries,
    stored: new Map([...a.stored, ...b.stored]),
    coveredIds: new Set([...a.coveredIds, ...b.coveredIds]),
  };
}

/**
 * Adds a batch's counter deltas exactly once, the one mechanism of every counter of this consumer
 * (per-minute metrics, Sankey edges). Per counter: ADD guarded by the shard's watermark in the
 * item (`wm_<shard> < first`); when that fails (the counter already holds part of this range: a
 * retry from the middle of a batch), recount that counter from the records above the stored
 * watermark and write the difference guarded by `wm_<shard> = read`. One write per key per batch
 * in the normal case. Rejects on a store error or a concurrent writer.
 */
async function addOnce<D>(
  deps: RealtimeDeps,
  shardId: string,
  range: SeqRange,
  deltas: Map<string, D>,
  family: CounterFamily<D>,
): Promise<AddOnceReport> {
  const { store } = deps;
  const limit = deps.concurrency ?? DEFAULT_CONCURRENCY;
  const padded: SeqRange = { first: padSeq(range.first), last: padSeq(range.last) };
  const wm = watermarkAttr(shardId);
  const stored = new Map<string, Item | undefined>();
  const conflicts = new Map<string, string>();
  let written = 0;
  await mapLimit([...deltas], limit, async ([id, delta]) => {
    const outcome = await store.write(family.addOp(delta, padded), { returnValues: 'ALL_OLD', returnOldOnConditionFailure: true });
    if (outcome.ok) {
      written += 1;
      stored.set(id, outcome.attributes);
      return;
    }
    const read = outcome.old?.[wm];
    if (typeof read !== 'string')
      throw new Error(`${family.what} ${keyId(family.keyOf(delta))}: watermark condition failed but ${wm} is missing`);
    conflicts.set(id, read);
    stored.set(id, outcome.old);
  });

  const coveredIds = new Set<string>();
  if (conflicts.size > 0) {
    const recount = family.recount((id) => conflicts.get(id) ?? padded.last);
    await mapLimit([...conflicts], limit, async ([id, read]) => {
      const delta = recount.get(id);
      if (delta === undefined) {
        coveredIds.add(id);
        return;
      }
      const outcome = await store.write(family.addOp(delta, padded, read), { returnValues: 'ALL_OLD' });
      if (!outcome.ok)
        throw new Error(
          `${family.what} ${keyId(family.keyOf(delta))}: ${wm} changed while recounting (is another consumer on this shard?)`,
        );
      written += 1;
      stored.set(id, outcome.attributes);
    });
  }
  return { written, covered: coveredIds.size, conditionalRetries: conflicts.size, stored, coveredIds };
}

/** What the edges step did. */
export interface EdgesReport {
  /** Distinct edge counters the batch touched. */
  readonly keys: number;
  readonly written: number;
  readonly covered: number;
  readonly conditionalRetries: number;
  /** Session keys of step-less page views the batch touched (items read). */
  readonly sessionKeys: number;
  /** Session items written. */
  readonly sessionWrites: number;
  /** Step-less page views past `maxSessionEvents` of their key, counted on the overflow edge. */
  readonly overflowEvents: number;
}

/** Hours a session item lives after its last write, on top of the session gap (its TTL: open sessions are never older). */
export const SESSION_TTL_HOURS = 6;

/** The step-less page views of a batch (page views whose edge does not come from their own `step`). */
const stepless = (events: readonly DecodedEvent[]): DecodedEvent[] =>
  events.filter((e) => e.event.path !== undefined && !carriesStep(e.event));

/** The two record-ordered lists of occurrences as one, in record order (ties keep `a` first). */
function mergeBySeq(a: readonly EdgeOccurrence[], b: readonly EdgeOccurrence[]): EdgeOccurrence[] {
  if (b.length === 0) return [...a];
  if (a.length === 0) return [...b];
  const out: EdgeOccurrence[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const x = a[i];
    const y = b[j];
    if (y === undefined || (x !== undefined && compareSeq(x.seq, y.seq) <= 0)) {
      out.push(x as EdgeOccurrence);
      i += 1;
    } else {
      out.push(y);
      j += 1;
    }
  }
  return out;
}

/**
 * Adds the Sankey edges of a batch exactly once, both kinds of page view into the same counters:
 * - a step-carrying page view adds 1 to its own edge (no session state);
 * - step-less page views go through their session keys' items (read with BatchGetItem, only the
 *   keys the batch touches): each record's changes of its session's edges (+1 for a new edge, −1/+1
 *   for the edges a late page view replaces, see `sessionize`) are tagged with its sequence number.
 * The counters are watermarked counters keyed by (day, step, source, target), packed per (day,
 * step) into one small item of the shard's (an item of their own past its bound), written by
 * {@link addOnce}: a counter whose watermark covers part of the batch is recounted from the
 * changes of the records above it. The session items are written after every counter, each
 * conditional on the version read. So a retry finds either nothing of the batch in the sessions
 * (and recomputes the same changes from the same items), or the counters complete and some
 * sessions holding the batch's page views (duplicates by eventId, which change nothing). Rejects
 * on a store error or a concurrent writer.
 */
export async function applyEdges(
  deps: RealtimeDeps,
  shardId: string,
  events: readonly DecodedEvent[],
  range: SeqRange,
): Promise<EdgesReport> {
  const { config, store } = deps;
  const paths = config.analytics.paths;
  const stepped = edgeOccurrences(events, paths);

  const pageViews = stepless(events);
  const sessionKeys = [...new Set(pageViews.map((e) => sessionKeyOf(e.event)))];
  const sessionItems =
    sessionKeys.length === 0 ? new Map<string, Item>() : await store.batchGet(sessionKeys.map((k) => KEYS.session(shardId, k)));
  const stored = new Map<string, Versioned<SessionState>>();
  const storedOf = (key: string): Versioned<SessionState> => {
    let s = stored.get(key);
    if (s === undefined) {
      s = sessionOf(sessionItems.get(keyId(KEYS.session(shardId, key))));
      stored.set(key, s);
    }
    return s;
  };
  const sessions = sessionize((key) => storedOf(key).value, pageViews, paths);
  const changes: EdgeOccurrence[] = sessions.changes.map((c) => {
    const key = { day: c.day, step: c.step, source: c.source, target: c.target };
    return { key, id: edgeKeyId(key), seq: c.seq, delta: c.delta };
  });
  const occurrences = mergeBySeq(stepped, changes);

  let added: Omit<AddOnceReport, 'stored' | 'coveredIds'> = { written: 0, covered: 0, conditionalRetries: 0 };
  let keys = 0;
  if (occurrences.length > 0) {
    // The shard's packed items of the (day, step)s touched, read consistently: which edges they hold.
    const packedKeys = new Map<string, ItemKey>();
    const distinct = new Set<EdgeKey>();
    for (const { key } of occurrences) {
      // Occurrences of one edge share its key object: one look per distinct edge.
      if (distinct.has(key)) continue;
      distinct.add(key);
      const id = packedCounterId(key.day, key.step);
      if (!packedKeys.has(id)) packedKeys.set(id, KEYS.pathEdgePack(key.day, key.step, shardId));
    }
    const read = await store.batchGet([...packedKeys.values()]);
    const contents = new Map<string, Set<string> | undefined>();
    const routes = routeEdges(occurrences, (day, step) => {
      const id = packedCounterId(day, step);
      if (!contents.has(id)) {
        const item = read.get(keyId(KEYS.pathEdgePack(day, step, shardId)));
        contents.set(id, item === undefined ? undefined : new Set(Object.keys(item).filter((name) => name.startsWith(PACKED_EDGE_PREFIX))));
      }
      return contents.get(id);
    });
    const counters = countEdges(occurrences, routes);
    const expiresAt = expiresInDays(deps.now(), config.resultRetentionDays);
    added = await addOnce(deps, shardId, range, counters, {
      what: 'edge',
      keyOf: (counter) => edgeItemKey(counter, shardId),
      addOp: (counter, padded, expected) => edgeAddOp(counter, shardId, padded, expiresAt, expected),
      recount: (watermarkOf) => countEdges(occurrences, routes, watermarkOf),
    });
    keys = routes.size;
  }

  // Only after every counter: the sessions, each as read or not at all.
  const sessionExpiresAt = Math.floor(deps.now().getTime() / 1000) + paths.sessionGapSeconds + SESSION_TTL_HOURS * 3600;
  await mapLimit([...sessions.states], deps.concurrency ?? DEFAULT_CONCURRENCY, async ([key, state]) => {
    const outcome = await store.write(sessionOp(shardId, key, state, storedOf(key), sessionExpiresAt));
    if (!outcome.ok)
      throw new Error(`session ${keyId(KEYS.session(shardId, key))} changed since it was read (is another consumer on this shard?)`);
  });
  return {
    keys,
    written: added.written,
    covered: added.covered,
    conditionalRetries: added.conditionalRetries,
    sessionKeys: sessionKeys.length,
    sessionWrites: sessions.states.size,
    overflowEvents: sessions.stats.droppedOverflow,
  };
}

/** What the three analyses of a batch did. */
interface BatchReports {
  readonly alerts: AlertsReport;
  readonly metrics: MetricsReport;
  readonly edges: EdgesReport;
}

/**
 * Runs the three analyses over `events`. Each is idempotent on its own: all three run even when one
 * fails (a failed SNS publish must not hold back the metrics, nor a failed edge write the alerts), then
 * this rejects with the failure (an AggregateError for several), and a retry redoes only what is
 * missing.
 */
async function analyseBatch(deps: RealtimeDeps, shardId: string, events: readonly DecodedEvent[], range: SeqRange): Promise<BatchReports> {
  const failures: unknown[] = [];
  const attempt = async <R>(step: string, run: () => Promise<R>): Promise<R | undefined> => {
    try {
      return await run();
    } catch (error) {
      deps.logger.error(`batch step failed: ${step}`, { shardId, error });
      failures.push(error);
      return undefined;
    }
  };
  // The three write disjoint items, so they run at the same time (a batch waits for the slowest, not the sum).
  const [alerts, metrics, edges] = await Promise.all([
    attempt('alerts', () => raiseErrorAlerts(deps, shardId, events)),
    attempt('metrics', () => applyMetrics(deps, shardId, events, range)),
    attempt('edges', () => applyEdges(deps, shardId, events, range)),
  ]);
  if (failures.length === 1) throw failures[0];
  if (failures.length > 1) throw new AggregateError(failures, `${failures.length} analyses failed on shard ${shardId}`);
  if (!alerts || !metrics || !edges) throw new Error('unreachable: a step returned nothing without failing');
  return { alerts, metrics, edges };
}

/** Longest reason kept for a record quarantined because an analysis could not store it. */
const MAX_ANALYSIS_REASON = 500;

/**
 * Finds, by halving, the records of a batch that an analysis cannot store (a fault of the record,
 * see {@link isRecordFault}) and quarantines each with the error as its reason; the other records
 * are analysed in order, in parts (each part is exact on its own: the watermarks and the session
 * items' page views, deduplicated by eventId, make any split exact). Rejects on a dependency's failure, which retries the batch. The
 * reports add up the parts.
 */
async function isolateRecords(
  deps: RealtimeDeps,
  shardId: string,
  records: readonly KinesisStreamRecord[],
  events: readonly DecodedEvent[],
): Promise<{ readonly reports: BatchReports; readonly quarantined: number }> {
  const bySeq = new Map(records.map((r) => [r.kinesis.sequenceNumber, r]));
  const expiresAt = expiresInDays(deps.now(), deps.config.quarantineRetentionDays);
  const total = {
    alerts: { alerts: 0, created: 0, renotified: 0 },
    metrics: { keys: 0, written: 0, covered: 0, conditionalRetries: 0, extremeUpdates: 0, lateEvents: 0 },
    edges: { keys: 0, written: 0, covered: 0, conditionalRetries: 0, sessionKeys: 0, sessionWrites: 0, overflowEvents: 0 },
  };
  let quarantined = 0;
  const run = async (part: readonly DecodedEvent[]): Promise<void> => {
    const head = part[0];
    const tail = part[part.length - 1];
    if (head === undefined || tail === undefined) return;
    try {
      const r = await analyseBatch(deps, shardId, part, { first: head.seq, last: tail.seq });
      for (const key of Object.keys(total.alerts) as (keyof AlertsReport)[]) total.alerts[key] += r.alerts[key];
      for (const key of Object.keys(total.metrics) as (keyof MetricsReport)[]) total.metrics[key] += r.metrics[key];
      for (const key of Object.keys(total.edges) as (keyof EdgesReport)[]) total.edges[key] += r.edges[key];
    } catch (error) {
      if (!isRecordFault(error)) throw error;
      if (part.length > 1) {
        const mid = Math.ceil(part.length / 2);
        await run(part.slice(0, mid));
        await run(part.slice(mid));
        return;
      }
      const { errorName, errorMessage } = describeError(error);
      const record = bySeq.get(head.seq);
      await deps.store.write(
        quarantineOp(
          {
            shardId,
            seq: head.seq,
            arrival: head.arrival,
            reason: `valid event that an analysis cannot store: ${errorName}: ${errorMessage}`.slice(0, MAX_ANALYSIS_REASON),
            data: record?.kinesis.data ?? '',
            partitionKey: record?.kinesis.partitionKey,
          },
          REALTIME_CONSUMER,
          expiresAt,
        ),
      );
      deps.logger.error('record quarantined: an analysis cannot store it', {
        shardId,
        sequenceNumber: head.seq,
        eventId: head.event.eventId,
        error,
      });
      quarantined += 1;
    }
  };
  await run(events);
  return { reports: total, quarantined };
}

/**
 * The decoded records with the valid events that the analyses still cannot store turned into
 * poison records with the reason (a measured value out of range): they are quarantined with the
 * unparseable ones, in this invocation, instead of failing the batch on every retry. Never throws.
 */
function admissible(decoded: readonly DecodedRecord[], deps: RealtimeDeps): DecodedRecord[] {
  return decoded.map((d) => {
    if (!d.ok) return d;
    const reason = unmeasurableReason(d.event, deps.config.analytics.metrics);
    return reason === undefined
      ? d
      : { ok: false, seq: d.seq, arrival: d.arrival, reason: `valid event that cannot be analysed: ${reason}` };
  });
}

/** The one shard of a batch. Throws when records of two shards are mixed (the event source never does that). */
function shardOfBatch(records: readonly KinesisStreamRecord[]): string {
  const shardId = shardIdOf(records[0]?.eventID);
  const prefix = `${shardId}:`;
  for (const record of records) {
    // `startsWith` first: it settles the usual case without a substring per record.
    if (record.eventID.startsWith(prefix)) continue;
    if (shardIdOf(record.eventID) !== shardId) throw new Error(`batch mixes shards ${shardId} and ${shardIdOf(record.eventID)}`);
  }
  return shardId;
}

/**
 * Builds the realtime consumer over `deps`: decode → quarantine → alerts, metrics and edges (see
 * the module comment). Returns `batchItemFailures` naming the first record whose quarantine
 * failed (the records before it are fully processed). A batch DynamoDB refuses for its content is
 * split until the records at fault are quarantined; it rejects on a dependency's failure, so
 * Lambda retries (and bisects) the batch, which every step makes exact.
 */
export function createHandler(deps: RealtimeDeps): RealtimeHandler {
  const { logger } = deps;
  return async (event) => {
    const records = event.Records ?? [];
    if (records.length === 0) return { batchItemFailures: [] };
    const startedAt = Date.now();
    const capacityBefore = deps.store.consumed?.();
    const shardId = shardOfBatch(records);
    const decoded = admissible(decodeRecords(records), deps);

    const quarantine = await quarantinePoison(deps, shardId, records, decoded);
    const upTo = quarantine.failedIndex ?? decoded.length;
    const batchItemFailures: KinesisStreamBatchItemFailure[] =
      quarantine.failedIndex === undefined
        ? []
        : [{ itemIdentifier: (records[quarantine.failedIndex] as KinesisStreamRecord).kinesis.sequenceNumber }];
    const processed = upTo === decoded.length ? decoded : decoded.slice(0, upTo);
    const first = processed[0];
    const last = processed[processed.length - 1];
    if (first === undefined || last === undefined) {
      logger.warn('batch not processed: its first poison record could not be quarantined', { shardId, records: records.length });
      return { batchItemFailures };
    }
    const events = processed.filter((d): d is DecodedEvent => d.ok);

    let reports: BatchReports;
    let isolated = 0;
    try {
      reports = await analyseBatch(deps, shardId, events, { first: first.seq, last: last.seq });
    } catch (error) {
      if (!isRecordFault(error)) throw error;
      logger.warn(
        'batch refused for its content; isolating the records that cause it',
        { shardId, records: events.length, ...describeError(error) },
        { error },
      );
      const outcome = await isolateRecords(deps, shardId, records, events);
      reports = outcome.reports;
      isolated = outcome.quarantined;
    }
    const { alerts, metrics, edges } = reports;
    const capacity = capacitySince(capacityBefore, deps.store.consumed?.());
    deps.metrics?.add({
      PoisonRecords: quarantine.poison + isolated,
      LateEvents: metrics.lateEvents,
      AlertsRaised: alerts.created,
      ConditionalRetries: metrics.conditionalRetries + edges.conditionalRetries,
    });

    logger.info('batch processed', {
      shardId,
      records: records.length,
      processedRecords: processed.length,
      poison: quarantine.poison,
      ...(isolated > 0 ? { quarantinedByAnalysis: isolated } : {}),
      alertsNew: alerts.created,
      alertsRenotified: alerts.renotified,
      metricKeys: metrics.keys,
      metricKeysWritten: metrics.written,
      metricKeysCovered: metrics.covered,
      conditionalRetries: metrics.conditionalRetries,
      lateEvents: metrics.lateEvents,
      edgeKeys: edges.keys,
      edgeKeysWritten: edges.written,
      edgeConditionalRetries: edges.conditionalRetries,
      sessionKeys: edges.sessionKeys,
      sessionItemsWritten: edges.sessionWrites,
      pathOverflowEvents: edges.overflowEvents,
      durationMs: Date.now() - startedAt,
      ...(capacity === undefined ? {} : { capacity }),
      ...(batchItemFailures.length > 0 ? { retryFrom: batchItemFailures[0]?.itemIdentifier } : {}),
    });
    return { batchItemFailures };
  };
}
