import { z } from 'zod';
import { ConfigError, type FieldIssue } from '../shared/issues';
import { isValidTimeZone } from './time';

/** Top-level event fields a {@link FieldRef} may name. */
export const EVENT_FIELDS = ['action', 'userId', 'path', 'errorMsg', 'objectId', 'bizId', 'sessionId'] as const;
export type EventField = (typeof EVENT_FIELDS)[number];

/** A field of a stream event: a top-level field, or `props.<name>` (the whole rest is the prop name). */
export type FieldRef = EventField | `props.${string}`;

/** A literal a filter compares with; comparison is type-strict (`"1"` is not `1`). */
export type Scalar = string | number | boolean;

/**
 * A condition on one field; every operator given must hold. A missing (or null) field fails
 * every operator, `notEquals` included.
 */
export interface FieldFilter {
  readonly field: FieldRef;
  readonly equals?: Scalar;
  readonly notEquals?: Scalar;
  readonly in?: readonly Scalar[];
  /** Substring match, case-sensitive; only string values can match. */
  readonly containsAny?: readonly string[];
}

/**
 * The declarative filter language: a field condition, all/any of a list, or the negation of a
 * filter (`{not}` of a field condition is true when the field is missing).
 */
export type Filter = FieldFilter | { readonly all: readonly Filter[] } | { readonly any: readonly Filter[] } | { readonly not: Filter };

/** The one wall-clock form the recharge scenario uses for `requestId` prefixes and `receiveNotifyTime`. */
export const COMPACT_FORMAT = 'yyyyMMddHHmmssSSS';

/**
 * A number read from an event: a numeric field (a number, or a string holding a finite decimal
 * number), or a duration in ms between two 17-digit wall-clock times read in `metrics.timeZone`
 * (`from` is the first 17 characters of its field, `to` the whole field).
 */
export type ValueExpr =
  | { readonly field: FieldRef }
  | {
      readonly durationMs: {
        readonly from: { readonly timestampPrefixOf: FieldRef; readonly digits: 17; readonly format: typeof COMPACT_FORMAT };
        readonly to: { readonly timestampOf: FieldRef; readonly format: typeof COMPACT_FORMAT };
      };
    };

export type Aggregate = 'count' | 'sum' | 'min' | 'max';

/**
 * A KPI measure: over the events that pass `filter`, per minute bucket and per `groupBy` values,
 * the `agg` of `value`. The event count of a measure is always kept (it is the denominator of
 * averages); with `value`, only events whose value is a number count.
 */
export interface Measure {
  readonly name: string;
  readonly filter?: Filter;
  readonly value?: ValueExpr;
  readonly groupBy?: readonly FieldRef[];
  readonly agg: readonly Aggregate[];
}

/** A threshold alert over a tumbling window (of record arrival time, per shard, merged across shards). */
export interface WindowRule {
  readonly id: string;
  readonly description?: string;
  readonly filter: Filter;
  readonly groupBy: FieldRef;
  readonly threshold: number;
  readonly windowSeconds: number;
  /**
   * Groups counted per shard and window; the events of further groups count in the group
   * `(other)`, which is reported with the window's partials and never raises an alert.
   * @default DEFAULT_MAX_WINDOW_GROUPS
   */
  readonly maxGroups?: number;
}

/** Groups of one rule counted per shard and window before the rest go to `(other)`. */
export const DEFAULT_MAX_WINDOW_GROUPS = 1000;

export interface MetricsConfig {
  /** IANA zone of minute buckets and of the recharge scenario's wall-clock times. */
  readonly timeZone: string;
  /** An event more than this far behind the newest event time seen is counted as late (and still counted). */
  readonly latenessSeconds: number;
  /** Each dimension gets its own `events` counter per value (no cross products). */
  readonly dimensions: readonly FieldRef[];
  readonly measures: readonly Measure[];
}

