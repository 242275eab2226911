import { Template } from 'aws-cdk-lib/assertions';
import { addStage } from '../../lib/analytics-app';
import { stageConfig, STAGE_NAMES, type StageName } from '../../lib/config/stage-config';
import { businessMetricsNamespace, LOAD_BALANCER_ANCHORS, RUNBOOK_ANCHORS } from '../../lib/constructs/operations-monitoring';
import { builtDashboard, synthStage, testApp } from './stage-app';

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
interface AlarmProps {
  AlarmName: string;
  AlarmDescription: string;
  ActionsEnabled?: boolean;
  AlarmActions?: Json[];
  OKActions?: Json[];
  Threshold: number;
  Namespace?: string;
  MetricName?: string;
  Dimensions?: Array<{ Name: string; Value: Json }>;
  Metrics?: Array<{
    MetricStat?: { Metric: { Namespace: string; MetricName: string; Dimensions?: Array<{ Name: string; Value: Json }> } };
  }>;
}
interface MetricRef {
  readonly namespace: string;
  readonly name: string;
  readonly dimensions: Readonly<Record<string, string>>;
}

const monitoringTemplates = new Map<StageName, Template>();
function monitoring(stage: StageName): Template {
  let template = monitoringTemplates.get(stage);
  if (!template) {
    template = Template.fromStack(synthStage(stage).stacks.monitoring);
    monitoringTemplates.set(stage, template);
  }
  return template;
}

function alarms(stage: StageName): AlarmProps[] {
  return Object.values(monitoring(stage).findResources('AWS::CloudWatch::Alarm')).map((r) => (r as { Properties: AlarmProps }).Properties);
}

/** The metrics an alarm watches: its own, or those of its metric-math expression. */
function metricsOf(alarm: AlarmProps): MetricRef[] {
  const dims = (d?: Array<{ Name: string; Value: Json }>) => Object.fromEntries((d ?? []).map((x) => [x.Name, JSON.stringify(x.Value)]));
  if (alarm.MetricName && alarm.Namespace)
    return [{ namespace: alarm.Namespace, name: alarm.MetricName, dimensions: dims(alarm.Dimensions) }];
  return (alarm.Metrics ?? []).flatMap((m) =>
    m.MetricStat
      ? [
          {
            namespace: m.MetricStat.Metric.Namespace,
            name: m.MetricStat.Metric.MetricName,
            dimensions: dims(m.MetricStat.Metric.Dimensions),
          },
        ]
      : [],
  );
}

