import { Aws, Duration } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import type * as kinesis from 'aws-cdk-lib/aws-kinesis';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import {
  DefaultDashboardFactory,
  type CustomAlarmThreshold,
  type CustomMetric,
  LatencyType,
  type MetricFactory,
  MetricStatistic,
  type MetricWithAlarmSupport,
  MonitoringFacade,
  SnsAlarmActionStrategy,
} from 'cdk-monitoring-constructs';
import { Construct } from 'constructs';
import { type BusinessMetric, type MetricService, metricsNamespace, SERVICE_METRICS } from '../../lambdas/shared/metrics';
import type { AlarmThresholds } from '../config/stage-config';

/**
 * The runbook sections an alarm can point to: `docs/operations.md` has one `### <anchor>` heading
 * for each, saying what the alarm means, how to confirm it and which command fixes it.
 */
export const RUNBOOK_ANCHORS = [
  'api-5xx',
  'api-4xx',
  'api-latency',
  'api-throttles',
  'ingest-errors',
  'ingest-throttles',
  'ingest-duration',
  'stream-write-throttles',
  'consumer-iterator-age',
  'consumer-errors',
  'consumer-dlq',
  'firehose-freshness',
  'firehose-delivery',
  'dynamodb-throttles',
  'dynamodb-system-errors',
  'sns-delivery-failures',
  'reports-job-failed',
  'business-poison-records',
  'business-stream-failures',
  'ingest-lb-5xx',
  'ingest-lb-target-5xx',
  'ingest-lb-4xx',
] as const;
export type RunbookAnchor = (typeof RUNBOOK_ANCHORS)[number];

/** The anchors of the load balancer's alarms: used only in stages whose ingest front door is `alb`. */
export const LOAD_BALANCER_ANCHORS: readonly RunbookAnchor[] = ['ingest-lb-5xx', 'ingest-lb-target-5xx', 'ingest-lb-4xx'];

/** The line every alarm description ends with: where in the repository its runbook section is. */
export const runbookLink = (anchor: RunbookAnchor): string => `docs/operations.md#${anchor}`;

/** The namespace of the business metrics the Lambdas write (Powertools Metrics, EMF), per stage: the one the Lambdas use. */
export const businessMetricsNamespace = metricsNamespace;

/** A stream consumer to watch: its function, its event-source mapping and its dead-letter queue. */
export interface MonitoredConsumer {
  /** The consumer's `service` name (`realtime`, `windows`), as its business metrics carry it. */
  readonly service: string;
  readonly function: lambda.IFunction;
  /** Id (UUID) of its Kinesis event-source mapping, whose `EventCount` metrics give the batch size. */
  readonly eventSourceMappingId: string;
  readonly deadLetterQueue: sqs.IQueue;
}

/** The ingest load balancer (the `alb` front door) and its web ACL's metric names. */
export interface MonitoredLoadBalancer {
  readonly loadBalancer: elbv2.IApplicationLoadBalancer;
  /** The web ACL's metric name (dimension `WebACL` of `AWS/WAFV2`). */
  readonly webAclMetricName: string;
  /** The metric name of its rate rule per producer key (dimension `Rule`). */
  readonly rateRuleMetricName?: string;
  /** The metric name of its rate rule per source address on requests without a key (dimension `Rule`). */
  readonly keylessRuleMetricName?: string;
}

