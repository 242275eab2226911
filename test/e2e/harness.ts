/** Shared pieces of the end-to-end tests: start the local runtime, produce with ground truth, wait, read the API. */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { gunzipSync } from 'zlib';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import type { EventInput } from '../../lambdas/shared/event';
import { LocalRuntime, type LocalRuntimeOptions } from '../../local/runtime';
import { findFreePortBlock } from '../../local/services';
import type { Role } from '../../lambdas/shared/access';
import { localIdToken } from '../../scripts/auth/sign-in';
import { runProducer, type TruthFile } from '../../scripts/producer/run';
import type { AcceptedEvent } from '../../scripts/producer/truth';
import { diagnoseEdges, formatEdgeDiagnosis } from '../support/edge-diagnosis';

export const ROOT = path.join(__dirname, '..', '..');
export const STAGE = 'dev';

/** Ports one runtime takes: the API's and the next nine (kinesis … athena, cognito, the ingest load balancer). */
export const RUNTIME_PORTS = 10;

/**
 * {@link RUNTIME_PORTS} consecutive free ports on loopback, outside the kernel's ephemeral range:
 * the rounds reuse them for minutes while other suites bind port 0, which the kernel serves from
 * that range, so a base inside it could be taken between two rounds.
 */
export async function freePortBase(): Promise<number> {
  return findFreePortBlock(RUNTIME_PORTS);
}

/** Starts the dev stage (or `extra.stage`) on free ports, quiet, in a temporary local directory. */
export async function startRuntime(extra: Partial<LocalRuntimeOptions> = {}): Promise<{ runtime: LocalRuntime; localDir: string }> {
  const localDir = extra.localDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'uba-e2e-'));
  const stage = extra.stage ?? STAGE;
  const runtime = await LocalRuntime.start({
    root: ROOT,
    stage,
    port: 0,
    assemblyDir: path.join(ROOT, `cdk.out.${stage}`),
    localDir,
    log: () => undefined,
    functionLog: () => undefined,
    ...extra,
  });
  return { runtime, localDir };
}

/** Runs the producer against the runtime's API and returns its ground truth of what was accepted. */
export async function produce(
  runtime: LocalRuntime,
  scenario: string,
  options: {
    count: number;
    rate: number;
    seed: number;
    batch?: number;
    invalidRatio?: number;
    maxRetries?: number;
    allowUndelivered?: boolean;
    /** `--days`: spread the events over this many past days. */
    days?: number;
    /** Page views without step and prevPath (sessionized by the consumers). @default false */
    stepless?: boolean;
    /** Called with every accepted event (e.g. to build one truth over several runs). */
    onAccepted?: (event: EventInput, seq: number) => void;
  },
): Promise<TruthFile> {
  const truthFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'uba-truth-')), `${scenario}.json`);
  const result = await runProducer(
    {
      scenario,
      rate: options.rate,
      count: options.count,
      batch: options.batch ?? 100,
      concurrency: 2,
      endpoint: runtime.endpoints.ingest ?? runtime.endpoints.api,
      apiKey: runtime.endpoints.apiKey,
      seed: options.seed,
      ...(options.days === undefined ? {} : { days: options.days }),
      timeZone: 'Asia/Shanghai',
      truth: truthFile,
      invalidRatio: options.invalidRatio ?? 0,
      maxRetries: options.maxRetries ?? 5,
      quiet: true,
      dryRun: false,
      ...(options.stepless === true ? { steps: false } : {}),
    },
    { stdout: { write: () => true, isTTY: false }, ...(options.onAccepted === undefined ? {} : { onAccepted: options.onAccepted }) },
  );
  if (!result.truth) throw new Error(`producer wrote no truth (exit ${result.exitCode})`);
  // Events never delivered were never accepted (the truth leaves them out); most tests want none.
  if (result.truth.meta.failed > 0 && !options.allowUndelivered)
    throw new Error(`producer failed to deliver ${result.truth.meta.failed} events`);
  return result.truth;
}

/**
 * How long every shard must stay idle, with no new invocation, to count as caught up: four idle
 * polls of the event-source mapping (500 ms apart when GetRecords returns nothing), so a record
 * put just before an empty poll is fetched and processed within it.
 */
const QUIET_MS = 2_000;

