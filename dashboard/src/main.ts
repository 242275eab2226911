/**
 * The dashboard page: loads config.json, signs the user in (signin.ts), polls the
 * read API every few seconds and draws the Sankey, the per-minute trends, the distributions and
 * the alerts feed; the Reports view (reports-view.ts) shows the daily reports behind its tab. All
 * text from the API goes into the page as text (never as HTML), and the charts' tooltips are drawn
 * on the canvas, so the strict CSP needs no inline styles or scripts.
 */
import { allCharts, renderAlerts, renderDistributions, renderSankey, renderTrends } from './charts';
import { saveBlob, setStatus, ui } from './dom';
import { ApiError, loadConfig, ReadApi, type AlertPages, type ApiErrorKind, type DashboardConfig } from './api';
import type { Identity } from './auth';
import { mountViews, type Views } from './reports-view';
import { SignIn } from './signin';
import {
  alertRows,
  buildTrends,
  clampInt,
  DISTRIBUTIONS,
  localDate,
  localDateTime,
  localMinute,
  mergeAlerts,
  mergeMetrics,
  toSankey,
  TREND_METRICS,
  type Alert,
  type AlertsAnswer,
  type AnyBucket,
  type MetricsAnswer,
  type PathsAnswer,
} from './shape';

/** Minutes refetched on every refresh: the 5-minute lateness bound plus processing delay. */
const REFETCH_MINUTES = 10;
/** The whole range is reloaded this often (and whenever it changes). */
const FULL_RELOAD_MS = 5 * 60_000;
/** Alert pages read for the error line of the trends chart (1000 alerts each). */
const ERROR_PAGES_FULL = 10;
const ERROR_PAGES_RECENT = 3;
const FEED_SIZE = 50;
const FEED_HOURS = 24;

// ---------------------------------------------------------------------------------------------
// State
// ---------------------------------------------------------------------------------------------

interface Controls {
  date: string;
  /** True until the user picks a date: the Sankey then follows "today" across midnight. */
  dateIsToday: boolean;
  rangeMinutes: number;
  topN: number;
  minWeight: number;
  maxDepth: number;
}

/** What the last refreshes fetched: refreshes refetch only the recent minutes of what is complete. */
interface Cache {
  rangeMinutes: number;
  /** When the whole range was last reloaded. */
  loadedAt: number;
  /** Keys (`trend:*`, `dist:*`, `errors`, `paths`) loaded over the whole range since then. */
  complete: Set<string>;
  metrics: Map<string, MetricsAnswer<AnyBucket>>;
  errors: Alert[];
  /** True once error alerts were loaded over the range (until the cache is reset). */
  errorsLoaded: boolean;
  errorsCoveredSince?: string;
  paths?: { key: string; answer: PathsAnswer; loadedAt: number };
}

/** The page's mutable state, all in one place. */
interface Session {
  /** `config.json` (defaults until it is loaded: nothing reads the API or signs in before). */
  config: DashboardConfig;
  /** The sign-in of this tab, once config.json is loaded. */
  signIn: SignIn | undefined;
  /** The client of the signed-in user; undefined while signed out (no polling then). */
  api: ReadApi | undefined;
  /** The next scheduled refresh. */
  timer: number | undefined;
  /** A refresh is in flight; `pending` asks for another one right after it. */
  running: boolean;
  pending: boolean;
  /** When a refresh last succeeded on every panel (epoch ms). */
  lastSuccess: number | undefined;
  /** The debounce of control changes. */
  debounce: number | undefined;
  /** The view tabs and the Reports view (mounted once config.json is loaded). */
  views: Views | undefined;
}

const session: Session = {
  config: {
    apiBase: '/v1',
    title: 'User-behaviour analytics',
    stage: '',
    timeZone: 'UTC',
    refreshSeconds: 5,
    auth: { domain: '', clientId: '', scopes: [] },
  },
  signIn: undefined,
  api: undefined,
  timer: undefined,
  running: false,
  pending: false,
  lastSuccess: undefined,
  debounce: undefined,
  views: undefined,
};
const cache: Cache = { rangeMinutes: 0, loadedAt: 0, complete: new Set(), metrics: new Map(), errors: [], errorsLoaded: false };
const controls: Controls = { date: '', dateIsToday: true, rangeMinutes: 60, topN: 40, minWeight: 1, maxDepth: 6 };

