import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { checkFunnels } from '../../lambdas/reports/plan';
import { MAX_PRODUCERS, PRODUCER_NAME } from '../../lambdas/shared/ingest-api';
import { DEFAULT_FUNNELS } from '../../lambdas/shared/reports';

/** The environments this app can be synthesized for. */
export const STAGE_NAMES = ['dev', 'uat', 'prod'] as const;
export type StageName = (typeof STAGE_NAMES)[number];

/** Kinesis capacity: on-demand scales itself; provisioned has a fixed shard count. */
export type StreamCapacity = { readonly mode: 'ON_DEMAND' } | { readonly mode: 'PROVISIONED'; readonly shardCount: number };

/**
 * Where producers send events. `rest`: the REST API's `POST /v1/events` and `/v1/paths`, behind
 * API Gateway keys and a usage plan. `alb`: an internet-facing Application Load Balancer (HTTPS
 * only) in front of the same ingest Lambda, which checks the producer keys itself (Secrets
 * Manager); the REST API then carries only the read routes. See docs/cost.md for when each is cheaper.
 */
export type IngestFrontDoor =
  | { readonly kind: 'rest' }
  | {
      readonly kind: 'alb';
      /** SSM parameter (created before deploying) holding the ARN of the ACM certificate of the producers' domain. */
      readonly certificateArnParameter: string;
      /** SSM parameter (created before deploying) holding the producer-facing domain name, e.g. `ingest.example.com`. */
      readonly domainNameParameter: string;
      /** Requests per producer key per minute the web ACL lets through before it answers 429 (AWS WAF: 10..2,000,000,000 per window). */
      readonly requestsPerMinutePerProducer: number;
      /** Requests WITHOUT a producer key per source IP address per minute the web ACL lets through before it answers 429 (10..2,000,000,000). */
      readonly keylessRequestsPerMinutePerIp: number;
      /** How long the ingest Lambda keeps the producer keys it read before reading them again (rotation takes effect within this). */
      readonly keyCacheTtl: Duration;
    };

/** An Application Load Balancer passes a Lambda target at most 1 MB of request body (AWS documents "1 MB"; read as 10^6 bytes). */
export const ALB_LAMBDA_MAX_BODY_BYTES = 1_000_000;

