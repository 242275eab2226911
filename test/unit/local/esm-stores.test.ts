import { promises as fsp } from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  FileCheckpointStore,
  JsonLinesFailureDestination,
  MemoryCheckpointStore,
  MemoryFailureDestination,
  destinationName,
  jsonLinesDestinationFor,
} from '../../../local/esm';
import type { KinesisOnFailureRecord } from '../../../local/esm';

let dir: string;

beforeEach(async () => {
  dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'esm-stores-'));
});

afterEach(async () => {
  await fsp.rm(dir, { recursive: true, force: true });
});

describe('checkpoint stores', () => {
  test('memory store returns copies', async () => {
    const store = new MemoryCheckpointStore();
    expect(await store.load('m', 's')).toBeUndefined();
    const cp = { sequenceNumber: '1', window: { startMs: 0, endMs: 1000, state: { n: 1 }, terminatedEarly: false } };
    await store.save('m', 's', cp);
    cp.window.state.n = 99;
    expect(await store.load('m', 's')).toEqual({
      sequenceNumber: '1',
      window: { startMs: 0, endMs: 1000, state: { n: 1 }, terminatedEarly: false },
    });
  });

  test('file store survives a new instance, keeps shards apart and leaves no temp files', async () => {
    const a = new FileCheckpointStore(dir);
    await Promise.all([
      a.save('mapping/1', 'shardId-000000000000', { sequenceNumber: '10' }),
      a.save('mapping/1', 'shardId-000000000001', { sequenceNumber: '20' }),
      a.save('mapping/1', 'shardId-000000000000', { sequenceNumber: '11' }),
      a.save('other', 'shardId-000000000000', {
        sequenceNumber: '5',
        window: { startMs: 2000, endMs: 4000, state: { count: 3 }, terminatedEarly: false },
      }),
    ]);
    const b = new FileCheckpointStore(dir);
    expect(await b.load('mapping/1', 'shardId-000000000000')).toEqual({ sequenceNumber: '11' });
    expect(await b.load('mapping/1', 'shardId-000000000001')).toEqual({ sequenceNumber: '20' });
    expect(await b.load('mapping/1', 'shardId-000000000002')).toBeUndefined();
    expect((await b.load('other', 'shardId-000000000000'))?.window?.state).toEqual({ count: 3 });
    const files = (await fsp.readdir(dir)).sort();
    expect(files).toEqual(['mapping_1.checkpoint.json', 'other.checkpoint.json']);
    const doc = JSON.parse(await fsp.readFile(a.fileFor('mapping/1'), 'utf8')) as { version: number; mappingId: string };
    expect(doc).toMatchObject({ version: 1, mappingId: 'mapping/1' });
  });

  test('an unreadable checkpoint file is an error, not a silent restart from scratch', async () => {
    const store = new FileCheckpointStore(dir);
    await fsp.writeFile(store.fileFor('m'), '{"something":"else"}');
    await expect(store.load('m', 's')).rejects.toThrow(/unrecognised checkpoint file/);
  });
});

describe('on-failure destinations', () => {
  const doc = (n: number): KinesisOnFailureRecord => ({
    requestContext: { requestId: `r${n}`, functionArn: 'arn', condition: 'RetryAttemptsExhausted', approximateInvokeCount: 1 },
    responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
    version: '1.0',
    timestamp: new Date(0).toISOString(),
    KinesisBatchInfo: {
      shardId: 'shardId-000000000000',
      startSequenceNumber: '1',
      endSequenceNumber: '2',
      approximateArrivalOfFirstRecord: new Date(0).toISOString(),
      approximateArrivalOfLastRecord: new Date(0).toISOString(),
      batchSize: 2,
      streamArn: 'arn:aws:kinesis:us-east-1:000000000000:stream/s',
    },
  });

  test('JSON-lines file gets one line per record, in order', async () => {
    const sink = jsonLinesDestinationFor(dir, 'arn:aws:sqs:eu-west-1:000000000000:uba-dev-alerts-dlq');
    expect(sink).toBeInstanceOf(JsonLinesFailureDestination);
    expect(sink.file).toBe(path.join(dir, 'uba-dev-alerts-dlq.jsonl'));
    await Promise.all([sink.send(doc(1)), sink.send(doc(2)), sink.send(doc(3))]);
    const lines = (await fsp.readFile(sink.file, 'utf8')).trim().split('\n');
    expect(lines.map((l) => (JSON.parse(l) as KinesisOnFailureRecord).requestContext.requestId)).toEqual(['r1', 'r2', 'r3']);
  });

  test('memory destination keeps records', async () => {
    const sink = new MemoryFailureDestination();
    await sink.send(doc(7));
    expect(sink.records).toHaveLength(1);
  });

  test('destination names come from the ARN', () => {
    expect(destinationName('arn:aws:sqs:us-east-1:000000000000:my-queue')).toBe('my-queue');
    expect(destinationName('arn:aws:sns:us-east-1:000000000000:topic.fifo')).toBe('topic.fifo');
    expect(destinationName('plain name')).toBe('plain_name');
  });
});
