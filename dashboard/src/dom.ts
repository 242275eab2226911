/** The page's elements and the small DOM helpers every part of the page uses. */


function byId<T extends HTMLElement>(id: string, type: { new (): T }): T {
  const el = document.getElementById(id);
  if (!(el instanceof type)) throw new Error(`the page has no #${id} ${type.name}`);
  return el;
}

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, className?: string, text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

export const ui = {
  title: byId('title', HTMLHeadingElement),
  stage: byId('stage', HTMLSpanElement),
  connection: byId('connection', HTMLSpanElement),
  lastUpdated: byId('last-updated', HTMLSpanElement),
  banner: byId('banner', HTMLDivElement),
  date: byId('date', HTMLInputElement),
  range: byId('range', HTMLSelectElement),
  topN: byId('top-n', HTMLInputElement),
  minWeight: byId('min-weight', HTMLInputElement),
  maxDepth: byId('max-depth', HTMLInputElement),
  downloadCsv: byId('download-csv', HTMLButtonElement),
  changeKey: byId('change-key', HTMLButtonElement),
  keyPanel: byId('key-panel', HTMLElement),
  keyForm: byId('key-form', HTMLFormElement),
  keyReason: byId('key-reason', HTMLParagraphElement),
  keyInput: byId('key-input', HTMLInputElement),
  keyRemember: byId('key-remember', HTMLInputElement),
  keyForget: byId('key-forget', HTMLButtonElement),
  keyCancel: byId('key-cancel', HTMLButtonElement),
  sankey: byId('sankey', HTMLDivElement),
  sankeyMeta: byId('sankey-meta', HTMLSpanElement),
  sankeyStatus: byId('sankey-status', HTMLParagraphElement),
  sankeyTable: byId('sankey-table', HTMLTableElement),
  trends: byId('trends', HTMLDivElement),
  trendsMeta: byId('trends-meta', HTMLSpanElement),
  trendsStatus: byId('trends-status', HTMLParagraphElement),
  distributions: byId('distributions', HTMLDivElement),
  distributionsMeta: byId('distributions-meta', HTMLSpanElement),
  distributionsStatus: byId('distributions-status', HTMLParagraphElement),
  alerts: byId('alerts', HTMLOListElement),
  alertsStatus: byId('alerts-status', HTMLParagraphElement),
};

/** Shows a message over a panel (empty state or error); an empty text hides it. */
export function setStatus(target: HTMLParagraphElement, text: string, kind: 'empty' | 'error' = 'empty'): void {
  target.textContent = text;
  target.hidden = text === '';
  target.dataset.kind = kind;
}
