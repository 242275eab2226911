/**
 * The page's ECharts charts and how each panel is drawn from chart-ready data (see `shape.ts`).
 * Everything from the API goes in as text; tooltips are drawn on the canvas.
 */
import { BarChart, LineChart, PieChart, SankeyChart } from 'echarts/charts';
import type { BarSeriesOption, LineSeriesOption, PieSeriesOption, SankeySeriesOption } from 'echarts/charts';
import { GridComponent, LegendComponent, TooltipComponent } from 'echarts/components';
import type { GridComponentOption, LegendComponentOption, TooltipComponentOption } from 'echarts/components';
import * as echarts from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';
import { el, setStatus, ui } from './dom';
import { sankeyChartOption } from './sankey-chart';
import {
  distribution,
  DISTRIBUTIONS,
  foldSmallSlices,
  pieLegendLabels,
  TREND_AXES,
  type AlertRow,
  type AnyBucket,
  type MetricsAnswer,
  type SankeyData,
  type Trends,
} from './shape';
import { compact, fmt, FONT, GRID_LINE, MUTED, TEXT } from './ui';

echarts.use([SankeyChart, LineChart, BarChart, PieChart, GridComponent, LegendComponent, TooltipComponent, CanvasRenderer]);

type Option = echarts.ComposeOption<
  | SankeySeriesOption
  | LineSeriesOption
  | BarSeriesOption
  | PieSeriesOption
  | GridComponentOption
  | LegendComponentOption
  | TooltipComponentOption
>;

const sankeyChart = echarts.init(ui.sankey, 'dark', { renderer: 'canvas' });
const trendsChart = echarts.init(ui.trends, 'dark', { renderer: 'canvas' });
const distributionCharts = new Map<string, echarts.ECharts>();
for (const spec of DISTRIBUTIONS) {
  const box = el('div', 'dist');
  box.append(el('h3', '', spec.title));
  const target = el('div', 'chart chart-small');
  target.id = `dist-${spec.key}`;
  box.append(target);
  ui.distributions.append(box);
  distributionCharts.set(spec.key, echarts.init(target, 'dark', { renderer: 'canvas' }));
}
export const allCharts = (): echarts.ECharts[] => [sankeyChart, trendsChart, ...distributionCharts.values()];

const baseOption: Option = {
  backgroundColor: 'transparent',
  textStyle: { color: TEXT, fontFamily: FONT },
  animationDuration: 300,
  animationDurationUpdate: 300,
};

export function renderSankey(data: SankeyData, date: string): void {
  sankeyChart.setOption<Option>({ ...baseOption, ...sankeyChartOption(data) }, { replaceMerge: ['series'] });
  // The chart is a canvas: the same links as a table, for screen readers (and tests).
  const rows = data.links.map((l) => {
    const row = el('tr');
    row.append(el('td', undefined, l.source), el('td', undefined, l.target), el('td', undefined, String(l.value)));
    return row;
  });
  ui.sankeyTable.tBodies[0].replaceChildren(...rows);
  ui.sankeyMeta.textContent =
    data.totalEdges === 0
      ? date
      : `${date} · ${data.links.length} of ${data.totalEdges} edges · ${fmt(data.entrySessions)} sessions leave step 1`;
  setStatus(
    ui.sankeyStatus,
    data.links.length === 0
      ? data.totalEdges === 0
        ? `No paths recorded for ${date} yet.`
        : 'No edge passes the filters: lower the minimum weight or raise the step limit.'
      : '',
  );
}

export function renderTrends(trends: Trends, timeZone: string): void {
  const labels = trends.axis.map((m) => m.slice(11, 16));
  const series: LineSeriesOption[] = trends.lines.map((line) => ({
    id: line.key,
    name: line.label,
    type: 'line',
    xAxisIndex: line.gridIndex,
    yAxisIndex: line.yAxisIndex,
    // A minute between gaps has no neighbour to draw a line to: show points so it is visible.
    showSymbol: true,
    symbolSize: 4,
    connectNulls: false,
    lineStyle: { width: line.key === 'events' ? 2.5 : 1.5 },
    ...(line.key === 'errorAlerts' ? { color: '#ff5c7a', areaStyle: { opacity: 0.15 } } : {}),
    data: [...line.data],
  }));
  // Two grids on one minute axis (TREND_AXES): traffic on top, recharges below; every unit on its own scale.
  trendsChart.setOption<Option>({
    ...baseOption,
    legend: { top: 0, textStyle: { color: TEXT } },
    tooltip: { trigger: 'axis', renderMode: 'richText', valueFormatter: (v) => fmt(v) },
    axisPointer: { link: [{ xAxisIndex: 'all' }] },
    grid: [
      { left: 56, right: 112, top: 56, height: '30%' },
      { left: 56, right: 112, bottom: 28, height: '30%' },
    ],
    xAxis: [0, 1].map((gridIndex) => ({
      type: 'category' as const,
      gridIndex,
      data: labels,
      boundaryGap: false,
      axisLabel: { color: MUTED, show: gridIndex === 1 },
      axisLine: { lineStyle: { color: GRID_LINE } },
    })),
    yAxis: TREND_AXES.map((axis) => ({
      type: 'value' as const,
      gridIndex: axis.grid,
      name: axis.name,
      position: axis.position,
      offset: axis.offset,
      splitNumber: 3,
      ...(axis.key === 'percent' ? { min: 0, max: 100, interval: 50 } : { minInterval: 1 }),
      nameTextStyle: { color: MUTED },
      axisLabel: { color: MUTED, formatter: compact },
      splitLine: { show: axis.position === 'left', lineStyle: { color: GRID_LINE } },
    })),
    series,
  });
  const first = trends.axis[0];
  const last = trends.axis[trends.axis.length - 1];
  const lastLabel = last && first && last.slice(0, 10) === first.slice(0, 10) ? last.slice(11) : last?.replace('T', ' ');
  ui.trendsMeta.textContent = first && lastLabel ? `${first.replace('T', ' ')} – ${lastLabel} (${timeZone})` : '';
  // A text summary of the canvas: how many minutes of each line have a value.
  const summary = trends.lines.map((line) => `${line.label}: ${line.data.filter((v) => v !== null).length} minutes with data`).join('; ');
  ui.trends.setAttribute('aria-label', `Per-minute trends. ${summary}`);
  ui.trends.dataset.points = String(trends.lines.find((line) => line.key === 'events')?.data.filter((v) => v !== null).length ?? 0);
  setStatus(ui.trendsStatus, trends.empty ? 'No events in this time range yet.' : '');
}

