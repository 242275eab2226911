import { eventInputSchema } from './event';

/**
 * Business metrics: counts the handlers derive from their logic's results, written as CloudWatch
 * embedded metric format (EMF) lines by Powertools Metrics at the end of every invocation (see
 * `meteredEntry` in `entry.ts`), in the namespace `UserBehaviorAnalytics/<stage>` with the default
 * dimension `service`. The names and dimensions are a contract with the monitoring dashboard and
 * alarms (docs/operations.md). This module has no AWS dependency: the CDK app imports it too.
 */

/** The services that write business metrics (the `service` dimension). */
export const METRIC_SERVICES = ['ingest', 'realtime', 'windows', 'reports'] as const;
export type MetricService = (typeof METRIC_SERVICES)[number];

/** Every business metric but the per-field rejections; all are counts. */
export const BUSINESS_METRICS = [
  'EventsAccepted',
  'EventsRejected',
  'StreamFailures',
  'PoisonRecords',
  'LateEvents',
  'AlertsRaised',
  'WindowsFired',
  'ConditionalRetries',
  'ReportRunsSucceeded',
  'ReportRunsFailed',
] as const;
export type BusinessMetric = (typeof BUSINESS_METRICS)[number];

/** Events rejected, per field at fault (dimension {@link FIELD_DIMENSION}). */
export const REJECTED_BY_FIELD = 'EventsRejectedByField';
export const FIELD_DIMENSION = 'field';

/** The metric names each service writes on every invocation (zeros included, so graphs and alarms always have data). */
export const SERVICE_METRICS: Readonly<Record<MetricService, readonly BusinessMetric[]>> = {
  ingest: ['EventsAccepted', 'EventsRejected', 'StreamFailures'],
  realtime: ['PoisonRecords', 'LateEvents', 'AlertsRaised', 'ConditionalRetries'],
  windows: ['WindowsFired', 'AlertsRaised'],
  reports: ['ReportRunsSucceeded', 'ReportRunsFailed'],
};

/** The CloudWatch namespace of a stage's business metrics. */
export const metricsNamespace = (stage: string): string => `UserBehaviorAnalytics/${stage}`;

/** The `field` dimension's values: the v1 event's top-level fields, `(event)` for the event as a whole, `(other)` for anything else. */
export const EVENT_FIELDS: readonly string[] = [...Object.keys(eventInputSchema.shape), '(event)', '(other)'];
const SCHEMA_FIELDS = new Set(Object.keys(eventInputSchema.shape));

/**
 * The `field` dimension value of a validation error's field path (`props.amount` → `props`,
 * `createdAt` → `createdAt`, `''` → `(event)`, a misspelt or path-document field → `(other)`):
 * always one of {@link EVENT_FIELDS}, so the dimension stays bounded whatever clients send.
 */
export function rejectionField(fieldPath: string): string {
  if (fieldPath === '') return '(event)';
  const head = /^[A-Za-z_$][\w$]*/.exec(fieldPath)?.[0];
  return head !== undefined && SCHEMA_FIELDS.has(head) ? head : '(other)';
}

/** What a handler adds its counts to; the entry publishes them at the end of the invocation. */
export interface BusinessMetrics {
  /** Adds each count to its metric. */
  add(counts: Partial<Readonly<Record<BusinessMetric, number>>>): void;
  /** Adds one rejected event to each field at fault (any field path; bounded by {@link rejectionField}). */
  addRejectedFields(fieldPaths: Iterable<string>): void;
}

/** The counts of one invocation, accumulated in memory. */
export class MetricTally implements BusinessMetrics {
  private readonly totals = new Map<BusinessMetric, number>();
  private readonly fields = new Map<string, number>();

  add(counts: Partial<Readonly<Record<BusinessMetric, number>>>): void {
    for (const name of BUSINESS_METRICS) {
      const value = counts[name];
      if (value !== undefined && value !== 0) this.totals.set(name, (this.totals.get(name) ?? 0) + value);
    }
  }

  addRejectedFields(fieldPaths: Iterable<string>): void {
    for (const field of new Set([...fieldPaths].map(rejectionField))) this.fields.set(field, (this.fields.get(field) ?? 0) + 1);
  }

  /** The total of one metric so far (0 when nothing was added). */
  count(name: BusinessMetric): number {
    return this.totals.get(name) ?? 0;
  }

  /** Rejected events per field so far. */
  rejectedByField(): ReadonlyMap<string, number> {
    return new Map(this.fields);
  }

  /** Forgets everything (the next invocation starts from zero). */
  clear(): void {
    this.totals.clear();
    this.fields.clear();
  }
}
