/**
 * Reads what the cost model needs from the synthesized templates of one stage: stream mode,
 * shards and retention, who reads the stream, Firehose buffering and conversion, every Lambda
 * function's memory, architecture and timeout with what drives it, event-source mappings,
 * DynamoDB billing, log groups and their retention, the API, WAF, CloudFront, Athena, schedules,
 * alarms, dashboards, Cognito pools, secrets, topics and queues. Every resource type must be
 * priced or listed as free in {@link RESOURCE_PRICING}; an unknown type fails the read.
 */
import * as fs from 'fs';
import * as path from 'path';
import { TemplateResolver, type ResourceRecord } from '../../local/template/resolver';
import { isJsonObject, type JsonObject, type JsonValue, type StackTemplate } from '../../local/template/types';

/** How the model treats a resource type: priced (by the named part of the model) or free, with why. */
export type Pricing = { readonly priced: string } | { readonly free: string };

/**
 * Every resource type the stages' templates may hold. A type billed per use or per month must be
 * `priced` (the model turns it into money); a type that costs nothing by itself is `free` with the
 * reason. A template with any other type fails to read, so a new resource is never silently free.
 */
export const RESOURCE_PRICING: Readonly<Record<string, Pricing>> = {
  'AWS::ApiGateway::RestApi': { priced: 'API: requests (tiered), detailed metrics, data out' },
  'AWS::ApiGateway::Stage': { priced: 'API: access logs (CloudWatch) and detailed metrics of the stage' },
  'AWS::ApiGateway::Method': { priced: 'API: each method counts detailed metrics when the stage turns them on' },
  'AWS::ApiGateway::Account': { free: 'account setting (the CloudWatch role)' },
  'AWS::ApiGateway::ApiKey': { free: 'API keys cost nothing' },
  'AWS::ApiGateway::Authorizer': { free: 'authorizers cost nothing themselves (a Lambda authorizer is priced as its function)' },
  'AWS::ApiGateway::Deployment': { free: 'configuration' },
  'AWS::ApiGateway::Resource': { free: 'configuration' },
  'AWS::ApiGateway::UsagePlan': { free: 'configuration' },
  'AWS::ApiGateway::UsagePlanKey': { free: 'configuration' },
  'AWS::ApiGateway::GatewayResponse': { free: 'configuration' },
  'AWS::ApiGateway::Model': { free: 'configuration' },
  'AWS::ApiGateway::RequestValidator': { free: 'configuration' },
  'AWS::ApiGatewayV2::Api': { priced: 'API: HTTP API requests' },
  'AWS::ApiGatewayV2::Stage': { priced: 'API: access logs of the stage' },
  'AWS::ApiGatewayV2::Route': { free: 'configuration' },
  'AWS::ApiGatewayV2::Integration': { free: 'configuration' },
  'AWS::ApiGatewayV2::Authorizer': { free: 'authorizers cost nothing themselves (a Lambda authorizer is priced as its function)' },
  'AWS::ElasticLoadBalancingV2::LoadBalancer': { priced: 'front door: load balancer hours, LCUs, its public IPv4 addresses' },
  'AWS::ElasticLoadBalancingV2::Listener': { free: 'configuration (rule evaluations are priced as LCUs of the load balancer)' },
  'AWS::ElasticLoadBalancingV2::ListenerRule': { free: 'configuration (rule evaluations are priced as LCUs of the load balancer)' },
  'AWS::ElasticLoadBalancingV2::TargetGroup': { free: 'configuration (a Lambda target is priced as its function)' },
  'AWS::EC2::VPC': {
    free: 'a VPC costs nothing by itself (no NAT gateway, endpoint or IPAM here; public IPv4 addresses are priced with the load balancer)',
  },
  'AWS::EC2::Subnet': { free: 'configuration' },
  'AWS::EC2::RouteTable': { free: 'configuration' },
  'AWS::EC2::SubnetRouteTableAssociation': { free: 'configuration' },
  'AWS::EC2::Route': { free: 'configuration' },
  'AWS::EC2::InternetGateway': { free: 'an internet gateway costs nothing (data out is priced per GB with the API answers)' },
  'AWS::EC2::VPCGatewayAttachment': { free: 'configuration' },
  'AWS::EC2::SecurityGroup': { free: 'configuration' },
  'AWS::WAFv2::WebACL': { priced: 'API: web ACL, rules, requests inspected' },
  'AWS::WAFv2::WebACLAssociation': { free: 'association of a priced web ACL' },
  'AWS::Lambda::Function': { priced: 'per function: invocations and GB-seconds from what drives it' },
  'AWS::Lambda::EventSourceMapping': { priced: 'consumers: invocations per batch (stream reads are priced with the stream)' },
  'AWS::Lambda::Permission': { free: 'configuration' },
  'AWS::Lambda::LayerVersion': { free: 'layers cost their (negligible) code storage only' },
  'AWS::Lambda::Url': { free: 'function URLs cost nothing beyond the function' },
  'AWS::Lambda::Version': { free: 'a published version costs nothing beyond its function' },
  'AWS::Lambda::Alias': { free: 'an alias costs nothing beyond its function' },
  'AWS::Kinesis::Stream': { priced: 'Kinesis: stream or shard hours, data in, data out, retention' },
  'AWS::Kinesis::StreamConsumer': { priced: 'Kinesis: enhanced fan-out consumer-shard hours and reads' },
  'AWS::KinesisFirehose::DeliveryStream': { priced: 'Firehose: ingestion (5 KB per record), conversion, partitioning; S3 puts' },
  'AWS::DynamoDB::Table': { priced: 'DynamoDB: request units, storage, point-in-time recovery' },
  'AWS::S3::Bucket': { priced: 'S3: storage by lifecycle class, transitions' },
  'AWS::S3::BucketPolicy': { free: 'configuration' },
  'Custom::CDKBucketDeployment': { free: 'runs at deployment only' },
  'Custom::S3AutoDeleteObjects': { free: 'runs when the stack is deleted only' },
  'AWS::CloudFormation::CustomResource': { free: 'runs at deployment only (its function is listed at zero traffic)' },
  'AWS::Logs::LogGroup': { priced: 'CloudWatch: log ingestion and storage by retention' },
  'AWS::Logs::LogStream': { free: 'log streams cost nothing themselves' },
  'AWS::Logs::MetricFilter': { priced: 'CloudWatch: one custom metric each' },
  'AWS::CloudWatch::Alarm': { priced: 'CloudWatch: per alarm metric' },
  'AWS::CloudWatch::CompositeAlarm': { priced: 'CloudWatch: per composite alarm' },
  'AWS::CloudWatch::Dashboard': { priced: 'CloudWatch: per dashboard' },
  'AWS::CloudFront::Distribution': { priced: 'CloudFront: requests and data out of the dashboard' },
  'AWS::CloudFront::OriginAccessControl': { free: 'configuration' },
  'AWS::CloudFront::OriginRequestPolicy': { free: 'configuration' },
  'AWS::CloudFront::ResponseHeadersPolicy': { free: 'configuration' },
  'AWS::CloudFront::CachePolicy': { free: 'configuration' },
  'AWS::Athena::WorkGroup': { priced: 'Athena: bytes scanned by the daily reports' },
  'AWS::Athena::NamedQuery': { free: 'saved query text' },
  'AWS::Glue::Database': {
    free: 'Data Catalog: the first million objects stored and requests a month are free; partition projection stores no partitions',
  },
  'AWS::Glue::Table': {
    free: 'Data Catalog: the first million objects stored and requests a month are free; partition projection stores no partitions',
  },
  'AWS::Scheduler::Schedule': { priced: 'Other: scheduled invocations (the target function is priced by its runs)' },
  'AWS::Cognito::UserPool': { priced: 'Cognito: monthly active users of the pool tier' },
  'AWS::Cognito::UserPoolClient': { free: 'configuration' },
  'AWS::Cognito::UserPoolDomain': { free: 'the managed login domain costs nothing' },
  'AWS::Cognito::UserPoolGroup': { free: 'configuration' },
  'AWS::Cognito::UserPoolUser': { free: 'users bill as monthly active users of the pool' },
  'AWS::Cognito::UserPoolUserToGroupAttachment': { free: 'configuration' },
  'AWS::Cognito::ManagedLoginBranding': { free: 'configuration' },
  'AWS::Cognito::UserPoolResourceServer': { free: 'configuration' },
  'AWS::Cognito::UserPoolIdentityProvider': { free: 'configuration (federated users bill as monthly active users of the pool)' },
  'AWS::Cognito::UserPoolUICustomizationAttachment': { free: 'configuration' },
  'AWS::SSM::Parameter': { free: 'standard parameters cost nothing' },
  'AWS::Logs::ResourcePolicy': { free: 'configuration' },
  'AWS::SecretsManager::Secret': { priced: 'Other: per secret (reads are once per container)' },
  'AWS::SNS::Topic': { priced: 'Other: publishes (alerts, alarms)' },
  'AWS::SNS::TopicPolicy': { free: 'configuration' },
  'AWS::SNS::Subscription': { free: 'e-mail deliveries of alerts and alarms: the first 1,000 a month are free' },
  'AWS::SQS::Queue': { priced: 'Other: dead-letter queues (requests only on failures)' },
  'AWS::SQS::QueuePolicy': { free: 'configuration' },
  'AWS::IAM::Role': { free: 'IAM costs nothing' },
  'AWS::IAM::Policy': { free: 'IAM costs nothing' },
  'AWS::IAM::ManagedPolicy': { free: 'IAM costs nothing' },
  'AWS::IAM::Group': { free: 'IAM costs nothing' },
  'AWS::IAM::User': { free: 'IAM costs nothing' },
  'AWS::KMS::Key': { priced: 'Other: customer managed key per month' },
  'AWS::KMS::Alias': { free: 'configuration' },
  'AWS::CDK::Metadata': { free: 'CDK version metadata' },
};

