import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  CfnTemplate,
  StackTemplate,
  TemplateResolutionError,
  TemplateResolver,
  eventSourceMappings,
  formatUnsupportedReport,
  lambdaFunctions,
  loadCloudAssembly,
  unsupportedResourceTypes,
} from '../../../local/template';

function stack(stackName: string, template: Partial<CfnTemplate>, assemblyDir = '/tmp/cdk.out'): StackTemplate {
  return {
    stackName,
    artifactId: stackName,
    displayName: stackName,
    templatePath: path.join(assemblyDir, `${stackName}.template.json`),
    assemblyDir,
    dependencies: [],
    template: { Resources: {}, ...template },
  };
}

const dataStack = stack('uba-dev-data', {
  Parameters: {
    Env: { Type: 'String', Default: 'dev' },
    Zones: { Type: 'CommaDelimitedList', Default: 'a, b,c' },
    NoDefault: { Type: 'String' },
  },
  Mappings: { Sizes: { dev: { shards: 1, name: 'small' } } },
  Conditions: {
    IsDev: { 'Fn::Equals': [{ Ref: 'Env' }, 'dev'] },
    IsProd: { 'Fn::Equals': [{ Ref: 'Env' }, 'prod'] },
    NotProd: { 'Fn::Not': [{ Condition: 'IsProd' }] },
    DevAndNotProd: { 'Fn::And': [{ Condition: 'IsDev' }, { Condition: 'NotProd' }] },
    DevOrProd: { 'Fn::Or': [{ Condition: 'IsDev' }, { Condition: 'IsProd' }] },
  },
  Resources: {
    EventsStream1A2B3C4D: { Type: 'AWS::Kinesis::Stream', Properties: { ShardCount: 1 } },
    MetricsTableABCD1234: {
      Type: 'AWS::DynamoDB::Table',
      Properties: {
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        StreamSpecification: { StreamViewType: 'NEW_IMAGE' },
      },
    },
    PlainTable: { Type: 'AWS::DynamoDB::Table', Properties: { KeySchema: [] } },
    NamedTable: { Type: 'AWS::DynamoDB::Table', Properties: { TableName: { 'Fn::Sub': '${AWS::StackName}-named' } } },
    RawBucketF00D: { Type: 'AWS::S3::Bucket' },
    DlqQueue: { Type: 'AWS::SQS::Queue' },
    FifoQueue: { Type: 'AWS::SQS::Queue', Properties: { FifoQueue: true } },
    AlertsTopic: { Type: 'AWS::SNS::Topic' },
    HmacKeySecret: { Type: 'AWS::SecretsManager::Secret', Properties: { GenerateSecretString: { PasswordLength: 32 } } },
    ProdOnlyBucket: { Type: 'AWS::S3::Bucket', Condition: 'IsProd' },
    Api: { Type: 'AWS::ApiGateway::RestApi' },
    Hook: { Type: 'Custom::Thing' },
  },
  Outputs: {
    StreamArnOut: {
      Value: { 'Fn::GetAtt': ['EventsStream1A2B3C4D', 'Arn'] },
      Export: { Name: 'uba-dev-data:StreamArn' },
    },
    StreamNameOut: { Value: { Ref: 'EventsStream1A2B3C4D' }, Export: { Name: 'uba-dev-data:StreamName' } },
    TableNameOut: { Value: { Ref: 'MetricsTableABCD1234' }, Export: { Name: { 'Fn::Sub': '${AWS::StackName}:TableName' } } },
    ProdOut: { Value: { Ref: 'ProdOnlyBucket' }, Condition: 'IsProd' },
    BrokenOut: { Value: { 'Fn::GetAtt': ['Hook', 'Secret'] } },
  },
});

const ingestStack = stack('uba-dev-ingest', {
  Resources: {
    IngestFn: {
      Type: 'AWS::Lambda::Function',
      Metadata: { 'aws:asset:path': 'asset.abc123', 'aws:asset:property': 'Code' },
      Properties: {
        Handler: 'index.handler',
        Runtime: 'nodejs22.x',
        Timeout: 30,
        MemorySize: 512,
        Environment: {
          Variables: {
            STREAM_NAME: { 'Fn::ImportValue': 'uba-dev-data:StreamName' },
            TABLE: { 'Fn::ImportValue': 'uba-dev-data:TableName' },
            REGION: { Ref: 'AWS::Region' },
            DEBUG: { Ref: 'AWS::NoValue' },
            COUNT: 3,
          },
        },
      },
    },
    Mapping: {
      Type: 'AWS::Lambda::EventSourceMapping',
      Properties: {
        FunctionName: { Ref: 'IngestFn' },
        EventSourceArn: { 'Fn::ImportValue': 'uba-dev-data:StreamArn' },
        StartingPosition: 'TRIM_HORIZON',
        BatchSize: 250,
        BisectBatchOnFunctionError: true,
        TumblingWindowInSeconds: 60,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
      },
    },
    Role: { Type: 'AWS::IAM::Role' },
    Policy: { Type: 'AWS::IAM::Policy' },
  },
  Conditions: { Never: { 'Fn::Equals': ['a', 'b'] } },
});

