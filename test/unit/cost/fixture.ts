import { Inputs, type MeasuredFigure, type Price, type PriceTable } from '../../../scripts/cost/inputs';
import type { CfnTemplate, StackTemplate } from '../../../local/template/types';

/**
 * A fixed, small synthesized stage (one stack): a provisioned stream of 2 shards read by one
 * consumer and a Firehose delivery stream into a lake bucket (IA after 30 days, deleted after 90),
 * a REST API whose POST method invokes the ingest function, a results table on demand, log groups
 * kept 7 days, two alarms on a metric and one metric-math alarm on two metrics. Kept by hand so the model's arithmetic can be checked by hand.
 */
export const FIXTURE_TEMPLATE: CfnTemplate = {
  Resources: {
    Stream: {
      Type: 'AWS::Kinesis::Stream',
      Properties: { ShardCount: 2, RetentionPeriodHours: 24, StreamModeDetails: { StreamMode: 'PROVISIONED' } },
    },
    Lake: {
      Type: 'AWS::S3::Bucket',
      Properties: {
        LifecycleConfiguration: {
          Rules: [
            {
              Id: 'raw',
              Prefix: 'raw/',
              Status: 'Enabled',
              ExpirationInDays: 90,
              Transitions: [{ StorageClass: 'STANDARD_IA', TransitionInDays: 30 }],
            },
          ],
        },
      },
    },
    Delivery: {
      Type: 'AWS::KinesisFirehose::DeliveryStream',
      Properties: {
        DeliveryStreamType: 'KinesisStreamAsSource',
        KinesisStreamSourceConfiguration: {
          KinesisStreamARN: { 'Fn::GetAtt': ['Stream', 'Arn'] },
          RoleARN: 'arn:aws:iam::000000000000:role/firehose',
        },
        ExtendedS3DestinationConfiguration: {
          BucketARN: { 'Fn::GetAtt': ['Lake', 'Arn'] },
          BufferingHints: { IntervalInSeconds: 300, SizeInMBs: 64 },
          CompressionFormat: 'GZIP',
          RoleARN: 'arn:aws:iam::000000000000:role/firehose',
        },
      },
    },
    IngestLogs: { Type: 'AWS::Logs::LogGroup', Properties: { RetentionInDays: 7 } },
    AccessLogs: { Type: 'AWS::Logs::LogGroup', Properties: { RetentionInDays: 7 } },
    RealtimeLogs: { Type: 'AWS::Logs::LogGroup', Properties: { RetentionInDays: 7 } },
    Ingest: {
      Type: 'AWS::Lambda::Function',
      Properties: {
        Architectures: ['arm64'],
        MemorySize: 1024,
        Timeout: 30,
        Role: 'arn:aws:iam::000000000000:role/ingest',
        Code: { ZipFile: 'x' },
        Environment: { Variables: { POWERTOOLS_SERVICE_NAME: 'ingest' } },
        LoggingConfig: { LogGroup: { Ref: 'IngestLogs' } },
      },
    },
    Realtime: {
      Type: 'AWS::Lambda::Function',
      Properties: {
        Architectures: ['arm64'],
        MemorySize: 512,
        Timeout: 60,
        Role: 'arn:aws:iam::000000000000:role/realtime',
        Code: { ZipFile: 'x' },
        Environment: { Variables: { POWERTOOLS_SERVICE_NAME: 'realtime', RESULT_RETENTION_DAYS: '30' } },
        LoggingConfig: { LogGroup: { Ref: 'RealtimeLogs' } },
      },
    },
    Mapping: {
      Type: 'AWS::Lambda::EventSourceMapping',
      Properties: {
        EventSourceArn: { 'Fn::GetAtt': ['Stream', 'Arn'] },
        FunctionName: { Ref: 'Realtime' },
        BatchSize: 1000,
        MaximumBatchingWindowInSeconds: 5,
        StartingPosition: 'TRIM_HORIZON',
      },
    },
    Api: { Type: 'AWS::ApiGateway::RestApi', Properties: { Name: 'Api' } },
    Post: {
      Type: 'AWS::ApiGateway::Method',
      Properties: {
        RestApiId: { Ref: 'Api' },
        HttpMethod: 'POST',
        Integration: {
          Type: 'AWS_PROXY',
          Uri: {
            'Fn::Join': [
              '',
              ['arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/', { 'Fn::GetAtt': ['Ingest', 'Arn'] }, '/invocations'],
            ],
          },
        },
      },
    },
    Stage: {
      Type: 'AWS::ApiGateway::Stage',
      Properties: {
        RestApiId: { Ref: 'Api' },
        StageName: 'fx',
        AccessLogSetting: { DestinationArn: { 'Fn::GetAtt': ['AccessLogs', 'Arn'] }, Format: '{"id":"$context.requestId"}' },
      },
    },
    Results: {
      Type: 'AWS::DynamoDB::Table',
      Properties: {
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      },
    },
    Lag: {
      Type: 'AWS::CloudWatch::Alarm',
      Properties: {
        MetricName: 'IteratorAge',
        Namespace: 'AWS/Lambda',
        Threshold: 1,
        EvaluationPeriods: 1,
        ComparisonOperator: 'GreaterThanThreshold',
      },
    },
    Errors: {
      Type: 'AWS::CloudWatch::Alarm',
      Properties: {
        MetricName: 'Errors',
        Namespace: 'AWS/Lambda',
        Threshold: 0,
        EvaluationPeriods: 1,
        ComparisonOperator: 'GreaterThanThreshold',
      },
    },
    ErrorRate: {
      Type: 'AWS::CloudWatch::Alarm',
      Properties: {
        Metrics: [
          { Id: 'rate', Expression: 'errors / invocations', ReturnData: true },
          {
            Id: 'errors',
            MetricStat: { Metric: { MetricName: 'Errors', Namespace: 'AWS/Lambda' }, Period: 300, Stat: 'Sum' },
            ReturnData: false,
          },
          {
            Id: 'invocations',
            MetricStat: { Metric: { MetricName: 'Invocations', Namespace: 'AWS/Lambda' }, Period: 300, Stat: 'Sum' },
            ReturnData: false,
          },
        ],
        Threshold: 0.1,
        EvaluationPeriods: 1,
        ComparisonOperator: 'GreaterThanThreshold',
      },
    },
  },
};

