/**
 * `npm run bench:cost`: measures the per-unit figures the cost model (`npm run cost`) multiplies
 * by traffic, on the project's own handler code in plain Node: stream bytes per event and the
 * lake's gzip ratio as ingest writes them, the ingest handler's CPU time and answer size per
 * request, and for each stream consumer its CPU time, DynamoDB request units (WRU/RRU, metered
 * by item size as DynamoDB on demand bills them), table requests and log bytes per batch at two
 * batch sizes, split into a per-batch and a per-event part. Prints the figures; `--write` also
 * stores them in `scripts/cost/measured.json` (the figures it does not measure are kept).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { gzipSync } from 'zlib';
import { KinesisClient, PutRecordsCommand, type PutRecordsCommandInput } from '@aws-sdk/client-kinesis';
import type { KinesisStreamRecord } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { createHandler as createIngest } from '../../lambdas/ingest/handler';
import { createHandler as createRealtime } from '../../lambdas/consumers/realtime';
import { createHandler as createWindows } from '../../lambdas/consumers/windows';
import type { StreamEvent } from '../../lambdas/shared/event';
import { getScenario } from '../../scripts/producer/scenarios';
import { createEventStream } from '../../scripts/producer/source';
import { parseMeasured, type MeasuredFigure, type MeasuredFile } from '../../scripts/cost/inputs';
import { aBatch, aConsumerConfig, aWindowEvent, someDeps as consumerDeps, someRecords } from '../unit/consumers/factories';
import { aConfig, anApiEvent, putRecordsAnswer, someDeps as ingestDeps } from '../unit/ingest/factories';
import { MeteredStore } from './metered-store';

const ZONE = 'Asia/Shanghai';
const SCENARIOS = ['web', 'alerts', 'recharge', 'taobao', 'vending'];
const EVENTS = 20_000;
const ROUNDS = 5;
const MEASURED_FILE = path.join(__dirname, '..', '..', 'scripts', 'cost', 'measured.json');
/** Bytes Powertools Logger adds to each line besides message and attributes (level, timestamp, service, cold start, function name, ARN, memory, request id, sampling rate). */
const LOGGER_LINE_OVERHEAD = 330;

/** Producer input events of every scenario, interleaved (as many producers sending at once), `perScenarioRate` events/s each. */
function mixedInputs(count: number, perScenarioRate: number): Record<string, unknown>[] {
  const streams = SCENARIOS.map((name, i) =>
    createEventStream({
      scenario: getScenario(name),
      seed: 300 + i,
      rate: perScenarioRate,
      timeZone: ZONE,
      invalidRatio: 0,
      startTimeMs: Date.parse('2024-05-27T03:40:00.000Z'),
      count: Math.ceil(count / SCENARIOS.length),
    }),
  );
  const out: Record<string, unknown>[] = [];
  while (out.length < count) {
    for (const s of streams) {
      const e = s.next(0);
      if (e) out.push(e.input as unknown as Record<string, unknown>);
    }
  }
  return out.slice(0, count);
}

const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
/** The line through two points (x = events per unit): per-unit fixed part and per-event slope. */
function fit(x1: number, y1: number, x2: number, y2: number): { fixed: number; perEvent: number } {
  const perEvent = (y2 - y1) / (x2 - x1);
  return { fixed: Math.max(0, y1 - perEvent * x1), perEvent: Math.max(0, perEvent) };
}
const logBytes = (lines: readonly { message: string; attributes: Record<string, unknown> }[]): number =>
  lines.reduce((sum, l) => sum + Buffer.byteLength(JSON.stringify({ message: l.message, ...l.attributes })) + LOGGER_LINE_OVERHEAD, 0);

async function timeBest(run: () => Promise<void>): Promise<number> {
  let best = Infinity;
  for (let r = 0; r < ROUNDS; r++) {
    const start = process.hrtime.bigint();
    await run();
    best = Math.min(best, Number(process.hrtime.bigint() - start) / 1e6);
  }
  return best;
}

