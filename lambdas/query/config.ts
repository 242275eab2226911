import { IANAZone } from 'luxon';
import { z } from 'zod';

/** The query Lambda's configuration, read once from the environment the CDK construct sets. */
export interface QueryConfig {
  /** The results table (`RESULTS_TABLE`). */
  readonly tableName: string;
  /** IANA zone of minute buckets and days (`TIME_ZONE`); must be the analytics consumers' zone. */
  readonly timeZone: string;
  /** Stage name, for logs (`STAGE`). */
  readonly stage: string;
  /** The lake bucket whose `exports/` the report routes read (`LAKE_BUCKET`). */
  readonly lakeBucket: string;
}

const required = z.string({ error: 'is required' }).trim().min(1, 'is required');

const envSchema = z.object({
  RESULTS_TABLE: required,
  TIME_ZONE: required.refine((zone) => IANAZone.isValidZone(zone), 'must be an IANA time zone such as Asia/Shanghai'),
  STAGE: required,
  LAKE_BUCKET: required,
});

/** Reads and validates the query configuration from `env`; throws an Error naming every bad variable. */
export function loadConfig(env: Readonly<Record<string, string | undefined>>): QueryConfig {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ');
    throw new Error(`invalid query configuration: ${problems}`);
  }
  return { tableName: parsed.data.RESULTS_TABLE, timeZone: parsed.data.TIME_ZONE, stage: parsed.data.STAGE, lakeBucket: parsed.data.LAKE_BUCKET };
}
