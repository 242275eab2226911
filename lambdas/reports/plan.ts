import { DateTime } from 'luxon';
import { REPORT_BUCKETS, REPORT_NAMES, RETENTION_OFFSETS, type ReportBucket, type ReportName } from '../shared/reports';
import type { QueryName } from './queries';

/** Most steps a funnel may have (the funnel query has six step slots). */
export const MAX_FUNNEL_STEPS = 6;

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** True when `s` is a real calendar day written `YYYY-MM-DD`. Never throws. */
export const isDay = (s: string): boolean => DAY.test(s) && DateTime.fromISO(s, { zone: 'utc' }).isValid;

const parse = (day: string): DateTime => {
  const dt = DateTime.fromISO(day, { zone: 'utc' });
  if (!DAY.test(day) || !dt.isValid) throw new RangeError(`not a day (YYYY-MM-DD): ${day}`);
  return dt;
};
const format = (dt: DateTime): string => dt.toISODate() ?? '';

/** `day` plus `n` days. Throws RangeError for a malformed day. */
export const addDays = (day: string, n: number): string => format(parse(day).plus({ days: n }));

/** Days from `from` to `to`, both included (empty when `to` is before `from`). Throws RangeError for a malformed day. */
export function daysBetween(from: string, to: string): string[] {
  const out: string[] = [];
  for (let d = parse(from), end = parse(to); d <= end; d = d.plus({ days: 1 })) out.push(format(d));
  return out;
}

/** The first day of the bucket holding `day`: itself, its week's Monday, its month's first day. */
export function bucketStart(bucket: ReportBucket, day: string): string {
  const dt = parse(day);
  if (bucket === 'week') return format(dt.minus({ days: dt.weekday - 1 }));
  if (bucket === 'month') return format(dt.startOf('month'));
  return day;
}

/** The last day of the bucket that starts on `start`. */
export function bucketEnd(bucket: ReportBucket, start: string): string {
  const dt = parse(start);
  if (bucket === 'week') return format(dt.plus({ days: 6 }));
  if (bucket === 'month') return format(dt.endOf('month'));
  return start;
}

/** The start of the bucket after the one starting on `start`. */
const nextBucket = (bucket: ReportBucket, start: string): string => addDays(bucketEnd(bucket, start), 1);

/** The bucket start a result row belongs to, from its bucket column (`YYYY-MM` months get `-01`). */
export const bucketOfCell = (bucket: ReportBucket, cell: string): string =>
  bucket === 'month' && /^\d{4}-\d{2}$/.test(cell) ? `${cell}-01` : cell;

/** Sorted distinct bucket starts, split into runs of consecutive buckets. */
export function contiguousRuns(bucket: ReportBucket, starts: readonly string[]): string[][] {
  const sorted = [...new Set(starts)].sort();
  const runs: string[][] = [];
  for (const start of sorted) {
    const run = runs[runs.length - 1];
    if (run !== undefined && nextBucket(bucket, run[run.length - 1]) === start) run.push(start);
    else runs.push([start]);
  }
  return runs;
}

/** One query execution: the named query and its parameter values. */
export interface QueryCall {
  readonly query: QueryName;
  readonly values: Readonly<Record<string, string>>;
}

/**
 * One recomputation: the queries whose rows, concatenated, are the report over the buckets of a
 * run; every bucket gets an export (with no rows when none fall in it).
 */
export interface ReportRun {
  readonly report: ReportName;
  readonly bucket: ReportBucket;
  /** Bucket starts written, ascending. */
  readonly buckets: readonly string[];
  readonly calls: readonly QueryCall[];
}

/** The funnels of the stage config, checked: Throws RangeError for an empty, too long or repeating one. */
export function checkFunnels(funnels: Readonly<Record<string, readonly string[]>>): void {
  for (const [name, steps] of Object.entries(funnels)) {
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(name))
      throw new RangeError(`funnel name ${JSON.stringify(name)}: must be 1-64 letters, digits, _ or -`);
    if (steps.length < 1 || steps.length > MAX_FUNNEL_STEPS) throw new RangeError(`funnel ${name}: must have 1..${MAX_FUNNEL_STEPS} steps`);
    if (steps.some((s) => s === '')) throw new RangeError(`funnel ${name}: a step must not be empty`);
    if (new Set(steps).size !== steps.length) throw new RangeError(`funnel ${name}: each action may appear once`);
  }
}

/**
 * The query calls whose rows are `report` over the buckets from the one holding `from` to the one
 * holding `to`. Throws RangeError for a malformed day.
 */
export function callsFor(report: ReportName, from: string, to: string): QueryCall[] {
  const { bucket } = REPORT_BUCKETS[report];
  const r = { from: bucketStart(bucket, from), to: bucketEnd(bucket, bucketStart(bucket, to)) };
  if (report === 'sankey-daily') return [{ query: report, values: { load_from: addDays(r.from, -1), load_to: addDays(r.to, 1), ...r } }];
  return [{ query: report, values: r }];
}

/** The longest retention offset: cohorts this many days before a changed day can change. */
const MAX_OFFSET = Math.max(...RETENTION_OFFSETS);

/**
 * What to recompute after compaction changed the event days `touched`, given every day the
 * curated table now holds (`curatedDays`, which includes `touched`):
 * - day reports (`dau`, `funnel`, `sales-daily`, `recharge-daily`, `taobao-daily`): those days;
 * - `wau` / `mau`: their weeks / months;
 * - `retention`: every cohort day held from the earliest changed day minus the longest offset to
 *   the last day held (a late event can move a user's first day earlier, out of any later cohort);
 * - `sankey-daily`: those days and their neighbours that hold events (sessions cross midnight).
 * Consecutive buckets share one query. Throws RangeError for a malformed day.
 */
export function planReports(touched: readonly string[], curatedDays: readonly string[]): ReportRun[] {
  if (touched.length === 0) return [];
  const days = [...new Set(touched)].sort();
  const held = new Set([...curatedDays, ...days]);
  const lastHeld = [...held].sort().pop() ?? days[days.length - 1];
  const runs: ReportRun[] = [];

  for (const report of REPORT_NAMES) {
    const { bucket } = REPORT_BUCKETS[report];
    if (report === 'retention') {
      // A cohort day is a day with events: days without any have no cohort and get no export.
      for (const run of contiguousRuns(
        bucket,
        daysBetween(addDays(days[0], -MAX_OFFSET), lastHeld).filter((d) => held.has(d)),
      )) {
        runs.push({ report, bucket, buckets: run, calls: callsFor(report, run[0], run[run.length - 1]) });
      }
      continue;
    }
    const starts =
      report === 'sankey-daily'
        ? days.flatMap((d) => [addDays(d, -1), d, addDays(d, 1)]).filter((d) => held.has(d))
        : days.map((d) => bucketStart(bucket, d));
    for (const run of contiguousRuns(bucket, starts)) {
      const calls = callsFor(report, run[0], bucketEnd(bucket, run[run.length - 1]));
      runs.push({ report, bucket, buckets: run, calls });
    }
  }
  return runs;
}
