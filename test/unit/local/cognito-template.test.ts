import { Template } from 'aws-cdk-lib/assertions';
import { restApiModels } from '../../../local/apigateway/model';
import { userPoolsFromTemplate } from '../../../local/cognito';
import { TemplateResolver, type StackTemplate } from '../../../local/template';
import type { CfnTemplate } from '../../../local/template/types';
import { synthStage } from '../../infrastructure/stage-app';
import { asStackTemplate } from '../../support/stack-template';

const asStack = (stackName: string, template: CfnTemplate): StackTemplate => asStackTemplate(template, stackName);

describe('the local runtime reads people and authorizers from the dev templates', () => {
  const { stacks } = synthStage('dev');
  const resolver = new TemplateResolver(
    [stacks.data, stacks.identity, stacks.analytics, stacks.api].map((s) =>
      asStack(s.stackName, Template.fromStack(s).toJSON() as CfnTemplate),
    ),
    { region: 'us-east-1', accountId: '000000000000' },
  );

  it('finds the user pool with its policy, role groups and cli client lifetimes', () => {
    const [pool, ...others] = userPoolsFromTemplate(resolver);
    expect(others).toEqual([]);
    expect(pool.passwordPolicy).toEqual({
      minimumLength: 12,
      requireLowercase: true,
      requireUppercase: true,
      requireNumbers: true,
      requireSymbols: true,
    });
    expect(pool.emailAsUsername).toBe(true);
    expect(pool.mfaConfiguration).toBe('OPTIONAL');
    expect(pool.groups.map((g) => g.groupName)).toEqual(['admin', 'operator', 'developer', 'analyst']);
    expect(pool.clients).toEqual([
      expect.objectContaining({
        clientName: 'uba-dev-cli',
        explicitAuthFlows: ['ALLOW_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
        allowedOAuthFlows: [],
        idTokenValiditySeconds: 3600,
        refreshTokenValiditySeconds: 86400,
      }),
    ]);
  });

  it('puts the Cognito authorizer of that pool on every read route and none on ingest', () => {
    const [pool] = userPoolsFromTemplate(resolver);
    const [model] = restApiModels(resolver);
    const gets = model.routes.filter((r) => r.httpMethod === 'GET');
    const posts = model.routes.filter((r) => r.httpMethod === 'POST');
    expect(gets.map((r) => r.resourcePath).sort()).toEqual([
      '/v1/alerts',
      '/v1/metrics',
      '/v1/paths',
      '/v1/paths.csv',
      '/v1/reports',
      '/v1/reports/{name}',
    ]);
    for (const r of gets)
      expect(r).toMatchObject({ apiKeyRequired: false, authorizer: { providerArns: [pool.arn], header: 'authorization' } });
    for (const r of posts) {
      expect(r.apiKeyRequired).toBe(true);
      expect(r.authorizer).toBeUndefined();
    }
    expect(model.keys.map((k) => k.name)).toEqual(['uba-dev-demo']);
  });
});