/** Ingest: stream record bytes per input event, lake gzip ratio, CPU ms, answer and log bytes per request. */
async function measureIngest(inputs: Record<string, unknown>[]) {
  const kinesis = mockClient(KinesisClient);
  kinesis.on(PutRecordsCommand).callsFake((input: PutRecordsCommandInput) => putRecordsAnswer(input));
  const deps = ingestDeps({ config: aConfig({ pseudonymization: { secretArn: 'arn:secret', props: new Set(['phone', 'email']) } }) });
  const handle = createIngest(deps);

  const perSize: Record<number, { ms: number; responseBytes: number; logBytes: number }> = {};
  for (const k of [10, 100]) {
    const requests = Array.from({ length: Math.floor(inputs.length / k) }, (_, i) =>
      anApiEvent({ events: inputs.slice(i * k, (i + 1) * k) }),
    );
    kinesis.resetHistory();
    deps.logger.lines.length = 0;
    let responseBytes = 0;
    for (const r of requests) responseBytes += Buffer.byteLength((await handle(r)).body);
    const bytes = logBytes(deps.logger.lines);
    const ms = await timeBest(async () => {
      for (const r of requests) await handle(r);
    });
    perSize[k] = {
      ms: ms / requests.length,
      responseBytes: responseBytes / requests.length,
      logBytes: bytes / requests.length,
    };
  }
  // Every input once more, in requests of 100, to read the records as written.
  kinesis.resetHistory();
  for (let i = 0; i < inputs.length; i += 100) await handle(anApiEvent({ events: inputs.slice(i, i + 100) }));
  const records = kinesis.commandCalls(PutRecordsCommand).flatMap((c) => c.args[0].input.Records ?? []);
  const recordSizes = records.map((r) => (r.Data?.byteLength ?? 0) + Buffer.byteLength(r.PartitionKey ?? ''));
  const inputSizes = inputs.map((e) => Buffer.byteLength(JSON.stringify(e)));
  const lines = Buffer.concat(records.map((r) => Buffer.from(r.Data ?? new Uint8Array())));
  kinesis.restore();
  return {
    inputBytes: mean(inputSizes),
    overheadBytes: mean(recordSizes) - mean(inputSizes),
    gzipRatio: gzipSync(lines).byteLength / lines.byteLength,
    cpu: fit(10, perSize[10].ms, 100, perSize[100].ms),
    response: fit(10, perSize[10].responseBytes, 100, perSize[100].responseBytes),
    logBytesPerRequest: mean([perSize[10].logBytes, perSize[100].logBytes]),
  };
}

/** The stream events ingest writes for `inputs` (createdAt normalised, receivedAt = createdAt). */
function asStreamEvents(inputs: Record<string, unknown>[]): StreamEvent[] {
  return inputs.map((input) => {
    const createdAt = new Date(Date.parse(String(input.createdAt))).toISOString();
    return { ...(input as unknown as StreamEvent), createdAt, receivedAt: createdAt };
  });
}

interface ConsumerFigures {
  cpu: { fixed: number; perEvent: number };
  wru: { fixed: number; perEvent: number };
  rru: { fixed: number; perEvent: number };
  calls: { fixed: number; perEvent: number };
  logBytesPerBatch: number;
  storedBytesPerMinute: number;
}

/** One consumer over a metered store, at batch sizes 100 and 1,000: per batch and per event parts of each figure. */
async function measureConsumer(kind: 'realtime' | 'windows', records: KinesisStreamRecord[], minutes: number): Promise<ConsumerFigures> {
  const at: Record<number, { ms: number; wru: number; rru: number; calls: number; log: number }> = {};
  let storedBytesPerMinute = 0;
  for (const size of [100, 1000]) {
    const batches = Array.from({ length: Math.ceil(records.length / size) }, (_, i) => records.slice(i * size, (i + 1) * size));
    const run = async (store: MeteredStore, deps: ReturnType<typeof consumerDeps<MeteredStore>>) => {
      if (kind === 'realtime') {
        const handle = createRealtime(deps);
        for (const b of batches) await handle(aBatch(b));
      } else {
        const handle = createWindows(deps);
        let state: unknown = {};
        for (const b of batches) state = (await handle(aWindowEvent({ records: b, state }))).state;
        await handle(aWindowEvent({ state, final: true }));
      }
      return store;
    };
    const store = new MeteredStore();
    const deps = consumerDeps({ store, config: aConsumerConfig({ stage: 'prod', resultRetentionDays: 400 }) });
    await run(store, deps);
    const m = store.metering;
    if (size === 1000) storedBytesPerMinute = store.stored().bytes / minutes;
    const ms = await timeBest(async () => {
      const fresh = new MeteredStore();
      await run(fresh, consumerDeps({ store: fresh }));
    });
    at[size] = {
      ms: ms / batches.length,
      wru: m.wru / batches.length,
      rru: m.rru / batches.length,
      calls: m.calls / batches.length,
      log: logBytes(deps.logger.lines) / batches.length,
    };
  }
  return {
    cpu: fit(100, at[100].ms, 1000, at[1000].ms),
    wru: fit(100, at[100].wru, 1000, at[1000].wru),
    rru: fit(100, at[100].rru, 1000, at[1000].rru),
    calls: fit(100, at[100].calls, 1000, at[1000].calls),
    logBytesPerBatch: mean([at[100].log, at[1000].log]),
    storedBytesPerMinute,
  };
}

const round = (n: number, digits = 3): number => Number(n.toPrecision(digits));

