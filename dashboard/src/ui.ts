/**
 * The charts' colours, font and number formats, shared by the live view (charts.ts), the Reports
 * view (reports-view.ts) and the Sankey options (sankey-chart.ts). DOM helpers are in dom.ts.
 */

export const TEXT = '#d6deeb';
export const MUTED = '#8b98b0';
export const GRID_LINE = '#26324a';
/** Canvas text needs real family names (CSS `inherit` means nothing there); CJK faces for province names. */
export const FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Noto Sans SC', 'PingFang SC', 'Microsoft YaHei', sans-serif";

const numberFormat = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 });
/** A number with grouping and at most 2 decimals; anything else as text ('–' for nothing). */
export const fmt = (v: unknown): string => (typeof v === 'number' ? numberFormat.format(v) : String(v ?? '–'));
const compactFormat = new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 1 });
/** 12K, 1.5M: for axis labels. */
export const compact = (v: number): string => compactFormat.format(v);