function resolver(): TemplateResolver {
  return new TemplateResolver([dataStack, ingestStack]);
}

describe('TemplateResolver: Ref and names', () => {
  it('gives deterministic, valid physical names', () => {
    const a = resolver();
    const b = resolver();
    const stream = a.ref('uba-dev-data', 'EventsStream1A2B3C4D');
    expect(stream).toMatch(/^uba-dev-data-EventsStream1A2B3C4D-[A-Z0-9]{12}$/);
    expect(b.ref('uba-dev-data', 'EventsStream1A2B3C4D')).toBe(stream);
    const bucket = a.ref('uba-dev-data', 'RawBucketF00D');
    expect(bucket).toMatch(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/);
    expect(bucket.length).toBeLessThanOrEqual(63);
    expect(a.ref('uba-dev-data', 'NamedTable')).toBe('uba-dev-data-named');
    expect(a.physicalName('uba-dev-data', 'FifoQueue')).toMatch(/\.fifo$/);
    expect(a.physicalName('uba-dev-data', 'FifoQueue').length).toBeLessThanOrEqual(80);
  });

  it('keeps long generated names within the service limits', () => {
    const long = stack('uba-dev-a-very-long-stack-name-for-testing-limits', {
      Resources: {
        ['SomeVeryLongLogicalIdThatGoesOnAndOnForeverAndEver0123456789ABCDEF']: { Type: 'AWS::S3::Bucket' },
        ['AnotherVeryLongLogicalIdThatGoesOnAndOnForeverAndEver0123456789AB']: { Type: 'AWS::Lambda::Function' },
      },
    });
    const r = new TemplateResolver([long]);
    const b = r.ref(long.stackName, 'SomeVeryLongLogicalIdThatGoesOnAndOnForeverAndEver0123456789ABCDEF');
    expect(b.length).toBeLessThanOrEqual(63);
    expect(b).toMatch(/^[a-z0-9][a-z0-9.-]+[a-z0-9]$/);
    const f = r.ref(long.stackName, 'AnotherVeryLongLogicalIdThatGoesOnAndOnForeverAndEver0123456789AB');
    expect(f.length).toBeLessThanOrEqual(64);
    expect(f).toMatch(/^[a-zA-Z0-9_-]+$/);
  });

  it('returns what CloudFormation documents for Ref per type', () => {
    const r = resolver();
    const queueName = r.physicalName('uba-dev-data', 'DlqQueue');
    expect(r.ref('uba-dev-data', 'DlqQueue')).toBe(`https://sqs.us-east-1.amazonaws.com/000000000000/${queueName}`);
    const topicName = r.physicalName('uba-dev-data', 'AlertsTopic');
    expect(r.ref('uba-dev-data', 'AlertsTopic')).toBe(`arn:aws:sns:us-east-1:000000000000:${topicName}`);
    expect(r.ref('uba-dev-data', 'HmacKeySecret')).toMatch(
      /^arn:aws:secretsmanager:us-east-1:000000000000:secret:HmacKeySecret-[A-Z0-9]{12}-[A-Za-z0-9]{6}$/,
    );
    expect(r.ref('uba-dev-ingest', 'IngestFn')).toBe(r.physicalName('uba-dev-ingest', 'IngestFn'));
    expect(r.ref('uba-dev-data', 'Api')).toMatch(/^[a-z0-9]{10}$/);
  });

  it('resolves pseudo parameters, parameters and configurable account/region', () => {
    const r = new TemplateResolver([dataStack], { region: 'eu-west-1', accountId: '111122223333', parameters: { Env: 'prod' } });
    expect(r.resolve('uba-dev-data', { Ref: 'AWS::Region' })).toBe('eu-west-1');
    expect(r.resolve('uba-dev-data', { Ref: 'AWS::AccountId' })).toBe('111122223333');
    expect(r.resolve('uba-dev-data', { Ref: 'AWS::Partition' })).toBe('aws');
    expect(r.resolve('uba-dev-data', { Ref: 'AWS::URLSuffix' })).toBe('amazonaws.com');
    expect(r.resolve('uba-dev-data', { Ref: 'AWS::StackName' })).toBe('uba-dev-data');
    expect(r.resolve('uba-dev-data', { Ref: 'AWS::StackId' })).toMatch(
      /^arn:aws:cloudformation:eu-west-1:111122223333:stack\/uba-dev-data\/[0-9a-f-]{36}$/,
    );
    expect(r.resolve('uba-dev-data', { Ref: 'Env' })).toBe('prod');
    expect(r.resolve('uba-dev-data', { Ref: 'Zones' })).toEqual(['a', 'b', 'c']);
    expect(r.resolve('uba-dev-data', { a: { Ref: 'AWS::NoValue' }, b: [1, { Ref: 'AWS::NoValue' }] })).toEqual({ b: [1] });
    expect(r.condition('uba-dev-data', 'IsProd')).toBe(true);
  });
});