/** Waits until every event-source mapping has read and processed all it can see, steadily ({@link QUIET_MS}). */
export async function waitForConsumers(runtime: LocalRuntime, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let quietSince: number | undefined;
  let lastInvocations = -1;
  for (;;) {
    const now = Date.now();
    const shards = runtime.mappings.flatMap((m) => m.status());
    const idle = shards.every((s) => s.buffered === 0 && !s.retrying && s.millisBehindLatest === 0);
    const invocations = shards.reduce((n, s) => n + s.invocations, 0);
    if (!idle || invocations !== lastInvocations) quietSince = undefined;
    else if (quietSince === undefined) quietSince = now;
    else if (now - quietSince >= QUIET_MS) return;
    lastInvocations = invocations;
    if (now > deadline)
      throw new Error(`consumers still busy after ${timeoutMs} ms: ${JSON.stringify(runtime.mappings.map((m) => m.status()))}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Waits until the lake's Firehose has taken at least `records` records, then flushes them to S3. */
export async function waitForLake(runtime: LocalRuntime, records: number, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = runtime.stats();
    if (s.lakeRecords + s.lakeBuffered >= records) break;
    if (Date.now() > deadline) throw new Error(`the lake took ${s.lakeRecords + s.lakeBuffered} of ${records} records in ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
  await runtime.flushLake();
}

/**
 * Runs the daily reports job as its schedule does: invokes the stage's job function (output
 * `ReportsJobName` of `uba-<stage>-reports`) with `{}` (yesterday), `{date}` or `{from, to}`
 * arrival days; rejects when the function fails.
 */
export async function runReportJob(
  runtime: LocalRuntime,
  input: { date?: string; from?: string; to?: string },
  stage = STAGE,
): Promise<unknown> {
  const name = runtime.endpoints.outputs[`uba-${stage}-reports`]?.ReportsJobName;
  const fn = name === undefined ? undefined : runtime.functions.get(name);
  if (fn === undefined) throw new Error(`no local function for output ReportsJobName of uba-${stage}-reports (${String(name)})`);
  const result = await fn.invoke(input);
  if (!result.ok) throw new Error(`daily reports job failed: ${result.error.errorType}: ${result.error.errorMessage}`);
  return result.payload;
}

/** Every raw lake object (gzip JSON lines under `raw/`) with its parsed lines; throws on a record not ended by a newline. */
export async function readLake(s3: S3Client, bucket: string): Promise<Array<{ key: string; lines: Array<Record<string, unknown>> }>> {
  const objects: Array<{ key: string; lines: Array<Record<string, unknown>> }> = [];
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'raw/', ContinuationToken: token }));
    for (const item of page.Contents ?? []) {
      const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: item.Key }));
      const text = gunzipSync(
        Buffer.from(await (got.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray()),
      ).toString('utf8');
      if (!text.endsWith('\n')) throw new Error(`${item.Key}: the last record does not end with a newline`);
      objects.push({
        key: item.Key ?? '',
        lines: text
          .trimEnd()
          .split('\n')
          .map((l) => JSON.parse(l) as Record<string, unknown>),
      });
    }
    token = page.NextContinuationToken;
  } while (token);
  return objects;
}

const tokens = new WeakMap<LocalRuntime, Map<Role, { token: string; until: number }>>();

/** An ID token of the runtime's demo user of `role` (signed in once, reused until a minute before it expires). */
export async function tokenFor(runtime: LocalRuntime, role: Role = 'admin'): Promise<string> {
  let byRole = tokens.get(runtime);
  if (!byRole) tokens.set(runtime, (byRole = new Map()));
  const cached = byRole.get(role);
  if (cached && cached.until > Date.now()) return cached.token;
  const token = await localIdToken(runtime.endpoints, role);
  const exp = Number(JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8')).exp);
  byRole.set(role, { token, until: exp * 1000 - 60_000 });
  return token;
}

/** GET on the read API as the demo user of `role` (ID token); rejects on a non-200 answer. */
export async function getJson<T>(
  runtime: LocalRuntime,
  route: string,
  params: Record<string, string | number> = {},
  role: Role = 'admin',
): Promise<T> {
  const url = new URL(`${runtime.endpoints.api}${route}`);
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, String(v));
  const res = await fetch(url, { headers: { authorization: await tokenFor(runtime, role) } });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`GET ${url.pathname}${url.search}: ${res.status} ${text}`);
  return JSON.parse(text) as T;
}

