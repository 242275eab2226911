import { randomUUID } from 'crypto';
import { DateTime } from 'luxon';

/**
 * Firehose's S3 key prefixes: `!{timestamp:<Java DateTimeFormatter pattern>}`,
 * `!{firehose:random-string}` and `!{firehose:error-output-type}`, with the semantic rules of the
 * Firehose developer guide ("Custom prefixes for Amazon S3 objects"). Firehose rejects a prefix
 * that breaks those rules when the delivery stream is created, so here a bad prefix is a
 * configuration error raised before any record is read — not a runtime fallback to the error prefix.
 */

/** Raised for a prefix or pattern Firehose would reject (or this stand-in cannot evaluate). */
export class FirehosePrefixError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FirehosePrefixError';
  }
}

// ------------------------------------------------------------------ Java DateTimeFormatter subset

type PatternToken =
  { readonly kind: 'literal'; readonly text: string } | { readonly kind: 'field'; readonly letter: string; readonly count: number };

/**
 * The pattern letters this stand-in evaluates, with the most repeats each takes: the numeric
 * fields this app's prefixes and Firehose's own object names use (year, month, day, hour,
 * minute, second). Any other letter, or a text form such as `MMM`, fails with an error naming it.
 */
const MAX_COUNT: Readonly<Record<string, number>> = { y: 19, M: 2, d: 2, H: 2, m: 2, s: 2 };

/** Splits a Java DateTimeFormatter pattern into literals and fields; throws for what Java rejects or this subset lacks. */
export function compileDatePattern(pattern: string): PatternToken[] {
  const tokens: PatternToken[] = [];
  const literal = (text: string): void => {
    const last = tokens[tokens.length - 1];
    if (last?.kind === 'literal') tokens[tokens.length - 1] = { kind: 'literal', text: last.text + text };
    else tokens.push({ kind: 'literal', text });
  };
  let i = 0;
  while (i < pattern.length) {
    const c = pattern[i];
    if (c === "'") {
      if (pattern[i + 1] === "'") {
        literal("'");
        i += 2;
        continue;
      }
      let text = '';
      let j = i + 1;
      for (;;) {
        if (j >= pattern.length) throw new FirehosePrefixError(`timestamp pattern "${pattern}": unterminated quote`);
        if (pattern[j] === "'") {
          if (pattern[j + 1] === "'") {
            text += "'";
            j += 2;
            continue;
          }
          break;
        }
        text += pattern[j++];
      }
      literal(text);
      i = j + 1;
      continue;
    }
    if (/[A-Za-z]/.test(c)) {
      let j = i;
      while (pattern[j] === c) j++;
      const count = j - i;
      const max = MAX_COUNT[c];
      if (max === undefined) {
        throw new FirehosePrefixError(
          `timestamp pattern "${pattern}": pattern letter '${c}' is not supported by the local Firehose stand-in (supported: ${Object.keys(MAX_COUNT).join(' ')})`,
        );
      }
      if (count > max) {
        // Java reads 3 to 5 M's as the month's name; a day or time field takes at most 2.
        if (c === 'M' && count <= 5) {
          throw new FirehosePrefixError(
            `timestamp pattern "${pattern}": the month as text (${c.repeat(count)}) is not supported by the local Firehose stand-in (numeric M or MM only)`,
          );
        }
        throw new FirehosePrefixError(`timestamp pattern "${pattern}": too many pattern letters: ${c}`);
      }
      tokens.push({ kind: 'field', letter: c, count });
      i = j;
      continue;
    }
    if (c === '[' || c === ']') {
      // optional sections: every field is available on a zoned date-time, so their content always prints
      i++;
      continue;
    }
    if (c === '{' || c === '}' || c === '#') throw new FirehosePrefixError(`timestamp pattern "${pattern}": '${c}' is reserved`);
    literal(c);
    i++;
  }
  return tokens;
}

function pad(n: number, width: number): string {
  const s = String(Math.abs(n)).padStart(width, '0');
  return n < 0 ? `-${s}` : s;
}

function formatField(t: DateTime, letter: string, count: number): string {
  switch (letter) {
    case 'y':
      return count === 2 ? pad(t.year % 100, 2) : pad(t.year, count);
    case 'M':
      return pad(t.month, count);
    case 'd':
      return pad(t.day, count);
    case 'H':
      return pad(t.hour, count);
    case 'm':
      return pad(t.minute, count);
    case 's':
      return pad(t.second, count);
    default:
      throw new FirehosePrefixError(`pattern letter '${letter}' is not supported`);
  }
}

