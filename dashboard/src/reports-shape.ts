/**
 * Pure shaping of the daily reports (`GET /v1/reports/{name}`) for the Reports view: active-user
 * lines, funnel bars, the retention grid, the sales table, recharge per province and a day's
 * Sankey edges. No DOM here, so every function is unit-tested (test/unit/dashboard).
 */
import { RETENTION_OFFSETS, type ReportCell, type ReportRow } from '../../lambdas/shared/reports';
import type { PathEdge } from './shape';

/** Most days a range may hold (the API's own bound is larger; a chart of more is unreadable). */
export const MAX_RANGE_DAYS = 400;
/** Days shown when the page opens: the 30 days ending at the newest export. */
export const DEFAULT_RANGE_DAYS = 30;

const DAY_RE = /^\d{4}-\d{2}-\d{2}$/;
const MS_PER_DAY = 86_400_000;

/** True for a `YYYY-MM-DD` that is a real calendar day. */
export function isDay(value: string): boolean {
  if (!DAY_RE.test(value)) return false;
  const ms = Date.parse(`${value}T00:00:00Z`);
  return Number.isFinite(ms) && new Date(ms).toISOString().slice(0, 10) === value;
}

/** `day` plus `n` calendar days. */
export function addDays(day: string, n: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + n * MS_PER_DAY).toISOString().slice(0, 10);
}

/** Every day from `from` to `to`, both included (at most {@link MAX_RANGE_DAYS}; empty when `to` < `from`). */
export function dayRange(from: string, to: string): string[] {
  if (!isDay(from) || !isDay(to)) return [];
  const out: string[] = [];
  for (let day = from; day <= to && out.length < MAX_RANGE_DAYS; day = addDays(day, 1)) out.push(day);
  return out;
}

/** The Monday of the ISO week of `day`. */
export function weekMonday(day: string): string {
  const weekday = new Date(`${day}T00:00:00Z`).getUTCDay(); // 0 Sunday
  return addDays(day, -((weekday + 6) % 7));
}

/** A cell as a number: numbers as they are, numeric text read, anything else null. */
export function cellNumber(cell: ReportCell | undefined): number | null {
  if (typeof cell === 'number') return Number.isFinite(cell) ? cell : null;
  if (typeof cell === 'string' && cell.trim() !== '' && Number.isFinite(Number(cell))) return Number(cell);
  return null;
}

/** A cell as text (null and absent stay null). */
export function cellText(cell: ReportCell | undefined): string | null {
  return cell === null || cell === undefined ? null : String(cell);
}

// ---------------------------------------------------------------------------------------------
// Active users
// ---------------------------------------------------------------------------------------------

/** One line of the active-users chart: a value per day of the axis. */
export interface UsersLine {
  readonly key: 'dau' | 'wau' | 'mau';
  readonly label: string;
  readonly data: ReadonlyArray<number | null>;
}

/**
 * DAU, WAU and MAU over the days of the range: DAU on its day; WAU on every day of its week and
 * MAU on every day of its month (step lines), so the three share one day axis. Days without a
 * row are null (a gap), not 0: the export may not exist yet.
 */
export function activeUsersLines(
  days: readonly string[],
  dau: readonly ReportRow[],
  wau: readonly ReportRow[],
  mau: readonly ReportRow[],
): UsersLine[] {
  const byKey = (rows: readonly ReportRow[], column: string): Map<string, number> => {
    const out = new Map<string, number>();
    for (const row of rows) {
      const key = cellText(row[column]);
      const users = cellNumber(row.users);
      if (key !== null && users !== null) out.set(key, users);
    }
    return out;
  };
  const daily = byKey(dau, 'day');
  const weekly = byKey(wau, 'week');
  const monthly = byKey(mau, 'month');
  return [
    { key: 'dau', label: 'daily active users', data: days.map((d) => daily.get(d) ?? null) },
    { key: 'wau', label: 'weekly active users', data: days.map((d) => weekly.get(weekMonday(d)) ?? null) },
    { key: 'mau', label: 'monthly active users', data: days.map((d) => monthly.get(d.slice(0, 7)) ?? null) },
  ];
}

