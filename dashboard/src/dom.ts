/** The page's elements and the small DOM helpers every part of the page (the live view and the Reports view) uses. */

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

/** The elements of the header, the sign-in panel and the live view (index.html); the Reports view looks up its own. */
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
  user: byId('user', HTMLDivElement),
  userEmail: byId('user-email', HTMLSpanElement),
  userRole: byId('user-role', HTMLSpanElement),
  signOut: byId('sign-out', HTMLButtonElement),
  signInPanel: byId('signin-panel', HTMLElement),
  signInReason: byId('signin-reason', HTMLParagraphElement),
  signIn: byId('sign-in', HTMLButtonElement),
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
