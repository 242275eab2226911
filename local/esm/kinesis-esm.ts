/**
 * The I/O loop of the local Kinesis event-source mapping: one poller per shard reads with
 * GetRecords, batches, invokes the function one batch at a time, retries / bisects / discards
 * per the mapping's settings, runs tumbling windows, and checkpoints after every step.
 * The decisions themselves are the pure functions of ./core.
 */
import {
  DescribeStreamSummaryCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  KinesisClient,
  ListShardsCommand,
} from '@aws-sdk/client-kinesis';
import type { ListShardsCommandInput, Shard } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { randomUUID } from 'crypto';
import type { CheckpointStore } from './checkpoint-store';
import { MemoryCheckpointStore } from './checkpoint-store';
import {
  backoffMs,
  batchDue,
  buildOnFailureRecord,
  countExpired,
  decide,
  interpretResponse,
  isoTime,
  jsonBytes,
  MAX_WINDOW_STATE_BYTES,
  normalizeEsmSettings,
  recordAttempt,
  toBufferedRecord,
  windowFor,
} from './core';
import type { RecordContext } from './core';
import type { FailureDestination } from './failure-destination';
import type {
  BufferedRecord,
  DiscardCondition,
  EsmSettings,
  JsonObject,
  KinesisEventSourceMappingProperties,
  KinesisInvokeEvent,
  KinesisTumblingWindowEvent,
  PendingBatch,
  ShardCheckpoint,
  StreamInvokeFn,
  StreamInvokeResult,
  WindowProgress,
} from './types';

/** Poll and retry timing; the defaults suit a laptop and stay within Kinesis' 5 GetRecords/s per shard. */
export interface EsmTiming {
  /** Wait after a GetRecords call that returned nothing (default 500 ms). */
  readonly idlePollMs: number;
  /** Least time between two GetRecords calls on a shard (default 200 ms = 5/s). */
  readonly minFetchIntervalMs: number;
  /** How often ListShards looks for new shards (default 10 000 ms). */
  readonly shardDiscoveryMs: number;
  /** First retry delay after a failed batch; doubles per retry (default 200 ms). */
  readonly retryBaseMs: number;
  /** Longest retry delay (default 5 000 ms). */
  readonly retryMaxMs: number;
  /** Wait after a Kinesis or invoke service error (default 1 000 ms). */
  readonly errorBackoffMs: number;
  /** After a window's end, how long a record written just before it may take to become readable (default 100 ms). */
  readonly windowCloseGraceMs: number;
  /** Re-acquire an idle shard iterator after this long, before Kinesis expires it at 5 min (default 240 000 ms). */
  readonly iteratorRefreshMs: number;
  /** GetRecords `Limit` (default 10 000). */
  readonly fetchLimit: number;
}

const DEFAULT_TIMING: EsmTiming = {
  idlePollMs: 500,
  minFetchIntervalMs: 200,
  shardDiscoveryMs: 10_000,
  retryBaseMs: 200,
  retryMaxMs: 5_000,
  errorBackoffMs: 1_000,
  windowCloseGraceMs: 100,
  iteratorRefreshMs: 240_000,
  fetchLimit: 10_000,
};

/** Options of a {@link KinesisEventSourceMapping}. */
export interface KinesisEventSourceMappingOptions {
  /** Stable id of the mapping (logical id or UUID); checkpoints are kept under it. */
  readonly id: string;
  /** The stream, addressed by name (kinesalite rejects StreamARN parameters). */
  readonly streamName: string;
  /** The `AWS::Lambda::EventSourceMapping` properties, resolved. */
  readonly properties: KinesisEventSourceMappingProperties;
  /** Invokes the function (e.g. `(e) => localFunction.invoke(e)`). */
  readonly invoke: StreamInvokeFn;
  readonly functionName: string;
  /** Default `arn:aws:lambda:<region>:000000000000:function:<functionName>`. */
  readonly functionArn?: string;
  /** A Kinesis client (it must use an HTTP/1.1 handler for kinesalite); or give `endpoint`. */
  readonly client?: KinesisClient;
  /** Kinesis endpoint URL, used to create a client when `client` is not given. */
  readonly endpoint?: string;
  /** Region reported in records (`awsRegion`), default `us-east-1`. */
  readonly region?: string;
  /** `eventSourceARN` of the events; default: the stream's ARN from DescribeStreamSummary. */
  readonly eventSourceArn?: string;
  /** `invokeIdentityArn` of the records (the function's role); default a placeholder role. */
  readonly invokeIdentityArn?: string;
  /** Default: in memory. */
  readonly checkpoints?: CheckpointStore;
  /** Where discarded batches are reported; without it they are only logged. */
  readonly onFailure?: FailureDestination;
  /** Log lines; default stderr. */
  readonly log?: (line: string) => void;
  readonly timing?: Partial<EsmTiming>;
}

