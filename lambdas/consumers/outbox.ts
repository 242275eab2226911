import type { AlertNotification } from '../analytics/error-alerts';
import { mapLimit } from './common';
import { notifiedOp } from './items';
import type { Notifier } from './notify';
import type { Item, ItemKey, ResultsStore, WriteOp } from './store';

/** How one kind of alert is stored, read back and summarised. */
export interface AlertKind<A> {
  /** The conditional put (`attribute_not_exists`) that stores the alert once, `notified: false`, owned by the shard. */
  readonly putOnce: (alert: A) => WriteOp;
  /** The stored alert's key, to mark it notified. */
  readonly keyOf: (alert: A) => ItemKey;
  /** The alert as stored earlier, from the item a failed put returns. */
  readonly fromItem: (item: Item) => A | undefined;
  /** One message for all the alerts to send; undefined when there are none. */
  readonly summarize: (alerts: readonly A[]) => AlertNotification | undefined;
}

/** What storing and notifying a batch's alerts did. */
export interface OutboxReport {
  readonly created: number;
  readonly renotified: number;
}

/**
 * Stores each alert once and sends one notification for the batch, as an outbox: alerts are put
 * `notified: false`; new ones, and ones an earlier attempt of this shard stored but did not get
 * to notify, are published in one message, then marked notified. Rejects when a write or the
 * publish fails (the batch is retried, and finds the un-notified alerts again).
 */
export async function storeAndNotify<A>(
  alerts: readonly A[],
  kind: AlertKind<A>,
  deps: { readonly store: ResultsStore; readonly notifier: Notifier; readonly shardId: string; readonly concurrency: number },
): Promise<OutboxReport> {
  const outcomes = await mapLimit(alerts, deps.concurrency, (alert) =>
    deps.store.write(kind.putOnce(alert), { returnOldOnConditionFailure: true }),
  );
  const toNotify: A[] = [];
  let created = 0;
  let renotified = 0;
  outcomes.forEach((outcome, i) => {
    const alert = alerts[i] as A;
    if (outcome.ok) {
      created += 1;
      toNotify.push(alert);
    } else if (outcome.old !== undefined && outcome.old.notified === false && outcome.old.owner === deps.shardId) {
      renotified += 1;
      toNotify.push(kind.fromItem(outcome.old) ?? alert);
    }
  });
  const notification = kind.summarize(toNotify);
  if (notification !== undefined) {
    await deps.notifier.publish(notification);
    await mapLimit(toNotify, deps.concurrency, (alert) => deps.store.write(notifiedOp(kind.keyOf(alert))));
  }
  return { created, renotified };
}
