import type { APIGatewayProxyEvent } from 'aws-lambda';
import type { QueryDeps } from '../../../lambdas/query/handler';
import type { ReportExports } from '../../../lambdas/query/reports';
import { metricCatalog, type AlertsCursor, type ParamContext } from '../../../lambdas/query/params';
import type { AlertsPage, AlertsPageRequest, MetricCountersRequest, QueryReads, StoredItem } from '../../../lambdas/query/reads';
import { ALERT_PK_PREFIX } from '../../../lambdas/query/shape';
import { dimFieldsOf, KEYS } from '../../../lambdas/shared/results-table';

export const ZONE = 'Asia/Shanghai';

/** 2024-05-27T03:41:00Z = 11:41 in Shanghai. */
export const NOW = new Date('2024-05-27T03:41:00.000Z');

/** A TTL (2030) that DynamoDB Local's TTL sweep leaves alone: items dated 2024 would otherwise vanish mid-test. */
const FAR_FUTURE = 1_900_000_000;

/** A parameter context: the fixed clock (or `now`), Asia/Shanghai, the default metric catalog. */
export const aContext = (now: Date = NOW): ParamContext => ({ now, timeZone: ZONE, catalog: metricCatalog(ZONE) });

/** An error alert item as the alerts consumer stores it (keys, GSI keys, TTL and `notified` included). */
export function anErrorAlertItem(
  overrides: { eventId?: string; createdAt?: string; action?: string; userId?: string; errorMsg?: string } = {},
): Record<string, unknown> {
  const eventId = overrides.eventId ?? 'e-123';
  const createdAt = overrides.createdAt ?? '2024-05-27T03:41:10.000Z';
  return {
    ...KEYS.errorAlert(eventId),
    gpk: KEYS.alertsByDay(createdAt.slice(0, 10)),
    gsk: `${createdAt}#error#${eventId}`,
    kind: 'error',
    eventId,
    action: overrides.action ?? 'pay',
    userId: overrides.userId ?? 'u1',
    createdAt,
    errorMsg: overrides.errorMsg ?? '[error] gateway timeout',
    matched: '[error]',
    notified: true,
    expiresAt: FAR_FUTURE,
  };
}

/** A window alert item as the window consumer stores it. */
export function aWindowAlertItem(
  overrides: {
    ruleId?: string;
    group?: string;
    groupBy?: string;
    windowStart?: string;
    windowEnd?: string;
    createdAt?: string;
    count?: number;
    threshold?: number;
  } = {},
): Record<string, unknown> {
  const ruleId = overrides.ruleId ?? 'warnings-per-action';
  const group = overrides.group ?? 'viewDoc';
  const windowStart = overrides.windowStart ?? '2024-05-27T03:41:00.000Z';
  const createdAt = overrides.createdAt ?? '2024-05-27T03:42:00.512Z';
  return {
    ...KEYS.windowAlert(ruleId, group, windowStart),
    gpk: KEYS.alertsByDay(createdAt.slice(0, 10)),
    gsk: `${createdAt}#window#${ruleId}#${group}`,
    kind: 'window',
    ruleId,
    action: group,
    groupBy: overrides.groupBy ?? 'action',
    windowStart,
    windowEnd: overrides.windowEnd ?? '2024-05-27T03:42:00.000Z',
    count: overrides.count ?? 12,
    threshold: overrides.threshold ?? 10,
    createdAt,
    approximate: false,
    notified: true,
    expiresAt: FAR_FUTURE,
  };
}

/** A metric counter item (`dims` decides the partition's dim fields). */
export function aCounterItem(
  metric: string,
  minute: string,
  dims: string,
  values: { count: number; late?: number; sum?: number; min?: number; max?: number },
): Record<string, unknown> {
  return {
    ...KEYS.metric(metric, dimFieldsOf(dims), minute.slice(0, 10), minute, dims),
    count: values.count,
    late: values.late ?? 0,
    ...(values.sum !== undefined ? { sum: values.sum } : {}),
    ...(values.min !== undefined ? { min: values.min } : {}),
    ...(values.max !== undefined ? { max: values.max } : {}),
    'wm_shardId-000000000000': '00000000000000000000000000000000000000000000000001',
    expiresAt: FAR_FUTURE,
  };
}

/** A shard's packed edge-counter item of one (day, step): edges given as `[source, target, weight]`. */
export function anEdgePackItem(
  day: string,
  step: number,
  shardId: string,
  edges: readonly [string, string, number][],
): Record<string, unknown> {
  return {
    ...KEYS.pathEdgePack(day, step, shardId),
    step,
    ...Object.fromEntries(edges.map(([source, target, weight]) => [`e|${source}\u0000${target}`, weight])),
    [`wm_${shardId}`]: '0001',
  };
}

/**
 * A REST API proxy event (payload 1.0) for `resource` with query parameters, from a caller whose
 * ID token's `cognito:groups` API Gateway's Cognito authorizer passed on as `groups` (a string, as
 * it passes every claim; null: a token in no group).
 */