// ---------------------------------------------------------------------------------------------
// Funnel
// ---------------------------------------------------------------------------------------------

export interface FunnelStepBar {
  readonly step: number;
  readonly action: string;
  /** Users reaching the step, summed over the days (user-days). */
  readonly users: number;
  /** Of step 1's user-days, in % (1 decimal). */
  readonly conversionPct: number;
}

export interface FunnelBars {
  readonly funnel: string;
  readonly steps: readonly FunnelStepBar[];
}

/** Each funnel's steps over the range: users summed over the days, conversion from step 1 in %. Funnels by name. */
export function funnelBars(rows: readonly ReportRow[]): FunnelBars[] {
  const funnels = new Map<string, Map<number, { action: string; users: number }>>();
  for (const row of rows) {
    const funnel = cellText(row.funnel);
    const step = cellNumber(row.step);
    const action = cellText(row.action);
    const users = cellNumber(row.users);
    if (funnel === null || step === null || action === null || users === null) continue;
    const steps = funnels.get(funnel) ?? new Map<number, { action: string; users: number }>();
    const entry = steps.get(step) ?? { action, users: 0 };
    entry.users += users;
    steps.set(step, entry);
    funnels.set(funnel, steps);
  }
  return [...funnels.keys()].sort().map((funnel) => {
    const steps = [...(funnels.get(funnel) as Map<number, { action: string; users: number }>).entries()].sort((a, b) => a[0] - b[0]);
    const first = steps[0]?.[1].users ?? 0;
    return {
      funnel,
      steps: steps.map(([step, { action, users }]) => ({
        step,
        action,
        users,
        conversionPct: first > 0 ? Math.round((users * 1000) / first) / 10 : 0,
      })),
    };
  });
}

// ---------------------------------------------------------------------------------------------
// Retention
// ---------------------------------------------------------------------------------------------

export interface RetentionGrid {
  /** Cohort days, oldest first (the heatmap's rows). */
  readonly cohorts: readonly string[];
  readonly cohortUsers: readonly number[];
  /** The offsets (columns). */
  readonly offsets: readonly number[];
  /** `[column, row, % of the cohort or null]`; null where cohort day + offset is after `lastDay` (not known yet). */
  readonly cells: ReadonlyArray<readonly [number, number, number | null]>;
}

/** The retention heatmap: a row per cohort, a column per offset, the share of the cohort back that day in % (1 decimal). */
export function retentionGrid(rows: readonly ReportRow[], lastDay: string): RetentionGrid {
  const cohorts = new Map<string, { size: number; back: Map<number, number> }>();
  for (const row of rows) {
    const cohort = cellText(row.cohort_day);
    const offset = cellNumber(row.day_offset);
    const size = cellNumber(row.cohort_users);
    const users = cellNumber(row.users);
    if (cohort === null || offset === null || size === null || users === null) continue;
    const entry = cohorts.get(cohort) ?? { size, back: new Map<number, number>() };
    entry.back.set(offset, users);
    cohorts.set(cohort, entry);
  }
  const days = [...cohorts.keys()].sort();
  const offsets: number[] = [...RETENTION_OFFSETS];
  const cells: Array<readonly [number, number, number | null]> = [];
  days.forEach((cohort, y) => {
    const { size, back } = cohorts.get(cohort) as { size: number; back: Map<number, number> };
    offsets.forEach((offset, x) => {
      const known = addDays(cohort, offset) <= lastDay;
      const users = back.get(offset);
      cells.push([x, y, known && users !== undefined && size > 0 ? Math.round((users * 1000) / size) / 10 : null]);
    });
  });
  return { cohorts: days, cohortUsers: days.map((d) => (cohorts.get(d) as { size: number }).size), offsets, cells };
}

// ---------------------------------------------------------------------------------------------
// Sales
// ---------------------------------------------------------------------------------------------

export interface SalesLine {
  readonly machineId: string;
  readonly commodityId: string;
  /** From the commodity dimension; the id when the dimension has no name for it. */
  readonly commodityName: string;
  readonly orders: number;
  readonly quantity: number;
  readonly amount: number;
}

