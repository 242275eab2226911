/**
 * `npm run bench:realtime [-- --rate 1000 --duration 240 --json <file>]`: the real-time analyses at
 * the stream's full speed, on the local runtime (dev stage, 1 shard).
 * 1. Profile: the realtime handler's steps over an in-memory store against the decode floor.
 * 2. Load: `--rate` web events/s from the producer for `--duration` s plus path documents; lag,
 *    batches, dead letters, items and WCU per 1,000 events per analysis (as DynamoDB reports the
 *    capacity of each write to the consumers' store adapter), every result against the truth.
 * 3. Cost: a simulated 24-hour day at 5, 25, 100 and 1,000 events/s per shard, with the batch
 *    sizes the dev batching window gives at each rate, driving the consumer code directly against
 *    the runtime's DynamoDB Local (samples at every hour of the day, state carried across them);
 *    WRU per 1,000 events and $/month on demand, with page views carrying steps and without.
 * Prints the figures; `--json <file>` writes them all. Exits 1 when a result differs from the truth.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { KinesisStreamRecord } from 'aws-lambda';
import { Command } from 'commander';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { decodeRecords, type DecodedEvent } from '../../lambdas/analytics/records';
import { findErrorAlerts } from '../../lambdas/analytics/error-alerts';
import { aggregateMetrics } from '../../lambdas/analytics/kpis';
import { countEdges, edgeOccurrences, routeEdges } from '../../lambdas/analytics/edges';
import { applyEdges, applyMetrics, createHandler, raiseErrorAlerts } from '../../lambdas/consumers/realtime';
import { DynamoResultsStore } from '../../lambdas/consumers/dynamo-store';
import type { StreamEvent } from '../../lambdas/shared/event';
import { getScenario } from '../../scripts/producer/scenarios';
import { createEventStream } from '../../scripts/producer/source';
import { aBatch, aConsumerConfig, aRecord, someDeps, someRecords } from '../unit/consumers/factories';
import { startRuntime } from '../e2e/harness';
import { ConsumerProbe, runLoad, ZONE, type LoadFigures } from './realtime-load';

/** DynamoDB on-demand price of one million write request units (us-east-1, Standard table class). */
const USD_PER_MILLION_WRU = 0.625;
const SECONDS_PER_MONTH = 30 * 86_400;
/** The dev stage's realtime mapping: batch size and batching window (lib/config/stage-config.ts). */
const DEV_BATCH_SIZE = 1000;
const DEV_WINDOW_S = 2;

