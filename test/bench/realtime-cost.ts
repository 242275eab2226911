/**
 * The cost part of `npm run bench:realtime`: the realtime consumer over a simulated 24-hour day on
 * one shard, at a given rate and batching window, with the batch size that window gives at that
 * rate (the cost model's rule, `batching` in scripts/cost/model.ts), and what its writes cost in
 * WRU, by analysis and by item kind, and in $/month on demand.
 */
import { createHandler } from '../../lambdas/consumers/realtime';
import { analysisOfKey, itemBytes, type ConsumedCapacity, type Item, type ItemKey, type ResultsStore } from '../../lambdas/consumers/store';
import type { StreamEvent } from '../../lambdas/shared/event';
import { batching } from '../../scripts/cost/model';
import { getScenario } from '../../scripts/producer/scenarios';
import { createEventStream } from '../../scripts/producer/source';
import { aBatch, aConsumerConfig, aRecord, someDeps } from '../unit/consumers/factories';
import { MeteredStore } from './metered-store';
import { ZONE } from './realtime-load';

/** DynamoDB on-demand price of one million write request units (us-east-1, Standard table class). */
export const USD_PER_MILLION_WRU = 0.625;
const SECONDS_PER_MONTH = 30 * 86_400;
/** The realtime mapping's BatchSize on every stage (lib/config/stage-config.ts). */
export const REALTIME_BATCH_SIZE = 1000;
/** Events per second and shard the cost target is measured at. */
export const COST_RATES: readonly number[] = [5, 25, 100, 1000];
/** Batching windows of the trade-off table, seconds (Lambda allows 0..300). */
export const SWEEP_WINDOWS_S: readonly number[] = [2, 5, 10, 20, 30, 60, 90, 120];
/** Batches at the start of every hour of the simulated day. */
const BATCHES_PER_HOUR = 3;
/** Size of a web event record, for the 6 MB invocation payload bound (never the limit at 1,000 records). */
const WEB_RECORD_BYTES = 600;

/** `count` web events from `startMs` at `rate`/s, as ingest writes them. */
export function webEvents(count: number, startMs: number, rate: number, seed: number, steps: boolean): StreamEvent[] {
  const stream = createEventStream({
    scenario: getScenario('web'),
    seed,
    rate,
    timeZone: ZONE,
    invalidRatio: 0,
    startTimeMs: startMs,
    count,
    steps,
  });
  const out: StreamEvent[] = [];
  for (let e = stream.next(0); e; e = stream.next(0)) {
    const createdAt = new Date(Date.parse(e.input.createdAt)).toISOString();
    out.push({ ...e.input, createdAt, receivedAt: new Date(Date.parse(createdAt) + 200).toISOString() });
  }
  return out;
}

/** Events per batch at `rate` events/s on one shard with a batching window of `windowS`: Lambda's rule as the cost model applies it. */
export const batchSizeAt = (rate: number, windowS: number): number =>
  Math.round(
    batching(
      { service: 'realtime', batchSize: REALTIME_BATCH_SIZE, maxBatchingWindowS: windowS, parallelizationFactor: 1 },
      1,
      rate,
      WEB_RECORD_BYTES,
    ).eventsPerBatch,
  );

/** Longest time a record waits for its batch to close: the window, or less when BatchSize records arrive sooner. */
export const waitAt = (rate: number, windowS: number): number => Math.min(windowS, REALTIME_BATCH_SIZE / rate);

/** $ per month of `wruPer1000` at `rate` events/s, on demand. */
export const usdPerMonth = (wruPer1000: number, rate: number): number =>
  Number((((wruPer1000 * rate) / 1000) * SECONDS_PER_MONTH * (USD_PER_MILLION_WRU / 1e6)).toFixed(2));

/** The kind of an item of the results table, finer than its analysis: what a batch's writes are spent on. */
export function itemKindOf(key: ItemKey): string {
  const { pk, sk } = key;
  if (pk.startsWith('M#')) return pk.startsWith('M#events##') ? 'metric counter (events total)' : 'metric counter (other)';
  if (pk.startsWith('CURSOR#metrics')) return 'metrics cursor';
  if (pk.startsWith('PATHS#') && sk.startsWith('E#')) return sk.includes('@') ? 'edge pack (day, step)' : 'edge (own item)';
  return analysisOfKey(key);
}

/** Writes of one item kind. */
export interface KindCost {
  writes: number;
  wru: number;
  /** Sum of the billed size (larger of before and after), bytes. */
  bytes: number;
}

/**
 * A {@link MeteredStore} that also reports the units of each write by analysis (as
 * {@link ResultsStore.consumed} does on DynamoDB) and by {@link itemKindOf}, with the billed
 * size (the larger of the item before and after).
 */
export class KindMeteredStore extends MeteredStore {
  readonly byKind: Record<string, KindCost> = {};
  private readonly byAnalysis: Record<string, number> = {};

  consumed(): ConsumedCapacity {
    return { write: { ...this.byAnalysis }, read: this.metering.rru };
  }

