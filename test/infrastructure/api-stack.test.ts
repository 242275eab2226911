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
      const associations = Object.values(
        api.findResources('AWS::WAFv2::WebACLAssociation', {
          Properties: { ResourceArn: { 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp('/stages/$')])] } },
        }),
      );
      expect(associations).toHaveLength(1);
      const aclId = (associations[0].Properties.WebACLArn as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
      expect(api.toJSON().Resources[aclId].Properties).toMatchObject({
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
          lengthRequired: expect.objectContaining({ ContentType: 'APPLICATION_JSON' }),
        },
        Rules: [
          expect.objectContaining({
            Name: 'BodyOverLimit',
            Priority: 0,
            Statement: { RegexMatchStatement: expect.objectContaining({ FieldToMatch: { SingleHeader: { Name: 'content-length' } } }) },
            Action: { Block: { CustomResponse: { ResponseCode: 413, CustomResponseBodyKey: 'bodyTooLarge' } } },
          }),
          expect.objectContaining({
            Name: 'PostWithoutLength',
            Priority: 1,
            Action: { Block: { CustomResponse: { ResponseCode: 411, CustomResponseBodyKey: 'lengthRequired' } } },
          }),
        ],
      });
    },
  );

  it('throttles with the stage config on the usage plan and the stage, and logs access', () => {
    const prod = stageConfig('uat');
    const { api: ingest } = synthStage('uat');
    ingest.hasResourceProperties('AWS::ApiGateway::UsagePlan', {
      Throttle: { RateLimit: prod.ingest.throttleRateLimit, BurstLimit: prod.ingest.throttleBurstLimit },
      ApiStages: [Match.objectLike({ Stage: Match.anyValue() })],
    });
    ingest.hasResourceProperties('AWS::ApiGateway::UsagePlanKey', { KeyType: 'API_KEY' });
    ingest.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: 'uat',
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

  it.each(['dev', 'uat'] as const)('%s: has no load balancer (the REST front door)', (stage) => {
    const { api } = synthStage(stage);
    api.resourceCountIs('AWS::ElasticLoadBalancingV2::LoadBalancer', 0);
    api.resourceCountIs('AWS::EC2::VPC', 0);
  });

  it('pseudonymizes in uat with the key read from Secrets Manager, granted read on that secret only', () => {
    const { api: ingest } = synthStage('uat');
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

  it('gives each producer of a REST-front-door stage its own named key on the usage plan', () => {
    const { api } = synthStage('uat');
    const producers = stageConfig('uat').ingest.producers;
    api.resourceCountIs('AWS::ApiGateway::ApiKey', producers.length);
    api.resourceCountIs('AWS::ApiGateway::UsagePlanKey', producers.length);
    for (const producer of producers) api.hasResourceProperties('AWS::ApiGateway::ApiKey', { Name: `uba-uat-${producer}`, Enabled: true });
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

describe('ingest load balancer (prod: ingest.frontDoor alb)', () => {
  const prod = stageConfig('prod');
  const frontDoor = prod.ingest.frontDoor;
  if (frontDoor.kind !== 'alb') throw new Error('prod is expected to choose the alb front door');
  const { api } = synthStage('prod');
  const json = api.toJSON() as {
    Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
    Parameters: Record<string, { Default?: string }>;
  };
  const idsOf = (type: string) =>
    Object.entries(json.Resources)
      .filter(([, r]) => r.Type === type)
      .map(([id]) => id);

  it('puts an internet-facing ALB in a VPC of public subnets only, without NAT gateways', () => {
    api.resourceCountIs('AWS::EC2::VPC', 1);
    api.resourceCountIs('AWS::EC2::NatGateway', 0);
    api.resourceCountIs('AWS::EC2::Subnet', 2);
    api.allResourcesProperties('AWS::EC2::Subnet', { MapPublicIpOnLaunch: true });
    api.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      Scheme: 'internet-facing',
      Type: 'application',
      LoadBalancerAttributes: Match.arrayWith([
        { Key: 'routing.http.drop_invalid_header_fields.enabled', Value: 'true' },
        { Key: 'access_logs.s3.enabled', Value: 'true' },
      ]),
    });
  });

  it('listens on HTTPS 443 only, with the certificate ARN from the SSM parameter the stage names', () => {
    api.resourceCountIs('AWS::ElasticLoadBalancingV2::Listener', 1);
    const [listener] = Object.values(api.findResources('AWS::ElasticLoadBalancingV2::Listener'));
    expect(listener.Properties).toMatchObject({ Port: 443, Protocol: 'HTTPS', SslPolicy: expect.stringMatching(/TLS13/) });
    const certificateRef = (listener.Properties.Certificates as Array<{ CertificateArn: { Ref: string } }>)[0].CertificateArn.Ref;
    expect(json.Parameters[certificateRef].Default).toBe(frontDoor.certificateArnParameter);
    api.hasResourceProperties('AWS::EC2::SecurityGroup', {
      SecurityGroupIngress: [Match.objectLike({ CidrIp: '0.0.0.0/0', FromPort: 443, ToPort: 443, IpProtocol: 'tcp' })],
    });
  });

  it('forwards only the producer routes to the ingest Lambda; the REST API keeps the read routes only', () => {
    api.hasResourceProperties('AWS::ElasticLoadBalancingV2::ListenerRule', {
      Conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: ['/v1/events', '/v1/paths'] } }],
    });
    const [targetGroup] = Object.values(api.findResources('AWS::ElasticLoadBalancingV2::TargetGroup'));
    expect(targetGroup.Properties).toMatchObject({
      TargetType: 'lambda',
      Targets: [{ Id: { 'Fn::GetAtt': [expect.stringMatching(/^IngestHandler/), 'Arn'] } }],
    });
    const posts = Object.values(api.findResources('AWS::ApiGateway::Method', { Properties: { HttpMethod: 'POST' } }));
    expect(posts).toEqual([]);
    api.resourceCountIs('AWS::ApiGateway::ApiKey', 0);
    api.resourceCountIs('AWS::ApiGateway::UsagePlan', 0);
  });

  it('guards the load balancer with the body-size rules, a rate limit per producer key and one per address on keyless requests', () => {
    const [lbId] = idsOf('AWS::ElasticLoadBalancingV2::LoadBalancer');
    const association = Object.values(api.findResources('AWS::WAFv2::WebACLAssociation', { Properties: { ResourceArn: { Ref: lbId } } }));
    expect(association).toHaveLength(1);
    const aclId = (association[0].Properties.WebACLArn as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    const rules = json.Resources[aclId].Properties.Rules as Array<Record<string, unknown>>;
    expect(rules.map((r) => r.Name)).toEqual(['BodyOverLimit', 'PostWithoutLength', 'ProducerKeyRate', 'KeylessIpRate']);
    expect(rules[2]).toMatchObject({
      Statement: {
        RateBasedStatement: {
          Limit: frontDoor.requestsPerMinutePerProducer,
          EvaluationWindowSec: 60,
          AggregateKeyType: 'CUSTOM_KEYS',
          CustomKeys: [{ Header: { Name: 'x-api-key', TextTransformations: [{ Priority: 0, Type: 'NONE' }] } }],
        },
      },
      Action: { Block: { CustomResponse: { ResponseCode: 429, CustomResponseBodyKey: 'tooManyRequests' } } },
    });
    expect(rules[3]).toMatchObject({
      Statement: {
        RateBasedStatement: {
          Limit: frontDoor.keylessRequestsPerMinutePerIp,
          EvaluationWindowSec: 60,
          AggregateKeyType: 'IP',
          ScopeDownStatement: {
            NotStatement: {
              Statement: {
                SizeConstraintStatement: { FieldToMatch: { SingleHeader: { Name: 'x-api-key' } }, ComparisonOperator: 'GT', Size: 0 },
              },
            },
          },
        },
      },
      Action: { Block: { CustomResponse: { ResponseCode: 429, CustomResponseBodyKey: 'tooManyKeyless' } } },
    });
  });

  it('keeps one generated key secret per producer, which the ingest Lambda alone reads (with the pseudonym key)', () => {
    const secrets = idsOf('AWS::SecretsManager::Secret');
    expect(secrets).toHaveLength(prod.ingest.producers.length);
    api.allResourcesProperties('AWS::SecretsManager::Secret', { GenerateSecretString: { PasswordLength: 40, ExcludePunctuation: true } });
    api.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          PRODUCER_KEY_SECRETS: Match.anyValue(),
          PRODUCER_KEY_CACHE_SECONDS: String(frontDoor.keyCacheTtl.toSeconds()),
        }),
      },
    });
    const reads = policyStatements(api).filter((s) => actionsOf(s).includes('secretsmanager:GetSecretValue'));
    const resources = reads.flatMap((s) => (Array.isArray(s.Resource) ? s.Resource : [s.Resource]));
    expect(resources).toEqual(expect.arrayContaining([{ 'Fn::ImportValue': expect.any(String) }, ...secrets.map((id) => ({ Ref: id }))]));
    expect(resources).toHaveLength(secrets.length + 1);
  });

  it('outputs the producers’ URL (domain from SSM), the load balancer DNS name and the key secrets', () => {
    api.hasOutput('IngestUrl', Match.anyValue());
    api.hasOutput('ProducerKeySecrets', Match.anyValue());
    expect(Object.keys(api.findOutputs('*')).some((name) => name.includes('LoadBalancerDnsName'))).toBe(true);
    expect(Object.values(json.Parameters).map((p) => p.Default)).toContain(frontDoor.domainNameParameter);
  });
});