/** Resource types of `stacks` that {@link RESOURCE_PRICING} neither prices nor lists as free. */
export function unpricedTypes(stacks: readonly StackTemplate[]): string[] {
  const types = new Set(stacks.flatMap((s) => Object.values(s.template.Resources).map((r) => r.Type)));
  return [...types].filter((t) => RESOURCE_PRICING[t] === undefined).sort();
}

/** Thrown when a template holds a resource type the model does not know. */
export class UnpricedResourceError extends Error {
  override readonly name = 'UnpricedResourceError';
}

export type Architecture = 'arm64' | 'x86_64';

/** What drives a function: the API's ingest or read routes, a stream mapping, a schedule, a deployment, or nothing the model knows. */
export type Driver = 'ingest' | 'read' | 'stream' | 'schedule' | 'deployment' | 'unknown';

export interface FunctionFacts {
  readonly id: string;
  /** Powertools service name (`ingest`, `query`, `realtime`, `windows`, `reports`), else the logical id. */
  readonly service: string;
  readonly memoryMb: number;
  readonly architecture: Architecture;
  readonly timeoutS: number;
  readonly driver: Driver;
  /** The log group it writes to (logical id in its stack), when the template names one. */
  readonly logGroup?: string;
}

export interface MappingFacts {
  /** Service of the function invoked. */
  readonly service: string;
  readonly batchSize: number;
  readonly maxBatchingWindowS: number;
  readonly tumblingWindowS?: number;
  readonly parallelizationFactor: number;
}