/** Everything that differs between stages. Numbers live here, not in constructs. */
export interface StageConfig {
  readonly stage: StageName;
  /** Prefix of every stack name of the stage, e.g. `uba-dev`. */
  readonly prefix: string;
  /** Tags put on every resource of the stage. */
  readonly tags: Readonly<Record<string, string>>;
  /** IANA time zone used for event times without an offset and for day boundaries. */
  readonly timeZone: string;
  /** `destroy` in dev (buckets emptied on delete); `retain` wherever data must survive a stack deletion. */
  readonly removalPolicy: RemovalPolicy;
  readonly logRetention: RetentionDays;
  readonly stream: {
    readonly capacity: StreamCapacity;
    readonly retention: Duration;
  };
  readonly ingest: {
    /** Steady-state requests per second allowed by the usage plan. */
    readonly throttleRateLimit: number;
    readonly throttleBurstLimit: number;
    /** Upper bound on events in one POST; never above 500 (the PutRecords limit). */
    readonly maxEventsPerRequest: number;
    /** Largest accepted request body, in bytes (API Gateway itself caps at 10 MB). */
    readonly maxBodyBytes: number;
    /** Pseudonymize `userId` (and `pseudonymizedProps`) with a keyed HMAC before it enters the stream. */
    readonly pseudonymize: boolean;
    /** Names of `props` fields pseudonymized along with `userId`. */
    readonly pseudonymizedProps: readonly string[];
    readonly memorySize: number;
    /**
     * Per-method CloudWatch metrics of the API stage (7 per method, billed as custom metrics); the
     * API's own metrics (count, 4XX, 5XX, latency per API and stage) are published either way.
     */
    readonly detailedMetrics: boolean;
    /**
     * The producers of the stage: one API key each on the usage plan, named `<prefix>-<producer>`.
     * 1..20 names of lower-case letters, digits and dashes (1..32 characters).
     */
    readonly producers: readonly string[];
    /** The producers' front door (see {@link IngestFrontDoor}). */
    readonly frontDoor: IngestFrontDoor;
  };
  /** People: the Cognito user pool of the stage. */
  readonly identity: {
    /** `REQUIRED`: every sign-in asks for a TOTP code; `OPTIONAL`: users may set one up. */
    readonly mfa: 'REQUIRED' | 'OPTIONAL';
    /** Lifetime of ID and access tokens (5 minutes .. 1 day). */
    readonly tokenValidity: Duration;
    /** Lifetime of refresh tokens (60 minutes .. 10 years). */
    readonly refreshTokenValidity: Duration;
  };
  readonly analytics: {
    /** Warnings per action per window that raise a window alert (10 by default). */
    readonly warningThreshold: number;
    /** Failed recharges per province per window that raise a window alert (recharge scenario). */
    readonly rechargeFailureThreshold: number;
    /** Tumbling window of the threshold rules. */
    readonly window: Duration;
    /** Stream consumers: records per invocation and how long to gather them (the windows consumer's batching window). */
    readonly batchSize: number;
    readonly maxBatchingWindow: Duration;
    /**
     * The realtime consumer's batching window (MaximumBatchingWindowInSeconds, 0..300 s): below
     * `batchSize` events per window and shard, a batch gathers for this long. Each batch pays
     * about one write unit per counter item it touches whatever its size, so a longer window
     * costs fewer WRU per event at low rates and delays the results by up to its length
     * (docs/analytics.md, "Cost of the write model").
     */
    readonly realtimeMaxBatchingWindow: Duration;
    /** Retries of a failed batch (bisected) before it goes to the consumer's dead-letter queue. */
    readonly retryAttempts: number;
    /** Records older than this are not retried but sent to the dead-letter queue. */
    readonly maxRecordAge: Duration;
    /** Days real-time results (metrics, paths, window partials) are kept (DynamoDB TTL). */
    readonly resultRetentionDays: number;
    /** Days quarantined (undecodable) records are kept for an operator to look at and replay. */
    readonly quarantineRetentionDays: number;
    /** How often the dashboard refreshes, in seconds. */
    readonly dashboardRefreshSeconds: number;
    /** Alarm when a consumer falls this far behind the stream. */
    readonly iteratorAgeAlarm: Duration;
    /** Where alarms and alerts are e-mailed (SNS subscriptions); none when empty. */
    readonly notifyEmails: readonly string[];
    /** DynamoDB deletion protection on the results table: a DeleteTable call (or stack update deleting it) fails. */
    readonly resultsDeletionProtection: boolean;
  };
  readonly lake: {
    /** Firehose buffering: whichever of size and interval is reached first flushes. */
    readonly bufferSize: number; // MiB
    readonly bufferInterval: Duration;
    /** Move raw objects to Infrequent Access after this long. */
    readonly infrequentAccessAfter: Duration;
    /** Move raw objects to Glacier Instant Retrieval after this long. */
    readonly glacierAfter?: Duration;
    /** Delete raw objects after this long; undefined keeps them. */
    readonly expireAfter?: Duration;
    /** Move the curated Parquet of the daily reports to Infrequent Access after this long; undefined keeps it in Standard. */
    readonly curatedInfrequentAccessAfter?: Duration;
    /**
     * Keep earlier versions of overwritten or deleted lake objects (S3 versioning), each deleted
     * this long after it stopped being current; undefined leaves the bucket unversioned.
     */
    readonly noncurrentVersionsExpireAfter?: Duration;
  };
  /**
   * Alarm thresholds of the operations dashboard (`uba-<stage>-monitoring`). Each alarm fires when
   * its metric is above the threshold (below, for `firehoseDeliverySuccessBelow`). Counts of
   * failures are per `period` (0 means "any") and fire on one period; the sustained signals
   * (latency, 4XX share, iterator age, lake freshness and delivery success) fire when
   * `datapointsToAlarm` of the last `evaluationPeriods` periods breach. The consumers'
   * iterator-age threshold is `analytics.iteratorAgeAlarm`.
   */
  readonly monitoring: {
    readonly period: Duration;
    readonly evaluationPeriods: number;
    readonly datapointsToAlarm: number;
    /** API 5XX responses per period. */
    readonly api5xxErrors: number;
    /** Percentage of API requests answered 4XX in a period (bad events, missing key, throttled). */
    readonly api4xxErrorPercent: number;
    /** p99 latency of the API (ingest and read routes together). */
    readonly apiLatencyP99: Duration;
    /** Requests refused with 429 (usage-plan or stage throttling) per period. */
    readonly apiThrottledRequests: number;
    /** Failed invocations of the ingest Lambda per period. */
    readonly ingestErrors: number;
    /** Throttled invocations of the ingest Lambda per period. */
    readonly ingestThrottles: number;
    /** p99 duration of the ingest Lambda. */
    readonly ingestDurationP99: Duration;
    /** Records refused by the stream for lack of write capacity, per period. */
    readonly streamWriteThrottledRecords: number;
    /** Failed invocations of a stream consumer per period (each failure is retried, bisected). */
    readonly consumerErrors: number;
    /** Messages waiting in a consumer's dead-letter queue. */
    readonly consumerDeadLetters: number;
    /** Age of the oldest record Firehose has not yet delivered to the lake (above its buffer interval). */
    readonly firehoseFreshness: Duration;
    /** Alarm when the share of successful lake deliveries in a period falls below this (0..1). */
    readonly firehoseDeliverySuccessBelow: number;
    /** Throttled requests to the results table per period (read and write together). */
    readonly dynamodbThrottledRequests: number;
    /** DynamoDB-side errors (HTTP 500) on the results table per period. */
    readonly dynamodbSystemErrors: number;
    /** Failed deliveries of a topic (e-mail, HTTPS) per period. */
    readonly snsFailedNotifications: number;
    /** Failed runs of the daily reports job (function errors, `ReportRunsFailed`, undelivered schedule). */
    readonly reportRunsFailed: number;
    /** Poison records quarantined by a consumer per period (`PoisonRecords`). */
    readonly poisonRecords: number;
    /** Records a consumer or ingest could not write (`StreamFailures`) per period. */
    readonly streamFailures: number;
    /** With the `alb` front door: requests the load balancer itself answered 5XX (no answer from the Lambda: 502, 503, 504) per period. */
    readonly albElb5xxErrors: number;
    /** With the `alb` front door: requests the ingest Lambda answered 5XX behind the load balancer per period. */
    readonly albTarget5xxErrors: number;
    /** With the `alb` front door: percentage of producer requests answered 4XX in a period (401/403 keys, 429 rate rule, 400/411/413 bodies). */
    readonly albProducer4xxPercent: number;
  };
  readonly reports: {
    /** Funnels of the `funnel` report: name → ordered actions (1..6 distinct actions). */
    readonly funnels: Readonly<Record<string, readonly string[]>>;
    /** Athena stops (and fails) any one query that would scan more than this many bytes. */
    readonly bytesScannedCutoff: number;
    /** Days of event history the curated table shows (its partition projection's range). */
    readonly historyDays: number;
    /** Athena query results are deleted after this long. */
    readonly resultsExpireAfter: Duration;
  };
  /** The IAM roles people assume for the console and the CLI (admin, operator, developer, analyst). */
  readonly people: {
    /** Assuming a role needs a session signed in with MFA (`aws:MultiFactorAuthPresent`). */
    readonly requireMfa: boolean;
    /** Longest session of an assumed role (1 to 12 hours; IAM refuses anything else at synth). */
    readonly maxSessionDuration: Duration;
    /** The developer role may change function code and configuration; read-only otherwise. */
    readonly developerDeploys: boolean;
  };
}

