import { CfnOutput, Stack, StackProps } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigateway';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as kinesis from 'aws-cdk-lib/aws-kinesis';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { StageConfig } from '../config/stage-config';
import { type MonitoredConsumer, OperationsMonitoring } from '../constructs/operations-monitoring';

export interface MonitoringStackProps extends StackProps {
  readonly config: StageConfig;
  readonly alarmTopic: sns.ITopic;
  readonly alertsTopic: sns.ITopic;
  readonly api: apigw.IRestApi;
  readonly apiAccessLogs: logs.ILogGroup;
  readonly ingestFunction: lambda.IFunction;
  readonly queryFunction: lambda.IFunction;
  readonly stream: kinesis.IStream;
  readonly deliveryStreamName: string;
  readonly consumers: readonly MonitoredConsumer[];
  readonly resultsTable: dynamodb.ITable;
  readonly reportsJob: lambda.IFunction;
  readonly reportsScheduleDeadLetters: sqs.IQueue;
}

/**
 * The operations view of a stage: its CloudWatch dashboard and every alarm, on resources of the
 * other stacks (this stack only reads their names, so nothing depends on it and it deploys last).
 */
export class MonitoringStack extends Stack {
  public readonly monitoring: OperationsMonitoring;

  constructor(scope: Construct, id: string, props: MonitoringStackProps) {
    super(scope, id, props);
    const { config } = props;
    this.monitoring = new OperationsMonitoring(this, 'Operations', {
      stage: config.stage,
      namePrefix: config.prefix,
      thresholds: config.monitoring,
      iteratorAgeThreshold: config.analytics.iteratorAgeAlarm,
      alarmTopic: props.alarmTopic,
      api: props.api,
      apiStageName: config.stage,
      apiAccessLogs: props.apiAccessLogs,
      ingestFunction: props.ingestFunction,
      queryFunction: props.queryFunction,
      stream: props.stream,
      deliveryStreamName: props.deliveryStreamName,
      consumers: props.consumers,
      resultsTable: props.resultsTable,
      topics: { Alerts: props.alertsTopic, Alarms: props.alarmTopic },
      reportsJob: props.reportsJob,
      reportsScheduleDeadLetters: props.reportsScheduleDeadLetters,
    });
    new CfnOutput(this, 'OperationsDashboardUrl', {
      value: `https://console.aws.amazon.com/cloudwatch/home?region=${this.region}#dashboards/dashboard/${this.monitoring.dashboard.dashboardName}`,
      description:
        'The CloudWatch dashboard of the stage (API, ingest, stream, consumers, lake, results, topics, reports, business metrics)',
    });
    new CfnOutput(this, 'OperationsDashboardName', {
      value: this.monitoring.dashboard.dashboardName,
      description: 'Name of the CloudWatch dashboard of the stage',
    });
  }
}
