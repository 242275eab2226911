import { IANAZone } from 'luxon';
import { z } from 'zod';
import { integerString, parseEnv, requiredString as required, type Env } from '../shared/env';

/** Lambda's synchronous invocation payload limit; a larger body cannot reach the handler anyway. */
const LAMBDA_PAYLOAD_LIMIT_BYTES = 6 * 1024 * 1024;

/** PutRecords takes at most 500 records; the per-request cap keeps one request within one call's worth. */
const PUT_RECORDS_MAX_RECORDS = 500;

/** The ingest Lambda's configuration, read once from the environment the CDK construct sets. */
export interface IngestConfig {
  /** Kinesis stream that receives accepted events (`STREAM_NAME`). */
  readonly streamName: string;
  /** IANA zone in which `createdAt` values without an offset are read (`TIME_ZONE`). */
  readonly timeZone: string;
  /** Most events (or path elements) one request may carry, 1..500 (`MAX_EVENTS_PER_REQUEST`). */
  readonly maxEventsPerRequest: number;
  /** Largest accepted body in bytes, after base64 decoding (`MAX_BODY_BYTES`). */
  readonly maxBodyBytes: number;
  /** Pseudonymization settings; `undefined` when `PSEUDONYMIZE` is `false`. */
  readonly pseudonymization?: {
    /** Secrets Manager secret holding the HMAC key (`PSEUDONYM_SECRET_ARN`). */
    readonly secretArn: string;
    /** `props` names hashed along with `userId` (`PSEUDONYMIZED_PROPS`, comma-separated). */
    readonly props: ReadonlySet<string>;
  };
}

const envSchema = z
  .object({
    STREAM_NAME: required,
    TIME_ZONE: required.refine((zone) => IANAZone.isValidZone(zone), 'must be an IANA time zone such as Asia/Shanghai'),
    MAX_EVENTS_PER_REQUEST: integerString(1, PUT_RECORDS_MAX_RECORDS),
    MAX_BODY_BYTES: integerString(1, LAMBDA_PAYLOAD_LIMIT_BYTES),
    PSEUDONYMIZE: z.enum(['true', 'false'], { error: 'must be "true" or "false"' }),
    PSEUDONYMIZED_PROPS: z.string().optional(),
    PSEUDONYM_SECRET_ARN: z.string().optional(),
  })
  .superRefine((env, ctx) => {
    if (env.PSEUDONYMIZE === 'true' && (env.PSEUDONYM_SECRET_ARN ?? '').trim() === '') {
      ctx.addIssue({ code: 'custom', path: ['PSEUDONYM_SECRET_ARN'], message: 'is required when PSEUDONYMIZE is "true"' });
    }
  });

/** Splits a comma-separated list into its trimmed, non-empty names. */
const listOf = (value: string | undefined): ReadonlySet<string> =>
  new Set(
    (value ?? '')
      .split(',')
      .map((name) => name.trim())
      .filter((name) => name !== ''),
  );

/** Reads and validates the ingest configuration from `env`; throws a ConfigError naming every bad variable. */
export function loadConfig(env: Env): IngestConfig {
  const vars = parseEnv(envSchema, env, 'ingest configuration');
  return {
    streamName: vars.STREAM_NAME,
    timeZone: vars.TIME_ZONE,
    maxEventsPerRequest: vars.MAX_EVENTS_PER_REQUEST,
    maxBodyBytes: vars.MAX_BODY_BYTES,
    ...(vars.PSEUDONYMIZE === 'true'
      ? { pseudonymization: { secretArn: (vars.PSEUDONYM_SECRET_ARN ?? '').trim(), props: listOf(vars.PSEUDONYMIZED_PROPS) } }
      : {}),
  };
}
