import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { DateTime } from 'luxon';
import { parseS3Url, type GlueColumn, type GlueTableSpec } from './catalog';
import { parseUnload, SqlTranslationError, TRINO_MACROS } from './translate';

/** Suffix s3rver gives the file holding an object's bytes. */
const OBJECT_SUFFIX = '._S3rver_object';

/** One object of a table, on disk. */
interface TableFile {
  readonly key: string;
  readonly file: string;
  readonly bytes: number;
}

/** What a statement returned. */
export interface QueryOutcome {
  readonly columns: ReadonlyArray<{ readonly name: string; readonly type: string }>;
  readonly rows: ReadonlyArray<ReadonlyArray<string | null>>;
  /** Bytes Athena would bill: whole files for JSON and CSV, the read columns' chunks for Parquet. */
  readonly bytesScanned: number;
  readonly statementType: 'DML';
}

export interface DuckDbAthenaOptions {
  /** s3rver's directory (one subdirectory per bucket). */
  readonly s3Dir: string;
  /** Client of the S3 stand-in, for UNLOAD's output. */
  readonly s3: S3Client;
  readonly tables: readonly GlueTableSpec[];
  readonly now?: () => Date;
}

const DUCK_TYPES: Readonly<Record<string, string>> = {
  string: 'VARCHAR',
  varchar: 'VARCHAR',
  char: 'VARCHAR',
  bigint: 'BIGINT',
  int: 'INTEGER',
  integer: 'INTEGER',
  smallint: 'SMALLINT',
  tinyint: 'TINYINT',
  double: 'DOUBLE',
  float: 'FLOAT',
  boolean: 'BOOLEAN',
  date: 'DATE',
  timestamp: 'TIMESTAMP',
};

/** The DuckDB type of a Glue (Hive) column type. Throws SqlTranslationError for a type the stand-in does not map. */
export function duckType(glueType: string): string {
  const t = glueType.toLowerCase();
  if (/^decimal\(\d+,\s*\d+\)$/.test(t)) return t.toUpperCase();
  const mapped = DUCK_TYPES[t.replace(/\(.*\)$/, '')];
  if (mapped === undefined) throw new SqlTranslationError(`column type ${glueType} is not supported locally`);
  return mapped;
}

/** The Athena (Trino) type name of a DuckDB result type, as GetQueryResults' ColumnInfo reports it. */
export function athenaType(duck: string): string {
  const t = duck.toUpperCase();
  if (t.startsWith('DECIMAL')) return 'decimal';
  if (t === 'HUGEINT' || t === 'BIGINT' || t === 'UBIGINT') return 'bigint';
  if (t === 'INTEGER' || t === 'UINTEGER' || t === 'USMALLINT') return 'integer';
  if (t === 'SMALLINT' || t === 'UTINYINT') return 'smallint';
  if (t === 'TINYINT') return 'tinyint';
  if (t === 'DOUBLE') return 'double';
  if (t === 'FLOAT') return 'real';
  if (t === 'BOOLEAN') return 'boolean';
  if (t === 'DATE') return 'date';
  if (t.startsWith('TIMESTAMP WITH TIME ZONE')) return 'timestamp with time zone';
  if (t.startsWith('TIMESTAMP')) return 'timestamp';
  return 'varchar';
}

const quoteIdent = (s: string) => `"${s.replace(/"/g, '""')}"`;
const quoteText = (s: string) => `'${s.replace(/'/g, "''")}'`;

/** Every object under `prefix` of `bucket` in s3rver's directory, sorted by key. */
export function listObjectFiles(s3Dir: string, bucket: string, prefix: string): TableFile[] {
  const root = path.join(s3Dir, bucket);
  const out: TableFile[] = [];
  const walk = (dir: string) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const full = path.join(dir, e.name);
      if (e.isDirectory()) walk(full);
      else if (e.name.endsWith(OBJECT_SUFFIX)) {
        const key = path.relative(root, full).split(path.sep).join('/').slice(0, -OBJECT_SUFFIX.length);
        if (key.startsWith(prefix)) out.push({ key, file: full, bytes: fs.statSync(full).size });
      }
    }
  };
  // Start at the deepest directory the prefix names.
  const dirPart = prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/')) : '';
  walk(path.join(root, ...dirPart.split('/').filter((p) => p !== '')));
  return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** Partition values of a key's Hive-style `name=value/` segments. */
