import { randomUUID } from 'crypto';
import { promisify } from 'util';
import { gzip } from 'zlib';
import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  GetShardIteratorCommandInput,
  KinesisClient,
  ListShardsCommand,
} from '@aws-sdk/client-kinesis';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { BufferState, FlushReason, flushReason, msUntilIntervalFlush } from './buffer';
import { CheckpointStore, FileCheckpointStore, MemoryCheckpointStore, ShardCheckpoints, checkpointFilePath } from './checkpoint';
import { DeliveryStreamSpec } from './config';
import {
  CompiledPrefix,
  assertTimeZone,
  compilePrefixes,
  evaluatePrefix,
  firehoseRandomString,
  objectExtension,
  objectKeySuffix,
} from './prefix';

const gzipAsync = promisify(gzip);

/** Where delivered objects go; {@link s3ObjectWriter} adapts an S3 client. */
export interface ObjectWriter {
  putObject(bucket: string, key: string, body: Buffer): Promise<void>;
}

/** An {@link ObjectWriter} over an SDK v3 S3 client. */
export function s3ObjectWriter(client: S3Client): ObjectWriter {
  return {
    async putObject(bucket, key, body) {
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentLength: body.length }));
    },
  };
}

/** One object written to S3. */
export interface DeliveredObject {
  readonly bucket: string;
  readonly key: string;
  readonly records: number;
  /** Record bytes before compression. */
  readonly bytes: number;
  /** Bytes of the stored object. */
  readonly storedBytes: number;
  /** Approximate arrival time of the oldest record in the object (the prefix's timestamp). */
  readonly oldestArrival: Date;
  readonly reason: FlushReason | 'flush' | 'stop';
  /** The checkpoints saved after this object, per shard. */
  readonly checkpoints: ShardCheckpoints;
}

export type LogLevel = 'info' | 'warn' | 'error';

export interface FirehoseOptions {
  readonly spec: DeliveryStreamSpec;
  readonly kinesis: KinesisClient;
  readonly writer: ObjectWriter;
  /** Default: in memory. Use a {@link FileCheckpointStore} in the persist directory for `--persist`. */
  readonly checkpoints?: CheckpointStore;
  /**
   * Where a shard without checkpoint is read from. Default TRIM_HORIZON, so nothing written before
   * the stand-in started is missed; real Firehose starts a new delivery stream at LATEST.
   */
  readonly initialPosition?: 'TRIM_HORIZON' | 'LATEST';
  /** Pause between polls of an idle stream; default 200 ms (Firehose polls each shard once a second). */
  readonly pollIntervalMs?: number;
  /** How often the shard list is refreshed; default 10 s. */
  readonly shardRefreshMs?: number;
  /** GetRecords limit; default 10000. */
  readonly getRecordsLimit?: number;
  /** S3 retry backoff: first delay (default 200 ms), doubling up to `retryMaxMs` (default 10 s). */
  readonly retryInitialMs?: number;
  readonly retryMaxMs?: number;
  /** Attempts per object once `stop()` was called, before giving up (records stay unacknowledged); default 3. */
  readonly stopFlushAttempts?: number;
  /** Clock for the buffering interval (ms). */
  readonly now?: () => number;
  /** UUID of each object name; default random. */
  readonly uuid?: () => string;
  /** Values of `!{firehose:random-string}`; default random. */
  readonly randomString?: () => string;
  readonly log?: (level: LogLevel, message: string) => void;
  readonly onDelivered?: (object: DeliveredObject) => void;
}

/** Raised when an object cannot be written and the stream is stopping; its records stay unacknowledged. */
export class FirehoseDeliveryError extends Error {
  constructor(
    message: string,
    readonly cause?: unknown,
  ) {
    super(message);
    this.name = 'FirehoseDeliveryError';
  }
}

interface BufferedRecord {
  readonly shardId: string;
  readonly sequenceNumber: string;
  readonly data: Buffer;
  readonly arrival: number;
  readonly bufferedAt: number;
}

interface ShardState {
  readonly id: string;
  iterator?: string;
  lastRead?: string;
  closed: boolean;
}

function errorName(e: unknown): string {
  return e instanceof Error ? e.name : '';
}

/**
 * The Firehose stand-in for one delivery stream: reads every shard of its Kinesis source,
 * buffers records, and writes them (concatenated, no delimiter added, optionally gzipped) to S3
 * when the buffer reaches its size or its interval has passed since the first buffered record.
 * Checkpoints advance only after the object was stored, so delivery is at least once.
 */
