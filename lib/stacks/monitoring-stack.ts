import { CfnOutput, Stack, StackProps } from 'aws-cdk-lib';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import type { StageConfig } from '../config/stage-config';
import { type MonitoredResources, OperationsMonitoring } from '../constructs/operations-monitoring';

export interface MonitoringStackProps extends StackProps {
  readonly config: StageConfig;
  /** The operators' topic every alarm notifies. */
  readonly alarmTopic: sns.ITopic;
  /** What the dashboard shows and the alarms watch, from the other stacks of the stage. */
  readonly resources: MonitoredResources;
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
      resources: props.resources,
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
