import { boundText, OTHER_LABEL } from '../shared/results-table';
import { DEFAULT_MAX_WINDOW_GROUPS, type FieldRef, type WindowRule } from './config';
import { compileFilter, compileLabelRef, type LabelAccessor, type Predicate } from './filters';
import { compareSeq, type DecodedRecord } from './records';

/**
 * Counts of one (rule, group) in the current window of one shard. Exact: `eventIds` holds each
 * counted event once and `count === eventIds.length`. Approximate (`approximate: true`, after the
 * state outgrew its budget): `eventIds` is empty and `count` counts records, so a duplicate
 * eventId arriving after the switch counts again.
 */
export interface WindowGroupState {
  readonly count: number;
  readonly eventIds: readonly string[];
  readonly approximate?: true;
}

/**
 * The state Lambda carries between the invokes of one tumbling window of one shard (≤ 1 MB).
 * `segment` is the smallest sequence number folded into it: it names this run of the window, so
 * a window that Lambda ended early and continued with fresh state yields a second, separate
 * partial instead of overwriting the first.
 */
export interface WindowState {
  readonly v: 1;
  readonly segment?: string;
  /** ruleId → group value → counts. */
  readonly rules: Readonly<Record<string, Readonly<Record<string, WindowGroupState>>>>;
}

/** What the final invoke of a window writes for one (rule, group) of its shard. */
export interface WindowPartial {
  readonly ruleId: string;
  readonly groupBy: FieldRef | undefined;
  readonly group: string;
  readonly windowStart: string;
  readonly windowEnd: string;
  readonly shardId: string;
  /** The state's `segment`: with `shardId`, the attribute that holds this partial (`shard_<shardId>_<segment>`). */
  readonly segment: string;
  readonly count: number;
  readonly approximate: boolean;
}

/** A fired window rule: exactly one per (rule, group, window), written with a conditional put. */
export interface WindowAlert {
  readonly kind: 'window';
  readonly ruleId: string;
  /** The group value (for the alerts scenario's rule, the action). */
  readonly action: string;
  readonly groupBy: FieldRef | undefined;
  readonly windowStart: string;
  readonly windowEnd: string;
  readonly count: number;
  readonly threshold: number;
  readonly createdAt: string;
  /** True when some shard's partial was counted without eventId dedup. */
  readonly approximate: boolean;
}

/** Options of {@link foldWindow}. */
export interface FoldOptions {
  /**
   * Size the state may reach (JSON bytes) before groups switch to count-only; default 900000,
   * under Lambda's 1 MB state limit (beyond which it ends the window early).
   */
  readonly maxStateBytes?: number;
}

/** Default budget of the window state: Lambda's limit is 1 MB (1048576 bytes); the margin covers JSON escapes the estimate ignores. */
export const DEFAULT_MAX_WINDOW_STATE_BYTES = 900_000;

/** A fresh window state (what the first invoke of a window starts from). Never fails. */
export const emptyWindowState = (): WindowState => ({ v: 1, rules: {} });

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Reads the `state` Lambda passes in: `{}`/undefined/null (a new window) give an empty state.
 * Throws TypeError when it is not a state this module wrote.
 */
export function readWindowState(raw: unknown): WindowState {
  if (raw === undefined || raw === null || (isObject(raw) && Object.keys(raw).length === 0)) return emptyWindowState();
  if (!isObject(raw) || raw.v !== 1 || !isObject(raw.rules) || (raw.segment !== undefined && typeof raw.segment !== 'string')) {
    throw new TypeError('window state: not a state written by foldWindow (v: 1)');
  }
  for (const groups of Object.values(raw.rules)) {
    if (!isObject(groups)) throw new TypeError('window state: rules must map rule ids to groups');
    for (const g of Object.values(groups)) {
      if (!isObject(g) || typeof g.count !== 'number' || !Array.isArray(g.eventIds) || !g.eventIds.every((id) => typeof id === 'string')) {
        throw new TypeError('window state: a group must be {count, eventIds}');
      }
    }
  }
  return raw as unknown as WindowState;
}

/** Size of the state as Lambda measures it: bytes of its JSON. Never fails. */
export const stateSizeBytes = (state: unknown): number => Buffer.byteLength(JSON.stringify(state));

/** A group being updated. */
interface Working {
  count: number;
  ids: string[];
  seen: Set<string> | undefined;
  approximate: boolean;
  idBytes: number;
}

