import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { restApiModels } from './apigateway/model';
import { athenaCatalogFromTemplate, AthenaService, DuckDbAthena, startAthena } from './athena';
import { applyBucketDeployment, bucketDeploymentsFromTemplate } from './deployments';
import { schedulesFromTemplate, startSchedules, type RunningSchedules } from './scheduler';
import { LocalRestApi, startRestApi, type IntegrationOutcome } from './apigateway/server';
import { cognitoTokenCheck } from './apigateway/cognito-authorizer';
import { managedLoginHandler } from './cognito/managed-login';
import { ensureDemoUsers, startCognito, userPoolsFromTemplate, type DemoUser, type RunningCognito } from './cognito';
import { FileCheckpointStore, KinesisEventSourceMapping, MemoryCheckpointStore, jsonLinesDestinationFor } from './esm';
import type { KinesisEventSourceMappingProperties, StreamInvokeFn } from './esm/types';
import { deliveryStreamsFromTemplate, startDeliveryStreams, type RunningDeliveryStreams } from './firehose';
import { LocalFunction } from './lambda';
import { loadBalancersFromTemplate, startLoadBalancer, type LocalLoadBalancer } from './loadbalancer';
import {
  assertPortFree,
  dynamoTablesFromTemplate,
  findFreePortBlock,
  findJava,
  isPortOpen,
  JavaNotFoundError,
  kinesisStreamsFromTemplate,
  LOCAL_CREDENTIALS,
  LOCAL_HOST,
  LOCAL_REGION,
  s3BucketsFromTemplate,
  secretsFromTemplate,
  startDynamoDb,
  startKinesis,
  startS3,
  startSecretsManager,
  snsTopicsFromTemplate,
  startSns,
  startFaultProxy,
  type FaultProxy,
  type RunningDynamoDb,
  type RunningKinesis,
  type RunningS3,
  type RunningSecretsManager,
} from './services';
import { stageConfig } from '../lib/config/stage-config';
import { DASHBOARD_SCOPES } from '../lib/constructs/dashboard';
import { buildDashboard } from '../dashboard/build';
import { startDashboardServer } from './dashboard/server';
import { ensureSynth } from './synth';
import {
  eventSourceMappings,
  formatUnsupportedReport,
  lambdaFunctions,
  loadCloudAssembly,
  TemplateResolver,
  unsupportedResourceTypes,
  type EventSourceMappingSpec,
  type LambdaFunctionSpec,
} from './template';

/** Resource types the local runtime brings up, or that need no local counterpart to behave alike. */
export const SUPPORTED_TYPES = [
  'AWS::Kinesis::Stream',
  'AWS::DynamoDB::Table',
  'AWS::S3::Bucket',
  'AWS::SecretsManager::Secret',
  'AWS::Lambda::Function',
  'AWS::Lambda::EventSourceMapping',
  'AWS::KinesisFirehose::DeliveryStream',
  'AWS::ApiGateway::RestApi',
  'AWS::ApiGateway::Resource',
  'AWS::ApiGateway::Method',
  'AWS::ApiGateway::Deployment',
  'AWS::ApiGateway::Stage',
  'AWS::ApiGateway::ApiKey',
  'AWS::ApiGateway::UsagePlan',
  'AWS::ApiGateway::UsagePlanKey',
  'AWS::ApiGateway::Authorizer',
  'AWS::Cognito::UserPool',
  'AWS::Cognito::UserPoolGroup',
  'AWS::Cognito::UserPoolClient',
  'AWS::Cognito::UserPoolDomain',
  'AWS::WAFv2::WebACL',
  'AWS::WAFv2::WebACLAssociation',
  'AWS::SNS::Topic',
  'AWS::Glue::Database',
  'AWS::Glue::Table',
  'AWS::Athena::WorkGroup',
  'AWS::Athena::NamedQuery',
  'AWS::Scheduler::Schedule',
  // The ingest load balancer (stage config `ingest.frontDoor: alb`), served on loopback; its VPC
  // (public subnets, routes, security group) needs no counterpart there.
  'AWS::ElasticLoadBalancingV2::LoadBalancer',
  'AWS::ElasticLoadBalancingV2::Listener',
  'AWS::ElasticLoadBalancingV2::ListenerRule',
  'AWS::ElasticLoadBalancingV2::TargetGroup',
  'AWS::EC2::VPC',
  'AWS::EC2::Subnet',
  'AWS::EC2::RouteTable',
  'AWS::EC2::SubnetRouteTableAssociation',
  'AWS::EC2::Route',
  'AWS::EC2::InternetGateway',
  'AWS::EC2::VPCGatewayAttachment',
  'AWS::EC2::SecurityGroup',
  'Custom::CDKBucketDeployment',
  'AWS::CDK::Metadata',
] as const;

