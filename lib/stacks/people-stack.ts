import { ArnFormat, CfnOutput, Stack, StackProps } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct, IConstruct } from 'constructs';
import { COMMODITY_TABLE, CURATED_TABLE, RAW_TABLE } from '../../lambdas/reports/tables';
import { ALERTS_BY_TIME_INDEX } from '../../lambdas/shared/results-table';
import { EXPORTS_PREFIX } from '../../lambdas/shared/reports';
import type { StageConfig } from '../config/stage-config';
import { AppFunction } from '../constructs/app-function';
import { PeopleAccess, PersonGrant } from '../constructs/people-access';
import { PeopleRoles, PersonRole, pascal, PERSON_ROLES } from '../constructs/people-roles';
import { RESULTS_PREFIX } from '../constructs/reports';
import type { AnalyticsStack } from './analytics-stack';
import type { ApiStack } from './api-stack';
import type { DashboardStack } from './dashboard-stack';
import type { DataStack } from './data-stack';
import type { ReportsStack } from './reports-stack';

export interface PeopleStackProps extends StackProps {
  readonly config: StageConfig;
}

/**
 * The IAM roles people assume for the console and the CLI in one stage, and what they may do
 * on anything in the account that has no resource-level permissions (listing names, reading
 * metrics). What they may do on the stage's resources sits in each stack (`grantPeopleAccess`).
 */
export class PeopleStack extends Stack {
  public readonly people: PeopleRoles;

  constructor(scope: Construct, id: string, props: PeopleStackProps) {
    super(scope, id, props);
    const { config } = props;
    this.people = new PeopleRoles(this, 'Roles', {
      stage: config.stage,
      requireMfa: config.people.requireMfa,
      maxSessionDuration: config.people.maxSessionDuration,
    });
    const noResourceLevel =
      'These actions have no resource-level permissions in IAM (Resource must be "*"); they list resource names and read metrics, never data.';
    new PeopleAccess(this, 'Access', {
      roles: this.people.roles,
      grants: [
        {
          roles: ['admin', 'operator', 'developer'],
          actions: [
            'cloudwatch:GetMetricData',
            'cloudwatch:GetMetricStatistics',
            'cloudwatch:ListMetrics',
            'cloudwatch:DescribeAlarmsForMetric',
            'cloudwatch:ListDashboards',
            'logs:DescribeLogGroups',
            'logs:DescribeQueries',
            'logs:StopQuery',
            'logs:StopLiveTail',
            'lambda:ListFunctions',
            'lambda:ListEventSourceMappings',
            'kinesis:ListStreams',
            'sqs:ListQueues',
            'sns:ListTopics',
            'dynamodb:ListTables',
          ],
          resources: ['*'],
          wildcardReason: noResourceLevel,
        },
        {
          roles: ['admin', 'analyst'],
          actions: ['athena:ListWorkGroups', 'athena:ListEngineVersions', 'athena:ListDataCatalogs'],
          resources: ['*'],
          wildcardReason: noResourceLevel,
        },
      ],
    });
    for (const role of PERSON_ROLES) {
      new CfnOutput(this, `${pascal(role)}RoleArn`, {
        value: this.people.roles[role].roleArn,
        description: `IAM role for people: ${role} (assume it: docs/security.md)`,
      });
    }
  }
}

/** The stacks of a stage whose resources the people roles get permissions on. */
export interface PeopleAccessTargets {
  readonly data: DataStack;
  readonly analytics: AnalyticsStack;
  readonly api: ApiStack;
  readonly reports: ReportsStack;
  readonly dashboard: DashboardStack;
  /** Stacks with no data of their own (the monitoring stack): only the operations grants (alarms, dashboards, logs). */
  readonly operationsOnly?: readonly Stack[];
}

