import * as path from 'path';
import { ResourceRecord, TemplateResolutionError, TemplateResolver, formatPath } from './resolver';
import { JsonObject, JsonValue, isJsonObject } from './types';

/** What the Lambda runner needs to run one `AWS::Lambda::Function` locally. */
export interface LambdaFunctionSpec {
  readonly stackName: string;
  readonly logicalId: string;
  readonly functionName: string;
  readonly functionArn: string;
  /** `Metadata["aws:asset:path"]` as written (relative to the assembly directory), e.g. `asset.<hash>`. */
  readonly assetPath?: string;
  /** Absolute directory of the bundled code, when the function has an asset. */
  readonly assetDir?: string;
  /** `Code.ZipFile` (inline source), when used instead of an asset. */
  readonly inlineCode?: string;
  readonly handler?: string;
  readonly runtime?: string;
  /** Seconds; CloudFormation's default is 3. */
  readonly timeoutSeconds: number;
  /** MB; CloudFormation's default is 128. */
  readonly memoryMb: number;
  readonly architectures: readonly string[];
  readonly reservedConcurrency?: number;
  /** `Environment.Variables`, resolved to strings. */
  readonly environment: Readonly<Record<string, string>>;
  readonly deadLetterTargetArn?: string;
}

function num(v: JsonValue | undefined, fallback: number): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return fallback;
}

function optNum(v: JsonValue | undefined): number | undefined {
  const n = num(v, Number.NaN);
  return Number.isNaN(n) ? undefined : n;
}

function optStr(v: JsonValue | undefined): string | undefined {
  return typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined;
}

function envString(v: JsonValue, rec: ResourceRecord, name: string): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  throw new TemplateResolutionError(
    rec.stackName,
    ['Resources', rec.logicalId, 'Properties', 'Environment', 'Variables', name],
    `environment variable values must be strings, got ${JSON.stringify(v)}`,
  );
}

/** Lambda-function facts (asset directory, handler, runtime, limits, resolved environment) of one function resource. */
export function lambdaFunctionSpec(resolver: TemplateResolver, rec: ResourceRecord): LambdaFunctionSpec {
  if (rec.type !== 'AWS::Lambda::Function')
    throw new Error(`${rec.stackName}/${rec.logicalId} is a ${rec.type}, not AWS::Lambda::Function`);
  const env: Record<string, string> = {};
  const environment = resolver.resolveProperty(rec, 'Environment');
  const vars = isJsonObject(environment) ? environment.Variables : undefined;
  if (isJsonObject(vars)) {
    for (const [k, v] of Object.entries(vars)) env[k] = envString(v, rec, k);
  }
  const assetPath = optStr(rec.metadata['aws:asset:path']);
  const code = rec.properties.Code;
  let inlineCode: string | undefined;
  if (isJsonObject(code) && code.ZipFile !== undefined) {
    inlineCode = optStr(resolver.resolve(rec.stackName, code.ZipFile, ['Resources', rec.logicalId, 'Properties', 'Code', 'ZipFile']));
  }
  const archs = resolver.resolveProperty(rec, 'Architectures');
  const dlq = resolver.resolveProperty(rec, 'DeadLetterConfig');
  return {
    stackName: rec.stackName,
    logicalId: rec.logicalId,
    functionName: resolver.physicalName(rec.stackName, rec.logicalId),
    functionArn: String(resolver.getAtt(rec.stackName, rec.logicalId, 'Arn')),
    assetPath,
    assetDir: assetPath === undefined ? undefined : path.resolve(rec.stack.assemblyDir, assetPath),
    inlineCode,
    handler: optStr(resolver.resolveProperty(rec, 'Handler')),
    runtime: optStr(resolver.resolveProperty(rec, 'Runtime')),
    timeoutSeconds: num(resolver.resolveProperty(rec, 'Timeout'), 3),
    memoryMb: num(resolver.resolveProperty(rec, 'MemorySize'), 128),
    architectures: Array.isArray(archs) ? archs.map(String) : ['x86_64'],
    reservedConcurrency: optNum(resolver.resolveProperty(rec, 'ReservedConcurrentExecutions')),
    environment: env,
    deadLetterTargetArn: isJsonObject(dlq) ? optStr(dlq.TargetArn) : undefined,
  };
}

/** Specs of every enabled `AWS::Lambda::Function` of the loaded stacks. */
export function lambdaFunctions(resolver: TemplateResolver): LambdaFunctionSpec[] {
  return resolver.resourcesOfType('AWS::Lambda::Function').map((r) => lambdaFunctionSpec(resolver, r));
}

