/**
 * `npm run bench:realtime [-- --rate 1000 --duration 240 --json <file>]`: the real-time analyses at
 * the stream's full speed, on the local runtime (dev stage, 1 shard).
 * 1. Profile: the realtime handler's steps over an in-memory store against the decode floor, for web
 *    traffic with steps and for step-less page views (`--rounds`, best of each), on the code bundled
 *    as the Lambda functions are (`--no-bundle`: as tsx runs it).
 * 2. Load: `--rate` web events/s from the producer for `--duration` s plus path documents; lag,
 *    batches, dead letters, items and WCU per 1,000 events per analysis (as DynamoDB reports the
 *    capacity of each write to the consumers' store adapter), every result against the truth.
 * 3. Cost: a simulated 24-hour day at 5, 25, 100 and 1,000 events/s per shard, with the batch
 *    sizes each stage's realtime batching window gives at each rate, driving the consumer code
 *    directly against DynamoDB Local (samples at every hour of the day, state carried across
 *    them): WRU per 1,000 events as DynamoDB reports them and $/month on demand (page views with
 *    steps at every stage's window, without steps at dev's); then the trade-off of the window
 *    (window × rate: WRU per 1,000 events, $/month, longest wait), metered by item size in memory,
 *    and where a batch's WRU go by item kind at 5 and 25 events/s (test/bench/realtime-cost.ts).
 *    `--cost-only` runs this part alone (DynamoDB Local only, no runtime).
 * Prints the figures; `--json <file>` writes them all. Exits 1 when a result differs from the truth
 * or a cost batch fails.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { KinesisStreamRecord } from 'aws-lambda';
import { Command } from 'commander';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { buildSync } from 'esbuild';
import type { DecodedEvent } from '../../lambdas/analytics/records';
import { STAGE_NAMES, stageConfig } from '../../lib/config/stage-config';
import { startDynamoDb } from '../../local/services';
import { resultsTableSpecIn } from '../support/results-table-spec';
import { DynamoResultsStore } from '../../lambdas/consumers/dynamo-store';
import { aBatch, someRecords } from '../unit/consumers/factories';
import { startRuntime } from '../e2e/harness';
import { ConsumerProbe, runLoad, type LoadFigures } from './realtime-load';
import {
  COST_RATES,
  SWEEP_WINDOWS_S,
  USD_PER_MILLION_WRU,
  costOfDay,
  meteredDay,
  webEvents,
  type DayCost,
  type KindRow,
} from './realtime-cost';
import * as tsxSubject from './realtime-subject';

/** The dev stage's realtime mapping batch size (lib/config/stage-config.ts), the profile's batches. */
const DEV_BATCH_SIZE = 1000;

// ------------------------------------------------------------------ 1. profile

interface ProfileRow {
  readonly name: string;
  /** Best wall-clock time of a round. */
  readonly ms: number;
  /** Best CPU time (user + system) of a round: what other processes on the cores do not inflate. */
  readonly cpuMs: number;
  /** The decode floor's CPU time over this row's (higher is faster). */
  readonly ofFloor: number;
  /** The same by wall-clock time. */
  readonly ofFloorWall: number;
}

/**
 * A Lambda invoke's batches as the function receives them: the runtime parses the invoke's JSON,
 * so every string of a record is a flat string of its own (not the concatenations the factories
 * build, which V8 would flatten on first use inside the timed code).
 */
const asDelivered = (batches: readonly KinesisStreamRecord[][]): KinesisStreamRecord[][] =>
  batches.map((b) => (JSON.parse(JSON.stringify(aBatch(b))) as { Records: KinesisStreamRecord[] }).Records);

/** The profiled code: bundled as the Lambda functions are (minified CommonJS for Node 20, dependencies inside), or as tsx runs it. */
type Subject = typeof tsxSubject;