const RESULTS_READ = ['dynamodb:DescribeTable', 'dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query', 'dynamodb:Scan'];
const LOG_READ = [
  'logs:DescribeLogStreams',
  'logs:GetLogEvents',
  'logs:FilterLogEvents',
  'logs:StartQuery',
  'logs:GetQueryResults',
  'logs:GetLogGroupFields',
  'logs:GetLogRecord',
  'logs:StartLiveTail',
];
const ALL_OF = (service: string) =>
  `The admin role may do everything with this stage's resources: every ${service} action, on the resources named here only.`;

function allOf<T>(scope: IConstruct, type: abstract new (...args: never[]) => T): T[] {
  return scope.node.findAll().filter((c): c is T & IConstruct => c instanceof type);
}

/**
 * What every stack grants, found in its construct tree: functions, log groups, alarms and
 * CloudWatch dashboards, queues (the dead-letter queues), topics, buckets and event-source
 * mappings. Admin gets every action on each; operator and developer see functions, logs, alarms
 * and dashboards; operator also redrives the queues and reads the topics; developer changes
 * functions where `developerDeploys`.
 */
export function operationsGrants(stack: Stack, config: StageConfig): PersonGrant[] {
  const grants: PersonGrant[] = [];
  const functions = allOf(stack, AppFunction).map((f) => f.function.functionArn);
  const logGroups = allOf(stack, logs.LogGroup).map((g) => g.logGroupArn);
  const alarms = allOf(stack, cloudwatch.Alarm).map((a) => a.alarmArn);
  // From the name CloudFormation returns: `Dashboard.dashboardArn` names no dashboard when the name is generated.
  const dashboards = allOf(stack, cloudwatch.CfnDashboard).map((d) =>
    stack.formatArn({ service: 'cloudwatch', region: '', resource: 'dashboard', resourceName: d.ref }),
  );
  const queues = allOf(stack, sqs.Queue).map((q) => q.queueArn);
  const topics = allOf(stack, sns.Topic).map((t) => t.topicArn);
  const buckets = allOf(stack, s3.Bucket);
  const mappings = allOf(stack, lambda.EventSourceMapping).map((m) => m.eventSourceMappingArn);
  if (functions.length > 0) {
    grants.push({ roles: ['admin'], actions: ['lambda:*'], resources: [...functions, ...mappings], wildcardReason: ALL_OF('Lambda') });
    grants.push({
      roles: ['operator', 'developer'],
      actions: ['lambda:GetFunction', 'lambda:GetFunctionConfiguration', 'lambda:GetPolicy'],
      resources: functions,
    });
    if (config.people.developerDeploys) {
      grants.push({
        roles: ['developer'],
        actions: ['lambda:UpdateFunctionCode', 'lambda:UpdateFunctionConfiguration', 'lambda:PublishVersion', 'lambda:InvokeFunction'],
        resources: functions,
      });
    }
  }
  if (mappings.length > 0) {
    grants.push({ roles: ['operator', 'developer'], actions: ['lambda:GetEventSourceMapping'], resources: mappings });
  }
  if (logGroups.length > 0) {
    grants.push({ roles: ['admin'], actions: ['logs:*'], resources: logGroups, wildcardReason: ALL_OF('CloudWatch Logs') });
    grants.push({ roles: ['operator', 'developer'], actions: LOG_READ, resources: logGroups });
  }
  if (alarms.length + dashboards.length > 0) {
    grants.push({
      roles: ['admin'],
      actions: ['cloudwatch:*'],
      resources: [...alarms, ...dashboards],
      wildcardReason: ALL_OF('CloudWatch alarm and dashboard'),
    });
  }
  if (dashboards.length > 0) {
    grants.push({ roles: ['operator', 'developer'], actions: ['cloudwatch:GetDashboard'], resources: dashboards });
  }
  if (alarms.length > 0) {
    grants.push({
      roles: ['operator', 'developer'],
      actions: ['cloudwatch:DescribeAlarms', 'cloudwatch:DescribeAlarmHistory'],
      resources: alarms,
    });
  }
  if (queues.length > 0) {
    grants.push({ roles: ['admin'], actions: ['sqs:*'], resources: queues, wildcardReason: ALL_OF('SQS') });
    // Redrive: read a dead letter, put its records back (stream grants), then delete the letter.
    grants.push({
      roles: ['operator'],
      actions: [
        'sqs:GetQueueAttributes',
        'sqs:GetQueueUrl',
        'sqs:ListDeadLetterSourceQueues',
        'sqs:ReceiveMessage',
        'sqs:ChangeMessageVisibility',
        'sqs:DeleteMessage',
      ],
      resources: queues,
    });
    grants.push({ roles: ['developer'], actions: ['sqs:GetQueueAttributes', 'sqs:GetQueueUrl'], resources: queues });
  }
  if (topics.length > 0) {
    grants.push({ roles: ['admin'], actions: ['sns:*'], resources: topics, wildcardReason: ALL_OF('SNS') });
    grants.push({ roles: ['operator'], actions: ['sns:GetTopicAttributes', 'sns:ListSubscriptionsByTopic'], resources: topics });
  }
  if (buckets.length > 0) {
    grants.push({
      roles: ['admin'],
      actions: ['s3:*'],
      resources: buckets.flatMap((b) => [b.bucketArn, b.arnForObjects('*')]),
      wildcardReason: `${ALL_OF('S3')} Objects are named at run time, so every object of each bucket.`,
    });
  }
  return grants;
}

