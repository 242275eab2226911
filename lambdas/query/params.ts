import { DateTime } from 'luxon';
import { z } from 'zod';
import { defaultAnalyticsConfig, EVENTS_METRIC } from '../analytics/config';
import { localMinute, localToEpoch, utcFields } from '../analytics/time';
import type { FieldIssue } from '../shared/issues';
import type { AlertKind } from '../shared/read-api';
import { KEYS } from '../shared/results-table';
import { alertsTimeRange } from './reads';

/**
 * Query-parameter rules of the read API (docs/read-api.md), as pure functions: each route's
 * parameters are parsed with zod, defaults come from the injected clock, and the first problem
 * is reported as `{field, reason}` (the handler turns it into a 400).
 */

/** The parsed query of a route, or the first problem with it. */
export type ParseResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: FieldIssue };

/** Query-string parameters as API Gateway passes them (payload 1.0: one value per name). */
export type QueryStrings = Readonly<Record<string, string | undefined>>;

/** Bounds and defaults of the read API. */
export const QUERY_LIMITS = {
  alertsDefaultHours: 24,
  alertsMaxDays: 31,
  alertsDefaultLimit: 100,
  alertsMaxLimit: 1000,
  metricsDefaultMinutes: 60,
  metricsMaxDays: 7,
  pathsDefaultLimit: 200,
  pathsMaxLimit: 5000,
} as const;

/** The derived metric: `recharge.success` / `recharge` per minute. */
export const SUCCESS_RATE_METRIC = 'recharge.successRate';
const RECHARGE = 'recharge';
const RECHARGE_SUCCESS = 'recharge.success';

const MS_PER_MINUTE = 60_000;
const MS_PER_HOUR = 3_600_000;
const MS_PER_DAY = 86_400_000;

// ---------------------------------------------------------------------------------------------
// Metric catalog

/** What the read API knows about one metric name. */
export interface MetricSpec {
  readonly name: string;
  /** `events` (the built-in counter), a configured measure, or the derived success rate. */
  readonly kind: 'events' | 'measure' | 'ratio';
  /** `events`: the dimensions counted separately. A measure: its `groupBy` fields (stored together). */
  readonly fields: readonly string[];
}

/** The known metric names, in the order the analytics configuration lists them. */
export type MetricCatalog = ReadonlyMap<string, MetricSpec>;

/**
 * The metrics of the stage's default analytics configuration (`events`, each measure, and
 * `recharge.successRate` when `recharge` and `recharge.success` are ungrouped measures).
 * Throws RangeError for an unknown time zone.
 */
export function metricCatalog(timeZone: string): MetricCatalog {
  let config;
  try {
    config = defaultAnalyticsConfig(timeZone);
  } catch (error) {
    throw new RangeError(error instanceof Error ? error.message : String(error), { cause: error });
  }
  const catalog = new Map<string, MetricSpec>();
  catalog.set(EVENTS_METRIC, { name: EVENTS_METRIC, kind: 'events', fields: [...config.metrics.dimensions] });
  for (const measure of config.metrics.measures)
    catalog.set(measure.name, { name: measure.name, kind: 'measure', fields: [...(measure.groupBy ?? [])] });
  const ungrouped = (name: string) => catalog.get(name)?.kind === 'measure' && catalog.get(name)?.fields.length === 0;
  if (ungrouped(RECHARGE) && ungrouped(RECHARGE_SUCCESS))
    catalog.set(SUCCESS_RATE_METRIC, { name: SUCCESS_RATE_METRIC, kind: 'ratio', fields: [] });
  return catalog;
}

// ---------------------------------------------------------------------------------------------
// Shared pieces

/** What parsing depends on besides the parameters. */
export interface ParamContext {
  /** The clock that defaults are computed from. */
  readonly now: Date;
  /** The stage's time zone (minute buckets, days). */
  readonly timeZone: string;
  readonly catalog: MetricCatalog;
}

/** A blank value is the same as leaving the parameter out. */
const optionalParam = <T extends z.ZodType>(schema: T) => z.preprocess((value) => (value === '' ? undefined : value), schema.optional());

/** An integer parameter in `min..max`. */
const integerParam = (min: number, max: number, reason: string) =>
  z.string().transform((text, ctx) => {
    const value = /^\d{1,16}$/.test(text) ? Number(text) : Number.NaN;
    if (!Number.isSafeInteger(value) || value < min || value > max) {
      ctx.addIssue({ code: 'custom', message: reason });
      return z.NEVER;
    }
    return value;
  });

const ISO_WITH_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}(?::?\d{2})?)$/;
const ISO_HINT = 'must be an ISO 8601 time with an offset or Z, e.g. 2024-05-27T11:00:00+08:00';