/** Where the runtime publishes its endpoints for scripts, tests and people. */
export interface LocalEndpoints {
  readonly stage: string;
  readonly api: string;
  /**
   * Where producers post (`POST /v1/events`, `/v1/paths`) when the stage's front door is a load
   * balancer (`ingest.frontDoor: alb`): its local stand-in, plain HTTP. Absent with the REST front door
   * (producers post to `api`).
   */
  readonly ingest?: string;
  /** The dashboard, with `/v1/*` routed to the API as the CloudFront distribution does. */
  readonly dashboard: string;
  /** The first producer's key (ingest only, header `x-api-key`); every producer's in `apiKeys`. */
  readonly apiKey: string;
  /** Each producer's API key value, by producer (the key's name without the stage prefix). */
  readonly apiKeys: Readonly<Record<string, string>>;
  /** The Cognito stand-in: people sign in here and read the API with the ID token. */
  readonly cognito: LocalCognitoEndpoints;
  /** One demo user per role (local only: never use these passwords anywhere else). */
  readonly users: readonly DemoUser[];
  readonly kinesis: string;
  readonly dynamodb: string;
  readonly s3: string;
  readonly secretsmanager: string;
  readonly sns: string;
  /** Athena (the calls the reports job makes), over DuckDB and the S3 stand-in's files. */
  readonly athena: string;
  /** Where messages published to SNS topics are kept (JSON lines per topic). */
  readonly snsMessages: string;
  readonly region: string;
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /** Stack outputs, resolved to local names: `{ "uba-dev-data": { "StreamName": "…" } }`. */
  readonly outputs: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /** Where on-failure destinations of event-source mappings are written (JSON lines per queue). */
  readonly failureDestinations: string;
}

/** Where the local user pool answers, as `.local/endpoints.json` lists it. */
export interface LocalCognitoEndpoints {
  /** The cognito-idp API (`AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER`). */
  readonly endpoint: string;
  readonly region: string;
  readonly userPoolId: string;
  /** The tokens' `iss` (`<endpoint>/<userPoolId>`). */
  readonly issuer: string;
  /** App client ids: `cli` (USER_PASSWORD_AUTH) and, when the templates declare it, `dashboard` (code flow). */
  readonly clients: { readonly cli: string; readonly dashboard?: string };
  /** Base URL of the managed-login pages (`/oauth2/authorize`, `/oauth2/token`, `/logout`). */
  readonly managedLogin: string;
}

export interface LocalRuntimeOptions {
  /** Repository root (holds cdk.json). */
  readonly root: string;
  readonly stage: string;
  /** API port; the others take the next nine (kinesis +1, dynamodb +2, s3 +3, secrets manager +4, sns +5, dashboard +6, athena +7, cognito +8, ingest load balancer +9, used only when the stage has one). 0 picks a free block of consecutive ports outside the kernel's ephemeral range. */
  readonly port: number;
  /** Keep data and checkpoints here across restarts; without it every start is empty. */
  readonly persistDir?: string;
  /** Cloud assembly directory. @default `<root>/cdk.out` */
  readonly assemblyDir?: string;
  /** Where endpoints.json and run data go. @default `<root>/.local` */
  readonly localDir?: string;
  readonly log?: (line: string) => void;
  /** Lines of the Lambda functions. @default log */
  readonly functionLog?: (line: string) => void;
  /**
   * For failure tests: functions reach DynamoDB through a proxy whose `failNext` makes chosen
   * operations fail (see `LocalRuntime.dynamodbFaults`). Handlers are unchanged. @default false
   */
  readonly dynamodbFaults?: boolean;
  /**
   * For failure tests: wraps how each event-source mapping invokes its function (e.g. to deliver a
   * batch several times, or to lose a successful response as a crash after the work would).
   * @default - invoke directly
   */
  readonly wrapStreamInvoke?: (functionName: string, invoke: StreamInvokeFn) => StreamInvokeFn;
}

const SERVICES = ['api', 'kinesis', 'dynamodb', 's3', 'secretsmanager', 'sns', 'dashboard', 'athena', 'cognito', 'alb'] as const;
type ServiceName = (typeof SERVICES)[number];

/** Something the runtime started: how to stop it in order, and how to kill it at once if it is a process. */
interface StopItem {
  readonly name: string;
  readonly stop: () => Promise<void>;
  readonly kill?: () => void;
}

/**
 * What every local function's environment adds to its template environment: region, the local
 * credentials and the standard `AWS_ENDPOINT_URL_*` variables pointing the SDK at the stand-ins.
 */
