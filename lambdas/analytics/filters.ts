import type { PropValue, StreamEvent } from '../shared/event';
import type { FieldFilter, FieldRef, Filter, Scalar, ValueExpr } from './config';
import { parseCompactLocal } from './time';

/** Reads one field of an event: its value, or undefined when the event does not carry it. */
export type Accessor = (event: StreamEvent) => PropValue | undefined;
/** A compiled filter. */
export type Predicate = (event: StreamEvent) => boolean;
/** A compiled value expression: a finite number, or undefined when the event gives none. */
export type NumericValue = (event: StreamEvent) => number | undefined;

const PROPS_PREFIX = 'props.';

/**
 * Compiles a field reference into an accessor (`props.<name>` gives only scalars and null, so an
 * inherited `props.constructor` is missing, not a function). Never throws.
 */
export function compileFieldRef(ref: FieldRef): Accessor {
  if (ref.startsWith(PROPS_PREFIX)) {
    const name = ref.slice(PROPS_PREFIX.length);
    return (event) => {
      const props = event.props;
      if (props === undefined) return undefined;
      const value: unknown = props[name];
      // Own props are scalars or null (validated); an object or function can only be inherited.
      return typeof value === 'object'
        ? value === null
          ? null
          : undefined
        : typeof value === 'function'
          ? undefined
          : (value as PropValue | undefined);
    };
  }
  switch (ref) {
    case 'action':
      return (event) => event.action;
    case 'userId':
      return (event) => event.userId;
    case 'path':
      return (event) => event.path;
    case 'errorMsg':
      return (event) => event.errorMsg;
    case 'objectId':
      return (event) => event.objectId;
    case 'bizId':
      return (event) => event.bizId;
    case 'sessionId':
      return (event) => event.sessionId;
    default:
      return () => undefined;
  }
}

/** Reads one field of an event as a label (see {@link labelOf}): undefined when missing or null. */
export type LabelAccessor = (event: StreamEvent) => string | undefined;

/** Compiles a field reference into a label accessor (one closure per event and field on hot paths). Never throws. */
export function compileLabelRef(ref: FieldRef): LabelAccessor {
  const read = compileFieldRef(ref);
  return (event) => {
    const value = read(event);
    return typeof value === 'string' ? value : value === undefined || value === null ? undefined : String(value);
  };
}

/** The value of `ref` in `event`, or undefined when missing. Never throws. */
export const fieldValue = (event: StreamEvent, ref: FieldRef): PropValue | undefined => compileFieldRef(ref)(event);

/** A field value as a group/dimension label: strings as is, numbers and booleans as `String(v)`; null and missing give undefined. */
export const labelOf = (value: PropValue | undefined): string | undefined =>
  typeof value === 'string' ? value : value === undefined || value === null ? undefined : String(value);

/** One operator of a field condition, for a present, non-null value. */
type Check = (value: Scalar) => boolean;

function compileFieldFilter(filter: FieldFilter): Predicate {
  const read = compileFieldRef(filter.field);
  const { equals, notEquals, containsAny } = filter;
  const list = filter.in;
  const operators = [equals, notEquals, list, containsAny].filter((o) => o !== undefined).length;
  // Single operators compile to one closure (the hot path); a missing or null value never equals a scalar.
  if (operators === 1) {
    if (equals !== undefined) return (event) => read(event) === equals;
    if (notEquals !== undefined) {
      return (event) => {
        const value = read(event);
        return value !== undefined && value !== null && value !== notEquals;
      };
    }
    if (list !== undefined) {
      return (event) => {
        const value = read(event);
        return value !== undefined && value !== null && list.includes(value);
      };
    }
  }
  const checks: Check[] = [];
  if (equals !== undefined) checks.push((v) => v === equals);
  if (notEquals !== undefined) checks.push((v) => v !== notEquals);
  if (list !== undefined) checks.push((v) => list.includes(v));
  if (containsAny !== undefined) {
    checks.push((v) => {
      if (typeof v !== 'string') return false;
      for (const part of containsAny) if (v.includes(part)) return true;
      return false;
    });
  }
  return (event) => {
    const value = read(event);
    if (value === undefined || value === null) return false;
    for (const check of checks) if (!check(value)) return false;
    return true;
  };
}

/**
 * Compiles a filter into a predicate. A field condition on a missing or null field is false (so
 * `notEquals` does not match events without the field; `{not: …}` does). Never throws.
 */
export function compileFilter(filter: Filter): Predicate {
  if ('all' in filter) {
    const parts = filter.all.map(compileFilter);
    if (parts.length === 1) return parts[0] as Predicate;
    if (parts.length === 2) {
      const [a, b] = parts as [Predicate, Predicate];
      return (event) => a(event) && b(event);
    }
    return (event) => {
      for (const part of parts) if (!part(event)) return false;
      return true;
    };
  }
  if ('any' in filter) {
    const parts = filter.any.map(compileFilter);
    return (event) => {
      for (const part of parts) if (part(event)) return true;
      return false;
    };
  }
  if ('not' in filter) {
    const inner = compileFilter(filter.not);
    return (event) => !inner(event);
  }
  return compileFieldFilter(filter);
}

/**
 * The one `action` an event must have to pass `filter` (a field condition `action` equals a
 * string, alone or inside an `all`), or undefined when the filter does not pin it. Lets a hot path
 * skip, by one lookup per event, the filters that cannot match its action. Never throws.
 */
export function requiredAction(filter: Filter): string | undefined {
  if ('all' in filter) {
    for (const part of filter.all) {
      const action = requiredAction(part);
      if (action !== undefined) return action;
    }
    return undefined;
  }
  if ('any' in filter || 'not' in filter) return undefined;
  return filter.field === 'action' && typeof filter.equals === 'string' ? filter.equals : undefined;
}

/** True when `event` passes `filter` (see {@link compileFilter}). Never throws. */
export const matchesFilter = (event: StreamEvent, filter: Filter): boolean => compileFilter(filter)(event);

const DECIMAL = /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/;

/** A number from a field value: a finite number, or a string holding a decimal number; else undefined. */
export function numberOf(value: PropValue | undefined): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'string' && DECIMAL.test(value)) {
    const n = Number(value);
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

/**
 * Compiles a value expression. `{field}` gives the field as a number; `durationMs` gives
 * `to − from` in ms, both read as 17-digit `yyyyMMddHHmmssSSS` wall-clock times in `timeZone`
 * (string fields only: such numbers exceed 2^53). A missing or malformed input gives undefined;
 * a negative duration (clock skew) is returned as is. Throws RangeError for an unknown zone.
 */
export function compileValue(expr: ValueExpr, timeZone: string): NumericValue {
  if ('field' in expr) {
    const read = compileFieldRef(expr.field);
    return (event) => numberOf(read(event));
  }
  parseCompactLocal('19700101000000000', timeZone, true);
  const readFrom = compileFieldRef(expr.durationMs.from.timestampPrefixOf);
  const readTo = compileFieldRef(expr.durationMs.to.timestampOf);
  return (event) => {
    const from = readFrom(event);
    const to = readTo(event);
    if (typeof from !== 'string' || typeof to !== 'string') return undefined;
    const start = parseCompactLocal(from, timeZone, false);
    const end = start === undefined ? undefined : parseCompactLocal(to, timeZone, true);
    return start === undefined || end === undefined ? undefined : end - start;
  };
}

/** The number `expr` gives for `event` (see {@link compileValue}). Throws RangeError for an unknown zone. */
export const evaluateValue = (event: StreamEvent, expr: ValueExpr, timeZone: string): number | undefined =>
  compileValue(expr, timeZone)(event);