/** The resources of a stage that the dashboard shows and the alarms watch. */
export interface MonitoredResources {
  /** The REST API (ingest and read routes). */
  readonly api: apigw.IRestApi;
  /** The API's access log group (JSON lines with `status`): requests refused with 429 are counted from it. */
  readonly apiAccessLogs: logs.ILogGroup;
  readonly ingestFunction: lambda.IFunction;
  /** The read API's function (graphed; its failures show as API 5XX). */
  readonly queryFunction: lambda.IFunction;
  readonly stream: kinesis.IStream;
  /** The Firehose delivery stream that archives the stream into the lake. */
  readonly deliveryStreamName: string;
  readonly consumers: readonly MonitoredConsumer[];
  readonly resultsTable: dynamodb.ITable;
  /** Topics whose failed deliveries alarm, by a name for the dashboard (the alerts topic and the alarm topic itself). */
  readonly topics: Readonly<Record<string, sns.ITopic>>;
  readonly reportsJob: lambda.IFunction;
  /** Dead-letter queue of the daily schedule: a message there is a run that never started. */
  readonly reportsScheduleDeadLetters: sqs.IQueue;
  /** The ingest load balancer, in stages whose front door is `alb`. @default - none (the REST API takes ingest) */
  readonly loadBalancer?: MonitoredLoadBalancer;
}

export interface OperationsMonitoringProps {
  /** The stage name, e.g. `dev`: names the business-metrics namespace and is the API's stage name. */
  readonly stage: string;
  /** Prefix of the dashboard and of every alarm name, e.g. `uba-dev`. */
  readonly namePrefix: string;
  readonly thresholds: AlarmThresholds;
  /** Alarm when a consumer falls this far behind the stream. */
  readonly iteratorAgeThreshold: Duration;
  /** Every alarm notifies this topic when it fires and when it recovers. */
  readonly alarmTopic: sns.ITopic;
  readonly resources: MonitoredResources;
}

/** "one or more" for a threshold of 0, "more than N" otherwise (the alarms fire above their threshold). */
const over = (n: number): string => (n === 0 ? 'one or more' : `more than ${n}`);

/**
 * The operations view of a stage, built with cdk-monitoring-constructs: one CloudWatch dashboard
 * (API, ingest Lambda, stream, each consumer, lake delivery, results table, topics, daily reports
 * job, business metrics) and an alarm for every failure mode, each notifying the alarm topic and
 * describing what it means and which runbook section to open.
 */
export class OperationsMonitoring extends Construct {
  public readonly facade: MonitoringFacade;
  public readonly dashboard: cloudwatch.Dashboard;
  /** Requests the API refused with 429, counted from its access log. */
  public readonly apiThrottledMetric: cloudwatch.Metric;
  private readonly stage: string;
  private readonly thresholds: AlarmThresholds;
  private readonly namespace: string;
  private readonly metrics: MetricFactory;

  constructor(scope: Construct, id: string, props: OperationsMonitoringProps) {
    super(scope, id);
    this.stage = props.stage;
    this.thresholds = props.thresholds;
    this.namespace = businessMetricsNamespace(props.stage);
    const dashboards = new DefaultDashboardFactory(this, 'Dashboards', {
      dashboardNamePrefix: props.namePrefix,
      createDashboard: true,
      createSummaryDashboard: false,
      createAlarmDashboard: false,
      detailDashboardRange: Duration.hours(6),
    });
    this.facade = new MonitoringFacade(this, 'Facade', {
      metricFactoryDefaults: { period: props.thresholds.period },
      alarmFactoryDefaults: {
        alarmNamePrefix: props.namePrefix,
        actionsEnabled: true,
        action: new SnsAlarmActionStrategy({ onAlarmTopic: props.alarmTopic, onOkTopic: props.alarmTopic }),
        datapointsToAlarm: 1,
        evaluationPeriods: 1,
      },
      dashboardFactory: dashboards,
    });
    this.metrics = this.facade.createMetricFactory();

    const r = props.resources;
    this.facade.addLargeHeader(`User-behaviour analytics (${props.stage})`);
    this.apiThrottledMetric = this.monitorApi(r);
    if (r.loadBalancer) this.monitorLoadBalancer(r.loadBalancer);
    this.monitorFunctions(r);
    this.monitorStream(r);
    this.monitorConsumers(r, props.iteratorAgeThreshold);
    this.monitorLake(r);
    this.monitorResults(r);
    this.monitorTopics(r);
    this.monitorReports(r);
    this.monitorBusiness(r);

    const dashboard = dashboards.createdDashboard();
    if (!dashboard) throw new Error('OperationsMonitoring: the dashboard factory created no dashboard');
    this.dashboard = dashboard;
  }

