import { createHash } from 'crypto';
import { gunzipSync, gzipSync } from 'zlib';

/**
 * The single DynamoDB table that holds every real-time result: its key schema is `pk` (S) +
 * `sk` (S), TTL attribute `expiresAt` (epoch seconds), and one GSI `byTime` on `gpk` (S) +
 * `gsk` (S) for listing alerts by time. This module is the only place keys are spelled.
 *
 * | item | pk | sk | notes |
 * |---|---|---|---|
 * | error alert | `ALERT#error#<eventId>` | `A` | put once (`attribute_not_exists(pk)`); GSI `ALERTS#<utc day>` / `<createdAt>#error#<eventId>` |
 * | window alert | `ALERT#window#<ruleId>#<group>#<windowStart>` | `A` | put once; GSI `ALERTS#<utc day>` / `<createdAt>#window#…` |
 * | window partials | `WINDOW#<ruleId>#<group>#<windowStart>` | `P` | one attribute per shard segment: `shard_<shardId>_<segment>` = count |
 * | metric counter | `M#<metric>#<dimFields>#<local day>` | `<minute>#<dims>` | `count`, `late`, `sum`, `min`, `max`, `wm_<shardId>` (padded sequence number); the `events` total of a shard's cursor minute also `nt_<shardId>` (its newest event time within that minute) |
 * | metrics cursor | `CURSOR#metrics#<shardId>` | `C` | `newestEventTimeMs` (written when it moves to a later minute) |
 * | session of step-less page views | `SESSION#<shardId>#<session key, bounded>` | `S` | `d` = gzip JSON of the key's SessionState (`lambdas/analytics/paths.ts`), `v`, `expiresAt` hours after its last write |
 * | packed edge counters | `PATHS#<local day>` | `E#<step, 4 digits>@<shardId>` | Sankey edges of step-carrying events, one attribute per edge `e|<source>\u0000<target>` = count, `step`, `wm_<shardId>`; a few KB at most |
 * | edge counter | `PATHS#<local day>` | `E#<step, 4 digits>#<source length>#<source>#<target>` | an edge past its packed item's bound: `source`, `target`, `step`, `count`, `wm_<shardId>` |
 * | quarantined record | `QUARANTINE#<utc day>` | `<shardId>#<padded seq>` | `reason`, `data` (base64 as read), `consumer`, `partitionKey`, `arrival` |
 */
export const KEYS = {
  errorAlert: (eventId: string) => ({ pk: `ALERT#error#${eventId}`, sk: 'A' }),
  windowAlert: (ruleId: string, group: string, windowStart: string) => ({ pk: `ALERT#window#${ruleId}#${group}#${windowStart}`, sk: 'A' }),
  alertsByDay: (utcDay: string) => `ALERTS#${utcDay}`,
  windowPartials: (ruleId: string, group: string, windowStart: string) => ({ pk: `WINDOW#${ruleId}#${group}#${windowStart}`, sk: 'P' }),
  metric: (metric: string, dimFields: string, localDay: string, minute: string, dims: string) => ({
    pk: `M#${metric}#${dimFields}#${localDay}`,
    sk: `${minute}#${dims}`,
  }),
  metricDay: (metric: string, dimFields: string, localDay: string) => `M#${metric}#${dimFields}#${localDay}`,
  metricsCursor: (shardId: string) => ({ pk: `CURSOR#metrics#${shardId}`, sk: 'C' }),
  session: (shardId: string, sessionKey: string) => ({
    pk: `${SESSION_PREFIX}${shardId}#${boundText(sessionKey, MAX_SESSION_KEY_BYTES)}`,
    sk: 'S',
  }),
  pathDay: (localDay: string) => `PATHS#${localDay}`,
  pathEdgePack: (localDay: string, step: number, shardId: string) => ({
    pk: `PATHS#${localDay}`,
    sk: `${EDGE_COUNTER_PREFIX}${String(step).padStart(4, '0')}@${shardId}`,
  }),
  pathEdge: (localDay: string, step: number, source: string, target: string) => ({
    pk: `PATHS#${localDay}`,
    sk: `${EDGE_COUNTER_PREFIX}${String(step).padStart(4, '0')}#${source.length}#${source}#${target}`,
  }),
  quarantine: (utcDay: string, shardId: string, paddedSeq: string) => ({ pk: `QUARANTINE#${utcDay}`, sk: `${shardId}#${paddedSeq}` }),
} as const;

