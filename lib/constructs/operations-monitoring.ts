import { Duration } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
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
  MetricStatistic,
  MonitoringFacade,
  SnsAlarmActionStrategy,
} from 'cdk-monitoring-constructs';
import { Construct } from 'constructs';
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
] as const;
export type RunbookAnchor = (typeof RUNBOOK_ANCHORS)[number];

/** The line every alarm description ends with: where in the repository its runbook section is. */
export const runbookLink = (anchor: RunbookAnchor): string => `docs/operations.md#${anchor}`;

/** The namespace of the business metrics the Lambdas write (Powertools Metrics, EMF), per stage. */
export const businessMetricsNamespace = (stage: string): string => `UserBehaviorAnalytics/${stage}`;

/** A stream consumer to watch: its function, its event-source mapping and its dead-letter queue. */
export interface MonitoredConsumer {
  /** The consumer's `service` name (`realtime`, `windows`), as its business metrics carry it. */
  readonly service: string;
  readonly function: lambda.IFunction;
  /** Id (UUID) of its Kinesis event-source mapping, whose `EventCount` metrics give the batch size. */
  readonly eventSourceMappingId: string;
  readonly deadLetterQueue: sqs.IQueue;
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

  constructor(scope: Construct, id: string, props: OperationsMonitoringProps) {
    super(scope, id);
    const t = props.thresholds;
    const r = props.resources;
    const namespace = businessMetricsNamespace(props.stage);
    const dashboards = new DefaultDashboardFactory(this, 'Dashboards', {
      dashboardNamePrefix: props.namePrefix,
      createDashboard: true,
      createSummaryDashboard: false,
      createAlarmDashboard: false,
      detailDashboardRange: Duration.hours(6),
    });
    this.facade = new MonitoringFacade(this, 'Facade', {
      metricFactoryDefaults: { period: t.period },
      alarmFactoryDefaults: {
        alarmNamePrefix: props.namePrefix,
        actionsEnabled: true,
        action: new SnsAlarmActionStrategy({ onAlarmTopic: props.alarmTopic, onOkTopic: props.alarmTopic }),
        datapointsToAlarm: 1,
        evaluationPeriods: 1,
      },
      dashboardFactory: dashboards,
    });
    const facade = this.facade;
    const metrics = facade.createMetricFactory();

    /** An alarm that fires on one period above the threshold (a count of failures). */
    const onAny = (anchor: RunbookAnchor, meaning: string): CustomAlarmThreshold => ({
      alarmDescriptionOverride: meaning,
      runbookLink: runbookLink(anchor),
      datapointsToAlarm: 1,
      evaluationPeriods: 1,
    });
    /** An alarm that fires on a sustained breach (`datapointsToAlarm` of `evaluationPeriods`). */
    const sustained = (anchor: RunbookAnchor, meaning: string): CustomAlarmThreshold => ({
      alarmDescriptionOverride: meaning,
      runbookLink: runbookLink(anchor),
      datapointsToAlarm: t.datapointsToAlarm,
      evaluationPeriods: t.evaluationPeriods,
    });
    /** "one or more" for a threshold of 0, "more than N" otherwise (the alarms fire above their threshold). */
    const over = (n: number) => (n === 0 ? 'one or more' : `more than ${n}`);
    const business = (metricName: string, service: string, statistic = MetricStatistic.SUM) =>
      metrics.createMetric(metricName, statistic, `${metricName} (${service})`, { service }, undefined, namespace);

    // ---- API
    this.apiThrottledMetric = new logs.MetricFilter(this, 'ApiThrottled', {
      logGroup: r.apiAccessLogs,
      filterPattern: logs.FilterPattern.stringValue('$.status', '=', '429'),
      metricNamespace: namespace,
      metricName: 'ApiThrottledRequests',
      metricValue: '1',
      unit: cloudwatch.Unit.COUNT,
    }).metric({ statistic: cloudwatch.Stats.SUM, period: t.period });
    facade
      .addLargeHeader(`User-behaviour analytics (${props.stage})`)
      .monitorApiGateway({
        api: r.api,
        apiStage: props.stage,
        alarmFriendlyName: 'Api',
        humanReadableName: 'API (ingest and read routes)',
        latencyTypesToRender: [LatencyType.P50, LatencyType.P99],
        add5XXFaultCountAlarm: {
          Critical: {
            maxErrorCount: t.api5xxErrors,
            ...onAny(
              'api-5xx',
              `The API answered 5XX to ${over(t.api5xxErrors)} requests in a period: a Lambda behind it failed or timed out.`,
            ),
          },
        },
        add4XXErrorRateAlarm: {
          Critical: {
            // The rate is the Average of 4XXError: the share of requests, from 0 to 1.
            maxErrorRate: t.api4xxErrorPercent / 100,
            ...sustained(
              'api-4xx',
              `More than ${t.api4xxErrorPercent}% of API requests were refused with 4XX: producers send invalid events, a wrong key, or are throttled.`,
            ),
          },
        },
        addLatencyP99Alarm: {
          Critical: {
            maxLatency: t.apiLatencyP99,
            ...sustained('api-latency', `The API's p99 latency stayed above ${t.apiLatencyP99.toMilliseconds()} ms.`),
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
                metric: this.apiThrottledMetric,
                alarmFriendlyName: 'ApiThrottled',
                addAlarm: {
                  Critical: {
                    threshold: t.apiThrottledRequests,
                    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                    ...onAny(
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

    // ---- Ingest and read Lambdas
    facade
      .monitorLambdaFunction({
        lambdaFunction: r.ingestFunction,
        alarmFriendlyName: 'Ingest',
        humanReadableName: 'Ingest Lambda',
        isIterator: false,
        addFaultCountAlarm: {
          Critical: {
            maxErrorCount: t.ingestErrors,
            ...onAny(
              'ingest-errors',
              `The ingest Lambda failed ${over(t.ingestErrors)} times in a period; producers got 5XX for those requests.`,
            ),
          },
        },
        addThrottlesCountAlarm: {
          Critical: {
            maxErrorCount: t.ingestThrottles,
            ...onAny(
              'ingest-throttles',
              'Lambda throttled the ingest function (account or reserved concurrency reached); producers got 5XX.',
            ),
          },
        },
        addLatencyP99Alarm: {
          Critical: {
            maxLatency: t.ingestDurationP99,
            ...sustained('ingest-duration', `The ingest Lambda's p99 duration stayed above ${t.ingestDurationP99.toMilliseconds()} ms.`),
          },
        },
      })
      .monitorLambdaFunction({
        lambdaFunction: r.queryFunction,
        alarmFriendlyName: 'Query',
        humanReadableName: 'Read API Lambda',
        isIterator: false,
      });

    // ---- Stream
    facade.monitorKinesisDataStream({
      streamName: r.stream.streamName,
      alarmFriendlyName: 'Stream',
      humanReadableName: 'Event stream (Kinesis)',
      addPutRecordsThrottledAlarm: {
        Critical: {
          maxRecordsThrottledThreshold: t.streamWriteThrottledRecords,
          ...onAny(
            'stream-write-throttles',
            'The stream refused records for lack of write capacity (ProvisionedThroughputExceeded); ingest retries them, then answers 5XX.',
          ),
        },
      },
    });

    // ---- Consumers
    for (const consumer of r.consumers) {
      const name = consumer.service.charAt(0).toUpperCase() + consumer.service.slice(1);
      facade
        .monitorLambdaFunction({
          lambdaFunction: consumer.function,
          alarmFriendlyName: name,
          humanReadableName: `Consumer: ${consumer.service}`,
          isIterator: true,
          addFaultCountAlarm: {
            Critical: {
              maxErrorCount: t.consumerErrors,
              ...onAny(
                'consumer-errors',
                `The ${consumer.service} consumer failed ${over(t.consumerErrors)} times in a period; its batches are retried (bisected) and the shard waits.`,
              ),
            },
          },
          addMaxIteratorAgeAlarm: {
            Critical: {
              maxAgeInMillis: props.iteratorAgeThreshold.toMilliseconds(),
              ...sustained(
                'consumer-iterator-age',
                `The ${consumer.service} consumer is more than ${props.iteratorAgeThreshold.toSeconds()} s behind the stream: results and alerts are late.`,
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
              ...onAny(
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
                metrics.createMetricMath(
                  'records / IF(invocations > 0, invocations, 1)',
                  {
                    records: metrics.createMetric(
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
                metrics.createMetric(
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

    // ---- Lake delivery (Firehose)
    const firehose = (metricName: string, statistic: MetricStatistic, label: string) =>
      metrics.createMetric(metricName, statistic, label, { DeliveryStreamName: r.deliveryStreamName }, undefined, 'AWS/Firehose');
    facade.monitorKinesisFirehose({
      deliveryStreamName: r.deliveryStreamName,
      alarmFriendlyName: 'Lake',
      humanReadableName: 'Lake delivery (Firehose)',
    });
    facade.monitorCustom({
      alarmFriendlyName: 'LakeDelivery',
      humanReadableName: 'Lake delivery to S3',
      metricGroups: [
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
                  ...sustained(
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
                  ...sustained(
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

    // ---- Results table
    facade.monitorDynamoTable({
      table: r.resultsTable,
      alarmFriendlyName: 'Results',
      humanReadableName: 'Results table (DynamoDB)',
      addReadThrottledEventsCountAlarm: {
        Critical: {
          maxThrottledEventsThreshold: t.dynamodbThrottledRequests,
          ...onAny('dynamodb-throttles', 'DynamoDB throttled reads of the results table; the read API answers 5XX or slowly.'),
        },
      },
      addWriteThrottledEventsCountAlarm: {
        Critical: {
          maxThrottledEventsThreshold: t.dynamodbThrottledRequests,
          ...onAny('dynamodb-throttles', 'DynamoDB throttled writes to the results table; consumers retry their batches and fall behind.'),
        },
      },
      addSystemErrorCountAlarm: {
        Critical: {
          maxErrorCount: t.dynamodbSystemErrors,
          ...onAny('dynamodb-system-errors', 'DynamoDB answered requests on the results table with internal errors (HTTP 500).'),
        },
      },
    });

    // ---- Topics
    for (const [name, topic] of Object.entries(r.topics)) {
      facade.monitorSnsTopic({
        topic,
        alarmFriendlyName: `${name}Topic`,
        humanReadableName: `SNS topic: ${name}`,
        addMessageNotificationsFailedAlarm: {
          Critical: {
            maxNotificationsFailedCount: t.snsFailedNotifications,
            ...onAny(
              'sns-delivery-failures',
              `The ${name} topic could not deliver messages to a subscriber (unconfirmed or bouncing e-mail, failing endpoint).`,
            ),
          },
        },
      });
    }

    // ---- Daily reports job
    facade
      .monitorLambdaFunction({
        lambdaFunction: r.reportsJob,
        alarmFriendlyName: 'ReportsJob',
        humanReadableName: 'Daily reports job',
        isIterator: false,
        addFaultCountAlarm: {
          Critical: {
            maxErrorCount: t.reportRunsFailed,
            ...onAny('reports-job-failed', "The daily reports job's Lambda failed: yesterday's reports are missing until it is rerun."),
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
            ...onAny(
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
              business('ReportRunsSucceeded', 'reports'),
              {
                metric: business('ReportRunsFailed', 'reports'),
                alarmFriendlyName: 'ReportRunsFailed',
                addAlarm: {
                  Critical: {
                    threshold: t.reportRunsFailed,
                    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                    ...onAny(
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
              metrics.createMetric(metricName, MetricStatistic.SUM, metricName, { ScheduleGroup: 'default' }, undefined, 'AWS/Scheduler'),
            ),
          },
        ],
      });

    // ---- Business metrics
    const consumerServices = r.consumers.map((c) => c.service);
    const withAlarm = (metricName: string, service: string, anchor: RunbookAnchor, threshold: number, meaning: string): CustomMetric => ({
      metric: business(metricName, service),
      alarmFriendlyName: `${metricName}-${service}`,
      addAlarm: {
        Critical: { threshold, comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD, ...onAny(anchor, meaning) },
      },
    });
    facade.addLargeHeader('Business metrics').monitorCustom({
      alarmFriendlyName: 'Business',
      humanReadableName: `Business metrics (${namespace})`,
      metricGroups: [
        {
          title: 'Events accepted and rejected (ingest)',
          metrics: [business('EventsAccepted', 'ingest'), business('EventsRejected', 'ingest')],
        },
        {
          title: 'Rejected events by field',
          metrics: [
            {
              namespace,
              searchQuery: 'EventsRejectedByField',
              dimensionsMap: { service: 'ingest', field: undefined as unknown as string },
              statistic: MetricStatistic.SUM,
              label: '',
            },
          ],
        },
        {
          title: 'Poison records (quarantined)',
          metrics: consumerServices.map((service) =>
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
          metrics: ['ingest', ...consumerServices].map((service) =>
            withAlarm(
              'StreamFailures',
              service,
              'business-stream-failures',
              t.streamFailures,
              `${service} reported records it could not write or process (StreamFailures); they are retried, then dead-lettered.`,
            ),
          ),
        },
        { title: 'Late events', metrics: consumerServices.map((service) => business('LateEvents', service)) },
        {
          title: 'Alerts raised and windows fired',
          metrics: [
            ...consumerServices.map((service) => business('AlertsRaised', service)),
            ...consumerServices.map((s) => business('WindowsFired', s)),
          ],
        },
        { title: 'Conditional retries', metrics: consumerServices.map((service) => business('ConditionalRetries', service)) },
      ],
    });

    const dashboard = dashboards.createdDashboard();
    if (!dashboard) throw new Error('OperationsMonitoring: the dashboard factory created no dashboard');
    this.dashboard = dashboard;
  }
}