export interface PathsConfig {
  /** IANA zone of a session's day (the day of its first event). */
  readonly timeZone: string;
  /** Inactivity that ends a session (event time for splitting, processing time for closing). */
  readonly sessionGapSeconds: number;
  /** Page views kept per open session key (one item each; bounds its size); later ones count on the overflow edge `(other) (1)` → `(other) (2)`. */
  readonly maxSessionEvents: number;
  /** Closed sessions a session key remembers to drop their replays and stragglers; the oldest are forgotten first. */
  readonly maxClosedSessions: number;
}

/**
 * Bytes the field names of one metric counter (a dimension, or a measure's groupBy) may total:
 * they are spelled in the counter's sort key, which DynamoDB limits to 1024 bytes.
 */
export const MAX_DIMENSION_FIELDS_BYTES = 480;

/** Everything the real-time analyses need; passed to the Lambdas as the JSON env var `ANALYTICS_CONFIG`. */
export interface AnalyticsConfig {
  /** Case-sensitive substrings of `errorMsg` that make an event an error alert. */
  readonly errorPatterns: readonly string[];
  readonly windowRules: readonly WindowRule[];
  readonly metrics: MetricsConfig;
  readonly paths: PathsConfig;
}

/** The alerts scenario's error markers. */
export const DEFAULT_ERROR_PATTERNS: readonly string[] = ['[error]', '[ERROR]', '[panic]', '[PANIC]'];
/** The recharge scenario's notification action (its `serviceName`). */
export const RECHARGE_ACTION = 'reChargeNotifyReq';
/** The recharge scenario's `bussinessRst` of a successful recharge. */
export const RECHARGE_SUCCESS = '0000';
/** The action of the vending scenario's vending orders (as the producer's vending scenario emits them). */
export const VENDING_ACTION = 'order';
/** Name of the built-in per-minute event counter; no measure may use it. */
export const EVENTS_METRIC = 'events';

const isRecharge: Filter = { field: 'action', equals: RECHARGE_ACTION };
const isRechargeSuccess: Filter = { all: [isRecharge, { field: 'props.bussinessRst', equals: RECHARGE_SUCCESS }] };
/** A recharge notification that did not succeed: any result but "0000", a missing one included. */
const isRechargeFailure: Filter = { all: [isRecharge, { not: { field: 'props.bussinessRst', equals: RECHARGE_SUCCESS } }] };

/** The recharge scenario's duration: `receiveNotifyTime` − the 17-digit time that starts `requestId`. */
export const RECHARGE_DURATION: ValueExpr = {
  durationMs: {
    from: { timestampPrefixOf: 'props.requestId', digits: 17, format: COMPACT_FORMAT },
    to: { timestampOf: 'props.receiveNotifyTime', format: COMPACT_FORMAT },
  },
};

/**
 * Default measures (read-time formulas in brackets):
 * - `recharge` — count of recharge notifications (the recharge scenario's order count);
 * - `recharge.success` — count with `bussinessRst == "0000"` [success rate = recharge.success.count / recharge.count];
 * - `recharge.amount` — sum of `chargefee` over successful notifications only (the recharge scenario's definition: find the
 *   successful orders, then add up their `chargefee`);
 * - `recharge.duration` — duration of successful notifications [avg = sum / count], min, max;
 * - `recharge.failures` — count of notifications that are not successful (missing `bussinessRst`
 *   included), per `props.provinceCode`;
 * - `vending.sales` — the vending scenario's orders: count and sum of `props.amount` per machine and commodity
 *   (per machine or per commodity alone: add up at read time).
 */
export const DEFAULT_MEASURES: readonly Measure[] = [
  { name: 'recharge', filter: isRecharge, agg: ['count'] },
  { name: 'recharge.success', filter: isRechargeSuccess, agg: ['count'] },
  { name: 'recharge.amount', filter: isRechargeSuccess, value: { field: 'props.chargefee' }, agg: ['count', 'sum'] },
  { name: 'recharge.duration', filter: isRechargeSuccess, value: RECHARGE_DURATION, agg: ['count', 'sum', 'min', 'max'] },
  { name: 'recharge.failures', filter: isRechargeFailure, groupBy: ['props.provinceCode'], agg: ['count'] },
  {
    name: 'vending.sales',
    filter: { field: 'action', equals: VENDING_ACTION },
    value: { field: 'props.amount' },
    groupBy: ['props.machineId', 'props.commodityId'],
    agg: ['count', 'sum'],
  },
];