  /** Alarm settings for a count of failures: fires on one period above the threshold. */
  private onAny(anchor: RunbookAnchor, meaning: string): CustomAlarmThreshold {
    return { alarmDescriptionOverride: meaning, runbookLink: runbookLink(anchor), datapointsToAlarm: 1, evaluationPeriods: 1 };
  }

  /** Alarm settings for a sustained breach: `datapointsToAlarm` of the last `evaluationPeriods` periods. */
  private sustained(anchor: RunbookAnchor, meaning: string): CustomAlarmThreshold {
    return {
      alarmDescriptionOverride: meaning,
      runbookLink: runbookLink(anchor),
      datapointsToAlarm: this.thresholds.datapointsToAlarm,
      evaluationPeriods: this.thresholds.evaluationPeriods,
    };
  }

  /** A graphed count that alarms on one period above `threshold`. */
  private countAlarm(
    metric: MetricWithAlarmSupport,
    alarmFriendlyName: string,
    threshold: number,
    anchor: RunbookAnchor,
    meaning: string,
  ): CustomMetric {
    return {
      metric,
      alarmFriendlyName,
      addAlarm: {
        Critical: { threshold, comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD, ...this.onAny(anchor, meaning) },
      },
    };
  }

  /** A business metric of one service, summed per period. */
  private business(metricName: string, service: string): MetricWithAlarmSupport {
    return this.metrics.createMetric(metricName, MetricStatistic.SUM, `${metricName} (${service})`, { service }, undefined, this.namespace);
  }
  /** The API: requests, 4XX/5XX, latency, and requests refused with 429 (counted from its access log; returned). */
  private monitorApi(r: MonitoredResources): cloudwatch.Metric {
    const t = this.thresholds;
    const throttled = new logs.MetricFilter(this, 'ApiThrottled', {
      logGroup: r.apiAccessLogs,
      filterPattern: logs.FilterPattern.stringValue('$.status', '=', '429'),
      metricNamespace: this.namespace,
      metricName: 'ApiThrottledRequests',
      metricValue: '1',
      unit: cloudwatch.Unit.COUNT,
    }).metric({ statistic: cloudwatch.Stats.SUM, period: t.period });
    this.facade
      .monitorApiGateway({
        api: r.api,
        apiStage: this.stage,
        alarmFriendlyName: 'Api',
        humanReadableName: 'API (ingest and read routes)',
        latencyTypesToRender: [LatencyType.P50, LatencyType.P99],
        add5XXFaultCountAlarm: {
          Critical: {
            maxErrorCount: t.api5xxErrors,
            ...this.onAny(
              'api-5xx',
              `The API answered 5XX to ${over(t.api5xxErrors)} requests in a period: a Lambda behind it failed or timed out.`,
            ),
          },
        },
        add4XXErrorRateAlarm: {
          Critical: {
            // The rate is the Average of 4XXError: the share of requests, from 0 to 1.
            maxErrorRate: t.api4xxErrorPercent / 100,
            ...this.sustained(
              'api-4xx',
              `More than ${t.api4xxErrorPercent}% of API requests were refused with 4XX: producers send invalid events, a wrong key, or are throttled.`,
            ),
          },
        },
        addLatencyP99Alarm: {
          Critical: {
            maxLatency: t.apiLatencyP99,
            ...this.sustained('api-latency', `The API's p99 latency stayed above ${t.apiLatencyP99.toMilliseconds()} ms.`),
          },
        },
      })
      .monitorCustom({
        alarmFriendlyName: 'ApiThrottles',
        humanReadableName: 'API throttling (429 from the usage plan or stage limits)',
        metricGroups: [
          {
            title: 'Requests refused with 429',
            metrics: [
              {
                metric: throttled,
                alarmFriendlyName: 'ApiThrottled',
                addAlarm: {
                  Critical: {
                    threshold: t.apiThrottledRequests,
                    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                    ...this.onAny(
                      'api-throttles',
                      `The API refused ${over(t.apiThrottledRequests)} requests with 429 in a period: producers exceed the usage plan's rate or burst.`,
                    ),
                  },
                },
              },
            ],
          },
        ],
      });
    return throttled;
  }