function resetCache(): void {
  cache.loadedAt = 0;
  cache.complete.clear();
  cache.metrics.clear();
  cache.errors = [];
  cache.errorsLoaded = false;
  cache.errorsCoveredSince = undefined;
  cache.paths = undefined;
}

// ---------------------------------------------------------------------------------------------
// Refresh
// ---------------------------------------------------------------------------------------------

const SEVERITY: readonly ApiErrorKind[] = ['unauthorized', 'forbidden', 'not-found', 'unreachable', 'bad-request', 'server'];

function asApiError(reason: unknown): ApiError {
  return reason instanceof ApiError ? reason : new ApiError('server', reason instanceof Error ? reason.message : String(reason));
}

/** The worst of the failures, for the banner. */
function worst(errors: readonly ApiError[]): ApiError | undefined {
  return [...errors].sort((a, b) => SEVERITY.indexOf(a.kind) - SEVERITY.indexOf(b.kind))[0];
}

function panelError(errors: readonly ApiError[]): string {
  const e = worst(errors);
  if (!e) return '';
  const stale =
    session.lastSuccess === undefined || e.kind === 'forbidden'
      ? ''
      : ` Showing data from ${localDateTime(session.lastSuccess, session.config.timeZone).slice(11)}.`;
  return `${describe(e)}${stale}`;
}

function describe(e: ApiError): string {
  switch (e.kind) {
    case 'unauthorized':
      return 'Not signed in, or the session expired (401): signing in again.';
    case 'forbidden':
      return `Not available to your role (403): ${e.message}.`;
    case 'not-found':
      return `Read API not found: ${e.message}.`;
    case 'unreachable':
      return `API unreachable: ${e.message}. Retrying every ${session.config.refreshSeconds} s.`;
    case 'bad-request':
      return `The API rejected a request: ${e.message}.`;
    case 'server':
      return `API error: ${e.message}.`;
  }
}

function showBanner(e: ApiError | undefined): void {
  ui.banner.hidden = e === undefined;
  ui.banner.textContent = e ? describe(e) : '';
  ui.banner.dataset.kind = e?.kind ?? '';
  ui.connection.dataset.state = e === undefined ? 'ok' : e.kind === 'unreachable' || e.kind === 'unauthorized' ? 'down' : 'degraded';
}

function pathsKey(): string {
  return `${controls.date}|${controls.minWeight}|${pathsLimit()}`;
}

function pathsLimit(): number {
  return clampInt(controls.topN * 5, 200, 5000);
}

/** The minutes one refresh covers, in the stage's time zone. */
interface RefreshWindow {
  readonly now: number;
  readonly range: number;
  readonly rangeStartMs: number;
  /** Start of the minutes refetched for what is already cached (late events may change them). */
  readonly recentStartMs: number;
  /** Local minute of the range's start: cached buckets before it are dropped. */
  readonly keepFrom: string;
  readonly to: string;
  readonly until: string;
}

/** A metric query of one panel; `recent` when only the recent minutes are refetched. */
interface MetricJob {
  readonly key: string;
  readonly name: string;
  readonly dim: string | undefined;
  readonly recent: boolean;
}

/** What one refresh fetched, each call succeeded or failed on its own. */
interface Fetched {
  readonly metricJobs: readonly MetricJob[];
  readonly metrics: readonly Outcome<MetricsAnswer<AnyBucket>>[];
  readonly errorsRecent: boolean;
  readonly errorsSinceMs: number;
  readonly errors: Outcome<AlertPages>;
  readonly feed: Outcome<AlertsAnswer>;
  readonly pathsKey: string;
  readonly paths: Outcome<PathsAnswer>;
}

/** The failures of one refresh, per panel. */
interface PanelErrors {
  readonly trends: ApiError[];
  readonly distributions: ApiError[];
  readonly paths: ApiError[];
  readonly feed: ApiError[];
}