/** Checks that `timeZone` is a zone name Firehose/IANA knows; throws otherwise. */
export function assertTimeZone(timeZone: string): void {
  if (!DateTime.now().setZone(timeZone).isValid) throw new FirehosePrefixError(`unknown time zone "${timeZone}" (CustomTimeZone)`);
}

/** Formats `time` with a Java DateTimeFormatter pattern in `timeZone` (default UTC). */
export function formatJavaDate(pattern: string | readonly PatternToken[], time: Date | number, timeZone = 'UTC'): string {
  const tokens = typeof pattern === 'string' ? compileDatePattern(pattern) : pattern;
  const t = DateTime.fromMillis(typeof time === 'number' ? time : time.getTime(), { zone: timeZone });
  if (!t.isValid) throw new FirehosePrefixError(`unknown time zone "${timeZone}" (CustomTimeZone)`);
  return tokens.map((tok) => (tok.kind === 'literal' ? tok.text : formatField(t, tok.letter, tok.count))).join('');
}

// ------------------------------------------------------------------ prefixes

export type PrefixPart =
  | { readonly kind: 'literal'; readonly text: string }
  | { readonly kind: 'timestamp'; readonly pattern: string; readonly tokens: readonly PatternToken[] }
  | { readonly kind: 'random-string' }
  | { readonly kind: 'error-output-type' };

/** A parsed prefix, ready to evaluate. */
export interface CompiledPrefix {
  readonly source: string;
  readonly parts: readonly PrefixPart[];
}

/** Longest evaluated prefix Firehose allows. */
export const MAX_EVALUATED_PREFIX = 512;

const DEFAULT_TIME_PATTERN = 'yyyy/MM/dd/HH/';

function parsePrefix(text: string, field: 'Prefix' | 'ErrorOutputPrefix'): PrefixPart[] {
  const parts: PrefixPart[] = [];
  let i = 0;
  while (i < text.length) {
    const start = text.indexOf('!{', i);
    if (start < 0) {
      parts.push({ kind: 'literal', text: text.slice(i) });
      break;
    }
    if (start > i) parts.push({ kind: 'literal', text: text.slice(i, start) });
    const end = text.indexOf('}', start + 2);
    if (end < 0) throw new FirehosePrefixError(`${field} "${text}": the sequence !{ may only start a !{namespace:value} expression`);
    const body = text.slice(start + 2, end);
    const colon = body.indexOf(':');
    if (colon < 0) throw new FirehosePrefixError(`${field} "${text}": expression !{${body}} must have the form !{namespace:value}`);
    const ns = body.slice(0, colon);
    const value = body.slice(colon + 1);
    if (ns === 'timestamp') {
      if (value.length === 0) throw new FirehosePrefixError(`${field} "${text}": empty timestamp pattern`);
      parts.push({ kind: 'timestamp', pattern: value, tokens: compileDatePattern(value) });
    } else if (ns === 'firehose') {
      if (value === 'random-string') parts.push({ kind: 'random-string' });
      else if (value === 'error-output-type') parts.push({ kind: 'error-output-type' });
      else
        throw new FirehosePrefixError(
          `${field} "${text}": unknown firehose namespace value "${value}" (random-string or error-output-type)`,
        );
    } else if (ns === 'partitionKeyFromQuery' || ns === 'partitionKeyFromLambda') {
      throw new FirehosePrefixError(
        `${field} "${text}": ${ns} needs dynamic partitioning, which the local Firehose stand-in does not implement`,
      );
    } else {
      throw new FirehosePrefixError(
        `${field} "${text}": unknown namespace "${ns}" (timestamp, firehose, partitionKeyFromQuery, partitionKeyFromLambda)`,
      );
    }
    i = end + 1;
  }
  return parts;
}

const hasExpressions = (parts: readonly PrefixPart[]): boolean => parts.some((p) => p.kind !== 'literal');

/**
 * Parses and validates `Prefix` and `ErrorOutputPrefix` as Firehose does at creation time, and
 * applies its defaults: a prefix without a timestamp expression gets `yyyy/MM/dd/HH/` appended;
 * an omitted ErrorOutputPrefix (allowed only when Prefix has no expressions) becomes
 * `<Prefix><error-output-type>/yyyy/MM/dd/HH/`, as does a literal ErrorOutputPrefix.
 */
