import { csvField } from '../query/csv';
import { REPORT_BUCKETS, REPORT_COLUMNS, type ReportAnswer, type ReportCell, type ReportName, type ReportRow } from '../shared/reports';
import { bucketEnd, bucketOfCell, type ReportRun } from './plan';

/** A query result: column names and types as Athena reports them, values as text (null for SQL NULL). */
export interface ResultTable {
  readonly columns: ReadonlyArray<{ readonly name: string; readonly type: string }>;
  readonly rows: ReadonlyArray<ReadonlyArray<string | null>>;
}

/** Thrown when a result does not have the report's columns. */
export class ReportShapeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReportShapeError';
  }
}

const NUMERIC = /^(tinyint|smallint|integer|int|bigint|double|real|float|decimal)/i;

/** One cell: numeric SQL types become numbers, other types stay text, NULL is null. Throws ReportShapeError for a numeric cell that is not a number. */
export function cellOf(value: string | null, type: string, column: string): ReportCell {
  if (value === null) return null;
  if (!NUMERIC.test(type)) return value;
  const n = Number(value);
  if (!Number.isFinite(n)) throw new ReportShapeError(`column ${column} (${type}): ${JSON.stringify(value)} is not a number`);
  return n;
}

/** The rows of a report's result, keyed by its columns. Throws ReportShapeError when the columns are not the report's, in order. */
export function reportRows(report: ReportName, result: ResultTable): ReportRow[] {
  const expected = REPORT_COLUMNS[report];
  const names = result.columns.map((c) => c.name);
  if (names.length !== expected.length || names.some((n, i) => n !== expected[i])) {
    throw new ReportShapeError(`report ${report}: columns ${names.join(',')} are not ${expected.join(',')}`);
  }
  return result.rows.map((row) => {
    const out: ReportRow = {};
    result.columns.forEach((c, i) => {
      out[c.name] = cellOf(row[i] ?? null, c.type, c.name);
    });
    return out;
  });
}

/** One CSV cell: empty for null, a number as written (a negative one is not a formula), text quoted and neutralized by {@link csvField}. */
const reportCell = (value: ReportRow[string] | undefined): string =>
  value === null || value === undefined ? '' : typeof value === 'number' ? String(value) : csvField(value);

/** The CSV of a report: header, then one line per row (nulls empty), RFC 4180 quoting, CRLF. Never fails. */
export function reportCsv(columns: readonly string[], rows: readonly ReportRow[]): string {
  const lines = [columns.map(csvField).join(',')];
  for (const row of rows) lines.push(columns.map((c) => reportCell(row[c])).join(','));
  return `${lines.join('\r\n')}\r\n`;
}

/** One export: a bucket's answer and its CSV and JSON files. */
export interface ExportFiles {
  readonly report: ReportName;
  readonly day: string;
  readonly csv: string;
  readonly json: string;
}

/**
 * Splits a run's rows by bucket and renders every bucket of the run, including those with no
 * rows. Throws ReportShapeError for a row whose bucket is not one of the run's.
 */
export function exportsOfRun(run: ReportRun, rows: readonly ReportRow[]): ExportFiles[] {
  const { column } = REPORT_BUCKETS[run.report];
  const byBucket = new Map<string, ReportRow[]>(run.buckets.map((b) => [b, []]));
  for (const row of rows) {
    const cell = row[column];
    const bucket = typeof cell === 'string' ? bucketOfCell(run.bucket, cell) : undefined;
    const list = bucket === undefined ? undefined : byBucket.get(bucket);
    if (list === undefined)
      throw new ReportShapeError(
        `report ${run.report}: row ${JSON.stringify(row)} falls outside the buckets ${run.buckets[0]}..${run.buckets[run.buckets.length - 1]}`,
      );
    list.push(row);
  }
  const columns = REPORT_COLUMNS[run.report];
  return [...byBucket].map(([day, bucketRows]) => {
    const answer: ReportAnswer = { report: run.report, from: day, to: bucketEnd(run.bucket, day), columns, rows: bucketRows };
    return { report: run.report, day, csv: reportCsv(columns, bucketRows), json: `${JSON.stringify(answer)}\n` };
  });
}
