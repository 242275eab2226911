/**
 * The real-time load run shared by `npm run bench:realtime` and its small version in jest
 * (test/e2e/realtime.test.ts): the producer's `web` scenario at a fixed rate against the local
 * runtime (dev stage, 1 shard) plus path documents, the consumers' lag sampled every second, the
 * DynamoDB capacity the consumers report per batch (their store adapter asks DynamoDB for it), and
 * every result read through the read API compared with the producer's truth.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { DateTime } from 'luxon';
import type { LocalRuntime } from '../../local/runtime';
import type { StreamInvokeFn } from '../../local/esm/types';
import { runProducer, type TruthFile } from '../../scripts/producer/run';
import { edgesOf } from '../../lambdas/analytics/paths';

export const ZONE = 'Asia/Shanghai';

/** What the stream invocations and the function logs tell about the consumers while a run goes. */
export class ConsumerProbe {
  /** Newest record arrival (ms) each function has finished processing. */
  readonly processedArrival = new Map<string, number>();
  readonly invocations = new Map<string, number>();
  /** Invocations that rejected or answered with batchItemFailures. */
  failedBatches = 0;
  /** Write capacity units by analysis, and read units, summed over the consumers' log lines. */
  readonly writeUnits: Record<string, number> = {};
  readUnits = 0;
  /** Records per realtime batch. */
  readonly batchSizes: number[] = [];
  /** The realtime handler's own time per batch (its `durationMs`). */
  readonly handlerMs: number[] = [];
  /** Each stream invocation as the event-source mapping saw it: function, start and end (ms). */
  readonly calls: { readonly functionName: string; readonly startMs: number; readonly endMs: number }[] = [];

  /** The runtime's `wrapStreamInvoke`: records arrivals, failures and batch sizes. */
  wrap = (functionName: string, invoke: StreamInvokeFn): StreamInvokeFn => {
    return async (event) => {
      const records = event.Records ?? [];
      let newest = 0;
      for (const r of records) newest = Math.max(newest, r.kinesis.approximateArrivalTimestamp * 1000);
      const startMs = Date.now();
      try {
        const result = await invoke(event);
        this.calls.push({ functionName, startMs, endMs: Date.now() });
        const failures = (result as { batchItemFailures?: unknown[] } | undefined)?.batchItemFailures ?? [];
        if (failures.length > 0) this.failedBatches += 1;
        else if (newest > 0) this.processedArrival.set(functionName, Math.max(this.processedArrival.get(functionName) ?? 0, newest));
        this.invocations.set(functionName, (this.invocations.get(functionName) ?? 0) + 1);
        return result;
      } catch (error) {
        this.failedBatches += 1;
        throw error;
      }
    };
  };

  /** The runtime's `functionLog`: sums the `capacity` of the consumers' batch log lines. */
  log = (line: string): void => {
    const at = line.indexOf('{');
    if (at < 0 || !(line.includes('batch processed') || line.includes('window settled'))) return;
    let entry: { capacity?: { write?: Record<string, number>; read?: number }; records?: number; durationMs?: number; message?: string };
    try {
      entry = JSON.parse(line.slice(at)) as typeof entry;
    } catch {
      return;
    }
    if (entry.message === 'batch processed' && typeof entry.records === 'number') this.batchSizes.push(entry.records);
    if (entry.message === 'batch processed' && typeof entry.durationMs === 'number') this.handlerMs.push(entry.durationMs);
    for (const [analysis, units] of Object.entries(entry.capacity?.write ?? {}))
      this.writeUnits[analysis] = (this.writeUnits[analysis] ?? 0) + units;
    this.readUnits += entry.capacity?.read ?? 0;
  };
}

/** A percentile of `values` (nearest rank). */
export const percentile = (values: readonly number[], p: number): number => {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
};

/** Path documents posted during a run, and what they add to the truth. */
interface DocumentsTruth {
  events: number;
  perMinute: Record<string, number>;
  edges: Record<string, number>;
}

const SITE = ['/home', '/blog', '/about', '/services', '/contact', '/faq'];

