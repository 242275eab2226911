import {
  itemBytes,
  opKey,
  type Item,
  type ItemKey,
  type ResultsStore,
  type WriteOp,
  type WriteOptions,
  type WriteOutcome,
} from '../../lambdas/consumers/store';
import { MemoryResultsStore } from '../unit/consumers/memory-store';

/** What a {@link MeteredStore} charged, in DynamoDB's on-demand units. */
export interface Metering {
  /** Write request units: 1 per started KB of the larger of the item before and after; a global-index write adds as much. */
  wru: number;
  /** Read request units (strongly consistent): 1 per started 4 KB of each item read (GetItem, BatchGetItem), of the whole page (Query). */
  rru: number;
  /** Requests made to the table (each a round trip on AWS). */
  calls: number;
}

const KB = 1024;
const units = (bytes: number, per: number): number => Math.max(1, Math.ceil(bytes / per));
/** Items of the results table that also go to its `byTime` index (projection ALL). */
const indexed = (item: Item | undefined): boolean => item !== undefined && typeof item.gpk === 'string' && typeof item.gsk === 'string';

/**
 * A {@link ResultsStore} over a {@link MemoryResultsStore} that meters what each request costs on
 * DynamoDB on demand, by the sizes DynamoDB counts (`itemBytes`): writes by the larger of the item
 * before and after (a failed condition still costs its write), plus the write to the `byTime` global index for items that carry its keys; reads per 4 KB.
 */
export class MeteredStore implements ResultsStore {
  readonly inner = new MemoryResultsStore();
  metering: Metering = { wru: 0, rru: 0, calls: 0 };

  /** Zeroes the meter (the items stay). */
  reset(): void {
    this.metering = { wru: 0, rru: 0, calls: 0 };
  }

  /** The items stored, with their total size in bytes as DynamoDB counts it. */
  stored(): { items: number; bytes: number } {
    const items = this.inner.dump();
    return { items: items.length, bytes: items.reduce((sum, item) => sum + itemBytes(item), 0) };
  }

  async get(key: ItemKey): Promise<Item | undefined> {
    this.metering.calls += 1;
    const item = await this.inner.get(key);
    this.metering.rru += units(item === undefined ? 0 : itemBytes(item), 4 * KB);
    return item;
  }

  async batchGet(keys: readonly ItemKey[]): Promise<Map<string, Item>> {
    this.metering.calls += Math.max(1, Math.ceil(keys.length / 100));
    const found = await this.inner.batchGet(keys);
    this.metering.rru += keys.length - found.size;
    for (const item of found.values()) this.metering.rru += units(itemBytes(item), 4 * KB);
    return found;
  }

  async query(pk: string): Promise<Item[]> {
    this.metering.calls += 1;
    const items = await this.inner.query(pk);
    this.metering.rru += units(
      items.reduce((sum, item) => sum + itemBytes(item), 0),
      4 * KB,
    );
    return items;
  }

  async write(op: WriteOp, options?: WriteOptions): Promise<WriteOutcome> {
    this.metering.calls += 1;
    const before = await this.inner.get(opKey(op));
    const outcome = await this.inner.write(op, options);
    const after = outcome.ok ? await this.inner.get(opKey(op)) : before;
    this.charge(opKey(op), before, after);
    return outcome;
  }

  /** Adds what one write of the item at `_key` costs to the meter and returns it (a subclass breaks it down by key). */
  protected charge(_key: ItemKey, before: Item | undefined, after: Item | undefined): number {
    const wru = this.writeUnits(before, after);
    this.metering.wru += wru;
    return wru;
  }

  private writeUnits(before: Item | undefined, after: Item | undefined): number {
    const size = Math.max(before === undefined ? 0 : itemBytes(before), after === undefined ? 0 : itemBytes(after));
    const table = units(size, KB);
    const index = indexed(after) || indexed(before) ? units(after === undefined ? 0 : itemBytes(after), KB) : 0;
    return table + index;
  }
}
