import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { KinesisEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { AppFunction } from './app-function';

export interface StreamConsumerProps {
  readonly stream: kinesis.IStream;
  /** Handler entry relative to the repository root. */
  readonly entry: string;
  readonly serviceName: string;
  readonly environment?: Record<string, string>;
  /** Records per invocation. @default 100 */
  readonly batchSize?: number;
  /** How long to gather records before invoking. @default - no wait */
  readonly maxBatchingWindow?: Duration;
  /** Retries of a failed batch (bisected on error) before it goes to the dead-letter queue. @default 5 */
  readonly retryAttempts?: number;
  /** Records older than this go to the dead-letter queue instead of being retried. @default Duration.hours(1) */
  readonly maxRecordAge?: Duration;
  /** Tumbling window for stateful aggregation; the handler must return `state`. @default - none */
  readonly tumblingWindow?: Duration;
  /** @default 512 */
  readonly memorySize?: number;
  /** @default Duration.seconds(60) */
  readonly timeout?: Duration;
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * A Lambda consumer of the event stream with the delivery settings every consumer needs:
 * `ReportBatchItemFailures`, bisect on error, bounded retries and record age, an encrypted SQS
 * on-failure destination, and the mapping's event-count metrics. Its alarms (iterator age,
 * errors, dead-letter depth) are in the stage's monitoring stack (`OperationsMonitoring`).
 */
export class StreamConsumer extends Construct {
  /** The consumer's service name (its logs' and business metrics' `service`). */
  public readonly serviceName: string;
  public readonly appFunction: AppFunction;
  public readonly deadLetterQueue: sqs.Queue;
  public readonly eventSource: KinesisEventSource;

  constructor(scope: Construct, id: string, props: StreamConsumerProps) {
    super(scope, id);
    this.serviceName = props.serviceName;
    this.appFunction = new AppFunction(this, 'Handler', {
      entry: props.entry,
      serviceName: props.serviceName,
      environment: props.environment,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(60),
      logRetention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetters', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is itself the on-failure destination of the stream consumer: it receives descriptions of batches that exhausted their retries.',
    });

    this.eventSource = new KinesisEventSource(props.stream, {
      startingPosition: lambda.StartingPosition.TRIM_HORIZON,
      batchSize: props.batchSize ?? 100,
      maxBatchingWindow: props.maxBatchingWindow,
      reportBatchItemFailures: true,
      bisectBatchOnError: true,
      retryAttempts: props.retryAttempts ?? 5,
      maxRecordAge: props.maxRecordAge ?? Duration.hours(1),
      parallelizationFactor: 1,
      tumblingWindow: props.tumblingWindow,
      onFailure: new SqsDlq(this.deadLetterQueue),
      // Records polled, invoked and dead-lettered per mapping: the dashboard's batch size.
      metricsConfig: { metrics: [lambda.MetricType.EVENT_COUNT] },
    });
    this.appFunction.function.addEventSource(this.eventSource);
  }
}