/** `action` and the props of the vending, recharge and Taobao scenarios that dashboards break counts down by. */
export const DEFAULT_DIMENSIONS: readonly FieldRef[] = [
  'action',
  'props.province',
  'props.ageRange',
  'props.gender',
  'props.actionCode',
  'props.provinceCode',
  'props.machineId',
  'props.commodityId',
];

/** Options of {@link defaultAnalyticsConfig}. */
export interface DefaultConfigOptions {
  /** Warnings per action per window that alert; default 10 (alerts scenario). */
  readonly warningThreshold?: number;
  /** Failed recharges per province per window that alert; default 10. */
  readonly rechargeFailureThreshold?: number;
  /** Tumbling window of every rule; default 60 s (alerts scenario). */
  readonly windowSeconds?: number;
}

/** The default window rules: the alerts scenario's warnings per action and recharge failures per province. */
export function defaultWindowRules(options: DefaultConfigOptions = {}): WindowRule[] {
  const windowSeconds = options.windowSeconds ?? 60;
  return [
    {
      id: 'warnings-per-action',
      description: 'at least N events with [warn]/[WARN] in errorMsg for one action in one window (alerts scenario)',
      filter: { field: 'errorMsg', containsAny: ['[warn]', '[WARN]'] },
      groupBy: 'action',
      threshold: options.warningThreshold ?? 10,
      windowSeconds,
    },
    {
      id: 'recharge-failures-per-province',
      description: 'at least N failed recharge notifications (bussinessRst != "0000") for one province in one window (recharge scenario)',
      filter: isRechargeFailure,
      groupBy: 'props.provinceCode',
      threshold: options.rechargeFailureThreshold ?? 10,
      windowSeconds,
    },
  ];
}

// ---------------------------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------------------------

/** True when `s` is a {@link FieldRef}. Never throws. */
export const isFieldRef = (s: string): s is FieldRef =>
  (EVENT_FIELDS as readonly string[]).includes(s) || (s.startsWith('props.') && s.length > 'props.'.length);

const FIELD_REF_HINT = `must be one of ${EVENT_FIELDS.join(', ')} or props.<name>`;
const fieldRefSchema = z.custom<FieldRef>((v) => typeof v === 'string' && isFieldRef(v), { error: FIELD_REF_HINT });
const scalarSchema = z.union([z.string(), z.number().refine(Number.isFinite, 'must be finite'), z.boolean()], {
  error: 'must be a string, number or boolean',
});
const positiveInt = (max: number) => z.int('must be an integer').min(1, 'must be at least 1').max(max, `must be at most ${max}`);

const FILTER_SHAPES = 'must be {field, equals|notEquals|in|containsAny}, {all: [...]}, {any: [...]} or {not: {...}}';
const FIELD_OPERATORS = ['equals', 'notEquals', 'in', 'containsAny'] as const;

/** A filter as written: one object of optional keys (children already read), checked for exactly one shape. */
interface RawFilter {
  field?: FieldRef | undefined;
  equals?: Scalar | undefined;
  notEquals?: Scalar | undefined;
  in?: Scalar[] | undefined;
  containsAny?: string[] | undefined;
  all?: Filter[] | undefined;
  any?: Filter[] | undefined;
  not?: Filter | undefined;
}

