/**
 * Pure data shaping behind every chart of the dashboard: read-API answers in, chart-ready data
 * out. No DOM, no fetch, no ECharts: the unit tests run this under Node.
 */

// ---------------------------------------------------------------------------------------------
// Answers of the read API (docs/read-api.md)
// ---------------------------------------------------------------------------------------------

export type {
  Alert,
  AlertsAnswer,
  ErrorAlert,
  MetricBucket,
  MetricSeries,
  MetricsAnswer,
  PathEdge,
  PathsAnswer,
  RateBucket,
  WindowAlert,
} from '../../lambdas/shared/read-api';
import type { Alert, MetricBucket, MetricSeries, MetricsAnswer, PathEdge, WindowAlert } from '../../lambdas/shared/read-api';

// ---------------------------------------------------------------------------------------------
// Time helpers (minute strings in the stage's time zone)
// ---------------------------------------------------------------------------------------------

const MINUTE_RE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/;
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** Wall-clock parts of an instant in a time zone; throws RangeError on an unknown zone. */
function wallClock(ms: number, timeZone: string): { date: string; minute: string; clock: string } {
  const parts: Record<string, string> = {};
  for (const p of formatter(timeZone).formatToParts(new Date(ms))) parts[p.type] = p.value;
  const hour = parts.hour === '24' ? '00' : parts.hour;
  const date = `${parts.year}-${parts.month}-${parts.day}`;
  return { date, minute: `${date}T${hour}:${parts.minute}`, clock: `${hour}:${parts.minute}:${parts.second}` };
}

/** The local minute (`YYYY-MM-DDTHH:mm`) of an ISO instant in the time zone; undefined if the time does not parse. */
export function localMinute(iso: string, timeZone: string): string | undefined {
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? undefined : wallClock(ms, timeZone).minute;
}

/** The local date (`YYYY-MM-DD`) of an instant in the time zone. */
export function localDate(ms: number, timeZone: string): string {
  return wallClock(ms, timeZone).date;
}

/** `YYYY-MM-DD HH:mm:ss` of an instant in the time zone (for "last updated" and the alerts feed). */
export function localDateTime(ms: number, timeZone: string): string {
  const w = wallClock(ms, timeZone);
  return `${w.date} ${w.clock}`;
}

/** A minute string's position on a naive minute scale (wall-clock arithmetic; DST-free by design). */
function minuteIndex(minute: string): number | undefined {
  const m = MINUTE_RE.exec(minute);
  if (!m) return undefined;
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5])) / 60_000;
}

function minuteAt(index: number): string {
  return new Date(index * 60_000).toISOString().slice(0, 16);
}

/** The minute `n` minutes after `minute` (wall-clock arithmetic); undefined if it does not parse. */
export function addMinutes(minute: string, n: number): string | undefined {
  const i = minuteIndex(minute);
  return i === undefined ? undefined : minuteAt(i + n);
}

/**
 * Every minute from `from` to `to`, both included (only their first 16 characters count). Empty
 * when either does not parse or `to` is before `from`; at most `maxPoints` minutes (the latest).
 */
export function minuteAxis(from: string, to: string, maxPoints = 7 * 24 * 60 + 1): string[] {
  const a = minuteIndex(from);
  const b = minuteIndex(to);
  if (a === undefined || b === undefined || b < a) return [];
  const start = Math.max(a, b - maxPoints + 1);
  const out: string[] = [];
  for (let i = start; i <= b; i += 1) out.push(minuteAt(i));
  return out;
}

// ---------------------------------------------------------------------------------------------
// Sankey
// ---------------------------------------------------------------------------------------------

/** What the Sankey shows of a day's edges. */
export interface SankeyFilter {
  /** Keep the N heaviest edges (after the other filters). */
  readonly topN: number;
  /** Drop edges lighter than this. */
  readonly minWeight: number;
  /** Show steps 1..maxDepth: an edge into a later step is dropped. */
  readonly maxDepth: number;
}

