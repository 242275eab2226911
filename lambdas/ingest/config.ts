import { IANAZone } from 'luxon';
import { z } from 'zod';
import { integerString, parseEnv, requiredString as required, type Env } from '../shared/env';
import { MAX_PRODUCERS, PRODUCER_NAME } from '../shared/ingest-api';

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
  /**
   * The producers' keys this Lambda checks itself (load-balancer front door); `undefined` when
   * API Gateway checks them (`PRODUCER_KEY_SECRETS` unset).
   */
  readonly producerKeys?: {
    /** Each producer's Secrets Manager secret (`PRODUCER_KEY_SECRETS`: `producer=arn,…`). */
    readonly secrets: ReadonlyArray<{ readonly producer: string; readonly secretArn: string }>;
    /** How long keys read are used before reading them again (`PRODUCER_KEY_CACHE_SECONDS`, 1..3600). */
    readonly cacheSeconds: number;
  };
}

/** `producer=arn` pairs: 1..MAX_PRODUCERS producers named as PRODUCER_NAME says, each with a Secrets Manager ARN. */
const PRODUCER_PAIR = new RegExp(`^(${PRODUCER_NAME})=(arn:[a-z0-9-]+:secretsmanager:[^,=\\s]+)$`);

/** The pairs of a `PRODUCER_KEY_SECRETS` value, or undefined when any is malformed or there are none or over 20. */
function producerSecrets(value: string): Array<{ producer: string; secretArn: string }> | undefined {
  const pairs = value.split(',').map((pair) => PRODUCER_PAIR.exec(pair.trim()));
  if (pairs.length < 1 || pairs.length > MAX_PRODUCERS) return undefined;
  const out: Array<{ producer: string; secretArn: string }> = [];
  for (const match of pairs) {
    if (match === null) return undefined;
    out.push({ producer: match[1], secretArn: match[2] });
  }
  return new Set(out.map((pair) => pair.producer)).size === out.length ? out : undefined;
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
    PRODUCER_KEY_SECRETS: z
      .string()
      .refine((value) => producerSecrets(value) !== undefined, 'must be 1..20 distinct producer=<secret ARN> pairs, comma-separated')
      .optional(),
    PRODUCER_KEY_CACHE_SECONDS: integerString(1, 3600).optional(),
  })
  .superRefine((env, ctx) => {
    if (env.PSEUDONYMIZE === 'true' && (env.PSEUDONYM_SECRET_ARN ?? '').trim() === '') {
      ctx.addIssue({ code: 'custom', path: ['PSEUDONYM_SECRET_ARN'], message: 'is required when PSEUDONYMIZE is "true"' });
    }
    if (env.PRODUCER_KEY_SECRETS !== undefined && env.PRODUCER_KEY_CACHE_SECONDS === undefined) {
      ctx.addIssue({ code: 'custom', path: ['PRODUCER_KEY_CACHE_SECONDS'], message: 'is required when PRODUCER_KEY_SECRETS is set' });
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
    ...(vars.PRODUCER_KEY_SECRETS !== undefined && vars.PRODUCER_KEY_CACHE_SECONDS !== undefined
      ? {
          producerKeys: {
            secrets: producerSecrets(vars.PRODUCER_KEY_SECRETS) ?? [],
            cacheSeconds: vars.PRODUCER_KEY_CACHE_SECONDS,
          },
        }
      : {}),
  };
}
