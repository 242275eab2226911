import { z } from 'zod';
import { AnalyticsConfigError, parseAnalyticsConfig, type AnalyticsConfig } from '../analytics/config';
import { DEFAULT_PATH_CHUNKS, DEFAULT_SESSION_SLICES } from '../shared/results-table';

/** DynamoDB's limit of items in one TransactWriteItems call. */
export const MAX_TRANSACTION_ITEMS = 100;

/**
 * The configuration of both stream consumers (realtime and windows), read once from the
 * environment the CDK construct sets:
 *
 * | variable | meaning | default |
 * |---|---|---|
 * | `RESULTS_TABLE` | name of the results table (`lambdas/shared/results-table.ts`) | required |
 * | `ALERTS_TOPIC_ARN` | SNS topic that receives one message per batch of new alerts | required |
 * | `ANALYTICS_CONFIG` | JSON of the analyses' configuration (`parseAnalyticsConfig`) | required |
 * | `STAGE` | stage name, shown in alert subjects | required |
 * | `PATH_CHUNKS` | path-ledger items per shard and day, 1..64 | 4 |
 * | `SESSION_SLICES` | session-state items per shard, 1..64 (fixed for a stream's life) | 4 |
 *
 * `SESSION_SLICES + PATH_CHUNKS + 1` must fit one transaction (100 items).
 * | `RESULT_RETENTION_DAYS` | TTL of alert, metric, path and window items, 1..3650 | 35 |
 * | `QUARANTINE_RETENTION_DAYS` | TTL of quarantined records, 1..3650 | 14 |
 */
export interface ConsumerConfig {
  readonly tableName: string;
  readonly alertsTopicArn: string;
  readonly analytics: AnalyticsConfig;
  readonly stage: string;
  readonly pathChunks: number;
  readonly sessionSlices: number;
  readonly resultRetentionDays: number;
  readonly quarantineRetentionDays: number;
}

const required = z.string({ error: 'is required' }).trim().min(1, 'is required');

/** A whole number in `min..max` given as a decimal string; `fallback` when unset or empty. */
const integerString = (min: number, max: number, fallback: number) =>
  z
    .string({ error: 'must be a string' })
    .optional()
    .transform((value, ctx) => {
      if (value === undefined || value.trim() === '') return fallback;
      if (!/^\d+$/.test(value.trim())) {
        ctx.addIssue({ code: 'custom', message: 'must be a whole number' });
        return z.NEVER;
      }
      return Number(value.trim());
    })
    .pipe(z.number().int().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`));

const envSchema = z
  .object({
    RESULTS_TABLE: required,
    ALERTS_TOPIC_ARN: required,
    ANALYTICS_CONFIG: required,
    STAGE: required,
    PATH_CHUNKS: integerString(1, 64, DEFAULT_PATH_CHUNKS),
    SESSION_SLICES: integerString(1, 64, DEFAULT_SESSION_SLICES),
    RESULT_RETENTION_DAYS: integerString(1, 3650, 35),
    QUARANTINE_RETENTION_DAYS: integerString(1, 3650, 14),
  })
  .superRefine((env, ctx) => {
    // One path transaction holds the cursor, every slice and the chunks of at least one day.
    if (1 + env.SESSION_SLICES + env.PATH_CHUNKS > MAX_TRANSACTION_ITEMS) {
      ctx.addIssue({ code: 'custom', path: ['SESSION_SLICES'], message: `SESSION_SLICES + PATH_CHUNKS + 1 must be at most ${MAX_TRANSACTION_ITEMS}` });
    }
  });

/** Reads and validates the consumers' configuration from `env`; throws an Error naming every bad variable (and every bad `ANALYTICS_CONFIG` field). */
export function loadConsumerConfig(env: Readonly<Record<string, string | undefined>>): ConsumerConfig {
  const parsed = envSchema.safeParse(env);
  const problems = parsed.success ? [] : parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
  let analytics: AnalyticsConfig | undefined;
  const rawAnalytics = env.ANALYTICS_CONFIG;
  if (rawAnalytics !== undefined && rawAnalytics.trim() !== '') {
    try {
      analytics = parseAnalyticsConfig(rawAnalytics);
    } catch (error) {
      if (!(error instanceof AnalyticsConfigError)) throw error;
      problems.push(...error.issues.map((issue) => `ANALYTICS_CONFIG.${issue.field}: ${issue.reason}`));
    }
  }
  if (!parsed.success || analytics === undefined || problems.length > 0) {
    throw new Error(`invalid consumer configuration: ${problems.join('; ')}`);
  }
  const vars = parsed.data;
  return {
    tableName: vars.RESULTS_TABLE,
    alertsTopicArn: vars.ALERTS_TOPIC_ARN,
    analytics,
    stage: vars.STAGE,
    pathChunks: vars.PATH_CHUNKS,
    sessionSlices: vars.SESSION_SLICES,
    resultRetentionDays: vars.RESULT_RETENTION_DAYS,
    quarantineRetentionDays: vars.QUARANTINE_RETENTION_DAYS,
  };
}
