import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { AlertNotification } from '../analytics/error-alerts';

/** Sends one alert notification (one per batch). */
export interface Notifier {
  /** Publishes `notification`; rejects when it was not accepted (the caller retries the batch). */
  publish(notification: AlertNotification): Promise<void>;
}

/** A {@link Notifier} on an SNS topic. */
export class SnsNotifier implements Notifier {
  constructor(
    private readonly client: SNSClient,
    private readonly topicArn: string,
  ) {}

  /** SNS Publish of the subject and message; rejects on any SNS error (after the SDK's retries). */
  async publish(notification: AlertNotification): Promise<void> {
    await this.client.send(new PublishCommand({ TopicArn: this.topicArn, Subject: notification.subject, Message: notification.message }));
  }
}
