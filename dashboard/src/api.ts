/**
 * The dashboard's client of the read API (docs/read-api.md): relative URLs under the base from
 * config.json, the signed-in user's ID token as the `Authorization` header, typed answers, and
 * every failure classified so the page can say what went wrong.
 */
import {
  isReportName,
  type ReportAnswer,
  type ReportCell,
  type ReportListAnswer,
  type ReportName,
  type ReportRow,
} from '../../lambdas/shared/reports';
import { parseAuthConfig, type AuthConfig } from './auth';
import type { Alert, AlertsAnswer, AnyBucket, MetricsAnswer, PathsAnswer } from './shape';

/** `config.json`, written at deploy time (AWS) or by the local dashboard server. */
export interface DashboardConfig {
  /** Base of the read API, normally `/v1` on the same origin. */
  readonly apiBase: string;
  readonly title: string;
  readonly stage: string;
  /** IANA zone of the stage: minute buckets and Sankey days are in it. */
  readonly timeZone: string;
  readonly refreshSeconds: number;
  /** Where people sign in (Cognito managed login). */
  readonly auth: AuthConfig;
}

/**
 * What went wrong with a call, as the page tells it: `unauthorized` is a missing, expired or
 * refused token (401: sign in again); `forbidden` is a role the route does not allow (403).
 */
export type ApiErrorKind = 'unreachable' | 'unauthorized' | 'forbidden' | 'not-found' | 'bad-request' | 'server';

