/**
 * Test harness for the event-source mapping: an in-process kinesalite on a random loopback port,
 * stream helpers and a scriptable fake function.
 */
import kinesalite from 'kinesalite';
import type { Server } from 'http';
import type { AddressInfo } from 'net';
import { CreateStreamCommand, DescribeStreamSummaryCommand, KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import type { KinesisStreamRecord } from 'aws-lambda';
import { createLocalKinesisClient } from '../../../local/esm';
import type { EsmTiming, KinesisInvokeEvent, KinesisTumblingWindowEvent, StreamInvokeResult } from '../../../local/esm';

/** Fast timing for tests (AWS-like defaults are much slower). */
export const FAST_TIMING: Partial<EsmTiming> = {
  idlePollMs: 40,
  minFetchIntervalMs: 20,
  retryBaseMs: 20,
  retryMaxMs: 200,
  errorBackoffMs: 100,
  windowCloseGraceMs: 100,
  shardDiscoveryMs: 60_000,
};

export interface Kinesis {
  readonly client: KinesisClient;
  readonly endpoint: string;
  /** Creates an ACTIVE stream and returns its ARN. */
  createStream(name: string, shards?: number): Promise<string>;
  /** Puts JSON records in one PutRecords call; returns their sequence numbers in order. */
  put(stream: string, items: ReadonlyArray<{ readonly key: string; readonly data: unknown }>): Promise<string[]>;
  close(): Promise<void>;
}

/** Starts kinesalite in process on 127.0.0.1 with a random port. */
export async function startKinesalite(): Promise<Kinesis> {
  const server: Server = kinesalite({ createStreamMs: 0, deleteStreamMs: 0, updateStreamMs: 0, shardLimit: 100 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const client = createLocalKinesisClient(endpoint);
  return {
    client,
    endpoint,
    async createStream(name, shards = 1) {
      await client.send(new CreateStreamCommand({ StreamName: name, ShardCount: shards }));
      for (;;) {
        const out = await client.send(new DescribeStreamSummaryCommand({ StreamName: name }));
        const summary = out.StreamDescriptionSummary;
        if (summary?.StreamStatus === 'ACTIVE') return summary.StreamARN ?? '';
        await sleep(10);
      }
    },
    async put(stream, items) {
      const out = await client.send(
        new PutRecordsCommand({
          StreamName: stream,
          Records: items.map((i) => ({ PartitionKey: i.key, Data: Buffer.from(JSON.stringify(i.data)) })),
        }),
      );
      if (out.FailedRecordCount) throw new Error(`PutRecords failed for ${out.FailedRecordCount} records`);
      return (out.Records ?? []).map((r) => r.SequenceNumber ?? '');
    },
    async close() {
      client.destroy();
      await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
    },
  };
}

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `condition` until true, failing after `timeoutMs`. */
export async function waitFor(condition: () => boolean, timeoutMs = 8_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** The JSON a record carries. */
export function decode(record: KinesisStreamRecord): unknown {
  return JSON.parse(Buffer.from(record.kinesis.data, 'base64').toString('utf8'));
}

/** Narrows an event to the tumbling-window shape. */
export function isWindowEvent(event: KinesisInvokeEvent): event is KinesisTumblingWindowEvent {
  return 'window' in event;
}

/** One recorded invocation of the fake function. */
export interface Call {
  readonly event: KinesisInvokeEvent;
  readonly at: number;
  readonly seqs: string[];
  result?: StreamInvokeResult;
}

/** A fake function: records every call and answers with `behaviour` (thrown errors become function errors). */
export function fakeFunction(behaviour: (event: KinesisInvokeEvent, callIndex: number) => unknown | Promise<unknown>): {
  calls: Call[];
  invoke: (event: KinesisInvokeEvent) => Promise<StreamInvokeResult>;
} {
  const calls: Call[] = [];
  return {
    calls,
    invoke: async (event) => {
      const call: Call = { event: structuredClone(event), at: Date.now(), seqs: event.Records.map((r) => r.kinesis.sequenceNumber) };
      calls.push(call);
      let result: StreamInvokeResult;
      try {
        const payload = await behaviour(event, calls.length - 1);
        result = { ok: true, payload: payload === undefined ? null : structuredClone(payload) };
      } catch (err) {
        const e = err instanceof Error ? err : new Error(String(err));
        result = { ok: false, error: { errorType: e.name, errorMessage: e.message } };
      }
      call.result = result;
      return result;
    },
  };
}
