import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { gunzipSync } from 'zlib';
import { PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import {
  CheckpointStore,
  DeliveredObject,
  DeliveryStreamSpec,
  FileCheckpointStore,
  FirehoseDeliveryError,
  FirehoseDeliveryStream,
  FirehoseOptions,
  FirehosePrefixError,
  MemoryCheckpointStore,
  ObjectWriter,
  ShardCheckpoints,
  bufferingHints,
  deliveryStreamsFromTemplate,
  formatJavaDate,
  s3ObjectWriter,
  startDeliveryStreams,
} from '../../../local/firehose';
import { TemplateResolver } from '../../../local/template';
import {
  RunningKinesis,
  RunningS3,
  ensureStream,
  kinesisStreamsFromTemplate,
  s3BucketsFromTemplate,
  startKinesis,
  startS3,
} from '../../../local/services';

const BUCKET = 'uba-dev-lake-raw';
let kinesis: RunningKinesis;
let s3: RunningS3;
let streamCounter = 0;
const open: FirehoseDeliveryStream[] = [];

beforeAll(async () => {
  kinesis = await startKinesis({ port: 0 });
  s3 = await startS3({ port: 0, buckets: [BUCKET] });
});

afterAll(async () => {
  for (const f of open) await f.stop().catch(() => undefined);
  await kinesis?.stop();
  await s3?.stop();
});

async function newStream(shards = 2): Promise<string> {
  const name = `events-${++streamCounter}`;
  await ensureStream(kinesis.client, { name, shardCount: shards });
  return name;
}

async function put(stream: string, records: Array<string | Buffer>): Promise<void> {
  const res = await kinesis.client.send(
    new PutRecordsCommand({
      StreamName: stream,
      Records: records.map((r, i) => ({ PartitionKey: `user-${i % 7}`, Data: typeof r === 'string' ? Buffer.from(r) : r })),
    }),
  );
  expect(res.FailedRecordCount ?? 0).toBe(0);
}

function spec(stream: string, overrides: Partial<DeliveryStreamSpec> = {}): DeliveryStreamSpec {
  return {
    name: `lake-${stream}`,
    sourceStreamArn: `arn:aws:kinesis:us-east-1:000000000000:stream/${stream}`,
    sourceStreamName: stream,
    bucketArn: `arn:aws:s3:::${BUCKET}`,
    bucketName: BUCKET,
    prefix: `${stream}/dt=!{timestamp:yyyy-MM-dd}/`,
    errorOutputPrefix: `${stream}-errors/!{firehose:error-output-type}/`,
    buffering: bufferingHints(5, 900),
    compression: 'UNCOMPRESSED',
    unsupported: [],
    ...overrides,
  };
}

function collector(): {
  delivered: DeliveredObject[];
  next: (n?: number) => Promise<DeliveredObject[]>;
  onDelivered: (d: DeliveredObject) => void;
} {
  const delivered: DeliveredObject[] = [];
  const waiters: Array<{ n: number; resolve: (d: DeliveredObject[]) => void }> = [];
  return {
    delivered,
    onDelivered: (d) => {
      delivered.push(d);
      for (const w of [...waiters]) {
        if (delivered.length >= w.n) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(delivered);
        }
      }
    },
    next: (n = 1) =>
      new Promise((resolve, reject) => {
        if (delivered.length >= n) return resolve(delivered);
        waiters.push({ n, resolve });
        setTimeout(() => reject(new Error(`timed out waiting for ${n} deliveries (got ${delivered.length})`)), 15000).unref();
      }),
  };
}

async function start(options: Omit<FirehoseOptions, 'kinesis' | 'writer'> & { writer?: ObjectWriter }): Promise<FirehoseDeliveryStream> {
  const f = new FirehoseDeliveryStream({ pollIntervalMs: 50, writer: s3ObjectWriter(s3.client), kinesis: kinesis.client, ...options });
  open.push(f);
  await f.start();
  return f;
}

async function stopIt(f: FirehoseDeliveryStream): Promise<void> {
  open.splice(open.indexOf(f), 1);
  await f.stop();
}

