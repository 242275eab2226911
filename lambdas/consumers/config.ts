import { z } from 'zod';
import { parseAnalyticsConfig, type AnalyticsConfig } from '../analytics/config';
import { envIssues, integerString, requiredString as required, type Env } from '../shared/env';
import { ConfigError, type FieldIssue } from '../shared/issues';

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
 * | `RESULT_RETENTION_DAYS` | TTL of alert, metric, path and window items, 1..3650 | 35 |
 * | `QUARANTINE_RETENTION_DAYS` | TTL of quarantined records, 1..3650 | 14 |
 */
export interface ConsumerConfig {
  readonly tableName: string;
  readonly alertsTopicArn: string;
  readonly analytics: AnalyticsConfig;
  readonly stage: string;
  readonly resultRetentionDays: number;
  readonly quarantineRetentionDays: number;
}

const envSchema = z.object({
  RESULTS_TABLE: required,
  ALERTS_TOPIC_ARN: required,
  ANALYTICS_CONFIG: required,
  STAGE: required,
  RESULT_RETENTION_DAYS: integerString(1, 3650, 35),
  QUARANTINE_RETENTION_DAYS: integerString(1, 3650, 14),
});

/** Reads and validates the consumers' configuration from `env`; throws a ConfigError naming every bad variable (and every bad `ANALYTICS_CONFIG` field). */
export function loadConsumerConfig(env: Env): ConsumerConfig {
  const parsed = envSchema.safeParse(env);
  const problems: FieldIssue[] = parsed.success ? [] : envIssues(parsed.error);
  let analytics: AnalyticsConfig | undefined;
  const rawAnalytics = env.ANALYTICS_CONFIG;
  if (rawAnalytics !== undefined && rawAnalytics.trim() !== '') {
    try {
      analytics = parseAnalyticsConfig(rawAnalytics);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      problems.push(...error.issues.map((issue) => ({ field: `ANALYTICS_CONFIG.${issue.field}`, reason: issue.reason })));
    }
  }
  if (!parsed.success || analytics === undefined || problems.length > 0) {
    throw new ConfigError('consumer configuration', problems);
  }
  const vars = parsed.data;
  return {
    tableName: vars.RESULTS_TABLE,
    alertsTopicArn: vars.ALERTS_TOPIC_ARN,
    analytics,
    stage: vars.STAGE,
    resultRetentionDays: vars.RESULT_RETENTION_DAYS,
    quarantineRetentionDays: vars.QUARANTINE_RETENTION_DAYS,
  };
}