/** Where an event source mapping reads from. */
export interface EventSourceRef {
  readonly kind: 'kinesis' | 'dynamodb' | 'sqs' | 'kafka' | 'other';
  readonly arn: string;
  /** The resource in the loaded stacks the ARN belongs to, if any. */
  readonly stackName?: string;
  readonly logicalId?: string;
  readonly type?: string;
  /** Kinesis stream name (also for a stream consumer ARN), DynamoDB table name or SQS queue name. */
  readonly name?: string;
}

/** What the event-source-mapping stand-in needs for one `AWS::Lambda::EventSourceMapping`. */
export interface EventSourceMappingSpec {
  readonly stackName: string;
  readonly logicalId: string;
  /** The mapping's id (`Ref`), deterministic. */
  readonly uuid: string;
  /** The function's name as resolved from `FunctionName` (qualifier and ARN parts removed). */
  readonly functionName: string;
  readonly functionQualifier?: string;
  /** The target function's resource, when it is part of the loaded stacks. */
  readonly functionStackName?: string;
  readonly functionLogicalId?: string;
  readonly source?: EventSourceRef;
  readonly enabled: boolean;
  /** Default 100 for streams, 10 for SQS (Lambda's defaults). */
  readonly batchSize: number;
  readonly maximumBatchingWindowInSeconds: number;
  readonly startingPosition?: string;
  readonly startingPositionTimestamp?: number;
  /** -1 = retry until the record expires (Lambda's default for streams). */
  readonly maximumRetryAttempts: number;
  /** -1 = no limit (Lambda's default). */
  readonly maximumRecordAgeInSeconds: number;
  readonly bisectBatchOnFunctionError: boolean;
  readonly parallelizationFactor: number;
  readonly tumblingWindowInSeconds?: number;
  readonly functionResponseTypes: readonly string[];
  /** `DestinationConfig.OnFailure.Destination`, resolved, with the resource it points at if known. */
  readonly onFailure?: { readonly arn: string; readonly stackName?: string; readonly logicalId?: string; readonly type?: string };
  readonly filterPatterns: readonly string[];
  /** Every property, resolved. */
  readonly properties: JsonObject;
}

const LAMBDA_ARN = /^arn:[^:]+:lambda:[^:]*:[^:]*:function:([^:]+)(?::(.+))?$/;

/** Function name and qualifier from a `FunctionName` value (name, `name:alias`, or ARN). */
export function parseFunctionName(value: string): { name: string; qualifier?: string } {
  const m = LAMBDA_ARN.exec(value);
  if (m) return { name: m[1], qualifier: m[2] };
  const parts = value.split(':');
  return parts.length === 2 ? { name: parts[0], qualifier: parts[1] } : { name: value };
}

/** `AWS::Kinesis::Stream` name from a stream (or stream consumer) ARN, or undefined. */
export function kinesisStreamNameFromArn(arn: string): string | undefined {
  const m = /^arn:[^:]+:kinesis:[^:]*:[^:]*:stream\/([^/]+)/.exec(arn);
  return m ? m[1] : undefined;
}

function sourceRef(resolver: TemplateResolver, arn: string): EventSourceRef {
  const service = arn.split(':')[2] ?? '';
  const kind: EventSourceRef['kind'] =
    service === 'kinesis'
      ? 'kinesis'
      : service === 'dynamodb'
        ? 'dynamodb'
        : service === 'sqs'
          ? 'sqs'
          : service === 'kafka'
            ? 'kafka'
            : 'other';
  let name: string | undefined;
  if (kind === 'kinesis') name = kinesisStreamNameFromArn(arn);
  else if (kind === 'dynamodb') name = /:table\/([^/]+)/.exec(arn)?.[1];
  else if (kind === 'sqs') name = arn.split(':')[5];
  let rec = resolver.findByIdentifier(arn);
  if (!rec && kind === 'kinesis' && name !== undefined) {
    rec = resolver.resourcesOfType('AWS::Kinesis::Stream').find((r) => resolver.physicalName(r.stackName, r.logicalId) === name);
  }
  if (!rec && kind === 'dynamodb' && name !== undefined) {
    rec = resolver
      .resources()
      .find(
        (r) =>
          (r.type === 'AWS::DynamoDB::Table' || r.type === 'AWS::DynamoDB::GlobalTable') &&
          resolver.physicalName(r.stackName, r.logicalId) === name,
      );
  }
  if (rec?.type === 'AWS::Kinesis::StreamConsumer') {
    const streamArn = resolver.getAtt(rec.stackName, rec.logicalId, 'StreamARN');
    const stream = typeof streamArn === 'string' ? resolver.findByIdentifier(streamArn) : undefined;
    if (stream) rec = stream;
  }
  return { kind, arn, stackName: rec?.stackName, logicalId: rec?.logicalId, type: rec?.type, name };
}

