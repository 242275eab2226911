/** The Sankey chart's options, shared by the live view's day and the Reports view's past day. */
import type { SankeySeriesOption } from 'echarts/charts';
import type { TooltipComponentOption } from 'echarts/components';
import type { SankeyData } from './shape';
import { fmt, TEXT } from './ui';

/** Tooltip and series of a Sankey of step-indexed nodes: nodes labelled by page alone, pinned to their step's column. */
export function sankeyChartOption(data: SankeyData): { tooltip: TooltipComponentOption; series: SankeySeriesOption[] } {
  const nodes = new Map(data.nodes.map((n) => [n.name, n]));
  return {
    tooltip: {
      trigger: 'item',
      renderMode: 'richText',
      formatter: (params) => {
        const p = Array.isArray(params) ? params[0] : params;
        if (!p) return '';
        if (p.dataType === 'edge') {
          const link = data.links[p.dataIndex];
          return link ? `${link.source} → ${link.target}\n${fmt(link.value)} sessions` : '';
        }
        const node = nodes.get(p.name);
        return node ? `${node.label} (step ${node.depth + 1})\n${fmt(p.value)} sessions` : p.name;
      },
    },
    series: [
      {
        id: 'paths',
        type: 'sankey',
        left: 8,
        right: 140,
        top: 12,
        bottom: 12,
        nodeAlign: 'left',
        nodeGap: 10,
        nodeWidth: 14,
        layoutIterations: 32,
        draggable: false,
        emphasis: { focus: 'adjacency' },
        lineStyle: { color: 'gradient', curveness: 0.5, opacity: 0.35 },
        label: { color: TEXT, fontSize: 12, formatter: (p) => nodes.get(p.name)?.label ?? p.name },
        data: data.nodes.map((n) => ({ name: n.name, depth: n.depth })),
        links: data.links.map((l) => ({ source: l.source, target: l.target, value: l.value })),
      },
    ],
  };
}
