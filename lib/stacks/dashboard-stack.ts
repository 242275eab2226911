import { CfnOutput, Stack, StackProps } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import { Construct } from 'constructs';
import type { StageConfig } from '../config/stage-config';
import { Dashboard } from '../constructs/dashboard';

export interface DashboardStackProps extends StackProps {
  readonly config: StageConfig;
  /** The REST API whose read routes the page calls (through the same CloudFront origin). */
  readonly api: apigw.RestApi;
  /** The built dashboard (dashboard/build.ts). */
  readonly distDir: string;
}

/** The live dashboard of a stage: a private bucket behind CloudFront, with `/v1/*` routed to the API. */
export class DashboardStack extends Stack {
  public readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: DashboardStackProps) {
    super(scope, id, props);
    const { config } = props;
    this.dashboard = new Dashboard(this, 'Dashboard', {
      api: props.api,
      distDir: props.distDir,
      config: {
        title: `User behaviour (${config.stage})`,
        timeZone: config.timeZone,
        refreshSeconds: config.analytics.dashboardRefreshSeconds,
      },
      removalPolicy: config.removalPolicy,
      logRetention: config.logRetention,
    });
    new CfnOutput(this, 'DashboardUrl', { value: this.dashboard.url, description: 'The live dashboard (asks once for the API key)' });
  }
}