const localMinuteOf = (ms: number): string => localMinute(new Date(ms).toISOString(), session.config.timeZone) ?? '';

/** Moves the Sankey's date to today when it follows today and the day has changed. */
function followToday(now: number): void {
  if (!controls.dateIsToday) return;
  const today = localDate(now, session.config.timeZone);
  if (today !== controls.date) {
    controls.date = today;
    ui.date.value = today;
  }
}

/** The window of a refresh at `now`; marks the cache for a full reload when the range changed or it is old. */
function refreshWindow(now: number): RefreshWindow {
  const range = controls.rangeMinutes;
  if (cache.rangeMinutes !== range || now - cache.loadedAt > FULL_RELOAD_MS) {
    // Everything is fetched over the whole range again; until then the cache stays on screen.
    cache.rangeMinutes = range;
    cache.loadedAt = now;
    cache.complete.clear();
  }
  const rangeStartMs = now - range * 60_000;
  return {
    now,
    range,
    rangeStartMs,
    recentStartMs: Math.max(rangeStartMs, now - REFETCH_MINUTES * 60_000),
    keepFrom: localMinuteOf(rangeStartMs),
    to: localMinuteOf(now),
    until: new Date(now).toISOString(),
  };
}

/** Every call of a refresh at once: the metrics of the trends and distributions, error alerts, the feed, the day's paths. */
async function fetchPanels(client: ReadApi, w: RefreshWindow): Promise<Fetched> {
  const metricJobs = [
    ...TREND_METRICS.map((m) => ({ key: `trend:${m.key}`, name: m.metric, dim: undefined as string | undefined })),
    ...DISTRIBUTIONS.map((d) => ({ key: `dist:${d.key}`, name: 'events', dim: d.dim })),
  ].map((job) => ({ ...job, recent: cache.complete.has(job.key) }));
  const metricResults = Promise.all(
    metricJobs.map((j) =>
      client
        .metrics({ name: j.name, from: localMinuteOf(j.recent ? w.recentStartMs : w.rangeStartMs), to: w.to, dim: j.dim })
        .then(ok, fail),
    ),
  );
  const errorsRecent = cache.complete.has('errors');
  const errorsSinceMs = errorsRecent ? w.recentStartMs : w.rangeStartMs;
  const errorResult = client.alertPages(
    { kind: 'error', since: new Date(errorsSinceMs).toISOString(), until: w.until, limit: 1000 },
    errorsRecent ? ERROR_PAGES_RECENT : ERROR_PAGES_FULL,
  );
  const feedResult = client.alerts({ since: new Date(w.now - FEED_HOURS * 3_600_000).toISOString(), until: w.until, limit: FEED_SIZE });
  const key = pathsKey();
  // The day's paths are read on every refresh, past days too: late events, backfills and path
  // documents keep changing a past day's Sankey (one Query of that day's partition).
  const pathsResult = client.paths({ date: controls.date, minWeight: controls.minWeight, limit: pathsLimit() });
  const [metrics, errors, feed, paths] = await Promise.all([
    metricResults,
    errorResult.then(ok, fail),
    feedResult.then(ok, fail),
    pathsResult.then(ok, fail),
  ]);
  return { metricJobs, metrics, errorsRecent, errorsSinceMs, errors, feed, pathsKey: key, paths };
}

