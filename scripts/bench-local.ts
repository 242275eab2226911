/**
 * `npm run bench:local [-- --count N] [--rate N] [--batch N] [--concurrency N]`: measures how
 * many events per second the local pipeline takes through the HTTP API with zero loss. Starts the
 * dev stage on free ports, drives the `web` scenario with the producer, then checks that the
 * lake holds every accepted event exactly once. Prints the figures; exits 1 on any loss.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { gunzipSync } from 'zlib';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { Command } from 'commander';
import { LocalRuntime } from '../local/runtime';
import { runProducer } from './producer/run';
import { DEFAULT_TIME_ZONE } from './producer/time';

interface BenchOptions {
  count: number;
  rate: number;
  batch: number;
  concurrency: number;
}

const positive = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`not a positive integer: ${v}`);
  return n;
};

async function main(): Promise<number> {
  const o = new Command('bench:local')
    .option('--count <n>', 'events to send', positive, 60_000)
    .option('--rate <n>', 'target events/s (the producer never sends faster)', positive, 20_000)
    .option('--batch <n>', 'events per request', positive, 500)
    .option('--concurrency <n>', 'requests in flight', positive, 4)
    .parse(process.argv)
    .opts<BenchOptions>();
  const root = path.join(__dirname, '..');
  const localDir = fs.mkdtempSync(path.join(os.tmpdir(), 'uba-bench-'));
  const t0 = Date.now();
  const runtime = await LocalRuntime.start({
    root,
    stage: 'dev',
    port: 0,
    assemblyDir: path.join(root, 'cdk.out.dev'),
    localDir,
    log: () => undefined,
    functionLog: () => undefined,
  });
  const startupS = (Date.now() - t0) / 1000;
  try {
    const out = { write: () => true, isTTY: false };
    const sendStart = Date.now();
    const result = await runProducer(
      {
        scenario: 'web',
        rate: o.rate,
        count: o.count,
        batch: o.batch,
        concurrency: o.concurrency,
        endpoint: runtime.endpoints.api,
        apiKey: runtime.endpoints.apiKey,
        timeZone: DEFAULT_TIME_ZONE,
        invalidRatio: 0,
        maxRetries: 5,
        quiet: true,
        dryRun: false,
        seed: 7,
      },
      { stdout: out },
    );
    const sendS = (Date.now() - sendStart) / 1000;
    const accepted = result.report?.accepted ?? 0;
    // Zero loss: wait for Firehose to have read every accepted record, flush, count the lake.
    const deadline = Date.now() + 120_000;
    while (runtime.stats().lakeRecords + runtime.stats().lakeBuffered < accepted && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 200));
    const lakeLagS = (Date.now() - sendStart) / 1000 - sendS;
    await runtime.flushLake();
    const bucket = Object.values(runtime.endpoints.outputs).find((x) => x.LakeBucketName)?.LakeBucketName ?? '';
    const ids = new Map<string, number>();
    let token: string | undefined;
    do {
      const page = await runtime.s3.client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'raw/', ContinuationToken: token }));
      for (const item of page.Contents ?? []) {
        const got = await runtime.s3.client.send(new GetObjectCommand({ Bucket: bucket, Key: item.Key }));
        const body = gunzipSync(
          Buffer.from(await (got.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray()),
        ).toString('utf8');
        for (const line of body.trimEnd().split('\n')) {
          const id = (JSON.parse(line) as { eventId: string }).eventId;
          ids.set(id, (ids.get(id) ?? 0) + 1);
        }
      }
      token = page.NextContinuationToken;
    } while (token);
    const duplicates = [...ids.values()].filter((n) => n > 1).length;
    const lost = accepted - ids.size;
    const figures = {
      startupSeconds: Number(startupS.toFixed(1)),
      sent: result.report?.generated,
      requests: result.report?.requests,
      resent: result.report?.resent,
      accepted,
      rejected: result.report?.rejected,
      failed: result.report?.failed,
      requestsInFlight: o.concurrency,
      batch: o.batch,
      sendSeconds: Number(sendS.toFixed(2)),
      acceptedEventsPerSecond: Math.round(accepted / sendS),
      lakeCatchUpSeconds: Number(Math.max(0, lakeLagS).toFixed(2)),
      lakeEvents: ids.size,
      lost,
      duplicates,
      cores: os.cpus().length,
      node: process.version,
    };
    console.log(JSON.stringify(figures, null, 2));
    return lost === 0 && duplicates === 0 && (result.report?.failed ?? 0) === 0 ? 0 : 1;
  } finally {
    await runtime.stop();
    fs.rmSync(localDir, { recursive: true, force: true });
  }
}

void main().then((code) => {
  process.exitCode = code;
});
