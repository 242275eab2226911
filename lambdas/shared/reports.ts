/**
 * The daily reports' contract: names, columns and the answer shape, shared by the daily job, the
 * read API, the `report` command, the producer's ground truth and the dashboard.
 *
 * Definitions (docs/reports.md states them for users):
 * - A **day** is `createdAt` in the stage time zone, `YYYY-MM-DD`. Events are first deduplicated
 *   by `eventId` (the copy received first is kept), so a resent event counts once.
 * - `dau` / `wau` / `mau`: distinct `userId` per day, per ISO week (`week` is that week's Monday,
 *   `YYYY-MM-DD`) and per month (`YYYY-MM`).
 * - `funnel`: for each configured funnel (an ordered list of actions) and day, `users` at step k is
 *   the number of users who did steps 1..k in that order within the day: there are events e1..ek
 *   of that user on that day with `action` = step i and `createdAt(e1) <= … <= createdAt(ek)`.
 *   `conversion` = users at step k / users at step 1, rounded to 4 decimals (1 at step 1). A row is
 *   written for every step of a funnel on each day where step 1 has users.
 * - `retention`: a user's cohort day is the first day they were seen in the whole curated table.
 *   For each cohort day in range, one row per `day_offset` in {@link RETENTION_OFFSETS}:
 *   `cohort_users` = users of the cohort, `users` = those of them active on cohort day + offset
 *   (0 when none).
 * - `sales-daily`: events with `action` = `order`, per day, `props.machineId`, `props.commodityId`:
 *   `orders` = events, `quantity` = sum of `props.quantity`, `amount` = sum of `props.amount`;
 *   `commodity_name` from the commodity dimension (`dim/commodity.csv`), null when unknown.
 * - `recharge-daily`: events with `action` = `reChargeNotifyReq`, per day and `props.provinceCode`:
 *   `notifications`; `successes` (`props.bussinessRst` = "0000"); `amount` = sum of
 *   `props.chargefee` over successes; `success_rate` = successes / notifications (4 decimals);
 *   `avg/min/max_duration_ms` over successes of `props.receiveNotifyTime` − the 17-digit
 *   `yyyyMMddHHmmssSSS` prefix of `props.requestId`, both read in the stage time zone (avg rounded
 *   to a whole ms; null when no success has a readable duration) — the real-time side's rules.
 * - `taobao-daily`: per day, for `dimension` in action, age_range, gender, province
 *   (`action`, `props.ageRange`, `props.gender`, `props.province`): `events` per `value`
 *   (values as text; events without the field are not counted for that dimension).
 * - `sankey-daily`: the path-analysis CSV rows `source,target,weight,full_path` of the day's
 *   sessions, as `/v1/paths.csv` writes them: events with a `path`; a session is one
 *   (`userId`, `sessionId`) when `sessionId` is set, otherwise a user's events split where two
 *   consecutive events are more than the session gap (1,800 s) apart; ordered by `createdAt`,
 *   ties by `receivedAt`, then `eventId`; a session counts on the day of its first event; nodes
 *   are `"<path> (<step>)"` with steps from 1; weight = sessions with that full path. Sessions are
 *   read from the day before to the day after (a session longer than that is cut).
 * - Deduplication is per event day: two events with one `eventId` and `createdAt` on different days
 *   are both kept (a resent event has the same `createdAt`, so it is always dropped).
 * - Exports: each report's rows are written per **bucket** under `exports/<report>/dt=<bucket>/`:
 *   the day (`dau`, `funnel`, the `-daily` reports), the week's Monday (`wau`), the month's first
 *   day (`mau`), the cohort day (`retention`). A range `from..to` selects the buckets that overlap
 *   it: days and cohort days in it, the weeks and months that contain any of its days.
 */

/** Every report, in the order the API lists them. */
export const REPORT_NAMES = [
  'dau',
  'wau',
  'mau',
  'funnel',
  'retention',
  'sales-daily',
  'recharge-daily',
  'taobao-daily',
  'sankey-daily',
] as const;

export type ReportName = (typeof REPORT_NAMES)[number];

