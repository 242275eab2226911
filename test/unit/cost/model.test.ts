import { albLcus, breakEven, COMPONENTS, estimate, batching, shardsFor, type Workload } from '../../../scripts/cost/model';
import { readDeployment, runsPerMonth, UnpricedResourceError } from '../../../scripts/cost/template';
import { CostInputError, Inputs } from '../../../scripts/cost/inputs';
import { shardsNeeded } from '../../../scripts/cost/levers';
import { FIXTURE_FIGURES, FIXTURE_PRICES, FIXTURE_TEMPLATE, fixtureInputs, fixtureStacks } from './fixture';

/** 10 requests/s of 10 events of 400 B: 100 events/s, each a 500 B stream record with the fixture's 100 B overhead. */
const WORKLOAD: Workload = {
  name: 'fixture',
  requestsPerSecond: 10,
  eventsPerRequest: 10,
  eventBytes: 400,
  dashboardTabs: 1,
  dashboardUsers: 4,
};

// A month is 730 h = 2,628,000 s: 26,280,000 requests, 262,800,000 events.
const S = 2_628_000;
const GIB = 2 ** 30;
const DAYS = 730 / 24;

describe('the cost model on a fixed template (hand-checked)', () => {
  const deployment = readDeployment(fixtureStacks());
  const bill = estimate(deployment, WORKLOAD, fixtureInputs());

  it('reads what the template declares', () => {
    expect(deployment.stream).toEqual({ mode: 'PROVISIONED', shards: 2, retentionHours: 24, sharedReaders: 2, enhancedFanOutConsumers: 0 });
    expect(deployment.mappings).toEqual([
      { service: 'realtime', batchSize: 1000, maxBatchingWindowS: 5, parallelizationFactor: 1, tumblingWindowS: undefined },
    ]);
    expect(deployment.functions.map((f) => [f.service, f.driver, f.memoryMb, f.architecture])).toEqual([
      ['ingest', 'ingest', 1024, 'arm64'],
      ['realtime', 'stream', 512, 'arm64'],
    ]);
    expect(deployment.lakeLifecycle).toEqual({ standardIaAfterDays: 30, glacierIrAfterDays: undefined, expireAfterDays: 90 });
    expect(deployment.resultRetentionDays).toBe(30);
    expect(deployment.logGroups.map((g) => g.writer).sort()).toEqual(['api-access', 'ingest', 'realtime']);
    expect([deployment.alarms, deployment.alarmMetrics]).toEqual([3, 4]);
  });

  it('prices each component as worked out by hand', () => {
    // API: 26.28 M requests × $3.50 per million (first tier); no WAF, answers of 0 bytes.
    const api = 26.28 * 3.5;
    // Ingest: 1 + 10 × 0.5 ms CPU (1024 MB = the fixture's full vCPU) + one 20 ms PutRecords = 26 ms;
    // 26.28 M × $0.20 per million + 26.28 M × 0.026 s × 1 GB × $0.0000133334.
    const ingest = 26.28 * 0.2 + 26.28e6 * 0.026 * 0.0000133334;
    // Consumer: 2 shards × 50 events/s × 5 s window = 250 events per batch, 0.4 batches/s = 1,051,200 a month;
    // (10 + 250 × 0.05) ms × 2 (512 MB is half a vCPU) + 1 round of 10 requests × 5 ms = 50 ms at 0.5 GB.
    const consumers = 1.0512 * 0.2 + 1_051_200 * 0.05 * 0.5 * 0.0000133334;
    // DynamoDB: 1,051,200 × 20 + 262.8 M × 0.1 = 47.304 M WRU; 2,102,400 RRU; 1 MiB a minute for 30 days = 42.1875 GiB.
    const dynamodb = 47.304 * 0.625 + 2.1024 * 0.125 + 42.1875 * 0.25;
    // Kinesis: 2 shards × 730 h × $0.015 + 262.8 M PUT payload units × $0.014 per million.
    const kinesis = 2 * 730 * 0.015 + 262.8 * 0.014;
    // Firehose: 262.8 M records each billed 5 KiB.
    const firehose = ((262.8e6 * 5120) / GIB) * 0.029;
    // S3: one object per 300 s (8,760) at $0.005 per 1,000 PUTs and $0.01 per 1,000 transitions; lake of
    // 262.8 M × 500 B × 0.2 gzip a month, kept 30 days in Standard and 60 in IA.
    const lakeDay = (262.8e6 * 500 * 0.2) / DAYS;
    const s3 = 8.76 * 0.005 + 8.76 * 0.01 + ((lakeDay * 30) / GIB) * 0.023 + ((lakeDay * 60) / GIB) * 0.0125;
    // CloudWatch: ingest 1,000 B a request, access log 26 B a request ('{"id":""}' + one 16 B value + newline),
    // consumer 800 B a batch; stored at 0.1 for 7 days; 3 alarms billed as 4 alarm metrics (the math alarm reads 2).
    const logBytes = 26.28e6 * 1000 + 26.28e6 * 26 + 1_051_200 * 800;
    const cloudwatch = (logBytes / GIB) * 0.5 + ((logBytes * 0.1) / GIB) * (7 / DAYS) * 0.03 + 4 * 0.1;

    expect(bill.eventsPerSecond).toBe(100);
    expect(bill.components.api).toBeCloseTo(api, 6);
    expect(bill.components.ingestLambda).toBeCloseTo(ingest, 6);
    expect(bill.components.consumers).toBeCloseTo(consumers, 6);
    expect(bill.components.dynamodb).toBeCloseTo(dynamodb, 6);
    expect(bill.components.kinesis).toBeCloseTo(kinesis, 6);
    expect(bill.components.firehose).toBeCloseTo(firehose, 6);
    expect(bill.components.s3).toBeCloseTo(s3, 6);
    expect(bill.components.cloudwatch).toBeCloseTo(cloudwatch, 6);
    for (const c of ['athena', 'cloudfront', 'cognito', 'other'] as const) expect(bill.components[c]).toBe(0);
  });

  it('totals $223.86 a month, the sum of its components and of its line items', () => {
    expect(bill.monthlyUsd).toBeCloseTo(223.857, 2);
    expect(COMPONENTS.reduce((sum, c) => sum + bill.components[c], 0)).toBeCloseTo(bill.monthlyUsd, 9);
    expect(bill.items.reduce((sum, i) => sum + i.usd, 0)).toBeCloseTo(bill.monthlyUsd, 9);
    expect(S).toBe(730 * 3600);
  });
});