/** A failed call of the read API. */
export class ApiError extends Error {
  constructor(
    readonly kind: ApiErrorKind,
    message: string,
    readonly status?: number,
    /** For `bad-request`: the parameter the API named. */
    readonly field?: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reads config.json's content; throws an Error naming the first bad field. */
export function parseConfig(raw: unknown): DashboardConfig {
  if (!isRecord(raw)) throw new Error('config.json: not a JSON object');
  const str = (name: string, fallback?: string): string => {
    const v = raw[name];
    if (typeof v === 'string' && v !== '') return v;
    if (v === undefined && fallback !== undefined) return fallback;
    throw new Error(`config.json: "${name}" must be a non-empty string`);
  };
  const refresh = raw.refreshSeconds === undefined ? 5 : Number(raw.refreshSeconds);
  if (!Number.isFinite(refresh) || refresh < 1) throw new Error('config.json: "refreshSeconds" must be a number ≥ 1');
  return {
    apiBase: str('apiBase', '/v1').replace(/\/+$/, ''),
    title: str('title', 'User-behaviour analytics'),
    stage: str('stage', ''),
    timeZone: str('timeZone', 'UTC'),
    refreshSeconds: refresh,
    auth: parseAuthConfig(raw.auth),
  };
}

/** `value` when it is a string, else `fallback`. */
const textOr = (value: unknown, fallback: string): string => (typeof value === 'string' ? value : fallback);

/**
 * fetch as the client calls it. `cache` is spelled out: it is a browser fetch option that Node's
 * `RequestInit` type lacks, and this file is also type-checked under Node for its unit tests.
 */
type Fetch = (input: string, init?: RequestInit & { readonly cache?: 'no-store' }) => Promise<Response>;

/** The browser's fetch, called unbound-safe. */
const browserFetch: Fetch = (input, init) => fetch(input, init);

/** Loads and checks `config.json` next to the page; throws an Error saying why it could not. */
export async function loadConfig(url = 'config.json', fetchImpl: Fetch = browserFetch): Promise<DashboardConfig> {
  let response: Response;
  try {
    response = await fetchImpl(url, { cache: 'no-store' });
  } catch {
    throw new Error(`could not load ${url}: the site is unreachable`);
  }
  if (!response.ok) throw new Error(`could not load ${url}: HTTP ${response.status}`);
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    throw new Error(`${url} is not JSON`);
  }
  return parseConfig(body);
}

async function readJson(response: Response): Promise<unknown> {
  try {
    return (await response.json()) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * The error of a non-2xx answer. 401 is the authorizer refusing the token (missing, expired,
 * forged). 403 is the role not allowed on the route (the API names the role and the route), except
 * API Gateway's "Missing Authentication Token", which is what it answers for a route that does
 * not exist. A 502/503/504 without API Gateway's request id came from the proxy in front
 * (CloudFront, or the local server) because the API did not answer.
 */
export async function errorOf(response: Response): Promise<ApiError> {
  const status = response.status;
  const body = await readJson(response);
  const message = isRecord(body) && typeof body.message === 'string' ? body.message : undefined;
  if (status === 401) return new ApiError('unauthorized', `not signed in, or the session expired${message ? ` (${message})` : ''}`, status);
  if (status === 403) {
    if (message === 'Missing Authentication Token')
      return new ApiError('not-found', 'the read API has no such route (is it deployed?)', status);
    const reason = isRecord(body) && typeof body.reason === 'string' && body.reason !== '' ? body.reason : message;
    return new ApiError('forbidden', reason ? reason.slice(0, 300) : 'your role may not read this', status);
  }
  if (status === 404) return new ApiError('not-found', 'the read API has no such route (is it deployed?)', status);
  if (status === 400) {
    const field = isRecord(body) && typeof body.field === 'string' ? body.field : undefined;
    const detail = isRecord(body) && typeof body.error === 'string' ? body.error : (message ?? 'bad request');
    return new ApiError('bad-request', detail, status, field);
  }
  if (status === 429) return new ApiError('server', 'the API is throttling requests (429)', status);
  if ((status === 502 || status === 503 || status === 504) && !response.headers.has('x-amzn-requestid')) {
    return new ApiError('unreachable', `the API did not answer (${status} from the proxy)`, status);
  }
  return new ApiError('server', `the API failed (${status}${message ? `: ${message}` : ''})`, status);
}

/** Query parameters of `GET /v1/alerts`. */
export interface AlertsQuery {
  readonly since?: string;
  readonly until?: string;
  readonly kind?: Alert['kind'];
  readonly limit?: number;
  readonly nextToken?: string;
}

/** Query parameters of `GET /v1/metrics`. */
export interface MetricsQuery {
  readonly name: string;
  readonly from?: string;
  readonly to?: string;
  readonly dim?: string;
}

/** Query parameters of `GET /v1/paths`. */
export interface PathsQuery {
  readonly date?: string;
  readonly minWeight?: number;
  readonly limit?: number;
}

/** Alerts of several pages, and whether the last page still had a `nextToken`. */
export interface AlertPages {
  readonly alerts: Alert[];
  readonly truncated: boolean;
}

const TIMEOUT_MS = 15_000;

/** A client of the read API under one base URL, sending the signed-in user's current ID token. */
export class ReadApi {
  constructor(
    private readonly base: string,
    /** The current ID token (it changes on every refresh), or undefined while signed out. */
    private readonly idToken: () => string | undefined,
    private readonly fetchImpl: Fetch = browserFetch,
  ) {}

  private url(path: string, params: Readonly<Record<string, string | number | undefined>>): string {
    const query = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') query.set(k, String(v));
    const qs = query.toString();
    return `${this.base}${path}${qs ? `?${qs}` : ''}`;
  }

  /** GETs a path; resolves with the 2xx response or rejects with a classified ApiError. */
  private async get(path: string, params: Readonly<Record<string, string | number | undefined>>, accept: string): Promise<Response> {
    const headers: Record<string, string> = { accept };
    const token = this.idToken();
    if (token) headers.authorization = token;
    let response: Response;
    try {
      response = await this.fetchImpl(this.url(path, params), { headers, cache: 'no-store', signal: AbortSignal.timeout(TIMEOUT_MS) });
    } catch (error) {
      const timedOut = error instanceof DOMException && error.name === 'TimeoutError';
      throw new ApiError('unreachable', timedOut ? `no answer within ${TIMEOUT_MS / 1000} s` : 'API unreachable (network error)');
    }
    if (!response.ok) throw await errorOf(response);
    return response;
  }

  private async getJson(path: string, params: Readonly<Record<string, string | number | undefined>>): Promise<Record<string, unknown>> {
    const response = await this.get(path, params, 'application/json');
    const body = await readJson(response);
    if (!isRecord(body)) throw new ApiError('server', `unexpected answer from ${path} (not a JSON object)`, response.status);
    return body;
  }

  /** One page of alerts, newest first. */
  async alerts(q: AlertsQuery): Promise<AlertsAnswer> {
    const body = await this.getJson('/alerts', { since: q.since, until: q.until, kind: q.kind, limit: q.limit, nextToken: q.nextToken });
    if (!Array.isArray(body.alerts)) throw new ApiError('server', 'unexpected answer from /alerts (no alerts array)');
    const alerts = body.alerts.filter(
      (a): a is Alert => isRecord(a) && (a.kind === 'error' || a.kind === 'window') && typeof a.createdAt === 'string',
    );
    return {
      timeZone: textOr(body.timeZone, ''),
      since: textOr(body.since, q.since ?? ''),
      until: textOr(body.until, q.until ?? ''),
      alerts,
      ...(typeof body.nextToken === 'string' && body.nextToken !== '' ? { nextToken: body.nextToken } : {}),
    };
  }

  /** Alerts of up to `maxPages` pages (newest first), following `nextToken`. */
  async alertPages(q: Omit<AlertsQuery, 'nextToken'>, maxPages: number): Promise<AlertPages> {
    const alerts: Alert[] = [];
    let nextToken: string | undefined;
    for (let page = 0; page < maxPages; page += 1) {
      const answer = await this.alerts({ ...q, nextToken });
      alerts.push(...answer.alerts);
      nextToken = answer.nextToken;
      if (!nextToken) return { alerts, truncated: false };
    }
    return { alerts, truncated: true };
  }

  /** A metric's per-minute series. */
  async metrics(q: MetricsQuery): Promise<MetricsAnswer<AnyBucket>> {
    const body = await this.getJson('/metrics', { name: q.name, from: q.from, to: q.to, dim: q.dim });
    if (!Array.isArray(body.series)) throw new ApiError('server', 'unexpected answer from /metrics (no series array)');
    const series = body.series.filter(isRecord).map((s) => ({
      dims: typeof s.dims === 'string' ? s.dims : '',
      ...(typeof s.value === 'string' ? { value: s.value } : {}),
      buckets: Array.isArray(s.buckets) ? s.buckets.filter((b): b is AnyBucket => isRecord(b) && typeof b.minute === 'string') : [],
    }));
    return {
      name: textOr(body.name, q.name),
      timeZone: textOr(body.timeZone, ''),
      from: textOr(body.from, q.from ?? ''),
      to: textOr(body.to, q.to ?? ''),
      ...(q.dim ? { dim: q.dim } : {}),
      series,
    };
  }

  /** A day's real-time Sankey edges (heaviest first). */
  async paths(q: PathsQuery): Promise<PathsAnswer> {
    const body = await this.getJson('/paths', { date: q.date, minWeight: q.minWeight, limit: q.limit });
    if (!Array.isArray(body.edges)) throw new ApiError('server', 'unexpected answer from /paths (no edges array)');
    const edges = body.edges.filter(
      (e): e is PathsAnswer['edges'][number] =>
        isRecord(e) && typeof e.source === 'string' && typeof e.target === 'string' && typeof e.weight === 'number',
    );
    return { date: textOr(body.date, q.date ?? ''), timeZone: textOr(body.timeZone, ''), edges };
  }

  /** `GET /v1/reports`: every report and the days it has exports for (unknown report names are left out). */
  async reports(): Promise<ReportListAnswer> {
    const body = await this.getJson('/reports', {});
    if (!Array.isArray(body.reports)) throw new ApiError('server', 'unexpected answer from /reports (no reports array)');
    const reports = body.reports.filter(isRecord).flatMap((r) => {
      const name = typeof r.name === 'string' ? r.name : '';
      if (!isReportName(name)) return [];
      const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
      return [{ name, columns: strings(r.columns), days: strings(r.days) }];
    });
    return { reports };
  }

  /** `GET /v1/reports/{name}?from=&to=`: the report's rows over the days (cells other than text, numbers and null are dropped). */
  async report(name: ReportName, from: string, to: string): Promise<ReportAnswer> {
    const body = await this.getJson(`/reports/${encodeURIComponent(name)}`, { from, to });
    if (!Array.isArray(body.rows) || !Array.isArray(body.columns))
      throw new ApiError('server', `unexpected answer from /reports/${name} (no rows or columns)`);
    const columns = body.columns.filter((c): c is string => typeof c === 'string');
    const rows = body.rows.filter(isRecord).map((raw) => {
      const row: ReportRow = {};
      for (const column of columns) {
        const cell = raw[column];
        row[column] = typeof cell === 'string' || typeof cell === 'number' || cell === null ? (cell as ReportCell) : null;
      }
      return row;
    });
    return { report: name, from: textOr(body.from, from), to: textOr(body.to, to), columns, rows };
  }

  /** A report over the days as CSV (`?format=csv`), as a Blob. */
  async reportCsv(name: ReportName, from: string, to: string): Promise<Blob> {
    const response = await this.get(`/reports/${encodeURIComponent(name)}`, { from, to, format: 'csv' }, 'text/csv');
    return response.blob();
  }

  /** A day's Sankey CSV (the path-analysis system's format) as a Blob, fetched with the token. */
  async pathsCsv(date: string): Promise<Blob> {
    const response = await this.get('/paths.csv', { date }, 'text/csv');
    return response.blob();
  }
}
