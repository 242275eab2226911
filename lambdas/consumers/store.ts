import {
  BatchGetCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';

/**
 * The data-access layer of the stream consumers: a small, typed model of DynamoDB writes
 * (conditions, SET / `if_not_exists` / ADD / REMOVE, transactions) and two stores that execute
 * it with the same semantics — {@link DynamoResultsStore} on the real table and
 * {@link MemoryResultsStore} for tests, which also counts what a batch writes. Key names live in
 * `lambdas/shared/results-table.ts`; this module only knows `pk` and `sk`.
 */

/** A DynamoDB attribute value as the document client maps it (S, N, BOOL, NULL, B, L, M). */
export type AttrValue = string | number | boolean | null | Uint8Array | readonly AttrValue[] | { readonly [name: string]: AttrValue };

/** An item: named attribute values, always with the string keys `pk` and `sk`. */
export type Item = Readonly<Record<string, AttrValue>>;

/** The primary key of an item of the results table. */
export interface ItemKey {
  readonly pk: string;
  readonly sk: string;
}

/** Comparisons a {@link Condition} may make (the ones DynamoDB defines the same for S, N and B). */
export type Comparator = '=' | '<' | '<=' | '>' | '>=';

/**
 * A condition expression. A comparison with a missing attribute, or with a value of another
 * type, is false (DynamoDB's rule); `and`/`or` need at least one operand.
 */
export type Condition =
  | { readonly kind: 'notExists'; readonly attr: string }
  | { readonly kind: 'exists'; readonly attr: string }
  | { readonly kind: 'compare'; readonly attr: string; readonly op: Comparator; readonly value: AttrValue }
  | { readonly kind: 'and' | 'or'; readonly of: readonly Condition[] };

/** Builders of {@link Condition}s, so call sites read like the expression they render to. */
export const cond = {
  notExists: (attr: string): Condition => ({ kind: 'notExists', attr }),
  exists: (attr: string): Condition => ({ kind: 'exists', attr }),
  compare: (attr: string, op: Comparator, value: AttrValue): Condition => ({ kind: 'compare', attr, op, value }),
  and: (...of: Condition[]): Condition => ({ kind: 'and', of }),
  or: (...of: Condition[]): Condition => ({ kind: 'or', of }),
} as const;

/** The clauses of an update expression; one attribute may appear in one clause only. */
export interface UpdateActions {
  /** `SET a = :v` */
  readonly set?: Readonly<Record<string, AttrValue>>;
  /** `SET a = if_not_exists(a, :v)` */
  readonly setIfNotExists?: Readonly<Record<string, AttrValue>>;
  /** `ADD a :n` (a missing attribute counts as 0) */
  readonly add?: Readonly<Record<string, number>>;
  /** `REMOVE a` */
  readonly remove?: readonly string[];
}

/** One write: a whole-item put, or an update (which creates the item when it is missing). */
export type WriteOp =
  | { readonly kind: 'put'; readonly item: Item; readonly condition?: Condition }
  | { readonly kind: 'update'; readonly key: ItemKey; readonly update: UpdateActions; readonly condition?: Condition };

/** Options of a single write. */
export interface WriteOptions {
  /** `ReturnValues`: `ALL_NEW` for updates only. @default 'NONE' */
  readonly returnValues?: 'NONE' | 'ALL_OLD' | 'ALL_NEW';
  /** `ReturnValuesOnConditionCheckFailure: ALL_OLD`: a failed condition hands back the item as it is. @default false */
  readonly returnOldOnConditionFailure?: boolean;
}

/** The result of a single write: done (with the asked-for attributes), or its condition failed (with the old item when asked for and present). */
export type WriteOutcome = { readonly ok: true; readonly attributes: Item | undefined } | { readonly ok: false; readonly old: Item | undefined };

/**
 * The result of a transaction: done, or cancelled with one reason code per operation, in order
 * (`None`, `ConditionalCheckFailed`, `TransactionConflict`, `ValidationError`, …).
 */
export type TransactOutcome = { readonly ok: true } | { readonly ok: false; readonly reasons: readonly string[] };

/**
 * What the consumers need from the results table. Reads are strongly consistent. A failed
 * condition is an outcome, not an error; every other failure (throttling after the SDK's
 * retries, validation, network) rejects.
 */
export interface ResultsStore {
  /** The item at `key`, or undefined. Rejects on any service error. */
  get(key: ItemKey): Promise<Item | undefined>;
  /** The items that exist among `keys` (no duplicates allowed), by {@link keyId}. Retries unprocessed keys; rejects when some stay unprocessed. */
  batchGet(keys: readonly ItemKey[]): Promise<Map<string, Item>>;
  /** Every item of partition `pk`, in sort-key order. Rejects on any service error. */
  query(pk: string): Promise<Item[]>;
  /** One conditional put or update. Resolves `ok: false` when the condition fails; rejects on anything else. */
  write(op: WriteOp, options?: WriteOptions): Promise<WriteOutcome>;
  /** All of `ops` or none (at most 100, one per item, 4 MB in all). Resolves `ok: false` when DynamoDB cancels it; rejects on anything else. */
  transactWrite(ops: readonly WriteOp[]): Promise<TransactOutcome>;
}

/** `pk \0 sk`: a map key for an item key. Never fails. */
export const keyId = (key: ItemKey): string => `${key.pk}\u0000${key.sk}`;

/** The key of an item (its `pk` and `sk` strings). Throws a ValidationException-like error when they are missing. */
export function keyOf(item: Item): ItemKey {
  const { pk, sk } = item;
  if (typeof pk !== 'string' || typeof sk !== 'string' || pk === '' || sk === '') {
    throw validation('One or more parameter values were invalid: the item has no string pk and sk');
  }
  return { pk, sk };
}

/** The key an operation writes. Throws for a put without a key. */
export const opKey = (op: WriteOp): ItemKey => (op.kind === 'put' ? keyOf(op.item) : op.key);

/** An error named like the service's `ValidationException`. */
function validation(message: string): Error {
  const error = new Error(message);
  error.name = 'ValidationException';
  return error;
}

const KEY_ATTRIBUTES = new Set(['pk', 'sk']);

/** Checks an update the way DynamoDB does before running it; throws ValidationException. */
function checkUpdate(update: UpdateActions): void {
  const seen = new Set<string>();
  const names = [
    ...Object.keys(update.set ?? {}),
    ...Object.keys(update.setIfNotExists ?? {}),
    ...Object.keys(update.add ?? {}),
    ...(update.remove ?? []),
  ];
  if (names.length === 0) throw validation('Invalid UpdateExpression: the update has no action');
  for (const name of names) {
    if (KEY_ATTRIBUTES.has(name)) throw validation(`One or more parameter values were invalid: Cannot update attribute ${name}. This attribute is part of the key`);
    if (seen.has(name)) throw validation(`Invalid UpdateExpression: Two document paths overlap with each other: [${name}]`);
    seen.add(name);
  }
}

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
  return [sets.length > 0 ? `SET ${sets.join(', ')}` : '', adds.length > 0 ? `ADD ${adds.join(', ')}` : '', removes.length > 0 ? `REMOVE ${removes.join(', ')}` : '']
    .filter((clause) => clause !== '')
    .join(' ');
}