describe('the cost model: how cost moves with the template and the load', () => {
  it('bills larger requests for fewer API calls and ingest invocations, the same events', () => {
    const small = estimate(readDeployment(fixtureStacks()), WORKLOAD, fixtureInputs());
    const large = estimate(readDeployment(fixtureStacks()), { ...WORKLOAD, requestsPerSecond: 1, eventsPerRequest: 100 }, fixtureInputs());
    expect(large.eventsPerSecond).toBe(small.eventsPerSecond);
    expect(large.components.api).toBeCloseTo(small.components.api / 10, 6);
    expect(large.components.ingestLambda).toBeLessThan(small.components.ingestLambda);
    expect(large.components.kinesis).toBeCloseTo(small.components.kinesis, 6);
  });

  it('switches to on-demand stream pricing when the template says ON_DEMAND, with at least 4 shards', () => {
    const onDemand = structuredClone(FIXTURE_TEMPLATE);
    onDemand.Resources.Stream = {
      Type: 'AWS::Kinesis::Stream',
      Properties: { RetentionPeriodHours: 168, StreamModeDetails: { StreamMode: 'ON_DEMAND' } },
    };
    const deployment = readDeployment(fixtureStacks(onDemand));
    const bill = estimate(deployment, WORKLOAD, fixtureInputs());
    expect(shardsFor(deployment, 100, 500)).toBe(4);
    const items = bill.items.filter((i) => i.component === 'kinesis').map((i) => i.item);
    expect(items).toEqual([
      'on-demand stream hours',
      'data in (each 500 B record billed as 1024 B)',
      'data out (2 readers)',
      'retention beyond 24 h (168 h)',
    ]);
  });

  it('fills batches to the batch size when the window holds more, and adds the final invokes of a tumbling window', () => {
    const mapping = { service: 'windows', batchSize: 1000, maxBatchingWindowS: 5, parallelizationFactor: 1, tumblingWindowS: 60 };
    expect(batching(mapping, 2, 10_000, 500)).toEqual({ invocationsPerSecond: 10 + 2 / 60, eventsPerBatch: 1000 });
    // 4 shards of 25 events/s: 125 per 5 s window, 0.2 batches/s each.
    expect(batching({ ...mapping, tumblingWindowS: undefined }, 4, 100, 500)).toEqual({ invocationsPerSecond: 0.8, eventsPerBatch: 125 });
  });

  it('notes a provisioned stream too small for the load', () => {
    const bill = estimate(readDeployment(fixtureStacks()), { ...WORKLOAD, requestsPerSecond: 1000 }, fixtureInputs());
    expect(bill.notes.some((n) => n.startsWith('provisioned stream too small: 2 shards'))).toBe(true);
  });

  it('fails naming the figure when a consumer has no measured figures', () => {
    const figures = fixtureInputs();
    delete (figures.measured.figures as Record<string, unknown>)['realtime.wruPerBatch'];
    expect(() => estimate(readDeployment(fixtureStacks()), WORKLOAD, figures)).toThrow(
      new CostInputError('measured.json: no figure "realtime.wruPerBatch"'),
    );
  });
});