/**
 * Epoch ms of an ISO time with an explicit offset, or undefined. A space before the offset is
 * read as `+` (an unencoded `+` in a query string arrives as a space).
 */
function parseIsoInstant(raw: string): number | undefined {
  const text = raw.trim().replace(/ (\d{2}(?::?\d{2})?)$/, '+$1');
  if (!ISO_WITH_OFFSET.test(text)) return undefined;
  const parsed = DateTime.fromISO(text, { setZone: true });
  return parsed.isValid ? parsed.toMillis() : undefined;
}

const isoInstant = z.string().transform((text, ctx) => {
  const ms = parseIsoInstant(text);
  if (ms === undefined) {
    ctx.addIssue({ code: 'custom', message: ISO_HINT });
    return z.NEVER;
  }
  return ms;
});

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Epoch ms of midnight UTC of a `YYYY-MM-DD` calendar date, or undefined. */
function dayMs(text: string): number | undefined {
  const m = DAY.exec(text);
  return m === null ? undefined : utcFields(Number(m[1]), Number(m[2]), Number(m[3]), 0, 0, 0, 0);
}

const dayParam = z.string().refine((text) => dayMs(text) !== undefined, 'must be a date YYYY-MM-DD');

/** `YYYY-MM-DD` of an epoch ms read as UTC. */
const utcDay = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/** Every calendar day from `first` to `last` (both `YYYY-MM-DD`, `first` ≤ `last`), in order. */
function daysBetween(first: string, last: string): string[] {
  const start = dayMs(first);
  const end = dayMs(last);
  if (start === undefined || end === undefined) return [];
  const days: string[] = [];
  for (let t = start; t <= end; t += MS_PER_DAY) days.push(utcDay(t));
  return days;
}

/** The first problem zod found, as a parameter error; unknown parameters are named with the ones the route takes. */
function firstError(error: z.ZodError, known: readonly string[]): FieldIssue {
  const issue = error.issues[0];
  if (issue === undefined) return { field: '', reason: 'invalid parameters' };
  if (issue.code === 'unrecognized_keys') {
    return { field: issue.keys[0] ?? '', reason: `is not a parameter of this route (it takes ${known.join(', ')})` };
  }
  return { field: String(issue.path[0] ?? ''), reason: issue.message };
}

const fail = (field: string, reason: string): { readonly ok: false; readonly error: FieldIssue } => ({
  ok: false,
  error: { field, reason },
});

// ---------------------------------------------------------------------------------------------
// GET /v1/alerts

/** Where a page of alerts ends: the UTC day being read and DynamoDB's key to go on from (none: the day's start). */
export interface AlertsCursor {
  readonly day: string;
  readonly key?: Readonly<Record<string, string>>;
}

/** A parsed `GET /v1/alerts`. */
export interface AlertsQuery {
  /** ISO UTC with milliseconds. */
  readonly since: string;
  readonly until: string;
  /** UTC days of the `byTime` index to read, newest first. */
  readonly days: readonly string[];
  readonly kind?: AlertKind;
  readonly limit: number;
  /** Where the previous page ended (`nextToken`). */
  readonly cursor?: AlertsCursor;
}

const ALERT_KEY_NAMES = ['gpk', 'gsk', 'pk', 'sk'] as const;

/** The opaque `nextToken` of a cursor: base64url JSON `{"d":day,"k":lastEvaluatedKey}`. Never fails. */
export function encodeNextToken(cursor: AlertsCursor): string {
  return Buffer.from(JSON.stringify(cursor.key === undefined ? { d: cursor.day } : { d: cursor.day, k: cursor.key }), 'utf8').toString(
    'base64url',
  );
}

/** The cursor of a `nextToken`, or undefined when it is not one {@link encodeNextToken} wrote. Never throws. */
export function decodeNextToken(token: string): AlertsCursor | undefined {
  if (!/^[A-Za-z0-9_-]{1,2048}$/.test(token)) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const { d: day, k: key, ...rest } = value as Record<string, unknown>;
  if (Object.keys(rest).length > 0 || typeof day !== 'string' || dayMs(day) === undefined) return undefined;
  if (key === undefined) return { day };
  if (typeof key !== 'object' || key === null || Array.isArray(key)) return undefined;
  const entries = Object.entries(key);
  const names = entries.map(([name]) => name).sort();
  if (names.join(',') !== ALERT_KEY_NAMES.join(',') || !entries.every(([, v]) => typeof v === 'string')) return undefined;
  const typed = key as Record<string, string>;
  if (typed.gpk !== KEYS.alertsByDay(day)) return undefined;
  return { day, key: typed };
}

