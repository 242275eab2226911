/**
 * Ground truth of what the API accepted: pure aggregation over accepted v1 events, so tests and
 * end-to-end checks can compare the pipeline's results with exact expected numbers.
 * Every map in the output has its keys sorted, so the JSON is stable.
 */
import type { EventInput, PropValue } from '../../lambdas/shared/event';
import { propNumber as num, propText as text } from './props';
import type { CommodityRow } from './commodities';
import { ReportTruthBuilder, type ReportTruths } from './report-truth';
import { ERROR_MARKERS, WARN_THRESHOLD } from './scenarios/alerts';
import { RECHARGE_NOTIFY, RECHARGE_SUCCESS } from './scenarios/recharge';
import { DEFAULT_TIME_ZONE, localDate, parseCompact, parseEventTime, utcMinuteKey } from './time';

/** Minute key used for events whose createdAt cannot be read as a time. */
export const UNPARSEABLE = 'unparseable';
/** Separator of an edge key (`"/home (1) -> /blog (2)"`) and of a full path (`"/home -> /blog"`). */
export const ARROW = ' -> ';

export interface TruthOptions {
  /** Zone for createdAt values without an offset, the recharge scenario's 17-digit times and sales days. */
  readonly timeZone?: string;
  /** Keys counted in `byDimension`: a `props` key, or a top-level field such as `bizId`. */
  readonly dimensions?: readonly string[];
  /** Warnings per (action, UTC minute) at which an alert fires; default 10 (alerts scenario). */
  readonly warningThreshold?: number;
  /** The commodity dimension, for the `sales-daily` report's names (none: names are null). */
  readonly commodities?: readonly CommodityRow[];
  /** Funnels of the `funnel` report, name → actions; default the stages' default funnel. */
  readonly funnels?: Readonly<Record<string, readonly string[]>>;
}

/** One accepted event and its send order (`seq`: the order events were first sent in). */
export interface AcceptedEvent {
  readonly seq: number;
  readonly event: EventInput;
}

export interface MinuteCounts {
  total: number;
  byAction: Record<string, number>;
}

export interface DurationStats {
  count: number;
  min: number | null;
  max: number | null;
  sum: number;
  avg: number | null;
}

export interface RechargeTruth {
  /** Accepted `reChargeNotifyReq` events. */
  count: number;
  /** Of those, `bussinessRst == "0000"`. */
  successCount: number;
  failureCount: number;
  successRate: number;
  /** Sum of `chargefee` over successful notifications. */
  amount: number;
  /** receiveNotifyTime − requestId's 17-digit prefix, over successful notifications. */
  durationMs: DurationStats;
  /** The same over all notifications, failed ones included. */
  durationMsAll: DurationStats;
  /** Failed notifications per `provinceCode`. */
  failuresByProvince: Record<string, number>;
  /** Per UTC minute of createdAt: notifications, successes and success amount. */
  perMinute: Record<string, { count: number; successCount: number; amount: number }>;
}

export interface SalesTruth {
  /** Key `"<machineId>|<commodityId>"`. */
  byMachineCommodity: Record<string, { count: number; amount: number }>;
  byCommodity: Record<string, { count: number; amount: number }>;
  byMachine: Record<string, { count: number; amount: number }>;
  /** Per local date (in the time zone) of createdAt. */
  byDay: Record<string, { count: number; amount: number }>;
}

export interface PathRow {
  source: string;
  target: string;
  weight: number;
  fullPath: string;
}

export interface PathsTruth {
  /** Sessions (sessionId, else `user:<userId>`) with at least one event carrying `path`. */
  sessions: number;
  /**
   * The real-time Sankey's edges `"<path> (<n>)" -> "<path> (<n+1>)"`: a page view carrying
   * `step` (above 1) counts its own edge `"<prevPath> (<step-1>)" -> "<path> (<step>)"`, whether
   * or not the page view before it was accepted; page views without `step` count the edges of their
   * session (those page views in event-time order), once per session taking the step.
   */
  edges: Record<string, number>;
  /** `"/a -> /b -> /c"` → number of sessions with exactly that full path. */
  fullPaths: Record<string, number>;
  /** The path-analysis sample's CSV rows `source,target,weight,full_path`, sorted by full path then step. */
  rows: PathRow[];
}

export interface ErrorAlert {
  eventId: string;
  action: string;
  userId: string;
  createdAt: string;
  marker: string;
}

