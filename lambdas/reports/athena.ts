import {
  AthenaClient,
  GetNamedQueryCommand,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  StartQueryExecutionCommand,
  type Datum,
} from '@aws-sdk/client-athena';
import { executionParameters, unloadStatement, type QueryName } from './queries';
import type { ResultTable } from './exports';

/** Runs the daily job's named queries. */
export interface QueryRunner {
  /** Runs a SELECT and returns all its rows. Rejects with QueryFailedError when the query fails. */
  select(name: QueryName, values: Readonly<Record<string, string>>): Promise<ResultTable>;
  /** UNLOADs a SELECT's rows as Parquet under `target`, partitioned by `partitionColumn`. Rejects with QueryFailedError when it fails. */
  unload(name: QueryName, values: Readonly<Record<string, string>>, target: string, partitionColumn: string): Promise<void>;
}

/** A query that ended FAILED or CANCELLED, or did not end in time. */
export class QueryFailedError extends Error {
  constructor(
    readonly query: string,
    readonly queryExecutionId: string | undefined,
    readonly state: string,
    reason: string,
  ) {
    super(`query ${query}${queryExecutionId ? ` (${queryExecutionId})` : ''} ${state}: ${reason}`);
    this.name = 'QueryFailedError';
  }
}

export interface AthenaRunnerOptions {
  readonly client: AthenaClient;
  /** Named query id of each query (`Ref` of its `AWS::Athena::NamedQuery`). */
  readonly namedQueries: Readonly<Record<string, string>>;
  readonly database: string;
  readonly workGroup: string;
  /** Give up on a query after this long. @default 600_000 */
  readonly timeoutMs?: number;
  /** Pause between status polls: starts at `pollMs`, doubles up to 2 s. @default 200 */
  readonly pollMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * The runner over Athena's API: the SQL comes from the named query (GetNamedQuery, once per
 * container), parameters go as ExecutionParameters, and the execution is polled until it ends.
 */
export class AthenaQueryRunner implements QueryRunner {
  private readonly sql = new Map<string, string>();

  constructor(private readonly options: AthenaRunnerOptions) {}

  /** The SQL of a named query. Rejects when the query is not configured or cannot be read. */
  async sqlOf(name: QueryName): Promise<string> {
    const cached = this.sql.get(name);
    if (cached !== undefined) return cached;
    const id = this.options.namedQueries[name];
    if (id === undefined) throw new Error(`no named query id for ${name}`);
    const out = await this.options.client.send(new GetNamedQueryCommand({ NamedQueryId: id }));
    const text = out.NamedQuery?.QueryString;
    if (text === undefined) throw new Error(`named query ${name} (${id}) has no query string`);
    this.sql.set(name, text);
    return text;
  }

  async select(name: QueryName, values: Readonly<Record<string, string>>): Promise<ResultTable> {
    const sql = await this.sqlOf(name);
    const id = await this.execute(name, sql, executionParameters(name, sql, values));
    return this.results(id);
  }

  async unload(name: QueryName, values: Readonly<Record<string, string>>, target: string, partitionColumn: string): Promise<void> {
    const sql = await this.sqlOf(name);
    await this.execute(name, unloadStatement(sql, target, partitionColumn), executionParameters(name, sql, values));
  }

  /** Starts a query and polls it to its end; resolves with its id when it SUCCEEDED. */
  private async execute(name: string, queryString: string, parameters: string[]): Promise<string> {
    const { client, database, workGroup } = this.options;
    const sleep = this.options.sleep ?? realSleep;
    const started = await client.send(
      new StartQueryExecutionCommand({
        QueryString: queryString,
        QueryExecutionContext: { Database: database },
        WorkGroup: workGroup,
        ...(parameters.length > 0 ? { ExecutionParameters: parameters } : {}),
      }),
    );
    const id = started.QueryExecutionId;
    if (id === undefined) throw new QueryFailedError(name, undefined, 'NOT STARTED', 'StartQueryExecution returned no id');
    const deadline = Date.now() + (this.options.timeoutMs ?? 600_000);
    let pause = this.options.pollMs ?? 200;
    for (;;) {
      const out = await client.send(new GetQueryExecutionCommand({ QueryExecutionId: id }));
      const status = out.QueryExecution?.Status;
      const state = status?.State;
      if (state === 'SUCCEEDED') return id;
      if (state === 'FAILED' || state === 'CANCELLED')
        throw new QueryFailedError(name, id, state, status?.StateChangeReason ?? status?.AthenaError?.ErrorMessage ?? 'no reason given');
      if (Date.now() > deadline) throw new QueryFailedError(name, id, state ?? 'UNKNOWN', 'did not finish in time');
      await sleep(pause);
      pause = Math.min(pause * 2, 2000);
    }
  }

  /** Every row of a finished SELECT (the first row Athena returns is the header and is dropped). */
  private async results(id: string): Promise<ResultTable> {
    const rows: Array<Array<string | null>> = [];
    let columns: Array<{ name: string; type: string }> = [];
    let token: string | undefined;
    let first = true;
    do {
      const page = await this.options.client.send(new GetQueryResultsCommand({ QueryExecutionId: id, NextToken: token, MaxResults: 1000 }));
      if (first)
        columns = (page.ResultSet?.ResultSetMetadata?.ColumnInfo ?? []).map((c) => ({ name: c.Name ?? '', type: c.Type ?? 'varchar' }));
      const pageRows = (page.ResultSet?.Rows ?? []).map((r) => (r.Data ?? []).map((d: Datum) => d.VarCharValue ?? null));
      rows.push(...(first ? pageRows.slice(1) : pageRows));
      first = false;
      token = page.NextToken;
    } while (token !== undefined);
    return { columns, rows };
  }
}
