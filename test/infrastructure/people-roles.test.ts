import { Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { addStage, StageStacks } from '../../lib/analytics-app';
import { PeopleAccess } from '../../lib/constructs/people-access';
import { operationsGrants, PeopleStack } from '../../lib/stacks/people-stack';
import { PERSON_ROLES, type PersonRole } from '../../lib/constructs/people-roles';
import { STAGE_NAMES, stageConfig, type StageName } from '../../lib/config/stage-config';
import { ACCOUNT, REGION, StageIam } from '../support/iam-simulation';
import { builtDashboard, synthWithGate, testApp } from './stage-app';

/** One alarm of the stage (they all live in the monitoring stack). */
function firstAlarm(stack: Stack): cloudwatch.Alarm {
  const alarm = stack.node.findAll().find((c): c is cloudwatch.Alarm => c instanceof cloudwatch.Alarm);
  if (!alarm) throw new Error(`${stack.stackName} has no alarm`);
  return alarm;
}

// The people roles' policies, evaluated by a real IAM policy evaluator (@cloud-copilot/iam-simulate)
// against the synthesized templates of every stage, resolved to the names and ARNs CloudFormation
// would give them: identity policies attached to each role, plus the resource's own policy
// (bucket, queue, topic) where it has one.

interface Stage {
  readonly stacks: StageStacks;
  readonly iam: StageIam;
}

function synthesize(stage: StageName): Stage {
  const app = testApp();
  const stacks = addStage(app, stageConfig(stage), builtDashboard());
  const assembly = app.synth();
  return { stacks, iam: new StageIam(stacks.people.people.roles, assembly.directory) };
}

const stages = new Map<StageName, Stage | Error>();
/** The stage, synthesized once per test file (a failure too, so it is not retried by every test). */
function stage(name: StageName): Stage {
  if (!stages.has(name)) {
    try {
      stages.set(name, synthesize(name));
    } catch (error) {
      stages.set(name, error as Error);
    }
  }
  const s = stages.get(name);
  if (s === undefined || s instanceof Error) throw s ?? new Error(`stage ${name} not synthesized`);
  return s;
}

const DAY = '2026-11-29';

/** The concrete ARNs of the resources the table below asks about, in one synthesized stage. */
function resources({ stacks: s, iam }: Stage) {
  const lake = iam.attr(s.data.lake.bucket);
  const athenaResults = iam.attr(s.reports.reports.resultsBucket);
  const table = iam.attr(s.analytics.results.table);
  const realtimeLogs = iam.ref(s.analytics.realtime.appFunction.logGroup);
  const database = s.reports.reports.databaseName;
  const glueTable = (name: string) => `arn:aws:glue:${REGION}:${ACCOUNT}:table/${database}/${name}`;
  return {
    '*': '*',
    stream: iam.attr(s.data.events.stream),
    lake,
    lakeRaw: `${lake}/raw/dt=${DAY}/hour=10/uba-1-${DAY}-10-00-00-abc.json.gz`,
    lakeErrors: `${lake}/errors/processing-failed/dt=${DAY}/x.gz`,
    lakeCurated: `${lake}/curated/events/event_day=${DAY}/part-0.parquet`,
    lakeStaging: `${lake}/curated/staging/${DAY}/q1/part-0.parquet`,
    lakeDim: `${lake}/dim/commodity/commodity.csv`,
    lakeExport: `${lake}/exports/dau/dt=${DAY}/dau.csv`,
    athenaResult: `${athenaResults}/results/0b3c.csv`,
    resultsTable: table,
    alertsIndex: `${table}/index/byTime`,
    realtimeDlq: iam.attr(s.analytics.realtime.deadLetterQueue),
    scheduleDlq: iam.attr(s.reports.reports.deadLetterQueue),
    realtimeFunction: iam.attr(s.analytics.realtime.appFunction.function),
    ingestFunction: iam.attr(s.api.ingest.appFunction.function),
    reportsJob: iam.attr(s.reports.reports.job.function),
    realtimeLogGroup: iam.attr(s.analytics.realtime.appFunction.logGroup),
    realtimeLogStream: `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${realtimeLogs}:log-stream:2026/11/29/[$LATEST]0a1b`,
    alarm: iam.attr(firstAlarm(s.monitoring)),
    alarmTopic: iam.ref(s.analytics.alarmTopic),
    alertsTopic: iam.ref(s.analytics.alertsTopic),
    secret: s.data.pseudonymKey ? iam.ref(s.data.pseudonymKey) : undefined,
    /** The first producer's key secret, with the load-balancer front door only. */
    producerKey: s.api.ingest.producerKeys ? iam.ref(Object.values(s.api.ingest.producerKeys.secrets)[0]) : undefined,
    workGroup: `arn:aws:athena:${REGION}:${ACCOUNT}:workgroup/${iam.ref(s.reports.reports.workGroup)}`,
    glueCatalog: `arn:aws:glue:${REGION}:${ACCOUNT}:catalog`,
    glueDatabase: `arn:aws:glue:${REGION}:${ACCOUNT}:database/${database}`,
    glueCurated: glueTable('events'),
    glueRaw: glueTable('raw_events'),
    deliveryStream: iam.attr(s.data.lake.deliveryStream),
    restApi: `arn:aws:apigateway:${REGION}::/restapis/${iam.ref(s.api.ingest.api)}`,
    distribution: `arn:aws:cloudfront::${ACCOUNT}:distribution/${iam.ref(s.dashboard.dashboard.distribution)}`,
    dashboardObject: `${iam.attr(s.dashboard.dashboard.bucket)}/index.html`,
  };
}
type ResourceKey = keyof ReturnType<typeof resources>;

type Expected = boolean | Readonly<Record<StageName, boolean>>;
/** One row: `role` may (or may not) do `action` on `on`, over TLS, with `context`. */
type Row = readonly [PersonRole, string, ResourceKey, Expected, Record<string, string | string[]>?];

const notInProd = { dev: true, uat: true, prod: false } as const;

const TABLE: readonly Row[] = [
  // admin: everything in the stage
  ['admin', 's3:GetObject', 'lakeRaw', true],
  ['admin', 's3:DeleteObject', 'lakeCurated', true],
  ['admin', 's3:PutBucketPolicy', 'lake', true],
  ['admin', 'dynamodb:DeleteTable', 'resultsTable', true],
  ['admin', 'dynamodb:PutItem', 'resultsTable', true],
  ['admin', 'kinesis:PutRecords', 'stream', true],
  ['admin', 'kinesis:UpdateShardCount', '*', notInProd],
  ['admin', 'lambda:UpdateFunctionCode', 'realtimeFunction', true],
  ['admin', 'sqs:PurgeQueue', 'realtimeDlq', true],
  ['admin', 'sns:Subscribe', 'alarmTopic', true],
  ['admin', 'logs:DeleteLogGroup', 'realtimeLogGroup', true],
  ['admin', 'cloudwatch:SetAlarmState', 'alarm', true],
  ['admin', 'athena:StartQueryExecution', 'workGroup', true],
  ['admin', 'glue:UpdateTable', 'glueRaw', true],
  ['admin', 'firehose:UpdateDestination', 'deliveryStream', true],
  ['admin', 'apigateway:PATCH', 'restApi', true],
  ['admin', 'cloudfront:CreateInvalidation', 'distribution', true],
  ['admin', 's3:PutObject', 'dashboardObject', true],

  // operator: alarms, logs, metrics; redrive, replay, reshard; no deletion, no secrets
  ['operator', 'cloudwatch:DescribeAlarms', 'alarm', true],
  ['operator', 'cloudwatch:GetMetricData', '*', true],
  ['operator', 'logs:GetLogEvents', 'realtimeLogStream', true],
  ['operator', 'logs:StartQuery', 'realtimeLogGroup', true],
  ['operator', 'sqs:ReceiveMessage', 'realtimeDlq', true],
  ['operator', 'sqs:DeleteMessage', 'realtimeDlq', true],
  ['operator', 'sqs:ReceiveMessage', 'scheduleDlq', true],
  ['operator', 'kinesis:GetRecords', 'stream', true],
  ['operator', 'kinesis:PutRecords', 'stream', true],
  ['operator', 'kinesis:UpdateShardCount', '*', notInProd],
  ['operator', 'dynamodb:Query', 'resultsTable', true],
  ['operator', 'dynamodb:UpdateItem', 'resultsTable', true, { 'dynamodb:LeadingKeys': ['QUARANTINE#2026-11-29'] }],
  ['operator', 'dynamodb:UpdateItem', 'resultsTable', false, { 'dynamodb:LeadingKeys': ['METRIC#2026-11-29'] }],
  ['operator', 'lambda:InvokeFunction', 'realtimeFunction', true],
  ['operator', 'kinesis:SplitShard', 'stream', notInProd],
  ['operator', 'kinesis:MergeShards', 'stream', notInProd],
  ['analyst', 'lambda:InvokeFunction', 'realtimeFunction', false],
  ['operator', 'lambda:InvokeFunction', 'reportsJob', true],
  ['operator', 'sns:GetTopicAttributes', 'alarmTopic', true],
  ['operator', 's3:ListBucket', 'lake', true],
  ['operator', 'dynamodb:DeleteTable', 'resultsTable', false],
  ['operator', 'dynamodb:DeleteItem', 'resultsTable', false],
  ['operator', 'dynamodb:PutItem', 'resultsTable', false],
  ['operator', 's3:DeleteObject', 'lakeRaw', false],
  ['operator', 's3:DeleteObject', 'lakeCurated', false],
  ['operator', 's3:GetObject', 'lakeRaw', false],
  ['operator', 'kinesis:DeleteStream', 'stream', false],
  ['operator', 'sqs:PurgeQueue', 'realtimeDlq', false],
  ['operator', 'sqs:DeleteQueue', 'realtimeDlq', false],
  ['operator', 'logs:DeleteLogGroup', 'realtimeLogGroup', false],
  ['operator', 'lambda:UpdateFunctionCode', 'realtimeFunction', false],
  ['operator', 'cloudwatch:DeleteAlarms', 'alarm', false],
  ['operator', 'athena:StartQueryExecution', 'workGroup', false],
  ['operator', 'firehose:UpdateDestination', 'deliveryStream', false],
  ['operator', 'apigateway:PATCH', 'restApi', false],
  ['operator', 's3:PutObject', 'dashboardObject', false],

  // developer: functions in dev and uat; logs and the results table everywhere; prod read-only
  ['developer', 'lambda:UpdateFunctionCode', 'realtimeFunction', notInProd],
  ['developer', 'lambda:UpdateFunctionConfiguration', 'ingestFunction', notInProd],
  ['developer', 'lambda:UpdateFunctionCode', 'reportsJob', notInProd],
  ['developer', 'lambda:InvokeFunction', 'realtimeFunction', notInProd],
  ['developer', 'lambda:GetFunction', 'realtimeFunction', true],
  ['developer', 'logs:GetLogEvents', 'realtimeLogStream', true],
  ['developer', 'logs:FilterLogEvents', 'realtimeLogGroup', true],
  ['developer', 'dynamodb:Query', 'resultsTable', true],
  ['developer', 'dynamodb:Query', 'alertsIndex', true],
  ['developer', 'dynamodb:GetItem', 'resultsTable', true],
  ['developer', 'cloudwatch:DescribeAlarms', 'alarm', true],
  ['developer', 'dynamodb:PutItem', 'resultsTable', false],
  ['developer', 'dynamodb:DeleteItem', 'resultsTable', false],
  ['developer', 'lambda:DeleteFunction', 'realtimeFunction', false],
  ['developer', 's3:GetObject', 'lakeRaw', false],
  ['developer', 'kinesis:PutRecords', 'stream', false],
  ['developer', 'sqs:ReceiveMessage', 'realtimeDlq', false],
  ['developer', 'athena:StartQueryExecution', 'workGroup', false],

  // analyst: the workgroup, the curated table, the dimension and the exports
  ['analyst', 'athena:StartQueryExecution', 'workGroup', true],
  ['analyst', 'athena:GetQueryResults', 'workGroup', true],
  ['analyst', 'glue:GetTable', 'glueCurated', true],
  ['analyst', 'glue:GetDatabase', 'glueDatabase', true],
  ['analyst', 's3:GetObject', 'lakeCurated', true],
  ['analyst', 's3:GetObject', 'lakeDim', true],
  ['analyst', 's3:GetObject', 'lakeExport', true],
  ['analyst', 's3:ListBucket', 'lake', true, { 's3:prefix': 'exports/dau/' }],
  ['analyst', 's3:PutObject', 'athenaResult', true],
  ['analyst', 's3:GetObject', 'athenaResult', true],
  ['analyst', 's3:GetObject', 'lakeRaw', false],
  ['analyst', 's3:GetObject', 'lakeErrors', false],
  ['analyst', 's3:GetObject', 'lakeStaging', false],
  ['analyst', 's3:ListBucket', 'lake', false, { 's3:prefix': 'raw/' }],
  ['analyst', 's3:PutObject', 'lakeExport', false],
  ['analyst', 's3:DeleteObject', 'lakeCurated', false],
  ['analyst', 'glue:GetTable', 'glueRaw', false],
  ['analyst', 'glue:DeleteTable', 'glueCurated', false],
  ['analyst', 'dynamodb:PutItem', 'resultsTable', false],
  ['analyst', 'dynamodb:UpdateItem', 'resultsTable', false],
  ['analyst', 'kinesis:PutRecords', 'stream', false],
  ['analyst', 'lambda:UpdateFunctionCode', 'realtimeFunction', false],
  ['analyst', 'logs:GetLogEvents', 'realtimeLogStream', false],
];

const expected = (e: Expected, s: StageName) => (typeof e === 'boolean' ? e : e[s]);

describe.each(STAGE_NAMES)('people roles in %s (IAM policy evaluation)', (name) => {
  const cases = TABLE.map(([role, action, on, allowed, context]) => ({
    role,
    action,
    on,
    context: context ?? {},
    allowed: expected(allowed, name),
    verb: expected(allowed, name) ? 'may' : 'may not',
  }));

  it.each(cases)('$role $verb $action on $on', async ({ role, action, on, context, allowed }) => {
    const resource = resources(stage(name))[on];
    if (resource === undefined) throw new Error(`${on} does not exist in ${name}`);
    const decision = await stage(name).iam.decide(role, action, resource, context);
    expect(decision).toEqual(allowed ? 'Allowed' : expect.stringMatching(/Denied$/));
  });

  it('attaches a policy to every role, each from the stage itself', () => {
    const { iam } = stage(name);
    for (const role of PERSON_ROLES) {
      const names = iam.policyNames(role);
      expect(names.length).toBeGreaterThan(0);
      expect(names.every((n) => n.startsWith(`uba-${name}-`))).toBe(true);
    }
  });

  it.each(PERSON_ROLES)('gives %s no secret value', async (role) => {
    const { secret } = resources(stage(name));
    if (secret === undefined) {
      expect(stage(name).stacks.data.pseudonymKey).toBeUndefined();
      return;
    }
    const decision = await stage(name).iam.decide(role, 'secretsmanager:GetSecretValue', secret);
    expect(decision).toBe(role === 'admin' ? 'Allowed' : 'ImplicitlyDenied');
  });

  // Rotating a producer key (docs/security.md): admins and operators; never developers or analysts.
  const rotation = [
    'secretsmanager:DescribeSecret',
    'secretsmanager:ListSecretVersionIds',
    'secretsmanager:GetSecretValue',
    'secretsmanager:PutSecretValue',
    'secretsmanager:UpdateSecretVersionStage',
  ];
  it.each(PERSON_ROLES)('producer key secrets: %s rotates them only if admin or operator, deletes them only if admin', async (role) => {
    const { producerKey, secret } = resources(stage(name));
    if (producerKey === undefined) {
      expect(stageConfig(name).ingest.frontDoor.kind).toBe('rest');
      return;
    }
    const { iam } = stage(name);
    const rotates = role === 'admin' || role === 'operator';
    const decisions = await Promise.all(rotation.map(async (action) => [action, await iam.decide(role, action, producerKey)]));
    expect(decisions).toEqual(rotation.map((action) => [action, rotates ? 'Allowed' : 'ImplicitlyDenied']));
    for (const action of ['secretsmanager:DeleteSecret', 'secretsmanager:PutResourcePolicy']) {
      await expect(iam.decide(role, action, producerKey)).resolves.toBe(role === 'admin' ? 'Allowed' : 'ImplicitlyDenied');
    }
    // By ARN: the grant reaches no other secret of the stage or the account.
    if (secret !== undefined) {
      await expect(iam.decide(role, 'secretsmanager:GetSecretValue', secret)).resolves.toBe(
        role === 'admin' ? 'Allowed' : 'ImplicitlyDenied',
      );
    }
    const elsewhere = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:another-teams-key-AbCdEf`;
    await expect(iam.decide(role, 'secretsmanager:GetSecretValue', elsewhere)).resolves.toBe('ImplicitlyDenied');
  });

  // S3 and SQS deny every action without TLS; SNS denies publishing (enforceSSL's statements).
  it.each(PERSON_ROLES)("denies %s any request without TLS, by the resources' own policies", async (role) => {
    const r = resources(stage(name));
    const { iam } = stage(name);
    const plain = { 'aws:SecureTransport': 'false' };
    for (const [action, resource] of [
      ['s3:GetObject', r.lakeCurated],
      ['s3:GetObject', r.lakeRaw],
      ['s3:ListBucket', r.lake],
      ['s3:GetObject', r.athenaResult],
      ['sqs:ReceiveMessage', r.realtimeDlq],
      ['sns:Publish', r.alarmTopic],
      ['sns:Publish', r.alertsTopic],
    ] as const) {
      expect(iam.resourcePolicy(resource)).toBeDefined();
      await expect(iam.decide(role, action, resource, plain)).resolves.toBe('ExplicitlyDenied');
    }
  });

  it.each(PERSON_ROLES)('gives %s nothing outside the stage', async (role) => {
    const { iam } = stage(name);
    const other = name === 'prod' ? 'dev' : 'prod';
    const o = resources(stage(other));
    for (const [action, resource] of [
      ['s3:GetObject', o.lakeCurated],
      ['s3:GetObject', 'arn:aws:s3:::another-teams-bucket/curated/events/x.parquet'],
      ['dynamodb:Query', o.resultsTable],
      ['lambda:GetFunction', o.realtimeFunction],
      ['logs:GetLogEvents', o.realtimeLogStream],
      ['athena:StartQueryExecution', o.workGroup],
      ['kinesis:DescribeStreamSummary', o.stream],
    ] as const) {
      await expect(iam.decide(role, action, resource)).resolves.toBe('ImplicitlyDenied');
    }
  });

  it.each(PERSON_ROLES)('lets a principal of the account assume %s, with MFA where the stage requires it', async (role) => {
    const { iam } = stage(name);
    const alice = `arn:aws:iam::${ACCOUNT}:user/alice`;
    const mfa = { 'aws:MultiFactorAuthPresent': 'true' };
    const noMfa = { 'aws:MultiFactorAuthPresent': 'false' };
    await expect(iam.decideAssume(role, alice, mfa)).resolves.toBe('Allowed');
    await expect(iam.decideAssume(role, alice, noMfa)).resolves.toBe(stageConfig(name).people.requireMfa ? 'ImplicitlyDenied' : 'Allowed');
    await expect(iam.decideAssume(role, 'arn:aws:iam::444455556666:user/mallory', mfa)).resolves.toBe('ImplicitlyDenied');
  });
});

describe('people roles on resources a stack adds later', () => {
  it('lets operators and developers read a CloudWatch dashboard of the stage, and admins change it', async () => {
    const app = testApp();
    const config = stageConfig('dev');
    const people = new PeopleStack(app, 'uba-dev-people', { config });
    const monitoring = new Stack(app, 'uba-dev-monitoring');
    const dashboard = new cloudwatch.Dashboard(monitoring, 'Dashboard');
    new PeopleAccess(monitoring, 'PeopleAccess', { roles: people.people.roles, grants: operationsGrants(monitoring, config) });
    const iam = new StageIam(people.people.roles, app.synth().directory);
    const arn = `arn:aws:cloudwatch::${ACCOUNT}:dashboard/${iam.ref(dashboard)}`;

    const decisions = await Promise.all(
      (
        [
          ['operator', 'cloudwatch:GetDashboard'],
          ['developer', 'cloudwatch:GetDashboard'],
          ['analyst', 'cloudwatch:GetDashboard'],
          ['operator', 'cloudwatch:DeleteDashboards'],
          ['admin', 'cloudwatch:PutDashboard'],
        ] as const
      ).map(([role, action]) => iam.decide(role, action, arn)),
    );

    expect(decisions).toEqual(['Allowed', 'Allowed', 'ImplicitlyDenied', 'ImplicitlyDenied', 'Allowed']);
  });
});

describe('people access and the compliance gate', () => {
  const withGrant = (wildcardReason?: string) =>
    synthWithGate((app) => {
      const people = new PeopleStack(app, 'uba-dev-people', { config: stageConfig('dev') });
      const other = new Stack(app, 'uba-dev-other');
      new PeopleAccess(other, 'PeopleAccess', {
        roles: people.people.roles,
        grants: [{ roles: ['analyst'], actions: ['s3:GetObject'], resources: ['arn:aws:s3:::bucket/exports/*'], wildcardReason }],
      });
    });

  it('fails synth on a wildcard given without a reason', () => {
    const { findings } = withGrant();
    expect(findings).toEqual(['AwsSolutions-IAM5[Resource::arn:aws:s3:::bucket/exports/*] at uba-dev-other/PeopleAccess/Analyst/Resource']);
  });

  it('acknowledges a wildcard given with its reason', () => {
    const { error, findings } = withGrant('Analysts read the exports, named at run time.');
    expect(findings).toEqual([]);
    expect(error).toBeUndefined();
  });
});