  protected override charge(key: ItemKey, before: Item | undefined, after: Item | undefined): number {
    const wru = super.charge(key, before, after);
    const kind = (this.byKind[itemKindOf(key)] ??= { writes: 0, wru: 0, bytes: 0 });
    kind.writes += 1;
    kind.wru += wru;
    kind.bytes += Math.max(before === undefined ? 0 : itemBytes(before), after === undefined ? 0 : itemBytes(after));
    this.byAnalysis[analysisOfKey(key)] = (this.byAnalysis[analysisOfKey(key)] ?? 0) + wru;
    return wru;
  }
}

/** What one simulated day cost. */
export interface DayCost {
  readonly rate: number;
  readonly windowS: number;
  readonly steps: boolean;
  readonly batchSize: number;
  readonly events: number;
  readonly batches: number;
  readonly failedBatches: number;
  readonly wruPer1000: Readonly<Record<string, number>>;
  readonly wruPer1000Total: number;
  readonly wruPerBatch: number;
  readonly usdPerMonth: number;
  /** Longest wait of a record for its batch, seconds. */
  readonly waitS: number;
}

/** Options of {@link costOfDay}. */
export interface DayOptions {
  readonly rate: number;
  readonly windowS: number;
  readonly steps: boolean;
  /** `YYYY-MM-DD`: a fresh day (and shard) per run keeps the runs apart in one table. */
  readonly day: string;
  readonly tableName: string;
}

/**
 * A simulated day at `rate` events/s on one shard: at the start of every hour, three consecutive
 * batches of the size the window gives at that rate, through the realtime handler on `store`; the
 * counters and the session state carry across the hours. WRU from `store.consumed()`.
 */
export async function costOfDay(store: ResultsStore & { consumed(): ConsumedCapacity }, options: DayOptions): Promise<DayCost> {
  const { rate, windowS, steps, day } = options;
  const deps = {
    ...someDeps({ store, config: aConsumerConfig({ tableName: options.tableName }) }),
    now: () => new Date(`${day}T12:00:00Z`),
  };
  const handle = createHandler(deps);
  const shardId = `shardId-cost-${rate}-${windowS}-${steps ? 'steps' : 'stepless'}`;
  const batchSize = batchSizeAt(rate, windowS);
  const before = store.consumed().write;
  let seq = 1;
  let events = 0;
  let batches = 0;
  let failedBatches = 0;
  for (let hour = 0; hour < 24; hour++) {
    const startMs = Date.parse(`${day}T00:00:00+08:00`) + hour * 3_600_000;
    const hourEvents = webEvents(batchSize * BATCHES_PER_HOUR, startMs, rate, 1000 + hour, steps);
    for (let i = 0; i < hourEvents.length; i += batchSize) {
      const part = hourEvents.slice(i, i + batchSize);
      const records = part.map((e) => aRecord(e, seq++, { shardId }));
      try {
        const out = await handle(aBatch(records));
        if (out.batchItemFailures.length > 0) failedBatches += 1;
      } catch {
        failedBatches += 1;
      }
      events += part.length;
      batches += 1;
    }
  }
  const after = store.consumed().write;
  const used = Object.fromEntries(Object.entries(after).map(([k, v]) => [k, v - (before[k] ?? 0)]));
  const per1000 = Object.fromEntries(
    Object.entries(used)
      .filter(([, v]) => v > 0)
      .map(([k, v]) => [k, Number(((v * 1000) / events).toFixed(1))]),
  );
  const total = Object.values(used).reduce((a, b) => a + b, 0);
  const wruPer1000Total = Number(((total * 1000) / events).toFixed(1));
  return {
    rate,
    windowS,
    steps,
    batchSize,
    events,
    batches,
    failedBatches,
    wruPer1000: per1000,
    wruPer1000Total,
    wruPerBatch: Number((total / batches).toFixed(2)),
    usdPerMonth: usdPerMonth(wruPer1000Total, rate),
    waitS: waitAt(rate, windowS),
  };
}

/** Writes of one item kind per batch of a simulated day. */
export interface KindRow {
  readonly kind: string;
  readonly writesPerBatch: number;
  readonly wruPerBatch: number;
  /** Mean billed size of a write, bytes. */
  readonly bytesPerWrite: number;
}

/** A day in memory at `rate` and `windowS` (steps on), with where its WRU went by item kind. */
export async function meteredDay(rate: number, windowS: number, day: string): Promise<{ day: DayCost; kinds: KindRow[] }> {
  const store = new KindMeteredStore();
  const cost = await costOfDay(store, { rate, windowS, steps: true, day, tableName: 'bench-results' });
  const kinds = Object.entries(store.byKind)
    .map(([kind, k]) => ({
      kind,
      writesPerBatch: Number((k.writes / cost.batches).toFixed(2)),
      wruPerBatch: Number((k.wru / cost.batches).toFixed(2)),
      bytesPerWrite: Math.round(k.bytes / Math.max(1, k.writes)),
    }))
    .sort((a, b) => b.wruPerBatch - a.wruPerBatch);
  return { day: cost, kinds };
}
