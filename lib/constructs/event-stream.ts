import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import { Construct } from 'constructs';
import type { StreamCapacity } from '../config/stage-config';

export interface EventStreamProps {
  /** On-demand, or provisioned with a shard count. */
  readonly capacity: StreamCapacity;
  /** How long records stay readable. @default - 24 hours */
  readonly retention?: Duration;
  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

/** The Kinesis data stream every event passes through, encrypted with the AWS-managed `aws/kinesis` key. */
export class EventStream extends Construct {
  public readonly stream: kinesis.Stream;

  constructor(scope: Construct, id: string, props: EventStreamProps) {
    super(scope, id);
    const provisioned = props.capacity.mode === 'PROVISIONED';
    this.stream = new kinesis.Stream(this, 'Stream', {
      streamMode: provisioned ? kinesis.StreamMode.PROVISIONED : kinesis.StreamMode.ON_DEMAND,
      shardCount: props.capacity.mode === 'PROVISIONED' ? props.capacity.shardCount : undefined,
      retentionPeriod: props.retention ?? Duration.hours(24),
      encryption: kinesis.StreamEncryption.MANAGED,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
  }
}