/** The fixture as the one stack of a cloud assembly. */
export function fixtureStacks(template: CfnTemplate = FIXTURE_TEMPLATE): StackTemplate[] {
  return [
    {
      stackName: 'fx',
      artifactId: 'fx',
      displayName: 'fx',
      templatePath: '/nonexistent/fx.template.json',
      assemblyDir: '/nonexistent',
      dependencies: [],
      template,
    },
  ];
}

const p = (usd: number): Price => ({ usd, unit: 'fixture', source: 'https://example.com/', asOf: '2026-11-30' });

/** Round prices for hand checks (REST requests $3.50 per million up to 333 M). */
export const FIXTURE_PRICES: PriceTable = {
  region: 'us-east-1',
  currency: 'USD',
  hoursPerMonth: 730,
  note: 'fixture',
  prices: {
    'apigateway.rest.requests': {
      tiers: [{ upTo: 333e6, usd: 3.5 }, { usd: 2.8 }],
      unit: 'per million',
      source: 'https://example.com/',
      asOf: '2026-11-30',
    },
    'apigateway.rest.detailedMetricsPerMethod': p(7),
    'dataTransfer.internetOut': p(0.09),
    'lambda.requests': p(0.2),
    'lambda.arm64.gbSecond': p(0.0000133334),
    'lambda.x86_64.gbSecond': p(0.0000166667),
    'kinesis.onDemand.streamHour': p(0.04),
    'kinesis.onDemand.dataIn': p(0.08),
    'kinesis.onDemand.dataOut': p(0.04),
    'kinesis.onDemand.extendedRetention': p(0.1),
    'kinesis.provisioned.shardHour': p(0.015),
    'kinesis.provisioned.putPayloadUnits': p(0.014),
    'kinesis.provisioned.extendedRetention': p(0.02),
    'firehose.ingest': p(0.029),
    'dynamodb.onDemand.wru': p(0.625),
    'dynamodb.onDemand.rru': p(0.125),
    'dynamodb.storage': p(0.25),
    'dynamodb.pitr': p(0.2),
    's3.standard.storage': p(0.023),
    's3.standardIa.storage': p(0.0125),
    's3.glacierIr.storage': p(0.004),
    's3.put': p(0.005),
    's3.transitionIa': p(0.01),
    's3.transitionGlacierIr': p(0.02),
    'cloudwatch.logs.ingest': p(0.5),
    'cloudwatch.logs.storage': p(0.03),
    'cloudwatch.alarm': p(0.1),
    'cloudwatch.metrics': p(0.3),
  },
};

const f = (value: number): MeasuredFigure => ({ value, unit: 'fixture', how: 'fixture', at: '2026-11-30', by: 'fixture' });

/** Round measured figures for hand checks. */
export const FIXTURE_FIGURES: Record<string, MeasuredFigure> = {
  'stream.overheadBytesPerEvent': f(100),
  'lake.gzipRatio': f(0.2),
  'ingest.cpuMsPerRequest': f(1),
  'ingest.cpuMsPerEvent': f(0.5),
  'ingest.putRecordsMs': f(20),
  'ingest.responseBytesPerRequest': f(0),
  'ingest.responseBytesPerEvent': f(0),
  'ingest.logBytesPerRequest': f(300),
  'lambda.platformLogBytesPerInvocation': f(700),
  'lambda.vcpuAtMb': f(1024),
  'realtime.cpuMsPerBatch': f(10),
  'realtime.cpuMsPerEvent': f(0.05),
  'realtime.callsPerBatch': f(10),
  'realtime.callsPerEvent': f(0),
  'realtime.wruPerBatch': f(20),
  'realtime.wruPerEvent': f(0.1),
  'realtime.rruPerBatch': f(2),
  'realtime.rruPerEvent': f(0),
  'realtime.logBytesPerBatch': f(100),
  'consumers.requestsInFlight': f(10),
  'dynamodb.requestMs': f(5),
  'results.storedBytesPerMinute': f(1024 * 1024),
  'dashboard.apiCallsPerRefresh': f(11),
  'logs.storedPerIngestedByte': f(0.1),
  'api.accessLogValueBytes': f(16),
  'cloudwatch.businessMetrics': f(0),
};

/** The fixture inputs, with `figures` overriding. */
export const fixtureInputs = (figures: Record<string, MeasuredFigure> = {}): Inputs =>
  new Inputs(FIXTURE_PRICES, { note: 'fixture', figures: { ...FIXTURE_FIGURES, ...figures } });
