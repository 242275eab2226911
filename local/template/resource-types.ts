import { createHash } from 'crypto';
import { JsonObject, JsonValue } from './types';

/**
 * What the resolver knows per resource type: how CloudFormation would name a resource whose
 * name the template leaves open, what `Ref` returns, and which `Fn::GetAtt` attributes exist
 * (per the CloudFormation resource reference "Return values" sections).
 */

/** What a type's naming/Ref/GetAtt functions may use about one resource. */
export interface ResourceContext {
  readonly stackName: string;
  readonly logicalId: string;
  readonly type: string;
  /** The physical name (explicit name property, else a generated deterministic one). */
  readonly name: string;
  readonly region: string;
  readonly accountId: string;
  readonly partition: string;
  readonly urlSuffix: string;
  /** Base of SQS queue URLs, e.g. `https://sqs.us-east-1.amazonaws.com`. */
  readonly queueUrlBase: string;
  /** The resource's properties as written in the template (intrinsics unresolved). */
  readonly rawProperties: JsonObject;
  /** One property, resolved. */
  prop(name: string): JsonValue | undefined;
  /** A deterministic random-looking id derived from stack name, logical id and `salt`. */
  id(length: number, alphabet: string, salt?: string): string;
}

type Getter = (c: ResourceContext) => JsonValue;

export interface NameRule {
  /** Property path holding an explicit name. */
  readonly property?: readonly string[];
  /** Longest valid name. */
  readonly max: number;
  /** Characters not allowed in a name; replaced by `-` in generated names. */
  readonly invalid: RegExp;
  /** Names must be lower case (S3 buckets). */
  readonly lowerCase?: boolean;
  /** Property that, when true, requires the `.fifo` suffix (SQS / SNS). */
  readonly fifoProperty?: string;
  /** Generated names start with the logical id only, not the stack name. */
  readonly logicalOnly?: boolean;
}

export interface TypeSpec {
  readonly name?: NameRule;
  /** `Ref`; defaults to the physical name. */
  readonly ref?: Getter;
  readonly attributes: Readonly<Record<string, Getter>>;
}

export const UPPER_ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
export const LOWER_ALNUM = 'abcdefghijklmnopqrstuvwxyz0123456789';
export const MIXED_ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
export const HEX = '0123456789abcdef';

/** Deterministic pseudo-random string of `length` characters of `alphabet`, from `seed`. */
export function deterministicId(seed: string, length: number, alphabet: string): string {
  let out = '';
  let counter = 0;
  while (out.length < length) {
    const digest = createHash('sha256').update(`${seed}#${counter++}`).digest();
    for (const byte of digest) {
      if (out.length >= length) break;
      out += alphabet[byte % alphabet.length];
    }
  }
  return out;
}

