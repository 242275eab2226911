import { IANAZone } from 'luxon';
import { z } from 'zod';
import { parseEnv, requiredString as required, type Env } from '../shared/env';

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

const envSchema = z.object({
  RESULTS_TABLE: required,
  TIME_ZONE: required.refine((zone) => IANAZone.isValidZone(zone), 'must be an IANA time zone such as Asia/Shanghai'),
  STAGE: required,
  LAKE_BUCKET: required,
});

/** Reads and validates the query configuration from `env`; throws a ConfigError naming every bad variable. */
export function loadConfig(env: Env): QueryConfig {
  const vars = parseEnv(envSchema, env, 'query configuration');
  return { tableName: vars.RESULTS_TABLE, timeZone: vars.TIME_ZONE, stage: vars.STAGE, lakeBucket: vars.LAKE_BUCKET };
}