/** The alarm thresholds of a stage (see `StageConfig.monitoring`). */
export type AlarmThresholds = StageConfig['monitoring'];

const PROJECT = 'uba';

function base(stage: StageName): Pick<StageConfig, 'stage' | 'prefix' | 'tags'> {
  return { stage, prefix: `${PROJECT}-${stage}`, tags: { project: PROJECT, stage } };
}

/** Alarm thresholds of the stages where any failure is worth a look (dev, uat); prod raises a few of them. */
const ANY_FAILURE_ALARMS: AlarmThresholds = {
  period: Duration.minutes(5),
  evaluationPeriods: 3,
  datapointsToAlarm: 2,
  api5xxErrors: 0,
  api4xxErrorPercent: 25,
  apiLatencyP99: Duration.seconds(5),
  apiThrottledRequests: 50,
  ingestErrors: 0,
  ingestThrottles: 0,
  ingestDurationP99: Duration.seconds(10),
  streamWriteThrottledRecords: 0,
  consumerErrors: 0,
  consumerDeadLetters: 0,
  firehoseFreshness: Duration.minutes(5),
  firehoseDeliverySuccessBelow: 1,
  dynamodbThrottledRequests: 0,
  dynamodbSystemErrors: 0,
  snsFailedNotifications: 0,
  reportRunsFailed: 0,
  poisonRecords: 0,
  streamFailures: 0,
  albElb5xxErrors: 0,
  albTarget5xxErrors: 0,
  albProducer4xxPercent: 10,
};