// ------------------------------------------------------------------ DynamoDB

/** A plain object (not an array, not bytes). */
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);

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
const isWire = (value: unknown): boolean => isRecord(value) && Object.keys(value).length === 1 && WIRE_TYPES.has(Object.keys(value)[0] ?? '');

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

/** BatchGetItem takes at most this many keys. */
const BATCH_GET_LIMIT = 100;

/**
 * The {@link ResultsStore} on a DynamoDB table through the document client (whose own retries
 * handle throttling). Reads are strongly consistent.
 */
export class DynamoResultsStore implements ResultsStore {
  private readonly batchGetAttempts: number;
  private readonly sleep: (ms: number) => Promise<void>;

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
    const out = await this.client.send(new GetCommand({ TableName: this.tableName, Key: { pk: key.pk, sk: key.sk }, ConsistentRead: true }));
    return out.Item as Item | undefined;
  }

  /** BatchGetItem (consistent) in pages of 100, retrying unprocessed keys with backoff. Rejects when keys stay unprocessed. */
  async batchGet(keys: readonly ItemKey[]): Promise<Map<string, Item>> {
    const found = new Map<string, Item>();
    for (let start = 0; start < keys.length; start += BATCH_GET_LIMIT) {
      let pending: Record<string, unknown>[] = keys.slice(start, start + BATCH_GET_LIMIT).map((k) => ({ pk: k.pk, sk: k.sk }));
      for (let attempt = 0; pending.length > 0; attempt++) {
        if (attempt >= this.batchGetAttempts) throw new Error(`BatchGetItem left ${pending.length} keys unprocessed after ${attempt} attempts`);
        if (attempt > 0) await this.sleep(Math.min(1000, 25 * 2 ** attempt));
        const out = await this.client.send(new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: pending, ConsistentRead: true } } }));
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
          ...(startKey !== undefined ? { ExclusiveStartKey: startKey } : {}),
        }),
      );
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
      ...(condition !== undefined ? { ConditionExpression: condition } : {}),
      ...(options.returnOldOnConditionFailure === true ? { ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const } : {}),
    };
    try {
      if (op.kind === 'put') {
        if (options.returnValues === 'ALL_NEW') throw validation('ReturnValues ALL_NEW is not valid for PutItem');
        keyOf(op.item);
        const out = await this.client.send(
          new PutCommand({ ...common, Item: op.item as Record<string, unknown>, ReturnValues: options.returnValues ?? 'NONE', ...parts.attributes() }),
        );
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
      return { ok: true, attributes: out.Attributes as Item | undefined };
    } catch (error) {
      if (errorName(error) !== 'ConditionalCheckFailedException') throw error;
      return { ok: false, old: itemOfError((error as { Item?: unknown }).Item) };
    }
  }

  /** TransactWriteItems; a cancellation resolves `ok: false` with its reason codes. Rejects on anything else. */
  async transactWrite(ops: readonly WriteOp[]): Promise<TransactOutcome> {
    const items: NonNullable<TransactWriteCommandInput['TransactItems']> = ops.map((op) => {
      const parts = new ExpressionParts();
      const condition = op.condition === undefined ? undefined : renderCondition(op.condition, parts);
      const base = { TableName: this.tableName, ...(condition !== undefined ? { ConditionExpression: condition } : {}) };
      if (op.kind === 'put') {
        keyOf(op.item);
        return { Put: { ...base, Item: op.item as Record<string, unknown>, ...parts.attributes() } };
      }
      const expression = renderUpdate(op.update, parts);
      return { Update: { ...base, Key: { pk: op.key.pk, sk: op.key.sk }, UpdateExpression: expression, ...parts.attributes() } };
    });
    try {
      await this.client.send(new TransactWriteCommand({ TransactItems: items }));
      return { ok: true };
    } catch (error) {
      if (errorName(error) !== 'TransactionCanceledException') throw error;
      const reasons = (error as { CancellationReasons?: { Code?: string }[] }).CancellationReasons ?? [];
      return { ok: false, reasons: reasons.map((reason) => reason.Code ?? 'None') };
    }
  }
}