/** DynamoDB's key-size limits in UTF-8 bytes: 2048 for a partition key, 1024 for a sort key. */
const KEY_BYTES = { partition: 2048, sort: 1024 } as const;

/** The prefixes every alert item's `pk` starts with (`ALERT#error#…`, `ALERT#window#…`), and its `sk`. */
const ALERT_PK = /^ALERT#(error|window)#./s;
const ALERT_SK = KEYS.errorAlert('').sk;

/**
 * Why a decoded cursor cannot continue the query of `days` from `sinceMs` to `untilMs`, or
 * undefined when it can: its day must be one of the query's, its key an alert key of that day
 * within DynamoDB's key sizes, and its `gsk` inside the query's time range (DynamoDB refuses a
 * start key outside the key condition with a ValidationException). Never throws.
 */
function cursorMisfit(cursor: AlertsCursor, days: readonly string[], sinceMs: number, untilMs: number): string | undefined {
  if (!days.includes(cursor.day)) return `is for ${cursor.day}, outside this query's days (same since and until as the first page)`;
  const key = cursor.key;
  if (key === undefined) return undefined;
  const { pk = '', sk = '', gsk = '' } = key;
  if (!ALERT_PK.test(pk) || Buffer.byteLength(pk, 'utf8') > KEY_BYTES.partition) return 'holds a key that is not an alert key';
  if (sk !== ALERT_SK) return 'holds a key that is not an alert key';
  if (gsk === '' || Buffer.byteLength(gsk, 'utf8') > KEY_BYTES.sort)
    return `holds a time key that is empty or longer than ${KEY_BYTES.sort} bytes`;
  const range = alertsTimeRange(new Date(sinceMs).toISOString(), new Date(untilMs).toISOString());
  if (gsk < range.low || gsk > range.high || !gsk.startsWith(cursor.day)) {
    return 'holds a position outside this query (same since and until as the first page)';
  }
  return undefined;
}

const ALERTS_PARAMS = ['since', 'until', 'kind', 'limit', 'nextToken'] as const;

const alertsSchema = z.strictObject({
  since: optionalParam(isoInstant),
  until: optionalParam(isoInstant),
  kind: optionalParam(z.enum(['error', 'window'], { error: 'must be error or window' })),
  limit: optionalParam(integerParam(1, QUERY_LIMITS.alertsMaxLimit, `must be an integer from 1 to ${QUERY_LIMITS.alertsMaxLimit}`)),
  nextToken: optionalParam(z.string()),
});

/**
 * Parses `GET /v1/alerts` parameters: `until` defaults to now, `since` to 24 h before `until`;
 * `until` ≥ `since`, at most 31 days apart; a `nextToken` must come from a page of the same range.
 */
export function parseAlertsParams(query: QueryStrings, ctx: ParamContext): ParseResult<AlertsQuery> {
  const parsed = alertsSchema.safeParse(query);
  if (!parsed.success) return { ok: false, error: firstError(parsed.error, ALERTS_PARAMS) };
  const p = parsed.data;
  const untilMs = p.until ?? ctx.now.getTime();
  const sinceMs = p.since ?? untilMs - QUERY_LIMITS.alertsDefaultHours * MS_PER_HOUR;
  const blame = p.until !== undefined ? 'until' : 'since';
  if (untilMs < sinceMs) return fail(blame, p.until !== undefined ? 'must not be before since' : 'must not be after until (now)');
  if (untilMs - sinceMs > QUERY_LIMITS.alertsMaxDays * MS_PER_DAY) {
    return fail(
      blame,
      p.until !== undefined
        ? `must be at most ${QUERY_LIMITS.alertsMaxDays} days after since`
        : `must be at most ${QUERY_LIMITS.alertsMaxDays} days before until (now)`,
    );
  }
  const days = daysBetween(utcDay(sinceMs), utcDay(untilMs)).reverse();
  let cursor: AlertsCursor | undefined;
  if (p.nextToken !== undefined) {
    cursor = decodeNextToken(p.nextToken);
    const misfit =
      cursor === undefined
        ? 'is not a token of a previous page of this query (same since, until and kind)'
        : cursorMisfit(cursor, days, sinceMs, untilMs);
    if (misfit !== undefined) return fail('nextToken', misfit);
  }
  return {
    ok: true,
    value: {
      since: new Date(sinceMs).toISOString(),
      until: new Date(untilMs).toISOString(),
      days,
      limit: p.limit ?? QUERY_LIMITS.alertsDefaultLimit,
      ...(p.kind !== undefined ? { kind: p.kind } : {}),
      ...(cursor !== undefined ? { cursor } : {}),
    },
  };
}