describe('reading templates', () => {
  it('refuses a resource type it neither prices nor lists as free, naming it', () => {
    const withNat = structuredClone(FIXTURE_TEMPLATE);
    withNat.Resources.Nat = { Type: 'AWS::EC2::NatGateway', Properties: {} };
    expect(() => readDeployment(fixtureStacks(withNat))).toThrow(UnpricedResourceError);
    expect(() => readDeployment(fixtureStacks(withNat))).toThrow(/AWS::EC2::NatGateway/);
  });

  it('counts the runs of schedule expressions in a 730-hour month', () => {
    expect(runsPerMonth('cron(30 0 * * ? *)')).toBeCloseTo(730 / 24, 9);
    expect(runsPerMonth('rate(1 hour)')).toBeCloseTo(730, 9);
    expect(runsPerMonth('rate(5 minutes)')).toBeCloseTo(730 * 12, 9);
  });
});

describe('sizing a provisioned stream for a lever', () => {
  it('takes the largest of records/s, bytes in and shared bytes out per shard, with 20 % headroom', () => {
    const w = (requestsPerSecond: number, eventBytes: number): Workload => ({ ...WORKLOAD, requestsPerSecond, eventBytes });
    // 100 events/s of 500 B: far below one shard.
    expect(shardsNeeded(w(10, 400), fixtureInputs())).toBe(1);
    // 1,000 records/s: one shard's limit exactly, so two with headroom.
    expect(shardsNeeded(w(100, 400), fixtureInputs())).toBe(2);
    // 1,000 events/s of 2,100 B (2,000 + 100): 2.0 MiB/s in, 3 readers × 2.0 / 2 MiB/s out = 3.0 shards → 4.
    expect(shardsNeeded(w(100, 2000), fixtureInputs())).toBe(4);
  });
});

