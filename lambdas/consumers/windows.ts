import type { KinesisStreamBatchItemFailure, KinesisStreamRecord } from 'aws-lambda';
import type { WindowRule } from '../analytics/config';
import { asciiLine, fitMessage, snsSubject, type AlertNotification } from '../analytics/error-alerts';
import { decodeRecords } from '../analytics/records';
import {
  foldWindow,
  judgeWindow,
  readWindowState,
  windowAlert,
  windowPartials,
  type WindowAlert,
  type WindowState,
} from '../analytics/windows';
import { KEYS, OTHER_LABEL, expiresInDays } from '../shared/results-table';
import { DEFAULT_CONCURRENCY, type ConsumerDeps, canonicalTime, mapLimit, shardIdOf } from './common';
import { windowAlertOf, windowAlertOp, windowCountsOf, windowPartialOp, windowPartialQuarantineOp } from './items';
import { describeError, isRecordFault } from './common';
import { capacitySince, type WriteOutcome } from './store';
import { storeAndNotify } from './outbox';

/**
 * The windows consumer: threshold rules over Lambda's tumbling windows (by record arrival, per
 * shard), merged across shards in DynamoDB.
 * - Every invoke but the last folds its records into the window state Lambda carries. Poison
 *   records are skipped here (the realtime consumer, on the same stream, quarantines them), so
 *   no record is ever reported as failed and the state always covers the whole batch.
 * - The final invoke writes this shard's count per (rule, group) into the window's partials item
 *   (one attribute per shard segment: idempotent) and reads back every shard's count; the shard
 *   that sees the sum reach the threshold puts the alert once (`attribute_not_exists`), so there
 *   is exactly one alert per (rule, group, window) whatever the order of the shards' final
 *   invokes and however often one is retried. New alerts go out in one SNS message per invoke.
 * - Group values are bounded and a rule counts at most `maxGroups` groups per window and shard;
 *   the rest count in `(other)`, which is written and logged but never alerts. A partial that
 *   DynamoDB still refuses is quarantined, so the final invoke never blocks the shard for it.
 */

/** Everything the windows consumer needs from outside; tests pass a memory store, a fake notifier and a fixed clock. */
/** The dependencies of this consumer (see ConsumerDeps). */
export type WindowsDeps = ConsumerDeps;

/**
 * The tumbling-window event (`KinesisStreamTumblingWindowEvent` of `@types/aws-lambda`), with
 * the `shardId` and `eventSourceARN` that Lambda sends but the type leaves out.
 */
export interface TumblingWindowEvent {
  readonly Records?: readonly KinesisStreamRecord[];
  readonly window: { readonly start: string; readonly end: string };
  readonly state?: unknown;
  readonly shardId?: string;
  readonly eventSourceARN?: string;
  readonly isFinalInvokeForWindow: boolean;
  readonly isWindowTerminatedEarly: boolean;
}

/** The consumer's name in quarantined items. */
export const WINDOWS_CONSUMER = 'windows';

/** What the function returns: the state to carry (always present, or Lambda counts the invoke as failed) and no failed records. */
export interface WindowsResponse {
  readonly state: WindowState | Record<string, never>;
  readonly batchItemFailures: KinesisStreamBatchItemFailure[];
}

export type WindowsHandler = (event: TumblingWindowEvent) => Promise<WindowsResponse>;

/** What a final invoke did. */
export interface SettleReport {
  readonly partials: number;
  readonly fired: number;
  readonly created: number;
  readonly renotified: number;
}

/**
 * One notification for the window alerts of an invoke: the subject counts them and names the
 * first, the message lists each (rule, group, window, count / threshold), cut to SNS's size limit.
 * Undefined for none. Never throws.
 */
export function summarizeWindowAlerts(alerts: readonly WindowAlert[], stage: string): AlertNotification | undefined {
  const first = alerts[0];
  if (first === undefined) return undefined;
  const subject = snsSubject(
    `[${asciiLine(stage)}] ${alerts.length} window alert${alerts.length === 1 ? '' : 's'}: ${asciiLine(first.ruleId)} ${asciiLine(first.action)} ${first.count}/${first.threshold}`,
  );
  const lines = [
    `${alerts.length} threshold alert${alerts.length === 1 ? '' : 's'} over tumbling windows (stage ${stage}).`,
    '',
    ...alerts.map(
      (a) =>
        `  ${a.windowStart} .. ${a.windowEnd} ${a.ruleId} ${a.groupBy ?? 'group'}=${a.action}: ${a.count} >= ${a.threshold}${a.approximate ? ' (approximate: some shard counted without eventId dedup)' : ''}`,
    ),
  ];
  return { subject, message: fitMessage(lines) };
}

/**
 * The final invoke of a shard's window: writes its partial counts, judges each (rule, group)
 * on the sum over shards, puts the alerts that fire once, and notifies the new ones (and this
 * shard's own un-notified ones, left by a crash before the publish) in one SNS message.
 * Rejects on a store or SNS error: Lambda retries the final invoke, which is idempotent.
 */
