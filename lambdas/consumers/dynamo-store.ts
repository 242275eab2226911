import { BatchGetCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  analysisOfKey,
  BATCH_GET_LIMIT,
  checkUpdate,
  keyId,
  keyOf,
  opKey,
  validation,
  type AttrValue,
  type ConsumedCapacity,
  type Condition,
  type Item,
  type ItemKey,
  type ResultsStore,
  type UpdateActions,
  type WriteOp,
  type WriteOptions,
  type WriteOutcome,
} from './store';

/**
 * The {@link ResultsStore} on DynamoDB: the write model of `store.ts` rendered to condition and
 * update expressions, and run through the document client.
 */

// ------------------------------------------------------------------ rendering to expressions

/** Collects `#n` names and `:v` values while an expression is rendered. */
class ExpressionParts {
  readonly names: Record<string, string> = {};
  readonly values: Record<string, AttrValue> = {};
  private readonly nameIds = new Map<string, string>();
  private valueCount = 0;

  name(attr: string): string {
    let id = this.nameIds.get(attr);
    if (id === undefined) {
      id = `#n${this.nameIds.size}`;
      this.nameIds.set(attr, id);
      this.names[id] = attr;
    }
    return id;
  }

  value(v: AttrValue): string {
    const id = `:v${this.valueCount}`;
    this.valueCount += 1;
    this.values[id] = v;
    return id;
  }

  /** `ExpressionAttributeNames`/`Values` for a command, without empty maps (DynamoDB refuses those). */
  attributes(): { ExpressionAttributeNames?: Record<string, string>; ExpressionAttributeValues?: Record<string, AttrValue> } {
    return {
      ...(Object.keys(this.names).length > 0 ? { ExpressionAttributeNames: this.names } : {}),
      ...(Object.keys(this.values).length > 0 ? { ExpressionAttributeValues: this.values } : {}),
    };
  }
}

/** A condition as a DynamoDB condition expression. Throws for an empty `and`/`or`. */
function renderCondition(condition: Condition, parts: ExpressionParts): string {
  switch (condition.kind) {
    case 'notExists':
      return `attribute_not_exists(${parts.name(condition.attr)})`;
    case 'exists':
      return `attribute_exists(${parts.name(condition.attr)})`;
    case 'compare':
      return `${parts.name(condition.attr)} ${condition.op} ${parts.value(condition.value)}`;
    case 'and':
    case 'or':
      if (condition.of.length === 0) throw validation(`Invalid ConditionExpression: empty ${condition.kind}`);
      return `(${condition.of.map((c) => renderCondition(c, parts)).join(condition.kind === 'and' ? ' AND ' : ' OR ')})`;
  }
}

/** An update as a DynamoDB update expression (`SET … ADD … REMOVE …`). Throws ValidationException for an invalid update. */
function renderUpdate(update: UpdateActions, parts: ExpressionParts): string {
  checkUpdate(update);
  const sets = [
    ...Object.entries(update.set ?? {}).map(([attr, v]) => `${parts.name(attr)} = ${parts.value(v)}`),
    ...Object.entries(update.setIfNotExists ?? {}).map(([attr, v]) => {
      const name = parts.name(attr);
      return `${name} = if_not_exists(${name}, ${parts.value(v)})`;
    }),
  ];
  const adds = Object.entries(update.add ?? {}).map(([attr, n]) => `${parts.name(attr)} ${parts.value(n)}`);
  const removes = (update.remove ?? []).map((attr) => parts.name(attr));
  return [
    sets.length > 0 ? `SET ${sets.join(', ')}` : '',
    adds.length > 0 ? `ADD ${adds.join(', ')}` : '',
    removes.length > 0 ? `REMOVE ${removes.join(', ')}` : '',
  ]
    .filter((clause) => clause !== '')
    .join(' ');
}

// ------------------------------------------------------------------ DynamoDB

/** A plain object (not an array, not bytes). */
const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);

