import { type DynamoDBDocumentClient, QueryCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { ALERTS_BY_TIME_INDEX, KEYS } from '../shared/results-table';
import type { AlertKind } from '../shared/read-api';
import type { AlertsCursor } from './params';
import { ALERT_PK_PREFIX } from './shape';

/** A stored item as DynamoDB returns it (numbers as numbers, binary as bytes). */
export type StoredItem = Readonly<Record<string, unknown>>;

/** What to list from the `byTime` index. */
export interface AlertsPageRequest {
  /** UTC days to read, newest first. */
  readonly days: readonly string[];
  /** ISO UTC bounds, both included. */
  readonly since: string;
  readonly until: string;
  readonly kind?: AlertKind;
  /** Most items to return. */
  readonly limit: number;
  /** Where the previous page ended. */
  readonly cursor?: AlertsCursor;
}

/** One page of alert items, newest first, and where the next page starts (none: this was the last). */
export interface AlertsPage {
  readonly items: readonly StoredItem[];
  readonly cursor?: AlertsCursor;
}

/** What to read of one metric: the counters of `KEYS.metricDay(metric, dimFields, day)` for each day, minutes `from`..`to`. */
export interface MetricCountersRequest {
  readonly metric: string;
  readonly dimFields: string;
  readonly days: readonly string[];
  /** Local minutes `YYYY-MM-DDTHH:mm`, both included. */
  readonly from: string;
  readonly to: string;
}

/** Data access of the read API; tests pass an in-memory fake. Every method rejects with the store's error. */
export interface QueryReads {
  /** A page of alert items from the `byTime` index, newest first. */
  alertsPage(request: AlertsPageRequest): Promise<AlertsPage>;
  /** Every metric counter item of the request (in no particular order). */
  metricCounters(request: MetricCountersRequest): Promise<StoredItem[]>;
  /** Every edge counter item of a local day (all shards). */
  pathLedgers(day: string): Promise<StoredItem[]>;
}

/** Options of {@link createDynamoReads}. */
export interface DynamoReadsOptions {
  /** Most Query calls one page of alerts may make before it hands back a `nextToken`. @default 40 */
  readonly maxAlertQueries?: number;
  /**
   * Most metric counters one `metricCounters` call may read (every distinct dimension value of
   * every minute in range is one): a range with more is refused with TooManyCountersError rather
   * than read into memory. @default 50000
   */
  readonly maxCounters?: number;
}

/** Thrown when a metric range holds more counters than one answer may read: the caller narrows `from`..`to` or drops `dim`. */
export class TooManyCountersError extends Error {
  constructor(readonly limit: number) {
    super(`the range holds more than ${limit} counters`);
    this.name = 'TooManyCountersError';
  }
}

/** Past the last possible sort-key suffix of a minute or instant. */
const HIGH = '#\uffff';

/**
 * The `gsk` range of the `byTime` index an alerts query reads: from `since` to past every key of
 * the instant `until` (both ISO UTC). One definition for the query and for checking a `nextToken`.
 */
export const alertsTimeRange = (since: string, until: string): { readonly low: string; readonly high: string } => ({
  low: since,
  high: until + HIGH,
});

/** The index key of an item (to go on after it), from its key attributes. */
function indexKeyOf(item: StoredItem): Record<string, string> | undefined {
  const key: Record<string, string> = {};
  for (const name of ['pk', 'sk', 'gpk', 'gsk']) {
    const value = item[name];
    if (typeof value !== 'string') return undefined;
    key[name] = value;
  }
  return key;
}

/** Narrows DynamoDB's LastEvaluatedKey to string attributes (every key of this table is a string). */
function stringKey(key: Record<string, unknown> | undefined): Record<string, string> | undefined {
  if (key === undefined) return undefined;
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(key)) {
    if (typeof value !== 'string') throw new TypeError(`unexpected non-string key attribute ${name}`);
    out[name] = value;
  }
  return out;
}

/**
 * Reads through the DocumentClient: Query only (the `byTime` index for alerts, key ranges for
 * metric counters and edge counters), following LastEvaluatedKey to the end of each partition.
 * Needs `dynamodb:Query` on the table and on its `byTime` index. Rejects with the SDK's error.
 */