const STAGES: Record<StageName, StageConfig> = {
  dev: {
    ...base('dev'),
    timeZone: 'Asia/Shanghai',
    removalPolicy: RemovalPolicy.DESTROY,
    logRetention: RetentionDays.ONE_WEEK,
    stream: { capacity: { mode: 'PROVISIONED', shardCount: 1 }, retention: Duration.hours(24) },
    ingest: {
      throttleRateLimit: 50,
      throttleBurstLimit: 100,
      maxEventsPerRequest: 500,
      maxBodyBytes: 1024 * 1024,
      pseudonymize: false,
      pseudonymizedProps: [],
      memorySize: 512,
      detailedMetrics: true,
      producers: ['demo'],
      frontDoor: { kind: 'rest' },
    },
    identity: { mfa: 'OPTIONAL', tokenValidity: Duration.minutes(60), refreshTokenValidity: Duration.days(1) },
    analytics: {
      warningThreshold: 10,
      rechargeFailureThreshold: 10,
      window: Duration.seconds(60),
      batchSize: 1000,
      maxBatchingWindow: Duration.seconds(2),
      realtimeMaxBatchingWindow: Duration.seconds(2),
      retryAttempts: 5,
      maxRecordAge: Duration.hours(1),
      resultRetentionDays: 14,
      iteratorAgeAlarm: Duration.minutes(2),
      quarantineRetentionDays: 14,
      dashboardRefreshSeconds: 5,
      notifyEmails: [],
      resultsDeletionProtection: false,
    },
    lake: {
      bufferSize: 1,
      bufferInterval: Duration.seconds(60),
      infrequentAccessAfter: Duration.days(30),
      expireAfter: Duration.days(90),
    },
    monitoring: ANY_FAILURE_ALARMS,
    reports: { funnels: DEFAULT_FUNNELS, bytesScannedCutoff: 1024 ** 3, historyDays: 400, resultsExpireAfter: Duration.days(7) },
    people: { requireMfa: false, maxSessionDuration: Duration.hours(4), developerDeploys: true },
  },
  uat: {
    ...base('uat'),
    timeZone: 'Asia/Shanghai',
    removalPolicy: RemovalPolicy.DESTROY,
    logRetention: RetentionDays.ONE_MONTH,
    stream: { capacity: { mode: 'PROVISIONED', shardCount: 2 }, retention: Duration.hours(48) },
    ingest: {
      throttleRateLimit: 200,
      throttleBurstLimit: 400,
      maxEventsPerRequest: 500,
      maxBodyBytes: 1024 * 1024,
      pseudonymize: true,
      pseudonymizedProps: ['phone', 'email'],
      memorySize: 1024,
      detailedMetrics: true,
      producers: ['web', 'vending'],
      frontDoor: { kind: 'rest' },
    },
    identity: { mfa: 'OPTIONAL', tokenValidity: Duration.minutes(60), refreshTokenValidity: Duration.days(1) },
    analytics: {
      warningThreshold: 10,
      rechargeFailureThreshold: 10,
      window: Duration.seconds(60),
      batchSize: 1000,
      maxBatchingWindow: Duration.seconds(5),
      realtimeMaxBatchingWindow: Duration.seconds(20),
      retryAttempts: 5,
      maxRecordAge: Duration.hours(1),
      resultRetentionDays: 35,
      iteratorAgeAlarm: Duration.minutes(2),
      quarantineRetentionDays: 14,
      dashboardRefreshSeconds: 5,
      notifyEmails: [],
      resultsDeletionProtection: false,
    },
    lake: {
      bufferSize: 64,
      bufferInterval: Duration.seconds(300),
      infrequentAccessAfter: Duration.days(30),
      expireAfter: Duration.days(180),
    },
    monitoring: { ...ANY_FAILURE_ALARMS, firehoseFreshness: Duration.minutes(15) },
    reports: { funnels: DEFAULT_FUNNELS, bytesScannedCutoff: 10 * 1024 ** 3, historyDays: 400, resultsExpireAfter: Duration.days(7) },
    people: { requireMfa: false, maxSessionDuration: Duration.hours(4), developerDeploys: true },
  },
  prod: {
    ...base('prod'),
    timeZone: 'Asia/Shanghai',
    removalPolicy: RemovalPolicy.RETAIN,
    logRetention: RetentionDays.SIX_MONTHS,
    stream: { capacity: { mode: 'ON_DEMAND' }, retention: Duration.days(7) },
    ingest: {
      throttleRateLimit: 2000,
      throttleBurstLimit: 5000,
      maxEventsPerRequest: 500,
      // The load balancer passes a Lambda target at most 1 MB of body.
      maxBodyBytes: ALB_LAMBDA_MAX_BODY_BYTES,
      pseudonymize: true,
      pseudonymizedProps: ['phone', 'email'],
      memorySize: 512,
      detailedMetrics: false,
      producers: ['web', 'vending', 'recharge'],
      // Cheaper than the REST API above about 1 request/s (npm run cost; docs/cost.md).
      frontDoor: {
        kind: 'alb',
        certificateArnParameter: '/uba/prod/ingest/certificate-arn',
        domainNameParameter: '/uba/prod/ingest/domain-name',
        requestsPerMinutePerProducer: 2000 * 60,
        keylessRequestsPerMinutePerIp: 60,
        keyCacheTtl: Duration.minutes(5),
      },
    },
    identity: { mfa: 'REQUIRED', tokenValidity: Duration.minutes(15), refreshTokenValidity: Duration.hours(12) },
    analytics: {
      warningThreshold: 10,
      rechargeFailureThreshold: 10,
      window: Duration.seconds(60),
      batchSize: 1000,
      maxBatchingWindow: Duration.seconds(5),
      realtimeMaxBatchingWindow: Duration.seconds(90),
      retryAttempts: 10,
      maxRecordAge: Duration.hours(24),
      resultRetentionDays: 400,
      iteratorAgeAlarm: Duration.minutes(5),
      quarantineRetentionDays: 14,
      dashboardRefreshSeconds: 15,
      notifyEmails: [],
      resultsDeletionProtection: true,
    },
    lake: {
      bufferSize: 128,
      bufferInterval: Duration.seconds(300),
      infrequentAccessAfter: Duration.days(30),
      glacierAfter: Duration.days(180),
      curatedInfrequentAccessAfter: Duration.days(30),
      noncurrentVersionsExpireAfter: Duration.days(30),
    },
    // Prod tolerates a few transient errors and expects a faster API; the rest as in dev and uat.
    monitoring: {
      ...ANY_FAILURE_ALARMS,
      api5xxErrors: 5,
      api4xxErrorPercent: 10,
      albElb5xxErrors: 5,
      albTarget5xxErrors: 5,
      apiLatencyP99: Duration.seconds(3),
      apiThrottledRequests: 100,
      ingestErrors: 5,
      ingestDurationP99: Duration.seconds(5),
      consumerErrors: 3,
      firehoseFreshness: Duration.minutes(15),
    },
    reports: { funnels: DEFAULT_FUNNELS, bytesScannedCutoff: 100 * 1024 ** 3, historyDays: 1100, resultsExpireAfter: Duration.days(30) },
    people: { requireMfa: true, maxSessionDuration: Duration.hours(1), developerDeploys: false },
  },
};