/** The data stack: the stream, the lake (analysts read curated, dimension and exports), Firehose and the pseudonymization key. */
function dataGrants(data: DataStack, config: StageConfig): PersonGrant[] {
  const stream = data.events.stream.streamArn;
  const lake = data.lake.bucket;
  const analystPrefixes = [CURATED_TABLE.prefix, COMMODITY_TABLE.prefix, EXPORTS_PREFIX];
  const grants: PersonGrant[] = [
    { roles: ['admin'], actions: ['kinesis:*'], resources: [stream], wildcardReason: ALL_OF('Kinesis') },
    {
      roles: ['operator', 'developer'],
      actions: ['kinesis:DescribeStream', 'kinesis:DescribeStreamSummary', 'kinesis:ListShards'],
      resources: [stream],
    },
    // Redrive and replay: read the records a dead letter points at, put records back.
    {
      roles: ['operator'],
      actions: ['kinesis:GetShardIterator', 'kinesis:GetRecords', 'kinesis:PutRecord', 'kinesis:PutRecords'],
      resources: [stream],
    },
    { roles: ['operator'], actions: ['s3:ListBucket', 's3:GetBucketLocation'], resources: [lake.bucketArn] },
    { roles: ['analyst'], actions: ['s3:GetBucketLocation'], resources: [lake.bucketArn] },
    {
      roles: ['analyst'],
      actions: ['s3:ListBucket'],
      resources: [lake.bucketArn],
      conditions: { StringLike: { 's3:prefix': analystPrefixes.map((p) => `${p}*`) } },
    },
    {
      roles: ['analyst'],
      actions: ['s3:GetObject'],
      resources: analystPrefixes.map((p) => lake.arnForObjects(`${p}*`)),
      wildcardReason:
        'Analysts read the objects the daily job writes (curated Parquet by event day, exports by report and day) and the deployed dimension; their names are made at run time, under these prefixes only.',
    },
    {
      roles: ['admin'],
      actions: ['firehose:*'],
      resources: [data.lake.deliveryStream.attrArn],
      wildcardReason: ALL_OF('Firehose'),
    },
    { roles: ['operator', 'developer'], actions: ['firehose:DescribeDeliveryStream'], resources: [data.lake.deliveryStream.attrArn] },
  ];
  if (config.stream.capacity.mode === 'PROVISIONED') {
    // `npm run ops -- reshard` splits or merges one shard at a time.
    grants.push({ roles: ['operator'], actions: ['kinesis:SplitShard', 'kinesis:MergeShards'], resources: [stream] });
    grants.push({
      roles: ['admin', 'operator'],
      actions: ['kinesis:UpdateShardCount'],
      resources: ['*'],
      wildcardReason:
        'kinesis:UpdateShardCount has no resource-level permission in IAM (Resource must be "*"); admins and operators change the shard count of the provisioned stream.',
    });
  }
  if (data.pseudonymKey) {
    grants.push({
      roles: ['admin'],
      actions: ['secretsmanager:*'],
      resources: [data.pseudonymKey.secretArn],
      wildcardReason: ALL_OF('Secrets Manager'),
    });
  }
  return grants;
}