/**
 * One wire-format attribute value (`{S:…}`, `{N:…}`, …) as the document client would give it.
 * Throws TypeError for anything else (sets are not used by this table).
 */
function fromWire(value: unknown): AttrValue {
  if (!isRecord(value)) throw new TypeError('not a DynamoDB attribute value');
  if (typeof value.S === 'string') return value.S;
  if (typeof value.N === 'string') return Number(value.N);
  if (typeof value.BOOL === 'boolean') return value.BOOL;
  if (value.NULL === true) return null;
  if (value.B instanceof Uint8Array) return value.B;
  if (Array.isArray(value.L)) return value.L.map(fromWire);
  if (isRecord(value.M)) return Object.fromEntries(Object.entries(value.M).map(([k, v]) => [k, fromWire(v)]));
  throw new TypeError('unsupported DynamoDB attribute value');
}

const WIRE_TYPES = new Set(['S', 'N', 'B', 'BOOL', 'NULL', 'L', 'M', 'SS', 'NS', 'BS']);
/** True when `value` looks like one wire-format attribute value (one key, a type name). */
const isWire = (value: unknown): boolean =>
  isRecord(value) && Object.keys(value).length === 1 && WIRE_TYPES.has(Object.keys(value)[0] ?? '');

/**
 * The item an error of the service carries (`Item` of a failed condition). The document client
 * leaves it in wire format (checked against DynamoDB Local); an item already converted is taken as is.
 */
function itemOfError(raw: unknown): Item | undefined {
  if (!isRecord(raw)) return undefined;
  if (!Object.values(raw).every(isWire)) return raw as Item;
  return Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, fromWire(v)]));
}

const errorName = (error: unknown): string => (error instanceof Error ? error.name : '');

/** Options of {@link DynamoResultsStore}. */
export interface DynamoStoreOptions {
  /** Rounds of BatchGetItem for keys DynamoDB left unprocessed. @default 8 */
  readonly batchGetAttempts?: number;
  /** Waits between those rounds. @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
}

/**
 * The {@link ResultsStore} on a DynamoDB table through the document client (whose own retries
 * handle throttling). Reads are strongly consistent.
 */
export class DynamoResultsStore implements ResultsStore {
  private readonly batchGetAttempts: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly writeUnits: Record<string, number> = {};
  private readUnits = 0;

  /** Capacity units the table reported for this store's calls so far (`ReturnConsumedCapacity: TOTAL` on every call). */
  consumed(): ConsumedCapacity {
    return { write: { ...this.writeUnits }, read: this.readUnits };
  }

  private countWrite(analysis: string, capacity: { CapacityUnits?: number } | undefined): void {
    this.writeUnits[analysis] = (this.writeUnits[analysis] ?? 0) + (capacity?.CapacityUnits ?? 0);
  }

