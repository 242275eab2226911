import * as fs from 'fs';
import * as path from 'path';
import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as athena from 'aws-cdk-lib/aws-athena';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { CURATED_PREFIX, STAGING_PREFIX } from '../../lambdas/reports/job';
import { QUERY_NAMES } from '../../lambdas/reports/queries';
import { readAllQuerySql } from '../../lambdas/reports/sql-files';
import { COMMODITY_TABLE, CURATED_TABLE, RAW_TABLE } from '../../lambdas/reports/tables';
import { EXPORTS_PREFIX } from '../../lambdas/shared/reports';
import { metricsNamespace } from '../../lambdas/shared/metrics';
import { acknowledgeBucketDeploymentFindings, flattenReference, wildcardFindings } from '../nag';
import { AppFunction, PROJECT_ROOT } from './app-function';
import { privateBucketProps } from './raw-event-lake';

/** Where Athena writes query results in the results bucket. */
export const RESULTS_PREFIX = 'results/';
/** The schedule of the daily job: 00:30 every day (in the schedule's time zone). */
export const DAILY_SCHEDULE = 'cron(30 0 * * ? *)';

export interface ReportsProps {
  /** The lake bucket: raw/ (read), dim/ (deployed here, read), curated/ and exports/ (written). */
  readonly lake: s3.IBucket;
  /** Prefix of names (`uba-dev`): the Glue database is `<prefix>_lake` with `_`, the workgroup `<prefix>-reports`. */
  readonly namePrefix: string;
  /** IANA zone of days and of the schedule. */
  readonly timeZone: string;
  /** Funnel name → ordered actions. */
  readonly funnels: Readonly<Record<string, readonly string[]>>;
  /** Athena's per-query limit, in bytes (at least 10 MB). */
  readonly bytesScannedCutoff: number;
  /** Days of history the curated table's partition projection covers. */
  readonly historyDays: number;
  /** Query results are deleted after this long. */
  readonly resultsExpireAfter: Duration;
  /** The stage, whose business-metrics namespace the job writes its run counts to. */
  readonly stage: string;
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

const STRING = (name: string): glue.CfnTable.ColumnProperty => ({ name, type: 'string' });

/**
 * The lake's reports: a Glue database with the raw table (gzip JSON lines, partition projection on
 * `dt`/`hour`), the curated table (Parquet by event day) and the commodity dimension (deployed from
 * `dim/commodity.csv`); an Athena workgroup (configuration enforced, SSE-S3 results with a
 * lifecycle, a bytes-scanned cutoff) with one named query per SQL file; the daily job's Lambda,
 * scheduled at 00:30 in the stage zone, with least privilege, and the schedule's dead-letter queue.
 */
export class Reports extends Construct {
  public readonly database: glue.CfnDatabase;
  public readonly databaseName: string;
  public readonly rawTable: glue.CfnTable;
  public readonly curatedTable: glue.CfnTable;
  public readonly commodityTable: glue.CfnTable;
  public readonly resultsBucket: s3.Bucket;
  public readonly workGroup: athena.CfnWorkGroup;
  public readonly namedQueries: Readonly<Record<string, athena.CfnNamedQuery>>;
  public readonly job: AppFunction;
  public readonly schedule: scheduler.CfnSchedule;
  public readonly deadLetterQueue: sqs.Queue;
  public readonly dimDeployment: s3deploy.BucketDeployment;