/** The analytics stack: the results table (quarantined records are in it, under `QUARANTINE#<day>`). */
function analyticsGrants(analytics: AnalyticsStack): PersonGrant[] {
  const table = analytics.results.table.tableArn;
  return [
    {
      roles: ['admin'],
      actions: ['dynamodb:*'],
      resources: [table, `${table}/*`],
      wildcardReason: `${ALL_OF('DynamoDB')} The table's indexes, streams and backups are named under its ARN.`,
    },
    { roles: ['operator', 'developer'], actions: RESULTS_READ, resources: [table, `${table}/index/${ALERTS_BY_TIME_INDEX}`] },
    // `npm run ops -- replay-quarantine` marks the quarantined records it replays, and nothing else.
    {
      roles: ['operator'],
      actions: ['dynamodb:UpdateItem'],
      resources: [table],
      conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['QUARANTINE#*'] } },
    },
    // `npm run ops -- redrive` re-invokes a consumer with the records of its dead letters.
    {
      roles: ['operator'],
      actions: ['lambda:InvokeFunction'],
      resources: [analytics.realtime.appFunction.function.functionArn, analytics.windows.appFunction.function.functionArn],
    },
  ];
}

/**
 * What rotating a producer key needs (docs/security.md): read the current value and the versions,
 * put a new value, and move or remove the `AWSPREVIOUS` label to retire or restore the old one.
 */
const PRODUCER_KEY_ROTATION = [
  'secretsmanager:DescribeSecret',
  'secretsmanager:ListSecretVersionIds',
  'secretsmanager:GetSecretValue',
  'secretsmanager:PutSecretValue',
  'secretsmanager:UpdateSecretVersionStage',
];

/** The API stack: the REST API itself and, with the load-balancer front door, the producers' key secrets. */
function apiGrants(api: ApiStack): PersonGrant[] {
  const restApi = api.formatArn({
    service: 'apigateway',
    account: '',
    resource: '/restapis',
    resourceName: api.ingest.api.restApiId,
    arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
  });
  const grants: PersonGrant[] = [
    {
      roles: ['admin'],
      actions: ['apigateway:*'],
      resources: [restApi, `${restApi}/*`],
      wildcardReason: `${ALL_OF('API Gateway')} Its resources, methods and stages are named under its ARN.`,
    },
  ];
  const producerKeys = Object.values(api.ingest.producerKeys?.secrets ?? {}).map((secret) => secret.secretArn);
  if (producerKeys.length > 0) {
    grants.push(
      { roles: ['admin'], actions: ['secretsmanager:*'], resources: producerKeys, wildcardReason: ALL_OF('Secrets Manager') },
      // Operators rotate producer keys: part of running ingest, and of answering a leaked key at once.
      { roles: ['operator'], actions: PRODUCER_KEY_ROTATION, resources: producerKeys },
    );
  }
  return grants;
}