/** `realtime-subject.ts` as an esbuild bundle with the Lambda functions' options, loaded. Throws when esbuild fails. */
function bundledSubject(): Subject {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uba-bench-'));
  const outfile = path.join(dir, 'realtime-subject.js');
  try {
    buildSync({
      entryPoints: [path.join(__dirname, 'realtime-subject.ts')],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      minify: true,
      outfile,
      logLevel: 'error',
    });
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the bundle exists only at run time
    return require(outfile) as Subject;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Best of `rounds` timings of each step over the same 10 batches of 1,000 web events (page views
 * with steps, or step-less). Each case's fresh store and dependencies are made before its clock
 * starts (a Lambda makes them once per instance, not per batch).
 */
async function profile(subject: Subject, rounds: number, steps: boolean): Promise<{ rows: ProfileRow[]; events: number }> {
  const {
    aConsumerConfig,
    aggregateMetrics,
    applyEdges,
    applyMetrics,
    countEdges,
    decodeRecords,
    edgeOccurrences,
    findErrorAlerts,
    raiseErrorAlerts,
    routeEdges,
    someDeps,
    unmeasurableReason,
  } = subject;
  const records = someRecords(webEvents(10_000, Date.parse('2024-05-27T03:40:00.000Z'), 1000, 42, steps));
  const batches: KinesisStreamRecord[][] = [];
  for (let i = 0; i < records.length; i += DEV_BATCH_SIZE) batches.push(records.slice(i, i + DEV_BATCH_SIZE));
  const delivered = asDelivered(batches);
  const decodedBatches = delivered.map((b) => decodeRecords(b).filter((d): d is DecodedEvent => d.ok));
  const config = aConsumerConfig();
  let sink: unknown;
  let deps = someDeps({ config });
  const range = (b: readonly DecodedEvent[]) => ({ first: b[0]?.seq ?? '0', last: b[b.length - 1]?.seq ?? '0' });
  const cases: Record<string, () => Promise<void> | void> = {
    'decode floor (base64 + JSON.parse)': () => {
      for (const b of delivered) for (const r of b) sink = JSON.parse(Buffer.from(r.kinesis.data, 'base64').toString('utf8'));
    },
    'decode + validate (decodeRecords)': () => {
      for (const b of delivered) sink = decodeRecords(b);
    },
    'unmeasurable values (unmeasurableReason)': () => {
      for (const b of decodedBatches) for (const d of b) sink = unmeasurableReason(d.event, config.analytics.metrics);
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
      for (const b of decodedBatches) sink = await raiseErrorAlerts(deps, 'shardId-000000000000', b);
    },
    'metrics step (memory store)': async () => {
      for (const b of decodedBatches) sink = await applyMetrics(deps, 'shardId-000000000000', b, range(b));
    },
    'edges step (memory store)': async () => {
      for (const b of decodedBatches) sink = await applyEdges(deps, 'shardId-000000000000', b, range(b));
    },
    'realtime handler (memory store)': async () => {
      const handle = subject.createHandler(deps);
      for (const b of delivered) sink = await handle({ Records: b });
    },
  };
  const best: Record<string, { wall: number; cpu: number }> = {};
  for (let round = 0; round < rounds; round++) {
    for (const [name, run] of Object.entries(cases)) {
      deps = someDeps({ config });
      const cpu = process.cpuUsage();
      const start = process.hrtime.bigint();
      await run();
      const wall = Number(process.hrtime.bigint() - start) / 1e6;
      const used = process.cpuUsage(cpu);
      const previous = best[name] ?? { wall: Infinity, cpu: Infinity };
      best[name] = { wall: Math.min(previous.wall, wall), cpu: Math.min(previous.cpu, (used.user + used.system) / 1000) };
    }
  }
  void sink;
  const floor = best['decode floor (base64 + JSON.parse)'] ?? { wall: 1, cpu: 1 };
  return {
    events: records.length,
    rows: Object.entries(best).map(([name, { wall, cpu }]) => ({
      name,
      ms: Number(wall.toFixed(1)),
      cpuMs: Number(cpu.toFixed(1)),
      ofFloor: Number((floor.cpu / cpu).toFixed(2)),
      ofFloorWall: Number((floor.wall / wall).toFixed(2)),
    })),
  };
}

// ------------------------------------------------------------------ 3. cost over a simulated day

/** The realtime batching window of each stage, seconds. */
const stageWindows = (): { stage: string; windowS: number }[] =>
  STAGE_NAMES.map((stage) => ({ stage, windowS: stageConfig(stage).analytics.realtimeMaxBatchingWindow.toSeconds() }));

interface CostFigures {
  readonly stages: readonly { stage: string; windowS: number }[];
  /** On DynamoDB Local: with steps at every stage's window, without steps at dev's. */
  readonly measured: DayCost[];
  /** In memory, with steps: every window of the sweep at every rate. */
  readonly sweep: DayCost[];
  /** Where the WRU of a batch go, at 5 and 25 events/s and each stage's window. */
  readonly byItemKind: { rate: number; windowS: number; kinds: KindRow[] }[];
}

const fmt = (n: number): string => n.toLocaleString('en-US', { maximumFractionDigits: 1 });

/** Part 3 against DynamoDB Local at `client`/`table`, printing as it goes. */
async function costPart(client: DynamoDBDocumentClient, table: string): Promise<CostFigures> {
  const stages = stageWindows();
  console.log(
    `\n3. cost over a simulated day (${COST_RATES.join(', ')} events/s per shard; 3 batches at every hour, state carried across the day), $${USD_PER_MILLION_WRU}/million WRU on demand`,
  );
  console.log(`   realtime batching window by stage: ${stages.map((s) => `${s.stage} ${s.windowS} s`).join(', ')}`);
  console.log('   a. on DynamoDB Local (capacity as it reports it), each stage window:');
  const store = new DynamoResultsStore(client, table);
  const measured: DayCost[] = [];
  const windows = [...new Set(stages.map((s) => s.windowS))];
  const devWindow = stages.find((s) => s.stage === 'dev')?.windowS ?? 2;
  let dayIndex = 1;
  const runs = [...windows.map((windowS) => ({ windowS, steps: true })), { windowS: devWindow, steps: false }];
  for (const { windowS, steps } of runs) {
    for (const rate of COST_RATES) {
      const row = await costOfDay(store, { rate, windowS, steps, day: `2024-06-${String(dayIndex++).padStart(2, '0')}`, tableName: table });
      measured.push(row);
      console.log(
        `   window ${String(windowS).padStart(3)} s ${String(rate).padStart(5)} events/s ${steps ? 'with steps   ' : 'without steps'} batch ${String(row.batchSize).padStart(4)}: ` +
          `${String(row.wruPer1000Total).padStart(6)} WRU/1,000 events ${JSON.stringify(row.wruPer1000)}, ${row.wruPerBatch} WRU/batch, $${row.usdPerMonth}/month per shard, wait <= ${fmt(row.waitS)} s` +
          `${row.failedBatches > 0 ? `, ${row.failedBatches} of ${row.batches} batches FAILED` : ''}`,
      );
    }
  }

  console.log('   b. the window trade-off, page views with steps (metered by item size in memory):');
  console.log(`      window | ${COST_RATES.map((r) => `${r} events/s: WRU/1,000, $/month, wait <=`.padEnd(34)).join(' | ')}`);
  const sweep: DayCost[] = [];
  const byItemKind: CostFigures['byItemKind'] = [];
  for (const windowS of SWEEP_WINDOWS_S) {
    const cells: string[] = [];
    for (const rate of COST_RATES) {
      const { day, kinds } = await meteredDay(rate, windowS, `2024-07-${String(1 + (sweep.length % 28)).padStart(2, '0')}`);
      sweep.push(day);
      if (rate <= 25 && windows.includes(windowS)) byItemKind.push({ rate, windowS, kinds });
      cells.push(`${fmt(day.wruPer1000Total)}, $${day.usdPerMonth}, ${fmt(day.waitS)} s (batch ${day.batchSize})`.padEnd(34));
    }
    console.log(`      ${String(windowS).padStart(4)} s | ${cells.join(' | ')}`);
  }

  console.log("   c. where a batch's WRU go (writes per batch × billed size), page views with steps:");
  for (const { rate, windowS, kinds } of byItemKind) {
    const parts = kinds.map((k) => `${k.kind} ${k.writesPerBatch} × ${k.bytesPerWrite} B = ${k.wruPerBatch} WRU`);
    console.log(`      ${String(rate).padStart(3)} events/s, window ${String(windowS).padStart(3)} s: ${parts.join('; ')}`);
  }
  return { stages, measured, sweep, byItemKind };
}

// ------------------------------------------------------------------ main

async function main(): Promise<number> {
  const o = new Command('bench:realtime')
    .option('--rate <n>', 'web events/s of the load', (v) => Number(v), 1000)
    .option('--duration <s>', 'seconds of load', (v) => Number(v), 240)
    .option('--json <file>', 'write every figure as JSON to this file')
    .option('--profile-only', 'only the profile (no runtime)', false)
    .option('--rounds <n>', 'rounds of the profile (each figure is the best)', (v) => Number(v), 10)
    .option('--no-bundle', 'profile the code as tsx runs it instead of bundled as the Lambda functions are')
    .option('--cost-only', 'only the cost over a simulated day (DynamoDB Local, no runtime)', false)
    .option('--no-cost', 'skip the cost run over a simulated day')
    .parse(process.argv)
    .opts<{
      rate: number;
      duration: number;
      json?: string;
      profileOnly: boolean;
      rounds: number;
      bundle: boolean;
      costOnly: boolean;
      cost: boolean;
    }>();

  console.log(`realtime bench: ${os.cpus()[0]?.model ?? 'cpu'} × ${os.cpus().length}, Node ${process.version}`);
  const prof: Record<string, { rows: ProfileRow[]; events: number }> = {};
  if (!o.costOnly) {
    const subject = o.bundle ? bundledSubject() : tsxSubject;
    for (const steps of [true, false]) {
      const traffic = `${steps ? 'page views with steps' : 'step-less page views'}, ${o.bundle ? 'bundled as for Lambda' : 'run by tsx'}`;
      const p = await profile(subject, o.rounds, steps);
      prof[steps ? 'steps' : 'stepless'] = p;
      console.log(
        `\n1. profile, ${traffic}: ${p.events} web events, batches of ${DEV_BATCH_SIZE}, best of ${o.rounds} rounds (× decode floor: higher is faster; load average ${os.loadavg()[0]?.toFixed(1)})`,
      );
      console.log(
        `   ${''.padEnd(44)} ${'CPU ms'.padStart(8)} ${'× floor'.padStart(8)}   ${'wall ms'.padStart(8)} ${'× floor'.padStart(8)}`,
      );
      for (const r of p.rows)
        console.log(
          `   ${r.name.padEnd(44)} ${r.cpuMs.toFixed(1).padStart(8)} ${r.ofFloor.toFixed(2).padStart(8)}   ${r.ms.toFixed(1).padStart(8)} ${r.ofFloorWall.toFixed(2).padStart(8)}`,
        );
    }
    if (o.profileOnly) return 0;
  }

  let load: LoadFigures | undefined;
  let cost: CostFigures | undefined;
  if (o.costOnly) {
    const table = 'uba-bench-results';
    const synthDir = fs.mkdtempSync(path.join(os.tmpdir(), 'uba-bench-cdk-'));
    try {
      const db = await startDynamoDb({ port: 0, tables: [resultsTableSpecIn(table, synthDir)] });
      try {
        cost = await costPart(DynamoDBDocumentClient.from(db.client, { marshallOptions: { removeUndefinedValues: true } }), table);
      } finally {
        await db.stop();
      }
    } finally {
      fs.rmSync(synthDir, { recursive: true, force: true });
    }
  } else {
    const probe = new ConsumerProbe();
    const { runtime, localDir } = await startRuntime({ wrapStreamInvoke: probe.wrap, functionLog: probe.log });
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
      if (o.cost) {
        const client = DynamoDBDocumentClient.from(runtime.dynamodb.client, { marshallOptions: { removeUndefinedValues: true } });
        cost = await costPart(client, runtime.endpoints.outputs['uba-dev-analytics']?.ResultsTableName ?? '');
      }
    } finally {
      await runtime.stop();
      fs.rmSync(localDir, { recursive: true, force: true });
    }
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
  const loadOk = load === undefined || (load.mismatches.length === 0 && load.batches.failed === 0 && load.deadLetters === 0);
  const costOk = cost === undefined || [...cost.measured, ...cost.sweep].every((row) => row.failedBatches === 0);
  return loadOk && costOk ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