/** JSON bytes of one id in an array: the id, two quotes, a comma (escapes are covered by the budget's margin). */
const idCost = (id: string): number => Buffer.byteLength(id) + 3;

interface CompiledRule {
  readonly id: string;
  readonly matches: Predicate;
  readonly group: LabelAccessor;
  readonly maxGroups: number;
}

/**
 * Bytes of a group value as counted and stored: a longer value keeps a readable prefix and a
 * digest. The group is part of the partials' and the alert's keys (partition key ≤ 2048 bytes)
 * and of the alerts index sort key (≤ 1024 bytes).
 */
export const MAX_GROUP_BYTES = 256;

const compiledRules = new WeakMap<WindowRule, CompiledRule>();

function compileRule(rule: WindowRule): CompiledRule {
  let compiled = compiledRules.get(rule);
  if (compiled === undefined) {
    const label = compileLabelRef(rule.groupBy);
    compiled = {
      id: rule.id,
      matches: compileFilter(rule.filter),
      group: (event) => {
        const value = label(event);
        return value === undefined ? undefined : boundText(value, MAX_GROUP_BYTES);
      },
      maxGroups: rule.maxGroups ?? DEFAULT_MAX_WINDOW_GROUPS,
    };
    compiledRules.set(rule, compiled);
  }
  return compiled;
}

/**
 * Folds a batch into the window state: for each valid record and each rule whose filter it
 * passes, the record's group (the `groupBy` value; records without one are skipped) counts it
 * once per eventId. Group values are bounded ({@link MAX_GROUP_BYTES}); past the rule's
 * `maxGroups` groups, the events of new groups count in the group `(other)`. Poison records only move `segment`. When the state would outgrow
 * `maxStateBytes`, the largest exact groups switch to count-only (`approximate`) until it fits.
 * Fold only the records before the batch's first failure (Lambda retries from there with the
 * state returned). Pure: returns a new state. Never throws.
 */
export function foldWindow(
  state: WindowState,
  records: readonly DecodedRecord[],
  rules: readonly WindowRule[],
  options: FoldOptions = {},
): WindowState {
  const budget = options.maxStateBytes ?? DEFAULT_MAX_WINDOW_STATE_BYTES;
  const compiled = rules.map(compileRule);
  const working = new Map<string, Map<string, Working>>();
  for (const [ruleId, groups] of Object.entries(state.rules)) {
    const map = new Map<string, Working>();
    for (const [group, g] of Object.entries(groups)) {
      map.set(group, { count: g.count, ids: g.eventIds as string[], seen: undefined, approximate: g.approximate === true, idBytes: -1 });
    }
    working.set(ruleId, map);
  }
  const touched = new Set<Working>();
  let bytes = -1;
  let segment = state.segment;

  for (const record of records) {
    if (segment === undefined || compareSeq(record.seq, segment) < 0) segment = record.seq;
    if (!record.ok) continue;
    const { event } = record;
    for (const rule of compiled) {
      if (!rule.matches(event)) continue;
      const value = rule.group(event);
      if (value === undefined) continue;
      let groups = working.get(rule.id);
      if (groups === undefined) {
        groups = new Map();
        working.set(rule.id, groups);
      }
      // Past the rule's bound, a new group counts in `(other)` (which does not take a place itself).
      const full = groups.size - (groups.has(OTHER_LABEL) ? 1 : 0) >= rule.maxGroups;
      const group = full && !groups.has(value) ? OTHER_LABEL : value;
      let g = groups.get(group);
      if (g === undefined) {
        g = { count: 0, ids: [], seen: new Set(), approximate: false, idBytes: 0 };
        groups.set(group, g);
        touched.add(g);
        if (bytes < 0) bytes = stateSizeBytes(state);
        bytes += Buffer.byteLength(JSON.stringify(group)) + 30 + (groups.size === 1 ? Buffer.byteLength(JSON.stringify(rule.id)) + 4 : 0);
      }
      if (g.approximate) {
        g.count += 1;
        continue;
      }
      if (!touched.has(g)) {
        g.ids = [...g.ids];
        touched.add(g);
      }
      g.seen ??= new Set(g.ids);
      if (g.seen.has(event.eventId)) continue;
      g.seen.add(event.eventId);
      g.ids.push(event.eventId);
      g.count += 1;
      if (bytes < 0) bytes = stateSizeBytes(state);
      const cost = idCost(event.eventId);
      bytes += cost;
      if (g.idBytes >= 0) g.idBytes += cost;
      if (bytes > budget) bytes = shrink(working, bytes, budget);
    }
  }

  const rulesOut: Record<string, Record<string, WindowGroupState>> = {};
  for (const [ruleId, groups] of working) {
    if (groups.size === 0) continue;
    rulesOut[ruleId] = Object.fromEntries(
      [...groups].map(([group, g]): [string, WindowGroupState] => [
        group,
        g.approximate ? { count: g.count, eventIds: [], approximate: true } : { count: g.count, eventIds: g.ids },
      ]),
    );
  }
  const out: { v: 1; segment?: string; rules: Record<string, Record<string, WindowGroupState>> } = { v: 1, rules: rulesOut };
  if (segment !== undefined) out.segment = segment;
  return out;
}

