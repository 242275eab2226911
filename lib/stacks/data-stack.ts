import { CfnOutput, Fn, Size, Stack, StackProps, Validations } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { StageConfig } from '../config/stage-config';
import { EventStream } from '../constructs/event-stream';
import { RawEventLake } from '../constructs/raw-event-lake';

/** The export name of the lake bucket's name (other stacks import it by this name). */
export const lakeBucketExportName = (prefix: string): string => `${prefix}-lake-bucket`;

/**
 * The stage's lake bucket in another stack, imported by its export name. Imported by a fixed name
 * (not a generated cross-stack reference), its ARN reads the same at construction and in the
 * template, so policies and their cdk-nag acknowledgements name it alike.
 */
export const importLakeBucket = (scope: Construct, id: string, prefix: string): s3.IBucket =>
  s3.Bucket.fromBucketName(scope, id, Fn.importValue(lakeBucketExportName(prefix)));

export interface DataStackProps extends StackProps {
  readonly config: StageConfig;
}

/** The stateful half of a stage: the event stream, the raw-event lake and the pseudonymization key. */
export class DataStack extends Stack {
  public readonly events: EventStream;
  public readonly lake: RawEventLake;
  /** Present when the stage pseudonymizes. */
  public readonly pseudonymKey?: secretsmanager.Secret;

  constructor(scope: Construct, id: string, props: DataStackProps) {
    super(scope, id, props);
    const { config } = props;

    this.events = new EventStream(this, 'Events', {
      capacity: config.stream.capacity,
      retention: config.stream.retention,
      removalPolicy: config.removalPolicy,
    });

    this.lake = new RawEventLake(this, 'Lake', {
      source: this.events.stream,
      timeZone: config.timeZone,
      bufferSize: Size.mebibytes(config.lake.bufferSize),
      bufferInterval: config.lake.bufferInterval,
      infrequentAccessAfter: config.lake.infrequentAccessAfter,
      glacierAfter: config.lake.glacierAfter,
      expireAfter: config.lake.expireAfter,
      curatedInfrequentAccessAfter: config.lake.curatedInfrequentAccessAfter,
      noncurrentVersionsExpireAfter: config.lake.noncurrentVersionsExpireAfter,
      removalPolicy: config.removalPolicy,
      logRetention: config.logRetention,
    });

    if (config.ingest.pseudonymize) {
      this.pseudonymKey = new secretsmanager.Secret(this, 'PseudonymKey', {
        description: 'HMAC key that pseudonymizes user ids at ingest',
        generateSecretString: { passwordLength: 64, excludePunctuation: true },
        removalPolicy: config.removalPolicy,
      });
      Validations.of(this.pseudonymKey).acknowledge({
        id: 'AwsSolutions-SMG4',
        reason:
          'Rotating the HMAC key changes every pseudonym, which splits each user into two in all analyses; it is rotated deliberately with a re-keying plan, not on a schedule.',
      });
    }

    new CfnOutput(this, 'StreamName', {
      value: this.events.stream.streamName,
      description: 'Kinesis stream that carries every accepted event',
    });
    new CfnOutput(this, 'LakeBucketName', {
      value: this.lake.bucket.bucketName,
      exportName: lakeBucketExportName(config.prefix),
      description: 'S3 bucket of the event lake (raw/dt=…/hour=…/, curated/, dim/, exports/)',
    });
  }
}