/** The filter of a checked {@link RawFilter}, with only the keys that were given. */
function toFilter(raw: RawFilter, ctx: z.RefinementCtx): Filter {
  if (raw.all !== undefined) return { all: raw.all };
  if (raw.any !== undefined) return { any: raw.any };
  if (raw.not !== undefined) return { not: raw.not };
  if (raw.field === undefined) {
    ctx.addIssue({ code: 'custom', message: FILTER_SHAPES });
    return z.NEVER;
  }
  return {
    field: raw.field,
    ...(raw.equals !== undefined ? { equals: raw.equals } : {}),
    ...(raw.notEquals !== undefined ? { notEquals: raw.notEquals } : {}),
    ...(raw.in !== undefined ? { in: raw.in } : {}),
    ...(raw.containsAny !== undefined ? { containsAny: raw.containsAny } : {}),
  };
}

/** The filter language, validated into a {@link Filter}. */
const filterSchema: z.ZodType<Filter> = z
  .object({
    field: fieldRefSchema.optional(),
    equals: scalarSchema.optional(),
    notEquals: scalarSchema.optional(),
    in: z.array(scalarSchema).min(1, 'must list at least 1 value').optional(),
    containsAny: z.array(z.string().min(1, 'must not be empty')).min(1, 'must list at least 1 substring').optional(),
    get all() {
      return z.array(filterSchema).min(1, 'must list at least 1 filter').optional();
    },
    get any() {
      return z.array(filterSchema).min(1, 'must list at least 1 filter').optional();
    },
    get not() {
      return filterSchema.optional();
    },
  })
  .strict()
  .superRefine((f, ctx) => {
    const shapes = (['field', 'all', 'any', 'not'] as const).filter((key) => f[key] !== undefined);
    const operators = FIELD_OPERATORS.filter((key) => f[key] !== undefined);
    if (shapes.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        message: shapes.length === 0 ? FILTER_SHAPES : `${FILTER_SHAPES}, not several (${shapes.join(', ')})`,
      });
    } else if (shapes[0] === 'field' && operators.length === 0) {
      ctx.addIssue({ code: 'custom', message: 'needs at least one of equals, notEquals, in, containsAny', path: ['field'] });
    } else if (shapes[0] !== 'field' && operators.length > 0) {
      ctx.addIssue({ code: 'custom', message: `${operators.join(', ')} only go with field`, path: [operators[0] as string] });
    }
  })
  .transform((raw: RawFilter, ctx) => toFilter(raw, ctx));

const compactFormat = z.literal(COMPACT_FORMAT, { error: `must be "${COMPACT_FORMAT}" (the only supported form)` });

const valueSchema = z
  .object({
    field: fieldRefSchema.optional(),
    durationMs: z
      .object({
        from: z
          .object({ timestampPrefixOf: fieldRefSchema, digits: z.literal(17, { error: 'must be 17' }), format: compactFormat })
          .strict(),
        to: z.object({ timestampOf: fieldRefSchema, format: compactFormat }).strict(),
      })
      .strict()
      .optional(),
  })
  .strict()
  .transform((v, ctx): ValueExpr => {
    if (v.field !== undefined && v.durationMs === undefined) return { field: v.field };
    if (v.field === undefined && v.durationMs !== undefined) return { durationMs: v.durationMs };
    ctx.addIssue({ code: 'custom', message: 'must be {field} or {durationMs: {from, to}}' });
    return z.NEVER;
  });

const NAME = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;
const NAME_HINT = 'must be 1-64 characters: a letter, then letters, digits, _ . -';

const measureSchema = z
  .object({
    name: z
      .string()
      .regex(NAME, NAME_HINT)
      .refine((n) => n !== EVENTS_METRIC, `"${EVENTS_METRIC}" is the built-in event counter`),
    filter: filterSchema.optional(),
    value: valueSchema.optional(),
    groupBy: z.array(fieldRefSchema).min(1, 'must list at least 1 field (or be left out)').max(4, 'must list at most 4 fields').optional(),
    agg: z
      .array(z.enum(['count', 'sum', 'min', 'max'], { error: 'must be count, sum, min or max' }))
      .min(1, 'must list at least 1 aggregate'),
  })
  .strict()
  .superRefine((m, ctx) => {
    if (m.value === undefined && m.agg.some((a) => a !== 'count')) {
      ctx.addIssue({ code: 'custom', message: 'sum, min and max need a value', path: ['value'] });
    }
    if (new Set(m.agg).size !== m.agg.length) ctx.addIssue({ code: 'custom', message: 'lists an aggregate twice', path: ['agg'] });
    if (m.groupBy !== undefined && new Set(m.groupBy).size !== m.groupBy.length) {
      ctx.addIssue({ code: 'custom', message: 'lists a field twice', path: ['groupBy'] });
    }
  });