/**
 * Checks the alarm thresholds of a stage; throws naming the field and the reason. The lake's
 * freshness alarm must allow for the Firehose buffer interval, or it fires on every flush.
 */
export function checkAlarmThresholds(m: AlarmThresholds, lakeBufferInterval: Duration): void {
  const fail = (field: keyof AlarmThresholds, reason: string) => {
    throw new Error(`monitoring.${field}: ${reason}`);
  };
  if (!Number.isInteger(m.evaluationPeriods) || m.evaluationPeriods < 1) fail('evaluationPeriods', 'must be a whole number ≥ 1');
  if (!Number.isInteger(m.datapointsToAlarm) || m.datapointsToAlarm < 1 || m.datapointsToAlarm > m.evaluationPeriods) {
    fail('datapointsToAlarm', `must be a whole number from 1 to evaluationPeriods (${m.evaluationPeriods})`);
  }
  if (m.period.toSeconds() < 60 || m.period.toSeconds() % 60 !== 0)
    fail('period', 'must be a whole number of minutes (CloudWatch alarm periods)');
  if (m.firehoseFreshness.toSeconds() <= lakeBufferInterval.toSeconds()) {
    fail('firehoseFreshness', `must be longer than the lake's buffer interval (${lakeBufferInterval.toSeconds()} s)`);
  }
  if (!(m.firehoseDeliverySuccessBelow > 0 && m.firehoseDeliverySuccessBelow <= 1))
    fail('firehoseDeliverySuccessBelow', 'must be in (0, 1]');
  for (const field of ['api4xxErrorPercent', 'albProducer4xxPercent'] as const) {
    if (!(m[field] >= 0 && m[field] < 100)) fail(field, 'must be a percentage from 0 to below 100');
  }
  for (const [field, value] of Object.entries(m)) {
    if (typeof value === 'number' && (!Number.isFinite(value) || value < 0)) fail(field as keyof AlarmThresholds, 'must be a number ≥ 0');
  }
}

