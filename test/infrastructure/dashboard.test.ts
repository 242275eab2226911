import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import { Template } from 'aws-cdk-lib/assertions';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import { API_PATH_PATTERN, Dashboard, dashboardCsp, type DashboardSignInProps } from '../../lib/constructs/dashboard';
import { buildDashboard } from '../../dashboard/build';
import { synthWithGate, testApp } from './stage-app';

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

const LOGIN_DOMAIN = 'https://uba-test.auth.eu-west-1.amazoncognito.com';

/** A user pool as the identity stack makes it (only what the dashboard's app client needs). */
function signInProps(stack: Stack): DashboardSignInProps {
  const userPool = new cognito.UserPool(stack, 'Users', { selfSignUpEnabled: false, removalPolicy: RemovalPolicy.DESTROY });
  for (const id of ['AwsSolutions-COG1', 'AwsSolutions-COG2', 'AwsSolutions-COG3', 'AwsSolutions-COG8']) {
    Validations.of(userPool).acknowledge({
      id,
      reason: 'Test fixture: the pool only gives the dashboard an app client; the identity stack owns the real one.',
    });
  }
  return { userPool, loginDomainUrl: LOGIN_DOMAIN };
}

/** A stack with a minimal REST API (one GET method, MOCK integration, stage `dev`), a user pool and the dashboard. */
function dashboardStack(
  app: App,
  distDir: string,
  removalPolicy = RemovalPolicy.DESTROY,
  envAgnostic = false,
): { stack: Stack; dashboard: Dashboard } {
  const stack = new Stack(app, 'DashboardTest', envAgnostic ? {} : { env: { account: '123456789012', region: 'eu-west-1' } });
  const api = new apigw.RestApi(stack, 'Api', { deployOptions: { stageName: 'dev' }, cloudWatchRole: false });
  api.root
    .addResource('v1')
    .addResource('metrics')
    .addMethod(
      'GET',
      new apigw.MockIntegration({
        integrationResponses: [{ statusCode: '200' }],
        requestTemplates: { 'application/json': '{"statusCode":200}' },
      }),
      {
        methodResponses: [{ statusCode: '200' }],
      },
    );
  for (const id of [
    'AwsSolutions-APIG1',
    'AwsSolutions-APIG2',
    'AwsSolutions-APIG3',
    'AwsSolutions-APIG4',
    'AwsSolutions-APIG6',
    'AwsSolutions-COG4',
  ]) {
    Validations.of(api).acknowledge({ id, reason: 'Test fixture: a mock API that only gives the dashboard an origin.' });
  }
  const dashboard = new Dashboard(stack, 'Dashboard', {
    api,
    distDir,
    signIn: signInProps(stack),
    config: { title: 'User-behaviour analytics', timeZone: 'Asia/Shanghai', refreshSeconds: 5 },
    removalPolicy,
  });
  return { stack, dashboard };
}

function only<T>(record: Record<string, T>): T {
  const values = Object.values(record);
  expect(values).toHaveLength(1);
  return values[0];
}