export function functionServiceEnvironment(
  endpoints: Pick<LocalEndpoints, 'kinesis' | 'dynamodb' | 's3' | 'secretsmanager' | 'sns' | 'athena'>,
): Record<string, string> {
  return {
    AWS_REGION: LOCAL_REGION,
    AWS_DEFAULT_REGION: LOCAL_REGION,
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    AWS_ENDPOINT_URL_KINESIS: endpoints.kinesis,
    AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
    AWS_ENDPOINT_URL_S3: endpoints.s3,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: endpoints.secretsmanager,
    AWS_ENDPOINT_URL_SNS: endpoints.sns,
    AWS_ENDPOINT_URL_ATHENA: endpoints.athena,
    // Functions run on Node 24 in Lambda; locally on this machine's Node (20), where the SDK
    // warns that its 2027 releases need Node 22 (see README, "Node versions").
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
}

/** Counters for a status line: what the API took and what reached the lake. */
export interface RuntimeStats {
  readonly requests: number;
  readonly eventsAccepted: number;
  readonly eventsRejected: number;
  readonly lakeObjects: number;
  readonly lakeRecords: number;
  readonly lakeBuffered: number;
  readonly consumerInvocations: number;
}

/** Thrown for a start that cannot go on (no Java, port taken, bad template); the message says what to do. */
export class LocalRuntimeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LocalRuntimeError';
  }
}

/**
 * Picks the ports: consecutive from `port`, each checked free first; 0 means a free block chosen
 * outside the kernel's ephemeral range (see {@link findFreePortBlock}).
 */
async function choosePorts(port: number): Promise<Record<ServiceName, number>> {
  const base = port === 0 ? await findFreePortBlock(SERVICES.length) : port;
  const out = {} as Record<ServiceName, number>;
  for (const [i, name] of SERVICES.entries()) {
    await assertPortFree(base + i, name === 'api' ? 'the local API (--port)' : `local ${name} (--port + ${i})`);
    out[name] = base + i;
  }
  return out;
}

/** The mapping's settings as the stand-in takes them, from the resolved template resource. */
export function esmProperties(spec: EventSourceMappingSpec): KinesisEventSourceMappingProperties {
  const position = spec.startingPosition ?? 'LATEST';
  if (position !== 'LATEST' && position !== 'TRIM_HORIZON' && position !== 'AT_TIMESTAMP') {
    throw new LocalRuntimeError(`event-source mapping ${spec.logicalId}: StartingPosition ${position} is not valid for Kinesis`);
  }
  return {
    BatchSize: spec.batchSize,
    MaximumBatchingWindowInSeconds: spec.maximumBatchingWindowInSeconds,
    StartingPosition: position,
    StartingPositionTimestamp: spec.startingPositionTimestamp,
    TumblingWindowInSeconds: spec.tumblingWindowInSeconds,
    FunctionResponseTypes: spec.functionResponseTypes,
    BisectBatchOnFunctionError: spec.bisectBatchOnFunctionError,
    MaximumRetryAttempts: spec.maximumRetryAttempts,
    MaximumRecordAgeInSeconds: spec.maximumRecordAgeInSeconds,
    DestinationConfig: spec.onFailure ? { OnFailure: { Destination: spec.onFailure.arn } } : undefined,
    ParallelizationFactor: spec.parallelizationFactor,
    Enabled: spec.enabled,
  };
}

/**
 * The producers' keys of a load-balancer front door: the ingest function's `PRODUCER_KEY_SECRETS`
 * (`producer=<secret ARN>,…`) with each secret's value from the Secrets Manager stand-in.
 */
function producerSecretKeys(specs: readonly LambdaFunctionSpec[], secrets: RunningSecretsManager): Record<string, string> {
  const declared = specs.flatMap((spec) => (spec.environment.PRODUCER_KEY_SECRETS ? [spec.environment.PRODUCER_KEY_SECRETS] : []));
  if (declared.length !== 1) throw new LocalRuntimeError(`expected one function with PRODUCER_KEY_SECRETS, found ${declared.length}`);
  const keys: Record<string, string> = {};
  for (const pair of declared[0].split(',')) {
    const at = pair.indexOf('=');
    const arn = pair.slice(at + 1);
    const secret = secrets.secrets.find((s) => s.arn === arn);
    if (at < 1 || !secret) throw new LocalRuntimeError(`PRODUCER_KEY_SECRETS names ${pair}, which is no secret of the templates`);
    keys[pair.slice(0, at)] = secret.secretString;
  }
  return keys;
}