  private countRead(capacity: { CapacityUnits?: number } | readonly { CapacityUnits?: number }[] | undefined): void {
    const all = Array.isArray(capacity) ? capacity : capacity === undefined ? [] : [capacity];
    for (const c of all as { CapacityUnits?: number }[]) this.readUnits += c.CapacityUnits ?? 0;
  }

  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    options: DynamoStoreOptions = {},
  ) {
    this.batchGetAttempts = options.batchGetAttempts ?? 8;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  /** GetItem (consistent). Rejects on any service error. */
  async get(key: ItemKey): Promise<Item | undefined> {
    const out = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: { pk: key.pk, sk: key.sk }, ConsistentRead: true, ReturnConsumedCapacity: 'TOTAL' }),
    );
    this.countRead(out.ConsumedCapacity);
    return out.Item as Item | undefined;
  }

  /** BatchGetItem (consistent) in pages of 100, retrying unprocessed keys with backoff. Rejects when keys stay unprocessed. */
  async batchGet(keys: readonly ItemKey[]): Promise<Map<string, Item>> {
    const found = new Map<string, Item>();
    for (let start = 0; start < keys.length; start += BATCH_GET_LIMIT) {
      let pending: Record<string, unknown>[] = keys.slice(start, start + BATCH_GET_LIMIT).map((k) => ({ pk: k.pk, sk: k.sk }));
      for (let attempt = 0; pending.length > 0; attempt++) {
        if (attempt >= this.batchGetAttempts)
          throw new Error(`BatchGetItem left ${pending.length} keys unprocessed after ${attempt} attempts`);
        if (attempt > 0) await this.sleep(Math.min(1000, 25 * 2 ** attempt));
        const out = await this.client.send(
          new BatchGetCommand({
            RequestItems: { [this.tableName]: { Keys: pending, ConsistentRead: true } },
            ReturnConsumedCapacity: 'TOTAL',
          }),
        );
        this.countRead(out.ConsumedCapacity);
        for (const item of out.Responses?.[this.tableName] ?? []) {
          const typed = item as Item;
          found.set(keyId(keyOf(typed)), typed);
        }
        pending = (out.UnprocessedKeys?.[this.tableName]?.Keys ?? []) as Record<string, unknown>[];
      }
    }
    return found;
  }

  /** Query of one partition (consistent), every page. Rejects on any service error. */
  async query(pk: string): Promise<Item[]> {
    const items: Item[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const out = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: '#pk = :pk',
          ExpressionAttributeNames: { '#pk': 'pk' },
          ExpressionAttributeValues: { ':pk': pk },
          ConsistentRead: true,
          ReturnConsumedCapacity: 'TOTAL',
          ...(startKey !== undefined ? { ExclusiveStartKey: startKey } : {}),
        }),
      );
      this.countRead(out.ConsumedCapacity);
      items.push(...((out.Items ?? []) as Item[]));
      startKey = out.LastEvaluatedKey;
    } while (startKey !== undefined);
    return items;
  }

  /** PutItem / UpdateItem; a failed condition resolves `ok: false` (with the old item when asked). Rejects on anything else. */
  async write(op: WriteOp, options: WriteOptions = {}): Promise<WriteOutcome> {
    const parts = new ExpressionParts();
    const condition = op.condition === undefined ? undefined : renderCondition(op.condition, parts);
    const common = {
      TableName: this.tableName,
      ReturnConsumedCapacity: 'TOTAL' as const,
      ...(condition !== undefined ? { ConditionExpression: condition } : {}),
      ...(options.returnOldOnConditionFailure === true ? { ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const } : {}),
    };
    const analysis = analysisOfKey(opKey(op));
    try {
      if (op.kind === 'put') {
        if (options.returnValues === 'ALL_NEW') throw validation('ReturnValues ALL_NEW is not valid for PutItem');
        keyOf(op.item);
        const out = await this.client.send(
          new PutCommand({
            ...common,
            Item: op.item as Record<string, unknown>,
            ReturnValues: options.returnValues ?? 'NONE',
            ...parts.attributes(),
          }),
        );
        this.countWrite(analysis, out.ConsumedCapacity);
        return { ok: true, attributes: out.Attributes as Item | undefined };
      }
      const expression = renderUpdate(op.update, parts);
      const out = await this.client.send(
        new UpdateCommand({
          ...common,
          Key: { pk: op.key.pk, sk: op.key.sk },
          UpdateExpression: expression,
          ReturnValues: options.returnValues ?? 'NONE',
          ...parts.attributes(),
        }),
      );
      this.countWrite(analysis, out.ConsumedCapacity);
      return { ok: true, attributes: out.Attributes as Item | undefined };
    } catch (error) {
      if (errorName(error) !== 'ConditionalCheckFailedException') throw error;
      // A refused conditional write is billed too (at least 1 WCU); the error does not say how much.
      this.countWrite(analysis, { CapacityUnits: 1 });
      return { ok: false, old: itemOfError((error as { Item?: unknown }).Item) };
    }
  }
}
