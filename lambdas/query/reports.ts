import { GetObjectCommand, ListObjectsV2Command, NoSuchKey, type S3Client } from '@aws-sdk/client-s3';
import { DateTime } from 'luxon';
import { reportCsv } from '../reports/exports';
import { addDays, bucketStart, daysBetween, isDay } from '../reports/plan';
import {
  EXPORTS_PREFIX,
  exportKey,
  isReportName,
  parseExportKey,
  REPORT_BUCKETS,
  REPORT_COLUMNS,
  REPORT_NAMES,
  type ReportAnswer,
  type ReportListAnswer,
  type ReportName,
  type ReportRow,
} from '../shared/reports';
import { mapLimit } from '../shared/concurrency';
import type { FieldIssue } from '../shared/issues';
import type { ParseResult, QueryStrings } from './params';

/**
 * Most days one report request may span, the default span, the most export bytes one answer may
 * gather (Lambda answers at most 6 MB, so the rows of a wide range are refused, not cut), and the
 * exports read at once.
 */
export const REPORT_LIMITS = { maxDays: 366, defaultDays: 30, maxAnswerBytes: 4_000_000, readConcurrency: 8 } as const;

/** The daily exports in the lake bucket (`exports/<report>/dt=<day>/<report>.json`); tests pass a fake. */
export interface ReportExports {
  /** Every export key, in any order. Rejects with the store's error. */
  listKeys(prefix: string): Promise<string[]>;
  /** An export's text, or undefined when it does not exist. Rejects with the store's other errors. */
  read(key: string): Promise<string | undefined>;
}

/** The query parameters of `GET /v1/reports/{name}`. */
const REPORT_PARAMS: readonly string[] = ['from', 'to', 'format'];

/** A parsed report request. */
export interface ReportRequest {
  readonly name: ReportName;
  readonly from: string;
  readonly to: string;
  readonly format: 'json' | 'csv';
}

/**
 * Parses `GET /v1/reports/{name}`: `name` a report, `from`/`to` days (`to` defaults to today in
 * `timeZone`, `from` to 29 days before `to`, at most 366 days), `format` `json` (default) or `csv`.
 * The error names the parameter.
 */
export function parseReportRequest(name: string | undefined, query: QueryStrings, now: Date, timeZone: string): ParseResult<ReportRequest> {
  const bad = (field: string, reason: string): ParseResult<ReportRequest> => ({ ok: false, error: { field, reason } satisfies FieldIssue });
  if (name === undefined || !isReportName(name)) return bad('name', `must be one of ${REPORT_NAMES.join(', ')}`);
  for (const key of Object.keys(query))
    if (!REPORT_PARAMS.includes(key)) return bad(key, `is not a parameter of this route (${REPORT_PARAMS.join(', ')})`);
  // A blank value counts as absent.
  const value = (key: string) => (query[key] === undefined || query[key] === '' ? undefined : query[key]);
  const today = DateTime.fromJSDate(now, { zone: timeZone }).toISODate() ?? '';
  const to = value('to') ?? today;
  if (!isDay(to)) return bad('to', 'must be a day written YYYY-MM-DD');
  const from = value('from') ?? addDays(to, -(REPORT_LIMITS.defaultDays - 1));
  if (!isDay(from)) return bad('from', 'must be a day written YYYY-MM-DD');
  if (from > to) return bad('from', 'must not be after to');
  if (daysBetween(from, to).length > REPORT_LIMITS.maxDays) return bad('to', `must be at most ${REPORT_LIMITS.maxDays} days after from`);
  const format = value('format') ?? 'json';
  if (format !== 'json' && format !== 'csv') return bad('format', 'must be json or csv');
  return { ok: true, value: { name, from, to, format } };
}

/** The bucket days of a report that overlap `from..to` (days, the weeks' Mondays, the months' first days). */
export function bucketsInRange(name: ReportName, from: string, to: string): string[] {
  const { bucket } = REPORT_BUCKETS[name];
  return [...new Set(daysBetween(bucketStart(bucket, from), to).map((d) => bucketStart(bucket, d)))];
}