/** Switches the largest exact groups to count-only until `bytes` fits `budget`; returns the new estimate. */
function shrink(working: Map<string, Map<string, Working>>, bytes: number, budget: number): number {
  let estimate = bytes;
  while (estimate > budget) {
    let largest: Working | undefined;
    for (const groups of working.values()) {
      for (const g of groups.values()) {
        if (g.approximate) continue;
        if (g.idBytes < 0) g.idBytes = g.ids.reduce((sum, id) => sum + idCost(id), 0);
        if (largest === undefined || g.idBytes > largest.idBytes) largest = g;
      }
    }
    if (largest === undefined || largest.idBytes === 0) return estimate;
    estimate -= largest.idBytes - 20;
    largest.approximate = true;
    largest.ids = [];
    largest.seen = undefined;
    largest.idBytes = 0;
  }
  return estimate;
}

/**
 * The partial counts the final invoke of a window writes for its shard: one per (rule, group)
 * with a count, sorted by rule then group. `groupBy` comes from `rules` when given. Never throws.
 */
export function windowPartials(
  state: WindowState,
  windowStart: string,
  windowEnd: string,
  shardId: string,
  rules: readonly WindowRule[] = [],
): WindowPartial[] {
  const groupByOf = new Map(rules.map((rule) => [rule.id, rule.groupBy]));
  const partials: WindowPartial[] = [];
  for (const ruleId of Object.keys(state.rules).sort()) {
    const groups = state.rules[ruleId] ?? {};
    for (const group of Object.keys(groups).sort()) {
      const g = groups[group];
      if (g === undefined || g.count <= 0) continue;
      partials.push({
        ruleId,
        groupBy: groupByOf.get(ruleId),
        group,
        windowStart,
        windowEnd,
        shardId,
        segment: state.segment ?? '0',
        count: g.count,
        approximate: g.approximate === true,
      });
    }
  }
  return partials;
}

/**
 * Merges the partials of one (rule, group, window) across shards (keyed by shard or shard
 * segment): the total, and whether it reaches `threshold`. Non-finite partials count as 0. The
 * overflow group `(other)` (many groups together) never fires. Never throws.
 */
export function judgeWindow(
  partialsByShard: Readonly<Record<string, number>>,
  threshold: number,
  group?: string,
): { readonly total: number; readonly fires: boolean } {
  let total = 0;
  for (const count of Object.values(partialsByShard)) if (Number.isFinite(count)) total += count;
  return { total, fires: total >= threshold && group !== OTHER_LABEL };
}

/** The key of a window alert: the same (rule, group, window) always gives the same id. Never fails. */
export const windowAlertId = (ruleId: string, group: string, windowStart: string): string => `window#${ruleId}#${windowStart}#${group}`;

/** The alert for a (rule, group, window) whose merged total reached the threshold. Never fails. */
export function windowAlert(
  rule: Pick<WindowRule, 'id' | 'threshold'> & { readonly groupBy?: FieldRef },
  group: string,
  window: { readonly start: string; readonly end: string },
  total: number,
  createdAt: Date,
  approximate = false,
): WindowAlert {
  return {
    kind: 'window',
    ruleId: rule.id,
    action: group,
    groupBy: rule.groupBy,
    windowStart: window.start,
    windowEnd: window.end,
    count: total,
    threshold: rule.threshold,
    createdAt: createdAt.toISOString(),
    approximate,
  };
}
