import { createHash } from 'crypto';
import { RECHARGE_ACTION, type AnalyticsConfig } from '../../../lambdas/analytics/config';
import { dimValue } from '../../../lambdas/analytics/kpis';
import { MAX_GROUP_BYTES } from '../../../lambdas/analytics/windows';
import { createHandler } from '../../../lambdas/consumers/realtime';
import { DynamoResultsStore } from '../../../lambdas/consumers/dynamo-store';
import { itemBytes, type ResultsStore } from '../../../lambdas/consumers/store';
import { createHandler as createWindowsHandler } from '../../../lambdas/consumers/windows';
import { toStreamEvent } from '../../../lambdas/ingest/normalize';
import { checkEvents } from '../../../lambdas/ingest/validate';
import { EVENT_LIMITS, type PropValue, type StreamEvent } from '../../../lambdas/shared/event';
import { boundText, OTHER_LABEL } from '../../../lambdas/shared/results-table';
import { useResultsTables } from '../../support/dynamodb-local';
import { aBatch, aConsumerConfig, aWindowEvent, resultsOf, someDeps, someRecords, TIME_ZONE } from './factories';

/**
 * Property: random events that are valid by the v1 schema and maximal (every length at its limit,
 * emoji and CJK, many distinct values) go through both consumers on DynamoDB Local without a
 * failed batch or a quarantined record, and every count equals the truth computed from the events
 * themselves, with what went over a bound counted in its `(other)` bucket or as overflow events.
 * Seeded, so that a failure names the seed that reproduces it.
 */

const SEEDS = [1, 2];
const EVENTS_PER_SEED = 600;
const BATCH = 200;
/** Bounds small enough that the generated traffic goes over each of them. */
const MAX_GROUPS = 12;
const MAX_SESSION_EVENTS = 5;
const DIMENSIONS = ['action', 'props.province', 'props.provinceCode', 'props.machineId'] as const;

/** A seeded stream of random numbers in [0, 1), from SHA-512 blocks (fast enough for millions of characters). */
interface Random {
  /** One random byte (0..255). */
  byte(): number;
  /** A number in [0, 1) with 16 bits of resolution. */
  (): number;
}

function rng(seed: number): Random {
  let block = Buffer.alloc(0);
  let pos = 0;
  let counter = 0;
  const byte = (): number => {
    if (pos >= block.length) {
      block = createHash('sha512').update(`${seed}:${counter}`).digest();
      counter += 1;
      pos = 0;
    }
    const b = block[pos] as number;
    pos += 1;
    return b;
  };
  return Object.assign(() => (byte() * 256 + byte()) / 65536, { byte });
}

const ASCII = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./';
const CJK = '漢字中文路径用户省份数据分析';
const EMOJI = ['😀', '🎉', '🚀', '🧪', '👩‍💻'];

/** A string of exactly `length` UTF-16 units (what the schema counts) mixing ASCII, CJK and emoji; `head` is kept at its start. */
function text(next: Random, length: number, head = ''): string {
  const parts: string[] = [head];
  let used = head.length;
  while (used < length) {
    const b = next.byte();
    const emoji = EMOJI[b % EMOJI.length] as string;
    const part =
      b < 77 && emoji.length <= length - used ? emoji : b < 154 ? (CJK[b % CJK.length] as string) : (ASCII[b % ASCII.length] as string);
    parts.push(part);
    used += part.length;
  }
  return parts.join('');
}

/** A pool of `n` distinct maximal values (a prefix makes them distinct). */
const pool = (next: Random, n: number, length: number, tag: string): string[] =>
  Array.from({ length: n }, (_, i) => text(next, length, `${tag}${i}:`));

const pick = <T>(next: Random, values: readonly T[]): T => values[Math.floor(next() * values.length)] as T;

