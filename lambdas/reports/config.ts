import { IANAZone } from 'luxon';
import { z } from 'zod';
import { parseEnv, requiredString as required, type Env } from '../shared/env';
import { QUERY_NAMES } from './queries';

/** The daily job's configuration, read once from the environment the CDK construct sets. */
export interface ReportsConfig {
  readonly bucket: string;
  readonly timeZone: string;
  readonly database: string;
  readonly workGroup: string;
  /** Query name → named query id. */
  readonly namedQueries: Readonly<Record<string, string>>;
}

const jsonOf = <T extends z.ZodType>(schema: T) =>
  required
    .transform((text, ctx) => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be JSON' });
        return z.NEVER;
      }
    })
    .pipe(schema);

const envSchema = z.object({
  LAKE_BUCKET: required,
  TIME_ZONE: required.refine((zone) => IANAZone.isValidZone(zone), 'must be an IANA time zone such as Asia/Shanghai'),
  GLUE_DATABASE: required,
  WORK_GROUP: required,
  NAMED_QUERIES: jsonOf(z.record(z.string(), z.string())).refine(
    (q) => QUERY_NAMES.every((n) => typeof q[n] === 'string'),
    `must name the id of every query (${QUERY_NAMES.join(', ')})`,
  ),
});

/** Reads and validates the configuration from `env`; throws a ConfigError naming every bad variable. */
export function loadReportsConfig(env: Env): ReportsConfig {
  const e = parseEnv(envSchema, env, 'reports configuration');
  return {
    bucket: e.LAKE_BUCKET,
    timeZone: e.TIME_ZONE,
    database: e.GLUE_DATABASE,
    workGroup: e.WORK_GROUP,
    namedQueries: e.NAMED_QUERIES,
  };
}