/** A shard's progress, for status displays. */
export interface ShardStatus {
  readonly shardId: string;
  readonly checkpoint?: string;
  readonly buffered: number;
  readonly retrying: boolean;
  readonly window?: { readonly start: string; readonly end: string; readonly terminatedEarly: boolean };
  readonly millisBehindLatest: number;
  readonly finished: boolean;
  readonly invocations: number;
}

/** Creates a Kinesis client for a local endpoint (HTTP/1.1 handler, placeholder credentials). */
export function createLocalKinesisClient(endpoint: string, region = 'us-east-1'): KinesisClient {
  return new KinesisClient({
    endpoint,
    region,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    requestHandler: new NodeHttpHandler(),
  });
}

type IteratorPosition =
  | { readonly type: 'AFTER_SEQUENCE_NUMBER'; readonly seq: string }
  | { readonly type: 'TRIM_HORIZON' }
  | { readonly type: 'LATEST' }
  | { readonly type: 'AT_TIMESTAMP'; readonly ms: number };

function errorName(err: unknown): string {
  const name = (err as { name?: unknown } | null)?.name;
  return typeof name === 'string' ? name : 'Error';
}

function errorText(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

/** What a shard poller needs from its mapping. */
interface MappingContext {
  readonly id: string;
  readonly streamName: string;
  readonly settings: EsmSettings;
  readonly timing: EsmTiming;
  readonly client: KinesisClient;
  readonly store: CheckpointStore;
  readonly onFailure: FailureDestination | undefined;
  readonly functionArn: string;
  readonly invoke: StreamInvokeFn;
  readonly recordContext: (shardId: string) => RecordContext;
  readonly eventSourceArn: () => string;
  readonly running: () => boolean;
  readonly sleep: (ms: number) => Promise<void>;
  readonly log: (line: string) => void;
  readonly shardFinished: () => void;
}

/** Reads and processes one shard, strictly in order, one invocation at a time. */
class ShardPoller {
  finished = false;
  invocations = 0;
  private buffer: BufferedRecord[] = [];
  private pending: PendingBatch[] = [];
  private iterator: string | undefined;
  private iteratorAt = 0;
  private shardEnded = false;
  private checkpointSeq: string | undefined;
  private window: WindowProgress | undefined;
  private windowStateBytes = 2;
  private nextFetchAt = 0;
  private lastFetchStartedAt = 0;
  private retryAt = 0;
  private finalFailures = 0;
  private millisBehind = 0;

  constructor(
    private readonly m: MappingContext,
    readonly shardId: string,
    private position: IteratorPosition,
  ) {}

  private log(line: string): void {
    this.m.log(`${this.shardId}: ${line}`);
  }

  status(): ShardStatus {
    return {
      shardId: this.shardId,
      checkpoint: this.checkpointSeq,
      buffered: this.buffer.length,
      retrying: this.pending.some((p) => p.invokeCount > 0) || this.finalFailures > 0,
      window: this.window
        ? { start: isoTime(this.window.startMs), end: isoTime(this.window.endMs), terminatedEarly: this.window.terminatedEarly }
        : undefined,
      millisBehindLatest: this.millisBehind,
      finished: this.finished,
      invocations: this.invocations,
    };
  }

  /** Loads the checkpoint and takes a shard iterator (a LATEST position is pinned here). */
  async init(): Promise<void> {
    const cp = await this.m.store.load(this.m.id, this.shardId);
    if (cp?.shardEnded) {
      this.finished = true;
      this.checkpointSeq = cp.sequenceNumber;
      return;
    }
    if (cp?.sequenceNumber) {
      this.checkpointSeq = cp.sequenceNumber;
      this.position = { type: 'AFTER_SEQUENCE_NUMBER', seq: cp.sequenceNumber };
    }
    if (cp?.window) this.setWindow(cp.window);
    try {
      await this.acquireIterator();
    } catch (err) {
      this.log(`GetShardIterator failed, will retry: ${errorText(err)}`);
      this.nextFetchAt = Date.now() + this.m.timing.errorBackoffMs;
    }
  }

  private async acquireIterator(): Promise<void> {
    const p = this.position;
    const requestedAt = Date.now();
    const out = await this.m.client.send(
      new GetShardIteratorCommand({
        StreamName: this.m.streamName,
        ShardId: this.shardId,
        ShardIteratorType: p.type,
        StartingSequenceNumber: p.type === 'AFTER_SEQUENCE_NUMBER' ? p.seq : undefined,
        Timestamp: p.type === 'AT_TIMESTAMP' ? new Date(p.ms) : undefined,
      }),
    );
    this.iterator = out.ShardIterator;
    this.iteratorAt = Date.now();
    // Re-acquiring LATEST later would skip what arrived meanwhile: remember the moment instead.
    if (p.type === 'LATEST') this.position = { type: 'AT_TIMESTAMP', ms: requestedAt };
    if (!out.ShardIterator) this.shardEnded = true;
  }

  async run(): Promise<void> {
    while (this.m.running() && !this.finished) {
      try {
        await this.step();
      } catch (err) {
        this.log(`unexpected error, backing off: ${errorText(err)}`);
        await this.m.sleep(this.m.timing.errorBackoffMs);
      }
    }
  }

  private windowClosed(now: number, endMs: number): boolean {
    const settled = endMs + this.m.timing.windowCloseGraceMs;
    return this.shardEnded ? now >= endMs : now >= settled && this.lastFetchStartedAt >= settled;
  }

  /** The open window's final invocation is due once none of its records can still come. */
  private finalDue(now: number): boolean {
    const w = this.window;
    if (!w || this.pending.length > 0) return false;
    if (this.buffer.length > 0) {
      return windowFor(this.buffer[0].arrivalMs, this.m.settings.tumblingWindowMs).startMs !== w.startMs;
    }
    return this.windowClosed(now, w.endMs);
  }

  private envelopeBytes(): number {
    if (this.m.settings.tumblingWindowMs === 0) return 14;
    return 220 + this.shardId.length + this.m.eventSourceArn().length + this.windowStateBytes;
  }

  private async step(): Promise<void> {
    const { settings, timing } = this.m;
    const now = Date.now();
    if (this.iterator === undefined && !this.shardEnded) {
      if (now < this.nextFetchAt) return this.m.sleep(this.nextFetchAt - now);
      try {
        await this.acquireIterator();
      } catch (err) {
        this.log(`GetShardIterator failed, will retry: ${errorText(err)}`);
        this.nextFetchAt = Date.now() + timing.errorBackoffMs;
      }
      return;
    }
    if (now < this.retryAt) return this.m.sleep(this.retryAt - now);
    if (this.finalDue(now)) return this.finalInvoke();
    if (this.pending.length > 0) return this.invokeHead();

    const tumbling = settings.tumblingWindowMs > 0;
    const headWindowEnd =
      tumbling && this.buffer.length > 0 ? windowFor(this.buffer[0].arrivalMs, settings.tumblingWindowMs).endMs : undefined;
    const complete = this.shardEnded || (headWindowEnd !== undefined && this.windowClosed(now, headWindowEnd));
    const due = batchDue(this.buffer, settings, now, this.envelopeBytes(), complete);
    if (due.due) {
      this.pending.push({ size: due.count, retries: 0, invokeCount: 0 });
      return;
    }
    const wantFetch = !this.shardEnded && this.buffer.length < settings.batchSize;
    // A window has ended: read once more promptly so its final invocation is not held back.
    const closingWindowEnd = this.window?.endMs ?? headWindowEnd;
    if (wantFetch && closingWindowEnd !== undefined) {
      const settled = closingWindowEnd + timing.windowCloseGraceMs;
      if (now >= settled && this.lastFetchStartedAt < settled) {
        this.nextFetchAt = Math.min(this.nextFetchAt, this.lastFetchStartedAt + timing.minFetchIntervalMs);
      }
    }
    if (wantFetch && now >= this.nextFetchAt) return this.fetch();
    if (this.shardEnded && this.buffer.length === 0 && !this.window) return this.finish();

    let wakeAt = now + timing.idlePollMs;
    if (wantFetch) wakeAt = Math.min(wakeAt, this.nextFetchAt);
    if (due.wakeAtMs !== undefined) wakeAt = Math.min(wakeAt, due.wakeAtMs);
    if (closingWindowEnd !== undefined && closingWindowEnd + timing.windowCloseGraceMs > now) {
      wakeAt = Math.min(wakeAt, closingWindowEnd + timing.windowCloseGraceMs);
    }
    return this.m.sleep(Math.max(5, wakeAt - now));
  }

  private async fetch(): Promise<void> {
    const { timing } = this.m;
    const started = Date.now();
    this.nextFetchAt = started + timing.minFetchIntervalMs;
    let out;
    try {
      out = await this.m.client.send(new GetRecordsCommand({ ShardIterator: this.iterator, Limit: timing.fetchLimit }));
    } catch (err) {
      if (errorName(err) === 'ExpiredIteratorException') {
        this.iterator = undefined;
        return;
      }
      this.log(`GetRecords failed, will retry: ${errorText(err)}`);
      this.nextFetchAt = Date.now() + timing.errorBackoffMs;
      return;
    }
    this.lastFetchStartedAt = started;
    this.millisBehind = out.MillisBehindLatest ?? 0;
    const records = out.Records ?? [];
    const fetchedAt = Date.now();
    if (records.length > 0) {
      const ctx = this.m.recordContext(this.shardId);
      for (const raw of records) this.buffer.push(toBufferedRecord(raw, ctx, fetchedAt));
      this.position = { type: 'AFTER_SEQUENCE_NUMBER', seq: this.buffer[this.buffer.length - 1].sequenceNumber };
      this.iterator = out.NextShardIterator;
      this.iteratorAt = fetchedAt;
      if (!out.NextShardIterator) this.shardEnded = true;
      return;
    }
    this.nextFetchAt = started + timing.idlePollMs;
    if (!out.NextShardIterator) {
      this.shardEnded = true;
      this.iterator = undefined;
    } else if (fetchedAt - this.iteratorAt > timing.iteratorRefreshMs) {
      this.iterator = undefined;
    }
    // Otherwise keep the same iterator: after an empty read kinesalite's next iterator starts at
    // "now", which can skip a record whose write is still in flight; re-reading is safe.
  }

  private setWindow(w: WindowProgress | undefined): void {
    this.window = w;
    this.windowStateBytes = w ? jsonBytes(w.state) : 2;
  }

  private applyState(state: JsonObject | undefined): void {
    const w = this.window;
    if (!w || state === undefined) return;
    const bytes = jsonBytes(state);
    if (bytes > MAX_WINDOW_STATE_BYTES) {
      this.log(`window ${isoTime(w.startMs)} state is ${bytes} bytes (> 1 MB): window terminated early, state reset`);
      this.setWindow({ ...w, state: {}, terminatedEarly: true });
      return;
    }
    this.setWindow({ ...w, state });
  }

  private async saveCheckpoint(): Promise<void> {
    const cp: ShardCheckpoint = {
      sequenceNumber: this.checkpointSeq,
      ...(this.window ? { window: this.window } : {}),
      ...(this.finished ? { shardEnded: true } : {}),
    };
    try {
      await this.m.store.save(this.m.id, this.shardId, cp);
    } catch (err) {
      this.log(`checkpoint save failed (a restart may repeat records): ${errorText(err)}`);
    }
  }

  /** Drops `count` processed (or discarded) head records and checkpoints past them. */
  private async commit(count: number): Promise<void> {
    const removed = this.buffer.splice(0, count);
    if (removed.length > 0) this.checkpointSeq = removed[removed.length - 1].sequenceNumber;
    await this.saveCheckpoint();
  }

  private async callFunction(event: KinesisInvokeEvent): Promise<StreamInvokeResult | undefined> {
    this.invocations += 1;
    try {
      return await this.m.invoke(event);
    } catch (err) {
      this.log(`invoke failed before the function ran (retrying, no retry attempt used): ${errorText(err)}`);
      return undefined;
    }
  }

  /** Sends an on-failure record; false if the mapping stopped before it could be delivered. */
  private async discard(records: readonly BufferedRecord[], batch: PendingBatch, condition: DiscardCondition): Promise<boolean> {
    const doc = buildOnFailureRecord({
      records,
      batch,
      condition,
      shardId: this.shardId,
      streamArn: this.m.eventSourceArn(),
      functionArn: this.m.functionArn,
      requestId: randomUUID(),
      nowMs: Date.now(),
    });
    const range = `${doc.KinesisBatchInfo.startSequenceNumber}..${doc.KinesisBatchInfo.endSequenceNumber}`;
    if (!this.m.onFailure) {
      this.log(`discarded ${records.length} record(s) ${range} (${condition}); no on-failure destination`);
      return true;
    }
    for (let attempt = 1; ; attempt += 1) {
      try {
        await this.m.onFailure.send(doc);
        this.log(`discarded ${records.length} record(s) ${range} (${condition}) to the on-failure destination`);
        return true;
      } catch (err) {
        this.log(`on-failure destination write failed: ${errorText(err)}`);
        if (!this.m.running()) return false;
        await this.m.sleep(backoffMs(attempt, this.m.timing.retryBaseMs, this.m.timing.retryMaxMs));
      }
    }
  }

  private async invokeHead(): Promise<void> {
    const { settings, timing } = this.m;
    const batch = this.pending[0];
    const records = this.buffer.slice(0, batch.size);
    const expired = countExpired(records, Date.now(), settings.maxRecordAgeMs);
    if (expired > 0) {
      if (!(await this.discard(records.slice(0, expired), { ...batch, size: expired }, 'RecordAgeExceeded'))) return;
      if (expired < batch.size) this.pending[0] = { ...batch, size: batch.size - expired };
      else this.pending.shift();
      await this.commit(expired);
      return;
    }

    const tumbling = settings.tumblingWindowMs > 0;
    let event: KinesisInvokeEvent;
    if (tumbling) {
      const bounds = windowFor(records[0].arrivalMs, settings.tumblingWindowMs);
      if (!this.window || this.window.startMs !== bounds.startMs) {
        this.setWindow({ startMs: bounds.startMs, endMs: bounds.endMs, state: {}, terminatedEarly: false });
      }
      const w = this.window as WindowProgress;
      const windowEvent: KinesisTumblingWindowEvent = {
        Records: records.map((r) => r.eventRecord),
        window: { start: isoTime(w.startMs), end: isoTime(w.endMs) },
        state: w.state,
        shardId: this.shardId,
        eventSourceARN: this.m.eventSourceArn(),
        isFinalInvokeForWindow: false,
        isWindowTerminatedEarly: w.terminatedEarly,
      };
      event = windowEvent;
    } else {
      event = { Records: records.map((r) => r.eventRecord) };
    }

    const result = await this.callFunction(event);
    if (!result) {
      this.retryAt = Date.now() + timing.errorBackoffMs;
      return;
    }
    const attempted = recordAttempt(batch, result);
    const outcome = interpretResponse(
      result,
      records.map((r) => r.sequenceNumber),
      { reportBatchItemFailures: settings.reportBatchItemFailures, tumbling },
    );
    const decision = decide(attempted, outcome, settings);
    if (outcome.kind === 'failure') {
      this.log(`batch of ${records.length} failed (attempt ${attempted.invokeCount}): ${outcome.reason}`);
    } else if (outcome.kind === 'partial') {
      this.log(`batch of ${records.length}: records from #${outcome.failedIndex} reported failed, retrying from there`);
    }
    switch (decision.kind) {
      case 'commit':
        this.pending.shift();
        this.applyState(decision.state);
        this.retryAt = 0;
        await this.commit(decision.count);
        return;
      case 'retry':
        this.pending.splice(0, 1, ...decision.next);
        this.applyState(decision.state);
        this.retryAt = decision.backoff ? Date.now() + backoffMs(decision.next[0].retries, timing.retryBaseMs, timing.retryMaxMs) : 0;
        if (decision.commit > 0) await this.commit(decision.commit);
        return;
      case 'discard': {
        this.applyState(decision.state);
        this.retryAt = 0;
        if (decision.commit > 0) {
          this.pending[0] = decision.discard;
          await this.commit(decision.commit);
        }
        const discarded = this.buffer.slice(0, decision.discard.size);
        if (!(await this.discard(discarded, decision.discard, decision.condition))) {
          this.pending[0] = decision.discard;
          return;
        }
        this.pending.shift();
        await this.commit(decision.discard.size);
        return;
      }
    }
  }

  private async finalInvoke(): Promise<void> {
    const w = this.window as WindowProgress;
    const event: KinesisTumblingWindowEvent = {
      Records: [],
      window: { start: isoTime(w.startMs), end: isoTime(w.endMs) },
      state: w.state,
      shardId: this.shardId,
      eventSourceARN: this.m.eventSourceArn(),
      isFinalInvokeForWindow: true,
      isWindowTerminatedEarly: w.terminatedEarly,
    };
    const result = await this.callFunction(event);
    if (result?.ok) {
      this.setWindow(undefined);
      this.finalFailures = 0;
      this.retryAt = 0;
      await this.saveCheckpoint();
      return;
    }
    this.finalFailures += 1;
    const reason = result && !result.ok ? `${result.error.errorType}: ${result.error.errorMessage}` : 'invoke error';
    this.log(`final invocation for window ${event.window.start} failed (${reason}); the shard waits for it to succeed`);
    this.retryAt = Date.now() + backoffMs(this.finalFailures, this.m.timing.retryBaseMs, this.m.timing.retryMaxMs);
  }

  private async finish(): Promise<void> {
    this.finished = true;
    await this.saveCheckpoint();
    this.log('shard closed and fully processed');
    this.m.shardFinished();
  }
}

/**
 * A local stand-in for a Lambda event-source mapping on a Kinesis stream.
 * Call `start()` to begin polling (it resolves once every shard has its starting position) and
 * `stop()` to end (it waits for invocations in flight and leaves no timers behind).
 * A stopped mapping is not restarted; create a new one (with the same `id` and checkpoint store
 * to resume).
 */
export class KinesisEventSourceMapping {
  readonly id: string;
  readonly settings: EsmSettings;
  private readonly opts: KinesisEventSourceMappingOptions;
  private readonly timing: EsmTiming;
  private readonly client: KinesisClient;
  private readonly ownsClient: boolean;
  private readonly store: CheckpointStore;
  private readonly logLine: (line: string) => void;
  private readonly pollers = new Map<string, ShardPoller>();
  private readonly loops = new Set<Promise<void>>();
  private readonly sleepers = new Set<() => void>();
  private readonly context: MappingContext;
  private streamArn = '';
  private running = false;
  private started: Promise<void> | undefined;
  private stopped: Promise<void> | undefined;
  private discovering: Promise<void> | undefined;
  private rediscover = false;
  /** Shards listed when the mapping started: they begin at StartingPosition, later ones at TRIM_HORIZON. */
  private readonly initialShards = new Set<string>();

  constructor(opts: KinesisEventSourceMappingOptions) {
    this.id = opts.id;
    this.opts = opts;
    this.settings = normalizeEsmSettings(opts.properties);
    this.timing = { ...DEFAULT_TIMING, ...opts.timing };
    if (opts.client) {
      this.client = opts.client;
      this.ownsClient = false;
    } else if (opts.endpoint) {
      this.client = createLocalKinesisClient(opts.endpoint, opts.region);
      this.ownsClient = true;
    } else {
      throw new Error(`event-source mapping ${opts.id}: give a client or an endpoint`);
    }
    this.store = opts.checkpoints ?? new MemoryCheckpointStore();
    const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
    this.logLine = (line) => log(`[esm ${opts.id}] ${line}`);
    const region = opts.region ?? 'us-east-1';
    const invokeIdentityArn = opts.invokeIdentityArn ?? 'arn:aws:iam::000000000000:role/lambda-role';
    this.context = {
      id: opts.id,
      streamName: opts.streamName,
      settings: this.settings,
      timing: this.timing,
      client: this.client,
      store: this.store,
      onFailure: opts.onFailure,
      functionArn: opts.functionArn ?? `arn:aws:lambda:${region}:000000000000:function:${opts.functionName}`,
      invoke: opts.invoke,
      recordContext: (shardId) => ({ shardId, eventSourceArn: this.streamArn, awsRegion: region, invokeIdentityArn }),
      eventSourceArn: () => this.streamArn,
      running: () => this.running,
      sleep: (ms) => this.sleep(ms),
      log: this.logLine,
      shardFinished: () => this.requestDiscovery(),
    };
  }

  /** Per-shard progress. */
  status(): ShardStatus[] {
    return [...this.pollers.values()].map((p) => p.status());
  }

  /** Starts polling every shard; resolves when each has its starting position. */
  start(): Promise<void> {
    if (this.stopped) return Promise.reject(new Error(`event-source mapping ${this.id} was stopped`));
    if (!this.started) this.started = this.doStart();
    return this.started;
  }

  private async doStart(): Promise<void> {
    if (this.opts.properties.Enabled === false) {
      this.logLine('disabled (Enabled: false); not polling');
      return;
    }
    if (this.settings.parallelizationFactor > 1) {
      this.logLine(`ParallelizationFactor ${this.settings.parallelizationFactor} is processed as 1 locally`);
    }
    if (this.settings.onFailureDestination && !this.opts.onFailure) {
      this.logLine(`on-failure destination ${this.settings.onFailureDestination} has no local sink; discards are only logged`);
    }
    this.running = true;
    if (this.opts.eventSourceArn) {
      this.streamArn = this.opts.eventSourceArn;
    } else {
      const summary = await this.client.send(new DescribeStreamSummaryCommand({ StreamName: this.opts.streamName }));
      this.streamArn = summary.StreamDescriptionSummary?.StreamARN ?? '';
    }
    await this.discover(true);
    this.track(this.discoveryLoop());
  }

  /** Stops polling: waits for invocations in flight, then ends every loop and timer. */
  stop(): Promise<void> {
    if (!this.stopped) {
      this.running = false;
      for (const wake of [...this.sleepers]) wake();
      this.stopped = (async () => {
        if (this.started) await this.started.catch(() => undefined);
        for (const wake of [...this.sleepers]) wake();
        while (this.loops.size > 0) await Promise.all([...this.loops]);
        if (this.ownsClient) this.client.destroy();
      })();
    }
    return this.stopped;
  }

  private sleep(ms: number): Promise<void> {
    if (!this.running) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.sleepers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      this.sleepers.add(done);
    });
  }

  private track(loop: Promise<void>): void {
    const tracked: Promise<void> = loop
      .catch((err: unknown) => this.logLine(`loop ended with error: ${errorText(err)}`))
      .finally(() => this.loops.delete(tracked));
    this.loops.add(tracked);
  }

  private async discoveryLoop(): Promise<void> {
    while (this.running) {
      await this.sleep(this.timing.shardDiscoveryMs);
      if (!this.running) break;
      this.requestDiscovery();
      if (this.discovering) await this.discovering;
    }
  }

  private requestDiscovery(): void {
    if (!this.running) return;
    if (this.discovering) {
      this.rediscover = true;
      return;
    }
    const run = async (): Promise<void> => {
      do {
        this.rediscover = false;
        try {
          await this.discover(false);
        } catch (err) {
          this.logLine(`ListShards failed: ${errorText(err)}`);
        }
      } while (this.rediscover && this.running);
    };
    const discovering = run().finally(() => {
      this.discovering = undefined;
    });
    this.discovering = discovering;
    this.track(discovering);
  }

  private async listShards(): Promise<Shard[]> {
    const shards: Shard[] = [];
    let token: string | undefined;
    do {
      const input: ListShardsCommandInput = token ? { NextToken: token } : { StreamName: this.opts.streamName };
      const out = await this.client.send(new ListShardsCommand(input));
      shards.push(...(out.Shards ?? []));
      token = out.NextToken;
    } while (token);
    return shards;
  }

  /**
   * Starts a poller for every new shard whose parents are done. Shards that existed at start
   * begin at StartingPosition; shards created later (resharding) at TRIM_HORIZON, as in AWS.
   */
  private async discover(initial: boolean): Promise<void> {
    const shards = await this.listShards();
    const listed = new Set(shards.map((s) => s.ShardId ?? ''));
    if (initial) for (const id of listed) this.initialShards.add(id);
    for (const shard of shards) {
      const shardId = shard.ShardId;
      if (!shardId || this.pollers.has(shardId) || !this.running) continue;
      const parents = [shard.ParentShardId, shard.AdjacentParentShardId].filter((p): p is string => !!p && listed.has(p));
      if (parents.some((p) => !this.pollers.get(p)?.finished)) continue;
      const position: IteratorPosition = !this.initialShards.has(shardId)
        ? { type: 'TRIM_HORIZON' }
        : this.settings.startingPosition === 'AT_TIMESTAMP'
          ? { type: 'AT_TIMESTAMP', ms: (this.settings.startingPositionTimestamp ?? 0) * 1000 }
          : { type: this.settings.startingPosition };
      const poller = new ShardPoller(this.context, shardId, position);
      this.pollers.set(shardId, poller);
      await poller.init();
      if (poller.finished) continue;
      this.track(poller.run());
    }
  }
}