export interface WarningWindow {
  action: string;
  /** UTC minute of createdAt, `YYYY-MM-DDTHH:mmZ`. */
  windowStart: string;
  count: number;
  fires: boolean;
}

export interface AlertsTruth {
  warningThreshold: number;
  /** Every accepted event whose errorMsg contains [error], [ERROR], [panic] or [PANIC], in send order. */
  errors: ErrorAlert[];
  /** Events whose errorMsg contains `[warn]` (any case), per action and UTC minute. */
  warnings: WarningWindow[];
  /** Windows with `count >= warningThreshold`. */
  firingWarnings: number;
}

export interface Truth {
  total: number;
  byAction: Record<string, number>;
  byDimension: Record<string, Record<string, number>>;
  perMinute: Record<string, MinuteCounts>;
  recharge: RechargeTruth | null;
  sales: SalesTruth | null;
  paths: PathsTruth | null;
  alerts: AlertsTruth;
  /** Every daily report's expected answer over the days the events cover (report-truth.ts). */
  reports: ReportTruths;
}

function inc(map: Record<string, number>, key: string, by = 1): void {
  map[key] = (map[key] ?? 0) + by;
}

function sortKeys<T>(map: Record<string, T>): Record<string, T> {
  const out: Record<string, T> = {};
  for (const key of Object.keys(map).sort()) out[key] = map[key] as T;
  return out;
}

class Stats {
  count = 0;
  min = Number.POSITIVE_INFINITY;
  max = Number.NEGATIVE_INFINITY;
  sum = 0;

  add(value: number): void {
    this.count += 1;
    this.sum += value;
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
  }

  done(): DurationStats {
    if (this.count === 0) return { count: 0, min: null, max: null, sum: 0, avg: null };
    return { count: this.count, min: this.min, max: this.max, sum: this.sum, avg: this.sum / this.count };
  }
}

interface PathStep {
  readonly ms: number;
  readonly seq: number;
  readonly path: string;
  /** The page view's own `step` and `prevPath`, when it carries them. */
  readonly step?: number;
  readonly prevPath?: string;
}

/**
 * Incremental ground-truth builder: `add` each accepted event (any order), then `build`.
 * Holds only what the aggregates need (path steps per session, not whole events).
 */
export class TruthBuilder {
  private readonly timeZone: string;
  private readonly dimensions: readonly string[];
  private readonly threshold: number;

  private total = 0;
  private readonly byAction: Record<string, number> = {};
  private readonly byDimension: Record<string, Record<string, number>> = {};
  private readonly perMinute: Record<string, MinuteCounts> = {};

  private rechargeCount = 0;
  private rechargeSuccess = 0;
  private rechargeAmount = 0;
  private readonly durations = new Stats();
  private readonly durationsAll = new Stats();
  private readonly failuresByProvince: Record<string, number> = {};
  private readonly rechargePerMinute: Record<string, { count: number; successCount: number; amount: number }> = {};

  private salesCount = 0;
  private readonly sales = {
    byMachineCommodity: {} as Record<string, { count: number; amount: number }>,
    byCommodity: {} as Record<string, { count: number; amount: number }>,
    byMachine: {} as Record<string, { count: number; amount: number }>,
    byDay: {} as Record<string, { count: number; amount: number }>,
  };

  private readonly sessions = new Map<string, PathStep[]>();
  private readonly errors: (ErrorAlert & { seq: number })[] = [];
  private readonly warnings: Record<string, { action: string; windowStart: string; count: number }> = {};
  private readonly reports: ReportTruthBuilder;

  constructor(options: TruthOptions = {}) {
    this.timeZone = options.timeZone ?? DEFAULT_TIME_ZONE;
    this.reports = new ReportTruthBuilder({
      timeZone: this.timeZone,
      ...(options.commodities === undefined ? {} : { commodities: options.commodities }),
      ...(options.funnels === undefined ? {} : { funnels: options.funnels }),
    });
    this.dimensions = options.dimensions ?? [];
    this.threshold = options.warningThreshold ?? WARN_THRESHOLD;
    for (const d of this.dimensions) this.byDimension[d] = {};
  }

