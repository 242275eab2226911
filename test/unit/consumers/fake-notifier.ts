import type { AlertNotification } from '../../../lambdas/analytics/error-alerts';
import type { Notifier } from '../../../lambdas/consumers/notify';

/** A {@link Notifier} for tests (its behaviour is checked beside SnsNotifier's in `notify.test.ts`): keeps what was published, and fails the next calls when told to. */
export class FakeNotifier implements Notifier {
  readonly published: AlertNotification[] = [];
  private failures = 0;

  /** Makes the next `times` publishes reject (nothing is kept). */
  failNext(times = 1): void {
    this.failures += times;
  }

  /** Keeps `notification`, or rejects when a failure is pending. */
  async publish(notification: AlertNotification): Promise<void> {
    if (this.failures > 0) {
      this.failures -= 1;
      throw new Error('SNS publish failed (injected)');
    }
    this.published.push(notification);
  }
}
