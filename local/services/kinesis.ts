import * as fs from 'fs';
import * as http from 'http';
import kinesalite from 'kinesalite';
import {
  CreateStreamCommand,
  DecreaseStreamRetentionPeriodCommand,
  DescribeStreamSummaryCommand,
  IncreaseStreamRetentionPeriodCommand,
  KinesisClient,
} from '@aws-sdk/client-kinesis';
import { TemplateResolver } from '../template/resolver';
import { isJsonObject } from '../template/types';
import { localClientConfig } from './clients';
import { DEFAULT_PORTS, LOCAL_HOST, RunningService, assertPortFree, closeHttpServer, listen } from './ports';

/** A Kinesis data stream to create locally. */
export interface KinesisStreamSpec {
  readonly name: string;
  readonly shardCount: number;
  /** Hours; Kinesis's default (and minimum) is 24. */
  readonly retentionHours?: number;
  readonly onDemand?: boolean;
  readonly stackName?: string;
  readonly logicalId?: string;
}

/**
 * Shards given to an on-demand stream locally. AWS starts an on-demand stream with 4 shards
 * (4 MB/s write capacity) and scales from there; kinesalite cannot scale, so the local stream
 * keeps AWS's starting shape, which also exercises cross-shard logic (windows merged across shards).
 */
export const ON_DEMAND_LOCAL_SHARDS = 4;

/** The `AWS::Kinesis::Stream` resources of the app as local stream specs. */
export function kinesisStreamsFromTemplate(resolver: TemplateResolver, options: { onDemandShards?: number } = {}): KinesisStreamSpec[] {
  return resolver.resourcesOfType('AWS::Kinesis::Stream').map((rec) => {
    const props = resolver.resolveProperties(rec);
    const mode = isJsonObject(props.StreamModeDetails) ? props.StreamModeDetails.StreamMode : undefined;
    const onDemand = mode === 'ON_DEMAND' || (mode === undefined && props.ShardCount === undefined);
    const shardCount = onDemand ? (options.onDemandShards ?? ON_DEMAND_LOCAL_SHARDS) : Number(props.ShardCount ?? 1);
    const retention = props.RetentionPeriodHours === undefined ? undefined : Number(props.RetentionPeriodHours);
    return {
      name: resolver.physicalName(rec.stackName, rec.logicalId),
      shardCount,
      retentionHours: retention,
      onDemand,
      stackName: rec.stackName,
      logicalId: rec.logicalId,
    };
  });
}

export interface KinesisServiceOptions {
  /** Default 4567; 0 picks a free port. */
  readonly port?: number;
  /** LevelDB directory for `--persist`; in memory when omitted. */
  readonly persistDir?: string;
  readonly streams?: readonly KinesisStreamSpec[];
  readonly region?: string;
}

export interface RunningKinesis extends RunningService {
  /** A client for this endpoint (HTTP/1.1 handler). */
  readonly client: KinesisClient;
  /** Per stream: whether it was created now or already existed (persisted data). */
  readonly streams: ReadonlyArray<{ readonly name: string; readonly created: boolean }>;
  /** Differences between the template and persisted streams that were left alone. */
  readonly warnings: readonly string[];
}

/** kinesalite accepts at most 7 days of retention (AWS allows up to 365 days). */
const KINESALITE_MAX_RETENTION_HOURS = 168;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function errorName(e: unknown): string {
  return e instanceof Error ? e.name : '';
}

async function waitActive(client: KinesisClient, name: string): Promise<{ shards: number; retention: number }> {
  for (let i = 0; i < 200; i++) {
    const { StreamDescriptionSummary: s } = await client.send(new DescribeStreamSummaryCommand({ StreamName: name }));
    if (s?.StreamStatus === 'ACTIVE') return { shards: s.OpenShardCount ?? 0, retention: s.RetentionPeriodHours ?? 24 };
    await sleep(25);
  }
  throw new Error(`Kinesis stream ${name} did not become ACTIVE`);
}

/** Creates `spec` unless it exists; returns whether it was created. Safe to call on every start. */
export async function ensureStream(client: KinesisClient, spec: KinesisStreamSpec, warnings: string[] = []): Promise<boolean> {
  let created = false;
  try {
    await client.send(new DescribeStreamSummaryCommand({ StreamName: spec.name }));
  } catch (e) {
    if (errorName(e) !== 'ResourceNotFoundException') throw e;
    try {
      await client.send(new CreateStreamCommand({ StreamName: spec.name, ShardCount: spec.shardCount }));
      created = true;
    } catch (ce) {
      if (errorName(ce) !== 'ResourceInUseException') throw ce;
    }
  }
  const state = await waitActive(client, spec.name);
  if (!created && state.shards !== spec.shardCount) {
    warnings.push(
      `Kinesis stream ${spec.name} has ${state.shards} open shards from persisted data; the template asks for ${spec.shardCount} (left as is)`,
    );
  }
  let wanted = Math.max(24, spec.retentionHours ?? 24);
  if (wanted > KINESALITE_MAX_RETENTION_HOURS) {
    warnings.push(
      `Kinesis stream ${spec.name}: retention ${wanted} h is capped at ${KINESALITE_MAX_RETENTION_HOURS} h locally (kinesalite's limit)`,
    );
    wanted = KINESALITE_MAX_RETENTION_HOURS;
  }
  if (wanted > state.retention) {
    await client.send(new IncreaseStreamRetentionPeriodCommand({ StreamName: spec.name, RetentionPeriodHours: wanted }));
    await waitActive(client, spec.name);
  } else if (wanted < state.retention) {
    await client.send(new DecreaseStreamRetentionPeriodCommand({ StreamName: spec.name, RetentionPeriodHours: wanted }));
    await waitActive(client, spec.name);
  }
  return created;
}

/** Starts kinesalite in-process on 127.0.0.1 and creates the given streams idempotently. */
export async function startKinesis(options: KinesisServiceOptions = {}): Promise<RunningKinesis> {
  const port = options.port ?? DEFAULT_PORTS.kinesis;
  const service = 'Kinesis (kinesalite)';
  await assertPortFree(port, service);
  if (options.persistDir) fs.mkdirSync(options.persistDir, { recursive: true });
  const server: http.Server = kinesalite({
    path: options.persistDir,
    createStreamMs: 0,
    deleteStreamMs: 0,
    updateStreamMs: 0,
    shardLimit: 10000,
    ssl: false,
  });
  const bound = await listen(server, port, service);
  const endpoint = `http://${LOCAL_HOST}:${bound}`;
  const client = new KinesisClient(localClientConfig(endpoint, options.region));
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    client.destroy();
    await closeHttpServer(server);
  };
  try {
    const warnings: string[] = [];
    const streams: Array<{ name: string; created: boolean }> = [];
    for (const spec of options.streams ?? []) {
      streams.push({ name: spec.name, created: await ensureStream(client, spec, warnings) });
    }
    return { endpoint, port: bound, client, streams, warnings, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