const partitionValues = (key: string): Record<string, string> =>
  Object.fromEntries(
    key
      .split('/')
      .slice(0, -1)
      .map((seg) => seg.split('='))
      .filter((kv) => kv.length === 2)
      .map(([k, v]) => [k.toLowerCase(), decodeURIComponent(v)]),
  );

/** A `projection.<col>.range` bound of a date projection: a date in the format, `NOW`, or `NOW±N UNIT(S)`. */
function dateBound(bound: string, format: string, now: Date): DateTime | undefined {
  const b = bound.trim();
  const rel = /^NOW(?:\s*([+-])\s*(\d+)\s*(YEAR|MONTH|WEEK|DAY|HOUR|MINUTE|SECOND)S?)?$/i.exec(b);
  if (rel) {
    const base = DateTime.fromJSDate(now, { zone: 'utc' });
    if (rel[1] === undefined) return base;
    const unit = `${rel[3].toLowerCase()}s` as 'days';
    return base.plus({ [unit]: (rel[1] === '-' ? -1 : 1) * Number(rel[2]) });
  }
  const dt = DateTime.fromFormat(b, format, { zone: 'utc' });
  return dt.isValid ? dt : undefined;
}

/**
 * Whether partition projection lets Athena see an object: every projected partition value must be
 * in its projected range (`date` ranges with `NOW`, `integer` ranges, `enum` values). Columns
 * without a projection rule, or with a type the stand-in does not evaluate, always pass.
 */
export function visibleUnderProjection(
  projection: Readonly<Record<string, string>> | undefined,
  values: Readonly<Record<string, string>>,
  now: Date,
): boolean {
  if (projection === undefined) return true;
  for (const [column, value] of Object.entries(values)) {
    const type = projection[`${column}.type`];
    const range = projection[`${column}.range`];
    if (type === 'date' && range !== undefined) {
      const format = (projection[`${column}.format`] ?? 'yyyy-MM-dd').replace(/Y/g, 'y');
      const [lo, hi] = range.split(',');
      const v = DateTime.fromFormat(value, format, { zone: 'utc' });
      const from = dateBound(lo ?? '', format, now);
      const to = dateBound(hi ?? '', format, now);
      if (!v.isValid || from === undefined || to === undefined || v < from.startOf('day') || v > to) return false;
    } else if (type === 'integer' && range !== undefined) {
      const [lo, hi] = range.split(',').map(Number);
      const n = Number(value);
      if (!Number.isInteger(n) || n < lo || n > hi) return false;
      const digits = projection[`${column}.digits`];
      if (digits !== undefined && value.length !== Number(digits)) return false;
    } else if (type === 'enum') {
      if (
        !(projection[`${column}.values`] ?? '')
          .split(',')
          .map((s) => s.trim())
          .includes(value)
      )
        return false;
    }
  }
  return true;
}

