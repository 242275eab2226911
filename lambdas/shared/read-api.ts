/**
 * The contract of the read API (docs/read-api.md): the answer bodies of `GET /v1/alerts`,
 * `/v1/metrics` and `/v1/paths`, declared once. The query Lambda builds them, the dashboard reads
 * them; both import these types, so a change on one side that the other does not follow breaks
 * the type check. Types only: the dashboard bundles this file for the browser.
 */

/** The two kinds of alert. */
export type AlertKind = 'error' | 'window';

/** An event whose error message matched the error filter. */
export interface ErrorAlert {
  readonly kind: 'error';
  /** The event's `eventId`. */
  readonly id: string;
  readonly eventId: string;
  readonly action: string;
  /** Absent in the masked view (analysts, docs/security.md). */
  readonly userId?: string;
  readonly createdAt: string;
  /** Absent in the masked view (analysts, docs/security.md). */
  readonly errorMsg?: string;
}

/** A threshold alert over a time window (e.g. ≥ 10 warnings per action in 60 s). */
export interface WindowAlert {
  readonly kind: 'window';
  /** `ruleId|action|windowStart`. */
  readonly id: string;
  readonly ruleId: string;
  /** The value of the grouping field (the action, unless `groupBy` names another field). */
  readonly action: string;
  /** Only when the rule groups by something other than `action`. */
  readonly groupBy?: string;
  readonly createdAt: string;
  readonly windowStart: string;
  readonly windowEnd: string;
  readonly count: number;
  readonly threshold: number;
}

export type Alert = ErrorAlert | WindowAlert;

/** `GET /v1/alerts`: newest first; `nextToken` when there are more. */
export interface AlertsAnswer {
  readonly timeZone: string;
  readonly since: string;
  readonly until: string;
  readonly alerts: readonly Alert[];
  readonly nextToken?: string;
}

/** One minute of a KPI (`minute` is a local `YYYY-MM-DDTHH:mm` of the stage's time zone); `avg` = `sum` / `count` when the measure keeps a sum. */
export interface MetricBucket {
  readonly minute: string;
  readonly count: number;
  /** Events counted after their minute had passed. */
  readonly late: number;
  readonly sum?: number;
  readonly min?: number;
  readonly max?: number;
  readonly avg?: number;
}

/**
 * One minute of the derived `recharge.successRate` (a fraction, 0..1). The API leaves out
 * minutes without recharges; `null` stands for such a minute where a client fills a gap.
 */
export interface RateBucket {
  readonly minute: string;
  readonly rate: number | null;
}

/**
 * One series of a metric: `dims` as stored (`''` without dimensions). One grouping field gives
 * its decoded `value`; several give `values` by field.
 */
export interface MetricSeries<B extends { readonly minute: string } = MetricBucket> {
  readonly dims: string;
  readonly value?: string;
  readonly values?: Readonly<Record<string, string>>;
  readonly buckets: readonly B[];
}

/** `GET /v1/metrics`: `MetricBucket`s, or `RateBucket`s for a ratio metric. */
export interface MetricsAnswer<B extends { readonly minute: string } = MetricBucket> {
  readonly name: string;
  readonly timeZone: string;
  readonly from: string;
  readonly to: string;
  readonly dim?: string;
  readonly series: readonly MetricSeries<B>[];
}

/** A step-indexed Sankey edge, e.g. `/blog (1)` → `/about (2)`. */
export interface PathEdge {
  readonly source: string;
  readonly target: string;
  readonly weight: number;
}

/** `GET /v1/paths`: the real-time Sankey edges (full paths are in the daily report `sankey-daily`). */
export interface PathsAnswer {
  readonly date: string;
  readonly timeZone: string;
  readonly edges: readonly PathEdge[];
}