export function compilePrefixes(
  prefix?: string,
  errorOutputPrefix?: string,
): { prefix: CompiledPrefix; errorOutputPrefix: CompiledPrefix } {
  const p = prefix ?? '';
  const ep = errorOutputPrefix ?? '';
  const parts = parsePrefix(p, 'Prefix');
  if (parts.some((x) => x.kind === 'error-output-type')) {
    throw new FirehosePrefixError(`Prefix "${p}": !{firehose:error-output-type} may only be used in ErrorOutputPrefix`);
  }
  const prefixHasExpressions = hasExpressions(parts);
  const defaultTime: PrefixPart = { kind: 'timestamp', pattern: DEFAULT_TIME_PATTERN, tokens: compileDatePattern(DEFAULT_TIME_PATTERN) };
  const finalParts = parts.some((x) => x.kind === 'timestamp') ? parts : [...parts, defaultTime];

  let errorParts: PrefixPart[];
  if (ep === '') {
    if (prefixHasExpressions) throw new FirehosePrefixError(`ErrorOutputPrefix can't be empty when Prefix "${p}" contains expressions`);
    errorParts = [...parsePrefix(p, 'Prefix'), { kind: 'error-output-type' }, { kind: 'literal', text: '/' }, defaultTime];
  } else {
    const parsed = parsePrefix(ep, 'ErrorOutputPrefix');
    if (hasExpressions(parsed)) {
      if (!parsed.some((x) => x.kind === 'error-output-type')) {
        throw new FirehosePrefixError(
          `ErrorOutputPrefix "${ep}": an ErrorOutputPrefix with expressions must include !{firehose:error-output-type}`,
        );
      }
      errorParts = parsed;
    } else {
      errorParts = [...parsed, { kind: 'error-output-type' }, { kind: 'literal', text: '/' }, defaultTime];
    }
  }
  return { prefix: { source: p, parts: finalParts }, errorOutputPrefix: { source: ep, parts: errorParts } };
}

/** What a prefix is evaluated against. */
export interface PrefixContext {
  /** Approximate arrival time of the oldest record in the object. */
  readonly time: Date | number;
  /** CustomTimeZone; default UTC. */
  readonly timeZone?: string;
  /** For ErrorOutputPrefix: processing-failed, format-conversion-failed, … */
  readonly errorOutputType?: string;
  /** Source of `!{firehose:random-string}` values (11 characters each); default random. */
  readonly randomString?: () => string;
}

/** An 11-character random string like Firehose's `!{firehose:random-string}` (e.g. `046b6c7f-0b`). */
export function firehoseRandomString(): string {
  return randomUUID().slice(0, 11);
}

/** Evaluates a compiled prefix; every timestamp expression uses the same instant. */
export function evaluatePrefix(prefix: CompiledPrefix, ctx: PrefixContext): string {
  const random = ctx.randomString ?? firehoseRandomString;
  const out = prefix.parts
    .map((part) => {
      switch (part.kind) {
        case 'literal':
          return part.text;
        case 'timestamp':
          return formatJavaDate(part.tokens, ctx.time, ctx.timeZone ?? 'UTC');
        case 'random-string':
          return random();
        case 'error-output-type':
          if (ctx.errorOutputType === undefined) throw new FirehosePrefixError('!{firehose:error-output-type} needs an error output type');
          return ctx.errorOutputType;
      }
    })
    .join('');
  if (out.length > MAX_EVALUATED_PREFIX) {
    throw new FirehosePrefixError(
      `prefix "${prefix.source}" evaluates to ${out.length} characters; Firehose allows at most ${MAX_EVALUATED_PREFIX}`,
    );
  }
  return out;
}

/** The object name suffix `<stream>-<version>-<yyyy-MM-dd-HH-mm-ss>-<uuid><extension>`, time in `timeZone`. */
export function objectKeySuffix(options: {
  readonly deliveryStreamName: string;
  readonly version?: number;
  readonly time: Date | number;
  readonly timeZone?: string;
  readonly uuid?: string;
  readonly extension?: string;
}): string {
  const stamp = formatJavaDate('yyyy-MM-dd-HH-mm-ss', options.time, options.timeZone ?? 'UTC');
  return `${options.deliveryStreamName}-${options.version ?? 1}-${stamp}-${options.uuid ?? randomUUID()}${options.extension ?? ''}`;
}

/** The file extension of delivered objects: FileExtension if set, else `.gz` for GZIP, else none. */
export function objectExtension(compression: string, fileExtension?: string): string {
  if (fileExtension !== undefined && fileExtension !== '') return fileExtension;
  return compression === 'GZIP' ? '.gz' : '';
}