/** Thrown when `-c stage=…` names no known stage. */
export class UnknownStageError extends Error {
  constructor(name: string) {
    super(`Unknown stage "${name}". Valid stages: ${STAGE_NAMES.join(', ')} (choose with -c stage=NAME).`);
    this.name = 'UnknownStageError';
  }
}

/** Producer names become API key names: 1..20 distinct names of `[a-z0-9-]`, 1..32 characters each. */
export function checkProducers(stage: string, producers: readonly string[]): void {
  if (producers.length < 1 || producers.length > MAX_PRODUCERS)
    throw new Error(`stage ${stage}: ingest.producers must list 1..${MAX_PRODUCERS} producers`);
  const valid = new RegExp(`^${PRODUCER_NAME}$`);
  for (const name of producers) {
    if (!valid.test(name)) {
      throw new Error(`stage ${stage}: ingest.producers: "${name}" must be 1..32 lower-case letters, digits or dashes`);
    }
  }
  if (new Set(producers).size !== producers.length) throw new Error(`stage ${stage}: ingest.producers: names must be distinct`);
}

/** An SSM parameter name in path form: `/` then letters, digits and `_.-/` (at most 1,011 characters, as SSM allows 1,011 with the leading slash). */
const SSM_PARAMETER_NAME = /^\/[A-Za-z0-9_.\-/]{1,1010}$/;

