import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { grantFor, maskAlert, rolesFromGroupsClaim, type Grant, type ReadRoute } from '../shared/access';
import { lambdaEntry } from '../shared/entry';
import { lambdaS3Client } from '../shared/s3-client';
import { errorResponse, jsonResponse, routeOf } from '../shared/http';
import type { AppLogger } from '../shared/logger';
import type { AlertsAnswer, MetricBucket, MetricsAnswer, PathsAnswer, RateBucket } from '../shared/read-api';
import type { ReportAnswer } from '../shared/reports';
import { loadConfig, type QueryConfig } from './config';
import {
  encodeNextToken,
  metricCatalog,
  parseAlertsParams,
  parseMetricsParams,
  parsePathsCsvParams,
  parsePathsParams,
  type ParamContext,
  type ParseResult,
  type QueryStrings,
} from './params';
import { createDynamoReads, TooManyCountersError, type QueryReads } from './reads';
import {
  answerCsv,
  createS3Exports,
  listReports,
  parseReportRequest,
  readReport,
  ReportTooLargeError,
  UnreadableExportError,
  type ReportExports,
} from './reports';
import { alertViews, dayEdges, edgesCsv, edgeViews, metricSeries, successRateSeries, UnreadableItemError } from './shape';

/** Everything the handler needs from outside; tests pass fakes. */
export interface QueryDeps {
  readonly config: QueryConfig;
  readonly reads: QueryReads;
  /** The daily report exports (S3). */
  readonly exports: ReportExports;
  readonly now: () => Date;
  readonly logger: Pick<AppLogger, 'info' | 'error'>;
}

