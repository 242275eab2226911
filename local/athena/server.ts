import { randomUUID } from 'crypto';
import * as http from 'http';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { closeHttpServer, listen, LOCAL_HOST, type RunningService } from '../services/ports';
import { parseS3Url, type AthenaCatalog } from './catalog';
import type { DuckDbAthena, QueryOutcome } from './engine';
import { substituteParameters } from './translate';

/** Most executions remembered (the oldest finished ones are forgotten first). */
export const MAX_EXECUTIONS = 1000;
/** GetQueryResults returns at most this many rows per page, as on AWS. */
export const MAX_RESULTS_PER_PAGE = 1000;

type State = 'QUEUED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED';

interface Execution {
  readonly id: string;
  readonly query: string;
  readonly database: string;
  readonly workGroup: string;
  readonly outputLocation?: string;
  readonly submitted: Date;
  state: State;
  reason?: string;
  completed?: Date;
  outcome?: QueryOutcome;
}

/** An Athena API error: the exception name and HTTP status AWS uses for it. */
export class AthenaApiError extends Error {
  constructor(
    readonly type: 'InvalidRequestException' | 'ResourceNotFoundException',
    message: string,
    readonly status = 400,
  ) {
    super(message);
    this.name = type;
  }
}

const epochSeconds = (d: Date) => d.getTime() / 1000;

/** CSV as Athena writes query results: every value quoted, NULL empty. */
const resultCsv = (o: QueryOutcome): string =>
  [o.columns.map((c) => c.name), ...o.rows]
    .map((row) => row.map((v) => (v === null ? '' : `"${v.replace(/"/g, '""')}"`)).join(','))
    .join('\n') + '\n';

export interface AthenaServiceOptions {
  readonly catalog: AthenaCatalog;
  readonly engine: DuckDbAthena;
  /** Where query results are written (CSV at the output location), as Athena does. */
  readonly s3: S3Client;
}

/**
 * Athena's API for the calls the daily job and the `report` command make, over DuckDB:
 * StartQueryExecution (workgroup configuration enforced, ExecutionParameters), GetQueryExecution,
 * GetQueryResults (header row first, pages of 1,000), GetNamedQuery and ListNamedQueries from the
 * templates. Queries run one at a time in the background, as executions are polled on AWS.
 */
export class AthenaService {
  private readonly executions = new Map<string, Execution>();

  constructor(private readonly options: AthenaServiceOptions) {}

  /** Answers one action's JSON request; throws AthenaApiError for a request AWS would reject. */
  async handle(action: string, input: Record<string, unknown>): Promise<unknown> {
    const text = (name: string, required = true): string | undefined => {
      const v = input[name];
      if (v === undefined && !required) return undefined;
      if (typeof v !== 'string' || v === '')
        throw new AthenaApiError('InvalidRequestException', `${name} is required and must be a non-empty string`);
      return v;
    };
    switch (action) {
      case 'StartQueryExecution':
        return { QueryExecutionId: this.start(input, text('QueryString') ?? '') };
      case 'GetQueryExecution':
        return { QueryExecution: this.view(this.find(text('QueryExecutionId') ?? '')) };
      case 'GetQueryResults':
        return this.results(this.find(text('QueryExecutionId') ?? ''), text('NextToken', false), input.MaxResults);
      case 'GetNamedQuery': {
        const id = text('NamedQueryId') ?? '';
        const q = this.options.catalog.namedQueries.find((n) => n.id === id);
        if (!q) throw new AthenaApiError('InvalidRequestException', `NamedQuery ${id} was not found`);
        return {
          NamedQuery: {
            NamedQueryId: q.id,
            Name: q.name,
            Database: q.database,
            QueryString: q.queryString,
            WorkGroup: q.workGroup ?? 'primary',
          },
        };
      }
      case 'ListNamedQueries': {
        const wg = text('WorkGroup', false);
        return {
          NamedQueryIds: this.options.catalog.namedQueries
            .filter((q) => wg === undefined || (q.workGroup ?? 'primary') === wg)
            .map((q) => q.id),
        };
      }
      default:
        throw new AthenaApiError('InvalidRequestException', `The action ${action} is not supported by the local Athena`);
    }
  }

  private find(id: string): Execution {
    const e = this.executions.get(id);
    if (!e) throw new AthenaApiError('InvalidRequestException', `QueryExecution ${id} was not found`);
    return e;
  }

  private start(input: Record<string, unknown>, queryString: string): string {
    const workGroupName = typeof input.WorkGroup === 'string' ? input.WorkGroup : 'primary';
    const workGroup = this.options.catalog.workGroups.find((w) => w.name === workGroupName);
    if (!workGroup) throw new AthenaApiError('InvalidRequestException', `WorkGroup ${workGroupName} is not found.`);
    const context = (input.QueryExecutionContext ?? {}) as { Database?: unknown };
    const database = typeof context.Database === 'string' ? context.Database : 'default';
    const params = input.ExecutionParameters;
    if (params !== undefined && (!Array.isArray(params) || params.some((p) => typeof p !== 'string' || p === ''))) {
      throw new AthenaApiError('InvalidRequestException', 'ExecutionParameters must be a list of non-empty strings');
    }
    const resultConfig = (input.ResultConfiguration ?? {}) as { OutputLocation?: unknown };
    const outputLocation =
      workGroup.enforce || typeof resultConfig.OutputLocation !== 'string' ? workGroup.outputLocation : resultConfig.OutputLocation;
    if (outputLocation === undefined)
      throw new AthenaApiError(
        'InvalidRequestException',
        'No output location provided. An output location is required either through the Workgroup result configuration setting or as an API input.',
      );
    const id = randomUUID();
    const execution: Execution = {
      id,
      query: queryString,
      database,
      workGroup: workGroup.name,
      outputLocation,
      submitted: new Date(),
      state: 'QUEUED',
    };
    this.remember(execution);
    void this.run(execution, (params as string[] | undefined) ?? [], workGroup.bytesScannedCutoff);
    return id;
  }

