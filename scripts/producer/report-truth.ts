/**
 * Ground truth of the daily reports (lambdas/shared/reports.ts states every definition): the
 * expected answer of each report for the days the accepted events cover, computed here in
 * TypeScript from the events themselves, independently of the reports' SQL, in the answer's row
 * shape (`columns`, `rows`). Pure; tests call it directly.
 */
import { DateTime } from 'luxon';
import type { EventInput, PropValue } from '../../lambdas/shared/event';
import { propNumber as num, propText as text } from './props';
import { pathsToRows } from '../../lambdas/query/csv';
import {
  DEFAULT_FUNNELS,
  REPORT_COLUMNS,
  REPORT_NAMES,
  RETENTION_OFFSETS,
  TAOBAO_DIMENSIONS,
  type ReportAnswer,
  type ReportName,
  type ReportRow,
} from '../../lambdas/shared/reports';
import type { CommodityRow } from './commodities';
import { RECHARGE_NOTIFY, RECHARGE_SUCCESS } from './scenarios/recharge';
import { localDate, parseCompact, parseEventTime } from './time';

/** The path analysis' session gap: a user's events without `sessionId` split where two are further apart. */
export const SESSION_GAP_SECONDS = 1800;
/** The `action` of a vending sale. */
export const SALE_ACTION = 'order';

/** Every report's expected answer. */
export type ReportTruths = Record<ReportName, ReportAnswer>;

export interface ReportTruthOptions {
  /** The stage time zone: a day is `createdAt` there. */
  readonly timeZone: string;
  /** Configured funnels, name → ordered actions. @default DEFAULT_FUNNELS */
  readonly funnels?: Readonly<Record<string, readonly string[]>>;
  /** The commodity dimension, for `commodity_name`. @default none (every name null) */
  readonly commodities?: readonly CommodityRow[];
  /** @default SESSION_GAP_SECONDS */
  readonly sessionGapSeconds?: number;
}

/** `numerator / denominator` rounded half up to 4 decimals, computed exactly on integers. */
export function ratio4(numerator: number, denominator: number): number {
  return Math.floor((2 * numerator * 10_000 + denominator) / (2 * denominator)) / 10_000;
}

/** `sum / count` of integers rounded to a whole number, halves away from zero (SQL's `round`). */
export function roundedMean(sum: number, count: number): number {
  const magnitude = Math.floor((2 * Math.abs(sum) + count) / (2 * count));
  return sum < 0 ? -magnitude : magnitude;
}

const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
/** Orders nulls first, then text in code-unit order. */
const compareNullable = (a: string | null, b: string | null): number => (a === b ? 0 : a === null ? -1 : b === null ? 1 : compare(a, b));

/** `YYYY-MM-DD` plus `days` calendar days. */
export function addDays(day: string, days: number): string {
  return DateTime.fromISO(day, { zone: 'UTC' }).plus({ days }).toFormat('yyyy-MM-dd');
}

/** The Monday of the ISO week of `day`. */
export function isoWeekMonday(day: string): string {
  return DateTime.fromISO(day, { zone: 'UTC' }).startOf('week').toFormat('yyyy-MM-dd');
}

interface FunnelStep {
  readonly ms: number;
  readonly action: string;
}

interface Sale {
  orders: number;
  quantity: number;
  amount: number;
}

interface Recharge {
  notifications: number;
  successes: number;
  amount: number;
  durations: number;
  durationSum: number;
  min: number | null;
  max: number | null;
}

interface PathStep {
  readonly ms: number;
  readonly seq: number;
  readonly eventId: string;
  readonly path: string;
}

/** Separator inside composite map keys (never in a `YYYY-MM-DD` day). */
const SEP = '\u0000';

/**
 * The highest step of `funnel` reached by one user's events of one day: greedily, steps are
 * matched in time order; events at the same instant may serve consecutive steps in any order
 * (`<=`), each event one step at most.
 */
export function funnelReach(events: readonly FunnelStep[], funnel: readonly string[]): number {
  const ordered = [...events].sort((a, b) => a.ms - b.ms);
  let reached = 0;
  let i = 0;
  while (i < ordered.length && reached < funnel.length) {
    const ms = (ordered[i] as FunnelStep).ms;
    const atInstant = new Map<string, number>();
    for (; i < ordered.length && (ordered[i] as FunnelStep).ms === ms; i++) {
      const action = (ordered[i] as FunnelStep).action;
      atInstant.set(action, (atInstant.get(action) ?? 0) + 1);
    }
    for (;;) {
      const next = funnel[reached];
      const left = next === undefined ? 0 : (atInstant.get(next) ?? 0);
      if (left === 0) break;
      atInstant.set(next as string, left - 1);
      reached += 1;
    }
  }
  return reached;
}