export function anApiEvent(
  resource: string,
  query: Record<string, string> = {},
  method = 'GET',
  groups: string | null = 'admin',
): APIGatewayProxyEvent {
  const hasQuery = Object.keys(query).length > 0;
  return {
    resource,
    path: resource,
    httpMethod: method,
    headers: {},
    multiValueHeaders: {},
    queryStringParameters: hasQuery ? { ...query } : null,
    multiValueQueryStringParameters: hasQuery ? Object.fromEntries(Object.entries(query).map(([k, v]) => [k, [v]])) : null,
    pathParameters: null,
    stageVariables: null,
    body: null,
    isBase64Encoded: false,
    requestContext: {
      requestId: 'req-1',
      authorizer: { claims: { sub: 'user-1', token_use: 'id', ...(groups !== null ? { 'cognito:groups': groups } : {}) } },
    } as unknown as APIGatewayProxyEvent['requestContext'],
  };
}

const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const str = (item: StoredItem, name: string): string => String(item[name]);

/**
 * The read interface over an array of items, with DynamoDB's semantics where the handler can
 * see them: key ranges, newest-first alerts, pages that end with a cursor. Set `failWith` to make
 * every read reject.
 */
export class InMemoryReads implements QueryReads {
  readonly calls: string[] = [];
  failWith: Error | undefined;

  constructor(readonly items: StoredItem[] = []) {}

  async alertsPage(request: AlertsPageRequest): Promise<AlertsPage> {
    this.calls.push(`alerts ${request.days.join(',')} ${request.limit}`);
    if (this.failWith !== undefined) throw this.failWith;
    const matching = request.days.flatMap((day) =>
      this.items
        .filter((i) => i.gpk === KEYS.alertsByDay(day) && str(i, 'gsk') >= request.since && str(i, 'gsk') <= `${request.until}#\uffff`)
        .filter((i) => request.kind === undefined || str(i, 'pk').startsWith(ALERT_PK_PREFIX[request.kind]))
        .sort((a, b) => compare(str(b, 'gsk'), str(a, 'gsk')))
        .map((item) => ({ day, item })),
    );
    const cursor: AlertsCursor | undefined = request.cursor;
    let start = 0;
    if (cursor !== undefined) {
      start =
        cursor.key === undefined
          ? matching.findIndex((m) => m.day === cursor.day)
          : matching.findIndex((m) => m.item.pk === cursor.key?.pk) + 1;
      if (start < 0) start = matching.length;
    }
    const taken = matching.slice(start, start + request.limit);
    const last = taken[taken.length - 1];
    const more = start + request.limit < matching.length;
    return {
      items: taken.map((m) => m.item),
      ...(more && last !== undefined
        ? {
            cursor: {
              day: last.day,
              key: { pk: str(last.item, 'pk'), sk: str(last.item, 'sk'), gpk: str(last.item, 'gpk'), gsk: str(last.item, 'gsk') },
            },
          }
        : {}),
    };
  }

  async metricCounters(request: MetricCountersRequest): Promise<StoredItem[]> {
    this.calls.push(`metrics ${request.metric} [${request.dimFields}] ${request.days.join(',')} ${request.from}..${request.to}`);
    if (this.failWith !== undefined) throw this.failWith;
    const partitions = new Set(request.days.map((day) => KEYS.metricDay(request.metric, request.dimFields, day)));
    return this.items.filter((i) => partitions.has(str(i, 'pk')) && str(i, 'sk') >= request.from && str(i, 'sk') <= `${request.to}#\uffff`);
  }

  async pathLedgers(day: string): Promise<StoredItem[]> {
    this.calls.push(`paths ${day}`);
    if (this.failWith !== undefined) throw this.failWith;
    return this.items.filter((i) => i.pk === KEYS.pathDay(day));
  }
}

/** A logger that remembers what it was told. */
export function aLogger(): QueryDeps['logger'] & {
  readonly lines: { level: string; message: string; attributes: Record<string, unknown> }[];
} {
  const lines: { level: string; message: string; attributes: Record<string, unknown> }[] = [];
  return {
    lines,
    info: (message, attributes) => lines.push({ level: 'info', message, attributes }),
    error: (message, attributes) => lines.push({ level: 'error', message, attributes }),
  };
}

/** Handler dependencies over `reads`, at the fixed clock in Asia/Shanghai. */
export const someDeps = (
  reads: QueryReads,
  logger: QueryDeps['logger'] = aLogger(),
  now: Date = NOW,
  exports: ReportExports = inMemoryExports(),
): QueryDeps => ({
  config: { tableName: 'results', timeZone: ZONE, stage: 'test', lakeBucket: 'lake' },
  reads,
  exports,
  now: () => now,
  logger,
});

/** Report exports held in memory: key → text. */
export function inMemoryExports(objects: Record<string, string> = {}): ReportExports & { readonly objects: Record<string, string> } {
  return {
    objects,
    listKeys: async (prefix) => Object.keys(objects).filter((k) => k.startsWith(prefix)),
    read: async (key) => objects[key],
  };
}