  private remember(execution: Execution): void {
    this.executions.set(execution.id, execution);
    if (this.executions.size <= MAX_EXECUTIONS) return;
    for (const [id, e] of this.executions) {
      if (e.state !== 'QUEUED' && e.state !== 'RUNNING') {
        this.executions.delete(id);
        if (this.executions.size <= MAX_EXECUTIONS) return;
      }
    }
  }

  private async run(e: Execution, params: string[], cutoff: number | undefined): Promise<void> {
    try {
      const sql = substituteParameters(e.query, params);
      e.state = 'RUNNING';
      const outcome = await this.options.engine.execute(sql, e.database);
      if (cutoff !== undefined && outcome.bytesScanned > cutoff) {
        e.state = 'FAILED';
        e.reason = `Query exhausted resources at this scale factor: bytes scanned ${outcome.bytesScanned} exceed the workgroup's limit of ${cutoff} (BytesScannedCutoffPerQuery).`;
      } else {
        e.outcome = outcome;
        if (e.outputLocation !== undefined) {
          const { bucket, prefix } = parseS3Url(e.outputLocation);
          await this.options.s3.send(
            new PutObjectCommand({ Bucket: bucket, Key: `${prefix}${e.id}.csv`, Body: resultCsv(outcome), ContentType: 'text/csv' }),
          );
        }
        e.state = 'SUCCEEDED';
      }
    } catch (error) {
      e.state = 'FAILED';
      e.reason = error instanceof Error ? error.message : String(error);
    }
    e.completed = new Date();
  }

  private view(e: Execution): Record<string, unknown> {
    return {
      QueryExecutionId: e.id,
      Query: e.query,
      StatementType: 'DML',
      WorkGroup: e.workGroup,
      QueryExecutionContext: { Database: e.database, Catalog: 'AwsDataCatalog' },
      ResultConfiguration: e.outputLocation === undefined ? {} : { OutputLocation: `${e.outputLocation}${e.id}.csv` },
      Status: {
        State: e.state,
        SubmissionDateTime: epochSeconds(e.submitted),
        ...(e.completed ? { CompletionDateTime: epochSeconds(e.completed) } : {}),
        ...(e.reason !== undefined
          ? { StateChangeReason: e.reason, AthenaError: { ErrorCategory: 2, ErrorType: 1000, Retryable: false, ErrorMessage: e.reason } }
          : {}),
      },
      Statistics: {
        DataScannedInBytes: e.outcome?.bytesScanned ?? 0,
        EngineExecutionTimeInMillis: e.completed ? e.completed.getTime() - e.submitted.getTime() : 0,
      },
    };
  }

  private results(e: Execution, token: string | undefined, max: unknown): Record<string, unknown> {
    if (e.state !== 'SUCCEEDED' || !e.outcome)
      throw new AthenaApiError('InvalidRequestException', `Query has not yet finished. Current state: ${e.state}`);
    const limit = max === undefined ? MAX_RESULTS_PER_PAGE : Number(max);
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_RESULTS_PER_PAGE)
      throw new AthenaApiError('InvalidRequestException', `MaxResults must be 1..${MAX_RESULTS_PER_PAGE}`);
    const o = e.outcome;
    const all = o.columns.length === 0 ? [] : [o.columns.map((c) => c.name), ...o.rows];
    const offset = token === undefined ? 0 : Number(token);
    if (!Number.isInteger(offset) || offset < 0 || offset > all.length)
      throw new AthenaApiError('InvalidRequestException', 'NextToken is not valid');
    const page = all.slice(offset, offset + limit);
    return {
      UpdateCount: 0,
      ResultSet: {
        Rows: page.map((row) => ({ Data: row.map((v) => (v === null ? {} : { VarCharValue: v })) })),
        ResultSetMetadata: {
          ColumnInfo: o.columns.map((c) => ({
            CatalogName: 'hive',
            SchemaName: '',
            TableName: '',
            Name: c.name,
            Label: c.name,
            Type: c.type,
            Precision: 0,
            Scale: 0,
            Nullable: 'UNKNOWN',
            CaseSensitive: c.type === 'varchar',
          })),
        },
      },
      ...(offset + limit < all.length ? { NextToken: String(offset + limit) } : {}),
    };
  }
}

/** Starts the Athena stand-in on 127.0.0.1 (JSON 1.1 protocol, `X-Amz-Target: AmazonAthena.<Action>`). */
export async function startAthena(service: AthenaService, port: number): Promise<RunningService> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const target = String(req.headers['x-amz-target'] ?? '');
      const action = target.startsWith('AmazonAthena.') ? target.slice('AmazonAthena.'.length) : target;
      const reply = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': randomUUID() });
        res.end(JSON.stringify(body));
      };
      let input: Record<string, unknown>;
      try {
        input = chunks.length === 0 ? {} : (JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>);
      } catch {
        reply(400, { __type: 'InvalidRequestException', Message: 'The request body is not JSON' });
        return;
      }
      service.handle(action, input).then(
        (body) => reply(200, body),
        (error: unknown) => {
          if (error instanceof AthenaApiError) reply(error.status, { __type: error.type, Message: error.message });
          else reply(500, { __type: 'InternalServerException', Message: error instanceof Error ? error.message : String(error) });
        },
      );
    });
  });
  const bound = await listen(server, port, 'local Athena (--port + 7)');
  return { endpoint: `http://${LOCAL_HOST}:${bound}`, port: bound, stop: () => closeHttpServer(server) };
}