export interface AlertItem {
  readonly kind: 'error' | 'window';
  readonly eventId?: string;
  readonly action: string;
  readonly count?: number;
  readonly threshold?: number;
  readonly windowStart?: string;
  readonly createdAt: string;
}

/** Every alert of the last day, all pages. */
export async function allAlerts(runtime: LocalRuntime, kind?: 'error' | 'window', role: Role = 'admin'): Promise<AlertItem[]> {
  const since = new Date(Date.now() - 24 * 3600_000).toISOString();
  const until = new Date(Date.now() + 3600_000).toISOString();
  const out: AlertItem[] = [];
  let nextToken: string | undefined;
  do {
    const page = await getJson<{ alerts: AlertItem[]; nextToken?: string }>(
      runtime,
      '/v1/alerts',
      {
        since,
        until,
        limit: 1000,
        ...(kind ? { kind } : {}),
        ...(nextToken ? { nextToken } : {}),
      },
      role,
    );
    out.push(...page.alerts);
    nextToken = page.nextToken;
  } while (nextToken);
  return out;
}

export interface MetricsAnswer {
  readonly series: Array<{
    dims: string;
    value?: string;
    buckets: Array<{ minute: string; count: number; sum?: number; min?: number; max?: number; late: number }>;
  }>;
}

/** A metric over the last `hours` hours (local minutes), optionally split by a dimension. */
export async function metric(runtime: LocalRuntime, name: string, dim?: string, hours = 3): Promise<MetricsAnswer> {
  return getJson<MetricsAnswer>(runtime, '/v1/metrics', {
    name,
    from: new Date(Date.now() - hours * 3600_000).toISOString(),
    to: new Date(Date.now() + 10 * 60_000).toISOString(),
    ...(dim ? { dim } : {}),
  });
}

/** Sum of `count` (or another field) over all buckets of all series. */
export function total(answer: MetricsAnswer, field: 'count' | 'sum' = 'count'): number {
  return answer.series.reduce((n, s) => n + s.buckets.reduce((k, b) => k + (b[field] ?? 0), 0), 0);
}

/** Per series value, the sum of counts. */
export function totalsByValue(answer: MetricsAnswer): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of answer.series) out[s.value ?? s.dims] = s.buckets.reduce((k, b) => k + b.count, 0);
  return out;
}

/** The real-time Sankey edges, merged over the given days. */
export async function pathsOf(runtime: LocalRuntime, dates: readonly string[]): Promise<{ edges: Record<string, number> }> {
  const edges: Record<string, number> = {};
  for (const date of dates) {
    const answer = await getJson<{ edges: Array<{ source: string; target: string; weight: number }> }>(runtime, '/v1/paths', {
      date,
      limit: 5000,
    });
    for (const e of answer.edges) edges[`${e.source} -> ${e.target}`] = (edges[`${e.source} -> ${e.target}`] ?? 0) + e.weight;
  }
  return { edges };
}

/**
 * Explains why the API's real-time edges differ from the expected ones (see
 * `test/support/edge-diagnosis.ts`): flushes the lake until it holds every accepted event (or
 * `timeoutMs` passes), reads it and compares it with the events the producers saw accepted.
 */
export async function explainEdges(
  runtime: LocalRuntime,
  api: Readonly<Record<string, number>>,
  expected: Readonly<Record<string, number>>,
  accepted: ReadonlyMap<string, AcceptedEvent>,
  timeZone: string,
  timeoutMs = 30_000,
): Promise<string> {
  const bucket = Object.values(runtime.endpoints.outputs).find((o) => o.LakeBucketName)?.LakeBucketName;
  if (bucket === undefined) return 'edges differ; no lake bucket among the outputs to explain it';
  const deadline = Date.now() + timeoutMs;
  let lines: Array<Record<string, unknown>>;
  for (;;) {
    await runtime.flushLake();
    lines = (await readLake(runtime.s3.client, bucket)).flatMap((o) => o.lines);
    const ids = new Set(lines.map((l) => l.eventId));
    if ([...accepted.keys()].every((id) => ids.has(id)) || Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 1_000));
  }
  return formatEdgeDiagnosis(diagnoseEdges({ api, expected, accepted, lake: lines, timeZone }));
}