/** The Lambda function's shape: a REST API proxy event (payload 1.0) in, a proxy result out. */
export type QueryHandler = (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;

type Route = 'alerts' | 'metrics' | 'paths' | 'paths.csv' | 'reports' | 'report';

/** The API Gateway resource of each route (the access table's key). */
const RESOURCES: Readonly<Record<Route, ReadRoute>> = {
  alerts: '/v1/alerts',
  metrics: '/v1/metrics',
  paths: '/v1/paths',
  'paths.csv': '/v1/paths.csv',
  reports: '/v1/reports',
  report: '/v1/reports/{name}',
};

const ROUTES: Readonly<Record<string, Route>> = Object.fromEntries(
  Object.entries(RESOURCES).map(([route, resource]) => [resource, route as Route]),
);

/** The single-valued parameters, or the first one given more than once (as a 400). */
function queryOf(
  event: Pick<APIGatewayProxyEvent, 'queryStringParameters' | 'multiValueQueryStringParameters'>,
): ParseResult<QueryStrings> {
  for (const [name, values] of Object.entries(event.multiValueQueryStringParameters ?? {})) {
    if (values !== undefined && values.length > 1) return { ok: false, error: { field: name, reason: 'must be given once' } };
  }
  return { ok: true, value: event.queryStringParameters ?? {} };
}

/** The CSV download of a day's paths. */
const csvResponse = (filename: string, body: string): APIGatewayProxyResult => ({
  statusCode: 200,
  headers: {
    'content-type': 'text/csv; charset=utf-8',
    'content-disposition': `attachment; filename="${filename}"`,
    'cache-control': 'no-store',
  },
  body,
});

/**
 * Builds the read-API handler over `deps`: routes `GET /v1/alerts|metrics|paths|paths.csv|reports|reports/{name}`,
 * answers 403 when the caller's groups (`cognito:groups` of the authorizer's claims) may not read
 * the route and masks alerts for analysts (lambdas/shared/access.ts), parses parameters (400 naming
 * the parameter), reads and shapes the answer. Never throws: an
 * unknown route is 404, another method 405, a failed read or an unreadable item 500 (logged).
 * Throws RangeError when `deps.config.timeZone` is unknown.
 */
export function createHandler(deps: QueryDeps): QueryHandler {
  const { config, reads, logger } = deps;
  const catalog = metricCatalog(config.timeZone);
  const timeZone = config.timeZone;

  /** The answer of a routed, parsed request the caller's `grant` allows. */
  const answer = async (
    route: Route,
    grant: Exclude<Grant, 'deny'>,
    query: QueryStrings,
    ctx: ParamContext,
    pathName: string | undefined,
  ): Promise<APIGatewayProxyResult> => {
    switch (route) {
      case 'alerts': {
        const parsed = parseAlertsParams(query, ctx);
        if (!parsed.ok) return errorResponse(400, parsed.error);
        const q = parsed.value;
        const page = await reads.alertsPage({
          days: q.days,
          since: q.since,
          until: q.until,
          limit: q.limit,
          ...(q.kind !== undefined ? { kind: q.kind } : {}),
          ...(q.cursor !== undefined ? { cursor: q.cursor } : {}),
        });
        const views = alertViews(page.items);
        const alerts = grant === 'masked' ? views.map((alert) => (alert.kind === 'error' ? maskAlert(alert) : alert)) : views;
        return jsonResponse(200, {
          timeZone,
          since: q.since,
          until: q.until,
          alerts,
          ...(page.cursor !== undefined ? { nextToken: encodeNextToken(page.cursor) } : {}),
        } satisfies AlertsAnswer);
      }
      case 'metrics': {
        const parsed = parseMetricsParams(query, ctx);
        if (!parsed.ok) return errorResponse(400, parsed.error);
        const q = parsed.value;
        let itemsOf: Awaited<ReturnType<QueryReads['metricCounters']>>[];
        try {
          itemsOf = await Promise.all(q.sources.map((source) => reads.metricCounters({ ...source, days: q.days, from: q.from, to: q.to })));
        } catch (error) {
          if (!(error instanceof TooManyCountersError)) throw error;
          const reason = `the range holds more than ${error.limit} counters${q.dim !== undefined ? ' of this dim' : ''}: ask for a shorter range`;
          return errorResponse(400, { field: 'from', reason });
        }
        const series =
          q.kind === 'ratio' ? successRateSeries(itemsOf[0] ?? [], itemsOf[1] ?? []) : metricSeries(itemsOf[0] ?? [], q.groupFields);
        return jsonResponse(200, {
          name: q.name,
          timeZone,
          from: q.from,
          to: q.to,
          ...(q.dim !== undefined ? { dim: q.dim } : {}),
          series,
        } satisfies MetricsAnswer<MetricBucket | RateBucket>);
      }
      case 'paths': {
        const parsed = parsePathsParams(query, ctx);
        if (!parsed.ok) return errorResponse(400, parsed.error);
        const q = parsed.value;
        const edges = dayEdges(await reads.pathLedgers(q.date));
        return jsonResponse(200, { date: q.date, timeZone, edges: edgeViews(edges, q.minWeight, q.limit) } satisfies PathsAnswer);
      }
      case 'paths.csv': {
        const parsed = parsePathsCsvParams(query, ctx);
        if (!parsed.ok) return errorResponse(400, parsed.error);
        const edges = dayEdges(await reads.pathLedgers(parsed.value.date));
        return csvResponse(`paths-${parsed.value.date}.csv`, edgesCsv(edges));
      }
      case 'reports': {
        const extra = Object.keys(query)[0];
        if (extra !== undefined) return errorResponse(400, { field: extra, reason: 'is not a parameter of this route (it takes none)' });
        return jsonResponse(200, await listReports(deps.exports));
      }
      case 'report': {
        const parsed = parseReportRequest(pathName, query, ctx.now, timeZone);
        if (!parsed.ok) return errorResponse(parsed.error.field === 'name' ? 404 : 400, parsed.error);
        let answer: ReportAnswer;
        try {
          answer = await readReport(deps.exports, parsed.value);
        } catch (error) {
          if (!(error instanceof ReportTooLargeError)) throw error;
          return errorResponse(400, {
            field: 'to',
            reason: `the range holds more than ${error.limitBytes} bytes of ${error.report} rows: ask for fewer days`,
          });
        }
        return parsed.value.format === 'csv'
          ? csvResponse(`${answer.report}-${answer.from}-${answer.to}.csv`, answerCsv(answer))
          : jsonResponse(200, answer);
      }
    }
  };

  return async (event) => {
    const startedAt = deps.now();
    const requestId = event.requestContext?.requestId;
    const routed = routeOf(event, ROUTES, 'GET');
    if (!routed.ok) return routed.response;
    const route = routed.route;
    // The authorizer has checked the ID token; the groups in it decide what this route gives.
    const resource = RESOURCES[route];
    const roles = rolesFromGroupsClaim(event.requestContext?.authorizer?.claims?.['cognito:groups']);
    const grant = grantFor(resource, roles);
    if (grant === 'deny') {
      logger.info('request refused', { requestId, route, roles, status: 403 });
      return errorResponse(403, {
        field: '',
        reason: `${roles.length === 0 ? 'no role (the token names none of the groups admin, operator, developer, analyst)' : `role ${roles.join(', ')}`} may not read ${resource}`,
      });
    }
    const query = queryOf(event);
    if (!query.ok) return errorResponse(400, query.error);

    let response: APIGatewayProxyResult;
    try {
      response = await answer(route, grant, query.value, { now: startedAt, timeZone, catalog }, event.pathParameters?.name ?? undefined);
    } catch (error) {
      const cause =
        error instanceof UnreadableItemError
          ? { errorName: error.name, errorMessage: error.message, pk: error.pk, sk: error.sk }
          : error instanceof UnreadableExportError
            ? { errorName: error.name, errorMessage: error.message }
            : error instanceof Error
              ? { errorName: error.name, errorMessage: error.message }
              : { errorName: 'UnknownError' };
      logger.error('request failed', { requestId, route, ...cause }, { error });
      return errorResponse(500, { field: '', reason: `internal error (request ${requestId ?? 'unknown'})` });
    }
    logger.info('request handled', {
      requestId,
      route,
      status: response.statusCode,
      bytes: Buffer.byteLength(response.body),
      durationMs: deps.now().getTime() - startedAt.getTime(),
    });
    return response;
  };
}

// ---------------------------------------------------------------------------------------------
// Production wiring: one DynamoDB client and one S3 client per container, configuration read once (lambdaEntry).

/** Endpoints come from the SDK's own `AWS_ENDPOINT_URL_DYNAMODB` (set by the local runtime). */
const documentClient = DynamoDBDocumentClient.from(new DynamoDBClient({}));
const s3Client = lambdaS3Client();

/** The Lambda entry point (`GET /v1/alerts`, `/v1/metrics`, `/v1/paths`, `/v1/paths.csv`, `/v1/reports`, `/v1/reports/{name}`); throws only when the configuration is invalid. */
export const handler = lambdaEntry<APIGatewayProxyEvent, APIGatewayProxyResult>((logger) => {
  const config = loadConfig(process.env);
  return createHandler({
    config,
    reads: createDynamoReads(documentClient, config.tableName),
    exports: createS3Exports(s3Client, config.lakeBucket),
    now: () => new Date(),
    logger,
  });
});