/** `count` maximal valid events (validated and normalised by ingest's own code), seeded. */
function maximalEvents(seed: number, count: number): StreamEvent[] {
  const next = rng(seed);
  const users = pool(next, 30, EVENT_LIMITS.idLength, 'u');
  const actions = pool(next, 25, EVENT_LIMITS.actionLength, 'a');
  const provinces = pool(next, 20, EVENT_LIMITS.propStringLength, 'p');
  const machines = pool(next, 15, EVENT_LIMITS.propStringLength, 'm');
  const start = Date.parse('2024-05-27T03:40:00.000Z');
  const events: StreamEvent[] = [];
  for (let i = 0; i < count; i++) {
    const createdMs = start + Math.floor((i * 120_000) / count);
    const base = {
      eventId: text(next, EVENT_LIMITS.idLength, `${seed}-${i}-`),
      userId: pick(next, users),
      createdAt: new Date(createdMs).toISOString(),
    };
    const kind = next();
    let input: Record<string, unknown>;
    if (kind < 0.35) {
      input = { ...base, action: 'page_view', path: text(next, EVENT_LIMITS.pathLength, '/') };
    } else if (kind < 0.55) {
      input = { ...base, action: pick(next, actions), errorMsg: text(next, EVENT_LIMITS.errorMsgLength, '[warn] ') };
    } else if (kind < 0.6) {
      input = { ...base, action: pick(next, actions), errorMsg: text(next, EVENT_LIMITS.errorMsgLength, '[error] ') };
    } else if (kind < 0.88) {
      input = {
        ...base,
        action: RECHARGE_ACTION,
        props: {
          bussinessRst: next() < 0.8 ? '2003' : '0000',
          provinceCode: pick(next, provinces),
          chargefee: Math.round(next() * 1e6) / 100,
          requestId: text(next, 1024),
        },
      };
    } else {
      // 100 props, keys of 128 and string values of 1,024 units, among them the dimensions.
      const props: Record<string, PropValue> = { province: pick(next, provinces), machineId: pick(next, machines) };
      while (Object.keys(props).length < EVENT_LIMITS.propsKeys)
        props[text(next, EVENT_LIMITS.propKeyLength, `k${Object.keys(props).length}`)] = text(next, EVENT_LIMITS.propStringLength);
      input = { ...base, action: pick(next, actions), props };
    }
    const [checked] = checkEvents([{ input }], TIME_ZONE);
    if (checked === undefined || !checked.check.ok)
      throw new Error(`generated an invalid event (seed ${seed}, #${i}): ${JSON.stringify(checked?.check)}`);
    events.push(toStreamEvent(checked.check.event, new Date(createdMs + 200)));
  }
  return events;
}

/** The label of a field of an event as the analyses read it, or undefined when missing or null. */
function labelOf(event: StreamEvent, field: string): string | undefined {
  const value = field.startsWith('props.')
    ? event.props?.[field.slice('props.'.length)]
    : (event as unknown as Record<string, unknown>)[field];
  return value === undefined || value === null ? undefined : String(value);
}

const tally = <K>(keys: readonly K[]): Map<K, number> => {
  const out = new Map<K, number>();
  for (const k of keys) out.set(k, (out.get(k) ?? 0) + 1);
  return out;
};

const isWarning = (e: StreamEvent) => e.errorMsg?.includes('[warn]') === true || e.errorMsg?.includes('[WARN]') === true;
const isFailedRecharge = (e: StreamEvent) => e.action === RECHARGE_ACTION && e.props?.bussinessRst !== '0000';