describe('Dashboard construct', () => {
  let distDir: string;
  let template: Template;

  beforeAll(async () => {
    distDir = fs.mkdtempSync(path.join(os.tmpdir(), 'uba-dashboard-dist-'));
    await buildDashboard(distDir);
    template = Template.fromStack(dashboardStack(testApp(), distDir).stack);
  });

  afterAll(() => {
    fs.rmSync(distDir, { recursive: true, force: true });
  });

  it('keeps the site bucket private, encrypted and TLS-only, logging to an ACL-enabled log bucket', () => {
    const buckets = template.findResources('AWS::S3::Bucket');
    const site = Object.entries(buckets).find(([id]) => id.startsWith('DashboardSite'));
    const logs = Object.entries(buckets).find(([id]) => id.startsWith('DashboardLogs'));
    if (!site || !logs) throw new Error('site and log buckets expected');
    for (const [, bucket] of [site, logs]) {
      expect(bucket.Properties.PublicAccessBlockConfiguration).toEqual({
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      });
      expect(bucket.Properties.BucketEncryption).toEqual({
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      });
    }
    expect(site[1].Properties.LoggingConfiguration).toEqual({
      DestinationBucketName: { Ref: logs[0] },
      LogFilePrefix: 'dashboard-bucket/',
    });
    expect(logs[1].Properties.OwnershipControls).toEqual({ Rules: [{ ObjectOwnership: 'ObjectWriter' }] });

    const policies = template.findResources('AWS::S3::BucketPolicy', { Properties: { Bucket: { Ref: site[0] } } });
    const statements = only(policies).Properties.PolicyDocument.Statement as Array<Record<string, Json>>;
    expect(statements).toContainEqual(
      expect.objectContaining({
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: 's3:*',
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      }),
    );
  });

  it('serves the bucket only through the distribution (origin access control, AWS:SourceArn)', () => {
    const oac = only(template.findResources('AWS::CloudFront::OriginAccessControl'));
    expect(oac.Properties.OriginAccessControlConfig).toMatchObject({
      OriginAccessControlOriginType: 's3',
      SigningBehavior: 'always',
      SigningProtocol: 'sigv4',
    });

    const siteId = Object.keys(template.findResources('AWS::S3::Bucket')).find((id) => id.startsWith('DashboardSite'));
    const policy = only(template.findResources('AWS::S3::BucketPolicy', { Properties: { Bucket: { Ref: siteId } } }));
    const allows = (policy.Properties.PolicyDocument.Statement as Array<Record<string, Json>>).filter((s) => s.Effect === 'Allow');
    const distributionId = Object.keys(template.findResources('AWS::CloudFront::Distribution'))[0];
    // Every grant (reads by CloudFront; the deployment function writes through its IAM role, not this policy)
    // is to the CloudFront service principal, for this distribution only.
    const nonCustomResource = allows.filter((s) => JSON.stringify(s.Principal).includes('cloudfront'));
    expect(nonCustomResource).toHaveLength(1);
    expect(nonCustomResource[0]).toMatchObject({
      Principal: { Service: 'cloudfront.amazonaws.com' },
      Action: 's3:GetObject',
      Condition: { StringEquals: { 'AWS:SourceArn': expect.anything() } },
    });
    expect(JSON.stringify(nonCustomResource[0].Condition)).toContain(distributionId);
    // The only other grant is the auto-delete custom resource of a DESTROY stage.
    const others = allows.filter((s) => !JSON.stringify(s.Principal).includes('cloudfront'));
    for (const s of others) expect(JSON.stringify(s.Principal)).toMatch(/CustomS3AutoDeleteObjectsCustomResourceProviderRole/);
  });

  it('redirects HTTP to HTTPS on both behaviors, with security headers, logging and index.html as root', () => {
    const config = only(template.findResources('AWS::CloudFront::Distribution')).Properties.DistributionConfig;
    expect(config.DefaultRootObject).toBe('index.html');
    expect(config.DefaultCacheBehavior.ViewerProtocolPolicy).toBe('redirect-to-https');
    expect(config.CacheBehaviors).toHaveLength(1);
    expect(config.CacheBehaviors[0].PathPattern).toBe(API_PATH_PATTERN);
    expect(config.CacheBehaviors[0].ViewerProtocolPolicy).toBe('redirect-to-https');
    expect(config.Logging).toMatchObject({ Prefix: 'cloudfront/' });

    const headersPolicyId = Object.keys(template.findResources('AWS::CloudFront::ResponseHeadersPolicy'))[0];
    expect(config.DefaultCacheBehavior.ResponseHeadersPolicyId).toEqual({ Ref: headersPolicyId });
    expect(config.CacheBehaviors[0].ResponseHeadersPolicyId).toEqual({ Ref: headersPolicyId });
  });

  it('sends security headers: HSTS, CSP (self only, same string as the local server), nosniff, frame DENY, referrer policy', () => {
    const policy = only(template.findResources('AWS::CloudFront::ResponseHeadersPolicy'));
    const headers = policy.Properties.ResponseHeadersPolicyConfig.SecurityHeadersConfig;
    expect(headers).toEqual({
      ContentSecurityPolicy: { ContentSecurityPolicy: dashboardCsp(LOGIN_DOMAIN), Override: true },
      StrictTransportSecurity: { AccessControlMaxAgeSec: 31_536_000, IncludeSubdomains: true, Override: true },
      ContentTypeOptions: { Override: true },
      FrameOptions: { FrameOption: 'DENY', Override: true },
      ReferrerPolicy: { ReferrerPolicy: 'strict-origin-when-cross-origin', Override: true },
    });
    const csp = dashboardCsp(LOGIN_DOMAIN);
    expect(csp).toMatch(/^default-src 'self';/);
    // The page calls its own origin and the sign-in domain's token endpoint, nothing else.
    expect(csp).toMatch(/connect-src 'self' https:\/\/uba-test\.auth\.eu-west-1\.amazoncognito\.com;/);
  });

  it('sends /v1/* to the API stage uncached, forwarding query strings and Authorization (all viewer headers) but not Host', () => {
    const config = only(template.findResources('AWS::CloudFront::Distribution')).Properties.DistributionConfig;
    const behavior = config.CacheBehaviors[0];
    const origin = (config.Origins as Array<Record<string, Json>>).find((o) => o.Id === behavior.TargetOriginId);
    expect(origin).toMatchObject({
      OriginPath: '/dev',
      CustomOriginConfig: { OriginProtocolPolicy: 'https-only', OriginSSLProtocols: ['TLSv1.2'] },
    });
    expect(JSON.stringify(origin?.DomainName)).toContain('execute-api');
    expect(behavior.CachePolicyId).toBe('4135ea2d-6df8-44a3-9df3-4b5a84be39ad'); // Managed-CachingDisabled
    expect(behavior.AllowedMethods).toEqual(['GET', 'HEAD', 'OPTIONS']);

    // Managed-AllViewerExceptHostHeader: CloudFront refuses Authorization in a policy of our own; with
    // caching disabled this managed policy forwards it (and every other viewer header but Host).
    expect(behavior.OriginRequestPolicyId).toBe('b689b0a8-53d0-40ab-baf2-68738e2966ac');
    expect(template.findResources('AWS::CloudFront::OriginRequestPolicy')).toEqual({});
  });

  it('gives the dashboard a public app client: code flow with PKCE only, its scopes, the distribution as callback and sign-out URL', () => {
    const client = only(template.findResources('AWS::Cognito::UserPoolClient')).Properties;
    const distributionId = Object.keys(template.findResources('AWS::CloudFront::Distribution'))[0];
    const siteUrl = { 'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [distributionId, 'DomainName'] }, '/']] };
    expect(client).toMatchObject({
      GenerateSecret: false,
      AllowedOAuthFlows: ['code'],
      AllowedOAuthFlowsUserPoolClient: true,
      AllowedOAuthScopes: ['openid', 'email', 'profile'],
      ExplicitAuthFlows: ['ALLOW_REFRESH_TOKEN_AUTH'],
      SupportedIdentityProviders: ['COGNITO'],
      PreventUserExistenceErrors: 'ENABLED',
      EnableTokenRevocation: true,
      CallbackURLs: [siteUrl],
      LogoutURLs: [siteUrl],
    });
    // No localhost in a deployed stage: the local runtime registers its own address with its stand-in.
    expect(JSON.stringify(client)).not.toMatch(/localhost|127\.0\.0\.1/);
  });

  it('deploys the build and a config.json without any API key, then invalidates the distribution', () => {
    // prepare / act: synthesize into a directory, where the deployment's sources are staged
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'uba-dashboard-out-'));
    try {
      const app = testApp({ outdir });
      const { stack } = dashboardStack(app, distDir);
      app.synth();
      const deployment = only(Template.fromStack(stack).findResources('Custom::CDKBucketDeployment'));

      // assess: two sources (the build and config.json), pruned, and an invalidation of everything
      expect(deployment.Properties.SourceObjectKeys).toHaveLength(2);
      expect(deployment.Properties.Prune).toBe(true);
      expect(deployment.Properties.DistributionPaths).toEqual(['/*']);
      const staged = fs.readdirSync(outdir).filter((d) => d.startsWith('asset.'));
      const configs = staged.map((d) => path.join(outdir, d, 'config.json')).filter((f) => fs.existsSync(f));
      expect(configs).toHaveLength(1);
      // The app client's id is known at deploy time: the staged file has a marker the deployment fills in.
      const stagedConfig = JSON.parse(fs.readFileSync(configs[0], 'utf8')) as Record<string, Json>;
      expect(stagedConfig).toMatchObject({
        apiBase: '/v1',
        stage: 'dev',
        title: 'User-behaviour analytics',
        timeZone: 'Asia/Shanghai',
        refreshSeconds: 5,
        auth: { domain: LOGIN_DOMAIN, clientId: expect.any(String), scopes: ['openid', 'email', 'profile'] },
      });
      expect(Object.keys(stagedConfig).sort()).toEqual(['apiBase', 'auth', 'refreshSeconds', 'stage', 'timeZone', 'title']);
      const clientLogicalId = Object.keys(Template.fromStack(stack).findResources('AWS::Cognito::UserPoolClient'))[0];
      const marker = (stagedConfig.auth as Record<string, Json>).clientId as string;
      expect(deployment.Properties.SourceMarkers[1]).toEqual({ [marker]: { Ref: clientLogicalId } });
      const site = staged.map((d) => path.join(outdir, d)).find((d) => fs.existsSync(path.join(d, 'index.html')));
      expect(site && fs.readdirSync(site).sort()).toEqual(expect.arrayContaining(['app.js', 'index.html', 'styles.css']));
      expect(site && fs.existsSync(path.join(site, 'config.json'))).toBe(false);
      expect(site && fs.readFileSync(path.join(site, 'app.js'), 'utf8')).not.toMatch(/x-api-key["']?\s*[:=]\s*["'][A-Za-z0-9]{20,}/);
    } finally {
      fs.rmSync(outdir, { recursive: true, force: true });
    }
  });

  it('writes config.json with the API base, the stage and the given settings', () => {
    const { dashboard } = dashboardStack(testApp(), distDir);
    expect(dashboard.config).toEqual({
      apiBase: '/v1',
      stage: 'dev',
      title: 'User-behaviour analytics',
      timeZone: 'Asia/Shanghai',
      refreshSeconds: 5,
      auth: { domain: LOGIN_DOMAIN, clientId: dashboard.appClient.userPoolClientId, scopes: ['openid', 'email', 'profile'] },
    });
    expect(dashboard.url).toMatch(/^https:\/\//);
  });

  it('refuses a config that would publish an API key', () => {
    const app = testApp();
    const stack = new Stack(app, 'Leaky');
    const api = new apigw.RestApi(stack, 'Api', { cloudWatchRole: false });
    api.root.addMethod('GET', new apigw.MockIntegration());
    expect(() => new Dashboard(stack, 'Dashboard', { api, distDir, signIn: signInProps(stack), config: { apiKey: 'secret' } })).toThrow(
      /apiKey/,
    );
  });

  it.each([
    ['DESTROY', RemovalPolicy.DESTROY, false],
    ['RETAIN', RemovalPolicy.RETAIN, false],
    ['DESTROY, environment-agnostic', RemovalPolicy.DESTROY, true],
  ])('passes the compliance gate with no unacknowledged finding (%s)', (_name, removalPolicy, envAgnostic) => {
    // prepare + act: the app with cdk-nag, synthesized as `cdk synth` runs it
    const { error, findings } = synthWithGate((app) => dashboardStack(app, distDir, removalPolicy, envAgnostic));

    // assess: no finding (the fixture API's own findings are acknowledged on it; they are not this construct's)
    expect(findings).toEqual([]);
    expect(error).toBeUndefined();
  });
});