/** The reports stack: Athena, the Glue catalog and the daily job. */
function reportsGrants(reportsStack: ReportsStack): PersonGrant[] {
  const reports = reportsStack.reports;
  const workGroup = reportsStack.formatArn({ service: 'athena', resource: 'workgroup', resourceName: reports.workGroup.ref });
  const dataCatalog = reportsStack.formatArn({ service: 'athena', resource: 'datacatalog', resourceName: 'AwsDataCatalog' });
  const glue = (resource: string, resourceName?: string) => reportsStack.formatArn({ service: 'glue', resource, resourceName });
  const database = glue('database', reports.databaseName);
  const tables = (names: readonly string[]) => names.map((n) => glue('table', `${reports.databaseName}/${n}`));
  const allTables = tables([RAW_TABLE.name, CURATED_TABLE.name, COMMODITY_TABLE.name]);
  const results = reports.resultsBucket;
  return [
    { roles: ['admin'], actions: ['athena:*'], resources: [workGroup, dataCatalog], wildcardReason: ALL_OF('Athena') },
    {
      roles: ['admin'],
      actions: ['glue:*'],
      resources: [glue('catalog'), database, ...allTables],
      wildcardReason: ALL_OF('Glue Data Catalog'),
    },
    {
      roles: ['analyst'],
      actions: [
        'athena:StartQueryExecution',
        'athena:StopQueryExecution',
        'athena:GetQueryExecution',
        'athena:GetQueryResults',
        'athena:GetQueryRuntimeStatistics',
        'athena:BatchGetQueryExecution',
        'athena:ListQueryExecutions',
        'athena:GetNamedQuery',
        'athena:BatchGetNamedQuery',
        'athena:ListNamedQueries',
        'athena:GetWorkGroup',
      ],
      resources: [workGroup],
    },
    {
      roles: ['analyst'],
      actions: [
        'athena:GetDataCatalog',
        'athena:ListDatabases',
        'athena:GetDatabase',
        'athena:ListTableMetadata',
        'athena:GetTableMetadata',
      ],
      resources: [dataCatalog],
    },
    {
      roles: ['analyst'],
      actions: ['glue:GetDatabase', 'glue:GetDatabases', 'glue:GetTable', 'glue:GetTables', 'glue:GetPartition', 'glue:GetPartitions'],
      resources: [glue('catalog'), database, ...tables([CURATED_TABLE.name, COMMODITY_TABLE.name])],
    },
    // Athena writes and reads the analyst's query results as the analyst.
    { roles: ['analyst'], actions: ['s3:ListBucket', 's3:GetBucketLocation'], resources: [results.bucketArn] },
    {
      roles: ['analyst'],
      actions: ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],
      resources: [results.arnForObjects(`${RESULTS_PREFIX}*`)],
      wildcardReason: "Athena names each query's result objects by query id at run time, under results/ only.",
    },
    // Rerun the daily job after a failure (its alarm says how).
    { roles: ['operator'], actions: ['lambda:InvokeFunction'], resources: [reports.job.function.functionArn] },
    { roles: ['admin'], actions: ['scheduler:*'], resources: [reports.schedule.attrArn], wildcardReason: ALL_OF('EventBridge Scheduler') },
    { roles: ['operator', 'developer'], actions: ['scheduler:GetSchedule'], resources: [reports.schedule.attrArn] },
  ];
}

/** The dashboard stack: the CloudFront distribution (its buckets are found by `operationsGrants`). */
function dashboardGrants(dashboard: DashboardStack): PersonGrant[] {
  const distribution = dashboard.formatArn({
    service: 'cloudfront',
    region: '',
    resource: 'distribution',
    resourceName: dashboard.dashboard.distribution.distributionId,
  });
  return [{ roles: ['admin'], actions: ['cloudfront:*'], resources: [distribution], wildcardReason: ALL_OF('CloudFront') }];
}

/**
 * Gives the people roles their permissions on the stage's resources: a `PeopleAccess` (one
 * managed policy per role) in each stack, beside what it grants on.
 */
export function grantPeopleAccess(roles: Readonly<Record<PersonRole, iam.IRole>>, stacks: PeopleAccessTargets, config: StageConfig): void {
  const add = (stack: Stack, grants: PersonGrant[]) =>
    new PeopleAccess(stack, 'PeopleAccess', { roles, grants: [...operationsGrants(stack, config), ...grants] });
  add(stacks.data, dataGrants(stacks.data, config));
  add(stacks.analytics, analyticsGrants(stacks.analytics));
  add(stacks.api, apiGrants(stacks.api));
  add(stacks.reports, reportsGrants(stacks.reports));
  add(stacks.dashboard, dashboardGrants(stacks.dashboard));
  for (const stack of stacks.operationsOnly ?? []) add(stack, []);
}