async function main(): Promise<void> {
  const at = new Date().toISOString().slice(0, 10);
  const where = `${os.cpus()[0]?.model ?? 'cpu'}, Node ${process.version}`;
  // 20,000 events of five scenarios at 20 events/s each: 200 s of event time.
  const inputs = mixedInputs(EVENTS, 20);
  const minutes = EVENTS / (20 * SCENARIOS.length) / 60;
  const ingest = await measureIngest(inputs);
  const records = someRecords(asStreamEvents(inputs), 1);
  const realtime = await measureConsumer('realtime', records, minutes);
  const windows = await measureConsumer('windows', records, minutes);

  const by = 'npm run bench:cost';
  const fig = (value: number, unit: string, how: string, extra: Partial<MeasuredFigure> = {}): MeasuredFigure => ({
    value: round(value),
    unit,
    how: `${how} (${EVENTS.toLocaleString('en')} events of the ${SCENARIOS.join(', ')} scenarios; ${where})`,
    at,
    by,
    ...extra,
  });
  const consumer = (name: 'realtime' | 'windows', f: ConsumerFigures): Record<string, MeasuredFigure> => ({
    [`${name}.cpuMsPerBatch`]: fig(
      f.cpu.fixed,
      'ms',
      `${name} handler CPU time per invocation apart from its events, fitted over batches of 100 and 1,000, best of ${ROUNDS}`,
    ),
    [`${name}.cpuMsPerEvent`]: fig(f.cpu.perEvent, 'ms', `${name} handler CPU time per event, same fit`),
    [`${name}.wruPerBatch`]: fig(
      f.wru.fixed,
      'WRU',
      `${name}: write request units per invocation apart from its events (metered by item size, byTime index writes included)`,
    ),
    [`${name}.wruPerEvent`]: fig(f.wru.perEvent, 'WRU', `${name}: write request units per event, same fit`),
    [`${name}.rruPerBatch`]: fig(
      f.rru.fixed,
      'RRU',
      `${name}: read request units per invocation apart from its events (strongly consistent, 4 KB)`,
    ),
    [`${name}.rruPerEvent`]: fig(f.rru.perEvent, 'RRU', `${name}: read request units per event, same fit`),
    [`${name}.callsPerBatch`]: fig(f.calls.fixed, 'requests', `${name}: DynamoDB requests per invocation apart from its events, same fit`),
    [`${name}.callsPerEvent`]: fig(f.calls.perEvent, 'requests', `${name}: DynamoDB requests per event, same fit`),
    [`${name}.logBytesPerBatch`]: fig(
      f.logBytesPerBatch,
      'bytes',
      `${name}: log bytes the handler writes per invocation (Powertools JSON lines)`,
    ),
  });
  const measured: Record<string, MeasuredFigure> = {
    'stream.overheadBytesPerEvent': fig(
      ingest.overheadBytes,
      'bytes',
      `stream record (data + partition key) minus the producer's JSON event, average (events average ${Math.round(ingest.inputBytes)} B): createdAt normalised, receivedAt added, userId pseudonymized, newline`,
    ),
    'lake.gzipRatio': fig(
      ingest.gzipRatio,
      'ratio',
      'gzip size of the stream records concatenated, as Firehose writes them, over their raw size',
    ),
    'ingest.cpuMsPerRequest': fig(
      ingest.cpu.fixed,
      'ms',
      `ingest handler CPU time per request apart from its events (pseudonymization on, Kinesis answered in-process), fitted over requests of 10 and 100 events, best of ${ROUNDS}`,
    ),
    'ingest.cpuMsPerEvent': fig(ingest.cpu.perEvent, 'ms', 'ingest handler CPU time per event, same fit'),
    'ingest.responseBytesPerRequest': fig(ingest.response.fixed, 'bytes', 'ingest answer body per request apart from its events'),
    'ingest.responseBytesPerEvent': fig(ingest.response.perEvent, 'bytes', 'ingest answer body per event (one result each)'),
    'ingest.logBytesPerRequest': fig(
      ingest.logBytesPerRequest,
      'bytes',
      'log bytes the ingest handler writes per request (Powertools JSON lines)',
    ),
    'results.storedBytesPerMinute': fig(
      realtime.storedBytesPerMinute + windows.storedBytesPerMinute,
      'bytes',
      'results-table bytes (as DynamoDB sizes items) both consumers leave per minute of event time at 100 events/s',
    ),
    ...consumer('realtime', realtime),
    ...consumer('windows', windows),
  };
  for (const [key, f] of Object.entries(measured)) console.log(`${key.padEnd(32)} ${String(f.value).padStart(10)} ${f.unit}`);
  if (process.argv.includes('--write')) {
    const current: MeasuredFile = parseMeasured(JSON.parse(fs.readFileSync(MEASURED_FILE, 'utf8')));
    const next: MeasuredFile = { ...current, figures: { ...current.figures, ...measured } };
    fs.writeFileSync(MEASURED_FILE, `${JSON.stringify(next, null, 2)}\n`);
    console.log(`written to ${path.relative(process.cwd(), MEASURED_FILE)}`);
  }
}

void main();