/** The columns of each report, in order (snake_case, as in SQL). */
export const REPORT_COLUMNS = {
  dau: ['day', 'users'],
  wau: ['week', 'users'],
  mau: ['month', 'users'],
  funnel: ['day', 'funnel', 'step', 'action', 'users', 'conversion'],
  retention: ['cohort_day', 'day_offset', 'cohort_users', 'users'],
  'sales-daily': ['day', 'machine_id', 'commodity_id', 'commodity_name', 'orders', 'quantity', 'amount'],
  'recharge-daily': [
    'day',
    'province_code',
    'notifications',
    'successes',
    'amount',
    'success_rate',
    'avg_duration_ms',
    'min_duration_ms',
    'max_duration_ms',
  ],
  'taobao-daily': ['day', 'dimension', 'value', 'events'],
  'sankey-daily': ['day', 'source', 'target', 'weight', 'full_path'],
} as const satisfies Record<ReportName, readonly string[]>;

/** Days after the cohort day that `retention` reports. */
export const RETENTION_OFFSETS = [1, 2, 3, 4, 5, 6, 7, 14, 30] as const;

/** The default funnel: the producer's taobao actions. */
export const DEFAULT_FUNNELS: Readonly<Record<string, readonly string[]>> = {
  purchase: ['click', 'cart', 'buy'],
};

/** The dimensions of `taobao-daily` and the event field each one counts. */
export const TAOBAO_DIMENSIONS = {
  action: 'action',
  age_range: 'props.ageRange',
  gender: 'props.gender',
  province: 'props.province',
} as const;

/** A cell of a report row. */
export type ReportCell = string | number | null;

/** One row, keyed by the report's column names. */
export type ReportRow = Record<string, ReportCell>;

/** The answer of `GET /v1/reports/{name}` and of `npm run report -- <name> --format json`. */
export interface ReportAnswer {
  readonly report: ReportName;
  /** First day of the range, `YYYY-MM-DD`. */
  readonly from: string;
  /** Last day of the range (inclusive), `YYYY-MM-DD`. */
  readonly to: string;
  readonly columns: readonly string[];
  readonly rows: readonly ReportRow[];
}

/** The answer of `GET /v1/reports`: every report and the days it has exports for. */
export interface ReportListAnswer {
  readonly reports: ReadonlyArray<{ readonly name: ReportName; readonly columns: readonly string[]; readonly days: readonly string[] }>;
}

/** True when `name` is a report name. */
export const isReportName = (name: string): name is ReportName => (REPORT_NAMES as readonly string[]).includes(name);

/** How a report's exports are bucketed: by day, ISO week (its Monday) or month (its first day). */
export type ReportBucket = 'day' | 'week' | 'month';

/** The bucket of each report and the column that holds it. */
export const REPORT_BUCKETS: Readonly<Record<ReportName, { readonly bucket: ReportBucket; readonly column: string }>> = {
  dau: { bucket: 'day', column: 'day' },
  wau: { bucket: 'week', column: 'week' },
  mau: { bucket: 'month', column: 'month' },
  funnel: { bucket: 'day', column: 'day' },
  retention: { bucket: 'day', column: 'cohort_day' },
  'sales-daily': { bucket: 'day', column: 'day' },
  'recharge-daily': { bucket: 'day', column: 'day' },
  'taobao-daily': { bucket: 'day', column: 'day' },
  'sankey-daily': { bucket: 'day', column: 'day' },
};

/** Prefix of the report exports in the lake bucket. */
export const EXPORTS_PREFIX = 'exports/';

/** Key of one export file: `exports/<report>/dt=<bucket day>/<report>.<format>`. */
export const exportKey = (report: ReportName, day: string, format: 'csv' | 'json'): string =>
  `${EXPORTS_PREFIX}${report}/dt=${day}/${report}.${format}`;

/** The report and bucket day of an export key written by {@link exportKey}, or undefined for any other key. */
export function parseExportKey(
  key: string,
): { readonly report: ReportName; readonly day: string; readonly format: 'csv' | 'json' } | undefined {
  const match = /^exports\/([a-z-]+)\/dt=(\d{4}-\d{2}-\d{2})\/([a-z-]+)\.(csv|json)$/.exec(key);
  if (!match || match[1] !== match[3] || !isReportName(match[1])) return undefined;
  return { report: match[1], day: match[2], format: match[4] as 'csv' | 'json' };
}