/** Merges what was fetched into the cache and returns what failed, per panel. */
function cacheResults(f: Fetched, w: RefreshWindow): PanelErrors {
  const errors: PanelErrors = { trends: [], distributions: [], paths: [], feed: f.feed.ok ? [] : [f.feed.error] };
  f.metrics.forEach((result, i) => {
    const job = f.metricJobs[i];
    if (result.ok) {
      const since = localMinuteOf(job.recent ? w.recentStartMs : w.rangeStartMs);
      cache.metrics.set(job.key, mergeMetrics(job.recent ? cache.metrics.get(job.key) : undefined, result.value, since, w.keepFrom));
      cache.complete.add(job.key);
    } else {
      (job.key.startsWith('trend:') ? errors.trends : errors.distributions).push(result.error);
    }
  });
  if (f.errors.ok) {
    const pages = f.errors.value;
    cache.errors = mergeAlerts(
      f.errorsRecent ? cache.errors : [],
      pages.alerts,
      new Date(f.errorsSinceMs).toISOString(),
      new Date(w.rangeStartMs).toISOString(),
    );
    cache.errorsLoaded = true;
    if (!f.errorsRecent) cache.errorsCoveredSince = pages.truncated ? pages.alerts[pages.alerts.length - 1]?.createdAt : undefined;
    // When the recent minutes alone overflow the pages, load the whole range again next time.
    if (f.errorsRecent && pages.truncated) cache.complete.delete('errors');
    else cache.complete.add('errors');
  } else errors.trends.push(f.errors.error);
  if (f.paths.ok) {
    cache.paths = { key: f.pathsKey, answer: f.paths.value, loadedAt: w.now };
    cache.complete.add('paths');
  } else errors.paths.push(f.paths.error);
  return errors;
}

/** Draws every panel from the cache, with each panel's failure under it. */
function renderPanels(w: RefreshWindow, f: Fetched, errors: PanelErrors): void {
  const tz = session.config.timeZone;
  // Sankey (the cached day if this refresh failed, when it is the day asked for)
  const shown = cache.paths && cache.paths.key === f.pathsKey ? cache.paths.answer.edges : [];
  renderSankey(toSankey(shown, controls), controls.date);
  if (errors.paths.length > 0) setStatus(ui.sankeyStatus, panelError(errors.paths), 'error');

  // Trends
  const trendAnswers: Record<string, MetricsAnswer<AnyBucket> | undefined> = {};
  for (const m of TREND_METRICS) trendAnswers[m.key] = cache.metrics.get(`trend:${m.key}`);
  renderTrends(
    buildTrends({
      from: w.keepFrom,
      to: w.to,
      timeZone: tz,
      metrics: trendAnswers,
      alerts: cache.errorsLoaded ? cache.errors : undefined,
      alertsCoveredSince: cache.errorsCoveredSince,
    }),
    tz,
  );
  if (errors.trends.length > 0) setStatus(ui.trendsStatus, panelError(errors.trends), 'error');

  // Distributions
  const distAnswers = new Map<string, MetricsAnswer<AnyBucket>>();
  for (const d of DISTRIBUTIONS) {
    const answer = cache.metrics.get(`dist:${d.key}`);
    if (answer) distAnswers.set(d.key, answer);
  }
  renderDistributions(distAnswers);
  ui.distributionsMeta.textContent = `events, last ${rangeLabel(w.range)}`;
  if (errors.distributions.length > 0) setStatus(ui.distributionsStatus, panelError(errors.distributions), 'error');

  // Alerts
  if (f.feed.ok) renderAlerts(alertRows(f.feed.value.alerts, tz, FEED_SIZE), FEED_HOURS);
  else setStatus(ui.alertsStatus, panelError(errors.feed), 'error');
}

/**
 * The banner and "last updated" line. A 403 (the role may not read a route) is said in its panel
 * only: it is how the role is, not a failure. A 401 gets a new token (or a new sign-in).
 */
function reportStatus(all: readonly ApiError[]): void {
  const banner = worst(all);
  showBanner(banner);
  ui.lastUpdated.textContent =
    session.lastSuccess === undefined
      ? 'not updated yet'
      : `last updated ${localDateTime(session.lastSuccess, session.config.timeZone).slice(11)}${all.length > 0 ? ' (stale)' : ''}`;
  ui.lastUpdated.dataset.stale = String(all.length > 0);
  if (banner?.kind === 'unauthorized') void session.signIn?.refreshNow();
}

