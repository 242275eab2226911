import { ArnFormat, Duration, RemovalPolicy, Size, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

/** Where raw events land: `raw/dt=YYYY-MM-DD/hour=HH/` in the stage's time zone. */
export const RAW_PREFIX = 'raw/dt=!{timestamp:yyyy-MM-dd}/hour=!{timestamp:HH}/';
/** Where Firehose puts what it could not deliver, by error type. */
export const ERROR_PREFIX = 'errors/!{firehose:error-output-type}/dt=!{timestamp:yyyy-MM-dd}/';

/**
 * The project's bucket defaults: SSE-S3, no public access, TLS 1.2+ only, owner-enforced objects;
 * with DESTROY the bucket is also emptied on stack deletion.
 */
export const privateBucketProps = (removalPolicy: RemovalPolicy): s3.BucketProps => ({
  encryption: s3.BucketEncryption.S3_MANAGED,
  blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
  enforceSSL: true,
  minimumTLSVersion: 1.2,
  objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
  removalPolicy,
  autoDeleteObjects: removalPolicy === RemovalPolicy.DESTROY,
});

export interface RawEventLakeProps {
  /** The stream whose every record is archived. */
  readonly source: kinesis.IStream;
  /** Time zone of the `dt=`/`hour=` partitions. @default - UTC */
  readonly timeZone?: string;
  /** Firehose flushes at whichever comes first. @default - 5 MiB / 300 s */
  readonly bufferSize?: Size;
  readonly bufferInterval?: Duration;
  /** Lifecycle of raw objects. */
  readonly infrequentAccessAfter?: Duration;
  readonly glacierAfter?: Duration;
  readonly expireAfter?: Duration;
  /**
   * Move the curated Parquet (`curated/`, written by the daily reports' compaction) to Infrequent
   * Access after this long; the reports read mostly the last month. @default - kept in Standard
   */
  readonly curatedInfrequentAccessAfter?: Duration;
  /**
   * Turns on S3 versioning: an overwritten or deleted object keeps its earlier version, which is
   * deleted this long after it stopped being current. @default - unversioned
   */
  readonly noncurrentVersionsExpireAfter?: Duration;
  /** DESTROY also empties the buckets on stack deletion. @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
  /** Retention of the Firehose error log group. @default - one month */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * The raw-event data lake: an encrypted, private, TLS-only bucket (with its own access-log
 * bucket; versioned when `noncurrentVersionsExpireAfter` is given) and a Firehose delivery stream that archives every record of the event stream as
 * gzip JSON lines, partitioned by day and hour.
 */
export class RawEventLake extends Construct {
  public readonly bucket: s3.Bucket;
  public readonly accessLogBucket: s3.Bucket;
  public readonly deliveryStream: firehose.CfnDeliveryStream;
  public readonly deliveryRole: iam.Role;

  constructor(scope: Construct, id: string, props: RawEventLakeProps) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const common = privateBucketProps(removalPolicy);

    this.accessLogBucket = new s3.Bucket(this, 'AccessLogs', {
      ...common,
      lifecycleRules: [{ id: 'expire-access-logs', expiration: Duration.days(90) }],
    });
    Validations.of(this.accessLogBucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'This is the server-access-log bucket of the lake; logging it into itself would loop.',
    });

    const transitions: s3.Transition[] = [];
    if (props.infrequentAccessAfter) {
      transitions.push({ storageClass: s3.StorageClass.INFREQUENT_ACCESS, transitionAfter: props.infrequentAccessAfter });
    }
    if (props.glacierAfter) {
      transitions.push({ storageClass: s3.StorageClass.GLACIER_INSTANT_RETRIEVAL, transitionAfter: props.glacierAfter });
    }
    this.bucket = new s3.Bucket(this, 'Bucket', {
      ...common,
      serverAccessLogsBucket: this.accessLogBucket,
      serverAccessLogsPrefix: 'lake/',
      versioned: props.noncurrentVersionsExpireAfter !== undefined,
      lifecycleRules: [
        { id: 'raw-tiering', prefix: 'raw/', transitions, expiration: props.expireAfter },
        ...(props.curatedInfrequentAccessAfter
          ? [
              {
                id: 'curated-tiering',
                prefix: 'curated/',
                transitions: [{ storageClass: s3.StorageClass.INFREQUENT_ACCESS, transitionAfter: props.curatedInfrequentAccessAfter }],
              },
            ]
          : []),
        { id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
        ...(props.noncurrentVersionsExpireAfter
          ? [
              {
                id: 'expire-noncurrent-versions',
                noncurrentVersionExpiration: props.noncurrentVersionsExpireAfter,
                expiredObjectDeleteMarker: true,
              },
            ]
          : []),
      ],
    });

    const deliveryLogs = new logs.LogGroup(this, 'DeliveryLogs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy,
    });
    const deliveryLogStream = new logs.LogStream(this, 'DeliveryLogStream', { logGroup: deliveryLogs, removalPolicy });

    // Firehose's own role: read the one stream, write the two prefixes, log to its log stream.
    // Nothing else (the L2 destination would also grant s3:DeleteObject* and s3:GetBucket*).
    const stack = Stack.of(this);
    this.deliveryRole = new iam.Role(this, 'DeliveryRole', {
      assumedBy: new iam.ServicePrincipal('firehose.amazonaws.com', {
        conditions: { StringEquals: { 'sts:ExternalId': stack.account } },
      }),
      description: 'Firehose: archive the event stream into the raw-event lake',
    });
    const policy = new iam.Policy(this, 'DeliveryPolicy', {
      roles: [this.deliveryRole],
      statements: [
        new iam.PolicyStatement({
          actions: [
            'kinesis:DescribeStream',
            'kinesis:DescribeStreamSummary',
            'kinesis:GetShardIterator',
            'kinesis:GetRecords',
            'kinesis:ListShards',
          ],
          resources: [props.source.streamArn],
        }),
        new iam.PolicyStatement({
          actions: ['s3:GetBucketLocation', 's3:ListBucket', 's3:ListBucketMultipartUploads'],
          resources: [this.bucket.bucketArn],
        }),
        new iam.PolicyStatement({
          actions: ['s3:PutObject', 's3:GetObject', 's3:AbortMultipartUpload'],
          resources: [this.bucket.arnForObjects('raw/*'), this.bucket.arnForObjects('errors/*')],
        }),
        new iam.PolicyStatement({
          actions: ['logs:PutLogEvents'],
          resources: [
            stack.formatArn({
              service: 'logs',
              resource: 'log-group',
              resourceName: `${deliveryLogs.logGroupName}:log-stream:${deliveryLogStream.logStreamName}`,
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          ],
        }),
      ],
    });
    for (const prefix of ['raw', 'errors']) {
      Validations.of(policy).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${stack.getLogicalId(this.bucket.node.defaultChild as s3.CfnBucket)}.Arn>/${prefix}/*]`,
        reason: `Firehose names each object at delivery time (date partitions and a random suffix), so writes are scoped to the ${prefix}/ prefix rather than to single keys.`,
      });
    }
    props.source.encryptionKey?.grantDecrypt(this.deliveryRole);

    this.deliveryStream = new firehose.CfnDeliveryStream(this, 'Delivery', {
      deliveryStreamType: 'KinesisStreamAsSource',
      kinesisStreamSourceConfiguration: { kinesisStreamArn: props.source.streamArn, roleArn: this.deliveryRole.roleArn },
      extendedS3DestinationConfiguration: {
        bucketArn: this.bucket.bucketArn,
        roleArn: this.deliveryRole.roleArn,
        prefix: RAW_PREFIX,
        errorOutputPrefix: ERROR_PREFIX,
        compressionFormat: 'GZIP',
        fileExtension: '.json.gz',
        customTimeZone: props.timeZone ?? 'UTC',
        bufferingHints: {
          sizeInMBs: props.bufferSize?.toMebibytes() ?? 5,
          intervalInSeconds: (props.bufferInterval ?? Duration.seconds(300)).toSeconds(),
        },
        cloudWatchLoggingOptions: {
          enabled: true,
          logGroupName: deliveryLogs.logGroupName,
          logStreamName: deliveryLogStream.logStreamName,
        },
      },
    });
    // Firehose checks its role when the stream is created: the policy must exist first.
    this.deliveryStream.node.addDependency(policy);
    Validations.of(this.deliveryStream).acknowledge({
      id: 'AwsSolutions-KDF1',
      reason:
        'Firehose server-side encryption applies only to Direct PUT sources; this one reads a Kinesis stream that is itself encrypted with the aws/kinesis key, and writes to an SSE-S3 encrypted bucket.',
    });
  }
}