async function getObject(key: string): Promise<Buffer> {
  const res = await s3.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  return Buffer.from((await res.Body?.transformToByteArray()) ?? []);
}

describe('Firehose stand-in', () => {
  it('flushes on buffer size, writing the concatenated records with no delimiter added', async () => {
    const stream = await newStream(1);
    const c = collector();
    const f = await start({ spec: spec(stream, { buffering: bufferingHints(1, 900) }), onDelivered: c.onDelivered });
    const chunk = (ch: string): Buffer => Buffer.alloc(400 * 1024, ch);
    await put(stream, [chunk('a'), chunk('b'), chunk('c'), Buffer.from('tail')]);
    const [first] = await c.next(1);
    expect(first.reason).toBe('size');
    expect(first.records).toBe(3);
    expect(first.bytes).toBe(3 * 400 * 1024);
    const body = await getObject(first.key);
    expect(body.equals(Buffer.concat([chunk('a'), chunk('b'), chunk('c')]))).toBe(true);
    expect(first.key).toMatch(
      new RegExp(`^${stream}/dt=\\d{4}-\\d{2}-\\d{2}/lake-${stream}-1-\\d{4}-\\d{2}-\\d{2}-\\d{2}-\\d{2}-\\d{2}-[0-9a-f-]{36}$`),
    );
    expect(f.stats().bufferedRecords).toBe(1);
    const last = await f.flush();
    expect(last?.records).toBe(1);
    expect((await getObject(last?.key ?? '')).toString()).toBe('tail');
    await stopIt(f);
  });

  it('flushes on the interval, gzip JSON lines readable back from s3rver, prefix in CustomTimeZone', async () => {
    const stream = await newStream(2);
    const c = collector();
    const f = await start({
      spec: spec(stream, { buffering: bufferingHints(5, 1), compression: 'GZIP', customTimeZone: 'Asia/Shanghai' }),
      onDelivered: c.onDelivered,
    });
    const events = Array.from({ length: 20 }, (_, i) => ({ eventId: `e${i}`, action: 'click', userId: `u${i % 7}` }));
    const started = Date.now();
    await put(
      stream,
      events.map((e) => `${JSON.stringify(e)}\n`),
    );
    const delivered = await c.next(1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    // both shards' records were buffered before the interval passed, so one object holds them all
    expect(delivered[0].reason).toBe('interval');
    expect(delivered[0].records).toBe(20);
    const key = delivered[0].key;
    expect(key.endsWith('.gz')).toBe(true);
    const day = formatJavaDate('yyyy-MM-dd', delivered[0].oldestArrival, 'Asia/Shanghai');
    const stamp = formatJavaDate('yyyy-MM-dd-HH-mm-ss', delivered[0].oldestArrival, 'Asia/Shanghai');
    expect(key.startsWith(`${stream}/dt=${day}/lake-${stream}-1-${stamp}-`)).toBe(true);
    const lines = gunzipSync(await getObject(key))
      .toString('utf8')
      .split('\n')
      .filter((l) => l.length > 0);
    const parsed = lines.map((l) => JSON.parse(l) as { eventId: string });
    expect(parsed.map((p) => p.eventId).sort()).toEqual(events.map((e) => e.eventId).sort());
    const listed = await s3.client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `${stream}/` }));
    expect(listed.Contents?.map((o) => o.Key)).toEqual([key]);
    await stopIt(f);
  });

  it('checkpoints only after the object was stored, retrying S3 failures with backoff', async () => {
    const stream = await newStream(1);
    const events: string[] = [];
    const saves: ShardCheckpoints[] = [];
    const store: CheckpointStore = {
      load: async () => ({}),
      save: async (cp) => {
        events.push('save');
        saves.push(cp);
      },
    };
    const keys: string[] = [];
    let failures = 2;
    const real = s3ObjectWriter(s3.client);
    const writer: ObjectWriter = {
      putObject: async (bucket, key, body) => {
        keys.push(key);
        if (failures-- > 0) {
          events.push('put-failed');
          throw new Error('S3 is down');
        }
        await real.putObject(bucket, key, body);
        events.push('put-ok');
      },
    };
    const c = collector();
    const f = await start({ spec: spec(stream), writer, checkpoints: store, retryInitialMs: 20, onDelivered: c.onDelivered });
    await put(stream, ['r1\n', 'r2\n', 'r3\n']);
    await new Promise((r) => setTimeout(r, 300));
    expect(f.stats().bufferedRecords).toBe(3);
    const delivered = await f.flush();
    expect(events).toEqual(['put-failed', 'put-failed', 'put-ok', 'save']);
    expect(new Set(keys).size).toBe(1);
    expect(delivered?.records).toBe(3);
    expect(Object.values(saves[0])).toHaveLength(1);
    expect(saves[0]).toEqual(delivered?.checkpoints);
    expect((await getObject(keys[0])).toString()).toBe('r1\nr2\nr3\n');
    await stopIt(f);
  });

  it('loses nothing when S3 stays down through stop(): the next run delivers the records again', async () => {
    const stream = await newStream(2);
    const store = new MemoryCheckpointStore();
    const down: ObjectWriter = {
      putObject: async () => {
        throw new Error('S3 is down');
      },
    };
    const f1 = await start({ spec: spec(stream), writer: down, checkpoints: store, retryInitialMs: 5, stopFlushAttempts: 2 });
    await put(stream, ['x1\n', 'x2\n', 'x3\n', 'x4\n']);
    for (let i = 0; i < 40 && f1.stats().bufferedRecords < 4; i++) await new Promise((r) => setTimeout(r, 50));
    expect(f1.stats().bufferedRecords).toBe(4);
    await expect(stopIt(f1)).rejects.toThrow(FirehoseDeliveryError);
    expect(await store.load()).toEqual({});

    const c = collector();
    const f2 = await start({ spec: spec(stream), checkpoints: store, onDelivered: c.onDelivered });
    for (let i = 0; i < 40 && f2.stats().bufferedRecords < 4; i++) await new Promise((r) => setTimeout(r, 50));
    const d = await f2.flush();
    expect(d?.records).toBe(4);
    expect((await getObject(d?.key ?? '')).toString().split('\n').filter(Boolean).sort()).toEqual(['x1', 'x2', 'x3', 'x4']);
    expect(Object.keys(await store.load())).toHaveLength(2);
    await stopIt(f2);
  });

  it('resumes after its file checkpoint on restart and flushes on stop()', async () => {
    const stream = await newStream(2);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uba-fh-'));
    try {
      const file = path.join(dir, 'cp.json');
      const c1 = collector();
      const f1 = await start({ spec: spec(stream), checkpoints: new FileCheckpointStore(file), onDelivered: c1.onDelivered });
      await put(stream, ['a\n', 'b\n', 'c\n']);
      for (let i = 0; i < 40 && f1.stats().bufferedRecords < 3; i++) await new Promise((r) => setTimeout(r, 50));
      await stopIt(f1);
      expect(c1.delivered.map((d) => [d.reason, d.records])).toEqual([['stop', 3]]);

      await put(stream, ['d\n', 'e\n']);
      const c2 = collector();
      const f2 = await start({ spec: spec(stream), checkpoints: new FileCheckpointStore(file), onDelivered: c2.onDelivered });
      for (let i = 0; i < 40 && f2.stats().bufferedRecords < 2; i++) await new Promise((r) => setTimeout(r, 50));
      await new Promise((r) => setTimeout(r, 200));
      await stopIt(f2);
      expect(c2.delivered).toHaveLength(1);
      expect((await getObject(c2.delivered[0].key)).toString().split('\n').filter(Boolean).sort()).toEqual(['d', 'e']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('archives on stop() what the stream took since its last poll, across shards and GetRecords pages', async () => {
    // Prepare: a stream polled rarely, and records put right before the stop (more than one page).
    const stream = await newStream(2);
    const c = collector();
    const f = await start({ spec: spec(stream), pollIntervalMs: 60_000, getRecordsLimit: 5, onDelivered: c.onDelivered });
    await new Promise((r) => setTimeout(r, 100)); // the first poll found the stream empty; the next is a minute away
    await put(
      stream,
      Array.from({ length: 23 }, (_, i) => `late-${i}\n`),
    );

    // Act
    await stopIt(f);

    // Assess: all 23, in one object written by the stop.
    expect(c.delivered.map((d) => [d.reason, d.records])).toEqual([['stop', 23]]);
    const lines = (await getObject(c.delivered[0]?.key ?? '')).toString().split('\n').filter(Boolean);
    expect(lines.sort()).toEqual(Array.from({ length: 23 }, (_, i) => `late-${i}`).sort());
  });

  it('refuses a configuration Firehose would reject', () => {
    expect(
      () =>
        new FirehoseDeliveryStream({
          spec: spec('s', { errorOutputPrefix: undefined }),
          kinesis: kinesis.client,
          writer: s3ObjectWriter(s3.client),
        }),
    ).toThrow(FirehosePrefixError);
    expect(
      () =>
        new FirehoseDeliveryStream({
          spec: spec('s', { customTimeZone: 'Nowhere/City' }),
          kinesis: kinesis.client,
          writer: s3ObjectWriter(s3.client),
        }),
    ).toThrow(/unknown time zone/);
  });

  it('runs the delivery streams a template declares, names lining up with the streams and buckets', async () => {
    const resolver = new TemplateResolver([
      {
        stackName: 'uba-dev-lake',
        artifactId: 'uba-dev-lake',
        displayName: 'uba-dev-lake',
        templatePath: '/tmp/t.json',
        assemblyDir: '/tmp',
        dependencies: [],
        template: {
          Resources: {
            Events: { Type: 'AWS::Kinesis::Stream', Properties: { ShardCount: 1 } },
            Raw: { Type: 'AWS::S3::Bucket' },
            Lake: {
              Type: 'AWS::KinesisFirehose::DeliveryStream',
              Properties: {
                DeliveryStreamType: 'KinesisStreamAsSource',
                KinesisStreamSourceConfiguration: {
                  KinesisStreamARN: { 'Fn::GetAtt': ['Events', 'Arn'] },
                  RoleARN: 'arn:aws:iam::000000000000:role/x',
                },
                ExtendedS3DestinationConfiguration: {
                  BucketARN: { 'Fn::GetAtt': ['Raw', 'Arn'] },
                  Prefix: 'raw/dt=!{timestamp:yyyy-MM-dd}/',
                  ErrorOutputPrefix: 'errors/!{firehose:error-output-type}/dt=!{timestamp:yyyy-MM-dd}/',
                  BufferingHints: { SizeInMBs: 1, IntervalInSeconds: 60 },
                  CompressionFormat: 'GZIP',
                },
              },
            },
            Direct: { Type: 'AWS::KinesisFirehose::DeliveryStream', Properties: { DeliveryStreamType: 'DirectPut' } },
          },
        },
      },
    ]);
    const { streams: specs, skipped } = deliveryStreamsFromTemplate(resolver);
    expect(skipped.map((x) => x.logicalId)).toEqual(['Direct']);
    expect(specs).toHaveLength(1);
    const [streamSpec] = kinesisStreamsFromTemplate(resolver);
    const [bucket] = s3BucketsFromTemplate(resolver);
    expect(specs[0].sourceStreamName).toBe(streamSpec.name);
    expect(specs[0].bucketName).toBe(bucket);
    await ensureStream(kinesis.client, streamSpec);
    const s3b = await startS3({ port: 0, buckets: [bucket] });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uba-fh-'));
    try {
      const delivered: DeliveredObject[] = [];
      const running = await startDeliveryStreams({
        specs,
        kinesis: kinesis.client,
        s3: s3b.client,
        persistDir: dir,
        onDelivered: (d) => delivered.push(d),
      });
      await put(streamSpec.name, ['{"a":1}\n', '{"a":2}\n']);
      for (let i = 0; i < 60 && running.streams[0].stats().bufferedRecords < 2; i++) await new Promise((r) => setTimeout(r, 50));
      await running.stop();
      expect(delivered).toHaveLength(1);
      expect(delivered[0].key).toMatch(/^raw\/dt=\d{4}-\d{2}-\d{2}\/.*\.gz$/);
      expect(fs.readdirSync(path.join(dir, 'firehose'))).toEqual([`${specs[0].name}.checkpoint.json`]);
    } finally {
      await s3b.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
