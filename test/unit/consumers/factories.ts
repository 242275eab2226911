import type { KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import { PACKED_EDGE_PREFIX } from '../../../lambdas/analytics/edges';
import { defaultAnalyticsConfig } from '../../../lambdas/analytics/config';
import { pathItems, toPublishable } from '../../../lambdas/ingest/batch';
import { toStreamEvent } from '../../../lambdas/ingest/normalize';
import { checkEvents } from '../../../lambdas/ingest/validate';
import type { StreamEvent } from '../../../lambdas/shared/event';
import { EDGE_COUNTER_PREFIX, EDGE_SEPARATOR, unpackJson } from '../../../lambdas/shared/results-table';

/** The Sankey edges of one day, `source\u0000target` → weight. */
export interface DayEdges {
  edges: Record<string, number>;
}
import type { AppLogger } from '../../../lambdas/shared/logger';
import type { ConsumerConfig } from '../../../lambdas/consumers/config';
import { FakeNotifier } from './fake-notifier';
import { MemoryResultsStore } from './memory-store';
import type { RealtimeDeps } from '../../../lambdas/consumers/realtime';
import {
  type AttrValue,
  type Item,
  type ItemKey,
  type ResultsStore,
  type WriteOp,
  type WriteOptions,
  type WriteOutcome,
} from '../../../lambdas/consumers/store';
import type { TumblingWindowEvent } from '../../../lambdas/consumers/windows';
import { webScenario } from '../../../scripts/producer/scenarios/web';
import { createEventStream } from '../../../scripts/producer/source';
import { aSeq } from '../analytics/factories';

export { aPageView, aRechargeNotify, aSeq, aStreamEvent, plusMs, someWarnings } from '../analytics/factories';

/** The stage's time zone in these tests (the path-analysis sample's site is in China). */
export const TIME_ZONE = 'Asia/Shanghai';
export const SHARD = 'shardId-000000000000';
export const OTHER_SHARD = 'shardId-000000000001';
/** The consumers' clock: a few minutes after the default event times. */
export const NOW = new Date('2024-05-27T03:45:00.000Z');

/** The consumers' configuration of a test stage (the default analyses). */
export function aConsumerConfig(overrides: Partial<ConsumerConfig> = {}): ConsumerConfig {
  return {
    tableName: 'results',
    alertsTopicArn: 'arn:aws:sns:us-east-1:000000000000:alerts',
    analytics: defaultAnalyticsConfig(TIME_ZONE),
    stage: 'dev',
    resultRetentionDays: 35,
    quarantineRetentionDays: 14,
    ...overrides,
  };
}

/** A logger that keeps what it is told, for assertions, and prints nothing. */
export function aLogger(): AppLogger & { readonly lines: { level: string; message: string; attributes: Record<string, unknown> }[] } {
  const lines: { level: string; message: string; attributes: Record<string, unknown> }[] = [];
  return {
    lines,
    info: (message, attributes) => lines.push({ level: 'info', message, attributes }),
    warn: (message, attributes) => lines.push({ level: 'warn', message, attributes }),
    error: (message, attributes) => lines.push({ level: 'error', message, attributes }),
  };
}

/** Dependencies of a consumer over `store` (a fresh memory store by default), a fake notifier and the fixed clock. */
export function someDeps<S extends ResultsStore = MemoryResultsStore>(
  overrides: { store?: S; config?: ConsumerConfig } = {},
): RealtimeDeps & { readonly store: S; readonly notifier: FakeNotifier; readonly logger: ReturnType<typeof aLogger> } {
  return {
    config: overrides.config ?? aConsumerConfig(),
    store: overrides.store ?? (new MemoryResultsStore() as unknown as S),
    notifier: new FakeNotifier(),
    logger: aLogger(),
    now: () => NOW,
  };
}

/** Options of a Kinesis record. */
export interface RecordOptions {
  readonly shardId?: string;
  /** Approximate arrival, epoch ms; default 100 ms after the event's receivedAt. */
  readonly arrivalMs?: number;
  readonly partitionKey?: string;
}

/** A Lambda Kinesis record carrying `payload` as ingest writes it (JSON + "\n", base64); a string payload is sent as raw text. */
export function aRecord(payload: StreamEvent | string, n: number, options: RecordOptions = {}): KinesisStreamRecord {
  const shardId = options.shardId ?? SHARD;
  const text = typeof payload === 'string' ? payload : `${JSON.stringify(payload)}\n`;
  const receivedMs = typeof payload === 'string' ? Date.parse('2024-05-27T03:40:40.000Z') : Date.parse(payload.receivedAt);
  const arrivalMs = options.arrivalMs ?? receivedMs + 100;
  const sequenceNumber = aSeq(n);
  return {
    kinesis: {
      kinesisSchemaVersion: '1.0',
      partitionKey: options.partitionKey ?? (typeof payload === 'string' ? 'unknown' : payload.userId),
      sequenceNumber,
      data: Buffer.from(text, 'utf8').toString('base64'),
      approximateArrivalTimestamp: arrivalMs / 1000,
    },
    eventSource: 'aws:kinesis',
    eventVersion: '1.0',
    eventID: `${shardId}:${sequenceNumber}`,
    eventName: 'aws:kinesis:record',
    invokeIdentityArn: 'arn:aws:iam::000000000000:role/consumer',
    awsRegion: 'us-east-1',
    eventSourceARN: 'arn:aws:kinesis:us-east-1:000000000000:stream/events',
  };
}

/** A record of one of `payloads`, numbered from `from` (sequence numbers increase). */
export const someRecords = (payloads: readonly (StreamEvent | string)[], from = 1, options: RecordOptions = {}): KinesisStreamRecord[] =>
  payloads.map((payload, i) => aRecord(payload, from + i, options));

/** A Kinesis batch of `records`. */
export const aBatch = (records: readonly KinesisStreamRecord[]): KinesisStreamEvent => ({ Records: [...records] });

/** A tumbling-window invoke of `shardId` over `records` (non-final unless `final`). */
export function aWindowEvent(options: {
  readonly records?: readonly KinesisStreamRecord[];
  readonly state?: unknown;
  readonly final?: boolean;
  readonly shardId?: string;
  readonly window?: { readonly start: string; readonly end: string };
  readonly terminatedEarly?: boolean;
}): TumblingWindowEvent {
  return {
    Records: [...(options.records ?? [])],
    window: options.window ?? { start: '2024-05-27T03:40:00Z', end: '2024-05-27T03:41:00Z' },
    state: options.state ?? {},
    shardId: options.shardId ?? SHARD,
    eventSourceARN: 'arn:aws:kinesis:us-east-1:000000000000:stream/events',
    isFinalInvokeForWindow: options.final ?? false,
    isWindowTerminatedEarly: options.terminatedEarly ?? false,
  };
}

/** The `page_view` events ingest writes for path-analysis path documents posted at `receivedAt` (expanded, validated and normalised by ingest's own code). */
export function pathDocumentEvents(documents: readonly unknown[], receivedAt: Date): StreamEvent[] {
  const items = pathItems(documents, TIME_ZONE, undefined);
  const checked = checkEvents(
    items.map((item) => item.pending),
    TIME_ZONE,
  );
  const refused = checked.filter(({ check }) => !check.ok);
  if (refused.length > 0) throw new Error(`test document refused: ${JSON.stringify(refused)}`);
  return toPublishable(checked, receivedAt).map((p) => p.event);
}

/**
 * `count` events of the producer's `web` scenario (seed, pinned start time, `rate` per second;
 * page views with `step` and `prevPath` unless `steps` is false), as ingest writes them: validated, normalised, `receivedAt` 200 ms after the event time.
 */
export function webEvents(
  count: number,
  options: { readonly seed?: number; readonly start?: string; readonly rate?: number; readonly steps?: boolean } = {},
): StreamEvent[] {
  const stream = createEventStream({
    scenario: webScenario,
    ...(options.steps === undefined ? {} : { steps: options.steps }),
    seed: options.seed ?? 7,
    rate: options.rate ?? 10,
    timeZone: TIME_ZONE,
    invalidRatio: 0,
    startTimeMs: Date.parse(options.start ?? '2024-05-27T03:40:00.000Z'),
    count,
  });
  const events: StreamEvent[] = [];
  for (let produced = stream.next(0); produced !== undefined; produced = stream.next(0)) {
    const [checked] = checkEvents([{ input: produced.input }], TIME_ZONE);
    if (checked === undefined || !checked.check.ok) throw new Error(`producer made an invalid event: ${JSON.stringify(produced.input)}`);
    events.push(toStreamEvent(checked.check.event, new Date(Date.parse(checked.check.event.createdAt) + 200)));
  }
  return events;
}

// ------------------------------------------------------------------ fault injection

/** One call a store receives. */
export type StoreCall =
  | { readonly kind: 'get'; readonly key: ItemKey }
  | { readonly kind: 'batchGet'; readonly keys: readonly ItemKey[] }
  | { readonly kind: 'query'; readonly pk: string }
  | { readonly kind: 'write'; readonly op: WriteOp };

interface Fault {
  readonly match: (call: StoreCall) => boolean;
  readonly when: 'before' | 'after';
  skip: number;
  remaining: number;
  readonly action?: (inner: ResultsStore) => Promise<void>;
}

/**
 * Wraps any store and fails chosen calls: `before` (the call never reaches the store) or
 * `after` (the store did it, then the caller sees an error: a crash after a commit).
 */
export class FaultyStore implements ResultsStore {
  private readonly faults: Fault[] = [];
  readonly calls: StoreCall[] = [];

  constructor(readonly inner: ResultsStore) {}

  /** Fails the matching calls after skipping `skip` of them, `times` times. */
  failOn(match: (call: StoreCall) => boolean, options: { when?: 'before' | 'after'; times?: number; skip?: number } = {}): void {
    this.faults.push({ match, when: options.when ?? 'before', skip: options.skip ?? 0, remaining: options.times ?? 1 });
  }

  /** Runs `action` on the inner store just before the next matching call (e.g. a concurrent writer), `times` times. */
  interfere(match: (call: StoreCall) => boolean, action: (inner: ResultsStore) => Promise<void>, times = 1): void {
    this.faults.push({ match, when: 'before', skip: 0, remaining: times, action });
  }

  private async run<T>(call: StoreCall, exec: () => Promise<T>): Promise<T> {
    this.calls.push(call);
    const fault = this.faults.find((f) => f.remaining > 0 && f.match(call));
    if (fault !== undefined && fault.skip > 0) {
      fault.skip -= 1;
      return exec();
    }
    if (fault === undefined) return exec();
    fault.remaining -= 1;
    if (fault.action !== undefined) {
      await fault.action(this.inner);
      return exec();
    }
    if (fault.when === 'after') await exec();
    throw new Error(`injected store failure (${fault.when} ${call.kind})`);
  }

  get(key: ItemKey): Promise<Item | undefined> {
    return this.run({ kind: 'get', key }, () => this.inner.get(key));
  }
  batchGet(keys: readonly ItemKey[]): Promise<Map<string, Item>> {
    return this.run({ kind: 'batchGet', keys }, () => this.inner.batchGet(keys));
  }
  query(pk: string): Promise<Item[]> {
    return this.run({ kind: 'query', pk }, () => this.inner.query(pk));
  }
  write(op: WriteOp, options?: WriteOptions): Promise<WriteOutcome> {
    return this.run({ kind: 'write', op }, () => this.inner.write(op, options));
  }
}

/** The pk a write touches. */
export const pkOf = (op: WriteOp): string => String(op.kind === 'put' ? op.item.pk : op.key.pk);

// ------------------------------------------------------------------ reading results back

/** An item with its binary `d` unpacked to JSON, so two stores' contents compare as values. */
export function readable(item: Item): Record<string, unknown> {
  const out: Record<string, unknown> = { ...item };
  if (item.d instanceof Uint8Array) out.d = unpackJson(item.d);
  return out;
}

/** The counters of a metric item. */
export interface Counter {
  readonly count: AttrValue | undefined;
  readonly late: AttrValue | undefined;
  readonly sum?: AttrValue;
  readonly min?: AttrValue;
  readonly max?: AttrValue;
}

/**
 * What the results mean, independent of how batches were split: metric counters by key, the
 * Sankey edges per day (summed over counter items, weight-0 edges left out; `paths` stays empty), alerts (id and notified) and quarantined keys.
 */
export function resultsOf(items: readonly Item[]): {
  metrics: Record<string, Counter>;
  ledgers: Record<string, DayEdges>;
  alerts: Record<string, AttrValue | undefined>;
  quarantined: string[];
} {
  const metrics: Record<string, Counter> = {};
  const ledgers: Record<string, DayEdges> = {};
  const alerts: Record<string, AttrValue | undefined> = {};
  const quarantined: string[] = [];
  for (const item of items) {
    const pk = String(item.pk);
    const id = `${pk} | ${String(item.sk)}`;
    if (pk.startsWith('M#')) {
      metrics[id] = {
        count: item.count,
        late: item.late,
        ...(item.sum !== undefined ? { sum: item.sum } : {}),
        ...(item.min !== undefined ? { min: item.min } : {}),
        ...(item.max !== undefined ? { max: item.max } : {}),
      };
    } else if (pk.startsWith('PATHS#') && String(item.sk).startsWith(EDGE_COUNTER_PREFIX)) {
      const ledger = (ledgers[pk.slice('PATHS#'.length)] ??= { edges: {} });
      const counts: [string, AttrValue][] =
        item.source === undefined
          ? Object.entries(item)
              .filter(([name]) => name.startsWith(PACKED_EDGE_PREFIX))
              .map(([name, n]) => [name.slice(PACKED_EDGE_PREFIX.length), n])
          : [[`${String(item.source)}${EDGE_SEPARATOR}${String(item.target)}`, item.count]];
      for (const [edge, n] of counts) {
        const weight = (ledger.edges[edge] ?? 0) + Number(n);
        // An edge a late page view replaced is left at 0 in its counter: no weight, not an edge.
        if (weight === 0) delete ledger.edges[edge];
        else ledger.edges[edge] = weight;
      }
    } else if (pk.startsWith('ALERT#')) {
      alerts[pk] = item.notified;
    } else if (pk.startsWith('QUARANTINE#')) {
      quarantined.push(id);
    }
  }
  return { metrics, ledgers, alerts, quarantined: quarantined.sort() };
}

/** The Sankey edges of a ledger as `source → target: weight` lines, sorted (readable assertions). */
export const edgeLines = (ledger: DayEdges | undefined): string[] =>
  Object.entries(ledger?.edges ?? {})
    .map(([edge, weight]) => `${edge.split(EDGE_SEPARATOR).join(' → ')}: ${weight}`)
    .sort();