export interface StreamFacts {
  readonly mode: 'ON_DEMAND' | 'PROVISIONED';
  /** Shards of a provisioned stream. */
  readonly shards?: number;
  readonly retentionHours: number;
  /** Readers sharing the stream's throughput (Lambda mappings and Firehose delivery streams). */
  readonly sharedReaders: number;
  readonly enhancedFanOutConsumers: number;
}

export interface FirehoseFacts {
  readonly kinesisSource: boolean;
  readonly bufferMiB: number;
  readonly bufferIntervalS: number;
  readonly compression: string;
  readonly formatConversion: boolean;
  readonly dynamicPartitioning: boolean;
  /** Logical id of the destination bucket. */
  readonly bucket?: string;
}

/** Days after which objects move to a class or expire (the lifecycle rule of the lake's raw prefix). */
export interface Lifecycle {
  readonly standardIaAfterDays?: number;
  readonly glacierIrAfterDays?: number;
  readonly expireAfterDays?: number;
}

export interface LogGroupFacts {
  readonly id: string;
  /** Undefined: kept forever. */
  readonly retentionDays?: number;
  /** What writes to it: a function's service, `api-access`, `firehose`, or `other`. */
  readonly writer: string;
}

export interface ApiFacts {
  readonly kind: 'REST' | 'HTTP';
  /** Methods in the API (each adds detailed metrics when they are on). */
  readonly methods: number;
  readonly detailedMetrics: boolean;
  /** The access-log format, when the stage writes access logs. */
  readonly accessLogFormat?: string;
}