  /**
   * The ingest load balancer: requests, answers by class, the Lambda's response time, rejected
   * connections and the web ACL's blocks; alarms on its own 5XX, the Lambda's 5XX and the share
   * of producer requests answered 4XX (the REST API's 4XX alarm no longer sees producers).
   */
  private monitorLoadBalancer(lb: MonitoredLoadBalancer): void {
    const t = this.thresholds;
    const sum = { statistic: cloudwatch.Stats.SUM, period: t.period };
    const m = lb.loadBalancer.metrics;
    const requests = m.requestCount({ ...sum, label: 'requests' });
    const target4xx = m.httpCodeTarget(elbv2.HttpCodeTarget.TARGET_4XX_COUNT, { ...sum, label: 'Lambda 4XX' });
    const elb4xx = m.httpCodeElb(elbv2.HttpCodeElb.ELB_4XX_COUNT, { ...sum, label: 'load balancer 4XX' });
    // The web ACL's requests blocked by one rule (`ALL`: by any), by the metric names of its visibility configs.
    const blocked = (rule: string, label: string) =>
      new cloudwatch.Metric({
        namespace: 'AWS/WAFV2',
        metricName: 'BlockedRequests',
        dimensionsMap: { WebACL: lb.webAclMetricName, Rule: rule, Region: Aws.REGION },
        ...sum,
        label,
      });
    this.facade.monitorCustom({
      alarmFriendlyName: 'IngestLb',
      humanReadableName: 'Ingest load balancer (producers)',
      metricGroups: [
        { title: 'Requests', metrics: [requests] },
        {
          title: 'Answered 5XX',
          metrics: [
            this.countAlarm(
              m.httpCodeElb(elbv2.HttpCodeElb.ELB_5XX_COUNT, { ...sum, label: 'load balancer 5XX' }),
              'Elb5xx',
              t.albElb5xxErrors,
              'ingest-lb-5xx',
              `The ingest load balancer itself answered 5XX to ${over(t.albElb5xxErrors)} requests in a period (502/503/504: the Lambda could not be invoked or gave no valid answer).`,
            ),
            this.countAlarm(
              m.httpCodeTarget(elbv2.HttpCodeTarget.TARGET_5XX_COUNT, { ...sum, label: 'Lambda 5XX' }),
              'Target5xx',
              t.albTarget5xxErrors,
              'ingest-lb-target-5xx',
              `The ingest Lambda answered 5XX to ${over(t.albTarget5xxErrors)} producer requests in a period behind the load balancer (stream writes failing, or no producer keys readable: 503).`,
            ),
          ],
        },
        {
          title: 'Answered 4XX (share of requests, %)',
          metrics: [
            {
              metric: this.metrics.createMetricMath(
                '100 * (FILL(target4xx, 0) + FILL(elb4xx, 0)) / requests',
                { target4xx, elb4xx, requests },
                'producer requests answered 4XX (%)',
              ),
              alarmFriendlyName: 'Producer4xxShare',
              addAlarm: {
                Critical: {
                  threshold: t.albProducer4xxPercent,
                  comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                  ...this.sustained(
                    'ingest-lb-4xx',
                    `More than ${t.albProducer4xxPercent}% of producer requests were answered 4XX: a missing or unknown key (401/403, e.g. a rotated key not picked up), a rate rule (429), or invalid bodies.`,
                  ),
                },
              },
            },
            target4xx,
            elb4xx,
          ],
        },
        {
          title: 'Web ACL: blocked requests',
          metrics: [
            blocked('ALL', 'blocked (all rules)'),
            ...(lb.rateRuleMetricName ? [blocked(lb.rateRuleMetricName, 'rate rule per producer key (429)')] : []),
            ...(lb.keylessRuleMetricName ? [blocked(lb.keylessRuleMetricName, 'keyless requests per address (429)')] : []),
          ],
        },
        { title: 'Lambda response time', metrics: [m.targetResponseTime({ statistic: 'p99', period: t.period, label: 'p99' })] },
        { title: 'Rejected connections', metrics: [m.rejectedConnectionCount({ ...sum, label: 'rejected connections' })] },
      ],
    });
  }

