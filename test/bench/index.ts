/**
 * `npm run bench`: throughput of the real-time analyses, in plain Node (as Lambda runs the
 * bundle), on the same generated records: the decode floor (base64 decode + JSON.parse alone),
 * each analysis' pure logic (decode included), each consumer handler over in-memory stores,
 * and the DynamoDB items written per 1,000 events of the `web` scenario. Prints a table and a
 * JSON line; writes docs/benchmarks.json when given `--write`.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { KinesisStreamRecord } from 'aws-lambda';
import { defaultAnalyticsConfig } from '../../lambdas/analytics/config';
import { findErrorAlerts } from '../../lambdas/analytics/error-alerts';
import { aggregateMetrics } from '../../lambdas/analytics/kpis';
import { emptySessionState, sessionize, type SessionState } from '../../lambdas/analytics/paths';
import { carriesStep, countEdges, edgeOccurrences, routeEdges } from '../../lambdas/analytics/edges';
import { decodeRecord, type DecodedEvent } from '../../lambdas/analytics/records';
import { emptyWindowState, foldWindow } from '../../lambdas/analytics/windows';
import { createHandler as createRealtime } from '../../lambdas/consumers/realtime';
import { createHandler as createWindows } from '../../lambdas/consumers/windows';
import type { StreamEvent } from '../../lambdas/shared/event';
import { aBatch, aConsumerConfig, aWindowEvent, someDeps, someRecords } from '../unit/consumers/factories';
import { getScenario } from '../../scripts/producer/scenarios';
import { createEventStream } from '../../scripts/producer/source';

const ZONE = 'Asia/Shanghai';
const CONFIG = defaultAnalyticsConfig(ZONE);
const BATCH = 1000;
const EVENTS = 10_000;
const ROUNDS = 7;

/** `count` events of a scenario as ingest would have written them (createdAt normalised to UTC, receivedAt added). */
function scenarioEvents(name: string, count: number, seed: number): StreamEvent[] {
  const stream = createEventStream({
    scenario: getScenario(name),
    seed,
    rate: 20,
    timeZone: ZONE,
    invalidRatio: 0,
    startTimeMs: Date.parse('2024-05-27T03:40:00.000Z'),
    count,
  });
  const out: StreamEvent[] = [];
  for (let e = stream.next(0); e; e = stream.next(0)) {
    const createdAt = new Date(Date.parse(e.input.createdAt)).toISOString();
    out.push({ ...e.input, createdAt, receivedAt: createdAt });
  }
  return out;
}

// One mixed stream: a fifth of each scenario, interleaved.
const names = ['web', 'alerts', 'recharge', 'taobao', 'vending'];
const perScenario = names.map((n, i) => scenarioEvents(n, EVENTS / names.length, 100 + i));
const MIXED: StreamEvent[] = [];
for (let i = 0; i < EVENTS / names.length; i++) for (const s of perScenario) MIXED.push(s[i]);
const RECORDS: KinesisStreamRecord[] = someRecords(MIXED, 1);
const WEB_RECORDS: KinesisStreamRecord[] = someRecords(scenarioEvents('web', EVENTS, 42), 1);

const decodeAll = (records: readonly KinesisStreamRecord[]): DecodedEvent[] => {
  const out: DecodedEvent[] = [];
  for (const r of records) {
    const d = decodeRecord(r);
    if (d.ok) out.push(d);
  }
  return out;
};

let sink: unknown;
const batches = <T>(items: readonly T[]): T[][] =>
  Array.from({ length: Math.ceil(items.length / BATCH) }, (_, i) => items.slice(i * BATCH, (i + 1) * BATCH));
/**
 * The batches as a Lambda function receives them: the runtime parses the invoke's JSON, so every
 * string of a record is flat (the factories' concatenations would be flattened inside the clock).
 */
const DELIVERED: KinesisStreamRecord[][] = batches(RECORDS).map(
  (b) => (JSON.parse(JSON.stringify(aBatch(b))) as { Records: KinesisStreamRecord[] }).Records,
);
/** The handlers' dependencies, made fresh before each case's clock starts (a Lambda makes them once per instance). */
let fresh = someDeps({ config: aConsumerConfig() });