describe.each(STAGE_NAMES)('monitoring stack (%s)', (stage) => {
  const config = stageConfig(stage);

  it('has one CloudWatch dashboard, named for the stage, covering every part of the pipeline', () => {
    const dashboards = Object.values(monitoring(stage).findResources('AWS::CloudWatch::Dashboard'));
    expect(dashboards).toHaveLength(1);
    const props = (dashboards[0] as { Properties: { DashboardName: string; DashboardBody: Json } }).Properties;
    expect(props.DashboardName).toBe(config.prefix);
    const body = JSON.stringify(props.DashboardBody);
    for (const metric of [
      // API: requests, 4XX/5XX, latency, throttles
      'Count',
      '4XXError',
      '5XXError',
      'Latency',
      'ApiThrottledRequests',
      // Lambdas: errors, duration, throttles, concurrency, iterator age
      'Errors',
      'Duration',
      'Throttles',
      'ConcurrentExecutions',
      'IteratorAge',
      // stream
      'IncomingRecords',
      'IncomingBytes',
      'PutRecords.ThrottledRecords',
      // consumers: batch size from the mappings, dead letters
      'InvokedEventCount',
      'ApproximateNumberOfMessagesVisible',
      // lake
      'DataReadFromKinesisStream.Records',
      'DataReadFromKinesisStream.Bytes',
      'ThrottledGetRecords',
      'DeliveryToS3.DataFreshness',
      'DeliveryToS3.Success',
      'DeliveryToS3.Bytes',
      // results table
      'ConsumedReadCapacityUnits',
      'ConsumedWriteCapacityUnits',
      'SystemErrors',
      // topics, daily job, schedule
      'NumberOfNotificationsFailed',
      'ReportRunsFailed',
      'InvocationsSentToDeadLetterCount',
      // business metrics
      'EventsAccepted',
      'EventsRejected',
      'PoisonRecords',
      'StreamFailures',
      'LateEvents',
      'AlertsRaised',
      'WindowsFired',
      'ConditionalRetries',
    ]) {
      expect(body).toContain(`\\"${metric}\\"`);
    }
    expect(body).toContain(businessMetricsNamespace(stage));
    // Rejections by field: a search over the `field` dimension (one line per field).
    expect(body).toMatch(/SEARCH\('\{[^}]*field[^}]*\}[^']*EventsRejectedByField'/);
  });

  it('alarms on every failure mode: each watched resource type has at least one alarm', () => {
    const watched = alarms(stage).flatMap(metricsOf);
    const has = (namespace: string, name: string) => watched.some((m) => m.namespace === namespace && m.name === name);
    const expected: Array<[string, string]> = [
      ['AWS/ApiGateway', '5XXError'],
      ['AWS/ApiGateway', '4XXError'],
      ['AWS/ApiGateway', 'Latency'],
      [businessMetricsNamespace(stage), 'ApiThrottledRequests'],
      ['AWS/Lambda', 'Errors'],
      ['AWS/Lambda', 'Throttles'],
      ['AWS/Lambda', 'Duration'],
      ['AWS/Lambda', 'IteratorAge'],
      ['AWS/Kinesis', 'PutRecords.ThrottledRecords'],
      ['AWS/SQS', 'ApproximateNumberOfMessagesVisible'],
      ['AWS/Firehose', 'DeliveryToS3.DataFreshness'],
      ['AWS/Firehose', 'DeliveryToS3.Success'],
      ['AWS/DynamoDB', 'ReadThrottleEvents'],
      ['AWS/DynamoDB', 'WriteThrottleEvents'],
      ['AWS/DynamoDB', 'SystemErrors'],
      ['AWS/SNS', 'NumberOfNotificationsFailed'],
      [businessMetricsNamespace(stage), 'ReportRunsFailed'],
      [businessMetricsNamespace(stage), 'PoisonRecords'],
      [businessMetricsNamespace(stage), 'StreamFailures'],
    ];
    expect(expected.filter(([namespace, name]) => !has(namespace, name))).toEqual([]);
  });

  it('alarms on each consumer (errors, iterator age, dead letters), each topic, and the daily job', () => {
    const names = alarms(stage).map((a) => a.AlarmName);
    for (const consumer of ['Realtime', 'Windows']) {
      for (const what of ['Fault-Count', 'Iterator-Age-Max', 'Queue-Message-Count-Max']) {
        expect(names.filter((n) => n.startsWith(`${config.prefix}-${consumer}`) && n.includes(what))).toHaveLength(1);
      }
    }
    expect(names.filter((n) => n.includes('Topic-Notifications-Failed'))).toHaveLength(2);
    expect(names.filter((n) => n.startsWith(`${config.prefix}-Report`))).toHaveLength(3);
    const services = (metric: string) =>
      alarms(stage)
        .flatMap(metricsOf)
        .filter((m) => m.name === metric)
        .map((m) => JSON.parse(m.dimensions.service) as string)
        .sort();
    // Only on the services that write them (lambdas/shared/metrics.ts SERVICE_METRICS).
    expect(services('PoisonRecords')).toEqual(['realtime']);
    expect(services('StreamFailures')).toEqual(['ingest']);
  });

  it('sends every alarm and its recovery to the alarm topic of the analytics stack', () => {
    const all = alarms(stage);
    expect(all.length).toBeGreaterThanOrEqual(26);
    const alarmTopic = {
      'Fn::ImportValue': expect.stringMatching(new RegExp(`^${config.prefix}-analytics:ExportsOutputRefAlarms[0-9A-F]+$`)),
    };
    for (const alarm of all) {
      expect(alarm.ActionsEnabled).toBe(true);
      expect(alarm.AlarmActions).toEqual([alarmTopic]);
      expect(alarm.OKActions).toEqual([alarmTopic]);
    }
  });

  it('says in every alarm what it means and which runbook section to open, and uses every section', () => {
    const used = new Set<string>();
    for (const alarm of alarms(stage)) {
      const match = /^(.{20,}?)\s*\r\nRunbook: docs\/operations\.md#([a-z0-9-]+)$/s.exec(alarm.AlarmDescription);
      expect({ alarm: alarm.AlarmName, match: match !== null }).toEqual({ alarm: alarm.AlarmName, match: true });
      if (match) used.add(match[2]);
    }
    // The load balancer's sections only where it is the front door.
    const expected = RUNBOOK_ANCHORS.filter((a) => config.ingest.frontDoor.kind === 'alb' || !LOAD_BALANCER_ANCHORS.includes(a));
    expect([...used].sort()).toEqual([...expected].sort());
  });

  it('shows and alarms on the ingest load balancer only where it is the front door', () => {
    const alb = config.ingest.frontDoor.kind === 'alb';
    const body = JSON.stringify(Object.values(monitoring(stage).findResources('AWS::CloudWatch::Dashboard'))[0]);
    for (const metric of [
      'RequestCount',
      'HTTPCode_ELB_5XX_Count',
      'HTTPCode_Target_5XX_Count',
      'HTTPCode_Target_4XX_Count',
      'HTTPCode_ELB_4XX_Count',
      'TargetResponseTime',
      'RejectedConnectionCount',
      'BlockedRequests',
    ]) {
      expect({ metric, shown: body.includes(`\\"${metric}\\"`) }).toEqual({ metric, shown: alb });
    }
    const watched = alarms(stage).flatMap(metricsOf);
    const on = (name: string) => watched.filter((m) => m.namespace === 'AWS/ApplicationELB' && m.name === name);
    for (const name of [
      'HTTPCode_ELB_5XX_Count',
      'HTTPCode_Target_5XX_Count',
      'HTTPCode_Target_4XX_Count',
      'HTTPCode_ELB_4XX_Count',
      'RequestCount',
    ]) {
      expect({ name, alarms: on(name).length }).toEqual({ name, alarms: alb ? 1 : 0 });
    }
    if (!alb) return;
    // Every load-balancer metric is of the stage's own load balancer (imported from the api stack).
    for (const m of watched.filter((x) => x.namespace === 'AWS/ApplicationELB')) {
      expect(m.dimensions.LoadBalancer).toMatch(new RegExp(`"Fn::ImportValue":"${config.prefix}-api:ExportsOutput`));
    }
    // The web ACL's blocks, overall, by the rate rule per producer key and by the keyless rule per address.
    expect(body).toContain(`${config.prefix}-alb-BodySize`);
    expect(body).toContain(`${config.prefix}-alb-ProducerKeyRate`);
    expect(body).toContain(`${config.prefix}-alb-KeylessIpRate`);
  });

  it('takes its thresholds from the stage config', () => {
    const byName = (part: string) => {
      const found = alarms(stage).filter((a) => a.AlarmName.includes(part));
      expect(found.length).toBeGreaterThan(0);
      return found;
    };
    for (const a of byName('Iterator-Age-Max')) expect(a.Threshold).toBe(config.analytics.iteratorAgeAlarm.toMilliseconds());
    for (const a of byName('LakeFreshness')) expect(a.Threshold).toBe(config.monitoring.firehoseFreshness.toSeconds());
    for (const a of byName('Api-Fault-Count')) expect(a.Threshold).toBe(config.monitoring.api5xxErrors);
    for (const a of byName('Api-Latency-P99')) expect(a.Threshold).toBe(config.monitoring.apiLatencyP99.toMilliseconds());
    // The 4XX rate is the Average of 4XXError, a share from 0 to 1.
    for (const a of byName('Api-Error-Rate')) expect(a.Threshold).toBeCloseTo(config.monitoring.api4xxErrorPercent / 100, 10);
    for (const a of byName('ApiThrottled')) expect(a.Threshold).toBe(config.monitoring.apiThrottledRequests);
    for (const a of byName('Fault-Count').filter((x) => /-(Realtime|Windows)-/.test(x.AlarmName)))
      expect(a.Threshold).toBe(config.monitoring.consumerErrors);
    if (config.ingest.frontDoor.kind === 'alb') {
      for (const a of byName('IngestLb-Elb5xx')) expect(a.Threshold).toBe(config.monitoring.albElb5xxErrors);
      for (const a of byName('IngestLb-Target5xx')) expect(a.Threshold).toBe(config.monitoring.albTarget5xxErrors);
      for (const a of byName('IngestLb-Producer4xxShare')) expect(a.Threshold).toBe(config.monitoring.albProducer4xxPercent);
    }
  });

  it('counts requests refused with 429 from the API access log', () => {
    monitoring(stage).hasResourceProperties('AWS::Logs::MetricFilter', {
      FilterPattern: '{ $.status = "429" }',
      MetricTransformations: [
        { MetricNamespace: businessMetricsNamespace(stage), MetricName: 'ApiThrottledRequests', MetricValue: '1', Unit: 'Count' },
      ],
    });
  });

  it('turns on the event-count metrics of both consumers’ mappings (the batch size on the dashboard)', () => {
    const mappings = Object.values(synthStage(stage).analytics.findResources('AWS::Lambda::EventSourceMapping'));
    expect(mappings).toHaveLength(2);
    for (const m of mappings) expect((m as { Properties: Json }).Properties).toMatchObject({ MetricsConfig: { Metrics: ['EventCount'] } });
  });
});

describe('monitoring stack in the app', () => {
  it('deploys last: no other stack of the stage depends on it', () => {
    const { stacks } = synthStage('dev');
    const others = [stacks.data, stacks.analytics, stacks.api, stacks.dashboard, stacks.reports];
    for (const stack of others) expect(stack.dependencies).not.toContain(stacks.monitoring);
    expect(stacks.monitoring.dependencies).toEqual(expect.arrayContaining([stacks.data, stacks.analytics, stacks.api, stacks.reports]));
  });

  it("subscribes each of the stage's notifyEmails to both the alerts topic and the alarm topic", () => {
    const base = stageConfig('dev');
    const emails = ['ops@example.com', 'oncall@example.com'];
    const app = testApp();
    const stacks = addStage(app, { ...base, analytics: { ...base.analytics, notifyEmails: emails } }, builtDashboard());
    const analytics = Template.fromStack(stacks.analytics);
    const subscriptions = Object.values(analytics.findResources('AWS::SNS::Subscription')).map(
      (r) => (r as { Properties: { Protocol: string; Endpoint: string; TopicArn: { Ref: string } } }).Properties,
    );
    const topicIds = (prefix: string) => Object.keys(analytics.findResources('AWS::SNS::Topic')).filter((id) => id.startsWith(prefix));
    const [alerts] = topicIds('Alerts');
    const [alarmTopic] = topicIds('Alarms');
    expect(subscriptions.map((s) => `${s.Protocol} ${s.Endpoint} ${s.TopicArn.Ref}`).sort()).toEqual(
      emails.flatMap((e) => [`email ${e} ${alerts}`, `email ${e} ${alarmTopic}`]).sort(),
    );
  });
});
