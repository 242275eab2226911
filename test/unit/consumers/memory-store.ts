import {
  attributeType as typeOf,
  BATCH_GET_LIMIT,
  checkUpdate,
  itemBytes,
  keyId,
  keyOf,
  MAX_ITEM_BYTES,
  opKey,
  validation,
  type AttrValue,
  type Condition,
  type Item,
  type ItemKey,
  type ResultsStore,
  type UpdateActions,
  type WireType,
  type WriteOp,
  type WriteOptions,
  type WriteOutcome,
} from '../../../lambdas/consumers/store';

/**
 * A test double of the results table: {@link MemoryResultsStore} runs the consumers' write
 * model in memory with DynamoDB's semantics and counts what a batch writes. The contract test
 * (`dynamo-store.test.ts`) runs the same scenarios against it and DynamoDB Local.
 */

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

/**
 * Order of two strings by their UTF-8 bytes. Below U+D800, UTF-16 code units order as UTF-8 bytes
 * do, so only a first difference at a surrogate or above needs the bytes.
 */
function orderText(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800 || y >= 0xd800) return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
    return x - y;
  }
  return a.length - b.length;
}

/** Order of two values of type S (UTF-8 bytes), N or B (bytes), as DynamoDB compares them. */
function order(a: AttrValue, b: AttrValue, type: WireType): number {
  if (type === 'N') return (a as number) - (b as number);
  if (type === 'S') return orderText(a as string, b as string);
  return Buffer.compare(Buffer.from(a as Uint8Array), Buffer.from(b as Uint8Array));
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
        throw validation(
          `Invalid ConditionExpression: Incorrect operand type for operator or function; operator: ${condition.op}, operand type: ${type}`,
        );
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
  // Integers whose sum is exact in a double (every counter) need no decimal arithmetic.
  if (Number.isSafeInteger(a) && Number.isSafeInteger(b) && Number.isSafeInteger(a + b)) return a + b;
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

/** A deep copy of an attribute value, with bytes as plain Uint8Array (what the document client hands back). */
function copyValue(value: AttrValue): AttrValue {
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Uint8Array) return new Uint8Array(value);
  if (Array.isArray(value)) return (value as readonly AttrValue[]).map(copyValue);
  const out: Record<string, AttrValue> = {};
  for (const [name, v] of Object.entries(value)) {
    // An attribute named `__proto__` stays an own attribute (an assignment would set the prototype).
    if (name === '__proto__')
      Object.defineProperty(out, name, { value: copyValue(v), enumerable: true, writable: true, configurable: true });
    else out[name] = copyValue(v);
  }
  return out;
}

/** A deep copy (as `structuredClone` makes it, for the values an item holds; faster on small items). */
const copy = <T extends AttrValue>(value: T): T => copyValue(value) as T;

/** The item after an update of `old` (undefined: none yet) at `key`. Throws ValidationException as DynamoDB would. */
export function applyUpdate(old: Item | undefined, key: ItemKey, update: UpdateActions): Item {
  checkUpdate(update);
  return applyChecked(old, key, update);
}

/** {@link applyUpdate} of an update already through `checkUpdate`. */
function applyChecked(old: Item | undefined, key: ItemKey, update: UpdateActions): Item {
  // Stored values are never changed in place (an update replaces attributes), so `next` may share them with `old`.
  const next: Record<string, AttrValue> = { ...old, pk: key.pk, sk: key.sk };
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
}

const noStats = (): StoreStats => ({
  gets: 0,
  batchGets: 0,
  keysRead: 0,
  queries: 0,
  puts: 0,
  updates: 0,
  conditionFailures: 0,
});

/**
 * A {@link ResultsStore} in memory with DynamoDB's semantics: conditions (missing attribute or
 * other type → false), SET / `if_not_exists` / ADD (decimal) / REMOVE, ReturnValues and
 * ReturnValuesOnConditionCheckFailure, the item and batch limits. It counts requests in {@link MemoryResultsStore.stats}.
 */
export class MemoryResultsStore implements ResultsStore {
  private readonly items = new Map<string, Item>();
  private counters: StoreStats = noStats();

  /** A copy of the counters so far. */
  get stats(): StoreStats {
    return { ...this.counters };
  }

  /** Items written (puts and updates): what a batch costs in write requests per item. */
  get itemsWritten(): number {
    return this.counters.puts + this.counters.updates;
  }

  /** Zeroes the counters. */
  resetStats(): void {
    this.counters = noStats();
  }

  /** Every item, sorted by pk then sk (copies). */
  dump(): Item[] {
    return [...this.items.values()]
      .map(copy)
      .sort((a, b) => order(String(a.pk), String(b.pk), 'S') || order(String(a.sk), String(b.sk), 'S'));
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

  /** Checks what DynamoDB checks before reading the item (key, values, update clauses, size of a put); returns the item's {@link keyId}. Throws ValidationException. */
  private validated(op: WriteOp): string {
    if (op.kind === 'put') {
      checkedItem(op.item);
    } else {
      checkUpdate(op.update);
      for (const clause of [op.update.set, op.update.setIfNotExists]) for (const attr in clause) typeOf(clause[attr] as AttrValue);
    }
    if (op.condition !== undefined) evaluateCondition(op.condition, undefined);
    return keyId(opKey(op));
  }

  /** The item `op` would leave, checked against the limits. Throws ValidationException. */
  private nextItem(op: WriteOp, old: Item | undefined): Item {
    if (op.kind === 'put') return checkedItem(op.item);
    // `validated` checked the update before the condition was read.
    const next = applyChecked(old, op.key, op.update);
    if (itemBytes(next) > MAX_ITEM_BYTES) throw validation('Item size to update has exceeded the maximum allowed size');
    return next;
  }
}