describe('property: maximal valid events through both consumers on DynamoDB Local', () => {
  const tables = useResultsTables(SEEDS.map((seed) => `seed-${seed}`));

  it.each(SEEDS)(
    'seed %i: no failed batch, nothing quarantined, counts equal the truth with overflow counted',
    async (seed) => {
      // prepare
      const base = aConsumerConfig();
      const analytics: AnalyticsConfig = {
        ...base.analytics,
        windowRules: base.analytics.windowRules.map((rule) => ({ ...rule, maxGroups: MAX_GROUPS })),
        metrics: { ...base.analytics.metrics, dimensions: [...DIMENSIONS] },
        paths: { ...base.analytics.paths, maxSessionEvents: MAX_SESSION_EVENTS },
      };
      const table = `seed-${seed}`;
      // The real clock: DynamoDB Local deletes items whose TTL (`expiresAt`, from the consumer's clock) has passed.
      const deps = {
        ...someDeps<ResultsStore>({ store: new DynamoResultsStore(tables.doc(), table), config: { ...base, tableName: table, analytics } }),
        now: () => new Date(),
      };
      const realtime = createHandler(deps);
      const windows = createWindowsHandler(deps);
      const events = maximalEvents(seed, EVENTS_PER_SEED);
      const records = someRecords(events);

      // act
      let state: unknown = {};
      for (let i = 0; i < records.length; i += BATCH) {
        const batch = records.slice(i, i + BATCH);
        expect((await realtime(aBatch(batch))).batchItemFailures).toEqual([]);
        const folded = await windows(aWindowEvent({ records: batch, state }));
        expect(folded.batchItemFailures).toEqual([]);
        state = folded.state;
      }
      const final = await windows(aWindowEvent({ state, final: true }));

      // assess
      expect(final.batchItemFailures).toEqual([]);
      const items = await tables.scan(table);
      for (const item of items) {
        expect(Buffer.byteLength(String(item.pk))).toBeLessThanOrEqual(2048);
        expect(Buffer.byteLength(String(item.sk))).toBeLessThanOrEqual(1024);
        expect(itemBytes(item)).toBeLessThanOrEqual(400 * 1024);
      }
      const results = resultsOf(items);
      expect(results.quarantined).toEqual([]);

      // Per-minute counters: the total, and each dimension by (bounded) value.
      const counters = (metric: string, fields: string) => {
        const out = new Map<string, number>();
        for (const item of items) {
          if (!String(item.pk).startsWith(`M#${metric}#${fields}#`)) continue;
          out.set(String(item.dims), (out.get(String(item.dims)) ?? 0) + Number(item.count));
        }
        return out;
      };
      expect(counters('events', '').get('')).toBe(events.length);
      for (const field of DIMENSIONS) {
        const truth = tally(
          events.flatMap((e) => (labelOf(e, field) === undefined ? [] : [`${field}=${dimValue(labelOf(e, field) as string)}`])),
        );
        expect(counters('events', field)).toEqual(truth);
      }
      const failed = events.filter(isFailedRecharge);
      expect(counters('recharge.failures', 'props.provinceCode')).toEqual(
        tally(failed.map((e) => `props.provinceCode=${dimValue(labelOf(e, 'props.provinceCode') as string)}`)),
      );

      // Every SNS message fits SNS's limits (256 KB, subject under 100 characters).
      for (const note of deps.notifier.published) {
        expect(Buffer.byteLength(note.message)).toBeLessThanOrEqual(256 * 1024);
        expect(note.subject.length).toBeLessThan(100);
      }

      // Error alerts: one per event with an error pattern.
      expect(Object.keys(results.alerts).filter((pk) => pk.startsWith('ALERT#error#'))).toHaveLength(
        events.filter((e) => e.errorMsg?.startsWith('[error]') === true).length,
      );

      // Windows: per rule, the partials (the kept groups and (other)) add up to the matching events;
      // exactly the kept groups at or over the threshold alert, (other) never does.
      for (const [ruleId, matches, field] of [
        ['warnings-per-action', isWarning, 'action'],
        ['recharge-failures-per-province', isFailedRecharge, 'props.provinceCode'],
      ] as const) {
        const groups = events.filter(matches).map((e) => boundText(labelOf(e, field) as string, MAX_GROUP_BYTES));
        const kept = [...new Set(groups)].slice(0, MAX_GROUPS);
        const truth = tally(groups.map((g) => (kept.includes(g) ? g : OTHER_LABEL)));
        const partials = new Map(
          items
            .filter((item) => String(item.pk).startsWith(`WINDOW#${ruleId}#`))
            .map(
              (item) =>
                [
                  String(item.group),
                  Object.entries(item).reduce((sum, [name, v]) => sum + (name.startsWith('shard_') ? Number(v) : 0), 0),
                ] as const,
            ),
        );
        expect(partials).toEqual(truth);
        expect(truth.get(OTHER_LABEL)).toBeGreaterThan(0);
        const alerted = items.filter((item) => String(item.pk).startsWith(`ALERT#window#${ruleId}#`)).map((item) => String(item.action));
        expect(alerted.sort()).toEqual(kept.filter((g) => (truth.get(g) ?? 0) >= 10).sort());
      }

      // Paths: each user is one session (two minutes of traffic, in order); its first MAX_SESSION_EVENTS page views
      // make its edges, every further one adds 1 to the overflow edge `(other) (1)` → `(other) (2)`.
      const ledger = results.ledgers['2024-05-27'];
      const perUser = tally(events.filter((e) => e.path !== undefined).map((e) => e.userId));
      const over = [...perUser.values()].reduce((n, views) => n + Math.max(0, views - MAX_SESSION_EVENTS), 0);
      const kept = [...perUser.values()].reduce((n, views) => n + Math.min(views, MAX_SESSION_EVENTS) - 1, 0);
      const overflowEdge = `${OTHER_LABEL} (1)\u0000${OTHER_LABEL} (2)`;
      expect(ledger?.edges[overflowEdge]).toBe(over);
      expect(over).toBeGreaterThan(0);
      expect(Object.values(ledger?.edges ?? {}).reduce((a, b) => a + b, 0)).toBe(kept + over);
    },
    120_000,
  );
});
