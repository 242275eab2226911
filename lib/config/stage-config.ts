import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { checkFunnels } from '../../lambdas/reports/plan';
import { DEFAULT_FUNNELS } from '../../lambdas/shared/reports';

/** The environments this app can be synthesized for. */
export const STAGE_NAMES = ['dev', 'uat', 'prod'] as const;
export type StageName = (typeof STAGE_NAMES)[number];

/** Kinesis capacity: on-demand scales itself; provisioned has a fixed shard count. */
export type StreamCapacity = { readonly mode: 'ON_DEMAND' } | { readonly mode: 'PROVISIONED'; readonly shardCount: number };

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
  };
  readonly analytics: {
    /** Warnings per action per window that raise a window alert (10 by default). */
    readonly warningThreshold: number;
    /** Failed recharges per province per window that raise a window alert (recharge scenario). */
    readonly rechargeFailureThreshold: number;
    /** Tumbling window of the threshold rules. */
    readonly window: Duration;
    /** Stream consumers: records per invocation and how long to gather them. */
    readonly batchSize: number;
    readonly maxBatchingWindow: Duration;
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

const PROJECT = 'uba';

function base(stage: StageName): Pick<StageConfig, 'stage' | 'prefix' | 'tags'> {
  return { stage, prefix: `${PROJECT}-${stage}`, tags: { project: PROJECT, stage } };
}

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
    },
    analytics: {
      warningThreshold: 10,
      rechargeFailureThreshold: 10,
      window: Duration.seconds(60),
      batchSize: 1000,
      maxBatchingWindow: Duration.seconds(2),
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
    },
    analytics: {
      warningThreshold: 10,
      rechargeFailureThreshold: 10,
      window: Duration.seconds(60),
      batchSize: 1000,
      maxBatchingWindow: Duration.seconds(5),
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
      maxBodyBytes: 1024 * 1024,
      pseudonymize: true,
      pseudonymizedProps: ['phone', 'email'],
      memorySize: 512,
      detailedMetrics: false,
    },
    analytics: {
      warningThreshold: 10,
      rechargeFailureThreshold: 10,
      window: Duration.seconds(60),
      batchSize: 1000,
      maxBatchingWindow: Duration.seconds(5),
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
    reports: { funnels: DEFAULT_FUNNELS, bytesScannedCutoff: 100 * 1024 ** 3, historyDays: 1100, resultsExpireAfter: Duration.days(30) },
    people: { requireMfa: true, maxSessionDuration: Duration.hours(1), developerDeploys: false },
  },
};

/** Thrown when `-c stage=…` names no known stage. */
export class UnknownStageError extends Error {
  constructor(name: string) {
    super(`Unknown stage "${name}". Valid stages: ${STAGE_NAMES.join(', ')} (choose with -c stage=NAME).`);
    this.name = 'UnknownStageError';
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
  try {
    checkFunnels(config.reports.funnels);
  } catch (error) {
    throw new Error(`stage ${stage}: reports.funnels: ${(error as Error).message}`, { cause: error });
  }
  return config;
}
