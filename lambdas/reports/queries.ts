import { IANAZone } from 'luxon';
import { REPORT_NAMES } from '../shared/reports';

/**
 * The daily job's queries: two for compaction and one per report. Each is one SQL file under
 * `lambdas/reports/sql/` (Trino, Athena's dialect), saved as an Athena named query at synth; the
 * job reads it back with GetNamedQuery, so the file is the only copy.
 */
export const QUERY_NAMES = ['compact-days', 'compact', ...REPORT_NAMES] as const;
export type QueryName = (typeof QUERY_NAMES)[number];

/** Thrown when a query's declared parameters and the values given do not match. */
export class QueryParameterError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'QueryParameterError';
  }
}

/**
 * The parameter names a query declares on its `-- params: a, b, …` line, in the order of its `?`
 * placeholders (a name is repeated when its value is used twice). None when there is no such line.
 */
export function declaredParameters(sql: string): string[] {
  const line = /^--\s*params:(.*)$/m.exec(sql);
  if (!line) return [];
  return line[1]
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
}

/** A SQL string literal (single quotes doubled). Never fails. */
export const sqlLiteral = (value: string): string => `'${value.replace(/'/g, "''")}'`;

/**
 * The `ExecutionParameters` of a query: its declared parameters' values as SQL literals, in
 * placeholder order. Throws QueryParameterError naming a declared parameter without a value, or a
 * value no parameter declares (a typo would otherwise run the query with the wrong values).
 */
export function executionParameters(name: string, sql: string, values: Readonly<Record<string, string>>): string[] {
  const declared = declaredParameters(sql);
  for (const given of Object.keys(values)) {
    if (!declared.includes(given))
      throw new QueryParameterError(`query ${name}: no parameter named ${given} (declared: ${declared.join(', ') || 'none'})`);
  }
  return declared.map((param) => {
    const value = values[param];
    if (value === undefined) throw new QueryParameterError(`query ${name}: parameter ${param} has no value`);
    return sqlLiteral(value);
  });
}

/**
 * The statement that writes a SELECT's rows as Parquet under `target` (an `s3://` prefix that must
 * be empty), one `<column>=<value>/` directory per value of `partitionColumn` (the last column).
 */
export const unloadStatement = (select: string, target: string, partitionColumn: string): string =>
  `UNLOAD (\n${select}\n) TO ${sqlLiteral(target)} WITH (format = 'PARQUET', compression = 'SNAPPY', partitioned_by = ARRAY[${sqlLiteral(partitionColumn)}])`;

/** The stage's constants a query's text holds (Athena takes parameters only in WHERE clauses). */
export interface QueryConstants {
  /** IANA zone of days: `{{time_zone}}`. */
  readonly timeZone: string;
  /** Funnel name → ordered actions: `{{funnel_steps}}`, as `('name', step, 'action'), …`. */
  readonly funnels: Readonly<Record<string, readonly string[]>>;
}

/**
 * A query's SQL with the stage's constants written in: `{{time_zone}}` and `{{funnel_steps}}`.
 * Done when the named query is saved (synth) and wherever the SQL files are run directly. Throws
 * QueryParameterError for an unknown placeholder, a zone that is not an IANA name, or no funnel.
 */
export function renderQuerySql(sql: string, constants: QueryConstants): string {
  if (!IANAZone.isValidZone(constants.timeZone) || !/^[A-Za-z0-9_+\-/]+$/.test(constants.timeZone)) {
    throw new QueryParameterError(`time zone ${JSON.stringify(constants.timeZone)} is not an IANA zone name`);
  }
  const steps = Object.entries(constants.funnels).flatMap(([name, actions]) =>
    actions.map((action, i) => `(${sqlLiteral(name)}, ${i + 1}, ${sqlLiteral(action)})`),
  );
  return sql.replace(/\{\{([a-z_]+)\}\}/g, (_, name: string) => {
    if (name === 'time_zone') return constants.timeZone;
    if (name === 'funnel_steps') {
      if (steps.length === 0) throw new QueryParameterError('at least one funnel is needed');
      return steps.join(', ');
    }
    throw new QueryParameterError(`unknown placeholder {{${name}}}`);
  });
}