/** Thrown when an export is not a report answer of the expected report. */
export class UnreadableExportError extends Error {
  constructor(key: string, reason: string) {
    super(`export ${key}: ${reason}`);
    this.name = 'UnreadableExportError';
  }
}

/** Thrown when the exports of a range hold more than {@link REPORT_LIMITS}.maxAnswerBytes: the caller asks for fewer days. */
export class ReportTooLargeError extends Error {
  constructor(
    readonly report: ReportName,
    readonly limitBytes: number,
  ) {
    super(`report ${report}: the range holds more than ${limitBytes} bytes of rows`);
    this.name = 'ReportTooLargeError';
  }
}

/** The answer of `GET /v1/reports`: each report with the bucket days it has exports for, ascending. Rejects with the store's error. */
export async function listReports(exports: ReportExports): Promise<ReportListAnswer> {
  const days = new Map<ReportName, Set<string>>(REPORT_NAMES.map((n) => [n, new Set()]));
  for (const key of await exports.listKeys(EXPORTS_PREFIX)) {
    const parsed = parseExportKey(key);
    if (parsed && parsed.format === 'json') days.get(parsed.report)?.add(parsed.day);
  }
  return { reports: REPORT_NAMES.map((name) => ({ name, columns: REPORT_COLUMNS[name], days: [...(days.get(name) ?? [])].sort() })) };
}

/**
 * One report over a range: the rows of each bucket's JSON export that overlaps it, in bucket
 * order (buckets without an export contribute nothing), read a few at a time. Rejects with
 * ReportTooLargeError when the exports hold more than `maxAnswerBytes`, with UnreadableExportError
 * for an export that is not this report's answer, or with the store's error.
 */
export async function readReport(
  exports: ReportExports,
  request: Pick<ReportRequest, 'name' | 'from' | 'to'>,
  limits: { readonly maxAnswerBytes: number; readonly readConcurrency: number } = REPORT_LIMITS,
): Promise<ReportAnswer> {
  const { name, from, to } = request;
  const present = new Set((await exports.listKeys(`${EXPORTS_PREFIX}${name}/`)).filter((k) => k.endsWith('.json')));
  const keys = bucketsInRange(name, from, to)
    .map((day) => exportKey(name, day, 'json'))
    .filter((key) => present.has(key));
  let bytes = 0;
  const texts = await mapLimit(keys, limits.readConcurrency, async (key) => {
    const text = await exports.read(key);
    bytes += text === undefined ? 0 : Buffer.byteLength(text);
    if (bytes > limits.maxAnswerBytes) throw new ReportTooLargeError(name, limits.maxAnswerBytes);
    return text;
  });
  const rows: ReportRow[] = [];
  for (const [i, key] of keys.entries()) {
    const text = texts[i];
    if (text === undefined) continue;
    let answer: unknown;
    try {
      answer = JSON.parse(text);
    } catch {
      throw new UnreadableExportError(key, 'not JSON');
    }
    const a = answer as Partial<ReportAnswer>;
    if (a.report !== name || !Array.isArray(a.rows)) throw new UnreadableExportError(key, `not an answer of ${name}`);
    rows.push(...a.rows);
  }
  return { report: name, from, to, columns: REPORT_COLUMNS[name], rows };
}

/** The CSV of an answer (header, rows, CRLF). Never fails. */
export const answerCsv = (answer: ReportAnswer): string => reportCsv(answer.columns, answer.rows);

/** The exports over S3. */
export function createS3Exports(client: S3Client, bucket: string): ReportExports {
  return {
    listKeys: async (prefix) => {
      const keys: string[] = [];
      let token: string | undefined;
      do {
        const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
        for (const o of page.Contents ?? []) if (o.Key !== undefined) keys.push(o.Key);
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token !== undefined);
      return keys;
    },
    read: async (key) => {
      try {
        const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        return out.Body ? await out.Body.transformToString('utf8') : '';
      } catch (error) {
        if (error instanceof NoSuchKey) return undefined;
        throw error;
      }
    },
  };
}