/** A deterministic UUID (version-4 layout) from `seed`. */
export function deterministicUuid(seed: string): string {
  const h = deterministicId(seed, 32, HEX);
  const variant = HEX[8 + (parseInt(h[16], 16) % 4)];
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

const NAME_HASH_LENGTH = 12;

/** The name CloudFormation-style naming gives a resource without an explicit name, made deterministic. */
export function generatedName(stackName: string, logicalId: string, rule: NameRule | undefined, fifo = false): string {
  const lower = rule?.lowerCase === true;
  const alphabet = lower ? LOWER_ALNUM : UPPER_ALNUM;
  const hash = deterministicId(`name|${stackName}|${logicalId}`, NAME_HASH_LENGTH, alphabet);
  const suffix = fifo ? '.fifo' : '';
  const max = rule?.max ?? 255;
  let base = rule?.logicalOnly ? logicalId : `${stackName}-${logicalId}`;
  if (lower) base = base.toLowerCase();
  if (rule) base = base.replace(rule.invalid, '-');
  if (lower) {
    base = base.replace(/\.{2,}/g, '.').replace(/^[^a-z0-9]+/, '');
    if (base.startsWith('xn--') || base.startsWith('sthree-')) base = `b-${base}`;
  }
  const room = max - hash.length - 1 - suffix.length;
  base = base.slice(0, Math.max(0, room)).replace(/[-.]+$/, '');
  return `${base.length > 0 ? `${base}-` : ''}${hash}${suffix}`;
}

function arn(c: ResourceContext, service: string, resource: string, opts: { region?: boolean; account?: boolean } = {}): string {
  const region = opts.region === false ? '' : c.region;
  const account = opts.account === false ? '' : c.accountId;
  return `arn:${c.partition}:${service}:${region}:${account}:${resource}`;
}

function str(v: JsonValue | undefined): string | undefined {
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined;
}

/** Last `:`-separated part of a Lambda function ARN, or the value itself when it is a name. */
function lambdaName(v: JsonValue | undefined): string {
  const s = str(v) ?? '';
  const m = /^arn:[^:]+:lambda:[^:]*:[^:]*:function:([^:]+)/.exec(s);
  return m ? m[1] : s;
}

const NAME_KINESIS: NameRule = { property: ['Name'], max: 128, invalid: /[^a-zA-Z0-9_.-]/g };
const NAME_DYNAMO: NameRule = { property: ['TableName'], max: 255, invalid: /[^a-zA-Z0-9_.-]/g };

const tableAttrs: Record<string, Getter> = {
  Arn: (c) => arn(c, 'dynamodb', `table/${c.name}`),
  StreamArn: (c) => {
    if (c.rawProperties.StreamSpecification === undefined) {
      throw new Error(`StreamArn needs StreamSpecification on ${c.logicalId} (CloudFormation gives no StreamArn without it)`);
    }
    // A fixed stream label keeps the ARN deterministic; DynamoDB Local assigns its own label,
    // so consumers of the local stream should read LatestStreamArn from DescribeTable.
    return arn(c, 'dynamodb', `table/${c.name}/stream/1970-01-01T00:00:00.000`);
  },
};

/** The per-type knowledge; types not listed get a generic name as Ref and no attributes. */
export const RESOURCE_TYPES: Readonly<Record<string, TypeSpec>> = {
  'AWS::Kinesis::Stream': {
    name: NAME_KINESIS,
    attributes: { Arn: (c) => arn(c, 'kinesis', `stream/${c.name}`) },
  },
  'AWS::Kinesis::StreamConsumer': {
    name: { property: ['ConsumerName'], max: 128, invalid: /[^a-zA-Z0-9_.-]/g },
    ref: (c) => `${str(c.prop('StreamARN')) ?? ''}/consumer/${c.name}:0`,
    attributes: {
      ConsumerARN: (c) => `${str(c.prop('StreamARN')) ?? ''}/consumer/${c.name}:0`,
      ConsumerName: (c) => c.name,
      StreamARN: (c) => str(c.prop('StreamARN')) ?? '',
      ConsumerStatus: () => 'ACTIVE',
      ConsumerCreationTimestamp: () => '0',
    },
  },
  'AWS::DynamoDB::Table': { name: NAME_DYNAMO, attributes: tableAttrs },
  'AWS::DynamoDB::GlobalTable': {
    name: NAME_DYNAMO,
    attributes: { ...tableAttrs, TableId: (c) => deterministicUuid(`tableid|${c.stackName}|${c.logicalId}`) },
  },
  'AWS::S3::Bucket': {
    name: { property: ['BucketName'], max: 63, invalid: /[^a-z0-9.-]/g, lowerCase: true },
    attributes: {
      Arn: (c) => arn(c, 's3', c.name, { region: false, account: false }),
      DomainName: (c) => `${c.name}.s3.${c.urlSuffix}`,
      RegionalDomainName: (c) => `${c.name}.s3.${c.region}.${c.urlSuffix}`,
      DualStackDomainName: (c) => `${c.name}.s3.dualstack.${c.region}.${c.urlSuffix}`,
      WebsiteURL: (c) => `http://${c.name}.s3-website-${c.region}.${c.urlSuffix}`,
    },
  },
  'AWS::SQS::Queue': {
    name: { property: ['QueueName'], max: 80, invalid: /[^a-zA-Z0-9_-]/g, fifoProperty: 'FifoQueue' },
    ref: (c) => `${c.queueUrlBase}/${c.accountId}/${c.name}`,
    attributes: {
      Arn: (c) => arn(c, 'sqs', c.name),
      QueueName: (c) => c.name,
      QueueUrl: (c) => `${c.queueUrlBase}/${c.accountId}/${c.name}`,
    },
  },
  'AWS::SNS::Topic': {
    name: { property: ['TopicName'], max: 256, invalid: /[^a-zA-Z0-9_-]/g, fifoProperty: 'FifoTopic' },
    ref: (c) => arn(c, 'sns', c.name),
    attributes: { TopicArn: (c) => arn(c, 'sns', c.name), TopicName: (c) => c.name },
  },
  'AWS::SNS::Subscription': {
    ref: (c) => `${str(c.prop('TopicArn')) ?? ''}:${deterministicUuid(`sub|${c.stackName}|${c.logicalId}`)}`,
    attributes: { Arn: (c) => `${str(c.prop('TopicArn')) ?? ''}:${deterministicUuid(`sub|${c.stackName}|${c.logicalId}`)}` },
  },
  'AWS::Lambda::Function': {
    name: { property: ['FunctionName'], max: 64, invalid: /[^a-zA-Z0-9_-]/g },
    attributes: {
      Arn: (c) => arn(c, 'lambda', `function:${c.name}`),
      'SnapStartResponse.ApplyOn': () => 'None',
      'SnapStartResponse.OptimizationStatus': () => 'Off',
    },
  },
  'AWS::Lambda::Alias': {
    ref: (c) => arn(c, 'lambda', `function:${lambdaName(c.prop('FunctionName'))}:${str(c.prop('Name')) ?? ''}`),
    attributes: {
      AliasArn: (c) => arn(c, 'lambda', `function:${lambdaName(c.prop('FunctionName'))}:${str(c.prop('Name')) ?? ''}`),
    },
  },
  'AWS::Lambda::Version': {
    ref: (c) => arn(c, 'lambda', `function:${lambdaName(c.prop('FunctionName'))}:1`),
    attributes: { Version: () => '1', FunctionArn: (c) => arn(c, 'lambda', `function:${lambdaName(c.prop('FunctionName'))}:1`) },
  },
  'AWS::Lambda::LayerVersion': {
    name: { property: ['LayerName'], max: 140, invalid: /[^a-zA-Z0-9_-]/g },
    ref: (c) => arn(c, 'lambda', `layer:${c.name}:1`),
    attributes: { LayerVersionArn: (c) => arn(c, 'lambda', `layer:${c.name}:1`) },
  },
  'AWS::Lambda::EventSourceMapping': {
    ref: (c) => deterministicUuid(`esm|${c.stackName}|${c.logicalId}`),
    attributes: {
      Id: (c) => deterministicUuid(`esm|${c.stackName}|${c.logicalId}`),
      EventSourceMappingArn: (c) => arn(c, 'lambda', `event-source-mapping:${deterministicUuid(`esm|${c.stackName}|${c.logicalId}`)}`),
    },
  },
  'AWS::Lambda::Url': {
    ref: (c) => str(c.prop('TargetFunctionArn')) ?? '',
    attributes: {
      FunctionArn: (c) => str(c.prop('TargetFunctionArn')) ?? '',
      FunctionUrl: (c) => `https://${c.id(32, LOWER_ALNUM, 'url')}.lambda-url.${c.region}.on.aws/`,
    },
  },
  'AWS::KinesisFirehose::DeliveryStream': {
    name: { property: ['DeliveryStreamName'], max: 64, invalid: /[^a-zA-Z0-9_.-]/g },
    attributes: { Arn: (c) => arn(c, 'firehose', `deliverystream/${c.name}`) },
  },
  'AWS::SecretsManager::Secret': {
    name: { property: ['Name'], max: 256, invalid: /[^a-zA-Z0-9/_+=.@-]/g, logicalOnly: true },
    ref: (c) => secretArn(c),
    attributes: { Id: (c) => secretArn(c) },
  },
  'AWS::IAM::Role': {
    name: { property: ['RoleName'], max: 64, invalid: /[^a-zA-Z0-9+=,.@_-]/g },
    attributes: {
      Arn: (c) => arn(c, 'iam', `role${str(c.prop('Path')) ?? '/'}${c.name}`, { region: false }),
      RoleId: (c) => `AROA${c.id(17, UPPER_ALNUM, 'roleid')}`,
    },
  },
  'AWS::IAM::User': {
    name: { property: ['UserName'], max: 64, invalid: /[^a-zA-Z0-9+=,.@_-]/g },
    attributes: { Arn: (c) => arn(c, 'iam', `user${str(c.prop('Path')) ?? '/'}${c.name}`, { region: false }) },
  },
  'AWS::IAM::Group': {
    name: { property: ['GroupName'], max: 128, invalid: /[^a-zA-Z0-9+=,.@_-]/g },
    attributes: { Arn: (c) => arn(c, 'iam', `group${str(c.prop('Path')) ?? '/'}${c.name}`, { region: false }) },
  },
  'AWS::IAM::ManagedPolicy': {
    name: { property: ['ManagedPolicyName'], max: 128, invalid: /[^a-zA-Z0-9+=,.@_-]/g },
    ref: (c) => arn(c, 'iam', `policy${str(c.prop('Path')) ?? '/'}${c.name}`, { region: false }),
    attributes: { PolicyArn: (c) => arn(c, 'iam', `policy${str(c.prop('Path')) ?? '/'}${c.name}`, { region: false }) },
  },
  'AWS::IAM::InstanceProfile': {
    name: { property: ['InstanceProfileName'], max: 128, invalid: /[^a-zA-Z0-9+=,.@_-]/g },
    attributes: { Arn: (c) => arn(c, 'iam', `instance-profile/${c.name}`, { region: false }) },
  },
  'AWS::KMS::Key': {
    ref: (c) => deterministicUuid(`kms|${c.stackName}|${c.logicalId}`),
    attributes: {
      Arn: (c) => arn(c, 'kms', `key/${deterministicUuid(`kms|${c.stackName}|${c.logicalId}`)}`),
      KeyId: (c) => deterministicUuid(`kms|${c.stackName}|${c.logicalId}`),
    },
  },
  'AWS::KMS::Alias': { name: { property: ['AliasName'], max: 256, invalid: /[^a-zA-Z0-9/_-]/g }, attributes: {} },
  'AWS::Logs::LogGroup': {
    name: { property: ['LogGroupName'], max: 512, invalid: /[^a-zA-Z0-9_\-/.#]/g },
    attributes: { Arn: (c) => arn(c, 'logs', `log-group:${c.name}:*`) },
  },
  'AWS::Logs::LogStream': { name: { property: ['LogStreamName'], max: 512, invalid: /[:*]/g }, attributes: {} },
  'AWS::CloudWatch::Alarm': {
    name: { property: ['AlarmName'], max: 255, invalid: /[^\x20-\x7e]/g },
    attributes: { Arn: (c) => arn(c, 'cloudwatch', `alarm:${c.name}`) },
  },
  'AWS::CloudWatch::CompositeAlarm': {
    name: { property: ['AlarmName'], max: 255, invalid: /[^\x20-\x7e]/g },
    attributes: { Arn: (c) => arn(c, 'cloudwatch', `alarm:${c.name}`) },
  },
  'AWS::CloudWatch::Dashboard': { name: { property: ['DashboardName'], max: 255, invalid: /[^a-zA-Z0-9_-]/g }, attributes: {} },
  'AWS::Events::Rule': {
    name: { property: ['Name'], max: 64, invalid: /[^a-zA-Z0-9_.-]/g },
    attributes: { Arn: (c) => arn(c, 'events', `rule/${c.name}`) },
  },
  'AWS::Scheduler::Schedule': {
    name: { property: ['Name'], max: 64, invalid: /[^a-zA-Z0-9_.-]/g },
    attributes: { Arn: (c) => arn(c, 'scheduler', `schedule/${str(c.prop('GroupName')) ?? 'default'}/${c.name}`) },
  },
  'AWS::StepFunctions::StateMachine': {
    name: { property: ['StateMachineName'], max: 80, invalid: /[^a-zA-Z0-9_-]/g },
    ref: (c) => arn(c, 'states', `stateMachine:${c.name}`),
    attributes: { Arn: (c) => arn(c, 'states', `stateMachine:${c.name}`), Name: (c) => c.name },
  },
  'AWS::SSM::Parameter': {
    name: { property: ['Name'], max: 1011, invalid: /[^a-zA-Z0-9_.\-/]/g },
    attributes: { Type: (c) => str(c.prop('Type')) ?? 'String', Value: (c) => c.prop('Value') ?? '' },
  },
  'AWS::Glue::Database': {
    name: { property: ['DatabaseInput', 'Name'], max: 255, invalid: /[^a-z0-9_]/g, lowerCase: true },
    attributes: {},
  },
  'AWS::Glue::Table': {
    name: { property: ['TableInput', 'Name'], max: 255, invalid: /[^a-z0-9_]/g, lowerCase: true },
    attributes: {},
  },
  'AWS::Athena::WorkGroup': {
    name: { property: ['Name'], max: 128, invalid: /[^a-zA-Z0-9._-]/g },
    attributes: { CreationTime: () => '1970-01-01T00:00:00Z' },
  },
  'AWS::Athena::NamedQuery': {
    ref: (c) => deterministicUuid(`nq|${c.stackName}|${c.logicalId}`),
    attributes: { NamedQueryId: (c) => deterministicUuid(`nq|${c.stackName}|${c.logicalId}`) },
  },
  'AWS::ApiGateway::RestApi': {
    ref: (c) => c.id(10, LOWER_ALNUM, 'restapi'),
    attributes: {
      RestApiId: (c) => c.id(10, LOWER_ALNUM, 'restapi'),
      RootResourceId: (c) => c.id(10, LOWER_ALNUM, 'rootresource'),
    },
  },
  'AWS::ApiGateway::Resource': {
    ref: (c) => c.id(6, LOWER_ALNUM, 'resource'),
    attributes: { ResourceId: (c) => c.id(6, LOWER_ALNUM, 'resource') },
  },
  'AWS::ApiGateway::Deployment': {
    ref: (c) => c.id(6, LOWER_ALNUM, 'deployment'),
    attributes: { DeploymentId: (c) => c.id(6, LOWER_ALNUM, 'deployment') },
  },
  'AWS::ApiGateway::Stage': { ref: (c) => str(c.prop('StageName')) ?? c.name, attributes: {} },
  'AWS::ApiGateway::Method': { ref: (c) => c.id(6, LOWER_ALNUM, 'method'), attributes: {} },
  'AWS::ApiGateway::ApiKey': {
    ref: (c) => c.id(10, LOWER_ALNUM, 'apikey'),
    attributes: { APIKeyId: (c) => c.id(10, LOWER_ALNUM, 'apikey') },
  },
  'AWS::ApiGateway::UsagePlan': {
    ref: (c) => c.id(6, LOWER_ALNUM, 'usageplan'),
    attributes: { Id: (c) => c.id(6, LOWER_ALNUM, 'usageplan') },
  },
  'AWS::ApiGateway::Authorizer': {
    ref: (c) => c.id(6, LOWER_ALNUM, 'authorizer'),
    attributes: { AuthorizerId: (c) => c.id(6, LOWER_ALNUM, 'authorizer') },
  },
  'AWS::ApiGateway::RequestValidator': {
    ref: (c) => c.id(6, LOWER_ALNUM, 'validator'),
    attributes: { RequestValidatorId: (c) => c.id(6, LOWER_ALNUM, 'validator') },
  },
  'AWS::ApiGatewayV2::Api': {
    ref: (c) => c.id(10, LOWER_ALNUM, 'httpapi'),
    attributes: {
      ApiId: (c) => c.id(10, LOWER_ALNUM, 'httpapi'),
      ApiEndpoint: (c) => `https://${c.id(10, LOWER_ALNUM, 'httpapi')}.execute-api.${c.region}.${c.urlSuffix}`,
    },
  },
  'AWS::CloudFront::Distribution': {
    ref: (c) => `E${c.id(13, UPPER_ALNUM, 'distribution')}`,
    attributes: {
      Id: (c) => `E${c.id(13, UPPER_ALNUM, 'distribution')}`,
      DomainName: (c) => `d${c.id(13, LOWER_ALNUM, 'distdomain')}.cloudfront.net`,
    },
  },
  'AWS::CloudFront::OriginAccessControl': {
    ref: (c) => `E${c.id(13, UPPER_ALNUM, 'oac')}`,
    attributes: { Id: (c) => `E${c.id(13, UPPER_ALNUM, 'oac')}` },
  },
  'AWS::CloudFront::CloudFrontOriginAccessIdentity': {
    ref: (c) => `E${c.id(13, UPPER_ALNUM, 'oai')}`,
    attributes: { Id: (c) => `E${c.id(13, UPPER_ALNUM, 'oai')}`, S3CanonicalUserId: (c) => c.id(96, HEX, 'oaiuser') },
  },
  'AWS::Cognito::UserPool': {
    ref: (c) => `${c.region}_${c.id(9, MIXED_ALNUM, 'userpool')}`,
    attributes: {
      Arn: (c) => arn(c, 'cognito-idp', `userpool/${c.region}_${c.id(9, MIXED_ALNUM, 'userpool')}`),
      ProviderName: (c) => `cognito-idp.${c.region}.${c.urlSuffix}/${c.region}_${c.id(9, MIXED_ALNUM, 'userpool')}`,
      UserPoolId: (c) => `${c.region}_${c.id(9, MIXED_ALNUM, 'userpool')}`,
    },
  },
  'AWS::Cognito::UserPoolClient': {
    ref: (c) => c.id(26, LOWER_ALNUM, 'client'),
    attributes: { ClientId: (c) => c.id(26, LOWER_ALNUM, 'client') },
  },
};

function secretArn(c: ResourceContext): string {
  return arn(c, 'secretsmanager', `secret:${c.name}-${c.id(6, MIXED_ALNUM, 'secret')}`);
}

/** Types whose attributes cannot be known without running their code (custom resources). */
export function isCustomResourceType(type: string): boolean {
  return type.startsWith('Custom::') || type === 'AWS::CloudFormation::CustomResource';
}