// ------------------------------------------------------------------ in memory

/** DynamoDB's item size limit. */
export const MAX_ITEM_BYTES = 400 * 1024;
/** DynamoDB's limit of items in one transaction. */
export const MAX_TRANSACT_ITEMS = 100;
/** DynamoDB's limit of the total size of one transaction. */
export const MAX_TRANSACT_BYTES = 4 * 1024 * 1024;

type WireType = 'S' | 'N' | 'B' | 'BOOL' | 'NULL' | 'L' | 'M';

/** The DynamoDB type of a value. Throws ValidationException for a value DynamoDB cannot hold. */
function typeOf(v: AttrValue): WireType {
  if (typeof v === 'string') return 'S';
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw validation('One or more parameter values were invalid: a number must be finite');
    return 'N';
  }
  if (typeof v === 'boolean') return 'BOOL';
  if (v === null) return 'NULL';
  if (v instanceof Uint8Array) return 'B';
  if (Array.isArray(v)) return 'L';
  return 'M';
}

/** Bytes DynamoDB bills for a number: about one per two significant digits, plus one. */
function numberBytes(n: number): number {
  const digits = Math.abs(n).toExponential().split('e')[0]?.replace('.', '').length ?? 1;
  return Math.ceil(digits / 2) + 1;
}

/** The size of a value as DynamoDB counts it (names and values in UTF-8, 3 bytes per list/map, 1 per element). */
function valueBytes(v: AttrValue): number {
  switch (typeOf(v)) {
    case 'S':
      return Buffer.byteLength(v as string);
    case 'N':
      return numberBytes(v as number);
    case 'B':
      return (v as Uint8Array).length;
    case 'BOOL':
    case 'NULL':
      return 1;
    case 'L':
      return 3 + (v as readonly AttrValue[]).reduce<number>((sum, e) => sum + 1 + valueBytes(e), 0);
    case 'M':
      return 3 + Object.entries(v as Record<string, AttrValue>).reduce((sum, [k, e]) => sum + 1 + Buffer.byteLength(k) + valueBytes(e), 0);
  }
}