/** Incremental builder: `add` each accepted event (in the order received; a repeated `eventId` counts once per day), then `build`. */
export class ReportTruthBuilder {
  private readonly timeZone: string;
  private readonly funnels: Readonly<Record<string, readonly string[]>>;
  private readonly funnelActions: ReadonlySet<string>;
  private readonly commodityNames: ReadonlyMap<string, string>;
  private readonly gapMs: number;

  /** Local day of each UTC minute seen (every zone's offset is whole minutes), so luxon runs once a minute, not once an event. */
  private readonly dayOfMinute = new Map<number, string>();
  private readonly seen = new Set<string>();
  private readonly userDays = new Map<string, Set<string>>();
  private readonly funnelEvents = new Map<string, FunnelStep[]>();
  private readonly sales = new Map<string, { key: readonly [string, string | null, string | null]; value: Sale }>();
  private readonly recharges = new Map<string, { key: readonly [string, string | null]; value: Recharge }>();
  private readonly taobao = new Map<string, number>();
  private readonly sessions = new Map<string, PathStep[]>();

  constructor(options: ReportTruthOptions) {
    this.timeZone = options.timeZone;
    this.funnels = options.funnels ?? DEFAULT_FUNNELS;
    this.funnelActions = new Set(Object.values(this.funnels).flat());
    this.commodityNames = new Map((options.commodities ?? []).map((c) => [c.commodityId, c.commodityName]));
    this.gapMs = (options.sessionGapSeconds ?? SESSION_GAP_SECONDS) * 1000;
  }

  /**
   * Adds one accepted event; `seq` orders events of a session with the same `createdAt` (first
   * received first). An `eventId` already added for the same day is dropped (a resend has the same
   * `createdAt`). Events whose time cannot be read are not counted.
   */
  add(event: EventInput, seq: number): void {
    const ms = parseEventTime(event.createdAt, this.timeZone);
    if (ms === undefined) return;
    const day = this.dayOf(ms);
    const id = `${day}${SEP}${event.eventId}`;
    if (this.seen.has(id)) return;
    this.seen.add(id);
    const props = event.props ?? {};

    let days = this.userDays.get(event.userId);
    if (days === undefined) this.userDays.set(event.userId, (days = new Set()));
    days.add(day);

    if (this.funnelActions.has(event.action)) {
      const key = `${day}${SEP}${event.userId}`;
      const list = this.funnelEvents.get(key) ?? [];
      list.push({ ms, action: event.action });
      this.funnelEvents.set(key, list);
    }
    if (event.action === SALE_ACTION) this.addSale(day, props);
    if (event.action === RECHARGE_NOTIFY) this.addRecharge(day, props);
    for (const [dimension, field] of Object.entries(TAOBAO_DIMENSIONS)) {
      const value = field === 'action' ? event.action : text(props[field.slice('props.'.length)]);
      if (value !== undefined)
        this.taobao.set(`${day}${SEP}${dimension}${SEP}${value}`, (this.taobao.get(`${day}${SEP}${dimension}${SEP}${value}`) ?? 0) + 1);
    }
    if (event.path !== undefined) {
      const key = event.sessionId === undefined ? `u${SEP}${event.userId}` : `s${SEP}${event.userId}${SEP}${event.sessionId}`;
      const steps = this.sessions.get(key) ?? [];
      steps.push({ ms, seq, eventId: event.eventId, path: event.path });
      this.sessions.set(key, steps);
    }
  }

  private dayOf(ms: number): string {
    const minute = Math.floor(ms / 60_000);
    let day = this.dayOfMinute.get(minute);
    if (day === undefined) {
      if (this.dayOfMinute.size >= 100_000) this.dayOfMinute.clear();
      this.dayOfMinute.set(minute, (day = localDate(ms, this.timeZone)));
    }
    return day;
  }