describe('TemplateResolver: intrinsic functions', () => {
  const r = resolver();
  const S = 'uba-dev-data';

  it('Fn::GetAtt in both forms and per type', () => {
    const streamName = r.ref(S, 'EventsStream1A2B3C4D');
    expect(r.resolve(S, { 'Fn::GetAtt': ['EventsStream1A2B3C4D', 'Arn'] })).toBe(
      `arn:aws:kinesis:us-east-1:000000000000:stream/${streamName}`,
    );
    expect(r.resolve(S, { 'Fn::GetAtt': 'EventsStream1A2B3C4D.Arn' })).toBe(`arn:aws:kinesis:us-east-1:000000000000:stream/${streamName}`);
    const table = r.ref(S, 'MetricsTableABCD1234');
    expect(r.resolve(S, { 'Fn::GetAtt': ['MetricsTableABCD1234', 'Arn'] })).toBe(`arn:aws:dynamodb:us-east-1:000000000000:table/${table}`);
    expect(r.resolve(S, { 'Fn::GetAtt': ['MetricsTableABCD1234', 'StreamArn'] })).toMatch(new RegExp(`table/${table}/stream/`));
    const bucket = r.ref(S, 'RawBucketF00D');
    expect(r.resolve(S, { 'Fn::GetAtt': ['RawBucketF00D', 'Arn'] })).toBe(`arn:aws:s3:::${bucket}`);
    expect(r.resolve(S, { 'Fn::GetAtt': ['RawBucketF00D', 'DomainName'] })).toBe(`${bucket}.s3.amazonaws.com`);
    expect(r.resolve(S, { 'Fn::GetAtt': ['RawBucketF00D', 'RegionalDomainName'] })).toBe(`${bucket}.s3.us-east-1.amazonaws.com`);
    const queue = r.physicalName(S, 'DlqQueue');
    expect(r.resolve(S, { 'Fn::GetAtt': ['DlqQueue', 'Arn'] })).toBe(`arn:aws:sqs:us-east-1:000000000000:${queue}`);
    expect(r.resolve(S, { 'Fn::GetAtt': ['DlqQueue', 'QueueName'] })).toBe(queue);
    expect(r.resolve(S, { 'Fn::GetAtt': ['AlertsTopic', 'TopicArn'] })).toBe(r.ref(S, 'AlertsTopic'));
    expect(r.resolve(S, { 'Fn::GetAtt': ['Api', 'RootResourceId'] })).toMatch(/^[a-z0-9]{10}$/);
  });

  it('Fn::GetAtt errors name the resource and the attribute', () => {
    expect(() => r.resolve(S, { 'Fn::GetAtt': ['DlqQueue', 'Nope'] })).toThrow(
      /attribute Nope of AWS::SQS::Queue \(resource DlqQueue\).*supported: Arn, QueueName, QueueUrl/,
    );
    expect(() => r.resolve(S, { 'Fn::GetAtt': ['PlainTable', 'StreamArn'] })).toThrow(/PlainTable\.StreamArn.*StreamSpecification/);
    expect(() => r.resolve(S, { 'Fn::GetAtt': ['Hook', 'Value'] })).toThrow(/custom resource Hook/);
    expect(() => r.resolve(S, { 'Fn::GetAtt': ['Missing', 'Arn'] })).toThrow(/no resource Missing/);
  });

  it('Fn::FindInMap, with resolved keys; a missing entry fails naming the map and keys', () => {
    expect(r.resolve(S, { 'Fn::FindInMap': ['Sizes', { Ref: 'Env' }, 'name'] })).toBe('small');
    expect(r.resolve(S, { 'Fn::FindInMap': ['Sizes', 'dev', 'shards'] })).toBe(1);
    expect(() => r.resolve(S, { 'Fn::FindInMap': ['Sizes', 'prod', 'name'] })).toThrow(/mapping Sizes has no prod\.name/);
  });

  it('Fn::Join', () => {
    expect(r.resolve(S, { 'Fn::Join': ['-', ['a', { Ref: 'Env' }, 3]] })).toBe('a-dev-3');
    expect(r.resolve(S, { 'Fn::Join': ['', []] })).toBe('');
  });

  it.each([
    ['Fn::Select', ['1', ['x', 'y', 'z']]],
    ['Fn::Split', [',', 'a,b,,c']],
    ['Fn::GetAZs', ''],
    ['Fn::Base64', 'hi'],
    ['Fn::ToJsonString', { a: { Ref: 'Env' } }],
    ['Fn::Length', [1, 2, 3]],
    ['Fn::If', ['IsDev', 'd', 'p']],
    ['Fn::Not', [{ Condition: 'IsProd' }]],
    ['Fn::And', [{ Condition: 'IsDev' }, { Condition: 'IsProd' }]],
  ])('%s, which the app does not use, fails naming the function and what is resolved', (fn, arg) => {
    expect(() => r.resolve(S, { [fn]: arg })).toThrow(
      `uba-dev-data: ${fn}: unsupported intrinsic function ${fn} (the local runtime resolves only what this app's templates use: ` +
        'Ref, Fn::GetAtt, Fn::Join, Fn::Sub, Fn::ImportValue, Fn::Equals, Fn::Or, Fn::FindInMap)',
    );
  });

  it('Fn::Sub in both forms with pseudo parameters, resources, attributes, variables and ${!Literal}', () => {
    const stream = r.ref(S, 'EventsStream1A2B3C4D');
    expect(r.resolve(S, { 'Fn::Sub': 'arn:${AWS::Partition}:x:${AWS::Region}:${AWS::AccountId}:${EventsStream1A2B3C4D}' })).toBe(
      `arn:aws:x:us-east-1:000000000000:${stream}`,
    );
    expect(r.resolve(S, { 'Fn::Sub': '${EventsStream1A2B3C4D.Arn}/x' })).toBe(`arn:aws:kinesis:us-east-1:000000000000:stream/${stream}/x`);
    expect(
      r.resolve(S, {
        'Fn::Sub': ['${Greeting}, ${Env}! ${!Literal} $notvar ${Greeting}', { Greeting: { 'Fn::Join': ['', ['he', 'llo']] } }],
      }),
    ).toBe('hello, dev! ${Literal} $notvar hello');
    expect(r.resolve(S, { 'Fn::Sub': 'no vars' })).toBe('no vars');
  });

  it('conditions (Equals/Or), NoValue, conditional resources; Not and And fail clearly', () => {
    expect(r.condition(S, 'IsDev')).toBe(true);
    expect(r.condition(S, 'IsProd')).toBe(false);
    expect(r.condition(S, 'DevOrProd')).toBe(true);
    expect(() => r.condition(S, 'NotProd')).toThrow(/Conditions\.NotProd\.Fn::Not: unsupported intrinsic function Fn::Not/);
    expect(() => r.condition(S, 'DevAndNotProd')).toThrow(/Conditions\.DevAndNotProd\.Fn::And: unsupported intrinsic function Fn::And/);
    expect(r.resolve(S, { x: { Ref: 'AWS::NoValue' }, y: 1 })).toEqual({ y: 1 });
    expect(r.resolve(S, { 'Fn::Equals': [{ Ref: 'Env' }, 'dev'] })).toBe(true);
    expect(r.resourcesOfType('AWS::S3::Bucket').map((x) => x.logicalId)).toEqual(['RawBucketF00D']);
    expect(() => r.ref(S, 'ProdOnlyBucket')).toThrow(/condition IsProd is false/);
    expect(() => r.condition(S, 'Unknown')).toThrow(/no condition named Unknown/);
  });

  it('Fn::ImportValue resolves exports across stacks in the exporting stack', () => {
    const table = r.ref(S, 'MetricsTableABCD1234');
    expect(r.resolve('uba-dev-ingest', { 'Fn::ImportValue': 'uba-dev-data:TableName' })).toBe(table);
    expect(r.resolve('uba-dev-ingest', { 'Fn::ImportValue': { 'Fn::Sub': 'uba-dev-data:StreamArn' } })).toMatch(/^arn:aws:kinesis:/);
    expect(() => r.resolve('uba-dev-ingest', { 'Fn::ImportValue': 'nope' })).toThrow(
      /no loaded stack exports nope.*uba-dev-data:StreamArn/,
    );
    expect([...r.exports().keys()].sort()).toEqual(['uba-dev-data:StreamArn', 'uba-dev-data:StreamName', 'uba-dev-data:TableName']);
  });

  it('errors name the stack, the logical id and the property path', () => {
    const bad = stack('uba-dev-bad', {
      Resources: {
        Fn: {
          Type: 'AWS::Lambda::Function',
          Properties: { Environment: { Variables: { X: { 'Fn::Cidr': ['10.0.0.0/16', 2, 8] } } }, Layers: [{ Ref: 'Nope' }] },
        },
      },
    });
    const rb = new TemplateResolver([bad]);
    const rec = rb.resource('uba-dev-bad', 'Fn');
    let err: unknown;
    try {
      rb.resolveProperty(rec, 'Environment');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TemplateResolutionError);
    expect((err as Error).message).toBe(
      'uba-dev-bad: Resources.Fn.Properties.Environment.Variables.X.Fn::Cidr: unsupported intrinsic function Fn::Cidr ' +
        "(the local runtime resolves only what this app's templates use: Ref, Fn::GetAtt, Fn::Join, Fn::Sub, Fn::ImportValue, Fn::Equals, Fn::Or, Fn::FindInMap)",
    );
    expect(() => rb.resolveProperty(rec, 'Layers')).toThrow(
      'uba-dev-bad: Resources.Fn.Properties.Layers[0].Ref: Ref: no resource Nope in stack uba-dev-bad',
    );
    expect(() => r.resolve(S, { Ref: 'NoDefault' })).toThrow(/parameter NoDefault has no Default/);
    expect(() => r.resolve(S, { 'Fn::Join': ['-', 'notalist'] })).toThrow(/Fn::Join list must resolve to a list/);
  });

  it('resolves outputs, reporting the ones it cannot resolve', () => {
    const outs = r.outputs(S);
    expect(outs.map((o) => o.outputName)).toEqual(['StreamArnOut', 'StreamNameOut', 'TableNameOut', 'BrokenOut']);
    expect(outs[0].value).toMatch(/^arn:aws:kinesis:/);
    expect(outs[0].exportName).toBe('uba-dev-data:StreamArn');
    expect(outs[2].exportName).toBe('uba-dev-data:TableName');
    expect(outs[3].value).toBeUndefined();
    expect(outs[3].error).toMatch(/Outputs\.BrokenOut\.Value\.Fn::GetAtt.*custom resource Hook/);
  });

  it('finds resources by identifier (ARN, name, queue URL)', () => {
    const arn = r.getAtt(S, 'EventsStream1A2B3C4D', 'Arn') as string;
    expect(r.findByIdentifier(arn)?.logicalId).toBe('EventsStream1A2B3C4D');
    expect(r.findByIdentifier(r.ref(S, 'DlqQueue'))?.logicalId).toBe('DlqQueue');
    expect(r.findByIdentifier('arn:aws:kinesis:us-east-1:000000000000:stream/unknown')).toBeUndefined();
  });
});

