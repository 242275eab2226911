import { SESSION_PREFIX } from '../shared/results-table';

/**
 * The data-access model of the stream consumers: the {@link ResultsStore} they write through,
 * and a small, typed language of DynamoDB writes (conditions, SET / `if_not_exists` / ADD /
 * REMOVE) with DynamoDB's checks and item sizes. `dynamo-store.ts` runs it on the
 * real table; the tests run it on an in-memory store held to the same contract
 * (`test/unit/consumers/memory-store.ts`). Key names live in `lambdas/shared/results-table.ts`;
 * this module only knows `pk` and `sk`.
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
export type WriteOutcome =
  { readonly ok: true; readonly attributes: Item | undefined } | { readonly ok: false; readonly old: Item | undefined };

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
  /** Capacity units consumed so far, as the table reports them (a store that cannot tell has none). */
  consumed?(): ConsumedCapacity;
}

/**
 * Capacity units consumed, as DynamoDB bills them (item size in KB rounded up per write; reads
 * per 4 KB): writes by the analysis whose item it was
 * ({@link analysisOfKey}), reads in all.
 */
export interface ConsumedCapacity {
  readonly write: Readonly<Record<string, number>>;
  readonly read: number;
}

/**
 * The analysis an item belongs to, for capacity accounting: `alerts`, `metrics` (counters and the
 * metrics cursor), `edges` (the Sankey edge counters of both kinds of page view), `paths` (the
 * session items of step-less page views), `windows`, `quarantine`. Never fails.
 */
export function analysisOfKey(key: ItemKey): string {
  const { pk, sk } = key;
  if (pk.startsWith('M#') || pk.startsWith('CURSOR#metrics')) return 'metrics';
  if (pk.startsWith('PATHS#')) return sk.startsWith('E#') ? 'edges' : 'paths';
  if (pk.startsWith(SESSION_PREFIX)) return 'paths';
  if (pk.startsWith('ALERT#')) return 'alerts';
  if (pk.startsWith('WINDOW#')) return 'windows';
  if (pk.startsWith('QUARANTINE#')) return 'quarantine';
  return 'other';
}

/** The capacity consumed between two readings of {@link ResultsStore.consumed} (analyses with none left out). Never fails. */
export function capacitySince(before: ConsumedCapacity | undefined, after: ConsumedCapacity | undefined): ConsumedCapacity | undefined {
  if (after === undefined) return undefined;
  const write: Record<string, number> = {};
  for (const [analysis, units] of Object.entries(after.write)) {
    const spent = units - (before?.write[analysis] ?? 0);
    if (spent > 0) write[analysis] = Number(spent.toFixed(1));
  }
  return { write, read: Number((after.read - (before?.read ?? 0)).toFixed(1)) };
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
export function validation(message: string): Error {
  const error = new Error(message);
  error.name = 'ValidationException';
  return error;
}

const KEY_ATTRIBUTES = new Set(['pk', 'sk']);

/** Checks an update the way DynamoDB does before running it; throws ValidationException. */
export function checkUpdate(update: UpdateActions): void {
  const seen = new Set<string>();
  for (const clause of [update.set, update.setIfNotExists, update.add]) {
    if (clause !== undefined) for (const name of Object.keys(clause)) checkUpdatedName(name, seen);
  }
  for (const name of update.remove ?? []) checkUpdatedName(name, seen);
  if (seen.size === 0) throw validation('Invalid UpdateExpression: the update has no action');
}

/** Checks one attribute an update names (not a key, not named twice) and adds it to `seen`; throws ValidationException. */
function checkUpdatedName(name: string, seen: Set<string>): void {
  if (KEY_ATTRIBUTES.has(name))
    throw validation(`One or more parameter values were invalid: Cannot update attribute ${name}. This attribute is part of the key`);
  if (seen.has(name)) throw validation(`Invalid UpdateExpression: Two document paths overlap with each other: [${name}]`);
  seen.add(name);
}

// ------------------------------------------------------------------ item sizes and limits

/** BatchGetItem takes at most this many keys. */
export const BATCH_GET_LIMIT = 100;
/** DynamoDB's item size limit. */
export const MAX_ITEM_BYTES = 400 * 1024;

/** The DynamoDB types a value of this model can have. */
export type WireType = 'S' | 'N' | 'B' | 'BOOL' | 'NULL' | 'L' | 'M';

/** The DynamoDB type of a value. Throws ValidationException for a value DynamoDB cannot hold. */
export function attributeType(v: AttrValue): WireType {
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
  let digits: number;
  if (Number.isSafeInteger(n)) {
    // The common case (counters, epoch times): count the significant digits without formatting.
    let m = Math.abs(n);
    while (m !== 0 && m % 10 === 0) m /= 10;
    digits = 1;
    while (m >= 10) {
      m = Math.floor(m / 10);
      digits += 1;
    }
  } else {
    digits = Math.abs(n).toExponential().split('e')[0]?.replace('.', '').length ?? 1;
  }
  return Math.ceil(digits / 2) + 1;
}

/** UTF-8 bytes of a string (a plain loop for short ASCII names; Buffer.byteLength for the rest). */
function utf8Bytes(s: string): number {
  const n = s.length;
  if (n > 64) return Buffer.byteLength(s);
  for (let i = 0; i < n; i++) if (s.charCodeAt(i) > 0x7f) return Buffer.byteLength(s);
  return n;
}

/** The size of a value as DynamoDB counts it (names and values in UTF-8, 3 bytes per list/map, 1 per element). */
function valueBytes(v: AttrValue): number {
  switch (attributeType(v)) {
    case 'S':
      return utf8Bytes(v as string);
    case 'N':
      return numberBytes(v as number);
    case 'B':
      return (v as Uint8Array).length;
    case 'BOOL':
    case 'NULL':
      return 1;
    case 'L': {
      let sum = 3;
      for (const e of v as readonly AttrValue[]) sum += 1 + valueBytes(e);
      return sum;
    }
    case 'M': {
      const map = v as Record<string, AttrValue>;
      let sum = 3;
      for (const k in map) sum += 1 + utf8Bytes(k) + valueBytes(map[k] as AttrValue);
      return sum;
    }
  }
}

/** The size of an item as DynamoDB counts it (against its 400 KB limit). Never fails for a valid item. */
export function itemBytes(item: Item): number {
  let sum = 0;
  for (const name in item) sum += utf8Bytes(name) + valueBytes(item[name] as AttrValue);
  return sum;
}
