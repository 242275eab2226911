/**
 * Reads CloudWatch embedded metric format (EMF) lines as the Lambda functions write them to
 * stdout (the local runtime puts each function's output in `.local/logs/`), and adds up the
 * business metrics they carry, for `npm start`'s status line and `npm run ops -- status`.
 */
import { BUSINESS_METRICS, REJECTED_BY_FIELD, type BusinessMetric } from '../../lambdas/shared/metrics';

/** One EMF document: its namespace, the dimension values it carries and each metric's total. */
export interface EmfDocument {
  readonly namespace: string;
  readonly dimensions: Readonly<Record<string, string>>;
  readonly values: Readonly<Record<string, number>>;
}

interface EmfDirective {
  readonly Namespace?: unknown;
  readonly Dimensions?: unknown;
  readonly Metrics?: unknown;
}

/** The sum of a metric's value (EMF allows a number or an array of numbers). */
const sumOf = (value: unknown): number | undefined => {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (Array.isArray(value) && value.every((v) => typeof v === 'number' && Number.isFinite(v)))
    return (value as number[]).reduce((a, b) => a + b, 0);
  return undefined;
};

/**
 * The EMF document in a log line (the JSON may follow a prefix such as the local runtime's
 * `<time> [function] `), or undefined when the line holds none. Never throws.
 */
export function parseEmfLine(line: string): EmfDocument | undefined {
  const at = line.indexOf('{"');
  if (at < 0 || !line.includes('"_aws"')) return undefined;
  let doc: unknown;
  try {
    doc = JSON.parse(line.slice(at));
  } catch {
    return undefined;
  }
  if (typeof doc !== 'object' || doc === null) return undefined;
  const record = doc as Record<string, unknown>;
  const aws = record._aws as { CloudWatchMetrics?: unknown } | undefined;
  const directives = Array.isArray(aws?.CloudWatchMetrics) ? (aws.CloudWatchMetrics as EmfDirective[]) : [];
  const directive = directives[0];
  if (directive === undefined || typeof directive.Namespace !== 'string' || !Array.isArray(directive.Metrics)) return undefined;
  const dimensions: Record<string, string> = {};
  for (const set of Array.isArray(directive.Dimensions) ? (directive.Dimensions as unknown[]) : []) {
    for (const name of Array.isArray(set) ? (set as unknown[]) : []) {
      if (typeof name === 'string' && typeof record[name] === 'string') dimensions[name] = record[name];
    }
  }
  const values: Record<string, number> = {};
  for (const metric of directive.Metrics as Array<{ Name?: unknown }>) {
    if (typeof metric.Name !== 'string') continue;
    const value = sumOf(record[metric.Name]);
    if (value !== undefined) values[metric.Name] = value;
  }
  return { namespace: directive.Namespace, dimensions, values };
}

/** Running totals of the business metrics, over every service, from EMF lines. */
export class BusinessTotals {
  private readonly totals = new Map<BusinessMetric, number>();
  private readonly byField = new Map<string, number>();

  /** Adds the metrics of `line` when it is an EMF document of `namespace`; true when it was one. */
  addLine(line: string, namespace: string): boolean {
    const doc = parseEmfLine(line);
    if (doc === undefined || doc.namespace !== namespace) return false;
    for (const name of BUSINESS_METRICS) {
      const value = doc.values[name];
      if (value !== undefined) this.totals.set(name, (this.totals.get(name) ?? 0) + value);
    }
    const field = doc.dimensions.field;
    const rejected = doc.values[REJECTED_BY_FIELD];
    if (field !== undefined && rejected !== undefined) this.byField.set(field, (this.byField.get(field) ?? 0) + rejected);
    return true;
  }

  /** The total of one metric (0 when none was seen). */
  get(name: BusinessMetric): number {
    return this.totals.get(name) ?? 0;
  }

  /** Rejected events per field. */
  rejectedByField(): ReadonlyMap<string, number> {
    return new Map(this.byField);
  }

  /** `accepted 120, rejected 3, poison 0, late 2, alerts 5` for a status line. */
  summary(): string {
    return [
      `accepted ${this.get('EventsAccepted')}`,
      `rejected ${this.get('EventsRejected')}`,
      `poison ${this.get('PoisonRecords')}`,
      `late ${this.get('LateEvents')}`,
      `alerts ${this.get('AlertsRaised')}`,
    ].join(', ');
  }
}