  /** Adds one accepted event; `seq` is its send order, used to break createdAt ties. */
  add(event: EventInput, seq: number): void {
    const ms = parseEventTime(event.createdAt, this.timeZone);
    const minute = ms === undefined ? UNPARSEABLE : utcMinuteKey(ms);
    const props = event.props ?? {};
    const fields: Readonly<Record<string, unknown>> = event;

    this.total += 1;
    inc(this.byAction, event.action);
    const bucket = (this.perMinute[minute] ??= { total: 0, byAction: {} });
    bucket.total += 1;
    inc(bucket.byAction, event.action);

    for (const d of this.dimensions) {
      const raw = props[d] ?? fields[d];
      const value = typeof raw === 'string' || typeof raw === 'number' || typeof raw === 'boolean' ? String(raw) : undefined;
      if (value !== undefined) inc(this.byDimension[d] as Record<string, number>, value);
    }

    if (event.action === RECHARGE_NOTIFY) this.addRecharge(props, minute);
    this.addSale(props, ms);
    if (event.path !== undefined) {
      const key = event.sessionId ?? `user:${event.userId}`;
      const steps = this.sessions.get(key) ?? [];
      steps.push({
        ms: ms ?? Number.POSITIVE_INFINITY,
        seq,
        path: event.path,
        ...(event.step === undefined ? {} : { step: event.step }),
        ...(event.prevPath === undefined ? {} : { prevPath: event.prevPath }),
      });
      this.sessions.set(key, steps);
    }
    if (event.errorMsg !== undefined) this.addAlert(event, event.errorMsg, minute, seq);
    this.reports.add(event, seq);
  }

  private addRecharge(props: Readonly<Record<string, PropValue>>, minute: string): void {
    const success = text(props.bussinessRst) === RECHARGE_SUCCESS;
    const fee = num(props.chargefee) ?? 0;
    this.rechargeCount += 1;
    const perMinute = (this.rechargePerMinute[minute] ??= { count: 0, successCount: 0, amount: 0 });
    perMinute.count += 1;
    if (success) {
      this.rechargeSuccess += 1;
      this.rechargeAmount += fee;
      perMinute.successCount += 1;
      perMinute.amount += fee;
    } else {
      inc(this.failuresByProvince, text(props.provinceCode) ?? 'unknown');
    }
    const requestId = text(props.requestId);
    const notified = text(props.receiveNotifyTime);
    const start = requestId === undefined ? undefined : parseCompact(requestId.slice(0, 17), this.timeZone);
    const end = notified === undefined ? undefined : parseCompact(notified, this.timeZone);
    if (start !== undefined && end !== undefined) {
      this.durationsAll.add(end - start);
      if (success) this.durations.add(end - start);
    }
  }

  private addSale(props: Readonly<Record<string, PropValue>>, ms: number | undefined): void {
    const machine = text(props.machineId);
    const commodity = text(props.commodityId);
    const amount = num(props.amount);
    if (machine === undefined || commodity === undefined || amount === undefined) return;
    this.salesCount += 1;
    const add = (map: Record<string, { count: number; amount: number }>, key: string): void => {
      const entry = (map[key] ??= { count: 0, amount: 0 });
      entry.count += 1;
      entry.amount += amount;
    };
    add(this.sales.byMachineCommodity, `${machine}|${commodity}`);
    add(this.sales.byCommodity, commodity);
    add(this.sales.byMachine, machine);
    add(this.sales.byDay, ms === undefined ? UNPARSEABLE : localDate(ms, this.timeZone));
  }

  private addAlert(event: EventInput, errorMsg: string, minute: string, seq: number): void {
    const marker = ERROR_MARKERS.find((m) => errorMsg.includes(m));
    if (marker !== undefined) {
      this.errors.push({ seq, eventId: event.eventId, action: event.action, userId: event.userId, createdAt: event.createdAt, marker });
    }
    if (/\[warn\]/i.test(errorMsg)) {
      const key = `${minute}|${event.action}`;
      const window = (this.warnings[key] ??= { action: event.action, windowStart: minute, count: 0 });
      window.count += 1;
    }
  }

