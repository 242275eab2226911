/**
 * The Sankey CSV export of the path-analysis system: `source,target,weight,full_path`.
 *
 * One row per edge of each full path: step i of a path `a -> b -> c` gives the edge
 * `"a (i)" -> "b (i+1)"`, weighted by the number of sessions that took exactly that full path.
 * A page visited twice appears under two step indexes (`/contact (1)`, `/contact (3)`), so the
 * rows always describe an acyclic graph. A single-step path has no edge and produces no row.
 * The real-time `GET /v1/paths.csv` writes the day's edge counters in the same format, with an
 * empty `full_path` (real-time edges do not know their sessions' full paths).
 */

/** Header line of the CSV. */
export const PATHS_CSV_HEADER = ['source', 'target', 'weight', 'full_path'] as const;

/** Separator between the pages of a full path, as in the path-analysis sample. */
export const FULL_PATH_SEPARATOR = ' -> ';

/** One full path and the number of sessions that took it. */
export interface PathCount {
  readonly steps: readonly string[];
  readonly count: number;
}

/** One CSV row before quoting. */
export interface PathsCsvRow {
  readonly source: string;
  readonly target: string;
  readonly weight: number;
  readonly fullPath: string;
}

/** Options of the CSV writer. */
export interface PathsCsvOptions {
  /** Record separator. @default '\r\n' (RFC 4180) */
  readonly lineEnding?: '\r\n' | '\n';
}

/** A node label: the page and its 1-based step index, e.g. `/contact (3)`. */
export function stepNode(page: string, step: number): string {
  return `${page} (${step})`;
}

/** First characters that make a spreadsheet read a cell as a formula (OWASP "CSV injection"). */
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * One CSV field: a text starting with `=`, `+`, `-`, `@`, tab or CR is neutralized as OWASP
 * recommends (a single quote put before it, and the field quoted), so a spreadsheet shows it as
 * text instead of running it; any field holding a comma, a double quote, CR or LF is quoted per
 * RFC 4180 (quotes doubled). Other fields, such as paths starting with `/`, are written as they
 * are. Never fails.
 */
export function csvField(value: string): string {
  if (FORMULA_START.test(value)) return `"'${value.replace(/"/g, '""')}"`;
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** Code-unit order, so the output does not depend on the runtime's locale. */
function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The edge rows of the given paths, heaviest full path first, then by full path; a path's edges in step order. */
export function pathsToRows(paths: ReadonlyArray<PathCount>): PathsCsvRow[] {
  const ordered = paths
    .filter((p) => p.steps.length >= 2)
    .map((p) => ({ steps: p.steps, count: p.count, fullPath: p.steps.join(FULL_PATH_SEPARATOR) }))
    .sort((a, b) => b.count - a.count || compareStrings(a.fullPath, b.fullPath));
  const rows: PathsCsvRow[] = [];
  for (const p of ordered) {
    for (let i = 0; i + 1 < p.steps.length; i += 1) {
      rows.push({ source: stepNode(p.steps[i], i + 1), target: stepNode(p.steps[i + 1], i + 2), weight: p.count, fullPath: p.fullPath });
    }
  }
  return rows;
}

/** Writes the path-analysis CSV (header included, every record terminated, cells through {@link csvField}) of the given rows, in their order; never throws. */
export function rowsToCsv(rows: ReadonlyArray<PathsCsvRow>, options: PathsCsvOptions = {}): string {
  const eol = options.lineEnding ?? '\r\n';
  const lines = [PATHS_CSV_HEADER.join(',')];
  for (const row of rows) {
    lines.push([csvField(row.source), csvField(row.target), String(row.weight), csvField(row.fullPath)].join(','));
  }
  return lines.join(eol) + eol;
}