/** One refresh of every panel; failures are shown per panel and in the banner, never thrown. */
async function refresh(): Promise<void> {
  if (!session.api) return;
  const client = session.api;
  const now = Date.now();
  followToday(now);
  const w = refreshWindow(now);
  const fetched = await fetchPanels(client, w);
  const errors = cacheResults(fetched, w);
  const all = [...errors.trends, ...errors.distributions, ...errors.feed, ...errors.paths].filter((e) => e.kind !== 'forbidden');
  if (all.length === 0) session.lastSuccess = now;
  renderPanels(w, fetched, errors);
  reportStatus(all);
}

type Outcome<T> = { ok: true; value: T } | { ok: false; error: ApiError };
const ok = <T>(value: T): Outcome<T> => ({ ok: true, value });
const fail = (reason: unknown): Outcome<never> => ({ ok: false, error: asApiError(reason) });

function rangeLabel(minutes: number): string {
  return minutes < 60 ? `${minutes} min` : `${minutes / 60} h`;
}

/** Runs a refresh now (or right after the one in flight), then every `refreshSeconds`. */
function schedule(): void {
  if (session.running) {
    session.pending = true;
    return;
  }
  window.clearTimeout(session.timer);
  session.running = true;
  void refresh()
    .catch((error: unknown) => showBanner(asApiError(error)))
    .finally(() => {
      session.running = false;
      if (!session.api) return;
      if (session.pending) {
        session.pending = false;
        schedule();
        return;
      }
      session.timer = window.setTimeout(() => {
        if (document.visibilityState === 'hidden') return; // resumed on visibilitychange
        schedule();
      }, session.config.refreshSeconds * 1000);
    });
}

function stop(): void {
  window.clearTimeout(session.timer);
  session.timer = undefined;
}

// ---------------------------------------------------------------------------------------------
// Sign-in
// ---------------------------------------------------------------------------------------------

/** Shows who is signed in; starts polling as them, or stops when signed out. */
function showIdentity(identity: Identity | undefined): void {
  ui.user.hidden = identity === undefined;
  ui.userEmail.textContent = identity?.email ?? '';
  ui.userRole.textContent = identity ? (identity.role ?? 'no role') : '';
  ui.userRole.title = identity ? `groups: ${identity.groups.join(', ') || 'none'}` : '';
  ui.user.dataset.role = identity?.role ?? '';
  if (identity === undefined) {
    stop();
    session.api = undefined;
    return;
  }
  ui.signInPanel.hidden = true;
  if (session.api) return; // a refreshed token: the client reads the current token on every call
  const signIn = session.signIn;
  session.api = new ReadApi(session.config.apiBase, () => signIn?.token());
  resetCache();
  session.lastSuccess = undefined;
  schedule();
  session.views?.refresh();
}

function askToSignIn(reason: string): void {
  ui.signInReason.textContent = reason;
  ui.signInPanel.hidden = false;
  ui.signIn.focus();
}

ui.signIn.addEventListener('click', () => {
  ui.signIn.disabled = true;
  session.signIn?.beginSignIn().catch((error: unknown) => {
    ui.signIn.disabled = false;
    askToSignIn(`Could not start the sign-in: ${error instanceof Error ? error.message : String(error)}.`);
  });
});
ui.signOut.addEventListener('click', () => {
  ui.signOut.disabled = true;
  session.signIn?.signOut();
});

// ---------------------------------------------------------------------------------------------
// Controls
// ---------------------------------------------------------------------------------------------

function readControls(): void {
  const date = ui.date.value;
  controls.dateIsToday = date === '' || date === localDate(Date.now(), session.config.timeZone);
  controls.date = /^\d{4}-\d{2}-\d{2}$/.test(date) ? date : localDate(Date.now(), session.config.timeZone);
  controls.rangeMinutes = clampInt(Number(ui.range.value), 1, 7 * 24 * 60);
  controls.topN = clampInt(Number(ui.topN.value), 1, 1000);
  controls.minWeight = clampInt(Number(ui.minWeight.value), 1);
  controls.maxDepth = clampInt(Number(ui.maxDepth.value), 2, 100);
  const params = new URLSearchParams();
  if (!controls.dateIsToday) params.set('date', controls.date);
  params.set('range', String(controls.rangeMinutes));
  params.set('top', String(controls.topN));
  params.set('min', String(controls.minWeight));
  params.set('depth', String(controls.maxDepth));
  history.replaceState(null, '', `?${params.toString()}`);
}

