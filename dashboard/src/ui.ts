/** DOM and chart helpers shared by the live view (main.ts) and the Reports view (reports-view.ts). */

export const TEXT = '#d6deeb';
export const MUTED = '#8b98b0';
export const GRID_LINE = '#26324a';
/** Canvas text needs real family names (CSS `inherit` means nothing there); CJK faces for province names. */
export const FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Noto Sans SC', 'PingFang SC', 'Microsoft YaHei', sans-serif";

/** The element with `id`, of the given type; throws when the page has none. */
export function byId<T extends HTMLElement>(id: string, type: { new (): T }): T {
  const node = document.getElementById(id);
  if (!(node instanceof type)) throw new Error(`the page has no #${id} ${type.name}`);
  return node;
}

/** A new element with an optional class and text (text is set as text, never parsed as HTML). */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, className?: string, text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/** Shows a message over a panel (empty state or error); an empty text hides it. */
export function setStatus(target: HTMLElement, text: string, kind: 'empty' | 'error' = 'empty'): void {
  target.textContent = text;
  target.hidden = text === '';
  target.dataset.kind = kind;
}

const numberFormat = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 });
/** A number with grouping and at most 2 decimals; anything else as text ('–' for nothing). */
export const fmt = (v: unknown): string => (typeof v === 'number' ? numberFormat.format(v) : String(v ?? '–'));
const compactFormat = new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 1 });
/** 12K, 1.5M: for axis labels. */
export const compact = (v: number): string => compactFormat.format(v);

/** Saves a fetched file under `name` (a temporary object URL and a download link). */
export function saveBlob(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = el('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  window.setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