export class FirehoseDeliveryStream {
  readonly spec: DeliveryStreamSpec;
  private readonly prefix: CompiledPrefix;
  private readonly kinesis: KinesisClient;
  private readonly writer: ObjectWriter;
  private readonly store: CheckpointStore;
  private readonly now: () => number;
  private readonly log: (level: LogLevel, message: string) => void;
  private readonly opts: FirehoseOptions;
  private readonly shards = new Map<string, ShardState>();
  private checkpoints: Record<string, string> = {};
  private buffer: BufferedRecord[] = [];
  private bufferBytes = 0;
  private flushChain: Promise<unknown> = Promise.resolve();
  private loop?: Promise<void>;
  private loopError?: Error;
  private stopping = false;
  private wake?: () => void;
  private lastShardRefresh = 0;
  private deliveredObjects = 0;
  private deliveredRecords = 0;
  private lastError?: string;

  /** Validates prefixes and time zone as Firehose does at creation; throws {@link FirehosePrefixError} if invalid. */
  constructor(options: FirehoseOptions) {
    this.opts = options;
    this.spec = options.spec;
    if (this.spec.customTimeZone) assertTimeZone(this.spec.customTimeZone);
    this.prefix = compilePrefixes(this.spec.prefix, this.spec.errorOutputPrefix).prefix;
    evaluatePrefix(this.prefix, { time: 0, timeZone: this.spec.customTimeZone });
    this.kinesis = options.kinesis;
    this.writer = options.writer;
    this.store = options.checkpoints ?? new MemoryCheckpointStore();
    this.now = options.now ?? Date.now;
    this.log = options.log ?? (() => undefined);
  }

  /** Loads checkpoints, discovers shards and starts reading. */
  async start(): Promise<void> {
    if (this.loop) return;
    this.checkpoints = { ...(await this.store.load()) };
    await this.refreshShards();
    this.loop = this.run();
  }

  /** Writes whatever is buffered now (no-op when empty); resolves with the object written. */
  flush(): Promise<DeliveredObject | undefined> {
    return this.enqueueFlush('flush');
  }

  /**
   * Stops polling, reads what the stream holds up to now (the writers are stopped first, so every
   * record accepted before the stop reaches the lake), flushes the buffer (bounded retries), and
   * resolves when nothing runs any more.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    if (this.loop) await this.loop;
    if (this.loopError) throw this.loopError;
    try {
      await this.catchUp();
    } finally {
      await this.enqueueFlush('stop');
    }
  }

  /** Counters for status output. */
  stats(): {
    bufferedRecords: number;
    bufferedBytes: number;
    deliveredObjects: number;
    deliveredRecords: number;
    shards: number;
    lastError?: string;
  } {
    return {
      bufferedRecords: this.buffer.length,
      bufferedBytes: this.bufferBytes,
      deliveredObjects: this.deliveredObjects,
      deliveredRecords: this.deliveredRecords,
      shards: this.shards.size,
      lastError: this.lastError,
    };
  }

  /** The checkpoints as last saved, per shard. */
  currentCheckpoints(): ShardCheckpoints {
    return { ...this.checkpoints };
  }

  // ---------------------------------------------------------------- reading