  /** The ingest Lambda (with alarms) and the read API Lambda (graphed). */
  private monitorFunctions(r: MonitoredResources): void {
    const t = this.thresholds;
    this.facade
      .monitorLambdaFunction({
        lambdaFunction: r.ingestFunction,
        alarmFriendlyName: 'Ingest',
        humanReadableName: 'Ingest Lambda',
        isIterator: false,
        addFaultCountAlarm: {
          Critical: {
            maxErrorCount: t.ingestErrors,
            ...this.onAny(
              'ingest-errors',
              `The ingest Lambda failed ${over(t.ingestErrors)} times in a period; producers got 5XX for those requests.`,
            ),
          },
        },
        addThrottlesCountAlarm: {
          Critical: {
            maxErrorCount: t.ingestThrottles,
            ...this.onAny(
              'ingest-throttles',
              'Lambda throttled the ingest function (account or reserved concurrency reached); producers got 5XX.',
            ),
          },
        },
        addLatencyP99Alarm: {
          Critical: {
            maxLatency: t.ingestDurationP99,
            ...this.sustained(
              'ingest-duration',
              `The ingest Lambda's p99 duration stayed above ${t.ingestDurationP99.toMilliseconds()} ms.`,
            ),
          },
        },
      })
      .monitorLambdaFunction({
        lambdaFunction: r.queryFunction,
        alarmFriendlyName: 'Query',
        humanReadableName: 'Read API Lambda',
        isIterator: false,
      });
  }

  /** The event stream: incoming records and bytes, write throttling. */
  private monitorStream(r: MonitoredResources): void {
    const t = this.thresholds;
    this.facade.monitorKinesisDataStream({
      streamName: r.stream.streamName,
      alarmFriendlyName: 'Stream',
      humanReadableName: 'Event stream (Kinesis)',
      addPutRecordsThrottledAlarm: {
        Critical: {
          maxRecordsThrottledThreshold: t.streamWriteThrottledRecords,
          ...this.onAny(
            'stream-write-throttles',
            'The stream refused records for lack of write capacity (ProvisionedThroughputExceeded); ingest retries them, then answers 5XX.',
          ),
        },
      },
    });
  }