describe('the load-balancer front door', () => {
  /** The fixture with ingest moved from the REST API's POST method to an internet-facing ALB in two AZs, and three producer key secrets. */
  function albTemplate(): typeof FIXTURE_TEMPLATE {
    const resources = { ...FIXTURE_TEMPLATE.Resources };
    delete resources.Post;
    const ingest = resources.Ingest as unknown as { Properties: { Environment: { Variables: Record<string, string> } } };
    return {
      ...FIXTURE_TEMPLATE,
      Resources: {
        ...resources,
        Ingest: {
          ...resources.Ingest,
          Properties: {
            ...ingest.Properties,
            Environment: {
              Variables: {
                ...ingest.Properties.Environment.Variables,
                PRODUCER_KEY_SECRETS: 'a=arn:x,b=arn:y,c=arn:z',
                PRODUCER_KEY_CACHE_SECONDS: '300',
              },
            },
          },
        },
        Alb: { Type: 'AWS::ElasticLoadBalancingV2::LoadBalancer', Properties: { Scheme: 'internet-facing', Subnets: ['s1', 's2'] } },
        Rule: { Type: 'AWS::ElasticLoadBalancingV2::ListenerRule', Properties: {} },
        Targets: {
          Type: 'AWS::ElasticLoadBalancingV2::TargetGroup',
          Properties: { TargetType: 'lambda', Targets: [{ Id: { 'Fn::GetAtt': ['Ingest', 'Arn'] } }] },
        },
      },
    };
  }
  const albInputs = () =>
    new Inputs(
      {
        ...FIXTURE_PRICES,
        prices: {
          ...FIXTURE_PRICES.prices,
          'elb.application.hour': { usd: 0.0225, unit: 'fixture', source: 'https://example.com/', asOf: '2026-11-30' },
          'elb.application.lcuHour': { usd: 0.008, unit: 'fixture', source: 'https://example.com/', asOf: '2026-11-30' },
          'vpc.publicIpv4.hour': { usd: 0.005, unit: 'fixture', source: 'https://example.com/', asOf: '2026-11-30' },
          'secretsmanager.calls': { usd: 0.05, unit: 'fixture', source: 'https://example.com/', asOf: '2026-11-30' },
          'secretsmanager.secret': { usd: 0.4, unit: 'fixture', source: 'https://example.com/', asOf: '2026-11-30' },
          'waf.webAcl': { usd: 5, unit: 'fixture', source: 'https://example.com/', asOf: '2026-11-30' },
          'waf.rule': { usd: 1, unit: 'fixture', source: 'https://example.com/', asOf: '2026-11-30' },
        },
      },
      {
        note: 'fixture',
        figures: {
          ...FIXTURE_FIGURES,
          'alb.requestsPerConnection': { value: 100, unit: 'fixture', how: 'fixture', at: '2026-11-30', by: 'fixture' },
          'alb.connectionSeconds': { value: 60, unit: 'fixture', how: 'fixture', at: '2026-11-30', by: 'fixture' },
          'alb.requestHeaderBytes': { value: 600, unit: 'fixture', how: 'fixture', at: '2026-11-30', by: 'fixture' },
        },
      },
    );

  it('reads the load balancer, its AZs and rules, the producer keys, and drives the ingest function from its target group', () => {
    const template = albTemplate();
    const withAcl = {
      ...template,
      Resources: {
        ...template.Resources,
        AlbAcl: { Type: 'AWS::WAFv2::WebACL', Properties: { Rules: [{ Name: 'a' }, { Name: 'b' }, { Name: 'c' }, { Name: 'd' }] } },
        AlbAclAssociation: {
          Type: 'AWS::WAFv2::WebACLAssociation',
          Properties: { ResourceArn: { Ref: 'Alb' }, WebACLArn: { 'Fn::GetAtt': ['AlbAcl', 'Arn'] } },
        },
      },
    };
    expect(readDeployment(fixtureStacks(template)).loadBalancers).toEqual([
      { internetFacing: true, availabilityZones: 2, rules: 1, webAclRules: 0 },
    ]);
    const deployment = readDeployment(fixtureStacks(withAcl as typeof template));
    expect(deployment.loadBalancers).toEqual([{ internetFacing: true, availabilityZones: 2, rules: 1, webAclRules: 4 }]);
    expect(deployment.producerKeys).toEqual({ producers: 3, cacheSeconds: 300 });
    expect(deployment.functions.find((f) => f.service === 'ingest')?.driver).toBe('ingest');
  });

  it('prices hours, LCUs and public IPv4 addresses instead of REST requests (hand-checked)', () => {
    const e = estimate(readDeployment(fixtureStacks(albTemplate())), WORKLOAD, albInputs());
    const usd = (item: string) => e.items.find((i) => i.item.startsWith(item))?.usd;
    expect(e.items.some((i) => i.item.startsWith('REST API requests (ingest'))).toBe(false);
    expect(usd('load balancer hours')).toBeCloseTo(730 * 0.0225, 6);
    // 10 req/s × (600 B headers + 10 × 400 B events + 0 B answer) × 3600 s / 0.4 GB = 0.414 LCU (processed bytes bound it).
    expect(usd('load balancer LCUs (bound by processed bytes')).toBeCloseTo(730 * 0.008 * ((10 * 4600 * 3600) / 0.4e9), 6);
    expect(usd('public IPv4 addresses')).toBeCloseTo(730 * 2 * 0.005, 6);
    // 1 container × 3 producers × 2 stages × (2,628,000 s / 300 s) calls at $0.05 per 10,000.
    expect(usd('producer key reads')).toBeCloseTo(((3 * 2 * 8760) / 10_000) * 0.05, 6);
    expect(e.notes.some((n) => /load balancer is cheaper from [\d.]+ requests\/s of 10 events/.test(n))).toBe(true);
  });

  it('takes the largest LCU dimension', () => {
    const traffic = { requestsPerSecond: 1000, bytesPerRequest: 0, requestsPerConnection: 1, connectionSeconds: 600 };
    expect(albLcus({ rules: 1 }, traffic)).toEqual({ lcu: (1000 * 600) / 3000, dimension: 'active connections' });
    expect(albLcus({ rules: 12 }, { ...traffic, requestsPerConnection: 1e9 })).toEqual({ lcu: 2, dimension: 'rule evaluations' });
  });

  it('finds the rate from which one cost stays below another', () => {
    expect(
      breakEven(
        (r) => 3 * r,
        (r) => 30 + r,
      ),
    ).toBeCloseTo(15, 3);
    expect(
      breakEven(
        (r) => r,
        (r) => 30 + r,
      ),
    ).toBeUndefined();
    expect(
      breakEven(
        (r) => 100 + r,
        (r) => r,
      ),
    ).toBe(0.01);
  });
});

describe('Cognito', () => {
  it('prices a Plus pool at the Plus rate with no free tier', () => {
    const template = {
      ...FIXTURE_TEMPLATE,
      Resources: { ...FIXTURE_TEMPLATE.Resources, Pool: { Type: 'AWS::Cognito::UserPool', Properties: { UserPoolTier: 'PLUS' } } },
    };
    const inputs = new Inputs(
      {
        ...FIXTURE_PRICES,
        prices: {
          ...FIXTURE_PRICES.prices,
          'cognito.plus.mau': { usd: 0.02, unit: 'fixture', source: 'https://example.com/', asOf: '2026-11-30', freeUnits: 0 },
        },
      },
      { note: 'fixture', figures: FIXTURE_FIGURES },
    );
    const e = estimate(readDeployment(fixtureStacks(template)), WORKLOAD, inputs);
    expect(e.components.cognito).toBeCloseTo(WORKLOAD.dashboardUsers * 0.02, 6);
  });
});
