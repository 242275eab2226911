import { Aws, CfnOutput, Stack, StackProps } from 'aws-cdk-lib';
import type * as cognito from 'aws-cdk-lib/aws-cognito';
import { Construct } from 'constructs';
import type { StageConfig } from '../config/stage-config';
import { UserIdentity } from '../constructs/user-identity';

export interface IdentityStackProps extends StackProps {
  readonly config: StageConfig;
}

/** People of a stage: the Cognito user pool the read API's authorizer and the dashboard sign-in use. */
export class IdentityStack extends Stack {
  public readonly identity: UserIdentity;
  /** The user pool (the API's Cognito authorizer; the dashboard's app client). */
  public readonly userPool: cognito.IUserPool;
  /** Base URL of the managed-login pages (`/oauth2/authorize`, `/oauth2/token`, `/logout`). */
  public readonly loginDomainUrl: string;

  constructor(scope: Construct, id: string, props: IdentityStackProps) {
    super(scope, id, props);
    const { config } = props;
    this.identity = new UserIdentity(this, 'Identity', {
      // The hosted domain's prefix is unique per region across all accounts: the account id makes it so.
      domainPrefix: `${config.prefix}-${Aws.ACCOUNT_ID}`,
      namePrefix: config.prefix,
      mfa: config.identity.mfa,
      tokenValidity: config.identity.tokenValidity,
      refreshTokenValidity: config.identity.refreshTokenValidity,
      removalPolicy: config.removalPolicy,
    });
    this.userPool = this.identity.userPool;
    this.loginDomainUrl = this.identity.loginDomainUrl;

    new CfnOutput(this, 'UserPoolId', {
      value: this.userPool.userPoolId,
      description: 'The Cognito user pool of the people of this stage',
    });
    new CfnOutput(this, 'CliClientId', {
      value: this.identity.cliClient.userPoolClientId,
      description: 'App client that npm run token signs in with (USER_PASSWORD_AUTH)',
    });
    new CfnOutput(this, 'LoginDomainUrl', { value: this.loginDomainUrl, description: 'Base URL of the managed-login pages' });
  }
}