/** A measure with its own (mutable) arrays, as a zod default must be. */
const copyMeasure = ({ name, filter, value, groupBy, agg }: Measure) => ({
  name,
  agg: [...agg],
  ...(filter !== undefined ? { filter } : {}),
  ...(value !== undefined ? { value } : {}),
  ...(groupBy !== undefined ? { groupBy: [...groupBy] } : {}),
});

const timeZoneSchema = z.string().refine(isValidTimeZone, 'must be an IANA time zone such as Asia/Shanghai');

const windowRuleSchema = z
  .object({
    id: z.string().regex(NAME, NAME_HINT),
    description: z.string().max(1024, 'must be at most 1024 characters').optional(),
    filter: filterSchema,
    groupBy: fieldRefSchema,
    threshold: positiveInt(1_000_000_000),
    windowSeconds: positiveInt(900),
    maxGroups: positiveInt(100_000).default(DEFAULT_MAX_WINDOW_GROUPS),
  })
  .strict();

/**
 * The whole configuration. Everything but the two time zones has a default, so a stage can send
 * only what it changes (a list such as `windowRules` or `measures` is replaced, not merged).
 */
export const analyticsConfigSchema = z
  .object({
    errorPatterns: z.array(z.string().min(1, 'must not be empty')).default([...DEFAULT_ERROR_PATTERNS]),
    windowRules: z
      .array(windowRuleSchema)
      .default(() => defaultWindowRules().map((rule) => ({ ...rule, maxGroups: rule.maxGroups ?? DEFAULT_MAX_WINDOW_GROUPS }))),
    metrics: z
      .object({
        timeZone: timeZoneSchema,
        latenessSeconds: z.int('must be an integer').min(0, 'must be at least 0').max(86_400, 'must be at most 86400').default(300),
        dimensions: z.array(fieldRefSchema).default([...DEFAULT_DIMENSIONS]),
        measures: z.array(measureSchema).default(() => DEFAULT_MEASURES.map(copyMeasure)),
      })
      .strict(),
    paths: z
      .object({
        timeZone: timeZoneSchema,
        sessionGapSeconds: positiveInt(86_400).default(1800),
        // A session item holds at most this many page views of ≤ 256-byte pages and ≤ 64-character ids: under DynamoDB's 400 KB.
        maxSessionEvents: positiveInt(500).default(200),
        maxClosedSessions: z.int('must be an integer').min(0, 'must be at least 0').max(100, 'must be at most 100').default(20),
      })
      .strict(),
  })
  .strict()
  .superRefine((c, ctx) => {
    const firstOf = new Map<string, number>();
    c.windowRules.forEach((rule, i) => {
      const first = firstOf.get(rule.id);
      if (first !== undefined)
        ctx.addIssue({ code: 'custom', message: `duplicates windowRules[${first}].id`, path: ['windowRules', i, 'id'] });
      else firstOf.set(rule.id, i);
      const head = c.windowRules[0];
      if (i > 0 && head !== undefined && rule.windowSeconds !== head.windowSeconds) {
        ctx.addIssue({
          code: 'custom',
          message: `must equal windowRules[0].windowSeconds (${head.windowSeconds}): one consumer has one tumbling window`,
          path: ['windowRules', i, 'windowSeconds'],
        });
      }
    });
    const names = new Map<string, number>();
    c.metrics.measures.forEach((m, i) => {
      const first = names.get(m.name);
      if (first !== undefined)
        ctx.addIssue({ code: 'custom', message: `duplicates metrics.measures[${first}].name`, path: ['metrics', 'measures', i, 'name'] });
      else names.set(m.name, i);
    });
    const fieldsTooLong = `field names must total at most ${MAX_DIMENSION_FIELDS_BYTES} bytes (UTF-8): they are part of each counter's DynamoDB sort key`;
    c.metrics.dimensions.forEach((field, i) => {
      if (Buffer.byteLength(field) > MAX_DIMENSION_FIELDS_BYTES)
        ctx.addIssue({ code: 'custom', message: fieldsTooLong, path: ['metrics', 'dimensions', i] });
    });
    c.metrics.measures.forEach((m, i) => {
      if (m.groupBy !== undefined && Buffer.byteLength(m.groupBy.join('&')) > MAX_DIMENSION_FIELDS_BYTES) {
        ctx.addIssue({ code: 'custom', message: fieldsTooLong, path: ['metrics', 'measures', i, 'groupBy'] });
      }
    });
    if (new Set(c.metrics.dimensions).size !== c.metrics.dimensions.length) {
      ctx.addIssue({ code: 'custom', message: 'lists a field twice', path: ['metrics', 'dimensions'] });
    }
  });