/** The DuckDB SELECT that reads a table's files as Athena reads the table. */
export function tableSelect(table: GlueTableSpec, files: readonly string[]): string {
  const all: GlueColumn[] = [...table.columns, ...table.partitionKeys];
  if (files.length === 0)
    return `SELECT ${all.map((c) => `CAST(NULL AS ${duckType(c.type)}) AS ${quoteIdent(c.name)}`).join(', ')} WHERE false`;
  const list = `[${files.map(quoteText).join(', ')}]`;
  const hiveTypes = `{${table.partitionKeys.map((k) => `${quoteText(k.name)}: ${quoteText(duckType(k.type))}`).join(', ')}}`;
  const hive = table.partitionKeys.length > 0 ? `, hive_partitioning = true, hive_types = ${hiveTypes}` : ', hive_partitioning = false';
  const parts = table.partitionKeys.map((k) => quoteIdent(k.name));
  if (table.format === 'json') {
    const key = (c: GlueColumn) => table.jsonKeys[c.name] ?? c.name;
    const columns = `{${table.columns.map((c) => `${quoteText(key(c))}: ${quoteText(duckType(c.type))}`).join(', ')}}`;
    const select = [...table.columns.map((c) => `${quoteIdent(key(c))} AS ${quoteIdent(c.name)}`), ...parts].join(', ');
    return `SELECT ${select} FROM read_json(${list}, format = 'newline_delimited', compression = ${quoteText(table.compression ?? 'auto_detect')}, columns = ${columns}${hive})`;
  }
  if (table.format === 'parquet') {
    const select = [
      ...table.columns.map((c) => `CAST(${quoteIdent(c.name)} AS ${duckType(c.type)}) AS ${quoteIdent(c.name)}`),
      ...parts,
    ].join(', ');
    return `SELECT ${select} FROM read_parquet(${list}, union_by_name = true${hive})`;
  }
  const columns = `{${table.columns.map((c) => `${quoteText(c.name)}: ${quoteText(duckType(c.type))}`).join(', ')}}`;
  return `SELECT ${[...table.columns.map((c) => quoteIdent(c.name)), ...parts].join(', ')} FROM read_csv(${list}, header = false, skip = ${table.skipHeaderLines}, delim = ',', quote = '"', escape = '"', auto_detect = false, columns = ${columns}${hive})`;
}

/** Text of one result value as Athena's GetQueryResults gives it (null stays null). */
const textOf = (v: unknown): string | null =>
  v === null || v === undefined ? null : typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v);

interface ScanInfo {
  readonly function: string;
  readonly projections: readonly string[];
  /** Files DuckDB names as read; it lists a few and then `...`. */
  readonly files: readonly string[];
  readonly truncated: boolean;
  /** The partition filters it applied to the file list, as SQL. */
  readonly fileFilters: readonly string[];
}

/** The table scans of a DuckDB JSON profile: function, projected columns and files read. */
export function scansOfProfile(profile: unknown): ScanInfo[] {
  const out: ScanInfo[] = [];
  const walk = (node: unknown) => {
    if (typeof node !== 'object' || node === null) return;
    const n = node as { operator_type?: string; extra_info?: Record<string, unknown>; children?: unknown[] };
    if (n.operator_type === 'TABLE_SCAN' && n.extra_info) {
      // Values are a string, a newline- or comma-separated list, or an array, by DuckDB version and count.
      const list = (k: string, separator: RegExp): string[] => {
        const v = n.extra_info?.[k];
        const items = Array.isArray(v) ? v.map(String) : typeof v === 'string' ? v.split(separator) : [];
        return items.map((s) => s.trim()).filter((s) => s !== '');
      };
      const files = list('Filename(s)', /,\s*|\n/);
      out.push({
        function: list('Function', /\n/)[0] ?? '',
        projections: list('Projections', /\n/),
        files: files.filter((f) => f !== '...'),
        truncated: files.includes('...'),
        fileFilters: list('File Filters', /\n/),
      });
    }
    for (const child of n.children ?? []) walk(child);
  };
  walk(profile);
  return out;
}

/**
 * Athena's query engine on this machine: DuckDB over the S3 stand-in's files, with each Glue table
 * of the templates as a view (JSON, Parquet or CSV, Hive partitions, partition projection), the
 * Trino functions DuckDB lacks as macros, and UNLOAD written to S3. One statement at a time.
 */
/** Most Parquet files whose column sizes the engine remembers for its bytes-scanned figure. */
const PARQUET_SIZE_CACHE_FILES = 10_000;

export class DuckDbAthena {
  private queue: Promise<unknown> = Promise.resolve();
  /** Column chunk sizes per Parquet file (`file|bytes`), at most {@link PARQUET_SIZE_CACHE_FILES} files, oldest forgotten first. */
  private readonly parquetColumnBytes = new Map<string, Map<string, number>>();

  private constructor(
    private readonly options: DuckDbAthenaOptions,
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
    private readonly workDir: string,
  ) {}