  private state(): BufferState {
    return { bytes: this.bufferBytes, records: this.buffer.length, firstBufferedAt: this.buffer[0]?.bufferedAt };
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        if (this.wake === done) this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = done;
    });
  }

  private async refreshShards(): Promise<void> {
    this.lastShardRefresh = this.now();
    let token: string | undefined;
    do {
      const res = await this.kinesis.send(new ListShardsCommand(token ? { NextToken: token } : { StreamName: this.spec.sourceStreamName }));
      for (const s of res.Shards ?? []) {
        if (s.ShardId && !this.shards.has(s.ShardId)) this.shards.set(s.ShardId, { id: s.ShardId, closed: false });
      }
      token = res.NextToken;
    } while (token);
  }

  private async iterator(shard: ShardState): Promise<string | undefined> {
    const after = shard.lastRead ?? this.checkpoints[shard.id];
    const base = { StreamName: this.spec.sourceStreamName, ShardId: shard.id };
    const input: GetShardIteratorCommandInput = after
      ? { ...base, ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', StartingSequenceNumber: after }
      : { ...base, ShardIteratorType: this.opts.initialPosition ?? 'TRIM_HORIZON' };
    try {
      return (await this.kinesis.send(new GetShardIteratorCommand(input))).ShardIterator;
    } catch (e) {
      if (after === undefined || errorName(e) !== 'InvalidArgumentException') throw e;
      this.log(
        'warn',
        `${this.spec.name}: checkpoint ${after} of ${shard.id} is not valid for this stream; reading the shard from TRIM_HORIZON`,
      );
      shard.lastRead = undefined;
      delete this.checkpoints[shard.id];
      return (await this.kinesis.send(new GetShardIteratorCommand({ ...base, ShardIteratorType: 'TRIM_HORIZON' }))).ShardIterator;
    }
  }

  private async readShard(shard: ShardState): Promise<number> {
    shard.iterator ??= await this.iterator(shard);
    if (!shard.iterator) {
      shard.closed = true;
      return 0;
    }
    let res;
    try {
      res = await this.kinesis.send(new GetRecordsCommand({ ShardIterator: shard.iterator, Limit: this.opts.getRecordsLimit ?? 10000 }));
    } catch (e) {
      if (errorName(e) === 'ExpiredIteratorException') {
        shard.iterator = undefined;
        return 0;
      }
      throw e;
    }
    shard.iterator = res.NextShardIterator;
    if (!shard.iterator) shard.closed = true;
    const records = res.Records ?? [];
    for (const r of records) {
      if (!r.SequenceNumber || !r.Data) continue;
      const data = Buffer.from(r.Data.buffer, r.Data.byteOffset, r.Data.byteLength);
      const now = this.now();
      this.buffer.push({
        shardId: shard.id,
        sequenceNumber: r.SequenceNumber,
        data,
        arrival: r.ApproximateArrivalTimestamp?.getTime() ?? now,
        bufferedAt: now,
      });
      this.bufferBytes += data.length;
      shard.lastRead = r.SequenceNumber;
      if (flushReason(this.state(), this.spec.buffering, now) === 'size') await this.enqueueFlush('size');
    }
    return records.length;
  }

  /** Reads every open shard until a read returns nothing (its end, as of now). */
  private async catchUp(): Promise<void> {
    for (const shard of this.shards.values()) {
      while (!shard.closed && (await this.readShard(shard)) > 0) {
        // keep reading: the shard may hold more than one GetRecords page
      }
    }
  }

  private async run(): Promise<void> {
    const poll = this.opts.pollIntervalMs ?? 200;
    while (!this.stopping) {
      try {
        if (this.now() - this.lastShardRefresh >= (this.opts.shardRefreshMs ?? 10_000)) await this.refreshShards();
        let got = 0;
        for (const shard of [...this.shards.values()]) {
          if (this.stopping) break;
          if (!shard.closed) got += await this.readShard(shard);
        }
        const reason = flushReason(this.state(), this.spec.buffering, this.now());
        if (reason) await this.enqueueFlush(reason);
        if (got === 0 && !this.stopping) {
          const due = msUntilIntervalFlush(this.state(), this.spec.buffering, this.now());
          await this.sleep(Math.max(1, Math.min(poll, due ?? poll)));
        }
      } catch (e) {
        if (this.stopping && e instanceof FirehoseDeliveryError) {
          this.loopError = e;
          return;
        }
        this.lastError = (e as Error).message;
        this.log('error', `${this.spec.name}: reading ${this.spec.sourceStreamName} failed: ${(e as Error).message}`);
        if (!this.stopping) await this.sleep(poll * 5);
      }
    }
  }

  // ---------------------------------------------------------------- delivery

  private enqueueFlush(reason: DeliveredObject['reason']): Promise<DeliveredObject | undefined> {
    const p = this.flushChain.then(() => this.deliver(reason));
    this.flushChain = p.catch(() => undefined);
    return p;
  }

  private async putWithRetry(key: string, body: Buffer, records: number): Promise<void> {
    const initial = this.opts.retryInitialMs ?? 200;
    const max = this.opts.retryMaxMs ?? 10_000;
    const stopAttempts = this.opts.stopFlushAttempts ?? 3;
    let attempt = 0;
    let attemptsWhileStopping = 0;
    for (;;) {
      try {
        await this.writer.putObject(this.spec.bucketName, key, body);
        return;
      } catch (e) {
        attempt++;
        this.lastError = (e as Error).message;
        if (this.stopping && ++attemptsWhileStopping >= stopAttempts) {
          throw new FirehoseDeliveryError(
            `${this.spec.name}: could not write s3://${this.spec.bucketName}/${key} (${(e as Error).message}); ` +
              `its ${records} records are not checkpointed and will be delivered again on the next start`,
            e,
          );
        }
        const delay = Math.min(max, initial * 2 ** Math.min(attempt - 1, 20));
        this.log(
          'warn',
          `${this.spec.name}: writing s3://${this.spec.bucketName}/${key} failed (attempt ${attempt}: ${(e as Error).message}); retrying in ${delay} ms`,
        );
        await new Promise((r) => setTimeout(r, this.stopping ? Math.min(delay, 1000) : delay));
      }
    }
  }

  private async deliver(reason: DeliveredObject['reason']): Promise<DeliveredObject | undefined> {
    const n = this.buffer.length;
    if (n === 0) return undefined;
    const records = this.buffer.slice(0, n);
    let oldest = Number.POSITIVE_INFINITY;
    for (const r of records) if (r.arrival < oldest) oldest = r.arrival;
    const data = Buffer.concat(records.map((r) => r.data));
    const zone = this.spec.customTimeZone;
    const key =
      evaluatePrefix(this.prefix, { time: oldest, timeZone: zone, randomString: this.opts.randomString ?? firehoseRandomString }) +
      objectKeySuffix({
        deliveryStreamName: this.spec.name,
        version: 1,
        time: oldest,
        timeZone: zone,
        uuid: (this.opts.uuid ?? randomUUID)(),
        extension: objectExtension(this.spec.compression, this.spec.fileExtension),
      });
    const body = this.spec.compression === 'GZIP' ? await gzipAsync(data) : data;
    await this.putWithRetry(key, body, n);

    // Stored: drop the records from the buffer and move the checkpoints past them.
    this.buffer.splice(0, n);
    this.bufferBytes -= data.length;
    for (const r of records) this.checkpoints[r.shardId] = r.sequenceNumber;
    const saved = { ...this.checkpoints };
    try {
      await this.store.save(saved);
    } catch (e) {
      this.lastError = (e as Error).message;
      this.log(
        'error',
        `${this.spec.name}: saving checkpoints failed (${(e as Error).message}); records may be delivered again after a restart`,
      );
    }
    this.deliveredObjects++;
    this.deliveredRecords += n;
    const delivered: DeliveredObject = {
      bucket: this.spec.bucketName,
      key,
      records: n,
      bytes: data.length,
      storedBytes: body.length,
      oldestArrival: new Date(oldest),
      reason,
      checkpoints: saved,
    };
    this.log('info', `${this.spec.name}: ${n} records → s3://${delivered.bucket}/${key} (${reason})`);
    this.opts.onDelivered?.(delivered);
    return delivered;
  }
}