export async function settleWindow(
  deps: WindowsDeps,
  shardId: string,
  state: WindowState,
  window: { readonly start: string; readonly end: string },
): Promise<SettleReport> {
  const { config, store, logger } = deps;
  const limit = deps.concurrency ?? DEFAULT_CONCURRENCY;
  const rules = config.analytics.windowRules;
  const byId = new Map<string, WindowRule>(rules.map((rule) => [rule.id, rule]));
  const start = canonicalTime(window.start);
  const end = canonicalTime(window.end);
  const now = deps.now();
  const expiresAt = expiresInDays(now, config.resultRetentionDays);
  const partials = windowPartials(state, start, end, shardId, rules);

  const fired = (
    await mapLimit(partials, limit, async (partial): Promise<WindowAlert | undefined> => {
      const rule = byId.get(partial.ruleId);
      if (rule === undefined) {
        logger.warn('window state names a rule that is no longer configured; its counts are dropped', { shardId, ruleId: partial.ruleId });
        return undefined;
      }
      let outcome: WriteOutcome;
      try {
        outcome = await store.write(windowPartialOp(partial, rule.threshold, expiresAt), { returnValues: 'ALL_NEW' });
      } catch (error) {
        if (!isRecordFault(error)) throw error;
        // The final invoke blocks its shard until it succeeds: a partial DynamoDB refuses is kept in quarantine instead.
        const { errorName, errorMessage } = describeError(error);
        await store.write(
          windowPartialQuarantineOp(
            partial,
            `${errorName}: ${errorMessage}`,
            WINDOWS_CONSUMER,
            expiresInDays(now, config.quarantineRetentionDays),
          ),
        );
        logger.error('window partial quarantined: DynamoDB refuses it', { shardId, ruleId: partial.ruleId, windowStart: start, error });
        return undefined;
      }
      const { counts, approximate } = windowCountsOf(outcome.ok ? outcome.attributes : undefined);
      const verdict = judgeWindow(counts, rule.threshold, partial.group);
      if (partial.group === OTHER_LABEL) {
        logger.warn('window groups over the bound counted in (other)', {
          shardId,
          ruleId: partial.ruleId,
          maxGroups: rule.maxGroups,
          windowStart: start,
          count: partial.count,
          total: verdict.total,
        });
      }
      return verdict.fires ? windowAlert(rule, partial.group, { start, end }, verdict.total, now, approximate) : undefined;
    })
  ).filter((alert): alert is WindowAlert => alert !== undefined);

  const { created, renotified } = await storeAndNotify(
    fired,
    {
      putOnce: (alert) => windowAlertOp(alert, shardId, expiresAt),
      keyOf: (alert) => KEYS.windowAlert(alert.ruleId, alert.action, alert.windowStart),
      fromItem: windowAlertOf,
      summarize: (toNotify) => summarizeWindowAlerts(toNotify, config.stage),
    },
    { store, notifier: deps.notifier, shardId, concurrency: limit },
  );
  return { partials: partials.length, fired: fired.length, created, renotified };
}

/** The shard of a window event: Lambda's `shardId`, else the first record's. Throws when neither is there. */
function shardOfEvent(event: TumblingWindowEvent): string {
  if (typeof event.shardId === 'string' && event.shardId !== '') return event.shardId;
  return shardIdOf(event.Records?.[0]?.eventID);
}

/**
 * Builds the windows consumer over `deps`. A non-final invoke returns the folded state; the
 * final one settles the window (see {@link settleWindow}) and returns an empty state. Rejects
 * when the incoming state is not one this consumer wrote, or when settling fails.
 */
export function createHandler(deps: WindowsDeps): WindowsHandler {
  const { config, logger } = deps;
  return async (event) => {
    const records = event.Records ?? [];
    // Lambda's final invoke carries no records; folding any it did carry keeps them counted.
    const state = foldWindow(readWindowState(event.state), decodeRecords(records), config.analytics.windowRules);
    if (!event.isFinalInvokeForWindow) return { state, batchItemFailures: [] };

    if (Object.keys(state.rules).length === 0) return { state: {}, batchItemFailures: [] };
    const shardId = shardOfEvent(event);
    const capacityBefore = deps.store.consumed?.();
    const report = await settleWindow(deps, shardId, state, event.window);
    const capacity = capacitySince(capacityBefore, deps.store.consumed?.());
    deps.metrics?.add({ WindowsFired: 1, AlertsRaised: report.created });
    logger.info('window settled', {
      shardId,
      windowStart: event.window.start,
      windowEnd: event.window.end,
      terminatedEarly: event.isWindowTerminatedEarly,
      records: records.length,
      partials: report.partials,
      fired: report.fired,
      alertsNew: report.created,
      alertsRenotified: report.renotified,
      ...(capacity === undefined ? {} : { capacity }),
    });
    return { state: {}, batchItemFailures: [] };
  };
}