describe('runtime helpers', () => {
  it('describes Lambda functions with asset dir and resolved environment', () => {
    const r = resolver();
    const [fn] = lambdaFunctions(r);
    expect(fn.logicalId).toBe('IngestFn');
    expect(fn.assetPath).toBe('asset.abc123');
    expect(fn.assetDir).toBe(path.resolve('/tmp/cdk.out', 'asset.abc123'));
    expect(fn.handler).toBe('index.handler');
    expect(fn.runtime).toBe('nodejs22.x');
    expect(fn.timeoutSeconds).toBe(30);
    expect(fn.memoryMb).toBe(512);
    expect(fn.functionArn).toBe(`arn:aws:lambda:us-east-1:000000000000:function:${fn.functionName}`);
    expect(fn.environment).toEqual({
      STREAM_NAME: r.ref('uba-dev-data', 'EventsStream1A2B3C4D'),
      TABLE: r.ref('uba-dev-data', 'MetricsTableABCD1234'),
      REGION: 'us-east-1',
      COUNT: '3',
    });
  });

  it('describes event source mappings with function logical id and source stream', () => {
    const r = resolver();
    const [m] = eventSourceMappings(r);
    expect(m.functionLogicalId).toBe('IngestFn');
    expect(m.functionStackName).toBe('uba-dev-ingest');
    expect(m.functionName).toBe(r.physicalName('uba-dev-ingest', 'IngestFn'));
    expect(m.source).toMatchObject({
      kind: 'kinesis',
      stackName: 'uba-dev-data',
      logicalId: 'EventsStream1A2B3C4D',
      type: 'AWS::Kinesis::Stream',
      name: r.ref('uba-dev-data', 'EventsStream1A2B3C4D'),
    });
    expect(m.batchSize).toBe(250);
    expect(m.startingPosition).toBe('TRIM_HORIZON');
    expect(m.bisectBatchOnFunctionError).toBe(true);
    expect(m.tumblingWindowInSeconds).toBe(60);
    expect(m.maximumRetryAttempts).toBe(-1);
    expect(m.functionResponseTypes).toEqual(['ReportBatchItemFailures']);
    expect(m.uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('reports resource types the runtime does not stand in for', () => {
    const r = resolver();
    const report = unsupportedResourceTypes(r, [
      'AWS::Kinesis::Stream',
      'AWS::DynamoDB::Table',
      'AWS::S3::Bucket',
      'AWS::Lambda::Function',
      'AWS::Lambda::EventSourceMapping',
      'AWS::SecretsManager::Secret',
    ]);
    expect(report.map((x) => x.type)).toEqual([
      'AWS::ApiGateway::RestApi',
      'AWS::IAM::Policy',
      'AWS::IAM::Role',
      'AWS::SNS::Topic',
      'AWS::SQS::Queue',
      'Custom::Thing',
    ]);
    expect(report.find((x) => x.type === 'AWS::IAM::Role')?.meaning).toMatch(/not enforced/);
    expect(report.find((x) => x.type === 'Custom::Thing')?.meaning).toMatch(/custom resource handlers do not run/);
    expect(report.find((x) => x.type === 'AWS::SQS::Queue')?.resources).toHaveLength(2);
    expect(formatUnsupportedReport(report)[0]).toMatch(/^AWS::ApiGateway::RestApi ×1 \(Api\): /);
  });
});

describe('loadCloudAssembly', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uba-asm-'));
    fs.writeFileSync(
      path.join(dir, 'manifest.json'),
      JSON.stringify({
        version: '43.0.0',
        artifacts: {
          'uba-dev-data': {
            type: 'aws:cloudformation:stack',
            displayName: 'uba-dev-data',
            properties: { templateFile: 'uba-dev-data.template.json' },
          },
          'uba-dev-ingest': {
            type: 'aws:cloudformation:stack',
            displayName: 'uba-dev-ingest',
            dependencies: ['uba-dev-data'],
            properties: { templateFile: 'uba-dev-ingest.template.json', stackName: 'uba-dev-ingest-renamed' },
          },
          Tree: { type: 'cdk:tree', properties: { file: 'tree.json' } },
        },
      }),
    );
    fs.writeFileSync(path.join(dir, 'uba-dev-data.template.json'), JSON.stringify(dataStack.template));
    fs.writeFileSync(path.join(dir, 'uba-dev-ingest.template.json'), JSON.stringify(ingestStack.template));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('reads every stack artifact and its template', () => {
    const asm = loadCloudAssembly(dir);
    expect(asm.version).toBe('43.0.0');
    expect(asm.stacks.map((s) => s.stackName)).toEqual(['uba-dev-data', 'uba-dev-ingest-renamed']);
    expect(asm.stacks[1].dependencies).toEqual(['uba-dev-data']);
    expect(asm.stacks[1].assemblyDir).toBe(path.resolve(dir));
    const r = TemplateResolver.fromAssembly(asm);
    expect(lambdaFunctions(r)[0].assetDir).toBe(path.join(path.resolve(dir), 'asset.abc123'));
    expect(r.resolve('uba-dev-ingest-renamed', { 'Fn::ImportValue': 'uba-dev-data:TableName' })).toBe(
      r.ref('uba-dev-data', 'MetricsTableABCD1234'),
    );
  });

  it('fails clearly without a manifest', () => {
    expect(() => loadCloudAssembly(path.join(dir, 'nope'))).toThrow(/manifest.json missing.*cdk synth/);
  });
});