/** Creates and starts a delivery stream stand-in. */
export async function startDeliveryStream(options: FirehoseOptions): Promise<FirehoseDeliveryStream> {
  const stream = new FirehoseDeliveryStream(options);
  await stream.start();
  return stream;
}

/** Several delivery streams started together, stopped together. */
export interface RunningDeliveryStreams {
  readonly streams: readonly FirehoseDeliveryStream[];
  /** Stops every stream (each flushes first); rejects with the first failure after all were stopped. */
  stop(): Promise<void>;
}

/**
 * Starts one stand-in per spec over shared Kinesis and S3 clients; with `persistDir`, checkpoints
 * go to `<persistDir>/firehose/<name>.checkpoint.json` so a restart resumes where delivery stopped.
 */
export async function startDeliveryStreams(options: {
  readonly specs: readonly DeliveryStreamSpec[];
  readonly kinesis: KinesisClient;
  readonly s3: S3Client;
  readonly persistDir?: string;
  readonly log?: (level: LogLevel, message: string) => void;
  readonly onDelivered?: (object: DeliveredObject) => void;
  readonly initialPosition?: 'TRIM_HORIZON' | 'LATEST';
}): Promise<RunningDeliveryStreams> {
  const streams: FirehoseDeliveryStream[] = [];
  const stop = async (): Promise<void> => {
    const results = await Promise.allSettled(streams.map((s) => s.stop()));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  };
  try {
    for (const spec of options.specs) {
      const checkpoints = options.persistDir
        ? new FileCheckpointStore(checkpointFilePath(options.persistDir, spec.name), {
            deliveryStream: spec.name,
            sourceStream: spec.sourceStreamName,
          })
        : undefined;
      const stream = new FirehoseDeliveryStream({
        spec,
        kinesis: options.kinesis,
        writer: s3ObjectWriter(options.s3),
        checkpoints,
        log: options.log,
        onDelivered: options.onDelivered,
        initialPosition: options.initialPosition,
      });
      streams.push(stream);
      await stream.start();
    }
  } catch (e) {
    await stop().catch(() => undefined);
    throw e;
  }
  return { streams, stop };
}
