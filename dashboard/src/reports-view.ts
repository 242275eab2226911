/**
 * The Reports view: the daily reports the lake's daily job exports (`GET /v1/reports/{name}`),
 * over a range of days — active users (DAU/WAU/MAU), funnels with conversion, a retention
 * heatmap, sales by machine and commodity, recharge by province, and a past day's Sankey — each
 * with a CSV download (`?format=csv`). The reports change once a day, so the view loads when
 * opened and when its controls change; it does not poll. Shaping lives in reports-shape.ts.
 */
import { BarChart, HeatmapChart, LineChart, SankeyChart } from 'echarts/charts';
import type { BarSeriesOption, HeatmapSeriesOption, LineSeriesOption, SankeySeriesOption } from 'echarts/charts';
import { GridComponent, LegendComponent, TooltipComponent, VisualMapComponent } from 'echarts/components';
import type { GridComponentOption, LegendComponentOption, TooltipComponentOption, VisualMapComponentOption } from 'echarts/components';
import * as echarts from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';
import type { ReportAnswer, ReportName } from '../../lambdas/shared/reports';
import { ApiError, type DashboardConfig, type ReadApi } from './api';
import {
  activeUsersLines,
  dayRange,
  defaultRange,
  funnelBars,
  isDay,
  rechargeByProvince,
  retentionGrid,
  salesTable,
  sankeyEdgesOf,
} from './reports-shape';
import { sankeyChartOption } from './sankey-chart';
import { localDate, toSankey } from './shape';
import { byId, el, saveBlob, setStatus } from './dom';
import { compact, fmt, FONT, GRID_LINE, MUTED, TEXT } from './ui';

echarts.use([
  LineChart,
  BarChart,
  HeatmapChart,
  SankeyChart,
  GridComponent,
  LegendComponent,
  TooltipComponent,
  VisualMapComponent,
  CanvasRenderer,
]);

type Option = echarts.ComposeOption<
  | LineSeriesOption
  | BarSeriesOption
  | HeatmapSeriesOption
  | SankeySeriesOption
  | GridComponentOption
  | LegendComponentOption
  | TooltipComponentOption
  | VisualMapComponentOption
>;

/** The Sankey of a past day shows at most this many edges. */
const SANKEY_EDGES = 60;
/** Sales lines in the table (the CSV has all of them). */
const SALES_LINES = 50;

const base: Option = { backgroundColor: 'transparent', textStyle: { color: TEXT, fontFamily: FONT }, animationDuration: 300 };
const categoryAxis = (data: string[], extra: Record<string, unknown> = {}): Option['xAxis'] => ({
  type: 'category',
  data,
  axisLabel: { color: MUTED, fontSize: 11 },
  axisLine: { lineStyle: { color: GRID_LINE } },
  ...extra,
});
const valueAxis = (name: string): Option['yAxis'] => ({
  type: 'value',
  name,
  nameTextStyle: { color: MUTED },
  axisLabel: { color: MUTED, formatter: compact },
  splitLine: { lineStyle: { color: GRID_LINE } },
});

/** What the view needs from the page. */
export interface ReportsViewDeps {
  readonly config: DashboardConfig;
  /** The API client of the signed-in user, or undefined while signed out. */
  readonly api: () => ReadApi | undefined;
  /** A failure of a report (also shown on its panel): the page decides what the banner says, and signs in again on a 401. */
  readonly onError: (error: ApiError) => void;
}

/** The view's handle: show it (loading the reports), hide it. */
export interface ReportsView {
  show(): void;
  hide(): void;
}

const asApiError = (reason: unknown): ApiError =>
  reason instanceof ApiError ? reason : new ApiError('server', reason instanceof Error ? reason.message : String(reason));

