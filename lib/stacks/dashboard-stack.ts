import { CfnOutput, Stack, StackProps } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import type * as cognito from 'aws-cdk-lib/aws-cognito';
import { Construct } from 'constructs';
import type { StageConfig } from '../config/stage-config';
import { Dashboard } from '../constructs/dashboard';

export interface DashboardStackProps extends StackProps {
  readonly config: StageConfig;
  /** The REST API whose read routes the page calls (through the same CloudFront origin). */
  readonly api: apigw.RestApi;
  /** The built dashboard (dashboard/build.ts). */
  readonly distDir: string;
  /** The stage's user pool (identity stack): the dashboard's app client is made in it. */
  readonly userPool: cognito.IUserPool;
  /** Base URL of the pool's managed login domain. */
  readonly loginDomainUrl: string;
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
      signIn: {
        userPool: props.userPool,
        loginDomainUrl: props.loginDomainUrl,
        tokenValidity: config.identity.tokenValidity,
        refreshTokenValidity: config.identity.refreshTokenValidity,
      },
      config: {
        title: `User behaviour (${config.stage})`,
        timeZone: config.timeZone,
        refreshSeconds: config.analytics.dashboardRefreshSeconds,
      },
      removalPolicy: config.removalPolicy,
      logRetention: config.logRetention,
    });
    new CfnOutput(this, 'DashboardUrl', {
      value: this.dashboard.url,
      description: 'The live dashboard (people sign in with the user pool)',
    });
    new CfnOutput(this, 'DashboardClientId', {
      value: this.dashboard.appClient.userPoolClientId,
      description: "The dashboard's app client in the user pool (authorization code flow with PKCE)",
    });
  }
}
