import { Match } from 'aws-cdk-lib/assertions';
import { stageConfig } from '../../lib/config/stage-config';
import { actionsOf, policyStatements, synthStage } from './stage-app';

describe('event stream', () => {
  it('is encrypted with the AWS-managed kinesis key and provisioned from config in dev', () => {
    const { data } = synthStage('dev');
    data.hasResourceProperties('AWS::Kinesis::Stream', {
      StreamEncryption: { EncryptionType: 'KMS', KeyId: 'alias/aws/kinesis' },
      ShardCount: 1,
      RetentionPeriodHours: 24,
      StreamModeDetails: { StreamMode: 'PROVISIONED' },
    });
  });

  it('is on-demand with 7 days retention in prod, and retained on delete', () => {
    const { data } = synthStage('prod');
    data.hasResourceProperties('AWS::Kinesis::Stream', {
      StreamModeDetails: { StreamMode: 'ON_DEMAND' },
      RetentionPeriodHours: 168,
      ShardCount: Match.absent(),
    });
    data.hasResource('AWS::Kinesis::Stream', { DeletionPolicy: 'Retain' });
  });
});

describe('raw-event lake', () => {
  const lakeBucket = {
    LoggingConfiguration: Match.objectLike({ LogFilePrefix: 'lake/' }),
  };

  it('is private, encrypted and logged', () => {
    const { data } = synthStage('prod');
    data.hasResourceProperties('AWS::S3::Bucket', {
      ...lakeBucket,
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
    });
  });

  it('denies every request without TLS on both buckets', () => {
    const { data } = synthStage('dev');
    const policies = data.findResources('AWS::S3::BucketPolicy');
    expect(Object.keys(policies)).toHaveLength(2);
    for (const policy of Object.values(policies)) {
      expect(policy.Properties.PolicyDocument.Statement).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      );
    }
  });

  it('tiers and expires raw objects as the stage config says', () => {
    const dev = stageConfig('dev');
    synthStage('dev').data.hasResourceProperties('AWS::S3::Bucket', {
      ...lakeBucket,
      LifecycleConfiguration: {
        Rules: Match.arrayWith([
          Match.objectLike({
            Prefix: 'raw/',
            ExpirationInDays: dev.lake.expireAfter?.toDays(),
            Transitions: [{ StorageClass: 'STANDARD_IA', TransitionInDays: dev.lake.infrequentAccessAfter.toDays() }],
          }),
        ]),
      },
    });
    synthStage('prod').data.hasResourceProperties('AWS::S3::Bucket', {
      ...lakeBucket,
      LifecycleConfiguration: {
        Rules: Match.arrayWith([
          Match.objectLike({
            Prefix: 'raw/',
            ExpirationInDays: Match.absent(),
            Transitions: [
              { StorageClass: 'STANDARD_IA', TransitionInDays: 30 },
              { StorageClass: 'GLACIER_IR', TransitionInDays: 180 },
            ],
          }),
        ]),
      },
    });
  });

  it.each(['dev', 'uat', 'prod'] as const)(
    '%s: is versioned, with noncurrent versions expiring, exactly where the stage config asks (prod)',
    (stage) => {
      const after = stageConfig(stage).lake.noncurrentVersionsExpireAfter;
      expect(after !== undefined).toBe(stage === 'prod');
      const { data } = synthStage(stage);
      if (after) {
        data.hasResourceProperties('AWS::S3::Bucket', {
          ...lakeBucket,
          VersioningConfiguration: { Status: 'Enabled' },
          LifecycleConfiguration: {
            Rules: Match.arrayWith([
              Match.objectLike({ NoncurrentVersionExpiration: { NoncurrentDays: after.toDays() }, ExpiredObjectDeleteMarker: true }),
            ]),
          },
        });
      } else {
        data.hasResourceProperties('AWS::S3::Bucket', {
          ...lakeBucket,
          VersioningConfiguration: Match.absent(),
          LifecycleConfiguration: {
            Rules: Match.not(Match.arrayWith([Match.objectLike({ NoncurrentVersionExpiration: Match.anyValue() })])),
          },
        });
      }
    },
  );

  it('is emptied and deleted with a dev stack, but retained in prod', () => {
    const dev = synthStage('dev').data;
    dev.resourceCountIs('Custom::S3AutoDeleteObjects', 2);
    dev.hasResource('AWS::S3::Bucket', { DeletionPolicy: 'Delete', Properties: Match.objectLike(lakeBucket) });
    const prod = synthStage('prod').data;
    prod.resourceCountIs('Custom::S3AutoDeleteObjects', 0);
    prod.hasResource('AWS::S3::Bucket', { DeletionPolicy: 'Retain', Properties: Match.objectLike(lakeBucket) });
  });

  it('archives the stream as gzip JSON lines under dt=/hour= in the stage time zone, errors apart', () => {
    const prod = stageConfig('prod');
    synthStage('prod').data.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
      DeliveryStreamType: 'KinesisStreamAsSource',
      KinesisStreamSourceConfiguration: { KinesisStreamARN: { 'Fn::GetAtt': [Match.stringLikeRegexp('^EventsStream'), 'Arn'] } },
      ExtendedS3DestinationConfiguration: Match.objectLike({
        Prefix: 'raw/dt=!{timestamp:yyyy-MM-dd}/hour=!{timestamp:HH}/',
        ErrorOutputPrefix: 'errors/!{firehose:error-output-type}/dt=!{timestamp:yyyy-MM-dd}/',
        CompressionFormat: 'GZIP',
        CustomTimeZone: prod.timeZone,
        BufferingHints: { SizeInMBs: prod.lake.bufferSize, IntervalInSeconds: prod.lake.bufferInterval.toSeconds() },
        CloudWatchLoggingOptions: Match.objectLike({ Enabled: true }),
      }),
    });
  });

  it('gives Firehose a role that can only read the stream and write its two prefixes', () => {
    const { data } = synthStage('dev');
    const role = Object.entries(data.findResources('AWS::IAM::Role')).find(([, r]) =>
      JSON.stringify(r.Properties.AssumeRolePolicyDocument).includes('firehose.amazonaws.com'),
    );
    expect(role).toBeDefined();
    expect(role?.[1].Properties.ManagedPolicyArns).toBeUndefined();
    const statements = policyStatements(data).filter((s) => actionsOf(s).some((a) => a.startsWith('kinesis:') || a.startsWith('s3:')));
    const actions = statements.flatMap(actionsOf);
    expect(actions.every((a) => !a.includes('*'))).toBe(true);
    expect(actions).not.toEqual(expect.arrayContaining([expect.stringMatching(/^s3:Delete/)]));
    expect(actions.filter((a) => a.startsWith('kinesis:')).sort()).toEqual(
      [
        'kinesis:DescribeStream',
        'kinesis:DescribeStreamSummary',
        'kinesis:GetRecords',
        'kinesis:GetShardIterator',
        'kinesis:ListShards',
      ].sort(),
    );
    const objectWrites = statements.find((s) => actionsOf(s).includes('s3:PutObject'));
    expect(JSON.stringify(objectWrites?.Resource)).toMatch(/\/raw\/\*/);
    expect(JSON.stringify(objectWrites?.Resource)).toMatch(/\/errors\/\*/);
  });
});

describe('pseudonymization key', () => {
  it('exists only where the stage pseudonymizes, generated by Secrets Manager (never in the template)', () => {
    synthStage('dev').data.resourceCountIs('AWS::SecretsManager::Secret', 0);
    const prod = synthStage('prod').data;
    prod.hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: Match.objectLike({ PasswordLength: 64 }),
      SecretString: Match.absent(),
    });
  });
});