/** A Sankey node: `name` is the step-indexed id, `label` the page alone, `depth` the column (step − 1). */
export interface SankeyNode {
  readonly name: string;
  readonly label: string;
  readonly depth: number;
}

export interface SankeyLink {
  readonly source: string;
  readonly target: string;
  readonly value: number;
}

/** ECharts-ready `{nodes, links}` with the counts the page reports under the chart. */
export interface SankeyData {
  readonly nodes: readonly SankeyNode[];
  readonly links: readonly SankeyLink[];
  /** Edges in the answer. */
  readonly totalEdges: number;
  /** Edges left out by the filters (or because their names carry no forward step). */
  readonly hiddenEdges: number;
  /** Sum of the weights shown on links leaving step 1 (sessions entering the chart). */
  readonly entrySessions: number;
}

const STEP_RE = /^(.*) \((\d+)\)$/;

/** Splits a node name `"<page> (<step>)"` into page and step; undefined when it has no step suffix. */
export function parseStepNode(name: string): { page: string; step: number } | undefined {
  const m = STEP_RE.exec(name);
  if (!m) return undefined;
  const step = Number(m[2]);
  return step >= 1 && Number.isSafeInteger(step) ? { page: m[1], step } : undefined;
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Clamps a user-entered number to an integer ≥ min (NaN gives min). */
export function clampInt(value: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (!Number.isFinite(value)) return min;
  return Math.min(max, Math.max(min, Math.floor(value)));
}

/**
 * The Sankey of a day's edges: drops edges below `minWeight`, into steps beyond `maxDepth`, and
 * any whose steps do not go forward (so the graph is acyclic, as ECharts requires); then keeps
 * the `topN` heaviest (ties by source, target). Nodes are those the kept links touch, pinned to
 * their step's column.
 */
export function toSankey(edges: readonly PathEdge[], filter: SankeyFilter): SankeyData {
  const topN = clampInt(filter.topN, 1);
  const minWeight = clampInt(filter.minWeight, 1);
  const maxDepth = clampInt(filter.maxDepth, 2);
  const kept = edges
    .filter((e) => {
      if (!(e.weight >= minWeight)) return false;
      const s = parseStepNode(e.source);
      const t = parseStepNode(e.target);
      return s !== undefined && t !== undefined && s.step < t.step && t.step <= maxDepth;
    })
    .sort((a, b) => b.weight - a.weight || compareStrings(a.source, b.source) || compareStrings(a.target, b.target))
    .slice(0, topN);

  const nodes = new Map<string, SankeyNode>();
  const addNode = (name: string): void => {
    if (nodes.has(name)) return;
    const parsed = parseStepNode(name);
    if (parsed) nodes.set(name, { name, label: parsed.page, depth: parsed.step - 1 });
  };
  let entrySessions = 0;
  const links: SankeyLink[] = [];
  for (const e of kept) {
    addNode(e.source);
    addNode(e.target);
    links.push({ source: e.source, target: e.target, value: e.weight });
    if (parseStepNode(e.source)?.step === 1) entrySessions += e.weight;
  }
  const sortedNodes = [...nodes.values()].sort((a, b) => a.depth - b.depth || compareStrings(a.name, b.name));
  return { nodes: sortedNodes, links, totalEdges: edges.length, hiddenEdges: edges.length - links.length, entrySessions };
}

// ---------------------------------------------------------------------------------------------
// Trends
// ---------------------------------------------------------------------------------------------

/** Which number of a bucket a trend plots. */
export type BucketField = 'count' | 'sum' | 'rate';

/** One line of the trends chart, fetched as `GET /v1/metrics?name=<metric>` without `dim`. */
export interface TrendMetric {
  readonly key: string;
  readonly metric: string;
  readonly label: string;
  readonly field: BucketField;
  /** The y-axis it is drawn against: a key of {@link TREND_AXES}. */
  readonly axis: TrendAxisKey;
}

/**
 * The y-axes of the trends chart, in `yAxisIndex` order, over two grids sharing the minute axis:
 * traffic on top (events and error alerts, each on its own scale), recharges below (count, yuan,
 * success %). Counts, yuan and percentages differ by orders of magnitude, so none shares a scale.
 */
export const TREND_AXES = [
  { key: 'events', grid: 0, name: 'events / min', position: 'left', offset: 0 },
  { key: 'alerts', grid: 0, name: 'alerts / min', position: 'right', offset: 0 },
  { key: 'recharges', grid: 1, name: 'recharges / min', position: 'left', offset: 0 },
  { key: 'yuan', grid: 1, name: 'yuan / min', position: 'right', offset: 0 },
  { key: 'percent', grid: 1, name: '%', position: 'right', offset: 52 },
] as const;
export type TrendAxisKey = (typeof TREND_AXES)[number]['key'];

/** `yAxisIndex` of an axis key. */
export const trendAxisIndex = (key: TrendAxisKey): number => TREND_AXES.findIndex((a) => a.key === key);

/** The metrics of the trends chart besides error alerts: events and the configured KPIs (recharge scenario). */
export const TREND_METRICS: readonly TrendMetric[] = [
  { key: 'events', metric: 'events', label: 'events / min', field: 'count', axis: 'events' },
  { key: 'recharge', metric: 'recharge', label: 'recharges / min', field: 'count', axis: 'recharges' },
  { key: 'rechargeAmount', metric: 'recharge.amount', label: 'recharge amount (yuan) / min', field: 'sum', axis: 'yuan' },
  { key: 'successRate', metric: 'recharge.successRate', label: 'recharge success rate %', field: 'rate', axis: 'percent' },
];

/** Key and label of the error-alerts line. */
export const ERROR_ALERTS_TREND = { key: 'errorAlerts', label: 'error alerts / min' } as const;

/** The numbers a bucket of any metric may carry. */
export type AnyBucket = { readonly minute: string } & Partial<Omit<MetricBucket, 'minute'>> & { readonly rate?: number | null };

function bucketValue(b: AnyBucket, field: BucketField): number | undefined {
  const v = field === 'rate' ? b.rate : field === 'sum' ? b.sum : b.count;
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/**
 * One value per axis minute: the field summed over the series (for a rate, the first series'
 * value), null where no series has that minute. Buckets off the axis are ignored.
 */
export function alignSeries(axis: readonly string[], series: readonly MetricSeries<AnyBucket>[], field: BucketField): Array<number | null> {
  const position = new Map(axis.map((m, i) => [m, i]));
  const out: Array<number | null> = axis.map(() => null);
  for (const s of series) {
    for (const b of s.buckets) {
      const i = position.get(b.minute.slice(0, 16));
      const v = bucketValue(b, field);
      if (i === undefined || v === undefined) continue;
      const prev = out[i];
      out[i] = prev === null ? v : field === 'rate' ? prev : prev + v;
    }
  }
  return field === 'rate' ? out.map((v) => (v === null ? null : Math.round(v * 10_000) / 100)) : out;
}

/**
 * Error alerts per axis minute (their event time in the time zone). Minutes before `coveredSince`
 * (an ISO time: the oldest alert fetched when the list was cut short) are null, since the count
 * there is unknown; every other minute is a count, 0 included.
 */
export function errorAlertsPerMinute(
  alerts: readonly Alert[],
  axis: readonly string[],
  timeZone: string,
  coveredSince?: string,
): Array<number | null> {
  const position = new Map(axis.map((m, i) => [m, i]));
  const out: Array<number | null> = axis.map(() => 0);
  for (const a of alerts) {
    if (a.kind !== 'error') continue;
    const minute = localMinute(a.createdAt, timeZone);
    const i = minute === undefined ? undefined : position.get(minute);
    if (i !== undefined) out[i] = (out[i] ?? 0) + 1;
  }
  const firstCovered = coveredSince === undefined ? undefined : localMinute(coveredSince, timeZone);
  if (firstCovered !== undefined) {
    axis.forEach((m, i) => {
      if (m < firstCovered) out[i] = null;
    });
  }
  return out;
}

/** One line of the trends chart. */
export interface TrendLine {
  readonly key: string;
  readonly label: string;
  /** Index into {@link TREND_AXES}. */
  readonly yAxisIndex: number;
  /** The grid (and x-axis) of that y-axis. */
  readonly gridIndex: number;
  readonly data: ReadonlyArray<number | null>;
}

/** The trends chart: a minute axis and its lines. */
export interface Trends {
  readonly axis: readonly string[];
  readonly lines: readonly TrendLine[];
  /** True when no line has any value (nothing to plot yet). */
  readonly empty: boolean;
}

/**
 * The trends chart over the minutes of the range: one line per `TREND_METRICS` entry (answers by
 * key; a missing answer gives an all-null line) plus error alerts per minute.
 */
export function buildTrends(input: {
  readonly from: string;
  readonly to: string;
  readonly timeZone: string;
  readonly metrics: Readonly<Record<string, MetricsAnswer<AnyBucket> | undefined>>;
  /** Error alerts of the range; undefined while they could not be loaded (the line is then all null). */
  readonly alerts: readonly Alert[] | undefined;
  readonly alertsCoveredSince?: string;
}): Trends {
  const axis = minuteAxis(input.from, input.to);
  const lines: TrendLine[] = TREND_METRICS.map((m) => ({
    key: m.key,
    label: m.label,
    yAxisIndex: trendAxisIndex(m.axis),
    gridIndex: TREND_AXES[trendAxisIndex(m.axis)]?.grid ?? 0,
    data: alignSeries(axis, input.metrics[m.key]?.series ?? [], m.field),
  }));
  const errors =
    input.alerts === undefined ? axis.map(() => null) : errorAlertsPerMinute(input.alerts, axis, input.timeZone, input.alertsCoveredSince);
  lines.splice(1, 0, {
    key: ERROR_ALERTS_TREND.key,
    label: ERROR_ALERTS_TREND.label,
    yAxisIndex: trendAxisIndex('alerts'),
    gridIndex: 0,
    data: errors,
  });
  const empty = lines.every((l) => l.data.every((v) => v === null || (l.key === ERROR_ALERTS_TREND.key && v === 0)));
  return { axis, lines, empty };
}

/**
 * Legend entries of a pie: each slice's full name and its share, e.g. `page_view  45.2%`, so no
 * label has to be cut short on a small chart (the slice itself carries no text).
 */
export function pieLegendLabels(rows: ReadonlyArray<readonly [string, number]>): Map<string, string> {
  const total = rows.reduce((sum, [, v]) => sum + v, 0);
  return new Map(rows.map(([name, v]) => [name, `${name}  ${total > 0 ? ((v * 100) / total).toFixed(1) : '0.0'}%`]));
}

// ---------------------------------------------------------------------------------------------
// Distributions
// ---------------------------------------------------------------------------------------------

/** The Taobao scenario's age-range codes. */
export const AGE_RANGE_LABELS: Readonly<Record<string, string>> = {
  '0': 'unknown',
  '1': '<20',
  '2': '20–24',
  '3': '25–29',
  '4': '30–34',
  '5': '35–39',
  '6': '40–49',
  '7': '≥50',
};

/** The Taobao scenario's gender codes. */
export const GENDER_LABELS: Readonly<Record<string, string>> = { '0': 'female', '1': 'male', '2': 'unknown' };

/** One distribution chart: `GET /v1/metrics?name=events&dim=<dim>`, summed over the range. */
export interface DistributionSpec {
  readonly key: string;
  readonly dim: string;
  readonly title: string;
  /** `value`: largest first; `code`: by the raw value (numeric codes in numeric order). */
  readonly order: 'value' | 'code';
  readonly labels?: Readonly<Record<string, string>>;
}

/** The distribution charts (Taobao scenario: action, age range, gender, province). */
export const DISTRIBUTIONS: readonly DistributionSpec[] = [
  { key: 'action', dim: 'action', title: 'By action', order: 'value' },
  { key: 'ageRange', dim: 'props.ageRange', title: 'By age range', order: 'code', labels: AGE_RANGE_LABELS },
  { key: 'gender', dim: 'props.gender', title: 'By gender', order: 'code', labels: GENDER_LABELS },
  { key: 'province', dim: 'props.province', title: 'By province', order: 'value' },
];

/** The value a series stands for: its `value`, else what follows the first `=` of `dims`. */
export function seriesValue(s: { readonly dims: string; readonly value?: string }): string {
  if (s.value !== undefined) return s.value;
  const eq = s.dims.indexOf('=');
  return eq >= 0 ? s.dims.slice(eq + 1) : s.dims;
}

function compareCodes(a: string, b: string): number {
  const na = Number(a);
  const nb = Number(b);
  if (a !== '' && b !== '' && Number.isFinite(na) && Number.isFinite(nb)) return na - nb;
  return compareStrings(a, b);
}

/**
 * `[name, total]` per value of the dimension (events counted over all buckets), zero totals
 * dropped, in the spec's order (ties by raw value); names mapped through the spec's labels.
 */
export function distribution(
  answer: { readonly series: readonly MetricSeries<AnyBucket>[] } | undefined,
  spec: Pick<DistributionSpec, 'order' | 'labels'>,
): Array<[string, number]> {
  const totals = new Map<string, number>();
  for (const s of answer?.series ?? []) {
    const value = seriesValue(s);
    let sum = totals.get(value) ?? 0;
    for (const b of s.buckets) if (typeof b.count === 'number' && Number.isFinite(b.count)) sum += b.count;
    totals.set(value, sum);
  }
  return [...totals.entries()]
    .filter(([, total]) => total > 0)
    .sort((a, b) => (spec.order === 'value' ? b[1] - a[1] || compareCodes(a[0], b[0]) : compareCodes(a[0], b[0])))
    .map(([value, total]): [string, number] => [spec.labels?.[value] ?? value, total]);
}

/**
 * Keeps a pie readable: the `keep` largest slices, and the rest summed into one `other` slice
 * (only when there is more than one slice to fold). Rows must be sorted largest first.
 */
export function foldSmallSlices(
  rows: ReadonlyArray<readonly [string, number]>,
  keep: number,
  otherLabel = 'other',
): Array<[string, number]> {
  if (rows.length <= keep + 1) return rows.map(([n, v]): [string, number] => [n, v]);
  const rest = rows.slice(keep).reduce((sum, [, v]) => sum + v, 0);
  return [...rows.slice(0, keep).map(([n, v]): [string, number] => [n, v]), [otherLabel, rest]];
}

// ---------------------------------------------------------------------------------------------
// Alerts feed
// ---------------------------------------------------------------------------------------------

/** One line of the alerts feed. */
export interface AlertRow {
  readonly id: string;
  readonly kind: Alert['kind'];
  /** Local `YYYY-MM-DD HH:mm:ss` of `createdAt`. */
  readonly time: string;
  /** What the alert is about: the action, or `<groupBy> = <value>`. */
  readonly subject: string;
  /** `12 / 10 in 1 min window`, or the error message. */
  readonly text: string;
}

/** A window length for people: `1 min`, `5 min`, `30 s`. */
export function windowLength(ms: number): string {
  if (!(ms > 0)) return '?';
  return ms % 60_000 === 0 ? `${ms / 60_000} min` : `${Math.round(ms / 1000)} s`;
}

/** `"<count> / <threshold> in <length> window"` of a window alert. */
export function windowAlertText(a: Pick<WindowAlert, 'count' | 'threshold' | 'windowStart' | 'windowEnd'>): string {
  return `${a.count} / ${a.threshold} in ${windowLength(Date.parse(a.windowEnd) - Date.parse(a.windowStart))} window`;
}

/** The feed: newest first by `createdAt` (ties by id), at most `limit` rows, duplicates by id dropped. */
export function alertRows(alerts: readonly Alert[], timeZone: string, limit = 50): AlertRow[] {
  const seen = new Set<string>();
  const unique = alerts.filter((a) => (seen.has(`${a.kind}|${a.id}`) ? false : (seen.add(`${a.kind}|${a.id}`), true)));
  const time = (a: Alert): number => {
    const ms = Date.parse(a.createdAt);
    return Number.isNaN(ms) ? -Infinity : ms;
  };
  return unique
    .sort((a, b) => time(b) - time(a) || compareStrings(a.id, b.id))
    .slice(0, Math.max(0, limit))
    .map((a) => {
      const ms = time(a);
      const when = Number.isFinite(ms) ? localDateTime(ms, timeZone) : a.createdAt;
      if (a.kind === 'window') {
        const subject = a.groupBy && a.groupBy !== 'action' ? `${a.groupBy} = ${a.action}` : a.action;
        return { id: a.id, kind: a.kind, time: when, subject, text: windowAlertText(a) };
      }
      return { id: a.id, kind: a.kind, time: when, subject: a.action, text: a.errorMsg ?? '(no message)' };
    });
}

// ---------------------------------------------------------------------------------------------
// Incremental refresh
// ---------------------------------------------------------------------------------------------

/**
 * A cached metric answer updated with a refetch of its recent minutes: buckets at or after
 * `since` come from `fresh` (late events may have changed them), older ones from `cached`, and
 * buckets before `keepFrom` (out of the range now) are dropped. Series are matched by `dims`.
 */
export function mergeMetrics<B extends { readonly minute: string }>(
  cached: MetricsAnswer<B> | undefined,
  fresh: MetricsAnswer<B>,
  since: string,
  keepFrom: string,
): MetricsAnswer<B> {
  const merged = new Map<string, { dims: string; value?: string; buckets: B[] }>();
  for (const s of cached?.series ?? []) {
    const buckets = s.buckets.filter((b) => b.minute >= keepFrom && b.minute < since);
    merged.set(s.dims, { dims: s.dims, ...(s.value !== undefined ? { value: s.value } : {}), buckets });
  }
  for (const s of fresh.series) {
    const entry = merged.get(s.dims) ?? { dims: s.dims, ...(s.value !== undefined ? { value: s.value } : {}), buckets: [] };
    entry.buckets.push(...s.buckets.filter((b) => b.minute >= since && b.minute >= keepFrom));
    merged.set(s.dims, entry);
  }
  const series = [...merged.values()]
    .filter((s) => s.buckets.length > 0)
    .map((s) => ({ ...s, buckets: s.buckets.sort((a, b) => compareStrings(a.minute, b.minute)) }));
  return { ...fresh, from: keepFrom, series };
}

/**
 * Cached alerts updated with a refetch since `since` (ISO): cached alerts created before it
 * are kept (those before `keepFrom` dropped), the fresh ones replace the rest; newest first.
 */
export function mergeAlerts(cached: readonly Alert[], fresh: readonly Alert[], since: string, keepFrom: string): Alert[] {
  const sinceMs = Date.parse(since);
  const keepMs = Date.parse(keepFrom);
  const out = new Map<string, Alert>();
  for (const a of cached) {
    const t = Date.parse(a.createdAt);
    if (t >= keepMs && t < sinceMs) out.set(`${a.kind}|${a.id}`, a);
  }
  for (const a of fresh) if (!(Date.parse(a.createdAt) < keepMs)) out.set(`${a.kind}|${a.id}`, a);
  return [...out.values()].sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt) || compareStrings(a.id, b.id));
}