  /** Opens an in-memory DuckDB with the Trino macros. */
  static async create(options: DuckDbAthenaOptions): Promise<DuckDbAthena> {
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    for (const macro of TRINO_MACROS) await connection.run(macro.definition);
    await connection.run("SET TimeZone = 'UTC'");
    const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'uba-athena-'));
    return new DuckDbAthena(options, instance, connection, workDir);
  }

  /** Runs one statement (parameters already substituted) against `database`'s tables; rejects with DuckDB's error when it fails. */
  execute(sql: string, database: string): Promise<QueryOutcome> {
    const run = this.queue.then(() => this.executeNow(sql, database));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Closes DuckDB and removes its work files. */
  close(): void {
    this.connection.closeSync();
    this.instance.closeSync();
    fs.rmSync(this.workDir, { recursive: true, force: true });
  }

  private async executeNow(sql: string, database: string): Promise<QueryOutcome> {
    const tables = this.options.tables.filter((t) => t.database === database);
    if (tables.length === 0) {
      throw new SqlTranslationError(`SCHEMA_NOT_FOUND: Schema '${database}' does not exist`);
    }
    const now = (this.options.now ?? (() => new Date()))();
    const filesByTable = new Map<string, TableFile[]>();
    await this.connection.run(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(database)}`);
    await this.connection.run(`SET search_path = ${quoteText(database)}`);
    for (const table of tables) {
      const files = listObjectFiles(this.options.s3Dir, table.bucket, table.prefix).filter((f) => {
        const name = f.key.slice(f.key.lastIndexOf('/') + 1);
        return (
          !name.startsWith('_') &&
          !name.startsWith('.') &&
          visibleUnderProjection(table.projection, partitionValues(f.key.slice(table.prefix.length)), now)
        );
      });
      filesByTable.set(table.name, files);
      await this.connection.run(
        `CREATE OR REPLACE VIEW ${quoteIdent(database)}.${quoteIdent(table.name)} AS ${tableSelect(
          table,
          files.map((f) => f.file),
        )}`,
      );
    }

    const unload = parseUnload(sql);
    const profile = path.join(this.workDir, 'profile.json');
    fs.rmSync(profile, { force: true });
    await this.connection.run("PRAGMA enable_profiling = 'json'");
    await this.connection.run(`PRAGMA profiling_output = ${quoteText(profile)}`);
    let outcome: { columns: Array<{ name: string; type: string }>; rows: Array<Array<string | null>> };
    try {
      outcome = unload ? await this.unload(unload) : await this.select(sql);
    } finally {
      await this.connection.run('PRAGMA disable_profiling');
    }
    const sizes = new Map<string, TableFile>();
    for (const files of filesByTable.values()) for (const f of files) sizes.set(f.file, f);
    let bytesScanned = 0;
    if (fs.existsSync(profile)) {
      for (const scan of scansOfProfile(JSON.parse(fs.readFileSync(profile, 'utf8')))) {
        const parquet = scan.function.toUpperCase().includes('PARQUET');
        // DuckDB names the files it read only when they are few (then `...`): otherwise take every
        // file of the tables this scan can be (same format, all projected columns) that passes the
        // scan's partition filters, evaluated by DuckDB over the files' partition values.
        let files = scan.files.map((file) => sizes.get(file)).filter((f): f is TableFile => f !== undefined);
        if (files.length === 0 || scan.truncated) {
          const format = parquet ? 'parquet' : scan.function.toUpperCase().includes('JSON') ? 'json' : 'csv';
          const candidates = tables.filter(
            (t) =>
              t.format === format &&
              scan.projections.every((p) =>
                [...t.columns, ...t.partitionKeys].some((c) => c.name === p.toLowerCase() || t.jsonKeys[c.name] === p),
              ),
          );
          files = [];
          for (const t of candidates) files.push(...(await this.filesPassing(t, filesByTable.get(t.name) ?? [], scan.fileFilters)));
        }
        for (const f of files) bytesScanned += parquet ? await this.parquetBytes(f, scan.projections) : f.bytes;
      }
    }
    return { ...outcome, bytesScanned, statementType: 'DML' };
  }

  private async select(sql: string): Promise<{ columns: Array<{ name: string; type: string }>; rows: Array<Array<string | null>> }> {
    const reader = await this.connection.runAndReadAll(sql);
    const names = reader.columnNames();
    const types = reader.columnTypes().map((t) => athenaType(String(t)));
    return { columns: names.map((name, i) => ({ name, type: types[i] })), rows: reader.getRowsJson().map((row) => row.map(textOf)) };
  }

  /** UNLOAD: DuckDB writes Parquet to a work directory, then every file is put under the target prefix. */
  private async unload(
    u: NonNullable<ReturnType<typeof parseUnload>>,
  ): Promise<{ columns: Array<{ name: string; type: string }>; rows: Array<Array<string | null>> }> {
    const { bucket, prefix } = parseS3Url(u.target);
    if (listObjectFiles(this.options.s3Dir, bucket, prefix).length > 0) {
      throw new SqlTranslationError(`HIVE_PATH_ALREADY_EXISTS: Target directory for UNLOAD is not empty: ${u.target}`);
    }
    const out = fs.mkdtempSync(path.join(this.workDir, 'unload-'));
    try {
      const partition = u.partitionedBy.length > 0 ? `, PARTITION_BY (${u.partitionedBy.map(quoteIdent).join(', ')})` : '';
      const target = u.partitionedBy.length > 0 ? out : path.join(out, 'data.parquet');
      await this.connection.run(`COPY (${u.select}) TO ${quoteText(target)} (FORMAT parquet, COMPRESSION snappy${partition})`);
      const files: string[] = [];
      const walk = (dir: string) => {
        for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
          const full = path.join(dir, e.name);
          if (e.isDirectory()) walk(full);
          else files.push(full);
        }
      };
      walk(out);
      for (const file of files.sort()) {
        const key = `${prefix}${path.relative(out, file).split(path.sep).join('/')}`;
        await this.options.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: fs.readFileSync(file) }));
      }
      return { columns: [], rows: [] };
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  }

  /** The files of a table whose partition values pass `filters` (SQL over the partition columns); all of them when there is no filter or it cannot be evaluated. */
  private async filesPassing(table: GlueTableSpec, files: readonly TableFile[], filters: readonly string[]): Promise<TableFile[]> {
    if (filters.length === 0 || files.length === 0 || table.partitionKeys.length === 0) return [...files];
    const rows = files.map((f, i) => {
      const values = partitionValues(f.key.slice(table.prefix.length));
      return `(${[String(i), ...table.partitionKeys.map((k) => (values[k.name] === undefined ? 'NULL' : quoteText(values[k.name])))].join(', ')})`;
    });
    const columns = ['i', ...table.partitionKeys.map((k) => quoteIdent(k.name))].join(', ');
    try {
      const reader = await this.connection.runAndReadAll(
        `SELECT i FROM (VALUES ${rows.join(', ')}) AS t (${columns}) WHERE ${filters.join(' AND ')}`,
      );
      return reader.getRowsJson().map(([i]) => files[Number(i)]);
    } catch {
      return [...files];
    }
  }

  /** Compressed bytes of the named columns' chunks in a Parquet file (all columns when none are named). */
  private async parquetBytes(f: TableFile, columns: readonly string[]): Promise<number> {
    let perColumn = this.parquetColumnBytes.get(`${f.file}|${f.bytes}`);
    if (perColumn === undefined) {
      perColumn = new Map();
      const reader = await this.connection.runAndReadAll(
        `SELECT path_in_schema, sum(total_compressed_size) AS bytes FROM parquet_metadata(${quoteText(f.file)}) GROUP BY path_in_schema`,
      );
      for (const [name, bytes] of reader.getRowsJson()) perColumn.set(String(name).toLowerCase(), Number(bytes));
      this.parquetColumnBytes.set(`${f.file}|${f.bytes}`, perColumn);
      // Forget the oldest files' sizes past the bound: a long-running runtime reads new objects every day.
      for (const key of this.parquetColumnBytes.keys()) {
        if (this.parquetColumnBytes.size <= PARQUET_SIZE_CACHE_FILES) break;
        this.parquetColumnBytes.delete(key);
      }
    }
    const wanted = columns.map((c) => c.toLowerCase()).filter((c) => perColumn.has(c));
    if (wanted.length === 0) return [...perColumn.values()].reduce((a, b) => a + b, 0);
    return wanted.reduce((sum, c) => sum + (perColumn.get(c) ?? 0), 0);
  }
}