  constructor(scope: Construct, id: string, props: ReportsProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const bucketName = props.lake.bucketName;
    const location = (prefix: string) => `s3://${bucketName}/${prefix}`;

    // ---- Catalog
    this.databaseName = `${props.namePrefix.replace(/[^a-z0-9]/g, '_')}_lake`;
    this.database = new glue.CfnDatabase(this, 'Database', {
      catalogId: stack.account,
      databaseInput: { name: this.databaseName, description: 'The event lake: raw events, curated events, dimensions' },
    });
    const table = (tid: string, input: glue.CfnTable.TableInputProperty) => {
      const t = new glue.CfnTable(this, tid, {
        catalogId: stack.account,
        databaseName: this.databaseName,
        tableInput: { tableType: 'EXTERNAL_TABLE', ...input },
      });
      t.addResourceDependency(this.database);
      return t;
    };
    this.rawTable = table('RawTable', {
      name: RAW_TABLE.name,
      description: 'Every accepted event as Firehose archived it, by arrival day and hour (stage time zone)',
      partitionKeys: RAW_TABLE.partitionKeys.map((k) => STRING(k.name)),
      parameters: {
        classification: 'json',
        compressionType: 'gzip',
        'projection.enabled': 'true',
        'projection.dt.type': 'date',
        'projection.dt.format': 'yyyy-MM-dd',
        'projection.dt.range': `NOW-${props.historyDays}DAYS,NOW+1DAYS`,
        'projection.dt.interval': '1',
        'projection.dt.interval.unit': 'DAYS',
        'projection.hour.type': 'integer',
        'projection.hour.range': '0,23',
        'projection.hour.digits': '2',
        'storage.location.template': `${location(RAW_TABLE.prefix)}dt=\${dt}/hour=\${hour}/`,
      },
      storageDescriptor: {
        location: location(RAW_TABLE.prefix),
        columns: RAW_TABLE.columns.map((c) => STRING(c.name)),
        inputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
        outputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
        serdeInfo: {
          serializationLibrary: 'org.openx.data.jsonserde.JsonSerDe',
          // Keys are camelCase in the lake; Glue columns are lower case: map each one exactly.
          parameters: { 'case.insensitive': 'false', ...Object.fromEntries(RAW_TABLE.columns.map((c) => [`mapping.${c.name}`, c.key])) },
        },
      },
    });
    this.curatedTable = table('CuratedTable', {
      name: CURATED_TABLE.name,
      description: 'Events in Parquet, one partition per event day (createdAt in the stage time zone), one row per eventId and day',
      partitionKeys: CURATED_TABLE.partitionKeys.map((k) => STRING(k.name)),
      parameters: {
        classification: 'parquet',
        'projection.enabled': 'true',
        'projection.event_day.type': 'date',
        'projection.event_day.format': 'yyyy-MM-dd',
        'projection.event_day.range': `NOW-${props.historyDays}DAYS,NOW+1DAYS`,
        'projection.event_day.interval': '1',
        'projection.event_day.interval.unit': 'DAYS',
        'storage.location.template': `${location(CURATED_TABLE.prefix)}event_day=\${event_day}/`,
      },
      storageDescriptor: {
        location: location(CURATED_TABLE.prefix),
        columns: CURATED_TABLE.columns.map((c) => STRING(c.name)),
        inputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
        outputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat',
        serdeInfo: { serializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe' },
      },
    });
    this.commodityTable = table('CommodityTable', {
      name: COMMODITY_TABLE.name,
      description: 'Commodity dimension (dim/commodity.csv of the repository)',
      parameters: { classification: 'csv', 'skip.header.line.count': '1' },
      storageDescriptor: {
        location: location(COMMODITY_TABLE.prefix),
        columns: COMMODITY_TABLE.columns.map((c) => STRING(c.name)),
        inputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
        outputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
        serdeInfo: {
          serializationLibrary: 'org.apache.hadoop.hive.serde2.OpenCSVSerde',
          parameters: { separatorChar: ',', quoteChar: '"', escapeChar: '\\' },
        },
      },
    });
    const dimLogs = new logs.LogGroup(this, 'DimDeploymentLogs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy,
    });
    this.dimDeployment = new s3deploy.BucketDeployment(this, 'CommodityDimension', {
      sources: [s3deploy.Source.data('commodity.csv', fs.readFileSync(path.join(PROJECT_ROOT, 'dim', 'commodity.csv'), 'utf8'))],
      destinationBucket: props.lake,
      destinationKeyPrefix: COMMODITY_TABLE.prefix,
      prune: true,
      memoryLimit: 256,
      logGroup: dimLogs,
    });
    acknowledgeBucketDeploymentFindings(
      this.dimDeployment,
      props.lake,
      'CDK grants the deployment on the whole bucket; it writes (and prunes) only under dim/commodity/.',
    );

    // ---- Athena
    this.resultsBucket = new s3.Bucket(this, 'Results', {
      ...privateBucketProps(removalPolicy),
      lifecycleRules: [
        { id: 'expire-results', expiration: props.resultsExpireAfter },
        { id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
    });
    Validations.of(this.resultsBucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'Athena query results are transient (expired by the lifecycle) and written and read only through the reports workgroup, whose every query CloudTrail records.',
    });
    this.workGroup = new athena.CfnWorkGroup(this, 'WorkGroup', {
      name: `${props.namePrefix}-reports`,
      description: 'Daily reports over the event lake',
      state: 'ENABLED',
      recursiveDeleteOption: removalPolicy === RemovalPolicy.DESTROY,
      workGroupConfiguration: {
        enforceWorkGroupConfiguration: true,
        publishCloudWatchMetricsEnabled: true,
        bytesScannedCutoffPerQuery: props.bytesScannedCutoff,
        engineVersion: { selectedEngineVersion: 'Athena engine version 3' },
        resultConfiguration: {
          outputLocation: `s3://${this.resultsBucket.bucketName}/${RESULTS_PREFIX}`,
          encryptionConfiguration: { encryptionOption: 'SSE_S3' },
        },
      },
    });
    // Stage constants (zone, funnels) are written into the text: Athena takes parameters only in WHERE clauses.
    const sql = readAllQuerySql({ timeZone: props.timeZone, funnels: props.funnels });
    const named: Record<string, athena.CfnNamedQuery> = {};
    for (const name of QUERY_NAMES) {
      const q = new athena.CfnNamedQuery(this, `Query-${name}`, {
        name,
        database: this.databaseName,
        workGroup: this.workGroup.ref,
        description: `lambdas/reports/sql/${name}.sql, with the stage's time zone and funnels written in`,
        queryString: sql[name],
      });
      q.addResourceDependency(this.database);
      named[name] = q;
    }
    this.namedQueries = named;

    // ---- The daily job
    this.job = new AppFunction(this, 'Job', {
      entry: 'lambdas/reports/handler.ts',
      serviceName: 'reports',
      memorySize: 1024,
      timeout: Duration.minutes(15),
      logRetention: props.logRetention,
      removalPolicy,
      environment: {
        LAKE_BUCKET: bucketName,
        TIME_ZONE: props.timeZone,
        POWERTOOLS_METRICS_NAMESPACE: metricsNamespace(props.stage),
        GLUE_DATABASE: this.databaseName,
        WORK_GROUP: this.workGroup.ref,
        NAMED_QUERIES: stack.toJsonString(Object.fromEntries(Object.entries(named).map(([name, q]) => [name, q.ref]))),
      },
    });
    const workGroupArn = stack.formatArn({ service: 'athena', resource: 'workgroup', resourceName: this.workGroup.ref });
    const jobPolicy = new iam.Policy(this, 'JobPolicy', {
      roles: [this.job.role],
      statements: [
        new iam.PolicyStatement({
          sid: 'RunReportQueries',
          actions: [
            'athena:StartQueryExecution',
            'athena:GetQueryExecution',
            'athena:GetQueryResults',
            'athena:StopQueryExecution',
            'athena:GetNamedQuery',
            'athena:GetWorkGroup',
          ],
          resources: [workGroupArn],
        }),
        new iam.PolicyStatement({
          sid: 'ReadCatalog',
          actions: ['glue:GetDatabase', 'glue:GetTable', 'glue:GetTables', 'glue:GetPartition', 'glue:GetPartitions'],
          resources: [
            stack.formatArn({ service: 'glue', resource: 'catalog' }),
            stack.formatArn({ service: 'glue', resource: 'database', resourceName: this.databaseName }),
            ...[RAW_TABLE, CURATED_TABLE, COMMODITY_TABLE].map((t) =>
              stack.formatArn({ service: 'glue', resource: 'table', resourceName: `${this.databaseName}/${t.name}` }),
            ),
          ],
        }),
        new iam.PolicyStatement({
          sid: 'ListLake',
          actions: ['s3:ListBucket', 's3:GetBucketLocation'],
          resources: [props.lake.bucketArn],
        }),
        new iam.PolicyStatement({
          sid: 'ReadLake',
          actions: ['s3:GetObject'],
          resources: [
            props.lake.arnForObjects(`${RAW_TABLE.prefix}*`),
            props.lake.arnForObjects('dim/*'),
            props.lake.arnForObjects('curated/*'),
          ],
        }),
        new iam.PolicyStatement({
          sid: 'WriteCuratedAndExports',
          actions: ['s3:PutObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],
          resources: [props.lake.arnForObjects('curated/*'), props.lake.arnForObjects(`${EXPORTS_PREFIX}*`)],
        }),
        new iam.PolicyStatement({
          sid: 'ReplaceCuratedPartitions',
          actions: ['s3:DeleteObject'],
          resources: [props.lake.arnForObjects('curated/*')],
        }),
        new iam.PolicyStatement({
          sid: 'QueryResults',
          actions: ['s3:ListBucket', 's3:GetBucketLocation'],
          resources: [this.resultsBucket.bucketArn],
        }),
        new iam.PolicyStatement({
          sid: 'QueryResultObjects',
          actions: ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],
          resources: [this.resultsBucket.arnForObjects(`${RESULTS_PREFIX}*`)],
        }),
      ],
    });
    for (const finding of wildcardFindings(stack.resolve(jobPolicy.document))) {
      const resource = finding.id;
      const lakeArn = flattenReference(stack.resolve(props.lake.bucketArn));
      const reasons: Record<string, string> = {
        [`Resource::${lakeArn}/raw/*`]:
          'Athena reads every raw object of the arrival day being compacted; Firehose names them at delivery time, under raw/.',
        [`Resource::${lakeArn}/dim/*`]: 'Athena reads the dimension tables, whose files sit under dim/.',
        [`Resource::${lakeArn}/curated/*`]: `The job UNLOADs to ${STAGING_PREFIX} and replaces the objects of ${CURATED_PREFIX} partitions; object names come from Athena at run time.`,
        [`Resource::${lakeArn}/${EXPORTS_PREFIX}*`]:
          'The job writes one CSV and one JSON per report and day under exports/<report>/dt=<day>/.',
        [`Resource::${flattenReference(stack.resolve(this.resultsBucket.bucketArn))}/${RESULTS_PREFIX}*`]:
          "Athena writes each query's result under results/ with the query id as the name.",
      };
      const reason = reasons[resource];
      if (reason) Validations.of(jobPolicy).acknowledge({ id: `AwsSolutions-IAM5[${resource}]`, reason });
    }
    // The function's role is complete before the schedule can invoke it.
    this.job.function.node.addDependency(jobPolicy);

    // ---- The schedule and its dead-letter queue (alarms: OperationsMonitoring, in the monitoring stack)
    this.deadLetterQueue = new sqs.Queue(this, 'ScheduleDeadLetters', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy,
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is the dead-letter queue of the daily schedule.',
    });
    const schedulerRole = new iam.Role(this, 'SchedulerRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
      description: 'EventBridge Scheduler: invoke the daily reports job',
    });
    schedulerRole.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [this.job.function.functionArn] }),
    );
    schedulerRole.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['sqs:SendMessage'], resources: [this.deadLetterQueue.queueArn] }),
    );
    this.schedule = new scheduler.CfnSchedule(this, 'Daily', {
      description: 'The daily reports job, for yesterday, at 00:30 in the stage time zone',
      scheduleExpression: DAILY_SCHEDULE,
      scheduleExpressionTimezone: props.timeZone,
      flexibleTimeWindow: { mode: 'OFF' },
      state: 'ENABLED',
      target: {
        arn: this.job.function.functionArn,
        roleArn: schedulerRole.roleArn,
        input: '{}',
        retryPolicy: { maximumRetryAttempts: 3, maximumEventAgeInSeconds: 3600 },
        deadLetterConfig: { arn: this.deadLetterQueue.queueArn },
      },
    });
    this.schedule.node.addDependency(schedulerRole);
  }
}