/** What the model reads from the templates of one stage. */
/** An Application Load Balancer: where ingest goes when the stage's front door is `alb`. */
export interface LoadBalancerFacts {
  readonly internetFacing: boolean;
  /** Subnets (one per Availability Zone): an internet-facing load balancer holds one public IPv4 address in each. */
  readonly availabilityZones: number;
  /** Listener rules, evaluated per request (the first 10 are free in the LCU's rule dimension). */
  readonly rules: number;
  /** Rules of the web ACL associated with it (0 when none is). */
  readonly webAclRules: number;
}

export interface Deployment {
  readonly stage?: string;
  readonly apis: readonly ApiFacts[];
  readonly loadBalancers: readonly LoadBalancerFacts[];
  /** Producer keys the ingest function reads itself (load-balancer front door): how many, and how often it re-reads them. */
  readonly producerKeys?: { readonly producers: number; readonly cacheSeconds: number };
  readonly waf: { readonly webAcls: number; readonly rules: number };
  readonly functions: readonly FunctionFacts[];
  readonly mappings: readonly MappingFacts[];
  readonly stream?: StreamFacts;
  readonly firehoses: readonly FirehoseFacts[];
  readonly tables: ReadonlyArray<{ readonly billing: 'PAY_PER_REQUEST' | 'PROVISIONED'; readonly pitr: boolean; readonly indexes: number }>;
  /** Lifecycle of the lake's raw objects (`raw/` of the bucket Firehose delivers to). */
  readonly lakeLifecycle: Lifecycle;
  /** Lifecycle of the curated Parquet the daily reports write (`curated/` of the same bucket). */
  readonly curatedLifecycle: Lifecycle;
  readonly logGroups: readonly LogGroupFacts[];
  readonly distributions: number;
  readonly athenaWorkgroups: number;
  /** Runs a month of each schedule, with the service it invokes. */
  readonly schedules: ReadonlyArray<{ readonly runsPerMonth: number; readonly service?: string }>;
  readonly alarms: number;
  /** Metrics the alarms watch, as CloudWatch bills them: one per alarm on a metric, one per metric of a metric-math alarm. */
  readonly alarmMetrics: number;
  readonly dashboards: number;
  readonly metricFilters: number;
  readonly userPools: ReadonlyArray<{ readonly tier: 'LITE' | 'ESSENTIALS' | 'PLUS' }>;
  readonly secrets: number;
  readonly topics: number;
  readonly queues: number;
  readonly kmsKeys: number;
  /** Days the consumers keep real-time results (their `RESULT_RETENTION_DAYS`), when they say. */
  readonly resultRetentionDays?: number;
  /** Seconds between dashboard refreshes, from the deployed `config.json`, when the stage has a dashboard. */
  readonly dashboardRefreshSeconds?: number;
}

const num = (v: JsonValue | undefined, fallback: number): number => {
  const n = typeof v === 'string' ? Number(v) : v;
  return typeof n === 'number' && Number.isFinite(n) ? n : fallback;
};
const str = (v: JsonValue | undefined): string | undefined => (typeof v === 'string' ? v : undefined);
const obj = (v: JsonValue | undefined): JsonObject => (isJsonObject(v) ? v : {});

/** Logical ids `value` points at in its own stack (`Ref` and `Fn::GetAtt`), anywhere inside it. */
function referencedIds(value: JsonValue | undefined): string[] {
  if (Array.isArray(value)) return value.flatMap(referencedIds);
  if (!isJsonObject(value)) return [];
  if (typeof value.Ref === 'string') return [value.Ref];
  const att = value['Fn::GetAtt'];
  if (Array.isArray(att) && typeof att[0] === 'string') return [att[0]];
  return Object.values(value).flatMap(referencedIds);
}

/** Metrics one alarm is billed for: its metric, or each metric (`MetricStat`) a metric-math alarm reads. */
function alarmMetricsOf(properties: JsonObject): number {
  const metrics = properties.Metrics;
  if (!Array.isArray(metrics)) return 1;
  return Math.max(1, metrics.filter((m) => isJsonObject(m) && m.MetricStat !== undefined).length);
}

/** Runs a month (730 h) of a `cron(…)` or `rate(…)` expression; daily when it cannot tell. */
export function runsPerMonth(expression: string): number {
  const days = 730 / 24;
  const rate = /^rate\((\d+)\s+(minute|minutes|hour|hours|day|days)\)$/.exec(expression.trim());
  if (rate) {
    const n = Number(rate[1]);
    const perDay = rate[2].startsWith('minute') ? 1440 / n : rate[2].startsWith('hour') ? 24 / n : 1 / n;
    return perDay * days;
  }
  const cron = /^cron\((\S+)\s+(\S+)\s+(\S+)\s+\S+\s+\S+(?:\s+\S+)?\)$/.exec(expression.trim());
  if (cron) {
    const count = (field: string, size: number): number =>
      field === '*' ? size : field.startsWith('*/') ? size / Number(field.slice(2)) : field.split(',').length;
    const dayOfMonth = cron[3] === '*' || cron[3] === '?' ? 1 : count(cron[3], 30.4) / 30.4;
    return count(cron[1], 60) * count(cron[2], 24) * dayOfMonth * days;
  }
  return days;
}