/** Sales over the range per machine and commodity, largest amount first (ties by machine, then commodity). */
export function salesTable(rows: readonly ReportRow[]): SalesLine[] {
  const lines = new Map<
    string,
    { machineId: string; commodityId: string; commodityName: string | null; orders: number; quantity: number; amount: number }
  >();
  for (const row of rows) {
    const machineId = cellText(row.machine_id) ?? '–';
    const commodityId = cellText(row.commodity_id) ?? '–';
    const key = JSON.stringify([machineId, commodityId]);
    const line = lines.get(key) ?? { machineId, commodityId, commodityName: null, orders: 0, quantity: 0, amount: 0 };
    line.commodityName ??= cellText(row.commodity_name);
    line.orders += cellNumber(row.orders) ?? 0;
    line.quantity += cellNumber(row.quantity) ?? 0;
    line.amount += cellNumber(row.amount) ?? 0;
    lines.set(key, line);
  }
  const numericFirst = (a: string, b: string): number => {
    const na = Number(a);
    const nb = Number(b);
    return Number.isFinite(na) && Number.isFinite(nb) && a !== '' && b !== '' ? na - nb : a < b ? -1 : a > b ? 1 : 0;
  };
  return [...lines.values()]
    .map((l) => ({ ...l, commodityName: l.commodityName ?? l.commodityId }))
    .sort((a, b) => b.amount - a.amount || numericFirst(a.machineId, b.machineId) || numericFirst(a.commodityId, b.commodityId));
}

// ---------------------------------------------------------------------------------------------
// Recharge
// ---------------------------------------------------------------------------------------------

export interface ProvinceRecharge {
  readonly provinceCode: string;
  readonly notifications: number;
  readonly successes: number;
  /** Yuan, successes only. */
  readonly amount: number;
  /** Successes / notifications over the range, in % (1 decimal). */
  readonly successRatePct: number;
}

/** Recharge per province over the range, largest amount first. */
export function rechargeByProvince(rows: readonly ReportRow[]): ProvinceRecharge[] {
  const provinces = new Map<string, { notifications: number; successes: number; amount: number }>();
  for (const row of rows) {
    const code = cellText(row.province_code) ?? 'unknown';
    const p = provinces.get(code) ?? { notifications: 0, successes: 0, amount: 0 };
    p.notifications += cellNumber(row.notifications) ?? 0;
    p.successes += cellNumber(row.successes) ?? 0;
    p.amount += cellNumber(row.amount) ?? 0;
    provinces.set(code, p);
  }
  return [...provinces.entries()]
    .map(([provinceCode, p]) => ({
      provinceCode,
      ...p,
      successRatePct: p.notifications > 0 ? Math.round((p.successes * 1000) / p.notifications) / 10 : 0,
    }))
    .sort((a, b) => b.amount - a.amount || (a.provinceCode < b.provinceCode ? -1 : 1));
}

// ---------------------------------------------------------------------------------------------
// Sankey
// ---------------------------------------------------------------------------------------------

/** The Sankey edges of one day of `sankey-daily`: the rows' weights summed per (source, target) over full paths. */
export function sankeyEdgesOf(rows: readonly ReportRow[], day: string): PathEdge[] {
  const edges = new Map<string, { source: string; target: string; weight: number }>();
  for (const row of rows) {
    if (cellText(row.day) !== day) continue;
    const source = cellText(row.source);
    const target = cellText(row.target);
    const weight = cellNumber(row.weight);
    if (source === null || target === null || weight === null) continue;
    const key = JSON.stringify([source, target]);
    const edge = edges.get(key) ?? { source, target, weight: 0 };
    edge.weight += weight;
    edges.set(key, edge);
  }
  return [...edges.values()];
}

/** The default range: the {@link DEFAULT_RANGE_DAYS} days ending at the newest day any report has (else `today`). */
export function defaultRange(daysByReport: ReadonlyArray<readonly string[]>, today: string): { from: string; to: string } {
  let newest = '';
  for (const days of daysByReport) for (const d of days) if (isDay(d) && d > newest) newest = d;
  const to = newest === '' || newest > today ? today : newest;
  return { from: addDays(to, -(DEFAULT_RANGE_DAYS - 1)), to };
}