/** Adds the `accepted`/`rejected` counts of an ingest answer (a proxy result with a JSON body) to the counters. */
function countEvents(payload: unknown, counters: { accepted: number; rejected: number }): void {
  if (typeof payload !== 'object' || payload === null) return;
  const body = (payload as { body?: unknown }).body;
  if (typeof body !== 'string' || !body.startsWith('{"accepted"')) return;
  try {
    const parsed = JSON.parse(body) as { accepted?: unknown; rejected?: unknown };
    if (typeof parsed.accepted === 'number') counters.accepted += parsed.accepted;
    if (typeof parsed.rejected === 'number') counters.rejected += parsed.rejected;
  } catch {
    // Not an ingest answer: nothing to count.
  }
}

/**
 * The whole pipeline of one stage on this machine: synthesizes (or reuses) the app, reads its
 * templates, starts kinesalite, DynamoDB Local, s3rver and a Secrets Manager stand-in with the
 * declared resources, runs every Lambda from its bundled asset in its own process, feeds stream
 * consumers through the event-source-mapping stand-in, archives the stream through the Firehose
 * stand-in and serves the REST API. `stop()` ends every process and server it started.
 */
export class LocalRuntime {
  readonly endpoints: LocalEndpoints;
  readonly unsupported: readonly string[];
  readonly functions: ReadonlyMap<string, LocalFunction>;
  readonly mappings: readonly KinesisEventSourceMapping[];
  readonly s3: RunningS3;
  readonly kinesis: RunningKinesis;
  readonly dynamodb: RunningDynamoDb;
  readonly resolver: TemplateResolver;
  /** Present with `dynamodbFaults`: arms failures of DynamoDB operations the functions call. */
  readonly dynamodbFaults?: FaultProxy;
  private readonly delivery: RunningDeliveryStreams;
  private readonly counters: { requests: number; accepted: number; rejected: number };
  private readonly stopList: StopItem[];
  private readonly killList: Array<() => void>;
  private readonly ports: Readonly<Record<ServiceName, number>>;
  private stopping?: Promise<void>;

  private constructor(init: {
    endpoints: LocalEndpoints;
    unsupported: string[];
    functions: Map<string, LocalFunction>;
    mappings: KinesisEventSourceMapping[];
    s3: RunningS3;
    kinesis: RunningKinesis;
    dynamodb: RunningDynamoDb;
    resolver: TemplateResolver;
    dynamodbFaults?: FaultProxy;
    delivery: RunningDeliveryStreams;
    counters: { requests: number; accepted: number; rejected: number };
    stopList: StopItem[];
    ports: Record<ServiceName, number>;
  }) {
    this.delivery = init.delivery;
    this.dynamodbFaults = init.dynamodbFaults;
    this.counters = init.counters;
    this.endpoints = init.endpoints;
    this.unsupported = init.unsupported;
    this.functions = init.functions;
    this.mappings = init.mappings;
    this.s3 = init.s3;
    this.kinesis = init.kinesis;
    this.dynamodb = init.dynamodb;
    this.resolver = init.resolver;
    this.stopList = init.stopList;
    this.killList = init.stopList.flatMap((item) => (item.kill ? [item.kill] : []));
    this.ports = init.ports;
  }

