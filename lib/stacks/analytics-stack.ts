import { ArnFormat, CfnOutput, Stack, StackProps, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { defaultAnalyticsConfig } from '../../lambdas/analytics/config';
import { metricsNamespace } from '../../lambdas/shared/metrics';
import type { StageConfig } from '../config/stage-config';
import { ResultsTable } from '../constructs/results-table';
import { StreamConsumer } from '../constructs/stream-consumer';

export interface AnalyticsStackProps extends StackProps {
  readonly config: StageConfig;
  readonly stream: kinesis.IStream;
}

/**
 * The real-time analyses of a stage: the results table, the alerts topic, the operators' alarm
 * topic and two consumers of the stream. Two, not one per analysis: every standard consumer
 * shares the shard's 5 GetRecords calls per second with Firehose, and tumbling windows need an
 * event-source mapping of their own. `realtime` does error alerts, per-minute KPIs and paths;
 * `windows` the threshold rules over tumbling windows.
 */
export class AnalyticsStack extends Stack {
  public readonly results: ResultsTable;
  public readonly alertsTopic: sns.Topic;
  public readonly alarmTopic: sns.Topic;
  public readonly realtime: StreamConsumer;
  public readonly windows: StreamConsumer;

  constructor(scope: Construct, id: string, props: AnalyticsStackProps) {
    super(scope, id, props);
    const { config } = props;
    const a = config.analytics;

    this.results = new ResultsTable(this, 'Results', {
      removalPolicy: config.removalPolicy,
      deletionProtection: a.resultsDeletionProtection,
    });

    this.alertsTopic = new sns.Topic(this, 'Alerts', {
      displayName: `uba ${config.stage} alerts`,
      enforceSSL: true,
      masterKey: kms.Alias.fromAliasName(this, 'SnsKey', 'alias/aws/sns'),
    });
    this.alarmTopic = new sns.Topic(this, 'Alarms', { displayName: `uba ${config.stage} operations alarms`, enforceSSL: true });
    // The topic's own policy replaces SNS's default one, so CloudWatch needs an explicit grant:
    // only alarms of this account and region (this stack's and the reports stack's) may publish.
    this.alarmTopic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.alarmTopic.topicArn],
        conditions: {
          ArnLike: {
            'aws:SourceArn': this.formatArn({
              service: 'cloudwatch',
              resource: 'alarm',
              resourceName: '*',
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          },
          StringEquals: { 'aws:SourceAccount': this.account },
        },
      }),
    );
    Validations.of(this.alarmTopic).acknowledge({
      id: 'AwsSolutions-SNS2',
      reason:
        'Alarm notifications carry only alarm names and states, no event data; CloudWatch cannot publish to a topic encrypted with the AWS-managed aws/sns key, and a customer-managed key would add a monthly key charge per stage.',
    });
    for (const email of a.notifyEmails) {
      this.alertsTopic.addSubscription(new subscriptions.EmailSubscription(email));
      this.alarmTopic.addSubscription(new subscriptions.EmailSubscription(email));
    }

    const analyticsConfig = defaultAnalyticsConfig(config.timeZone, {
      warningThreshold: a.warningThreshold,
      rechargeFailureThreshold: a.rechargeFailureThreshold,
      windowSeconds: a.window.toSeconds(),
    });
    const environment = {
      RESULTS_TABLE: this.results.table.tableName,
      ALERTS_TOPIC_ARN: this.alertsTopic.topicArn,
      ANALYTICS_CONFIG: JSON.stringify(analyticsConfig),
      STAGE: config.stage,
      POWERTOOLS_METRICS_NAMESPACE: metricsNamespace(config.stage),
      RESULT_RETENTION_DAYS: String(a.resultRetentionDays),
      QUARANTINE_RETENTION_DAYS: String(a.quarantineRetentionDays),
    };
    const common = {
      stream: props.stream,
      environment,
      batchSize: a.batchSize,
      maxBatchingWindow: a.maxBatchingWindow,
      retryAttempts: a.retryAttempts,
      maxRecordAge: a.maxRecordAge,
      logRetention: config.logRetention,
      removalPolicy: config.removalPolicy,
    };
    this.realtime = new StreamConsumer(this, 'Realtime', {
      ...common,
      maxBatchingWindow: a.realtimeMaxBatchingWindow,
      entry: 'lambdas/consumers/realtime-handler.ts',
      serviceName: 'realtime',
    });
    this.windows = new StreamConsumer(this, 'Windows', {
      ...common,
      entry: 'lambdas/consumers/windows-handler.ts',
      serviceName: 'windows',
      tumblingWindow: a.window,
    });
    for (const consumer of [this.realtime, this.windows]) {
      this.results.grantResultsReadWrite(consumer.appFunction.role);
      this.alertsTopic.grantPublish(consumer.appFunction.role);
    }

    new CfnOutput(this, 'ResultsTableName', {
      value: this.results.table.tableName,
      description: 'DynamoDB table of real-time results (keys: lambdas/shared/results-table.ts)',
    });
    new CfnOutput(this, 'AlertsTopicArn', {
      value: this.alertsTopic.topicArn,
      description: 'SNS topic: one message per batch of new alerts',
    });
    // Looked up by `npm run ops` (redrive, status): each consumer's function and dead-letter queue.
    for (const [name, consumer] of [
      ['Realtime', this.realtime],
      ['Windows', this.windows],
    ] as const) {
      new CfnOutput(this, `${name}FunctionName`, {
        value: consumer.appFunction.function.functionName,
        description: `The ${name.toLowerCase()} stream consumer (npm run ops -- redrive --consumer ${name.toLowerCase()})`,
      });
      new CfnOutput(this, `${name}DeadLetterQueueArn`, {
        value: consumer.deadLetterQueue.queueArn,
        description: `On-failure destination of the ${name.toLowerCase()} consumer: batches it gave up on`,
      });
    }
    new CfnOutput(this, 'AlarmTopicArn', {
      value: this.alarmTopic.topicArn,
      description: 'SNS topic of the operators: every alarm of the stage (uba-<stage>-monitoring)',
    });
  }
}
