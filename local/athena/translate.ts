/**
 * The differences between Athena's SQL (Trino) and DuckDB that the report queries meet, and how
 * the local Athena stand-in bridges each one. Everything else in those queries means the same in
 * both (checked by test/unit/local/athena-translate.test.ts, one test per difference):
 *
 * 1. `?` placeholders: Athena substitutes each `ExecutionParameters` value, a SQL literal, for the
 *    next `?` outside string literals and comments. {@link substituteParameters} does the same.
 * 2. Trino functions DuckDB lacks are defined as DuckDB macros with Trino's meaning
 *    ({@link TRINO_MACROS}): `from_iso8601_timestamp`, `json_extract_scalar`, `regexp_like`,
 *    `array_join`.
 * 3. `date_trunc('week', date)` returns a date in Trino and a timestamp in DuckDB: the queries cast
 *    its result to `date`, which is the same in both (no translation).
 * 4. `UNLOAD (query) TO 's3://…' WITH (format = 'PARQUET', partitioned_by = ARRAY[…])` is Athena's
 *    own statement: {@link parseUnload} reads it and the stand-in runs DuckDB's
 *    `COPY (query) TO dir (FORMAT parquet, PARTITION_BY (…))`, then uploads the files.
 */

/** A Trino function DuckDB does not have, defined as a DuckDB macro. */
export interface TrinoMacro {
  readonly name: string;
  /** The DuckDB statement that defines it. */
  readonly definition: string;
  /** What Trino's function does, which the macro reproduces. */
  readonly meaning: string;
}

export const TRINO_MACROS: readonly TrinoMacro[] = [
  {
    name: 'from_iso8601_timestamp',
    definition: 'CREATE OR REPLACE MACRO from_iso8601_timestamp(s) AS CAST(s AS TIMESTAMPTZ)',
    meaning: 'an ISO 8601 text with an offset or Z as a timestamp with time zone',
  },
  {
    name: 'json_extract_scalar',
    definition:
      "CREATE OR REPLACE MACRO json_extract_scalar(j, p) AS CASE WHEN json_type(j, p) IN ('OBJECT', 'ARRAY') THEN NULL ELSE json_extract_string(j, p) END",
    meaning: 'the scalar at a JSON path as text (null for a missing field, an object or an array)',
  },
  {
    name: 'regexp_like',
    definition: 'CREATE OR REPLACE MACRO regexp_like(s, p) AS regexp_matches(s, p)',
    meaning: 'whether the regular expression matches anywhere in the text',
  },
  {
    name: 'array_join',
    definition: 'CREATE OR REPLACE MACRO array_join(a, sep) AS array_to_string(a, sep)',
    meaning: 'the elements of an array joined with a separator',
  },
];

/** Thrown for a statement the stand-in cannot run as Athena would (Athena answers InvalidRequestException). */
export class SqlTranslationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SqlTranslationError';
  }
}

/**
 * Calls `visit` with the offset of every character of `sql` outside string literals, quoted
 * identifiers and comments (`--` to end of line, `/* … *\/`).
 */
function codePositions(sql: string, visit: (index: number) => void): void {
  let i = 0;
  while (i < sql.length) {
    const c = sql[i];
    if (c === "'" || c === '"') {
      i += 1;
      while (i < sql.length) {
        if (sql[i] === c) {
          if (sql[i + 1] === c) i += 2;
          else break;
        } else i += 1;
      }
      i += 1;
    } else if (c === '-' && sql[i + 1] === '-') {
      while (i < sql.length && sql[i] !== '\n') i += 1;
    } else if (c === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2);
      i = end < 0 ? sql.length : end + 2;
    } else {
      visit(i);
      i += 1;
    }
  }
}

/**
 * `sql` with each `?` placeholder replaced by the next parameter, in order, as Athena does with
 * `ExecutionParameters`. Throws SqlTranslationError when the counts differ.
 */
export function substituteParameters(sql: string, parameters: readonly string[]): string {
  const at: number[] = [];
  codePositions(sql, (i) => {
    if (sql[i] === '?') at.push(i);
  });
  if (at.length !== parameters.length) {
    throw new SqlTranslationError(
      `the query has ${at.length} parameter placeholder(s) but ${parameters.length} execution parameter(s) were given`,
    );
  }
  let out = '';
  let last = 0;
  at.forEach((pos, k) => {
    out += sql.slice(last, pos) + parameters[k];
    last = pos + 1;
  });
  return out + sql.slice(last);
}

/** An UNLOAD statement's parts. */
export interface UnloadStatement {
  readonly select: string;
  /** `s3://bucket/prefix/`. */
  readonly target: string;
  readonly format: 'PARQUET';
  readonly partitionedBy: readonly string[];
}

/**
 * The parts of an `UNLOAD (…) TO '…' WITH (…)` statement, or undefined when `sql` is not one.
 * Throws SqlTranslationError for an UNLOAD with a format other than Parquet or malformed parts.
 */
export function parseUnload(sql: string): UnloadStatement | undefined {
  const head = /^\s*UNLOAD\s*\(/i.exec(sql);
  if (!head) return undefined;
  // The matching parenthesis of the one after UNLOAD, outside literals and comments.
  let depth = 0;
  let close = -1;
  codePositions(sql, (i) => {
    if (close >= 0 || i < head[0].length - 1) return;
    if (sql[i] === '(') depth += 1;
    else if (sql[i] === ')') {
      depth -= 1;
      if (depth === 0) close = i;
    }
  });
  if (close < 0) throw new SqlTranslationError('UNLOAD: unbalanced parentheses');
  const select = sql.slice(head[0].length, close);
  const rest = /^\s*TO\s+'((?:[^']|'')*)'\s+WITH\s*\(([\s\S]*)\)\s*;?\s*$/i.exec(sql.slice(close + 1));
  if (!rest) throw new SqlTranslationError("UNLOAD: expected TO 's3://…' WITH (…) after the query");
  const target = rest[1].replace(/''/g, "'");
  if (!/^s3:\/\/[^/]+\/.*\/$/.test(target)) throw new SqlTranslationError(`UNLOAD: TO must be an s3:// prefix ending in /, got ${target}`);
  const props = rest[2];
  const format = /format\s*=\s*'([^']*)'/i.exec(props)?.[1]?.toUpperCase();
  if (format !== 'PARQUET') throw new SqlTranslationError(`UNLOAD: only format = 'PARQUET' runs locally, got ${format ?? 'none'}`);
  const partitions = /partitioned_by\s*=\s*ARRAY\s*\[([^\]]*)\]/i.exec(props)?.[1];
  const partitionedBy = partitions === undefined ? [] : [...partitions.matchAll(/'((?:[^']|'')*)'/g)].map((m) => m[1]);
  return { select, target, format: 'PARQUET', partitionedBy };
}
