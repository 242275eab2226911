import { Match, Template } from 'aws-cdk-lib/assertions';
import { ROLES } from '../../lambdas/shared/access';
import { synthStage } from './stage-app';

describe('identity stack', () => {
  it.each(['dev', 'prod'] as const)('%s: a user pool without self sign-up, a strong password policy and the Plus plan', (stage) => {
    const identity = Template.fromStack(synthStage(stage).stacks.identity);
    identity.resourceCountIs('AWS::Cognito::UserPool', 1);
    identity.hasResourceProperties('AWS::Cognito::UserPool', {
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
      UsernameAttributes: ['email'],
      Policies: {
        PasswordPolicy: { MinimumLength: 12, RequireLowercase: true, RequireUppercase: true, RequireNumbers: true, RequireSymbols: true },
      },
      UserPoolTier: 'PLUS',
      UserPoolAddOns: { AdvancedSecurityMode: 'ENFORCED' },
      MfaConfiguration: stage === 'prod' ? 'ON' : 'OPTIONAL',
      EnabledMfas: ['SOFTWARE_TOKEN_MFA'],
    });
  });

  it('has exactly the four role groups', () => {
    const identity = Template.fromStack(synthStage('dev').stacks.identity);
    const names = Object.values(identity.findResources('AWS::Cognito::UserPoolGroup')).map(
      (g) => (g.Properties as { GroupName: string }).GroupName,
    );
    expect(names.sort()).toEqual([...ROLES].sort());
  });

  it('has a managed-login domain and a cli client with password sign-in, no secret and short tokens', () => {
    const identity = Template.fromStack(synthStage('prod').stacks.identity);
    identity.hasResourceProperties('AWS::Cognito::UserPoolDomain', { Domain: Match.anyValue() });
    identity.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      ClientName: 'uba-prod-cli',
      GenerateSecret: false,
      ExplicitAuthFlows: Match.arrayWith(['ALLOW_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH']),
      IdTokenValidity: 15,
      TokenValidityUnits: Match.objectLike({ IdToken: 'minutes' }),
    });
    for (const output of ['UserPoolId', 'CliClientId', 'LoginDomainUrl']) identity.hasOutput(output, Match.anyValue());
  });

  it('exposes the pool and the login URL for the dashboard stack', () => {
    const { stacks } = synthStage('dev');
    expect(stacks.identity.userPool.userPoolId).toBeDefined();
    expect(stacks.identity.loginDomainUrl).toContain('amazoncognito.com');
  });
});