/** Thrown by {@link parseAnalyticsConfig}; `field` is a path such as `windowRules[0].threshold`, the message lists every issue as `field: reason`. */
export class AnalyticsConfigError extends ConfigError {
  constructor(issues: readonly FieldIssue[]) {
    super('ANALYTICS_CONFIG', issues);
    this.name = 'AnalyticsConfigError';
  }
}

const pathText = (path: readonly PropertyKey[]): string =>
  path.length === 0
    ? '(root)'
    : path.reduce<string>(
        (out, key) => (typeof key === 'number' ? `${out}[${key}]` : out === '' ? String(key) : `${out}.${String(key)}`),
        '',
      );

/** The input value at `path`, or undefined. */
function inputAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let current = root;
  for (const key of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

/** Zod issues as field/reason pairs; an unknown key is named as the field itself. */
function toIssues(issues: readonly z.core.$ZodIssue[], input: unknown): FieldIssue[] {
  return issues.flatMap((issue): FieldIssue[] => {
    if (issue.code === 'unrecognized_keys')
      return issue.keys.map((key) => ({ field: pathText([...issue.path, key]), reason: 'unknown field' }));
    if (issue.code === 'invalid_type' && issue.path.length > 0 && inputAt(input, issue.path) === undefined) {
      return [{ field: pathText(issue.path), reason: 'is required' }];
    }
    return [{ field: pathText(issue.path), reason: issue.message }];
  });
}

/** Validates an already-parsed configuration value and fills in defaults. Throws {@link AnalyticsConfigError} naming every bad field. */
export function validateAnalyticsConfig(value: unknown): AnalyticsConfig {
  const parsed = analyticsConfigSchema.safeParse(value);
  if (!parsed.success) throw new AnalyticsConfigError(toIssues(parsed.error.issues, value));
  return parsed.data;
}

/** Parses the `ANALYTICS_CONFIG` JSON text and validates it. Throws {@link AnalyticsConfigError} (field `(root)` when it is not JSON). */
export function parseAnalyticsConfig(json: string): AnalyticsConfig {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (error) {
    throw new AnalyticsConfigError([{ field: '(root)', reason: `not JSON: ${error instanceof Error ? error.message : String(error)}` }]);
  }
  return validateAnalyticsConfig(value);
}

/** The default configuration for a stage whose time zone is `timeZone`. Throws {@link AnalyticsConfigError} for an unknown zone or bad thresholds. */
export function defaultAnalyticsConfig(timeZone: string, options: DefaultConfigOptions = {}): AnalyticsConfig {
  return validateAnalyticsConfig({
    windowRules: defaultWindowRules(options),
    metrics: { timeZone },
    paths: { timeZone },
  });
}