/** Posts `count` path documents (3–6 pages each, the last element's time first, as clients do send them) and returns their truth. */
async function postDocuments(runtime: LocalRuntime, round: number, count: number, truth: DocumentsTruth): Promise<void> {
  const documents = [];
  const base = Date.now() - 60_000;
  for (let d = 0; d < count; d++) {
    const pages = Array.from({ length: 3 + ((round + d) % 4) }, (_, i) => SITE[(round * 7 + d * 3 + i * 5) % SITE.length] as string);
    const times = pages.map((_, i) => base + d * 10 + i * 1000);
    const el = pages.map((p, i) => ({
      path: p,
      ct: DateTime.fromMillis(times[i] as number, { zone: ZONE }).toFormat("yyyy-MM-dd'T'HH:mm:ss.SSS"),
    }));
    // The last element first: ingest numbers the steps by time, not by position.
    el.unshift(el.pop() as { path: string; ct: string });
    documents.push({ uvi: `bench-visitor-${round}-${d}`, el });
    truth.events += pages.length;
    for (const t of times) {
      const minute = DateTime.fromMillis(t, { zone: ZONE }).toFormat("yyyy-MM-dd'T'HH:mm");
      truth.perMinute[minute] = (truth.perMinute[minute] ?? 0) + 1;
    }
    for (const e of edgesOf(pages)) truth.edges[`${e.source} -> ${e.target}`] = (truth.edges[`${e.source} -> ${e.target}`] ?? 0) + 1;
  }
  const res = await fetch(`${runtime.endpoints.api}/v1/paths`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': runtime.endpoints.apiKey },
    body: JSON.stringify({ documents }),
  });
  const body = (await res.json()) as { accepted: number; rejected: number };
  if (res.status !== 200 || body.rejected > 0) throw new Error(`POST /v1/paths: ${res.status} ${JSON.stringify(body)}`);
}

/** Options of one load run. */
export interface LoadOptions {
  readonly rate: number;
  readonly durationS: number;
  readonly seed: number;
  /** Path documents posted every 5 s. */
  readonly documentsPer5s: number;
  /** Page views without step and prevPath (sessionized instead). @default false */
  readonly stepless?: boolean;
}

/** What one load run measured. */
export interface LoadFigures {
  readonly accepted: number;
  readonly sendSeconds: number;
  readonly eventsPerSecond: number;
  readonly lag: { readonly p50Ms: number; readonly p99Ms: number; readonly maxMs: number; readonly samples: number };
  /** Seconds from the end of the load until the realtime consumer had processed the newest record in the stream (NaN: not within 60 s). */
  readonly drainSeconds: number;
  readonly batches: {
    readonly count: number;
    readonly meanRecords: number;
    readonly failed: number;
    readonly handlerMsP50: number;
    readonly handlerMsP99: number;
    /** Invocation round trip as the event-source mapping sees it (handler + local Lambda stand-in). */
    readonly invokeMsP50: number;
    readonly invokeMsP99: number;
    /** From the end of one invocation to the start of the next (reading, batching, waiting). */
    readonly betweenMsP50: number;
    readonly betweenMsP99: number;
    /** Share of the time from the first to the last invocation spent inside invocations. */
    readonly busyShare: number;
  };
  readonly deadLetters: number;
  readonly items: Readonly<Record<string, number>>;
  readonly wcuPer1000: Readonly<Record<string, number>>;
  readonly wcuPer1000Total: number;
  readonly rcuPer1000: number;
  readonly checks: Readonly<Record<string, boolean>>;
  readonly mismatches: readonly string[];
}

/** Items of the results table by analysis (a scan of the local table). */
async function itemsByAnalysis(runtime: LocalRuntime): Promise<Record<string, number>> {
  const { ScanCommand } = await import('@aws-sdk/client-dynamodb');
  const { analysisOfKey } = await import('../../lambdas/consumers/store');
  const table = runtime.endpoints.outputs['uba-dev-analytics']?.ResultsTableName ?? '';
  const out: Record<string, number> = {};
  let start: Record<string, import('@aws-sdk/client-dynamodb').AttributeValue> | undefined;
  do {
    const page = await runtime.dynamodb.client.send(
      new ScanCommand({ TableName: table, ProjectionExpression: 'pk, sk', ...(start === undefined ? {} : { ExclusiveStartKey: start }) }),
    );
    for (const item of page.Items ?? []) {
      const analysis = analysisOfKey({ pk: item.pk?.S ?? '', sk: item.sk?.S ?? '' });
      out[analysis] = (out[analysis] ?? 0) + 1;
    }
    start = page.LastEvaluatedKey;
  } while (start !== undefined);
  return out;
}

/** The newest arrival time (ms) of any record written to the data stream since `sinceMs`; 0 if none. */
async function newestArrival(runtime: LocalRuntime, sinceMs: number): Promise<number> {
  const { GetRecordsCommand, GetShardIteratorCommand, ListShardsCommand } = await import('@aws-sdk/client-kinesis');
  const client = runtime.kinesis.client;
  const StreamName = runtime.endpoints.outputs['uba-dev-data']?.StreamName ?? '';
  let newest = 0;
  const shards = (await client.send(new ListShardsCommand({ StreamName }))).Shards ?? [];
  for (const shard of shards) {
    let iterator = (
      await client.send(
        new GetShardIteratorCommand({
          StreamName,
          ShardId: shard.ShardId,
          ShardIteratorType: 'AT_TIMESTAMP',
          Timestamp: new Date(sinceMs),
        }),
      )
    ).ShardIterator;
    while (iterator !== undefined) {
      const out = await client.send(new GetRecordsCommand({ ShardIterator: iterator }));
      const records = out.Records ?? [];
      if (records.length === 0) break;
      for (const r of records) newest = Math.max(newest, r.ApproximateArrivalTimestamp?.getTime() ?? 0);
      iterator = out.NextShardIterator;
    }
  }
  return newest;
}