  /** Each consumer: errors, duration, iterator age, batch size, dead letters. */
  private monitorConsumers(r: MonitoredResources, iteratorAgeThreshold: Duration): void {
    const t = this.thresholds;
    for (const consumer of r.consumers) {
      const name = consumer.service.charAt(0).toUpperCase() + consumer.service.slice(1);
      this.facade
        .monitorLambdaFunction({
          lambdaFunction: consumer.function,
          alarmFriendlyName: name,
          humanReadableName: `Consumer: ${consumer.service}`,
          isIterator: true,
          addFaultCountAlarm: {
            Critical: {
              maxErrorCount: t.consumerErrors,
              ...this.onAny(
                'consumer-errors',
                `The ${consumer.service} consumer failed ${over(t.consumerErrors)} times in a period; its batches are retried (bisected) and the shard waits.`,
              ),
            },
          },
          addMaxIteratorAgeAlarm: {
            Critical: {
              maxAgeInMillis: iteratorAgeThreshold.toMilliseconds(),
              ...this.sustained(
                'consumer-iterator-age',
                `The ${consumer.service} consumer is more than ${iteratorAgeThreshold.toSeconds()} s behind the stream: results and alerts are late.`,
              ),
            },
          },
        })
        .monitorSqsQueue({
          queue: consumer.deadLetterQueue,
          alarmFriendlyName: `${name}DeadLetters`,
          humanReadableName: `Consumer: ${consumer.service}, dead-letter queue`,
          addQueueMaxSizeAlarm: {
            Critical: {
              maxMessageCount: t.consumerDeadLetters,
              ...this.onAny(
                'consumer-dlq',
                `The ${consumer.service} consumer gave up on batches (retries or record age exhausted); their descriptions wait in its dead-letter queue to be redriven.`,
              ),
            },
          },
        })
        .monitorCustom({
          alarmFriendlyName: `${name}Batches`,
          humanReadableName: `Consumer: ${consumer.service}, batch size`,
          metricGroups: [
            {
              title: 'Records per invocation',
              metrics: [
                this.metrics.createMetricMath(
                  'records / IF(invocations > 0, invocations, 1)',
                  {
                    records: this.metrics.createMetric(
                      'InvokedEventCount',
                      MetricStatistic.SUM,
                      'records',
                      {
                        EventSourceMappingUUID: consumer.eventSourceMappingId,
                      },
                      undefined,
                      'AWS/Lambda',
                    ),
                    invocations: consumer.function.metricInvocations({ statistic: cloudwatch.Stats.SUM, period: t.period }),
                  },
                  'records per invocation',
                ),
              ],
            },
            {
              title: 'Records polled and given up on',
              metrics: ['PolledEventCount', 'InvokedEventCount', 'OnFailureDestinationDeliveredEventCount'].map((metricName) =>
                this.metrics.createMetric(
                  metricName,
                  MetricStatistic.SUM,
                  metricName,
                  { EventSourceMappingUUID: consumer.eventSourceMappingId },
                  undefined,
                  'AWS/Lambda',
                ),
              ),
            },
          ],
        });
    }
  }

  /** Lake delivery (Firehose): records and bytes in, freshness, success, bytes delivered. */
  private monitorLake(r: MonitoredResources): void {
    const t = this.thresholds;
    const firehose = (metricName: string, statistic: MetricStatistic, label: string) =>
      this.metrics.createMetric(metricName, statistic, label, { DeliveryStreamName: r.deliveryStreamName }, undefined, 'AWS/Firehose');
    this.facade.monitorKinesisFirehose({
      deliveryStreamName: r.deliveryStreamName,
      alarmFriendlyName: 'Lake',
      humanReadableName: 'Lake delivery (Firehose)',
    });
    this.facade.monitorCustom({
      alarmFriendlyName: 'LakeDelivery',
      humanReadableName: 'Lake delivery to S3',
      metricGroups: [
        {
          // A stream source has its own read metrics (IncomingRecords/Bytes count Direct PUT).
          title: 'Read from the event stream',
          metrics: [
            firehose('DataReadFromKinesisStream.Records', MetricStatistic.SUM, 'records read'),
            firehose('DataReadFromKinesisStream.Bytes', MetricStatistic.SUM, 'bytes read'),
            firehose('ThrottledGetRecords', MetricStatistic.SUM, 'GetRecords throttled'),
          ],
        },
        {
          title: 'Freshness (age of the oldest undelivered record)',
          metrics: [
            {
              metric: firehose('DeliveryToS3.DataFreshness', MetricStatistic.MAX, 'freshness (s)'),
              alarmFriendlyName: 'LakeFreshness',
              addAlarm: {
                Critical: {
                  threshold: t.firehoseFreshness.toSeconds(),
                  comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                  ...this.sustained(
                    'firehose-freshness',
                    `Firehose holds records older than ${t.firehoseFreshness.toSeconds()} s: the lake is behind the stream (delivery failing or the stream read throttled).`,
                  ),
                },
              },
            },
          ],
        },
        {
          title: 'Delivery success and bytes',
          metrics: [
            {
              metric: firehose('DeliveryToS3.Success', MetricStatistic.AVERAGE, 'success (share of deliveries)'),
              alarmFriendlyName: 'LakeDeliverySuccess',
              addAlarm: {
                Critical: {
                  threshold: t.firehoseDeliverySuccessBelow,
                  comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
                  ...this.sustained(
                    'firehose-delivery',
                    'Firehose deliveries to the lake bucket are failing (permissions, bucket policy or encryption); it retries for 24 hours, then writes to errors/.',
                  ),
                },
              },
            },
            firehose('DeliveryToS3.Bytes', MetricStatistic.SUM, 'bytes delivered'),
          ],
        },
      ],
    });
  }

