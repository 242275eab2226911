import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import { Construct } from 'constructs';
import { ROLES, type Role } from '../../lambdas/shared/access';

export interface UserIdentityProps {
  /** Prefix of the hosted managed-login domain (`<prefix>.auth.<region>.amazoncognito.com`), unique per region. */
  readonly domainPrefix: string;
  /** Name of the `cli` app client and of the pool, e.g. `uba-dev`. */
  readonly namePrefix: string;
  /** `REQUIRED`: every sign-in asks for a TOTP code. */
  readonly mfa: 'REQUIRED' | 'OPTIONAL';
  /** Lifetime of ID and access tokens. */
  readonly tokenValidity: Duration;
  readonly refreshTokenValidity: Duration;
  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

/** What a group means, as its description in the console says it. */
const GROUP_DESCRIPTIONS: Readonly<Record<Role, string>> = {
  admin: 'Reads everything on the read API',
  operator: 'Reads alerts and metrics',
  developer: 'Reads alerts, metrics and paths',
  analyst: 'Reads metrics, paths, reports, and alerts without userId or errorMsg',
};

/**
 * People's identities for one stage: a Cognito user pool (admins create users, no self sign-up;
 * e-mail as user name; strong password policy; TOTP MFA required or optional; Plus feature plan with
 * threat protection enforced), one group per role, a hosted managed-login domain and the `cli`
 * app client (USER_PASSWORD_AUTH, no secret) that `npm run token` signs in with.
 */
export class UserIdentity extends Construct {
  public readonly userPool: cognito.UserPool;
  public readonly domain: cognito.UserPoolDomain;
  public readonly cliClient: cognito.UserPoolClient;
  /** Base URL of the managed-login pages, e.g. `https://uba-dev-123.auth.eu-west-1.amazoncognito.com`. */
  public readonly loginDomainUrl: string;
  public readonly groups: Readonly<Record<Role, cognito.UserPoolGroup>>;

  constructor(scope: Construct, id: string, props: UserIdentityProps) {
    super(scope, id);
    this.userPool = new cognito.UserPool(this, 'UserPool', {
      userPoolName: `${props.namePrefix}-people`,
      selfSignUpEnabled: false,
      signInAliases: { email: true },
      signInCaseSensitive: false,
      autoVerify: { email: true },
      standardAttributes: { email: { required: true, mutable: true } },
      passwordPolicy: {
        minLength: 12,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
        tempPasswordValidity: Duration.days(3),
      },
      mfa: props.mfa === 'REQUIRED' ? cognito.Mfa.REQUIRED : cognito.Mfa.OPTIONAL,
      mfaSecondFactor: { otp: true, sms: false },
      accountRecovery: cognito.AccountRecovery.EMAIL_ONLY,
      featurePlan: cognito.FeaturePlan.PLUS,
      standardThreatProtectionMode: cognito.StandardThreatProtectionMode.FULL_FUNCTION,
      deletionProtection: props.removalPolicy === RemovalPolicy.RETAIN,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    if (props.mfa !== 'REQUIRED') {
      Validations.of(this.userPool).acknowledge({
        id: 'AwsSolutions-COG2',
        reason:
          'MFA is required in prod; in dev and uat it is optional (TOTP offered) so that test users and scripts can sign in with a password alone.',
      });
    }

    const groups = {} as Record<Role, cognito.UserPoolGroup>;
    for (const [i, role] of ROLES.entries()) {
      groups[role] = this.userPool.addGroup(`Group-${role}`, { groupName: role, description: GROUP_DESCRIPTIONS[role], precedence: i });
    }
    this.groups = groups;

    this.domain = this.userPool.addDomain('Domain', { cognitoDomain: { domainPrefix: props.domainPrefix } });
    this.loginDomainUrl = this.domain.baseUrl();

    this.cliClient = this.userPool.addClient('CliClient', {
      userPoolClientName: `${props.namePrefix}-cli`,
      generateSecret: false,
      authFlows: { userPassword: true },
      // Signs in through the API (InitiateAuth), never through the managed-login pages.
      disableOAuth: true,
      supportedIdentityProviders: [cognito.UserPoolClientIdentityProvider.COGNITO],
      idTokenValidity: props.tokenValidity,
      accessTokenValidity: props.tokenValidity,
      refreshTokenValidity: props.refreshTokenValidity,
      preventUserExistenceErrors: true,
      enableTokenRevocation: true,
    });
  }
}