/** The `config.json` a bucket deployment puts next to the dashboard, read from its staged asset. */
function dashboardRefreshSeconds(resolver: TemplateResolver): number | undefined {
  for (const rec of resolver.resourcesOfType('Custom::CDKBucketDeployment')) {
    const keys = rec.properties.SourceObjectKeys;
    if (!Array.isArray(keys)) continue;
    for (const key of keys) {
      if (typeof key !== 'string') continue;
      const file = path.join(rec.stack.assemblyDir, `asset.${key.replace(/\.zip$/, '')}`, 'config.json');
      if (!fs.existsSync(file)) continue;
      const config = JSON.parse(fs.readFileSync(file, 'utf8')) as { refreshSeconds?: unknown };
      if (typeof config.refreshSeconds === 'number') return config.refreshSeconds;
    }
  }
  return undefined;
}

/**
 * Reads the {@link Deployment} of one stage from its stacks. Throws UnpricedResourceError when a
 * resource type is neither priced nor listed as free.
 */
export function readDeployment(stacks: readonly StackTemplate[]): Deployment {
  const unknown = unpricedTypes(stacks);
  if (unknown.length > 0) {
    throw new UnpricedResourceError(
      `the templates hold resource types the cost model neither prices nor lists as free: ${unknown.join(', ')} (add each to RESOURCE_PRICING in scripts/cost/template.ts and price it in scripts/cost/model.ts)`,
    );
  }
  const resolver = new TemplateResolver(stacks);
  const of = (type: string): ResourceRecord[] => resolver.resourcesOfType(type);
  const key = (r: { stackName: string }, id: string) => `${r.stackName}/${id}`;

  // Stream and who reads it.
  const streams = of('AWS::Kinesis::Stream');
  const streamArns = new Set(streams.map((s) => String(resolver.getAtt(s.stackName, s.logicalId, 'Arn'))));
  const readsStream = (arn: JsonValue | undefined) => typeof arn === 'string' && streamArns.has(arn);

  // Functions: what drives each.
  const drivers = new Map<string, Driver>();
  const functionArn = new Map<string, string>();
  for (const f of of('AWS::Lambda::Function'))
    functionArn.set(String(resolver.getAtt(f.stackName, f.logicalId, 'Arn')), key(f, f.logicalId));
  const functionNamed = new Map<string, string>();
  for (const f of of('AWS::Lambda::Function')) functionNamed.set(resolver.ref(f.stackName, f.logicalId), key(f, f.logicalId));
  const fnOf = (resolved: JsonValue | undefined): string | undefined => {
    if (typeof resolved !== 'string') return undefined;
    for (const [arn, k] of functionArn) if (resolved.includes(arn)) return k;
    return functionNamed.get(resolved);
  };

  const apis: ApiFacts[] = [];
  for (const api of of('AWS::ApiGateway::RestApi')) {
    const methods = of('AWS::ApiGateway::Method').filter(
      (m) => referencedIds(m.properties.RestApiId).includes(api.logicalId) && m.stackName === api.stackName,
    );
    for (const m of methods) {
      const target = fnOf(resolver.resolve(m.stackName, obj(m.properties.Integration).Uri ?? null));
      if (target === undefined) continue;
      const driver: Driver = str(m.properties.HttpMethod) === 'POST' ? 'ingest' : 'read';
      if (drivers.get(target) !== 'ingest') drivers.set(target, driver);
    }
    const stage = of('AWS::ApiGateway::Stage').find(
      (s) => s.stackName === api.stackName && referencedIds(s.properties.RestApiId).includes(api.logicalId),
    );
    const settings = Array.isArray(stage?.properties.MethodSettings) ? stage.properties.MethodSettings.map(obj) : [];
    apis.push({
      kind: 'REST',
      methods: methods.length,
      detailedMetrics: settings.some((s) => s.MetricsEnabled === true || s.MetricsEnabled === 'true'),
      accessLogFormat: str(obj(stage?.properties.AccessLogSetting).Format),
    });
  }
  for (const api of of('AWS::ApiGatewayV2::Api')) {
    for (const i of of('AWS::ApiGatewayV2::Integration').filter(
      (x) => x.stackName === api.stackName && referencedIds(x.properties.ApiId).includes(api.logicalId),
    )) {
      const target = fnOf(resolver.resolve(i.stackName, i.properties.IntegrationUri ?? null));
      if (target !== undefined) drivers.set(target, 'ingest');
    }
    const stage = of('AWS::ApiGatewayV2::Stage').find(
      (s) => s.stackName === api.stackName && referencedIds(s.properties.ApiId).includes(api.logicalId),
    );
    apis.push({ kind: 'HTTP', methods: 0, detailedMetrics: false, accessLogFormat: str(obj(stage?.properties.AccessLogSettings).Format) });
  }

  // Load balancers: a Lambda target group's function takes ingest.
  for (const tg of of('AWS::ElasticLoadBalancingV2::TargetGroup')) {
    if (str(tg.properties.TargetType) !== 'lambda') continue;
    const targets = Array.isArray(tg.properties.Targets) ? tg.properties.Targets.map(obj) : [];
    for (const t of targets) {
      const target = fnOf(resolver.resolve(tg.stackName, t.Id ?? null));
      if (target !== undefined) drivers.set(target, 'ingest');
    }
  }
  const webAcls = of('AWS::WAFv2::WebACL');
  const ruleCount = (acl: ResourceRecord | undefined): number => (Array.isArray(acl?.properties.Rules) ? acl.properties.Rules.length : 0);
  const webAclOf = (resource: ResourceRecord): ResourceRecord | undefined => {
    const association = of('AWS::WAFv2::WebACLAssociation').find(
      (a) => a.stackName === resource.stackName && referencedIds(a.properties.ResourceArn).includes(resource.logicalId),
    );
    if (association === undefined) return undefined;
    const ids = referencedIds(association.properties.WebACLArn);
    return webAcls.find((w) => w.stackName === resource.stackName && ids.includes(w.logicalId));
  };
  const loadBalancers: LoadBalancerFacts[] = of('AWS::ElasticLoadBalancingV2::LoadBalancer').map((lb) => ({
    internetFacing: str(lb.properties.Scheme) !== 'internal',
    availabilityZones: Array.isArray(lb.properties.Subnets) ? lb.properties.Subnets.length : 2,
    rules: of('AWS::ElasticLoadBalancingV2::ListenerRule').filter((r) => r.stackName === lb.stackName).length,
    webAclRules: ruleCount(webAclOf(lb)),
  }));
  const keyFunction = of('AWS::Lambda::Function').find(
    (f) => obj(obj(f.properties.Environment).Variables).PRODUCER_KEY_SECRETS !== undefined,
  );
  const keyVars = obj(obj(keyFunction?.properties.Environment).Variables);
  const keyList = keyFunction === undefined ? undefined : resolver.resolve(keyFunction.stackName, keyVars.PRODUCER_KEY_SECRETS ?? null);
  const producerKeys =
    typeof keyList === 'string'
      ? { producers: keyList.split(',').length, cacheSeconds: num(keyVars.PRODUCER_KEY_CACHE_SECONDS, 300) }
      : undefined;

  const mappingsRaw = of('AWS::Lambda::EventSourceMapping').filter((m) => readsStream(resolver.resolveProperty(m, 'EventSourceArn')));
  for (const m of mappingsRaw) {
    const target = fnOf(resolver.resolveProperty(m, 'FunctionName'));
    if (target !== undefined) drivers.set(target, 'stream');
  }
  const schedulesRaw = of('AWS::Scheduler::Schedule');
  for (const s of schedulesRaw) {
    const target = fnOf(resolver.resolve(s.stackName, obj(s.properties.Target).Arn ?? null));
    if (target !== undefined) drivers.set(target, 'schedule');
  }
  for (const d of resolver.resources().filter((r) => r.type.startsWith('Custom::') || r.type === 'AWS::CloudFormation::CustomResource')) {
    const target = fnOf(resolver.resolveProperty(d, 'ServiceToken'));
    if (target !== undefined && !drivers.has(target)) drivers.set(target, 'deployment');
  }

  const functions: FunctionFacts[] = of('AWS::Lambda::Function').map((f) => {
    const env = obj(obj(f.properties.Environment).Variables);
    const arch = Array.isArray(f.properties.Architectures) ? f.properties.Architectures[0] : undefined;
    const logGroup = referencedIds(obj(f.properties.LoggingConfig).LogGroup)[0];
    return {
      id: key(f, f.logicalId),
      service: str(env.POWERTOOLS_SERVICE_NAME) ?? f.logicalId,
      memoryMb: num(f.properties.MemorySize, 128),
      architecture: arch === 'arm64' ? 'arm64' : 'x86_64',
      timeoutS: num(f.properties.Timeout, 3),
      driver: drivers.get(key(f, f.logicalId)) ?? 'unknown',
      logGroup: logGroup === undefined ? undefined : key(f, logGroup),
    };
  });
  const serviceOf = (fnKey: string | undefined) => functions.find((f) => f.id === fnKey)?.service ?? 'unknown';

  const mappings: MappingFacts[] = mappingsRaw.map((m) => ({
    service: serviceOf(fnOf(resolver.resolveProperty(m, 'FunctionName'))),
    batchSize: num(m.properties.BatchSize, 100),
    maxBatchingWindowS: num(m.properties.MaximumBatchingWindowInSeconds, 0),
    tumblingWindowS: m.properties.TumblingWindowInSeconds === undefined ? undefined : num(m.properties.TumblingWindowInSeconds, 0),
    parallelizationFactor: num(m.properties.ParallelizationFactor, 1),
  }));

  const firehosesRaw = of('AWS::KinesisFirehose::DeliveryStream');
  const firehoses: FirehoseFacts[] = firehosesRaw.map((f) => {
    const dest = obj(f.properties.ExtendedS3DestinationConfiguration);
    const hints = obj(dest.BufferingHints);
    const conversion = obj(dest.DataFormatConversionConfiguration);
    return {
      kinesisSource: str(f.properties.DeliveryStreamType) === 'KinesisStreamAsSource',
      bufferMiB: num(hints.SizeInMBs, 5),
      bufferIntervalS: num(hints.IntervalInSeconds, 300),
      compression: str(dest.CompressionFormat) ?? 'UNCOMPRESSED',
      formatConversion: conversion.Enabled === true || (Object.keys(conversion).length > 0 && conversion.Enabled !== false),
      dynamicPartitioning: obj(dest.DynamicPartitioningConfiguration).Enabled === true,
      bucket: referencedIds(dest.BucketARN)[0],
    };
  });

  let stream: StreamFacts | undefined;
  if (streams.length > 0) {
    const s = streams[0];
    const mode = str(obj(s.properties.StreamModeDetails).StreamMode) === 'ON_DEMAND' ? 'ON_DEMAND' : 'PROVISIONED';
    const firehoseReaders = firehosesRaw.filter((f) =>
      readsStream(resolver.resolve(f.stackName, obj(f.properties.KinesisStreamSourceConfiguration).KinesisStreamARN ?? null)),
    ).length;
    stream = {
      mode,
      shards: mode === 'PROVISIONED' ? num(s.properties.ShardCount, 1) : undefined,
      retentionHours: num(s.properties.RetentionPeriodHours, 24),
      sharedReaders: mappingsRaw.length + firehoseReaders,
      enhancedFanOutConsumers: of('AWS::Kinesis::StreamConsumer').length,
    };
  }

  // The lake: the bucket Firehose delivers to, and the lifecycle rules of its raw and curated objects.
  const lakeId = firehoses[0]?.bucket;
  const lake = lakeId === undefined ? undefined : of('AWS::S3::Bucket').find((b) => b.logicalId === lakeId);
  const rules = Array.isArray(obj(lake?.properties.LifecycleConfiguration).Rules)
    ? (obj(lake?.properties.LifecycleConfiguration).Rules as JsonValue[]).map(obj)
    : [];
  const lifecycleOf = (prefix: string): Lifecycle => {
    const rule = rules.find((r) => r.Prefix === prefix) ?? {};
    const transitions = Array.isArray(rule.Transitions) ? rule.Transitions.map(obj) : [];
    const transitionDays = (cls: string) => {
      const t = transitions.find((x) => x.StorageClass === cls);
      return t === undefined ? undefined : num(t.TransitionInDays, 0);
    };
    return {
      standardIaAfterDays: transitionDays('STANDARD_IA'),
      glacierIrAfterDays: transitionDays('GLACIER_IR'),
      expireAfterDays: rule.ExpirationInDays === undefined ? undefined : num(rule.ExpirationInDays, 0),
    };
  };

  // Log groups and who writes to them.
  const writers = new Map<string, string>();
  for (const f of functions) if (f.logGroup !== undefined) writers.set(f.logGroup, f.service);
  for (const s of [...of('AWS::ApiGateway::Stage'), ...of('AWS::ApiGatewayV2::Stage')]) {
    const dest = obj(s.properties.AccessLogSetting ?? s.properties.AccessLogSettings).DestinationArn;
    for (const id of referencedIds(dest)) writers.set(key(s, id), 'api-access');
  }
  for (const f of firehosesRaw) {
    const logging = obj(obj(f.properties.ExtendedS3DestinationConfiguration).CloudWatchLoggingOptions);
    for (const id of referencedIds(logging.LogGroupName)) writers.set(key(f, id), 'firehose');
  }
  const logGroups: LogGroupFacts[] = of('AWS::Logs::LogGroup').map((g) => ({
    id: key(g, g.logicalId),
    retentionDays: g.properties.RetentionInDays === undefined ? undefined : num(g.properties.RetentionInDays, 0),
    writer: writers.get(key(g, g.logicalId)) ?? 'other',
  }));

  const retention = of('AWS::Lambda::Function')
    .map((f) => obj(obj(f.properties.Environment).Variables).RESULT_RETENTION_DAYS)
    .filter((v): v is string => typeof v === 'string')
    .map(Number)
    .filter(Number.isFinite);
  const tier = (p: JsonObject): 'LITE' | 'ESSENTIALS' | 'PLUS' => {
    const t = str(p.UserPoolTier) ?? str(obj(p.UserPoolAddOns).AdvancedSecurityMode);
    return t === 'LITE' ? 'LITE' : t === 'PLUS' || t === 'ENFORCED' ? 'PLUS' : 'ESSENTIALS';
  };
  const stageTag = streams[0]?.properties.Tags;
  const stage = Array.isArray(stageTag) ? str(stageTag.map(obj).find((t) => t.Key === 'stage')?.Value) : undefined;
  return {
    stage,
    apis,
    loadBalancers,
    ...(producerKeys === undefined ? {} : { producerKeys }),
    waf: {
      webAcls: webAcls.length,
      rules: webAcls.reduce((n, w) => n + ruleCount(w), 0),
    },
    functions,
    mappings,
    stream,
    firehoses,
    tables: of('AWS::DynamoDB::Table').map((t) => ({
      billing: str(t.properties.BillingMode) === 'PAY_PER_REQUEST' ? 'PAY_PER_REQUEST' : 'PROVISIONED',
      pitr: obj(t.properties.PointInTimeRecoverySpecification).PointInTimeRecoveryEnabled === true,
      indexes: Array.isArray(t.properties.GlobalSecondaryIndexes) ? t.properties.GlobalSecondaryIndexes.length : 0,
    })),
    lakeLifecycle: lifecycleOf('raw/'),
    curatedLifecycle: lifecycleOf('curated/'),
    logGroups,
    distributions: of('AWS::CloudFront::Distribution').length,
    athenaWorkgroups: of('AWS::Athena::WorkGroup').length,
    schedules: schedulesRaw.map((s) => ({
      runsPerMonth: runsPerMonth(str(s.properties.ScheduleExpression) ?? 'rate(1 day)'),
      service: serviceOf(fnOf(resolver.resolve(s.stackName, obj(s.properties.Target).Arn ?? null))),
    })),
    alarms: of('AWS::CloudWatch::Alarm').length + of('AWS::CloudWatch::CompositeAlarm').length,
    alarmMetrics:
      of('AWS::CloudWatch::Alarm').reduce((n, a) => n + alarmMetricsOf(a.properties), 0) + of('AWS::CloudWatch::CompositeAlarm').length,
    dashboards: of('AWS::CloudWatch::Dashboard').length,
    metricFilters: of('AWS::Logs::MetricFilter').length,
    userPools: of('AWS::Cognito::UserPool').map((p) => ({ tier: tier(p.properties) })),
    secrets: of('AWS::SecretsManager::Secret').length,
    topics: of('AWS::SNS::Topic').length,
    queues: of('AWS::SQS::Queue').length,
    kmsKeys: of('AWS::KMS::Key').length,
    resultRetentionDays: retention.length === 0 ? undefined : Math.max(...retention),
    dashboardRefreshSeconds: dashboardRefreshSeconds(resolver),
  };
}