/** `count` web events from `startMs` at `rate`/s, as ingest writes them. */
function webEvents(count: number, startMs: number, rate: number, seed: number, steps: boolean): StreamEvent[] {
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

// ------------------------------------------------------------------ 1. profile

interface ProfileRow {
  readonly name: string;
  readonly ms: number;
  readonly ofFloor: number;
}

/** Best of `rounds` timings of each step over the same 10 batches of 1,000 web events. */
async function profile(rounds: number): Promise<{ rows: ProfileRow[]; events: number }> {
  const records = someRecords(webEvents(10_000, Date.parse('2024-05-27T03:40:00.000Z'), 1000, 42, true));
  const batches: KinesisStreamRecord[][] = [];
  for (let i = 0; i < records.length; i += DEV_BATCH_SIZE) batches.push(records.slice(i, i + DEV_BATCH_SIZE));
  const decodedBatches = batches.map((b) => decodeRecords(b).filter((d): d is DecodedEvent => d.ok));
  const stepless = someRecords(webEvents(10_000, Date.parse('2024-05-27T03:40:00.000Z'), 1000, 42, false));
  const steplessBatches: DecodedEvent[][] = [];
  for (let i = 0; i < stepless.length; i += DEV_BATCH_SIZE)
    steplessBatches.push(decodeRecords(stepless.slice(i, i + DEV_BATCH_SIZE)).filter((d): d is DecodedEvent => d.ok));
  const config = aConsumerConfig();
  let sink: unknown;
  const range = (b: readonly DecodedEvent[]) => ({ first: b[0]?.seq ?? '0', last: b[b.length - 1]?.seq ?? '0' });
  const cases: Record<string, () => Promise<void> | void> = {
    'decode floor (base64 + JSON.parse)': () => {
      for (const r of records) sink = JSON.parse(Buffer.from(r.kinesis.data, 'base64').toString('utf8'));
    },
    'decode + validate (decodeRecords)': () => {
      for (const b of batches) sink = decodeRecords(b);
    },
    'error alerts (pure)': () => {
      for (const b of decodedBatches)
        sink = findErrorAlerts(
          b.map((d) => d.event),
          config.analytics.errorPatterns,
        );
    },
    'metrics (pure)': () => {
      for (const b of decodedBatches) sink = aggregateMetrics(b, config.analytics.metrics, undefined);
    },
    'edges (pure)': () => {
      for (const b of decodedBatches) {
        const occurrences = edgeOccurrences(b, config.analytics.paths);
        sink = countEdges(
          occurrences,
          routeEdges(occurrences, () => undefined),
        );
      }
    },
    'alerts step (memory store)': async () => {
      const deps = someDeps();
      for (const b of decodedBatches) sink = await raiseErrorAlerts(deps, 'shardId-000000000000', b);
    },
    'metrics step (memory store)': async () => {
      const deps = someDeps();
      for (const b of decodedBatches) sink = await applyMetrics(deps, 'shardId-000000000000', b, range(b));
    },
    'edges step (memory store)': async () => {
      const deps = someDeps();
      for (const b of decodedBatches) sink = await applyEdges(deps, 'shardId-000000000000', b, range(b));
    },
    'edges step, the same traffic without steps (memory store)': async () => {
      const deps = someDeps();
      for (const b of steplessBatches) sink = await applyEdges(deps, 'shardId-000000000000', b, range(b));
    },
    'realtime handler (memory store)': async () => {
      const handle = createHandler(someDeps());
      for (const b of batches) sink = await handle(aBatch(b));
    },
  };
  const best: Record<string, number> = {};
  for (let round = 0; round < rounds; round++) {
    for (const [name, run] of Object.entries(cases)) {
      const start = process.hrtime.bigint();
      await run();
      best[name] = Math.min(best[name] ?? Infinity, Number(process.hrtime.bigint() - start) / 1e6);
    }
  }
  void sink;
  const floor = best['decode floor (base64 + JSON.parse)'] ?? 1;
  return {
    events: records.length,
    rows: Object.entries(best).map(([name, ms]) => ({ name, ms: Number(ms.toFixed(1)), ofFloor: Number((floor / ms).toFixed(2)) })),
  };
}

// ------------------------------------------------------------------ 3. cost over a simulated day

interface CostRow {
  readonly rate: number;
  readonly steps: boolean;
  readonly batchSize: number;
  readonly events: number;
  readonly batches: number;
  readonly failedBatches: number;
  readonly wruPer1000: Readonly<Record<string, number>>;
  readonly wruPer1000Total: number;
  readonly usdPerMonth: number;
}

/**
 * A simulated day (2024-06-0x) at `rate` events/s on one shard: at the start of every hour, three
 * consecutive batches of the size the dev window gives at that rate (`rate` × 2 s, at most 1,000),
 * through the realtime handler on DynamoDB Local; the session state and counters carry across the
 * hours. WRU from the capacity DynamoDB reports.
 */
async function costOfDay(client: DynamoDBDocumentClient, table: string, rate: number, steps: boolean, day: string): Promise<CostRow> {
  const store = new DynamoResultsStore(client, table);
  const deps = { ...someDeps({ store, config: aConsumerConfig({ tableName: table }) }), now: () => new Date(`${day}T12:00:00Z`) };
  const handle = createHandler(deps);
  const shardId = `shardId-cost-${rate}-${steps ? 'steps' : 'stepless'}`;
  const batchSize = Math.min(DEV_BATCH_SIZE, Math.max(1, Math.round(rate * DEV_WINDOW_S)));
  let seq = 1;
  let events = 0;
  let batches = 0;
  let failedBatches = 0;
  for (let hour = 0; hour < 24; hour++) {
    const startMs = Date.parse(`${day}T00:00:00+08:00`) + hour * 3_600_000;
    const hourEvents = webEvents(batchSize * 3, startMs, rate, 1000 + hour, steps);
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
  const used = store.consumed().write;
  const per1000 = Object.fromEntries(Object.entries(used).map(([k, v]) => [k, Number(((v * 1000) / events).toFixed(1))]));
  const total = Object.values(used).reduce((a, b) => a + b, 0);
  const wruPer1000Total = Number(((total * 1000) / events).toFixed(1));
  return {
    rate,
    steps,
    batchSize,
    events,
    batches,
    failedBatches,
    wruPer1000: per1000,
    wruPer1000Total,
    usdPerMonth: Number((((wruPer1000Total * rate) / 1000) * SECONDS_PER_MONTH * (USD_PER_MILLION_WRU / 1e6)).toFixed(2)),
  };
}

// ------------------------------------------------------------------ main

async function main(): Promise<number> {
  const o = new Command('bench:realtime')
    .option('--rate <n>', 'web events/s of the load', (v) => Number(v), 1000)
    .option('--duration <s>', 'seconds of load', (v) => Number(v), 240)
    .option('--json <file>', 'write every figure as JSON to this file')
    .option('--profile-only', 'only the profile (no runtime)', false)
    .option('--no-cost', 'skip the cost run over a simulated day')
    .parse(process.argv)
    .opts<{ rate: number; duration: number; json?: string; profileOnly: boolean; cost: boolean }>();

  console.log(`realtime bench: ${os.cpus()[0]?.model ?? 'cpu'} × ${os.cpus().length}, Node ${process.version}`);
  const prof = await profile(5);
  console.log(`\n1. profile: ${prof.events} web events, batches of ${DEV_BATCH_SIZE}, best of 5 (× decode floor: higher is faster)`);
  for (const r of prof.rows) console.log(`   ${r.name.padEnd(44)} ${String(r.ms).padStart(8)} ms   ${r.ofFloor.toFixed(2)} × decode floor`);
  if (o.profileOnly) return 0;

  const probe = new ConsumerProbe();
  const { runtime, localDir } = await startRuntime({ wrapStreamInvoke: probe.wrap, functionLog: probe.log });
  let load: LoadFigures;
  const cost: CostRow[] = [];
  try {
    console.log(`\n2. load: ${o.rate} web events/s for ${o.duration} s plus path documents, dev stage, 1 shard …`);
    load = await runLoad(runtime, probe, { rate: o.rate, durationS: o.duration, seed: 7, documentsPer5s: 20 });
    console.log(`   accepted ${load.accepted} events in ${load.sendSeconds.toFixed(1)} s: ${load.eventsPerSecond} events/s`);
    console.log(
      `   lag (now − newest arrival processed): p50 ${load.lag.p50Ms} ms, p99 ${load.lag.p99Ms} ms, max ${load.lag.maxMs} ms (${load.lag.samples} samples); drained ${load.drainSeconds.toFixed(1)} s after the stop`,
    );
    console.log(
      `   realtime batches ${load.batches.count} (mean ${load.batches.meanRecords} records, handler p50 ${load.batches.handlerMsP50} ms / p99 ${load.batches.handlerMsP99} ms), failed ${load.batches.failed}, dead letters ${load.deadLetters}`,
    );
    console.log(
      `   realtime invocations as the event-source mapping saw them: round trip p50 ${load.batches.invokeMsP50} ms / p99 ${load.batches.invokeMsP99} ms, between two p50 ${load.batches.betweenMsP50} ms / p99 ${load.batches.betweenMsP99} ms, busy ${Math.round(load.batches.busyShare * 100)} % of the time`,
    );
    console.log(`   items in the results table: ${JSON.stringify(load.items)}`);
    console.log(
      `   WCU per 1,000 events: ${JSON.stringify(load.wcuPer1000)}, total ${load.wcuPer1000Total}; RCU per 1,000 events ${load.rcuPer1000}`,
    );
    console.log(
      `   results equal the truth: ${JSON.stringify(load.checks)}${load.mismatches.length > 0 ? `\n   MISMATCHES: ${load.mismatches.join(' | ')}` : ''}`,
    );

    console.log(
      `\n3. cost over a simulated day (3 batches at every hour, dev window ${DEV_WINDOW_S} s), $${USD_PER_MILLION_WRU}/million WRU on demand`,
    );
    const client = DynamoDBDocumentClient.from(runtime.dynamodb.client, { marshallOptions: { removeUndefinedValues: true } });
    const table = runtime.endpoints.outputs['uba-dev-analytics']?.ResultsTableName ?? '';
    let dayIndex = 1;
    for (const steps of o.cost ? [true, false] : []) {
      for (const rate of [5, 25, 100, 1000]) {
        const row = await costOfDay(client, table, rate, steps, `2024-06-${String(dayIndex++).padStart(2, '0')}`);
        cost.push(row);
        console.log(
          `   ${String(rate).padStart(5)} events/s ${steps ? 'with steps   ' : 'without steps'} batch ${String(row.batchSize).padStart(4)}: ` +
            `${String(row.wruPer1000Total).padStart(7)} WRU/1,000 events ${JSON.stringify(row.wruPer1000)}, $${row.usdPerMonth}/month per shard` +
            `${row.failedBatches > 0 ? `, ${row.failedBatches} of ${row.batches} batches FAILED` : ''}`,
        );
      }
    }
  } finally {
    await runtime.stop();
    fs.rmSync(localDir, { recursive: true, force: true });
  }
  const result = {
    at: new Date().toISOString(),
    node: process.version,
    cpu: os.cpus()[0]?.model,
    cores: os.cpus().length,
    profile: prof,
    load,
    cost,
    usdPerMillionWru: USD_PER_MILLION_WRU,
  };
  if (o.json !== undefined) {
    fs.mkdirSync(path.dirname(path.resolve(o.json)), { recursive: true });
    fs.writeFileSync(o.json, `${JSON.stringify(result, null, 2)}\n`);
  }
  return load.mismatches.length === 0 && load.batches.failed === 0 && load.deadLetters === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