/** The size of an item as DynamoDB counts it (against its 400 KB limit). Never fails for a valid item. */
export const itemBytes = (item: Item): number => Object.entries(item).reduce((sum, [name, v]) => sum + Buffer.byteLength(name) + valueBytes(v), 0);

/** Deep equality of two values of the same DynamoDB type. */
function sameValue(a: AttrValue, b: AttrValue): boolean {
  const ta = typeOf(a);
  if (ta !== typeOf(b)) return false;
  switch (ta) {
    case 'B':
      return Buffer.compare(Buffer.from(a as Uint8Array), Buffer.from(b as Uint8Array)) === 0;
    case 'L': {
      const x = a as readonly AttrValue[];
      const y = b as readonly AttrValue[];
      return x.length === y.length && x.every((e, i) => sameValue(e, y[i] as AttrValue));
    }
    case 'M': {
      const x = a as Record<string, AttrValue>;
      const y = b as Record<string, AttrValue>;
      const keys = Object.keys(x);
      return keys.length === Object.keys(y).length && keys.every((k) => k in y && sameValue(x[k] as AttrValue, y[k] as AttrValue));
    }
    default:
      return a === b;
  }
}

/** Order of two values of type S (UTF-8 bytes), N or B (bytes), as DynamoDB compares them. */
function order(a: AttrValue, b: AttrValue, type: WireType): number {
  if (type === 'N') return (a as number) - (b as number);
  const x = type === 'S' ? Buffer.from(a as string, 'utf8') : Buffer.from(a as Uint8Array);
  const y = type === 'S' ? Buffer.from(b as string, 'utf8') : Buffer.from(b as Uint8Array);
  return Buffer.compare(x, y);
}

/** Evaluates a condition on an item (undefined: no item) as DynamoDB does. Throws ValidationException for an ordering on a type without order. */
export function evaluateCondition(condition: Condition, item: Item | undefined): boolean {
  switch (condition.kind) {
    case 'notExists':
      return item === undefined || !(condition.attr in item);
    case 'exists':
      return item !== undefined && condition.attr in item;
    case 'compare': {
      const type = typeOf(condition.value);
      if (condition.op !== '=' && type !== 'S' && type !== 'N' && type !== 'B') {
        throw validation(`Invalid ConditionExpression: Incorrect operand type for operator or function; operator: ${condition.op}, operand type: ${type}`);
      }
      const stored = item?.[condition.attr];
      if (stored === undefined || typeOf(stored) !== type) return false;
      if (condition.op === '=') return sameValue(stored, condition.value);
      const c = order(stored, condition.value, type);
      return condition.op === '<' ? c < 0 : condition.op === '<=' ? c <= 0 : condition.op === '>' ? c > 0 : c >= 0;
    }
    case 'and':
    case 'or': {
      if (condition.of.length === 0) throw validation(`Invalid ConditionExpression: empty ${condition.kind}`);
      // Evaluate every operand, so a malformed one fails whatever the others say (DynamoDB validates first).
      const results = condition.of.map((c) => evaluateCondition(c, item));
      return condition.kind === 'and' ? results.every(Boolean) : results.some(Boolean);
    }
  }
}

/** `a + b` in decimal, as DynamoDB's ADD computes it (0.1 + 0.2 = 0.3); falls back to float addition for exponent forms. */
export function decimalAdd(a: number, b: number): number {
  const x = String(a);
  const y = String(b);
  if (x.includes('e') || y.includes('e')) return a + b;
  const scale = Math.max(x.split('.')[1]?.length ?? 0, y.split('.')[1]?.length ?? 0);
  const toScaled = (s: string): bigint => {
    const negative = s.startsWith('-');
    const [whole = '0', fraction = ''] = (negative ? s.slice(1) : s).split('.');
    const n = BigInt(whole + fraction.padEnd(scale, '0'));
    return negative ? -n : n;
  };
  const sum = toScaled(x) + toScaled(y);
  const negative = sum < 0n;
  const digits = (negative ? -sum : sum).toString().padStart(scale + 1, '0');
  const text = scale === 0 ? digits : `${digits.slice(0, digits.length - scale)}.${digits.slice(digits.length - scale)}`;
  return Number(`${negative ? '-' : ''}${text}`);
}

