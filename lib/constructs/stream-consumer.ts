import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { KinesisEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
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
  /** Alarm when the consumer is this far behind the stream. @default Duration.minutes(2) */
  readonly iteratorAgeAlarm?: Duration;
  /** Alarm actions go here. @default - alarms without actions */
  readonly alarmTopic?: sns.ITopic;
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
 * on-failure destination, and alarms on iterator age, function errors and dead-letter depth.
 */
export class StreamConsumer extends Construct {
  public readonly appFunction: AppFunction;
  public readonly deadLetterQueue: sqs.Queue;
  public readonly eventSource: KinesisEventSource;
  public readonly alarms: cloudwatch.Alarm[];

  constructor(scope: Construct, id: string, props: StreamConsumerProps) {
    super(scope, id);
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
    });
    this.appFunction.function.addEventSource(this.eventSource);

    const fn = this.appFunction.function;
    const period = Duration.minutes(1);
    this.alarms = [
      new cloudwatch.Alarm(this, 'IteratorAge', {
        alarmDescription: `${props.serviceName}: falling behind the event stream`,
        metric: fn.metric('IteratorAge', { statistic: cloudwatch.Stats.MAXIMUM, period }),
        threshold: (props.iteratorAgeAlarm ?? Duration.minutes(2)).toMilliseconds(),
        evaluationPeriods: 3,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
      new cloudwatch.Alarm(this, 'Errors', {
        alarmDescription: `${props.serviceName}: invocations failing (batches are being retried)`,
        metric: fn.metricErrors({ period }),
        threshold: 0,
        evaluationPeriods: 5,
        datapointsToAlarm: 3,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
      new cloudwatch.Alarm(this, 'DeadLetterDepth', {
        alarmDescription: `${props.serviceName}: batches given up on, waiting in the dead-letter queue`,
        metric: this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period }),
        threshold: 0,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
    ];
    if (props.alarmTopic) {
      const action = new cwActions.SnsAction(props.alarmTopic);
      for (const alarm of this.alarms) {
        alarm.addAlarmAction(action);
        alarm.addOkAction(action);
      }
    }
  }
}