  /** The aggregates so far (the builder can keep accepting events afterwards). */
  build(): Truth {
    const perMinute: Record<string, MinuteCounts> = {};
    for (const [k, v] of Object.entries(sortKeys(this.perMinute))) perMinute[k] = { total: v.total, byAction: sortKeys(v.byAction) };
    const byDimension: Record<string, Record<string, number>> = {};
    for (const d of this.dimensions) byDimension[d] = sortKeys(this.byDimension[d] ?? {});

    const warnings = Object.keys(this.warnings)
      .sort()
      .map((k) => this.warnings[k] as { action: string; windowStart: string; count: number })
      .map((w) => ({ ...w, fires: w.count >= this.threshold }));

    return {
      total: this.total,
      byAction: sortKeys(this.byAction),
      byDimension,
      perMinute,
      recharge: this.rechargeCount === 0 ? null : this.buildRecharge(),
      sales: this.salesCount === 0 ? null : this.buildSales(),
      paths: this.sessions.size === 0 ? null : this.buildPaths(),
      alerts: {
        warningThreshold: this.threshold,
        errors: [...this.errors].sort((a, b) => a.seq - b.seq).map(({ seq: _seq, ...alert }) => alert),
        warnings,
        firingWarnings: warnings.filter((w) => w.fires).length,
      },
      reports: this.reports.build(),
    };
  }

  private buildRecharge(): RechargeTruth {
    const perMinute: RechargeTruth['perMinute'] = {};
    for (const [k, v] of Object.entries(sortKeys(this.rechargePerMinute))) perMinute[k] = { ...v };
    return {
      count: this.rechargeCount,
      successCount: this.rechargeSuccess,
      failureCount: this.rechargeCount - this.rechargeSuccess,
      successRate: this.rechargeSuccess / this.rechargeCount,
      amount: this.rechargeAmount,
      durationMs: this.durations.done(),
      durationMsAll: this.durationsAll.done(),
      failuresByProvince: sortKeys(this.failuresByProvince),
      perMinute,
    };
  }

  private buildSales(): SalesTruth {
    const copy = (m: Record<string, { count: number; amount: number }>): Record<string, { count: number; amount: number }> => {
      const out: Record<string, { count: number; amount: number }> = {};
      for (const [k, v] of Object.entries(sortKeys(m))) out[k] = { ...v };
      return out;
    };
    return {
      byMachineCommodity: copy(this.sales.byMachineCommodity),
      byCommodity: copy(this.sales.byCommodity),
      byMachine: copy(this.sales.byMachine),
      byDay: copy(this.sales.byDay),
    };
  }

  private buildPaths(): PathsTruth {
    const edges: Record<string, number> = {};
    const fullPaths: Record<string, number> = {};
    const rows: Record<string, PathRow & { step: number }> = {};
    for (const steps of this.sessions.values()) {
      const sorted = [...steps].sort((a, b) => a.ms - b.ms || a.seq - b.seq);
      // Real-time edges: a page view with a step names its own; the others are sessionized among themselves.
      // (Ingest accepts a step above 1 only with its prevPath, the page viewed at step - 1.)
      const stepless = sorted.filter((s) => s.step === undefined);
      for (const { step, prevPath, path } of sorted)
        if (step !== undefined && step > 1) inc(edges, `${prevPath ?? ''} (${step - 1})${ARROW}${path} (${step})`);
      for (let i = 0; i + 1 < stepless.length; i++)
        inc(edges, `${(stepless[i] as PathStep).path} (${i + 1})${ARROW}${(stepless[i + 1] as PathStep).path} (${i + 2})`);
      const ordered = sorted.map((s) => s.path);
      const fullPath = ordered.join(ARROW);
      inc(fullPaths, fullPath);
      for (let i = 0; i + 1 < ordered.length; i++) {
        const source = `${ordered[i]} (${i + 1})`;
        const target = `${ordered[i + 1]} (${i + 2})`;
        const rowKey = `${fullPath}\u0000${String(i).padStart(6, '0')}`;
        const row = (rows[rowKey] ??= { source, target, weight: 0, fullPath, step: i + 1 });
        row.weight += 1;
      }
    }
    return {
      sessions: this.sessions.size,
      edges: sortKeys(edges),
      fullPaths: sortKeys(fullPaths),
      rows: Object.keys(rows)
        .sort()
        .map((k) => rows[k] as PathRow & { step: number })
        .map(({ source, target, weight, fullPath }) => ({ source, target, weight, fullPath })),
    };
  }
}

/** Ground truth of a list of accepted events (pure; order of the list does not matter). */
export function computeTruth(events: readonly AcceptedEvent[], options: TruthOptions = {}): Truth {
  const builder = new TruthBuilder(options);
  for (const { event, seq } of events) builder.add(event, seq);
  return builder.build();
}