/** A deep copy with bytes as plain Uint8Array (what the document client hands back). */
const copy = <T>(value: T): T => structuredClone(value);

/** The item after an update of `old` (undefined: none yet) at `key`. Throws ValidationException as DynamoDB would. */
export function applyUpdate(old: Item | undefined, key: ItemKey, update: UpdateActions): Item {
  checkUpdate(update);
  const next: Record<string, AttrValue> = { ...(old === undefined ? {} : copy(old)), pk: key.pk, sk: key.sk };
  for (const [attr, v] of Object.entries(update.set ?? {})) {
    typeOf(v);
    next[attr] = copy(v);
  }
  for (const [attr, v] of Object.entries(update.setIfNotExists ?? {})) {
    typeOf(v);
    if (old === undefined || !(attr in old)) next[attr] = copy(v);
  }
  for (const [attr, n] of Object.entries(update.add ?? {})) {
    if (typeOf(n) !== 'N') throw validation('Invalid UpdateExpression: Incorrect operand type for operator or function; operator: ADD');
    const current = next[attr];
    if (current === undefined) next[attr] = n;
    else if (typeof current === 'number') next[attr] = decimalAdd(current, n);
    else throw validation('An operand in the update expression has an incorrect data type');
  }
  for (const attr of update.remove ?? []) delete next[attr];
  return next;
}

/** The item a put writes, checked: it has its key, every value is storable, it fits 400 KB. Throws ValidationException. */
function checkedItem(item: Item): Item {
  keyOf(item);
  if (itemBytes(item) > MAX_ITEM_BYTES) throw validation('Item size has exceeded the maximum allowed size');
  return copy(item);
}

/** Counters of what a {@link MemoryResultsStore} was asked to do (a failed conditional write still costs a write, as on DynamoDB). */
export interface StoreStats {
  gets: number;
  batchGets: number;
  keysRead: number;
  queries: number;
  /** Single PutItem calls. */
  puts: number;
  /** Single UpdateItem calls. */
  updates: number;
  /** Single writes whose condition failed. */
  conditionFailures: number;
  /** TransactWriteItems calls. */
  transactions: number;
  /** Items in those calls (each costs two writes on DynamoDB). */
  transactionalItems: number;
  /** Transactions DynamoDB would have cancelled. */
  cancelledTransactions: number;
}

const noStats = (): StoreStats => ({
  gets: 0,
  batchGets: 0,
  keysRead: 0,
  queries: 0,
  puts: 0,
  updates: 0,
  conditionFailures: 0,
  transactions: 0,
  transactionalItems: 0,
  cancelledTransactions: 0,
});

/**
 * A {@link ResultsStore} in memory with DynamoDB's semantics: conditions (missing attribute or
 * other type → false), SET / `if_not_exists` / ADD (decimal) / REMOVE, ReturnValues and
 * ReturnValuesOnConditionCheckFailure, all-or-nothing transactions with per-item reasons, the
 * item, transaction and batch limits. It counts requests in {@link MemoryResultsStore.stats}.
 */
export class MemoryResultsStore implements ResultsStore {
  private readonly items = new Map<string, Item>();
  private counters: StoreStats = noStats();

  /** A copy of the counters so far. */
  get stats(): StoreStats {
    return { ...this.counters };
  }

  /** Items written by single writes and transactions: what a batch costs in write requests per item. */
  get itemsWritten(): number {
    return this.counters.puts + this.counters.updates + this.counters.transactionalItems;
  }

  /** Zeroes the counters. */
  resetStats(): void {
    this.counters = noStats();
  }

  /** Every item, sorted by pk then sk (copies). */
  dump(): Item[] {
    return [...this.items.values()].map(copy).sort((a, b) => order(String(a.pk), String(b.pk), 'S') || order(String(a.sk), String(b.sk), 'S'));
  }

  /** GetItem. */
  async get(key: ItemKey): Promise<Item | undefined> {
    this.counters.gets += 1;
    const item = this.items.get(keyId(key));
    return item === undefined ? undefined : copy(item);
  }

  /** BatchGetItem; duplicate keys are refused as DynamoDB refuses them. */
  async batchGet(keys: readonly ItemKey[]): Promise<Map<string, Item>> {
    const ids = keys.map(keyId);
    if (new Set(ids).size !== ids.length) throw validation('Provided list of item keys contains duplicates');
    this.counters.batchGets += Math.ceil(keys.length / BATCH_GET_LIMIT);
    this.counters.keysRead += keys.length;
    const found = new Map<string, Item>();
    for (const id of ids) {
      const item = this.items.get(id);
      if (item !== undefined) found.set(id, copy(item));
    }
    return found;
  }