/** Lines in the on-failure destination files. */
function deadLetters(runtime: LocalRuntime): number {
  const dir = runtime.endpoints.failureDestinations;
  if (!fs.existsSync(dir)) return 0;
  let n = 0;
  for (const file of fs.readdirSync(dir)) {
    const text = fs.readFileSync(path.join(dir, file), 'utf8').trim();
    if (text !== '') n += text.split('\n').length;
  }
  return n;
}

/**
 * Runs the load against a started runtime (started with the probe's `wrap` and `log`), waits for
 * the consumers, and compares every result with the truth. Never throws for a mismatch: it is
 * reported in `mismatches`.
 */
export async function runLoad(runtime: LocalRuntime, probe: ConsumerProbe, options: LoadOptions): Promise<LoadFigures> {
  const docs: DocumentsTruth = { events: 0, perMinute: {}, edges: {} };
  const lags: number[] = [];
  const realtime = (): string | undefined => [...probe.invocations.keys()].find((name) => /realtime/i.test(name));
  let sending = true;
  const sendStart = Date.now();
  const sampler = (async () => {
    while (sending) {
      await new Promise((r) => setTimeout(r, 1000));
      const name = realtime();
      const processed = name === undefined ? sendStart : (probe.processedArrival.get(name) ?? sendStart);
      if (Date.now() - sendStart > 3000) lags.push(Math.max(0, Date.now() - processed));
    }
  })();
  const documents = (async () => {
    for (let round = 0; options.documentsPer5s > 0 && Date.now() - sendStart < options.durationS * 1000 - 5000; round++) {
      await postDocuments(runtime, round, options.documentsPer5s, docs);
      await new Promise((r) => setTimeout(r, 5000));
    }
  })();
  let truth: TruthFile | undefined;
  // When the producer's last request returned: its records are in the stream by then.
  let stoppedAt: number;
  const truthFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'uba-rt-truth-')), 'web.json');
  try {
    const result = await runProducer(
      {
        scenario: 'web',
        rate: options.rate,
        durationS: options.durationS,
        batch: 250,
        concurrency: 4,
        endpoint: runtime.endpoints.api,
        apiKey: runtime.endpoints.apiKey,
        seed: options.seed,
        timeZone: ZONE,
        truth: truthFile,
        invalidRatio: 0,
        maxRetries: 5,
        quiet: true,
        dryRun: false,
        ...(options.stepless === true ? { steps: false } : {}),
      },
      { stdout: { write: () => true, isTTY: false } },
    );
    truth = result.truth;
  } finally {
    stoppedAt = Date.now();
    sending = false;
    // The documents loop may still be in its 5 s pause: the drain is timed from `stoppedAt`, not from here.
    await sampler;
    await documents;
  }
  const sendSeconds = (stoppedAt - sendStart) / 1000;
  if (truth === undefined) throw new Error('the producer wrote no truth');
  // Drain: until the realtime consumer has processed the newest record in the stream.
  const lastArrival = await newestArrival(runtime, stoppedAt - 10_000);
  let drainSeconds = Number.NaN;
  while (Date.now() - stoppedAt < 60_000) {
    const name = realtime();
    const processed = name === undefined ? 0 : (probe.processedArrival.get(name) ?? 0);
    if (processed >= lastArrival) {
      drainSeconds = (Date.now() - stoppedAt) / 1000;
      break;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const { waitForConsumers, metric, total, totalsByValue, allAlerts, pathsOf } = await import('../e2e/harness');
  await waitForConsumers(runtime, 120_000);

  const mismatches: string[] = [];
  const accepted = truth.total + docs.events;
  const events = await metric(runtime, 'events', undefined, 3);
  const gotTotal = total(events);
  if (gotTotal !== accepted) mismatches.push(`events: ${gotTotal}, truth ${accepted}`);
  const expectedPerMinute: Record<string, number> = { ...docs.perMinute };
  for (const [utc, counts] of Object.entries(truth.perMinute)) {
    const local = DateTime.fromISO(utc.replace(/Z$/, ':00Z')).setZone(ZONE).toFormat("yyyy-MM-dd'T'HH:mm");
    expectedPerMinute[local] = (expectedPerMinute[local] ?? 0) + counts.total;
  }
  const gotPerMinute: Record<string, number> = {};
  for (const s of events.series) for (const b of s.buckets) gotPerMinute[b.minute] = (gotPerMinute[b.minute] ?? 0) + b.count;
  const perMinuteOk = JSON.stringify(Object.entries(gotPerMinute).sort()) === JSON.stringify(Object.entries(expectedPerMinute).sort());
  if (!perMinuteOk) mismatches.push('per-minute event counters differ from the truth');
  const byAction = totalsByValue(await metric(runtime, 'events', 'action', 3));
  const expectedByAction = { ...truth.byAction, page_view: (truth.byAction.page_view ?? 0) + docs.events };
  const byActionOk = JSON.stringify(Object.entries(byAction).sort()) === JSON.stringify(Object.entries(expectedByAction).sort());
  if (!byActionOk) mismatches.push(`events by action ${JSON.stringify(byAction)}, truth ${JSON.stringify(expectedByAction)}`);
  const alerts = (await allAlerts(runtime, 'error')).map((a) => a.eventId ?? '').sort();
  const expectedAlerts = truth.alerts.errors.map((e) => e.eventId).sort();
  const windowAlerts = (await allAlerts(runtime, 'window')).length;
  const alertsOk = JSON.stringify(alerts) === JSON.stringify(expectedAlerts) && windowAlerts === truth.alerts.firingWarnings;
  if (!alertsOk)
    mismatches.push(
      `alerts: ${alerts.length} error / ${windowAlerts} window, truth ${expectedAlerts.length} / ${truth.alerts.firingWarnings}`,
    );
  const today = DateTime.now().setZone(ZONE);
  const got = await pathsOf(runtime, [today.minus({ days: 1 }).toISODate() ?? '', today.toISODate() ?? '']);
  const expectedEdges: Record<string, number> = { ...docs.edges };
  for (const [k, v] of Object.entries(truth.paths?.edges ?? {})) expectedEdges[k] = (expectedEdges[k] ?? 0) + v;
  const wrongEdges = [...new Set([...Object.keys(got.edges), ...Object.keys(expectedEdges)])].filter(
    (k) => got.edges[k] !== expectedEdges[k],
  );
  if (wrongEdges.length > 0)
    mismatches.push(
      `${wrongEdges.length} of ${Object.keys(expectedEdges).length} Sankey edges differ, e.g. ${wrongEdges.slice(0, 3).join('; ')}`,
    );

  const calls = probe.calls.filter((c) => /realtime/i.test(c.functionName));
  const between = calls.slice(1).map((c, i) => c.startMs - (calls[i] as { endMs: number }).endMs);
  const roundTrips = calls.map((c) => c.endMs - c.startMs);
  const busyMs = roundTrips.reduce((a, b) => a + b, 0);
  const spanMs = calls.length > 0 ? (calls[calls.length - 1] as { endMs: number }).endMs - (calls[0] as { startMs: number }).startMs : 0;
  const per1000 = (units: number): number => Number(((units * 1000) / accepted).toFixed(2));
  const wcuPer1000 = Object.fromEntries(Object.entries(probe.writeUnits).map(([k, v]) => [k, per1000(v)]));
  const totalWcu = Object.values(probe.writeUnits).reduce((a, b) => a + b, 0);
  return {
    accepted,
    sendSeconds,
    eventsPerSecond: Math.round(accepted / sendSeconds),
    lag: { p50Ms: percentile(lags, 50), p99Ms: percentile(lags, 99), maxMs: Math.max(0, ...lags), samples: lags.length },
    drainSeconds,
    batches: {
      count: probe.batchSizes.length,
      meanRecords: Math.round(probe.batchSizes.reduce((a, b) => a + b, 0) / Math.max(1, probe.batchSizes.length)),
      failed: probe.failedBatches,
      handlerMsP50: percentile(probe.handlerMs, 50),
      handlerMsP99: percentile(probe.handlerMs, 99),
      invokeMsP50: percentile(roundTrips, 50),
      invokeMsP99: percentile(roundTrips, 99),
      betweenMsP50: percentile(between, 50),
      betweenMsP99: percentile(between, 99),
      busyShare: spanMs > 0 ? Number((busyMs / spanMs).toFixed(2)) : 0,
    },
    deadLetters: deadLetters(runtime),
    items: await itemsByAnalysis(runtime),
    wcuPer1000,
    wcuPer1000Total: per1000(totalWcu),
    rcuPer1000: per1000(probe.readUnits),
    checks: {
      events: gotTotal === accepted,
      perMinute: perMinuteOk,
      byAction: byActionOk,
      alerts: alertsOk,
      sankeyEdges: wrongEdges.length === 0,
    },
    mismatches,
  };
}
