import { Match } from 'aws-cdk-lib/assertions';
import { stageConfig } from '../../lib/config/stage-config';
import { actionsOf, policyStatements, synthStage } from './stage-app';

function methodFor(template: ReturnType<typeof synthStage>['api'], pathPart: string) {
  const resources = template.findResources('AWS::ApiGateway::Resource', { Properties: { PathPart: pathPart } });
  const [logicalId] = Object.keys(resources);
  expect(logicalId).toBeDefined();
  return template.findResources('AWS::ApiGateway::Method', { Properties: { ResourceId: { Ref: logicalId }, HttpMethod: 'POST' } });
}

describe('ingest API', () => {
  it.each(['dev', 'uat', 'prod'] as const)('%s: accepts TLS 1.2 or newer only, on its own host name (strict endpoint access)', (stage) => {
    const { api } = synthStage(stage);
    api.resourceCountIs('AWS::ApiGateway::RestApi', 1);
    api.hasResourceProperties('AWS::ApiGateway::RestApi', {
      EndpointConfiguration: { Types: ['REGIONAL'] },
      SecurityPolicy: 'SecurityPolicy_TLS13_1_2_2021_06',
      EndpointAccessMode: 'STRICT',
    });
  });

  it.each(['events', 'paths'])('routes POST /v1/%s to the ingest Lambda as a proxy, behind the API key', (part) => {
    const { api: ingest } = synthStage('dev');
    const methods = Object.values(methodFor(ingest, part));
    expect(methods).toHaveLength(1);
    expect(methods[0].Properties).toMatchObject({ HttpMethod: 'POST', ApiKeyRequired: true, Integration: { Type: 'AWS_PROXY' } });
  });

  it.each(['dev', 'prod'] as const)(
    '%s: a web ACL on the stage refuses bodies over the stage limit (413 JSON) and POSTs without Content-Length (411)',
    (stage) => {
      // prepare
      const config = stageConfig(stage);
      const { api } = synthStage(stage);

      // assess: the association names the stage's ARN, the rules the stage's limit
      const [aclId] = Object.keys(api.findResources('AWS::WAFv2::WebACL'));
      expect(aclId).toBeDefined();
      api.hasResourceProperties('AWS::WAFv2::WebACLAssociation', {
        WebACLArn: { 'Fn::GetAtt': [aclId, 'Arn'] },
        ResourceArn: { 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp('/stages/$')])] },
      });
      api.hasResourceProperties('AWS::WAFv2::WebACL', {
        Scope: 'REGIONAL',
        DefaultAction: { Allow: {} },
        CustomResponseBodies: {
          bodyTooLarge: {
            ContentType: 'APPLICATION_JSON',
            Content: JSON.stringify({
              error: `body: must be at most ${config.ingest.maxBodyBytes} bytes`,
              field: 'body',
              reason: `must be at most ${config.ingest.maxBodyBytes} bytes`,
            }),
          },
          lengthRequired: Match.objectLike({ ContentType: 'APPLICATION_JSON' }),
        },
        Rules: [
          Match.objectLike({
            Name: 'BodyOverLimit',
            Priority: 0,
            Statement: { RegexMatchStatement: Match.objectLike({ FieldToMatch: { SingleHeader: { Name: 'content-length' } } }) },
            Action: { Block: { CustomResponse: { ResponseCode: 413, CustomResponseBodyKey: 'bodyTooLarge' } } },
          }),
          Match.objectLike({
            Name: 'PostWithoutLength',
            Priority: 1,
            Action: { Block: { CustomResponse: { ResponseCode: 411, CustomResponseBodyKey: 'lengthRequired' } } },
          }),
        ],
      });
    },
  );

  it('throttles with the stage config on the usage plan and the stage, and logs access', () => {
    const prod = stageConfig('prod');
    const { api: ingest } = synthStage('prod');
    ingest.hasResourceProperties('AWS::ApiGateway::UsagePlan', {
      Throttle: { RateLimit: prod.ingest.throttleRateLimit, BurstLimit: prod.ingest.throttleBurstLimit },
      ApiStages: [Match.objectLike({ Stage: Match.anyValue() })],
    });
    ingest.hasResourceProperties('AWS::ApiGateway::UsagePlanKey', { KeyType: 'API_KEY' });
    ingest.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: 'prod',
      AccessLogSetting: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('requestId') },
      MethodSettings: [
        Match.objectLike({
          ThrottlingRateLimit: prod.ingest.throttleRateLimit,
          ThrottlingBurstLimit: prod.ingest.throttleBurstLimit,
          LoggingLevel: 'ERROR',
          DataTraceEnabled: false,
        }),
      ],
    });
  });

  it('runs the handler on the latest Node.js on ARM64 with its limits and time zone from config', () => {
    const dev = stageConfig('dev');
    synthStage('dev').api.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      LoggingConfig: Match.objectLike({ LogFormat: 'JSON', LogGroup: Match.anyValue() }),
      Environment: {
        Variables: Match.objectLike({
          STREAM_NAME: { 'Fn::ImportValue': Match.anyValue() },
          TIME_ZONE: dev.timeZone,
          MAX_EVENTS_PER_REQUEST: '500',
          MAX_BODY_BYTES: String(dev.ingest.maxBodyBytes),
          PSEUDONYMIZE: 'false',
          PSEUDONYM_SECRET_ARN: Match.absent(),
        }),
      },
    });
  });

  it('keeps logs as long as the stage says', () => {
    const { api: ingest } = synthStage('prod');
    const groups = Object.values(ingest.findResources('AWS::Logs::LogGroup'));
    expect(groups.length).toBeGreaterThanOrEqual(2); // handler + access logs
    for (const group of groups) expect(group.Properties.RetentionInDays).toBe(180);
  });

  it('lets the handler write only to its stream and logs in dev', () => {
    const { api: ingest } = synthStage('dev');
    const handlerRole = Object.values(ingest.findResources('AWS::IAM::Role')).find((r) =>
      JSON.stringify(r.Properties.AssumeRolePolicyDocument).includes('lambda.amazonaws.com'),
    );
    expect(handlerRole?.Properties.ManagedPolicyArns).toBeUndefined();
    const ingestPolicy = Object.values(ingest.findResources('AWS::IAM::Policy')).find((p) =>
      JSON.stringify(p.Properties.Roles).includes('IngestHandlerRole'),
    );
    const actions = (ingestPolicy?.Properties.PolicyDocument.Statement as Array<Record<string, string | string[]>>)
      .flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]))
      .sort();
    expect(actions).toEqual(['kinesis:PutRecords', 'logs:CreateLogStream', 'logs:PutLogEvents']);
  });

  it('pseudonymizes in prod with the key read from Secrets Manager, granted read on that secret only', () => {
    const { api: ingest } = synthStage('prod');
    ingest.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          PSEUDONYMIZE: 'true',
          PSEUDONYMIZED_PROPS: 'phone,email',
          PSEUDONYM_SECRET_ARN: { 'Fn::ImportValue': Match.anyValue() },
        }),
      },
    });
    const secretRead = policyStatements(ingest).find((s) => actionsOf(s).includes('secretsmanager:GetSecretValue'));
    expect(actionsOf(secretRead ?? {})).toEqual(['secretsmanager:GetSecretValue']);
    expect(secretRead?.Resource).toEqual({ 'Fn::ImportValue': expect.any(String) });
  });

  it('gives each producer of the stage its own named key on the usage plan', () => {
    const { api } = synthStage('prod');
    const producers = stageConfig('prod').ingest.producers;
    api.resourceCountIs('AWS::ApiGateway::ApiKey', producers.length);
    api.resourceCountIs('AWS::ApiGateway::UsagePlanKey', producers.length);
    for (const producer of producers) api.hasResourceProperties('AWS::ApiGateway::ApiKey', { Name: `uba-prod-${producer}`, Enabled: true });
  });

  it('exposes the API URL and key ids as stable outputs', () => {
    const { api: ingest } = synthStage('dev');
    ingest.hasOutput('ApiUrl', { Description: Match.stringLikeRegexp('Base URL') });
    ingest.hasOutput('ApiKeyId', { Value: { Ref: Match.stringLikeRegexp('ProducerKeydemo') } });
    ingest.hasOutput('ApiKeyIds', Match.anyValue());
    synthStage('dev').data.hasOutput('StreamName', Match.anyValue());
    synthStage('dev').data.hasOutput('LakeBucketName', Match.anyValue());
  });

  it('keeps the account-wide API Gateway CloudWatch role when a stage is destroyed (other stages use it)', () => {
    const { api } = synthStage('dev');
    const roles = api.findResources('AWS::IAM::Role', {
      Properties: { AssumeRolePolicyDocument: { Statement: [{ Principal: { Service: 'apigateway.amazonaws.com' } }] } },
    });
    const [role] = Object.values(roles);
    expect(role).toBeDefined();
    expect(role.DeletionPolicy).toBe('Retain');
  });
});