  /** The results table: capacity, throttles, system errors. */
  private monitorResults(r: MonitoredResources): void {
    const t = this.thresholds;
    this.facade.monitorDynamoTable({
      table: r.resultsTable,
      alarmFriendlyName: 'Results',
      humanReadableName: 'Results table (DynamoDB)',
      addReadThrottledEventsCountAlarm: {
        Critical: {
          maxThrottledEventsThreshold: t.dynamodbThrottledRequests,
          ...this.onAny('dynamodb-throttles', 'DynamoDB throttled reads of the results table; the read API answers 5XX or slowly.'),
        },
      },
      addWriteThrottledEventsCountAlarm: {
        Critical: {
          maxThrottledEventsThreshold: t.dynamodbThrottledRequests,
          ...this.onAny(
            'dynamodb-throttles',
            'DynamoDB throttled writes to the results table; consumers retry their batches and fall behind.',
          ),
        },
      },
      addSystemErrorCountAlarm: {
        Critical: {
          maxErrorCount: t.dynamodbSystemErrors,
          ...this.onAny('dynamodb-system-errors', 'DynamoDB answered requests on the results table with internal errors (HTTP 500).'),
        },
      },
    });
  }

  /** The topics: failed deliveries. */
  private monitorTopics(r: MonitoredResources): void {
    const t = this.thresholds;
    for (const [name, topic] of Object.entries(r.topics)) {
      this.facade.monitorSnsTopic({
        topic,
        alarmFriendlyName: `${name}Topic`,
        humanReadableName: `SNS topic: ${name}`,
        addMessageNotificationsFailedAlarm: {
          Critical: {
            maxNotificationsFailedCount: t.snsFailedNotifications,
            ...this.onAny(
              'sns-delivery-failures',
              `The ${name} topic could not deliver messages to a subscriber (unconfirmed or bouncing e-mail, failing endpoint).`,
            ),
          },
        },
      });
    }
  }

  /** The daily reports job: its Lambda, its runs, its schedule and dead letters. */
  private monitorReports(r: MonitoredResources): void {
    const t = this.thresholds;
    this.facade
      .monitorLambdaFunction({
        lambdaFunction: r.reportsJob,
        alarmFriendlyName: 'ReportsJob',
        humanReadableName: 'Daily reports job',
        isIterator: false,
        addFaultCountAlarm: {
          Critical: {
            maxErrorCount: t.reportRunsFailed,
            ...this.onAny(
              'reports-job-failed',
              "The daily reports job's Lambda failed: yesterday's reports are missing until it is rerun.",
            ),
          },
        },
      })
      .monitorSqsQueue({
        queue: r.reportsScheduleDeadLetters,
        alarmFriendlyName: 'ReportsSchedule',
        humanReadableName: 'Daily reports schedule, dead-letter queue',
        addQueueMaxSizeAlarm: {
          Critical: {
            maxMessageCount: 0,
            ...this.onAny(
              'reports-job-failed',
              'The daily schedule could not invoke the reports job (its event is in the dead-letter queue): the run never started.',
            ),
          },
        },
      })
      .monitorCustom({
        alarmFriendlyName: 'ReportRuns',
        humanReadableName: 'Daily reports runs',
        metricGroups: [
          {
            title: 'Runs',
            metrics: [
              this.business('ReportRunsSucceeded', 'reports'),
              {
                metric: this.business('ReportRunsFailed', 'reports'),
                alarmFriendlyName: 'ReportRunsFailed',
                addAlarm: {
                  Critical: {
                    threshold: t.reportRunsFailed,
                    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                    ...this.onAny(
                      'reports-job-failed',
                      'A run of the daily reports job reported a failure (ReportRunsFailed): some report of the day was not written.',
                    ),
                  },
                },
              },
            ],
          },
          {
            title: 'Schedule (EventBridge Scheduler, default group)',
            metrics: ['InvocationAttemptCount', 'TargetErrorCount', 'InvocationsSentToDeadLetterCount'].map((metricName) =>
              this.metrics.createMetric(
                metricName,
                MetricStatistic.SUM,
                metricName,
                { ScheduleGroup: 'default' },
                undefined,
                'AWS/Scheduler',
              ),
            ),
          },
        ],
      });
  }

