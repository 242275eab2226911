import { COMPONENTS, COMPONENT_TITLES, type Component, type Estimate } from './model';

/** The `--format json` document: `{"workloads":[{"name","requestsPerSecond","eventsPerSecond","monthlyUsd","components":{…}}]}`. */
export interface CostJson {
  readonly workloads: ReadonlyArray<{
    readonly name: string;
    readonly requestsPerSecond: number;
    readonly eventsPerSecond: number;
    readonly monthlyUsd: number;
    readonly components: Readonly<Record<Component, number>>;
  }>;
}

const cents = (usd: number): number => Math.round(usd * 100) / 100;

/** The estimates as the JSON document of `--format json`, in dollars rounded to cents. */
export function toJson(estimates: readonly Estimate[]): CostJson {
  return {
    workloads: estimates.map((e) => ({
      name: e.workload.name,
      requestsPerSecond: e.workload.requestsPerSecond,
      eventsPerSecond: e.eventsPerSecond,
      monthlyUsd: cents(e.monthlyUsd),
      components: Object.fromEntries(COMPONENTS.map((c) => [c, cents(e.components[c])])) as Record<Component, number>,
    })),
  };
}

const usd = (n: number): string => `$${n.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
const pad = (s: string, n: number): string => s + ' '.repeat(Math.max(0, n - s.length));
const lpad = (s: string, n: number): string => ' '.repeat(Math.max(0, n - s.length)) + s;

/** One workload's bill as text: a table per component with its line items, the total and the ratio to the anchor. */
export function toText(e: Estimate, stage: string | undefined): string {
  const w = e.workload;
  const out: string[] = [];
  out.push(
    `${w.name}: ${w.requestsPerSecond} requests/s × ${w.eventsPerRequest} events of ${w.eventBytes} B = ${e.eventsPerSecond} events/s, stage ${stage ?? '?'}, ${w.dashboardTabs} dashboard tab(s) open all day`,
  );
  const itemWidth = Math.max(40, ...e.items.map((i) => i.item.length + 2));
  for (const c of COMPONENTS) {
    const rows = e.items.filter((i) => i.component === c);
    if (rows.length === 0) continue;
    out.push(`  ${pad(COMPONENT_TITLES[c], itemWidth + 2)}${lpad(usd(e.components[c]), 14)}`);
    for (const r of rows) out.push(`    ${pad(r.item, itemWidth)}${lpad(usd(r.usd), 14)}   ${r.quantity}`);
  }
  out.push(`  ${pad('total a month', itemWidth + 2)}${lpad(usd(e.monthlyUsd), 14)}`);
  if (w.anchor !== undefined)
    out.push(`  ${w.anchor.label}: ${usd(w.anchor.usd)}; this stage costs ${(e.monthlyUsd / w.anchor.usd).toFixed(2)} × that`);
  if (w.goalUsd !== undefined) {
    const gap = e.monthlyUsd - w.goalUsd;
    out.push(
      `  goal ${usd(w.goalUsd)}: ${gap <= 0 ? `met with ${usd(-gap)} to spare` : `missed by ${usd(gap)} (${((gap / w.goalUsd) * 100).toFixed(0)} %)`}`,
    );
  }
  for (const n of e.notes) out.push(`  note: ${n}`);
  return out.join('\n');
}

/** The summary table of several workloads: total, anchor, ratio, and each component. */
export function summary(estimates: readonly Estimate[]): string {
  const head = ['workload', 'total', 'anchor', 'ratio', ...COMPONENTS.map((c) => COMPONENT_TITLES[c])];
  const rows = estimates.map((e) => [
    e.workload.name,
    usd(e.monthlyUsd),
    e.workload.anchor === undefined ? '' : usd(e.workload.anchor.usd),
    e.workload.anchor === undefined ? '' : `${(e.monthlyUsd / e.workload.anchor.usd).toFixed(2)}×`,
    ...COMPONENTS.map((c) => usd(e.components[c])),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? pad(c, widths[i]) : lpad(c, widths[i]))).join('  ');
  return [line(head), ...rows.map(line)].join('\n');
}