// ---------------------------------------------------------------------------------------------
// GET /v1/metrics

/** One DynamoDB partition family to read: `KEYS.metricDay(metric, dimFields, day)` for each day. */
export interface MetricSource {
  readonly metric: string;
  readonly dimFields: string;
}

/** A parsed `GET /v1/metrics`. */
export interface MetricsQuery {
  readonly name: string;
  readonly kind: MetricSpec['kind'];
  /** Local minutes `YYYY-MM-DDTHH:mm`, both included. */
  readonly from: string;
  readonly to: string;
  /** The `dim` asked for, its fields in stored order; undefined: the series without dimensions. */
  readonly dim?: string;
  /** Local days whose partitions hold the range. */
  readonly days: readonly string[];
  /** Partitions to read (two for the success rate: `recharge`, then `recharge.success`). */
  readonly sources: readonly MetricSource[];
  /** The dimension fields each series is keyed by (stored counters are added up over the others). */
  readonly groupFields: readonly string[];
}

const LOCAL_MINUTE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$/;
const MINUTE_HINT = 'must be a local minute YYYY-MM-DDTHH:mm or an ISO 8601 time with an offset or Z';

/** A local minute label and the instant it starts at (in `timeZone`), or undefined. */
function parseMinute(text: string, timeZone: string): { readonly label: string; readonly ms: number } | undefined {
  const m = LOCAL_MINUTE.exec(text);
  if (m !== null) {
    const naive = utcFields(Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]), 0, 0);
    return naive === undefined ? undefined : { label: text, ms: localToEpoch(naive, timeZone) };
  }
  const instant = parseIsoInstant(text);
  if (instant === undefined) return undefined;
  const ms = Math.floor(instant / MS_PER_MINUTE) * MS_PER_MINUTE;
  return { label: localMinute(ms, timeZone), ms };
}

const METRICS_PARAMS = ['name', 'from', 'to', 'dim'] as const;

const metricsSchema = z.strictObject({
  name: z.preprocess((value) => (value === '' ? undefined : value), z.string({ error: 'is required' })),
  from: optionalParam(z.string()),
  to: optionalParam(z.string()),
  dim: optionalParam(z.string()),
});

/** The partitions and grouping of `spec` for `dim`, or the reason `dim` does not fit it. */
function plan(
  spec: MetricSpec,
  dim: string | undefined,
): { readonly sources: MetricSource[]; readonly groupFields: string[]; readonly dim?: string } | string {
  if (spec.kind === 'ratio') {
    return dim === undefined
      ? {
          sources: [
            { metric: RECHARGE, dimFields: '' },
            { metric: RECHARGE_SUCCESS, dimFields: '' },
          ],
          groupFields: [],
        }
      : `${spec.name} has no dimensions`;
  }
  if (spec.kind === 'events') {
    if (dim === undefined) return { sources: [{ metric: spec.name, dimFields: '' }], groupFields: [] };
    return spec.fields.includes(dim)
      ? { sources: [{ metric: spec.name, dimFields: dim }], groupFields: [dim], dim }
      : `must be one of ${spec.fields.join(', ')} for ${spec.name}`;
  }
  if (spec.fields.length === 0)
    return dim === undefined ? { sources: [{ metric: spec.name, dimFields: '' }], groupFields: [] } : `${spec.name} has no dimensions`;
  // A grouped measure is stored under all its groupBy fields together; any of them (or several,
  // joined with `&`) is served by adding up the stored counters, none gives the total.
  const stored = { metric: spec.name, dimFields: spec.fields.join('&') };
  if (dim === undefined) return { sources: [stored], groupFields: [] };
  const asked = dim.split('&');
  const unique = new Set(asked);
  if (unique.size !== asked.length || !asked.every((field) => spec.fields.includes(field))) {
    const combination = spec.fields.length > 1 ? ` or several of them joined with & (e.g. ${spec.fields.join('&')})` : '';
    return `must be one of ${spec.fields.join(', ')}${combination} for ${spec.name}`;
  }
  const groupFields = spec.fields.filter((field) => unique.has(field));
  return { sources: [stored], groupFields, dim: groupFields.join('&') };
}

/**
 * Parses `GET /v1/metrics` parameters: `name` must be a known metric, `to` defaults to the
 * current minute, `from` to 60 minutes before `to`; `from` ≤ `to`, at most 7 days apart; `dim`
 * must be a dimension of the metric.
 */