function writeControls(): void {
  ui.date.value = controls.date;
  if (![...ui.range.options].some((o) => o.value === String(controls.rangeMinutes))) {
    ui.range.append(new Option(rangeLabel(controls.rangeMinutes), String(controls.rangeMinutes)));
  }
  ui.range.value = String(controls.rangeMinutes);
  ui.topN.value = String(controls.topN);
  ui.minWeight.value = String(controls.minWeight);
  ui.maxDepth.value = String(controls.maxDepth);
}

for (const input of [ui.date, ui.range, ui.topN, ui.minWeight, ui.maxDepth]) {
  input.addEventListener('change', () => {
    readControls();
    window.clearTimeout(session.debounce);
    session.debounce = window.setTimeout(() => {
      // Top N and depth are applied here: redraw at once from the cache, then refresh.
      if (cache.paths) renderSankey(toSankey(cache.paths.answer.edges, controls), controls.date);
      schedule();
    }, 250);
  });
}

ui.downloadCsv.addEventListener('click', () => {
  if (!session.api) return;
  const date = controls.date;
  ui.downloadCsv.disabled = true;
  session.api
    .pathsCsv(date)
    .then((blob) => saveBlob(blob, `paths-${session.config.stage || 'stage'}-${date}.csv`))
    .catch((error: unknown) => {
      const e = asApiError(error);
      showBanner(e);
      if (e.kind === 'unauthorized') void session.signIn?.refreshNow();
    })
    .finally(() => {
      ui.downloadCsv.disabled = false;
    });
});

window.addEventListener('resize', () => {
  for (const chart of allCharts()) chart.resize();
});
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible' && session.api && !session.running) schedule();
});

// ---------------------------------------------------------------------------------------------
// Start
// ---------------------------------------------------------------------------------------------

async function start(): Promise<void> {
  try {
    session.config = await loadConfig();
  } catch (error) {
    showBanner(new ApiError('unreachable', error instanceof Error ? error.message : String(error)));
    ui.banner.textContent = `The dashboard cannot start: ${error instanceof Error ? error.message : String(error)}.`;
    return;
  }
  document.title = session.config.stage ? `${session.config.title} (${session.config.stage})` : session.config.title;
  ui.title.textContent = session.config.title;
  ui.stage.textContent = session.config.stage;
  ui.stage.hidden = session.config.stage === '';
  const signIn = new SignIn(session.config.auth, session.config.stage, showIdentity, (error) =>
    showBanner(new ApiError('unauthorized', error.message)),
  );
  session.signIn = signIn;
  // Coming back from the managed login: the address the sign-in started from is put back first.
  const landing = signIn.takeCallback();
  const params = new URLSearchParams(location.search);
  const today = localDate(Date.now(), session.config.timeZone);
  const date = params.get('date') ?? '';
  controls.date = /^\d{4}-\d{2}-\d{2}$/.test(date) ? date : today;
  controls.dateIsToday = controls.date === today;
  controls.rangeMinutes = clampInt(Number(params.get('range') ?? 60), 1, 7 * 24 * 60);
  controls.topN = clampInt(Number(params.get('top') ?? 40), 1, 1000);
  controls.minWeight = clampInt(Number(params.get('min') ?? 1), 1);
  controls.maxDepth = clampInt(Number(params.get('depth') ?? 6), 2, 100);
  writeControls();

  session.views = mountViews({
    config: session.config,
    api: () => session.api,
    onError: (e) => {
      // A report the role may not read says so in its panel.
      if (e.kind === 'forbidden') return;
      showBanner(e);
      if (e.kind === 'unauthorized') void session.signIn?.refreshNow();
    },
  });
  try {
    const result = await signIn.start(landing);
    if (result === 'signed-out') askToSignIn('You are signed out.');
  } catch (error) {
    askToSignIn(`${error instanceof Error ? error.message : String(error)}. Sign in again.`);
  }
}

void start();
