import { Match } from 'aws-cdk-lib/assertions';
import { parseAnalyticsConfig } from '../../lambdas/analytics/config';
import { stageConfig } from '../../lib/config/stage-config';
import { actionsOf, policyStatements, synthStage } from './stage-app';

type Resource = { Properties: Record<string, unknown> };

function mappings(stage: 'dev' | 'prod') {
  return Object.values(synthStage(stage).analytics.findResources('AWS::Lambda::EventSourceMapping')) as Resource[];
}

describe('results table', () => {
  it('is on-demand, encrypted, recoverable, expires items by TTL and has the alerts index', () => {
    synthStage('prod').analytics.hasResourceProperties('AWS::DynamoDB::Table', {
      BillingMode: 'PAY_PER_REQUEST',
      SSESpecification: { SSEEnabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: [Match.objectLike({ IndexName: 'byTime', Projection: { ProjectionType: 'ALL' } })],
    });
  });

  it('is retained in prod and deleted with a dev stack', () => {
    synthStage('prod').analytics.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Retain' });
    synthStage('dev').analytics.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Delete' });
  });

  it.each(['dev', 'uat', 'prod'] as const)('%s: has deletion protection exactly where the stage config asks (prod)', (stage) => {
    const expected = stageConfig(stage).analytics.resultsDeletionProtection;
    expect(expected).toBe(stage === 'prod');
    synthStage(stage).analytics.hasResourceProperties('AWS::DynamoDB::Table', {
      DeletionProtectionEnabled: expected,
    });
  });
});

describe('stream consumers', () => {
  it('reads the stream with two consumers only (Firehose is the third of the 5 reads/s per shard)', () => {
    expect(mappings('dev')).toHaveLength(2);
  });

  it.each(['dev', 'prod'] as const)(
    '%s: every consumer reports item failures, bisects, bounds retries and age, and has an on-failure queue',
    (stage) => {
      const a = stageConfig(stage).analytics;
      for (const m of mappings(stage)) {
        expect(m.Properties).toMatchObject({
          FunctionResponseTypes: ['ReportBatchItemFailures'],
          BisectBatchOnFunctionError: true,
          MaximumRetryAttempts: a.retryAttempts,
          MaximumRecordAgeInSeconds: a.maxRecordAge.toSeconds(),
          BatchSize: a.batchSize,
          MaximumBatchingWindowInSeconds: (m.Properties.TumblingWindowInSeconds === undefined
            ? a.realtimeMaxBatchingWindow
            : a.maxBatchingWindow
          ).toSeconds(),
          ParallelizationFactor: 1,
          StartingPosition: 'TRIM_HORIZON',
          DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [expect.stringMatching(/DeadLetters/), 'Arn'] } } },
        });
      }
    },
  );

  it('runs the threshold rules on tumbling windows of the configured length, and only them', () => {
    const windowed = mappings('dev').filter((m) => m.Properties.TumblingWindowInSeconds !== undefined);
    expect(windowed).toHaveLength(1);
    expect(windowed[0].Properties.TumblingWindowInSeconds).toBe(stageConfig('dev').analytics.window.toSeconds());
  });

  it('keeps dead letters encrypted and reachable over TLS only', () => {
    const { analytics } = synthStage('dev');
    analytics.resourcePropertiesCountIs('AWS::SQS::Queue', { SqsManagedSseEnabled: true }, 2);
    const policies = Object.values(analytics.findResources('AWS::SQS::QueuePolicy')) as Resource[];
    expect(policies).toHaveLength(2);
    for (const p of policies) expect(JSON.stringify(p.Properties)).toContain('"aws:SecureTransport":"false"');
  });

  it('hands the consumers an analysis config that parses, with the stage thresholds and time zone', () => {
    const { analytics } = synthStage('prod');
    const fns = Object.values(
      analytics.findResources('AWS::Lambda::Function', {
        Properties: { Environment: { Variables: { ANALYTICS_CONFIG: Match.anyValue() } } },
      }),
    ) as Resource[];
    expect(fns).toHaveLength(2);
    const env = (fns[0].Properties.Environment as { Variables: Record<string, string> }).Variables;
    const parsed = parseAnalyticsConfig(env.ANALYTICS_CONFIG);
    expect(parsed.metrics.timeZone).toBe(stageConfig('prod').timeZone);
    expect(parsed.windowRules.every((r) => r.windowSeconds === 60)).toBe(true);
    expect(parsed.windowRules.find((r) => r.id === 'warnings-per-action')?.threshold).toBe(10);
    expect(Buffer.byteLength(JSON.stringify(env))).toBeLessThan(4096); // Lambda's limit for all variables
  });

  it('lets consumers read and write result items and publish alerts, nothing more', () => {
    const { analytics } = synthStage('dev');
    const statements = policyStatements(analytics).filter((s) =>
      actionsOf(s).some((x) => x.startsWith('dynamodb:') || x.startsWith('sns:')),
    );
    const actions = new Set(statements.flatMap(actionsOf));
    expect([...actions].sort()).toEqual([
      'dynamodb:BatchGetItem',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      'sns:Publish',
    ]);
    for (const s of statements.filter((x) => actionsOf(x).includes('dynamodb:PutItem'))) {
      expect(s.Resource).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^ResultsTable/), 'Arn'] });
    }
  });

  it('encrypts the alerts topic and requires TLS of publishers on both topics', () => {
    const { analytics } = synthStage('dev');
    const alerts = Object.values(
      analytics.findResources('AWS::SNS::Topic', { Properties: { DisplayName: 'uba dev alerts' } }),
    ) as Resource[];
    expect(JSON.stringify(alerts[0].Properties.KmsMasterKeyId)).toContain('alias/aws/sns');
    analytics.resourceCountIs('AWS::SNS::TopicPolicy', 2);
  });

  it('lets CloudWatch alarms of this account and region, and no other, publish to the alarm topic', () => {
    // prepare
    const { analytics } = synthStage('dev');
    const [alarmTopicId] = Object.keys(
      analytics.findResources('AWS::SNS::Topic', { Properties: { DisplayName: 'uba dev operations alarms' } }),
    );
    expect(alarmTopicId).toBeDefined();
    const policies = Object.values(
      analytics.findResources('AWS::SNS::TopicPolicy', { Properties: { Topics: [{ Ref: alarmTopicId }] } }),
    ) as { Properties: { PolicyDocument: { Statement: Record<string, unknown>[] } } }[];
    expect(policies).toHaveLength(1);

    // assess: one Allow, for the CloudWatch service principal, scoped to this account's alarms
    const allows = policies[0].Properties.PolicyDocument.Statement.filter((s) => s.Effect === 'Allow');
    expect(allows).toHaveLength(1);
    expect(allows[0]).toMatchObject({
      Principal: { Service: 'cloudwatch.amazonaws.com' },
      Action: 'sns:Publish',
      Resource: { Ref: alarmTopicId },
      Condition: {
        StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
      },
    });
    const sourceArn = JSON.stringify((allows[0].Condition as Record<string, Record<string, unknown>>).ArnLike['aws:SourceArn']);
    expect(sourceArn).toContain(':cloudwatch:');
    expect(sourceArn).toContain('{"Ref":"AWS::Region"}');
    expect(sourceArn).toContain('{"Ref":"AWS::AccountId"}');
    expect(sourceArn).toContain(':alarm:*');
  });
});