export function parseMetricsParams(query: QueryStrings, ctx: ParamContext): ParseResult<MetricsQuery> {
  const parsed = metricsSchema.safeParse(query);
  if (!parsed.success) return { ok: false, error: firstError(parsed.error, METRICS_PARAMS) };
  const p = parsed.data;
  const spec = ctx.catalog.get(p.name);
  if (spec === undefined) return fail('name', `must be one of ${[...ctx.catalog.keys()].join(', ')}`);

  let to: { readonly label: string; readonly ms: number };
  if (p.to === undefined) {
    const ms = Math.floor(ctx.now.getTime() / MS_PER_MINUTE) * MS_PER_MINUTE;
    to = { label: localMinute(ms, ctx.timeZone), ms };
  } else {
    const given = parseMinute(p.to, ctx.timeZone);
    if (given === undefined) return fail('to', MINUTE_HINT);
    to = given;
  }
  let from: { readonly label: string; readonly ms: number };
  if (p.from === undefined) {
    const ms = to.ms - QUERY_LIMITS.metricsDefaultMinutes * MS_PER_MINUTE;
    from = { label: localMinute(ms, ctx.timeZone), ms };
  } else {
    const given = parseMinute(p.from, ctx.timeZone);
    if (given === undefined) return fail('from', MINUTE_HINT);
    from = given;
  }
  const blame = p.to !== undefined ? 'to' : 'from';
  if (to.ms < from.ms || to.label < from.label)
    return fail(blame, p.to !== undefined ? 'must not be before from' : 'must not be after to (now)');
  if (to.ms - from.ms > QUERY_LIMITS.metricsMaxDays * MS_PER_DAY) {
    return fail(
      blame,
      p.to !== undefined
        ? `must be at most ${QUERY_LIMITS.metricsMaxDays} days after from`
        : `must be at most ${QUERY_LIMITS.metricsMaxDays} days before to (now)`,
    );
  }

  const planned = plan(spec, p.dim);
  if (typeof planned === 'string') return fail('dim', planned);
  return {
    ok: true,
    value: {
      name: spec.name,
      kind: spec.kind,
      from: from.label,
      to: to.label,
      days: daysBetween(from.label.slice(0, 10), to.label.slice(0, 10)),
      sources: planned.sources,
      groupFields: planned.groupFields,
      ...(planned.dim !== undefined ? { dim: planned.dim } : {}),
    },
  };
}

// ---------------------------------------------------------------------------------------------
// GET /v1/paths and /v1/paths.csv

/** A parsed `GET /v1/paths`. */
export interface PathsQuery {
  /** Local day `YYYY-MM-DD`. */
  readonly date: string;
  readonly minWeight: number;
  readonly limit: number;
}

/** A parsed `GET /v1/paths.csv`. */
export interface PathsCsvQuery {
  readonly date: string;
}

const PATHS_PARAMS = ['date', 'minWeight', 'limit'] as const;
const PATHS_CSV_PARAMS = ['date'] as const;

const pathsSchema = z.strictObject({
  date: optionalParam(dayParam),
  minWeight: optionalParam(integerParam(1, Number.MAX_SAFE_INTEGER, 'must be an integer of at least 1')),
  limit: optionalParam(integerParam(1, QUERY_LIMITS.pathsMaxLimit, `must be an integer from 1 to ${QUERY_LIMITS.pathsMaxLimit}`)),
});

const pathsCsvSchema = z.strictObject({ date: optionalParam(dayParam) });

/** Today in the stage's time zone. */
const today = (ctx: ParamContext): string => localMinute(ctx.now.getTime(), ctx.timeZone).slice(0, 10);

/** Parses `GET /v1/paths` parameters: `date` defaults to today (stage zone), `minWeight` to 1, `limit` to 200 (1..5000). */
export function parsePathsParams(query: QueryStrings, ctx: ParamContext): ParseResult<PathsQuery> {
  const parsed = pathsSchema.safeParse(query);
  if (!parsed.success) return { ok: false, error: firstError(parsed.error, PATHS_PARAMS) };
  const p = parsed.data;
  return { ok: true, value: { date: p.date ?? today(ctx), minWeight: p.minWeight ?? 1, limit: p.limit ?? QUERY_LIMITS.pathsDefaultLimit } };
}

/** Parses `GET /v1/paths.csv` parameters: `date` defaults to today (stage zone). */
export function parsePathsCsvParams(query: QueryStrings, ctx: ParamContext): ParseResult<PathsCsvQuery> {
  const parsed = pathsCsvSchema.safeParse(query);
  if (!parsed.success) return { ok: false, error: firstError(parsed.error, PATHS_CSV_PARAMS) };
  return { ok: true, value: { date: parsed.data.date ?? today(ctx) } };
}