export function renderDistributions(answers: ReadonlyMap<string, MetricsAnswer<AnyBucket>>): void {
  let anything = false;
  for (const spec of DISTRIBUTIONS) {
    const chart = distributionCharts.get(spec.key);
    if (!chart) continue;
    const rows = distribution(answers.get(spec.key), spec);
    anything ||= rows.length > 0;
    const tooltip: TooltipComponentOption = { trigger: 'item', renderMode: 'richText', valueFormatter: (v) => fmt(v) };
    if (spec.key === 'gender' || spec.key === 'action') {
      // Full names and shares in a legend beside the ring: slice labels on a small chart got cut to the same prefix.
      // A name longer than the legend's width ends in … and shows whole in the legend's tooltip.
      const slices = foldSmallSlices(
        [...rows].sort((a, b) => b[1] - a[1]),
        7,
      );
      const legendText = pieLegendLabels(slices);
      chart.setOption<Option>(
        {
          ...baseOption,
          tooltip: { ...tooltip, formatter: (p) => (Array.isArray(p) ? '' : `${p.name}\n${fmt(p.value)} events (${fmt(p.percent)}%)`) },
          legend: {
            type: 'scroll',
            orient: 'vertical',
            right: 0,
            top: 'middle',
            width: '48%',
            itemWidth: 10,
            itemHeight: 10,
            tooltip: { show: true },
            textStyle: { color: TEXT, fontFamily: FONT, fontSize: 11, width: 168, overflow: 'truncate', ellipsis: '…' },
            formatter: (name: string) => legendText.get(name) ?? name,
          },
          series: [
            {
              id: spec.key,
              type: 'pie',
              radius: ['32%', '58%'],
              showEmptyCircle: false,
              center: ['24%', '52%'],
              label: { show: false },
              data: slices.map(([name, value]) => ({ name, value })),
            },
          ],
        },
        { replaceMerge: ['series', 'legend'] },
      );
    } else {
      const horizontal = spec.key === 'province';
      const shown = horizontal ? rows.slice(0, 15) : rows;
      const categoryAxis = {
        type: 'category' as const,
        data: shown.map(([name]) => name),
        // Every bar keeps its label (interval 0); long ones wrap under their bar instead of being skipped.
        axisLabel: { color: MUTED, fontSize: 11, interval: 0, ...(horizontal ? {} : { rotate: 35 }) },
        inverse: horizontal,
      };
      const valueAxis = {
        type: 'value' as const,
        axisLabel: { color: MUTED, fontSize: 11, formatter: compact },
        splitLine: { lineStyle: { color: GRID_LINE } },
      };
      chart.setOption<Option>(
        {
          ...baseOption,
          tooltip,
          grid: { left: horizontal ? 72 : 40, right: 16, top: 12, bottom: horizontal ? 24 : 44 },
          xAxis: horizontal ? valueAxis : categoryAxis,
          yAxis: horizontal ? categoryAxis : valueAxis,
          series: [
            {
              id: spec.key,
              type: 'bar',
              data: shown.map(([, value]) => value),
              itemStyle: { borderRadius: horizontal ? [0, 3, 3, 0] : [3, 3, 0, 0] },
            },
          ],
        },
        { replaceMerge: ['series', 'xAxis', 'yAxis'] },
      );
    }
  }
  setStatus(ui.distributionsStatus, anything ? '' : 'No events in this time range yet.');
}

export function renderAlerts(rows: readonly AlertRow[], feedHours: number): void {
  const items = rows.map((row) => {
    const li = el('li', `alert alert-${row.kind}`);
    li.dataset.id = row.id;
    li.append(
      el('span', 'alert-kind', row.kind === 'window' ? 'threshold' : 'error'),
      el('time', 'alert-time', row.time),
      el('span', 'alert-subject', row.subject),
      el('span', 'alert-text', row.text),
    );
    return li;
  });
  ui.alerts.replaceChildren(...items);
  setStatus(ui.alertsStatus, rows.length === 0 ? `No alerts in the last ${feedHours} h.` : '');
}