  /** The business metrics the Lambdas write (Powertools Metrics, EMF). */
  private monitorBusiness(r: MonitoredResources): void {
    const t = this.thresholds;
    const consumerServices = r.consumers.map((c) => c.service);
    // Only the services that write a metric get its graph and alarm: an alarm on a metric nobody
    // publishes would never fire.
    const writers = (metric: BusinessMetric, services: readonly string[]): string[] =>
      services.filter((service) => (SERVICE_METRICS[service as MetricService] ?? []).includes(metric));
    const withAlarm = (metricName: string, service: string, anchor: RunbookAnchor, threshold: number, meaning: string): CustomMetric =>
      this.countAlarm(this.business(metricName, service), `${metricName}-${service}`, threshold, anchor, meaning);
    this.facade.addLargeHeader('Business metrics').monitorCustom({
      alarmFriendlyName: 'Business',
      humanReadableName: `Business metrics (${this.namespace})`,
      metricGroups: [
        {
          title: 'Events accepted and rejected (ingest)',
          metrics: [this.business('EventsAccepted', 'ingest'), this.business('EventsRejected', 'ingest')],
        },
        {
          title: 'Rejected events by field',
          metrics: [
            {
              namespace: this.namespace,
              searchQuery: 'EventsRejectedByField',
              dimensionsMap: { service: 'ingest', field: undefined as unknown as string },
              statistic: MetricStatistic.SUM,
              label: '',
            },
          ],
        },
        {
          title: 'Poison records (quarantined)',
          metrics: writers('PoisonRecords', consumerServices).map((service) =>
            withAlarm(
              'PoisonRecords',
              service,
              'business-poison-records',
              t.poisonRecords,
              `The ${service} consumer quarantined records it could not decode or store; they are kept in the results table to be replayed after a fix.`,
            ),
          ),
        },
        {
          title: 'Stream failures',
          metrics: writers('StreamFailures', ['ingest', ...consumerServices]).map((service) =>
            withAlarm(
              'StreamFailures',
              service,
              'business-stream-failures',
              t.streamFailures,
              `${service} reported records it could not write or process (StreamFailures); they are retried, then dead-lettered.`,
            ),
          ),
        },
        { title: 'Late events', metrics: writers('LateEvents', consumerServices).map((service) => this.business('LateEvents', service)) },
        {
          title: 'Alerts raised and windows fired',
          metrics: [
            ...writers('AlertsRaised', consumerServices).map((service) => this.business('AlertsRaised', service)),
            ...writers('WindowsFired', consumerServices).map((s) => this.business('WindowsFired', s)),
          ],
        },
        {
          title: 'Conditional retries',
          metrics: writers('ConditionalRetries', consumerServices).map((service) => this.business('ConditionalRetries', service)),
        },
      ],
    });
  }
}