const cases: Record<string, () => Promise<unknown> | unknown> = {
  'decode floor (base64 + JSON.parse)': () => {
    for (const r of RECORDS) sink = JSON.parse(Buffer.from(r.kinesis.data, 'base64').toString('utf8'));
  },
  'error alerts (pure)': () =>
    batches(RECORDS).map((b) =>
      findErrorAlerts(
        decodeAll(b).map((d) => d.event),
        CONFIG.errorPatterns,
      ),
    ),
  'windows (pure)': () => batches(RECORDS).reduce((state, b) => foldWindow(state, decodeAll(b), CONFIG.windowRules), emptyWindowState()),
  'metrics (pure)': () => batches(RECORDS).map((b) => aggregateMetrics(decodeAll(b), CONFIG.metrics, undefined)),
  'edges (pure)': () =>
    batches(RECORDS).map((b) => {
      const occurrences = edgeOccurrences(decodeAll(b), CONFIG.paths);
      return countEdges(
        occurrences,
        routeEdges(occurrences, () => undefined),
      );
    }),
  'paths, step-less page views (pure)': () => {
    const states = new Map<string, SessionState>();
    for (const b of batches(RECORDS)) {
      const result = sessionize(
        (key) => states.get(key) ?? emptySessionState(),
        decodeAll(b).filter((d) => d.event.path !== undefined && !carriesStep(d.event)),
        CONFIG.paths,
      );
      for (const [key, state] of result.states) states.set(key, state);
    }
  },
  'realtime handler (memory store)': async () => {
    const handle = createRealtime(fresh);
    for (const b of DELIVERED) sink = await handle({ Records: b });
  },
  'windows handler (memory store)': async () => {
    const handle = createWindows(fresh);
    let state: unknown = {};
    for (const b of DELIVERED) state = (await handle(aWindowEvent({ records: b, state }))).state;
    sink = await handle(aWindowEvent({ state, final: true }));
  },
};

async function main(): Promise<void> {
  const best: Record<string, { wall: number; cpu: number }> = {};
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, run] of Object.entries(cases)) {
      fresh = someDeps({ config: fresh.config });
      const cpu = process.cpuUsage();
      const start = process.hrtime.bigint();
      await run();
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      const used = process.cpuUsage(cpu);
      const previous = best[name] ?? { wall: Infinity, cpu: Infinity };
      best[name] = { wall: Math.min(previous.wall, ms), cpu: Math.min(previous.cpu, (used.user + used.system) / 1000) };
    }
  }
  const floor = best['decode floor (base64 + JSON.parse)'] ?? { wall: 1, cpu: 1 };
  const rows = Object.entries(best).map(([name, { wall, cpu }]) => ({
    name,
    eventsPerSecond: Math.round((RECORDS.length / wall) * 1000),
    ofFloor: Number((floor.wall / wall).toFixed(2)),
    /** The same ratio by CPU time (user + system): what other processes on the cores do not inflate. */
    cpuOfFloor: Number((floor.cpu / cpu).toFixed(2)),
  }));

  // Writes per 1,000 events of the web scenario, batches of 1,000.
  const deps = someDeps();
  const handle = createRealtime(deps);
  const perBatch: number[] = [];
  for (const b of batches(WEB_RECORDS)) {
    deps.store.resetStats();
    await handle(aBatch(b));
    perBatch.push(deps.store.itemsWritten);
  }
  const writesPer1000 = perBatch.reduce((a, b) => a + b, 0) / (WEB_RECORDS.length / 1000);

  console.log(
    `${RECORDS.length} mixed events (web, alerts, recharge, taobao, vending), batches of ${BATCH}, best of ${ROUNDS} rounds, ${os.cpus()[0]?.model ?? 'cpu'}, Node ${process.version}, load average ${os.loadavg()[0]?.toFixed(1)}`,
  );
  for (const r of rows)
    console.log(
      `${r.name.padEnd(38)} ${String(r.eventsPerSecond).padStart(10)} events/s   ${r.ofFloor.toFixed(2)} × decode floor (by CPU time ${r.cpuOfFloor.toFixed(2)})`,
    );
  console.log(
    `web scenario: ${writesPer1000.toFixed(1)} DynamoDB items written per 1,000 events (per batch of 1,000: ${perBatch.join(', ')})`,
  );
  const result = {
    at: new Date().toISOString(),
    node: process.version,
    cpu: os.cpus()[0]?.model,
    cores: os.cpus().length,
    events: RECORDS.length,
    batch: BATCH,
    rows,
    webWritesPer1000: writesPer1000,
    webWritesPerBatch: perBatch,
  };
  console.log(JSON.stringify(result));
  if (process.argv.includes('--write'))
    fs.writeFileSync(path.join(__dirname, '..', '..', 'docs', 'benchmarks.json'), `${JSON.stringify(result, null, 2)}\n`);
  void sink;
}

void main();