  private addSale(day: string, props: Readonly<Record<string, PropValue>>): void {
    const machine = text(props.machineId) ?? null;
    const commodity = text(props.commodityId) ?? null;
    const id = JSON.stringify([day, machine, commodity]);
    let entry = this.sales.get(id);
    if (entry === undefined) this.sales.set(id, (entry = { key: [day, machine, commodity], value: { orders: 0, quantity: 0, amount: 0 } }));
    const sale = entry.value;
    sale.orders += 1;
    sale.quantity += num(props.quantity) ?? 0;
    sale.amount += num(props.amount) ?? 0;
  }

  private addRecharge(day: string, props: Readonly<Record<string, PropValue>>): void {
    const province = text(props.provinceCode) ?? null;
    const id = JSON.stringify([day, province]);
    let entry = this.recharges.get(id);
    if (entry === undefined) {
      entry = {
        key: [day, province],
        value: { notifications: 0, successes: 0, amount: 0, durations: 0, durationSum: 0, min: null, max: null },
      };
      this.recharges.set(id, entry);
    }
    const r = entry.value;
    r.notifications += 1;
    if (text(props.bussinessRst) !== RECHARGE_SUCCESS) return;
    r.successes += 1;
    r.amount += num(props.chargefee) ?? 0;
    const requestId = text(props.requestId);
    const notified = text(props.receiveNotifyTime);
    const start = requestId === undefined ? undefined : parseCompact(requestId.slice(0, 17), this.timeZone);
    const end = notified === undefined ? undefined : parseCompact(notified, this.timeZone);
    if (start === undefined || end === undefined) return;
    const duration = end - start;
    r.durations += 1;
    r.durationSum += duration;
    r.min = r.min === null ? duration : Math.min(r.min, duration);
    r.max = r.max === null ? duration : Math.max(r.max, duration);
  }

  /** Every report's answer over the days seen (`from`/`to`: the first and last event day; both empty without events). */
  build(): ReportTruths {
    const allDays = new Set<string>();
    for (const days of this.userDays.values()) for (const day of days) allDays.add(day);
    const sortedDays = [...allDays].sort(compare);
    const from = sortedDays[0] ?? '';
    const to = sortedDays[sortedDays.length - 1] ?? '';
    const rows: Record<ReportName, ReportRow[]> = {
      dau: this.distinctUsers('day', (day) => day),
      wau: this.distinctUsers('week', isoWeekMonday),
      mau: this.distinctUsers('month', (day) => day.slice(0, 7)),
      funnel: this.funnelRows(),
      retention: this.retentionRows(),
      'sales-daily': this.salesRows(),
      'recharge-daily': this.rechargeRows(),
      'taobao-daily': this.taobaoRows(),
      'sankey-daily': this.sankeyRows(),
    };
    const out = {} as ReportTruths;
    for (const report of REPORT_NAMES) out[report] = { report, from, to, columns: [...REPORT_COLUMNS[report]], rows: rows[report] };
    return out;
  }

  private distinctUsers(column: string, period: (day: string) => string): ReportRow[] {
    const users = new Map<string, number>();
    for (const days of this.userDays.values()) {
      for (const p of new Set([...days].map(period))) users.set(p, (users.get(p) ?? 0) + 1);
    }
    return [...users.keys()].sort(compare).map((p) => ({ [column]: p, users: users.get(p) as number }));
  }

  private funnelRows(): ReportRow[] {
    const out: ReportRow[] = [];
    const reachedBy = new Map<string, number[]>();
    for (const [key, events] of this.funnelEvents) {
      const day = key.slice(0, key.indexOf(SEP));
      for (const [name, steps] of Object.entries(this.funnels)) {
        const reached = funnelReach(events, steps);
        if (reached === 0) continue;
        const id = `${day}${SEP}${name}`;
        const counts = reachedBy.get(id) ?? steps.map(() => 0);
        for (let k = 0; k < reached; k++) counts[k] = (counts[k] as number) + 1;
        reachedBy.set(id, counts);
      }
    }
    for (const id of [...reachedBy.keys()].sort(compare)) {
      const [day, name] = id.split(SEP) as [string, string];
      const counts = reachedBy.get(id) as number[];
      const first = counts[0] as number;
      (this.funnels[name] as readonly string[]).forEach((action, k) => {
        const users = counts[k] as number;
        out.push({ day, funnel: name, step: k + 1, action, users, conversion: ratio4(users, first) });
      });
    }
    return out;
  }