  /** Starts everything; on any failure stops what was already started and rejects. */
  static async start(options: LocalRuntimeOptions): Promise<LocalRuntime> {
    const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
    const functionLog = options.functionLog ?? log;
    const localDir = options.localDir ?? path.join(options.root, '.local');
    const assemblyDir = options.assemblyDir ?? path.join(options.root, 'cdk.out');
    const stopList: StopItem[] = [];
    const stopAll = async () => {
      for (const item of stopList.splice(0).reverse()) {
        try {
          await item.stop();
        } catch (error) {
          log(`stopping ${item.name}: ${(error as Error).message}`);
        }
      }
    };

    try {
      if (!findJava()) throw new LocalRuntimeError(new JavaNotFoundError().message);
      const ports = await choosePorts(options.port);
      const stage = stageConfig(options.stage);

      const synth = await ensureSynth(options.root, assemblyDir, options.stage, log);
      log(
        `cloud assembly: ${synth === 'reused' ? 'up to date, reused' : 'synthesized'} (${path.relative(options.root, assemblyDir) || assemblyDir})`,
      );
      const assembly = loadCloudAssembly(assemblyDir);
      const resolver = TemplateResolver.fromAssembly(assembly, { region: LOCAL_REGION });
      const stackPrefix = `uba-${options.stage}-`;
      const foreign = resolver.stackNames().filter((n) => !n.startsWith(stackPrefix));
      if (foreign.length > 0)
        throw new LocalRuntimeError(
          `the cloud assembly in ${assemblyDir} holds stacks of another stage (${foreign.join(', ')}); delete it and start again`,
        );

      const unsupported = formatUnsupportedReport(unsupportedResourceTypes(resolver, SUPPORTED_TYPES));

      // Data directories: under --persist they survive; otherwise a fresh run directory each start.
      const dataDir = options.persistDir ? path.resolve(options.persistDir) : path.join(localDir, 'run');
      if (!options.persistDir) fs.rmSync(dataDir, { recursive: true, force: true });
      fs.mkdirSync(dataDir, { recursive: true });
      const persist = (sub: string) => (options.persistDir ? path.join(dataDir, sub) : undefined);

      // The dashboard bundle (esbuild, its own process) and DynamoDB Local (a JVM that takes seconds
      // to boot) are built and booted while the in-process services start.
      const dashboardBuild = buildDashboard(path.join(dataDir, 'dashboard'));
      dashboardBuild.catch(() => undefined); // awaited (and reported) below
      const dynamodbStarting = startDynamoDb({
        port: ports.dynamodb,
        persistDir: persist('dynamodb'),
        tables: dynamoTablesFromTemplate(resolver),
        region: LOCAL_REGION,
      });
      let dynamodbUp: RunningDynamoDb | undefined;
      dynamodbStarting.then(
        (d) => (dynamodbUp = d),
        () => undefined, // rejected: awaited (and reported) below
      );
      stopList.push({
        name: 'dynamodb',
        stop: async () => (await dynamodbStarting.catch(() => undefined))?.stop(),
        kill: () => dynamodbUp?.kill(),
      });
      const kinesis = await startKinesis({
        port: ports.kinesis,
        persistDir: persist('kinesis'),
        streams: kinesisStreamsFromTemplate(resolver),
        region: LOCAL_REGION,
      });
      stopList.push({ name: 'kinesis', stop: () => kinesis.stop() });
      const s3 = await startS3({
        port: ports.s3,
        directory: path.join(dataDir, 's3'),
        buckets: s3BucketsFromTemplate(resolver),
        region: LOCAL_REGION,
      });
      stopList.push({ name: 's3', stop: () => s3.stop() });
      // Bucket deployments (e.g. the commodity dimension under dim/commodity/), as on stack create.
      const deployments = bucketDeploymentsFromTemplate(resolver, assemblyDir);
      for (const skipped of deployments.skipped) log(`bucket deployment not run locally: ${skipped}`);
      for (const deployment of deployments.deployments) await applyBucketDeployment(s3.client, deployment);
      // Athena and Glue: the templates' tables, workgroups and named queries, over DuckDB.
      const athenaCatalog = athenaCatalogFromTemplate(resolver);
      const engine = await DuckDbAthena.create({ s3Dir: s3.directory, s3: s3.client, tables: athenaCatalog.tables });
      stopList.push({ name: 'athena engine', stop: async () => engine.close() });
      const athena = await startAthena(new AthenaService({ catalog: athenaCatalog, engine, s3: s3.client }), ports.athena);
      stopList.push({ name: 'athena', stop: () => athena.stop() });
      const secrets: RunningSecretsManager = await startSecretsManager({
        port: ports.secretsmanager,
        secrets: secretsFromTemplate(resolver),
        persistDir: persist('secrets'),
      });
      stopList.push({ name: 'secretsmanager', stop: () => secrets.stop() });
      const snsDir = path.join(dataDir, 'sns');
      const sns = await startSns({ port: ports.sns, topicArns: snsTopicsFromTemplate(resolver), dir: snsDir });
      stopList.push({ name: 'sns', stop: () => sns.stop() });
      // People: the Cognito stand-in with the templates' user pool, groups and app clients, and one demo user per role
      // (its signing key and password hashes take a second of CPU: done while DynamoDB Local boots).
      const userPools = userPoolsFromTemplate(resolver);
      if (userPools.length !== 1)
        throw new LocalRuntimeError(`expected one Cognito user pool in stage ${options.stage}, found ${userPools.length}`);
      const cognito: RunningCognito = await startCognito({
        port: ports.cognito,
        pools: userPools,
        stateFile: path.join(dataDir, 'cognito.json'),
      });
      stopList.push({ name: 'cognito', stop: () => cognito.stop() });
      const pool = cognito.pools.get(userPools[0].userPoolId);
      if (!pool) throw new LocalRuntimeError('the local user pool did not start');
      const users = ensureDemoUsers(pool, path.join(dataDir, 'demo-users.json'));
      // The managed-login pages (the dashboard's sign-in) on the stand-in's port, as on the pool's domain.
      if (!cognito.loginBackend) throw new LocalRuntimeError('the local user pool has no managed-login backend');
      cognito.mount(managedLoginHandler(cognito.loginBackend));
      const cliClient = pool.spec.clients.find((c) => c.explicitAuthFlows.includes('ALLOW_USER_PASSWORD_AUTH'));
      if (!cliClient) throw new LocalRuntimeError('the user pool has no app client with USER_PASSWORD_AUTH (the cli client)');
      const dashboardClient = pool.spec.clients.find((c) => c.allowedOAuthFlows.includes('code'));
      if (!dashboardClient) throw new LocalRuntimeError('the user pool has no app client with the code flow (the dashboard client)');

      const dynamodb = await dynamodbStarting;
      for (const warning of [...kinesis.warnings, ...dynamodb.warnings]) log(`warning: ${warning}`);
      let dynamodbFaults: FaultProxy | undefined;
      if (options.dynamodbFaults) {
        const proxy = await startFaultProxy(dynamodb.endpoint);
        dynamodbFaults = proxy;
        stopList.push({ name: 'dynamodb fault proxy', stop: () => proxy.stop() });
      }

      // Every function in its own process, with its template environment and the local endpoints.
      const serviceEnv = functionServiceEnvironment({
        kinesis: kinesis.endpoint,
        dynamodb: dynamodbFaults?.endpoint ?? dynamodb.endpoint,
        s3: s3.endpoint,
        secretsmanager: secrets.endpoint,
        sns: sns.endpoint,
        athena: athena.endpoint,
      });
      const functions = new Map<string, LocalFunction>();
      const specs: LambdaFunctionSpec[] = lambdaFunctions(resolver);
      for (const spec of specs) {
        if (!spec.assetDir || !spec.handler) {
          log(`function ${spec.logicalId} (${spec.stackName}) has no bundled asset; it is not run locally`);
          continue;
        }
        functions.set(
          spec.functionName,
          new LocalFunction({
            name: spec.functionName,
            assetDir: spec.assetDir,
            handler: spec.handler,
            environment: { ...spec.environment, ...serviceEnv },
            timeoutMs: spec.timeoutSeconds * 1000,
            memoryMb: spec.memoryMb,
            concurrency: spec.reservedConcurrency && spec.reservedConcurrency > 0 ? Math.min(spec.reservedConcurrency, 4) : 2,
            functionArn: spec.functionArn,
            log: functionLog,
          }),
        );
      }
      stopList.push({
        name: 'functions',
        stop: async () => void (await Promise.all([...functions.values()].map((f) => f.stop()))),
        kill: () => {
          for (const f of functions.values()) f.kill();
        },
      });

      // EventBridge Scheduler: each schedule invokes its target function with its input, at its times.
      const schedules: RunningSchedules = startSchedules(schedulesFromTemplate(resolver), async (schedule) => {
        const spec = specs.find((f) => f.functionArn === schedule.targetArn);
        const fn = spec ? functions.get(spec.functionName) : undefined;
        if (!fn) {
          log(`schedule ${schedule.name}: target ${schedule.targetArn} is not a local function`);
          return;
        }
        log(`schedule ${schedule.name}: invoking ${fn.name}`);
        const result = await fn.invoke(JSON.parse(schedule.input) as unknown);
        if (!result.ok) log(`schedule ${schedule.name}: ${fn.name} failed: ${result.error.errorType}: ${result.error.errorMessage}`);
      });
      for (const [name, at] of schedules.next) log(`schedule ${name}: next run ${at.toISOString()}`);
      stopList.push({ name: 'schedules', stop: async () => schedules.stop() });

      // Stream consumers.
      const failureDir = path.join(dataDir, 'failures');
      const mappings: KinesisEventSourceMapping[] = [];
      for (const spec of eventSourceMappings(resolver)) {
        if (!spec.enabled) continue;
        const fn = functions.get(spec.functionName);
        if (spec.source?.kind !== 'kinesis' || !spec.source.name || !fn) {
          throw new LocalRuntimeError(
            `event-source mapping ${spec.logicalId}: only Kinesis sources to functions of this app run locally (source ${spec.source?.arn ?? 'unknown'})`,
          );
        }
        const mapping = new KinesisEventSourceMapping({
          id: spec.uuid,
          streamName: spec.source.name,
          eventSourceArn: spec.source.arn,
          properties: esmProperties(spec),
          functionName: spec.functionName,
          invoke: options.wrapStreamInvoke
            ? options.wrapStreamInvoke(spec.functionName, (event) => fn.invoke(event))
            : (event) => fn.invoke(event),
          client: kinesis.client,
          region: LOCAL_REGION,
          checkpoints: options.persistDir ? new FileCheckpointStore(path.join(dataDir, 'esm')) : new MemoryCheckpointStore(),
          onFailure: spec.onFailure ? jsonLinesDestinationFor(failureDir, spec.onFailure.arn) : undefined,
          log,
        });
        await mapping.start();
        mappings.push(mapping);
      }
      // Stop consumers before the functions they invoke.
      stopList.push({ name: 'event-source mappings', stop: async () => void (await Promise.all(mappings.map((m) => m.stop()))) });

      // The lake.
      const firehose = deliveryStreamsFromTemplate(resolver);
      for (const skipped of firehose.skipped) log(`firehose ${skipped.logicalId}: not run locally: ${skipped.reason}`);
      const delivery: RunningDeliveryStreams = await startDeliveryStreams({
        specs: firehose.streams,
        kinesis: kinesis.client,
        s3: s3.client,
        persistDir: persist('firehose'),
        log: (level, message) => (level === 'info' ? undefined : log(`[firehose] ${message}`)),
      });
      stopList.push({ name: 'firehose', stop: () => delivery.stop() });

      // The API, with local producer keys that stay the same across restarts with --persist.
      const models = restApiModels(resolver);
      if (models.length !== 1) throw new LocalRuntimeError(`expected one REST API in stage ${options.stage}, found ${models.length}`);
      const model = models[0];
      for (const s of model.skipped) log(`api: ${s}`);
      const keyFile = path.join(dataDir, 'api-keys.json');
      const savedKeys = fs.existsSync(keyFile) ? (JSON.parse(fs.readFileSync(keyFile, 'utf8')) as Record<string, string>) : {};
      const keyValues: Record<string, string> = {};
      for (const key of model.keys) keyValues[key.name] = savedKeys[key.name] ?? `local-${randomBytes(16).toString('hex')}`;
      fs.writeFileSync(keyFile, JSON.stringify(keyValues));
      // The ingest load balancer, when the stage's front door is one: producers' keys are then its
      // function's Secrets Manager secrets (PRODUCER_KEY_SECRETS), not API Gateway keys.
      const loadBalancers = loadBalancersFromTemplate(resolver, new Set(specs.map((spec) => spec.functionArn)));
      if (loadBalancers.length > 1)
        throw new LocalRuntimeError(`expected at most one load balancer in stage ${options.stage}, found ${loadBalancers.length}`);
      const producerName = (keyName: string) => (keyName.startsWith(stackPrefix) ? keyName.slice(stackPrefix.length) : keyName);
      const apiKeys: Record<string, string> =
        loadBalancers.length === 1
          ? producerSecretKeys(specs, secrets)
          : Object.fromEntries(model.keys.map((k) => [producerName(k.name), keyValues[k.name]]));
      const [apiKey] = Object.values(apiKeys);
      if (apiKey === undefined) throw new LocalRuntimeError(`stage ${options.stage} declares no producer key`);
      const counters = { requests: 0, accepted: 0, rejected: 0 };
      const invokeFunction = async (name: string, event: unknown): Promise<IntegrationOutcome> => {
        const fn = functions.get(name);
        if (!fn) return { ok: false, timedOut: false, message: `no local function ${name}` };
        const result = await fn.invoke(event);
        counters.requests += 1;
        if (result.ok) countEvents(result.payload, counters);
        return result.ok
          ? { ok: true, payload: result.payload }
          : { ok: false, timedOut: result.kind === 'timeout', message: `${result.error.errorType}: ${result.error.errorMessage}` };
      };
      const api: LocalRestApi = await startRestApi(
        {
          restApiId: model.restApiId,
          stageName: model.stageName,
          accountId: resolver.accountId,
          routes: model.routes,
          apiKeys: model.keys.map((k) => ({ id: k.id, value: keyValues[k.name], throttle: k.throttle })),
          checkToken: cognitoTokenCheck(
            [...cognito.pools.values()].map((p) => ({
              arn: p.spec.arn,
              issuer: p.issuer,
              clientIds: p.spec.clients.map((c) => c.clientId),
            })),
          ),
          stageThrottle: model.stageThrottle,
          binaryMediaTypes: model.binaryMediaTypes,
          ...(model.firewall !== undefined ? { firewall: model.firewall } : {}),
          invoke: invokeFunction,
          log,
        },
        ports.api,
      );
      let loadBalancer: LocalLoadBalancer | undefined;
      if (loadBalancers.length === 1) {
        const started = await startLoadBalancer(
          {
            model: loadBalancers[0],
            functionName: (arn) => specs.find((spec) => spec.functionArn === arn)?.functionName,
            invoke: invokeFunction,
            log,
          },
          ports.alb,
        );
        loadBalancer = started;
        stopList.push({ name: 'load balancer', stop: () => started.stop() });
      }
      // Stop taking requests first.
      stopList.push({ name: 'api', stop: () => api.stop() });

      // The dashboard, as its CloudFront distribution serves it: files, config.json, /v1/* to the API.
      const dist = await dashboardBuild;
      const dashboard = await startDashboardServer({
        port: ports.dashboard,
        distDir: dist.outDir,
        apiBase: api.url,
        config: {
          apiBase: '/v1',
          title: `User behaviour (${options.stage}, local)`,
          stage: options.stage,
          timeZone: stage.timeZone,
          refreshSeconds: stage.analytics.dashboardRefreshSeconds,
          auth: { domain: cognito.endpoint, clientId: dashboardClient.clientId, scopes: DASHBOARD_SCOPES.map((s) => s.scopeName) },
        },
        signInOrigin: cognito.endpoint,
      });
      stopList.push({ name: 'dashboard', stop: () => dashboard.stop() });
      // The templates' callback URLs name the deployed dashboard; locally it is served here.
      pool.allowLocalRedirect(`${dashboard.url}/`);

      const outputs: Record<string, Record<string, string>> = {};
      for (const stackName of resolver.stackNames()) {
        for (const output of resolver.outputs(stackName)) {
          if (output.value !== undefined) (outputs[stackName] ??= {})[output.outputName] = output.value;
        }
      }
      const endpoints: LocalEndpoints = {
        stage: options.stage,
        api: api.url,
        ...(loadBalancer ? { ingest: loadBalancer.url } : {}),
        dashboard: dashboard.url,
        apiKey,
        apiKeys,
        cognito: {
          endpoint: cognito.endpoint,
          region: LOCAL_REGION,
          userPoolId: pool.spec.userPoolId,
          issuer: pool.issuer,
          clients: { cli: cliClient.clientId, dashboard: dashboardClient.clientId },
          managedLogin: cognito.endpoint,
        },
        users,
        kinesis: kinesis.endpoint,
        dynamodb: dynamodb.endpoint,
        s3: s3.endpoint,
        secretsmanager: secrets.endpoint,
        sns: sns.endpoint,
        athena: athena.endpoint,
        snsMessages: snsDir,
        region: LOCAL_REGION,
        credentials: { ...LOCAL_CREDENTIALS },
        outputs,
        failureDestinations: failureDir,
      };
      fs.mkdirSync(localDir, { recursive: true });
      fs.writeFileSync(path.join(localDir, 'endpoints.json'), `${JSON.stringify(endpoints, null, 2)}\n`);

      const bound = {
        ...ports,
        api: api.port,
        dashboard: dashboard.port,
        kinesis: kinesis.port,
        dynamodb: dynamodb.port,
        s3: s3.port,
        secretsmanager: secrets.port,
        sns: sns.port,
        athena: athena.port,
        cognito: cognito.port,
        // 0: not started (the stage's front door is the REST API).
        alb: loadBalancer?.port ?? 0,
      };
      return new LocalRuntime({
        endpoints,
        unsupported,
        functions,
        mappings,
        s3,
        kinesis,
        dynamodb,
        resolver,
        dynamodbFaults,
        delivery,
        counters,
        stopList,
        ports: bound,
      });
    } catch (error) {
      await stopAll();
      throw error;
    }
  }