export function createDynamoReads(client: DynamoDBDocumentClient, tableName: string, options: DynamoReadsOptions = {}): QueryReads {
  const maxAlertQueries = options.maxAlertQueries ?? 40;
  const maxCounters = options.maxCounters ?? 50_000;

  /** Every item of a query, page after page; with a `budget`, rejects with TooManyCountersError once the items read pass it. */
  const queryAll = async (input: QueryCommandInput, budget?: { left: number; readonly limit: number }): Promise<StoredItem[]> => {
    const items: StoredItem[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await client.send(new QueryCommand({ ...input, ...(start !== undefined ? { ExclusiveStartKey: start } : {}) }));
      items.push(...(page.Items ?? []));
      if (budget !== undefined) {
        budget.left -= page.Items?.length ?? 0;
        if (budget.left < 0) throw new TooManyCountersError(budget.limit);
      }
      start = page.LastEvaluatedKey;
    } while (start !== undefined);
    return items;
  };

  return {
    async alertsPage(request) {
      const items: StoredItem[] = [];
      let index = request.cursor === undefined ? 0 : request.days.indexOf(request.cursor.day);
      if (index < 0) return { items };
      let start: Record<string, string> | undefined = request.cursor?.key;
      // With a kind filter DynamoDB's Limit counts items before filtering: read bigger pages and cut.
      const filtered = request.kind !== undefined;
      for (let queries = 0; index < request.days.length; queries += 1) {
        const day = request.days[index] as string;
        if (queries >= maxAlertQueries) return { items, cursor: { day, ...(start !== undefined ? { key: start } : {}) } };
        const remaining = request.limit - items.length;
        const range = alertsTimeRange(request.since, request.until);
        const page = await client.send(
          new QueryCommand({
            TableName: tableName,
            IndexName: ALERTS_BY_TIME_INDEX,
            KeyConditionExpression: 'gpk = :day AND gsk BETWEEN :since AND :until',
            ExpressionAttributeValues: {
              ':day': KEYS.alertsByDay(day),
              ':since': range.low,
              ':until': range.high,
              ...(request.kind !== undefined ? { ':kind': ALERT_PK_PREFIX[request.kind] } : {}),
            },
            ...(request.kind !== undefined ? { FilterExpression: 'begins_with(pk, :kind)' } : {}),
            ScanIndexForward: false,
            Limit: filtered ? Math.min(1000, Math.max(remaining, 100)) : remaining,
            ...(start !== undefined ? { ExclusiveStartKey: start } : {}),
          }),
        );
        for (const item of page.Items ?? []) {
          if (items.length === request.limit) {
            // More matched than fit: go on after the last item returned.
            const last = indexKeyOf(items[items.length - 1] as StoredItem);
            if (last === undefined) throw new TypeError('alert item without its key attributes');
            return { items, cursor: { day, key: last } };
          }
          items.push(item);
        }
        start = stringKey(page.LastEvaluatedKey);
        if (start === undefined) index += 1;
        if (items.length === request.limit) {
          if (start !== undefined) return { items, cursor: { day, key: start } };
          const next = request.days[index];
          return next === undefined ? { items } : { items, cursor: { day: next } };
        }
      }
      return { items };
    },

    async metricCounters(request) {
      const budget = { left: maxCounters, limit: maxCounters };
      const perDay = await Promise.all(
        request.days.map((day) =>
          queryAll(
            {
              TableName: tableName,
              KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
              ExpressionAttributeNames: {
                '#pk': 'pk',
                '#sk': 'sk',
                '#count': 'count',
                '#late': 'late',
                '#sum': 'sum',
                '#min': 'min',
                '#max': 'max',
              },
              ExpressionAttributeValues: {
                ':pk': KEYS.metricDay(request.metric, request.dimFields, day),
                ':from': request.from,
                ':to': request.to + HIGH,
              },
              ProjectionExpression: '#pk, #sk, #count, #late, #sum, #min, #max',
            },
            budget,
          ),
        ),
      );
      return perDay.flat();
    },

    async pathLedgers(day) {
      return queryAll({
        TableName: tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': KEYS.pathDay(day) },
      });
    },
  };
}