/** Wires the Reports view's elements (index.html) and returns its handle. */
export function mountReportsView(deps: ReportsViewDeps): ReportsView {
  const ui = {
    view: byId('reports-view', HTMLElement),
    from: byId('reports-from', HTMLInputElement),
    to: byId('reports-to', HTMLInputElement),
    sankeyDay: byId('reports-sankey-day', HTMLInputElement),
    meta: byId('reports-meta', HTMLSpanElement),
    users: byId('report-users', HTMLDivElement),
    usersStatus: byId('report-users-status', HTMLParagraphElement),
    funnel: byId('report-funnel', HTMLDivElement),
    funnelStatus: byId('report-funnel-status', HTMLParagraphElement),
    retention: byId('report-retention', HTMLDivElement),
    retentionStatus: byId('report-retention-status', HTMLParagraphElement),
    sales: byId('report-sales', HTMLTableElement),
    salesStatus: byId('report-sales-status', HTMLParagraphElement),
    recharge: byId('report-recharge', HTMLDivElement),
    rechargeStatus: byId('report-recharge-status', HTMLParagraphElement),
    sankey: byId('report-sankey', HTMLDivElement),
    sankeyStatus: byId('report-sankey-status', HTMLParagraphElement),
    sankeyMeta: byId('report-sankey-meta', HTMLSpanElement),
  };
  let charts:
    | { users: echarts.ECharts; funnel: echarts.ECharts; retention: echarts.ECharts; recharge: echarts.ECharts; sankey: echarts.ECharts }
    | undefined;
  let initialized = false;
  let generation = 0;

  const chartsNow = (): NonNullable<typeof charts> => {
    // Created on first show: a chart made in a hidden element has no size.
    charts ??= {
      users: echarts.init(ui.users, 'dark', { renderer: 'canvas' }),
      funnel: echarts.init(ui.funnel, 'dark', { renderer: 'canvas' }),
      retention: echarts.init(ui.retention, 'dark', { renderer: 'canvas' }),
      recharge: echarts.init(ui.recharge, 'dark', { renderer: 'canvas' }),
      sankey: echarts.init(ui.sankey, 'dark', { renderer: 'canvas' }),
    };
    return charts;
  };

  const range = (): { from: string; to: string } => ({ from: ui.from.value, to: ui.to.value });

  /** One report over the range; a failure is shown on its panel and in the banner, and gives no rows. */
  async function fetchReport(
    client: ReadApi,
    name: ReportName,
    from: string,
    to: string,
    status: HTMLParagraphElement,
  ): Promise<ReportAnswer | undefined> {
    try {
      return await client.report(name, from, to);
    } catch (error) {
      const e = asApiError(error);
      setStatus(status, `Could not load ${name}: ${e.message}.`, 'error');
      deps.onError(e);
      return undefined;
    }
  }

  function renderUsers(days: string[], dau?: ReportAnswer, wau?: ReportAnswer, mau?: ReportAnswer): void {
    const lines = activeUsersLines(days, dau?.rows ?? [], wau?.rows ?? [], mau?.rows ?? []);
    chartsNow().users.setOption<Option>(
      {
        ...base,
        legend: { top: 0, textStyle: { color: TEXT } },
        tooltip: { trigger: 'axis', renderMode: 'richText', valueFormatter: (v) => fmt(v) },
        grid: { left: 56, right: 24, top: 40, bottom: 28 },
        xAxis: categoryAxis(days, { boundaryGap: false }),
        yAxis: valueAxis('users'),
        series: lines.map((line) => ({
          id: line.key,
          name: line.label,
          type: 'line',
          step: line.key === 'dau' ? undefined : 'middle',
          showSymbol: line.key === 'dau',
          symbolSize: 4,
          lineStyle: { width: line.key === 'dau' ? 2.5 : 1.5 },
          data: [...line.data],
        })),
      },
      { replaceMerge: ['series', 'xAxis'] },
    );
    const points = lines[0]?.data.filter((v) => v !== null).length ?? 0;
    ui.users.dataset.points = String(points);
    ui.users.setAttribute('aria-label', `Active users per day, week and month: ${points} days with data.`);
    setStatus(
      ui.usersStatus,
      points === 0 && lines.every((l) => l.data.every((v) => v === null)) ? 'No active-user reports for these days yet.' : '',
    );
  }

  function renderFunnel(answer?: ReportAnswer): void {
    const funnels = funnelBars(answer?.rows ?? []);
    const steps = Math.max(0, ...funnels.map((f) => f.steps.length));
    const categories = Array.from({ length: steps }, (_, i) => `step ${i + 1}`);
    chartsNow().funnel.setOption<Option>(
      {
        ...base,
        legend: { top: 0, textStyle: { color: TEXT } },
        tooltip: {
          trigger: 'item',
          renderMode: 'richText',
          formatter: (p) => {
            const item = Array.isArray(p) ? p[0] : p;
            const funnel = funnels.find((f) => f.funnel === item?.seriesName);
            const step = funnel?.steps[item?.dataIndex ?? -1];
            return step ? `${funnel?.funnel}: ${step.action}\n${fmt(step.users)} user-days, ${step.conversionPct}% of step 1` : '';
          },
        },
        grid: { left: 56, right: 24, top: 40, bottom: 40 },
        xAxis: categoryAxis(categories, {
          axisLabel: {
            color: MUTED,
            fontSize: 11,
            interval: 0,
            formatter: (_: string, i: number) =>
              funnels
                .map((f) => f.steps[i]?.action ?? '')
                .filter((a, k, all) => a !== '' && all.indexOf(a) === k)
                .join(' / '),
          },
        }),
        yAxis: valueAxis('user-days'),
        series: funnels.map((f) => ({
          id: f.funnel,
          name: f.funnel,
          type: 'bar',
          barMaxWidth: 64,
          label: {
            show: true,
            position: 'top',
            color: TEXT,
            formatter: (p: { dataIndex: number }) => `${f.steps[p.dataIndex]?.conversionPct ?? 0}%`,
          },
          data: f.steps.map((s) => s.users),
        })),
      },
      { replaceMerge: ['series', 'xAxis'] },
    );
    ui.funnel.dataset.bars = String(funnels.reduce((n, f) => n + f.steps.length, 0));
    ui.funnel.setAttribute(
      'aria-label',
      funnels.map((f) => `${f.funnel}: ${f.steps.map((s) => `${s.action} ${s.users} (${s.conversionPct}%)`).join(', ')}`).join('; '),
    );
    setStatus(ui.funnelStatus, funnels.length === 0 ? 'No funnel reports for these days yet.' : '');
  }

  function renderRetention(answer: ReportAnswer | undefined, lastDay: string): void {
    const grid = retentionGrid(answer?.rows ?? [], lastDay);
    const cohortLabels = grid.cohorts.map((c, i) => `${c} (${grid.cohortUsers[i]})`);
    chartsNow().retention.setOption<Option>(
      {
        ...base,
        tooltip: {
          trigger: 'item',
          renderMode: 'richText',
          formatter: (p) => {
            const item = Array.isArray(p) ? p[0] : p;
            const value = item?.value as [number, number, number | null] | undefined;
            if (!value) return '';
            const pct = value[2];
            return `cohort ${grid.cohorts[value[1]]} (${grid.cohortUsers[value[1]]} users)\nday +${grid.offsets[value[0]]}: ${pct === null ? 'not yet' : `${pct}%`}`;
          },
        },
        grid: { left: 128, right: 24, top: 16, bottom: 56 },
        xAxis: categoryAxis(
          grid.offsets.map((o) => `+${o}`),
          { name: 'days after the first', nameLocation: 'middle', nameGap: 26, splitArea: { show: true } },
        ),
        yAxis: {
          type: 'category',
          data: cohortLabels,
          inverse: true,
          axisLabel: { color: MUTED, fontSize: 11, interval: 0 },
          splitArea: { show: true },
        },
        visualMap: { min: 0, max: 100, show: false, inRange: { color: ['#15233b', '#1f5a94', '#4fc3f7', '#b9f3ff'] } },
        series: [
          {
            id: 'retention',
            type: 'heatmap',
            data: grid.cells.map(([x, y, v]) => [x, y, v ?? '-']),
            label: {
              show: grid.cohorts.length <= 20,
              color: TEXT,
              fontSize: 10,
              formatter: (p: { value: unknown }) =>
                Array.isArray(p.value) && typeof p.value[2] === 'number' ? `${Math.round(p.value[2])}%` : '',
            },
          },
        ],
      },
      { replaceMerge: ['series', 'xAxis', 'yAxis'] },
    );
    // Tall enough for every cohort row to keep its label.
    const height = Math.max(240, 72 + grid.cohorts.length * 18);
    if (ui.retention.style.height !== `${height}px`) {
      ui.retention.style.height = `${height}px`;
      chartsNow().retention.resize();
    }
    ui.retention.dataset.cells = String(grid.cells.filter((c) => c[2] !== null).length);
    setStatus(ui.retentionStatus, grid.cohorts.length === 0 ? 'No retention reports for these days yet.' : '');
  }

  function renderSales(answer?: ReportAnswer): void {
    const lines = salesTable(answer?.rows ?? []);
    const body = ui.sales.tBodies[0];
    if (!body) return;
    body.replaceChildren(
      ...lines.slice(0, SALES_LINES).map((line) => {
        const tr = el('tr');
        tr.append(
          el('td', undefined, line.machineId),
          el('td', undefined, line.commodityName),
          el('td', 'num', fmt(line.orders)),
          el('td', 'num', fmt(line.quantity)),
          el('td', 'num', fmt(line.amount)),
        );
        return tr;
      }),
    );
    const total = lines.reduce((n, l) => n + l.amount, 0);
    const caption = ui.sales.caption ?? ui.sales.createCaption();
    caption.textContent =
      lines.length > SALES_LINES
        ? `Top ${SALES_LINES} of ${lines.length} lines (all in the CSV) · ${fmt(total)} yuan`
        : `${lines.length} lines · ${fmt(total)} yuan`;
    setStatus(ui.salesStatus, lines.length === 0 ? 'No sales reports for these days yet.' : '');
  }

  function renderRecharge(answer?: ReportAnswer): void {
    const provinces = rechargeByProvince(answer?.rows ?? []);
    chartsNow().recharge.setOption<Option>(
      {
        ...base,
        legend: { top: 0, textStyle: { color: TEXT } },
        tooltip: {
          trigger: 'axis',
          renderMode: 'richText',
          formatter: (p) => {
            const item = Array.isArray(p) ? p[0] : p;
            const row = provinces[item?.dataIndex ?? -1];
            return row
              ? `province ${row.provinceCode}\n${fmt(row.amount)} yuan · ${fmt(row.notifications)} notifications · ${row.successRatePct}% success`
              : '';
          },
        },
        grid: { left: 56, right: 56, top: 40, bottom: 28 },
        xAxis: categoryAxis(
          provinces.map((p) => p.provinceCode),
          { axisLabel: { color: MUTED, fontSize: 11, interval: 0, rotate: provinces.length > 16 ? 45 : 0 } },
        ),
        yAxis: [
          valueAxis('yuan') as object,
          {
            type: 'value',
            name: 'success %',
            min: 0,
            max: 100,
            nameTextStyle: { color: MUTED },
            axisLabel: { color: MUTED },
            splitLine: { show: false },
          },
        ],
        series: [
          { id: 'amount', name: 'amount (yuan)', type: 'bar', data: provinces.map((p) => p.amount) },
          { id: 'rate', name: 'success rate %', type: 'line', yAxisIndex: 1, symbolSize: 5, data: provinces.map((p) => p.successRatePct) },
        ],
      },
      { replaceMerge: ['series', 'xAxis'] },
    );
    ui.recharge.dataset.bars = String(provinces.length);
    setStatus(ui.rechargeStatus, provinces.length === 0 ? 'No recharge reports for these days yet.' : '');
  }

  function renderSankey(day: string, answer?: ReportAnswer): void {
    const data = toSankey(sankeyEdgesOf(answer?.rows ?? [], day), { topN: SANKEY_EDGES, minWeight: 1, maxDepth: 6 });
    chartsNow().sankey.setOption<Option>({ ...base, ...sankeyChartOption(data) }, { replaceMerge: ['series'] });
    ui.sankey.dataset.links = String(data.links.length);
    ui.sankeyMeta.textContent =
      data.totalEdges === 0
        ? day
        : `${day} · ${data.links.length} of ${data.totalEdges} edges · ${fmt(data.entrySessions)} sessions leave step 1`;
    setStatus(ui.sankeyStatus, data.links.length === 0 ? `No path export for ${day}.` : '');
  }

  async function loadSankey(client: ReadApi, mine: number): Promise<void> {
    const day = ui.sankeyDay.value;
    if (!isDay(day)) return;
    const answer = await fetchReport(client, 'sankey-daily', day, day, ui.sankeyStatus);
    if (mine === generation) renderSankey(day, answer);
  }

  async function load(): Promise<void> {
    const client = deps.api();
    if (!client) return;
    const mine = ++generation;
    const { from, to } = range();
    if (!isDay(from) || !isDay(to) || from > to) {
      ui.meta.textContent = 'Choose a valid range: from ≤ to.';
      return;
    }
    const days = dayRange(from, to);
    ui.meta.textContent = `${from} – ${to} (${days.length} days, ${deps.config.timeZone})`;
    ui.view.dataset.loading = 'true';
    const [dau, wau, mau, funnel, retention, sales, recharge] = await Promise.all([
      fetchReport(client, 'dau', from, to, ui.usersStatus),
      fetchReport(client, 'wau', from, to, ui.usersStatus),
      fetchReport(client, 'mau', from, to, ui.usersStatus),
      fetchReport(client, 'funnel', from, to, ui.funnelStatus),
      fetchReport(client, 'retention', from, to, ui.retentionStatus),
      fetchReport(client, 'sales-daily', from, to, ui.salesStatus),
      fetchReport(client, 'recharge-daily', from, to, ui.rechargeStatus),
      loadSankey(client, mine),
    ]);
    if (mine !== generation) return;
    if (dau && wau && mau) renderUsers(days, dau, wau, mau);
    if (funnel) renderFunnel(funnel);
    if (retention) renderRetention(retention, localDate(Date.now(), deps.config.timeZone));
    if (sales) renderSales(sales);
    if (recharge) renderRecharge(recharge);
    ui.view.dataset.loading = 'false';
    ui.view.dataset.loaded = String(Number(ui.view.dataset.loaded ?? '0') + 1);
  }

  /** First show: the range ends at the newest export (`GET /v1/reports`), the Sankey day is its newest day. */
  async function initialize(): Promise<void> {
    const client = deps.api();
    if (!client) return;
    const today = localDate(Date.now(), deps.config.timeZone);
    const params = new URLSearchParams(location.hash.replace(/^#reports\??/, ''));
    let listed: Awaited<ReturnType<ReadApi['reports']>> | undefined;
    try {
      listed = await client.reports();
    } catch (error) {
      deps.onError(asApiError(error));
    }
    const fallback = defaultRange(listed?.reports.map((r) => r.days) ?? [], today);
    ui.from.value = isDay(params.get('from') ?? '') ? (params.get('from') as string) : fallback.from;
    ui.to.value = isDay(params.get('to') ?? '') ? (params.get('to') as string) : fallback.to;
    const sankeyDays = listed?.reports.find((r) => r.name === 'sankey-daily')?.days ?? [];
    const newestSankey = [...sankeyDays].sort().pop();
    ui.sankeyDay.value = isDay(params.get('day') ?? '') ? (params.get('day') as string) : (newestSankey ?? fallback.to);
    initialized = true;
  }

  function download(name: ReportName, button: HTMLButtonElement): void {
    const client = deps.api();
    if (!client) return;
    const sankey = name === 'sankey-daily';
    const from = sankey ? ui.sankeyDay.value : ui.from.value;
    const to = sankey ? ui.sankeyDay.value : ui.to.value;
    button.disabled = true;
    client
      .reportCsv(name, from, to)
      .then((blob) => saveBlob(blob, `${name}-${deps.config.stage || 'stage'}-${from}${from === to ? '' : `_${to}`}.csv`))
      .catch((error: unknown) => {
        const e = asApiError(error);
        // A report the role may not read: said on the panel the button belongs to.
        const status = button.closest('.panel')?.querySelector('.panel-status');
        if (e.kind === 'forbidden' && status instanceof HTMLParagraphElement)
          setStatus(status, `Could not download ${name}: ${e.message}.`, 'error');
        deps.onError(e);
      })
      .finally(() => {
        button.disabled = false;
      });
  }

  for (const button of ui.view.querySelectorAll<HTMLButtonElement>('button[data-report]')) {
    const name = button.dataset.report as ReportName;
    button.addEventListener('click', () => download(name, button));
  }
  const remember = (): void => {
    history.replaceState(
      null,
      '',
      `${location.pathname}${location.search}#reports?from=${ui.from.value}&to=${ui.to.value}&day=${ui.sankeyDay.value}`,
    );
  };
  for (const input of [ui.from, ui.to]) {
    input.addEventListener('change', () => {
      remember();
      void load();
    });
  }
  ui.sankeyDay.addEventListener('change', () => {
    remember();
    const client = deps.api();
    if (client) void loadSankey(client, generation);
  });
  window.addEventListener('resize', () => {
    if (!ui.view.hidden && charts) for (const chart of Object.values(charts)) chart.resize();
  });

  return {
    show() {
      ui.view.hidden = false;
      if (charts) for (const chart of Object.values(charts)) chart.resize();
      void (initialized ? Promise.resolve() : initialize()).then(load);
    },
    hide() {
      ui.view.hidden = true;
    },
  };
}

/** The page's two views and how to reach them: `#reports` shows the Reports view, anything else the live one. */
export interface Views {
  /** Reloads the Reports view when it is shown (e.g. after signing in). */
  refresh(): void;
}

/** Wires the view tabs (`#view-live`, `#view-reports`) and the URL hash; the live view's panels and controls hide while Reports shows. */
export function mountViews(deps: ReportsViewDeps): Views {
  const reports = mountReportsView(deps);
  const live = [byId('live-view', HTMLElement), byId('live-controls', HTMLDivElement)];
  const tabs = { live: byId('view-live', HTMLAnchorElement), reports: byId('view-reports', HTMLAnchorElement) };
  let showing: 'live' | 'reports' | undefined;
  const apply = (): void => {
    const want = location.hash.startsWith('#reports') ? 'reports' : 'live';
    if (want === showing) return;
    showing = want;
    for (const node of live) node.hidden = want !== 'live';
    tabs.live.toggleAttribute('aria-current', want === 'live');
    tabs.reports.toggleAttribute('aria-current', want === 'reports');
    if (want === 'reports') reports.show();
    else {
      reports.hide();
      window.dispatchEvent(new Event('resize')); // the live charts were drawn while hidden
    }
  };
  window.addEventListener('hashchange', apply);
  apply();
  return {
    refresh() {
      if (showing === 'reports') reports.show();
    },
  };
}