  /**
   * Flushes every Firehose buffer now, as the buffering interval would (tests use it so they need
   * not wait the interval out); resolves when the objects are written.
   */
  async flushLake(): Promise<void> {
    await Promise.all(this.delivery.streams.map((d) => d.flush()));
  }

  /** A snapshot of the counters. */
  stats(): RuntimeStats {
    const lake = this.delivery.streams.map((d) => d.stats());
    return {
      requests: this.counters.requests,
      eventsAccepted: this.counters.accepted,
      eventsRejected: this.counters.rejected,
      lakeObjects: lake.reduce((n, d) => n + d.deliveredObjects, 0),
      lakeRecords: lake.reduce((n, d) => n + d.deliveredRecords, 0),
      lakeBuffered: lake.reduce((n, d) => n + d.bufferedRecords, 0),
      consumerInvocations: this.mappings.reduce((n, m) => n + m.status().reduce((k, shard) => k + shard.invocations, 0), 0),
    };
  }

  /**
   * Ends every child process (DynamoDB Local, the functions' execution environments) at once with
   * SIGKILL, for a forced exit; in-process servers end with the process. Data in flight is lost.
   */
  kill(): void {
    for (const kill of this.killList) kill();
  }

  /** The runtime's services that still accept connections on their ports (none after `stop()`). */
  async listeningPorts(): Promise<Array<{ service: ServiceName; port: number }>> {
    const open = await Promise.all(
      SERVICES.map(async (service) =>
        this.ports[service] !== 0 && (await isPortOpen(this.ports[service], LOCAL_HOST, 500))
          ? [{ service, port: this.ports[service] }]
          : [],
      ),
    );
    return open.flat();
  }

  /** Stops the API, consumers, Firehose (flushing its buffers), functions and services, in that order. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      for (const item of this.stopList.splice(0).reverse()) {
        await item.stop();
      }
    })();
    return this.stopping;
  }
}