  /** Query of one partition, in sort-key (UTF-8) order. */
  async query(pk: string): Promise<Item[]> {
    this.counters.queries += 1;
    return [...this.items.values()]
      .filter((item) => item.pk === pk)
      .map(copy)
      .sort((a, b) => order(String(a.sk), String(b.sk), 'S'));
  }

  /** PutItem / UpdateItem with DynamoDB's semantics: the request is validated, then the condition checked, then the write applied. */
  async write(op: WriteOp, options: WriteOptions = {}): Promise<WriteOutcome> {
    if (op.kind === 'put') this.counters.puts += 1;
    else this.counters.updates += 1;
    if (op.kind === 'put' && options.returnValues === 'ALL_NEW') throw validation('ReturnValues ALL_NEW is not valid for PutItem');
    const id = this.validated(op);
    const old = this.items.get(id);
    if (op.condition !== undefined && !evaluateCondition(op.condition, old)) {
      this.counters.conditionFailures += 1;
      return { ok: false, old: options.returnOldOnConditionFailure === true && old !== undefined ? copy(old) : undefined };
    }
    const next = this.nextItem(op, old);
    this.items.set(id, next);
    const returned = options.returnValues === 'ALL_NEW' ? next : options.returnValues === 'ALL_OLD' ? old : undefined;
    return { ok: true, attributes: returned === undefined ? undefined : copy(returned) };
  }

  /** TransactWriteItems with DynamoDB's semantics: validated first, every condition checked, then all applied or none. */
  async transactWrite(ops: readonly WriteOp[]): Promise<TransactOutcome> {
    this.counters.transactions += 1;
    this.counters.transactionalItems += ops.length;
    if (ops.length === 0 || ops.length > MAX_TRANSACT_ITEMS) {
      throw validation(`Member must have length less than or equal to ${MAX_TRANSACT_ITEMS} and at least 1: ${ops.length} items`);
    }
    const ids = ops.map((op) => this.validated(op));
    if (new Set(ids).size !== ids.length) throw validation('Transaction request cannot include multiple operations on one item');
    const nexts: Item[] = [];
    const reasons: string[] = [];
    let bytes = 0;
    for (let i = 0; i < ops.length; i++) {
      const op = ops[i] as WriteOp;
      const old = this.items.get(ids[i] as string);
      if (op.condition !== undefined && !evaluateCondition(op.condition, old)) {
        reasons.push('ConditionalCheckFailed');
        nexts.push(old ?? {});
        continue;
      }
      // An update that cannot apply to the stored item (ADD to a string, too large) rejects the whole request, as DynamoDB Local does.
      const next = this.nextItem(op, old);
      bytes += itemBytes(next);
      nexts.push(next);
      reasons.push('None');
    }
    if (bytes > MAX_TRANSACT_BYTES) throw validation('Transaction size has exceeded the maximum allowed size of 4 MB');
    if (reasons.some((reason) => reason !== 'None')) {
      this.counters.cancelledTransactions += 1;
      return { ok: false, reasons };
    }
    nexts.forEach((next, i) => this.items.set(ids[i] as string, next));
    return { ok: true };
  }

  /** Checks what DynamoDB checks before reading the item (key, values, update clauses, size of a put); returns the item's {@link keyId}. Throws ValidationException. */
  private validated(op: WriteOp): string {
    if (op.kind === 'put') {
      checkedItem(op.item);
    } else {
      checkUpdate(op.update);
      for (const v of [...Object.values(op.update.set ?? {}), ...Object.values(op.update.setIfNotExists ?? {})]) typeOf(v);
    }
    if (op.condition !== undefined) evaluateCondition(op.condition, undefined);
    return keyId(opKey(op));
  }

  /** The item `op` would leave, checked against the limits. Throws ValidationException. */
  private nextItem(op: WriteOp, old: Item | undefined): Item {
    if (op.kind === 'put') return checkedItem(op.item);
    const next = applyUpdate(old, op.key, op.update);
    if (itemBytes(next) > MAX_ITEM_BYTES) throw validation('Item size to update has exceeded the maximum allowed size');
    return next;
  }
}