describe('read API', () => {
  it.each(['alerts', 'metrics', 'paths', 'paths.csv', 'reports'])(
    'serves GET /v1/%s from the query Lambda behind the Cognito authorizer, never an API key',
    (part) => {
      const { api } = synthStage('dev');
      const [resourceId] = Object.keys(api.findResources('AWS::ApiGateway::Resource', { Properties: { PathPart: part } }));
      const methods = Object.values(
        api.findResources('AWS::ApiGateway::Method', { Properties: { ResourceId: { Ref: resourceId }, HttpMethod: 'GET' } }),
      ) as Resource[];
      expect(methods).toHaveLength(1);
      expect(methods[0].Properties).toMatchObject({
        ApiKeyRequired: false,
        AuthorizationType: 'COGNITO_USER_POOLS',
        AuthorizerId: { Ref: expect.stringMatching(/^QueryAuthorizer/) as unknown },
        Integration: { Type: 'AWS_PROXY' },
      });
    },
  );

  it("checks ID tokens of the stage's user pool from the Authorization header", () => {
    const { api } = synthStage('dev');
    api.hasResourceProperties('AWS::ApiGateway::Authorizer', {
      Type: 'COGNITO_USER_POOLS',
      IdentitySource: 'method.request.header.Authorization',
      ProviderARNs: [{ 'Fn::ImportValue': Match.stringLikeRegexp('uba-dev-identity:.*UserPool') }],
    });
  });

  it('gives the query Lambda read-only access to the table and its alerts index', () => {
    const { api } = synthStage('dev');
    const dynamo = policyStatements(api).filter((s) => actionsOf(s).some((x) => x.startsWith('dynamodb:')));
    expect(dynamo.flatMap(actionsOf)).toEqual(['dynamodb:Query']);
    expect(JSON.stringify(dynamo[0].Resource)).toContain('/index/byTime');
  });
});