  private retentionRows(): ReportRow[] {
    const cohorts = new Map<string, Set<string>[]>();
    for (const days of this.userDays.values()) {
      const cohort = [...days].sort(compare)[0] as string;
      const list = cohorts.get(cohort) ?? [];
      list.push(days);
      cohorts.set(cohort, list);
    }
    const out: ReportRow[] = [];
    for (const cohort of [...cohorts.keys()].sort(compare)) {
      const members = cohorts.get(cohort) as Set<string>[];
      for (const offset of RETENTION_OFFSETS) {
        const day = addDays(cohort, offset);
        out.push({
          cohort_day: cohort,
          day_offset: offset,
          cohort_users: members.length,
          users: members.filter((days) => days.has(day)).length,
        });
      }
    }
    return out;
  }

  private salesRows(): ReportRow[] {
    return [...this.sales.values()]
      .sort((a, b) => compare(a.key[0], b.key[0]) || compareNullable(a.key[1], b.key[1]) || compareNullable(a.key[2], b.key[2]))
      .map(({ key: [day, machine, commodity], value }) => ({
        day,
        machine_id: machine,
        commodity_id: commodity,
        commodity_name: commodity === null ? null : (this.commodityNames.get(commodity) ?? null),
        orders: value.orders,
        quantity: value.quantity,
        amount: value.amount,
      }));
  }

  private rechargeRows(): ReportRow[] {
    return [...this.recharges.values()]
      .sort((a, b) => compare(a.key[0], b.key[0]) || compareNullable(a.key[1], b.key[1]))
      .map(({ key: [day, province], value: r }) => ({
        day,
        province_code: province,
        notifications: r.notifications,
        successes: r.successes,
        amount: r.amount,
        success_rate: ratio4(r.successes, r.notifications),
        avg_duration_ms: r.durations === 0 ? null : roundedMean(r.durationSum, r.durations),
        min_duration_ms: r.min,
        max_duration_ms: r.max,
      }));
  }

  private taobaoRows(): ReportRow[] {
    const order = Object.keys(TAOBAO_DIMENSIONS);
    return [...this.taobao.entries()]
      .map(([key, events]) => {
        const [day, dimension, value] = key.split(SEP) as [string, string, string];
        return { day, dimension, value, events };
      })
      .sort((a, b) => compare(a.day, b.day) || order.indexOf(a.dimension) - order.indexOf(b.dimension) || compare(a.value, b.value));
  }

  private sankeyRows(): ReportRow[] {
    const byDay = new Map<string, Map<string, { steps: string[]; count: number }>>();
    for (const [key, events] of this.sessions) {
      const ordered = [...events].sort((a, b) => a.ms - b.ms || a.seq - b.seq || compare(a.eventId, b.eventId));
      const sessions: PathStep[][] = [];
      if (key.startsWith('s')) sessions.push(ordered);
      else {
        for (const e of ordered) {
          const current = sessions[sessions.length - 1];
          const last = current?.[current.length - 1];
          if (current === undefined || last === undefined || e.ms - last.ms > this.gapMs) sessions.push([e]);
          else current.push(e);
        }
      }
      for (const session of sessions) {
        const day = this.dayOf((session[0] as PathStep).ms);
        const steps = session.map((s) => s.path);
        const paths = byDay.get(day) ?? new Map<string, { steps: string[]; count: number }>();
        const id = JSON.stringify(steps);
        const entry = paths.get(id) ?? { steps, count: 0 };
        entry.count += 1;
        paths.set(id, entry);
        byDay.set(day, paths);
      }
    }
    const out: ReportRow[] = [];
    for (const day of [...byDay.keys()].sort(compare)) {
      for (const row of pathsToRows([...(byDay.get(day) as Map<string, { steps: string[]; count: number }>).values()])) {
        out.push({ day, source: row.source, target: row.target, weight: row.weight, full_path: row.fullPath });
      }
    }
    return out;
  }
}

/** Every report's truth of a list of accepted events (pure; the order of the list does not matter). */
export function computeReportTruth(
  events: ReadonlyArray<{ readonly seq: number; readonly event: EventInput }>,
  options: ReportTruthOptions,
): ReportTruths {
  const builder = new ReportTruthBuilder(options);
  for (const { event, seq } of [...events].sort((a, b) => a.seq - b.seq)) builder.add(event, seq);
  return builder.build();
}