/** Checks the front door of a stage; throws naming the field and the reason. */
export function checkFrontDoor(stage: string, frontDoor: IngestFrontDoor, maxBodyBytes: number): void {
  if (frontDoor.kind === 'rest') return;
  const fail = (field: string, reason: string): never => {
    throw new Error(`stage ${stage}: ingest.frontDoor.${field}: ${reason}`);
  };
  for (const field of ['certificateArnParameter', 'domainNameParameter'] as const) {
    if (!SSM_PARAMETER_NAME.test(frontDoor[field])) fail(field, 'must be an SSM parameter name such as /uba/prod/ingest/certificate-arn');
  }
  for (const field of ['requestsPerMinutePerProducer', 'keylessRequestsPerMinutePerIp'] as const) {
    const rate = frontDoor[field];
    if (!Number.isInteger(rate) || rate < 10 || rate > 2_000_000_000)
      fail(field, 'must be a whole number from 10 to 2,000,000,000 (AWS WAF rate limit)');
  }
  const ttl = frontDoor.keyCacheTtl.toSeconds();
  if (ttl < 1 || ttl > 3600) fail('keyCacheTtl', 'must be from 1 second to 1 hour');
  if (maxBodyBytes > ALB_LAMBDA_MAX_BODY_BYTES) {
    throw new Error(
      `stage ${stage}: ingest.maxBodyBytes: must be at most ${ALB_LAMBDA_MAX_BODY_BYTES} with the alb front door (the load balancer's limit for a Lambda target)`,
    );
  }
}

/**
 * Checks the realtime consumer's batching window: Lambda takes 0..300 s, and at low rates every
 * record waits up to the window before it is read, so a window at or past the consumers'
 * iterator-age alarm would raise that alarm in normal operation. Throws an Error naming the field.
 */
export function checkRealtimeBatchingWindow(stage: string, window: Duration, iteratorAgeAlarm: Duration): void {
  const seconds = window.toMilliseconds() / 1000;
  if (!Number.isInteger(seconds) || seconds < 0 || seconds > 300) {
    throw new Error(`stage ${stage}: analytics.realtimeMaxBatchingWindow must be a whole number of seconds in 0..300 (got ${seconds})`);
  }
  if (seconds >= iteratorAgeAlarm.toSeconds()) {
    throw new Error(
      `stage ${stage}: analytics.realtimeMaxBatchingWindow (${seconds} s) must be shorter than analytics.iteratorAgeAlarm (${iteratorAgeAlarm.toSeconds()} s): records wait up to the window at low rates`,
    );
  }
}

/** Returns the config of the named stage (default `dev`); throws UnknownStageError for any other name. */
export function stageConfig(name: string | undefined): StageConfig {
  const stage = name ?? 'dev';
  if (!(STAGE_NAMES as readonly string[]).includes(stage)) throw new UnknownStageError(stage);
  const config = STAGES[stage as StageName];
  if (config.ingest.maxEventsPerRequest < 1 || config.ingest.maxEventsPerRequest > 500) {
    throw new Error(`stage ${stage}: ingest.maxEventsPerRequest must be 1..500 (PutRecords limit)`);
  }
  checkProducers(stage, config.ingest.producers);
  checkFrontDoor(stage, config.ingest.frontDoor, config.ingest.maxBodyBytes);
  checkRealtimeBatchingWindow(stage, config.analytics.realtimeMaxBatchingWindow, config.analytics.iteratorAgeAlarm);
  try {
    checkAlarmThresholds(config.monitoring, config.lake.bufferInterval);
  } catch (error) {
    throw new Error(`stage ${stage}: ${(error as Error).message}`, { cause: error });
  }
  try {
    checkFunnels(config.reports.funnels);
  } catch (error) {
    throw new Error(`stage ${stage}: reports.funnels: ${(error as Error).message}`, { cause: error });
  }
  return config;
}