/** The logical id a raw `FunctionName` value points at directly (`Ref` / `Fn::GetAtt …Arn`), if it does. */
function directFunctionRef(raw: JsonValue | undefined): string | undefined {
  if (!isJsonObject(raw)) return undefined;
  if (typeof raw.Ref === 'string') return raw.Ref;
  const ga = raw['Fn::GetAtt'];
  if (Array.isArray(ga) && typeof ga[0] === 'string') return ga[0];
  if (typeof ga === 'string') return ga.split('.')[0];
  return undefined;
}

/** The resolved mapping with its function's logical id and its source stream. */
export function eventSourceMappingSpec(resolver: TemplateResolver, rec: ResourceRecord): EventSourceMappingSpec {
  if (rec.type !== 'AWS::Lambda::EventSourceMapping') {
    throw new Error(`${rec.stackName}/${rec.logicalId} is a ${rec.type}, not AWS::Lambda::EventSourceMapping`);
  }
  const props = resolver.resolveProperties(rec);
  const fnValue = optStr(props.FunctionName);
  if (fnValue === undefined) {
    throw new TemplateResolutionError(
      rec.stackName,
      ['Resources', rec.logicalId, 'Properties', 'FunctionName'],
      'FunctionName is required',
    );
  }
  const { name: functionName, qualifier } = parseFunctionName(fnValue);
  let fnRec: ResourceRecord | undefined;
  const direct = directFunctionRef(rec.properties.FunctionName);
  if (direct !== undefined) {
    const r = resolver.findResource(rec.stackName, direct);
    if (r?.type === 'AWS::Lambda::Function') fnRec = r;
  }
  fnRec ??= resolver.resourcesOfType('AWS::Lambda::Function').find((r) => resolver.physicalName(r.stackName, r.logicalId) === functionName);

  const sourceArn = optStr(props.EventSourceArn);
  const source = sourceArn === undefined ? undefined : sourceRef(resolver, sourceArn);
  const isQueue = source?.kind === 'sqs';
  const dest =
    isJsonObject(props.DestinationConfig) && isJsonObject(props.DestinationConfig.OnFailure)
      ? optStr(props.DestinationConfig.OnFailure.Destination)
      : undefined;
  const destRec = dest === undefined ? undefined : resolver.findByIdentifier(dest);
  const filters = isJsonObject(props.FilterCriteria) && Array.isArray(props.FilterCriteria.Filters) ? props.FilterCriteria.Filters : [];
  const responseTypes = props.FunctionResponseTypes;
  return {
    stackName: rec.stackName,
    logicalId: rec.logicalId,
    uuid: resolver.ref(rec.stackName, rec.logicalId),
    functionName,
    functionQualifier: qualifier,
    functionStackName: fnRec?.stackName,
    functionLogicalId: fnRec?.logicalId,
    source,
    enabled: props.Enabled !== false && props.Enabled !== 'false',
    batchSize: num(props.BatchSize, isQueue ? 10 : 100),
    maximumBatchingWindowInSeconds: num(props.MaximumBatchingWindowInSeconds, 0),
    startingPosition: optStr(props.StartingPosition),
    startingPositionTimestamp: optNum(props.StartingPositionTimestamp),
    maximumRetryAttempts: num(props.MaximumRetryAttempts, -1),
    maximumRecordAgeInSeconds: num(props.MaximumRecordAgeInSeconds, -1),
    bisectBatchOnFunctionError: props.BisectBatchOnFunctionError === true || props.BisectBatchOnFunctionError === 'true',
    parallelizationFactor: num(props.ParallelizationFactor, 1),
    tumblingWindowInSeconds: optNum(props.TumblingWindowInSeconds),
    functionResponseTypes: Array.isArray(responseTypes) ? responseTypes.map(String) : [],
    onFailure:
      dest === undefined ? undefined : { arn: dest, stackName: destRec?.stackName, logicalId: destRec?.logicalId, type: destRec?.type },
    filterPatterns: filters.map((f) => (isJsonObject(f) ? optStr(f.Pattern) : undefined)).filter((p): p is string => p !== undefined),
    properties: props,
  };
}

/** Specs of every enabled `AWS::Lambda::EventSourceMapping` of the loaded stacks. */
export function eventSourceMappings(resolver: TemplateResolver): EventSourceMappingSpec[] {
  return resolver.resourcesOfType('AWS::Lambda::EventSourceMapping').map((r) => eventSourceMappingSpec(resolver, r));
}

/** Resource types that are declared but not stood in for, with what that means locally. */
export interface UnsupportedTypeReport {
  readonly type: string;
  readonly resources: ReadonlyArray<{ readonly stackName: string; readonly logicalId: string }>;
  /** What the absence of this type means when running locally. */
  readonly meaning: string;
}