/** Partition-key prefix of the session items. */
export const SESSION_PREFIX = 'SESSION#';
/** Bytes of a session key (`s:<len>:<userId>:<sessionId>` or `u:<userId>`) in an item key: a longer one keeps a prefix and a digest. */
export const MAX_SESSION_KEY_BYTES = 200;

/**
 * DynamoDB's key limits, in UTF-8 bytes: a partition key value at most 2048, a sort key value at
 * most 1024. Every value from an event that becomes part of a key, a group or an edge is
 * first bounded with {@link boundText}.
 */
export const MAX_PARTITION_KEY_BYTES = 2048;
export const MAX_SORT_KEY_BYTES = 1024;

/** The bucket that holds what a bound turned away (a group, an edge, a full path): counted and shown, never an error. */
export const OTHER_LABEL = '(other)';

/** Marks a value cut by {@link boundText}: `<readable prefix>…<digest>`. */
const CUT_MARK = '\u2026';
/** Hex characters of the SHA-256 digest a cut value ends with (64 bits: collisions are negligible). */
const DIGEST_HEX = 16;

/**
 * `value` unchanged when its cost is at most `maxBytes`; otherwise a readable prefix (whole code
 * points) followed by `…` and the first 16 hex digits of the SHA-256 of the whole value, at most
 * `maxBytes` in all. `costOf` measures a code point (default: its UTF-8 bytes; a caller that
 * escapes characters passes the escaped size). Deterministic: the same value always gives the same
 * text, two values that differ give different texts (up to the digest). `maxBytes` must be at
 * least 32. Never throws for a valid bound.
 */
export function boundText(value: string, maxBytes: number, costOf: (codePoint: string) => number = (c) => Buffer.byteLength(c)): string {
  let total = 0;
  for (const c of value) {
    total += costOf(c);
    if (total > maxBytes) break;
  }
  if (total <= maxBytes) return value;
  const tail = `${CUT_MARK}${createHash('sha256').update(value, 'utf8').digest('hex').slice(0, DIGEST_HEX)}`;
  const budget = maxBytes - Buffer.byteLength(tail);
  let prefix = '';
  let used = 0;
  for (const c of value) {
    const cost = costOf(c);
    if (used + cost > budget) break;
    prefix += c;
    used += cost;
  }
  return prefix + tail;
}

/** Name of the GSI that lists alerts by day and time. */
export const ALERTS_BY_TIME_INDEX = 'byTime';

/** The dimension fields of an encoded `dims` string (`action=x` → `action`; `a=1&b=2` → `a&b`; `` → ``). */
export function dimFieldsOf(dims: string): string {
  if (dims === '') return '';
  return dims
    .split('&')
    .map((pair) => pair.slice(0, pair.indexOf('=')))
    .join('&');
}

/** Sort-key prefix of the edge counters in a `PATHS#<day>` partition. */
export const EDGE_COUNTER_PREFIX = 'E#';

/** Separator of an edge key (`source\u0000target`) where edges are keyed by both ends. */
export const EDGE_SEPARATOR = '\u0000';

/** Packs a JSON value into the gzip bytes stored in a `d` attribute. */
export function packJson(value: unknown): Uint8Array {
  return gzipSync(Buffer.from(JSON.stringify(value), 'utf8'));
}

/** Unpacks a `d` attribute; throws if the bytes are not gzip JSON. */
export function unpackJson(bytes: Uint8Array): unknown {
  return JSON.parse(gunzipSync(bytes).toString('utf8')) as unknown;
}

/** Seconds since the epoch, `days` from `now`: the TTL value DynamoDB expects in `expiresAt`. */
export function expiresInDays(now: Date, days: number): number {
  return Math.floor(now.getTime() / 1000) + days * 86_400;
}