/** What it means locally that a resource type is not emulated; keyed by type or `Prefix::*`. */
export const LOCAL_MEANING: Readonly<Record<string, string>> = {
  'AWS::CDK::Metadata': 'CDK version reporting; nothing to do locally',
  'AWS::IAM::*': 'permissions are not enforced locally: every handler can call every local service',
  'AWS::Lambda::Permission': 'invoke permissions are not enforced locally',
  'AWS::Lambda::EventInvokeConfig': 'asynchronous-invoke settings are not applied locally',
  'AWS::Lambda::LayerVersion':
    "layers are not loaded locally; functions run from their own bundles (the only layer here serves CDK's deploy-time bucket deployment)",
  'AWS::Logs::*': 'handler logs go to the console instead of CloudWatch Logs; retention and subscriptions are not applied',
  'AWS::CloudWatch::*': 'no metrics, alarms or dashboards locally; alarms (iterator age, errors, throttles) never fire',
  'AWS::KMS::*': 'no encryption at rest locally; local data files are stored in plain form',
  'AWS::S3::BucketPolicy': 'bucket policies are not enforced by s3rver (TLS-only, deny rules and grants have no effect)',
  'AWS::SQS::QueuePolicy': 'queue policies are not enforced locally',
  'AWS::SQS::Queue':
    'no SQS locally; event-source mappings write what they give up on to .local/run/failures/<queue>.jsonl instead of the queue',
  'AWS::SNS::TopicPolicy': 'topic policies are not enforced locally',
  'AWS::SNS::Subscription': 'subscribers (e-mail, HTTPS, SMS) receive nothing; published messages stay local',
  'AWS::CloudFront::*': 'no CDN locally; the local runtime serves the dashboard itself',
  'AWS::Glue::*': 'no Glue Data Catalog locally; read the raw objects in the local S3 directory instead (e.g. with DuckDB)',
  'AWS::Athena::*': 'no Athena locally; named queries cannot run — query the local S3 objects with DuckDB instead',
  'AWS::ApiGateway::*': 'API Gateway resource the local runtime does not read: its routes and settings have no effect locally',
  'AWS::ApiGateway::Account': 'account-wide API Gateway setting; nothing to do locally',
  'AWS::ApiGateway::UsagePlan': 'usage-plan throttling and quotas are not enforced locally',
  'AWS::ApiGateway::UsagePlanKey': 'API keys are not checked locally',
  'AWS::ApiGateway::ApiKey': 'API keys are not checked locally',
  'AWS::Events::Rule': 'schedules and event rules do not fire locally; run the scheduled work by hand',
  'AWS::Scheduler::*': 'schedules do not fire locally; run the scheduled work by hand',
  'AWS::WAFv2::*': 'no web application firewall locally',
  'AWS::Cognito::*': 'no user pools locally; requests are not authenticated',
  'AWS::SSM::Parameter': 'SSM parameters are not served locally',
  'Custom::*':
    'custom resource handlers do not run locally; what they do at deploy time (emptying buckets, setting log retention, …) does not happen',
  'AWS::CloudFormation::CustomResource': 'custom resource handlers do not run locally; what they do at deploy time does not happen',
};

/** What it means locally that `type` is not emulated. */
export function localMeaning(type: string): string {
  const exact = LOCAL_MEANING[type];
  if (exact !== undefined) return exact;
  if (type.startsWith('Custom::')) return LOCAL_MEANING['Custom::*'];
  const prefix = `${type.split('::').slice(0, 2).join('::')}::*`;
  return (
    LOCAL_MEANING[prefix] ??
    'declared but not emulated: nothing is created for it locally, so code that calls it fails or must be switched off'
  );
}

/** Groups the enabled resources whose type is not in `supported`, by type, with what that means locally. */
export function unsupportedResourceTypes(resolver: TemplateResolver, supported: Iterable<string>): UnsupportedTypeReport[] {
  const ok = new Set(supported);
  const byType = new Map<string, Array<{ stackName: string; logicalId: string }>>();
  for (const r of resolver.resources()) {
    if (ok.has(r.type)) continue;
    const list = byType.get(r.type) ?? [];
    list.push({ stackName: r.stackName, logicalId: r.logicalId });
    byType.set(r.type, list);
  }
  return [...byType.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([type, resources]) => ({ type, resources, meaning: localMeaning(type) }));
}

/** Human-readable lines for {@link unsupportedResourceTypes}, for `npm start` to print. */
export function formatUnsupportedReport(reports: readonly UnsupportedTypeReport[]): string[] {
  return reports.map((r) => {
    const ids = r.resources.map((x) => x.logicalId);
    const shown = ids.length > 4 ? `${ids.slice(0, 4).join(', ')} and ${ids.length - 4} more` : ids.join(', ');
    return `${r.type} ×${r.resources.length} (${shown}): ${r.meaning}`;
  });
}

/** A resolved property path as text, for messages. */
export function propertyPath(rec: ResourceRecord, ...segments: Array<string | number>): string {
  return `${rec.stackName}: ${formatPath(['Resources', rec.logicalId, 'Properties', ...segments])}`;
}
